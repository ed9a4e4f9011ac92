/**
 * Elsom biller messages ⇄ engine calls and codes. Pure: no I/O, no HTTP, no clock (the time is passed in).
 * Elsom is one more agent: AUTHORIZE = engine.check, PAYMENT = engine.pay (mustComplete), CANCEL_PAYMENT =
 * engine.cancel, PAYMENT_LIST = engine.succeededBetween. See README.md for the decisions taken here.
 */
import { CURRENCY_NUMERIC, isCurrencyCode } from '../../domain/money.ts';
import { isResultCode, RESULT, type ResultCode } from '../../domain/result-codes.ts';
import type { Service } from '../../domain/catalog.ts';
import type { ProviderCheckData } from '../../domain/payment.ts';
import type { CancelAnswer, CheckCommand, EngineAnswer, PayCommand, PaymentView } from '../../engine/payments.ts';
import { differenceMessage, type RequestField } from '../../engine/differences.ts';
import {
  ELSOM_PROTOCOL_VERSION, ELSOM_RESULT, ELSOM_RESULT_CODES, ELSOM_STATUS, fromElsomLocal, toElsomLocal,
  type ElsomAuthorizeRequest, type ElsomCancelPaymentRequest, type ElsomPaymentListRequest, type ElsomPaymentListRow,
  type ElsomExtra, type ElsomPaymentRequest, type ElsomRequestEcho, type ElsomRequestType, type ElsomResponse, type ElsomResultCode,
  type ElsomStatusId,
} from './codec/index.ts';
import type { ElsomServiceMapping } from '../../engine/terminals.ts';
import { elsomListLines } from '../../engine/elsom-terminal-admin.ts';

/**
 * Engine (agent API) result codes → Elsom result codes. Exhaustive: a new engine code breaks the build here.
 * Rule: a final engine code maps to 0 or to a code Elsom's table marks fatal (1), so that Elsom never keeps retrying —
 * and after five retries counts as paid — a payment we have refused for good. A temporary code maps to a non-fatal
 * one, except 255 (fee not allowed): Elsom repeats the same body, which can never pass.
 */
export const ENGINE_TO_ELSOM_RESULT = {
  [RESULT.OK]: ELSOM_RESULT.OK,
  [RESULT.IN_PROCESSING]: ELSOM_RESULT.PROVIDER_UNAVAILABLE, // 1 "Истекло время", non-fatal: Elsom repeats
  [RESULT.BAD_ACCOUNT_FORMAT]: ELSOM_RESULT.BAD_ACCOUNT_FORMAT,
  [RESULT.ACCOUNT_NOT_FOUND]: ELSOM_RESULT.ACCOUNT_NOT_FOUND,
  [RESULT.FORBIDDEN_BY_PROVIDER]: ELSOM_RESULT.FORBIDDEN_BY_PROVIDER,
  // Elsom's 8 has the same text but is non-fatal; ours is final, so the fatal "not carried out".
  [RESULT.FORBIDDEN_TECHNICAL]: ELSOM_RESULT.NOT_PAID,
  [RESULT.SERVICE_NOT_IMPLEMENTED]: ELSOM_RESULT.PROVIDER_FORBIDDEN,
  [RESULT.AUTH_FAILED]: ELSOM_RESULT.WRONG_PASSWORD,
  [RESULT.SECURITY_REVIEW]: ELSOM_RESULT.PROVIDER_UNAVAILABLE,
  [RESULT.SERVICE_FORBIDDEN]: ELSOM_RESULT.PROVIDER_FORBIDDEN,
  [RESULT.BAD_REQUEST]: ELSOM_RESULT.BAD_REQUEST,
  [RESULT.DUPLICATE_TRANSACTION]: ELSOM_RESULT.DUPLICATE_PAYMENT,
  [RESULT.INSUFFICIENT_FUNDS]: ELSOM_RESULT.AGENT_INSUFFICIENT_FUNDS,
  [RESULT.BALANCE_NOT_TOPPED_UP]: ELSOM_RESULT.NOT_PAID,
  [RESULT.AMOUNT_TOO_SMALL]: ELSOM_RESULT.AMOUNT_TOO_SMALL,
  [RESULT.AMOUNT_TOO_LARGE]: ELSOM_RESULT.AMOUNT_TOO_LARGE,
  [RESULT.FEE_NOT_ALLOWED]: ELSOM_RESULT.INCORRECT_AMOUNT,
  // Elsom's 300 is non-fatal; ours is final.
  [RESULT.OTHER_ERROR]: ELSOM_RESULT.NOT_PAID,
} as const satisfies Record<ResultCode, ElsomResultCode>;

