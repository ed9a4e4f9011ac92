/** Elsom mapping: the code table's rules, status-ids, ids, Elsom-only checks, and the rendered answers. */
import { describe, expect, it } from 'vitest';
import { RESULT, RESULT_INFO, type ResultCode } from '../../../src/domain/result-codes.ts';
import type { Service } from '../../../src/domain/catalog.ts';
import type { PaymentView } from '../../../src/engine/payments.ts';
import { decodeElsomRequest, ELSOM_RESULT_CODES, encodeElsomResponse, decodeElsomResponse, type ElsomAuthorizeRequest, type ElsomPaymentListRequest } from '../../../src/gateways/elsom-biller/codec/index.ts';
import {
  authorizeAnswer, cancelOutcome, checkTransfer, disp1Of, ENGINE_TO_ELSOM_RESULT, listPeriod, paymentAnswer, paymentListAnswer,
  statusIdOf, toAgentTxnId, toPayCommand,
} from '../../../src/gateways/elsom-biller/mapping.ts';
import { readFileSync } from 'node:fs';

const service = (overrides: Partial<Service> = {}): Service => ({
  serviceId: 'K1001', type: 0, name: 'MegaCom', group: null, country: null, currency: 'KGS', fixedPayment: false, inputs: [], displays: [],
  minMinor: 1_000n, maxMinor: 3_000_000n, feeRule: { kind: 'any' }, enabled: true, provider: 'sandbox-mobile-kg', providerConfig: {}, ...overrides,
});
const mapping = { agentId: 7n, elsomServiceId: '5132', serviceId: 'K1001', wholeAmounts: false };

function authorizeFixture(): ElsomAuthorizeRequest {
  const decoded = decodeElsomRequest(readFileSync(new URL('../../fixtures/elsom-biller/authorize.request.xml', import.meta.url)));
  if (!decoded.ok || decoded.request.requestType !== 1) throw new Error('fixture');
  return decoded.request;
}

const payment = (overrides: Partial<PaymentView> = {}): PaymentView => ({
  transactionId: 12345n, agentTxnId: 21508040001364907n, agentId: 7n, serviceId: 'K1001', account: '996701232200', currency: 'KGS',
  amountToMinor: 1000n, state: 'succeeded', code: RESULT.OK, message: 'OK', data: null, providerRef: 'X', paidAt: new Date('2015-08-03T18:03:58Z'), statusAt: new Date('2015-08-03T18:03:59Z'),
  agentReference: null, ...overrides,
});
const context = { terminalId: '1839', remoteAddr: '10.0.0.1', now: new Date('2015-08-03T18:00:47.467Z'), utcOffsetMinutes: 360, operatorId: '7', funds: { balanceMinor: 91128364n, overdraftMinor: 0n } };

describe('ENGINE_TO_ELSOM_RESULT', () => {
  it('maps every final engine code to 0 or a fatal Elsom code, and every temporary one to a non-fatal code but 255', () => {
    for (const [code, info] of Object.entries(RESULT_INFO)) {
      const elsom = ENGINE_TO_ELSOM_RESULT[Number(code) as ResultCode];
      if (elsom === 0) continue;
      // 255 (fee not allowed) is temporary in the agent API, but Elsom's repeat is the same body: it can never pass.
      const expectedFatal = info.final || Number(code) === RESULT.FEE_NOT_ALLOWED;
      expect(ELSOM_RESULT_CODES[elsom].fatal, `engine ${code} → Elsom ${elsom}`).toBe(expectedFatal);
    }
  });
});

describe('statusIdOf', () => {
  it('follows the state, with 130 only for a refusal after acceptance or at check', () => {
    expect(statusIdOf(payment({ state: 'checked' }))).toBe(30);
    expect(statusIdOf(payment({ state: 'check_failed', code: RESULT.ACCOUNT_NOT_FOUND }))).toBe(130);
    expect(statusIdOf(payment({ state: 'accepted', code: RESULT.IN_PROCESSING }))).toBe(10);
    expect(statusIdOf(payment({ state: 'waiting', code: RESULT.INSUFFICIENT_FUNDS }))).toBe(10);
    expect(statusIdOf(payment({ state: 'succeeded' }))).toBe(60);
    expect(statusIdOf(payment({ state: 'cancelled' }))).toBe(60);
    expect(statusIdOf(payment({ state: 'failed', code: RESULT.OTHER_ERROR }))).toBe(130);
    expect(statusIdOf(payment({ state: 'failed', code: RESULT.OTHER_ERROR, paidAt: null }))).toBe(160);
    expect(statusIdOf(payment({ state: 'failed', code: RESULT.BALANCE_NOT_TOPPED_UP }))).toBe(160);
  });
});

