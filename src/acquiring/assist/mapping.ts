/**
 * Assist mapping: our order ⇄ Assist's request messages (built here, written as bytes by codec/), and Assist's
 * answers → outcomes (the order-state tables). Pure: no I/O.
 */
import { assertNever } from '../../domain/assert.ts';
import { formatAmount } from '../../domain/money.ts';
import {
  ASSIST_FORMAT_CODE, ASSIST_LANGUAGE_BY_PAGE, ASSIST_RULES, AssistCodecError, assistCredentialFields, checkAssistBillnumber,
  checkAssistField, formatAssistAmount, readAssistOrder,
  type AssistAnswer, type AssistCancelRequest, type AssistChargeRequest, type AssistCredentials, type AssistFormat,
  type AssistLanguage, type AssistOrderForm, type AssistOrderResult, type AssistOrderStateRequest, type AssistPartialAmount,
  type PageLanguage,
} from './codec/index.ts';

// ── requests: our values → Assist's messages ─────────────────────────────────────────────────────────────────────

export interface AssistOrderFormInput {
  readonly merchantId: string;
  readonly orderNumber: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly pageLanguage: PageLanguage;
  readonly email?: string;
  readonly comment?: string;
  readonly returnOkUrl: string;
  readonly returnNoUrl: string;
}

/** The authorisation form from our order; refuses (AssistCodecError) what the spec's rules do not allow. */
export function assistOrderForm(input: AssistOrderFormInput): AssistOrderForm {
  checkAssistField('merchantId', input.merchantId, 'Merchant_ID');
  checkAssistField('currency', input.currency, 'OrderCurrency');
  if (input.orderNumber.trim() === '') throw new AssistCodecError('OrderNumber is empty');
  return {
    Merchant_ID: input.merchantId,
    OrderNumber: input.orderNumber,
    OrderAmount: formatAssistAmount(input.amountMinor, 'OrderAmount'),
    OrderCurrency: input.currency,
    Delay: '1',
    Language: ASSIST_LANGUAGE_BY_PAGE[input.pageLanguage],
    ...(input.email === undefined ? {} : { Email: input.email }),
    ...(input.comment === undefined ? {} : { OrderComment: input.comment }),
    URL_RETURN_OK: input.returnOkUrl,
    URL_RETURN_NO: input.returnNoUrl,
    CardPayment: '1', // card payments only: no WebMoney, no Yandex.Money
    WMPayment: '0',
    YMPayment: '0',
  };
}

export interface AssistChargeInput extends AssistCredentials {
  readonly billnumber: string;
  /** Absent: charge the full authorised amount. */
  readonly partial?: AssistPartialAmount;
  readonly format: AssistFormat;
  readonly language?: AssistLanguage;
  readonly clientIp?: string;
  /** Release the uncharged rest of the hold at once (AutoDeposit=1). */
  readonly autoDeposit?: boolean;
}

function partialFields(partial: AssistPartialAmount | undefined): { Amount?: string; Currency?: string } {
  if (!partial) return {};
  if (partial.amountMinor <= 0n) throw new AssistCodecError('Amount must be positive');
  if (!ASSIST_RULES.currency.test(partial.currency)) throw new AssistCodecError(`bad Currency "${partial.currency}"`);
  return { Amount: formatAmount(partial.amountMinor, 2), Currency: partial.currency };
}

function optionalIp(ip: string | undefined): { ClientIP?: string } {
  if (ip === undefined) return {};
  if (!ASSIST_RULES.clientIp.test(ip)) throw new AssistCodecError(`bad ClientIP "${ip}"`);
  return { ClientIP: ip };
}

export function assistChargeRequest(input: AssistChargeInput): AssistChargeRequest {
  return {
    Billnumber: checkAssistBillnumber(input.billnumber),
    ...assistCredentialFields(input),
    ...partialFields(input.partial),
    ...optionalIp(input.clientIp),
    ...(input.language === undefined ? {} : { Language: input.language }),
    Format: ASSIST_FORMAT_CODE[input.format],
    ...(input.autoDeposit === undefined ? {} : { AutoDeposit: input.autoDeposit ? '1' : '0' }),
  };
}


