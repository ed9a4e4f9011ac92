/**
 * Reconciliation as the console and the admin API run it: the stored runs (reconciliation_runs and their items), and
 * tracked runs whose progress lives in their row, so that every instance on the store sees it. A tracked run claims
 * its row first (one live run per provider and day, whichever instance asks), writes its progress there at most once
 * a second and a heartbeat every few seconds, and the result is stored by reconcileProviderDay like every run. A run
 * whose heartbeat stopped (its process died) reads as interrupted, and a new run of its day may start.
 */
import type { Clock } from '../domain/clock.ts';
import type { Db, Queryable } from '../store/db.ts';
import { ServiceError } from './errors.ts';
import { storedItemCounts, storedItems, type ReconcileItem, type ReconcileKind, type ReconcilePhase, type ReconcileReport } from './reconcile.ts';

/** How often a tracked run writes what changed, and how often it writes a heartbeat when nothing did. */
const PROGRESS_EVERY_MS = 1_000;
const HEARTBEAT_EVERY_MS = 5_000;
/** A running run whose heartbeat is older than this is interrupted: six heartbeats missed. */
export const RUN_STALE_AFTER_MS = 30_000;

/** Where a run is: staging the provider's list, classifying what it listed, or storing, confirming and importing. */
export type RunPhase = ReconcilePhase;
/** Items a run's page shows (differences first); the CSV has them all. */
export const RUN_PAGE_ITEMS = 1_000;

export interface ReconciliationRun {
  id: bigint;
  provider: string;
  day: string;
  /** `interrupted`: the process running it stopped (its heartbeat is older than RUN_STALE_AFTER_MS). */
  status: 'running' | 'clean' | 'mismatches' | 'failed' | 'interrupted';
  tolemCount: number;
  providerCount: number;
  matchedCount: number;
  mismatchCount: number;
  tolemTotalMinor: bigint;
  providerTotalMinor: bigint;
  confirmed: boolean;
  confirmation: string | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  /** Items classified of all (0 of 0 while the provider's list is fetched), as the running instance last wrote them. */
  progress: { done: number; total: number; phase: RunPhase | null };
  /** false: a large day, whose matched payments were counted, not stored one item each. */
  matchedItemsStored: boolean;
  /** The last sign of life of a tracked run; null for one that was not tracked (the daily job's). */
  heartbeatAt: Date | null;
  /** three_way: the agent's registry, the hub and the providers (three-way.ts); its provider is '*' for every provider. */
  mode: 'two_way' | 'three_way';
  agentId: bigint | null;
  agentRegistryId: bigint | null;
  agentCount: number;
  agentTotalMinor: bigint;
}

interface RunRow {
  id: bigint; provider: string; business_day: string | Date; status: ReconciliationRun['status']; tolem_count: number; provider_count: number;
  matched_count: number; mismatch_count: number; tolem_total_minor: bigint; provider_total_minor: bigint; confirmed: boolean;
  confirmation: string | null; error: string | null; started_at: Date; finished_at: Date | null;
  progress_done: number; progress_total: number; phase: RunPhase | null; heartbeat_at: Date | null; stale: boolean; matched_items_stored: boolean;
  mode: ReconciliationRun['mode']; agent_id: bigint | null; agent_registry_id: bigint | null; agent_count: number; agent_total_minor: bigint;
}

const dayText = (value: string | Date) => (value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10));

function toRun(row: RunRow): ReconciliationRun {
  return {
    id: BigInt(row.id), provider: row.provider, day: dayText(row.business_day), status: row.stale ? 'interrupted' : row.status, tolemCount: row.tolem_count,
    providerCount: row.provider_count, matchedCount: row.matched_count, mismatchCount: row.mismatch_count,
    tolemTotalMinor: BigInt(row.tolem_total_minor), providerTotalMinor: BigInt(row.provider_total_minor), confirmed: row.confirmed,
    confirmation: row.confirmation, error: row.error, startedAt: row.started_at, finishedAt: row.finished_at,
    progress: { done: row.progress_done, total: row.progress_total, phase: row.phase }, heartbeatAt: row.heartbeat_at,
    matchedItemsStored: row.matched_items_stored, mode: row.mode, agentId: row.agent_id === null ? null : BigInt(row.agent_id),
    agentRegistryId: row.agent_registry_id === null ? null : BigInt(row.agent_registry_id), agentCount: row.agent_count, agentTotalMinor: BigInt(row.agent_total_minor),
  };
}

