/**
 * Elsom merchant mapping: our values ⇄ Elsom's messages, and Elsom's answers → what the checkout's `Acquirer` port
 * says. Pure: no I/O. The codec (codec.ts) turns these messages into bytes and back.
 */
import { formatAmount } from '../../domain/money.ts';
import type { AcquirerCallbackVerdict, AcquirerStart, AcquirerStatus } from '../../engine/ports.ts';
import {
  ELSOM_CULTURE_BY_PAGE_LANGUAGE, type Decoded, type ElsomGetPaymentStatusRequest, type ElsomIaInitAnswer,
  type ElsomIaInitFields, type ElsomIaInitRequest, type ElsomPaymentResultReceived, type ElsomStatusAnswer, type PageLanguage,
} from './codec.ts';

// ── requests ─────────────────────────────────────────────────────────────────────────────────────────────────────

export interface ElsomIaInitInput {
  readonly pageLanguage: PageLanguage;
  /** MSISDN: a wallet number; "0" when not given (spec). We pass the payer's wallet when we know it. */
  readonly msisdn?: string;
  /** PmSISDN: the merchant's wallet number. */
  readonly pmsisdn: string;
  readonly partnerCode: string;
  readonly password: string;
  readonly partnerTrnId: string;
  readonly amountMinor: bigint;
  readonly chequeNo?: string;
  readonly cashierNo?: string;
  readonly udf?: string;
}

/** IA_Init from our values; the codec's encoder refuses what the spec's table does not allow (a positive amount too). */
export function elsomIaInitRequest(input: ElsomIaInitInput): ElsomIaInitRequest {
  const fields: ElsomIaInitFields = {
    CultureInfo: ELSOM_CULTURE_BY_PAGE_LANGUAGE[input.pageLanguage],
    MSISDN: input.msisdn ?? '0',
    PmSISDN: input.pmsisdn,
    PartnerCode: input.partnerCode,
    Password: input.password,
    ChequeNo: input.chequeNo ?? '', // "если не используется, передается пустое значение"
    PartnerTrnID: input.partnerTrnId,
    Amount: formatAmount(input.amountMinor, 2), // decimal point separator
    CashierNo: input.cashierNo ?? '',
    UDF: input.udf ?? '',
  };
  return { IA_Init: fields };
}

export interface ElsomGetPaymentStatusInput {
  readonly pageLanguage: PageLanguage;
  /** The merchant's wallet (spec: "номер кошелька мерчанта/партнера"). */
  readonly msisdn: string;
  readonly partnerTrnId: string;
  readonly password: string;
}

export function elsomGetPaymentStatusRequest(input: ElsomGetPaymentStatusInput): ElsomGetPaymentStatusRequest {
  return {
    PartnerGetPaymentStatus: {
      CultureInfo: ELSOM_CULTURE_BY_PAGE_LANGUAGE[input.pageLanguage],
      MSISDN: input.msisdn,
      PartnerTrnID: input.partnerTrnId,
      Password: input.password,
    },
  };
}

// ── answers → the port ───────────────────────────────────────────────────────────────────────────────────────────

/** IA_Init's answer: the OTP page to send the payer to; an unreadable answer may still have created the payment. */
export function startFromIaInit(answer: ElsomIaInitAnswer): AcquirerStart {
  switch (answer.kind) {
    case 'ok':
      return { kind: 'redirect', url: answer.paymentUrl };
    case 'refused':
      return { kind: 'refused', reason: `${answer.errorCode}: ${answer.errorMsg}` };
    case 'unreadable':
      return { kind: 'unknown', reason: answer.detail };
  }
}

export type WalletStatus =
  | { kind: 'paid'; status: string }
  | { kind: 'failed'; status: string; message: string }
  | { kind: 'pending'; reason: string };

/** Pending by default: an error about the request, an unreadable answer or an unlisted status says nothing final. */
export function walletStatusOf(answer: ElsomStatusAnswer): WalletStatus {
  if (answer.kind === 'error') return { kind: 'pending', reason: `ErrorCode ${answer.errorCode}: ${answer.errorMsg}` };
  if (answer.kind === 'unreadable') return { kind: 'pending', reason: answer.detail };
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

/** As the port reads it: A is the wallet debited (taken, not held), 3 the payer's cancel. */
export function acquirerStatusOf(status: WalletStatus, orderNumber: string): AcquirerStatus {
  switch (status.kind) {
    case 'paid':
      return { kind: 'captured', ref: `elsom:${orderNumber}`, state: status.status };
    case 'failed': {
      const detail = `${status.status} ${status.message}`.trim();
      return status.status === '3' ? { kind: 'cancelled', detail } : { kind: 'declined', detail };
    }
    case 'pending':
      return status;
  }
}

// ── the PartnerPaymentResult callback ────────────────────────────────────────────────────────────────────────────

export type CallbackReading =
  | { kind: 'hint'; partnerTrnId: string; pspTrnId: string; status: string; amountText: string | undefined }
  | { kind: 'malformed'; reason: string };

/** A decoded callback as a hint; an `Amount`, which the spec does not send, is passed on to be compared. */
export function callbackReadingOf(decoded: Decoded<ElsomPaymentResultReceived>, amount: unknown): CallbackReading {
  if (!decoded.ok) return { kind: 'malformed', reason: decoded.failure.detail };
  const f = decoded.value.fields;
  return { kind: 'hint', partnerTrnId: f.PartnerTrnID, pspTrnId: f.PSPTTrnID, status: f.PaymentStatus, amountText: typeof amount === 'string' ? amount : undefined };
}

/** PartnerPaymentResult answers: HTTP status, ErrorCode, ErrorMsg. */
const CALLBACK_ANSWER = {
  accepted: [200, '0', 'Success'],
  caller_not_allowed: [403, '150', 'Address not allowed'],
  malformed: [200, '2', 'Bad request'],
  unknown_order: [200, '3', 'Unknown PartnerTrnID'],
  amount_mismatch: [200, '5', 'Amount does not match the payment'],
} as const satisfies Record<AcquirerCallbackVerdict['kind'], readonly [number, string, string]>;

export function callbackAnswerOf(verdict: AcquirerCallbackVerdict): { httpStatus: number; errorCode: string; errorMsg: string } {
  const [httpStatus, errorCode, errorMsg] = CALLBACK_ANSWER[verdict.kind];
  return { httpStatus, errorCode, errorMsg: verdict.kind === 'malformed' ? `${errorMsg}: ${verdict.reason}` : errorMsg };
}
