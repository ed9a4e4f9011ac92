import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { agentApi, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import { answerAttempt, attemptedBefore, keepLease, startAttempt } from '../../src/engine/outbound.ts';

/**
 * The pieces of "ask before you pay" on a real database: attempts recorded before a call and answered after it, and
 * the short lease that its holder renews while the call runs and gives up when someone else holds it.
 */
let h: Harness;
let paymentId: bigint;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  h = await startTolem({ jobs: false, engine: { leaseMs: 300 } });
  const agent = await newAgent(h.db);
  const paid = await agentApi(h.url, agent.token)('pay', '{"serviceId":"P1011","account":"7770011111","agentTransactionId":1,"agentTransactionDate":"2026-11-22T10:00:00","amountTo":100.00,"amountFrom":100.00}');
  paymentId = BigInt(num(paid.body.transactionId));
});
afterAll(async () => h?.close());

const lease = async () => (await h.db.query<{ lease_until: Date | null; lease_owner: string | null }>('SELECT lease_until, lease_owner FROM payments WHERE id = $1', [paymentId])).rows[0]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('outbound attempts', () => {
  it('a pay through the engine is recorded before it leaves and answered after', async () => {
    const rows = (await h.db.query<{ kind: string; partner: string; answered_at: Date | null; outcome: string }>('SELECT * FROM outbound_attempts WHERE payment_id = $1', [paymentId])).rows;
    expect(rows).toMatchObject([{ kind: 'pay', partner: 'sandbox-mobile', outcome: 'paid' }]);
    expect(rows[0]!.answered_at).not.toBeNull();
  });

  it('an attempt of one kind says nothing of another', async () => {
    expect(await attemptedBefore(h.db, paymentId, 'charge')).toBe(false);
    const attempt = await startAttempt(h.db, paymentId, 'assist', 'charge');
    expect(await attemptedBefore(h.db, paymentId, 'charge')).toBe(true);
    await answerAttempt(h.db, attempt, 'approved');
  });
});

describe('leases', () => {
  it('are renewed by their holder while its call runs', async () => {
    await h.db.query(`UPDATE payments SET lease_owner = 'me', lease_until = now() + interval '300 milliseconds' WHERE id = $1`, [paymentId]);
    const held = keepLease(h.db, 'payments', paymentId, 'me', 300, log);
    await sleep(900);
    const current = await lease();
    held.stop();
    expect(held.lost.aborted).toBe(false);
    expect(current.lease_until!.getTime()).toBeGreaterThan(Date.now());
  });

  it('are given up, aborting the call, once someone else holds them', async () => {
    await h.db.query(`UPDATE payments SET lease_owner = 'me', lease_until = now() + interval '300 milliseconds' WHERE id = $1`, [paymentId]);
    const held = keepLease(h.db, 'payments', paymentId, 'me', 300, log);
    await h.db.query(`UPDATE payments SET lease_owner = 'someone else' WHERE id = $1`, [paymentId]);
    await sleep(400);
    held.stop();
    expect(held.lost.aborted).toBe(true);
    expect((await lease()).lease_owner).toBe('someone else');
    await h.db.query('UPDATE payments SET lease_owner = NULL, lease_until = NULL WHERE id = $1', [paymentId]);
  });
});
