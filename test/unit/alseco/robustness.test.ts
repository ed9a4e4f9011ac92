/** What the partner, its IIS, a proxy or an attacker may really send, and what the codec makes of it. */
import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  AlsecoEncodeError, decodeAlsecoRequest, decodeAlsecoResponse, encodeAlsecoFault, encodeAlsecoRequest,
  encodeAlsecoResponse, type AlsecoBillInfo, type AlsecoParams,
} from '../../../src/providers/alseco/codec/index.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/alseco/${name}`, import.meta.url), 'utf8');
const ALS = 'http://www.alseco.kz/AlsecoPaymentsService/';
const S11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const S12 = 'http://www.w3.org/2003/05/soap-envelope';
const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

/** A .NET-style response around `inner` (the content of the Response element). */
function response(method: string, inner: string, prefix = 'soap'): string {
  return `<?xml version="1.0" encoding="utf-8"?><${prefix}:Envelope xmlns:${prefix}="${S11}" ${XSI}><${prefix}:Body>` +
    `<${method}Response xmlns="${ALS}">${inner}</${method}Response></${prefix}:Body></${prefix}:Envelope>`;
}

describe('SOAP faults are data', () => {
  it('reads a .NET 2.0 SOAP 1.1 fault', () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${S11}"><soap:Body><soap:Fault>` +
      '<faultcode>soap:Server</faultcode><faultstring>System.Web.Services.Protocols.SoapException: Server was unable ' +
      'to process request. ---&gt; Bank not found</faultstring><detail /></soap:Fault></soap:Body></soap:Envelope>';
    expect(decodeAlsecoResponse('Pay', xml)).toEqual({
      kind: 'fault', soapVersion: '1.1', code: 'soap:Server', side: 'server',
      message: 'System.Web.Services.Protocols.SoapException: Server was unable to process request. ---> Bank not found',
    });
  });

  it('reads a SOAP 1.2 fault with subcode and detail', () => {
    const xml = `<env:Envelope xmlns:env="${S12}"><env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value>` +
      '<env:Subcode><env:Value>a:BadArgs</env:Value></env:Subcode></env:Code><env:Reason><env:Text xml:lang="ru">' +
      'Неверный код банка</env:Text></env:Reason><env:Detail><x>bank</x></env:Detail></env:Fault></env:Body></env:Envelope>';
    expect(decodeAlsecoResponse('GetAccountInfo', xml)).toEqual({
      kind: 'fault', soapVersion: '1.2', code: 'env:Sender', side: 'client', subcode: 'a:BadArgs',
      message: 'Неверный код банка', detail: 'bank',
    });
  });

  it.each(['1.1', '1.2'] as const)('round-trips the simulator fault (SOAP %s)', (soapVersion) => {
    const xml = encodeAlsecoFault({ side: 'client', message: 'Bad <bankCode> & co', detail: 'x' }, { soapVersion });
    expect(decodeAlsecoResponse('GetBillInfo', xml)).toMatchObject({
      kind: 'fault', soapVersion, side: 'client', message: 'Bad <bankCode> & co', detail: 'x',
    });
    expect(decodeAlsecoRequest(xml)).toMatchObject({ kind: 'malformed', reason: 'unknown-method' });
  });
});

