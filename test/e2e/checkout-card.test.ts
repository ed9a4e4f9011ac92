/**
 * Web checkout by card end to end over HTTP: page forms → Assist sandbox (Delay=1) → signed order state → provider →
 * charge.cfm, or cancel.cfm when the provider refuses; lost returns, forged returns, double submissions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, expectLedgerBalanced, startTolem, type Harness } from '../helpers/harness.ts';
import { accountBalance, CARDS, chooseCard, followReturn, http, orderByToken, payOnAssist, setAssistFaults, startOrder } from '../helpers/checkout.ts';
import { listAttention } from '../../src/engine/attention.ts';

let h: Harness;

beforeAll(async () => {
  h = await startTolem();
});
afterAll(async () => h?.close());

const final = (token: string, state: string) => eventually(async () => ((await orderByToken(h, token)).state === state ? true : undefined), 20_000);
const simOrders = async () => JSON.parse((await http(`${h.url}/sandbox/assist/orders`)).text) as { orderNumber: string; state: string; chargedMinor: string; charges: number; cancels: number }[];

describe('card checkout', () => {
  it('pays a mobile top-up: hold, provider paid, charged in full; the ledger moves acquirer → provider', async () => {
    const acquirerBefore = await accountBalance(h, 'acquirer:assist:KZT');
    const token = await startOrder(h, 'P1011', { account: '7011234567' });
    const form = await chooseCard(h, token, { amount: '500.00' });
    const fields = Object.fromEntries(form.fields);
    expect(fields).toMatchObject({ Merchant_ID: '700001', OrderAmount: '500.00', OrderCurrency: 'KZT', Delay: '1', Language: 'RU', CardPayment: '1' });
    const order = await orderByToken(h, token);
    expect(fields['OrderNumber']).toBe(order.payment_id.toString());
    expect(fields['URL_RETURN_OK']).toBe(`${h.url}/pay/return/${token}/ok`);

    const result = await followReturn(h, await payOnAssist(form, CARDS.approve));
    expect(result).toBe(`${h.url}/pay/r/${token}`);
    await final(token, 'succeeded');
    const page = await http(result);
    expect(page.text).toContain('data-outcome="paid"');
    expect(page.text).toContain(order.payment_id.toString());
    const sim = (await simOrders()).find((o) => o.orderNumber === order.payment_id.toString())!;
    expect(sim).toMatchObject({ state: 'Approved', chargedMinor: '50000' });
    const payment = await h.tolem.ctx.engine.get(order.payment_id);
    expect(payment?.state).toBe('succeeded');
    expect(payment?.providerRef).toBeTruthy();
    expect(page.text).toContain(payment!.providerRef!);
    expect(await accountBalance(h, 'acquirer:assist:KZT')).toBe(acquirerBefore - 50_000n);
    const checkoutAgent = (await h.db.query<{ agent_id: bigint }>(`SELECT agent_id FROM checkout_agents WHERE currency = 'KZT'`)).rows[0]!;
    expect(await accountBalance(h, `agent:${checkoutAgent.agent_id}`)).toBe(0n);
    const reasons = (await h.db.query<{ reason: string }>('SELECT reason FROM ledger_transfers WHERE payment_id = $1 ORDER BY id', [order.payment_id])).rows.map((r) => r.reason);
    expect(reasons[0]).toMatch(/^card hold \d+ for payment/);
    await expectLedgerBalanced(h.db);
  });

  it('a provider refusal releases the hold (cancel.cfm) and moves the money back with a reason', async () => {
    const acquirerBefore = await accountBalance(h, 'acquirer:assist:KZT');
    const token = await startOrder(h, 'P1011', { account: '7011230009' }); // …0009: check passes, pay is rejected
    const form = await chooseCard(h, token, { amount: '700.00' });
    await followReturn(h, await payOnAssist(form, CARDS.approve));
    await final(token, 'released');
    const order = await orderByToken(h, token);
    expect((await http(`${h.url}/pay/r/${token}`)).text).toContain('data-outcome="refused_released"');
    const sim = (await simOrders()).find((o) => o.orderNumber === order.payment_id.toString())!;
    expect(sim).toMatchObject({ state: 'Canceled', chargedMinor: '0', charges: 0 });
    expect(await accountBalance(h, 'acquirer:assist:KZT')).toBe(acquirerBefore);
    const reasons = (await h.db.query<{ reason: string }>('SELECT reason FROM ledger_transfers WHERE payment_id = $1 AND kind = $2 ORDER BY id', [order.payment_id, 'single'])).rows.map((r) => r.reason);
    expect(reasons).toHaveLength(2);
    expect(reasons[1]).toMatch(/^hold released: payment \d+ refused by the provider/);
    await expectLedgerBalanced(h.db);
  });

  it('a declined card and a cancelled payment pay nobody and move no money', async () => {
    const declined = await startOrder(h, 'P1011', { account: '7011234567' });
    await followReturn(h, await payOnAssist(await chooseCard(h, declined, { amount: '100.00' }), CARDS.decline));
    await final(declined, 'declined');
    const cancelled = await startOrder(h, 'P1011', { account: '7011234567' });
    await followReturn(h, await payOnAssist(await chooseCard(h, cancelled, { amount: '100.00' }), CARDS.approve, 'cancel'));
    await final(cancelled, 'cancelled');
    for (const token of [declined, cancelled]) {
      const order = await orderByToken(h, token);
      expect(order.hold_transfer_id).toBeNull();
      expect((await h.tolem.ctx.engine.get(order.payment_id))?.state).toBe('checked');
    }
    expect((await http(`${h.url}/pay/r/${cancelled}`)).text).toContain('data-outcome="cancelled"');
  });

  it('a lost return redirect is recovered through the order state', async () => {
    await setAssistFaults(h, { dropReturnRate: 1 });
    try {
      const token = await startOrder(h, 'P1011', { account: '7011234567' });
      const done = await payOnAssist(await chooseCard(h, token, { amount: '250.00' }), CARDS.approve);
      expect(done.status).toBe(200); // the person stays on Assist's page: no redirect back
      expect(done.text).toContain('assist-done');
      await final(token, 'succeeded'); // the durable step asked orderstate.cfm
    } finally {
      await setAssistFaults(h, { dropReturnRate: 0 });
    }
  });

  it('a return URL hit without a payment, or with a forged signature on the answer, pays nobody', async () => {
    const token = await startOrder(h, 'P1011', { account: '7011234567' });
    const form = await chooseCard(h, token, { amount: '300.00' });
    // The person never went to Assist, but the return URL is hit (forged, replayed, bookmarked).
    for (const kind of ['ok', 'no', 'ok']) {
      const back = await http(`${h.url}/pay/return/${token}/${kind}`);
      expect(back.status).toBe(303);
    }
    expect((await orderByToken(h, token)).state).toBe('redirected');
    // Now Assist authorises, but its answers come with tampered signatures: still nothing moves.
    await setAssistFaults(h, { badSignatureRate: 1 });
    try {
      await followReturn(h, await payOnAssist(form, CARDS.approve));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const order = await orderByToken(h, token);
      expect(order.state).toBe('redirected');
      expect(order.hold_transfer_id).toBeNull();
      expect((await h.tolem.ctx.engine.get(order.payment_id))?.state).toBe('checked');
    } finally {
      await setAssistFaults(h, { badSignatureRate: 0 });
    }
    await http(`${h.url}/pay/return/${token}/ok`);
    await final(token, 'succeeded');
    await expectLedgerBalanced(h.db);
  });

  it('double submissions and back-button resubmissions lead to one Assist order and one payment', async () => {
    const token = await startOrder(h, 'P1011', { account: '7011234567' });
    const [a, b] = await Promise.all([
      http(`${h.url}/pay/o/${token}`, { form: { amount: '120.00', method: 'card' } }),
      http(`${h.url}/pay/o/${token}`, { form: { amount: '999.00', method: 'card' } }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 303]); // one form to Assist, the other to the result page
    const form = a.status === 200 ? a : b;
    const action = /action="([^"]+)" data-autosubmit/.exec(form.text)![1]!.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c)));
    const fields = [...form.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c)))] as [string, string]);
    await followReturn(h, await payOnAssist({ action, fields }, CARDS.approve));
    await final(token, 'succeeded');
    // Back button: the order page and the Assist form again.
    const again = await http(`${h.url}/pay/o/${token}`, { form: { amount: '120.00', method: 'card' } });
    expect(again.status).toBe(303);
    expect(again.location).toBe(`/pay/r/${token}`);
    const replay = await http(action, { form: fields });
    expect(replay.text).toContain('уже обработан');
    const order = await orderByToken(h, token);
    expect(order.amount_minor).toBe(fields.find(([k]) => k === 'OrderAmount')![1] === '120.00' ? 12_000n : 99_900n);
    const holds = (await h.db.query(`SELECT 1 FROM ledger_transfers WHERE payment_id = $1 AND reason LIKE 'card hold%'`, [order.payment_id])).rowCount;
    expect(holds).toBe(1);
  });

  it('pays a bank contract (choice) and a utility invoice with meter readings', async () => {
    const bank = await startOrder(h, 'P0006', { account: '123456789012' });
    const bankPage = await http(`${h.url}/pay/o/${bank}`);
    const contractId = /name="contractId" value="([^"]+)"/.exec(bankPage.text)?.[1];
    expect(contractId).toBeDefined();
    await followReturn(h, await payOnAssist(await chooseCard(h, bank, { contractId: contractId!, amount: '1500.00' }), CARDS.approve));
    await final(bank, 'succeeded');

    const utility = await startOrder(h, 'P0007', { account: '1234567890' });
    const page = await http(`${h.url}/pay/o/${utility}`);
    const ids = [...page.text.matchAll(/name="line\.(\d+)\.id" value="([^"]+)"/g)].map((m): [string, string] => [m[1]!, m[2]!]);
    expect(ids.length).toBeGreaterThan(1);
    const meterIndex = /name="line\.(\d+)\.lastCount"/.exec(page.text)?.[1];
    const prev = /<label>[^<]+<\/label><input type="text" value="([^"]*)" disabled>/.exec(page.text)?.[1] ?? '0';
    const pairs: [string, string][] = [];
    for (const [i, id] of ids) {
      pairs.push([`line.${i}.id`, id], [`line.${i}.amount`, i === '0' || i === meterIndex ? '100.00' : '']);
      if (i === meterIndex) pairs.push([`line.${i}.lastCount`, String(Math.ceil(Number(prev)) + 5)]);
    }
    const form = await chooseCard(h, utility, pairs);
    const amount = Object.fromEntries(form.fields)['OrderAmount'];
    expect(amount).toBe(meterIndex && meterIndex !== '0' ? '200.00' : '100.00');
    await followReturn(h, await payOnAssist(form, CARDS.approve));
    await final(utility, 'succeeded');
    await expectLedgerBalanced(h.db);
  });

  it('refuses bad input with a clear message and no order', async () => {
    const bad = await http(`${h.url}/pay/s/P1011`, { form: { account: '12<script>' } });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('Проверьте поле');
    expect(bad.text).not.toContain('<script>');
    const token = await startOrder(h, 'P1011', { account: '7011234567' });
    const badAmount = await http(`${h.url}/pay/o/${token}`, { form: { amount: '10.001', method: 'card' } });
    expect(badAmount.status).toBe(422);
    expect(badAmount.text).toContain('role="alert"');
    const tooSmall = await http(`${h.url}/pay/o/${token}`, { form: { amount: '1.00', method: 'card' } });
    expect(tooSmall.status).toBe(422);
    const unknown = await http(`${h.url}/pay/r/nosuchtoken12345`);
    expect(unknown.status).toBe(404);
    expect(unknown.text).not.toMatch(/at .*\.ts:\d+/);
    expect(await listAttention(h.db)).toEqual([]);
  });
});
