/**
 * Reconciliation of one provider business day: Tolem's successful payments against the provider's own list, by our
 * reference (transactionId = the provider's SysRef). Each difference is classified and given the correcting action
 * an operator should take; nothing is corrected automatically (money moves only through the engine and operators).
 * A clean day is confirmed to the provider (when it has such a call), and its settlement statement is imported.
 * Runs and items are stored (migration 004) and exportable as CSV.
 */
import { systemClock, type Clock } from '../domain/clock.ts';
import type { Db, Queryable } from '../store/db.ts';
import { formatAmount } from '../domain/money.ts';

/** One payment as the provider lists it. */
export interface ProviderPaymentRecord {
  /** Our transactionId as the provider knows it (SysRef). */
  reference: string;
  providerRef: string;
  amountMinor: bigint;
  account?: string;
  detail?: string;
  at?: string;
}

export interface SettlementLine {
  serviceCode: string;
  amountMinor: bigint;
  payeeName?: string;
  payeeBin?: string;
  payeeAccount?: string;
  purpose?: string;
  details: Record<string, unknown>;
}

export type SourceResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The small port a provider adapter implements to be reconciled. */
export interface ReconciliationSource {
  /** The provider route name, as in payments.provider. */
  readonly provider: string;
  /** The provider's business-day zone (UTC offset in minutes). */
  readonly offsetMinutes: number;
  listProviderPayments(day: string, signal?: AbortSignal): Promise<SourceResult<ProviderPaymentRecord[]>>;
  /** Tells the provider the day is reconciled (Alseco: GetBankDayChecks). */
  confirmDay?(day: string, signal?: AbortSignal): Promise<SourceResult<{ confirmed: boolean; detail: string }>>;
  /** The provider's settlement statement of the day (Alseco: GetReport108e). */
  settlementStatement?(day: string, signal?: AbortSignal): Promise<SourceResult<{ lines: SettlementLine[]; message: string }>>;
}

export const RECONCILE_KINDS = ['matched', 'missing_at_provider', 'missing_at_tolem', 'amount_mismatch'] as const;
export type ReconcileKind = (typeof RECONCILE_KINDS)[number];

export interface ReconcileItem {
  kind: ReconcileKind;
  reference: string;
  paymentId: bigint | null;
  providerRef: string | null;
  account: string | null;
  tolemState: string | null;
  tolemAmountMinor: bigint | null;
  providerAmountMinor: bigint | null;
  action: string;
}

export interface ReconcileReport {
  runId: bigint;
  provider: string;
  day: string;
  status: 'clean' | 'mismatches' | 'failed';
  counts: Record<ReconcileKind, number>;
  /** Tolem's succeeded payments of the day, and the provider's listed payments. */
  tolemCount: number;
  providerCount: number;
  tolemTotalMinor: bigint;
  providerTotalMinor: bigint;
  items: ReconcileItem[];
  confirmation: { attempted: boolean; confirmed: boolean; detail: string };
  settlement: { status: 'imported' | 'empty' | 'failed' | 'skipped'; lines: number; totalMinor: bigint; message: string };
  error?: string;
}

