/**
 * Web checkout by Elsom wallet over HTTP: IA_Init → OTP page → callbacks (duplicated, out of order, lost) and status
 * polling combined; forged callbacks (wrong address, unknown PartnerTrnID, wrong amount, replays); a provider refusal
 * after the debit becomes a refund on the attention list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, expectLedgerBalanced, startTolem, type Harness } from '../helpers/harness.ts';
import { accountBalance, http, orderByToken, setElsomFaults, startOrder } from '../helpers/checkout.ts';
import { listAttention } from '../../src/engine/attention.ts';
import { encodeElsomPaymentResult } from '../../src/acquiring/elsom-merchant/codec.ts';

let h: Harness;

beforeAll(async () => {
  h = await startTolem();
});
afterAll(async () => h?.close());

const final = (token: string, state: string) => eventually(async () => ((await orderByToken(h, token)).state === state ? true : undefined), 20_000);
const simPayments = async () => JSON.parse((await http(`${h.url}/sandbox/elsom-merchant/payments`)).text) as { partnerTrnId: string; status: string; callbacksSent: number; callbacksAccepted: number; culture: string }[];

/** Inputs → Elsom OTP page URL (and the cookie that brings the person back). */
async function chooseElsom(token: string, amount: string, lang = 'ru'): Promise<{ otpUrl: string; cookie: string }> {
  const answer = await http(`${h.url}/pay/o/${token}?lang=${lang}`, { form: { amount, method: 'elsom' } });
  expect(answer.status, answer.text).toBe(303);
  expect(answer.location).toContain('/sandbox/elsom-merchant/merchant-payment/');
  return { otpUrl: answer.location!, cookie: /tolem_elsom=[\w-]+/.exec(answer.setCookie ?? '')![0] };
}

