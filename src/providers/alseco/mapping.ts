/**
 * Alseco messages ⇄ the engine's port types and agent-API result codes. Pure: no I/O, no clock (times come in).
 * Section names refer to alseco-soap.txt; README.md in this folder lists the partner's quirks.
 */
import { RESULT, type ResultCode } from '../../domain/result-codes.ts';
import { formatAmount, parseAmount } from '../../domain/money.ts';
import { formatOffset, isoLocal } from '../../domain/time.ts';
import type { ExtraServiceLine, Invoice, InvoiceServiceLine } from '../../domain/payment.ts';
import type { ProviderCancelResult, ProviderPayResult, ProviderStatusResult } from '../../engine/ports.ts';
import type {
  AlsecoAccountInfo, AlsecoAccountInvoices, AlsecoBankPayInfo, AlsecoInvoice, AlsecoOperationState, AlsecoPaymentDocument,
  AlsecoPaymentParameter, AlsecoResultAccountInvoicesOfInt32, AlsecoResultAccountInvoicesOfString, AlsecoResultNotMovedPays,
  AlsecoResultPaymentInvoice, AlsecoResultRollbackPaymentOfString, AlsecoRollbackResult,
} from './codec/index.ts';
import { stripInvoiceCheckDigit } from './codec/index.ts';
import type { Failed, Failure } from '../../domain/result.ts';

const INT32_MAX = 2_147_483_647;
/** Meter readings and counts are compared and subtracted exactly, at six decimals (Alseco writes "4870.000000"). */
const READING_SCALE = 6;

/** A decline for the agent (a result code and its message): data of an answer, not a failure. */
export type Refusal = { code: ResultCode; message: string };

/** A payment document that cannot be built from the agent's lines: declined with `code` (202), `detail` its message. */
export type DocumentFailure = Failure<'bad_lines'> & { code: ResultCode };

// ── accounts and invoice numbers ───────────────────────────────────────────────────────────────────────────────

/** The catalogue's account ("^\d{10}$", leading zeros allowed) as Alseco's Int32 AccountId; undefined if it cannot be one. */
export function alsecoAccountId(account: string): number | undefined {
  if (!/^\d{1,10}$/.test(account)) return undefined;
  const value = Number(account);
  return value >= 1 && value <= INT32_MAX ? value : undefined;
}

/** Extras that carry an invoice number as printed on the paper invoice (with its check digit). */
export const INVOICE_EXTRAS = ['invoice', 'invoiceId', 'invoiceNumber'] as const;

export type InvoiceSelector = { kind: 'account' } | { kind: 'invoice'; invoiceId: string } | { kind: 'refused'; refusal: Refusal };

/** "Все запросы следует делать без последней цифры!": a typed invoice number loses its check digit here. */
export function invoiceSelector(extras: Record<string, string>): InvoiceSelector {
  const typed = INVOICE_EXTRAS.map((name) => extras[name]).find((value) => value !== undefined && value.trim() !== '');
  if (typed === undefined) return { kind: 'account' };
  const stripped = stripInvoiceCheckDigit(typed);
  if (!stripped.ok) return { kind: 'refused', refusal: { code: RESULT.BAD_ACCOUNT_FORMAT, message: `Неверный номер квитанции (${stripped.failure.kind})` } };
  return { kind: 'invoice', invoiceId: stripped.invoiceId };
}

// ── invoice look-ups (check) ───────────────────────────────────────────────────────────────────────────────────

type StateMeaning = { kind: 'ok' } | { kind: 'refused'; code: ResultCode; message: string };

/**
 * "Состояние операции" of an invoice look-up or a payment, for the agent. Exhaustive: a new state breaks the build.
 * InvoicesNotFormed comes only after Alseco already fell back to the previous period ("Электронные счета").
 */
