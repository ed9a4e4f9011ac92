/**
 * The console's own reads that no other service has: the counters of its menu and dashboard, and the agents below
 * their notification threshold with the forecast of when each runs out at its current rate of spending.
 */
import type { CircuitState } from './provider-circuits.ts';
import type { Clock } from '../domain/clock.ts';
import type { Queryable } from '../store/db.ts';
import type { PaymentSummary } from './payment-search.ts';

export interface ConsoleCounts {
  /** Payments the provider has not answered finally yet (accepted) or waiting for funds (waiting, 220). */
  pending: number;
  /** Held for the security service (153). */
  review: number;
  /** Open attention items. */
  attention: number;
  /** Money movements waiting for a second operator. */
  proposals: number;
}

export async function consoleCounts(q: Queryable, open: () => Promise<Record<'waiting' | 'review' | 'accepted', number>>): Promise<ConsoleCounts> {
  const [states, rest] = await Promise.all([
    open(),
    q.query<{ attention: bigint; proposals: bigint }>(
      `SELECT (SELECT count(*) FROM attention_items WHERE resolved_at IS NULL)::bigint AS attention,
              (SELECT count(*) FROM money_proposals WHERE state = 'proposed')::bigint AS proposals`),
  ]);
  const row = rest.rows[0];
  return {
    pending: states.accepted + states.waiting, review: states.review,
    attention: Number(row?.attention ?? 0n), proposals: Number(row?.proposals ?? 0n),
  };
}

export interface LowAgent {
  id: bigint;
  name: string;
  currency: string;
  availableMinor: bigint;
  notificationMinor: bigint;
  /** What it spent in the last hour (payments accepted, by their amount debited). */
  spentLastHourMinor: bigint;
  /** When the available balance reaches the overdraft floor at that rate; null when it spends nothing. */
  runsOutAt: Date | null;
}

const HOUR_MS = 3_600_000;

/** Agents whose available balance is below their notification threshold, lowest first. */
export async function lowAgents(q: Queryable, clock: Clock): Promise<LowAgent[]> {
  const now = clock.now();
  const rows = await q.query<{
    id: bigint; name: string; currency: string; notification_minor: bigint; overdraft_minor: bigint; available: bigint; spent: bigint;
  }>(
    `SELECT a.id, a.name, a.currency, a.notification_minor, a.overdraft_minor,
            (l.credits_posted - l.debits_posted - l.debits_pending) AS available,
            COALESCE((SELECT sum(COALESCE(p.amount_from_minor, p.amount_to_minor)) FROM payments p
                       WHERE p.agent_id = a.id AND p.paid_at >= $1 AND p.paid_at < $2 AND p.state IN ('accepted', 'succeeded')), 0)::bigint AS spent
       FROM agents a JOIN ledger_accounts l ON l.id = a.ledger_account_id
      WHERE a.notification_minor IS NOT NULL AND (l.credits_posted - l.debits_posted - l.debits_pending) < a.notification_minor
      ORDER BY available`,
    [new Date(now.getTime() - HOUR_MS), now],
  );
  return rows.rows.map((row) => {
    const left = row.available - row.overdraft_minor;
    const runsOutAt = row.spent > 0n && left > 0n ? new Date(now.getTime() + Number((left * BigInt(HOUR_MS)) / row.spent)) : row.spent > 0n ? now : null;
    return {
      id: row.id, name: row.name, currency: row.currency, availableMinor: row.available, notificationMinor: row.notification_minor,
      spentLastHourMinor: row.spent, runsOutAt,
    };
  });
}


/** A registry line: the payment's summary as the search shows it, fewer fields; a succeeded payment has its status time. */
export type RegistryLine = Pick<PaymentSummary,
  'transactionId' | 'agentId' | 'agentTransactionId' | 'serviceId' | 'account' | 'currency' | 'amountToMinor' | 'providerRef' | 'paidAt'>
  & { statusAt: Date };

