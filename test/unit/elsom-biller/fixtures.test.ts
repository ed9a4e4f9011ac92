/**
 * The spec's own examples (test/fixtures/elsom-biller, copied byte for byte from the Elsom biller XML document; its
 * example sections are kept in test/fixtures/elsom-biller/spec/, see docs/protocols/elsom-biller.md)
 * decode to exact typed values, and responses survive decode → encode → decode.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  decodeElsomRequest,
  decodeElsomResponse,
  encodeElsomRequest,
  encodeElsomResponse,
  type ElsomLocalDateTime,
  type ElsomRequest,
  type ElsomResponse,
} from '../../../src/gateways/elsom-biller/codec/index.ts';
import { occursInSpec } from '../../helpers/spec-excerpts.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/elsom-biller/', import.meta.url));

const fixture = (name: string): Buffer => readFileSync(`${FIXTURES}${name}`);
const toWindows1251 = (utf8: Buffer): Buffer => iconv.encode(utf8.toString('utf8'), 'windows-1251');

const at = (year: number, month: number, day: number, hour: number, minute: number, second: number, ms = 0) =>
  ({ year, month, day, hour, minute, second, millisecond: ms }) satisfies ElsomLocalDateTime;

const CREDENTIALS_LONG = { login: '**********', passwordMd5: '************' };
const CREDENTIALS_SHORT = { login: '*****', passwordMd5: '*******' };

const EXPECTED_REQUESTS: Record<string, ElsomRequest> = {
  'authorize.request.xml': {
    requestType: 1,
    protocolVersion: '4.00',
    terminalId: '1839',
    ...CREDENTIALS_LONG,
    clientSoftware: 'XML v1.9',
    extras: [],
    transactionNumber: '021508040001364907',
    from: { amountMinor: 1000n, currencyCode: 417 },
    to: { serviceId: '5132', accountNumber: '996701232200', amountMinor: 1000n, currencyCode: 417 },
    receipt: { datetime: at(2015, 8, 4, 0, 1, 13), receiptNumber: '021508040001364907' },
    updateCondition: '21',
  },
  'payment.request.xml': {
    requestType: 2,
    protocolVersion: '4.00',
    terminalId: '1839',
    ...CREDENTIALS_SHORT,
    clientSoftware: 'XML v1.9',
    extras: [],
    transactionNumber: '021508040001364907',
    from: { amountMinor: 1000n, currencyCode: 417 },
    to: { serviceId: '5132', accountNumber: '996701232200', amountMinor: 1000n, currencyCode: 417 },
    receipt: { datetime: at(2015, 8, 4, 0, 1, 14), receiptNumber: '021508040001364907' },
  },
  'cancel-payment.request.xml': {
    requestType: 3,
    protocolVersion: '4.00',
    terminalId: '1839',
    ...CREDENTIALS_SHORT,
    extras: [],
    serviceId: '5132',
    transactionNumber: '021508040001364907',
  },
  'payment-list.request.xml': {
    requestType: 4,
    protocolVersion: '4.00',
    terminalId: '1839',
    ...CREDENTIALS_SHORT,
    extras: [],
    serviceId: '5132',
    datetimeFrom: at(2015, 8, 4, 0, 0, 0),
    datetimeTo: at(2015, 8, 5, 0, 0, 0),
  },
};

const EXPECTED_RESPONSES: Record<string, ElsomResponse> = {
  'authorize.response.xml': {
    protocolVersion: '4.00',
    requestType: 1,
    terminalId: '1839',
    resultCode: 0,
    operatorId: '2237',
    remoteAddr: '127.0.0.1',
    serial: '000000-000000',
    balanceMinor: 91128364n,
    overdraftMinor: 0n,
    disp1: 'Hwan Hasan',
    serverTime: at(2015, 8, 4, 0, 0, 47, 467),
    statusId: 30,
    transactionNumber: '21508040001364907',
    txnId: '12345',
    to: { serviceId: '5132', amountMinor: 1000n, accountNumber: '996701232200' },
  },
  'payment.response.xml': {
    protocolVersion: '4.00',
    configurationId: '1118217483',
    requestType: 2,
    terminalId: '1839',
    resultCode: 0,
    operatorId: '2237',
    remoteAddr: '127.0.0.1',
    serial: '000000-000000',
    balanceMinor: 91112364n,
    overdraftMinor: 0n,
    userName: '22',
    serverTime: at(2015, 8, 4, 0, 0, 53, 520),
    statusId: 60,
    transactionNumber: '21508040001364907',
    to: { text: '1' },
  },
  'cancel-payment.response.xml': {
    protocolVersion: '4.00',
    requestType: 3,
    terminalId: '1839',
    resultCode: 0,
    statusId: 60,
    transactionNumber: '21508040001364907',
  },
};

/** Element names with their `name` attribute and trimmed text, in document order: "the same elements and values". */
function outline(bytes: Buffer, charset: 'utf8' | 'windows-1251'): string[] {
  const text = charset === 'utf8' ? bytes.toString('utf8') : iconv.decode(bytes, 'windows-1251');
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    processEntities: false,
    parseTagValue: false,
  });
  const lines: string[] = [];
  const walk = (nodes: Record<string, unknown>[], path: string) => {
    for (const node of nodes) {
      for (const [key, value] of Object.entries(node)) {
        if (key === ':@' || key === '?xml') continue;
        if (key === '#text') lines.push(`${path} = ${String(value).trim()}`);
        else {
          const attributes = node[':@'] as Record<string, string> | undefined;
          const name = attributes?.['@_name'] === undefined ? key : `${key}[${attributes['@_name']}]`;
          lines.push(`${path}/${name}`);
          walk(value as Record<string, unknown>[], `${path}/${name}`);
        }
      }
    }
  };
  walk(parser.parse(text) as Record<string, unknown>[], '');
  return lines;
}

