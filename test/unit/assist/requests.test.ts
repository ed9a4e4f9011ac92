import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import {
  ASSIST_LANGUAGE_BY_PAGE,
  AssistCodecError,
  assistOrderFormFields,
  decodeAssistCancelRequest,
  decodeAssistChargeRequest,
  decodeAssistOrderForm,
  decodeAssistOrderStateRequest,
  encodeAssistCancelRequest,
  encodeAssistChargeRequest,
  encodeAssistOrderForm,
  encodeAssistOrderStateRequest,
  parseAssistAmount,
  type AssistFormat,
} from '../../../src/acquiring/assist/codec/index.ts';
import { assistCancelRequest, assistChargeRequest, assistOrderForm, assistOrderStateRequest } from '../../../src/acquiring/assist/mapping.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/assist/${name}`, import.meta.url), 'utf8');

/** The hidden inputs of an HTML form example, in order (the Submit button excluded). */
function formInputs(html: string): Array<[string, string]> {
  return [...html.matchAll(/<INPUT TYPE="HIDDEN" NAME="([^"]*)" VALUE="([^"]*)">/g)].map(
    (m): [string, string] => [m[1] ?? '', m[2] ?? ''],
  );
}

const credentials = { merchantId: '123456', login: 'tolem_login', password: 'Secret12345' };

describe('Assist order form (pay/order.cfm, Delay=1)', () => {
  const form = assistOrderForm({
    merchantId: '123456',
    orderNumber: 'A20042011_28',
    amountMinor: 23740n,
    currency: 'USD',
    pageLanguage: 'ru',
    email: 'test@test.ru',
    comment: ' 28-A',
    returnOkUrl: 'http://www.URL.ru/yes',
    returnNoUrl: 'http://www.URL.ru/no',
  });

  it('has every field of the spec example, same names, same order, same values (but our merchant id)', () => {
    const expected = formInputs(fixture('order-form-delay1.html')).map(([k, v]): [string, string] =>
      k === 'Merchant_ID' ? [k, '123456'] : [k, v],
    );
    expect(assistOrderFormFields(form)).toEqual(expected);
    expect(form.Delay).toBe('1');
    expect(form.OrderAmount).toBe('237.40');
  });

  it('round-trips through the simulator parser', () => {
    const { body, contentType } = encodeAssistOrderForm(form);
    expect(contentType).toBe('application/x-www-form-urlencoded');
    expect(decodeAssistOrderForm(body)).toEqual({
      ok: true,
      value: {
        merchantId: '123456',
        orderNumber: 'A20042011_28',
        amountMinor: 23740n,
        currency: 'USD',
        delayed: true,
        language: 'RU',
        email: 'test@test.ru',
        comment: ' 28-A',
        returnOkUrl: 'http://www.URL.ru/yes',
        returnNoUrl: 'http://www.URL.ru/no',
      },
    });
  });

  it('maps page languages to RU/EN', () => {
    expect(ASSIST_LANGUAGE_BY_PAGE).toEqual({ ru: 'RU', kk: 'RU', ky: 'RU', en: 'EN' });
  });

  it('refuses non-positive amounts and bad currencies when building', () => {
    const base = { ...credentials, orderNumber: '1', currency: 'KZT', pageLanguage: 'en' as const, returnOkUrl: 'a', returnNoUrl: 'b' };
    expect(() => assistOrderForm({ ...base, amountMinor: 0n })).toThrow(AssistCodecError);
    expect(() => assistOrderForm({ ...base, amountMinor: -100n })).toThrow(AssistCodecError);
    expect(() => assistOrderForm({ ...base, amountMinor: 100n, currency: 'kzt' })).toThrow(AssistCodecError);
  });
});