describe('HTML, text and other non-SOAP answers', () => {
  it('an IIS/ASP.NET error page is `html` with its title', () => {
    const page = '\r\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\r\n' +
      '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Runtime Error</title></head><body><h1>Server Error in \'/\' Application.</h1></body></html>';
    expect(decodeAlsecoResponse('Pay', page)).toEqual({ kind: 'html', detail: expect.any(String), title: 'Runtime Error' });
  });
  it('HTML without doctype or title, and after an XML declaration', () => {
    expect(decodeAlsecoResponse('Pay', '<html><body>502 Bad Gateway</body></html>')).toEqual({ kind: 'html', detail: expect.any(String), title: undefined });
    expect(decodeAlsecoResponse('Pay', '<?xml version="1.0"?>\n<HTML><HEAD><TITLE>\n 503  Service\n</TITLE>')).toEqual({ kind: 'html', detail: expect.any(String), title: '503 Service' });
  });
  it.each([
    ['', 'empty'], ['  \n ', 'empty'], ['Service Unavailable', 'not-xml'], ['{"error":1}', 'not-xml'],
    ['<foo><bar/></foo>', 'not-soap'], [`<x:Envelope xmlns:x="urn:other"><x:Body/></x:Envelope>`, 'not-soap'],
    [`<soap:Envelope xmlns:soap="${S11}"><soap:Body></soap:Body></soap:Envelope>`, 'unexpected-element'],
    [`<soap:Envelope xmlns:soap="${S11}"></soap:Envelope>`, 'not-soap'],
    [`<soap:Envelope xmlns:soap="${S11}"><soap:Body><PayResponse/><PayResponse/></soap:Body></soap:Envelope>`, 'unexpected-element'],
    [`<a/><b/>`, 'not-well-formed'],
  ] as const)('%j is malformed (%s)', (text, reason) => {
    expect(decodeAlsecoResponse('Pay', text)).toMatchObject({ kind: 'malformed', reason });
  });
  it('the answer of another method is unexpected-element', () => {
    expect(decodeAlsecoResponse('Pay', fixture('GetAccountState.response.xml'))).toMatchObject({
      kind: 'malformed', reason: 'unexpected-element',
    });
  });
});

describe('truncated bodies', () => {
  it('every cut of a Pay answer is `truncated`, never ok and never a throw', () => {
    const xml = fixture('Pay.response.xml').trimEnd();
    for (let length = 1; length < xml.length; length += 1) {
      const out = decodeAlsecoResponse('Pay', xml.slice(0, length));
      if (out.kind !== 'malformed' || out.reason !== 'truncated') {
        if (xml.slice(0, length).trim() === '') continue;
        throw new Error(`cut at ${length}: ${JSON.stringify(out)}`);
      }
    }
    expect(decodeAlsecoResponse('Pay', xml).kind).toBe('ok');
  });
  it('a body cut inside a multi-byte character is bad-encoding', () => {
    const bytes = Buffer.from(fixture('GetBillInfo.response.xml'), 'utf8');
    const cut = bytes.subarray(0, bytes.indexOf(Buffer.from('Плательщик')) + 1);
    expect(decodeAlsecoResponse('GetBillInfo', cut)).toMatchObject({ kind: 'malformed', reason: 'bad-encoding' });
  });
});

