import { exec } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childStore, killHard, startChild, type ChildStore, type ChildTolem } from '../helpers/child.ts';

/**
 * The README's "Using it" examples, run as printed against `tolem start` in a child process on a fresh store (PGlite,
 * or a schema on PostgreSQL with DATABASE_URL), while it runs. The one change: the documented port 8080 becomes a free
 * one, and $TOKEN is the demo agent's token the start printed.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const sh = promisify(exec);

/** The commands of the ```bash blocks of the section (continuations joined, blank lines dropped). */
function readmeCommands(): string[] {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('## Using it'), readme.indexOf('### Agent API notes'));
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)]
    .flatMap((block) => block[1]!.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

/** What each command must print, by how it starts (the first match counts). */
const EXPECTED: [prefix: string, output: RegExp][] = [
  ['npx tolem agent list', /^1\tCheckout KZT \(internal: the checkout\)[\s\S]*^3\tDemo agent\tKZT\tavailable 1000000\.00/m],
  ['npx tolem agent create --name "Bank A"', /"agentId": "4",\s*"token": "tlm_[\w-]+",\s*"tokenStatus": "confirmed"/],
  ['npx tolem agent topup 4', /^agent 4: available 600000\.00 KZT$/m],
  ['npx tolem agent show 4', /^agent 4 Bank A \(KZT\)\n {2}balance 600000\.00[\s\S]*IP allow-list: 10\.0\.0\.0\/24/],
  ['npx tolem token issue 4', /^token 3 \(pending; shown once\): tlm_[\w-]+\nconfirm it: tolem token confirm 3$/m],
  ['npx tolem token confirm 3', /^token 3 confirmed$/m],
  ['npx tolem token revoke 3', /^token 3 revoked$/m],
  ['npx tolem agent user create 4', /^cabinet user \d+ bank-a created for agent 4$/m],
  ['npx tolem operator create', /^operator \d+ aigerim \(operator\) created$/m],
  ['npx tolem topup propose 4', /^proposal 2: topup of 5000\.00 KZT for agent 4, waiting for another operator$/m],
  ['npx tolem topup list', /^2\tproposed\ttopup\tagent 4\t5000\.00 KZT\tby local\twire 7\n1\tapproved\ttopup\tagent 4\t100000\.00 KZT/m],
  ['npx tolem services', /^P1011\ttype 0\tKZT\ton /m],
  ['npx tolem service show P1011', /^P1011 .+ \(KZT\) version [0-9a-f]{16}\n {2}route: sandbox-mobile\n {2}fee rule: at most 5\.00%$/m],
  ['npx tolem service fee-preview P1011', /^fee 0\.00 … 50\.00 on 1000\.00; amountFrom at most 1050\.00$/m],
  ['npx tolem service fee P1011', /^ {2}fee rule: at most 5\.00%$/m],
  ['npx tolem attention', /^nothing needs attention$/m],
  ['npx tolem payment list', /^0 found$/m],
  ['npx tolem review list', /^nothing held$/m],
  ['npx tolem ledger-check', /^ledger balanced/m],
  ['npx tolem audit --limit 5', /\tlocal\tproposals\.propose\tproposal 2$/m],
  ['npx tolem audit verify', /^audit chain intact \(\d+ entries\)$/m],
  ['npx tolem agent create --name Elsom', /^agent 5 created\nElsom terminal 1839: 5132=K1001/m],
  ['npx tolem migrate', /^up to date \(\d{3}_\w+\)$/m],
  ['curl ', /"result":0,.*"transactionId":100000000000000001/],
  ['npx tolem payment 100000000000000001', /^payment 100000000000000001 \(agent 3, agentTransactionId 100000000000000001\): succeeded/m],
  ['npx tolem sandbox elsom-pay', /paid 1, assumed_paid 0[\s\S]*0 mismatch\(es\)/],
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

let store: ChildStore;
let hub: ChildTolem;
let env: Record<string, string>;
let port: number;

beforeAll(async () => {
  store = childStore();
  port = await freePort();
  // The README is run as a newcomer runs it, on the real clock: TOLEM_CLOCK (CI's calendar-edge runs) starts each
  // process's clock anew at the same instant, so the hub and a CLI started a minute later would disagree by that minute.
  env = { ...store.env, PORT: String(port), LOG_LEVEL: 'warn', DEMO: 'true', TOLEM_CLOCK: '' };
  hub = await startChild(env);
}, 120_000);
afterAll(async () => {
  if (hub) await killHard(hub.child);
  store?.remove();
});

describe('README examples', () => {
  it('every command in the README works as printed while the hub runs', { timeout: 600_000 }, async () => {
    const commands = readmeCommands();
    expect(commands.length).toBeGreaterThan(20);
    for (const command of commands) {
      const expected = EXPECTED.find(([prefix]) => command.startsWith(prefix));
      expect(expected, `no expectation for: ${command}`).toBeDefined();
      const runnable = command.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`);
      const { stdout } = await sh(runnable, { cwd: ROOT, env: { ...process.env, ...env, TOKEN: hub.token }, timeout: 120_000 })
        .catch((error: { stdout?: string; stderr?: string; message: string }) => {
          throw new Error(`${command}\nfailed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
        });
      expect(stdout, command).toMatch(expected![1]);
    }
  });
});
