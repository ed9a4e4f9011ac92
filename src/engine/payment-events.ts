import type { Queryable } from '../store/db.ts';

/**
 * The history of a payment's states, for the operator's timeline: each change is written by the statement's caller
 * in the same transaction as the change itself (the row lock of the change orders a payment's events). The state it
 * came from is the last one recorded, so a call that leaves the state as it was writes nothing.
 */
export async function recordStateChange(
  q: Queryable, payment: { id: bigint; state: string; result_code: number }, at: Date, note?: string | null,
): Promise<void> {
  await q.query(
    `INSERT INTO payment_events (payment_id, at, from_state, to_state, result_code, note)
     SELECT $1::bigint, $2::timestamptz, last.state, $3::text, $4::integer, $5::text
       FROM (SELECT (SELECT to_state FROM payment_events WHERE payment_id = $1 ORDER BY id DESC LIMIT 1) AS state) last
      WHERE last.state IS DISTINCT FROM $3::text`,
    [payment.id, at, payment.state, payment.result_code, note?.slice(0, 500) ?? null],
  );
}

/**
 * The same record, written by the statement that changes the state (one round trip instead of two): `sql` is an
 * INSERT or UPDATE of payments `RETURNING *` with `paramCount` parameters; two more are appended, the moment (the
 * engine's clock) and the note (null: the row's result message). Its rows come back as the statement's own.
 * `alsoCtes` (\`name AS (…)\`) are more writes of the same statement that read \`changed\`, with their parameters among
 * the statement's own; `select` the statement's result (a CTE that only reads runs only if it is read here).
 */
export function notingState(sql: string, paramCount: number, alsoCtes: readonly string[] = [], select = 'SELECT * FROM changed'): string {
  const at = `$${paramCount + 1}::timestamptz`;
  const note = `$${paramCount + 2}::text`;
  return `WITH changed AS (${sql}),${alsoCtes.map((cte) => `\n    ${cte},`).join('')}
    noted AS (
      INSERT INTO payment_events (payment_id, at, from_state, to_state, result_code, note)
      SELECT c.id, ${at}, last.state, c.state, c.result_code, left(COALESCE(${note}, c.result_message), 500)
        FROM changed c
        CROSS JOIN LATERAL (SELECT (SELECT to_state FROM payment_events WHERE payment_id = c.id ORDER BY id DESC LIMIT 1) AS state) last
       WHERE last.state IS DISTINCT FROM c.state)
    ${select}`;
}

/**
 * Something done about a payment that left its state as it was (the reversal-recovery job found the provider still
 * has it paid), for the timeline: an entry from its state to the same state, with the note.
 */
export async function recordPaymentNote(q: Queryable, payment: { id: bigint; state: string; result_code: number }, at: Date, note: string): Promise<void> {
  await q.query(
    'INSERT INTO payment_events (payment_id, at, from_state, to_state, result_code, note) VALUES ($1, $2, $3, $3, $4, $5)',
    [payment.id, at, payment.state, payment.result_code, note.slice(0, 500)],
  );
}
