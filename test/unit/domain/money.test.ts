import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatAmount, parseAmount } from '../../../src/domain/money.ts';

describe('parseAmount', () => {
  it.each([
    ['200', 20000n], ['200.0', 20000n], ['200.00', 20000n], ['0.01', 1n], ['180.5', 18050n], ['509455.90', 50945590n],
  ])('reads %s exactly', (text, minor) => {
    expect(parseAmount(text)).toEqual({ ok: true, minor });
  });

  it.each([
    ['1e3', 'not_a_decimal'], ['10.001', 'too_many_decimals'], ['10.000', 'too_many_decimals'], ['-5', 'not_positive'],
    ['0', 'not_positive'], ['0.00', 'not_positive'], ['abc', 'not_a_decimal'], ['NaN', 'not_a_decimal'], ['', 'not_a_decimal'],
    ['1.', 'not_a_decimal'], ['.5', 'not_a_decimal'], ['+5', 'not_a_decimal'], [' 5', 'not_a_decimal'], ['Infinity', 'not_a_decimal'],
    ['10000000000000.01', 'too_large'], ['0x10', 'not_a_decimal'],
  ])('refuses %s (%s)', (text, error) => {
    expect(parseAmount(text)).toEqual({ ok: false, error });
  });

  it('round-trips every minor amount through its decimal text (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: 10n ** 15n }), (minor) => {
      expect(parseAmount(formatAmount(minor))).toEqual({ ok: true, minor });
    }), { numRuns: 2_000 });
  });

  it('agrees with exact decimal arithmetic on any text of digits (property)', () => {
    fc.assert(fc.property(fc.stringMatching(/^\d{1,13}(\.\d{1,4})?$/), (text) => {
      const [whole = '0', fraction = ''] = text.split('.');
      const result = parseAmount(text);
      const expected = BigInt(whole) * 100n + BigInt((fraction.slice(0, 2) || '0').padEnd(2, '0'));
      if (fraction.length > 2) expect(result).toEqual({ ok: false, error: 'too_many_decimals' });
      else if (expected === 0n) expect(result).toEqual({ ok: false, error: 'not_positive' });
      else expect(result).toEqual({ ok: true, minor: expected });
    }), { numRuns: 2_000 });
  });

  it('never accepts a float-looking text that would need rounding (property)', () => {
    fc.assert(fc.property(fc.double({ noNaN: true }), (value) => {
      const result = parseAmount(String(value));
      if (result.ok) expect(formatAmount(result.minor)).toBe(Number(String(value)).toFixed(2));
    }), { numRuns: 2_000 });
  });
});

describe('formatAmount', () => {
  it('writes exact decimal text', () => {
    expect(formatAmount(18000n)).toBe('180.00');
    expect(formatAmount(5n)).toBe('0.05');
    expect(formatAmount(-5n)).toBe('-0.05');
    expect(formatAmount(0n)).toBe('0.00');
    expect(formatAmount(123456789012345678n)).toBe('1234567890123456.78');
  });
});
