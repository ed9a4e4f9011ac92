import { fail, succeed, type Failure, type Result } from '../../domain/result.ts';
import { isLosslessNumber, LosslessNumber, parseJsonLossless, stringifyJsonLossless } from '../../domain/lossless-json.ts';
import { z } from 'zod';
import { localDateTime } from '../../domain/local-date-time.ts';
import { parseAmount, type AmountParseError } from '../../domain/money.ts';

/**
 * Agent API v20 wire format: JSON in UTF-8. Numbers are read losslessly (agentTransactionId and transactionId have up
 * to 18 digits, beyond a double's exact range; amounts must not pass through a float), validated by the zod schemas
 * below — the same schemas the OpenAPI document at /docs is generated from — and written back as exact JSON numbers.
 */

export class AgentApiDecodeError extends Error {}

/**
 * The partner document's examples are indented with U+00A0 no-break spaces, which JSON does not count as white space.
 * Agents copy those examples, so a no-break space *between* tokens is read as a space; inside strings it is kept.
 */
export function normalizeJsonWhitespace(text: string): string {
  if (!text.includes('\u00a0')) return text;
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === '\\') {
        out += ch + (text[i + 1] ?? '');
        i++;
        continue;
      }
      if (ch === '"') inString = false;
      out += ch;
    } else {
      if (ch === '"') inString = true;
      out += ch === '\u00a0' ? ' ' : ch;
    }
  }
  return out;
}

/** Parses a JSON body keeping every number as its exact text. Refuses duplicate keys (lossless-json does). */
export function decodeAgentJson(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return parseJsonLossless(normalizeJsonWhitespace(text), 'token');
  } catch (error) {
    throw new AgentApiDecodeError(malformedJsonMessage(error));
  }
}

/**
 * Our own words for a parse failure: the parser's text would carry the runtime's own messages (a deeply nested body
 * overflows the stack: "Maximum call stack size exceeded"). Only the position is kept, which helps the agent's developer.
 */
function malformedJsonMessage(error: unknown): string {
  if (error instanceof RangeError) return 'Malformed JSON: nested too deeply';
  const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
  return position === undefined ? 'Malformed JSON' : `Malformed JSON at position ${position}`;
}

/** Writes an answer: bigint and LosslessNumber values become exact JSON numbers. */
export function stringifyAgentJson(value: unknown): string {
  return stringifyJsonLossless(value);
}

/** A JSON number as exact text; documented as a number. */
const jsonNumber = z.custom<LosslessNumber>((value) => isLosslessNumber(value), { message: 'Expected a number' }).meta({ type: 'number' });

const AMOUNT_ERRORS: Record<AmountParseError, string> = {
  not_a_decimal: 'must be a decimal number such as 200.00',
  too_many_decimals: 'must have at most two decimals',
  not_positive: 'must be greater than zero',
  too_large: 'is too large',
};

/** An amount: a JSON number or a string, decimal with at most two places, positive. Decodes to minor units. */
export const amountSchema = z
  .union([jsonNumber, z.string()])
  .transform((value, ctx) => {
    const parsed = parseAmount(typeof value === 'string' ? value.trim() : value.value, 2);
    if (parsed.ok) return parsed.minor;
    ctx.addIssue({ code: 'custom', message: `Amount ${AMOUNT_ERRORS[parsed.error]}` });
    return z.NEVER;
  })
  .meta({ type: ['number', 'string'], description: 'Decimal amount with at most two decimals, "." as separator, e.g. 200.00', examples: [200.0] });

/** A transaction id: an integer of 1 to 18 digits, as a JSON number (or a string of digits). Decodes to bigint. */
export const transactionIdSchema = z
  .union([jsonNumber, z.string()])
  .transform((value, ctx) => {
    const text = typeof value === 'string' ? value : value.value;
    if (/^\d{1,18}$/.test(text) && BigInt(text) > 0n) return BigInt(text);
    ctx.addIssue({ code: 'custom', message: 'Must be a positive integer of at most 18 digits' });
    return z.NEVER;
  })
  .meta({ type: 'integer', description: 'Positive integer of up to 18 digits, written as a JSON number', examples: [1233355] });

