/**
 * A payment's whole story for the operator's detail page (issue 10): every change of its state, every ledger transfer
 * it made (reservation, post or void, a reversal, any correction naming it), the work that drove it (the outbound
 * attempts of "ask before you pay", and the queue's jobs when the queue's schema is given), and every message
 * exchanged with a partner about it, masked. One list, oldest first; every id is a decimal string, so the list goes
 * into JSON as it is.
 *
 * Times: state changes, transfers and exchanges are dated by the hub's clock; attempts and the queue's jobs by the
 * database's (pg-boss and migration 008 stamp them with now()). Given the clock, those are moved by its offset from
 * the machine's time, so that one list reads in one time even when the clock was set elsewhere (a sandbox, a test).
 */
import type { Clock } from '../domain/clock.ts';
import type { Queryable } from '../store/db.ts';
import { listExchanges, type ExchangeView } from './exchanges.ts';

export interface StateEntry {
  kind: 'state';
  at: Date;
  id: string;
  /** null: the payment was created in `toState` (or its history starts here, for payments older than migration 011). */
  fromState: string | null;
  toState: string;
  resultCode: number;
  note: string | null;
}

export interface TransferEntry {
  kind: 'transfer';
  at: Date;
  id: string;
  /** single: posted at once; pending: a reservation; post / void: its resolution (`pendingId`). */
  transferKind: 'single' | 'pending' | 'post' | 'void';
  pendingId: string | null;
  /** Ledger account codes (agent:4, provider:alseco:KZT, acquirer:assist:KZT). */
  debitAccount: string;
  creditAccount: string;
  amountMinor: string;
  currency: string;
  reason: string;
}

export interface JobEntry {
  kind: 'job';
  at: Date;
  id: string;
  /** attempt: an outbound call that can move money, recorded before it left (migration 008); queue: a pg-boss job. */
  source: 'attempt' | 'queue';
  /** attempt: its kind and partner ("pay alseco", "charge assist"); queue: the queue's name (payment-drive, checkout-step). */
  name: string;
  /** attempt: what the answer meant (paid, declined 5, unknown) or "unanswered"; queue: the job's state. */
  state: string;
  startedAt: Date | null;
  endedAt: Date | null;
  retryCount: number | null;
}

export interface ExchangeEntry {
  kind: 'exchange';
  at: Date;
  id: string;
  exchange: ExchangeView;
}

export type TimelineEntry = StateEntry | TransferEntry | JobEntry | ExchangeEntry;

export interface TimelineOptions {
  /** pg-boss's schema (config.queueSchema): its jobs for this payment join the list. Without it, only attempts. */
  queueSchema?: string;
  /** The hub's clock: database-stamped times are moved by its offset from the machine's time (see above). */
  clock?: Clock;
}

/** The payment's timeline, oldest first; empty when there is no such payment. */
export async function paymentTimeline(q: Queryable, paymentId: bigint, options: TimelineOptions = {}): Promise<TimelineEntry[]> {
  const shiftMs = options.clock ? options.clock.now().getTime() - Date.now() : 0;
  const orderIds = await checkoutOrdersOf(q, paymentId);
  const entries: TimelineEntry[] = [
    ...(await stateEntries(q, paymentId)),
    ...(await transferEntries(q, paymentId)),
    ...(await attemptEntries(q, paymentId, shiftMs)),
    ...(options.queueSchema ? await queueEntries(q, options.queueSchema, paymentId, orderIds, shiftMs) : []),
    ...(await listExchanges(q, { paymentId })).map((exchange): ExchangeEntry => ({ kind: 'exchange', at: exchange.startedAt, id: exchange.id, exchange })),
  ];
  return entries.sort(chronological);
}

/** Within one instant: the work that was started, the messages, then the money, then the state it led to. */
const KIND_ORDER: Record<TimelineEntry['kind'], number> = { job: 0, exchange: 1, transfer: 2, state: 3 };

