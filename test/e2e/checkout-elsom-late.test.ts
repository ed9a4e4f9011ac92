/**
 * An Elsom debit that comes after its checkout order expired: the person was told the order expired, so the provider
 * is not paid; the wallet was debited, so the operators get a refund item — money is never silently kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, expectLedgerBalanced, startTolem, type Harness } from '../helpers/harness.ts';
import { http, orderByToken, startOrder } from '../helpers/checkout.ts';
import { listAttention } from '../../src/engine/attention.ts';

let h: Harness;
const previousTtl = process.env.CHECKOUT_ORDER_TTL_MS;
const previousPoll = process.env.CHECKOUT_POLL_MS;

beforeAll(async () => {
  process.env.CHECKOUT_ORDER_TTL_MS = '1500';
  process.env.CHECKOUT_POLL_MS = '200';
  h = await startTolem();
});
afterAll(async () => {
  if (previousTtl === undefined) delete process.env.CHECKOUT_ORDER_TTL_MS;
  else process.env.CHECKOUT_ORDER_TTL_MS = previousTtl;
  if (previousPoll === undefined) delete process.env.CHECKOUT_POLL_MS;
  else process.env.CHECKOUT_POLL_MS = previousPoll;
  await h?.close();
});

describe('Elsom debit after the order expired', () => {
  it('raises a refund item and pays nobody', async () => {
    const token = await startOrder(h, 'P1011', { account: '7011234567' });
    const chosen = await http(`${h.url}/pay/o/${token}?lang=ru`, { form: { amount: '300.00', method: 'elsom' } });
    expect(chosen.status, chosen.text).toBe(303);
    const otpUrl = chosen.location!;
    await eventually(async () => ((await orderByToken(h, token)).state === 'expired' ? true : undefined), 20_000);

    const paid = await http(otpUrl, { form: { wallet: '0555123456', otp: '1234', action: 'pay' } });
    expect(paid.status, paid.text).toBe(303);
    const order = await orderByToken(h, token);
    const item = await eventually(async () => (await listAttention(h.db)).find((i) => i.kind === 'refund' && i.paymentId === order.payment_id), 20_000);
    expect(item.reason).toMatch(/after its order had expired/);
    expect(item.details).toMatchObject({ amountMinor: '30000', currency: 'KZT' });
    expect((await orderByToken(h, token)).state).toBe('expired');
    expect((await h.tolem.ctx.engine.get(order.payment_id))?.state).not.toBe('succeeded');
    const moved = await h.db.query('SELECT 1 FROM ledger_transfers WHERE payment_id = $1', [order.payment_id]);
    expect(moved.rowCount).toBe(0);
    await expectLedgerBalanced(h.db);
  });
});
