/** Gateway side: responses in windows-1251; simulator side: reading them back strictly. */
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  decodeElsomResponse,
  ELSOM_PROTOCOL_VERSION,
  ELSOM_RESULT,
  ELSOM_STATUS,
  encodeElsomResponse,
  type ElsomResponse,
} from '../../../src/gateways/elsom-biller/codec/index.ts';

const SERVER_TIME = { year: 2025, month: 1, day: 31, hour: 23, minute: 59, second: 59, millisecond: 7 };

const AUTHORIZED: ElsomResponse = {
  protocolVersion: ELSOM_PROTOCOL_VERSION,
  requestType: 1,
  terminalId: '1839',
  resultCode: ELSOM_RESULT.OK,
  operatorId: '2237',
  remoteAddr: '10.0.0.7',
  balanceMinor: -550n,
  overdraftMinor: 100000n,
  disp1: 'Иванов Иван Иванович',
  serverTime: SERVER_TIME,
  statusId: ELSOM_STATUS.AUTHORIZED,
  transactionNumber: '021508040001364907',
  txnId: '900719925474099312',
  to: { serviceId: '5132', amountMinor: 1050n, accountNumber: '996701232200' },
};

const text = (bytes: Buffer) => iconv.decode(bytes, 'windows-1251');

function roundTrip(response: ElsomResponse) {
  const bytes = encodeElsomResponse(response);
  const decoded = decodeElsomResponse(bytes);
  if (!decoded.ok) throw new Error(`${decoded.failure.kind}: ${decoded.failure.detail}`);
  return { bytes, decoded: decoded.response };
}

describe('encodeElsomResponse', () => {
  it('starts with the windows-1251 declaration and writes every field in the spec order', () => {
    const { bytes, decoded } = roundTrip(AUTHORIZED);
    expect(text(bytes)).toBe(
      [
        '<?xml version="1.0" encoding="windows-1251"?>',
        '<response>',
        '  <protocol-version>4.00</protocol-version>',
        '  <request-type>1</request-type>',
        '  <terminal-id>1839</terminal-id>',
        '  <result-code>0</result-code>',
        '  <operator-id>2237</operator-id>',
        '  <extra name="REMOTE_ADDR">10.0.0.7</extra>',
        '  <extra name="BALANCE">-5.50</extra>',
        '  <extra name="OVERDRAFT">1000.00</extra>',
        '  <extra name="disp1">Иванов Иван Иванович</extra>',
        '  <extra name="ServerTime">2025-01-31T23:59:59.007</extra>',
        '  <status-id>30</status-id>',
        '  <transaction-number>021508040001364907</transaction-number>',
        '  <txn-id>900719925474099312</txn-id>',
        '  <to>',
        '    <service-id>5132</service-id>',
        '    <amount>10.50</amount>',
        '    <account-number>996701232200</account-number>',
        '  </to>',
        '</response>',
        '',
      ].join('\n'),
    );
    expect(decoded).toStrictEqual(AUTHORIZED);
  });

  it('Cyrillic survives byte-exact in windows-1251 (one byte per letter, re-encoding identical)', () => {
    const { bytes, decoded } = roundTrip(AUTHORIZED);
    // "Иванов" in windows-1251.
    expect(bytes.includes(Buffer.from([0xc8, 0xe2, 0xe0, 0xed, 0xee, 0xe2]))).toBe(true);
    expect(bytes.includes(Buffer.from('Иванов', 'utf8'))).toBe(false);
    expect(encodeElsomResponse(decoded).equals(bytes)).toBe(true);
  });

  it('writes letters windows-1251 lacks (Kyrgyz ң ө ү, Kazakh ә) as character references, never "?"', () => {
    const disp1 = 'Өмүрбеков Түңлүк Әли';
    const { bytes, decoded } = roundTrip({ ...AUTHORIZED, disp1 });
    expect(text(bytes)).toContain('<extra name="disp1">&#1256;м&#1199;рбеков Т&#1199;&#1187;л&#1199;к &#1240;ли</extra>');
    expect(text(bytes)).not.toContain('?р');
    expect(decoded.disp1).toBe(disp1);
  });

  it('escapes <, &, > and both quotes in text and attributes', () => {
    const response: ElsomResponse = {
      ...AUTHORIZED,
      disp1: `Tom & "Jerry" <O'Neil>`,
      extras: [{ name: `a"b&<'`, value: '</extra><x>' }],
    };
    const { bytes, decoded } = roundTrip(response);
    expect(text(bytes)).toContain('<extra name="disp1">Tom &amp; &quot;Jerry&quot; &lt;O&apos;Neil&gt;</extra>');
    expect(text(bytes)).toContain('<extra name="a&quot;b&amp;&lt;&apos;">&lt;/extra&gt;&lt;x&gt;</extra>');
    expect(decoded).toStrictEqual(response);
  });

  it('replaces characters XML cannot carry with a space, so the answer still goes out', () => {
    const { decoded } = roundTrip({ ...AUTHORIZED, disp1: 'A\u0000B\u0007C\uD800D' });
    expect(decoded.disp1).toBe('A B C D');
  });

  it('a minimal refusal for an unreadable request carries only version and code', () => {
    const bytes = encodeElsomResponse({ protocolVersion: '4.00', resultCode: ELSOM_RESULT.BAD_REQUEST });
    expect(text(bytes)).toBe(
      '<?xml version="1.0" encoding="windows-1251"?>\n<response>\n  <protocol-version>4.00</protocol-version>\n' +
        '  <result-code>202</result-code>\n</response>\n',
    );
  });

  it('writes the PAYMENT_LIST registry: DD.MM.YYYY hh:mm:ss dates and 10.00 amounts', () => {
    const response: ElsomResponse = {
      protocolVersion: '4.00',
      requestType: 4,
      terminalId: '1839',
      resultCode: 0,
      statusId: 60,
      rows: [
        {
          transactionNumber: '021508040001364907',
          datetime: { year: 2015, month: 8, day: 4, hour: 0, minute: 3, second: 59, millisecond: 0 },
          accountNumber: '123456',
          amountMinor: 1000n,
        },
        {
          transactionNumber: '999999999999999999999',
          datetime: { year: 2015, month: 12, day: 31, hour: 23, minute: 0, second: 1, millisecond: 0 },
          accountNumber: 'ЛС-7',
          amountMinor: 1n,
        },
      ],
    };
    const { bytes, decoded } = roundTrip(response);
    expect(text(bytes)).toContain(
      '  <status-id>60</status-id>\n  <rows>\n    <row>\n' +
        '      <transaction-number>021508040001364907</transaction-number>\n' +
        '      <datetime>04.08.2015 00:03:59</datetime>\n' +
        '      <account-number>123456</account-number>\n' +
        '      <amount>10.00</amount>\n    </row>\n',
    );
    expect(text(bytes)).toContain('<datetime>31.12.2015 23:00:01</datetime>');
    expect(text(bytes)).toContain('<amount>0.01</amount>');
    expect(decoded).toStrictEqual(response);
  });

  it('an empty registry is <rows/> and reads back as no rows', () => {
    const response: ElsomResponse = { protocolVersion: '4.00', requestType: 4, resultCode: 0, statusId: 60, rows: [] };
    const { bytes, decoded } = roundTrip(response);
    expect(text(bytes)).toContain('  <rows/>\n');
    expect(decoded).toStrictEqual(response);
  });

  it('the PAYMENT answer carries configuration-id and user_name where given', () => {
    const response: ElsomResponse = {
      ...AUTHORIZED,
      requestType: 2,
      configurationId: '1118217483',
      disp1: undefined,
      userName: '22',
      serial: '000000-000000',
      statusId: ELSOM_STATUS.PAID,
    };
    const { bytes, decoded } = roundTrip(response);
    expect(text(bytes)).toMatch(
      /<protocol-version>4\.00<\/protocol-version>\n {2}<configuration-id>1118217483<\/configuration-id>\n {2}<request-type>2/,
    );
    expect(text(bytes)).toContain('<extra name="serial">000000-000000</extra>');
    expect(text(bytes)).toContain('<extra name="user_name">22</extra>');
    const { disp1: _omitted, ...expected } = response;
    expect(decoded).toStrictEqual(expected);
  });
});