/** Extras and meter readings may come as strings or numbers; both are kept as their exact text. */
const textOrNumber = z
  .union([z.string().max(500), jsonNumber])
  .transform((value) => (typeof value === 'string' ? value : value.value))
  .meta({ type: ['string', 'number'] });

/** A wall-clock date and time that exists: `9999-99-99T99:99:99` has the right shape and is still refused. */
export function isRealDateTime(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,3})?$/.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  return localDateTime(year, month, day, hour, minute, second) !== undefined;
}

const agentDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?$/, 'Expected YYYY-MM-DDThh:mm:ss')
  .refine(isRealDateTime, 'Not a real date and time')
  .meta({ description: 'Date of the payment at the agent, YYYY-MM-DDThh:mm:ss', examples: ['2015-02-17T16:48:37'] });

export const serviceRequestSchema = z.object({
  serviceId: z.string().min(1).max(32).meta({ description: 'Service code in the processing centre', examples: ['P1012'] }),
});

/**
 * Names that a JavaScript object cannot hold as plain data: zod drops `__proto__` from a record without a word, so
 * two different bodies would look identical. They are refused instead.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const extrasKeysAllowed = z.unknown().superRefine((value, ctx) => {
  if (value === null || typeof value !== 'object') return;
  const reserved = Object.keys(value).find((key) => RESERVED_KEYS.has(key));
  if (reserved !== undefined) ctx.addIssue({ code: 'custom', message: `"${reserved}" is not allowed as an extras name` });
});

const extrasRecord = z.record(z.string().max(64), textOrNumber).refine((extras) => Object.keys(extras).length <= 50, 'Too many extras');

/** Documented as the record it decodes to (the reserved-name check in front of it would read as "anything"). */
const extrasSchema = extrasKeysAllowed.pipe(extrasRecord).meta({
  type: 'object', additionalProperties: { type: ['string', 'number'] }, maxProperties: 50,
  description: 'Extra fields (account1, account2, contractId, …)',
});

export const checkRequestSchema = z.object({
  serviceId: z.string().min(1).max(32),
  account: z.string().min(1).max(200).meta({ description: 'Payer identifier: phone, account number, IIN…' }),
  agentTransactionId: transactionIdSchema,
  agentTransactionDate: agentDate,
  amountTo: amountSchema.optional(),
  amountFrom: amountSchema.optional(),
  identityCard: z.string().max(64).optional(),
  fullName: z.string().max(200).optional(),
  extras: extrasSchema.optional(),
});

export const extraServiceSchema = z.object({
  subServiceId: z.string().min(1).max(64),
  amount: amountSchema,
  lastCount: textOrNumber.optional(),
});

export const payRequestSchema = checkRequestSchema.extend({
  amountTo: amountSchema,
  extraServices: z.array(extraServiceSchema).min(1).max(100).optional(),
});

export const operatorByPhoneRequestSchema = z.object({
  phoneNumber: z.string().regex(/^\d{10,12}$/, 'Expected 10 to 12 digits').meta({ examples: ['7777731414'] }),
});

export type CheckRequest = z.output<typeof checkRequestSchema>;
export type PayRequest = z.output<typeof payRequestSchema>;

/** Validates a decoded body; the first problem is the failure's detail, which becomes the 202 message. */
export function decodeBody<S extends z.ZodType>(schema: S, body: unknown): Result<z.output<S>, Failure<'invalid_request'>> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return succeed(result.data);
  const issue = result.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  const message = issue?.code === 'invalid_type' ? typeMessage(issue.expected, valueAt(body, issue.path)) : issue?.message ?? 'Invalid request';
  return fail('invalid_request', `${path ? `${path}: ` : ''}${message}`);
}

/**
 * A wrong type in JSON's own words. zod names the received value's runtime class ("received LosslessNumber"), which is
 * our parser's, not the agent's business: the agent sent a number.
 */
function typeMessage(expected: string, received: unknown): string {
  if (received === undefined) return `Required: expected ${expected}`;
  return `Expected ${expected}, received ${jsonKind(received)}`;
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (isLosslessNumber(value)) return 'number';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let node = body;
  for (const step of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, step)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[step];
  }
  return node;
}

/** An exact decimal text written as a JSON number. */
export function jsonDecimal(text: string): LosslessNumber {
  return new LosslessNumber(text);
}
