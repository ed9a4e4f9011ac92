/**
 * Issue 10, the payment timeline: every partner exchange of a payment is recorded by the engine, as sent and received
 * with secrets masked, and the timeline puts it in order with the payment's states, transfers and jobs. Real HTTP to
 * the simulators, a real store.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentApi, eventually, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import { alsecoBody, nextTxnId } from '../helpers/alseco.ts';
import { CARDS, chooseCard, followReturn, orderByToken, payOnAssist, startOrder } from '../helpers/checkout.ts';
import { paymentTimeline, listExchanges, type TimelineEntry } from '../../src/engine/timeline.ts';
import { ASSIST_SANDBOX_ACCOUNT } from '../../src/sandbox/assist/keys.ts';
import { ELSOM_LOGIN, ELSOM_PASSWORD, newElsomAgent, postElsom, transferXml, txn as elsomTxn } from '../helpers/elsom.ts';
import { md5Hex } from '../../src/gateways/elsom-biller/codec/index.ts';

let h: Harness;
let api: ReturnType<typeof agentApi>;
let token: string;
let nextId = 610_000_000_000_000_000n;
const txn = () => (nextId += 1n).toString();

beforeAll(async () => {
  h = await startTolem({ engine: { providerDeadlineMs: 1_000, providerTimeoutMs: 1_000, retryBaseMs: 200, retryMaxMs: 500 } });
  const agent = await newAgent(h.db, { openingBalanceMinor: 100_000_000n });
  token = agent.token;
  api = agentApi(h.url, agent.token);
});
afterEach(async () => {
  h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ hangAfterCommitRate: 0, hangMs: 15_000 });
});
afterAll(async () => h?.close());

const mobilePay = (id: string, amount = '200.00') =>
  `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;

const timeline = async (transactionId: string) => {
  await h.tolem.ctx.engine.exchanges.idle();
  return paymentTimeline(h.db, BigInt(transactionId), { queueSchema: h.tolem.ctx.config.queueSchema, clock: h.tolem.ctx.clock });
};

/** Everything stored about a payment's exchanges, as one text: no secret may occur in it. */
async function storedText(transactionId: string): Promise<string> {
  const rows = await h.db.query('SELECT * FROM partner_exchanges WHERE payment_id = $1', [BigInt(transactionId)]);
  expect(rows.rows.length).toBeGreaterThan(0);
  return JSON.stringify(rows.rows, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

const exchanges = (entries: TimelineEntry[]) => entries.filter((entry) => entry.kind === 'exchange').map((entry) => entry.exchange);
const position = (entries: TimelineEntry[], match: (entry: TimelineEntry) => boolean) => {
  const index = entries.findIndex(match);
  expect(index, 'entry in the timeline').toBeGreaterThanOrEqual(0);
  return index;
};

describe('a sandbox provider pay through the agent API', () => {
  it('records the pay exchange and lays out the timeline in order: accepted, reserved, pay, posted, succeeded', async () => {
    const pay = await api('pay', mobilePay(txn()));
    expect(num(pay.body.result)).toBe('0');
    const transactionId = num(pay.body.transactionId);
    const entries = await timeline(transactionId);

    const outbound = exchanges(entries).filter((exchange) => exchange.direction === 'outbound');
    expect(outbound).toHaveLength(1);
    const call = outbound[0]!;
    expect(call).toMatchObject({ partner: 'sandbox-mobile', operation: 'pay', outcome: 'response', responseStatus: 200, paymentId: transactionId, method: 'POST' });
    expect(call.url).toMatch(/\/sandbox\/mobile\/pay$/);
    expect(JSON.parse(call.requestBody!)).toMatchObject({ account: '7770017711', amount: '200.00', reference: transactionId });
    expect(JSON.parse(call.responseBody!)).toMatchObject({ status: 'paid', reference: transactionId });
    expect(call.requestHeaders['content-type']).toBe('application/json');

    const accepted = position(entries, (e) => e.kind === 'state' && e.toState === 'accepted' && e.fromState === null);
    const reserved = position(entries, (e) => e.kind === 'transfer' && e.transferKind === 'pending');
    const attempt = position(entries, (e) => e.kind === 'job' && e.source === 'attempt' && e.name === 'pay sandbox-mobile' && e.state === 'paid');
    const exchange = position(entries, (e) => e.kind === 'exchange' && e.exchange.id === call.id);
    const posted = position(entries, (e) => e.kind === 'transfer' && e.transferKind === 'post');
    const succeeded = position(entries, (e) => e.kind === 'state' && e.fromState === 'accepted' && e.toState === 'succeeded' && e.resultCode === 0);
    expect(Math.max(accepted, reserved)).toBeLessThan(attempt);
    expect(attempt).toBeLessThan(exchange);
    expect(exchange).toBeLessThan(posted);
    expect(posted).toBeLessThan(succeeded);
    for (let i = 1; i < entries.length; i += 1) expect(entries[i]!.at.getTime()).toBeGreaterThanOrEqual(entries[i - 1]!.at.getTime());
    // Every id is a string: the list goes into JSON as it is.
    expect(() => JSON.stringify(entries)).not.toThrow();
    expect(await storedText(transactionId)).not.toContain(token);
  });

  it('a timeout is recorded as one; the status asked next is recorded too, and the payment settles once', async () => {
    h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ hangAfterCommitRate: 1, hangMs: 1_500 });
    const id = txn();
    const first = await api('pay', mobilePay(id));
    expect(num(first.body.result)).toBe('1');
    const transactionId = num(first.body.transactionId);
    h.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ hangAfterCommitRate: 0 });
    await eventually(async () => ((await h.tolem.ctx.engine.get(BigInt(transactionId)))?.state === 'succeeded' ? true : undefined));
    const calls = exchanges(await timeline(transactionId)).filter((exchange) => exchange.direction === 'outbound');
    expect(calls[0]).toMatchObject({ operation: 'pay', outcome: 'timeout', responseStatus: null, responseBody: null });
    expect(calls[0]!.durationMs).toBeGreaterThanOrEqual(900);
    expect(calls[0]!.requestBody).toContain(transactionId);
    const status = calls.find((exchange) => exchange.operation === 'status' && exchange.outcome === 'response');
    expect(JSON.parse(status!.responseBody!)).toMatchObject({ status: 'paid', reference: transactionId });
    // The drive that asked shows as a queue job of this payment.
    const entries = await timeline(transactionId);
    expect(entries.some((e) => e.kind === 'job' && e.source === 'queue' && e.name === 'payment-drive')).toBe(true);
  });

  it('a recording that fails (its table gone) is logged and changes nothing of the payment', async () => {
    await h.db.query('ALTER TABLE partner_exchanges RENAME TO partner_exchanges_away');
    try {
      const pay = await api('pay', mobilePay(txn()));
      expect(num(pay.body.result)).toBe('0');
      await h.tolem.ctx.engine.exchanges.idle();
      const stored = await h.tolem.ctx.engine.get(BigInt(num(pay.body.transactionId)));
      expect(stored).toMatchObject({ state: 'succeeded', code: 0 });
    } finally {
      await h.db.query('ALTER TABLE partner_exchanges_away RENAME TO partner_exchanges');
    }
  });
});

