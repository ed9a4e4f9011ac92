/**
 * Fuzz over a raw socket: what fetch would never send — a Content-Length longer or shorter than the body, broken
 * chunked encoding, a body cut by a closed socket, duplicate or conflicting length headers — to each inbound surface.
 * The hub answers with a 4xx in the surface's own format or closes the connection; never a 5xx; it writes nothing and
 * still answers its health request.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fc, leaks } from './kit.ts';
import { ciRuns, startFuzzHub, type FuzzHub } from './setup.ts';

let hub: FuzzHub;
beforeAll(async () => {
  hub = await startFuzzHub();
});
afterAll(async () => hub?.close());

const PATHS = ['/api/v20/pay', '/elsom', '/pay/elsom/callback', '/console/login', '/api/admin/v1/session'] as const;
const BODY = '{"serviceId":"P1011","account":"7770017711","agentTransactionId":1,"agentTransactionDate":"2015-02-17T16:48:37","amountTo":1,"amountFrom":1}';

type Framing = 'longer' | 'shorter' | 'two-lengths' | 'chunked-broken' | 'chunked-and-length' | 'cut' | 'no-length';

function raw(path: string, framing: Framing, body: string, contentType: string): string {
  const head = (headers: string) => `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\n${headers}\r\n`;
  switch (framing) {
    case 'longer': return head(`Content-Length: ${body.length + 50}\r\n`) + body;
    case 'shorter': return head(`Content-Length: ${Math.max(0, body.length - 10)}\r\n`) + body;
    case 'two-lengths': return head(`Content-Length: ${body.length}\r\nContent-Length: ${body.length + 1}\r\n`) + body;
    case 'chunked-broken': return head('Transfer-Encoding: chunked\r\n') + `zz\r\n${body}\r\n0\r\n\r\n`;
    case 'chunked-and-length': return head(`Transfer-Encoding: chunked\r\nContent-Length: 3\r\n`) + `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    case 'cut': return head(`Content-Length: ${body.length}\r\n`) + body.slice(0, body.length >> 1);
    case 'no-length': return head('') + body;
  }
}

/** Sends the bytes, half-closes, and reads what comes back within a moment (nothing is a fine answer: a closed socket). */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const done = () => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1_500, done);
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', done);
    socket.on('close', done);
    socket.write(bytes, () => socket.end());
  });
}

it('a broken framing is refused in the surface\'s format or the connection closed; no 5xx, no write, still healthy', async () => {
  const port = Number(new URL(hub.h.url).port);
  const cases = fc.sample(fc.record({
    path: fc.constantFrom(...PATHS),
    framing: fc.constantFrom<Framing>('longer', 'shorter', 'two-lengths', 'chunked-broken', 'chunked-and-length', 'cut', 'no-length'),
    contentType: fc.constantFrom('application/json', 'text/xml', 'application/x-www-form-urlencoded'),
  }), { seed: ciRuns(0).seed, numRuns: Math.max(35, Math.round(ciRuns(35).numRuns / 10)) });
  const before = await hub.inject.fingerprint();
  const problems: string[] = [];
  for (const c of cases) {
    const answer = await exchange(port, raw(c.path, c.framing, BODY, c.contentType));
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
    if (status >= 500) problems.push(`${c.path} ${c.framing}: HTTP ${status}`);
    if (leaks(answer)) problems.push(`${c.path} ${c.framing}: runtime text ${leaks(answer)}`);
  }
  expect(problems).toEqual([]);
  expect(await hub.inject.fingerprint()).toBe(before);
  expect(await hub.http.healthy()).toBe(true);
}, 120_000);
