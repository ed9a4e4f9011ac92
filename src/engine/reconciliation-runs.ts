/**
 * Reconciliation as the console runs it: the stored runs (reconciliation_runs and their items), and on-demand runs as
 * tracked background tasks whose progress a page polls. A task lives in this process (a run is short: one provider
 * list and an in-memory classification); what it finds is stored by reconcileProviderDay like every run, so a
 * restart loses only the progress bar, never a result.
 */
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../store/db.ts';
import { ServiceError } from './errors.ts';
import { storedItems, type ReconcileItem, type ReconcileReport } from './reconcile.ts';

export interface ReconciliationRun {
  id: bigint;
  provider: string;
  day: string;
  status: 'running' | 'clean' | 'mismatches' | 'failed';
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
}

interface RunRow {
  id: bigint; provider: string; business_day: string | Date; status: ReconciliationRun['status']; tolem_count: number; provider_count: number;
  matched_count: number; mismatch_count: number; tolem_total_minor: bigint; provider_total_minor: bigint; confirmed: boolean;
  confirmation: string | null; error: string | null; started_at: Date; finished_at: Date | null;
}

const dayText = (value: string | Date) => (value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10));

function toRun(row: RunRow): ReconciliationRun {
  return {
    id: BigInt(row.id), provider: row.provider, day: dayText(row.business_day), status: row.status, tolemCount: row.tolem_count,
    providerCount: row.provider_count, matchedCount: row.matched_count, mismatchCount: row.mismatch_count,
    tolemTotalMinor: BigInt(row.tolem_total_minor), providerTotalMinor: BigInt(row.provider_total_minor), confirmed: row.confirmed,
    confirmation: row.confirmation, error: row.error, startedAt: row.started_at, finishedAt: row.finished_at,
  };
}

const RUN_COLUMNS = `id, provider, business_day::text AS business_day, status, tolem_count, provider_count, matched_count, mismatch_count,
  tolem_total_minor, provider_total_minor, confirmed, confirmation, error, started_at, finished_at`;

/** The latest runs, newest first (of one provider when named). */
export async function listReconciliationRuns(q: Queryable, provider?: string, limit = 50): Promise<ReconciliationRun[]> {
  const result = await q.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM reconciliation_runs WHERE ($1::text IS NULL OR provider = $1) ORDER BY id DESC LIMIT $2`,
    [provider ?? null, Math.min(Math.max(limit, 1), 500)],
  );
  return result.rows.map(toRun);
}

/** A run with its classified items; undefined when there is none. */
export async function findReconciliationRun(q: Queryable, runId: bigint): Promise<{ run: ReconciliationRun; items: ReconcileItem[] } | undefined> {
  const result = await q.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM reconciliation_runs WHERE id = $1`, [runId]);
  const row = result.rows[0];
  return row ? { run: toRun(row), items: await storedItems(q, runId) } : undefined;
}

export interface ReconciliationTask {
  id: string;
  provider: string;
  day: string;
  state: 'running' | 'done' | 'failed';
  /** Items classified so far of all; 0 of 0 while the provider's list is being fetched. */
  done: number;
  total: number;
  runId?: bigint;
  status?: ReconcileReport['status'];
  /** Why the run could not start or finish (a refusal's message, never a stack). */
  error?: string;
}

const KEEP_TASKS = 50;

/** On-demand runs in the background: one per provider and day at a time; the last few kept for their pages. */
export class ReconciliationTasks {
  private readonly tasks = new Map<string, ReconciliationTask>();

  /**
   * Starts `run` (the audited reconciliation of admin services) in the background and returns its task at once.
   * A run of the same provider and day already going is refused.
   */
  start(provider: string, day: string, run: (onProgress: (done: number, total: number) => void) => Promise<ReconcileReport>): ReconciliationTask {
    for (const task of this.tasks.values()) {
      if (task.state === 'running' && task.provider === provider && task.day === day) {
        throw new ServiceError('conflict', 'reconciliation_running', `a reconciliation of ${provider} ${day} is already running`);
      }
    }
    const task: ReconciliationTask = { id: randomBytes(9).toString('base64url'), provider, day, state: 'running', done: 0, total: 0 };
    this.remember(task);
    void run((done, total) => Object.assign(task, { done, total })).then(
      (report) => Object.assign(task, { state: report.status === 'failed' ? 'failed' : 'done', runId: report.runId, status: report.status, ...(report.error ? { error: report.error } : {}) }),
      (error: unknown) => Object.assign(task, { state: 'failed', error: error instanceof Error ? error.message : 'failed' }),
    );
    return task;
  }

  get(id: string): ReconciliationTask | undefined {
    return this.tasks.get(id);
  }

  private remember(task: ReconciliationTask): void {
    this.tasks.set(task.id, task);
    for (const [id, old] of this.tasks) {
      if (this.tasks.size <= KEEP_TASKS) break;
      if (old.state !== 'running') this.tasks.delete(id);
    }
  }
}