describe('decodeElsomResponse is strict (simulator side)', () => {
  const minimal = (inner: string) =>
    Buffer.from(`<?xml version="1.0" encoding="utf-8"?><response><protocol-version>4.00</protocol-version>${inner}</response>`);

  it.each([
    ['an unknown result-code', '<result-code>999</result-code>', 'invalid_field'],
    ['a non-numeric result-code', '<result-code>OK</result-code>', 'invalid_field'],
    ['no result-code', '<status-id>60</status-id>', 'missing_field'],
    ['an unknown status-id', '<result-code>0</result-code><status-id>50</status-id>', 'invalid_field'],
    ['an unknown request-type', '<request-type>9</request-type><result-code>0</result-code>', 'invalid_field'],
    ['a float amount', '<result-code>0</result-code><to><amount>1e3</amount></to>', 'invalid_amount'],
    ['three decimals in BALANCE', '<result-code>0</result-code><extra name="BALANCE">1.001</extra>', 'invalid_amount'],
    ['a bad ServerTime', '<result-code>0</result-code><extra name="ServerTime">04.08.2015</extra>', 'invalid_field'],
    ['a registry row without amount', '<result-code>0</result-code><rows><row><transaction-number>1</transaction-number><datetime>04.08.2015 00:03:59</datetime><account-number>1</account-number></row></rows>', 'missing_field'],
    ['a registry date in the wrong format', '<result-code>0</result-code><rows><row><transaction-number>1</transaction-number><datetime>20150804000359</datetime><account-number>1</account-number><amount>1</amount></row></rows>', 'invalid_field'],
    ['something other than <row> in <rows>', '<result-code>0</result-code><rows><item/></rows>', 'invalid_field'],
  ])('refuses %s', (_name, inner, reason) => {
    expect(decodeElsomResponse(minimal(inner))).toMatchObject({ ok: false, failure: { kind: reason } });
  });

  it('refuses a DOCTYPE and a <request> root', () => {
    const doctype = Buffer.from('<?xml version="1.0"?><!DOCTYPE response><response/>');
    expect(decodeElsomResponse(doctype)).toMatchObject({ ok: false, failure: { kind: 'doctype_forbidden' } });
    const request = Buffer.from('<?xml version="1.0"?><request><result-code>0</result-code></request>');
    expect(decodeElsomResponse(request)).toMatchObject({ ok: false, failure: { kind: 'unexpected_root' } });
  });

  it('accepts every result code and status of the spec tables', () => {
    for (const resultCode of Object.values(ELSOM_RESULT)) {
      for (const statusId of Object.values(ELSOM_STATUS)) {
        const response: ElsomResponse = { protocolVersion: '4.00', resultCode, statusId };
        expect(decodeElsomResponse(encodeElsomResponse(response))).toMatchObject({ ok: true, response });
      }
    }
  });
});