describe('toAgentTxnId', () => {
  it('keeps up to 18 significant digits, leading zeros allowed', () => {
    expect(toAgentTxnId('021508040001364907')).toBe(21508040001364907n);
    expect(toAgentTxnId('999999999999999999')).toBe(999999999999999999n);
    expect(toAgentTxnId('0000999999999999999999')).toBe(999999999999999999n);
    for (const bad of ['', '0', '000', '1234567890123456789', '12a', '-1', '1.0']) expect(toAgentTxnId(bad), bad).toBeUndefined();
  });
});

describe('checkTransfer', () => {
  const request = authorizeFixture();
  it('accepts soms for a KGS service', () => expect(checkTransfer(request, service(), mapping)).toBeUndefined());
  it('refuses another currency, in to or from, with 155', () => {
    expect(checkTransfer({ ...request, to: { ...request.to, currencyCode: 398 } }, service(), mapping)).toBe(155);
    expect(checkTransfer({ ...request, from: { ...request.from, currencyCode: 840 } }, service(), mapping)).toBe(155);
    expect(checkTransfer(request, service({ currency: 'KZT' }), mapping)).toBe(155);
  });
  it('refuses a fraction with 274 where whole soms are required', () => {
    const half = { ...request, to: { ...request.to, amountMinor: 1050n }, from: { ...request.from, amountMinor: 1050n } };
    expect(checkTransfer(half, service(), { ...mapping, wholeAmounts: true })).toBe(274);
    expect(checkTransfer(half, service(), mapping)).toBeUndefined();
  });
});

describe('commands', () => {
  it('a PAYMENT is a must-complete pay of the mapped service, without the receipt date (retries stay identical)', () => {
    const request = { ...authorizeFixture(), requestType: 2 as const };
    expect(toPayCommand(request, mapping, 21508040001364907n)).toEqual({
      serviceId: 'K1001', account: '996701232200', agentTxnId: 21508040001364907n, amountToMinor: 1000n, amountFromMinor: 1000n, extras: {}, mustComplete: true,
    });
  });
});

describe('disp1Of', () => {
  it('takes the holder\'s name from displays, invoices or contracts, at most 20 characters', () => {
    expect(disp1Of({ displays: { fio: 'Hwan Hasan' } })).toBe('Hwan Hasan');
    expect(disp1Of({ invoices: [{ clientName: 'Иванов Иван Иванович', services: [] }] })).toBe('Иванов Иван Иванович');
    expect(disp1Of({ contracts: [{ contractId: '1', name: 'Асанов Бакыт Өмүрбекович' }] })).toBe('Асанов Бакыт Өмүрбек');
    expect(disp1Of(null)).toBeUndefined();
  });
});

