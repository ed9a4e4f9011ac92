/**
 * The Alseco simulator: Alseco's side of alseco-soap.txt, in memory, with its own clock (UTC+5 by default).
 * It behaves as the spec describes: accounts in every state, multi-service invoices with meters, the current period
 * that changes only after the 1st–3rd of a month ("Текущий период"), the previous period's invoices when the current
 * ones are not formed ("Электронные счета"), Pay/PayD keyed on SysRef (a repeat answers the first payment), same-day
 * rollback, payment lists, day checks and the 108e report. Transport and faults live in routes.ts. With `dedupe` off
 * a repeated SysRef is paid again (a provider that promises nothing); `journal` lists the methods called, in order.
 */
import { toLocalDateTime } from '../../domain/local-date-time.ts';
import { systemClock, type Clock } from '../../domain/clock.ts';
import type {
  AlsecoAccountInfo, AlsecoAccountInvoices, AlsecoBankPayInfo, AlsecoForm108eItems, AlsecoInvoice, AlsecoInvoiceParameter,
  AlsecoOperationState, AlsecoParams, AlsecoPayItem, AlsecoPaymentDocument, AlsecoRequest, AlsecoResponse,
  AlsecoResultAccountInvoicesOfInt32, AlsecoResultAccountInvoicesOfString, AlsecoResultPaymentInvoiceD, AlsecoRollbackResult,
} from '../../providers/alseco/codec/index.ts';
import { formatAlsecoMoney } from '../../providers/alseco/codec/index.ts';
import { renderGif, renderPdf } from './documents.ts';

/** A refusal answered as a SOAP Fault (ASMX: HTTP 500). */
export class AlsecoSimFault extends Error {
  constructor(readonly side: 'client' | 'server', message: string) {
    super(message);
  }
}

interface ServiceTemplate {
  serviceId: number;
  name: string;
  measure: string;
  tariff: string;
  isCounter: boolean;
  /** Readings in thousandths; the meter reading grows by `monthlyUse` every period. */
  prevReading?: number;
  monthlyUse?: number;
  /** Non-meter services: the monthly charge in tiyn. */
  fixMinor?: bigint;
  debtInfo?: string;
  supplier: string;
}

type AccountState = 'Active' | 'Deleted' | 'Merged';
/** all: invoices in every period; previous-only: the current period's are not formed yet; none: never formed. */
type Formation = 'all' | 'previous-only' | 'none';

interface SimAccount {
  accountId: number;
  state: AccountState;
  name: string;
  address: string;
  iin: string;
  rnn: string;
  phone: string;
  square: string;
  people: number;
  formation: Formation;
  /** Services per invoice: a long list does not fit on one paper invoice, so it is split. */
  invoices: ServiceTemplate[][];
}

export interface SimPayment {
  paymentId: number;
  sysRef: string;
  accountId: number;
  invoiceId: string;
  paySumMinor: bigint;
  /** Bank's payment date as sent, and when Alseco received it (its own clock, local text). */
  paymentDate: string;
  receivedAt: number;
  parameters: { serviceId: number; paySumMinor: bigint; payCounts: string; lastCounts: string }[];
  rolledBack: boolean;
  /** Moved to processing after the bank's day check (GetBankDayChecks): no rollback any more. */
  moved: boolean;
}

const SUPPLIERS = {
  power: 'АО Алматинские электрические станции',
  gas: 'АО КазТрансГаз Аймак',
  heat: 'АО Алматинские тепловые сети',
  water: 'ГКП Алматы Су',
  waste: 'ТОО Тартып',
} as const;

const ELECTRICITY: ServiceTemplate = { serviceId: 13, name: 'Электроэнергия', measure: 'тг/кВт.ч', tariff: '8.090000', isCounter: true, prevReading: 4_870_000, monthlyUse: 140_000, debtInfo: 'долг 339.78', supplier: SUPPLIERS.power };
const GAS: ServiceTemplate = { serviceId: 37, name: 'Газ со счетчиком', measure: 'тг/м3', tariff: '14.850000', isCounter: true, prevReading: 595_000, monthlyUse: 15_000, debtInfo: 'переплата 415.90', supplier: SUPPLIERS.gas };
const HEATING: ServiceTemplate = { serviceId: 2, name: 'Отопление', measure: 'тг/м2', tariff: '210.270000', isCounter: false, fixMinor: 925_188n, supplier: SUPPLIERS.heat };
const WATER: ServiceTemplate = { serviceId: 36, name: 'Холодная вода', measure: 'тг/м3', tariff: '91.570000', isCounter: true, prevReading: 312_000, monthlyUse: 6_000, supplier: SUPPLIERS.water };
const WASTE: ServiceTemplate = { serviceId: 45, name: 'Вывоз мусора', measure: 'тг/чел', tariff: '320.000000', isCounter: false, fixMinor: 64_000n, supplier: SUPPLIERS.waste };

