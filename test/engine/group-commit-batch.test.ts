import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAgent } from '../../src/engine/agents.ts';
import { providerAccountCode } from '../../src/engine/payments.ts';
import { SETTLED_ATTENTION_KIND_LIST } from '../../src/engine/attention.ts';
import { ensureAccount } from '../../src/ledger/ledger.ts';
import { expectLedgerBalanced, newAgent, startTolem, type Harness } from '../helpers/harness.ts';

/**
 * Group commit's two statements (migration 021), property-tested against a model: any batch of checked pays — with
 * duplicates of one id inside the batch (the same or a changed amount), ids already paid, ids never checked, funds
 * too short for some — accepts exactly what one-by-one acceptance in the same order would: the first eligible pay of
 * each id whose funds fit the floor after the ones before it; each with one reservation, one pay attempt and one
 * timeline entry. Any batch of successes, with duplicates, settles each payment once: one posting, one entry.
 */
let h: Harness;
let providerAccount: bigint;
let nextTxn = 720_000_000_000_000_001n;
const at = new Date('2026-11-30T19:00:00Z');

beforeAll(async () => {
  h = await startTolem({ jobs: false });
  providerAccount = await ensureAccount(h.db, providerAccountCode('sandbox-mobile', 'KZT'), 'provider', 'KZT');
});
afterAll(async () => h?.close());

interface Pay { agent: number; txn: number; amount: number }
interface Scenario { balances: number[]; pays: Pay[]; paidBefore: boolean[]; checked: boolean[] }

const TXNS = 6;
const scenario: fc.Arbitrary<Scenario> = fc.integer({ min: 1, max: 3 }).chain((agents) => fc.record({
  balances: fc.array(fc.integer({ min: 0, max: 60_000 }), { minLength: agents, maxLength: agents }),
  pays: fc.array(fc.record({ agent: fc.integer({ min: 0, max: agents - 1 }), txn: fc.integer({ min: 0, max: TXNS - 1 }), amount: fc.integer({ min: 1, max: 25_000 }) }),
    { minLength: 1, maxLength: 40 }),
  paidBefore: fc.array(fc.boolean(), { minLength: agents * TXNS, maxLength: agents * TXNS }),
  checked: fc.array(fc.constantFrom(true, true, true, false), { minLength: agents * TXNS, maxLength: agents * TXNS }),
}));

/** How much of each path the generated batches went through (the property must not pass vacuously). */
const exercised = { accepted: 0, shortOfFunds: 0, duplicates: 0 };

/** What one-by-one acceptance in order would take: key → amount. */
function expectedAcceptance(s: Scenario): Map<string, number> {
  const available = [...s.balances];
  const taken = new Map<string, number>();
  for (const pay of s.pays) {
    const slot = pay.agent * TXNS + pay.txn;
    const key = `${pay.agent}:${pay.txn}`;
    if (!s.checked[slot] || s.paidBefore[slot]) continue;
    if (taken.has(key)) {
      exercised.duplicates += 1;
      continue;
    }
    if (available[pay.agent]! - pay.amount < 0) {
      exercised.shortOfFunds += 1;
      continue;
    }
    available[pay.agent]! -= pay.amount;
    taken.set(key, pay.amount);
  }
  exercised.accepted += taken.size;
  return taken;
}

async function setUp(s: Scenario) {
  const agents = [];
  for (const balance of s.balances) {
    const created = await newAgent(h.db, { openingBalanceMinor: BigInt(balance) });
    agents.push((await findAgent(h.db, created.id))!);
  }
  const txnIds: bigint[] = Array.from({ length: TXNS }, () => nextTxn++);
  for (const [index, agent] of agents.entries()) {
    for (let txn = 0; txn < TXNS; txn++) {
      const slot = index * TXNS + txn;
      if (!s.checked[slot]) continue;
      await h.db.query(
        `INSERT INTO payments (agent_id, agent_txn_id, service_id, account, currency, request, check_hash, pay_hash, state, result_code, result_message, provider, created_at)
         VALUES ($1, $2, 'P1011', '7770017711', 'KZT', '{}', 'check', $3, $4, $5, $6, 'sandbox-mobile', $7)`,
        [agent.id, txnIds[txn], s.paidBefore[slot] ? 'paid before' : null, s.paidBefore[slot] ? 'succeeded' : 'checked',
          0, s.paidBefore[slot] ? 'Успешно' : 'OK', at],
      );
    }
  }
  return { agents, txnIds };
}