describe('answers', () => {
  it('AUTHORIZE: the fields of table 2.1.2, in the example\'s order, and they survive the codec', () => {
    const request = authorizeFixture();
    const answer = authorizeAnswer(context, request, { kind: 'payment', payment: payment({ state: 'checked', data: { displays: { fio: 'Hwan Hasan' } } }) });
    const xml = encodeElsomResponse(answer).toString('latin1');
    expect(xml).toBe(`<?xml version="1.0" encoding="windows-1251"?>
<response>
  <protocol-version>4.00</protocol-version>
  <request-type>1</request-type>
  <terminal-id>1839</terminal-id>
  <result-code>0</result-code>
  <operator-id>7</operator-id>
  <extra name="REMOTE_ADDR">10.0.0.1</extra>
  <extra name="BALANCE">911283.64</extra>
  <extra name="OVERDRAFT">0.00</extra>
  <extra name="disp1">Hwan Hasan</extra>
  <extra name="ServerTime">2015-08-04T00:00:47.467</extra>
  <status-id>30</status-id>
  <transaction-number>021508040001364907</transaction-number>
  <txn-id>12345</txn-id>
  <to>
    <service-id>5132</service-id>
    <amount>10.00</amount>
    <account-number>996701232200</account-number>
  </to>
</response>
`);
    expect(decodeElsomResponse(encodeElsomResponse(answer)).ok).toBe(true);
  });

  it('PAYMENT in processing: 1 and status 10 (non-fatal, Elsom repeats); refused by the engine: the mapped code', () => {
    const request = { ...authorizeFixture(), requestType: 2 as const };
    expect(paymentAnswer(context, request, { kind: 'payment', payment: payment({ state: 'accepted', code: RESULT.IN_PROCESSING }) })).toMatchObject({ resultCode: 1, statusId: 10, txnId: '12345' });
    expect(paymentAnswer(context, request, { kind: 'refused', code: RESULT.AMOUNT_TOO_SMALL, message: '' })).toMatchObject({ resultCode: 241, statusId: 160 });
    expect(paymentAnswer(context, request, { kind: 'refused', code: RESULT.IN_PROCESSING, message: '' })).toMatchObject({ resultCode: 1, statusId: 10 });
  });

  it('CANCEL_PAYMENT outcomes', () => {
    expect(cancelOutcome({ kind: 'cancelled', payment: payment({ state: 'cancelled' }) })).toEqual({ resultCode: 0, statusId: 60 });
    expect(cancelOutcome({ kind: 'not_found' })).toEqual({ resultCode: 203, statusId: 160 });
    expect(cancelOutcome({ kind: 'refused', reason: 'in_processing', payment: payment({ state: 'accepted', code: 1 }) })).toEqual({ resultCode: 13, statusId: 10 });
    expect(cancelOutcome({ kind: 'refused', reason: 'already_failed', payment: payment({ state: 'failed', code: 300 }) })).toEqual({ resultCode: 240, statusId: 130 });
    expect(cancelOutcome({ kind: 'refused', reason: 'provider_refused', payment: payment() })).toEqual({ resultCode: 270, statusId: 60 });
    expect(cancelOutcome({ kind: 'refused', reason: 'not_supported', payment: payment() })).toEqual({ resultCode: 7, statusId: 60 });
    expect(cancelOutcome({ kind: 'unknown', reason: 'timeout', payment: payment() })).toEqual({ resultCode: 272, statusId: 60 });
  });

  it('PAYMENT_LIST: the stored transaction-number text, DD.MM.YYYY hh:mm:ss in Elsom\'s zone, 10.00', () => {
    const answer = paymentListAnswer(context, [payment({ agentReference: '021508040001364907' })]);
    const xml = encodeElsomResponse(answer).toString('latin1');
    expect(xml).toContain('<transaction-number>021508040001364907</transaction-number>\n      <datetime>04.08.2015 00:03:59</datetime>\n      <account-number>996701232200</account-number>\n      <amount>10.00</amount>');
  });

  it('listPeriod: Elsom wall clock → instants; an empty, reversed or over-long period is refused', () => {
    const request = (from: string, to: string) => ({ datetimeFrom: parse(from), datetimeTo: parse(to) }) as ElsomPaymentListRequest;
    const parse = (text: string) => ({ year: +text.slice(0, 4), month: +text.slice(4, 6), day: +text.slice(6, 8), hour: +text.slice(8, 10), minute: +text.slice(10, 12), second: +text.slice(12, 14), millisecond: 0 });
    expect(listPeriod(request('20150804000000', '20150805000000'), 360)).toEqual({ from: new Date('2015-08-03T18:00:00Z'), to: new Date('2015-08-04T18:00:00Z') });
    expect(listPeriod(request('20150805000000', '20150804000000'), 360)).toBeUndefined();
    expect(listPeriod(request('20150804000000', '20150804000000'), 360)).toBeUndefined();
    expect(listPeriod(request('20150101000000', '20150301000000'), 360)).toBeUndefined();
  });
});
