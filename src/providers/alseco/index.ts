/**
 * The Alseco provider adapter (complex scheme, service type 1): the engine's port on top of the SOAP client and the
 * mapping. Glue only: which calls, in which order; what the answers mean lives in mapping.ts.
 */
import { RESULT } from '../../domain/result-codes.ts';
import { systemClock, type Clock } from '../../domain/clock.ts';
import { businessDay } from '../../domain/time.ts';
import type { Invoice } from '../../domain/payment.ts';
import type {
  CallOptions, ProviderAdapter, ProviderCancelResult, ProviderCheckRequest, ProviderCheckResult, ProviderPayRequest,
  ProviderPayResult, ProviderStatusResult,
} from '../../engine/ports.ts';
import type { ProviderPaymentRecord, ReconciliationSource, SettlementLine, SourceResult } from '../../engine/reconcile.ts';
import type { AlsecoAccountInfo } from './codec/index.ts';
import { AlsecoClient, type AlsecoCallOutcome } from './client.ts';
import type { AlsecoConfig } from './config.ts';
import {
  alsecoAccountId, alsecoDayEnd, alsecoDayStart, alsecoPaymentDocument, fromPayResults, fromRollbackResults, invoiceSelector,
  mergeProviderLists, readInvoiceLookup, statusFromPayList, toAgentInvoices, type Refusal,
} from './mapping.ts';

type Lookup = { kind: 'ok'; accountId: number; invoices: Invoice[] } | { kind: 'declined'; refusal: Refusal } | { kind: 'unknown'; reason: string };

/** A fault of the client kind means Alseco refused the request as such; any other fault or failure: outcome unknown. */
/** What a call that did not answer normally says: the fault's message or the failure's detail. */
function whatFailed(outcome: Exclude<AlsecoCallOutcome<never>, { kind: 'ok' }>): string {
  return outcome.kind === 'fault' ? outcome.message : outcome.detail;
}

function notOk(outcome: Exclude<AlsecoCallOutcome<never>, { kind: 'ok' }>): { kind: 'declined'; refusal: Refusal } | { kind: 'unknown'; reason: string } {
  if (outcome.kind === 'fault' && outcome.side === 'client') return { kind: 'declined', refusal: { code: RESULT.OTHER_ERROR, message: outcome.message } };
  return { kind: 'unknown', reason: whatFailed(outcome) };
}

export class AlsecoProviderAdapter implements ProviderAdapter, ReconciliationSource {
  readonly name = 'alseco';
  readonly provider = 'alseco';
  readonly client: AlsecoClient;

  /** `sandboxBaseUrl` is this Tolem's /sandbox, used when ALSECO_URL is unset. */
  constructor(readonly config: AlsecoConfig, sandboxBaseUrl: () => string, private readonly clock: Clock = systemClock) {
    this.client = new AlsecoClient(config, {
      payments: () => config.url ?? `${sandboxBaseUrl()}/alseco/AlsecoPaymentsService.asmx`,
      erc: () => config.ercUrl ?? `${sandboxBaseUrl()}/alseco/AstanaErcPaymentService.asmx`,
    });
  }

  get offsetMinutes(): number {
    return this.config.offsetMinutes;
  }

  async check(request: ProviderCheckRequest, options: CallOptions): Promise<ProviderCheckResult> {
    const lookup = await this.lookup(request, options.signal, true);
    switch (lookup.kind) {
      case 'ok':
        return { kind: 'ok', data: { invoices: lookup.invoices } };
      case 'declined':
        return { kind: 'declined', ...lookup.refusal };
      case 'unknown':
        return lookup;
    }
  }

