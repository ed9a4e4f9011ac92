/** Spec tables, dates, transaction numbers and password-md5. */
import { describe, expect, it } from 'vitest';
import {
  ELSOM_DEFAULT_UTC_OFFSET_MINUTES,
  ELSOM_RESULT,
  ELSOM_RESULT_CODES,
  ELSOM_STATUS,
  ELSOM_STATUS_TEXT,
  elsomPasswordMatches,
  formatElsomCompactDateTime,
  formatElsomDateTime,
  formatElsomRegistryDateTime,
  formatElsomRequestAmount,
  formatElsomServerTime,
  fromElsomLocal,
  isElsomResultCode,
  md5Hex,
  parseElsomCompactDateTime,
  parseElsomRegistryDateTime,
  parseElsomServerTime,
  sameElsomTransactionNumber,
  toElsomLocal,
} from '../../../src/gateways/elsom-biller/codec/index.ts';

describe('spec tables (section 2.5)', () => {
  it('names every result code of the table exactly once', () => {
    const named = Object.values(ELSOM_RESULT).map(Number).sort((a, b) => a - b);
    const listed = Object.keys(ELSOM_RESULT_CODES).map(Number).sort((a, b) => a - b);
    expect(named).toEqual(listed);
    expect(new Set(named).size).toBe(named.length);
    expect(listed).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 150, 155, 201, 202, 203, 220, 221, 233, 240, 241, 242, 243, 270, 271,
      272, 274, 275, 276, 280, 300,
    ]);
  });

  it('carries the fatality column as read (null where the spec leaves it blank)', () => {
    const fatal = (code: keyof typeof ELSOM_RESULT_CODES) => ELSOM_RESULT_CODES[code].fatal;
    expect([fatal(202), fatal(275), fatal(150), fatal(10)]).toEqual([true, true, true, true]);
    expect([fatal(0), fatal(1), fatal(220), fatal(300), fatal(13)]).toEqual([false, false, false, false, false]);
    expect([fatal(12), fatal(221), fatal(233)]).toEqual([null, null, null]);
    expect(ELSOM_RESULT_CODES[202].text).toBe('Ошибка данных запроса');
  });

  it('lists the six status-ids', () => {
    expect(Object.values(ELSOM_STATUS)).toEqual([10, 30, 60, 125, 130, 160]);
    expect(ELSOM_STATUS_TEXT[60]).toBe('Проведена');
  });

  it('recognises codes', () => {
    expect([isElsomResultCode(233), isElsomResultCode(11), isElsomResultCode(-1)]).toEqual([true, false, false]);
  });
});

describe('dates', () => {
  const local = { year: 2015, month: 8, day: 4, hour: 0, minute: 1, second: 13, millisecond: 0 };

  it('formats an instant as YYYYMMDDhhmmss in Elsom’s zone (UTC+6 by default)', () => {
    const instant = new Date('2015-08-03T18:01:13.999Z');
    expect(formatElsomDateTime(instant, ELSOM_DEFAULT_UTC_OFFSET_MINUTES)).toBe('20150804000113');
    expect(formatElsomDateTime(instant, 0)).toBe('20150803180113');
    expect(formatElsomDateTime(new Date('2015-01-01T02:00:00Z'), -300)).toBe('20141231210000');
  });

  it('converts wall clock ⇄ instant at a fixed offset', () => {
    expect(fromElsomLocal(local, 360).toISOString()).toBe('2015-08-03T18:01:13.000Z');
    expect(toElsomLocal(new Date('2015-08-03T18:01:13.000Z'), 360)).toEqual(local);
    expect(fromElsomLocal({ ...local, year: 1999, month: 12, day: 31, hour: 23 }, -60).toISOString()).toBe(
      '2000-01-01T00:01:13.000Z',
    );
  });

  it('parses and formats the three wire formats', () => {
    expect(parseElsomCompactDateTime('20150804000113')).toEqual(local);
    expect(formatElsomCompactDateTime(local)).toBe('20150804000113');
    expect(parseElsomRegistryDateTime('04.08.2015 00:01:13')).toEqual(local);
    expect(formatElsomRegistryDateTime(local)).toBe('04.08.2015 00:01:13');
    expect(parseElsomServerTime('2015-08-04T00:00:47.467')).toEqual({ ...local, second: 47, minute: 0, millisecond: 467 });
    expect(parseElsomServerTime('2015-08-04T00:00:47.5')?.millisecond).toBe(500);
    expect(parseElsomServerTime('2015-08-04T00:00:47')?.millisecond).toBe(0);
    expect(formatElsomServerTime({ ...local, millisecond: 7 })).toBe('2015-08-04T00:01:13.007');
  });

  it.each([
    '2015080400011',
    '201508040001130',
    '20150230000000',
    '20150229000000',
    '20151301000000',
    '20150800000000',
    '20150804240000',
    '20150804006000',
    '20150804000060',
    '00000804000000',
    '2015080400011a',
  ])('refuses %s', (text) => {
    expect(parseElsomCompactDateTime(text)).toBeUndefined();
  });

  it('accepts 29 February in a leap year; refuses the spec registry example’s 60th second', () => {
    expect(parseElsomCompactDateTime('20160229235959')).toMatchObject({ month: 2, day: 29 });
    expect(parseElsomRegistryDateTime('04.08.2015 00:03:60')).toBeUndefined();
    expect(parseElsomRegistryDateTime('4.8.2015 00:03:59')).toBeUndefined();
  });
});

describe('transaction numbers', () => {
  it('treats the spec’s 021508040001364907 and 21508040001364907 as the same number', () => {
    expect(sameElsomTransactionNumber('021508040001364907', '21508040001364907')).toBe(true);
    expect(sameElsomTransactionNumber('021508040001364907', '021508040001364907')).toBe(true);
    expect(sameElsomTransactionNumber('021508040001364907', '21508040001364908')).toBe(false);
    expect(sameElsomTransactionNumber('A01', 'A1')).toBe(false);
  });
});

describe('request amounts as the wallet writes them', () => {
  it.each([
    [1000n, '10'],
    [1050n, '10.50'],
    [1n, '0.01'],
    [123456789012345678n, '1234567890123456.78'],
  ])('%s tyiyn → %s', (minor, expected) => {
    expect(formatElsomRequestAmount(minor)).toBe(expected);
  });
});

describe('password-md5', () => {
  const expected = md5Hex('password');

  it('is the lowercase hex MD5 of the UTF-8 password', () => {
    expect(expected).toBe('5f4dcc3b5aa765d61d8327deb882cf99');
    expect(md5Hex('пароль')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('matches in any case, on either side', () => {
    expect(elsomPasswordMatches(expected, expected)).toBe(true);
    expect(elsomPasswordMatches(expected, expected.toUpperCase())).toBe(true);
    expect(elsomPasswordMatches(expected.toUpperCase(), expected)).toBe(true);
  });

  it.each([
    ['another digest', md5Hex('Password')],
    ['the plain password', 'password'],
    ['the spec example’s mask', '************'],
    ['a truncated digest', expected.slice(0, 31)],
    ['a longer string', `${expected}0`],
    ['padded with spaces', ` ${expected}`],
    ['empty', ''],
  ])('refuses %s', (_name, given) => {
    expect(elsomPasswordMatches(expected, given)).toBe(false);
  });

  it('never matches against a misconfigured expected value', () => {
    expect(elsomPasswordMatches('', '')).toBe(false);
    expect(elsomPasswordMatches('not-hex', 'not-hex')).toBe(false);
  });
});
