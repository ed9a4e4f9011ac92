import { createServer, type Server } from 'node:http';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTolem, type Harness } from '../helpers/harness.ts';
import { hiddenFields, startOrder } from '../helpers/checkout.ts';

/**
 * Edges of the HTTP server (issue 8, item 5): malformed cookies never give a 500; absolute URLs come from PUBLIC_URL,
 * never from the Host header; the Elsom wallet simulator never sends credentials to an address from the request;
 * sandbox control routes answer loopback callers only.
 */
const PUBLIC_URL = 'https://pay.example.test';
const EVIL_HOST = 'evil.example:4444';
let h: Harness;

beforeAll(async () => {
  h = await startTolem({ config: { publicUrl: PUBLIC_URL } });
});
afterAll(async () => h?.close());

const inject = (options: InjectOptions): Promise<LightMyRequestResponse> => h.tolem.app.inject(options);

describe('a malformed cookie', () => {
  const cookie = '_ga=100%; tolem_lang=%E0%A4%A; tolem_elsom=%';

  it.each([
    ['GET', '/pay'],
    ['GET', '/pay/?lang=kk'],
    ['GET', '/pay/s/P1011'],
    ['POST', '/pay/s/P1011'],
    ['GET', '/pay/o/unknown-token'],
    ['POST', '/pay/o/unknown-token'],
    ['GET', '/pay/r/unknown-token'],
    ['GET', '/pay/elsom/return'],
    ['GET', '/pay/return/unknown-token/ok'],
    ['GET', '/pay/no-such-page'],
    ['GET', '/pay/assets/checkout.css'],
    ['GET', '/docs/'],
    ['GET', '/health'],
  ])('%s %s answers, never 500', async (method, url) => {
    const answer = await inject({ method: method as InjectOptions['method'], url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, ...(method === 'POST' ? { payload: 'account=7011234567' } : {}) });
    expect(answer.statusCode).toBeLessThan(500);
  });
});

// Found by the fuzz sets (test/fuzz/): a path with a malformed escape was answered by Fastify itself (FST_ERR_BAD_URL,
// JSON) before any plugin saw it — on the Elsom gateway, whose answers must be windows-1251 XML, and on the agent API.
describe('a path with a malformed percent escape is answered by the plugin of its prefix', () => {
  it.each([
    ['/api/v20/%', 401, 'application/json; charset=utf-8', '"result":150'],
    ['/api/v20/pay%zz?x=%', 401, 'application/json; charset=utf-8', '"result":150'],
    ['/elsom/%E0%A4', 200, 'text/xml; charset=windows-1251', '<result-code>202</result-code>'],
    ['/pay/return/token/%', 404, 'text/html; charset=utf-8', '<!doctype html>'],
    ['/console/agents/%/proposals', 415, 'text/html; charset=utf-8', '<!doctype html>'],
    ['/api/admin/v1/reconciliations/%', 401, 'application/json; charset=utf-8', '"error":{"code":"no_session"'],
  ])('POST %s', async (url, status, contentType, text) => {
    const answer = await inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(answer.statusCode).toBe(status);
    expect(answer.headers['content-type']).toBe(contentType);
    expect(answer.body).toContain(text);
    expect(answer.body).not.toContain('FST_ERR');
  });
});

describe('a request no plugin owns is answered in our words', () => {
  it.each([
    ['POST', '/elsom/..', 'x=1', 400, 'bad_request'],
    ['POST', '/nowhere', '{}', 404, 'not_found'],
    ['GET', '/pay/return/%2e%2e/..', undefined, 404, 'not_found'],
  ])('%s %s', async (method, url, payload, status, code) => {
    const answer = await inject({ method: method as InjectOptions['method'], url, headers: { 'content-type': 'application/json' }, ...(payload !== undefined ? { payload } : {}) });
    expect(answer.statusCode).toBe(status);
    expect(JSON.parse(answer.body).error.code).toBe(code);
    expect(answer.body).not.toMatch(/FST_ERR|Route .* not found/);
  });
});

