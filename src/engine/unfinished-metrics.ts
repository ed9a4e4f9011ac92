/**
 * Operational guarantees as metrics: how many payments are not final, how old the oldest is, how many outcomes are
 * unknown at each provider, and the bound the hub promises ("every payment is final within N"), so that a scraper
 * (and the reliability campaign) can alert on a broken promise instead of an operator finding it on the attention list.
 *
 * Read from the database on each scrape (one grouped query over the unfinished payments' partial index, at most once
 * a second however many scrapers ask): the figures are the store's, the same for every instance.
 */
import { Gauge } from 'prom-client';
import type { Clock } from '../domain/clock.ts';
import type { Db } from '../store/db.ts';
import type { EngineMetrics } from './metrics.ts';

interface UnfinishedGroup {
  state: string;
  provider: string;
  outcome: string | null;
  n: bigint;
  oldest: Date;
  /** Of them, the ones older than the bound. */
  pastBound: bigint;
}

interface Snapshot {
  ok: boolean;
  groups: UnfinishedGroup[];
  at: Date;
}

const SNAPSHOT_MS = 1_000;

export function watchUnfinishedPayments(metrics: EngineMetrics, db: Db, clock: Clock, finalBoundMs: number): void {
  let last: { takenMs: number; snapshot: Promise<Snapshot> } | undefined;
  const snapshot = (): Promise<Snapshot> => {
    const nowMs = Date.now(); // the cache's own pacing, not a business time
    if (!last || nowMs - last.takenMs >= SNAPSHOT_MS) last = { takenMs: nowMs, snapshot: readUnfinished(db, clock) };
    return last.snapshot;
  };
  const registers = [metrics.registry];

  new Gauge({
    name: 'tolem_final_bound_seconds', help: 'The published bound: every accepted payment is final within this', registers,
    collect() {
      this.set(finalBoundMs / 1000);
    },
  });
  new Gauge({
    name: 'tolem_unfinished_payments', help: 'Payments accepted or waiting for funds, not final yet', labelNames: ['state'], registers,
    async collect() {
      const { groups } = await snapshot();
      this.reset();
      for (const state of ['accepted', 'waiting']) this.set({ state }, sum(groups.filter((g) => g.state === state)));
    },
  });
  new Gauge({
    name: 'tolem_oldest_unfinished_payment_age_seconds', help: 'Age of the oldest payment not final yet (0: none)', registers,
    async collect() {
      const { groups, at } = await snapshot();
      this.set(ageSeconds(groups, at));
    },
  });
  new Gauge({
    name: 'tolem_unfinished_past_bound', help: 'Payments not final past the published bound (a broken promise: each is on the attention list)', registers,
    async collect() {
      const { groups } = await snapshot();
      this.set(sum(groups, (g) => g.pastBound));
    },
  });
  new Gauge({
    name: 'tolem_unknown_outcomes', help: 'Accepted payments whose provider outcome is unknown or pending, by provider', labelNames: ['provider', 'outcome'], registers,
    async collect() {
      const { groups } = await snapshot();
      this.reset();
      for (const group of groups) {
        if (group.state === 'accepted' && (group.outcome === 'unknown' || group.outcome === 'pending')) {
          this.inc({ provider: group.provider, outcome: group.outcome }, Number(group.n));
        }
      }
    },
  });
  new Gauge({
    name: 'tolem_unfinished_query_ok', help: '1 when the unfinished payments could be read on this scrape, 0 when the store did not answer', registers,
    async collect() {
      this.set((await snapshot()).ok ? 1 : 0);
    },
  });

  async function readUnfinished(store: Db, time: Clock): Promise<Snapshot> {
    const at = time.now();
    try {
      const result = await store.query<UnfinishedGroup>(
        `SELECT state, provider, provider_outcome AS outcome, count(*) AS n, min(COALESCE(paid_at, created_at)) AS oldest,
                count(*) FILTER (WHERE COALESCE(paid_at, created_at) < $1::timestamptz - $2 * interval '1 millisecond') AS "pastBound"
           FROM payments WHERE state IN ('waiting', 'accepted') GROUP BY 1, 2, 3`,
        [at, finalBoundMs],
      );
      return { ok: true, groups: result.rows, at };
    } catch {
      return { ok: false, groups: [], at };
    }
  }
}

function sum(groups: UnfinishedGroup[], pick: (group: UnfinishedGroup) => bigint = (g) => g.n): number {
  return groups.reduce((total, group) => total + Number(pick(group)), 0);
}

function ageSeconds(groups: UnfinishedGroup[], at: Date): number {
  if (groups.length === 0) return 0;
  const oldest = Math.min(...groups.map((group) => group.oldest.getTime()));
  return Math.max(0, Math.round((at.getTime() - oldest) / 1000));
}