describe('an Alseco pay', () => {
  it('records the SOAP check and pay as sent and received, linked to the payment', async () => {
    const id = nextTxnId();
    const check = await api('check', alsecoBody({ account: '0000100110', id }));
    expect(num(check.body.result)).toBe('0');
    const pay = await api('pay', alsecoBody({ account: '0000100110', id, lines: [{ subServiceId: '2', amountMinor: 925_188n }] }));
    expect(num(pay.body.result)).toBe('0');
    const transactionId = num(pay.body.transactionId);
    const entries = await timeline(transactionId);
    const calls = exchanges(entries).filter((exchange) => exchange.direction === 'outbound');
    expect(calls.every((exchange) => exchange.partner === 'alseco' && exchange.paymentId === transactionId)).toBe(true);
    const checks = calls.filter((exchange) => exchange.operation === 'check');
    expect(checks.length).toBeGreaterThanOrEqual(1);
    expect(checks.some((exchange) => exchange.responseBody?.includes('0000100110') || exchange.requestBody?.includes('100110'))).toBe(true);
    const payCall = calls.find((exchange) => exchange.operation === 'pay')!;
    expect(payCall.requestBody).toContain('<Pay ');
    expect(payCall.requestBody).toContain(`<SysRef xsi:type="xsd:string">${transactionId}</SysRef>`);
    expect(payCall.requestHeaders['SOAPAction'] ?? payCall.requestHeaders['soapaction']).toContain('Pay');
    expect(payCall.responseBody).toContain('PayResult');
    expect(payCall.url).toMatch(/AlsecoPaymentsService\.asmx$/);
    // The check came before the pay, the pay before the success.
    const checked = position(entries, (e) => e.kind === 'state' && e.toState === 'checked');
    const paid = position(entries, (e) => e.kind === 'exchange' && e.exchange.id === payCall.id);
    const succeeded = position(entries, (e) => e.kind === 'state' && e.toState === 'succeeded');
    expect(checked).toBeLessThan(paid);
    expect(paid).toBeLessThan(succeeded);
  });
});