describe('DTDs and entities are refused outright', () => {
  const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>' +
    `<soap:Envelope xmlns:soap="${S11}"><soap:Body><GetCurrentPeriodResponse xmlns="${ALS}"><GetCurrentPeriodResult>&lol3;</GetCurrentPeriodResult></GetCurrentPeriodResponse></soap:Body></soap:Envelope>`;
  const xxe = `<?xml version="1.0"?><!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><soap:Envelope xmlns:soap="${S11}"><soap:Body><GetCurrentPeriod xmlns="${ALS}"><bankCode>&xxe;</bankCode></GetCurrentPeriod></soap:Body></soap:Envelope>`;

  it('billion laughs', () => {
    expect(decodeAlsecoResponse('GetCurrentPeriod', laughs)).toMatchObject({ kind: 'dtd-forbidden' });
  });
  it('external entity (XXE), in a request to the simulator', () => {
    expect(decodeAlsecoRequest(xxe)).toMatchObject({ kind: 'dtd-forbidden' });
  });
  it('a lowercase doctype or a stray ENTITY declaration', () => {
    expect(decodeAlsecoRequest(xxe.replace('<!DOCTYPE', '<!doctype'))).toMatchObject({ kind: 'dtd-forbidden' });
    expect(decodeAlsecoRequest(`<!ENTITY a "b"><x/>`)).toMatchObject({ kind: 'dtd-forbidden' });
  });
  it('an undefined entity reference is not-well-formed; predefined ones and character references decode', () => {
    expect(decodeAlsecoResponse('GetCurrentPeriod', response('GetCurrentPeriod', '<GetCurrentPeriodResult>&lol;</GetCurrentPeriodResult>')))
      .toMatchObject({ kind: 'malformed', reason: 'not-well-formed' });
    expect(decodeAlsecoResponse('GetCurrentPeriod', response('GetCurrentPeriod', '<GetCurrentPeriodResult>&lt;&amp;&gt;&quot;&apos;&#1040;&#x4B;&#13;</GetCurrentPeriodResult>')))
      .toMatchObject({ kind: 'ok', result: '<&>"\'АK\r' });
    expect(decodeAlsecoResponse('GetCurrentPeriod', response('GetCurrentPeriod', '<GetCurrentPeriodResult>&#0;</GetCurrentPeriodResult>')))
      .toMatchObject({ kind: 'malformed', reason: 'not-well-formed' });
  });
  it('CDATA is kept verbatim', () => {
    expect(decodeAlsecoResponse('GetCurrentPeriod', response('GetCurrentPeriod', '<GetCurrentPeriodResult><![CDATA[a &amp; <b>]]></GetCurrentPeriodResult>')))
      .toMatchObject({ kind: 'ok', result: 'a &amp; <b>' });
  });
});

describe('.NET quirks: nil, empty, single vs array, whitespace, prefixes', () => {
  it('xsi:nil: optional → absent, nillable → null, list → [], required → malformed; any prefix', () => {
    const inner = '<GetBankPayByMonthResult><result>true</result><ErrorMessage xsi:nil="true"/><list i:nil="true" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"/></GetBankPayByMonthResult>';
    expect(decodeAlsecoResponse('GetBankPayByMonth', response('GetBankPayByMonth', inner))).toMatchObject({
      kind: 'ok', result: { result: true, list: [] },
    });
    const out = decodeAlsecoResponse('GetBankPayByMonth', response('GetBankPayByMonth', inner));
    expect(out.kind === 'ok' && 'ErrorMessage' in out.result).toBe(false);
    const required = '<GetBankPayByMonthResult><result xsi:nil="true"/></GetBankPayByMonthResult>';
    expect(decodeAlsecoResponse('GetBankPayByMonth', response('GetBankPayByMonth', required))).toMatchObject({
      kind: 'malformed', reason: 'invalid-value', detail: expect.stringContaining('result'),
    });
  });

  it('a missing or empty Result of a list method is an empty array; a single item is an array of one', () => {
    expect(decodeAlsecoResponse('GetPaymentsInfo', response('GetPaymentsInfo', ''))).toMatchObject({ kind: 'ok', result: [] });
    expect(decodeAlsecoResponse('GetPaymentsInfo', response('GetPaymentsInfo', '<GetPaymentsInfoResult />'))).toMatchObject({ kind: 'ok', result: [] });
    expect(decodeAlsecoResponse('GetAccountsWithFormedBill', response('GetAccountsWithFormedBill', '<GetAccountsWithFormedBillResult><int>7</int></GetAccountsWithFormedBillResult>')))
      .toMatchObject({ kind: 'ok', result: [7] });
  });

  it('a null (absent) object result is undefined', () => {
    expect(decodeAlsecoResponse('GetAccountInfo', response('GetAccountInfo', ''))).toEqual({
      kind: 'ok', method: 'GetAccountInfo', namespace: ALS, soapVersion: '1.1', result: undefined,
    });
  });

  it('whitespace around numbers, amounts, booleans and dates is ignored; strings keep theirs', () => {
    const inner = '<GetPaymentsInfoResult>\n <PaymentInfo>\n  <PaymentId>\n 12 </PaymentId>\n  <SysRef> 77 </SysRef>\n </PaymentInfo>\n</GetPaymentsInfoResult>';
    expect(decodeAlsecoResponse('GetPaymentsInfo', response('GetPaymentsInfo', inner))).toMatchObject({
      kind: 'ok', result: [{ PaymentId: 12, SysRef: ' 77 ' }],
    });
  });

  it.each([
    ['soap', S11, '1.1'], ['s', S11, '1.1'], ['env', S12, '1.2'], ['SOAP-ENV', S11, '1.1'],
  ] as const)('envelope prefix %s:', (prefix, namespace, soapVersion) => {
    const xml = `<${prefix}:Envelope xmlns:${prefix}="${namespace}"><${prefix}:Header/><${prefix}:Body><a:GetAccountStateResponse xmlns:a="${ALS}">` +
      `<a:GetAccountStateResult>Active</a:GetAccountStateResult></a:GetAccountStateResponse></${prefix}:Body></${prefix}:Envelope>`;
    expect(decodeAlsecoResponse('GetAccountState', xml)).toEqual({ kind: 'ok', method: 'GetAccountState', namespace: ALS, soapVersion, result: 'Active' });
  });

  it('no prefix at all (default namespace on the Envelope, method namespace declared on the Envelope)', () => {
    const xml = `<Envelope xmlns="${S11}" xmlns:als="${ALS}"><Body><als:GetAccountState><als:accountId>5</als:accountId><als:bankCode>ALSC</als:bankCode></als:GetAccountState></Body></Envelope>`;
    expect(decodeAlsecoRequest(xml)).toMatchObject({ kind: 'ok', method: 'GetAccountState', namespace: ALS, params: { accountId: 5, bankCode: 'ALSC' } });
  });

  it('unknown elements and annotation text are ignored; element order does not matter', () => {
    const inner = '<PayResult>note<ResultPaymentInvoice><PaymentId>26</PaymentId><Extra><x/></Extra>' +
      '<InvoiceId>6666</InvoiceId><State>Success</State></ResultPaymentInvoice></PayResult>';
    expect(decodeAlsecoResponse('Pay', response('Pay', inner))).toMatchObject({
      kind: 'ok', result: [{ State: 'Success', InvoiceId: '6666', PaymentId: 26 }],
    });
  });
});

