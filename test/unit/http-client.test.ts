import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../../src/http/client.ts';

/** Outbound HTTP to partners: answers, limits and failures are data; connections are kept alive; no redirect is followed. */
let server: Server;
let base: string;
const clientPorts: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    clientPorts.push(req.socket.remotePort!);
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(Buffer.alloc(64 * 1024, 'x'));
    } else if (req.url === '/slow') {
      setTimeout(() => res.end('late'), 2_000).unref();
    } else if (req.url === '/moved') {
      res.writeHead(302, { location: 'http://10.255.255.1/elsewhere' });
      res.end();
    } else {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(200, { 'content-type': 'text/xml; charset=windows-1251' });
      req.pipe(res);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
}));

describe('httpRequest', () => {
  it('returns the status, the headers (repeated ones joined) and the body bytes', async () => {
    const result = await httpRequest({ url: `${base}/echo`, body: Buffer.from([0xcf, 0xf0, 0xe8]), signal: AbortSignal.timeout(5_000) });
    expect(result).toMatchObject({ kind: 'response', status: 200 });
    if (result.kind !== 'response') return;
    expect(result.headers['content-type']).toBe('text/xml; charset=windows-1251');
    expect(result.headers['set-cookie']).toBe('a=1, b=2');
    expect([...result.body]).toEqual([0xcf, 0xf0, 0xe8]);
  });

  it('reuses kept-alive connections for the next calls to the same partner', async () => {
    clientPorts.length = 0;
    for (let i = 0; i < 6; i++) await httpRequest({ url: `${base}/echo`, body: 'x', signal: AbortSignal.timeout(5_000) });
    // The pool takes its idle connections in turn: sequential calls never need more than the two already open.
    expect(new Set(clientPorts).size, String(clientPorts)).toBeLessThanOrEqual(2);
  });

  it('refuses an answer above the limit', async () => {
    expect(await httpRequest({ url: `${base}/big`, method: 'GET', maxResponseBytes: 1_024, signal: AbortSignal.timeout(5_000) })).toEqual({ kind: 'too_large' });
  });

  it('a call cut by its deadline is a timeout', async () => {
    expect(await httpRequest({ url: `${base}/slow`, method: 'GET', signal: AbortSignal.timeout(200) })).toEqual({ kind: 'timeout' });
  });

  it('an unreachable partner is a network failure, with the reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await httpRequest({ url: `http://127.0.0.1:${port}/`, signal: AbortSignal.timeout(5_000) });
    expect(result.kind).toBe('network');
    if (result.kind === 'network') expect(result.message).toMatch(/ECONNREFUSED/);
  });

  it('does not follow a redirect: the partner\'s Location never chooses where a payment goes', async () => {
    const result = await httpRequest({ url: `${base}/moved`, signal: AbortSignal.timeout(5_000) });
    expect(result).toMatchObject({ kind: 'response', status: 302 });
  });
});
