import type { z } from 'zod';
import { httpRequest, describeFailure } from '../../http/client.ts';

export type SimulatedProviderCallResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * POSTs a JSON message to a sandbox provider and parses its answer strictly. Anything but a 200 with a body of the
 * expected shape is a failure whose outcome is unknown (a 5xx may come after the provider committed).
 */
export async function callSimulatedProvider<T>(url: string, body: unknown, schema: z.ZodType<T>, signal: AbortSignal): Promise<SimulatedProviderCallResult<T>> {
  const result = await httpRequest({
    url,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    signal,
    maxResponseBytes: 1024 * 1024,
  });
  if (result.kind !== 'response') return { ok: false, reason: describeFailure(result) };
  if (result.status !== 200) return { ok: false, reason: `HTTP ${result.status}` };
  let json: unknown;
  try {
    json = JSON.parse(result.body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed JSON answer' };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: `unexpected answer: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
}
