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

/**
 * The small port a provider adapter implements to be reconciled. The registry of a day comes as a stream of pages
 * (`providerPayments`), so that a day of a million payments never sits in memory; an adapter whose partner answers
 * the whole list at once (Alseco's SOAP) may offer `listProviderPayments` instead, and the engine pages it.
 */
export interface ReconciliationSource {
  /** The provider route name, as in payments.provider. */
  readonly provider: string;
  /** The provider's business-day zone (UTC offset in minutes). */
  readonly offsetMinutes: number;
  /** The provider's registry of the day, page by page; a failure (the partner's, the transport's) throws its reason. */
  providerPayments?(day: string, signal?: AbortSignal): AsyncIterable<ProviderPaymentRecord[]>;
  /** The whole registry as one bounded answer, for partners that give nothing else; paged by the engine. */
  listProviderPayments?(day: string, signal?: AbortSignal): Promise<SourceResult<ProviderPaymentRecord[]>>;
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
  /**
   * The stored items, differences first, at most REPORT_ITEMS of them (the run's CSV has every stored item). Matched
   * items are stored one row each only on days of at most MATCHED_ITEMS_STORED_UP_TO (`matchedItemsStored`).
   */
  items: ReconcileItem[];
  matchedItemsStored: boolean;
  confirmation: { attempted: boolean; confirmed: boolean; detail: string };
  settlement: { status: 'imported' | 'empty' | 'failed' | 'skipped'; lines: number; totalMinor: bigint; message: string };
  error?: string;
}

/** Where a run is: staging the provider's registry, classifying it on the server, or storing, confirming, importing. */
export type ReconcilePhase = 'listing' | 'classifying' | 'finishing';

export interface ReconcileOptions {
  /** Confirm a clean day to the provider (default true). */
  confirm?: boolean;
  /** Import the provider's settlement statement (default true). */
  settlement?: boolean;
  /**
   * Called as the run goes: while the registry is staged (records staged so far, total 0: a stream's length is not
   * known before its end), then with the items classified of all.
   */
  onProgress?: (done: number, total: number, phase?: ReconcilePhase) => void;
  signal?: AbortSignal;
  /** When the run starts and ends (default: the machine's clock). */
  clock?: Clock;
  /** A run row claimed beforehand (engine/reconciliation-runs.ts: a tracked run); unset: a new row. */
  runId?: bigint;
  /** Matched items stored one row each up to this many (default MATCHED_ITEMS_STORED_UP_TO); above it, counted only. */
  matchedItemsStoredUpTo?: number;
}

/**
 * Records per staging statement (one INSERT … SELECT FROM json_array_elements of one JSON text each). A thousand, measured: at 5,000 a page
 * lives long enough to be promoted to V8's old space, which then grows by ~100 MB of garbage before it is collected
 * (the server's peak RSS over the 300 MB target on a day of a million); at 1,000 it stays young and the run is no slower.
 */
const STAGE_BATCH = 1_000;
/** A day with more matched payments than this stores their count, not one row each (a million rows a day is waste). */
export const MATCHED_ITEMS_STORED_UP_TO = 50_000;
/** Items a report carries (the differences first); every stored item is in the run's CSV. */
const REPORT_ITEMS = 1_000;
/** Bound on one run: a registry longer than this is refused rather than staged without end. */
const MAX_LISTED_PER_DAY = 20_000_000;

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

/** missing_at_tolem's action by Tolem's state of the payment (null: unknown to Tolem), as the classifying SQL writes it. */
const MISSING_AT_TOLEM_ACTIONS = {
  unknown: `${RECONCILE_ACTIONS.missing_at_tolem} (unknown to Tolem)`,
  accepted: 'Tolem is still resolving this payment: the status job will settle it as paid; re-run the reconciliation afterwards',
  cancelled: 'Tolem cancelled (reversed) this payment but the provider still holds it: roll it back at the provider or ask it to return the money',
  /** Followed by the state and a closing parenthesis. */
  otherPrefix: `${RECONCILE_ACTIONS.missing_at_tolem} (Tolem state: `,
};

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