function account(accountId: number, state: AccountState, formation: Formation, name: string, invoices: ServiceTemplate[][]): SimAccount {
  return {
    accountId, state, formation, name, invoices,
    address: `г. Алматы, мкр. Самал-2, дом ${accountId % 100}, кв. ${accountId % 37}`,
    iin: `6605233${String(accountId).slice(-5).padStart(5, '0')}`,
    rnn: `60041${String(accountId).padStart(7, '0')}`,
    phone: `+7 727 ${String(accountId).slice(-7).padStart(7, '0')}`,
    square: '44.000000',
    people: 2,
  };
}

/** The simulator's subscribers (the README lists them as 10-digit accounts, e.g. 0000100110). */
export function seedAccounts(): SimAccount[] {
  return [
    account(100110, 'Active', 'all', 'Иванов Иван Иванович', [[ELECTRICITY, GAS, HEATING, WASTE]]),
    account(100111, 'Active', 'all', 'Петрова Анна Сергеевна', [[ELECTRICITY, WATER], [HEATING, WASTE, { ...ELECTRICITY, prevReading: 1_200_000 }]]),
    account(100112, 'Active', 'previous-only', 'Сидоров Петр Ильич', [[ELECTRICITY, HEATING]]),
    account(100113, 'Active', 'none', 'Ахметов Ержан', [[ELECTRICITY]]),
    account(100114, 'Deleted', 'all', 'Ким Ольга', [[HEATING]]),
    account(100115, 'Merged', 'all', 'Нуриев Марат', [[HEATING]]),
    account(100116, 'Active', 'all', 'Смагулова Дина', [[WATER, WASTE]]),
    account(100117, 'Active', 'all', 'Ли Виктор', [[ELECTRICITY, GAS, WATER, HEATING, WASTE]]),
  ];
}

// ── local time ─────────────────────────────────────────────────────────────────────────────────────────────────

interface LocalDay { year: number; month: number; day: number }

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const periodKey = (year: number, month: number) => year * 12 + (month - 1);
const periodOf = (key: number) => ({ year: Math.floor(key / 12), month: (key % 12) + 1 });
const periodText = (key: number) => `${periodOf(key).year}-${pad(periodOf(key).month)}`;
const dayText = (d: LocalDay) => `${d.year}-${pad(d.month)}-${pad(d.day)}`;
const lastDayOf = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** Thousandths → "4870.000000" (Alseco writes six decimals). */
const readingText = (thousandths: number) => `${Math.floor(thousandths / 1000)}.${pad(thousandths % 1000, 3)}000`;

