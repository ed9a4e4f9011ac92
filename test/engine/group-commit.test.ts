import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentFunds, findAgent } from '../../src/engine/agents.ts';
import { agentApi, eventually, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

/**
 * Checked pays are accepted, leased, reserved and their provider calls recorded by one statement for all the pays
 * that arrive together (group commit: engine/payments.ts acceptTogether, migration 021), and their successes settled
 * the same way. Funds that would cross the floor leave a pay out of the statement, and the long way parks it as
 * waiting; either way the books and the records say exactly what happened.
 */
let h: Harness;
let nextTxn = 710_000_000_000_000_001n;

beforeAll(async () => {
  h = await startTolem();
});
afterAll(async () => {
  await h?.close();
});

const body = (id: bigint, amount: string) =>
  `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;

async function checkThenPay(token: string, amount: string): Promise<{ id: bigint; pay: Record<string, unknown> }> {
  const api = agentApi(h.url, token);
  const id = nextTxn++;
  const check = await api('check', body(id, amount));
  expect(num(check.body.result)).toBe('0');
  return { id, pay: (await api('pay', body(id, amount))).body };
}

async function paymentOf(agentId: bigint, agentTxnId: bigint) {
  return (await h.db.query<{ id: bigint; state: string; result_code: number; reservation_id: bigint | null; attempts: number; lease_until: Date | null }>(
    'SELECT id, state, result_code, reservation_id, attempts, lease_until FROM payments WHERE agent_id = $1 AND agent_txn_id = $2', [agentId, agentTxnId])).rows[0]!;
}

describe('checked pays accepted and settled in batches', () => {
  it('reserves once under the id the payment points to, records one attempt, and settles', async () => {
    const agent = await newAgent(h.db, { openingBalanceMinor: 100_000n });
    const { id, pay } = await checkThenPay(agent.token, '200.00');
    expect(num(pay.result)).toBe('0');
    const payment = await paymentOf(agent.id, id);
    expect(payment.state).toBe('succeeded');
    const transfers = await h.db.query<{ id: bigint; kind: string; pending_id: bigint | null; amount_minor: bigint }>(
      'SELECT id, kind, pending_id, amount_minor FROM ledger_transfers WHERE payment_id = $1 ORDER BY id', [payment.id]);
    expect(transfers.rows.map((t) => t.kind)).toEqual(['pending', 'post']);
    expect(transfers.rows[0]!.id).toBe(payment.reservation_id);
    expect(transfers.rows[1]!.pending_id).toBe(payment.reservation_id);
    const attempts = await h.db.query<{ outcome: string | null; answered_at: Date | null }>('SELECT outcome, answered_at FROM outbound_attempts WHERE payment_id = $1', [payment.id]);
    expect(attempts.rows).toHaveLength(1);
    expect(attempts.rows[0]!.outcome).toBe('paid');
    expect(attempts.rows[0]!.answered_at).not.toBeNull();
    expect((await agentFunds(h.db, (await findAgent(h.db, agent.id))!)).availableMinor).toBe(80_000n);
    await expectLedgerBalanced(h.db);
  });

  it('funds that would cross the floor leave no reservation, no attempt and no lease: the pay waits (220)', async () => {
    const agent = await newAgent(h.db, { openingBalanceMinor: 10_000n });
    const { id, pay } = await checkThenPay(agent.token, '200.00');
    expect(num(pay.result)).toBe('220');
    const payment = await paymentOf(agent.id, id);
    expect(payment).toMatchObject({ state: 'waiting', result_code: 220, reservation_id: null, attempts: 0, lease_until: null });
    const transfers = await h.db.query('SELECT 1 FROM ledger_transfers WHERE payment_id = $1', [payment.id]);
    expect(transfers.rows).toHaveLength(0);
    const attempts = await h.db.query('SELECT 1 FROM outbound_attempts WHERE payment_id = $1', [payment.id]);
    expect(attempts.rows).toHaveLength(0);
    const states = await h.db.query<{ from_state: string | null; to_state: string }>('SELECT from_state, to_state FROM payment_events WHERE payment_id = $1 ORDER BY id', [payment.id]);
    expect(states.rows.map((e) => `${e.from_state}→${e.to_state}`)).toEqual(['null→checked', 'checked→accepted', 'accepted→waiting']);
    expect((await agentFunds(h.db, (await findAgent(h.db, agent.id))!)).availableMinor).toBe(10_000n);
    await expectLedgerBalanced(h.db);
  });

  it('two pays of one checked id at once: one reservation, both answered alike', async () => {
    const agent = await newAgent(h.db, { openingBalanceMinor: 100_000n });
    const api = agentApi(h.url, agent.token);
    const id = nextTxn++;
    expect(num((await api('check', body(id, '150.00'))).body.result)).toBe('0');
    const [first, second] = await Promise.all([api('pay', body(id, '150.00')), api('pay', body(id, '150.00'))]);
    expect(num(first.body.result)).toBe('0');
    expect(num(second.body.result)).toBe('0');
    expect(num(first.body.transactionId)).toBe(num(second.body.transactionId));
    const payment = await paymentOf(agent.id, id);
    const pending = await h.db.query('SELECT 1 FROM ledger_transfers WHERE payment_id = $1 AND kind = $2', [payment.id, 'pending']);
    expect(pending.rows).toHaveLength(1);
    expect((await agentFunds(h.db, (await findAgent(h.db, agent.id))!)).availableMinor).toBe(85_000n);
    await expectLedgerBalanced(h.db);
  });

  it("a hot agent's concurrent pays go in batches, and the floor holds for every one of them", { timeout: 60_000 }, async () => {
    const agent = await newAgent(h.db, { openingBalanceMinor: 30n * 10_000n + 5_000n });
    const api = agentApi(h.url, agent.token);
    const ids = Array.from({ length: 40 }, () => nextTxn++);
    for (const id of ids) expect(num((await api('check', body(id, '100.00'))).body.result)).toBe('0');
    const before = await batchCounts();
    const answers = await Promise.all(ids.map((id) => api('pay', body(id, '100.00'))));
    const results = answers.map((answer) => num(answer.body.result)).sort();
    // Accepted: paid (0), or still in processing (1) on a loaded machine; the rest wait for funds (220).
    expect(results.filter((code) => code === '0' || code === '1')).toHaveLength(30);
    expect(results.filter((code) => code === '220')).toHaveLength(10);
    const after = await eventually(async () => {
      const counts = await batchCounts();
      return counts.settle.payments - before.settle.payments === 30 ? counts : undefined;
    });
    // Every pay went through the accepting batches (how many shared a statement depends on timing: the statement's
    // own property test, group-commit-batch.test.ts, and the batcher's, store-batcher.test.ts, pin that down).
    expect(after.accept.payments - before.accept.payments).toBe(40);
    expect((await agentFunds(h.db, (await findAgent(h.db, agent.id))!)).availableMinor).toBe(5_000n);
    const reservations = await h.db.query<{ n: bigint }>(
      `SELECT count(*) AS n FROM ledger_transfers t JOIN payments p ON p.id = t.payment_id WHERE p.agent_id = $1 AND t.kind = 'pending'`, [agent.id]);
    expect(reservations.rows[0]!.n).toBe(30n);
    await expectLedgerBalanced(h.db);
  });
});

/** The group-commit histogram: statements and the payments in them, per batch kind. */
async function batchCounts(): Promise<Record<'accept' | 'settle', { batches: number; payments: number }>> {
  const metric = await h.tolem.ctx.metrics.batchSizes.get();
  const read = (batch: string, name: string) => metric.values.find((v) => v.metricName === name && v.labels.batch === batch)?.value ?? 0;
  return {
    accept: { batches: read('accept', 'tolem_group_commit_batch_size_count'), payments: read('accept', 'tolem_group_commit_batch_size_sum') },
    settle: { batches: read('settle', 'tolem_group_commit_batch_size_count'), payments: read('settle', 'tolem_group_commit_batch_size_sum') },
  };
}
