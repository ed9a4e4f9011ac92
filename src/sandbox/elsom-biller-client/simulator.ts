/**
 * The Elsom e-wallet as a client of our biller endpoint (docs/protocols/elsom-biller.md), behaving like the real one:
 * AUTHORIZE, then PAYMENT, windows-1251 bodies, an MD5 password; PAYMENT repeated on a timeout, a reset connection or
 * a non-final answer — five times, ten seconds apart by default — after which the payment counts as made (§2.2);
 * then a PAYMENT_LIST reconciliation of its own records against ours.
 */
import { systemClock, type Clock } from '../../domain/clock.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomInt } from 'node:crypto';
import {
  decodeElsomResponse, encodeElsomRequest, ELSOM_PROTOCOL_VERSION, ELSOM_RESULT_CODES, ELSOM_STATUS, md5Hex,
  toElsomLocal, type ElsomCharset, type ElsomLocalDateTime, type ElsomPaymentListRow, type ElsomRequest, type ElsomResponse,
} from '../../gateways/elsom-biller/codec/index.ts';

export interface ElsomBillerClientOptions {
  /** The biller endpoint, e.g. http://127.0.0.1:8080/elsom. */
  url: string;
  terminalId: string;
  login: string;
  password: string;
  /** Repeats of a PAYMENT after the first attempt (spec: 5). */
  retries: number;
  /** Pause between attempts (spec: 10 s). */
  retryIntervalMs: number;
  /** An attempt with no answer within this time counts as unanswered. */
  requestTimeoutMs: number;
  /** Elsom's wall clock (Kyrgyzstan, +360). */
  utcOffsetMinutes: number;
  charset?: ElsomCharset;
  /** Send the charset in the Content-Type as well as in the XML declaration (default true). */
  charsetInHeader?: boolean;
  /** The wallet's clock (default: the machine's); a sandbox mounted in Tolem shares the hub's. */
  clock?: Clock;
}

/**
 * paid: PAYMENT answered 0 / status 60. assumed_paid: no final answer after every retry — Elsom counts it as made.
 * refused: a final refusal of the PAYMENT. not_authorized: AUTHORIZE did not end with 0 / 30 (no PAYMENT sent).
 */
export type WalletOutcome = 'paid' | 'assumed_paid' | 'refused' | 'not_authorized';

export interface WalletPayment {
  transactionNumber: string;
  serviceId: string;
  account: string;
  amountMinor: bigint;
  outcome: WalletOutcome;
  resultCode?: number;
  statusId?: number;
  txnId?: string;
  disp1?: string;
  authorizeAttempts: number;
  paymentAttempts: number;
  startedAt: Date;
}

export type WalletExchange = { kind: 'answer'; response: ElsomResponse } | { kind: 'no_answer'; reason: string };

export interface ReconcileMismatch {
  kind: 'missing_at_biller' | 'unknown_to_wallet' | 'amount_differs' | 'account_differs' | 'list_refused';
  transactionNumber?: string;
  detail: string;
}

export interface ReconcileReport {
  from: ElsomLocalDateTime;
  to: ElsomLocalDateTime;
  walletPaid: number;
  billerRows: number;
  mismatches: ReconcileMismatch[];
  polls: number;
}

/** The most records a wallet keeps in memory (the sandbox's own bound). */
const MAX_RECORDS = 100_000;

const stripZeros = (text: string) => (/^\d+$/.test(text) ? text.replace(/^0+/, '') || '0' : text);

/** A final answer: 0, or a code Elsom's table marks fatal or leaves blank. Non-fatal codes are repeated. */
export function isFinalAnswer(response: ElsomResponse): boolean {
  if (response.resultCode === 0) return response.statusId !== ELSOM_STATUS.NOT_PROCESSED;
  return ELSOM_RESULT_CODES[response.resultCode].fatal !== false;
}

export class ElsomBillerClient {
  private readonly records: WalletPayment[] = [];
  private sequence = randomInt(10_000);

  private readonly clock: Clock;

  constructor(private readonly options: ElsomBillerClientOptions) {
    this.clock = options.clock ?? systemClock;
  }

  payments(): readonly WalletPayment[] {
    return this.records;
  }

  /** 18 digits with a leading zero, like Elsom's own (`021508040001364907`). */
  nextTransactionNumber(): string {
    this.sequence = (this.sequence + 1) % 10_000;
    return `0${this.clock.now().getTime()}${String(this.sequence).padStart(4, '0')}`;
  }