export interface AssistCancelInput extends AssistCredentials {
  readonly billnumber: string;
  /** Absent: release / return the whole amount. */
  readonly partial?: AssistPartialAmount;
  readonly format: Exclude<AssistFormat, 'soap'>;
  readonly cancelReason?: string;
  readonly language?: AssistLanguage;
  readonly clientIp?: string;
}

export function assistCancelRequest(input: AssistCancelInput): AssistCancelRequest {
  return {
    Billnumber: checkAssistBillnumber(input.billnumber),
    ...assistCredentialFields(input),
    ...partialFields(input.partial),
    ...(input.cancelReason === undefined ? {} : { CancelReason: input.cancelReason }),
    ...optionalIp(input.clientIp),
    ...(input.language === undefined ? {} : { Language: input.language }),
    Format: ASSIST_FORMAT_CODE[input.format],
  };
}


export interface AssistOrderStateInput extends AssistCredentials {
  readonly orderNumber: string;
  readonly format: Exclude<AssistFormat, 'soap'>;
  /** Where to start looking (UTC date); Assist searches a limited period by default. */
  readonly since?: { readonly year: number; readonly month: number; readonly day: number };
}

export function assistOrderStateRequest(input: AssistOrderStateInput): AssistOrderStateRequest {
  if (!/^\S{1,128}$/.test(input.orderNumber)) throw new AssistCodecError(`bad Ordernumber "${input.orderNumber}"`);
  const since = input.since;
  return {
    Ordernumber: input.orderNumber,
    ...assistCredentialFields(input),
    Format: ASSIST_FORMAT_CODE[input.format],
    ...(since ? { StartDay: String(since.day), StartMonth: String(since.month), StartYear: String(since.year) } : {}),
  };
}

// ── answers → outcomes ───────────────────────────────────────────────────────────────────────────────────────────

/**
 * Assist order states. The spec names Delayed, Approved and PartialDelayed and links the full list ("статусы заказа")
 * without including it; the rest are the states Assist integrations handle publicly. Any other text is unrecognised
 * and therefore `unknown`, never a refusal.
 */
export const ASSIST_ORDER_STATES = [
  'In Process',
  'Delayed',
  'Approved',
  'PartialApproved',
  'PartialDelayed',
  'Canceled',
  'PartialCanceled',
  'Declined',
  'Timeout',
] as const;

export type AssistOrderState = (typeof ASSIST_ORDER_STATES)[number];

export function parseAssistOrderState(text: string | undefined): AssistOrderState | undefined {
  const wanted = text?.trim().toLowerCase();
  return ASSIST_ORDER_STATES.find((state) => state.toLowerCase() === wanted);
}

/** approved: the operation took effect · declined: explicit refusal · retry: not processed, repeat · unknown: check. */
export type AssistOutcomeKind = 'approved' | 'declined' | 'retry' | 'unknown';

/**
 * What the order state of a charge.cfm answer with responsecode AS000 says about the charge.
 * Spec "Подтверждение оплаты": success leaves the order Approved or PartialDelayed (partial charge).
 */
export const ASSIST_CHARGE_STATE_OUTCOME = {
  'In Process': 'unknown',
  Delayed: 'unknown', // still only authorised: the charge did not (yet) happen
  Approved: 'approved',
  PartialApproved: 'approved',
  PartialDelayed: 'approved', // partial charge done, the rest still held
  Canceled: 'declined', // the hold was released: nothing can be charged any more
  PartialCanceled: 'unknown', // money was charged and partly returned: an operator looks at it
  Declined: 'declined',
  Timeout: 'declined',
} as const satisfies Record<AssistOrderState, AssistOutcomeKind>;

/** What the order state of a cancel.cfm answer with responsecode AS000 says about releasing the hold. */
export const ASSIST_CANCEL_STATE_OUTCOME = {
  'In Process': 'unknown',
  Delayed: 'unknown', // still held: the cancel did not take effect
  Approved: 'unknown', // charged, not released: an operator looks at it
  PartialApproved: 'unknown',
  PartialDelayed: 'unknown',
  Canceled: 'approved',
  PartialCanceled: 'unknown', // we only ever release the whole hold
  Declined: 'unknown', // nothing was held
  Timeout: 'unknown',
} as const satisfies Record<AssistOrderState, AssistOutcomeKind>;

