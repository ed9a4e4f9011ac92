/**
 * The operators' payment search: every filter combines with every other (AND), pages go by keyset on the payment id
 * (newest first, stable while new payments arrive), and the total is counted up to a cap so a broad search stays
 * cheap. Also the dashboard's aggregates (payments per minute, success rate by service and by agent) and the agents
 * list with their balances.
 */
import type { Clock } from '../domain/clock.ts';
import type { PaymentState } from '../domain/payment.ts';
import type { Queryable } from '../store/db.ts';

export interface PaymentFilters {
  agentId?: bigint;
  serviceId?: string;
  /** The account as typed: exact match. */
  account?: string;
  states?: PaymentState[];
  resultCode?: number;
  /** Created at or after this instant. */
  from?: Date;
  /** Created before this instant. */
  to?: Date;
  /** amountTo in minor units, inclusive. */
  minAmountMinor?: bigint;
  maxAmountMinor?: bigint;
  /** Tolem's transactionId. */
  transactionId?: bigint;
  agentTransactionId?: bigint;
}

export interface PaymentPage {
  /** The `nextAfter` of the previous page: payments with a smaller id. */
  after?: bigint;
  /** 1-200, default 50. */
  limit?: number;
}

export interface PaymentSummary {
  transactionId: bigint;
  agentId: bigint;
  agentTransactionId: bigint;
  serviceId: string;
  account: string;
  currency: string;
  amountToMinor: bigint | null;
  amountFromMinor: bigint | null;
  state: PaymentState;
  resultCode: number;
  resultMessage: string;
  provider: string;
  providerRef: string | null;
  createdAt: Date;
  paidAt: Date | null;
  statusAt: Date | null;
}

export interface PaymentSearchResult {
  payments: PaymentSummary[];
  /** Pass as `after` for the next page; null on the last one. */
  nextAfter: bigint | null;
  /** How many match, counted up to `totalCap`; `totalCapped` says there are more. */
  total: number;
  totalCapped: boolean;
}

export const SEARCH_TOTAL_CAP = 10_000;

interface SummaryRow {
  id: bigint; agent_id: bigint; agent_txn_id: bigint; service_id: string; account: string; currency: string;
  amount_to_minor: bigint | null; amount_from_minor: bigint | null; state: PaymentState; result_code: number;
  result_message: string; provider: string; provider_ref: string | null; created_at: Date; paid_at: Date | null; status_at: Date | null;
}

function toSummary(row: SummaryRow): PaymentSummary {
  return {
    transactionId: row.id, agentId: row.agent_id, agentTransactionId: row.agent_txn_id, serviceId: row.service_id,
    account: row.account, currency: row.currency, amountToMinor: row.amount_to_minor, amountFromMinor: row.amount_from_minor,
    state: row.state, resultCode: row.result_code, resultMessage: row.result_message, provider: row.provider,
    providerRef: row.provider_ref, createdAt: row.created_at, paidAt: row.paid_at, statusAt: row.status_at,
  };
}

/** The WHERE clause of the filters, with its parameters; each filter adds one condition. */
function filterClause(filters: PaymentFilters): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replaceAll('?', `$${params.length}`));
  };
  if (filters.agentId !== undefined) add('agent_id = ?', filters.agentId);
  if (filters.serviceId) add('service_id = ?', filters.serviceId);
  if (filters.account) add('account = ?', filters.account);
  if (filters.states?.length) add('state = ANY(?::text[])', filters.states);
  if (filters.resultCode !== undefined) add('result_code = ?', filters.resultCode);
  if (filters.from) add('created_at >= ?', filters.from);
  if (filters.to) add('created_at < ?', filters.to);
  if (filters.minAmountMinor !== undefined) add('amount_to_minor >= ?', filters.minAmountMinor);
  if (filters.maxAmountMinor !== undefined) add('amount_to_minor <= ?', filters.maxAmountMinor);
  if (filters.transactionId !== undefined) add('id = ?', filters.transactionId);
  if (filters.agentTransactionId !== undefined) add('agent_txn_id = ?', filters.agentTransactionId);
  return { where, params };
}