  private base() {
    return {
      protocolVersion: ELSOM_PROTOCOL_VERSION,
      terminalId: this.options.terminalId,
      login: this.options.login,
      passwordMd5: md5Hex(this.options.password),
      clientSoftware: 'Tolem Elsom wallet simulator',
      extras: [],
    };
  }

  private local(instant = this.clock.now()): ElsomLocalDateTime {
    return { ...toElsomLocal(instant, this.options.utcOffsetMinutes), millisecond: 0 };
  }

  /** One HTTP exchange; anything but a readable <response> is "no answer". */
  async exchange(request: ElsomRequest): Promise<WalletExchange> {
    const charset = this.options.charset ?? 'windows-1251';
    const contentType = this.options.charsetInHeader === false ? 'text/xml' : `text/xml; charset=${charset}`;
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: encodeElsomRequest(request, { charset }),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
      const bytes = Buffer.from(await response.arrayBuffer());
      if (response.status !== 200) return { kind: 'no_answer', reason: `HTTP ${response.status}` };
      const decoded = decodeElsomResponse(bytes, response.headers.get('content-type') ?? undefined);
      return decoded.ok ? { kind: 'answer', response: decoded.response } : { kind: 'no_answer', reason: `${decoded.failure.kind}: ${decoded.failure.detail}` };
    } catch (error) {
      return { kind: 'no_answer', reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Sends until a final answer or the retries run out; the last answer (if any) and the attempts made. */
  private async untilFinal(request: ElsomRequest): Promise<{ final?: ElsomResponse; last?: ElsomResponse; attempts: number }> {
    let last: ElsomResponse | undefined;
    for (let attempt = 1; ; attempt += 1) {
      const exchanged = await this.exchange(request);
      if (exchanged.kind === 'answer') {
        last = exchanged.response;
        if (isFinalAnswer(exchanged.response)) return { final: exchanged.response, last, attempts: attempt };
      }
      if (attempt > this.options.retries) return { ...(last ? { last } : {}), attempts: attempt };
      await sleep(this.options.retryIntervalMs);
    }
  }

  /** AUTHORIZE, then PAYMENT with the retry rule. The record is kept for reconciliation. */
  async pay(input: { serviceId: string; account: string; amountMinor: bigint; transactionNumber?: string }): Promise<WalletPayment> {
    const transactionNumber = input.transactionNumber ?? this.nextTransactionNumber();
    const startedAt = this.clock.now();
    const transfer = {
      ...this.base(),
      transactionNumber,
      from: { amountMinor: input.amountMinor, currencyCode: 417 },
      to: { serviceId: input.serviceId, accountNumber: input.account, amountMinor: input.amountMinor, currencyCode: 417 },
    };
    const record: WalletPayment = {
      transactionNumber, serviceId: input.serviceId, account: input.account, amountMinor: input.amountMinor,
      outcome: 'not_authorized', authorizeAttempts: 0, paymentAttempts: 0, startedAt,
    };
    if (this.records.length < MAX_RECORDS) this.records.push(record);

    const authorized = await this.untilFinal({ requestType: 1, ...transfer, receipt: { datetime: this.local(), receiptNumber: transactionNumber } });
    record.authorizeAttempts = authorized.attempts;
    const auth = authorized.final ?? authorized.last;
    if (auth) Object.assign(record, { resultCode: auth.resultCode, statusId: auth.statusId, ...(auth.disp1 !== undefined ? { disp1: auth.disp1 } : {}) });
    if (!authorized.final || authorized.final.resultCode !== 0 || authorized.final.statusId !== ELSOM_STATUS.AUTHORIZED) return record;

    const paid = await this.untilFinal({ requestType: 2, ...transfer, receipt: { datetime: this.local(), receiptNumber: transactionNumber } });
    record.paymentAttempts = paid.attempts;
    const answer = paid.final ?? paid.last;
    if (answer) Object.assign(record, { resultCode: answer.resultCode, statusId: answer.statusId, ...(answer.txnId !== undefined ? { txnId: answer.txnId } : {}) });
    if (!paid.final) record.outcome = 'assumed_paid'; // §2.2: no final answer after five repeats counts as success
    else record.outcome = paid.final.resultCode === 0 && paid.final.statusId === ELSOM_STATUS.PAID ? 'paid' : 'refused';
    return record;
  }

  async cancel(serviceId: string, transactionNumber: string): Promise<WalletExchange> {
    return this.exchange({ requestType: 3, ...this.base(), serviceId, transactionNumber });
  }

  async paymentList(serviceId: string, from: Date, to: Date): Promise<WalletExchange> {
    return this.exchange({ requestType: 4, ...this.base(), serviceId, datetimeFrom: this.local(from), datetimeTo: this.local(to) });
  }

  /** Pays `count` payments with at most `concurrency` in flight. */
  async run(plan: { count: number; concurrency: number; payment: (index: number) => { serviceId: string; account: string; amountMinor: bigint } }): Promise<WalletPayment[]> {
    const results: WalletPayment[] = [];
    let next = 0;
    const worker = async () => {
      while (next < plan.count) {
        const index = next++;
        results[index] = await this.pay(plan.payment(index));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.concurrency, plan.count)) }, worker));
    return results;
  }

  /**
   * PAYMENT_LIST for each service of our records, compared with what we count as made (paid and assumed_paid). A
   * payment we assumed paid may still be being driven on the biller's side, so the comparison is repeated until it
   * matches or `settleTimeoutMs` runs out; the last comparison is reported.
   */
  async reconcile(options: { serviceIds?: string[]; since?: Date; settleTimeoutMs?: number; pollMs?: number } = {}): Promise<ReconcileReport> {
    const records = this.records.filter((record) => !options.serviceIds || options.serviceIds.includes(record.serviceId));
    const serviceIds = options.serviceIds ?? [...new Set(records.map((record) => record.serviceId))];
    const earliest = options.since ?? records.reduce<Date>((min, record) => (record.startedAt < min ? record.startedAt : min), this.clock.now());
    const from = new Date(Math.floor(earliest.getTime() / 1000) * 1000 - 1000);
    const deadline = this.clock.now().getTime() + (options.settleTimeoutMs ?? 0);
    for (let polls = 1; ; polls += 1) {
      const to = new Date(Math.ceil(this.clock.now().getTime() / 1000) * 1000 + 2000);
      const report = await this.compare(records, serviceIds, from, to);
      // Only a payment the biller is still completing can settle by waiting; any other mismatch is reported at once.
      const settling = report.mismatches.some((mismatch) => mismatch.kind === 'missing_at_biller');
      if (!settling || this.clock.now().getTime() >= deadline) return { ...report, polls };
      await sleep(options.pollMs ?? 500);
    }
  }

  private async compare(records: WalletPayment[], serviceIds: string[], from: Date, to: Date): Promise<Omit<ReconcileReport, 'polls'>> {
    const mismatches: ReconcileMismatch[] = [];
    const rows = new Map<string, ElsomPaymentListRow & { serviceId: string }>();
    for (const serviceId of serviceIds) {
      const listed = await this.paymentList(serviceId, from, to);
      if (listed.kind !== 'answer' || listed.response.resultCode !== 0) {
        const detail = listed.kind === 'answer' ? `result-code ${listed.response.resultCode}` : listed.reason;
        mismatches.push({ kind: 'list_refused', detail: `PAYMENT_LIST for ${serviceId}: ${detail}` });
        continue;
      }
      for (const row of listed.response.rows ?? []) rows.set(stripZeros(row.transactionNumber), { ...row, serviceId });
    }
    const made = records.filter((record) => record.outcome === 'paid' || record.outcome === 'assumed_paid');
    const ours = new Map(made.map((record) => [stripZeros(record.transactionNumber), record]));
    for (const [key, record] of ours) {
      const row = rows.get(key);
      if (!row) mismatches.push({ kind: 'missing_at_biller', transactionNumber: record.transactionNumber, detail: `${record.outcome} in the wallet, not in the biller's registry` });
      else if (row.amountMinor !== record.amountMinor) mismatches.push({ kind: 'amount_differs', transactionNumber: record.transactionNumber, detail: `wallet ${record.amountMinor}, biller ${row.amountMinor} (tyiyn)` });
      else if (row.accountNumber !== record.account) mismatches.push({ kind: 'account_differs', transactionNumber: record.transactionNumber, detail: `wallet ${record.account}, biller ${row.accountNumber}` });
    }
    for (const [key, row] of rows) {
      if (!ours.has(key)) {
        const known = records.find((record) => stripZeros(record.transactionNumber) === key);
        mismatches.push({ kind: 'unknown_to_wallet', transactionNumber: row.transactionNumber, detail: known ? `${known.outcome} in the wallet, successful at the biller` : 'not in the wallet\'s records' });
      }
    }
    return { from: this.local(from), to: this.local(to), walletPaid: made.length, billerRows: rows.size, mismatches };
  }
}

export function summarize(payments: readonly WalletPayment[]): Record<WalletOutcome, number> {
  const counts: Record<WalletOutcome, number> = { paid: 0, assumed_paid: 0, refused: 0, not_authorized: 0 };
  for (const payment of payments) counts[payment.outcome] += 1;
  return counts;
}

export type { ElsomResponse };
