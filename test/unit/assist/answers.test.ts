import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import {
  decodeAssistAnswer,
  readAssistOrder,
  type AssistAnswer,
  type AssistFormat,
} from '../../../src/acquiring/assist/codec/index.ts';
import { classifyAssistAnswer } from '../../../src/acquiring/assist/mapping.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/assist/${name}`, import.meta.url), 'utf8');

function onlyOrder(answer: AssistAnswer) {
  expect(answer.kind).toBe('processed');
  if (answer.kind !== 'processed') throw new Error('unreachable');
  expect(answer.orders).toHaveLength(1);
  return readAssistOrder(answer.orders[0] ?? {});
}

describe('Assist charge answers from the spec', () => {
  it('reads the CSV (key: value) example', () => {
    const answer = decodeAssistAnswer(fixture('charge-answer-csv.txt'), 'csv');
    const order = onlyOrder(answer);
    expect(order.ordernumber).toBe('0001-01');
    expect(order.responsecode).toBe('AS000');
    expect(order.orderstate).toBe('Approved');
    expect(order.billnumber).toBe('51111110000001.2');
    expect(order.amountMinor).toBe(10000n);
    expect(order.currency).toBe('RUB');
    expect(order.orderamountMinor).toBe(10000n);
    expect(order.ordercurrency).toBe('RUB');
    expect(order.meannumber).toBe('411111****1111');
    expect(order.packetdate).toBe('01.01.2018 09:01:47');
    expect(order.message).toBe('.');
    expect(order.approvalcode).toBeUndefined();
    expect(order.record.orderdate).toBe('01.01.2018 09:00:05');
    expect(order.record.meansubtype).toBe('Corporate Purchasing Card');
    expect(order.record.cardexpirationdate).toBe('12/20');
    expect(order.record.ipaddress).toBe('111.23.11.23');
    expect(order.record.slipno).toBe('111111');
    expect(order.record.recommendation).toBe('');
    expect(order.record.signature).toBe('');
    expect(order.malformed).toEqual([]);
    expect(classifyAssistAnswer(answer)).toMatchObject({ kind: 'approved', state: 'Approved' });
  });

  it('reads the XML example despite its inline DTD, "]]>" typo and padded values', () => {
    const answer = decodeAssistAnswer(fixture('charge-answer-xml-approved.xml'), 'xml');
    expect(answer).toMatchObject({ kind: 'processed', firstcode: '0', secondcode: '0' });
    const order = onlyOrder(answer);
    expect(order.ordernumber).toBe('0001-01');
    expect(order.responsecode).toBe('AS000');
    expect(order.orderstate).toBe('Approved');
    expect(order.billnumber).toBe('511111100000001.2');
    expect(order.amountMinor).toBe(10000n);
    expect(order.currency).toBe('RUB');
    expect(order.orderamountMinor).toBe(10000n);
    expect(order.record.lastname).toBe('Testov');
    expect(order.record.issuebank).toBe('BANK');
    expect(order.record.email).toBe('test@testpost.ru');
    expect(order.record.ipaddress).toBe('10.23.10.23');
    expect(order.packetdate).toBe('01.01.2018 10:53:45');
    expect(order.record.operationtype).toBe('200');
    expect(classifyAssistAnswer(answer)).toMatchObject({ kind: 'approved', state: 'Approved' });
  });

  it('reads the XML error example (wrong password, no space between attributes) as not processed → retry', () => {
    const answer = decodeAssistAnswer(fixture('charge-answer-xml-error-wrong-password.xml'), 'xml');
    expect(answer).toEqual({ kind: 'not_processed', firstcode: '7', secondcode: '102' });
    expect(classifyAssistAnswer(answer)).toEqual({ kind: 'retry', firstcode: '7', secondcode: '102' });
  });

  it('reads the SOAP example (orderidnumber is the order number)', () => {
    const answer = decodeAssistAnswer(fixture('charge-answer-soap-approved.xml'), 'soap');
    const order = onlyOrder(answer);
    expect(order.ordernumber).toBe('0001-01');
    expect(order.responsecode).toBe('AS000');
    expect(order.orderstate).toBe('Approved');
    expect(order.billnumber).toBe('51111110000001.2');
    expect(order.amountMinor).toBe(10000n);
    expect(order.orderamountMinor).toBe(10000n);
    expect(order.record.issuebank).toBe('New Bank');
    expect(order.record.meansubtype).toBe('Classic');
    expect(order.packetdate).toBe('01.01.2018 11:28:26');
    expect(order.record.recommendation).toBe('');
    expect(classifyAssistAnswer(answer)).toMatchObject({ kind: 'approved', state: 'Approved' });
  });
});