export const ALSECO_STATE_MEANING = {
  Success: { kind: 'ok' },
  InvoicesNotFormed: { kind: 'refused', code: RESULT.FORBIDDEN_TECHNICAL, message: 'Квитанции по лицевому счету еще не сформированы' },
  AccountNotFound: { kind: 'refused', code: RESULT.ACCOUNT_NOT_FOUND, message: 'Лицевой счет не найден в Алсеко' },
  AccountIsDeleted: { kind: 'refused', code: RESULT.FORBIDDEN_BY_PROVIDER, message: 'Лицевой счет удален, либо удалены все его услуги' },
  AccountIsMerged: { kind: 'refused', code: RESULT.FORBIDDEN_BY_PROVIDER, message: 'Лицевой счет слит с другим лицевым счетом' },
  InvoiceNotFound: { kind: 'refused', code: RESULT.ACCOUNT_NOT_FOUND, message: 'Квитанция не найдена' },
} as const satisfies Record<AlsecoOperationState, StateMeaning>;

export type InvoicesOutcome = { kind: 'ok'; account: AlsecoAccountInvoices } | { kind: 'declined'; refusal: Refusal } | { kind: 'unknown'; reason: string };

/** Picks our input's entry out of a look-up answer and says what its state means. */
export function readInvoiceLookup(
  results: readonly (AlsecoResultAccountInvoicesOfInt32 | AlsecoResultAccountInvoicesOfString)[],
  input: number | string,
  accountId: number,
): InvoicesOutcome {
  const entry = results.find((result) => String(result.InputValue) === String(input));
  if (!entry) return { kind: 'unknown', reason: `answer has no entry for ${input}` };
  const meaning = ALSECO_STATE_MEANING[entry.State];
  if (meaning.kind === 'refused') return { kind: 'declined', refusal: { code: meaning.code, message: meaning.message } };
  if (!entry.AccountInvoices) return { kind: 'unknown', reason: 'Success without AccountInvoices' };
  if (entry.AccountInvoices.AccountId !== accountId) {
    // "…не соответствует номеру абонента": an invoice of another subscriber is not found, for us as for Pay.
    return { kind: 'declined', refusal: { code: RESULT.ACCOUNT_NOT_FOUND, message: 'Квитанция выписана на другой лицевой счет' } };
  }
  if (entry.AccountInvoices.Invoices.length === 0) {
    return { kind: 'declined', refusal: { code: RESULT.FORBIDDEN_TECHNICAL, message: ALSECO_STATE_MEANING.InvoicesNotFormed.message } };
  }
  return { kind: 'ok', account: entry.AccountInvoices };
}

/** "2007-11-10T11:49:00" → "20071110114900" (the agent API's form; Alseco local time, nothing converted). */
export function compactAlsecoDate(dateTime: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(dateTime);
  return m ? m.slice(1, 7).join('') : dateTime;
}

/** "8.090000" → "8.09", "4870.000000" → "4870.00", "0.125" stays: trailing zeros beyond two decimals go. */
export function tidyDecimal(text: string): string {
  const m = /^(-?\d+)(?:\.(\d*?))?0*$/.exec(text);
  if (!m) return text;
  const fraction = (m[2] ?? '').padEnd(2, '0');
  return `${m[1]}.${fraction}`;
}

/**
 * subServiceId of an invoice service: Alseco's ServiceId, unless the same ServiceId appears on two invoices of the
 * account ("все услуги могут не поместиться на одну квитанцию"): then "<invoiceId>-<serviceId>", to stay unambiguous.
 */
export function subServiceIdsOf(invoices: readonly Pick<AlsecoInvoice, 'InvoceId' | 'InvoiceParameters'>[]): Map<string, string> {
  const count = new Map<number, number>();
  for (const invoice of invoices) for (const p of invoice.InvoiceParameters) count.set(p.ServiceId, (count.get(p.ServiceId) ?? 0) + 1);
  const ids = new Map<string, string>();
  for (const invoice of invoices) {
    for (const p of invoice.InvoiceParameters) {
      ids.set(`${invoice.InvoceId}/${p.ServiceId}`, (count.get(p.ServiceId) ?? 0) > 1 ? `${invoice.InvoceId}-${p.ServiceId}` : String(p.ServiceId));
    }
  }
  return ids;
}

