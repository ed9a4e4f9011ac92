/**
 * One payment as an operator reads it (`tolem payment <id>`): the stored row as it is, the ledger transfers it made,
 * and its attention items. A read for people; the gateways use PaymentEngine's views.
 */
import type { Queryable } from '../store/db.ts';
import { listAttention, type AttentionItem } from './attention.ts';

export interface PaymentTransfer {
  id: bigint;
  kind: string;
  amountMinor: bigint;
  reason: string;
  createdAt: Date;
  /** Ledger account codes. */
  debit: string;
  credit: string;
}

export interface PaymentRecord {
  /** The row's columns under their own names (what an operator compares with the database). */
  payment: Record<string, unknown>;
  transfers: PaymentTransfer[];
  attention: AttentionItem[];
}

export async function paymentRecord(q: Queryable, transactionId: bigint): Promise<PaymentRecord | undefined> {
  const rows = await q.query<Record<string, unknown>>(
    `SELECT id, agent_id, agent_txn_id, service_id, account, currency, amount_to_minor, amount_from_minor, state, result_code,
            result_message, provider, provider_ref, provider_outcome, attempts, must_complete, paid_at, status_at, cancelled_at,
            cancel_reason, review_note, created_at FROM payments WHERE id = $1`, [transactionId]);
  const payment = rows.rows[0];
  if (!payment) return undefined;
  const transfers = await q.query<{ id: bigint; kind: string; amount_minor: bigint; reason: string; created_at: Date; debit: string; credit: string }>(
    `SELECT t.id, t.kind, t.amount_minor, t.reason, t.created_at, d.code AS debit, c.code AS credit FROM ledger_transfers t
       JOIN ledger_accounts d ON d.id = t.debit_account_id JOIN ledger_accounts c ON c.id = t.credit_account_id
      WHERE t.payment_id = $1 ORDER BY t.id`, [transactionId]);
  const attention = (await listAttention(q, true)).filter((item) => item.paymentId === transactionId);
  return {
    payment,
    transfers: transfers.rows.map((t) => ({ id: t.id, kind: t.kind, amountMinor: t.amount_minor, reason: t.reason, createdAt: t.created_at, debit: t.debit, credit: t.credit })),
    attention,
  };
}
