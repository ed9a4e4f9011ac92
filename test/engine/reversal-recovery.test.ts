import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { agentFunds, findAgent } from '../../src/engine/agents.ts';
import { LOCAL_ACTOR, type Actor } from '../../src/engine/sessions.ts';
import { listAudit } from '../../src/engine/audit.ts';
import { paymentTimeline, type JobEntry, type StateEntry } from '../../src/engine/timeline.ts';
import { recoveryConfig, ReversalRecovery, type RecoveryReport } from '../../src/engine/reversal-recovery.ts';
import type { Db } from '../../src/store/db.ts';
import { agentApi, eventually, expectLedgerBalanced, newAgent, num, openTestDb, startTolem, testSchema, type Harness } from '../helpers/harness.ts';
import { alsecoAdmin, alsecoBody, nextTxnId } from '../helpers/alseco.ts';

/**
 * No reversal stays stuck or is sent twice, on the real store against the simulators over HTTP. Each scenario loses a
 * cancellation's answer (the simulator commits the cancel, then hangs past the hub's deadline or answers a 500) or
 * never lets it arrive (a 500 before anything is done); the reversal-recovery job then asks the provider's status and
 * completes it exactly once, or reopens it. Short timings (a 1 s provider timeout, a 0.5 s lease) keep the recovery
 * bound at 1.5 s.
 */
let h: Harness;
let agent: { id: bigint; token: string };
let api: ReturnType<typeof agentApi>;
let maker: Actor;
let checker: Actor;
let nextTxn = 1;
const schema = testSchema();

