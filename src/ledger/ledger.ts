import type { Queryable } from '../store/db.ts';

/**
 * Double-entry ledger with two-phase transfers (after TigerBeetle). Every balance change is a transfer between two
 * accounts of the same currency; a reservation is a pending transfer that is later posted or voided, exactly once
 * (a unique index on pending_id enforces it).
 *
 * Agent accounts cache their totals, updated under a row lock in the same transaction as the transfer, because their
 * floor is checked on every reservation. Shared accounts (a provider's, funding, acquirer) are on the other side of
 * nearly every transfer: they keep no cached totals and are never locked, so agents do not queue behind one row;
 * their balance is summed from the transfers. Caches can be re-derived and checked at any time.
 */

export type AccountKind = 'agent' | 'provider' | 'funding' | 'acquirer' | 'correction';

export interface AccountBalance {
  accountId: bigint;
  currency: string;
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
}

/** Credit-normal balance (what we owe the account holder) after posted transfers only. */
export function postedBalance(account: AccountBalance): bigint {
  return account.creditsPosted - account.debitsPosted;
}

/** Posted balance less outgoing reservations: what an agent can still spend. */
export function availableBalance(account: AccountBalance): bigint {
  return account.creditsPosted - account.debitsPosted - account.debitsPending;
}

export class LedgerError extends Error {
  constructor(
    readonly code: 'currency_mismatch' | 'account_not_found' | 'pending_not_found' | 'already_resolved' | 'exceeds_floor',
    message: string,
  ) {
    super(message);
  }
}

export async function ensureAccount(q: Queryable, code: string, kind: AccountKind, currency: string): Promise<bigint> {
  return (await openAccount(q, code, kind, currency)).id;
}

/** The account with this code, created if missing; `created` tells whether this transaction created it (uncommitted). */
export async function openAccount(q: Queryable, code: string, kind: AccountKind, currency: string): Promise<{ id: bigint; created: boolean }> {
  const inserted = await q.query<{ id: bigint }>(
    `INSERT INTO ledger_accounts (code, kind, currency, cached) VALUES ($1, $2, $3, $4)
     ON CONFLICT (code) DO NOTHING RETURNING id`,
    [code, kind, currency, kind === 'agent'],
  );
  if (inserted.rows[0]) return { id: inserted.rows[0].id, created: true };
  const existing = await q.query<{ id: bigint; currency: string }>('SELECT id, currency FROM ledger_accounts WHERE code = $1', [code]);
  const row = existing.rows[0];
  if (!row) throw new LedgerError('account_not_found', `account ${code} vanished`);
  if (row.currency !== currency) throw new LedgerError('currency_mismatch', `account ${code} is in ${row.currency}, not ${currency}`);
  return { id: row.id, created: false };
}

const BALANCE_COLUMNS = `id AS "accountId", currency, debits_posted AS "debitsPosted", credits_posted AS "creditsPosted",
  debits_pending AS "debitsPending", credits_pending AS "creditsPending"`;

/** Totals of an account from its transfers (how shared accounts are read; how cached ones are checked). */
const DERIVED_BALANCE = `SELECT a.id AS "accountId", a.currency,
    COALESCE(SUM(CASE WHEN t.debit_account_id = a.id AND t.kind IN ('single', 'post') THEN t.amount_minor END), 0)::bigint AS "debitsPosted",
    COALESCE(SUM(CASE WHEN t.credit_account_id = a.id AND t.kind IN ('single', 'post') THEN t.amount_minor END), 0)::bigint AS "creditsPosted",
    COALESCE(SUM(CASE WHEN t.debit_account_id = a.id THEN CASE t.kind WHEN 'pending' THEN t.amount_minor WHEN 'single' THEN 0 ELSE -t.amount_minor END END), 0)::bigint AS "debitsPending",
    COALESCE(SUM(CASE WHEN t.credit_account_id = a.id THEN CASE t.kind WHEN 'pending' THEN t.amount_minor WHEN 'single' THEN 0 ELSE -t.amount_minor END END), 0)::bigint AS "creditsPending"
  FROM ledger_accounts a LEFT JOIN ledger_transfers t ON t.debit_account_id = a.id OR t.credit_account_id = a.id
  WHERE a.id = $1 GROUP BY a.id, a.currency`;

export async function getBalance(q: Queryable, accountId: bigint, lock = false): Promise<AccountBalance> {
  const result = await q.query<AccountBalance & { cached: boolean }>(
    `SELECT ${BALANCE_COLUMNS}, cached FROM ledger_accounts WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`,
    [accountId],
  );
  const row = result.rows[0];
  if (!row) throw new LedgerError('account_not_found', `ledger account ${accountId} not found`);
  if (row.cached) return row;
  const derived = await q.query<AccountBalance>(DERIVED_BALANCE, [accountId]);
  return derived.rows[0]!;
}

export interface TransferInput {
  debitAccountId: bigint;
  creditAccountId: bigint;
  amountMinor: bigint;
  currency: string;
  reason: string;
  paymentId?: bigint;
  /** The debit account's balance may not go below this after the transfer (agents' overdraft floor). */
  debitFloorMinor?: bigint;
  /** When it happened, from the caller's clock (the day it counts in); default: the database's now(). */
  at?: Date;
}

const REFUSALS: Record<string, [LedgerError['code'], string]> = {
  pending_not_found: ['pending_not_found', 'pending transfer not found'],
  already_resolved: ['already_resolved', 'pending transfer was already posted or voided'],
  account_not_found: ['account_not_found', 'transfer between unknown accounts'],
  currency_mismatch: ['currency_mismatch', 'an account of the transfer is in another currency'],
  floor_needs_cached_account: ['account_not_found', 'a floor can only be kept on an account with cached totals'],
  exceeds_floor: ['exceeds_floor', 'transfer would take the account below its floor'],
};

