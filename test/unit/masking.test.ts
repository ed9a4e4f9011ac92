/**
 * The one masker (domain/masking.ts) over every partner's real messages: the spec fixtures of test/fixtures/<partner>/
 * with real-looking secrets put where the spec masks or leaves them blank, and the messages our adapters send. No
 * secret survives; everything else — logins, accounts, amounts, the markup itself — stays byte for byte.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MASK, maskBody, maskCardNumber, maskHeaders, maskUrl, secretRule } from '../../src/domain/masking.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const fixture = (partner: string, name: string) => readFileSync(join(FIXTURES, partner, name), 'latin1');

const PAN = '4111111111111111';
const SIGNATURE = 'c2lnbmVkLWJ5LWFzc2lzdC1zaW11bGF0b3I=';
const ASSIST_PASSWORD = 'Sandbox2024';

/** Masks `text` and checks that none of `secrets` is left and each of `kept` still is. */
function expectMasked(text: string, secrets: string[], kept: string[] = []): string {
  for (const secret of secrets) expect(text, `the fixture carries ${secret}`).toContain(secret);
  const masked = maskBody(text);
  for (const secret of secrets) expect(masked).not.toContain(secret);
  for (const value of kept) expect(masked).toContain(value);
  return masked;
}

describe('Assist', () => {
  it('the charge request as a form (spec: charge.cfm) and as JSON: the password goes, the login stays', () => {
    const form = `Billnumber=5450000000000001&Merchant_ID=700001&Login=tolem_sandbox&Password=${ASSIST_PASSWORD}&Format=1`;
    expect(expectMasked(form, [ASSIST_PASSWORD], ['Login=tolem_sandbox', 'Merchant_ID=700001'])).toBe(
      'Billnumber=5450000000000001&Merchant_ID=700001&Login=tolem_sandbox&Password=***&Format=1');
    const json = `{"Billnumber":"545000000000001","Merchant_ID":"700001","Login":"tolem_sandbox","Password":"${ASSIST_PASSWORD}","Format":"5"}`;
    expect(JSON.parse(expectMasked(json, [ASSIST_PASSWORD]))).toEqual({ Billnumber: '545000000000001', Merchant_ID: '700001', Login: 'tolem_sandbox', Password: MASK, Format: '5' });
  });

  it('the spec\'s HTML form of the charge request', () => {
    const html = fixture('assist', 'charge-request-form.html').replace('NAME="Password" VALUE=" "', `NAME="Password" VALUE="${ASSIST_PASSWORD}"`);
    const masked = expectMasked(html, [ASSIST_PASSWORD], ['NAME="BillNumber" VALUE="545000000000001"']);
    expect(masked).toContain('NAME="Password" VALUE="***"');
  });

  it('the XML, SOAP and key-value answers: signature hidden, card number cut to its first six and last four', () => {
    for (const name of ['charge-answer-xml-approved.xml', 'charge-answer-soap-approved.xml']) {
      const xml = fixture('assist', name)
        .replace(/(<signature[^>]*>)[^<]*(<\/signature>)/, `$1${SIGNATURE}$2`)
        .replace(/(<meannumber[^>]*>)[^<]*(<\/meannumber>)/, `$1${PAN}$2`);
      const masked = expectMasked(xml, [SIGNATURE, PAN], ['<orderdate', 'Approved']);
      expect(masked).toMatch(/<meannumber[^>]*>411111\*{6}1111<\/meannumber>/);
      expect(masked).toMatch(/<signature[^>]*>\*\*\*<\/signature>/);
    }
    const csv = fixture('assist', 'charge-answer-csv.txt').replace('meannumber: 411111****1111', `meannumber: ${PAN}`).replace(/signature:\s*$/, `signature: ${SIGNATURE}`);
    const masked = expectMasked(csv, [SIGNATURE, PAN], ['orderstate: Approved', 'billnumber: 51111110000001.2']);
    expect(masked).toContain('meannumber: 411111******1111');
  });

  it('a number Assist already masked is kept as Assist wrote it', () => {
    expect(maskBody(fixture('assist', 'charge-answer-xml-approved.xml'))).toContain('<meannumber> 411111****1111</meannumber>');
  });
});

describe('Elsom merchant', () => {
  it('PartnerGetPaymentStatus and IA_Init (JSON and the spec\'s PHP array): the password goes, the wallets stay', () => {
    const status = expectMasked(fixture('elsom-merchant', 'get-payment-status-request.json'), ['Password1'], ['"MSISDN": "0909002003"', '"PartnerTrnID": "18"']);
    expect(JSON.parse(status)).toMatchObject({ PartnerGetPaymentStatus: { Password: MASK } });
    const php = expectMasked(fixture('elsom-merchant', 'ia-init-input-php-array.txt'), ['"ee7e"'], ['"PartnerCode" => "00609"', '"PmSISDN" => "0901015003"']);
    expect(php).toContain('Password" => "***"');
  });

  it('OTP and code fields of the wallet page, wherever they travel', () => {
    expect(maskBody('wallet=0555123456&otp=1234')).toBe('wallet=0555123456&otp=***');
    expect(maskBody('{"OTP":"1234","SmsCode":5678,"ErrorCode":"0"}')).toBe('{"OTP":"***","SmsCode":"***","ErrorCode":"0"}');
  });

  it('its answers and callbacks carry no secret and are left as they are', () => {
    for (const name of ['get-payment-status-response-in-processing.json', 'payment-result-answer.json', 'payment-result-callback.json']) {
      const text = fixture('elsom-merchant', name);
      expect(maskBody(text)).toBe(text);
    }
  });
});