/** A stored code the engine table does not know (never expected) is treated as unknown: temporary, never "failed". */
export function elsomCodeOf(code: number): ElsomResultCode {
  return isResultCode(code) ? ENGINE_TO_ELSOM_RESULT[code] : ELSOM_RESULT.UNKNOWN_PROVIDER_ERROR;
}

/** A payment's state → Elsom's status-id table. Exhaustive over the engine's states. */
export function statusIdOf(payment: Pick<PaymentView, 'state' | 'code' | 'paidAt'>): ElsomStatusId {
  switch (payment.state) {
    case 'checked':
      return ELSOM_STATUS.AUTHORIZED;
    case 'check_failed':
      return ELSOM_STATUS.PROVIDER_REFUSED;
    case 'waiting':
    case 'review':
    case 'accepted':
      return ELSOM_STATUS.NOT_PROCESSED;
    case 'succeeded':
    // The spec's own CANCEL_PAYMENT example answers a successful cancellation with 60; its table has no "cancelled".
    case 'cancelled':
      return ELSOM_STATUS.PAID;
    case 'failed':
      // Accepted, then refused by the provider: 130. Never sent (closed before payment, funds never came): 160.
      return payment.paidAt !== null && payment.code !== RESULT.BALANCE_NOT_TOPPED_UP && payment.code !== RESULT.INSUFFICIENT_FUNDS
        ? ELSOM_STATUS.PROVIDER_REFUSED
        : ELSOM_STATUS.NOT_PAID;
  }
}

/** status-id for an answer that carries no payment: temporary codes say "not processed", the rest "not paid". */
export function statusIdForCode(code: ElsomResultCode): ElsomStatusId {
  return ELSOM_RESULT_CODES[code].fatal === false && code !== ELSOM_RESULT.OK ? ELSOM_STATUS.NOT_PROCESSED : ELSOM_STATUS.NOT_PAID;
}

/**
 * transaction-number (Varchar(30), digits as Elsom writes them) → the engine's agentTxnId: digits only, value 1 to
 * 18 significant digits (bigint, SQL bigint). Anything else is refused with 202.
 */
export function toAgentTxnId(text: string): bigint | undefined {
  if (!/^\d{1,30}$/.test(text)) return undefined;
  const significant = text.replace(/^0+/, '');
  if (significant.length === 0 || significant.length > 18) return undefined;
  return BigInt(significant);
}

/**
 * Elsom-side rules the engine does not know, checked before any engine call: the currency of both amounts must be the
 * service's (Elsom pays in soms, 417), and a whole-soms service refuses fractions with 274.
 */
export function checkTransfer(request: ElsomAuthorizeRequest | ElsomPaymentRequest, service: Service, mapping: ElsomServiceMapping): ElsomResultCode | undefined {
  const expected = isCurrencyCode(service.currency) ? Number(CURRENCY_NUMERIC[service.currency]) : Number.NaN;
  if (request.to.currencyCode !== expected) return ELSOM_RESULT.PROVIDER_FORBIDDEN;
  if (request.from.currencyCode !== undefined && request.from.currencyCode !== expected) return ELSOM_RESULT.PROVIDER_FORBIDDEN;
  if (mapping.wholeAmounts && (request.to.amountMinor % 100n !== 0n || request.from.amountMinor % 100n !== 0n)) {
    return ELSOM_RESULT.AMOUNT_NOT_INTEGER;
  }
  return undefined;
}

/**
 * The engine command for AUTHORIZE and PAYMENT. Only the fields that define the payment go in — not the receipt's
 * datetime or the client software — so that Elsom's retries are the same request to the engine, byte for byte.
 */
export function toCheckCommand(request: ElsomAuthorizeRequest | ElsomPaymentRequest, mapping: ElsomServiceMapping, agentTxnId: bigint): CheckCommand {
  return {
    serviceId: mapping.serviceId,
    account: request.to.accountNumber,
    agentTxnId,
    amountToMinor: request.to.amountMinor,
    amountFromMinor: request.from.amountMinor,
    extras: {},
  };
}

