import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { md5Hex } from '../../src/gateways/elsom-biller/codec/index.ts';
import { createAgent } from '../../src/engine/agents.ts';
import { newAgent, openTestDb, post, startTolem, testSchema, type Harness } from '../helpers/harness.ts';
import { newElsomAgent, postElsom, transferXml, txn } from '../helpers/elsom.ts';
import type { Db } from '../../src/store/db.ts';

/**
 * Issue 8, item 6: failed authentications are slowed per source address and per credential (agent API: 429 with
 * Retry-After; Elsom: result-code 201), counted in memory or shared through Redis; slow clients are cut off.
 * Source addresses are set with X-Forwarded-For (TRUST_PROXY), so each case starts from a clean address.
 */
const limits = { maxFailures: 3, windowMs: 60_000, maxDelayMs: 600_000 };
const http = { headersTimeoutMs: 500, requestTimeoutMs: 1_000, keepAliveTimeoutMs: 5_000, maxConnections: 1_000, maxRequestsPerSocket: 1_000 };
let h: Harness;

/** A documentation address (RFC 5737) unique to this run, so runs sharing one Redis never meet. */
const address = () => `198.51.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;

beforeAll(async () => {
  h = await startTolem({ jobs: false, config: { trustProxy: true, authThrottle: { ...limits, redisUrl: undefined }, http } });
});
afterAll(async () => h?.close());

const balance = (url: string, from: string, token: string) => post(`${url}/api/v20/balance`, '{}', { authorization: `Bearer ${token}`, 'x-forwarded-for': from });
const wrongToken = () => `wrong-${randomBytes(8).toString('hex')}`;

describe('agent API', () => {
  it('per address: after 3 failures the 4th is 429 with Retry-After, and a right token from there waits too', async () => {
    const from = address();
    for (let i = 0; i < 3; i++) expect((await balance(h.url, from, wrongToken())).status).toBe(401);
    const blocked = await balance(h.url, from, wrongToken());
    expect(blocked.status).toBe(429);
    expect(JSON.parse(blocked.text)).toEqual({ result: 150, resultMessage: 'Too many failed authentications; retry after 60 s' });
    const { token } = await newAgent(h.db);
    const right = await fetch(`${h.url}/api/v20/balance`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': from, 'content-type': 'application/json' }, body: '{}' });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await balance(h.url, address(), token)).status).toBe(200);
  });

  it('per credential: one token refused from many addresses is slowed on its own', async () => {
    const agent = await createAgent(h.db, { name: 'Elsewhere', currency: 'KZT', ipAllow: ['10.9.0.0/16'], confirmToken: true });
    for (let i = 0; i < 3; i++) expect((await balance(h.url, address(), agent.token!)).status).toBe(401);
    expect((await balance(h.url, address(), agent.token!)).status).toBe(429);
    expect((await balance(h.url, address(), wrongToken())).status).toBe(401);
  });

  it('malformed headers count as failures too', async () => {
    const from = address();
    const basic = () => post(`${h.url}/api/v20/balance`, '{}', { authorization: 'Basic YTpi', 'x-forwarded-for': from });
    for (let i = 0; i < 3; i++) expect((await basic()).status).toBe(401);
    expect((await basic()).status).toBe(429);
  });
});

describe('Elsom gateway', () => {
  it('a terminal refused 3 times gets 201, even with the right password', async () => {
    await newElsomAgent(h.db, { terminalId: '7001' });
    const send = (passwordMd5?: string) => postElsom(`${h.url}/elsom`, transferXml({ transactionNumber: txn(), terminalId: '7001', ...(passwordMd5 ? { passwordMd5 } : {}) }));
    for (let i = 0; i < 3; i++) expect((await send(md5Hex('wrong'))).response.resultCode).toBe(150);
    expect((await send(md5Hex('wrong'))).response.resultCode).toBe(201);
    const right = await send();
    expect(right.status).toBe(200);
    expect(right.response.resultCode).toBe(201);
  });
});

describe('shared through Redis (REDIS_URL), as several instances run', () => {
  let db: Db;
  let a: Harness;
  let b: Harness;

  beforeAll(async () => {
    const schema = testSchema();
    db = await openTestDb(schema);
    const config = { trustProxy: true, authThrottle: { ...limits, redisUrl: 'redis://127.0.0.1:6379' } };
    a = await startTolem({ jobs: false, db, schema, config });
    b = await startTolem({ jobs: false, db, schema, config });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.close();
  });

  it('failures on one instance block the address on the other', async () => {
    const from = address();
    for (const instance of [a, b, a]) expect((await balance(instance.url, from, wrongToken())).status).toBe(401);
    expect((await balance(b.url, from, wrongToken())).status).toBe(429);
    expect((await balance(a.url, from, wrongToken())).status).toBe(429);
  });
});

describe('slow clients are cut off', () => {
  /** Sends `chunks` one by one with a pause; answers what the server sent and how many chunks went out before it hung up. */
  function dribble(first: string, chunks: string[], pauseMs: number): Promise<{ answer: string; sent: number }> {
    const { port } = new URL(h.url);
    return new Promise((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      let answer = '';
      let sent = 0;
      let timer: NodeJS.Timeout | undefined;
      const next = () => {
        if (sent >= chunks.length || socket.destroyed) return;
        socket.write(chunks[sent++]!);
        timer = setTimeout(next, pauseMs);
      };
      socket.on('connect', () => {
        socket.write(first);
        timer = setTimeout(next, pauseMs);
      });
      socket.on('data', (data) => (answer += data.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ answer, sent });
      });
    });
  }

  it('a client dribbling headers gets 408 long before it is done', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `x-slow-${i}: 1\r\n`);
    const result = await dribble('POST /api/v20/balance HTTP/1.1\r\nhost: 127.0.0.1\r\n', lines, 50);
    expect(result.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(result.sent).toBeLessThan(lines.length);
  });

  it('a client dribbling a body gets 408 long before it is done', async () => {
    const body = Array.from({ length: 200 }, () => '{');
    const head = `POST /api/v20/balance HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
    const result = await dribble(head, body, 50);
    expect(result.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(result.sent).toBeLessThan(body.length);
  });
});
