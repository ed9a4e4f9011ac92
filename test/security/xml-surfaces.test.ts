/**
 * XXE, billion laughs, external DTDs and parameter entities are refused on every surface where Tolem reads XML:
 * - the Elsom biller gateway (POST /elsom, what Elsom's wallet sends us), in windows-1251 and in UTF-16;
 * - Alseco's SOAP answers, as our AlsecoClient reads them from a hostile loopback "Alseco";
 * - Assist's XML answers (charge.cfm, orderstate.cfm), as our AssistClient reads them from a hostile "Assist";
 * - the Alseco simulator's SOAP requests (it listens on our server when SANDBOX is on).
 * The Elsom merchant callbacks are JSON: an XML body there is refused unread. For every payload the hostile server
 * also serves the external DTD and entity it names and records every request: none may ever be fetched, and no
 * answer may carry the expansion or the local file.
 * The parsers' own refusals are unit-tested in test/unit/xml/read.test.ts, test/unit/alseco/robustness.test.ts,
 * test/unit/assist/answers.test.ts and test/e2e/elsom-bad-input.test.ts; this file proves the surfaces end to end.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistClient } from '../../src/acquiring/assist/client.ts';
import { AlsecoClient } from '../../src/providers/alseco/client.ts';
import { ASSIST_SANDBOX_ACCOUNT, assistSandboxKeys } from '../../src/sandbox/assist/keys.ts';
import { decodeElsomResponse } from '../../src/gateways/elsom-biller/codec/index.ts';
import { startTolem, testConfig, type Harness } from '../helpers/harness.ts';
import { newElsomAgent, transferXml, txn } from '../helpers/elsom.ts';

let h: Harness;
let hostile: Server;
let hostileUrl: string;
/** What the hostile server was asked for: any GET is a DTD or entity some parser went to fetch. */
const fetched: string[] = [];
let answerWith = '';

beforeAll(async () => {
  hostile = createServer((request, response) => {
    if (request.method === 'GET') fetched.push(request.url ?? '');
    request.resume();
    request.on('end', () => {
      if (request.method === 'GET') return void response.writeHead(200, { 'content-type': 'application/xml-dtd' }).end('<!ENTITY leaked "LEAKED-FROM-DTD">');
      response.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(answerWith);
    });
  });
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  h = await startTolem({ jobs: false });
  await newElsomAgent(h.db);
});
afterAll(async () => {
  await new Promise((resolve) => hostile?.close(resolve));
  await h?.close();
});

const LAUGHS = '<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">';

/**
 * The attacks, each as a DOCTYPE put before a document's root and the reference put into one of its values. The
 * names are the test's; `file` and the two URLs point at things a parser that obeyed would read.
 */
function attacks(root: string): { name: string; doctype: string; reference: string }[] {
  return [
    { name: 'XXE (a local file)', doctype: `<!DOCTYPE ${root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`, reference: '&xxe;' },
    { name: 'XXE (a URL)', doctype: `<!DOCTYPE ${root} [<!ENTITY xxe SYSTEM "${hostileUrl}/entity">]>`, reference: '&xxe;' },
    { name: 'billion laughs', doctype: `<!DOCTYPE ${root} [${LAUGHS}]>`, reference: '&lol3;' },
    { name: 'an external DTD', doctype: `<!DOCTYPE ${root} SYSTEM "${hostileUrl}/external.dtd">`, reference: '&leaked;' },
    { name: 'a parameter entity', doctype: `<!DOCTYPE ${root} [<!ENTITY % remote SYSTEM "${hostileUrl}/parameter.dtd"> %remote;]>`, reference: '&leaked;' },
    { name: 'a lowercase doctype', doctype: `<!doctype ${root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`, reference: '&xxe;' },
    { name: 'an undeclared entity', doctype: '', reference: '&xxe;' },
  ];
}

/** Nothing the attack pointed at was read, and nothing it would have expanded to is in `text`. */
function expectNothingExpanded(text: string, where: string): void {
  expect(text, where).not.toMatch(/root:.*:0:0:/);
  expect(text, where).not.toContain('LEAKED-FROM-DTD');
  expect(text, where).not.toContain('lollollol');
  expect(fetched, `${where}: fetched from the hostile server`).toEqual([]);
}

