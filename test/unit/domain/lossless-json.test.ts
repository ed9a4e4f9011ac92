import { describe, expect, it } from 'vitest';
import { isLosslessNumber, LosslessNumber, parseJsonLossless, readJsonLossless, stringifyJsonLossless } from '../../../src/domain/lossless-json.ts';

const ID = '123456789012345678'; // 18 digits: past Number.MAX_SAFE_INTEGER (16 digits)

describe('lossless JSON', () => {
  it('digits: an 18-digit id and an amount keep every digit, as text', () => {
    expect(Number(ID)).not.toBe(ID); // the float would lose it
    expect(parseJsonLossless(`{"id":${ID},"amount":10.10,"e":1e400}`, 'digits')).toEqual({ id: ID, amount: '10.10', e: '1e400' });
  });

  it('token: numbers are LosslessNumbers (the schema tells a number from a string of digits)', () => {
    const parsed = parseJsonLossless(`{"id":${ID},"text":"${ID}"}`, 'token') as Record<string, unknown>;
    expect(isLosslessNumber(parsed['id'])).toBe(true);
    expect((parsed['id'] as LosslessNumber).value).toBe(ID);
    expect(parsed['text']).toBe(ID);
  });

  it('refuses duplicate keys', () => {
    expect(() => parseJsonLossless('{"a":1,"a":2}', 'digits')).toThrow();
    expect(readJsonLossless('{"a":1,"a":2}', { numbers: 'digits', maxChars: 100 })).toBeUndefined();
  });

  it('readJsonLossless never throws: too long or not JSON is undefined', () => {
    expect(readJsonLossless('{"a":1}', { numbers: 'digits', maxChars: 3 })).toBeUndefined();
    expect(readJsonLossless('{"a":', { numbers: 'digits', maxChars: 100 })).toBeUndefined();
    expect(readJsonLossless('[1]', { numbers: 'digits', maxChars: 100 })).toEqual(['1']);
  });

  it('writes bigint and LosslessNumber as exact JSON numbers, and round-trips', () => {
    const text = stringifyJsonLossless({ transactionId: BigInt(ID), echoed: new LosslessNumber(ID), amount: new LosslessNumber('10.10') });
    expect(text).toBe(`{"transactionId":${ID},"echoed":${ID},"amount":10.10}`);
    expect(parseJsonLossless(text, 'digits')).toEqual({ transactionId: ID, echoed: ID, amount: '10.10' });
    expect(stringifyJsonLossless(undefined)).toBe('null');
  });
});