describe('strict values', () => {
  const pay = (state: string, paymentId: string): string =>
    response('Pay', `<PayResult><ResultPaymentInvoice><State>${state}</State><InvoiceId>1</InvoiceId><PaymentId>${paymentId}</PaymentId></ResultPaymentInvoice></PayResult>`);

  it('an unknown State is malformed (outcome unknown), not a guess', () => {
    expect(decodeAlsecoResponse('Pay', pay('Succes', '26'))).toMatchObject({ kind: 'malformed', reason: 'invalid-value' });
  });
  it.each(['26.5', '1e3', '99999999999', '', 'abc'])('PaymentId %j is malformed', (id) => {
    expect(decodeAlsecoResponse('Pay', pay('Success', id))).toMatchObject({ kind: 'malformed', reason: 'invalid-value' });
  });
  it('PaymentId -1 (refusal) decodes as data', () => {
    expect(decodeAlsecoResponse('Pay', pay('InvoiceNotFound', '-1'))).toMatchObject({ kind: 'ok', result: [{ State: 'InvoiceNotFound', PaymentId: -1 }] });
  });
  it('an amount with three decimals or in exponent form is malformed', () => {
    const item = (sum: string) => response('getPaysInfo', `<getPaysInfoResult><BankPayInfo><AccountId>1</AccountId><InvoiceId>2</InvoiceId><PaymentId>3</PaymentId><SysRef>4</SysRef><PaySum>${sum}</PaySum><PayDate>2017-04-06T00:00:00</PayDate></BankPayInfo></getPaysInfoResult>`);
    expect(decodeAlsecoResponse('getPaysInfo', item('359.8'))).toMatchObject({ kind: 'ok', result: [{ PaySum: 35_980n }] });
    expect(decodeAlsecoResponse('getPaysInfo', item('359.805'))).toMatchObject({ kind: 'malformed', reason: 'invalid-value' });
    expect(decodeAlsecoResponse('getPaysInfo', item('3.598E2'))).toMatchObject({ kind: 'malformed', reason: 'invalid-value' });
  });
  it('a repeated single element is malformed rather than picked', () => {
    expect(decodeAlsecoResponse('GetAccountState', response('GetAccountState', '<GetAccountStateResult>Active</GetAccountStateResult><GetAccountStateResult>Deleted</GetAccountStateResult>')))
      .toMatchObject({ kind: 'malformed', reason: 'invalid-value' });
  });
  it('the simulator refuses unknown methods and foreign namespaces', () => {
    const body = (el: string) => `<soap:Envelope xmlns:soap="${S11}"><soap:Body>${el}</soap:Body></soap:Envelope>`;
    expect(decodeAlsecoRequest(body(`<DropTables xmlns="${ALS}"/>`))).toMatchObject({ kind: 'malformed', reason: 'unknown-method' });
    expect(decodeAlsecoRequest(body(`<GetCurrentPeriod xmlns="http://tempuri.org/"><bankCode>A</bankCode></GetCurrentPeriod>`)))
      .toMatchObject({ kind: 'malformed', reason: 'unknown-namespace' });
    expect(decodeAlsecoRequest(body('<GetCurrentPeriod><bankCode>A</bankCode></GetCurrentPeriod>')))
      .toMatchObject({ kind: 'malformed', reason: 'unknown-namespace' });
    expect(decodeAlsecoRequest(body(`<__proto__ xmlns="${ALS}"/>`))).toMatchObject({ kind: 'malformed' });
  });
  it('absurd nesting is malformed, not a stack overflow', () => {
    const deep = `${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}`;
    expect(decodeAlsecoResponse('Pay', response('Pay', `<PayResult>${deep}</PayResult>`))).toMatchObject({ kind: 'malformed' });
  });
});