export function toPayCommand(request: ElsomPaymentRequest, mapping: ElsomServiceMapping, agentTxnId: bigint): PayCommand {
  // Elsom counts a payment as made after five unanswered retries: it must never be dropped.
  return { ...toCheckCommand(request, mapping, agentTxnId), amountToMinor: request.to.amountMinor, mustComplete: true };
}

/**
 * How Elsom's transaction-number is used beyond the payment's meaning: its text travels as the agent reference (stored
 * with the payment, echoed in PAYMENT_LIST), and each number is used once — the engine's strict repeat rules: an
 * AUTHORIZE of a number already held ends with 233 (§2.1), a PAYMENT of one that ended unpaid answers that end.
 */
function asElsom(request: ElsomAuthorizeRequest | ElsomPaymentRequest): { agentReference: string; strictRepeats: true } {
  return { agentReference: request.transactionNumber, strictRepeats: true };
}

/** AUTHORIZE → engine.check. */
export function authorizeCommand(request: ElsomAuthorizeRequest, mapping: ElsomServiceMapping, agentTxnId: bigint): CheckCommand {
  return { ...toCheckCommand(request, mapping, agentTxnId), ...asElsom(request) };
}

/** PAYMENT → engine.pay. */
export function paymentCommand(request: ElsomPaymentRequest, mapping: ElsomServiceMapping, agentTxnId: bigint): PayCommand {
  return { ...toPayCommand(request, mapping, agentTxnId), ...asElsom(request) };
}

/** disp1: the account holder's name, from whatever the provider showed; Varchar(20) in the spec's table. */
export const DISP1_MAX_CHARS = 20;

export function disp1Of(data: ProviderCheckData | null): string | undefined {
  const name = data?.displays?.fio ?? data?.displays?.name ?? data?.invoices?.[0]?.clientName ?? data?.contracts?.[0]?.name;
  const trimmed = name?.trim();
  if (!trimmed) return undefined;
  return [...trimmed].slice(0, DISP1_MAX_CHARS).join('').trimEnd();
}

/** What every answer carries besides the payment: who asked, from where, when, and the agent's funds. */
export interface ElsomAnswerContext {
  terminalId: string;
  remoteAddr: string;
  now: Date;
  utcOffsetMinutes: number;
  /** operator-id: the agent's id in Tolem (Elsom's account with us). */
  operatorId?: string;
  funds?: { balanceMinor: bigint; overdraftMinor: bigint };
}

function head(context: ElsomAnswerContext, requestType: ElsomRequestType, resultCode: ElsomResultCode): ElsomResponse {
  return {
    protocolVersion: ELSOM_PROTOCOL_VERSION,
    requestType,
    terminalId: context.terminalId,
    resultCode,
    ...(context.operatorId !== undefined ? { operatorId: context.operatorId } : {}),
    remoteAddr: context.remoteAddr,
    ...(context.funds ? { balanceMinor: context.funds.balanceMinor, overdraftMinor: context.funds.overdraftMinor } : {}),
    serverTime: toElsomLocal(context.now, context.utcOffsetMinutes),
  };
}

/** Result code and status-id of an engine answer to check or pay. */
export function outcomeOf(answer: EngineAnswer): { resultCode: ElsomResultCode; statusId: ElsomStatusId; payment?: PaymentView } {
  if (answer.kind === 'refused') {
    const resultCode = elsomCodeOf(answer.code);
    return { resultCode, statusId: statusIdForCode(resultCode) };
  }
  return { resultCode: elsomCodeOf(answer.payment.code), statusId: statusIdOf(answer.payment), payment: answer.payment };
}

function transferAnswer(
  context: ElsomAnswerContext,
  request: ElsomAuthorizeRequest | ElsomPaymentRequest,
  outcome: { resultCode: ElsomResultCode; statusId: ElsomStatusId; payment?: PaymentView },
  disp1: string | undefined,
): ElsomResponse {
  return {
    ...head(context, request.requestType, outcome.resultCode),
    ...(disp1 !== undefined ? { disp1 } : {}),
    statusId: outcome.statusId,
    transactionNumber: request.transactionNumber,
    ...(outcome.payment ? { txnId: outcome.payment.transactionId.toString() } : {}),
    to: { serviceId: request.to.serviceId, amountMinor: request.to.amountMinor, accountNumber: request.to.accountNumber },
  };
}