export interface ReconcileOptions {
  /** Confirm a clean day to the provider (default true). */
  confirm?: boolean;
  /** Import the provider's settlement statement (default true). */
  settlement?: boolean;
  /** Called as items are classified (the CLI draws a progress bar). */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** When the run starts and ends (default: the machine's clock). */
  clock?: Clock;
  /** A run row claimed beforehand (engine/reconciliation-runs.ts: a tracked run); unset: a new row. */
  runId?: bigint;
}

interface TolemPayment {
  id: bigint;
  account: string;
  state: string;
  amount_to_minor: bigint | null;
  provider_ref: string | null;
  in_day: boolean;
}

/** Bounds on one run: a provider day larger than this is refused rather than half-reconciled. */
const MAX_PAYMENTS_PER_DAY = 500_000;
const INSERT_BATCH = 500;

/** The correcting action for each difference, as an operator reads it. */
export const RECONCILE_ACTIONS = {
  matched: 'none',
  missing_at_provider:
    'The provider has no payment for a transaction Tolem counts as paid: re-send it with the same reference (the provider keys payments on it) after checking with the provider, or reverse it to the agent',
  missing_at_tolem:
    'The provider holds a payment Tolem does not count as paid: roll it back at the provider (same day only) or ask the provider to return it; if Tolem has it unresolved, let the status job settle it',
  amount_mismatch:
    'Amounts differ: ask the provider to correct its record to Tolem\'s amount, or roll back and re-pay the right amount',
} as const satisfies Record<ReconcileKind, string>;

function missingAtTolemAction(state: string | null): string {
  switch (state) {
    case null:
      return `${RECONCILE_ACTIONS.missing_at_tolem} (unknown to Tolem)`;
    case 'accepted':
      return 'Tolem is still resolving this payment: the status job will settle it as paid; re-run the reconciliation afterwards';
    case 'cancelled':
      return 'Tolem cancelled (reversed) this payment but the provider still holds it: roll it back at the provider or ask it to return the money';
    default:
      return `${RECONCILE_ACTIONS.missing_at_tolem} (Tolem state: ${state})`;
  }
}

/** [from, to) of a business day in a zone, as instants. */
export function dayBounds(day: string, offsetMinutes: number): { from: Date; to: Date } {
  // Date.parse rolls 30 February over into March: a day is real only if it reads back unchanged.
  const midnightUtc = Date.parse(`${day}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(midnightUtc) || new Date(midnightUtc).toISOString().slice(0, 10) !== day) {
    throw new Error(`"${day}" is not a date (YYYY-MM-DD)`);
  }
  const from = new Date(midnightUtc - offsetMinutes * 60_000);
  return { from, to: new Date(from.getTime() + 86_400_000) };
}

export async function reconcileProviderDay(db: Db, source: ReconciliationSource, day: string, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const { from, to } = dayBounds(day, source.offsetMinutes);
  const clock = options.clock ?? systemClock;
  const runId = options.runId ?? (await db.query<{ id: bigint }>(
    `INSERT INTO reconciliation_runs (provider, business_day, status, started_at) VALUES ($1, $2, 'running', $3) RETURNING id`,
    [source.provider, day, clock.now()],
  )).rows[0]!.id;
  const report: ReconcileReport = {
    runId, provider: source.provider, day, status: 'failed',
    counts: { matched: 0, missing_at_provider: 0, missing_at_tolem: 0, amount_mismatch: 0 },
    tolemCount: 0, providerCount: 0, tolemTotalMinor: 0n, providerTotalMinor: 0n, items: [],
    confirmation: { attempted: false, confirmed: false, detail: '' },
    settlement: { status: 'skipped', lines: 0, totalMinor: 0n, message: '' },
  };
  try {
    const listed = await source.listProviderPayments(day, options.signal);
    if (!listed.ok) throw new Error(`provider list: ${listed.reason}`);
    if (listed.value.length > MAX_PAYMENTS_PER_DAY) throw new Error(`provider lists ${listed.value.length} payments, more than ${MAX_PAYMENTS_PER_DAY}`);
    const providerByRef = new Map(listed.value.map((p) => [p.reference, p]));
    const tolem = await tolemPayments(db, source.provider, from, to, [...providerByRef.keys()]);
    report.items = classify(tolem, providerByRef, options.onProgress);
    for (const item of report.items) report.counts[item.kind] += 1;
    const inDay = tolem.filter((p) => p.in_day);
    report.tolemCount = inDay.length;
    report.providerCount = listed.value.length;
    report.tolemTotalMinor = inDay.reduce((sum, p) => sum + (p.amount_to_minor ?? 0n), 0n);
    report.providerTotalMinor = listed.value.reduce((sum, p) => sum + p.amountMinor, 0n);
    await storeItems(db, runId, report.items);
    report.status = report.items.every((item) => item.kind === 'matched') ? 'clean' : 'mismatches';

    if (report.status === 'clean' && options.confirm !== false && source.confirmDay) {
      const confirmed = await source.confirmDay(day, options.signal);
      report.confirmation = confirmed.ok
        ? { attempted: true, confirmed: confirmed.value.confirmed, detail: confirmed.value.detail }
        : { attempted: true, confirmed: false, detail: `not confirmed: ${confirmed.reason}` };
    }
    if (options.settlement !== false && source.settlementStatement) {
      report.settlement = await importSettlement(db, source, day, clock.now(), options.signal);
    }
  } catch (error) {
    report.status = 'failed';
    report.error = error instanceof Error ? error.message : String(error);
  }
  await db.query(
    `UPDATE reconciliation_runs SET status = $2, tolem_count = $3, provider_count = $4, matched_count = $5, mismatch_count = $6,
            tolem_total_minor = $7, provider_total_minor = $8, confirmed = $9, confirmation = $10, error = $11, finished_at = $12
      WHERE id = $1`,
    [runId, report.status, report.tolemCount, report.providerCount, report.counts.matched, report.items.length - report.counts.matched,
      report.tolemTotalMinor, report.providerTotalMinor, report.confirmation.confirmed, report.confirmation.detail || null, report.error ?? null, clock.now()],
  );
  return report;
}

/** Tolem's succeeded payments of the day, plus any payment (any state, any day) whose id the provider listed. */
async function tolemPayments(q: Queryable, provider: string, from: Date, to: Date, providerRefs: string[]): Promise<TolemPayment[]> {
  const ids = providerRefs.filter((ref) => /^\d{1,18}$/.test(ref));
  const result = await q.query<TolemPayment>(
    `SELECT id, account, state, amount_to_minor, provider_ref,
            (state = 'succeeded' AND status_at >= $2 AND status_at < $3) AS in_day
       FROM payments
      WHERE provider = $1 AND ((state = 'succeeded' AND status_at >= $2 AND status_at < $3) OR id = ANY($4::bigint[]))
      ORDER BY id LIMIT ${MAX_PAYMENTS_PER_DAY + 1}`,
    [provider, from, to, ids],
  );
  if (result.rows.length > MAX_PAYMENTS_PER_DAY) throw new Error(`Tolem has more than ${MAX_PAYMENTS_PER_DAY} payments for the day`);
  return result.rows;
}

function classify(tolem: TolemPayment[], providerByRef: Map<string, ProviderPaymentRecord>, onProgress?: (done: number, total: number) => void): ReconcileItem[] {
  const items: ReconcileItem[] = [];
  const seen = new Set<string>();
  const total = new Set([...tolem.map((p) => p.id.toString()), ...providerByRef.keys()]).size;
  const progress = () => onProgress?.(items.length, total);
  for (const payment of tolem) {
    const reference = payment.id.toString();
    seen.add(reference);
    const listed = providerByRef.get(reference);
    const base = {
      reference, paymentId: payment.id, account: payment.account, tolemState: payment.state, tolemAmountMinor: payment.amount_to_minor,
      providerRef: listed?.providerRef ?? payment.provider_ref, providerAmountMinor: listed?.amountMinor ?? null,
    };
    if (payment.state !== 'succeeded') {
      // Listed by the provider, but not paid in Tolem's books.
      items.push({ ...base, kind: 'missing_at_tolem', action: missingAtTolemAction(payment.state) });
    } else if (!listed) {
      if (payment.in_day) items.push({ ...base, kind: 'missing_at_provider', action: RECONCILE_ACTIONS.missing_at_provider });
    } else if (listed.amountMinor !== payment.amount_to_minor) {
      items.push({ ...base, kind: 'amount_mismatch', action: RECONCILE_ACTIONS.amount_mismatch });
    } else {
      items.push({ ...base, kind: 'matched', action: RECONCILE_ACTIONS.matched });
    }
    progress();
  }
  for (const [reference, listed] of providerByRef) {
    if (seen.has(reference)) continue;
    items.push({
      kind: 'missing_at_tolem', reference, paymentId: null, providerRef: listed.providerRef, account: listed.account ?? null,
      tolemState: null, tolemAmountMinor: null, providerAmountMinor: listed.amountMinor, action: missingAtTolemAction(null),
    });
    progress();
  }
  onProgress?.(total, total);
  return items;
}

async function storeItems(db: Db, runId: bigint, items: ReconcileItem[]): Promise<void> {
  for (let start = 0; start < items.length; start += INSERT_BATCH) {
    const batch = items.slice(start, start + INSERT_BATCH);
    const values: unknown[] = [];
    const rows = batch.map((item, index) => {
      const n = index * 10;
      values.push(runId, item.kind, item.reference, item.paymentId, item.providerRef, item.account, item.tolemState, item.tolemAmountMinor, item.providerAmountMinor, item.action);
      return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7}, $${n + 8}, $${n + 9}, $${n + 10})`;
    });
    await db.query(
      `INSERT INTO reconciliation_items (run_id, kind, reference, payment_id, provider_ref, account, tolem_state, tolem_amount_minor, provider_amount_minor, action)
       VALUES ${rows.join(', ')}`,
      values,
    );
  }
}

