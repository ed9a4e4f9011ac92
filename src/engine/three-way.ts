/**
 * Three-way reconciliation of a business day (issue 13): the agent's registry (what the agent says it paid, handed in
 * as CSV: agent-registries.ts), the hub's payments, and the providers' registries (streamed through the same port as
 * the two-way run, reconcile.ts). Streamed like the two-way run: each provider's registry is staged page by page, the
 * agent's lines are already in the store, and one statement on the server joins the three, classifies every item,
 * writes the differences and answers the counts and totals, so that a day of a million payments per side never sits
 * in this process. Nothing is corrected here: each item's proposed action (three-way-actions.ts) is carried out by
 * operators, maker-checker.
 *
 * Scope: one provider or every provider that lists its payments; one agent or all. With an agent, the hub's side is
 * that agent's payments, and a provider line naming no payment of the agent is left to the run without an agent (a
 * line of another agent's payment, or of no payment at all, is not this agent's to answer for).
 */
import { systemClock, type Clock } from '../domain/clock.ts';
import type { Db, Queryable } from '../store/db.ts';
import {
  dayBounds, MATCHED_ITEMS_STORED_UP_TO, registryPages, stageRegistry, sweepStaging, type ReconcilePhase, type ReconciliationSource,
} from './reconcile.ts';

export const THREE_WAY_CLASSES = [
  'matched', 'missing_at_agent', 'missing_at_hub', 'missing_at_provider', 'amount_mismatch', 'status_mismatch', 'duplicate_at_provider', 'duplicate_at_agent',
] as const;
export type ThreeWayClass = (typeof THREE_WAY_CLASSES)[number];

/** What the three books say of one payment (or of one line that names no payment of the hub). */
export interface ThreeWayCase {
  id: bigint;
  runId: bigint;
  class: ThreeWayClass;
  provider: string;
  paymentId: bigint | null;
  /** The provider's listed reference, when it names no payment of the hub. */
  reference: string | null;
  agentId: bigint | null;
  agentTxnId: bigint | null;
  serviceId: string | null;
  account: string | null;
  currency: string | null;
  hubState: string | null;
  hubAmountMinor: bigint | null;
  hubProviderRef: string | null;
  agentListings: number;
  agentAmountMinor: bigint | null;
  agentPaid: boolean | null;
  providerListings: number;
  providerAmountMinor: bigint | null;
  providerRef: string | null;
  /** The hub's payment belongs to the provider's business day (the provider is due to list it) / to the agent's. */
  dueAtProvider: boolean;
  dueAtAgent: boolean;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  acknowledgement: string | null;
}

export interface ThreeWayScope {
  day: string;
  /** The providers reconciled (one, or every one that lists its payments); `label` is stored as the run's provider. */
  sources: ReconciliationSource[];
  label: string;
  /** The agent, its business day's zone, and its registry (null: the agent's side is not reconciled). */
  agent?: { id: bigint; offsetMinutes: number; registryId: bigint | null };
}

export type ThreeWayCounts = Record<ThreeWayClass, number>;

export interface ThreeWayReport {
  runId: bigint;
  mode: 'three_way';
  day: string;
  provider: string;
  agentId: bigint | null;
  agentRegistryId: bigint | null;
  status: 'clean' | 'mismatches' | 'failed';
  counts: ThreeWayCounts;
  /** Lines of the agent's registry, the hub's payments due that day, lines of the providers' registries; their sums. */
  agentCount: number;
  hubCount: number;
  providerCount: number;
  agentTotalMinor: bigint;
  hubTotalMinor: bigint;
  providerTotalMinor: bigint;
  /** The stored items, differences first, at most REPORT_CASES (every stored item is in the run's CSV). */
  cases: ThreeWayCase[];
  matchedItemsStored: boolean;
  error?: string;
}

export interface ThreeWayOptions {
  onProgress?: (done: number, total: number, phase?: ReconcilePhase) => void;
  signal?: AbortSignal;
  clock?: Clock;
  /** A run row claimed beforehand (a tracked run); unset: a new row. */
  runId?: bigint;
  matchedItemsStoredUpTo?: number;
}

/** Items a report carries (the differences first). */
const REPORT_CASES = 1_000;

const emptyCounts = (): ThreeWayCounts => Object.fromEntries(THREE_WAY_CLASSES.map((name) => [name, 0])) as ThreeWayCounts;