/** The only textual difference re-encoding makes: amounts always carry two decimals (the spec's `10.00`). */
const withTwoDecimals = (line: string) => line.replace(/(\[OVERDRAFT\]) = 0$/, '$1 = 0.00');

describe('fixtures are the spec bytes', () => {
  const names = readdirSync(FIXTURES).filter((name) => name.endsWith('.xml'));

  it('has one fixture per request and response example of the spec (4 + 4)', () => {
    expect(names.sort()).toEqual(
      ['authorize', 'cancel-payment', 'payment', 'payment-list']
        .flatMap((kind) => [`${kind}.request.xml`, `${kind}.response.xml`])
        .sort(),
    );
  });

  it.each(names)('%s occurs byte for byte in the spec', (name) => {
    expect(occursInSpec('elsom-biller', fixture(name))).toBe(true);
  });
});

describe('request fixtures decode to exact typed values', () => {
  for (const [name, expected] of Object.entries(EXPECTED_REQUESTS)) {
    it(`${name} as written (UTF-8 file, declaration says windows-1251, ASCII content)`, () => {
      expect(decodeElsomRequest(fixture(name))).toStrictEqual({ ok: true, request: expected, charset: 'windows-1251' });
    });

    it(`${name} transcoded to windows-1251`, () => {
      const result = decodeElsomRequest(toWindows1251(fixture(name)), 'text/xml');
      expect(result).toStrictEqual({ ok: true, request: expected, charset: 'windows-1251' });
    });

    it(`${name} re-encoded by the simulator keeps the spec's elements and values`, () => {
      const encoded = encodeElsomRequest(expected);
      expect(outline(encoded, 'windows-1251')).toEqual(outline(fixture(name), 'utf8'));
      expect(decodeElsomRequest(encoded)).toStrictEqual({ ok: true, request: expected, charset: 'windows-1251' });
    });
  }

  it('keeps the 18-digit transaction-number with its leading zero as text', () => {
    const result = decodeElsomRequest(fixture('payment.request.xml'));
    expect(result.ok && result.request.requestType === 2 && result.request.transactionNumber).toBe(
      '021508040001364907',
    );
  });
});

describe('response fixtures decode and re-encode to the same elements and values', () => {
  for (const [name, expected] of Object.entries(EXPECTED_RESPONSES)) {
    it(`${name} decodes to exact typed values`, () => {
      expect(decodeElsomResponse(fixture(name))).toStrictEqual({ ok: true, response: expected, charset: 'windows-1251' });
      expect(decodeElsomResponse(toWindows1251(fixture(name)))).toMatchObject({ ok: true, response: expected });
    });

    it(`${name} re-encodes to the same elements and values`, () => {
      const encoded = encodeElsomResponse(expected);
      expect(outline(encoded, 'windows-1251')).toEqual(outline(fixture(name), 'utf8').map(withTwoDecimals));
      expect(decodeElsomResponse(encoded)).toStrictEqual({ ok: true, response: expected, charset: 'windows-1251' });
    });
  }
});

describe('payment-list.response.xml: the spec example is not well-formed as printed', () => {
  const asPrinted = fixture('payment-list.response.xml').toString('utf8');
  // Repair 1: the PDF broke `</transaction-number>` across lines.
  const joined = asPrinted.replace('</transaction-\n\nnumber>', '</transaction-number>');
  // Repair 2: the `<row> … </row>` and `…` placeholders mean "more rows".
  const withoutPlaceholders = joined.replace(/\s*<row>\s*…\s*<\/row>\s*…/, '');
  // Repair 3: `00:03:60` has a 60th second; read as the next minute.
  const repaired = withoutPlaceholders.replace('00:03:60', '00:04:00');

  const expected: ElsomResponse = {
    protocolVersion: '4.00',
    requestType: 4,
    terminalId: '1839',
    resultCode: 0,
    statusId: 60,
    rows: [
      { transactionNumber: '21508040001364907', datetime: at(2015, 8, 4, 0, 4, 0), accountNumber: '123456', amountMinor: 1000n },
    ],
  };

  it('is refused as printed (split end tag), with the reason', () => {
    expect(decodeElsomResponse(Buffer.from(asPrinted))).toMatchObject({ ok: false, failure: { kind: 'malformed_xml' } });
  });

  it('refuses the placeholder text and the 60th second, one at a time', () => {
    expect(decodeElsomResponse(Buffer.from(joined))).toMatchObject({ ok: false, failure: { kind: 'malformed_xml' } });
    expect(decodeElsomResponse(Buffer.from(withoutPlaceholders))).toMatchObject({
      ok: false,
      failure: { kind: 'invalid_field', detail: expect.stringContaining('00:03:60') },
    });
  });

  it('decodes after the three repairs, and re-encodes to the same elements and values', () => {
    expect(decodeElsomResponse(toWindows1251(Buffer.from(repaired)))).toStrictEqual({
      ok: true,
      response: expected,
      charset: 'windows-1251',
    });
    const encoded = encodeElsomResponse(expected);
    expect(outline(encoded, 'windows-1251')).toEqual(outline(Buffer.from(repaired), 'utf8'));
    expect(encoded.toString('latin1')).toContain(
      '<row>\n      <transaction-number>21508040001364907</transaction-number>\n' +
        '      <datetime>04.08.2015 00:04:00</datetime>\n      <account-number>123456</account-number>\n' +
        '      <amount>10.00</amount>\n    </row>',
    );
  });
});
