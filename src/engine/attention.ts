import type { Queryable } from '../store/db.ts';

/** The operators' attention list: payments the machine could not settle alone. */
export interface AttentionItem {
  id: bigint;
  paymentId: bigint | null;
  kind: string;
  reason: string;
  details: Record<string, unknown>;
  createdAt: Date;
  resolvedAt: Date | null;
  resolution: string | null;
  payment: { state: string; code: number; serviceId: string; account: string; amountMinor: bigint | null; agentId: bigint; agentTxnId: bigint } | null;
}

interface Row {
  id: bigint; payment_id: bigint | null; kind: string; reason: string; details: Record<string, unknown>; created_at: Date;
  resolved_at: Date | null; resolution: string | null; state: string | null; result_code: number | null; service_id: string | null;
  account: string | null; amount_to_minor: bigint | null; agent_id: bigint | null; agent_txn_id: bigint | null;
}

export async function listAttention(q: Queryable, includeResolved = false): Promise<AttentionItem[]> {
  const result = await q.query<Row>(
    `SELECT i.*, p.state, p.result_code, p.service_id, p.account, p.amount_to_minor, p.agent_id, p.agent_txn_id
       FROM attention_items i LEFT JOIN payments p ON p.id = i.payment_id
      WHERE $1 OR i.resolved_at IS NULL ORDER BY i.id`,
    [includeResolved],
  );
  return result.rows.map((row) => ({
    id: row.id, paymentId: row.payment_id, kind: row.kind, reason: row.reason, details: row.details, createdAt: row.created_at,
    resolvedAt: row.resolved_at, resolution: row.resolution,
    payment: row.payment_id === null || row.state === null ? null : {
      state: row.state, code: row.result_code ?? 0, serviceId: row.service_id ?? '', account: row.account ?? '',
      amountMinor: row.amount_to_minor, agentId: row.agent_id ?? 0n, agentTxnId: row.agent_txn_id ?? 0n,
    },
  }));
}

export async function resolveAttention(q: Queryable, itemId: bigint, note: string): Promise<boolean> {
  if (!note.trim()) throw new Error('a resolution needs a note');
  const result = await q.query('UPDATE attention_items SET resolved_at = now(), resolution = $2 WHERE id = $1 AND resolved_at IS NULL', [itemId, note]);
  return result.rowCount === 1;
}