/** Reconciles the day three ways and stores the run; a run that fails is stored as failed with its reason and no items. */
export async function reconcileThreeWay(db: Db, scope: ThreeWayScope, options: ThreeWayOptions = {}): Promise<ThreeWayReport> {
  const clock = options.clock ?? systemClock;
  const runId = options.runId ?? await insertRun(db, scope, clock);
  const report: ThreeWayReport = {
    runId, mode: 'three_way', day: scope.day, provider: scope.label, agentId: scope.agent?.id ?? null, agentRegistryId: scope.agent?.registryId ?? null,
    status: 'failed', counts: emptyCounts(), agentCount: 0, hubCount: 0, providerCount: 0, agentTotalMinor: 0n, hubTotalMinor: 0n,
    providerTotalMinor: 0n, cases: [], matchedItemsStored: true,
  };
  try {
    await sweepStaging(db);
    let staged = 0;
    for (const source of scope.sources) {
      staged += await stageRegistry(db, runId, registryPages(source, scope.day, options.signal), options.onProgress, source.provider, staged);
    }
    options.onProgress?.(staged, staged, 'classifying');
    const params = classifyParams(runId, scope);
    Object.assign(report, await classifyAndStoreDifferences(db, params));
    report.matchedItemsStored = report.counts.matched <= (options.matchedItemsStoredUpTo ?? MATCHED_ITEMS_STORED_UP_TO);
    if (report.matchedItemsStored && report.counts.matched > 0) await db.query(`${CLASSIFIED} ${insertCases("class = 'matched'")}`, params);
    report.cases = await storedCases(db, runId, REPORT_CASES);
    const total = Object.values(report.counts).reduce((sum, n) => sum + n, 0);
    options.onProgress?.(total, total);
    report.status = total === report.counts.matched ? 'clean' : 'mismatches';
  } catch (error) {
    report.status = 'failed';
    report.error = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    report.cases = [];
    await db.query('DELETE FROM reconciliation_cases WHERE run_id = $1', [runId]).catch(() => undefined);
  } finally {
    await db.query('DELETE FROM reconciliation_staging WHERE run_id = $1', [runId]).catch(() => undefined);
  }
  await storeRunFigures(db, report, clock);
  return report;
}

async function insertRun(db: Db, scope: ThreeWayScope, clock: Clock): Promise<bigint> {
  const inserted = await db.query<{ id: bigint }>(
    `INSERT INTO reconciliation_runs (provider, business_day, status, started_at, mode, agent_id, agent_registry_id)
     VALUES ($1, $2, 'running', $3, 'three_way', $4, $5) RETURNING id`,
    [scope.label, scope.day, clock.now(), scope.agent?.id ?? null, scope.agent?.registryId ?? null],
  );
  return BigInt(inserted.rows[0]!.id);
}

async function storeRunFigures(db: Db, report: ThreeWayReport, clock: Clock): Promise<void> {
  const differences = Object.values(report.counts).reduce((sum, n) => sum + n, 0) - report.counts.matched;
  await db.query(
    `UPDATE reconciliation_runs SET status = $2, tolem_count = $3, provider_count = $4, agent_count = $5, matched_count = $6, mismatch_count = $7,
            tolem_total_minor = $8, provider_total_minor = $9, agent_total_minor = $10, error = $11, finished_at = $12, matched_items_stored = $13
      WHERE id = $1`,
    [report.runId, report.status, report.hubCount, report.providerCount, report.agentCount, report.counts.matched, differences,
      report.hubTotalMinor, report.providerTotalMinor, report.agentTotalMinor, report.error ?? null, clock.now(), report.matchedItemsStored],
  );
}

/** The classifying statement's parameters: the run, the providers with their day windows, the agent with its day and registry. */
function classifyParams(runId: bigint, scope: ThreeWayScope): unknown[] {
  const windows = scope.sources.map((source) => dayBounds(scope.day, source.offsetMinutes));
  const agentDay = scope.agent ? dayBounds(scope.day, scope.agent.offsetMinutes) : { from: null, to: null };
  return [
    runId, scope.sources.map((source) => source.provider), windows.map((w) => w.from), windows.map((w) => w.to),
    scope.agent?.id ?? null, scope.agent?.registryId ?? null, agentDay.from, agentDay.to, scope.label,
  ];
}

