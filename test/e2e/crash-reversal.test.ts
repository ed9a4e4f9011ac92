/**
 * No reversal stays stuck or is sent twice, across a crash. An operator's reversal is approved on a Tolem child process
 * (over its admin socket, as the CLI would); the child records the cancel, sends it, and is killed with SIGKILL while
 * waiting for the answer: the proposal is left `executing` and the cancel attempt unanswered. A new instance on the
 * same store runs the reversal-recovery job, which asks the provider's status — and never cancels again:
 *
 * - the provider had cancelled (the answer was lost with the hub): one reverse transfer, the proposal approved;
 * - the cancel never reached the provider (it went into a socket that never answers): the provider still has the
 *   payment, the proposal is open again, no money moved.
 */
import { describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { request } from 'node:http';
import { join } from 'node:path';
import { pino } from 'pino';
import { agentApi, eventually, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import { childStore, crashScene, killHard, startChild, type ChildStore } from '../helpers/child.ts';
import { LOCAL_ACTOR } from '../../src/engine/sessions.ts';
import { agentFunds, findAgent } from '../../src/engine/agents.ts';
import { recoveryConfig, ReversalRecovery } from '../../src/engine/reversal-recovery.ts';
import type { Db } from '../../src/store/db.ts';

// The partners live in their own server, so that they outlive the Tolem being killed.
const scene = crashScene();

const mobile = () => scene.partners.tolem.ctx.sandbox!.simulators.get('mobile')!;

/** A TCP server that takes requests and never answers: a cancel sent there never reaches any provider. */
async function blackHole(): Promise<{ url: string; received: () => boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let bytes = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/sandbox`,
    received: () => bytes > 0,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

interface Prepared {
  paymentId: bigint;
  proposalId: bigint;
  agentId: bigint;
  availableBefore: bigint;
}

/** On the store, before the child starts: a succeeded payment, and anna's proposal to reverse it. */
async function prepare(store: ChildStore): Promise<Prepared> {
  const db = await store.open();
  // A long pay deadline: the machine runs other test files at once, and the payment must be succeeded to be reversed.
  const setup = await startTolem({ db, schema: store.schema, jobs: false, config: { sandboxUrl: `${scene.partners.url}/sandbox`, queueSchema: store.queueSchema }, engine: { providerDeadlineMs: 15_000 } });
  try {
    // The scene.partners' simulator outlives the stores and keys payments on our transactionId: each store's ids are its own.
    await db.query('SELECT setval(\'payment_id_seq\', $1)', [100_000_000_000_000_000n + BigInt(Date.now()) * 1000n]);
    const agent = await newAgent(db, { openingBalanceMinor: 1_000_000n });
    const pay = await agentApi(setup.url, agent.token)('pay', `{"serviceId":"P1011","account":"7770017799","agentTransactionId":${Date.now()},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":250.00,"amountFrom":250.00}`);
    expect(num(pay.body.result), pay.text).toBe('0');
    const paymentId = BigInt(num(pay.body.transactionId));
    const admin = setup.tolem.ctx.admin;
    const created = await admin.operators.create(LOCAL_ACTOR, { login: 'anna', password: 'anna password', role: 'operator' });
    const anna = { principal: { kind: 'operator' as const, id: created.id, login: created.login, role: created.role }, ip: null };
    await db.tx((q) => setup.tolem.ctx.engine.raiseAttention(q, paymentId, 'test_reverse', 'reverse this payment', {}));
    const item = (await admin.attention.list()).find((candidate) => candidate.paymentId === paymentId)!;
    const proposal = await admin.attention.propose(anna, item.id, { action: 'reverse', note: 'paid to the wrong number' });
    const availableBefore = (await agentFunds(db, (await findAgent(db, agent.id))!)).availableMinor;
    return { paymentId, proposalId: proposal.id, agentId: agent.id, availableBefore };
  } finally {
    await setup.close();
    await db.close();
  }
}

/** POSTs to the child's admin API over its Unix socket (the caller is `local`, a different person from anna). */
function approveOverSocket(store: ChildStore, proposalId: bigint): void {
  const req = request({ socketPath: join(store.env.TOLEM_DATA!, 'tolem.sock'), method: 'POST', path: `/api/admin/v1/proposals/${proposalId}/approve`, headers: { 'content-type': 'application/json' } });
  req.on('error', () => undefined);
  req.end('{}');
}

/** Approves on a child, kills it once `sent()` says the cancel left, and starts a new instance on the store. */
async function crashMidCancel(store: ChildStore, prepared: Prepared, sandboxUrl: string, sent: () => Promise<boolean>): Promise<{ db: Db; restarted: Harness }> {
  const child = await startChild({
    ...store.env, PORT: '0', LOG_LEVEL: 'warn', DEMO: 'true', SANDBOX_URL: sandboxUrl, QUEUE_POLL_SECONDS: '0.5',
    // Long deadlines: the child must still be inside its call when it is killed.
    PROVIDER_DEADLINE_MS: '20000', PROVIDER_TIMEOUT_MS: '20000',
  });
  scene.children.push(child.child);
  approveOverSocket(store, prepared.proposalId);
  await eventually(async () => ((await sent()) ? true : undefined), 30_000, 50);
  await killHard(child.child);
  const { db, restarted } = await scene.restartOn(store);
  return { db, restarted };
}

/** What the dead hub left: the proposal executing, one cancel attempt recorded and never answered. */
async function expectLeftMidCall(db: Db, prepared: Prepared): Promise<void> {
  const proposal = (await db.query<{ state: string }>('SELECT state FROM money_proposals WHERE id = $1', [prepared.proposalId])).rows[0]!;
  expect(proposal.state).toBe('executing');
  const attempts = (await db.query<{ answered_at: Date | null }>(`SELECT answered_at FROM outbound_attempts WHERE payment_id = $1 AND kind = 'cancel'`, [prepared.paymentId])).rows;
  expect(attempts).toHaveLength(1);
  expect(attempts[0]!.answered_at).toBeNull();
  expect((await db.query<{ state: string }>('SELECT state FROM payments WHERE id = $1', [prepared.paymentId])).rows[0]!.state).toBe('succeeded');
}

/** Runs the restarted hub's recovery (its cron may act first: the outcome is what counts) until the proposal settles. */
async function recoverUntil(restarted: Harness, prepared: Prepared, settled: string): Promise<void> {
  const job = new ReversalRecovery(restarted.db, restarted.tolem.ctx.engine, restarted.tolem.ctx.clock, pino({ level: 'silent' }), recoveryConfig(restarted.tolem.ctx.config.engine));
  await eventually(async () => {
    await job.run();
    const row = (await restarted.db.query<{ state: string }>('SELECT state FROM money_proposals WHERE id = $1', [prepared.proposalId])).rows[0]!;
    return row.state === settled ? true : undefined;
  }, 30_000, 250);
}

async function reverseTransfers(db: Db, paymentId: bigint): Promise<number> {
  const rows = await db.query<{ n: bigint }>(
    `SELECT count(*) AS n FROM ledger_transfers t JOIN ledger_accounts d ON d.id = t.debit_account_id
      WHERE t.payment_id = $1 AND t.kind = 'single' AND d.code LIKE 'provider:%'`, [paymentId]);
  return Number(rows.rows[0]!.n);
}

const opsOf = (paymentId: bigint) => mobile().calls().filter((call) => call.reference === paymentId.toString()).map((call) => call.op);

describe('a hub killed mid-reversal: recovery asks the provider, never cancels again', () => {
  it('the provider had cancelled: completed once, the proposal approved, the agent paid back once', { timeout: 150_000 }, async () => {
    const store = childStore();
    const prepared = await prepare(store);
    mobile().setFaults({ hangAfterCommitRate: 1, hangMs: 60_000 });
    const cancelledAtProvider = async () => mobile().committed().some((p) => p.reference === prepared.paymentId.toString() && p.status === 'cancelled');
    const { db, restarted } = await crashMidCancel(store, prepared, `${scene.partners.url}/sandbox`, cancelledAtProvider);
    mobile().setFaults({ hangAfterCommitRate: 0 });
    await expectLeftMidCall(db, prepared);

    // The job is scheduled on the restarted hub (every minute); the test runs a pass itself rather than wait for it.
    const schedules = await db.query<{ name: string }>(`SELECT name FROM ${store.queueSchema}.schedule WHERE name = 'reversal-recovery'`);
    expect(schedules.rows).toHaveLength(1);
    await recoverUntil(restarted, prepared, 'approved');

    expect((await db.query<{ state: string }>('SELECT state FROM payments WHERE id = $1', [prepared.paymentId])).rows[0]!.state).toBe('cancelled');
    expect(await reverseTransfers(db, prepared.paymentId)).toBe(1);
    const funds = await agentFunds(db, (await findAgent(db, prepared.agentId))!);
    expect(funds.availableMinor).toBe(prepared.availableBefore + 25_000n);
    const proposal = (await db.query<{ checker_login: string; decision_note: string }>('SELECT checker_login, decision_note FROM money_proposals WHERE id = $1', [prepared.proposalId])).rows[0]!;
    expect(proposal).toMatchObject({ checker_login: 'local', decision_note: expect.stringContaining('completed by reversal recovery') });
    expect(mobile().committed().filter((p) => p.reference === prepared.paymentId.toString() && p.status === 'cancelled')).toHaveLength(1);
    const ops = opsOf(prepared.paymentId);
    expect(ops.slice(ops.indexOf('cancel'))).toEqual(['cancel', 'status']);
    await expectLedgerBalanced(db);
  });

  it('the cancel never reached the provider: the proposal is open again and no money moved', { timeout: 150_000 }, async () => {
    const store = childStore();
    const prepared = await prepare(store);
    const hole = await blackHole();
    scene.cleanups.push(() => hole.close());
    const { db, restarted } = await crashMidCancel(store, prepared, hole.url, async () => hole.received());
    await expectLeftMidCall(db, prepared);

    await recoverUntil(restarted, prepared, 'proposed');

    expect((await db.query<{ state: string }>('SELECT state FROM payments WHERE id = $1', [prepared.paymentId])).rows[0]!.state).toBe('succeeded');
    expect(await reverseTransfers(db, prepared.paymentId)).toBe(0);
    const funds = await agentFunds(db, (await findAgent(db, prepared.agentId))!);
    expect(funds.availableMinor).toBe(prepared.availableBefore);
    const proposal = (await db.query<{ decision_note: string }>('SELECT decision_note FROM money_proposals WHERE id = $1', [prepared.proposalId])).rows[0]!;
    expect(proposal.decision_note).toContain('approve again to retry');
    // The provider was asked its status and never saw a cancel.
    expect(opsOf(prepared.paymentId)).not.toContain('cancel');
    expect(opsOf(prepared.paymentId)).toContain('status');
    expect(mobile().committed().filter((p) => p.reference === prepared.paymentId.toString())).toMatchObject([{ status: 'paid' }]);
    await expectLedgerBalanced(db);
  });
});
