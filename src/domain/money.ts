/**
 * Money as integer minor units. Never a float: amounts arrive as decimal text (JSON number tokens or strings),
 * are parsed exactly into bigint minor units, and leave as exact decimal text.
 */

export type CurrencyCode = 'KZT' | 'KGS' | 'USD' | 'RUB';

/** Minor-unit scale per currency (tiyn, tyiyn, cents, kopecks). */
export const CURRENCY_SCALE: Record<CurrencyCode, number> = { KZT: 2, KGS: 2, USD: 2, RUB: 2 };

/** ISO 4217 numeric codes, as some partners (Elsom) send them. */
export const CURRENCY_NUMERIC: Record<CurrencyCode, string> = { KZT: '398', KGS: '417', USD: '840', RUB: '643' };

export function isCurrencyCode(value: string): value is CurrencyCode {
  return Object.hasOwn(CURRENCY_SCALE, value);
}

/** The largest amount we ever accept: 10^13 major units keeps every sum far inside bigint and SQL bigint. */
export const MAX_AMOUNT_MINOR = 10n ** 15n;

export type AmountParseError = 'not_a_decimal' | 'too_many_decimals' | 'not_positive' | 'too_large';

export type AmountParse = { ok: true; minor: bigint } | { ok: false; error: AmountParseError };

const DECIMAL = /^(-?)(\d{1,20})(?:\.(\d{1,20}))?$/;

/**
 * Parses a decimal text such as "180", "180.5", "180.50" into minor units with the given scale.
 * Refuses exponents ("1e3"), signs other than a leading minus, empty fraction ("1."), more decimals than the scale
 * (trailing zeros beyond the scale are refused too: "10.001" and "10.000" are both three decimals), zero and negatives
 * unless `allowZero` / `allowNegative` are given.
 */
export function parseAmount(
  text: string,
  scale = 2,
  options: { allowZero?: boolean; allowNegative?: boolean } = {},
): AmountParse {
  const match = DECIMAL.exec(text);
  if (!match) return { ok: false, error: 'not_a_decimal' };
  const [, sign, whole = '0', fraction = ''] = match;
  if (fraction.length > scale) return { ok: false, error: 'too_many_decimals' };
  const minorAbs = BigInt(whole) * 10n ** BigInt(scale) + BigInt(fraction.padEnd(scale, '0') || '0');
  const minor = sign === '-' ? -minorAbs : minorAbs;
  if (minor < 0n && !options.allowNegative) return { ok: false, error: 'not_positive' };
  if (minor === 0n && !options.allowZero) return { ok: false, error: 'not_positive' };
  if (minorAbs > MAX_AMOUNT_MINOR) return { ok: false, error: 'too_large' };
  return { ok: true, minor };
}

/** Exact decimal text of a minor-unit amount: 18000n, scale 2 → "180.00"; -5n → "-0.05". */
export function formatAmount(minor: bigint, scale = 2): string {
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  if (scale === 0) return `${negative ? '-' : ''}${abs}`;
  const unit = 10n ** BigInt(scale);
  const whole = abs / unit;
  const fraction = (abs % unit).toString().padStart(scale, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** Parses an amount that an operator typed (CLI): same rules, zero allowed, sign allowed where asked. */
export function parseOperatorAmount(text: string, scale = 2, allowNegative = false): bigint {
  const parsed = parseAmount(text.trim(), scale, { allowZero: true, allowNegative });
  if (!parsed.ok) throw new Error(`invalid amount "${text}": ${parsed.error}`);
  return parsed.minor;
}
