import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { childStore } from '../helpers/child.ts';
import { agentApi, num } from '../helpers/harness.ts';

/**
 * `tolem prove --date D [--json] [--csv F]` and `tolem sign-proof --date D` against a running hub (`tolem start` as a
 * child, its clock set by TOLEM_CLOCK): the CLI reaches it through its admin socket, as `local`. A day not over is
 * refused; a consistent day is stored (exit 0), proved again and compared; it is signed once. A transfer of the proved
 * day edited in SQL while the hub is stopped makes the next day's proof inconsistent and the proved day's repeat list
 * what changed (exit 1 both). The second-operator rule is the engine's between two operators
 * (test/engine/money-proof.test.ts, the console journey); the CLI is always `local`, the machine's administrator,
 * who may sign a proof it made.
 */
const run = promisify(execFile);
const cwd = new URL('../..', import.meta.url).pathname;
const store = childStore();
let hub: ChildProcess | undefined;
afterAll(async () => {
  await stopHub();
  store.remove();
});

const DAY = '2026-11-30';
const NEXT = '2026-12-01';

/** `tolem start` on the test's store with its clock at `clockAt`; resolves with its URL and the demo token (first start). */
function startHub(clockAt: string): Promise<{ url: string; token: string | undefined }> {
  const child = spawn(process.execPath, ['bin/tolem.js', 'start'], {
    cwd, env: { ...process.env, ...store.env, PORT: '0', LOG_LEVEL: 'warn', DEMO: 'true', TOLEM_CLOCK: clockAt }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  hub = child;
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`tolem start did not come up: ${out}`)), 90_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /Tolem is up at (http:\/\/\S+) /.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, token: /token \(shown once\): (\S+)/.exec(out)?.[1] });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`tolem start exited with ${code}: ${out}`)));
  });
}

async function stopHub(): Promise<void> {
  const child = hub;
  hub = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, 'SIGTERM');
  await gone;
}

/** One CLI command: its exit code and output (a refusal is exit 1 with the API's message, never a stack trace). */
async function tolem(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // The CLI's own clock before the day: had it opened the store itself rather than asking the hub, every proof here
    // would be refused as not over.
    const env = { ...process.env, ...store.env, LOG_LEVEL: 'silent', TOLEM_CLOCK: '2026-11-01T00:00:00+05:00' };
    const { stdout, stderr } = await run(process.execPath, ['bin/tolem.js', ...args], { cwd, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('tolem prove and sign-proof against a running hub', () => {
  it('proves a day once it is over, compares a repeat, signs once, and exits 1 on an edited ledger', { timeout: 300_000 }, async () => {
    const first = await startHub(`${DAY}T10:00:00+05:00`);
    const pay = agentApi(first.url, first.token!);
    const body = '{"serviceId":"P1011","account":"7770017711","agentTransactionId":772000000000000001,"agentTransactionDate":"2026-11-30T10:00:00","amountTo":100.00,"amountFrom":100.00}';
    expect(num((await pay('check', body)).body.result)).toBe('0');
    const paid = await pay('pay', body);
    expect(num(paid.body.result)).toBe('0');
    const paymentId = num(paid.body.transactionId);

    const early = await tolem('prove', '--date', DAY);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain(`${DAY} is not over yet`);
    expect(early.stderr).not.toMatch(/\n\s+at /);

    await stopHub();
    await startHub(`${NEXT}T00:00:30+05:00`); // just past midnight in Almaty: the 30th is over in KZT and KGS

    expect(existsSync(join(store.env.TOLEM_DATA!, 'tolem.sock'))).toBe(true);
    const proved = await tolem('prove', '--date', DAY, '--json');
    expect(proved.code).toBe(0);
    const answer = JSON.parse(proved.stdout);
    expect(answer).toMatchObject({ created: true, changed: [], proof: { day: DAY, ok: true, createdBy: 'local', previousHash: null, signedBy: null } });
    expect(answer.proof.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(answer.proof.body.problems).toEqual([]);
    expect(answer.proof.body.accounts.find((a: { code: string }) => a.code === 'provider:sandbox-mobile:KZT')).toMatchObject({ payments: '10000' });

    const csvFile = join(store.env.TOLEM_DATA!, 'proof.csv');
    const repeat = await tolem('prove', '--date', DAY, '--csv', csvFile);
    expect(repeat.code).toBe(0);
    expect(repeat.stdout).toContain(`money proof of ${DAY}: consistent (stored before; computed again)`);
    expect(repeat.stdout).toContain(`hash ${answer.proof.hash}, first of its chain; not signed`);
    expect(readFileSync(csvFile, 'utf8')).toContain(`verdict,ok\r\nhash,${answer.proof.hash}\r\n`);

    const signed = await tolem('sign-proof', '--date', DAY);
    expect(signed).toMatchObject({ code: 0, stdout: `money proof of ${DAY} signed by local (hash ${answer.proof.hash})\n` });
    expect(await tolem('sign-proof', '--date', DAY)).toMatchObject({ code: 1, stderr: expect.stringContaining(`the proof of ${DAY} was signed by local`) });
    expect(await tolem('sign-proof', '--date', '2026-11-29')).toMatchObject({ code: 1, stderr: expect.stringContaining('no money proof for 2026-11-29') });
    expect(await tolem('prove', '--date', '2026-13-45')).toMatchObject({ code: 1, stderr: expect.stringContaining('day must be YYYY-MM-DD') });
    const wrong = await tolem('prove', '--date', 'yesterday');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).not.toMatch(/\n\s+at /);

    // Planted, with the hub stopped: the payment's settlement on the proved 30th edited in SQL.
    await stopHub();
    const db = await store.open();
    try {
      await db.query(`UPDATE ledger_transfers SET amount_minor = amount_minor + 1 WHERE payment_id = $1 AND kind = 'post'`, [BigInt(paymentId)]);
    } finally {
      await db.close();
    }
    await startHub('2026-12-02T00:00:30+05:00');
    const next = await tolem('prove', '--date', NEXT, '--json');
    expect(next.code).toBe(1);
    const inconsistent = JSON.parse(next.stdout);
    expect(inconsistent).toMatchObject({ created: true, proof: { day: NEXT, ok: false, previousHash: answer.proof.hash } });
    expect(inconsistent.proof.body.problems.join('\n')).toContain(`differs from the closing 10000 the proof of ${DAY} stored`);
    const again = await tolem('prove', '--date', DAY);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('changed since: provider:sandbox-mobile:KZT: payments 10000 → 10001');
  });
});