/**
 * The classification as SQL. $1 the run (its staged provider lines), $2/$3/$4 the providers and their days [from, to),
 * $5 the agent (null: all), $6 the agent's registry (null: no agent side), $7/$8 the agent's day, $9 the run's label.
 *
 * The hub's side: its succeeded payments of a provider's day, of the agent's day (when the agent's side is
 * reconciled), and every payment a provider line or an agent line names, whatever its state or day — ids first
 * (UNION of bigints), then the rows. FULL OUTER JOINs with the provider lines (by reference and provider) and the
 * agent's lines (by agentTransactionId, grouped: a count, so duplicates show) make one row per item. The first rule
 * that applies is its class; a book is only expected to list a payment of its own day (`due_at_*`).
 */
const CLASSIFIED = `
WITH win AS (
  SELECT * FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[]) AS w(provider, day_from, day_to)
), plisted AS (
  SELECT provider, reference, payment_id, provider_ref, amount_minor, listings FROM reconciliation_staging WHERE run_id = $1
), agrouped AS (
  SELECT agent_txn_id, count(*)::int AS listings, max(amount_minor) AS amount_minor, sum(amount_minor) AS total_minor, bool_and(paid) AS paid,
         max(service_id) AS service_id
    FROM agent_registry_lines WHERE registry_id = $6::int8 GROUP BY agent_txn_id
), alisted AS (
  -- The agent's lines (grouped: a count, so duplicates show) of the providers reconciled: of a payment of theirs, or
  -- naming no payment (by the line's service when it has one). A line of another provider's payment is that run's.
  SELECT g.*, p.id AS payment_id
    FROM agrouped g
    LEFT JOIN payments p ON p.agent_id = $5::int8 AND p.agent_txn_id = g.agent_txn_id
    LEFT JOIN services s ON s.service_id = g.service_id
   WHERE CASE WHEN p.id IS NOT NULL THEN p.provider = ANY($2::text[]) ELSE s.provider IS NULL OR s.provider = ANY($2::text[]) END
), in_day AS (
  SELECT p.id FROM payments p JOIN win w ON p.provider = w.provider
   WHERE p.state = 'succeeded' AND p.status_at >= w.day_from AND p.status_at < w.day_to AND ($5::int8 IS NULL OR p.agent_id = $5::int8)
), hub_ids AS (
  -- The provider days' payments, then the few others the agent's day or a listed line names: each branch streams, the
  -- ones in_day already are filtered out, and only the few left are de-duplicated (never the day's million).
  SELECT id FROM in_day
  UNION ALL
  SELECT DISTINCT named.id FROM (
    SELECT p.id, p.provider, p.state, p.status_at FROM payments p
     WHERE $6::int8 IS NOT NULL AND p.agent_id = $5::int8 AND p.state = 'succeeded' AND p.paid_at >= $7 AND p.paid_at < $8 AND p.provider = ANY($2::text[])
    UNION ALL
    SELECT p.id, p.provider, p.state, p.status_at FROM payments p JOIN plisted l ON p.id = l.payment_id AND p.provider = l.provider
     WHERE $5::int8 IS NULL OR p.agent_id = $5::int8
    UNION ALL
    SELECT p.id, p.provider, p.state, p.status_at FROM payments p JOIN alisted a ON p.id = a.payment_id
  ) named LEFT JOIN win w ON w.provider = named.provider
   WHERE NOT COALESCE(named.state = 'succeeded' AND named.status_at >= w.day_from AND named.status_at < w.day_to, false)
), hub AS (
  SELECT p.id, p.provider, p.agent_id, p.agent_txn_id, p.service_id, p.account, p.currency, p.state, p.amount_to_minor, p.provider_ref,
         COALESCE(p.state = 'succeeded' AND p.status_at >= w.day_from AND p.status_at < w.day_to, false) AS due_at_provider,
         COALESCE($6::int8 IS NOT NULL AND p.state = 'succeeded' AND p.paid_at >= $7 AND p.paid_at < $8, false) AS due_at_agent
    FROM hub_ids JOIN payments p USING (id) LEFT JOIN win w ON w.provider = p.provider
), with_provider AS (
  SELECT h.*, COALESCE(h.provider, l.provider) AS item_provider, CASE WHEN h.id IS NULL THEN l.reference END AS listed_reference,
         l.amount_minor AS provider_amount_minor, COALESCE(l.listings, 0) AS provider_listings, l.provider_ref AS listed_provider_ref
    FROM hub h FULL OUTER JOIN plisted l ON l.payment_id = h.id AND l.provider = h.provider
   WHERE h.id IS NOT NULL OR $5::int8 IS NULL
), joined AS (
  SELECT wp.*, COALESCE(wp.provider_listings, 0) AS p_listings, COALESCE(wp.due_at_provider, false) AS p_due, COALESCE(wp.due_at_agent, false) AS a_due,
         a.agent_txn_id AS listed_txn, a.amount_minor AS agent_amount_minor, COALESCE(a.listings, 0) AS agent_listings,
         a.paid AS agent_paid, COALESCE(a.total_minor, 0) AS agent_total_minor
    FROM with_provider wp FULL OUTER JOIN alisted a ON a.payment_id = wp.id
), classified AS MATERIALIZED (
  SELECT CASE
           WHEN p_listings > 1 THEN 'duplicate_at_provider'
           WHEN agent_listings > 1 THEN 'duplicate_at_agent'
           WHEN id IS NULL THEN CASE WHEN p_listings > 0 OR agent_paid THEN 'missing_at_hub' ELSE 'matched' END
           WHEN state <> 'succeeded' THEN CASE WHEN p_listings > 0 OR agent_paid THEN 'status_mismatch' ELSE 'matched' END
           WHEN agent_listings = 1 AND NOT agent_paid THEN 'status_mismatch'
           WHEN (p_listings = 1 AND provider_amount_minor <> amount_to_minor) OR (agent_listings = 1 AND agent_amount_minor <> amount_to_minor)
             THEN 'amount_mismatch'
           WHEN p_listings = 0 AND p_due THEN 'missing_at_provider'
           WHEN agent_listings = 0 AND a_due THEN 'missing_at_agent'
           ELSE 'matched' END AS class,
         COALESCE(item_provider, $9::text) AS provider, id AS payment_id, listed_reference AS reference, COALESCE(agent_id, $5::int8) AS agent_id,
         COALESCE(agent_txn_id, listed_txn) AS agent_txn_id, service_id, account, currency, state AS hub_state, amount_to_minor AS hub_amount_minor,
         provider_ref AS hub_provider_ref, agent_listings, agent_amount_minor, agent_paid, agent_total_minor, p_listings AS provider_listings,
         provider_amount_minor, listed_provider_ref AS provider_ref, p_due AS due_at_provider, a_due AS due_at_agent
    FROM joined
)`;