/** A registry holds at most this many lines (a provider's month is far below it); more is a narrower period. */
export const REGISTRY_MAX_LINES = 100_000;

/**
 * A provider's registry: its succeeded payments whose final status fell in [from, to), by that time (the index
 * payments_provider_day), as the partners' own registries and the reconciliation count them.
 */
export async function providerRegistry(q: Queryable, provider: string, from: Date, to: Date): Promise<{ lines: RegistryLine[]; capped: boolean }> {
  const rows = await q.query<{
    id: bigint; agent_id: bigint; agent_txn_id: bigint; service_id: string; account: string; currency: string;
    amount_to_minor: bigint | null; provider_ref: string | null; paid_at: Date | null; status_at: Date;
  }>(
    `SELECT id, agent_id, agent_txn_id, service_id, account, currency, amount_to_minor, provider_ref, paid_at, status_at
       FROM payments WHERE provider = $1 AND state = 'succeeded' AND status_at >= $2 AND status_at < $3
      ORDER BY status_at, id LIMIT ${REGISTRY_MAX_LINES + 1}`,
    [provider, from, to],
  );
  const lines = rows.rows.slice(0, REGISTRY_MAX_LINES).map((row) => ({
    transactionId: row.id, agentId: row.agent_id, agentTransactionId: row.agent_txn_id, serviceId: row.service_id, account: row.account,
    currency: row.currency, amountToMinor: row.amount_to_minor, providerRef: row.provider_ref, paidAt: row.paid_at, statusAt: row.status_at,
  }));
  return { lines, capped: rows.rows.length > REGISTRY_MAX_LINES };
}

export interface ProviderHealth {
  partner: string;
  calls: number;
  /** Calls that got no answer (timeout, network, too large) or an HTTP 5xx. */
  errors: number;
  errorRate: number;
  avgMs: number;
  p95Ms: number;
  /** Payments with this provider still open whose last outcome is unknown (asked again by the drive). */
  unknown: number;
  /** This instance's circuit for the provider (absent for acquirers, and for a provider not called since the start). */
  circuit?: CircuitState;
}

/**
 * How the partners we call are doing over the last `minutes`: outbound exchanges (every provider and acquirer call
 * is journaled) by partner, with latency and failures, and the open payments whose outcome is unknown.
 */
export async function providerHealth(q: Queryable, clock: Clock, minutes: number): Promise<ProviderHealth[]> {
  const now = clock.now();
  const calls = await q.query<{ partner: string; calls: bigint; errors: bigint; avg_ms: number | null; p95_ms: number | null }>(
    `SELECT partner, count(*)::bigint AS calls,
            count(*) FILTER (WHERE outcome <> 'response' OR response_status >= 500)::bigint AS errors,
            avg(duration_ms)::float8 AS avg_ms, percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)::float8 AS p95_ms
       FROM partner_exchanges WHERE direction = 'outbound' AND started_at >= $1 AND started_at <= $2 GROUP BY partner ORDER BY partner`,
    [new Date(now.getTime() - minutes * 60_000), now],
  );
  const unknown = await q.query<{ provider: string; n: bigint }>(
    `SELECT provider, count(*)::bigint AS n FROM payments WHERE state = 'accepted' AND provider_outcome = 'unknown' GROUP BY provider`);
  const unknownBy = new Map(unknown.rows.map((row) => [row.provider, Number(row.n)]));
  const partners = new Set([...calls.rows.map((row) => row.partner), ...unknownBy.keys()]);
  return [...partners].sort().map((partner) => {
    const row = calls.rows.find((r) => r.partner === partner);
    const n = Number(row?.calls ?? 0n);
    const errors = Number(row?.errors ?? 0n);
    return {
      partner, calls: n, errors, errorRate: n === 0 ? 0 : errors / n,
      avgMs: Math.round(row?.avg_ms ?? 0), p95Ms: Math.round(row?.p95_ms ?? 0), unknown: unknownBy.get(partner) ?? 0,
    };
  });
}