describe('Assist JSON answers (Format=5; the spec shows none)', () => {
  it('reads the XML structure mirrored in JSON, numbers kept exact', () => {
    const body =
      '{"firstcode":0,"secondcode":0,"count":1,"orders":[{"ordernumber":"T-1","responsecode":"AS000",' +
      '"orderstate":"PartialDelayed","billnumber":"5450000000000011","amount":"450.00","currency":"KZT",' +
      '"orderamount":900.00,"ordercurrency":"KZT"}]}';
    const answer = decodeAssistAnswer(body, 'json');
    const order = onlyOrder(answer);
    expect(order.billnumber).toBe('5450000000000011');
    expect(order.amountMinor).toBe(45000n);
    expect(order.orderamountMinor).toBe(90000n);
    expect(classifyAssistAnswer(answer)).toMatchObject({ kind: 'approved', state: 'PartialDelayed' });
  });

  it('reads a flat order object (as Assist SDKs read it)', () => {
    const answer = decodeAssistAnswer('{"ordernumber":"T-2","responsecode":"AS100","orderstate":"Delayed","message":"Declined"}', 'json');
    expect(classifyAssistAnswer(answer)).toMatchObject({ kind: 'declined', code: 'AS100', message: 'Declined' });
  });

  it('reads codes-only answers', () => {
    expect(decodeAssistAnswer('{"firstcode":"7","secondcode":"102"}', 'json')).toEqual({
      kind: 'not_processed',
      firstcode: '7',
      secondcode: '102',
    });
  });
});

describe('Assist answers that cannot be trusted are unknown, never a throw', () => {
  const xml = (inner: string, codes = 'firstcode="0" secondcode="0"') =>
    `<?xml version="1.0"?><result ${codes} count="1"><orders><order>${inner}</order></orders></result>`;
  const cases: Array<[string, string, AssistFormat]> = [
    ['empty', '', 'xml'],
    ['blank', '   \n', 'json'],
    ['HTML error page', '<html><body><h1>502 Bad Gateway</h1></body></html>', 'xml'],
    ['HTML as CSV', '<html><body>oops</body></html>', 'csv'],
    ['HTML as SOAP', '<html><body>oops</body></html>', 'soap'],
    ['truncated XML', fixture('charge-answer-xml-approved.xml').slice(0, 2500), 'xml'],
    ['truncated SOAP', fixture('charge-answer-soap-approved.xml').slice(0, 1500), 'soap'],
    ['truncated JSON', '{"firstcode":0,"secondcode":0,"orders":[{"responsecode":"AS000","orderstate":"Appro', 'json'],
    ['garbage', '\u0000\u0001 binary !!', 'csv'],
    ['JSON array', '[1,2,3]', 'json'],
    ['XML with entity DOCTYPE', '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "AS000">]><result firstcode="0" secondcode="0"/>', 'xml'],
    ['unknown response code', xml('<responsecode>AS050</responsecode><orderstate>Approved</orderstate>'), 'xml'],
    ['AS999', xml('<responsecode>AS999</responsecode><orderstate>Approved</orderstate>'), 'xml'],
    ['unknown order state', xml('<responsecode>AS000</responsecode><orderstate>Mystery</orderstate>'), 'xml'],
    ['Delayed after a charge', xml('<responsecode>AS000</responsecode><orderstate>Delayed</orderstate>'), 'xml'],
    ['no orders', '<result firstcode="0" secondcode="0" count="0"></result>', 'xml'],
    ['non-numeric codes', '<result firstcode="x" secondcode="0"/>', 'xml'],
    ['SOAP Fault', fault(), 'soap'],
  ];
  for (const [name, body, format] of cases) {
    it(`${name} → unknown`, () => {
      const outcome = classifyAssistAnswer(decodeAssistAnswer(body, format));
      expect(outcome.kind).toBe('unknown');
    });
  }

  for (const amount of ['10.001', '-1', 'abc', '1e3', '1.', '']) {
    it(`amount "${amount}" is refused and never approved`, () => {
      const body = xml(`<responsecode>AS000</responsecode><orderstate>Approved</orderstate><amount>${amount}</amount>`);
      const answer = decodeAssistAnswer(body, 'xml');
      const order = onlyOrder(answer);
      expect(order.amountMinor).toBeUndefined();
      if (amount === '') return; // absent, not malformed
      expect(order.malformed).toEqual(['amount']);
      expect(classifyAssistAnswer(answer).kind).toBe('unknown');
    });
  }
});

function fault(): string {
  return (
    "<?xml version='1.0'?><SOAP-ENV:Envelope xmlns:SOAP-ENV='http://schemas.xmlsoap.org/soap/envelope/'>" +
    '<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>Server</faultcode><faultstring>x</faultstring></SOAP-ENV:Fault>' +
    '</SOAP-ENV:Body></SOAP-ENV:Envelope>'
  );
}

describe('Assist CSV truncation', () => {
  it('a CSV answer cut before its final signature field is unknown, even if it already says Approved', () => {
    const text = fixture('charge-answer-csv.txt');
    const cut = text.slice(0, text.indexOf('processingname'));
    expect(cut).toContain('orderstate: Approved');
    expect(classifyAssistAnswer(decodeAssistAnswer(cut, 'csv')).kind).toBe('unknown');
  });
});