  /** Safe to repeat: the document is rebuilt identically (same SysRef, same PaymentDate) from the stored payment. */
  async pay(request: ProviderPayRequest, options: CallOptions): Promise<ProviderPayResult> {
    let invoices = request.checkData?.invoices;
    let accountId = alsecoAccountId(request.account);
    if (!invoices || invoices.length === 0) {
      // Paid without a check: the invoice is read now, and the same rules apply before anything is paid.
      const lookup = await this.lookup(request, options.signal, false);
      if (lookup.kind === 'declined') return { kind: 'declined', ...lookup.refusal };
      if (lookup.kind === 'unknown') return lookup;
      invoices = lookup.invoices;
      accountId = lookup.accountId;
    }
    if (accountId === undefined) return { kind: 'declined', code: RESULT.ACCOUNT_NOT_FOUND, message: 'Лицевой счет не может существовать в Алсеко' };
    const built = alsecoPaymentDocument({
      accountId, sysRef: request.transactionId.toString(), acceptedAt: request.acceptedAt, offsetMinutes: this.config.offsetMinutes,
      invoices, lines: request.extraServices ?? [],
    });
    if (!built.ok) return { kind: 'declined', code: built.failure.code, message: built.failure.detail };
    const answer = await this.client.call('Pay', { paymentDocuments: [built.document], bankCode: this.client.bankCode }, options.signal);
    if (answer.kind === 'ok') return fromPayResults(answer.result, built.document);
    const failed = notOk(answer);
    return failed.kind === 'declined' ? { kind: 'declined', ...failed.refusal } : failed;
  }

  /**
   * Asks Alseco's payment list (getPaysInfo) for our SysRef from the day we accepted the payment to today; a payment
   * it confirmed (`providerRef`: its PaymentIds) and no longer lists was rolled back (see statusFromPayList).
   */
  async status(request: ProviderPayRequest, options: CallOptions): Promise<ProviderStatusResult> {
    const from = businessDay(request.acceptedAt, this.config.offsetMinutes);
    const today = businessDay(this.clock.now(), this.config.offsetMinutes);
    const answer = await this.client.call('getPaysInfo', {
      bankCode: this.client.bankCode,
      DateBegin: alsecoDayStart(from, this.config.offsetMinutes),
      DateEnd: alsecoDayEnd(today > from ? today : from, this.config.offsetMinutes),
    }, options.signal);
    if (answer.kind !== 'ok') return { kind: 'unknown', reason: whatFailed(answer) };
    return statusFromPayList(answer.result, request.transactionId.toString(), request.providerRef);
  }

  /** Same-day rollback by SysRef ("Откат платежей"); Alseco refuses a processed or earlier-day payment. */
  async cancel(request: ProviderPayRequest, options: CallOptions): Promise<ProviderCancelResult> {
    const sysRef = request.transactionId.toString();
    const answer = await this.client.call('RollbackPaymentsBySysRef', { sysRefs: [sysRef], bankCode: this.client.bankCode }, options.signal);
    if (answer.kind === 'ok') return fromRollbackResults(answer.result, sysRef);
    const failed = notOk(answer);
    return failed.kind === 'declined' ? { kind: 'refused', ...failed.refusal } : failed;
  }

  // ── reconciliation ("Сверка платежей") ────────────────────────────────────────────────────────────────────────

  async listProviderPayments(day: string, signal?: AbortSignal): Promise<SourceResult<ProviderPaymentRecord[]>> {
    const offset = this.config.offsetMinutes;
    const [notMoved, paysInfo] = await Promise.all([
      this.client.call('GetNotMovedPays', { bankCode: this.client.bankCode, dateIn: alsecoDayStart(day, offset) }, signal),
      this.client.call('getPaysInfo', { bankCode: this.client.bankCode, DateBegin: alsecoDayStart(day, offset), DateEnd: alsecoDayEnd(day, offset) }, signal),
    ]);
    if (notMoved.kind !== 'ok') return { ok: false, reason: whatFailed(notMoved) };
    if (paysInfo.kind !== 'ok') return { ok: false, reason: whatFailed(paysInfo) };
    const merged = mergeProviderLists(notMoved.result, paysInfo.result);
    return {
      ok: true,
      value: merged.map((p) => ({
        reference: p.sysRef, providerRef: p.paymentIds.join(','), amountMinor: p.amountMinor, account: String(p.accountId),
        detail: `invoice ${p.invoiceId}`, at: p.at,
      })),
    };
  }