async function importSettlement(db: Db, source: ReconciliationSource, day: string, now: Date, signal?: AbortSignal): Promise<ReconcileReport['settlement']> {
  const statement = await source.settlementStatement!(day, signal);
  const status = !statement.ok ? 'failed' : statement.value.lines.length > 0 ? 'imported' : 'empty';
  const lines = statement.ok ? statement.value.lines : [];
  const message = statement.ok ? statement.value.message : statement.reason;
  const totalMinor = lines.reduce((sum, line) => sum + line.amountMinor, 0n);
  await db.tx(async (q) => {
    const saved = await q.query<{ id: bigint }>(
      `INSERT INTO settlement_statements (provider, business_day, status, message, total_minor, imported_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (provider, business_day) DO UPDATE SET status = EXCLUDED.status, message = EXCLUDED.message,
              total_minor = EXCLUDED.total_minor, imported_at = EXCLUDED.imported_at
       RETURNING id`,
      [source.provider, day, status, message, totalMinor, now],
    );
    const statementId = saved.rows[0]!.id;
    await q.query(`DELETE FROM settlement_lines WHERE statement_id = $1`, [statementId]);
    for (const [index, line] of lines.entries()) {
      await q.query(
        `INSERT INTO settlement_lines (statement_id, line_no, service_code, amount_minor, payee_name, payee_bin, payee_account, purpose, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [statementId, index + 1, line.serviceCode, line.amountMinor, line.payeeName ?? null, line.payeeBin ?? null, line.payeeAccount ?? null,
          line.purpose ?? null, JSON.stringify(line.details)],
      );
    }
  });
  return { status, lines: lines.length, totalMinor, message };
}

// ── stored results ─────────────────────────────────────────────────────────────────────────────────────────────

interface ItemRow {
  kind: ReconcileKind;
  reference: string;
  payment_id: bigint | null;
  provider_ref: string | null;
  account: string | null;
  tolem_state: string | null;
  tolem_amount_minor: bigint | null;
  provider_amount_minor: bigint | null;
  action: string;
}

export async function storedItems(q: Queryable, runId: bigint): Promise<ReconcileItem[]> {
  const result = await q.query<ItemRow>(`SELECT * FROM reconciliation_items WHERE run_id = $1 ORDER BY id`, [runId]);
  return result.rows.map((row) => ({
    kind: row.kind, reference: row.reference, paymentId: row.payment_id, providerRef: row.provider_ref, account: row.account,
    tolemState: row.tolem_state, tolemAmountMinor: row.tolem_amount_minor, providerAmountMinor: row.provider_amount_minor, action: row.action,
  }));
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The stored items of a run as CSV (RFC 4180; amounts as exact decimals). */
export async function reconciliationCsv(q: Queryable, runId: bigint): Promise<string> {
  const items = await storedItems(q, runId);
  const money = (value: bigint | null) => (value === null ? '' : formatAmount(value));
  const header = ['kind', 'reference', 'payment_id', 'provider_ref', 'account', 'tolem_state', 'tolem_amount', 'provider_amount', 'action'];
  const lines = items.map((item) => [item.kind, item.reference, item.paymentId?.toString() ?? '', item.providerRef ?? '', item.account ?? '',
    item.tolemState ?? '', money(item.tolemAmountMinor), money(item.providerAmountMinor), item.action].map(csvField).join(','));
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`;
}

// ── the daily job ──────────────────────────────────────────────────────────────────────────────────────────────

export function isReconciliationSource(value: unknown): value is ReconciliationSource & { readonly config?: { reconcileCron?: string } } {
  return typeof value === 'object' && value !== null && typeof (value as ReconciliationSource).listProviderPayments === 'function'
    && typeof (value as ReconciliationSource).provider === 'string';
}

/** The provider's previous business day, relative to `now`. */
export function previousBusinessDay(offsetMinutes: number, now: Date): string {
  return new Date(now.getTime() + offsetMinutes * 60_000 - 86_400_000).toISOString().slice(0, 10);
}

/**
 * Reconciles the provider's previous business day on a cron (the source's `config.reconcileCron`, UTC; '' disables).
 * Idempotent by construction: a re-run stores a new run and re-confirms nothing that is not clean.
 */
export async function scheduleDailyReconciliation(
  queue: { schedule(name: string, cron: string, handler: () => Promise<void>): Promise<void> },
  db: Db,
  source: unknown,
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void },
  clock: Clock = systemClock,
): Promise<void> {
  if (!isReconciliationSource(source)) return;
  const cron = source.config?.reconcileCron ?? '0 1 * * *';
  if (cron === '') return;
  await queue.schedule(`reconcile-${source.provider}`, cron, async () => {
    const day = previousBusinessDay(source.offsetMinutes, clock.now());
    const report = await reconcileProviderDay(db, source, day, { signal: AbortSignal.timeout(30 * 60_000), clock });
    const summary = { provider: source.provider, day, runId: report.runId.toString(), status: report.status, counts: report.counts, confirmed: report.confirmation.confirmed, error: report.error };
    if (report.status === 'clean') log.info(summary, 'daily reconciliation done');
    else log.warn(summary, 'daily reconciliation found differences or failed');
  });
}
