/**
 * `tolem reconcile --date D --agent ID --provider NAME --agent-registry FILE.csv [--json] [--csv file]` against a
 * running hub: the agent's file uploaded first, the day reconciled three ways, the counts per class and each item's
 * class and proposed action printed, the exit code saying clean (0) or differences (1); the two-way subcommand
 * `reconcile provider <name>` still answers beside it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentApi, clockAt, newAgent, num, startTolem, testSchema, type Harness } from '../helpers/harness.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tolem-cli-three-way-'));
const socket = join(dir, 'tolem.sock');
const cwd = new URL('../..', import.meta.url).pathname;
const DAY = '2026-11-24';
let h: Harness;
let agent: { id: bigint; token: string };
let env: NodeJS.ProcessEnv;
const paid: bigint[] = [];

const payBody = (txn: number) =>
  `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${txn},"agentTransactionDate":"${DAY}T11:00:00","amountTo":150.00,"amountFrom":150.00}`;

beforeAll(async () => {
  h = await startTolem({ jobs: false, clock: clockAt(`${DAY}T11:00:00+05:00`) });
  await h.tolem.listenAdminSocket(socket);
  agent = await newAgent(h.db, { name: 'Bank CLI three-way' });
  for (const txn of [1, 2, 3]) paid.push(BigInt(num((await agentApi(h.url, agent.token)('pay', payBody(txn))).body.transactionId)));
  env = { ...process.env, TOLEM_DATA: join(dir, 'data'), DB_SCHEMA: testSchema(), ADMIN_SOCKET: socket, LOG_LEVEL: 'silent' };
}, 60_000);
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const tolem = (args: string[]) => run(process.execPath, ['bin/tolem.js', ...args], { cwd, env });
const reconcile = (file: string, more: string[] = []) =>
  tolem(['reconcile', '--date', DAY, '--agent', agent.id.toString(), '--provider', 'sandbox-mobile', '--agent-registry', file, ...more]);

describe('tolem reconcile (three-way)', () => {
  it('uploads the agent\'s registry, prints each difference with its proposed action, and exits 1', { timeout: 120_000 }, async () => {
    const file = join(dir, 'short.csv');
    // The agent forgot payment 3 and lists one the hub never saw.
    writeFileSync(file, 'agentTransactionId,amount,state\n1,150.00,succeeded\n2,150.00,succeeded\n77,150.00,succeeded\n');
    const failed = await reconcile(file, ['--json', '--csv', join(dir, 'items.csv')]).catch((error: { code: number; stdout: string }) => error);
    expect(failed).toMatchObject({ code: 1 });
    const report = JSON.parse((failed as { stdout: string }).stdout);
    expect(report).toMatchObject({ mode: 'three_way', status: 'mismatches', provider: 'sandbox-mobile', agentCount: 3, hubCount: 3 });
    expect(report.counts).toMatchObject({ matched: 2, missing_at_agent: 1, missing_at_hub: 1 });
    const byClass = Object.fromEntries((report.items as { class: string }[]).map((item) => [item.class, item]));
    expect(byClass.missing_at_agent).toMatchObject({ paymentId: paid[2]!.toString(), action: 'none' });
    expect(byClass.missing_at_hub).toMatchObject({ agentTxnId: '77', paymentId: null, action: 'none' });
    const csv = readFileSync(join(dir, 'items.csv'), 'utf8').split('\r\n');
    expect(csv[0]).toMatch(/^class,proposed_action,money_effect,explanation,/);
    expect(csv.filter((line) => line.startsWith('missing_at_agent,none,'))).toHaveLength(1);

    const human = await reconcile(file).catch((error: { code: number; stdout: string }) => error);
    const text = (human as { stdout: string }).stdout;
    expect(text).toContain(`three-way reconciliation ${DAY} (sandbox-mobile, agent ${agent.id})`);
    expect(text).toMatch(/missing_at_hub\s+1/);
    expect(text).toContain(`missing_at_agent: payment ${paid[2]} → none`);
  });

  it('exits 0 on a clean day, and the two-way subcommand still answers', { timeout: 120_000 }, async () => {
    const file = join(dir, 'whole.csv');
    writeFileSync(file, 'agentTransactionId,amount\n1,150.00\n2,150.00\n3,150.00\n');
    const { stdout } = await reconcile(file);
    expect(stdout).toMatch(/: clean/);
    expect(stdout).toMatch(/matched\s+3/);
    const twoWay = await tolem(['reconcile', 'provider', 'sandbox-mobile', '--date', DAY, '--json']);
    expect(JSON.parse(twoWay.stdout)).toMatchObject({ status: 'clean', counts: { matched: 3 } });
    await expect(tolem(['reconcile', '--agent-registry', file, '--date', DAY])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--agent-registry needs --agent') });
  });
});