const CASE_COLUMNS = `class, provider, payment_id, reference, agent_id, agent_txn_id, service_id, account, currency, hub_state, hub_amount_minor,
  hub_provider_ref, agent_listings, agent_amount_minor, agent_paid, provider_listings, provider_amount_minor, provider_ref, due_at_provider, due_at_agent`;

const insertCases = (where: string) =>
  `INSERT INTO reconciliation_cases (run_id, ${CASE_COLUMNS}) SELECT $1, ${CASE_COLUMNS} FROM classified WHERE ${where} ORDER BY payment_id NULLS LAST, reference, agent_txn_id`;

/**
 * One pass: the classification is materialised once, its differences inserted by a data-modifying CTE, its counts
 * and totals aggregated from the same rows.
 */
async function classifyAndStoreDifferences(db: Db, params: unknown[]): Promise<Pick<ThreeWayReport,
  'counts' | 'agentCount' | 'hubCount' | 'providerCount' | 'agentTotalMinor' | 'hubTotalMinor' | 'providerTotalMinor'>> {
  const counted = THREE_WAY_CLASSES.map((name) => `count(*) FILTER (WHERE class = '${name}') AS ${name}`).join(', ');
  const row = await db.tx(async (q) => {
    // One statement over a day: compiling it (JIT) costs about a second and saves nothing measurable (bench recon3).
    await q.query('SET LOCAL jit = off');
    return (await q.query<Record<string, bigint | null>>(
    `${CLASSIFIED}, stored AS (${insertCases("class <> 'matched'")} RETURNING 1)
     SELECT ${counted}, (SELECT count(*) FROM stored) AS stored,
            count(*) FILTER (WHERE due_at_provider OR due_at_agent) AS hub_count,
            COALESCE(sum(hub_amount_minor) FILTER (WHERE due_at_provider OR due_at_agent), 0)::int8 AS hub_total,
            COALESCE(sum(provider_listings), 0)::int8 AS provider_count, COALESCE(sum(provider_amount_minor * provider_listings), 0)::int8 AS provider_total,
            COALESCE(sum(agent_listings), 0)::int8 AS agent_count, COALESCE(sum(agent_total_minor), 0)::int8 AS agent_total
       FROM classified`,
      params,
    )).rows[0]!;
  });
  const n = (key: string) => Number(row[key] ?? 0);
  const counts = emptyCounts();
  for (const name of THREE_WAY_CLASSES) counts[name] = n(name);
  return {
    counts, agentCount: n('agent_count'), hubCount: n('hub_count'), providerCount: n('provider_count'),
    agentTotalMinor: BigInt(row.agent_total ?? 0), hubTotalMinor: BigInt(row.hub_total ?? 0), providerTotalMinor: BigInt(row.provider_total ?? 0),
  };
}

