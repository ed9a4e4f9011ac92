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

/** What the campaign's Elsom wallet sent and was told, per transaction-number (chaos/elsom-load.ts). */
export interface LoggedElsomPay {
  transactionNumber: string;
  amount: string;
  /** AUTHORIZE's txn-id: the hub's transactionId for this number. */
  authorizedTxnId?: string;
  /** Every PAYMENT answer that came, storms and repeats alike. */
  answers: { resultCode: string; statusId: string | undefined; txnId: string | undefined }[];
}

/** One customer's order at the checkout, as its browser saw it (chaos/checkout-load.ts). */
export interface LoggedCheckout {
  token: string;
  method: 'card' | 'elsom';
  amount: string;
  steps: string[];
}

/** An order as the Assist simulator holds it (GET /sandbox/assist/orders). */
export interface AssistRecord {
  orderNumber: string;
  state: string;
  amountMinor: string;
  chargedMinor: string;
  captures: number;
  /** charge.cfm calls on it (a repeat after a hang is one more). */
  charges: number;
}

/** A payment as the Elsom merchant simulator holds it (GET /sandbox/elsom-merchant/payments). */
export interface ElsomMerchantRecord {
  partnerTrnId: string;
  status: string;
  amountMinor: string;
  callbacksDuplicated: number;
  callbacksLost: number;
  callbacksUndelivered: number;
}

export interface PartReport {
  lost: number;
  duplicated: number;
  mismatches: number;
  unfinished: number;
  examples: string[];
}

async function inSchema<T>(databaseUrl: string, schema: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`SET search_path TO ${schema}`);
    return await work(client);
  } finally {
    await client.end();
  }
}

function reporter() {
  const examples: string[] = [];
  const note = (line: string) => {
    if (examples.length < 10) examples.push(line);
  };
  return { lost: 0, duplicated: 0, mismatches: 0, unfinished: 0, examples, note };
}

/** The protocol's non-fatal PAYMENT codes: Elsom asks again (docs/protocols/elsom-biller.md). */
const ELSOM_NON_FATAL = new Set(['1', '3', '220']);

/**
 * Every Elsom PAYMENT is in the hub exactly once, under the transactionId AUTHORIZE named, and ended as answered:
 * 0 → succeeded, a fatal code → failed; an unanswered or "in processing" one succeeded, or failed with an item on the
 * attention list (Elsom counts it as paid: an operator refunds or pays by hand). Conflicting final answers are
 * mismatches. (The provider's side is the main audit's: every payment of the hub, Elsom's included.)
 */
