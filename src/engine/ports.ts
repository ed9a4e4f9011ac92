import type { ResultCode } from '../domain/result-codes.ts';
import type { ExtraServiceLine, ProviderCheckData } from '../domain/payment.ts';
import type { Service } from '../domain/catalog.ts';

/**
 * The port every provider adapter implements. Adapters are stateless translators: they build the partner's request,
 * read its answer and say what it means; the engine decides what happens next.
 *
 * Pending by default: only an explicit success is `paid`, only an explicit refusal is `declined`; a timeout, a garbled
 * body or an unknown code is `unknown`, which the engine resolves with `status` — never by calling it a failure.
 */
export interface ProviderCheckRequest {
  transactionId: bigint;
  service: Service;
  account: string;
  extras: Record<string, string>;
  amountMinor?: bigint;
}

export interface ProviderPayRequest extends ProviderCheckRequest {
  amountMinor: bigint;
  /** When the agent accepted the payment (the provider's business day comes from it). */
  acceptedAt: Date;
  extraServices?: ExtraServiceLine[];
  /** What check returned, for providers whose pay needs it (invoice numbers, contracts). */
  checkData?: ProviderCheckData;
}

export type ProviderCheckResult =
  | { kind: 'ok'; data: ProviderCheckData }
  | { kind: 'declined'; code: ResultCode; message: string }
  | { kind: 'unknown'; reason: string };

export type ProviderPayResult =
  | { kind: 'paid'; providerRef: string }
  | { kind: 'declined'; code: ResultCode; message: string }
  /** The provider took the payment and is still working on it. */
  | { kind: 'pending'; reason: string }
  | { kind: 'unknown'; reason: string };

export type ProviderStatusResult = ProviderPayResult | { kind: 'not_found' };

export type ProviderCancelResult =
  | { kind: 'cancelled' }
  | { kind: 'refused'; code: ResultCode; message: string }
  | { kind: 'unknown'; reason: string };

export interface CallOptions {
  /** Abandon the call after this long; the outcome is then unknown. */
  signal: AbortSignal;
}

export interface ProviderAdapter {
  readonly name: string;
  check(request: ProviderCheckRequest, options: CallOptions): Promise<ProviderCheckResult>;
  /** Must be safe to repeat with the same transactionId: the provider keys its payments on it. */
  pay(request: ProviderPayRequest, options: CallOptions): Promise<ProviderPayResult>;
  /** What the provider knows of our transactionId. */
  status(request: ProviderPayRequest, options: CallOptions): Promise<ProviderStatusResult>;
  cancel?(request: ProviderPayRequest, options: CallOptions): Promise<ProviderCancelResult>;
}

export interface ProviderRegistry {
  get(name: string): ProviderAdapter | undefined;
}
