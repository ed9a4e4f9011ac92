import { CidrMatcher } from '../../domain/cidr.ts';
import { decodeElsomJson, decodeElsomPaymentResult, encodeElsomPaymentResultAnswer } from './codec.ts';
import { ElsomMerchantClient, type ElsomMerchantClientConfig } from './client.ts';
import {
  acquirerStatusOf, callbackAnswerOf, callbackReadingOf, startFromIaInit, walletStatusOf, type CallbackReading, type WalletStatus,
} from './mapping.ts';
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

export type { CallbackReading, WalletStatus };

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
    return startFromIaInit(answer);
  }

  /** PartnerGetPaymentStatus, as the port reads it: A is the wallet debited (taken, not held), 3 the payer's cancel. */
  async status(order: AcquirerOrder): Promise<AcquirerStatus> {
    return acquirerStatusOf(await this.walletStatus(order.orderNumber, order.language), order.orderNumber);
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
    return walletStatusOf(await this.client.paymentStatus(partnerTrnId, pageLanguage));
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
    const { httpStatus, errorCode, errorMsg } = callbackAnswerOf(verdict);
    return { httpStatus, contentType: 'application/json; charset=utf-8', body: encodeElsomPaymentResultAnswer(errorCode, errorMsg) };
  }

  /** Reads a PartnerPaymentResult body. An `Amount`, which the spec does not send, is passed on to be compared. */
  readCallback(body: string): CallbackReading {
    const raw = decodeElsomJson(body) as Record<string, Record<string, unknown>> | undefined;
    const inner = raw?.['PartnerPaymentResult'] ?? raw?.['PaymentResult'];
    return callbackReadingOf(decodeElsomPaymentResult(body), inner?.['Amount']);
  }
}