/** A heartbeat is compared in the database's time, like leases: every instance reads the same now(). */
const STALE = `(status = 'running' AND heartbeat_at < now() - interval '${RUN_STALE_AFTER_MS} milliseconds')`;

const RUN_COLUMNS = `id, provider, business_day::text AS business_day, status, tolem_count, provider_count, matched_count, mismatch_count,
  tolem_total_minor, provider_total_minor, confirmed, confirmation, error, started_at, finished_at,
  progress_done, progress_total, phase, heartbeat_at, matched_items_stored, mode, agent_id, agent_registry_id, agent_count, agent_total_minor,
  ${STALE} AS stale`;

/** The latest runs, newest first (of one provider when named). */
export async function listReconciliationRuns(q: Queryable, provider?: string, limit = 50): Promise<ReconciliationRun[]> {
  const result = await q.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM reconciliation_runs WHERE ($1::text IS NULL OR provider = $1) ORDER BY id DESC LIMIT $2`,
    [provider ?? null, Math.min(Math.max(limit, 1), 500)],
  );
  return result.rows.map(toRun);
}

/**
 * A run with its first RUN_PAGE_ITEMS items (differences first) and its counts per class (matched from the run's row:
 * a large day stores them as a count only); undefined when there is none.
 */
export async function findReconciliationRun(q: Queryable, runId: bigint): Promise<{ run: ReconciliationRun; items: ReconcileItem[]; counts: Record<ReconcileKind, number> } | undefined> {
  const result = await q.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM reconciliation_runs WHERE id = $1`, [runId]);
  const row = result.rows[0];
  if (!row) return undefined;
  const run = toRun(row);
  const counts = await storedItemCounts(q, runId);
  return { run, items: await storedItems(q, runId, RUN_PAGE_ITEMS), counts: { ...counts, matched: Math.max(counts.matched, run.matchedCount) } };
}

/** A tracked run as the console's progress page polls it. Its id is the run's. */
export interface ReconciliationTask {
  id: string;
  provider: string;
  day: string;
  state: 'running' | 'done' | 'failed' | 'interrupted';
  /** Items classified so far of all; records staged of 0 (not known yet) while the provider's list streams in. */
  done: number;
  total: number;
  phase: RunPhase | null;
  runId: bigint;
  status: ReconciliationRun['status'];
  /** Why the run could not finish (a refusal's message, never a stack). */
  error?: string;
}

const TASK_STATE: Record<ReconciliationRun['status'], ReconciliationTask['state']> = {
  running: 'running', clean: 'done', mismatches: 'done', failed: 'failed', interrupted: 'interrupted',
};

