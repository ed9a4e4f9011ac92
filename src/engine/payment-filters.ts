import { localDateTime } from '../domain/local-date-time.ts';
import { parseAmount } from '../domain/money.ts';
import type { PaymentState } from '../domain/payment.ts';
import type { PaymentFilters } from './payment-search.ts';

/**
 * The payments search forms of the console and the cabinet ⇄ the engine's filters. Every field is optional and they all combine; a value that is not
 * what its field takes (a letter in an id, 12.345 as an amount) makes the whole search a clear refusal, never a
 * silently dropped filter.
 */
export const FILTER_FIELDS = ['agent', 'service', 'account', 'state', 'code', 'from', 'to', 'min', 'max', 'txn', 'agentTxn'] as const;
export type FilterForm = Partial<Record<(typeof FILTER_FIELDS)[number], string>>;

export type ParsedFilters = { ok: true; filters: PaymentFilters } | { ok: false; field: string };

const ID = /^\d{1,18}$/;
const PAYMENT_STATES = ['checked', 'check_failed', 'waiting', 'review', 'accepted', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly PaymentState[];
export const SEARCHABLE_STATES: readonly PaymentState[] = PAYMENT_STATES;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The form's fields as sent (trimmed), for refilling the form. */
export function filterForm(query: Record<string, string>): FilterForm {
  const form: FilterForm = {};
  for (const name of FILTER_FIELDS) {
    const value = query[name]?.trim();
    if (value) form[name] = value;
  }
  return form;
}

/** A day typed in the hub's zone → the instant it starts (`to` days are inclusive: the next day's start). */
export function dayStart(text: string, offsetMinutes: number, nextDay: boolean): Date | undefined {
  const match = DAY.exec(text);
  // A day that does not exist (9999-99-99, 30 February) is refused: Date.UTC would roll it over into year 10007, which
  // the database cannot hold as a timestamp (an error, not an answer).
  if (!match || !localDateTime(Number(match[1]), Number(match[2]), Number(match[3]))) return undefined;
  const utc = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + (nextDay ? 1 : 0));
  return Number.isNaN(utc) ? undefined : new Date(utc - offsetMinutes * 60_000);
}

export function parseFilters(form: FilterForm, offsetMinutes: number, agentId?: bigint): ParsedFilters {
  const filters: PaymentFilters = {};
  for (const [field, value] of Object.entries(form) as [keyof FilterForm, string][]) {
    if (!applyFilter(filters, field, value, offsetMinutes)) return { ok: false, field };
  }
  // The cabinet's searches are always its own agent's, whatever the form says.
  if (agentId !== undefined) filters.agentId = agentId;
  return { ok: true, filters };
}

function applyFilter(filters: PaymentFilters, field: keyof FilterForm, value: string, offsetMinutes: number): boolean {
  switch (field) {
    case 'agent': return ID.test(value) && ((filters.agentId = BigInt(value)), true);
    case 'service': return value.length <= 64 && ((filters.serviceId = value), true);
    case 'account': return value.length <= 200 && ((filters.account = value), true);
    case 'state': return isState(value) && ((filters.states = [value]), true);
    case 'code': return /^\d{1,4}$/.test(value) && ((filters.resultCode = Number(value)), true);
    case 'from': return assignDate(value, offsetMinutes, false, (d) => (filters.from = d));
    case 'to': return assignDate(value, offsetMinutes, true, (d) => (filters.to = d));
    case 'min': return assignAmount(value, (m) => (filters.minAmountMinor = m));
    case 'max': return assignAmount(value, (m) => (filters.maxAmountMinor = m));
    case 'txn': return ID.test(value) && ((filters.transactionId = BigInt(value)), true);
    case 'agentTxn': return ID.test(value) && ((filters.agentTransactionId = BigInt(value)), true);
  }
}

function isState(value: string): value is PaymentState {
  return (PAYMENT_STATES as readonly string[]).includes(value);
}

function assignDate(value: string, offsetMinutes: number, nextDay: boolean, set: (d: Date) => void): boolean {
  const date = dayStart(value, offsetMinutes, nextDay);
  if (!date) return false;
  set(date);
  return true;
}

function assignAmount(value: string, set: (minor: bigint) => void): boolean {
  const parsed = parseAmount(value, 2, { allowZero: true });
  if (!parsed.ok) return false;
  set(parsed.minor);
  return true;
}

/** The query string of a search (for paging links and the export), without empty fields. */
export function filterQuery(form: FilterForm, extra: Record<string, string> = {}): string {
  return new URLSearchParams({ ...(form as Record<string, string>), ...extra }).toString();
}
