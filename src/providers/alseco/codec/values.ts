/**
 * Leaf values of Alseco messages: exact text ⇄ typed values. No floats, no time-zone guessing.
 * Every parser returns `undefined` for text it refuses; the caller turns that into a `malformed` outcome.
 */
import { formatAmount, parseAmount } from '../../../domain/money.ts';

/** Alseco amounts are tenge with two decimals; minor units are tiyn. */
export const ALSECO_MONEY_SCALE = 2;

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/** xs:int (.NET Int32): optional sign, digits, leading zeros allowed ("03" is 3). */
export function parseAlsecoInt(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^[+-]?\d{1,10}$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return value >= INT32_MIN && value <= INT32_MAX ? value : undefined;
}

export function isAlsecoInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
}

/**
 * An amount such as "359.8", "1000.00" or "100" → bigint tiyn. Zero and negatives are data here (a debt, an empty
 * FixSum); the mapping layer decides what it accepts. More than two decimals is refused, even "1.000".
 */
export function parseAlsecoMoney(text: string): bigint | undefined {
  const parsed = parseAmount(text.trim(), ALSECO_MONEY_SCALE, { allowZero: true, allowNegative: true });
  return parsed.ok ? parsed.minor : undefined;
}

/** bigint tiyn → "450.00". */
export function formatAlsecoMoney(minor: bigint): string {
  return formatAmount(minor, ALSECO_MONEY_SCALE);
}

const DECIMAL = /^[+-]?\d{1,29}(?:\.\d{1,28})?$/;

/**
 * xs:decimal that is not money (tariffs "8.090000", meter readings "140.000000", areas): kept as its exact text,
 * only validated and trimmed, so nothing is lost to rounding.
 */
export function parseAlsecoDecimal(text: string): string | undefined {
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) ? trimmed : undefined;
}

export function isAlsecoDecimal(value: string): boolean {
  return DECIMAL.test(value);
}

/** xs:boolean lexical space: true, false, 1, 0 (CheckedSign is documented as tinyint and shown as "true"). */
export function parseAlsecoBoolean(text: string): boolean | undefined {
  switch (text.trim()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
  }
  return undefined;
}

/** xs:dateTime as .NET writes it: "2018-03-26T00:00:00", "2007-12-04T18:58:03.5381358+06:00", "...Z". */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/;

/** Validates and returns the dateTime text unchanged (the spec's format, no zone conversion). */
export function parseAlsecoDateTimeText(text: string): string | undefined {
  const trimmed = text.trim();
  return DATE_TIME.test(trimmed) ? trimmed : undefined;
}

export interface AlsecoDateTimeParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** Fraction digits as written ("5381358"), '' when absent. */
  readonly fraction: string;
  /** 'Z', '+06:00', or null when the partner wrote a local time without offset (most of its answers). */
  readonly offset: string | null;
}

/** Splits a dateTime into its written parts. No time zone is assumed for a value without offset. */
export function parseAlsecoDateTime(text: string): AlsecoDateTimeParts | undefined {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', offset] = m;
  return {
    year: Number(y), month: Number(mo), day: Number(d),
    hour: Number(h), minute: Number(mi), second: Number(s),
    fraction, offset: offset ?? null,
  };
}

/** GetReport108e's DAT: "23.10.2017" (ДД.ММ.ГГГГ). */
const DOT_DATE = /^(\d{2})\.(\d{2})\.(\d{4})$/;

export function parseAlsecoDotDateText(text: string): string | undefined {
  const trimmed = text.trim();
  return DOT_DATE.test(trimmed) ? trimmed : undefined;
}

export function parseAlsecoDotDate(text: string): { year: number; month: number; day: number } | undefined {
  const m = DOT_DATE.exec(text.trim());
  if (!m) return undefined;
  return { year: Number(m[3]), month: Number(m[2]), day: Number(m[1]) };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** xs:base64Binary (GIF / PDF of an invoice): whitespace allowed, anything else outside the alphabet refused. */
export function parseAlsecoBase64(text: string): Uint8Array | undefined {
  const compact = text.replace(/[\t\n\r ]+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  return Uint8Array.from(Buffer.from(compact, 'base64'));
}

export function formatAlsecoBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