// ── stored items ───────────────────────────────────────────────────────────────────────────────────────────────

interface CaseRow {
  id: bigint; run_id: bigint; class: ThreeWayClass; provider: string; payment_id: bigint | null; reference: string | null; agent_id: bigint | null;
  agent_txn_id: bigint | null; service_id: string | null; account: string | null; currency: string | null; hub_state: string | null;
  hub_amount_minor: bigint | null; hub_provider_ref: string | null; agent_listings: number; agent_amount_minor: bigint | null; agent_paid: boolean | null;
  provider_listings: number; provider_amount_minor: bigint | null; provider_ref: string | null; due_at_provider: boolean; due_at_agent: boolean;
  acknowledged_at: Date | null; acknowledged_by: string | null; acknowledgement: string | null;
}

const big = (value: bigint | string | null) => (value === null ? null : BigInt(value));

function toCase(row: CaseRow): ThreeWayCase {
  return {
    id: BigInt(row.id), runId: BigInt(row.run_id), class: row.class, provider: row.provider, paymentId: big(row.payment_id), reference: row.reference,
    agentId: big(row.agent_id), agentTxnId: big(row.agent_txn_id), serviceId: row.service_id, account: row.account, currency: row.currency,
    hubState: row.hub_state, hubAmountMinor: big(row.hub_amount_minor), hubProviderRef: row.hub_provider_ref, agentListings: row.agent_listings,
    agentAmountMinor: big(row.agent_amount_minor), agentPaid: row.agent_paid, providerListings: row.provider_listings,
    providerAmountMinor: big(row.provider_amount_minor), providerRef: row.provider_ref, dueAtProvider: row.due_at_provider, dueAtAgent: row.due_at_agent,
    acknowledgedAt: row.acknowledged_at, acknowledgedBy: row.acknowledged_by, acknowledgement: row.acknowledgement,
  };
}

/** A run's stored items, differences first (then in the order stored); at most `limit`. */
export async function storedCases(q: Queryable, runId: bigint, limit?: number): Promise<ThreeWayCase[]> {
  const result = await q.query<CaseRow>(
    `SELECT * FROM reconciliation_cases WHERE run_id = $1 ORDER BY class = 'matched', id LIMIT $2`, [runId, limit ?? null]);
  return result.rows.map(toCase);
}

/** Stored items by id order, a page after `after` (the CSV export's keyset pages). */
export async function casesPage(q: Queryable, runId: bigint, after: bigint, limit: number): Promise<ThreeWayCase[]> {
  const result = await q.query<CaseRow>(`SELECT * FROM reconciliation_cases WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT $3`, [runId, after, limit]);
  return result.rows.map(toCase);
}

export async function findCase(q: Queryable, caseId: bigint, lock = false): Promise<ThreeWayCase | undefined> {
  const result = await q.query<CaseRow>(`SELECT * FROM reconciliation_cases WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [caseId]);
  return result.rows[0] ? toCase(result.rows[0]) : undefined;
}

/** How many items of each class a run stored (matched: only on days small enough to store them). */
export async function storedCaseCounts(q: Queryable, runId: bigint): Promise<ThreeWayCounts> {
  const counts = emptyCounts();
  const result = await q.query<{ class: ThreeWayClass; n: bigint }>(`SELECT class, count(*)::int8 AS n FROM reconciliation_cases WHERE run_id = $1 GROUP BY class`, [runId]);
  for (const row of result.rows) counts[row.class] = Number(row.n);
  return counts;
}