async function payOnElsom(otpUrl: string, form: Record<string, string>, cookie: string): Promise<void> {
  const done = await http(otpUrl, { form });
  expect(done.status, done.text).toBe(303);
  expect(done.location).toBe(`${h.url}/pay/elsom/return`);
  const back = await http(done.location!, { headers: { cookie } });
  expect(back.status).toBe(303);
  expect(back.location).toMatch(/^\/pay\/r\//);
}

const callback = (partnerTrnId: string, status: string, extra: Record<string, string> = {}) => {
  const body = JSON.parse(encodeElsomPaymentResult({ CultureInfo: 'ru-RU', MSISDN: '0555123456', PartnerTrnID: partnerTrnId, PSPTTrnID: 'PSPFORGED', PaymentStatus: status }));
  Object.assign(body.PartnerPaymentResult, extra);
  return http(`${h.url}/pay/elsom/callback`, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
};

describe('Elsom wallet checkout', () => {
  it('pays a mobile top-up: IA_Init with every field, OTP page, callback + status A, provider paid', async () => {
    const acquirerBefore = await accountBalance(h, 'acquirer:elsom:KZT');
    const token = await startOrder(h, 'P1011', { account: '7011234567' });
    const { otpUrl, cookie } = await chooseElsom(token, '400.00', 'ky');
    expect(otpUrl).toMatch(/\?language=ky&platform=web$/);
    await payOnElsom(otpUrl, { wallet: '0555123456', otp: '1234', action: 'pay' }, cookie);
    await final(token, 'succeeded');
    const order = await orderByToken(h, token);
    const sim = (await simPayments()).find((p) => p.partnerTrnId === order.payment_id.toString())!;
    expect(sim).toMatchObject({ status: 'A', culture: 'ky-KG' });
    await eventually(async () => ((await simPayments()).find((p) => p.partnerTrnId === order.payment_id.toString())!.callbacksAccepted >= 1 ? true : undefined));
    expect((await h.tolem.ctx.engine.get(order.payment_id))?.state).toBe('succeeded');
    expect(await accountBalance(h, 'acquirer:elsom:KZT')).toBe(acquirerBefore - 40_000n);
    await expectLedgerBalanced(h.db);
  });

  it('pays a bank contract (choice) by wallet', async () => {
    const token = await startOrder(h, 'P0006', { account: '123456789012' });
    const page = await http(`${h.url}/pay/o/${token}`);
    const contractId = /name="contractId" value="([^"]+)"/.exec(page.text)?.[1];
    expect(contractId).toBeDefined();
    const chosen = await http(`${h.url}/pay/o/${token}?lang=ru`, { form: { contractId: contractId!, amount: '2500.00', method: 'elsom' } });
    expect(chosen.status, chosen.text).toBe(303);
    const cookie = /tolem_elsom=[\w-]+/.exec(chosen.setCookie ?? '')![0];
    await payOnElsom(chosen.location!, { wallet: '0555123456', otp: '1234', action: 'pay' }, cookie);
    await final(token, 'succeeded');
    const order = await orderByToken(h, token);
    const payment = await h.tolem.ctx.engine.get(order.payment_id);
    expect(payment).toMatchObject({ state: 'succeeded', serviceId: 'P0006', amountToMinor: 250_000n });
    await expectLedgerBalanced(h.db);
  });

  it('a callback storm (duplicates, a stale out-of-order status, status lagging behind) pays the provider once', async () => {
    await setElsomFaults(h, { callbackDuplicates: 20, callbackOutOfOrder: true, statusLagMs: 1_500, callbackDelayMs: 0 });
    try {
      const token = await startOrder(h, 'P1011', { account: '7011234567' });
      const { otpUrl, cookie } = await chooseElsom(token, '150.00');
      await payOnElsom(otpUrl, { wallet: '0555123456', otp: '1234', action: 'pay' }, cookie);
      await final(token, 'succeeded');
      const order = await orderByToken(h, token);
      // Replays of the same callback after the fact change nothing either.
      for (let i = 0; i < 5; i++) expect(JSON.parse((await callback(order.payment_id.toString(), i % 2 ? '4' : 'A')).text).Response.ErrorCode).toBe('0');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await orderByToken(h, token)).state).toBe('succeeded');
      const transfers = await h.db.query(`SELECT 1 FROM ledger_transfers WHERE payment_id = $1 AND reason LIKE 'Elsom wallet debit%'`, [order.payment_id]);
      expect(transfers.rowCount).toBe(1);
      const simPay = (await simPayments()).find((p) => p.partnerTrnId === order.payment_id.toString())!;
      expect(simPay.callbacksAccepted).toBeGreaterThanOrEqual(21);
    } finally {
      await setElsomFaults(h, { callbackDuplicates: 0, callbackOutOfOrder: false, statusLagMs: 0, callbackDelayMs: 200 });
    }
    await expectLedgerBalanced(h.db);
  });

  it('lost callbacks and a lost return are recovered by polling the status', async () => {
    await setElsomFaults(h, { callbackLossRate: 1 });
    try {
      const token = await startOrder(h, 'P1011', { account: '7011234567' });
      const { otpUrl } = await chooseElsom(token, '160.00');
      const done = await http(otpUrl, { form: { wallet: '0555123456', otp: '1234', action: 'pay' } });
      expect(done.status).toBe(303); // …but the person never follows it back
      await final(token, 'succeeded');
    } finally {
      await setElsomFaults(h, { callbackLossRate: 0 });
    }
  });

  it('forged callbacks: wrong address, unknown PartnerTrnID, wrong amount, a forged A — none pays anything', async () => {
    const token = await startOrder(h, 'P1011', { account: '7011234567' });
    await chooseElsom(token, '170.00');
    const order = await orderByToken(h, token);
    const id = order.payment_id.toString();
    const body = encodeElsomPaymentResult({ CultureInfo: 'ru-RU', MSISDN: '0555123456', PartnerTrnID: id, PSPTTrnID: 'PSP1', PaymentStatus: 'A' });
    const foreign = await h.tolem.app.inject({ method: 'POST', url: '/pay/elsom/callback', payload: body, headers: { 'content-type': 'application/json' }, remoteAddress: '203.0.113.9' });
    expect(foreign.statusCode).toBe(403);
    expect(JSON.parse(foreign.body).Response.ErrorCode).not.toBe('0');
    expect(JSON.parse((await callback('999999999999999999', 'A')).text).Response).toEqual({ ErrorCode: '3', ErrorMsg: 'Unknown PartnerTrnID' });
    expect(JSON.parse((await callback(id, 'A', { Amount: '1.00' })).text).Response.ErrorCode).toBe('5');
    const garbage = await http(`${h.url}/pay/elsom/callback`, { body: '{"PartnerPaymentResult": [1,2', headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(garbage.text).Response.ErrorCode).toBe('2');
    // A well-formed forged "A" from an allowed address is only a hint: Elsom's status says "1", so nothing moves.
    expect(JSON.parse((await callback(id, 'A', { Amount: '170.00' })).text).Response).toEqual({ ErrorCode: '0', ErrorMsg: 'Success' });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = await orderByToken(h, token);
    expect(after.state).toBe('redirected');
    expect(after.hold_transfer_id).toBeNull();
    expect((await h.tolem.ctx.engine.get(after.payment_id))?.state).toBe('checked');
    // The callback answer is the spec's, byte for byte.
    expect((await callback(id, '1')).text).toBe('{\n  "Response": {\n    "ErrorCode": "0",\n    "ErrorMsg": "Success"\n  }\n}');
  });

  // Found by the callback's fuzz set: a body over the limit was answered with the checkout's HTML error page.
  it('a callback over 64 KiB is answered in Elsom\'s protocol: malformed from an allowed address, 403 from any other', async () => {
    const huge = JSON.stringify({ PartnerPaymentResult: { PartnerTrnID: '1', PaymentStatus: 'A', pad: 'x'.repeat(70 * 1024) } });
    const allowed = await h.tolem.app.inject({ method: 'POST', url: '/pay/elsom/callback', payload: huge, headers: { 'content-type': 'application/json' } });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(allowed.body).Response.ErrorCode).toBe('2');
    const foreign = await h.tolem.app.inject({ method: 'POST', url: '/pay/elsom/callback', payload: huge, headers: { 'content-type': 'application/json' }, remoteAddress: '203.0.113.9' });
    expect(foreign.statusCode).toBe(403);
    expect(JSON.parse(foreign.body).Response).toEqual({ ErrorCode: '150', ErrorMsg: 'Address not allowed' });
  });

  it('a wallet without money, and a cancel on the OTP page, end the order with nothing paid', async () => {
    const poor = await startOrder(h, 'P1011', { account: '7011234567' });
    const a = await chooseElsom(poor, '180.00');
    await payOnElsom(a.otpUrl, { wallet: '0555000002', otp: '1234', action: 'pay' }, a.cookie);
    await final(poor, 'declined');
    const cancel = await startOrder(h, 'P1011', { account: '7011234567' });
    const b = await chooseElsom(cancel, '190.00');
    await payOnElsom(b.otpUrl, { action: 'cancel' }, b.cookie);
    await final(cancel, 'cancelled');
    expect((await http(`${h.url}/pay/r/${cancel}`)).text).toContain('data-outcome="cancelled"');
  });

  it('a provider refusal after the debit moves the money back and puts a refund on the attention list', async () => {
    const acquirerBefore = await accountBalance(h, 'acquirer:elsom:KZT');
    const token = await startOrder(h, 'P1011', { account: '7011230009' });
    const { otpUrl, cookie } = await chooseElsom(token, '210.00');
    await payOnElsom(otpUrl, { wallet: '0555123456', otp: '1234', action: 'pay' }, cookie);
    await final(token, 'refund_due');
    const order = await orderByToken(h, token);
    expect((await http(`${h.url}/pay/r/${token}`)).text).toContain('data-outcome="refused_refund"');
    const refund = (await listAttention(h.db)).filter((item) => item.kind === 'refund' && item.paymentId === order.payment_id);
    expect(refund).toHaveLength(1);
    expect(refund[0]!.details).toMatchObject({ partnerTrnId: order.payment_id.toString(), amountMinor: '21000' });
    expect(await accountBalance(h, 'acquirer:elsom:KZT')).toBe(acquirerBefore);
    const reasons = (await h.db.query<{ reason: string }>(`SELECT reason FROM ledger_transfers WHERE payment_id = $1 AND kind = 'single' ORDER BY id`, [order.payment_id])).rows.map((r) => r.reason);
    expect(reasons[1]).toMatch(/^refund to the Elsom wallet: payment \d+ refused by the provider/);
    // A repeated A callback after the refund changes nothing.
    await callback(order.payment_id.toString(), 'A');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await orderByToken(h, token)).state).toBe('refund_due');
    await expectLedgerBalanced(h.db);
  });

  it('a double submission goes back to the same OTP page; IA_Init is not repeated with another amount', async () => {
    const token = await startOrder(h, 'P1011', { account: '7011234567' });
    const first = await chooseElsom(token, '220.00');
    const again = await http(`${h.url}/pay/o/${token}`, { form: { amount: '999.00', method: 'elsom' } });
    expect(again.status).toBe(303);
    expect(again.location).toBe(first.otpUrl);
    expect((await orderByToken(h, token)).amount_minor).toBe(22_000n);
  });
});