/** Alseco's invoices → the agent API's invoice object, every field the agent spec lists. */
export function toAgentInvoices(account: AlsecoAccountInvoices, info: AlsecoAccountInfo | undefined): Invoice[] {
  const ids = subServiceIdsOf(account.Invoices);
  const clientAddress = info?.Address ?? account.AccountAddress;
  return account.Invoices.map((invoice) => ({
    invoiceId: invoice.InvoceId,
    formedDate: compactAlsecoDate(invoice.FormedDate),
    expireDate: compactAlsecoDate(invoice.ExpireDate),
    ...(info?.Name ? { clientName: info.Name } : {}),
    ...(clientAddress ? { clientAddress } : {}),
    services: invoice.InvoiceParameters.map((p): InvoiceServiceLine => ({
      subServiceId: ids.get(`${invoice.InvoceId}/${p.ServiceId}`)!,
      subServiceName: p.ServiceName ?? `Услуга ${p.ServiceId}`,
      data: {
        // FixSum is "Сумма к оплате"; Alseco's own PaySum is what was already paid this month, not a suggestion.
        paySum: formatAmount(p.FixSum),
        tariff: tidyDecimal(p.Tariff),
        // Alseco sets no per-service bounds: 0 means "no limit" in the agent API.
        minSum: '0.00',
        maxSum: '0.00',
        debtInfo: p.DebtInfo ?? '',
        isMeter: p.IsCounterService,
        prevCount: tidyDecimal(p.PrevCount),
        lastCount: tidyDecimal(p.LastCount),
        si: p.Measure ?? '',
        comment: p.ExpireDateInfo ?? '',
      },
    })),
  }));
}

// ── pay: the payment document ──────────────────────────────────────────────────────────────────────────────────

function reading(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  const parsed = parseAmount(text.trim(), READING_SCALE, { allowZero: true });
  return parsed.ok ? parsed.minor : undefined;
}

const refuse = (detail: string): Failed<DocumentFailure> => ({ ok: false, failure: { kind: 'bad_lines', detail, code: RESULT.BAD_REQUEST } });

/** The ServiceId behind a subServiceId ("13" or "<invoiceId>-13"). */
function serviceIdOf(subServiceId: string): number | undefined {
  const m = /^(?:\d+-)?(\d{1,10})$/.exec(subServiceId);
  return m ? Number(m[1]) : undefined;
}

export interface PaymentDocumentInput {
  accountId: number;
  sysRef: string;
  /** When the agent accepted the payment: "Дата произведения оплаты в банке". */
  acceptedAt: Date;
  offsetMinutes: number;
  invoices: readonly Invoice[];
  lines: readonly ExtraServiceLine[];
}

/**
 * Builds Alseco's PaymentDocument ("Оплата"): one invoice, and the paid services listed exactly as in that invoice
 * ("Список оплачиваемых услуг должен быть такой же, как и в запрошенном электронном счете"), unpaid ones with 0.
 * PayCounts = last − previous reading (Pay request table); with no reading typed, Alseco's own last reading stands.
 * Everything is checked before anything reaches Alseco; a refusal is 202.
 */
export function alsecoPaymentDocument(input: PaymentDocumentInput): { ok: true; document: AlsecoPaymentDocument } | Failed<DocumentFailure> {
  if (input.lines.length === 0) return refuse('extraServices are required for Alseco');
  const owners = new Set<Invoice>();
  for (const line of input.lines) {
    const owner = input.invoices.find((invoice) => invoice.services.some((s) => s.subServiceId === line.subServiceId));
    if (!owner) return refuse(`subServiceId ${line.subServiceId} is not in the invoice`);
    owners.add(owner);
  }
  if (owners.size !== 1) return refuse('One payment pays one Alseco invoice: extraServices span several invoices');
  const invoice = [...owners][0]!;
  if (!invoice.invoiceId) return refuse('The invoice has no number');
  const parameters: AlsecoPaymentParameter[] = [];
  for (const service of invoice.services) {
    const serviceId = serviceIdOf(service.subServiceId);
    if (serviceId === undefined) return refuse(`subServiceId ${service.subServiceId} is not an Alseco service`);
    const line = input.lines.find((candidate) => candidate.subServiceId === service.subServiceId);
    const amountMinor = line?.amountMinor ?? 0n;
    if (amountMinor < 0n) return refuse(`amount of ${service.subServiceId} is negative`);
    const counts = meterCounts(service, line);
    if (!counts.ok) return counts;
    parameters.push({ ServiceId: serviceId, PayCounts: counts.payCounts, LastCounts: counts.lastCounts, PaySum: amountMinor });
  }
  return {
    ok: true,
    document: {
      AccountId: input.accountId,
      InvoiceId: invoice.invoiceId,
      PaymentDate: alsecoDateTime(input.acceptedAt, input.offsetMinutes),
      SysRef: input.sysRef,
      PaymentParameters: parameters,
    },
  };
}

