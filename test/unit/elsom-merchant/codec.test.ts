import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import {
  ELSOM_CULTURE_BY_PAGE_LANGUAGE,
  ELSOM_PAYMENT_STATUSES,
  ELSOM_PAYMENT_STATUS_OUTCOME,
  ElsomCodecError,
  elsomGenerateOtpPath,
  elsomPaymentOutcome,
  elsomStatusOutcome,
  encodeElsomGetPaymentStatus,
  encodeElsomGetPaymentStatusResponse,
  encodeElsomIaInit,
  encodeElsomIaInitResponse,
  encodeElsomPaymentResult,
  encodeElsomPaymentResultAnswer,
  decodeElsomGetPaymentStatus,
  decodeElsomGetPaymentStatusResponse,
  decodeElsomIaInit,
  decodeElsomIaInitResponse,
  decodeElsomPaymentResult,
  decodeElsomPaymentResultAnswer,
} from '../../../src/acquiring/elsom-merchant/codec.ts';
import { elsomGetPaymentStatusRequest, elsomIaInitRequest } from '../../../src/acquiring/elsom-merchant/mapping.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/elsom-merchant/${name}`, import.meta.url), 'utf8');

/** The "key" => "value" pairs of the spec's PHP array example (its last line has a stray ">" for a quote). */
function phpArray(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/"?([A-Za-z]+)" => "([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

const iaInitInput = {
  pageLanguage: 'ru' as const,
  msisdn: '0556109910',
  pmsisdn: '0901015003',
  partnerCode: '00609',
  password: 'ee7e',
  chequeNo: '123',
  partnerTrnId: 'test_24',
  amountMinor: 1000n,
  cashierNo: '0001',
  udf: 'browserName',
};

describe('Elsom IA_Init', () => {
  it('builds every field of the spec table, with the example values', () => {
    const request = elsomIaInitRequest(iaInitInput);
    const example = phpArray(fixture('ia-init-input-php-array.txt'));
    expect(Object.keys(example)).toEqual([
      'CultureInfo', 'MSISDN', 'PmSISDN', 'PartnerCode', 'ChequeNo', 'PartnerTrnID', 'Amount', 'CashierNo', 'UDF', 'Password',
    ]);
    expect(request.IA_Init).toEqual({ ...example, Amount: '10.00' }); // "10" in the example; exact decimal from us
    expect(Object.keys(request.IA_Init)).toEqual([
      'CultureInfo', 'MSISDN', 'PmSISDN', 'PartnerCode', 'Password', 'ChequeNo', 'PartnerTrnID', 'Amount', 'CashierNo', 'UDF',
    ]);
  });

  it('unused optional fields travel as empty values, MSISDN as "0"', () => {
    const { msisdn: _m, chequeNo: _c, cashierNo: _k, udf: _u, ...rest } = iaInitInput;
    expect(elsomIaInitRequest(rest).IA_Init).toMatchObject({ MSISDN: '0', ChequeNo: '', CashierNo: '', UDF: '' });
  });

  it('round-trips through the simulator parser; the example amount "10" reads as 1000n', () => {
    const body = encodeElsomIaInit(elsomIaInitRequest(iaInitInput));
    const parsed = decodeElsomIaInit(body);
    expect(parsed).toEqual({ ok: true, value: { fields: elsomIaInitRequest(iaInitInput).IA_Init, amountMinor: 1000n } });
    const example = { IA_Init: phpArray(fixture('ia-init-input-php-array.txt')) };
    expect(decodeElsomIaInit(JSON.stringify(example))).toMatchObject({ ok: true, value: { amountMinor: 1000n } });
  });

  it('refuses amounts 10.001, -1, abc (simulator) and non-positive amounts (builder)', () => {
    for (const amount of ['10.001', '-1', 'abc', '0', '1e3']) {
      const body = JSON.stringify({ IA_Init: { ...elsomIaInitRequest(iaInitInput).IA_Init, Amount: amount } });
      expect(decodeElsomIaInit(body).ok).toBe(false);
    }
    expect(() => encodeElsomIaInit(elsomIaInitRequest({ ...iaInitInput, amountMinor: 0n }))).toThrow(ElsomCodecError);
    expect(() => encodeElsomIaInit(elsomIaInitRequest({ ...iaInitInput, amountMinor: -5n }))).toThrow(ElsomCodecError);
  });

  it('refuses fields that break the table (wallet format, Varchar lengths)', () => {
    expect(() => encodeElsomIaInit(elsomIaInitRequest({ ...iaInitInput, pmsisdn: '556109910' }))).toThrow(ElsomCodecError);
    expect(() => encodeElsomIaInit(elsomIaInitRequest({ ...iaInitInput, partnerTrnId: 'x'.repeat(21) }))).toThrow(ElsomCodecError);
    expect(() => encodeElsomIaInit(elsomIaInitRequest({ ...iaInitInput, partnerCode: '' }))).toThrow(ElsomCodecError);
  });

  it('maps page languages to the cultures the table allows', () => {
    expect(ELSOM_CULTURE_BY_PAGE_LANGUAGE).toEqual({ ru: 'ru-RU', kk: 'ru-RU', ky: 'ky-KG', en: 'en-US' });
    expect(elsomIaInitRequest({ ...iaInitInput, pageLanguage: 'ky' }).IA_Init.CultureInfo).toBe('ky-KG');
  });

  it('builds the server path with the tenant id', () => {
    expect(elsomGenerateOtpPath('42')).toBe('/service/v1/merchant/generateOTP/42');
    expect(() => elsomGenerateOtpPath('../x')).toThrow(ElsomCodecError);
  });
});

describe('Elsom IA_Init answer', () => {
  const url = fixture('ia-init-result-otp-url.txt').trim();

  it('the spec URL example is an https URL with language and platform', () => {
    expect(url).toBe('https://merchant.elsom.kg/merchant-payment/30b6689c-8436-4a03-948e-88bba6ea2540?language=en&platform=web');
  });

  it('reads the PHP class result form ["success", url]', () => {
    expect(decodeElsomIaInitResponse(JSON.stringify(['success', url]))).toEqual({ kind: 'ok', paymentUrl: url });
  });

  it('round-trips our envelope form, success and refusal', () => {
    expect(decodeElsomIaInitResponse(encodeElsomIaInitResponse({ paymentUrl: url }))).toEqual({ kind: 'ok', paymentUrl: url });
    expect(decodeElsomIaInitResponse(encodeElsomIaInitResponse({ errorCode: '150', errorMsg: 'Wrong password' }))).toEqual({
      kind: 'refused',
      errorCode: '150',
      errorMsg: 'Wrong password',
    });
  });

  for (const [name, body] of [
    ['empty', ''],
    ['HTML', '<html><body>502</body></html>'],
    ['truncated', '{"Response":{"ErrorCode":"0","ErrorMsg":"Succ'],
    ['success without URL', '{"Response":{"ErrorCode":"0"},"Result":{}}'],
    ['failure array', '["error", "no"]'],
    ['non-http URL', '{"Response":{"ErrorCode":"0"},"Result":{"URL":"javascript:alert(1)"}}'],
  ] as const) {
    it(`${name} → unreadable`, () => {
      expect(decodeElsomIaInitResponse(body).kind).toBe('unreadable');
    });
  }
});

describe('Elsom PartnerGetPaymentStatus', () => {
  it('the spec request example parses to exact values', () => {
    expect(decodeElsomGetPaymentStatus(fixture('get-payment-status-request.json'))).toEqual({
      ok: true,
      value: { CultureInfo: 'ru-Ru', MSISDN: '0909002003', PartnerTrnID: '18', Password: 'Password1' },
    });
  });

  it('our request has the spec layout byte for byte (same values)', () => {
    const request = elsomGetPaymentStatusRequest({ pageLanguage: 'ru', msisdn: '0909002003', partnerTrnId: '18', password: 'Password1' });
    const expected = fixture('get-payment-status-request.json').trimEnd().replace('"ru-Ru"', '"ru-RU"');
    expect(encodeElsomGetPaymentStatus(request)).toBe(expected);
  });

  it('the spec answer example (with its trailing comma) reads as status 1, pending', () => {
    const answer = decodeElsomGetPaymentStatusResponse(fixture('get-payment-status-response-in-processing.json'));
    expect(answer).toEqual({ kind: 'status', paymentStatus: '1', outcome: 'pending', message: 'Платеж в обработке' });
  });

  it('round-trips every status through the simulator encoder', () => {
    for (const status of [...ELSOM_PAYMENT_STATUSES, 'Z']) {
      const answer = decodeElsomGetPaymentStatusResponse(encodeElsomGetPaymentStatusResponse({ paymentStatus: status, message: 'm' }));
      expect(answer).toEqual({ kind: 'status', paymentStatus: status, outcome: elsomPaymentOutcome(status), message: 'm' });
    }
  });

  it('a non-zero ErrorCode is an error with unknown outcome, not a failed payment', () => {
    const answer = decodeElsomGetPaymentStatusResponse(encodeElsomGetPaymentStatusResponse({ errorCode: '404', errorMsg: 'Not found' }));
    expect(answer).toEqual({ kind: 'error', errorCode: '404', errorMsg: 'Not found' });
    expect(elsomStatusOutcome(answer)).toBe('unknown');
  });

  it('numbers are read exactly (ErrorCode as a number, a PaymentStatus beyond 2^53)', () => {
    const answer = decodeElsomGetPaymentStatusResponse('{"Response":{"ErrorCode":0},"Result":{"PaymentStatus":12345678901234567890}}');
    expect(answer).toMatchObject({ kind: 'status', paymentStatus: '12345678901234567890', outcome: 'unknown' });
  });

  for (const [name, body] of [
    ['empty', ''],
    ['HTML', '<html>oops</html>'],
    ['truncated', fixture('get-payment-status-response-in-processing.json').slice(0, 80)],
    ['no Result', '{"Response":{"ErrorCode":"0","ErrorMsg":"Success"}}'],
    ['garbage', 'A'],
    ['non-numeric ErrorCode', '{"Response":{"ErrorCode":"OK"},"Result":{"PaymentStatus":"A"}}'],
  ] as const) {
    it(`${name} → unreadable, outcome unknown`, () => {
      const answer = decodeElsomGetPaymentStatusResponse(body);
      expect(answer.kind).toBe('unreadable');
      expect(elsomStatusOutcome(answer)).toBe('unknown');
    });
  }
});

describe('Elsom PartnerPaymentResult callback', () => {
  it('the spec callback parses to exact values', () => {
    expect(decodeElsomPaymentResult(fixture('payment-result-callback.json'))).toEqual({
      ok: true,
      value: {
        fields: {
          CultureInfo: 'ru-Ru',
          MSISDN: '0555150155',
          PartnerTrnID: '123456',
          PSPTTrnID: 'PSP123456',
          PaymentStatus: 'A',
          Message: 'Платеж прошел успешно',
          CashierNo: '123456',
          ChequeNo: '123456',
        },
        outcome: 'paid',
      },
    });
  });

  it('the simulator encodes the spec callback byte for byte', () => {
    const parsed = decodeElsomPaymentResult(fixture('payment-result-callback.json'));
    if (!parsed.ok) throw new Error(parsed.failure.detail);
    expect(encodeElsomPaymentResult(parsed.value.fields)).toBe(fixture('payment-result-callback.json').trimEnd());
  });

  it('our answer is the spec answer byte for byte, and the simulator reads it as accepted', () => {
    const answer = encodeElsomPaymentResultAnswer();
    expect(answer).toBe(fixture('payment-result-answer.json').trimEnd());
    expect(decodeElsomPaymentResultAnswer(answer)).toEqual({ kind: 'accepted' });
    expect(decodeElsomPaymentResultAnswer(fixture('payment-result-answer.json'))).toEqual({ kind: 'accepted' });
    expect(decodeElsomPaymentResultAnswer(encodeElsomPaymentResultAnswer('1', 'Unknown transaction'))).toEqual({
      kind: 'refused',
      errorCode: '1',
      errorMsg: 'Unknown transaction',
    });
    expect(decodeElsomPaymentResultAnswer('<html>').kind).toBe('unreadable');
  });

  it('keeps ids sent as big JSON numbers exact', () => {
    const body = '{"PartnerPaymentResult":{"CultureInfo":"ru-RU","MSISDN":"0555150155","PartnerTrnID":900719925474099312,"PSPTTrnID":123456789012345678901,"PaymentStatus":"A"}}';
    expect(decodeElsomPaymentResult(body)).toMatchObject({
      ok: true,
      value: { fields: { PartnerTrnID: '900719925474099312', PSPTTrnID: '123456789012345678901' }, outcome: 'paid' },
    });
  });

  it('an unlisted status is unknown, not failed', () => {
    const body = fixture('payment-result-callback.json').replace('"A"', '"X"');
    expect(decodeElsomPaymentResult(body)).toMatchObject({ ok: true, value: { outcome: 'unknown' } });
  });

  for (const [name, body] of [
    ['empty', ''],
    ['HTML', '<html></html>'],
    ['truncated', fixture('payment-result-callback.json').slice(0, 120)],
    ['wrong root', '{"Other":{}}'],
    ['missing PSPTTrnID', fixture('payment-result-callback.json').replace('"PSPTTrnID": "PSP123456",', '')],
    ['object as a value', '{"PartnerPaymentResult":{"CultureInfo":"ru","MSISDN":"0","PartnerTrnID":{"a":1},"PSPTTrnID":"1","PaymentStatus":"A"}}'],
    ['duplicate key', fixture('payment-result-callback.json').replace('"PaymentStatus": "A",', '"PaymentStatus": "2", "PaymentStatus": "A",')],
  ] as const) {
    it(`${name} → refused without a throw`, () => {
      expect(decodeElsomPaymentResult(body).ok).toBe(false);
    });
  }
});

describe('Elsom payment status table', () => {
  it('is exhaustive over the spec statuses', () => {
    expect(Object.keys(ELSOM_PAYMENT_STATUS_OUTCOME).sort()).toEqual([...ELSOM_PAYMENT_STATUSES].sort());
    expect(ELSOM_PAYMENT_STATUS_OUTCOME).toEqual({ A: 'paid', '1': 'pending', '2': 'failed', '3': 'failed', '4': 'failed' });
  });

  it('anything else is unknown', () => {
    for (const status of ['a', '0', '5', '', ' ', 'AA', undefined]) expect(elsomPaymentOutcome(status)).toBe('unknown');
    expect(elsomPaymentOutcome(' A ')).toBe('paid');
  });
});
