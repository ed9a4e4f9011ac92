import { readJsonLossless } from '../../../domain/lossless-json.ts';

/** Upper bound on a JSON body we parse; real Assist messages are a few kilobytes. */
export const MAX_JSON_CHARS = 256 * 1024;

/**
 * Parses JSON without losing digits: every number token stays its exact source text (a string), so amounts and
 * long ids never pass through a float. Duplicate keys are refused. Never throws: undefined when unreadable.
 */
export function parseJsonLossless(text: string): unknown {
  return readJsonLossless(text, { numbers: 'digits', maxChars: MAX_JSON_CHARS });
}

/** A JSON scalar as text: strings as they are, numbers as their source digits, null as "". Objects: undefined. */
export function jsonScalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  if (typeof value === 'boolean') return String(value);
  return undefined;
}