  /** GetBankDayChecks: tells Alseco the day is reconciled; it then loads the day's payments for processing. */
  async confirmDay(day: string, signal?: AbortSignal): Promise<SourceResult<{ confirmed: boolean; detail: string }>> {
    const answer = await this.client.call('GetBankDayChecks', { bankCode: this.client.bankCode, dateIn: alsecoDayStart(day, this.config.offsetMinutes) }, signal);
    if (answer.kind !== 'ok') return { ok: false, reason: whatFailed(answer) };
    const confirmed = answer.result.length > 0 && answer.result.every((r) => r.CheckedSign);
    return { ok: true, value: { confirmed, detail: answer.result.map((r) => `${r.BankCode} ${r.PaymentDate} CheckedSign=${r.CheckedSign}`).join('; ') || 'empty answer' } };
  }

  /** GetReport108e: Alseco's payment orders to the suppliers for the day, imported as the settlement statement. */
  async settlementStatement(day: string, signal?: AbortSignal): Promise<SourceResult<{ lines: SettlementLine[]; message: string }>> {
    const answer = await this.client.call('GetReport108e', { bankCode: this.client.bankCode, dateIn: alsecoDayStart(day, this.config.offsetMinutes) }, signal);
    if (answer.kind !== 'ok') return { ok: false, reason: whatFailed(answer) };
    const { list, result, ErrorMessage } = answer.result;
    return {
      ok: true,
      value: {
        // Errors come as text ("День не отмечен", "Нет данных за выбранный день"), success as "sucsess" (sic).
        message: [result, ErrorMessage].filter((text) => text !== undefined && text !== '').join(': '),
        lines: list.map((item) => ({
          serviceCode: String(item.SERV_ID), amountMinor: item.SUMP,
          ...(item.NAME_POL ? { payeeName: item.NAME_POL.trim() } : {}),
          ...(item.BIN ? { payeeBin: item.BIN } : {}),
          ...(item.NUMRS ? { payeeAccount: item.NUMRS } : {}),
          ...(item.NAZN_PL ? { purpose: item.NAZN_PL.trim() } : {}),
          details: { DAT: item.DAT, KODBN: item.KODBN, TSH: item.TSH, KODD: item.KODD, FL: item.FL, KBE: item.KBE, KNP: item.KNP, IIN_ABON: item.IIN_ABON, FIO: item.FIO },
        })),
      },
    };
  }

  // ── invoices ──────────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * The invoices to show or pay: by account (GetInvoicesByAccountsNew, Alseco falls back to the previous period
   * itself), or one invoice when the agent typed its number in extras (GetInvoicesByInvoicesNew, check digit stripped).
   * The subscriber's name comes from GetAccountInfo when wanted; if that call fails the invoice is shown without it.
   */
  private async lookup(request: ProviderCheckRequest, signal: AbortSignal, withInfo: boolean): Promise<Lookup> {
    const accountId = alsecoAccountId(request.account);
    if (accountId === undefined) return { kind: 'declined', refusal: { code: RESULT.ACCOUNT_NOT_FOUND, message: 'Лицевой счет не может существовать в Алсеко' } };
    const selector = invoiceSelector(request.extras);
    if (selector.kind === 'refused') return { kind: 'declined', refusal: selector.refusal };
    const bankCode = this.client.bankCode;
    const [found, info] = await Promise.all([
      selector.kind === 'invoice'
        ? this.client.call('GetInvoicesByInvoicesNew', { inputInvoices: [selector.invoiceId], bankCode }, signal)
        : this.client.call('GetInvoicesByAccountsNew', { accounts: [accountId], bankCode }, signal),
      withInfo ? this.accountInfo(accountId, signal) : Promise.resolve(undefined),
    ]);
    if (found.kind !== 'ok') return notOk(found);
    const read = readInvoiceLookup(found.result, selector.kind === 'invoice' ? selector.invoiceId : accountId, accountId);
    if (read.kind !== 'ok') return read;
    return { kind: 'ok', accountId, invoices: toAgentInvoices(read.account, info) };
  }

  private async accountInfo(accountId: number, signal: AbortSignal): Promise<AlsecoAccountInfo | undefined> {
    const answer = await this.client.call('GetAccountInfo', { accountId, bankCode: this.client.bankCode }, signal);
    return answer.kind === 'ok' ? answer.result : undefined;
  }
}
