import { CidrMatcher } from '../../domain/cidr.ts';
import { parseElsomJson, parseElsomPaymentResult, type PageLanguage } from './codec.ts';
import { ElsomMerchantClient, type ElsomMerchantClientConfig } from './client.ts';

/**
 * The Elsom wallet acquirer as the checkout sees it: start a payment (IA_Init → OTP page URL), learn its status,
 * and read callbacks. A callback is only a hint to ask: the spec gives it no signature, so money moves only on a
 * status that Elsom's own status method confirms (design: "callback and polling combined").
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

export class ElsomAcquirer {
  readonly client: ElsomMerchantClient;
  private readonly allow: CidrMatcher;

  constructor(readonly config: ElsomAcquirerConfig) {
    this.client = new ElsomMerchantClient(config);
    this.allow = new CidrMatcher(config.callbackAllow);
  }

  async start(partnerTrnId: string, amountMinor: bigint, pageLanguage: PageLanguage): Promise<{ kind: 'url'; url: string } | { kind: 'refused'; reason: string } | { kind: 'unknown'; reason: string }> {
    const answer = await this.client.iaInit({ partnerTrnId, amountMinor, pageLanguage });
    switch (answer.kind) {
      case 'ok':
        return { kind: 'url', url: answer.paymentUrl };
      case 'refused':
        return { kind: 'refused', reason: `${answer.errorCode}: ${answer.errorMsg}` };
      case 'unreadable':
        return { kind: 'unknown', reason: answer.reason };
    }
  }

  async status(partnerTrnId: string, pageLanguage: PageLanguage): Promise<WalletStatus> {
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
