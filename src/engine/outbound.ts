import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Queryable } from '../store/db.ts';

/**
 * Ask before you pay. Every outbound call that can move money is recorded (and committed) before the request leaves,
 * and answered when it comes back. Partners promise no deduplication, so a payment with any earlier attempt is never
 * sent again blindly: the caller asks the partner for the status first and repeats the call only on a positive
 * "never saw it". An earlier attempt that got a final answer would have ended the payment, so *any* earlier attempt of
 * a payment still being driven is one whose outcome we do not know.
 */
export type AttemptKind = 'pay' | 'charge' | 'cancel';

export async function attemptedBefore(q: Queryable, paymentId: bigint, kind: AttemptKind): Promise<boolean> {
  const found = await q.query('SELECT 1 FROM outbound_attempts WHERE payment_id = $1 AND kind = $2 LIMIT 1', [paymentId, kind]);
  return found.rows.length > 0;
}

export async function startAttempt(q: Queryable, paymentId: bigint, partner: string, kind: AttemptKind): Promise<bigint> {
  const inserted = await q.query<{ id: bigint }>(
    'INSERT INTO outbound_attempts (payment_id, partner, kind) VALUES ($1, $2, $3) RETURNING id', [paymentId, partner, kind]);
  return inserted.rows[0]!.id;
}

export async function answerAttempt(q: Queryable, attemptId: bigint, outcome: string): Promise<void> {
  await q.query('UPDATE outbound_attempts SET answered_at = now(), outcome = $2 WHERE id = $1', [attemptId, outcome.slice(0, 200)]);
}

/** Answers a payment's attempts still open (under its lease there is at most one) when the attempt's id is not at hand. */
export async function answerOpenAttempts(q: Queryable, paymentId: bigint, kind: AttemptKind, outcome: string): Promise<void> {
  await q.query('UPDATE outbound_attempts SET answered_at = now(), outcome = $3 WHERE payment_id = $1 AND kind = $2 AND answered_at IS NULL',
    [paymentId, kind, outcome.slice(0, 200)]);
}

// ------------------------------------------------------------------ cancels (migration 013)

/**
 * A cancel differs from a pay in one way: a payment stays `succeeded` whatever its cancel's answer was, so "any
 * earlier attempt" cannot mean "outcome unknown" for it. A cancel attempt is therefore *resolved* once what it did is
 * known — its own final answer (cancelled, refused), or a status query since — and one still unresolved means ask the
 * provider's status before anything else, never cancel again blindly.
 */
export interface OpenCancel {
  id: bigint;
  startedAt: Date;
  checks: number;
  reason: string | null;
}

/** Records a cancel about to be sent (commit it before the request leaves), with the reason it was asked for. */
export async function startCancelAttempt(q: Queryable, paymentId: bigint, partner: string, reason: string): Promise<bigint> {
  const inserted = await q.query<{ id: bigint }>(
    `INSERT INTO outbound_attempts (payment_id, partner, kind, reason) VALUES ($1, $2, 'cancel', $3) RETURNING id`, [paymentId, partner, reason.slice(0, 500)]);
  return inserted.rows[0]!.id;
}

/** The payment's cancels whose outcome is not known yet, oldest first. */
export async function openCancels(q: Queryable, paymentId: bigint): Promise<OpenCancel[]> {
  const rows = await q.query<{ id: bigint; started_at: Date; checks: number; reason: string | null }>(
    `SELECT id, started_at, checks, reason FROM outbound_attempts
      WHERE payment_id = $1 AND kind = 'cancel' AND resolved_at IS NULL ORDER BY id LIMIT 100`, [paymentId]);
  return rows.rows.map((row) => ({ id: row.id, startedAt: row.started_at, checks: row.checks, reason: row.reason }));
}

/** What every open cancel of the payment did is known now (`outcome` says what, and how it was learnt). */
export async function resolveCancels(q: Queryable, paymentId: bigint, outcome: string): Promise<void> {
  await q.query(
    `UPDATE outbound_attempts SET resolved_at = now(), outcome = $2, answered_at = COALESCE(answered_at, now())
      WHERE payment_id = $1 AND kind = 'cancel' AND resolved_at IS NULL`,
    [paymentId, outcome.slice(0, 200)],
  );
}

/** A cancel answered without a final word (timeout, 5xx, garbled): answered, still unresolved, checked after `delayMs`. */
export async function answerCancelUnknown(q: Queryable, attemptId: bigint, reason: string, delayMs: number): Promise<void> {
  await q.query(
    `UPDATE outbound_attempts SET answered_at = now(), outcome = $2, next_check_at = now() + $3 * interval '1 millisecond' WHERE id = $1`,
    [attemptId, `unknown: ${reason}`.slice(0, 200), delayMs],
  );
}

/** A status query about the payment's open cancels said nothing final: count it and ask again after `delayMs`. */
export async function noteCancelCheck(q: Queryable, paymentId: bigint, said: string, delayMs: number): Promise<number> {
  const updated = await q.query<{ checks: number }>(
    `UPDATE outbound_attempts SET checks = checks + 1, outcome = $2, next_check_at = now() + $3 * interval '1 millisecond'
      WHERE payment_id = $1 AND kind = 'cancel' AND resolved_at IS NULL RETURNING checks`,
    [paymentId, `status unknown: ${said}`.slice(0, 200), delayMs],
  );
  return Math.max(0, ...updated.rows.map((row) => row.checks));
}

/** A fresh lease holder's name: one per claim, so that only the claimant renews or releases it. */
export function leaseToken(): string {
  return randomUUID();
}

export interface HeldLease {
  /** Aborted when the lease was found taken by someone else: the call it covers must stop. */
  readonly lost: AbortSignal;
  stop(): void;
}

/**
 * Keeps a short lease alive while a partner call runs: renewed every third of its length, so a crashed holder's lease
 * lapses within `leaseMs` and a restarted hub takes the payment up within seconds, while a live holder keeps it for as
 * long as its call takes. A renewal that finds the lease no longer ours aborts the call (outcome unknown, so the next
 * step asks first); a renewal that fails for another reason (the store is down) is simply tried again.
 */
export function keepLease(q: Queryable, table: 'payments' | 'checkout_orders', id: bigint, owner: string, leaseMs: number, log: Logger): HeldLease {
  const lost = new AbortController();
  const renew = async () => {
    try {
      const renewed = await q.query(
        `UPDATE ${table} SET lease_until = now() + $3 * interval '1 millisecond' WHERE id = $1 AND lease_owner = $2 AND lease_until IS NOT NULL`,
        [id, owner, leaseMs],
      );
      if (renewed.rowCount === 0) lost.abort(new Error(`lease of ${table} ${id} was lost`));
    } catch (error) {
      log.warn({ err: error, table, id: id.toString() }, 'lease renewal failed; retrying');
    }
  };
  const timer = setInterval(() => void renew(), Math.max(50, Math.floor(leaseMs / 3)));
  timer.unref();
  return { lost: lost.signal, stop: () => clearInterval(timer) };
}