/** AUTHORIZE (2.1.2): 30 and txn-id when the provider knows the account, with the holder's name in disp1. */
export function authorizeAnswer(context: ElsomAnswerContext, request: ElsomAuthorizeRequest, answer: EngineAnswer): ElsomResponse {
  // §2.1: an AUTHORIZE with a transaction-number we already hold ends with 233.
  if (answer.kind === 'refused' && answer.exists) return transferRefusal(context, request, ELSOM_RESULT.TRANSACTION_EXISTS);
  const outcome = outcomeOf(answer);
  const disp1 = outcome.payment?.state === 'checked' ? disp1Of(outcome.payment.data) : undefined;
  return transferAnswer(context, request, outcome, disp1);
}

/** PAYMENT (2.2.2): 60 when paid; while the provider works, 1 (non-fatal) and status 10, so that Elsom repeats. */
export function paymentAnswer(context: ElsomAnswerContext, request: ElsomPaymentRequest, answer: EngineAnswer): ElsomResponse {
  const response = transferAnswer(context, request, outcomeOf(answer), undefined);
  const differs = answer.kind === 'refused' ? answer.differs : undefined;
  return differs?.length ? { ...response, extras: [differenceExtra(differs)] } : response;
}

/** The engine's request fields in the biller protocol's own words (elements of the request, as `to/amount`). */
export const ELSOM_FIELD_NAMES = {
  serviceId: 'to/service-id',
  account: 'to/account-number',
  amountTo: 'to/amount',
  amountFrom: 'from/amount',
  // Elsom sends none of these to the engine (toCheckCommand): they can only differ through a bug of ours.
  agentTransactionDate: 'receipt/datetime',
  extras: 'extra',
  extraServices: 'extraServices',
  identityCard: 'identityCard',
  fullName: 'fullName',
} as const satisfies Record<RequestField, string>;

/**
 * A repeated PAYMENT with another body (another amount, most likely) gets a code only (10, or 202 while the original
 * is in processing); the protocol has no message element, so an `extra` named `message` says which elements differ —
 * for Elsom's developers, as the agent API's resultMessage does. Responses already carry optional extras (serial,
 * BALANCE, disp1), so one more is the least intrusive place.
 */
function differenceExtra(fields: readonly RequestField[]): ElsomExtra {
  return { name: 'message', value: differenceMessage(fields.map((field) => ELSOM_FIELD_NAMES[field]), 'the stored payment') };
}

/** A refusal of AUTHORIZE or PAYMENT decided before the engine (currency, whole amounts, unknown service-id, 233). */
export function transferRefusal(context: ElsomAnswerContext, request: ElsomAuthorizeRequest | ElsomPaymentRequest, resultCode: ElsomResultCode, statusId = statusIdForCode(resultCode)): ElsomResponse {
  return transferAnswer(context, request, { resultCode, statusId }, undefined);
}

/** CANCEL_PAYMENT (2.3.2): the fields of its table only. */
export function cancelAnswer(context: ElsomAnswerContext, request: ElsomCancelPaymentRequest, answer: CancelAnswer): ElsomResponse {
  const { resultCode, statusId } = cancelOutcome(answer);
  return {
    protocolVersion: ELSOM_PROTOCOL_VERSION,
    requestType: 3,
    terminalId: context.terminalId,
    resultCode,
    statusId,
    transactionNumber: request.transactionNumber,
  };
}

export function cancelOutcome(answer: CancelAnswer): { resultCode: ElsomResultCode; statusId: ElsomStatusId } {
  switch (answer.kind) {
    case 'cancelled':
      return { resultCode: ELSOM_RESULT.OK, statusId: ELSOM_STATUS.PAID };
    case 'not_found':
      return { resultCode: ELSOM_RESULT.TRANSACTION_NOT_FOUND, statusId: ELSOM_STATUS.NOT_PAID };
    case 'unknown':
      // The provider did not answer the cancellation: nothing changed yet, Elsom may repeat.
      return { resultCode: ELSOM_RESULT.PROVIDER_CONNECTION_LOST, statusId: statusIdOf(answer.payment) };
    case 'refused':
      return { resultCode: cancelRefusalCode(answer.reason), statusId: statusIdOf(answer.payment) };
  }
}

