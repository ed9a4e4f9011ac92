/**
 * Fault injection, one way for every simulator (issue 8 item 7, issue 9 item 4): the shared field definitions, the
 * dice, and the control routes — GET reads, PUT merges (POST is an alias where older scripts use it), DELETE resets.
 * Each simulator keeps only its own extra faults (Alseco's SOAP faults, Assist's tampered signatures, Elsom's callback
 * games) and its own schema, built from these fields.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { z } from 'zod';
import { jsonOrUndefined } from './control.ts';

/** A share of calls, 0 (never) to 1 (always). */
export const faultRate = z.number().min(0).max(1);

/** The faults most simulators share, with one set of limits. */
export const FAULT_FIELDS = {
  /** Added before every answer. */
  latencyMs: z.number().int().min(0).max(60_000),
  /** Share answered HTTP 500 before doing anything. */
  http500Rate: faultRate,
  /** Share of money calls answered HTTP 500 after committing. */
  http500AfterCommitRate: faultRate,
  /** Share of answers replaced by a garbled body. */
  malformedRate: faultRate,
  /** Share of money calls that commit and then hang for `hangMs` (the caller times out, or dies, first). */
  hangAfterCommitRate: faultRate,
  hangMs: z.number().int().min(0).max(120_000),
  /** false: a repeated request is executed again (real partners promise no deduplication). */
  dedupe: z.boolean(),
} as const;

/** One throw of the dice: true with probability `rate`; a zero rate never asks the random source. */
export function rollFault(rate: number, random: () => number = Math.random): boolean {
  return rate > 0 && random() < rate;
}

/** Faults limited to some operations and to a number of hits. */
export interface ScopedFaults {
  /** Faults apply to these operations only (empty: to all). */
  methods: string[];
  /** How many more faulted answers (null: no limit); a hit spends one. */
  times: number | null;
}

export function inScope(faults: ScopedFaults, method: string): boolean {
  return faults.methods.length === 0 || faults.methods.includes(method);
}

/** Rolls for one fault of one operation; a hit on a limited budget spends it. */
export function rollScopedFault(faults: ScopedFaults, rate: number, method: string, random: () => number = Math.random): boolean {
  if (rate <= 0 || !inScope(faults, method)) return false;
  if (faults.times !== null && faults.times <= 0) return false;
  if (random() >= rate) return false;
  if (faults.times !== null) faults.times -= 1;
  return true;
}

/** Where a simulator keeps its faults: read, merged, reset. */
export interface FaultStore<T extends object> {
  get(): T;
  set(patch: Partial<T>): T;
  reset(): T;
}

/** A store over a simulator's own field (get/put), reset to the values it held when the routes were mounted. */
export function faultStore<T extends object>(read: () => T, write: (faults: T) => void): FaultStore<T> {
  const initial = { ...read() };
  return {
    get: read,
    set: (patch) => {
      write({ ...read(), ...patch });
      return read();
    },
    reset: () => {
      write({ ...initial });
      return read();
    },
  };
}

export interface FaultRoutesOptions {
  /** The control guard (loopback by default): who may change faults. */
  readonly control: RouteShorthandOptions;
  readonly schema: z.ZodType<object>;
  /** Also accept POST as PUT (the sandboxes older scripts drive with POST). */
  readonly postAlias?: boolean;
  /** Register DELETE (reset); simulators whose faults are per route reset with a PUT of zeros. */
  readonly reset?: boolean;
  /** The plugin parses bodies as text: the body is JSON text, an empty one changes nothing. */
  readonly textBody?: boolean;
  /** The body of a 400 answer, in the simulator's own error shape. */
  readonly invalid?: (message: string) => object;
}


export function registerFaultRoutes<T extends object>(
  app: FastifyInstance,
  path: string,
  store: FaultStore<T>,
  options: FaultRoutesOptions,
): void {
  const invalid = options.invalid ?? ((message: string) => ({ error: message }));
  const set = async (request: FastifyRequest, reply: FastifyReply) => {
    const parsed = options.schema.safeParse(options.textBody ? jsonOrUndefined(request.body) : request.body);
    if (!parsed.success) return reply.code(400).send(invalid(parsed.error.message));
    return store.set(parsed.data as Partial<T>);
  };
  app.get(path, options.control, async () => store.get());
  app.put(path, options.control, set);
  if (options.postAlias) app.post(path, options.control, set);
  if (options.reset ?? true) app.delete(path, options.control, async () => store.reset());
}