function meterCounts(service: InvoiceServiceLine, line: ExtraServiceLine | undefined): { ok: true; payCounts: string; lastCounts: string } | Failed<DocumentFailure> {
  const { isMeter, prevCount, lastCount } = service.data;
  if (!isMeter) {
    if (line?.lastCount !== undefined) return refuse(`subServiceId ${service.subServiceId} has no meter`);
    return { ok: true, payCounts: '0', lastCounts: '0' };
  }
  const previous = reading(prevCount) ?? 0n;
  const invoiceLast = reading(lastCount) ?? 0n;
  const typed = line?.lastCount === undefined ? undefined : reading(line.lastCount);
  if (line?.lastCount !== undefined && typed === undefined) return refuse(`lastCount of ${service.subServiceId} is not a meter reading`);
  if (typed !== undefined && typed < previous) return refuse(`lastCount of ${service.subServiceId} is below the previous reading`);
  const last = typed ?? (invoiceLast > previous ? invoiceLast : previous);
  return { ok: true, payCounts: formatAmount(last - previous, READING_SCALE), lastCounts: formatAmount(last, READING_SCALE) };
}

/** An instant as Alseco's xs:dateTime with its offset: "2024-10-10T12:00:00.000+05:00". */
export function alsecoDateTime(instant: Date, offsetMinutes: number): string {
  return `${isoLocal(instant, offsetMinutes)}${formatOffset(offsetMinutes)}`;
}

/** A business day ("2024-10-10") as the dateIn/DateBegin Alseco's examples show: midnight local, with the offset. */
export function alsecoDayStart(day: string, offsetMinutes: number): string {
  return `${day}T00:00:00.000${formatOffset(offsetMinutes)}`;
}

export function alsecoDayEnd(day: string, offsetMinutes: number): string {
  return `${day}T23:59:59.000${formatOffset(offsetMinutes)}`;
}

/**
 * The Pay answer for our one document. Only Success with PaymentId > 0 is paid ("Ориентироваться на успешное
 * проведение операции следует по состоянию операции… больше нуля, иначе -1"); a refusal state with -1 is a decline;
 * anything contradictory or missing is unknown, to be resolved by asking Alseco for the SysRef.
 */
export function fromPayResults(results: readonly AlsecoResultPaymentInvoice[], document: AlsecoPaymentDocument): ProviderPayResult {
  if (results.length !== 1) return { kind: 'unknown', reason: `Pay answered ${results.length} results for one document` };
  const result = results[0]!;
  if (result.InvoiceId !== document.InvoiceId) return { kind: 'unknown', reason: `Pay answered for invoice ${result.InvoiceId}, sent ${document.InvoiceId}` };
  const meaning = ALSECO_STATE_MEANING[result.State];
  if (meaning.kind === 'ok') {
    return result.PaymentId > 0 ? { kind: 'paid', providerRef: String(result.PaymentId) } : { kind: 'unknown', reason: `State Success with PaymentId ${result.PaymentId}` };
  }
  if (result.PaymentId > 0) return { kind: 'unknown', reason: `State ${result.State} with PaymentId ${result.PaymentId}` };
  return { kind: 'declined', code: meaning.code, message: meaning.message };
}

// ── status, rollback, lists ────────────────────────────────────────────────────────────────────────────────────