describe('bytes, encodings and size', () => {
  it('reads UTF-8 bytes with a BOM', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(fixture('GetBillInfo.response.xml'), 'utf8')]);
    expect(decodeAlsecoResponse('GetBillInfo', bytes)).toMatchObject({ kind: 'ok', result: { list: [{ accountName: 'Плательщик.' }] } });
  });
  it('reads a body declared windows-1251', () => {
    const xml = response('GetCurrentPeriod', '<GetCurrentPeriodResult>Период 2018-03</GetCurrentPeriodResult>')
      .replace('encoding="utf-8"', 'encoding="windows-1251"');
    expect(decodeAlsecoResponse('GetCurrentPeriod', iconv.encode(xml, 'windows-1251'))).toMatchObject({ kind: 'ok', result: 'Период 2018-03' });
  });
  it('invalid UTF-8 and unknown encodings are bad-encoding', () => {
    const bad = Buffer.concat([Buffer.from(response('GetCurrentPeriod', '<GetCurrentPeriodResult>')), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('</GetCurrentPeriodResult>')]);
    expect(decodeAlsecoResponse('GetCurrentPeriod', bad)).toMatchObject({ kind: 'malformed', reason: 'bad-encoding' });
    const unknown = Buffer.from(response('GetCurrentPeriod', '').replace('utf-8', 'x-klingon'));
    expect(decodeAlsecoResponse('GetCurrentPeriod', unknown)).toMatchObject({ kind: 'malformed', reason: 'bad-encoding' });
  });
  it('refuses input over maxBytes, as text or bytes, before parsing', () => {
    const xml = fixture('Pay.response.xml');
    const size = Buffer.byteLength(xml);
    expect(decodeAlsecoResponse('Pay', xml, { maxBytes: size - 1 })).toEqual({ kind: 'too-large', detail: expect.any(String), bytes: size, maxBytes: size - 1 });
    expect(decodeAlsecoRequest(Buffer.from(xml), { maxBytes: 100 })).toEqual({ kind: 'too-large', detail: expect.any(String), bytes: size, maxBytes: 100 });
    expect(decodeAlsecoResponse('Pay', xml, { maxBytes: size }).kind).toBe('ok');
  });
  it('CRLF line ends are read as LF', () => {
    const xml = response('GetCurrentPeriod', '<GetCurrentPeriodResult>a\r\nb\rc</GetCurrentPeriodResult>');
    expect(decodeAlsecoResponse('GetCurrentPeriod', xml)).toMatchObject({ kind: 'ok', result: 'a\nb\nc' });
  });
});