/** Where an order stands, for order-state lookups (after the customer returns, or when resolving an unknown). */
export type AssistOrderPhase = 'pending' | 'authorised' | 'charged' | 'partially_charged' | 'released' | 'refused';

export const ASSIST_ORDER_STATE_PHASE = {
  'In Process': 'pending',
  Delayed: 'authorised', // spec: after a successful Delay=1 payment the order is Delayed
  Approved: 'charged',
  PartialApproved: 'partially_charged',
  PartialDelayed: 'partially_charged',
  Canceled: 'released',
  PartialCanceled: 'partially_charged',
  Declined: 'refused',
  Timeout: 'refused',
} as const satisfies Record<AssistOrderState, AssistOrderPhase>;

export function assistOrderPhase(orderstate: string | undefined): AssistOrderPhase | 'unknown' {
  const state = parseAssistOrderState(orderstate);
  return state ? ASSIST_ORDER_STATE_PHASE[state] : 'unknown';
}

/** AS000 success; AS100–AS998 refusal (spec, after the XML example); anything else is not understood. */
export type AssistResponseCodeKind = 'success' | 'declined' | 'unknown';

export function assistResponseCodeKind(code: string | undefined): AssistResponseCodeKind {
  const match = /^AS(\d{3})$/.exec(code?.trim() ?? '');
  if (!match) return 'unknown';
  const n = Number(match[1]);
  if (n === 0) return 'success';
  return n >= 100 && n <= 998 ? 'declined' : 'unknown';
}

export type AssistOutcome =
  | { kind: 'approved'; state: AssistOrderState; order: AssistOrderResult }
  | { kind: 'declined'; code: string; message: string; order: AssistOrderResult }
  | { kind: 'retry'; firstcode: string; secondcode: string }
  | { kind: 'unknown'; reason: string };

export type AssistStateTable = Readonly<Record<AssistOrderState, AssistOutcomeKind>>;

/**
 * Gives an answer its meaning. Pending by default: only AS000 with a success state is `approved`, only AS100–AS998
 * (or AS000 with a refused state) is `declined`, non-zero firstcode/secondcode is `retry` (repeating a charge never
 * charges twice, spec "Повторное подтверждение…"), everything else is `unknown`.
 */
export function classifyAssistAnswer(
  answer: AssistAnswer,
  table: AssistStateTable = ASSIST_CHARGE_STATE_OUTCOME,
): AssistOutcome {
  if (answer.kind === 'unreadable') return { kind: 'unknown', reason: answer.detail };
  if (answer.kind === 'not_processed') return { kind: 'retry', ...codesOf(answer) };
  const [record, ...others] = answer.orders;
  if (!record || others.length > 0) return { kind: 'unknown', reason: `${answer.orders.length} orders in the answer` };
  return classifyOrder(readAssistOrder(record), table);
}

const codesOf = (a: { firstcode: string; secondcode: string }) => ({ firstcode: a.firstcode, secondcode: a.secondcode });

function classifyOrder(order: AssistOrderResult, table: AssistStateTable): AssistOutcome {
  if (order.malformed.length > 0) return { kind: 'unknown', reason: `malformed ${order.malformed.join(', ')}` };
  const codeKind = assistResponseCodeKind(order.responsecode);
  if (codeKind === 'unknown') return { kind: 'unknown', reason: `responsecode "${order.responsecode ?? ''}"` };
  if (codeKind === 'declined') return declined(order);
  const state = parseAssistOrderState(order.orderstate);
  if (!state) return { kind: 'unknown', reason: `orderstate "${order.orderstate ?? ''}"` };
  return outcomeForState(order, state, table[state]);
}

function outcomeForState(order: AssistOrderResult, state: AssistOrderState, kind: AssistOutcomeKind): AssistOutcome {
  switch (kind) {
    case 'approved':
      return { kind: 'approved', state, order };
    case 'declined':
      return declined(order);
    case 'retry':
    case 'unknown':
      return { kind: 'unknown', reason: `orderstate ${state}` };
  }
  return assertNever(kind, 'Assist outcome kind');
}

function declined(order: AssistOrderResult): AssistOutcome {
  const code = order.responsecode ?? '';
  const message = order.message ?? order.customermessage ?? order.orderstate ?? '';
  return { kind: 'declined', code, message, order };
}