describe('an Assist card checkout', () => {
  it('records the charge with the merchant password and the answer signature masked and the card number cut', async () => {
    const orderToken = await startOrder(h, 'P1011', { account: '7011234567' });
    const form = await chooseCard(h, orderToken, { amount: '500.00' });
    await followReturn(h, await payOnAssist(form, CARDS.approve));
    await eventually(async () => ((await orderByToken(h, orderToken)).state === 'succeeded' ? true : undefined), 20_000);
    const order = await orderByToken(h, orderToken);
    const transactionId = order.payment_id.toString();
    await h.tolem.ctx.engine.exchanges.idle();

    const byOrder = await listExchanges(h.db, { orderId: order.id });
    expect(byOrder.length).toBeGreaterThanOrEqual(2);
    expect(byOrder.every((exchange) => exchange.partner === 'assist' && exchange.orderId === order.id.toString())).toBe(true);
    const charge = byOrder.find((exchange) => exchange.operation === 'capture')!;
    expect(charge.url).toMatch(/\/sandbox\/assist\/charge\/charge\.cfm$/);
    // The charge goes as JSON (Format=5): the login stays, the password does not.
    expect(JSON.parse(charge.requestBody!)).toMatchObject({ Login: ASSIST_SANDBOX_ACCOUNT.login, Password: '***' });
    expect(charge.responseBody).toMatch(/"?signature"?\W+\*\*\*/);
    expect(charge.responseBody).toMatch(/411111\*+1111/);

    const text = await storedText(transactionId);
    expect(text).not.toContain(ASSIST_SANDBOX_ACCOUNT.password);
    expect(text).not.toContain(CARDS.approve);
    // The provider's pay of the same payment is in its timeline beside the acquirer's calls.
    const partners = new Set(exchanges(await timeline(transactionId)).map((exchange) => exchange.partner));
    expect([...partners].sort()).toEqual(expect.arrayContaining(['assist', 'sandbox-mobile']));
  });
});

describe('inbound exchanges', () => {
  it('the agent\'s own request and our answer join the payment, its token masked', async () => {
    const id = txn();
    const pay = await api('pay', mobilePay(id));
    const transactionId = num(pay.body.transactionId);
    const inbound = exchanges(await timeline(transactionId)).filter((exchange) => exchange.direction === 'inbound');
    expect(inbound).toHaveLength(1);
    expect(inbound[0]).toMatchObject({ partner: 'agent-api', operation: 'pay', method: 'POST', url: '/api/v20/pay', responseStatus: 200, outcome: 'response' });
    expect(inbound[0]!.requestHeaders['authorization']).toBe('***');
    expect(inbound[0]!.requestBody).toBe(mobilePay(id));
    expect(inbound[0]!.responseBody).toBe(pay.text);
    // A request that names no payment (the service list) is not recorded.
    await api('services');
    const unlinked = await h.db.query(`SELECT 1 FROM partner_exchanges WHERE direction = 'inbound' AND url LIKE '%services%'`);
    expect(unlinked.rows).toHaveLength(0);
  });

  it('the Elsom wallet\'s AUTHORIZE and PAYMENT as it sent them (windows-1251), password hash masked, login kept', async () => {
    await newElsomAgent(h.db);
    const number = elsomTxn();
    const auth = await postElsom(`${h.url}/elsom`, transferXml({ transactionNumber: number }));
    expect(auth.response.resultCode).toBe(0);
    const paid = await postElsom(`${h.url}/elsom`, transferXml({ type: 2, transactionNumber: number }));
    expect(paid.response.resultCode).toBe(0);
    const transactionId = auth.response.txnId!;
    const inbound = exchanges(await timeline(transactionId)).filter((exchange) => exchange.direction === 'inbound');
    expect(inbound.map((exchange) => exchange.operation)).toEqual(['authorize', 'payment']);
    for (const exchange of inbound) {
      expect(exchange.partner).toBe('elsom-biller');
      expect(exchange.requestBody).toContain(`<extra name="login">${ELSOM_LOGIN}</extra>`);
      expect(exchange.requestBody).toContain('<extra name="password-md5">***</extra>');
      expect(exchange.responseBody).toContain(`<txn-id>${transactionId}</txn-id>`);
    }
    const text = await storedText(transactionId);
    expect(text).not.toContain(md5Hex(ELSOM_PASSWORD));
    expect(text).not.toContain(md5Hex(ELSOM_PASSWORD).toUpperCase());
  });
});