/**
 * Reconciles one provider day, streamed on both sides: the provider's registry is staged page by page into
 * reconciliation_staging (the run's rows), then one FULL OUTER JOIN on the server classifies it against Tolem's
 * payments of the day, counts and totals come from aggregates and the differences are written by INSERT … SELECT.
 * Nothing of the day is held in this process beyond one page. A run that fails (the stream broke, the store
 * refused) is stored as failed with its reason and keeps no items; its staged rows are deleted either way.
 */
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
    tolemCount: 0, providerCount: 0, tolemTotalMinor: 0n, providerTotalMinor: 0n, items: [], matchedItemsStored: true,
    confirmation: { attempted: false, confirmed: false, detail: '' },
    settlement: { status: 'skipped', lines: 0, totalMinor: 0n, message: '' },
  };
  try {
    await sweepStaging(db);
    const staged = await stageRegistry(db, runId, registryPages(source, day, options.signal), options.onProgress);
    options.onProgress?.(staged, staged, 'classifying');
    const window: DayWindow = { runId, provider: source.provider, from, to };
    const figures = await classifiedFigures(db, window);
    Object.assign(report, figures);
    report.matchedItemsStored = figures.counts.matched <= (options.matchedItemsStoredUpTo ?? MATCHED_ITEMS_STORED_UP_TO);
    await storeItems(db, window, report.matchedItemsStored);
    report.items = await storedItems(db, runId, REPORT_ITEMS);
    const total = Object.values(report.counts).reduce((sum, n) => sum + n, 0);
    options.onProgress?.(total, total);
    report.status = total === report.counts.matched ? 'clean' : 'mismatches';

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
    report.error = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    report.items = [];
    // Nothing half-written: a failed run keeps no items, so that no partial classification reads as a result.
    await db.query('DELETE FROM reconciliation_items WHERE run_id = $1', [runId]).catch(() => undefined);
  } finally {
    await db.query('DELETE FROM reconciliation_staging WHERE run_id = $1', [runId]).catch(() => undefined);
  }
  await db.query(
    `UPDATE reconciliation_runs SET status = $2, tolem_count = $3, provider_count = $4, matched_count = $5, mismatch_count = $6,
            tolem_total_minor = $7, provider_total_minor = $8, confirmed = $9, confirmation = $10, error = $11, finished_at = $12,
            matched_items_stored = $13
      WHERE id = $1`,
    [runId, report.status, report.tolemCount, report.providerCount, report.counts.matched,
      report.counts.missing_at_provider + report.counts.missing_at_tolem + report.counts.amount_mismatch,
      report.tolemTotalMinor, report.providerTotalMinor, report.confirmation.confirmed, report.confirmation.detail || null, report.error ?? null,
      clock.now(), report.matchedItemsStored],
  );
  return report;
}

/** The source's registry as pages: its stream, or its one bounded answer cut into pages. */
export async function* registryPages(source: ReconciliationSource, day: string, signal?: AbortSignal): AsyncIterable<ProviderPaymentRecord[]> {
  if (source.providerPayments) {
    yield* source.providerPayments(day, signal);
    return;
  }
  if (!source.listProviderPayments) throw new Error(`provider ${source.provider} lists no payments`);
  const listed = await source.listProviderPayments(day, signal);
  if (!listed.ok) throw new Error(listed.reason);
  for (let start = 0; start < listed.value.length; start += STAGE_BATCH) yield listed.value.slice(start, start + STAGE_BATCH);
}

/** Rows a run that died left in the staging table (its process is gone; the run reads as interrupted or failed). */
export async function sweepStaging(db: Db): Promise<void> {
  await db.query(
    `DELETE FROM reconciliation_staging s USING reconciliation_runs r WHERE r.id = s.run_id AND r.status <> 'running'`,
  );
}

