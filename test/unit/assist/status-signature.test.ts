import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import {
  ASSIST_SIGNED_FIELDS,
  assistSignatureBase,
  decodeAssistAnswer,
  encodeAssistAnswer,
  signAssistResponse,
  verifyAssistSignature,
  type AssistFormat,
  type AssistOrderRecord,
} from '../../../src/acquiring/assist/codec/index.ts';
import {
  ASSIST_CANCEL_STATE_OUTCOME,
  ASSIST_CHARGE_STATE_OUTCOME,
  ASSIST_ORDER_STATES,
  ASSIST_ORDER_STATE_PHASE,
  assistOrderPhase,
  assistResponseCodeKind,
  classifyAssistAnswer,
} from '../../../src/acquiring/assist/mapping.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/assist/${name}`, import.meta.url), 'utf8');

describe('Assist status tables', () => {
  it('every table covers exactly the known order states', () => {
    for (const table of [ASSIST_CHARGE_STATE_OUTCOME, ASSIST_CANCEL_STATE_OUTCOME, ASSIST_ORDER_STATE_PHASE]) {
      expect(Object.keys(table).sort()).toEqual([...ASSIST_ORDER_STATES].sort());
    }
  });

  it('charge table: only the spec success states approve', () => {
    expect(ASSIST_CHARGE_STATE_OUTCOME).toEqual({
      'In Process': 'unknown',
      Delayed: 'unknown',
      Approved: 'approved',
      PartialApproved: 'approved',
      PartialDelayed: 'approved',
      Canceled: 'declined',
      PartialCanceled: 'unknown',
      Declined: 'declined',
      Timeout: 'declined',
    });
  });

  it('cancel table: only Canceled confirms the release', () => {
    const approving = Object.entries(ASSIST_CANCEL_STATE_OUTCOME).filter(([, kind]) => kind === 'approved');
    expect(approving).toEqual([['Canceled', 'approved']]);
  });

  it('order phase: Delayed is an authorisation, anything unrecognised is unknown', () => {
    expect(assistOrderPhase('Delayed')).toBe('authorised');
    expect(assistOrderPhase(' Approved ')).toBe('charged');
    expect(assistOrderPhase('Refunded?')).toBe('unknown');
    expect(assistOrderPhase(undefined)).toBe('unknown');
  });

  it('response codes: AS000 success, AS100–AS998 declined, everything else unknown', () => {
    expect(assistResponseCodeKind('AS000')).toBe('success');
    expect(assistResponseCodeKind('AS100')).toBe('declined');
    expect(assistResponseCodeKind('AS998')).toBe('declined');
    for (const code of ['AS001', 'AS099', 'AS999', 'AS1000', 'as000x', '', undefined, '000']) {
      expect(assistResponseCodeKind(code)).toBe('unknown');
    }
  });

  it('AS000 with Canceled is declined for a charge and approved for a cancel', () => {
    const answer = decodeAssistAnswer(
      '<result firstcode="0" secondcode="0" count="1"><orders><order><responsecode>AS000</responsecode><orderstate>Canceled</orderstate></order></orders></result>',
      'xml',
    );
    expect(classifyAssistAnswer(answer).kind).toBe('declined');
    expect(classifyAssistAnswer(answer, ASSIST_CANCEL_STATE_OUTCOME).kind).toBe('approved');
  });
});

const record: AssistOrderRecord = {
  ordernumber: 'TLM-42',
  responsecode: 'AS000',
  message: 'Успешно & "ok" <done>',
  amount: '450.00',
  currency: 'KZT',
  meannumber: '411111****1111',
  approvalcode: '123456',
  orderstate: 'PartialDelayed',
  billnumber: '5450000000000011.1',
  orderamount: '900.00',
  ordercurrency: 'KZT',
  packetdate: '01.01.2018 10:53:45',
};

