import type { z } from 'zod';
import { httpRequest, describeFailure } from '../../http/client.ts';
import { fail, succeed, type Failure, type Result } from '../../domain/result.ts';

/** no_answer: the call failed in transport; bad_answer: the body was not the expected one. Either way: outcome unknown. */
export type SimulatedProviderCallResult<T> = Result<T, Failure<'no_answer' | 'bad_answer'>>;

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
  if (result.kind !== 'response') return fail('no_answer', describeFailure(result));
  if (result.status !== 200) return fail('no_answer', `HTTP ${result.status}`);
  let json: unknown;
  try {
    json = JSON.parse(result.body.toString('utf8'));
  } catch {
    return fail('bad_answer', 'malformed JSON answer');
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? succeed(parsed.data) : fail('bad_answer', `unexpected answer: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
}
