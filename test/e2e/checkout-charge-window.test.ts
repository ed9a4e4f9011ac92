/**
 * Assist holds a card authorisation for four days. A hold whose provider payment is still unresolved near the end of
 * that window goes to the attention list; once the provider answers, the charge follows as usual.
 * The test moves the hub's clock 88 hours on instead of waiting them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clockAt, eventually, expectLedgerBalanced, startTolem, type Harness } from '../helpers/harness.ts';
import { CARDS, chooseCard, followReturn, orderByToken, payOnAssist, startOrder } from '../helpers/checkout.ts';
import { listAttention } from '../../src/engine/attention.ts';

let h: Harness;
const clock = clockAt('2026-02-26T21:00:00+05:00');

beforeAll(async () => {
  h = await startTolem({ clock, engine: { providerDeadlineMs: 500, providerTimeoutMs: 500, retryBaseMs: 200, retryMaxMs: 400 } });
});
afterAll(async () => h?.close());

describe('the 4-day charge window', () => {
  it('warns operators about a hold whose provider payment is unresolved, then charges once the provider answers', async () => {
    const mobile = h.tolem.ctx.sandbox!.simulators.get('mobile')!;
    const token = await startOrder(h, 'P1011', { account: '7011234567' });
    // The account was checked; from now on the operator does not answer.
    mobile.setFaults({ http500Rate: 1 });
    await followReturn(h, await payOnAssist(await chooseCard(h, token, { amount: '250.00' }), CARDS.approve));
    const order = await eventually(async () => {
      const current = await orderByToken(h, token);
      return current.state === 'authorised' ? current : undefined;
    }, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await listAttention(h.db)).some((i) => i.kind === 'charge_window')).toBe(false);
    // 88 hours later (across the end of February), 8 hours before the 4 days are out, the hold is near the end of its window.
    clock.advance(88 * 60 * 60_000);
    const item = await eventually(async () => (await listAttention(h.db)).find((i) => i.kind === 'charge_window' && i.paymentId === order.payment_id), 20_000);
    expect(item.reason).toMatch(/4-day charge window/);

    mobile.setFaults({ http500Rate: 0 });
    await eventually(async () => ((await orderByToken(h, token)).state === 'succeeded' ? true : undefined), 30_000);
    expect((await h.tolem.ctx.engine.get(order.payment_id))?.state).toBe('succeeded');
    await expectLedgerBalanced(h.db);
  });
});
