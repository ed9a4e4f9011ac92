/**
 * The Elsom wallet simulator against the gateway with injected provider faults: N payments (1,000 by default,
 * ELSOM_WALLET_RUN_COUNT to change it) through AUTHORIZE → PAYMENT with the retry rule, then a PAYMENT_LIST
 * reconciliation that must find no mismatch. Bounded in time: small concurrency, short retry intervals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerBalanced, startTolem, type Harness } from '../helpers/harness.ts';
import { ELSOM_LOGIN, ELSOM_PASSWORD, ELSOM_TERMINAL, newElsomAgent } from '../helpers/elsom.ts';
import { ElsomBillerClient, summarize } from '../../src/sandbox/elsom-biller-client/simulator.ts';
import { listAttention } from '../../src/engine/attention.ts';
import type { Agent } from '../../src/engine/agents.ts';

const COUNT = Number(process.env.ELSOM_WALLET_RUN_COUNT ?? 1000);
const FAULTS = { http500Rate: 0.03, http500AfterCommitRate: 0.03, malformedRate: 0.03, hangAfterCommitRate: 0.02, hangMs: 1_500, processingMs: 500 };

let h: Harness;
let agent: Agent;

beforeAll(async () => {
  h = await startTolem({ engine: { providerDeadlineMs: 1_000, providerTimeoutMs: 1_000, retryBaseMs: 100, retryMaxMs: 500 } });
  agent = await newElsomAgent(h.db);
  for (const provider of ['mobile-kg', 'internet-kg']) {
    const put = await fetch(`${h.url}/sandbox/${provider}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(FAULTS) });
    expect(put.status).toBe(200);
  }
});
afterAll(async () => h?.close());

/** Mostly ordinary accounts; every 50th is refused by the provider after acceptance, every 50th is slow. */
function plan(index: number) {
  if (index % 2 === 0) {
    const account = index % 50 === 10 ? '996700000009' : index % 50 === 20 ? '996700000001' : `99655${String(index).padStart(6, '0')}5`;
    return { serviceId: '5132', account, amountMinor: 1_000n + BigInt(index % 7) * 150n };
  }
  return { serviceId: '5133', account: `7${String(index).padStart(6, '0')}3`, amountMinor: 1_000n + BigInt(index % 5) * 100n };
}

describe('Elsom wallet simulator', () => {
  it(`pays ${COUNT} payments with provider faults and reconciles with zero mismatches`, async () => {
    const wallet = new ElsomBillerClient({
      url: `${h.url}/elsom`, terminalId: ELSOM_TERMINAL, login: ELSOM_LOGIN, password: ELSOM_PASSWORD,
      // An attempt counts as unanswered only after 10 s, as with the real wallet: a loaded CI machine must not turn slow
      // answers into PAYMENTs that never reached us.
      // The real wallet waits 10 s between its five repeats; 500 ms keeps the run short while five repeats still outlast
      // one provider deadline (1 s) plus a drive's backoff and status query on a loaded machine (at 100 ms, a payment
      // refused after acceptance was once still in processing after the last repeat: assumed paid, a false mismatch).
      retries: 5, retryIntervalMs: 500, requestTimeoutMs: 10_000, utcOffsetMinutes: 360, clock: h.tolem.ctx.clock,
    });
    const started = Date.now();
    const payments = await wallet.run({ count: COUNT, concurrency: 8, payment: plan });
    const paidMs = Date.now() - started;
    const report = await wallet.reconcile({ settleTimeoutMs: 60_000 });
    const totalMs = Date.now() - started;
    const outcomes = summarize(payments);
    console.log(`Elsom wallet run: ${COUNT} payments in ${paidMs} ms, reconciled after ${totalMs} ms (${report.polls} PAYMENT_LIST rounds); outcomes ${JSON.stringify(outcomes)}; biller rows ${report.billerRows}`);

    expect(report.mismatches, JSON.stringify({ mismatches: report.mismatches, payments: payments.filter((p) => report.mismatches.some((m) => m.transactionNumber === p.transactionNumber)) }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).toEqual([]);
    expect(report.walletPaid).toBe(report.billerRows);
    expect(outcomes.paid + outcomes.assumed_paid + outcomes.refused + outcomes.not_authorized).toBe(COUNT);
    expect(outcomes.paid).toBeGreaterThan(COUNT * 0.8);
    const rejected = payments.filter((payment) => payment.account === '996700000009');
    expect(rejected.every((payment) => payment.outcome === 'refused' || payment.outcome === 'not_authorized')).toBe(true);

    // What the wallet did not count as made is not successful here either.
    const notMade = payments.filter((payment) => payment.outcome === 'refused' || payment.outcome === 'not_authorized').map((payment) => BigInt(payment.transactionNumber));
    const succeeded = await h.db.query<{ n: bigint }>(
      `SELECT count(*)::bigint AS n FROM payments WHERE agent_id = $1 AND state = 'succeeded' AND agent_txn_id = ANY($2::bigint[])`,
      [agent.id, notMade.map(String)],
    );
    expect(succeeded.rows[0]!.n).toBe(0n);
    const refusedAfterCommit = (await listAttention(h.db)).filter((item) => item.kind === 'refused_after_commit');
    expect(refusedAfterCommit.length).toBe(rejected.filter((payment) => payment.outcome === 'refused').length);
    await expectLedgerBalanced(h.db);
  }, 240_000);
});
