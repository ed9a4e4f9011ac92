/**
 * Open-loop load: check+pay pairs started at a fixed rate whatever the server's answers do, the way real agents send
 * (a closed loop slows down with the server and hides its queueing). Latency is measured from the moment a pair was
 * *due*, so a generator that falls behind counts the delay against the server instead of hiding it (no coordinated
 * omission). Bounded: at most `maxInFlight` pairs at once (a pair due while the bound is reached is counted as
 * `dropped`, not sent late), and the run stops after `seconds`, waiting at most `drainMs` for the last answers.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface OpenLoopOptions {
  url: string;
  /** Pairs per second. */
  rate: number;
  seconds: number;
  maxInFlight: number;
  drainMs: number;
  tokens: string[];
  /** The request body of a pair's check and pay (the same body: the pay repeats the check's id). */
  body: () => { id: string; text: string };
  /** True when the answer is a success for this id. */
  accept: (status: number, body: string, id: string) => boolean;
}

export interface OpenLoopResult {
  rate: number;
  seconds: number;
  due: number;
  sent: number;
  dropped: number;
  pairsOk: number;
  failed: number;
  unanswered: number;
  /** Pay latency, from its check's due moment to the pay's answer, and the pay alone. */
  pairMs: number[];
  payMs: number[];
}

export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxInFlight * 2 });
  const target = new URL(options.url);
  const result: OpenLoopResult = { rate: options.rate, seconds: options.seconds, due: 0, sent: 0, dropped: 0, pairsOk: 0, failed: 0, unanswered: 0, pairMs: [], payMs: [] };
  let inFlight = 0;
  let turn = 0;
  const pending = new Set<Promise<void>>();

  const post = (path: string, token: string, body: string): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
    const request = http.request({
      host: target.hostname, port: target.port, path, method: 'POST', agent,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) },
      timeout: 10_000,
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
    request.end(body);
  });

  const pair = async (dueAt: number): Promise<void> => {
    const token = options.tokens[turn++ % options.tokens.length]!;
    const { id, text } = options.body();
    try {
      const check = await post('/api/v20/check', token, text);
      const checkOk = options.accept(check.status, check.body, id);
      const payAt = performance.now();
      const pay = await post('/api/v20/pay', token, text);
      const done = performance.now();
      if (checkOk && options.accept(pay.status, pay.body, id)) {
        result.pairsOk++;
        result.pairMs.push(done - dueAt);
        result.payMs.push(done - payAt);
      } else {
        result.failed++;
      }
    } catch {
      result.failed++;
    }
  };

  const start = performance.now();
  const intervalMs = 1000 / options.rate;
  const endAt = start + options.seconds * 1000;
  let next = start;
  while (next < endAt) {
    const now = performance.now();
    while (next <= now && next < endAt) {
      result.due++;
      if (inFlight >= options.maxInFlight) {
        result.dropped++;
      } else {
        inFlight++;
        result.sent++;
        const running: Promise<void> = pair(next).finally(() => {
          inFlight--;
          pending.delete(running);
        });
        pending.add(running);
      }
      next += intervalMs;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(5, next - performance.now()))));
  }
  const drained = await Promise.race([
    Promise.all([...pending]).then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), options.drainMs)),
  ]);
  if (!drained) result.unanswered = pending.size;
  agent.destroy();
  return result;
}
