/**
 * Alseco invoice numbers ("номер электронного счета") as people type them from a paper invoice.
 * Spec, section "Электронные счета": the first four digits are the period (2410… = 2024, October); the last digit
 * is a check digit printed by the machine, which Alseco does not want: every request goes without it.
 * The spec does not give the check-digit algorithm, so it cannot be verified here: we only strip it, after checking
 * what the spec does say (digits only, a plausible YYMM period). The real numbers seen in the spec
 * ("180310134655", invoice_id varchar(15)) are 12 digits without the check digit.
 */

import type { Failed, Failure } from '../../../domain/result.ts';

export type InvoiceNumberError = 'empty' | 'not-digits' | 'too-short' | 'too-long' | 'bad-period';

export type StrippedInvoiceNumber =
  | { ok: true; invoiceId: string; checkDigit: string; period: { year: number; month: number } }
  | Failed<Failure<InvoiceNumberError>>;

const DETAIL = {
  empty: 'no digits',
  'not-digits': 'not only digits',
  'too-short': 'fewer than 6 digits',
  'too-long': 'more than 16 digits',
  'bad-period': 'the first four digits are not a YYMM period',
} as const satisfies Record<InvoiceNumberError, string>;

const refused = (kind: InvoiceNumberError): Failed<Failure<InvoiceNumberError>> => ({ ok: false, failure: { kind, detail: DETAIL[kind] } });

/** Period (4) + at least one digit + check digit. */
const MIN_TYPED_LENGTH = 6;
/** invoice_id is varchar(15) in Alseco's database; plus the check digit. */
const MAX_TYPED_LENGTH = 16;

/** Spaces, dashes and dots that people and printed forms put between digit groups. */
const SEPARATORS = /[\s\u00A0\u2007\u202F.-]+/g;

export function stripInvoiceCheckDigit(typed: string): StrippedInvoiceNumber {
  const digits = typed.replace(SEPARATORS, '');
  if (digits === '') return refused('empty');
  if (!/^\d+$/.test(digits)) return refused('not-digits');
  if (digits.length < MIN_TYPED_LENGTH) return refused('too-short');
  if (digits.length > MAX_TYPED_LENGTH) return refused('too-long');
  const invoiceId = digits.slice(0, -1);
  const period = alsecoInvoicePeriod(invoiceId);
  if (period === undefined) return refused('bad-period');
  return { ok: true, invoiceId, checkDigit: digits.slice(-1), period };
}

/** "2410…" → { year: 2024, month: 10 }; undefined when the first four digits are not a YYMM period. */
export function alsecoInvoicePeriod(invoiceId: string): { year: number; month: number } | undefined {
  const match = /^(\d{2})(\d{2})/.exec(invoiceId);
  if (!match) return undefined;
  const month = Number(match[2]);
  return month >= 1 && month <= 12 ? { year: 2000 + Number(match[1]), month } : undefined;
}