/**
 * One transfer in one round trip: `ledger_apply` (migration 016) loads a pending transfer being resolved, locks the
 * cached accounts in id order (two transfers between the same pair never deadlock; shared accounts are not locked at
 * all), checks currency and the optional floor of the debit side, inserts the transfer and updates the cached totals.
 * A refusal comes back as a code (the caller's transaction stays usable) and is thrown here as a LedgerError.
 */
async function apply(q: Queryable, kind: 'single' | 'pending' | 'post' | 'void', input: TransferInput | null, pendingId: bigint | null, reason: string, at: Date | undefined): Promise<bigint> {
  const result = await q.query<{ transfer_id: bigint | null; error: string | null }>(
    'SELECT transfer_id, error FROM ledger_apply($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
    [kind, input?.debitAccountId ?? null, input?.creditAccountId ?? null, input?.amountMinor ?? null, input?.currency ?? null, pendingId,
      reason, input?.paymentId ?? null, at ?? null, input?.debitFloorMinor ?? null],
  );
  const row = result.rows[0]!;
  if (row.error !== null) {
    const [code, message] = REFUSALS[row.error] ?? ['account_not_found', row.error];
    throw new LedgerError(code, pendingId === null ? message : `${message} (pending transfer ${pendingId})`);
  }
  return row.transfer_id!;
}

/** A transfer posted at once: top-ups, corrections, acquirer settlements. */
export async function transfer(q: Queryable, input: TransferInput): Promise<bigint> {
  return apply(q, 'single', input, null, input.reason, input.at);
}

/** A reservation: the amount stops being available to the debit account until it is posted or voided. */
export async function reserve(q: Queryable, input: TransferInput): Promise<bigint> {
  return apply(q, 'pending', input, null, input.reason, input.at);
}

/** Posts a reservation: the pending amounts move to posted on both sides. */
export async function postPending(q: Queryable, pendingId: bigint, reason: string, at?: Date): Promise<bigint> {
  return apply(q, 'post', null, pendingId, reason, at);
}

/** Voids a reservation: the amount becomes available to the debit account again. */
export async function voidPending(q: Queryable, pendingId: bigint, reason: string, at?: Date): Promise<bigint> {
  return apply(q, 'void', null, pendingId, reason, at);
}

export interface InvariantReport {
  ok: boolean;
  problems: string[];
}

/**
 * The ledger's invariants, checked from the transfer rows themselves:
 * - per currency, all posted balances sum to zero, and so do all pending ones (a transfer across currencies breaks it);
 * - every cached account's totals equal the sums of its transfers;
 * - every pending transfer is resolved at most once (also a unique index), and no agent is below its floor.
 */
export async function checkInvariants(q: Queryable): Promise<InvariantReport> {
  const problems: string[] = [];
  const sums = await q.query<{ currency: string; posted: string; pending: string }>(
    `WITH sides AS (
       SELECT a.currency, t.kind, -t.amount_minor AS amount FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.debit_account_id
       UNION ALL
       SELECT a.currency, t.kind, t.amount_minor FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.credit_account_id)
     SELECT currency,
            COALESCE(SUM(CASE WHEN kind IN ('single', 'post') THEN amount END), 0)::text AS posted,
            COALESCE(SUM(CASE WHEN kind = 'pending' THEN amount WHEN kind IN ('post', 'void') THEN -amount END), 0)::text AS pending
       FROM sides GROUP BY currency`,
  );
  for (const row of sums.rows) {
    if (row.posted !== '0' || row.pending !== '0') problems.push(`${row.currency}: posted sum ${row.posted}, pending sum ${row.pending}`);
  }
  const drift = await q.query<{ code: string }>(
    `WITH effect AS (
       SELECT t.debit_account_id AS account_id,
              CASE WHEN t.kind IN ('single', 'post') THEN t.amount_minor ELSE 0 END AS d_posted, 0::bigint AS c_posted,
              CASE WHEN t.kind = 'pending' THEN t.amount_minor WHEN t.kind IN ('post', 'void') THEN -t.amount_minor ELSE 0 END AS d_pending,
              0::bigint AS c_pending
         FROM ledger_transfers t
       UNION ALL
       SELECT t.credit_account_id, 0, CASE WHEN t.kind IN ('single', 'post') THEN t.amount_minor ELSE 0 END,
              0, CASE WHEN t.kind = 'pending' THEN t.amount_minor WHEN t.kind IN ('post', 'void') THEN -t.amount_minor ELSE 0 END
         FROM ledger_transfers t)
     SELECT a.code FROM ledger_accounts a
       LEFT JOIN (SELECT account_id, SUM(d_posted) dp, SUM(c_posted) cp, SUM(d_pending) dpe, SUM(c_pending) cpe
                    FROM effect GROUP BY account_id) e ON e.account_id = a.id
      WHERE a.cached AND (a.debits_posted <> COALESCE(e.dp, 0) OR a.credits_posted <> COALESCE(e.cp, 0)
         OR a.debits_pending <> COALESCE(e.dpe, 0) OR a.credits_pending <> COALESCE(e.cpe, 0))`,
  );
  for (const row of drift.rows) problems.push(`account ${row.code}: cached totals differ from its transfers`);
  const belowFloor = await q.query<{ id: bigint }>(
    `SELECT g.id FROM agents g JOIN ledger_accounts a ON a.id = g.ledger_account_id
      WHERE a.credits_posted - a.debits_posted - a.debits_pending < g.overdraft_minor`,
  );
  for (const row of belowFloor.rows) problems.push(`agent ${row.id} is below its overdraft floor`);
  return { ok: problems.length === 0, problems };
}
