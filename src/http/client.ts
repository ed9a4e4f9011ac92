/**
 * Outbound HTTP for partner adapters: one place for timeouts, body limits and the classification of failures.
 * It never throws: a transport failure is data, so that adapters can map it to "outcome unknown".
 */
import { noteHttpExchange } from './exchange-journal.ts';

export type HttpResult =
  | { kind: 'response'; status: number; headers: Headers; body: Buffer }
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

async function send(request: HttpRequest): Promise<HttpResult> {
  const limit = request.maxResponseBytes ?? 8 * 1024 * 1024;
  try {
    const response = await fetch(request.url, {
      method: request.method ?? 'POST',
      ...(request.headers ? { headers: request.headers } : {}),
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: request.signal,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body ?? []) {
      size += (chunk as Uint8Array).byteLength;
      if (size > limit) return { kind: 'too_large' };
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
    return { kind: 'response', status: response.status, headers: response.headers, body: Buffer.concat(chunks) };
  } catch (error) {
    if (request.signal.aborted) return { kind: 'timeout' };
    return { kind: 'network', message: error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error) };
  }
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