describe('absolute URLs come from PUBLIC_URL, not from the Host header', () => {
  it('Assist return URLs and the page CSP', async () => {
    const token = await startOrder(h, 'P1011', { account: '7011234567' });
    const answer = await inject({
      method: 'POST', url: `/pay/o/${token}`, headers: { host: EVIL_HOST, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ amount: '500.00', method: 'card' }).toString(),
    });
    expect(answer.statusCode, answer.body).toBe(200);
    const fields = Object.fromEntries(hiddenFields(answer.body));
    expect(fields['URL_RETURN_OK']).toBe(`${PUBLIC_URL}/pay/return/${token}/ok`);
    expect(fields['URL_RETURN_NO']).toBe(`${PUBLIC_URL}/pay/return/${token}/no`);
    expect(answer.body).not.toContain('evil.example');
    expect(String(answer.headers['content-security-policy'])).not.toContain('evil.example');
  });

  it('the Alseco simulator\'s WSDL', async () => {
    const answer = await inject({ method: 'GET', url: '/sandbox/alseco/AlsecoPaymentsService.asmx?wsdl', headers: { host: EVIL_HOST } });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain(`${PUBLIC_URL}/sandbox/alseco`);
    expect(answer.body).not.toContain('evil.example');
  });
});

describe('the Elsom wallet simulator', () => {
  let attacker: Server;
  const seen: string[] = [];

  beforeAll(async () => {
    attacker = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
      request.on('end', () => {
        seen.push(body);
        response.writeHead(200, { 'content-type': 'text/xml' }).end('<response/>');
      });
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => attacker.close(() => resolve())));

  it('never posts its login and password hash to the address in the Host header', async () => {
    const port = (attacker.address() as { port: number }).port;
    const answer = await inject({
      method: 'POST', url: '/sandbox/elsom-wallet/pay', headers: { host: `127.0.0.1:${port}` },
      payload: { serviceId: '5132', account: '996555123456', amount: '10', retries: 0, reconcile: false, requestTimeoutMs: 2_000, login: 'elsom', password: 'secret' },
    });
    expect(answer.statusCode, answer.body).toBe(200);
    expect(seen).toEqual([]);
  });
});

describe('sandbox control routes', () => {
  const outsider = '203.0.113.9';

  it.each([
    ['PUT', '/sandbox/mobile/faults', { latencyMs: 0 }],
    ['GET', '/sandbox/mobile/payments', undefined],
    ['GET', '/sandbox/alseco/faults', undefined],
    ['PUT', '/sandbox/alseco/clock', { now: null }],
    ['PUT', '/sandbox/assist/faults', { latencyMs: 0 }],
    ['GET', '/sandbox/assist/orders', undefined],
    ['PUT', '/sandbox/elsom-merchant/faults', { latencyMs: 0 }],
    ['POST', '/sandbox/elsom-wallet/pay', { serviceId: '5132', account: '996555123456', amount: '10' }],
  ])('%s %s from a remote address → 403', async (method, url, payload) => {
    const answer = await inject({ method: method as InjectOptions['method'], url, remoteAddress: outsider, ...(payload ? { payload } : {}) });
    expect(answer.statusCode).toBe(403);
  });

  it('the same routes answer loopback callers', async () => {
    const answer = await inject({ method: 'PUT', url: '/sandbox/mobile/faults', remoteAddress: '127.0.0.1', payload: { latencyMs: 0 } });
    expect(answer.statusCode).toBe(200);
  });

  it('the simulated partner protocol stays open to everyone', async () => {
    const answer = await inject({ method: 'POST', url: '/sandbox/mobile/check', remoteAddress: outsider, payload: { account: '7011234567' } });
    expect(answer.statusCode).not.toBe(403);
  });
});