function cancelRefusalCode(reason: Extract<CancelAnswer, { kind: 'refused' }>['reason']): ElsomResultCode {
  switch (reason) {
    case 'already_failed':
      return ELSOM_RESULT.NOT_PAID; // nothing to cancel: the payment was never made
    case 'in_processing':
      return ELSOM_RESULT.SERVER_BUSY; // non-fatal: repeat once the payment is final
    case 'not_supported':
      return ELSOM_RESULT.FORBIDDEN_BY_PROVIDER; // fatal, "обратитесь к оператору": a manual reversal
    case 'provider_refused':
      return ELSOM_RESULT.PROVIDER_ERROR;
  }
}

/** A CANCEL_PAYMENT refused before the engine (unknown service-id, a transaction of another service). */
export function cancelRefusal(context: ElsomAnswerContext, request: ElsomCancelPaymentRequest, resultCode: ElsomResultCode): ElsomResponse {
  return {
    protocolVersion: ELSOM_PROTOCOL_VERSION, requestType: 3, terminalId: context.terminalId, resultCode,
    statusId: statusIdForCode(resultCode), transactionNumber: request.transactionNumber,
  };
}

/** The longest PAYMENT_LIST period answered in one request; a bound on the registry's size. */
export const MAX_LIST_PERIOD_MS = 31 * 24 * 60 * 60_000;

/** datetime-from/-to (Elsom's wall clock) → the half-open instant range [from, to); undefined when not a sane period. */
export function listPeriod(request: ElsomPaymentListRequest, utcOffsetMinutes: number): { from: Date; to: Date } | undefined {
  const from = fromElsomLocal(request.datetimeFrom, utcOffsetMinutes);
  const to = fromElsomLocal(request.datetimeTo, utcOffsetMinutes);
  if (to.getTime() <= from.getTime() || to.getTime() - from.getTime() > MAX_LIST_PERIOD_MS) return undefined;
  return { from, to };
}

/**
 * PAYMENT_LIST (2.4.2): successful payments, the time they became successful in Elsom's zone, amounts `10.00`; the
 * transaction-number as Elsom wrote it (the payment's agent reference), or the number itself when none was kept.
 */
export function paymentListAnswer(context: ElsomAnswerContext, payments: readonly PaymentView[]): ElsomResponse {
  // The engine's lines, so that the console's PAYMENT_LIST view shows exactly what this answers.
  const rows: ElsomPaymentListRow[] = elsomListLines(payments).map((line) => ({
    transactionNumber: line.transactionNumber,
    datetime: toElsomLocal(line.at ?? context.now, context.utcOffsetMinutes),
    accountNumber: line.account,
    amountMinor: line.amountMinor,
  }));
  return {
    protocolVersion: ELSOM_PROTOCOL_VERSION, requestType: 4, terminalId: context.terminalId, resultCode: ELSOM_RESULT.OK,
    statusId: ELSOM_STATUS.PAID, rows,
  };
}

export function paymentListRefusal(context: ElsomAnswerContext, resultCode: ElsomResultCode): ElsomResponse {
  return {
    protocolVersion: ELSOM_PROTOCOL_VERSION, requestType: 4, terminalId: context.terminalId, resultCode,
    statusId: statusIdForCode(resultCode),
  };
}

/** Any request refused before it was understood (202, 275) or before its sender was known (150). */
export function requestRefusal(echo: ElsomRequestEcho, resultCode: ElsomResultCode, extra: { now: Date; utcOffsetMinutes: number; remoteAddr?: string }): ElsomResponse {
  return {
    protocolVersion: ELSOM_PROTOCOL_VERSION,
    ...(echo.requestType !== undefined ? { requestType: echo.requestType } : {}),
    ...(echo.terminalId !== undefined && /^\d{1,10}$/.test(echo.terminalId) ? { terminalId: echo.terminalId } : {}),
    resultCode,
    ...(extra.remoteAddr !== undefined ? { remoteAddr: extra.remoteAddr } : {}),
    serverTime: toElsomLocal(extra.now, extra.utcOffsetMinutes),
    statusId: statusIdForCode(resultCode),
    ...(echo.transactionNumber !== undefined && echo.transactionNumber.length <= 30 ? { transactionNumber: echo.transactionNumber } : {}),
  };
}