describe('Elsom biller (the wallet calling us)', () => {
  it('every request: extra password-md5 hidden, extra login kept', () => {
    const md5 = 'c4ca4238a0b923820dcc509a6f75849b';
    for (const name of ['authorize.request.xml', 'payment.request.xml', 'cancel-payment.request.xml', 'payment-list.request.xml']) {
      const xml = fixture('elsom-biller', name)
        .replace(/(<extra name="password-md5">)[^<]*(<\/extra>)/, `$1${md5}$2`)
        .replace(/(<extra name="login">)[^<]*(<\/extra>)/, '$1wallet-login$2');
      const masked = expectMasked(xml, [md5], ['<extra name="login">wallet-login</extra>', '<terminal-id>']);
      expect(masked).toContain('<extra name="password-md5">***</extra>');
    }
  });

  it('its answers are left as they are', () => {
    for (const name of readdirSync(join(FIXTURES, 'elsom-biller')).filter((file) => file.endsWith('.response.xml'))) {
      const text = fixture('elsom-biller', name);
      expect(maskBody(text)).toBe(text);
    }
  });
});

describe('no false alarms', () => {
  it('every Alseco request and answer of the spec is left byte for byte (no secrets in that protocol)', () => {
    const names = readdirSync(join(FIXTURES, 'alseco')).filter((file) => file.endsWith('.xml'));
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) {
      const text = fixture('alseco', name);
      expect(maskBody(text), name).toBe(text);
    }
  });

  it('every agent API request and answer of the spec is left byte for byte', () => {
    for (const name of readdirSync(join(FIXTURES, 'agent-api')).filter((file) => file.endsWith('.json'))) {
      const text = fixture('agent-api', name);
      expect(maskBody(text), name).toBe(text);
    }
  });
});

describe('rules', () => {
  it('names are matched whatever their case and separators', () => {
    for (const name of ['password', 'Password', 'PASSWD', 'pwd', 'password-md5', 'passwordMd5', 'token', 'agentToken', 'Authorization',
      'X-Api-Key', 'client_secret', 'signature', 'sign', 'md5', 'checkvalue', 'otp']) expect(secretRule(name), name).toBe('hide');
    for (const name of ['cardNumber', 'card_number', 'PAN', 'meannumber']) expect(secretRule(name), name).toBe('card');
    for (const name of ['cvv', 'CVC2', 'cardCvv', 'security_code']) expect(secretRule(name), name).toBe('remove');
    for (const name of ['login', 'Login', 'account', 'account-number', 'ErrorCode', 'CheckedSign', 'passport', 'company', 'amount', 'signed']) {
      expect(secretRule(name), name).toBeUndefined();
    }
  });

  it('card numbers keep six and four digits; CVVs are removed', () => {
    expect(maskCardNumber('4111 1111 1111 1111')).toBe('411111******1111');
    expect(maskCardNumber('411111****1111')).toBe('411111****1111');
    expect(maskCardNumber('12')).toBe(MASK);
    expect(maskBody('{"cardNumber":"5555555555554444","cvv":"123","holder":"IVAN"}')).toBe('{"cardNumber":"555555******4444","cvv":"","holder":"IVAN"}');
    expect(maskBody('pan=5555555555554444&cvc2=123')).toBe('pan=555555******4444&cvc2=');
  });

  it('a header written into a body loses its credentials whole', () => {
    expect(maskBody('GET / HTTP/1.1\r\nAuthorization: Bearer abc.def\r\nAccept: */*')).toBe('GET / HTTP/1.1\r\nAuthorization: ***\r\nAccept: */*');
  });

  it('XML attributes and namespaced elements', () => {
    expect(maskBody('<a:Auth a:password="p@ss" user="u"><a:Token>abc</a:Token></a:Auth>')).toBe('<a:Auth a:password="***" user="u"><a:Token>***</a:Token></a:Auth>');
  });

  it('headers by name; URLs lose user info and secret query fields', () => {
    expect(maskHeaders({ authorization: 'Bearer t0k3n', 'content-type': 'application/json', Cookie: 'sid=1', 'X-Auth-Token': 'x' }))
      .toEqual({ authorization: MASK, 'content-type': 'application/json', Cookie: MASK, 'X-Auth-Token': MASK });
    expect(maskUrl('https://user:pw@partner.example/path/a?account=1&token=abc&sign=ff')).toBe('https://partner.example/path/a?account=1&token=***&sign=***');
    expect(maskUrl('http://127.0.0.1:1234/sandbox/mobile/pay')).toBe('http://127.0.0.1:1234/sandbox/mobile/pay');
  });
});