function chronological(a: TimelineEntry, b: TimelineEntry): number {
  return a.at.getTime() - b.at.getTime() || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || compareIds(a.id, b.id);
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

async function checkoutOrdersOf(q: Queryable, paymentId: bigint): Promise<string[]> {
  const rows = await q.query<{ id: bigint }>('SELECT id FROM checkout_orders WHERE payment_id = $1', [paymentId]);
  return rows.rows.map((row) => row.id.toString());
}

async function stateEntries(q: Queryable, paymentId: bigint): Promise<StateEntry[]> {
  const rows = await q.query<{ id: bigint; at: Date; from_state: string | null; to_state: string; result_code: number; note: string | null }>(
    'SELECT id, at, from_state, to_state, result_code, note FROM payment_events WHERE payment_id = $1 ORDER BY id LIMIT 1000', [paymentId]);
  return rows.rows.map((row) => ({
    kind: 'state', at: row.at, id: row.id.toString(), fromState: row.from_state, toState: row.to_state, resultCode: row.result_code, note: row.note,
  }));
}

async function transferEntries(q: Queryable, paymentId: bigint): Promise<TransferEntry[]> {
  const rows = await q.query<{
    id: bigint; kind: TransferEntry['transferKind']; pending_id: bigint | null; debit: string; credit: string;
    amount_minor: bigint; currency: string; reason: string; created_at: Date;
  }>(
    `SELECT t.id, t.kind, t.pending_id, d.code AS debit, c.code AS credit, t.amount_minor, t.currency, t.reason, t.created_at
       FROM ledger_transfers t JOIN ledger_accounts d ON d.id = t.debit_account_id JOIN ledger_accounts c ON c.id = t.credit_account_id
      WHERE t.payment_id = $1 ORDER BY t.id LIMIT 1000`, [paymentId]);
  return rows.rows.map((row) => ({
    kind: 'transfer', at: row.created_at, id: row.id.toString(), transferKind: row.kind, pendingId: row.pending_id?.toString() ?? null,
    debitAccount: row.debit, creditAccount: row.credit, amountMinor: row.amount_minor.toString(), currency: row.currency, reason: row.reason,
  }));
}

async function attemptEntries(q: Queryable, paymentId: bigint, shiftMs: number): Promise<JobEntry[]> {
  const rows = await q.query<{ id: bigint; partner: string; kind: string; started_at: Date; answered_at: Date | null; outcome: string | null }>(
    'SELECT id, partner, kind, started_at, answered_at, outcome FROM outbound_attempts WHERE payment_id = $1 ORDER BY id LIMIT 1000', [paymentId]);
  return rows.rows.map((row) => ({
    kind: 'job', at: shifted(row.started_at, shiftMs)!, id: row.id.toString(), source: 'attempt', name: `${row.kind} ${row.partner}`,
    state: row.outcome ?? (row.answered_at ? 'answered' : 'unanswered'), startedAt: shifted(row.started_at, shiftMs),
    endedAt: shifted(row.answered_at, shiftMs), retryCount: null,
  }));
}

/** The checkout's queue of order steps (app.ts's CHECKOUT_STEP_QUEUE): its jobs carry the order id as `key`. */
const ORDER_STEP_QUEUE = 'checkout-step';

/**
 * The queue's jobs for this payment: drives carry `paymentId`, the checkout's steps the order id. Both the live table
 * and pg-boss's archive are read; a schema without them (the queue never started there) has none.
 */
async function queueEntries(q: Queryable, schema: string, paymentId: bigint, orderIds: string[], shiftMs: number): Promise<JobEntry[]> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) return [];
  const present = await q.query<{ job: string | null; archive: string | null }>(
    'SELECT to_regclass($1)::text AS job, to_regclass($2)::text AS archive', [`${schema}.job`, `${schema}.archive`]);
  const tables = [present.rows[0]?.job, present.rows[0]?.archive].filter((table): table is string => Boolean(table));
  if (tables.length === 0) return [];
  const select = (table: string) => `SELECT id::text AS id, name, state::text AS state, created_on, started_on, completed_on, retry_count
      FROM ${schema}.${table.split('.').at(-1)} WHERE data->>'paymentId' = $1 OR (name = $3 AND data->>'key' = ANY($2::text[]))`;
  const rows = await q.query<{ id: string; name: string; state: string; created_on: Date; started_on: Date | null; completed_on: Date | null; retry_count: number }>(
    `${tables.map(select).join(' UNION ALL ')} ORDER BY created_on LIMIT 1000`, [paymentId.toString(), orderIds, ORDER_STEP_QUEUE]);
  return rows.rows.map((row) => ({
    kind: 'job', at: shifted(row.created_on, shiftMs)!, id: row.id, source: 'queue', name: row.name, state: row.state,
    startedAt: shifted(row.started_on, shiftMs), endedAt: shifted(row.completed_on, shiftMs), retryCount: row.retry_count,
  }));
}

function shifted(at: Date | null, shiftMs: number): Date | null {
  return at === null ? null : new Date(at.getTime() + shiftMs);
}
export { listExchanges, type ExchangeView } from './exchanges.ts';