export async function auditElsom(databaseUrl: string, schema: string, elsomAgentId: string, pays: LoggedElsomPay[]): Promise<PartReport & { answered: number; neverReached: number; neverReachedAnswers: Record<string, number> }> {
  return inSchema(databaseUrl, schema, async (client) => {
    const rows = (await client.query<{ id: string; reference: string | null; state: string; amount: string; attention: boolean }>(
      `SELECT p.id::text, p.agent_reference AS reference, p.state, p.amount_to_minor::text AS amount,
              EXISTS (SELECT 1 FROM attention_items a WHERE a.payment_id = p.id) AS attention
         FROM payments p WHERE p.agent_id = $1`, [elsomAgentId])).rows;
    const byReference = new Map<string, typeof rows>();
    for (const row of rows) byReference.set(row.reference ?? '', [...(byReference.get(row.reference ?? '') ?? []), row]);
    const r = reporter();
    let answered = 0;
    let neverReached = 0;
    const neverReachedAnswers: Record<string, number> = {};
    for (const pay of pays) {
      const held = byReference.get(pay.transactionNumber) ?? [];
      if (held.length > 1) {
        r.duplicated += held.length - 1;
        r.note(`elsom duplicated: transaction-number ${pay.transactionNumber} is ${held.length} payments`);
      }
      const row = held[0];
      if (!row || (pay.authorizedTxnId !== undefined && row.id !== pay.authorizedTxnId)) {
        r.lost += 1;
        r.note(`elsom lost: ${pay.transactionNumber} was authorised as ${pay.authorizedTxnId}, the hub has ${row?.id ?? 'nothing'}`);
        continue;
      }
      const finals = new Set(pay.answers.filter((a) => !ELSOM_NON_FATAL.has(a.resultCode)).map((a) => (a.resultCode === '0' ? '0' : 'refused')));
      if (pay.answers.some((a) => a.txnId !== undefined && a.txnId !== row.id)) {
        r.mismatches += 1;
        r.note(`elsom mismatch: ${pay.transactionNumber} answered with another txn-id than ${row.id}`);
      }
      if (finals.size > 1) {
        r.mismatches += 1;
        r.note(`elsom mismatch: ${pay.transactionNumber} was answered both paid and refused`);
      }
      if (pay.answers.length > 0) answered += 1;
      if (row.state === 'accepted' || row.state === 'waiting') {
        r.unfinished += 1;
        r.note(`elsom unfinished: payment ${row.id} is ${row.state}`);
      } else if (finals.has('0') && row.state !== 'succeeded') {
        r.mismatches += 1;
        r.note(`elsom mismatch: payment ${row.id} answered 0, ended ${row.state}`);
      } else if (finals.has('refused') && row.state !== 'failed' && row.state !== 'checked') {
        r.mismatches += 1;
        r.note(`elsom mismatch: payment ${row.id} answered a fatal code, ended ${row.state}`);
      } else if (finals.size === 0 && row.state === 'failed' && !row.attention) {
        r.mismatches += 1;
        r.note(`elsom mismatch: payment ${row.id} was never refused to Elsom, failed without an attention item`);
      } else if (row.state === 'checked') {
        // No PAYMENT ever reached the hub (every copy met a dead instance): Elsom's own rule would count it paid after
        // five retries; nothing was taken, and its reconciliation shows it. Counted, not a fault of the hub.
        neverReached += 1;
        const codes = pay.answers.map((a) => a.resultCode).join(',') || 'none';
        neverReachedAnswers[codes] = (neverReachedAnswers[codes] ?? 0) + 1;
      }
      if (row.state === 'succeeded' && minorOf(pay.amount) !== row.amount) {
        r.mismatches += 1;
        r.note(`elsom mismatch: payment ${row.id} is ${row.amount}, Elsom paid ${pay.amount}`);
      }
    }
    return { lost: r.lost, duplicated: r.duplicated, mismatches: r.mismatches, unfinished: r.unfinished, examples: r.examples, answered, neverReached, neverReachedAnswers };
  });
}

/** Orders not final, and those left to the operators (a charge or a release the acquirer refused): unfinished. */
const OPEN_ORDER_STATES = new Set(['redirected', 'authorised', 'charging', 'releasing', 'charge_failed', 'release_failed']);

/**
 * Every checkout order the customers started is final, and the acquirers' books agree with the hub's: a card order
 * succeeded was charged once and in full, a released or refused one never; a wallet order succeeded was debited
 * (status A), a debit without a success is a refund on the attention list; no acquirer charge without its success.
 * Their sums: what the acquirers took equals what the hub counts as taken (successes and refunds due).
 */