describe('Assist charge.cfm request', () => {
  it('the spec example has the table parameters (BillNumber spelled with a capital N)', () => {
    expect(formInputs(fixture('charge-request-form.html'))).toEqual([
      ['BillNumber', '545000000000001'],
      ['Merchant_ID', ' Merchant_ID'],
      ['Login', ' '],
      ['Password', ' '],
      ['Amount', '100'],
      ['Currency', 'RUR'],
      ['Language', '0'],
      ['Format', '3'],
    ]);
  });

  it('the simulator reads the spec example once its placeholders are filled, and refuses the placeholders', () => {
    const pairs = formInputs(fixture('charge-request-form.html'));
    expect(decodeAssistChargeRequest(new URLSearchParams(pairs).toString(), 'application/x-www-form-urlencoded')).toMatchObject({
      ok: false,
    });
    const filled = pairs.map(([k, v]): [string, string] =>
      k === 'Merchant_ID' ? [k, '123456'] : k === 'Login' ? [k, 'tolem_login'] : k === 'Password' ? [k, 'Secret12345'] : [k, v],
    );
    const parsed = decodeAssistChargeRequest(new URLSearchParams(filled).toString(), 'application/x-www-form-urlencoded');
    expect(parsed).toEqual({
      ok: true,
      value: {
        billnumber: '545000000000001',
        merchantId: '123456',
        login: 'tolem_login',
        password: 'Secret12345',
        partial: { amountMinor: 10000n, currency: 'RUR' },
        clientIp: undefined,
        language: 'RU',
        format: 'xml',
        autoDeposit: false,
      },
    });
  });

  it('full charge: no Amount, no Currency', () => {
    const req = assistChargeRequest({ ...credentials, billnumber: '545000000000001', format: 'json' });
    expect(req).toEqual({
      Billnumber: '545000000000001',
      Merchant_ID: '123456',
      Login: 'tolem_login',
      Password: 'Secret12345',
      Format: '5',
    });
    const { contentType, body } = encodeAssistChargeRequest(req);
    expect(contentType).toMatch(/^application\/json/);
    expect(JSON.parse(body)).toEqual(req);
  });

  it('partial charge: exact decimal Amount with Currency', () => {
    const req = assistChargeRequest({
      ...credentials,
      billnumber: '50000000000001.2',
      partial: { amountMinor: 45000n, currency: 'KZT' },
      format: 'xml',
      language: 'EN',
      clientIp: '10.0.0.1',
      autoDeposit: true,
    });
    expect(req.Amount).toBe('450.00');
    expect(req.Currency).toBe('KZT');
    const { contentType, body } = encodeAssistChargeRequest(req);
    expect(contentType).toBe('application/x-www-form-urlencoded');
    expect(body).toBe(
      'Billnumber=50000000000001.2&Merchant_ID=123456&Login=tolem_login&Password=Secret12345&Amount=450.00' +
        '&Currency=KZT&ClientIP=10.0.0.1&Language=EN&Format=3&AutoDeposit=1',
    );
  });

  const formats: AssistFormat[] = ['csv', 'xml', 'soap', 'json'];
  for (const format of formats) {
    it(`round-trips in format ${format}`, () => {
      const req = assistChargeRequest({
        ...credentials,
        billnumber: '5450000000000011',
        partial: { amountMinor: 1n, currency: 'KGS' },
        format,
      });
      const { contentType, body } = encodeAssistChargeRequest(req);
      const parsed = decodeAssistChargeRequest(body, contentType);
      expect(parsed).toEqual({
        ok: true,
        value: {
          billnumber: '5450000000000011',
          ...credentials,
          partial: { amountMinor: 1n, currency: 'KGS' },
          clientIp: undefined,
          language: 'RU',
          format,
          autoDeposit: false,
        },
      });
    });
  }

  it('the SOAP request is a MakeCharge envelope in Assist message namespace', () => {
    const { body } = encodeAssistChargeRequest(assistChargeRequest({ ...credentials, billnumber: '1', format: 'soap' }));
    expect(body).toContain("<ASS-NS:MakeCharge xmlns:ASS-NS='http://www.paysecure.ru/message/'>");
    expect(body).toContain('<Billnumber>1</Billnumber>');
  });

  it('simulator refuses Amount without Currency, and bad amounts', () => {
    const base = 'Billnumber=1&Merchant_ID=1&Login=tolem_login&Password=Secret12345';
    const ct = 'application/x-www-form-urlencoded';
    expect(decodeAssistChargeRequest(`${base}&Amount=10.00`, ct).ok).toBe(false);
    for (const amount of ['10.001', '-1', 'abc', '0', '1e3']) {
      expect(decodeAssistChargeRequest(`${base}&Amount=${amount}&Currency=KZT`, ct).ok).toBe(false);
    }
    expect(decodeAssistChargeRequest(`${base}&Amount=10,50&Currency=KZT`, ct)).toMatchObject({
      ok: true,
      value: { partial: { amountMinor: 1050n } },
    });
  });

  it('refuses bad input when building', () => {
    expect(() => assistChargeRequest({ ...credentials, billnumber: 'abc', format: 'xml' })).toThrow(AssistCodecError);
    expect(() => assistChargeRequest({ ...credentials, login: 'short', billnumber: '1', format: 'xml' })).toThrow(AssistCodecError);
    expect(() =>
      assistChargeRequest({ ...credentials, billnumber: '1', format: 'xml', partial: { amountMinor: -1n, currency: 'KZT' } }),
    ).toThrow(AssistCodecError);
  });
});

describe('parseAssistAmount', () => {
  it('accepts "." and "," with at most two decimals', () => {
    expect(parseAssistAmount('450.00')).toBe(45000n);
    expect(parseAssistAmount('450,5')).toBe(45050n);
    expect(parseAssistAmount('100')).toBe(10000n);
  });
  it('refuses 10.001, -1, abc, zero and more than 15 digits', () => {
    for (const text of ['10.001', '-1', 'abc', '0', '0.00', '1e3', '12345678901234.56', '']) {
      expect(parseAssistAmount(text)).toBeUndefined();
    }
  });
});

describe('Assist cancel.cfm and orderstate.cfm requests', () => {
  it('cancel round-trips (full release of the hold)', () => {
    const req = assistCancelRequest({ ...credentials, billnumber: '5450000000000011', format: 'json', cancelReason: 'provider refused' });
    const { contentType, body } = encodeAssistCancelRequest(req);
    expect(decodeAssistCancelRequest(body, contentType)).toEqual({
      ok: true,
      value: {
        billnumber: '5450000000000011',
        ...credentials,
        partial: undefined,
        clientIp: undefined,
        language: 'RU',
        format: 'json',
        cancelReason: 'provider refused',
      },
    });
  });

  it('order-state round-trips', () => {
    const req = assistOrderStateRequest({ ...credentials, orderNumber: 'TLM-42', format: 'xml', since: { year: 2025, month: 1, day: 31 } });
    expect(req).toMatchObject({ Ordernumber: 'TLM-42', Format: '3', StartDay: '31', StartMonth: '1', StartYear: '2025' });
    const { contentType, body } = encodeAssistOrderStateRequest(req);
    expect(decodeAssistOrderStateRequest(body, contentType)).toEqual({
      ok: true,
      value: { orderNumber: 'TLM-42', ...credentials, format: 'xml' },
    });
  });
});
