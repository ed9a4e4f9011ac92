import type { Queryable } from '../store/db.ts';

/**
 * The operators' attention list: payments the machine could not settle alone. This file is its one writer: the payment
 * engine and the checkout raise items (through `PaymentEngine.raiseAttention`), a payment's end closes the items it
 * settled, and an operator resolves the rest (`tolem attention resolve`, or an action of attention-actions.ts, which
 * closes its item here).
 */
export interface AttentionItem {
  id: bigint;
  paymentId: bigint | null;
  kind: string;
  reason: string;
  details: Record<string, unknown>;
  createdAt: Date;
  resolvedAt: Date | null;
  resolution: string | null;
  payment: { state: string; code: number; serviceId: string; account: string; amountMinor: bigint | null; agentId: bigint; agentTxnId: bigint; paidAt: Date | null; providerRef: string | null } | null;
}

interface Row {
  id: bigint; payment_id: bigint | null; kind: string; reason: string; details: Record<string, unknown>; created_at: Date;
  resolved_at: Date | null; resolution: string | null; state: string | null; result_code: number | null; service_id: string | null;
  account: string | null; amount_to_minor: bigint | null; agent_id: bigint | null; agent_txn_id: bigint | null; paid_at: Date | null;
  provider_ref: string | null;
}

export async function listAttention(q: Queryable, includeResolved = false, itemId?: bigint): Promise<AttentionItem[]> {
  const result = await q.query<Row>(
    `SELECT i.*, p.state, p.result_code, p.service_id, p.account, p.amount_to_minor, p.agent_id, p.agent_txn_id, p.paid_at, p.provider_ref
       FROM attention_items i LEFT JOIN payments p ON p.id = i.payment_id
      WHERE ($1 OR i.resolved_at IS NULL) AND ($2::bigint IS NULL OR i.id = $2) ORDER BY i.id`,
    [includeResolved, itemId ?? null],
  );
  return result.rows.map((row) => ({
    id: row.id, paymentId: row.payment_id, kind: row.kind, reason: row.reason, details: row.details, createdAt: row.created_at,
    resolvedAt: row.resolved_at, resolution: row.resolution,
    payment: row.payment_id === null || row.state === null ? null : {
      state: row.state, code: row.result_code ?? 0, serviceId: row.service_id ?? '', account: row.account ?? '',
      amountMinor: row.amount_to_minor, agentId: row.agent_id ?? 0n, agentTxnId: row.agent_txn_id ?? 0n,
      paidAt: row.paid_at, providerRef: row.provider_ref,
    },
  }));
}

/**
 * Raises an item in the caller's transaction (so that it is never lost to a crash between the decision and the
 * write); an item of the same kind still open for the payment is kept as it is.
 */
export async function raiseAttention(
  q: Queryable,
  item: { paymentId: bigint; kind: string; reason: string; details: Record<string, unknown>; at: Date },
): Promise<void> {
  await q.query(
    `INSERT INTO attention_items (payment_id, kind, reason, details, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (payment_id, kind) WHERE resolved_at IS NULL DO NOTHING`,
    [item.paymentId, item.kind, item.reason, JSON.stringify(item.details), item.at],
  );
}

/**
 * Items raised only because a payment was stuck are closed by its end (the engine's final UPDATE closes them in the
 * same statement); refusals stay for an operator. The kinds, and the same as a SQL list.
 */
export const SETTLED_ATTENTION_KIND_LIST = ['unresolved', 'funds_missing'] as const;
export const SETTLED_ATTENTION_KINDS = SETTLED_ATTENTION_KIND_LIST.map((kind) => `'${kind}'`).join(', ');

/** A reversal whose outcome was unknown too long (kind `reversal_unresolved`) is closed by whatever settles it. */
export async function closeReversalAttention(q: Queryable, paymentId: bigint, resolution: string, at: Date): Promise<void> {
  await q.query(
    `UPDATE attention_items SET resolved_at = $3, resolution = $2 WHERE payment_id = $1 AND kind = 'reversal_unresolved' AND resolved_at IS NULL`,
    [paymentId, resolution, at],
  );
}

export async function resolveAttention(q: Queryable, itemId: bigint, note: string): Promise<boolean> {
  if (!note.trim()) throw new Error('a resolution needs a note');
  const result = await q.query('UPDATE attention_items SET resolved_at = now(), resolution = $2 WHERE id = $1 AND resolved_at IS NULL', [itemId, note]);
  return result.rowCount === 1;
}

/** One item with its payment, locked (FOR UPDATE) in the caller's transaction; undefined when there is none. */
export async function lockAttention(q: Queryable, itemId: bigint): Promise<AttentionItem | undefined> {
  await q.query('SELECT 1 FROM attention_items WHERE id = $1 FOR UPDATE', [itemId]);
  return (await listAttention(q, true, itemId))[0];
}

/** Closes one item with what was done, in the caller's transaction; false when it was already closed. */
export async function resolveAttentionIn(q: Queryable, itemId: bigint, resolution: string, at: Date): Promise<boolean> {
  const result = await q.query('UPDATE attention_items SET resolved_at = $3, resolution = $2 WHERE id = $1 AND resolved_at IS NULL', [itemId, resolution, at]);
  return result.rowCount === 1;
}
