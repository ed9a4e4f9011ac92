import { CidrMatcher } from '../../domain/cidr.ts';
import { encodeElsomPaymentResultAnswer, parseElsomJson, parseElsomPaymentResult } from './codec.ts';
import { ElsomMerchantClient, type ElsomMerchantClientConfig } from './client.ts';
import type {
  Acquirer, AcquirerCallbackAnswer, AcquirerCallbackReading, AcquirerCallbackVerdict, AcquirerCallbacks, AcquirerCallOutcome,
  AcquirerOrder, AcquirerStart, AcquirerStartRequest, AcquirerStatus,
} from '../../engine/ports.ts';

/**
 * The Elsom wallet acquirer as the checkout sees it (the engine's `Acquirer` port): start a payment (IA_Init → OTP
 * page URL), learn its status, and read callbacks. A callback is only a hint to ask: the spec gives it no signature,
 * so money moves only on a status that Elsom's own status method confirms (design: "callback and polling combined").
 * The wallet is debited at once: there is no hold to capture or release, and the document has no refund call.
 */
export interface ElsomAcquirerConfig extends ElsomMerchantClientConfig {
  currencies: readonly string[];
  /** Addresses (CIDR) Elsom's callbacks come from; any other caller is refused. */
  callbackAllow: readonly string[];
}

export type WalletStatus =
  | { kind: 'paid'; status: string }
  | { kind: 'failed'; status: string; message: string }
  | { kind: 'pending'; reason: string };

export type CallbackReading =
  | { kind: 'hint'; partnerTrnId: string; pspTrnId: string; status: string; amountText: string | undefined }
  | { kind: 'malformed'; reason: string };

/** PartnerPaymentResult answers: HTTP status, ErrorCode, ErrorMsg. */
const CALLBACK_ANSWER = {
  accepted: [200, '0', 'Success'],
  caller_not_allowed: [403, '150', 'Address not allowed'],
  malformed: [200, '2', 'Bad request'],
  unknown_order: [200, '3', 'Unknown PartnerTrnID'],
  amount_mismatch: [200, '5', 'Amount does not match the payment'],
} as const satisfies Record<AcquirerCallbackVerdict['kind'], readonly [number, string, string]>;

export class ElsomAcquirer implements Acquirer {
  readonly name = 'elsom';
  readonly label = 'Elsom';
  readonly holds = false;
  readonly client: ElsomMerchantClient;
  private readonly allow: CidrMatcher;

  constructor(readonly config: ElsomAcquirerConfig) {
    this.client = new ElsomMerchantClient(config);
    this.allow = new CidrMatcher(config.callbackAllow);
  }

  get currencies(): readonly string[] {
    return this.config.currencies;
  }

  get origin(): string {
    try {
      const base = this.config.baseUrl;
      return new URL(typeof base === 'function' ? base() : base).origin;
    } catch {
      return '';
    }
  }

  /** IA_Init: the OTP page's URL. */
  async start(request: AcquirerStartRequest): Promise<AcquirerStart> {
    const answer = await this.client.iaInit({ partnerTrnId: request.orderNumber, amountMinor: request.amountMinor, pageLanguage: request.language });
    switch (answer.kind) {
      case 'ok':
        return { kind: 'redirect', url: answer.paymentUrl };
      case 'refused':
        return { kind: 'refused', reason: `${answer.errorCode}: ${answer.errorMsg}` };
      case 'unreadable':
        return { kind: 'unknown', reason: answer.reason };
    }
  }

  /** PartnerGetPaymentStatus, as the port reads it: A is the wallet debited (taken, not held), 3 the payer's cancel. */
  async status(order: AcquirerOrder): Promise<AcquirerStatus> {
    const status = await this.walletStatus(order.orderNumber, order.language);
    switch (status.kind) {
      case 'paid':
        return { kind: 'captured', ref: `elsom:${order.orderNumber}`, state: status.status };
      case 'failed': {
        const detail = `${status.status} ${status.message}`.trim();
        return status.status === '3' ? { kind: 'cancelled', detail } : { kind: 'declined', detail };
      }
      case 'pending':
        return status;
    }
  }

  /** The debit was the capture. */
  async capture(): Promise<AcquirerCallOutcome> {
    return { kind: 'approved', state: null };
  }

  /** A debited wallet cannot be given back on the wire: the checkout raises a refund for an operator instead. */
  async release(): Promise<AcquirerCallOutcome> {
    return { kind: 'declined', code: 'no_refund_call', message: 'the Elsom merchant API has no refund call' };
  }

  readonly callbacks: AcquirerCallbacks = {
    read: (ip, body) => this.callbackReading(ip, body),
    answer: (verdict) => this.callbackAnswer(verdict),
  };

  async walletStatus(partnerTrnId: string, pageLanguage: AcquirerOrder['language']): Promise<WalletStatus> {
    const answer = await this.client.paymentStatus(partnerTrnId, pageLanguage);
    if (answer.kind === 'error') return { kind: 'pending', reason: `ErrorCode ${answer.errorCode}: ${answer.errorMsg}` };
    if (answer.kind === 'unreadable') return { kind: 'pending', reason: answer.reason };
    switch (answer.outcome) {
      case 'paid':
        return { kind: 'paid', status: answer.paymentStatus };
      case 'failed':
        return { kind: 'failed', status: answer.paymentStatus, message: answer.message ?? '' };
      case 'pending':
      case 'unknown':
        return { kind: 'pending', reason: `PaymentStatus "${answer.paymentStatus}"` };
    }
  }

  callerAllowed(ip: string): boolean {
    return this.allow.matches(ip);
  }

  private callbackReading(ip: string, body: string): AcquirerCallbackReading {
    if (!this.callerAllowed(ip)) return { kind: 'caller_not_allowed' };
    const reading = this.readCallback(body);
    if (reading.kind === 'malformed') return reading;
    return { kind: 'hint', orderNumber: reading.partnerTrnId, status: reading.status, acquirerRef: reading.pspTrnId, amountText: reading.amountText };
  }

  private callbackAnswer(verdict: AcquirerCallbackVerdict): AcquirerCallbackAnswer {
    const [httpStatus, errorCode, errorMsg] = CALLBACK_ANSWER[verdict.kind];
    const message = verdict.kind === 'malformed' ? `${errorMsg}: ${verdict.reason}` : errorMsg;
    return { httpStatus, contentType: 'application/json; charset=utf-8', body: encodeElsomPaymentResultAnswer(errorCode, message) };
  }

  /** Reads a PartnerPaymentResult body. An `Amount`, which the spec does not send, is passed on to be compared. */
  readCallback(body: string): CallbackReading {
    const parsed = parseElsomPaymentResult(body);
    if (!parsed.ok) return { kind: 'malformed', reason: parsed.error };
    const raw = parseElsomJson(body) as Record<string, Record<string, unknown>> | undefined;
    const inner = raw?.['PartnerPaymentResult'] ?? raw?.['PaymentResult'];
    const amount = inner?.['Amount'];
    const f = parsed.value.fields;
    return { kind: 'hint', partnerTrnId: f.PartnerTrnID, pspTrnId: f.PSPTTrnID, status: f.PaymentStatus, amountText: typeof amount === 'string' ? amount : undefined };
  }
}