export async function searchPayments(q: Queryable, filters: PaymentFilters = {}, page: PaymentPage = {}, totalCap = SEARCH_TOTAL_CAP): Promise<PaymentSearchResult> {
  const { where, params } = filterClause(filters);
  const limit = Math.min(Math.max(Math.trunc(page.limit ?? 50), 1), 200);
  const matching = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const counted = await q.query<{ n: bigint }>(`SELECT count(*)::bigint AS n FROM (SELECT 1 FROM payments ${matching} LIMIT ${totalCap + 1}) m`, params);
  const paged = page.after !== undefined ? [...where, `id < $${params.length + 1}`] : where;
  const rows = await q.query<SummaryRow>(
    `SELECT id, agent_id, agent_txn_id, service_id, account, currency, amount_to_minor, amount_from_minor, state, result_code,
            result_message, provider, provider_ref, created_at, paid_at, status_at
       FROM payments ${paged.length ? `WHERE ${paged.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit + 1}`,
    page.after !== undefined ? [...params, page.after] : params,
  );
  const payments = rows.rows.slice(0, limit).map(toSummary);
  const n = Number(counted.rows[0]?.n ?? 0n);
  return {
    payments,
    nextAfter: rows.rows.length > limit ? payments.at(-1)!.transactionId : null,
    total: Math.min(n, totalCap),
    totalCapped: n > totalCap,
  };
}

// ---- the dashboard ----

export interface RateGroup {
  /** The serviceId or the agent id (as text). */
  key: string;
  total: number;
  succeeded: number;
  failed: number;
  /** succeeded / (succeeded + failed): payments still open do not count; null when none ended. */
  successRate: number | null;
  /** Payments created in each minute of the window, oldest first (length = window minutes). */
  perMinute: number[];
}

export interface PaymentRates {
  from: Date;
  to: Date;
  minutes: number;
  groups: RateGroup[];
}

/**
 * Payments per minute and success rate over the last `minutes` (1-1440) by service or by agent, from the engine's
 * clock. Pays only (checks are not payments): rows that reached `accepted` at least once, i.e. have a paid_at.
 */
export async function paymentsPerMinute(q: Queryable, options: { by: 'service' | 'agent'; minutes?: number }, clock: Clock): Promise<PaymentRates> {
  const minutes = Math.min(Math.max(Math.trunc(options.minutes ?? 60), 1), 1_440);
  const to = clock.now();
  const from = new Date(to.getTime() - minutes * 60_000);
  const key = options.by === 'service' ? 'service_id' : 'agent_id::text';
  const rows = await q.query<{ key: string; minute: number; total: bigint; succeeded: bigint; failed: bigint }>(
    `SELECT ${key} AS key, floor(extract(epoch FROM (paid_at - $1::timestamptz)) / 60)::int AS minute,
            count(*)::bigint AS total, count(*) FILTER (WHERE state = 'succeeded')::bigint AS succeeded,
            count(*) FILTER (WHERE state IN ('failed', 'cancelled'))::bigint AS failed
       FROM payments WHERE paid_at >= $1 AND paid_at < $2 GROUP BY 1, 2 ORDER BY 1, 2`,
    [from, to],
  );
  const groups = new Map<string, RateGroup>();
  for (const row of rows.rows) {
    const group = groups.get(row.key) ?? { key: row.key, total: 0, succeeded: 0, failed: 0, successRate: null, perMinute: new Array<number>(minutes).fill(0) };
    group.total += Number(row.total);
    group.succeeded += Number(row.succeeded);
    group.failed += Number(row.failed);
    if (row.minute >= 0 && row.minute < minutes) group.perMinute[row.minute]! += Number(row.total);
    groups.set(row.key, group);
  }
  for (const group of groups.values()) {
    const ended = group.succeeded + group.failed;
    group.successRate = ended === 0 ? null : group.succeeded / ended;
  }
  return { from, to, minutes, groups: [...groups.values()] };
}

/** The same figures as paymentsPerMinute, named for what the dashboard's second chart shows. */
export const successRates = paymentsPerMinute;

/** How many payments wait in each open state (the dashboard's counters). */
export async function openPaymentCounts(q: Queryable): Promise<Record<'waiting' | 'review' | 'accepted', number>> {
  const rows = await q.query<{ state: string; n: bigint }>(
    `SELECT state, count(*)::bigint AS n FROM payments WHERE state IN ('waiting', 'review', 'accepted') GROUP BY state`);
  const counts = { waiting: 0, review: 0, accepted: 0 };
  for (const row of rows.rows) counts[row.state as keyof typeof counts] = Number(row.n);
  return counts;
}

// ---- agents with their balances ----

export interface AgentListing {
  id: bigint;
  name: string;
  currency: string;
  enabled: boolean;
  postedMinor: bigint;
  reservedMinor: bigint;
  availableMinor: bigint;
  overdraftMinor: bigint;
  notificationMinor: bigint | null;
  belowNotification: boolean;
  /** The hub's own agents (the checkout's) are listed too; this tells them apart. */
  internal: boolean;
}

/** Every agent with its balance (read from the cached totals of its ledger account), by id. */
export async function listAgents(q: Queryable): Promise<AgentListing[]> {
  const rows = await q.query<{
    id: bigint; name: string; currency: string; enabled: boolean; overdraft_minor: bigint; notification_minor: bigint | null;
    below_notification: boolean; credits_posted: bigint; debits_posted: bigint; debits_pending: bigint; internal: boolean;
  }>(
    `SELECT a.id, a.name, a.currency, a.enabled, a.overdraft_minor, a.notification_minor, a.below_notification,
            l.credits_posted, l.debits_posted, l.debits_pending,
            EXISTS (SELECT 1 FROM checkout_agents c WHERE c.agent_id = a.id) AS internal
       FROM agents a JOIN ledger_accounts l ON l.id = a.ledger_account_id ORDER BY a.id`,
  );
  return rows.rows.map((row) => ({
    id: row.id, name: row.name, currency: row.currency, enabled: row.enabled,
    postedMinor: row.credits_posted - row.debits_posted, reservedMinor: row.debits_pending,
    availableMinor: row.credits_posted - row.debits_posted - row.debits_pending,
    overdraftMinor: row.overdraft_minor, notificationMinor: row.notification_minor, belowNotification: row.below_notification,
    internal: row.internal,
  }));
}
