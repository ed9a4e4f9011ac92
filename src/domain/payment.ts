import type { ResultCode } from './result-codes.ts';

/**
 * A payment's life. `checked` and `check_failed` come from check; a pay moves it to `waiting` (220: funds would
 * cross the floor — the hub retries the reservation), `review` (153: funds reserved, held for the security service),
 * `accepted` (funds reserved, provider being paid), and
 * finally `succeeded` (reservation posted) or `failed` (reservation voided, or none taken).
 */
export const PAYMENT_STATES = ['checked', 'check_failed', 'waiting', 'review', 'accepted', 'succeeded', 'failed', 'cancelled'] as const;
export type PaymentState = (typeof PAYMENT_STATES)[number];

/** `cancelled` is a succeeded payment reversed afterwards (provider cancellation + reverse transfer). */
export const FINAL_STATES: readonly PaymentState[] = ['succeeded', 'failed', 'cancelled'];

export function isFinalState(state: PaymentState): boolean {
  return FINAL_STATES.includes(state);
}

export interface Contract {
  contractId: string;
  name?: string;
  contractNumber?: string;
  contractSum?: string;
  contractDate?: string;
}

/** A utility invoice as the agent API shows it (amounts as exact decimal text). */
export interface InvoiceServiceLine {
  subServiceId: string;
  subServiceName: string;
  data: {
    paySum?: string;
    tariff?: string;
    minSum?: string;
    maxSum?: string;
    debtInfo?: string;
    isMeter?: boolean;
    prevCount?: string;
    lastCount?: string;
    si?: string;
    comment?: string;
  };
}

export interface Invoice {
  invoiceId?: string;
  formedDate?: string;
  expireDate?: string;
  clientName?: string;
  clientAddress?: string;
  services: InvoiceServiceLine[];
}

export interface Conversion {
  currencyRate: string;
  rate: string;
  finalAmount: string;
  currency: string;
}

/** What a provider returns on check, kept with the payment and shown to the agent. */
export interface ProviderCheckData {
  displays?: Record<string, string>;
  contracts?: Contract[];
  invoices?: Invoice[];
  conversion?: Conversion;
}

export interface ExtraServiceLine {
  subServiceId: string;
  amountMinor: bigint;
  lastCount?: string;
}

export interface PaymentOutcome {
  code: ResultCode;
  message: string;
}
