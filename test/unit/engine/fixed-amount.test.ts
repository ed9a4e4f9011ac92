import { describe, expect, it } from 'vitest';
import type { Service } from '../../../src/domain/catalog.ts';
import { fixedAmountOf, quoteNeeded, validateFixedAmount } from '../../../src/engine/validation.ts';

const fixed = { serviceId: 'P1012', type: 0, fixedPayment: true } as Service;
const free = { serviceId: 'P2001', type: 0, fixedPayment: false } as Service;
const named = { displays: { fio: 'Test fio', fixedAmount: '20000.00' } };
const conversion = { conversion: { currencyRate: 'KZT/USD', rate: '0.0020833333', finalAmount: '0.00', currency: 'USD' } };

describe('fixed payments', () => {
  it('reads the fixed amount the provider named, and nothing that is not an amount', () => {
    expect(fixedAmountOf(named)).toBe(2_000_000n);
    expect(fixedAmountOf({ displays: { fixedAmount: 'twenty' } })).toBeUndefined();
    expect(fixedAmountOf(undefined)).toBeUndefined();
  });

  it('accepts exactly the fixed amount: below is 241, above 242, no amount named 300 (all final)', () => {
    expect(validateFixedAmount(fixed, 2_000_000n, named)).toEqual({ ok: true });
    expect(validateFixedAmount(fixed, 1_000n, named)).toMatchObject({ ok: false, code: 241 });
    expect(validateFixedAmount(fixed, 2_000_001n, named)).toMatchObject({ ok: false, code: 242 });
    expect(validateFixedAmount(fixed, 2_000_000n, { displays: { fio: 'Test fio' } })).toMatchObject({ ok: false, code: 300 });
    expect(validateFixedAmount(free, 1_000n, undefined)).toEqual({ ok: true });
  });
});

describe('quoteNeeded', () => {
  it('asks the provider when the fixed amount is unknown, or the conversion was quoted for another amount', () => {
    expect(quoteNeeded(fixed, undefined, null, 2_000_000n)).toBe(true);
    expect(quoteNeeded(fixed, named, null, 1_000n)).toBe(false);
    expect(quoteNeeded(free, conversion, null, 84_000n)).toBe(true);
    expect(quoteNeeded(free, conversion, 60_000n, 84_000n)).toBe(true);
    expect(quoteNeeded(free, conversion, 84_000n, 84_000n)).toBe(false);
    expect(quoteNeeded(free, undefined, null, 84_000n)).toBe(false);
  });
});