function parseReading(text: string): number | undefined {
  const m = /^(\d+)(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (!m) return undefined;
  const fraction = (m[2] ?? '').padEnd(6, '0');
  if (!/^\d{3}0{3}$/.test(fraction)) return undefined;
  return Number(m[1]) * 1000 + Number(fraction.slice(0, 3));
}

export interface AlsecoSimulatorOptions {
  bankCode: string;
  offsetMinutes: number;
  /** The day of the month from which the database is in the new period ("С 1-го по 3-го числа… переход"). */
  periodSwitchDay?: number;
  /** The hub's clock; the simulator's own `setClock` moves it further for tests. */
  clock?: Clock;
}

export class AlsecoSimulator {
  readonly accounts = new Map<number, SimAccount>();
  readonly payments: SimPayment[] = [];
  readonly stats = { payCalls: 0, rollbackCalls: 0, calls: 0, byMethod: {} as Record<string, number> };
  /** The latest calls (method, and the SysRefs of a Pay), oldest first: what was asked before a repeat. */
  readonly journal: { method: string; sysRefs?: string[]; at: number }[] = [];
  /** false: Pay/PayD with a SysRef already paid pays again, as a provider without deduplication would. */
  dedupe = true;
  private nextPaymentId = 8_366_535;
  private clockOffsetMs = 0;
  private readonly checkedDays = new Set<string>();
  private formedBillCursor: number | undefined;
  /** Declared readings per account/service in a period: the next look-up shows them as LastCount. */
  private readonly declared = new Map<string, number>();

  constructor(readonly options: AlsecoSimulatorOptions) {
    for (const a of seedAccounts()) this.accounts.set(a.accountId, a);
  }

  // ── clock and periods ──────────────────────────────────────────────────────────────────────────────────────────

  now(): number {
    return this.baseNow() + this.clockOffsetMs;
  }

  private baseNow(): number {
    return (this.options.clock ?? systemClock).now().getTime();
  }

  setClock(iso: string | null): string {
    this.clockOffsetMs = iso === null ? 0 : Date.parse(iso) - this.baseNow();
    return new Date(this.now()).toISOString();
  }

  localDay(instant = this.now()): LocalDay {
    const { year, month, day } = toLocalDateTime(new Date(instant), this.options.offsetMinutes);
    return { year, month, day };
  }

  /** Local wall-clock text of an instant, as Alseco writes dates (no offset). */
  localText(instant: number): string {
    return new Date(instant + this.options.offsetMinutes * 60_000).toISOString().slice(0, 19);
  }

  /** The open period in Alseco's database: last month's until the switch day of this month. */
  currentPeriodKey(): number {
    const today = this.localDay();
    const key = periodKey(today.year, today.month);
    return today.day < (this.options.periodSwitchDay ?? 3) ? key - 1 : key;
  }

  // ── invoices ───────────────────────────────────────────────────────────────────────────────────────────────────

  private formed(a: SimAccount, key: number): boolean {
    const current = this.currentPeriodKey();
    if (key > current || key < current - 6) return false;
    if (a.formation === 'none') return false;
    if (a.formation === 'previous-only') return key < current;
    return true;
  }

  /** invoice number: YYMM + 7-digit account + sequence on the account (12 digits, without the check digit). */
  invoiceId(a: SimAccount, key: number, index: number): string {
    const { year, month } = periodOf(key);
    return `${pad(year % 100)}${pad(month)}${pad(a.accountId, 7)}${index + 1}`;
  }

  invoicesOf(a: SimAccount, key: number): AlsecoInvoice[] {
    if (!this.formed(a, key)) return [];
    const { year, month } = periodOf(key);
    const age = this.currentPeriodKey() - key;
    return a.invoices.map((services, index) => {
      const id = this.invoiceId(a, key, index);
      return {
        InvoceId: id,
        FormedDate: `${year}-${pad(month)}-01T10:00:00`,
        ExpireDate: `${year}-${pad(month)}-${pad(lastDayOf(year, month))}T00:00:00`,
        InvoiceParameters: services.map((s) => this.parameter(a, id, s, age)),
      };
    });
  }

  private parameter(a: SimAccount, invoiceId: string, s: ServiceTemplate, age: number): AlsecoInvoiceParameter {
    const paid = this.payments
      .filter((p) => !p.rolledBack && p.invoiceId === invoiceId)
      .flatMap((p) => p.parameters.filter((x) => x.serviceId === s.serviceId))
      .reduce((sum, x) => sum + x.paySumMinor, 0n);
    const base = {
      ServiceId: s.serviceId, ServiceName: s.name, IsCounterService: s.isCounter, Measure: s.measure, Tariff: s.tariff,
      ExpireDateInfo: `Срок оплаты до конца месяца`,
      ...(s.debtInfo ? { DebtInfo: s.debtInfo } : {}),
      ...(paid > 0n ? { PaySum: paid } : {}),
    };
    if (!s.isCounter) {
      return { ...base, AvgPaySum: s.fixMinor!, AvgCount: '0.000000', LastCount: '0.000000', PrevCount: '0.000000', FixCount: '0.000000', FixSum: s.fixMinor! };
    }
    const prev = s.prevReading! - age * s.monthlyUse!;
    const last = Math.max(prev + s.monthlyUse!, this.declared.get(`${invoiceId}/${s.serviceId}`) ?? 0);
    const tariffThousandths = Math.round(Number(s.tariff) * 1000);
    const fixMinor = BigInt(Math.round(((last - prev) * tariffThousandths) / 10_000));
    return {
      ...base, AvgPaySum: fixMinor, AvgCount: readingText(s.monthlyUse!), LastCount: readingText(last), PrevCount: readingText(prev),
      FixCount: readingText(last - prev), FixSum: fixMinor,
    };
  }

  private accountInvoices(a: SimAccount, invoices: AlsecoInvoice[], withIin: boolean): AlsecoAccountInvoices {
    return {
      ...(withIin ? { IIN: a.iin } : {}),
      AccountId: a.accountId,
      AccountAddress: a.address,
      Invoices: invoices,
      CalculationParameters: [
        { ParameterId: 1, ParameterName: 'Количество проживающих', ParameterValue: `${a.people}.000000` },
        { ParameterId: 2, ParameterName: 'Отапливаемая площадь', ParameterValue: a.square },
      ],
    };
  }

  private byAccount(accountId: number, withIin: boolean): AlsecoResultAccountInvoicesOfInt32 {
    const a = this.accounts.get(accountId);
    if (!a) return { InputValue: accountId, State: 'AccountNotFound' };
    if (a.state === 'Deleted') return { InputValue: accountId, State: 'AccountIsDeleted' };
    if (a.state === 'Merged') return { InputValue: accountId, State: 'AccountIsMerged' };
    const current = this.currentPeriodKey();
    // Not formed in the current period: the previous period's invoices; in neither: the state says so.
    const invoices = this.invoicesOf(a, current).length > 0 ? this.invoicesOf(a, current) : this.invoicesOf(a, current - 1);
    if (invoices.length === 0) return { InputValue: accountId, State: 'InvoicesNotFormed' };
    return { InputValue: accountId, State: 'Success', AccountInvoices: this.accountInvoices(a, invoices, withIin) };
  }

  /** Finds an invoice of any recent period by its number (without check digit). */
  findInvoice(invoiceId: string): { account: SimAccount; invoice: AlsecoInvoice } | undefined {
    const m = /^(\d{2})(\d{2})(\d{7})(\d)$/.exec(invoiceId);
    if (!m) return undefined;
    const a = this.accounts.get(Number(m[3]));
    if (!a) return undefined;
    const invoice = this.invoicesOf(a, periodKey(2000 + Number(m[1]), Number(m[2]))).find((i) => i.InvoceId === invoiceId);
    return invoice ? { account: a, invoice } : undefined;
  }

  private byInvoice(invoiceId: string, withIin: boolean): AlsecoResultAccountInvoicesOfString {
    const found = this.findInvoice(invoiceId);
    if (!found) return { InputValue: invoiceId, State: 'InvoiceNotFound' };
    return { InputValue: invoiceId, State: 'Success', AccountInvoices: this.accountInvoices(found.account, [found.invoice], withIin) };
  }

  // ── payments ───────────────────────────────────────────────────────────────────────────────────────────────────

  private payDocument(document: AlsecoPaymentDocument): AlsecoResultPaymentInvoiceD {
    const sysRef = document.SysRef.trim();
    const refused = (State: AlsecoOperationState) => ({ State, InvoiceId: document.InvoiceId, PaymentId: -1, PayResDate: this.localText(this.now()) });
    // The bank's reference identifies its operation: a repeat answers the payment already made, never a second one.
    const existing = this.dedupe ? this.payments.find((p) => p.sysRef === sysRef && !p.rolledBack) : undefined;
    if (existing) return { State: 'Success', InvoiceId: existing.invoiceId, PaymentId: existing.paymentId, PayResDate: this.localText(existing.receivedAt) };
    const a = this.accounts.get(document.AccountId);
    if (!a) return refused('AccountNotFound');
    if (a.state === 'Deleted') return refused('AccountIsDeleted');
    if (a.state === 'Merged') return refused('AccountIsMerged');
    const found = this.findInvoice(document.InvoiceId);
    if (!found || found.account.accountId !== a.accountId) return refused('InvoiceNotFound');
    const invoiceServices = found.invoice.InvoiceParameters.map((p) => p.ServiceId).sort((x, y) => x - y);
    const paidServices = document.PaymentParameters.map((p) => p.ServiceId).sort((x, y) => x - y);
    if (invoiceServices.join(',') !== paidServices.join(',')) {
      throw new AlsecoSimFault('client', 'Список оплачиваемых услуг должен быть такой же, как и в электронном счете');
    }
    let total = 0n;
    for (const p of document.PaymentParameters) {
      const service = found.invoice.InvoiceParameters.find((x) => x.ServiceId === p.ServiceId)!;
      if (p.PaySum < 0n) throw new AlsecoSimFault('client', `Отрицательная сумма по услуге ${p.ServiceId}`);
      total += p.PaySum;
      if (!service.IsCounterService) continue;
      const prev = parseReading(service.PrevCount)!;
      const last = parseReading(p.LastCounts);
      const counts = parseReading(p.PayCounts);
      if (last === undefined || counts === undefined || last < prev || last - prev !== counts) {
        throw new AlsecoSimFault('client', `Неверные показания по услуге ${p.ServiceId}: предыдущие ${service.PrevCount}, последние ${p.LastCounts}, к оплате ${p.PayCounts}`);
      }
    }
    if (total <= 0n) throw new AlsecoSimFault('client', 'Сумма платежа должна быть больше нуля');
    const payment: SimPayment = {
      paymentId: this.nextPaymentId++, sysRef, accountId: a.accountId, invoiceId: document.InvoiceId, paySumMinor: total,
      paymentDate: document.PaymentDate, receivedAt: this.now(), rolledBack: false, moved: false,
      parameters: document.PaymentParameters.map((p) => ({ serviceId: p.ServiceId, paySumMinor: p.PaySum, payCounts: p.PayCounts, lastCounts: p.LastCounts })),
    };
    this.payments.push(payment);
    for (const p of payment.parameters) {
      const reading = parseReading(p.lastCounts);
      if (reading !== undefined && reading > 0) this.declared.set(`${payment.invoiceId}/${p.serviceId}`, reading);
    }
    return { State: 'Success', InvoiceId: document.InvoiceId, PaymentId: payment.paymentId, PayResDate: this.localText(payment.receivedAt) };
  }

  private rollback(payment: SimPayment | undefined): AlsecoRollbackResult {
    if (!payment) return 'PaymentNotFound';
    // "Откат платежей возможно произвести в течении дня, в котором пришел платеж" (and not once it is processed).
    if (payment.moved || dayText(this.localDay(payment.receivedAt)) !== dayText(this.localDay())) return 'PaymentProcessed';
    payment.rolledBack = true;
    return 'Success';
  }

  private live(): SimPayment[] {
    return this.payments.filter((p) => !p.rolledBack);
  }

  private onDay(day: string): SimPayment[] {
    return this.live().filter((p) => dayText(this.localDay(p.receivedAt)) === day);
  }

  /** A dateTime as an instant: with an offset as written, without one as Alseco local time. */
  private instant(text: string): number {
    const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(text.trim());
    if (!m) throw new AlsecoSimFault('client', `Неверная дата ${text}`);
    if (m[3]) return Date.parse(`${m[1]}${m[3]}`);
    return Date.parse(`${m[1]}Z`) - this.options.offsetMinutes * 60_000;
  }

  // ── the methods ────────────────────────────────────────────────────────────────────────────────────────────────

  handle(request: AlsecoRequest): AlsecoResponse {
    this.stats.calls += 1;
    this.stats.byMethod[request.method] = (this.stats.byMethod[request.method] ?? 0) + 1;
    this.note(request);
    const bankCode = (request.params as { bankCode?: string }).bankCode;
    if (bankCode?.trim().toUpperCase() !== this.options.bankCode.toUpperCase()) {
      throw new AlsecoSimFault('client', `Не найден банк: ${bankCode ?? '(нет кода)'}`);
    }
    switch (request.method) {
      case 'GetInvoicesByAccountsNew':
      case 'GetInvoicesByAccountsWithIIN':
      case 'GetInvoicesByAccountsLastVers':
        return { method: request.method, result: this.invoicesByAccounts(request.params.accounts, request.method !== 'GetInvoicesByAccountsNew') };
      case 'GetInvoicesByInvoicesNew':
      case 'GetInvoicesByInvoicesWithIIN':
      case 'GetInvoicesByInvoicesLastVers':
        return { method: request.method, result: this.invoicesByInvoices(request.params.inputInvoices, request.method !== 'GetInvoicesByInvoicesNew') };
      case 'Pay':
        this.stats.payCalls += 1;
        return { method: 'Pay', result: this.payAll(request.params).map(({ PayResDate: _date, ...result }) => result) };
      case 'PayD':
        this.stats.payCalls += 1;
        return { method: 'PayD', result: this.payAll(request.params) };
      case 'RollbackPayments':
        this.stats.rollbackCalls += 1;
        return { method: 'RollbackPayments', result: request.params.paymentIds.map((id) => ({ PaymentId: id, Result: this.rollback(this.live().find((p) => p.paymentId === id)) })) };
      case 'RollbackPaymentsBySysRef':
        this.stats.rollbackCalls += 1;
        return { method: 'RollbackPaymentsBySysRef', result: request.params.sysRefs.map((ref) => ({ PaymentId: ref, Result: this.rollback(this.live().find((p) => p.sysRef === ref.trim())) })) };
      case 'GetPaymentsInfo':
        return { method: 'GetPaymentsInfo', result: this.paymentsInfo(request.params) };
      case 'getPaysInfo':
        return { method: 'getPaysInfo', result: this.paysInfo(request.params) };
      case 'GetBankPayByMonth':
        return { method: 'GetBankPayByMonth', result: { result: true, ErrorMessage: '', StackTrace: '', list: this.bankPayByMonth(request.params) } };
      case 'GetAccountState': {
        const a = this.accounts.get(request.params.accountId);
        return { method: 'GetAccountState', result: a ? a.state : 'NotFound' };
      }
      case 'GetAccountInfo':
        return { method: 'GetAccountInfo', result: this.accountInfo(request.params.accountId) };
      case 'GetPrintedInvoice':
        return { method: 'GetPrintedInvoice', result: this.printedGif(request.params) };
      case 'GetPrintedInvoicePDF':
        return { method: 'GetPrintedInvoicePDF', result: this.printedPdf(request.params) };
      case 'GetCurrentPeriod':
        return { method: 'GetCurrentPeriod', result: periodText(this.currentPeriodKey()) };
      case 'GetAccountsWithFormedBill':
        return { method: 'GetAccountsWithFormedBill', result: this.accountsWithFormedBill() };
      case 'GetBillInfoLabels':
        return { method: 'GetBillInfoLabels', result: this.billLabels(request.params.year, request.params.month) };
      case 'GetBillInfo':
        return { method: 'GetBillInfo', result: this.billInfo(request.params) };
      case 'GetReport108e':
        return { method: 'GetReport108e', result: this.report108e(request.params.dateIn) };
      case 'GetNotMovedPays':
        return { method: 'GetNotMovedPays', result: this.notMovedPays(request.params.dateIn.slice(0, 10)) };
      case 'GetBankDayChecks':
        return { method: 'GetBankDayChecks', result: this.bankDayChecks(request.params.dateIn.slice(0, 10)) };
    }
  }

  private invoicesByAccounts(accounts: readonly number[], withIin: boolean) {
    if (new Set(accounts).size !== accounts.length) throw new AlsecoSimFault('client', 'Номера абонентов не должны повторяться');
    return accounts.map((id) => this.byAccount(id, withIin));
  }

  private invoicesByInvoices(invoices: readonly string[], withIin: boolean) {
    if (new Set(invoices).size !== invoices.length) throw new AlsecoSimFault('client', 'Номера электронных счетов не должны повторяться');
    return invoices.map((id) => this.byInvoice(id.trim(), withIin));
  }

  /** GetPaymentsInfo: the payments moved to the registry in a month, or on one day of it. */
  private paymentsInfo({ year, month, day }: AlsecoParams<'GetPaymentsInfo'>) {
    const processed = this.live().filter((p) => {
      const d = this.localDay(p.receivedAt);
      return p.moved && d.year === year && d.month === month && (day === null || d.day === day);
    });
    return processed.map((p) => ({ PaymentId: p.paymentId, SysRef: p.sysRef }));
  }

  private paysInfo(params: AlsecoParams<'getPaysInfo'>): AlsecoBankPayInfo[] {
    const from = this.instant(params.DateBegin);
    const to = this.instant(params.DateEnd);
    return this.live().filter((p) => p.receivedAt >= from && p.receivedAt <= to).map((p) => ({
      AccountId: p.accountId, InvoiceId: p.invoiceId, PaymentId: p.paymentId, SysRef: p.sysRef, PaySum: p.paySumMinor, PayDate: this.localText(p.receivedAt),
    }));
  }

  private bankPayByMonth({ year, month }: AlsecoParams<'GetBankPayByMonth'>): AlsecoPayItem[] {
    return this.live().filter((p) => { const d = this.localDay(p.receivedAt); return d.year === year && d.month === month; }).map((p) => ({
      InvoicePaymentId: p.paymentId, AccountId: p.accountId, InvoiceId: p.invoiceId, PaymentReceiveDate: this.localText(p.receivedAt), SysRef: p.sysRef, PaySum: p.paySumMinor,
    }));
  }

  private accountInfo(accountId: number): AlsecoAccountInfo | undefined {
    const a = this.accounts.get(accountId);
    return a ? { Name: a.name, Address: a.address, RNN: a.rnn, Phone: a.phone, Square: a.square, QuantityPeople: a.people } : undefined;
  }

  private notMovedPays(day: string) {
    return this.onDay(day).filter((p) => !p.moved).map((p) => ({
      InvoicePaymentId: p.paymentId, InvoiceId: p.invoiceId, AccountId: p.accountId, SysRef: p.sysRef,
      PaymentDate: p.paymentDate.slice(0, 19), PaySum: p.paySumMinor, PaymentReceiveDate: this.localText(p.receivedAt),
    }));
  }

  /** GetBankDayChecks: the day's payments are moved to the registry (never a day in the future). */
  private bankDayChecks(day: string) {
    if (day > dayText(this.localDay())) throw new AlsecoSimFault('client', 'Дата позже текущей');
    for (const p of this.onDay(day)) p.moved = true;
    this.checkedDays.add(day);
    return [{ BankCode: this.options.bankCode, PaymentDate: `${day}T00:00:00`, CheckedSign: true }];
  }

  private note(request: AlsecoRequest): void {
    const paid = request.method === 'Pay' || request.method === 'PayD';
    const sysRefs = paid ? (request.params as AlsecoParams<'Pay'>).paymentDocuments.map((d) => d.SysRef.trim()) : undefined;
    this.journal.push({ method: request.method, ...(sysRefs ? { sysRefs } : {}), at: Date.now() });
    if (this.journal.length > 10_000) this.journal.splice(0, this.journal.length - 10_000);
  }

  private payAll(params: AlsecoParams<'Pay'>): AlsecoResultPaymentInvoiceD[] {
    if (params.paymentDocuments.length === 0) throw new AlsecoSimFault('client', 'Нет платежных документов');
    return params.paymentDocuments.map((document) => this.payDocument(document));
  }

  private printedGif(params: AlsecoParams<'GetPrintedInvoice'>): Uint8Array | undefined {
    const a = this.accounts.get(params.accountId);
    if (!a) return undefined;
    const invoices = this.invoicesOf(a, periodKey(params.year, params.month));
    const invoice = invoices[params.bill_id - 1] ?? invoices.find((i) => i.InvoceId.endsWith(String(params.bill_id)));
    if (!invoice) return undefined;
    const rows = invoice.InvoiceParameters.length;
    return renderGif(64, 16 + rows * 8, (y) => y < 8 || (y >= 16 && (y - 16) % 8 < 4));
  }

  private printedPdf(params: AlsecoParams<'GetPrintedInvoicePDF'>): Uint8Array | undefined {
    const a = this.accounts.get(params.accountId);
    if (!a) return undefined;
    // "Если в указанном годе месяце квитанция не найдена, будет выполнен поиск в последних 6 месяцах".
    const wanted = periodKey(params.year, params.month);
    const current = this.currentPeriodKey();
    const keys = [wanted, ...Array.from({ length: 6 }, (_, i) => current - i)];
    const key = keys.find((k) => this.invoicesOf(a, k).length > 0);
    if (key === undefined) return undefined;
    const invoices = this.invoicesOf(a, key);
    return renderPdf(invoices.flatMap((invoice) => [
      [`ALSECO invoice ${invoice.InvoceId}`, `Account ${a.accountId}, period ${periodText(key)}`, `Formed ${invoice.FormedDate}, pay before ${invoice.ExpireDate}`],
      [`Invoice ${invoice.InvoceId}: services`, ...invoice.InvoiceParameters.map((p) =>
        `Service ${p.ServiceId}: prev ${p.PrevCount} last ${p.LastCount} to pay ${formatAlsecoMoney(p.FixSum)} KZT`)],
    ]));
  }

  private accountsWithFormedBill(): number[] {
    // First request: all accounts with an invoice formed since the start of the current month; then: since the last request.
    const now = this.now();
    const since = this.formedBillCursor ?? (() => { const d = this.localDay(); return this.instant(`${d.year}-${pad(d.month)}-01T00:00:00`); })();
    this.formedBillCursor = now;
    const key = this.currentPeriodKey();
    return [...this.accounts.values()].filter((a) => {
      const invoice = this.invoicesOf(a, key)[0];
      if (!invoice) return false;
      const formedAt = this.instant(invoice.FormedDate);
      return formedAt > since - 1 && formedAt <= now;
    }).map((a) => a.accountId);
  }

  private periodError(year: number, month: number, oldest: number): string | undefined {
    const key = periodKey(year, month);
    if (month < 1 || month > 12) return 'Неверный месяц';
    if (key > this.currentPeriodKey()) return 'Месяц позже текущего';
    if (key < this.currentPeriodKey() - oldest) return 'Нет данных за выбранный период';
    return undefined;
  }

  /** Packs ("пачки") of two accounts each, over the accounts with invoices in the period. */
  private packs(key: number): SimAccount[][] {
    const withInvoices = [...this.accounts.values()].filter((a) => a.state === 'Active' && this.invoicesOf(a, key).length > 0);
    const packs: SimAccount[][] = [];
    for (let i = 0; i < withInvoices.length; i += 2) packs.push(withInvoices.slice(i, i + 2));
    return packs;
  }

  private billLabels(year: number, month: number) {
    const error = this.periodError(year, month, 6);
    const packs = error ? [] : this.packs(periodKey(year, month));
    if (error || packs.length === 0) return { exRes: { Executed: false, ErrorMessage: error ?? 'Нет данных за выбранный период', StackTrace: '' }, list: [] };
    return { exRes: { Executed: true, ErrorMessage: '', StackTrace: '' }, list: packs.map((_, i) => ({ labelId: i + 1 })) };
  }

  private billInfo(params: AlsecoParams<'GetBillInfo'>) {
    // "Данные можно получить за текущий и предыдущий месяцы".
    const error = this.periodError(params.year, params.month, 1);
    const key = periodKey(params.year, params.month);
    const pack = error ? undefined : this.packs(key)[params.labelId - 1];
    if (!pack) return { exRes: { Executed: false, ErrorMessage: error === 'Месяц позже текущего' ? error : 'Нет данных', StackTrace: '' }, list: [] };
    return {
      exRes: { Executed: true, ErrorMessage: '', StackTrace: '' },
      list: pack.flatMap((a) => this.invoicesOf(a, key).map((invoice) => ({
        accountId: a.accountId, accountName: a.name, accountAddress: `Алматы қ.|${a.address}`, invoiceId: invoice.InvoceId,
        fixSum: invoice.InvoiceParameters.reduce((sum, p) => sum + p.FixSum, 0n),
      }))),
    };
  }

  private report108e(dateIn: string) {
    const day = dateIn.slice(0, 10);
    const fail = (ErrorMessage: string) => ({ result: 'error', list: [], ErrorMessage, StackTrace: '' });
    if (day < '2017-11-01') return fail('Дата раньше 1 ноября 2017 г.');
    if (periodKey(Number(day.slice(0, 4)), Number(day.slice(5, 7))) > this.currentPeriodKey()) return fail('Месяц позже текущего');
    if (!this.checkedDays.has(day)) return fail('День не отмечен');
    const byService = new Map<number, bigint>();
    for (const p of this.onDay(day)) for (const x of p.parameters) byService.set(x.serviceId, (byService.get(x.serviceId) ?? 0n) + x.paySumMinor);
    const lines = [...byService].filter(([, sum]) => sum > 0n);
    if (lines.length === 0) return fail('Нет данных за выбранный день');
    const templates = new Map(seedAccounts().flatMap((a) => a.invoices.flat()).map((s) => [s.serviceId, s]));
    const list: AlsecoForm108eItems[] = lines.map(([serviceId, sum]) => ({
      DAT: `${day.slice(8, 10)}.${day.slice(5, 7)}.${day.slice(0, 4)}`, KODBN: 'ALSCKZKA', NUMRS: `KZ${pad(serviceId, 18)}`, TSH: '',
      BIN: `0405400${pad(serviceId, 5)}`, SUMP: sum, NAME_POL: templates.get(serviceId)?.supplier ?? 'Поставщик', NAZN_PL: `АЛСЕКО за ${templates.get(serviceId)?.name ?? 'услуги'}`,
      SERV_ID: serviceId, KODD: '', FL: false, KBE: '16', KNP: '856', IIN_ABON: '', FIO: '',
    }));
    return { result: 'sucsess', list, ErrorMessage: '', StackTrace: '' };
  }

  // ── test and operator controls (admin routes) ──────────────────────────────────────────────────────────────────

  /** Plants a payment Alseco holds without Tolem (reconciliation tests); bypasses every check. */
  plant(input: { sysRef: string; accountId: number; invoiceId?: string; paySumMinor: bigint; receivedAt?: number }): SimPayment {
    const payment: SimPayment = {
      paymentId: this.nextPaymentId++, sysRef: input.sysRef, accountId: input.accountId, invoiceId: input.invoiceId ?? '000000000000',
      paySumMinor: input.paySumMinor, paymentDate: this.localText(input.receivedAt ?? this.now()), receivedAt: input.receivedAt ?? this.now(),
      parameters: [{ serviceId: 2, paySumMinor: input.paySumMinor, payCounts: '0', lastCounts: '0' }], rolledBack: false, moved: false,
    };
    this.payments.push(payment);
    return payment;
  }

  /** Changes what Alseco holds for a live payment (a planted mismatch); undefined when there is none. */
  changePaySum(sysRef: string, paySumMinor: bigint): SimPayment | undefined {
    const payment = this.payments.find((p) => p.sysRef === sysRef && !p.rolledBack);
    if (payment) payment.paySumMinor = paySumMinor;
    return payment;
  }

  /** Forgets a payment (one Alseco lost); false when there is none. */
  remove(sysRef: string): boolean {
    const index = this.payments.findIndex((p) => p.sysRef === sysRef);
    if (index < 0) return false;
    this.payments.splice(index, 1);
    return true;
  }
}
