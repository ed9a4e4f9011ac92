import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkRequestSchema, decodeBody, operatorByPhoneRequestSchema, parseAgentJson, payRequestSchema, serviceRequestSchema, stringifyAgentJson,
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
      expect(() => parseAgentJson(fixture(file)), file).not.toThrow();
    }
  });

  it('decodes the check example to exact values', () => {
    const body = decodeBody(checkRequestSchema, parseAgentJson(fixture('check.request.json')));
    expect(body).toEqual({ ok: true, value: {
      serviceId: 'P1011', account: '7770017711', agentTransactionId: 1233355n, agentTransactionDate: '2015-02-17T16:48:37',
      amountTo: 20000n, amountFrom: 20000n,
    } });
  });

  it('decodes the check with identity and with extras', () => {
    const identity = decodeBody(checkRequestSchema, parseAgentJson(fixture('check-identity.request.json')));
    expect(identity.ok && identity.value.identityCard).toBe('123456789');
    // The spec's own example separates the names with no-break spaces; inside a string they are data and are kept.
    expect(identity.ok && identity.value.fullName).toBe('Иванов\u00a0Иван\u00a0Иванович');
    const extras = decodeBody(checkRequestSchema, parseAgentJson(fixture('check-extras.request.json')));
    expect(extras.ok && extras.value.extras).toEqual({ account1: 'test@gmail.com', account2: '121231' });
    expect(extras.ok && extras.value.account).toBe('0');
  });

  it('decodes every pay example', () => {
    const plain = decodeBody(payRequestSchema, parseAgentJson(fixture('pay.request.json')));
    expect(plain.ok && plain.value.amountTo).toBe(20000n);
    const contract = decodeBody(payRequestSchema, parseAgentJson(fixture('pay-contract.request.json')));
    expect(contract.ok && contract.value.extras).toEqual({ contractId: '000000588' });
    const complex = decodeBody(payRequestSchema, parseAgentJson(fixture('pay-complex.request.json')));
    expect(complex.ok && complex.value.extraServices).toEqual([
      { subServiceId: '114', lastCount: '11236', amount: 10000n },
      { subServiceId: '37', amount: 15000n },
      { subServiceId: '45', amount: 20000n },
    ]);
    expect(complex.ok && complex.value.amountTo).toBe(45000n);
  });

  it('decodes the service and operatorByPhone examples', () => {
    expect(decodeBody(serviceRequestSchema, parseAgentJson(fixture('service.request.json')))).toEqual({ ok: true, value: { serviceId: 'P1012' } });
    expect(decodeBody(operatorByPhoneRequestSchema, parseAgentJson(fixture('operatorByPhone.request.json')))).toEqual({ ok: true, value: { phoneNumber: '7777731414' } });
  });

  it('reads the pay answer example with its 14-digit id exactly', () => {
    const answer = parseAgentJson(fixture('pay.response.json')) as Record<string, { value: string }>;
    expect(answer.agentTransactionId!.value).toBe('26801048196008');
  });
});

describe('lossless numbers', () => {
  it('round-trips 18-digit ids exactly, beyond the safe integer range', () => {
    const text = '{"agentTransactionId":999999999999999999,"amountTo":200.00}';
    const body = decodeBody(payRequestSchema.pick({ agentTransactionId: true, amountTo: true }), parseAgentJson(text));
    expect(body).toEqual({ ok: true, value: { agentTransactionId: 999999999999999999n, amountTo: 20000n } });
    expect(stringifyAgentJson({ transactionId: 999999999999999999n })).toBe('{"transactionId":999999999999999999}');
  });

  it.each([
    ['1e3'], ['10.001'], ['-5'], ['0'], ['"abc"'], ['"NaN"'], ['null'], ['true'], ['[]'], ['{}'],
  ])('refuses the amount %s', (amount) => {
    const body = decodeBody(payRequestSchema, parseAgentJson(`{"serviceId":"P1011","account":"7770017711","agentTransactionId":1,"agentTransactionDate":"2015-02-17T16:48:37","amountTo":${amount}}`));
    expect(body.ok).toBe(false);
  });

  it('accepts amounts as strings too', () => {
    const body = decodeBody(payRequestSchema, parseAgentJson('{"serviceId":"P1011","account":"7770017711","agentTransactionId":"1","agentTransactionDate":"2015-02-17T16:48:37","amountTo":"180.5"}'));
    expect(body.ok && body.value.amountTo).toBe(18050n);
  });

  it.each([['1.5'], ['0'], ['-1'], ['1000000000000000000'], ['1e5']])('refuses the transaction id %s', (id) => {
    const body = decodeBody(payRequestSchema, parseAgentJson(`{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2015-02-17T16:48:37","amountTo":1}`));
    expect(body.ok).toBe(false);
  });

  it('refuses duplicate keys and malformed JSON', () => {
    expect(() => parseAgentJson('{"a":1,"a":2}')).toThrow();
    expect(() => parseAgentJson('{"a":')).toThrow();
  });

  it('keeps no-break spaces inside strings', () => {
    expect(parseAgentJson('{"a":"x\u00a0y"}')).toEqual({ a: 'x\u00a0y' });
  });
});