describe('Assist response signature', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

  it('signs X = the listed fields concatenated without separators, in the spec order', () => {
    expect(ASSIST_SIGNED_FIELDS).toEqual([
      'billnumber', 'ordernumber', 'responsecode', 'orderamount', 'ordercurrency',
      'meannumber', 'approvalcode', 'orderstate', 'packetdate',
    ]);
    expect(assistSignatureBase(record)).toBe(
      '5450000000000011.1TLM-42AS000900.00KZT411111****1111123456PartialDelayed01.01.2018 10:53:45',
    );
  });

  it('verifies a signed answer and refuses a tampered field', () => {
    const signature = signAssistResponse(record, privateKey);
    expect(verifyAssistSignature(record, signature, publicKey)).toBe(true);
    expect(verifyAssistSignature({ ...record, orderamount: '900.01' }, signature, publicKey)).toBe(false);
    expect(verifyAssistSignature({ ...record, orderstate: 'Approved' }, signature, publicKey)).toBe(false);
  });

  it('a signature survives an encode → decode round trip in every format', () => {
    const signed = { ...record, signature: signAssistResponse(record, privateKey) };
    for (const format of ['csv', 'xml', 'soap', 'json'] as const) {
      const { body } = encodeAssistAnswer({ firstcode: '0', secondcode: '0', orders: [signed] }, format);
      const answer = decodeAssistAnswer(body, format);
      if (answer.kind !== 'processed') throw new Error(`${format}: ${answer.kind}`);
      const got = answer.orders[0] ?? {};
      expect(verifyAssistSignature(got, got.signature ?? '', publicKey), format).toBe(true);
    }
  });

  it('is false, never a throw, for empty, garbage, wrong-key or bad-key input', () => {
    const signature = signAssistResponse(record, privateKey);
    const other = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    expect(verifyAssistSignature(record, '', publicKey)).toBe(false);
    expect(verifyAssistSignature(record, 'not base64 !!', publicKey)).toBe(false);
    expect(verifyAssistSignature(record, signature, other.publicKey)).toBe(false);
    expect(verifyAssistSignature(record, signature, 'not a key')).toBe(false);
    expect(verifyAssistSignature(record, signature, publicKey, 'sha256')).toBe(false);
  });

  it('the spec examples carry an empty signature, which never verifies', () => {
    const answer = decodeAssistAnswer(fixture('charge-answer-xml-approved.xml'), 'xml');
    if (answer.kind !== 'processed') throw new Error(answer.kind);
    const order = answer.orders[0] ?? {};
    expect(order.signature).toBe('');
    expect(verifyAssistSignature(order, order.signature ?? '', publicKey)).toBe(false);
  });
});

describe('Assist answers: simulator encode → client decode', () => {
  const formats: AssistFormat[] = ['csv', 'xml', 'soap', 'json'];
  for (const format of formats) {
    it(`${format}: a processed answer round-trips field for field`, () => {
      const { body } = encodeAssistAnswer({ firstcode: '0', secondcode: '0', orders: [record] }, format);
      const answer = decodeAssistAnswer(body, format);
      if (answer.kind !== 'processed') throw new Error(`${format}: ${JSON.stringify(answer)}`);
      const expected = format === 'csv' ? { ...record, signature: '' } : record;
      expect(answer.orders).toEqual([expected]);
      expect(classifyAssistAnswer(answer)).toMatchObject({ kind: 'approved', state: 'PartialDelayed' });
    });

    it(`${format}: a not-processed answer is retry (SOAP: a Fault, unknown)`, () => {
      const { body } = encodeAssistAnswer({ firstcode: '7', secondcode: '102', orders: [] }, format);
      const outcome = classifyAssistAnswer(decodeAssistAnswer(body, format));
      if (format === 'soap') expect(outcome.kind).toBe('unknown');
      else expect(outcome).toEqual({ kind: 'retry', firstcode: '7', secondcode: '102' });
    });

    it(`${format}: a decline round-trips as declined with its code`, () => {
      const declined = { ...record, responsecode: 'AS100', orderstate: 'Delayed', message: 'Refused' };
      const { body } = encodeAssistAnswer({ firstcode: '0', secondcode: '0', orders: [declined] }, format);
      expect(classifyAssistAnswer(decodeAssistAnswer(body, format))).toMatchObject({
        kind: 'declined',
        code: 'AS100',
        message: 'Refused',
      });
    });
  }
});
