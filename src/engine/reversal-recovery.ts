/**
 * No reversal stays stuck or is sent twice. A cancel at a provider is recorded before it leaves (engine/outbound.ts);
 * if the hub dies before the answer is recorded, or the answer said nothing final, the cancel stays unresolved — the
 * provider may have cancelled while the hub still shows the payment succeeded and the agent never got its money back;
 * an operator's reversal stays `executing`. This job, run by the durable queue on any instance (the payment's lease
 * lets one act), takes up every payment with an unresolved cancel older than its bound, and every reversal proposal
 * executing that long without one, and asks the provider's status (never cancels again):
 *
 * - cancelled → the reverse transfer (provider → agent, once), the payment `cancelled`, the proposal `approved` in
 *   its recorded approver's name with a note that recovery completed it — one transaction;
 * - still paid → the cancel never took effect: its attempt resolved, the proposal back to `proposed` (approve again);
 * - no answer, or nothing final → asked again later with back-off; past `attentionAfterMs`, an attention item.
 */
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.ts';
import type { Db } from '../store/db.ts';
import { reversalRecoveryHooks } from './attention-actions.ts';
import type { CancelRecovery, PaymentEngine } from './payments.ts';

export interface ReversalRecoveryConfig {
  /**
   * An unresolved cancel, or an executing reversal, is taken up once it is this old (database time): by then the call
   * that made it has ended by its own deadline, so recovery never races a live call (whose lease would stop it anyway).
   */
  afterMs: number;
  /** Still unknown this long after the cancel was sent: an attention item (recovery keeps asking). */
  attentionAfterMs: number;
  /** Payments taken up in one run; the rest wait for the next. */
  batch: number;
}

export type RecoveryReport = Record<CancelRecovery['outcome'], number>;

/** The bound a hub uses: the provider timeout (the cancel's own deadline) and a lease's length on top. */
export function recoveryConfig(engine: { providerTimeoutMs: number; leaseMs: number; attentionAfterMs: number }): ReversalRecoveryConfig {
  return { afterMs: engine.providerTimeoutMs + engine.leaseMs, attentionAfterMs: engine.attentionAfterMs, batch: 100 };
}

export class ReversalRecovery {
  constructor(
    private readonly db: Db,
    private readonly engine: PaymentEngine,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly config: ReversalRecoveryConfig,
  ) {}

  /** One pass: every due payment, one after the other (each asks its provider once at most). */
  async run(): Promise<RecoveryReport> {
    const report: RecoveryReport = { cancelled: 0, still_paid: 0, never_sent: 0, moot: 0, busy: 0, unknown: 0 };
    for (const paymentId of await this.due()) {
      try {
        const result = await this.engine.recoverCancel(paymentId, reversalRecoveryHooks(this.clock));
        report[result.outcome] += 1;
        if (result.outcome === 'unknown') await this.unresolved(paymentId, result);
        else if (result.outcome !== 'busy') this.log.info({ transactionId: paymentId.toString(), outcome: result.outcome }, 'reversal recovered');
      } catch (error) {
        // One payment's failure (the store, a bug) must not hold the others up; it is simply due again next time.
        this.log.error({ err: error, transactionId: paymentId.toString() }, 'reversal recovery failed; will try again');
      }
    }
    return report;
  }

  /** Payments with an unresolved cancel that is due, and payments whose reversal has executed too long without one. */
  private async due(): Promise<bigint[]> {
    const rows = await this.db.query<{ payment_id: bigint }>(
      `SELECT payment_id FROM (
         SELECT payment_id, min(started_at) AS since FROM outbound_attempts
          WHERE kind = 'cancel' AND resolved_at IS NULL AND started_at <= now() - $1 * interval '1 millisecond'
          GROUP BY payment_id HAVING max(next_check_at) IS NULL OR max(next_check_at) <= now()
         UNION ALL
         SELECT m.payment_id, m.executing_since FROM money_proposals m
          WHERE m.state = 'executing' AND m.kind = 'reverse' AND m.executing_since <= now() - $1 * interval '1 millisecond'
            AND NOT EXISTS (SELECT 1 FROM outbound_attempts a WHERE a.payment_id = m.payment_id AND a.kind = 'cancel' AND a.resolved_at IS NULL)
       ) due ORDER BY since LIMIT $2`,
      [this.config.afterMs, this.config.batch],
    );
    return rows.rows.map((row) => row.payment_id);
  }

  /** Still unknown: past the bound since its first unresolved cancel, the operators hear of it (once: one open item). */
  private async unresolved(paymentId: bigint, result: Extract<CancelRecovery, { outcome: 'unknown' }>): Promise<void> {
    this.log.warn({ transactionId: paymentId.toString(), reason: result.reason, checks: result.checks }, 'reversal outcome still unknown; will ask again');
    const overdue = await this.db.query<{ overdue: boolean }>(
      `SELECT COALESCE(min(started_at) <= now() - $2 * interval '1 millisecond', false) AS overdue FROM outbound_attempts
        WHERE payment_id = $1 AND kind = 'cancel' AND resolved_at IS NULL`,
      [paymentId, this.config.attentionAfterMs],
    );
    if (!overdue.rows[0]?.overdue) return;
    await this.engine.raiseAttention(this.db, paymentId, 'reversal_unresolved',
      `A cancellation's outcome is still unknown after ${result.checks} status queries: ${result.reason}`, { checks: result.checks, reason: result.reason });
  }
}
