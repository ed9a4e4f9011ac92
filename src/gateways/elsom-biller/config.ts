import { parseOffset } from '../../domain/time.ts';
import { ELSOM_DEFAULT_MAX_BYTES } from './codec/index.ts';

/** The Elsom biller gateway's own settings, from the environment (see README: "Connecting a real Elsom terminal"). */
export interface ElsomConfig {
  /** Where Elsom POSTs its XML (ELSOM_PATH, default /elsom). */
  path: string;
  /** Elsom's wall clock, for every date on the wire (ELSOM_TZ, default +06:00: Kyrgyzstan, no DST). */
  utcOffsetMinutes: number;
  /** Larger request bodies are refused with 202 before they are read (ELSOM_MAX_BYTES, default 64 KiB). */
  maxBytes: number;
}

/** The wallet simulator's retry rule (spec §2.2: five repeats, ten seconds apart) and its credentials for the sandbox. */
export interface ElsomWalletConfig {
  retries: number;
  retryIntervalMs: number;
  /** How long the wallet waits for one answer before it counts the attempt as unanswered. */
  requestTimeoutMs: number;
  terminalId: string;
  login: string;
  password: string;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  return value;
}

export function loadElsomConfig(env: NodeJS.ProcessEnv = process.env): ElsomConfig {
  const path = env.ELSOM_PATH ?? '/elsom';
  if (!/^\/[\w\-/.]*$/.test(path)) throw new Error(`ELSOM_PATH must be an absolute URL path, got "${path}"`);
  return {
    path,
    utcOffsetMinutes: parseOffset(env.ELSOM_TZ ?? '+06:00'),
    maxBytes: intFrom(env, 'ELSOM_MAX_BYTES', ELSOM_DEFAULT_MAX_BYTES, 1024, 1024 * 1024),
  };
}

export function loadElsomWalletConfig(env: NodeJS.ProcessEnv = process.env): ElsomWalletConfig {
  return {
    retries: intFrom(env, 'ELSOM_WALLET_RETRIES', 5, 0, 100),
    retryIntervalMs: intFrom(env, 'ELSOM_WALLET_RETRY_MS', 10_000, 0, 600_000),
    requestTimeoutMs: intFrom(env, 'ELSOM_WALLET_TIMEOUT_MS', 30_000, 1, 600_000),
    terminalId: env.ELSOM_WALLET_TERMINAL ?? '1839',
    login: env.ELSOM_WALLET_LOGIN ?? 'elsom',
    password: env.ELSOM_WALLET_PASSWORD ?? '',
  };
}
