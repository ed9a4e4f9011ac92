import { describe, expect, it } from 'vitest';
import {
  formatAlsecoMoney, parseAlsecoDateTime, parseAlsecoDotDate, parseAlsecoMoney,
} from '../../../src/providers/alseco/codec/index.ts';
import { alsecoInvoicePeriod, stripInvoiceCheckDigit } from '../../../src/providers/alseco/codec/index.ts';

describe('money: exact decimal text ⇄ bigint tiyn', () => {
  it.each([
    ['359.8', 35_980n], ['1000.00', 100_000n], ['100', 10_000n], ['0.00', 0n], ['7865.08', 786_508n],
    [' 49500.00\n', 4_950_000n], ['-415.90', -41_590n], ['0.01', 1n], ['99999999999.99', 9_999_999_999_999n],
  ] as const)('%j → %s', (text, minor) => {
    expect(parseAlsecoMoney(text)).toBe(minor);
  });
  it.each(['1.001', '1.000', '1e3', '', '.5', '5.', '1,50', 'NaN', '0x10', '--1', '12 000.00'])('refuses %j', (text) => {
    expect(parseAlsecoMoney(text)).toBeUndefined();
  });
  it('formats exactly, never through a float', () => {
    expect(formatAlsecoMoney(45_000n)).toBe('450.00');
    expect(formatAlsecoMoney(1n)).toBe('0.01');
    expect(formatAlsecoMoney(-41_590n)).toBe('-415.90');
    expect(formatAlsecoMoney(123_456_789_012_345_678n)).toBe('1234567890123456.78');
  });
});

describe('dates keep the partner format, no time-zone guessing', () => {
  it('splits a dateTime with 7 fraction digits and an offset', () => {
    expect(parseAlsecoDateTime('2007-12-04T18:58:03.5381358+06:00')).toEqual({
      year: 2007, month: 12, day: 4, hour: 18, minute: 58, second: 3, fraction: '5381358', offset: '+06:00',
    });
  });
  it('a local time stays local (offset null)', () => {
    expect(parseAlsecoDateTime('2018-03-26T00:00:00')).toMatchObject({ day: 26, offset: null, fraction: '' });
  });
  it('reads DAT of GetReport108e', () => {
    expect(parseAlsecoDotDate('23.10.2017')).toEqual({ year: 2017, month: 10, day: 23 });
    expect(parseAlsecoDotDate('2017-10-23')).toBeUndefined();
  });
  it('refuses what is not a dateTime', () => {
    expect(parseAlsecoDateTime('?')).toBeUndefined();
    expect(parseAlsecoDateTime('2018-03-26')).toBeUndefined();
  });
});

describe('invoice numbers typed by people', () => {
  it('strips the check digit (the last one) and reads the period', () => {
    expect(stripInvoiceCheckDigit('1803101346557')).toEqual({
      ok: true, invoiceId: '180310134655', checkDigit: '7', period: { year: 2018, month: 3 },
    });
  });
  it('accepts digit groups separated by spaces or dashes', () => {
    expect(stripInvoiceCheckDigit(' 2410 1234 5678-9 ')).toMatchObject({ ok: true, invoiceId: '241012345678', checkDigit: '9' });
  });
  it.each([
    ['', 'empty'], ['   ', 'empty'], ['24101234567a', 'not-digits'], ['24101', 'too-short'],
    ['24101234567890123', 'too-long'], ['2413123456789', 'bad-period'], ['2400123456789', 'bad-period'],
  ] as const)('%j → %s', (typed, error) => {
    expect(stripInvoiceCheckDigit(typed)).toEqual({ ok: false, failure: { kind: error, detail: expect.any(String) } });
  });
  it('reads the period of an invoice id', () => {
    expect(alsecoInvoicePeriod('241012345678')).toEqual({ year: 2024, month: 10 });
    expect(alsecoInvoicePeriod('9999')).toBeUndefined();
  });
});