describe('the Elsom biller gateway (XML in)', () => {
  const hostileRequest = (doctype: string, reference: string) =>
    transferXml({ transactionNumber: txn() }).replace('?>', `?>${doctype}`).replace('<account-number>996701232200', `<account-number>${reference}`);

  for (const attack of attacks('request')) {
    it(`refuses ${attack.name} with its own answer, in windows-1251 and in UTF-16`, async () => {
      const xml = hostileRequest(attack.doctype, attack.reference);
      for (const body of [iconv.encode(xml, 'windows-1251'), Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(xml.replace('windows-1251', 'UTF-16'), 'utf-16le')])]) {
        const response = await fetch(`${h.url}/elsom`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
        const bytes = Buffer.from(await response.arrayBuffer());
        const decoded = decodeElsomResponse(bytes, response.headers.get('content-type') ?? undefined);
        expect(decoded.ok, bytes.toString('latin1')).toBe(true);
        if (decoded.ok) expect(decoded.response.resultCode, attack.name).not.toBe(0);
        expect(response.status).toBeLessThan(500);
        expectNothingExpanded(iconv.decode(bytes, 'windows-1251'), attack.name);
      }
    });
  }
});

describe('Alseco SOAP answers (read by our client)', () => {
  const S11 = 'http://schemas.xmlsoap.org/soap/envelope/';
  const client = () => new AlsecoClient(testConfig().alseco, { payments: () => `${hostileUrl}/payments.asmx`, erc: () => `${hostileUrl}/erc.asmx` });

  for (const attack of attacks('soap:Envelope')) {
    it(`refuses an answer with ${attack.name}`, async () => {
      answerWith = `<?xml version="1.0" encoding="utf-8"?>${attack.doctype}<soap:Envelope xmlns:soap="${S11}"><soap:Body><GetCurrentPeriodResponse xmlns="http://alseco.kz/"><GetCurrentPeriodResult>${attack.reference}</GetCurrentPeriodResult></GetCurrentPeriodResponse></soap:Body></soap:Envelope>`;
      const outcome = await client().call('GetCurrentPeriod', { bankCode: 'TEST' });
      expect(outcome.kind, JSON.stringify(outcome)).toBe('failure');
      if (outcome.kind === 'failure') expect(outcome.detail).toMatch(attack.doctype ? /DOCTYPE refused/ : /bad entity/);
      expectNothingExpanded(JSON.stringify(outcome), attack.name);
    });
  }
});

describe('Assist XML answers (read by our client)', () => {
  const client = () => new AssistClient({
    ...ASSIST_SANDBOX_ACCOUNT, baseUrl: hostileUrl, publicKeyPem: assistSandboxKeys().publicKeyPem, digest: 'sha256', format: 'xml', timeoutMs: 2_000,
  });

  for (const attack of attacks('result')) {
    it(`refuses an answer with ${attack.name}`, async () => {
      answerWith = `<?xml version="1.0" encoding="UTF-8"?>${attack.doctype}<result firstcode="0" secondcode="0"><orders><order><ordernumber>${attack.reference}</ordernumber><orderstate>${attack.reference}</orderstate></order></orders></result>`;
      const state = await client().orderState('100000000000000001', new Date(Date.UTC(2026, 0, 1)));
      expect(state.kind, JSON.stringify(state)).not.toBe('order');
      const charge = await client().charge('545000000000001');
      expect(charge.kind, JSON.stringify(charge)).not.toBe('ok');
      // Refused for what it is; the undeclared entity is left as text, never expanded, and matches no order of ours.
      if (attack.doctype) for (const answer of [state, charge]) expect(answer).toMatchObject({ kind: 'unknown', reason: 'DOCTYPE with entities refused' });
      expectNothingExpanded(JSON.stringify([state, charge]), attack.name);
    });
  }
});

describe('other XML and XML-shaped surfaces', () => {
  it('the Alseco simulator refuses every attack in a SOAP request', async () => {
    for (const attack of attacks('soap:Envelope')) {
      const body = `<?xml version="1.0" encoding="utf-8"?>${attack.doctype}<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetCurrentPeriod xmlns="http://alseco.kz/"><bankCode>${attack.reference}</bankCode></GetCurrentPeriod></soap:Body></soap:Envelope>`;
      const response = await fetch(`${h.url}/sandbox/alseco/AlsecoPaymentsService.asmx`, {
        method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://alseco.kz/GetCurrentPeriod"' }, body,
      });
      const text = await response.text();
      expect(response.status, attack.name).not.toBe(200);
      expect(text, attack.name).toContain('Fault');
      expectNothingExpanded(text, attack.name);
    }
  });

  it('the Elsom merchant callback reads JSON only: an XML body with entities is refused unread', async () => {
    const [xxe] = attacks('PartnerPaymentResult');
    const response = await fetch(`${h.url}/pay/elsom/callback`, {
      method: 'POST', headers: { 'content-type': 'application/xml' }, body: `<?xml version="1.0"?>${xxe!.doctype}<PartnerPaymentResult>${xxe!.reference}</PartnerPaymentResult>`,
    });
    const text = await response.text();
    // Answered in the acquirer's own protocol: HTTP 200 with its error code, as Elsom expects.
    expect(response.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ Response: { ErrorCode: '2', ErrorMsg: 'Bad request: body is not a JSON object' } });
    expectNothingExpanded(text, 'the Elsom callback');
  });
});
