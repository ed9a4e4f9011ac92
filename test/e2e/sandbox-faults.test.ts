import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTolem, type Harness } from '../helpers/harness.ts';

/**
 * Issue 8, item 7: every simulator takes its faults the same way (GET, PUT to merge, DELETE to reset), and the Alseco
 * simulator answers a SOAP 1.2 request it cannot read with a SOAP 1.2 fault.
 */
let h: Harness;

beforeAll(async () => {
  h = await startTolem({ jobs: false });
});
afterAll(async () => h?.close());

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${h.url}${path}`, {
    method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('fault routes agree', () => {
  it.each([
    ['mobile', { latencyMs: 5 }],
    ['alseco', { latencyMs: 5 }],
    ['assist', { latencyMs: 5 }],
    ['elsom-merchant', { latencyMs: 5 }],
  ])('PUT /sandbox/%s/faults sets, GET reads, DELETE resets', async (name, faults) => {
    const set = await call('PUT', `/sandbox/${name}/faults`, faults);
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject(faults);
    expect((await call('GET', `/sandbox/${name}/faults`)).json).toMatchObject(faults);
    if (name === 'mobile') return; // the provider simulators reset with PUT of zeros (their faults are per route)
    const reset = await call('DELETE', `/sandbox/${name}/faults`);
    expect(reset.status).toBe(200);
    expect(reset.json).toMatchObject({ latencyMs: 0 });
  });

  it('a fault body that is not JSON is a 400, not a 500', async () => {
    const response = await fetch(`${h.url}/sandbox/assist/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"latencyMs":' });
    expect(response.status).toBe(400);
  });
});

describe('Alseco simulator faults in the request\'s SOAP version', () => {
  const post = (contentType: string, body: string) => fetch(`${h.url}/sandbox/alseco/AlsecoPaymentsService.asmx`, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('an unreadable SOAP 1.2 request → a SOAP 1.2 Sender fault', async () => {
    const response = await post('application/soap+xml; charset=utf-8',
      '<soap12:Envelope xmlns:soap12="http://www.w3.org/2003/05/soap-envelope"><soap12:Body><NoSuchMethod xmlns="http://tempuri.org/"/></soap12:Body></soap12:Envelope>');
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toMatch(/^application\/soap\+xml/);
    expect(text).toContain('http://www.w3.org/2003/05/soap-envelope');
    expect(text).toMatch(/<soap12:Value>soap12:Sender<\/soap12:Value>/);
    expect(text).not.toContain('faultcode');
  });

  it('a body that is not even XML, sent as SOAP 1.2 → a SOAP 1.2 fault', async () => {
    const text = await (await post('application/soap+xml', 'not xml at all')).text();
    expect(text).toMatch(/<soap12:Value>soap12:Sender<\/soap12:Value>/);
  });

  it('an unreadable SOAP 1.1 request still gets a 1.1 fault', async () => {
    const response = await post('text/xml; charset=utf-8',
      '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><NoSuchMethod/></soap:Body></soap:Envelope>');
    const text = await response.text();
    expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(text).toContain('<faultcode>soap:Client</faultcode>');
  });
});