/**
 * Stages the registry's pages in batches of STAGE_BATCH (one statement each); answers how many records were listed.
 * A reference listed twice is kept once, the later listing winning (as a map by reference would), with the count of
 * its listings (the three-way run's duplicate_at_provider); `provider` names whose registry it is. A reference is
 * joined with payments.id only when it is our transactionId digit for digit ("0123" is not payment 123). A stream that
 * fails stops the run with the provider's reason; a store that fails closes the stream (its HTTP body, its file).
 */
export async function stageRegistry(
  db: Db, runId: bigint, pages: AsyncIterable<ProviderPaymentRecord[]>, onProgress?: ReconcileOptions['onProgress'], provider = '', listedBefore = 0,
): Promise<number> {
  const iterator = pages[Symbol.asyncIterator]();
  let listed = 0;
  try {
    for (;;) {
      let next: IteratorResult<ProviderPaymentRecord[]>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw new Error(`provider list: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (next.done) return listed;
      for (let start = 0; start < next.value.length; start += STAGE_BATCH) {
        await stageBatch(db, runId, next.value.slice(start, start + STAGE_BATCH), provider);
      }
      listed += next.value.length;
      if (listed > MAX_LISTED_PER_DAY) throw new Error(`provider lists more than ${MAX_LISTED_PER_DAY} payments`);
      onProgress?.(listedBefore + listed, 0, 'listing');
    }
  } catch (error) {
    await iterator.return?.().catch(() => undefined);
    throw error;
  }
}

async function stageBatch(db: Db, runId: bigint, records: ProviderPaymentRecord[], provider: string): Promise<void> {
  // One JSON text per batch (JSON.stringify escapes every field natively): the page's records become garbage at once,
  // young, instead of living on in per-column arrays until the statement answers.
  const batch = JSON.stringify(records.map((record) => [record.reference, record.providerRef, record.amountMinor.toString(), record.account ?? null]));
  await db.query(
    `INSERT INTO reconciliation_staging (run_id, provider, reference, payment_id, provider_ref, amount_minor, account, listings)
     SELECT DISTINCT ON (reference) $1::int8, $3::text, reference, CASE WHEN reference ~ '^[1-9][0-9]{0,17}$' THEN reference::int8 END,
            provider_ref, amount_minor, account, count(*) OVER (PARTITION BY reference)
       FROM (SELECT e ->> 0 AS reference, e ->> 1 AS provider_ref, (e ->> 2)::int8 AS amount_minor, e ->> 3 AS account, line
               FROM json_array_elements($2::json) WITH ORDINALITY AS listed(e, line)) AS listed
      ORDER BY reference, line DESC
     ON CONFLICT (run_id, provider, reference) DO UPDATE SET payment_id = EXCLUDED.payment_id, provider_ref = EXCLUDED.provider_ref,
            amount_minor = EXCLUDED.amount_minor, account = EXCLUDED.account, listings = reconciliation_staging.listings + EXCLUDED.listings`,
    [runId, batch, provider],
  );
}

interface DayWindow {
  runId: bigint;
  provider: string;
  from: Date;
  to: Date;
}

/**
 * The classification, as SQL over the staged registry ($1: the run) and Tolem's payments ($2 provider, [$3, $4) the
 * day): Tolem's succeeded payments of the day, plus any payment of the provider (any state, any day) whose id the
 * provider listed, FULL OUTER JOIN the listed references. Each side's rows are disjoint, so every payment and every
 * listed reference is one row of `classified`.
 */
const CLASSIFIED = `
WITH listed AS (
  SELECT reference, payment_id, provider_ref, amount_minor, account FROM reconciliation_staging WHERE run_id = $1
), tolem AS (
  SELECT id, account, state, amount_to_minor, provider_ref, true AS in_day FROM payments
   WHERE provider = $2 AND state = 'succeeded' AND status_at >= $3 AND status_at < $4
  UNION ALL
  SELECT p.id, p.account, p.state, p.amount_to_minor, p.provider_ref, false FROM payments p JOIN listed l ON p.id = l.payment_id
   WHERE p.provider = $2 AND (p.state = 'succeeded' AND p.status_at >= $3 AND p.status_at < $4) IS NOT TRUE
), classified AS (
  SELECT CASE WHEN t.id IS NULL OR t.state <> 'succeeded' THEN 'missing_at_tolem'
              WHEN l.reference IS NULL THEN 'missing_at_provider'
              WHEN l.amount_minor IS DISTINCT FROM t.amount_to_minor THEN 'amount_mismatch'
              ELSE 'matched' END AS kind,
         COALESCE(t.id::text, l.reference) AS reference, t.id AS payment_id, COALESCE(l.provider_ref, t.provider_ref) AS provider_ref,
         COALESCE(t.account, l.account) AS account, t.state AS tolem_state, t.amount_to_minor AS tolem_amount_minor,
         l.amount_minor AS provider_amount_minor, COALESCE(t.in_day, false) AS in_day, l.reference IS NOT NULL AS listed
    FROM tolem t FULL OUTER JOIN listed l ON l.payment_id = t.id
)`;

const windowParams = (w: DayWindow) => [w.runId, w.provider, w.from, w.to];

/** Counts per class and both sides' counts and totals, from one aggregate over the classification. */
async function classifiedFigures(q: Queryable, w: DayWindow): Promise<Pick<ReconcileReport, 'counts' | 'tolemCount' | 'providerCount' | 'tolemTotalMinor' | 'providerTotalMinor'>> {
  const row = (await q.query<Record<string, bigint>>(
    `${CLASSIFIED}
     SELECT count(*) FILTER (WHERE kind = 'matched') AS matched, count(*) FILTER (WHERE kind = 'missing_at_provider') AS missing_at_provider,
            count(*) FILTER (WHERE kind = 'missing_at_tolem') AS missing_at_tolem, count(*) FILTER (WHERE kind = 'amount_mismatch') AS amount_mismatch,
            count(*) FILTER (WHERE in_day) AS tolem_count, COALESCE(sum(tolem_amount_minor) FILTER (WHERE in_day), 0)::int8 AS tolem_total,
            count(*) FILTER (WHERE listed) AS provider_count, COALESCE(sum(provider_amount_minor), 0)::int8 AS provider_total
       FROM classified`,
    windowParams(w),
  )).rows[0]!;
  const n = (key: string) => Number(row[key] ?? 0);
  return {
    counts: { matched: n('matched'), missing_at_provider: n('missing_at_provider'), missing_at_tolem: n('missing_at_tolem'), amount_mismatch: n('amount_mismatch') },
    tolemCount: n('tolem_count'), providerCount: n('provider_count'),
    tolemTotalMinor: BigInt(row.tolem_total ?? 0), providerTotalMinor: BigInt(row.provider_total ?? 0),
  };
}

/** Writes the differences (and the matched items, when the day is small enough) with their actions, by INSERT … SELECT. */
async function storeItems(q: Queryable, w: DayWindow, withMatched: boolean): Promise<void> {
  const A = RECONCILE_ACTIONS;
  const M = MISSING_AT_TOLEM_ACTIONS;
  await q.query(
    `${CLASSIFIED}
     INSERT INTO reconciliation_items (run_id, kind, reference, payment_id, provider_ref, account, tolem_state, tolem_amount_minor, provider_amount_minor, action)
     SELECT $1, kind, reference, payment_id, provider_ref, account, tolem_state, tolem_amount_minor, provider_amount_minor,
            CASE kind WHEN 'matched' THEN $6::text WHEN 'missing_at_provider' THEN $7::text WHEN 'amount_mismatch' THEN $8::text
                 ELSE CASE WHEN tolem_state IS NULL THEN $9::text WHEN tolem_state = 'accepted' THEN $10::text WHEN tolem_state = 'cancelled' THEN $11::text
                           ELSE $12::text || tolem_state || ')' END END
       FROM classified
      WHERE kind <> 'matched' OR $5::boolean
      ORDER BY payment_id NULLS LAST, reference`,
    [...windowParams(w), withMatched, A.matched, A.missing_at_provider, A.amount_mismatch, M.unknown, M.accepted, M.cancelled, M.otherPrefix],
  );
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

const toItem = (row: ItemRow): ReconcileItem => ({
  kind: row.kind, reference: row.reference, paymentId: row.payment_id, providerRef: row.provider_ref, account: row.account,
  tolemState: row.tolem_state, tolemAmountMinor: row.tolem_amount_minor, providerAmountMinor: row.provider_amount_minor, action: row.action,
});

/** A run's stored items, differences first (then in the order they were stored); at most `limit` when given. */
export async function storedItems(q: Queryable, runId: bigint, limit?: number): Promise<ReconcileItem[]> {
  const result = await q.query<ItemRow>(
    `SELECT * FROM reconciliation_items WHERE run_id = $1 ORDER BY kind = 'matched', id LIMIT $2`, [runId, limit ?? null]);
  return result.rows.map(toItem);
}

/** How many items of each class a run stored. */
export async function storedItemCounts(q: Queryable, runId: bigint): Promise<Record<ReconcileKind, number>> {
  const counts: Record<ReconcileKind, number> = { matched: 0, missing_at_provider: 0, missing_at_tolem: 0, amount_mismatch: 0 };
  const result = await q.query<{ kind: ReconcileKind; n: bigint }>(`SELECT kind, count(*)::int8 AS n FROM reconciliation_items WHERE run_id = $1 GROUP BY kind`, [runId]);
  for (const row of result.rows) counts[row.kind] = Number(row.n);
  return counts;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

const CSV_HEADER = ['kind', 'reference', 'payment_id', 'provider_ref', 'account', 'tolem_state', 'tolem_amount', 'provider_amount', 'action'];
/** Items read per page of a CSV export: keyset pages by id, so a long export never holds the run in memory. */
const CSV_PAGE = 2_000;

/** The stored items of a run as CSV lines (RFC 4180; amounts as exact decimals), read page by page. */
export async function* reconciliationCsvLines(q: Queryable, runId: bigint): AsyncIterable<string> {
  const money = (value: bigint | null) => (value === null ? '' : formatAmount(value));
  yield `${CSV_HEADER.join(',')}\r\n`;
  let after = 0n;
  for (;;) {
    const page = await q.query<ItemRow & { id: bigint }>(
      `SELECT * FROM reconciliation_items WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT ${CSV_PAGE}`, [runId, after]);
    if (page.rows.length === 0) return;
    yield page.rows.map((row) => {
      const item = toItem(row);
      return `${[item.kind, item.reference, item.paymentId?.toString() ?? '', item.providerRef ?? '', item.account ?? '', item.tolemState ?? '',
        money(item.tolemAmountMinor), money(item.providerAmountMinor), item.action].map(csvField).join(',')}\r\n`;
    }).join('');
    after = BigInt(page.rows.at(-1)!.id);
    if (page.rows.length < CSV_PAGE) return;
  }
}

/** The stored items of a run as one CSV text (the admin API's JSON answer; the console streams the lines). */
export async function reconciliationCsv(q: Queryable, runId: bigint): Promise<string> {
  let text = '';
  for await (const chunk of reconciliationCsvLines(q, runId)) text += chunk;
  return text;
}

// ── the daily job ──────────────────────────────────────────────────────────────────────────────────────────────

export function isReconciliationSource(value: unknown): value is ReconciliationSource & { readonly config?: { reconcileCron?: string } } {
  if (typeof value !== 'object' || value === null) return false;
  const source = value as ReconciliationSource;
  return (typeof source.providerPayments === 'function' || typeof source.listProviderPayments === 'function') && typeof source.provider === 'string';
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
