import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentApi, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

/**
 * Retry storms: an agent that sends the same pay many times at once gets one payment and one answer. The provider
 * deadline is long here so that the answer every duplicate shares is the final one, however loaded the machine is.
 */
let h: Harness;
let api: ReturnType<typeof agentApi>;
let agentId: bigint;
let nextId = 510_000_000_000_000_000n;
const txn = () => (nextId += 1n).toString();

beforeAll(async () => {
  h = await startTolem({ engine: { providerDeadlineMs: 15_000, providerTimeoutMs: 15_000 } });
  const agent = await newAgent(h.db, { openingBalanceMinor: 100_000_000n });
  agentId = agent.id;
  api = agentApi(h.url, agent.token);
});
afterEach(async () => expectLedgerBalanced(h.db));
afterAll(async () => h?.close());

function payBody(id: string, account = '7770017711', amount = '200.00'): string {
  return `{"serviceId":"P1011","account":"${account}","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;
}

function providerPayments(reference: string) {
  return h.tolem.ctx.sandbox!.simulators.get('mobile')!.committed().filter((p) => p.reference === reference);
}

async function transactionIdOf(id: string): Promise<string> {
  const row = await h.db.query<{ id: bigint }>('SELECT id FROM payments WHERE agent_id = $1 AND agent_txn_id = $2', [agentId, id]);
  return row.rows[0]!.id.toString();
}

describe('concurrent duplicates', () => {
  it('200 simultaneous identical pays → one reservation, one provider payment, 200 identical answers', async () => {
    const id = txn();
    const answers = await Promise.all(Array.from({ length: 200 }, () => api('pay', payBody(id))));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(num(answers[0]!.body.result)).toBe('0');
    const reservations = await h.db.query<{ n: bigint }>(
      `SELECT count(*) AS n FROM ledger_transfers t JOIN payments p ON p.id = t.payment_id WHERE p.agent_txn_id = $1 AND t.kind = 'pending'`, [id]);
    expect(reservations.rows[0]!.n).toBe(1n);
    expect(providerPayments(await transactionIdOf(id))).toHaveLength(1);
  });

  it('concurrent pays with different bodies on one id: one wins, the others are told it exists', async () => {
    const id = txn();
    const answers = await Promise.all(['7770017711', '7770017712', '7770017713', '7770017714'].map((account) => api('pay', payBody(id, account))));
    const codes = answers.map((a) => num(a.body.result)).sort();
    expect(codes.filter((c) => c === '0')).toHaveLength(1);
    expect(codes.filter((c) => c === '215' || c === '202')).toHaveLength(3);
  });

  it('concurrent checks of one id, the same and changed: one row, the same answered alike, the changed told it exists', async () => {
    const id = txn();
    const same = payBody(id);
    const answers = await Promise.all([
      ...Array.from({ length: 12 }, () => api('check', same)),
      ...['7770017712', '7770017713', '7770017714'].map((account) => api('check', payBody(id, account))),
    ]);
    const sameAnswers = answers.slice(0, 12);
    const changedCodes = answers.slice(12).map((a) => num(a.body.result));
    const rows = await h.db.query<{ account: string; n: bigint }>('SELECT account, count(*) OVER () AS n FROM payments WHERE agent_id = $1 AND agent_txn_id = $2', [agentId, id]);
    expect(rows.rows).toHaveLength(1);
    if (rows.rows[0]!.account === '7770017711') {
      expect(sameAnswers.every((a) => num(a.body.result) === '0' && num(a.body.transactionId) === num(sameAnswers[0]!.body.transactionId))).toBe(true);
      expect(changedCodes.every((code) => code === '215')).toBe(true);
    } else {
      // A changed body won the row: every other check of the id is told it exists with another body.
      expect(answers.filter((a) => num(a.body.result) === '0')).toHaveLength(1);
    }
    const events = await h.db.query<{ n: bigint }>('SELECT count(*) AS n FROM payment_events e JOIN payments p ON p.id = e.payment_id WHERE p.agent_id = $1 AND p.agent_txn_id = $2', [agentId, id]);
    expect(events.rows[0]!.n).toBe(1n);
  });
});