const body = (id: number, amount = '200.00') =>
  `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;

const simulator = () => h.tolem.ctx.sandbox!.simulators.get('mobile')!;
const admin = () => h.tolem.ctx.admin;
const quiet = pino({ level: 'silent' });

function recovery(on: Harness = h): ReversalRecovery {
  return new ReversalRecovery(on.db, on.tolem.ctx.engine, on.tolem.ctx.clock, quiet, recoveryConfig(on.tolem.ctx.config.engine));
}

const acted = (report: RecoveryReport) => Object.values(report).reduce((sum, n) => sum + n, 0) > 0;

/** Runs the job until it takes the payment(s) up (once the recovery bound has passed) and returns what it did. */
async function recoverWhenDue(job = recovery()): Promise<RecoveryReport> {
  return eventually(async () => {
    const report = await job.run();
    return acted(report) ? report : undefined;
  }, 15_000, 200);
}

async function available(agentId = agent.id): Promise<bigint> {
  return (await agentFunds(h.db, (await findAgent(h.db, agentId))!)).availableMinor;
}

async function operatorActor(login: string): Promise<Actor> {
  const created = await admin().operators.create(LOCAL_ACTOR, { login, password: `${login} password`, role: 'operator' });
  return { principal: { kind: 'operator', id: created.id, login: created.login, role: created.role }, ip: '10.0.0.9' };
}

async function succeeded(): Promise<{ paymentId: bigint; agentTxnId: bigint }> {
  const id = nextTxn++;
  const answer = await api('pay', body(id));
  expect(num(answer.body.result)).toBe('0');
  return { paymentId: BigInt(num(answer.body.transactionId)), agentTxnId: BigInt(id) };
}

/** A succeeded payment with an attention item and a reverse proposal by anna, for boris to approve. */
async function reverseProposal(): Promise<{ paymentId: bigint; proposalId: bigint; itemId: bigint }> {
  const { paymentId } = await succeeded();
  await h.db.tx((q) => h.tolem.ctx.engine.raiseAttention(q, paymentId, 'test_reverse', 'reverse this payment', {}));
  const item = (await admin().attention.list()).find((candidate) => candidate.paymentId === paymentId)!;
  const proposal = await admin().attention.propose(maker, item.id, { action: 'reverse', note: 'paid to the wrong number' });
  return { paymentId, proposalId: proposal.id, itemId: item.id };
}

async function state(paymentId: bigint, db: Db = h.db): Promise<string> {
  return (await db.query<{ state: string }>('SELECT state FROM payments WHERE id = $1', [paymentId])).rows[0]!.state;
}

/** Provider → agent transfers of the payment (its reversals). */
async function reversals(paymentId: bigint, db: Db = h.db): Promise<number> {
  const rows = await db.query<{ n: bigint }>(
    `SELECT count(*) AS n FROM ledger_transfers t JOIN ledger_accounts d ON d.id = t.debit_account_id
      WHERE t.payment_id = $1 AND t.kind = 'single' AND d.code LIKE 'provider:%'`, [paymentId]);
  return Number(rows.rows[0]!.n);
}

async function cancelAttempts(paymentId: bigint) {
  return (await h.db.query<{ answered_at: Date | null; resolved_at: Date | null; outcome: string | null; checks: number }>(
    `SELECT answered_at, resolved_at, outcome, checks FROM outbound_attempts WHERE payment_id = $1 AND kind = 'cancel' ORDER BY id`, [paymentId])).rows;
}

/** The simulator's calls about the payment, in order. */
const opsOf = (paymentId: bigint) => simulator().calls().filter((call) => call.reference === paymentId.toString()).map((call) => call.op);
const cancellationsAt = (paymentId: bigint) => simulator().committed().filter((p) => p.reference === paymentId.toString() && p.status === 'cancelled').length;

/** The cancel reaches the simulator and is committed; its answer hangs past the hub's 1 s deadline. */
const loseCancelAnswers = () => simulator().setFaults({ hangAfterCommitRate: 1, hangMs: 3_000 });
const clearFaults = () => simulator().setFaults({ hangAfterCommitRate: 0, http500Rate: 0, http500AfterCommitRate: 0, latencyMs: 0 });

beforeAll(async () => {
  const db = await openTestDb(schema);
  h = await startTolem({ db, schema, jobs: false, engine: { providerTimeoutMs: 1_000, leaseMs: 500, attentionAfterMs: 2_500 } });
  agent = await newAgent(h.db, { openingBalanceMinor: 1_000_000n });
  api = agentApi(h.url, agent.token);
  maker = await operatorActor('anna');
  checker = await operatorActor('boris');
});
afterEach(async () => {
  clearFaults();
  await expectLedgerBalanced(h.db);
});
afterAll(async () => {
  await h?.close();
  await h?.db.close();
});

describe("an operator's reversal whose answer was lost", () => {
  it('stays executing; recovery finds it cancelled and completes it once, in the approver\'s name', { timeout: 30_000 }, async () => {
    const { paymentId, proposalId, itemId } = await reverseProposal();
    const before = await available();
    loseCancelAnswers();
    await expect(admin().proposals.approve(checker, proposalId)).rejects.toMatchObject({ kind: 'conflict', code: 'provider_unknown' });
    clearFaults();
    expect((await admin().proposals.find(proposalId))!.state).toBe('executing');
    expect(await state(paymentId)).toBe('succeeded');
    expect(cancellationsAt(paymentId)).toBe(1);
    expect(await cancelAttempts(paymentId)).toMatchObject([{ resolved_at: null, outcome: expect.stringMatching(/^unknown/) }]);

    const report = await recoverWhenDue();
    expect(report.cancelled).toBe(1);
    expect(await state(paymentId)).toBe('cancelled');
    expect(await reversals(paymentId)).toBe(1);
    expect(await available()).toBe(before + 20_000n);
    const proposal = (await admin().proposals.find(proposalId))!;
    expect(proposal).toMatchObject({ state: 'approved', checkerLogin: 'boris', decisionNote: expect.stringContaining('completed by reversal recovery') });
    // Oldest first: the approval that claimed it, then the one recovery completed.
    const approvals = (await listAudit(h.db, { action: 'proposals.approve' })).entries.filter((e) => e.targetId === proposalId.toString())
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(approvals.map((e) => [e.actorLogin, (e.after as { state: string }).state])).toEqual([['boris', 'executing'], ['boris', 'approved']]);
    expect(approvals[1]!.after).toMatchObject({ recovery: expect.stringContaining('completed by reversal recovery') });
    expect((await admin().attention.list(true)).find((i) => i.id === itemId)!.resolution).toContain('approved by boris');
    // The provider was asked, never told again: one cancel, then its status.
    expect(opsOf(paymentId).slice(opsOf(paymentId).indexOf('cancel'))).toEqual(['cancel', 'status']);
    expect(cancellationsAt(paymentId)).toBe(1);
    expect(await cancelAttempts(paymentId)).toMatchObject([{ resolved_at: expect.any(Date), outcome: expect.stringContaining('recovery') }]);

    // The timeline says what recovery did: the attempt's resolution and the state change's note.
    const timeline = await paymentTimeline(h.db, paymentId);
    const attempt = timeline.find((e): e is JobEntry => e.kind === 'job' && e.name === 'cancel sandbox-mobile')!;
    expect(attempt.state).toContain('recovery: the provider reports it cancelled');
    const change = timeline.find((e): e is StateEntry => e.kind === 'state' && e.toState === 'cancelled')!;
    expect(change.note).toContain('completed by recovery');

    // Nothing is due any more: a second run changes nothing.
    expect(acted(await recovery().run())).toBe(false);
    expect(await available()).toBe(before + 20_000n);
  });

  it('a cancel that never took effect (a 500 before the provider did anything): reopened, no reverse transfer', { timeout: 30_000 }, async () => {
    const { paymentId, proposalId } = await reverseProposal();
    const before = await available();
    simulator().setFaults({ http500Rate: 1 });
    await expect(admin().proposals.approve(checker, proposalId)).rejects.toMatchObject({ code: 'provider_unknown' });
    clearFaults();
    expect(cancellationsAt(paymentId)).toBe(0);

    const report = await recoverWhenDue();
    expect(report.still_paid).toBe(1);
    expect(await state(paymentId)).toBe('succeeded');
    expect(await reversals(paymentId)).toBe(0);
    expect(await available()).toBe(before);
    expect((await admin().proposals.find(proposalId))!).toMatchObject({ state: 'proposed', decisionNote: expect.stringContaining('approve again to retry') });
    expect(await cancelAttempts(paymentId)).toMatchObject([{ resolved_at: expect.any(Date), outcome: expect.stringContaining('not cancelled') }]);
    const note = (await paymentTimeline(h.db, paymentId)).find((e): e is StateEntry => e.kind === 'state' && e.fromState === 'succeeded' && e.toState === 'succeeded');
    expect(note?.note).toContain('the cancellation never took effect');

    // Approved again, it cancels (the earlier attempt is resolved: no status query needed first) and moves the money once.
    await admin().proposals.approve(checker, proposalId);
    expect(await state(paymentId)).toBe('cancelled');
    expect(await reversals(paymentId)).toBe(1);
    expect(await available()).toBe(before + 20_000n);
    expect(cancellationsAt(paymentId)).toBe(1);
  });
});

describe("the agent's own cancel (engine.cancel) whose answer was lost", () => {
  it('answers unknown; recovery completes it: the agent gets its money back once', { timeout: 30_000 }, async () => {
    const { paymentId, agentTxnId } = await succeeded();
    const before = await available();
    simulator().setFaults({ http500AfterCommitRate: 1 });
    expect((await h.tolem.ctx.engine.cancel(agent.id, agentTxnId, 'Elsom CANCEL_PAYMENT')).kind).toBe('unknown');
    clearFaults();
    expect(await state(paymentId)).toBe('succeeded');
    expect(cancellationsAt(paymentId)).toBe(1);

    expect((await recoverWhenDue()).cancelled).toBe(1);
    expect(await state(paymentId)).toBe('cancelled');
    expect(await reversals(paymentId)).toBe(1);
    expect(await available()).toBe(before + 20_000n);
    // The agent repeats its cancel: answered from the store, the provider is not called again.
    const calls = opsOf(paymentId).length;
    expect((await h.tolem.ctx.engine.cancel(agent.id, agentTxnId, 'Elsom CANCEL_PAYMENT')).kind).toBe('cancelled');
    expect(opsOf(paymentId)).toHaveLength(calls);
    expect(await available()).toBe(before + 20_000n);
  });

  it('a repeat before recovery asks the status first and completes it, never cancelling twice', { timeout: 30_000 }, async () => {
    const { paymentId, agentTxnId } = await succeeded();
    const before = await available();
    loseCancelAnswers();
    expect((await h.tolem.ctx.engine.cancel(agent.id, agentTxnId, 'customer changed their mind')).kind).toBe('unknown');
    clearFaults();
    expect((await h.tolem.ctx.engine.cancel(agent.id, agentTxnId, 'customer changed their mind')).kind).toBe('cancelled');
    expect(opsOf(paymentId).slice(opsOf(paymentId).indexOf('cancel'))).toEqual(['cancel', 'status']);
    expect(await reversals(paymentId)).toBe(1);
    expect(await available()).toBe(before + 20_000n);
    expect(acted(await recovery().run())).toBe(false);
  });

  it('no answer from the status either: asked again with back-off, then an attention item; closed once it resolves', { timeout: 40_000 }, async () => {
    const { paymentId, agentTxnId } = await succeeded();
    const before = await available();
    loseCancelAnswers();
    expect((await h.tolem.ctx.engine.cancel(agent.id, agentTxnId, 'operator request')).kind).toBe('unknown');
    simulator().setFaults({ hangAfterCommitRate: 0, http500Rate: 1 });
    expect((await recoverWhenDue()).unknown).toBe(1);
    const [attempt] = await cancelAttempts(paymentId);
    expect(attempt).toMatchObject({ resolved_at: null, checks: 1, outcome: expect.stringMatching(/^status unknown/) });
    // Backed off: not due again at once.
    expect((await recovery().run()).unknown).toBe(0);
    const item = await eventually(async () => {
      await recovery().run();
      return (await admin().attention.list()).find((i) => i.paymentId === paymentId && i.kind === 'reversal_unresolved');
    }, 20_000, 300);
    expect(item.reason).toContain('still unknown');
    expect(await state(paymentId)).toBe('succeeded');

    clearFaults();
    expect((await recoverWhenDue()).cancelled).toBe(1);
    expect(await reversals(paymentId)).toBe(1);
    expect(await available()).toBe(before + 20_000n);
    expect((await admin().attention.list(true)).find((i) => i.id === item.id)!.resolvedAt).not.toBeNull();
  });
});

describe('two instances on one store run the job at once', () => {
  it('each lost reversal is completed once: one reverse transfer, one approval', { timeout: 60_000 }, async () => {
    const db2 = process.env.DATABASE_URL ? await openTestDb(schema) : h.db;
    const second = await startTolem({ db: db2, schema, jobs: false, config: { sandboxUrl: `${h.url}/sandbox` }, engine: { providerTimeoutMs: 1_000, leaseMs: 500, attentionAfterMs: 60_000 } });
    try {
      const proposal = await reverseProposal();
      const plain = [await succeeded(), await succeeded()];
      const before = await available();
      loseCancelAnswers();
      await expect(admin().proposals.approve(checker, proposal.proposalId)).rejects.toMatchObject({ code: 'provider_unknown' });
      for (const payment of plain) expect((await h.tolem.ctx.engine.cancel(agent.id, payment.agentTxnId, 'twice?')).kind).toBe('unknown');
      clearFaults();
      // Slow status answers, so that both runs are inside the same payments at once.
      simulator().setFaults({ latencyMs: 300 });
      const ids = [proposal.paymentId, ...plain.map((p) => p.paymentId)];
      await eventually(async () => {
        const due = await h.db.query(`SELECT 1 FROM outbound_attempts WHERE kind = 'cancel' AND resolved_at IS NULL AND started_at <= now() - interval '1600 milliseconds'`);
        return due.rows.length === 3 ? true : undefined;
      }, 15_000, 100);
      const reports = await Promise.all([recovery(h).run(), recovery(second).run()]);
      expect(reports[0]!.cancelled + reports[1]!.cancelled).toBe(3);
      for (const id of ids) {
        expect(await state(id)).toBe('cancelled');
        expect(await reversals(id)).toBe(1);
        expect(cancellationsAt(id)).toBe(1);
        expect(opsOf(id).filter((op) => op === 'cancel')).toHaveLength(1);
      }
      expect(await available()).toBe(before + 60_000n);
      const approvals = (await listAudit(h.db, { action: 'proposals.approve' })).entries.filter((e) => e.targetId === proposal.proposalId.toString());
      expect(approvals.filter((e) => (e.after as { state: string }).state === 'approved')).toHaveLength(1);
    } finally {
      await second.close();
      if (db2 !== h.db) await db2.close();
    }
  });
});

describe('Alseco: a rollback whose answer was lost', () => {
  it("is completed once Alseco's payment list no longer holds the payment it confirmed", { timeout: 40_000 }, async () => {
    const alseco = alsecoAdmin(h.url);
    const id = nextTxnId();
    const pay = await api('pay', alsecoBody({ account: '0000100116', id, lines: [{ subServiceId: '45', amountMinor: 64_000n }] }));
    expect(num(pay.body.result)).toBe('0');
    const paymentId = BigInt(num(pay.body.transactionId));
    const before = await available();
    try {
      await alseco.faults({ http500AfterCommitRate: 1, methods: ['RollbackPaymentsBySysRef'], times: 1 });
      expect((await h.tolem.ctx.engine.cancel(agent.id, BigInt(id), 'customer changed their mind')).kind).toBe('unknown');
      const rolledBack = (await alseco.payments()).payments.filter((p) => p.sysRef === paymentId.toString());
      expect(rolledBack).toMatchObject([{ rolledBack: true }]);
      const rollbacks = (await alseco.payments()).stats.rollbackCalls;

      expect((await recoverWhenDue()).cancelled).toBe(1);
      expect(await state(paymentId)).toBe('cancelled');
      expect(await reversals(paymentId)).toBe(1);
      expect(await available()).toBe(before + 64_000n);
      // Asked through getPaysInfo, never rolled back again (a second rollback would have answered PaymentNotFound).
      expect((await alseco.payments()).stats.rollbackCalls).toBe(rollbacks);
    } finally {
      await alseco.clearFaults();
    }
  });
});
