/**
 * The campaign's independent auditor. It shares no code with the engine: it reads the request log the load generator
 * wrote (what every agent was told), the provider simulator's own records (what was paid), and the hub's tables with
 * its own SQL, and says for every payment whether the three agree.
 *
 *   lost        an acknowledged pay (answered with a transactionId) that the hub has no payment for, or another one
 *   duplicated  a payment the provider holds twice, or a reservation posted twice
 *   mismatches  a pay answered "paid" (0) that did not end succeeded, one answered with a final refusal that did
 *               not end failed, a succeeded payment the provider does not hold (or holds for another amount), a
 *               payment the provider holds that the hub did not settle as succeeded
 *   unfinished  payments not final once the campaign has drained
 *   ledger      the books do not sum to zero, or an agent went below its floor
 */
import pg from 'pg';

export interface LoggedPay {
  agentId: string;
  agentTxnId: string;
  amount: string;
  /** The agent API's answer, when one came: its result code and transactionId. */
  result?: string;
  transactionId?: string;
}

export interface ProviderRecord {
  reference: string;
  amount: string;
  status: string;
}

export interface AuditReport {
  acknowledged: number;
  final: number;
  lost: number;
  duplicated: number;
  mismatches: number;
  unfinished: number;
  ledgerBalanced: boolean;
  floorsKept: boolean;
  examples: string[];
}

const FINAL_REFUSALS_AT_PAY = new Set(['300', '250']);

export async function audit(databaseUrl: string, schema: string, pays: LoggedPay[], provider: ProviderRecord[]): Promise<AuditReport> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`SET search_path TO ${schema}`);
    const payments = (await client.query<{ id: string; agent_id: string; agent_txn_id: string; state: string; amount: string | null }>(
      `SELECT id::text, agent_id::text, agent_txn_id::text, state, amount_to_minor::text AS amount FROM payments`)).rows;
    const byAgentTxn = new Map(payments.map((p) => [`${p.agent_id}:${p.agent_txn_id}`, p]));
    const examples: string[] = [];
    const note = (line: string) => {
      if (examples.length < 20) examples.push(line);
    };

    let acknowledged = 0;
    let lost = 0;
    let mismatches = 0;
    for (const pay of pays) {
      if (pay.transactionId === undefined) continue;
      acknowledged += 1;
      const row = byAgentTxn.get(`${pay.agentId}:${pay.agentTxnId}`);
      if (!row || row.id !== pay.transactionId) {
        lost += 1;
        note(`lost: agent ${pay.agentId} txn ${pay.agentTxnId} was told ${pay.transactionId}, the hub has ${row?.id ?? 'nothing'}`);
        continue;
      }
      if (pay.result === '0' && row.state !== 'succeeded') {
        mismatches += 1;
        note(`mismatch: payment ${row.id} answered 0, ended ${row.state}`);
      }
      if (pay.result !== undefined && FINAL_REFUSALS_AT_PAY.has(pay.result) && row.state !== 'failed') {
        mismatches += 1;
        note(`mismatch: payment ${row.id} answered ${pay.result}, ended ${row.state}`);
      }
    }

    // The provider's books against the hub's.
    const held = new Map<string, ProviderRecord[]>();
    for (const record of provider) if (record.status === 'paid' || record.status === 'processing') held.set(record.reference, [...(held.get(record.reference) ?? []), record]);
    let duplicated = 0;
    for (const [reference, records] of held) {
      if (records.length > 1) {
        duplicated += records.length - 1;
        note(`duplicated: the provider holds payment ${reference} ${records.length} times`);
      }
    }
    const byId = new Map(payments.map((p) => [p.id, p]));
    for (const payment of payments) {
      const records = held.get(payment.id) ?? [];
      if (payment.state === 'succeeded') {
        if (records.length === 0) {
          mismatches += 1;
          note(`mismatch: payment ${payment.id} succeeded, the provider does not hold it`);
        } else if (minorOf(records[0]!.amount) !== payment.amount) {
          mismatches += 1;
          note(`mismatch: payment ${payment.id} is ${payment.amount} at the hub, ${records[0]!.amount} at the provider`);
        }
      }
    }
    for (const reference of held.keys()) {
      const payment = byId.get(reference);
      if (!payment || payment.state !== 'succeeded') {
        mismatches += 1;
        note(`mismatch: the provider holds ${reference}, the hub has it ${payment?.state ?? 'nowhere'}`);
      }
    }

    const posts = (await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM (SELECT pending_id FROM ledger_transfers WHERE kind IN ('post', 'void') GROUP BY pending_id HAVING count(*) > 1) twice`)).rows[0]!;
    duplicated += Number(posts.n);
    if (Number(posts.n) > 0) note(`duplicated: ${posts.n} reservations resolved more than once`);

    const sums = (await client.query<{ currency: string; total: string }>(
      `SELECT a.currency, (sum(CASE WHEN t.credit_account_id = a.id THEN t.amount_minor ELSE 0 END)
                          - sum(CASE WHEN t.debit_account_id = a.id THEN t.amount_minor ELSE 0 END))::text AS total
         FROM ledger_transfers t JOIN ledger_accounts a ON a.id IN (t.debit_account_id, t.credit_account_id)
        WHERE t.kind IN ('single', 'post') GROUP BY a.currency`)).rows;
    const ledgerBalanced = sums.every((row) => row.total === '0');
    if (!ledgerBalanced) note(`ledger: ${sums.map((s) => `${s.currency} ${s.total}`).join(', ')}`);

    // Every agent's balance from the transfers alone: posted credits − posted debits − open reservations ≥ its floor.
    const below = (await client.query<{ id: string; available: string; floor: string }>(
      `WITH moves AS (
         SELECT t.credit_account_id AS account, CASE WHEN t.kind IN ('single', 'post') THEN t.amount_minor ELSE 0 END AS amount FROM ledger_transfers t
         UNION ALL
         SELECT t.debit_account_id, -t.amount_minor FROM ledger_transfers t
          WHERE t.kind IN ('single', 'post')
             OR (t.kind = 'pending' AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)))
       SELECT ag.id::text, COALESCE(sum(m.amount), 0)::text AS available, ag.overdraft_minor::text AS floor
         FROM agents ag LEFT JOIN moves m ON m.account = ag.ledger_account_id
        GROUP BY ag.id, ag.overdraft_minor HAVING COALESCE(sum(m.amount), 0) < ag.overdraft_minor`)).rows;
    for (const row of below) note(`floor: agent ${row.id} has ${row.available}, its floor is ${row.floor}`);

    const unfinished = payments.filter((p) => p.state === 'accepted' || p.state === 'waiting');
    for (const p of unfinished.slice(0, 5)) note(`unfinished: payment ${p.id} is ${p.state}`);
    return {
      acknowledged, final: payments.filter((p) => ['succeeded', 'failed', 'cancelled'].includes(p.state)).length,
      lost, duplicated, mismatches, unfinished: unfinished.length, ledgerBalanced, floorsKept: below.length === 0, examples,
    };
  } finally {
    await client.end();
  }
}

/** "200.00" → "20000": the provider's decimal amount in minor units, as text (no floats). */
function minorOf(amount: string): string {
  const [whole = '0', fraction = ''] = amount.split('.');
  return (BigInt(whole) * 100n + BigInt((fraction + '00').slice(0, 2))).toString();
}