/**
 * What Alseco's payment list says of our SysRef: not_found only from a list that positively lacks it. Alseco has no
 * "cancelled" state: a rolled-back payment ("Откат платежей") is no longer one of the bank's payments (getPaysInfo),
 * and a rollback is the one way a payment leaves that list. So a payment Alseco itself confirmed to us (`paidAs`: the
 * PaymentIds its Pay answered, as we keep them) that a list covering its whole life positively lacks is cancelled;
 * one we never had a PaymentId for (an operator's own reference) stays not_found.
 */
export function statusFromPayList(list: readonly Pick<AlsecoBankPayInfo, 'SysRef' | 'PaymentId'>[], sysRef: string, paidAs?: string): ProviderStatusResult {
  const found = list.filter((item) => item.SysRef.trim() === sysRef && item.PaymentId > 0);
  if (found.length > 0) return { kind: 'paid', providerRef: found.map((item) => String(item.PaymentId)).join(',') };
  return paidAs !== undefined && /^[1-9]\d{0,18}(,[1-9]\d{0,18})*$/.test(paidAs) ? { kind: 'cancelled' } : { kind: 'not_found' };
}

/** "Откат платежей": exhaustive; PaymentProcessed covers next-day rollbacks (only the arrival day can be rolled back). */
export const ALSECO_ROLLBACK_MEANING = {
  Success: { kind: 'cancelled' },
  PaymentNotFound: { kind: 'refused', code: RESULT.OTHER_ERROR, message: 'Алсеко не нашло платеж с этим SysRef' },
  PaymentProcessed: {
    kind: 'refused', code: RESULT.FORBIDDEN_BY_PROVIDER,
    message: 'Платеж уже обработан Алсеко или принят не сегодня: откат возможен только в день поступления платежа',
  },
} as const satisfies Record<AlsecoRollbackResult, ProviderCancelResult>;

export function fromRollbackResults(results: readonly AlsecoResultRollbackPaymentOfString[], sysRef: string): ProviderCancelResult {
  const entry = results.find((result) => result.PaymentId.trim() === sysRef);
  if (!entry) return { kind: 'unknown', reason: `rollback answer has no entry for SysRef ${sysRef}` };
  return ALSECO_ROLLBACK_MEANING[entry.Result];
}

/** One payment as Alseco lists it, merged from GetNotMovedPays and getPaysInfo. */
export interface AlsecoListedPayment {
  sysRef: string;
  paymentIds: number[];
  amountMinor: bigint;
  accountId: number;
  invoiceId: string;
  at: string;
}

/**
 * Alseco's payments of a day, by SysRef: GetNotMovedPays (not yet moved to processing) and getPaysInfo (all the bank's
 * payments of the period) overlap; a PaymentId counts once, several PaymentIds of one SysRef are summed.
 */
export function mergeProviderLists(notMoved: readonly AlsecoResultNotMovedPays[], paysInfo: readonly AlsecoBankPayInfo[]): AlsecoListedPayment[] {
  const byPaymentId = new Map<number, { sysRef: string; amountMinor: bigint; accountId: number; invoiceId: string; at: string }>();
  for (const p of notMoved) byPaymentId.set(p.InvoicePaymentId, { sysRef: p.SysRef.trim(), amountMinor: p.PaySum, accountId: p.AccountId, invoiceId: p.InvoiceId, at: p.PaymentReceiveDate });
  for (const p of paysInfo) {
    if (!byPaymentId.has(p.PaymentId)) byPaymentId.set(p.PaymentId, { sysRef: p.SysRef.trim(), amountMinor: p.PaySum, accountId: p.AccountId, invoiceId: p.InvoiceId, at: p.PayDate });
  }
  const bySysRef = new Map<string, AlsecoListedPayment>();
  for (const [paymentId, p] of byPaymentId) {
    const known = bySysRef.get(p.sysRef);
    if (known) {
      known.paymentIds.push(paymentId);
      known.amountMinor += p.amountMinor;
    } else {
      bySysRef.set(p.sysRef, { sysRef: p.sysRef, paymentIds: [paymentId], amountMinor: p.amountMinor, accountId: p.accountId, invoiceId: p.invoiceId, at: p.at });
    }
  }
  return [...bySysRef.values()];
}
