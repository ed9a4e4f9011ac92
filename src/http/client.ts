/**
 * Outbound HTTP for partner adapters: one place for timeouts, body limits and the classification of failures.
 * It never throws: a transport failure is data, so that adapters can map it to "outcome unknown".
 */
import { Agent, request as undiciRequest } from 'undici';
import { noteHttpExchange } from './exchange-journal.ts';

export type HttpResult =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: Buffer }
  | { kind: 'timeout' }
  | { kind: 'network'; message: string }
  | { kind: 'too_large' };

export interface HttpRequest {
  url: string;
  method?: 'POST' | 'GET';
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal: AbortSignal;
  /** Refuse answers larger than this; a partner gone wrong must not exhaust our memory. */
  maxResponseBytes?: number;
}

/** One call; inside an exchange capture (exchange-journal.ts) what it sent and got is noted for the engine's record. */
export async function httpRequest(request: HttpRequest): Promise<HttpResult> {
  const startedMs = Date.now();
  const result = await send(request);
  noteHttpExchange(request, result, startedMs);
  return result;
}

/**
 * Every partner call shares one pool of keep-alive connections per origin (undici's Agent, the engine under Node's
 * own fetch, called directly: fetch's WHATWG layer cost a tenth of the hub's CPU under load). At most 64 connections
 * to one partner; idle ones close after 10 s. Redirects are not followed: a partner's Location header never chooses
 * where a payment goes.
 */
const partners = new Agent({ connections: 64, keepAliveTimeout: 10_000 });

async function send(request: HttpRequest): Promise<HttpResult> {
  const limit = request.maxResponseBytes ?? 8 * 1024 * 1024;
  try {
    const response = await undiciRequest(request.url, {
      method: request.method ?? 'POST',
      ...(request.headers ? { headers: request.headers } : {}),
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: request.signal,
      dispatcher: partners,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).byteLength;
      if (size > limit) {
        response.body.destroy();
        return { kind: 'too_large' };
      }
      chunks.push(chunk as Buffer);
    }
    return { kind: 'response', status: response.statusCode, headers: flatHeaders(response.headers), body: Buffer.concat(chunks) };
  } catch (error) {
    if (request.signal.aborted) return { kind: 'timeout' };
    return { kind: 'network', message: error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error) };
  }
}

/** A response's headers as one string each (repeated ones joined, as a Headers object shows them). */
function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

export function describeFailure(result: Exclude<HttpResult, { kind: 'response' }>): string {
  switch (result.kind) {
    case 'timeout':
      return 'timed out';
    case 'network':
      return `network error: ${result.message}`;
    case 'too_large':
      return 'answer too large';
  }
}