describe('accept_checked_pays and settle_succeeded_pays', () => {
  it('a batch accepts what one-by-one acceptance in its order would, and settles each success once', { timeout: 240_000 }, async () => {
    await fc.assert(fc.asyncProperty(scenario, async (s) => {
      const { agents, txnIds } = await setUp(s);
      const items = s.pays.map((pay, n) => ({
        agent: agents[pay.agent]!.id.toString(), txn: txnIds[pay.txn]!.toString(), amountTo: String(pay.amount), amountFrom: String(pay.amount),
        txnDate: null, request: JSON.stringify({ n }), payHash: `pay ${n}`, mustComplete: false, providerData: null, agentReference: null,
        leaseOwner: `owner ${n}`, debit: agents[pay.agent]!.ledgerAccountId.toString(), credit: providerAccount.toString(), floor: '0', partner: 'sandbox-mobile',
      }));
      const accepted = await h.db.query<{ agent_id: bigint; agent_txn_id: bigint; amount_to_minor: bigint; reservation_id: bigint; pay_hash: string; state: string }>(
        'SELECT * FROM accept_checked_pays($1::jsonb, $2, $3)', [JSON.stringify(items), at, 30_000]);

      const expected = expectedAcceptance(s);
      const got = new Map(accepted.rows.map((row) => [
        `${agents.findIndex((a) => a.id === row.agent_id)}:${txnIds.indexOf(row.agent_txn_id)}`, Number(row.amount_to_minor)]));
      expect(got).toEqual(expected);
      expect(accepted.rows.every((row) => row.state === 'accepted' && row.reservation_id !== null)).toBe(true);
      // The first eligible pay of an id is the one taken: its hash is that item's.
      for (const row of accepted.rows) {
        const first = items.find((item) => item.agent === row.agent_id.toString() && item.txn === row.agent_txn_id.toString() && item.amountTo === row.amount_to_minor.toString());
        expect(row.pay_hash).toBe(first!.payHash);
      }

      for (const [index, agent] of agents.entries()) {
        const reserved = [...expected].filter(([key]) => key.startsWith(`${index}:`)).reduce((sum, [, amount]) => sum + amount, 0);
        const account = await h.db.query<{ debits_pending: bigint; credits_posted: bigint }>('SELECT debits_pending, credits_posted FROM ledger_accounts WHERE id = $1', [agent.ledgerAccountId]);
        expect(account.rows[0]!.debits_pending).toBe(BigInt(reserved));
        expect(account.rows[0]!.credits_posted - account.rows[0]!.debits_pending).toBeGreaterThanOrEqual(0n);
      }
      const ids = accepted.rows.map((row) => row.reservation_id);
      const perPayment = await h.db.query<{ payment_id: bigint; transfers: bigint; attempts: bigint; entries: bigint }>(
        `SELECT p.id AS payment_id,
                (SELECT count(*) FROM ledger_transfers t WHERE t.payment_id = p.id AND t.kind = 'pending') AS transfers,
                (SELECT count(*) FROM outbound_attempts o WHERE o.payment_id = p.id AND o.kind = 'pay') AS attempts,
                (SELECT count(*) FROM payment_events e WHERE e.payment_id = p.id AND e.to_state = 'accepted') AS entries
           FROM payments p WHERE p.reservation_id = ANY($1::bigint[])`, [ids]);
      expect(perPayment.rows).toHaveLength(accepted.rows.length);
      expect(perPayment.rows.every((row) => row.transfers === 1n && row.attempts === 1n && row.entries === 1n)).toBe(true);

      // Successes: every accepted payment, some twice, in a shuffled order.
      const paymentIds = perPayment.rows.map((row) => row.payment_id);
      const successes = [...paymentIds, ...paymentIds.filter((_, i) => i % 2 === 0)].reverse()
        .map((id) => ({ id: id.toString(), code: 0, message: 'Успешно', providerRef: `ref-${id}`, payAnswer: 'paid' }));
      if (successes.length === 0) return;
      const settled = await h.db.query<{ id: bigint; state: string; provider_ref: string }>(
        'SELECT * FROM settle_succeeded_pays($1::jsonb, $2, $3)', [JSON.stringify(successes), at, SETTLED_ATTENTION_KIND_LIST]);
      expect(settled.rows.map((row) => row.id).sort()).toEqual([...paymentIds].sort());
      expect(settled.rows.every((row) => row.state === 'succeeded' && row.provider_ref === `ref-${row.id}`)).toBe(true);
      const after = await h.db.query<{ posts: bigint; answered: bigint; entries: bigint }>(
        `SELECT (SELECT count(*) FROM ledger_transfers t WHERE t.payment_id = p.id AND t.kind = 'post') AS posts,
                (SELECT count(*) FROM outbound_attempts o WHERE o.payment_id = p.id AND o.answered_at IS NOT NULL AND o.outcome = 'paid') AS answered,
                (SELECT count(*) FROM payment_events e WHERE e.payment_id = p.id AND e.to_state = 'succeeded') AS entries
           FROM payments p WHERE p.id = ANY($1::bigint[])`, [paymentIds]);
      expect(after.rows.every((row) => row.posts === 1n && row.answered === 1n && row.entries === 1n)).toBe(true);
      await expectLedgerBalanced(h.db);
    }), { seed: 20_261_201, numRuns: 40 });
    expect(exercised.accepted).toBeGreaterThan(30);
    expect(exercised.shortOfFunds).toBeGreaterThan(5);
    expect(exercised.duplicates).toBeGreaterThan(5);
  });

  it('a batch the ledger refuses is undone whole', async () => {
    const agent = (await findAgent(h.db, (await newAgent(h.db, { openingBalanceMinor: 10_000n })).id))!;
    const txn = nextTxn++;
    await h.db.query(
      `INSERT INTO payments (agent_id, agent_txn_id, service_id, account, currency, request, check_hash, state, result_code, result_message, provider, created_at)
       VALUES ($1, $2, 'P1011', '7770017711', 'KZT', '{}', 'check', 'checked', 0, 'OK', 'sandbox-mobile', $3)`, [agent.id, txn, at]);
    const item = { agent: agent.id.toString(), txn: txn.toString(), amountTo: '500', amountFrom: '500', txnDate: null, request: '{}', payHash: 'p', mustComplete: false,
      providerData: null, agentReference: null, leaseOwner: 'o', debit: agent.ledgerAccountId.toString(), credit: providerAccount.toString(), floor: '0', partner: 'sandbox-mobile' };
    const [row] = (await h.db.query<{ id: bigint; reservation_id: bigint }>('SELECT * FROM accept_checked_pays($1::jsonb, $2, $3)', [JSON.stringify([item]), at, 30_000])).rows;
    // Someone posted the reservation behind the engine's back: the batch's posting of it is refused, and nothing of
    // the batch stays (the engine then settles each of its payments alone, where the refusal is only this one's).
    await h.db.query(`SELECT ledger_resolve('post', $1, 'by hand', $2)`, [row!.reservation_id, at]);
    await expect(h.db.query('SELECT * FROM settle_succeeded_pays($1::jsonb, $2, $3)',
      [JSON.stringify([{ id: row!.id.toString(), code: 0, message: 'Успешно', providerRef: null, payAnswer: 'paid' }]), at, SETTLED_ATTENTION_KIND_LIST])).rejects.toThrow(/already_resolved/);
    const state = await h.db.query<{ state: string }>('SELECT state FROM payments WHERE id = $1', [row!.id]);
    expect(state.rows[0]!.state).toBe('accepted');
    await expectLedgerBalanced(h.db);
  });
});