describe('the encoder refuses what cannot go on the wire', () => {
  const doc = (patch: Record<string, unknown>) => ({
    paymentDocuments: [{
      AccountId: 1, InvoiceId: '1', PaymentDate: '2024-10-15T10:00:00', SysRef: '1',
      PaymentParameters: [{ ServiceId: 1, PayCounts: '0', LastCounts: '0', PaySum: 100n }], ...patch,
    }],
    bankCode: 'ALSC',
  }) as unknown as AlsecoParams<'Pay'>;
  it.each([
    ['a float amount', { PaymentParameters: [{ ServiceId: 1, PayCounts: '0', LastCounts: '0', PaySum: 1.5 }] }],
    ['a non-Int32 account', { AccountId: 2 ** 31 }],
    ['a fractional account', { AccountId: 1.5 }],
    ['a bad date', { PaymentDate: '15.10.2024' }],
    ['a bad decimal', { PaymentParameters: [{ ServiceId: 1, PayCounts: '1e3', LastCounts: '0', PaySum: 1n }] }],
    ['a control character', { SysRef: 'a\u0001b' }],
    ['a missing required value', { InvoiceId: undefined }],
  ])('%s', (_name, patch) => {
    expect(() => encodeAlsecoRequest('Pay', doc(patch))).toThrow(AlsecoEncodeError);
  });
  it('an unknown enum value in a simulator answer', () => {
    expect(() => encodeAlsecoResponse('GetAccountState', 'Gone' as never)).toThrow(AlsecoEncodeError);
  });
});

describe('a month of GetBillInfo', () => {
  it('50,000 rows decode exactly', () => {
    const rows = 50_000;
    const list: AlsecoBillInfo[] = Array.from({ length: rows }, (_, i) => ({
      accountId: 1_000_000 + i,
      accountName: `Плательщик №${i} & сын`,
      accountAddress: 'Алматы қ.|г.Алматы, ул. Абая <д. 1>',
      invoiceId: String(241000000000 + i),
      fixSum: BigInt(i) * 101n + 1n,
    }));
    const xml = encodeAlsecoResponse('GetBillInfo', { exRes: { Executed: true, ErrorMessage: '', StackTrace: '' }, list });
    expect(Buffer.byteLength(xml)).toBeGreaterThan(10_000_000);
    const out = decodeAlsecoResponse('GetBillInfo', Buffer.from(xml, 'utf8'));
    if (out.kind !== 'ok') throw new Error(JSON.stringify(out));
    expect(out.result.list).toHaveLength(rows);
    expect(out.result.list[0]).toEqual(list[0]);
    expect(out.result.list[rows - 1]).toEqual({
      accountId: 1_049_999, accountName: 'Плательщик №49999 & сын', accountAddress: 'Алматы қ.|г.Алматы, ул. Абая <д. 1>',
      invoiceId: '241000049999', fixSum: 5_049_900n,
    });
    const total = out.result.list.reduce((sum, row) => sum + row.fixSum, 0n);
    expect(total).toBe(101n * BigInt((rows * (rows - 1)) / 2) + BigInt(rows));
  });
});
