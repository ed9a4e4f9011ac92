import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkRequestSchema, decodeBody, operatorByPhoneRequestSchema, decodeAgentJson, payRequestSchema, serviceRequestSchema, stringifyAgentJson,
} from '../../../src/gateways/agent-api/codec.ts';
import { occursInSpec } from '../../helpers/spec-excerpts.ts';

const dir = new URL('../../fixtures/agent-api/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, dir), 'utf8');

describe('agent API fixtures (the spec examples, byte for byte)', () => {
  it('holds every example of the spec exactly as printed', () => {
    const files = readdirSync(dir).filter((name) => name.endsWith('.json'));
    expect(files).toHaveLength(19);
    // The document's example sections are kept byte for byte in test/fixtures/agent-api/spec/ (test/helpers/spec-excerpts.ts).
    for (const file of files) expect(occursInSpec('agent-api', fixture(file)), file).toBe(true);
  });

  it('decodes every example, no-break-space indentation included', () => {
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
      expect(() => decodeAgentJson(fixture(file)), file).not.toThrow();
    }
  });

  it('decodes the check example to exact values', () => {
    const body = decodeBody(checkRequestSchema, decodeAgentJson(fixture('check.request.json')));
    expect(body).toEqual({ ok: true, value: {
      serviceId: 'P1011', account: '7770017711', agentTransactionId: 1233355n, agentTransactionDate: '2015-02-17T16:48:37',
      amountTo: 20000n, amountFrom: 20000n,
    } });
  });

  it('decodes the check with identity and with extras', () => {
    const identity = decodeBody(checkRequestSchema, decodeAgentJson(fixture('check-identity.request.json')));
    expect(identity.ok && identity.value.identityCard).toBe('123456789');
    // The spec's own example separates the names with no-break spaces; inside a string they are data and are kept.
    expect(identity.ok && identity.value.fullName).toBe('Иванов\u00a0Иван\u00a0Иванович');
    const extras = decodeBody(checkRequestSchema, decodeAgentJson(fixture('check-extras.request.json')));
    expect(extras.ok && extras.value.extras).toEqual({ account1: 'test@gmail.com', account2: '121231' });
    expect(extras.ok && extras.value.account).toBe('0');
  });

  it('decodes every pay example', () => {
    const plain = decodeBody(payRequestSchema, decodeAgentJson(fixture('pay.request.json')));
    expect(plain.ok && plain.value.amountTo).toBe(20000n);
    const contract = decodeBody(payRequestSchema, decodeAgentJson(fixture('pay-contract.request.json')));
    expect(contract.ok && contract.value.extras).toEqual({ contractId: '000000588' });
    const complex = decodeBody(payRequestSchema, decodeAgentJson(fixture('pay-complex.request.json')));
    expect(complex.ok && complex.value.extraServices).toEqual([
      { subServiceId: '114', lastCount: '11236', amount: 10000n },
      { subServiceId: '37', amount: 15000n },
      { subServiceId: '45', amount: 20000n },
    ]);
    expect(complex.ok && complex.value.amountTo).toBe(45000n);
  });

  it('decodes the service and operatorByPhone examples', () => {
    expect(decodeBody(serviceRequestSchema, decodeAgentJson(fixture('service.request.json')))).toEqual({ ok: true, value: { serviceId: 'P1012' } });
    expect(decodeBody(operatorByPhoneRequestSchema, decodeAgentJson(fixture('operatorByPhone.request.json')))).toEqual({ ok: true, value: { phoneNumber: '7777731414' } });
  });

  it('reads the pay answer example with its 14-digit id exactly', () => {
    const answer = decodeAgentJson(fixture('pay.response.json')) as Record<string, { value: string }>;
    expect(answer.agentTransactionId!.value).toBe('26801048196008');
  });
});

describe('lossless numbers', () => {
  it('round-trips 18-digit ids exactly, beyond the safe integer range', () => {
    const text = '{"agentTransactionId":999999999999999999,"amountTo":200.00}';
    const body = decodeBody(payRequestSchema.pick({ agentTransactionId: true, amountTo: true }), decodeAgentJson(text));
    expect(body).toEqual({ ok: true, value: { agentTransactionId: 999999999999999999n, amountTo: 20000n } });
    expect(stringifyAgentJson({ transactionId: 999999999999999999n })).toBe('{"transactionId":999999999999999999}');
  });

  it.each([
    ['1e3'], ['10.001'], ['-5'], ['0'], ['"abc"'], ['"NaN"'], ['null'], ['true'], ['[]'], ['{}'],
  ])('refuses the amount %s', (amount) => {
    const body = decodeBody(payRequestSchema, decodeAgentJson(`{"serviceId":"P1011","account":"7770017711","agentTransactionId":1,"agentTransactionDate":"2015-02-17T16:48:37","amountTo":${amount}}`));
    expect(body.ok).toBe(false);
  });

  it('accepts amounts as strings too', () => {
    const body = decodeBody(payRequestSchema, decodeAgentJson('{"serviceId":"P1011","account":"7770017711","agentTransactionId":"1","agentTransactionDate":"2015-02-17T16:48:37","amountTo":"180.5"}'));
    expect(body.ok && body.value.amountTo).toBe(18050n);
  });

  it.each([['1.5'], ['0'], ['-1'], ['1000000000000000000'], ['1e5']])('refuses the transaction id %s', (id) => {
    const body = decodeBody(payRequestSchema, decodeAgentJson(`{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2015-02-17T16:48:37","amountTo":1}`));
    expect(body.ok).toBe(false);
  });

  it('refuses duplicate keys and malformed JSON', () => {
    expect(() => decodeAgentJson('{"a":1,"a":2}')).toThrow();
    expect(() => decodeAgentJson('{"a":')).toThrow();
  });

  it('keeps no-break spaces inside strings', () => {
    expect(decodeAgentJson('{"a":"x\u00a0y"}')).toEqual({ a: 'x\u00a0y' });
  });
});

// Found by the agent API's fuzz set: zod's own message named our parser's class ("received LosslessNumber").
describe('a field of the wrong type is refused in JSON\'s words', () => {
  const valid = '{"serviceId":"P1011","account":"7770017711","agentTransactionId":1233355,"agentTransactionDate":"2015-02-17T16:48:37"}';
  const detail = (text: string) => {
    const decoded = decodeBody(checkRequestSchema, decodeAgentJson(text));
    return decoded.ok ? undefined : decoded.failure.detail;
  };

  it.each([
    [valid.replace('"7770017711"', '7770017711'), 'account: Expected string, received number'],
    [valid.replace('"P1011"', '["P1011"]'), 'serviceId: Expected string, received array'],
    [valid.replace('"P1011"', 'null'), 'serviceId: Expected string, received null'],
    [valid.replace('"account":"7770017711",', ''), 'account: Required: expected string'],
    [valid.replace('"P1011"', '{"value":"1"}'), 'serviceId: Expected string, received object'],
  ])('%s', (text, message) => {
    expect(detail(text)).toBe(message);
  });
});
