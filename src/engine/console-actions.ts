/**
 * The console's queue actions with their audit entries: closing an attention item with a note, and deciding a payment
 * held for the security service (153). The engine's own functions do the work; the entry records who and why.
 */
import type { Clock } from '../domain/clock.ts';
import type { Db } from '../store/db.ts';
import { resolveAttention } from './attention.ts';
import { appendAudit } from './audit.ts';
import { ServiceError } from './errors.ts';
import type { PaymentEngine, PaymentView } from './payments.ts';
import type { Actor } from './sessions.ts';

export async function resolveAttentionAudited(db: Db, actor: Actor, itemId: bigint, note: string, clock: Clock): Promise<boolean> {
  const trimmed = note.trim().slice(0, 1_000);
  if (!trimmed) throw new ServiceError('invalid', 'no_note', 'a resolution needs a note');
  return db.tx(async (q) => {
    const resolved = await resolveAttention(q, itemId, trimmed);
    if (resolved) await appendAudit(q, actor, { action: 'attention.resolve', targetKind: 'attention_item', targetId: itemId, after: { resolution: trimmed } }, clock);
    return resolved;
  });
}

/** The engine decides (and refuses nothing: a payment no longer held is left as it is); the entry says what it was. */
export async function decideReviewAudited(
  db: Db, engine: PaymentEngine, actor: Actor, paymentId: bigint, decision: 'approve' | 'reject', note: string, clock: Clock,
): Promise<PaymentView> {
  const trimmed = note.trim().slice(0, 1_000);
  if (!trimmed) throw new ServiceError('invalid', 'no_note', 'a review decision needs a note');
  const before = await engine.get(paymentId);
  if (!before) throw new ServiceError('not_found', 'payment_not_found', `payment ${paymentId} not found`);
  if (before.state !== 'review') throw new ServiceError('conflict', 'already_decided', 'the payment is no longer held');
  const after = await engine.decideReview(paymentId, decision, trimmed);
  await db.tx((q) => appendAudit(q, actor, {
    action: `reviews.${decision}`, targetKind: 'payment', targetId: paymentId,
    before: { state: before.state }, after: { state: after.state, code: after.code, note: trimmed },
  }, clock));
  return after;
}
