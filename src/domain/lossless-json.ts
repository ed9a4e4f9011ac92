/**
 * One lossless JSON reader and writer for every protocol. A JSON number never passes through a float: the agent API's
 * 18-digit ids and the partners' amounts arrive with exactly the digits that were sent. lossless-json refuses
 * duplicate keys, so a body cannot say two things at once.
 *
 * Two ways to receive a number, by what the codec does next:
 * - `'digits'`: the number's source text as a string (the partners' JSON, read field by field as text);
 * - `'token'`: a `LosslessNumber` (the agent API, whose schema tells a number from a string of digits).
 */
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';

export { isLosslessNumber, LosslessNumber };

export type JsonNumbers = 'digits' | 'token';

/** Parses, keeping every number exact; throws lossless-json's SyntaxError (or a RangeError when nested too deep). */
export function parseJsonLossless(text: string, numbers: JsonNumbers): unknown {
  return numbers === 'digits' ? parse(text, null, { parseNumber: (digits: string) => digits }) : parse(text);
}

/** The same, never throwing: undefined for a body longer than `maxChars` or not JSON. */
export function readJsonLossless(text: string, options: { numbers: JsonNumbers; maxChars: number }): unknown {
  if (text.length > options.maxChars) return undefined;
  try {
    return parseJsonLossless(text, options.numbers);
  } catch {
    return undefined;
  }
}

/** Writes JSON in which bigint and LosslessNumber values become exact JSON numbers. */
export function stringifyJsonLossless(value: unknown): string {
  return stringify(value) ?? 'null';
}