export async function auditCheckout(databaseUrl: string, schema: string, started: LoggedCheckout[], assist: AssistRecord[], wallet: ElsomMerchantRecord[]): Promise<PartReport & { acquirerTakenMinor: string; hubTakenMinor: string; byState: Record<string, number> }> {
  return inSchema(databaseUrl, schema, async (client) => {
    const orders = (await client.query<{ token: string; payment_id: string; method: string | null; state: string; amount: string | null; payment_state: string; refund: boolean; returned: boolean }>(
      `SELECT o.token, o.payment_id::text, o.method, o.state, o.amount_minor::text AS amount, p.state AS payment_state,
              EXISTS (SELECT 1 FROM attention_items a WHERE a.payment_id = o.payment_id AND a.kind = 'refund') AS refund,
              o.return_transfer_id IS NOT NULL AS returned
         FROM checkout_orders o JOIN payments p ON p.id = o.payment_id`)).rows;
    const byToken = new Map(orders.map((o) => [o.token, o]));
    const byPayment = new Map(orders.map((o) => [o.payment_id, o]));
    const assistBy = new Map(assist.map((a) => [a.orderNumber, a]));
    const walletBy = new Map(wallet.map((w) => [w.partnerTrnId, w]));
    const r = reporter();
    const byState: Record<string, number> = {};
    for (const entry of started) {
      const order = byToken.get(entry.token);
      if (!order) {
        r.lost += 1;
        r.note(`checkout lost: order ${entry.token} is not in the hub`);
        continue;
      }
      const key = `${entry.method} ${order.state}`;
      byState[key] = (byState[key] ?? 0) + 1;
      if (OPEN_ORDER_STATES.has(order.state)) {
        r.unfinished += 1;
        r.note(`checkout unfinished: order of payment ${order.payment_id} is ${order.state}`);
      }
    }
    let hubTaken = 0n;
    for (const order of orders) {
      const amount = BigInt(order.amount ?? '0');
      if (order.state === 'succeeded' || order.state === 'refund_due') hubTaken += amount;
      // An open order (counted as unfinished above) may have a succeeded payment already: charging follows it.
      if (!OPEN_ORDER_STATES.has(order.state) && (order.state === 'succeeded') !== (order.payment_state === 'succeeded')) {
        r.mismatches += 1;
        r.note(`checkout mismatch: order ${order.payment_id} is ${order.state}, its payment ${order.payment_state}`);
      }
      if (order.method === 'card') checkCardOrder(order, assistBy.get(order.payment_id), r);
      if (order.method === 'elsom') checkWalletOrder(order, walletBy.get(order.payment_id), r);
    }
    let acquirerTaken = 0n;
    for (const record of assist) {
      acquirerTaken += BigInt(record.chargedMinor);
      if (record.captures > 1) {
        r.duplicated += record.captures - 1;
        r.note(`checkout duplicated: Assist charged order ${record.orderNumber} ${record.captures} times`);
      }
      if (record.captures > 0 && byPayment.get(record.orderNumber)?.state !== 'succeeded') {
        r.mismatches += 1;
        r.note(`checkout mismatch: Assist charged order ${record.orderNumber}, the hub has it ${byPayment.get(record.orderNumber)?.state ?? 'nowhere'}`);
      }
    }
    for (const record of wallet) {
      if (record.status !== 'A') continue;
      acquirerTaken += BigInt(record.amountMinor);
      const order = byPayment.get(record.partnerTrnId);
      const accounted = order && (order.state === 'succeeded' || ((order.state === 'refund_due' || order.state === 'expired') && order.refund));
      if (!accounted) {
        r.mismatches += 1;
        r.note(`checkout mismatch: Elsom debited ${record.partnerTrnId}, the hub has it ${order?.state ?? 'nowhere'} without a refund item`);
      }
      // A debit after expiry is taken and owed back: a refund item, like refund_due.
      if (order?.state === 'expired') hubTaken += BigInt(record.amountMinor);
    }
    if (acquirerTaken !== hubTaken) {
      r.mismatches += 1;
      r.note(`checkout mismatch: the acquirers took ${acquirerTaken}, the hub counts ${hubTaken}`);
    }
    return { lost: r.lost, duplicated: r.duplicated, mismatches: r.mismatches, unfinished: r.unfinished, examples: r.examples, acquirerTakenMinor: acquirerTaken.toString(), hubTakenMinor: hubTaken.toString(), byState };
  });
}

type OrderFacts = { payment_id: string; state: string; amount: string | null; refund: boolean; returned: boolean };

function checkCardOrder(order: OrderFacts, record: AssistRecord | undefined, r: ReturnType<typeof reporter>): void {
  const captured = record ? record.captures > 0 : false;
  if (order.state === 'succeeded' && (!record || record.state !== 'Approved' || record.chargedMinor !== order.amount)) {
    r.mismatches += 1;
    r.note(`checkout mismatch: card order ${order.payment_id} succeeded, Assist has it ${record?.state ?? 'nowhere'} charged ${record?.chargedMinor ?? '0'}`);
  }
  if (order.state === 'released' && (captured || record?.state !== 'Canceled' || !order.returned)) {
    r.mismatches += 1;
    r.note(`checkout mismatch: card order ${order.payment_id} released, Assist has it ${record?.state ?? 'nowhere'}`);
  }
  if (['declined', 'cancelled', 'expired', 'checked'].includes(order.state) && (captured || record?.state === 'Delayed')) {
    r.mismatches += 1;
    r.note(`checkout mismatch: card order ${order.payment_id} is ${order.state}, Assist holds it ${record?.state}`);
  }
}

function checkWalletOrder(order: OrderFacts, record: ElsomMerchantRecord | undefined, r: ReturnType<typeof reporter>): void {
  if (order.state === 'succeeded' && (record?.status !== 'A' || record.amountMinor !== order.amount)) {
    r.mismatches += 1;
    r.note(`checkout mismatch: wallet order ${order.payment_id} succeeded, Elsom has it ${record?.status ?? 'nowhere'}`);
  }
  if (order.state === 'refund_due' && (record?.status !== 'A' || !order.refund)) {
    r.mismatches += 1;
    r.note(`checkout mismatch: wallet order ${order.payment_id} is refund_due, Elsom ${record?.status ?? 'nowhere'}, refund item ${order.refund}`);
  }
}
