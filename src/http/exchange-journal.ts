import { AsyncLocalStorage } from 'node:async_hooks';
import type { HttpRequest, HttpResult } from './client.ts';

/**
 * What `httpRequest` saw of one call, for the engine's record of partner exchanges (engine/exchanges.ts): the
 * request as sent and the answer as received, unmasked — the engine masks them before anything is stored.
 */
export interface CapturedHttpExchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string | Buffer | undefined;
  outcome: HttpResult['kind'];
  responseStatus: number | undefined;
  responseHeaders: Record<string, string>;
  /** At most `CAPTURE_LIMIT_BYTES` of the answer (a larger one is cut; `responseTruncated` says so). */
  responseBody: Buffer | undefined;
  responseTruncated: boolean;
  error: string | undefined;
  durationMs: number;
}

/** The most of one answer a capture keeps: the store keeps less (64 KiB), and a huge answer is refused anyway. */
const CAPTURE_LIMIT_BYTES = 256 * 1024;

type Collector = (exchange: CapturedHttpExchange) => void;

const scope = new AsyncLocalStorage<Collector>();

/**
 * Runs `call` and returns, beside its value, every HTTP exchange `httpRequest` made within it (in the order they
 * ended). The adapters need not know: the scope follows the call's async context. An exchange is captured only
 * inside a scope, so calls of code that opens none (the simulators, the tests) cost nothing.
 */
export async function captureHttpExchanges<T>(call: () => Promise<T>): Promise<{ value: T; exchanges: CapturedHttpExchange[] }> {
  const exchanges: CapturedHttpExchange[] = [];
  const value = await scope.run((exchange) => exchanges.push(exchange), call);
  return { value, exchanges };
}

/** Called by `httpRequest` when a call ends; a no-op outside a capture. Never throws (it must not fail a call). */
export function noteHttpExchange(request: HttpRequest, result: HttpResult, startedMs: number): void {
  const collect = scope.getStore();
  if (!collect) return;
  try {
    collect(describe(request, result, Math.max(0, Date.now() - startedMs)));
  } catch {
    // A capture is a record for operators; losing one must never change what the call returns.
  }
}

function describe(request: HttpRequest, result: HttpResult, durationMs: number): CapturedHttpExchange {
  const response = result.kind === 'response' ? result : undefined;
  const truncated = response !== undefined && response.body.byteLength > CAPTURE_LIMIT_BYTES;
  return {
    method: request.method ?? 'POST',
    url: request.url,
    requestHeaders: { ...(request.headers ?? {}) },
    requestBody: request.body,
    outcome: result.kind,
    responseStatus: response?.status,
    responseHeaders: response ? { ...response.headers } : {},
    responseBody: response ? (truncated ? response.body.subarray(0, CAPTURE_LIMIT_BYTES) : response.body) : undefined,
    responseTruncated: truncated,
    error: result.kind === 'network' ? result.message : undefined,
    durationMs,
  };
}