/** The task view of a stored run, read from the store (whichever instance runs it); undefined when there is none. */
export async function reconciliationTask(q: Queryable, runId: bigint): Promise<ReconciliationTask | undefined> {
  const row = (await q.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM reconciliation_runs WHERE id = $1`, [runId])).rows[0];
  if (!row) return undefined;
  const run = toRun(row);
  return {
    id: run.id.toString(), provider: run.provider, day: run.day, state: TASK_STATE[run.status], done: run.progress.done,
    total: run.progress.total, phase: run.progress.phase, runId: run.id, status: run.status, ...(run.error ? { error: run.error } : {}),
  };
}

/** A three-way run's scope beside its provider and day: the agent (null: all) and the agent's registry. */
export interface ThreeWayClaim {
  agentId: bigint | null;
  registryId: bigint | null;
}

/**
 * Claims a new run of a provider's day for this process, in one transaction under a lock of that day (so two
 * instances asking at once get one run): a run of the day whose heartbeat stopped is marked interrupted first, and a
 * live one refuses the claim. Runs without a heartbeat (the daily job's) do not block. A three-way run is claimed
 * per provider (or '*'), agent and day, beside the two-way runs of the same day.
 */
export async function claimReconciliationRun(db: Db, provider: string, day: string, clock: Clock, threeWay?: ThreeWayClaim): Promise<bigint> {
  const mode = threeWay ? 'three_way' : 'two_way';
  const agentId = threeWay?.agentId ?? null;
  const same = `provider = $1 AND business_day = $2 AND mode = $3 AND agent_id IS NOT DISTINCT FROM $4::int8`;
  return db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock(8420014, hashtext($1))', [`${mode} ${provider} ${agentId ?? '*'} ${day}`]);
    await q.query(
      `UPDATE reconciliation_runs SET status = 'interrupted', finished_at = $5,
              error = 'interrupted: the process running it stopped (no heartbeat for ${RUN_STALE_AFTER_MS / 1000} s)'
        WHERE ${same} AND ${STALE}`,
      [provider, day, mode, agentId, clock.now()],
    );
    const live = await q.query(`SELECT 1 FROM reconciliation_runs WHERE ${same} AND status = 'running' AND heartbeat_at IS NOT NULL LIMIT 1`, [provider, day, mode, agentId]);
    if (live.rowCount > 0) throw new ServiceError('conflict', 'reconciliation_running', `a reconciliation of ${provider} ${day} is already running`);
    const claimed = await q.query<{ id: bigint }>(
      `INSERT INTO reconciliation_runs (provider, business_day, status, started_at, phase, heartbeat_at, mode, agent_id, agent_registry_id)
       VALUES ($1, $2, 'running', $5, 'listing', now(), $3, $4, $6) RETURNING id`,
      [provider, day, mode, agentId, clock.now(), threeWay?.registryId ?? null],
    );
    return BigInt(claimed.rows[0]!.id);
  });
}

/**
 * Runs `run` (the reconciliation of a claimed row) with its progress and heartbeat written to the row; a run that
 * throws is stored as failed with its message. The result itself is stored by reconcileProviderDay.
 */
export async function trackReconciliationRun<R = ReconcileReport>(
  db: Db, runId: bigint, run: (onProgress: (done: number, total: number, phase?: RunPhase) => void) => Promise<R>, clock: Clock,
): Promise<R> {
  const progress = new RunProgress(db, runId);
  try {
    const report = await run((done, total, phase) => progress.update(done, total, phase));
    await progress.stop();
    return report;
  } catch (error) {
    await progress.stop();
    await db.query(`UPDATE reconciliation_runs SET status = 'failed', error = $2, finished_at = $3 WHERE id = $1 AND status = 'running'`,
      [runId, error instanceof Error ? error.message.slice(0, 500) : 'failed', clock.now()]);
    throw error;
  }
}

/**
 * A tracked run's progress, written to its row from a timer: at most once a second when it changed, every few seconds
 * as a heartbeat when it did not. A write that fails is dropped (the next one carries the same news); a run whose
 * writes keep failing reads as interrupted, which is the truth as far as the other instances can know.
 */
class RunProgress {
  private done = 0;
  private total = 0;
  private phase: RunPhase = 'listing';
  private changed = false;
  private sinceWriteMs = 0;
  private writing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly db: Db, private readonly runId: bigint) {
    this.timer = setInterval(() => this.tick(), PROGRESS_EVERY_MS);
    this.timer.unref();
  }

  update(done: number, total: number, phase?: RunPhase): void {
    this.done = done;
    this.total = total;
    this.phase = phase ?? (done >= total ? 'finishing' : 'classifying');
    this.changed = true;
  }

  /** Stops the timer and writes the last counts (the run's own final UPDATE came first: its status is not touched). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.writing;
    await this.db.query('UPDATE reconciliation_runs SET progress_done = $2, progress_total = $3 WHERE id = $1', [this.runId, this.done, this.total])
      .catch(() => undefined);
  }

  private tick(): void {
    this.sinceWriteMs += PROGRESS_EVERY_MS;
    if (!this.changed && this.sinceWriteMs < HEARTBEAT_EVERY_MS) return;
    // One write at a time: a slow store skips ticks rather than piling writes up.
    this.writing = this.writing.then(() => this.write());
  }

  private async write(): Promise<void> {
    this.changed = false;
    this.sinceWriteMs = 0;
    await this.db.query(
      `UPDATE reconciliation_runs SET progress_done = $2, progress_total = $3, phase = $4, heartbeat_at = now() WHERE id = $1 AND status = 'running'`,
      [this.runId, this.done, this.total, this.phase],
    ).catch(() => undefined);
  }
}
