import { Transform, pipeline, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Requests partners make to us, and our answers, for the engine's record of partner exchanges (engine/exchanges.ts):
 * two root hooks see the body as it arrives (a pass-through on the parser's stream, so every plugin keeps its own
 * parser) and the answer as it leaves. Only exchanges that name a payment are handed on; the rest (service lists,
 * balances, refusals before any payment) are not a payment's story. Capturing never changes a request or an answer:
 * every failure here is swallowed.
 */
export interface CapturedInboundExchange {
  paymentId: bigint;
  partner: string;
  operation: string;
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: Buffer;
  responseStatus: number;
  responseHeaders: Record<string, string>;
  responseBody: string | Buffer;
  durationMs: number;
}

/** One inbound protocol: where it is mounted, and how its messages name the operation and the payment. */
export interface InboundProtocol {
  /** The route prefix (`/api/v20`). */
  prefix: string;
  partner: string;
  operation(url: string, body: string): string;
  /** The payment an answer is about, from our own answer (transactionId, txn-id); undefined: none. */
  paymentId(answer: string): bigint | undefined;
}

/** The agent API: the method is the path's last part; every answer about a payment carries its transactionId. */
export function agentApiProtocol(prefix: string): InboundProtocol {
  return {
    prefix, partner: 'agent-api',
    operation: (url) => url.split('?')[0]!.split('/').filter(Boolean).at(-1) ?? 'unknown',
    paymentId: (answer) => idOf(/"transactionId"\s*:\s*"?(\d{1,18})\b/.exec(answer)),
  };
}

/** The Elsom biller gateway: the operation is the request-type; our answer names the payment in txn-id (a registry names many: none). */
export function elsomBillerProtocol(prefix: string): InboundProtocol {
  return {
    prefix, partner: 'elsom-biller',
    operation: (_url, body) => ELSOM_REQUEST_TYPES[/<request-type>\s*(\d+)\s*<\/request-type>/.exec(body)?.[1] ?? ''] ?? 'unknown',
    paymentId: (answer) => (/<request-type>\s*4\s*</.test(answer) ? undefined : idOf(/<txn-id>\s*(\d{1,18})\s*<\/txn-id>/.exec(answer))),
  };
}

/** Elsom's request-type numbers (docs/protocols/elsom-biller.md). */
const ELSOM_REQUEST_TYPES: Readonly<Record<string, string>> = { '1': 'authorize', '2': 'payment', '3': 'cancel-payment', '4': 'payment-list' };

function idOf(match: RegExpExecArray | null): bigint | undefined {
  return match ? BigInt(match[1]!) : undefined;
}

/** The most of a request body kept in memory for the record (the store keeps 64 KiB). */
const KEEP_BYTES = 128 * 1024;

interface Pending {
  protocol: InboundProtocol;
  startedMs: number;
  chunks: Buffer[];
  size: number;
}

/** Registers the two hooks on the root instance (before the protocol plugins, so that their routes inherit them). */
export function registerInboundCapture(app: FastifyInstance, protocols: readonly InboundProtocol[], record: (exchange: CapturedInboundExchange) => void): void {
  const pending = new WeakMap<FastifyRequest, Pending>();
  app.addHook('preParsing', async (request, _reply, payload) => {
    const protocol = protocols.find((candidate) => request.url === candidate.prefix || request.url.startsWith(`${candidate.prefix.replace(/\/$/, '')}/`));
    if (!protocol) return payload;
    const entry: Pending = { protocol, startedMs: Date.now(), chunks: [], size: 0 };
    pending.set(request, entry);
    return tee(payload, entry);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const entry = pending.get(request);
    if (!entry) return payload;
    try {
      const answer = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : undefined;
      const exchange = answer === undefined ? undefined : describe(request, reply.statusCode, reply.getHeaders(), answer, entry);
      if (exchange) record(exchange);
    } catch {
      // The record is for operators; the answer goes out whatever happens to it.
    }
    return payload;
  });
}

/** A pass-through of the request body that keeps a copy of its first bytes; errors travel on as they came. */
function tee(payload: Readable, entry: Pending): Readable {
  const copy = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (entry.size < KEEP_BYTES) entry.chunks.push(chunk.subarray(0, KEEP_BYTES - entry.size));
      entry.size += chunk.length;
      done(null, chunk);
    },
  });
  pipeline(payload, copy, () => undefined);
  return copy;
}

function describe(
  request: FastifyRequest, status: number, headers: Record<string, unknown>, answer: string | Buffer, entry: Pending,
): CapturedInboundExchange | undefined {
  const answerText = typeof answer === 'string' ? answer : answer.toString('latin1');
  const paymentId = entry.protocol.paymentId(answerText);
  if (paymentId === undefined) return undefined;
  const requestBody = Buffer.concat(entry.chunks);
  return {
    paymentId, partner: entry.protocol.partner, operation: entry.protocol.operation(request.url, requestBody.toString('latin1')),
    method: request.method, url: request.url, requestHeaders: textHeaders(request.headers), requestBody,
    responseStatus: status, responseHeaders: textHeaders(headers), responseBody: answer, durationMs: Math.max(0, Date.now() - entry.startedMs),
  };
}

function textHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string' || typeof value === 'number') out[name] = String(value);
    else if (Array.isArray(value)) out[name] = value.join(', ');
  }
  return out;
}
