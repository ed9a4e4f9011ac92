/**
 * The chaos campaign's partners: the sandbox providers in a process of their own, on an in-memory store, so that
 * they outlive every hub instance the campaign kills and keep their own books (what they committed, and how often).
 * The acquirers' simulators (Assist, Elsom merchant) live here too, for the checkout load: the instances are pointed
 * at them as at real acquirers, with the sandbox accounts and this process's Assist public key.
 * Prints one JSON line, {"url": …, "assistPublicKey": …}, once listening; exits on SIGTERM.
 */
import { pino } from 'pino';
import { build } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { assistSandboxKeys } from '../src/sandbox/assist/keys.ts';

const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', DEMO: 'false', SANDBOX: 'true', TOLEM_DATA: 'memory://', LOG_LEVEL: 'warn' });
const tolem = await build(config, { log: pino({ level: 'warn' }, pino.destination(2)), jobs: false });
const url = await tolem.listen();
process.stdout.write(`${JSON.stringify({ url, assistPublicKey: assistSandboxKeys().publicKeyPem })}\n`);
process.on('SIGTERM', () => void tolem.close().finally(() => process.exit(0)));
