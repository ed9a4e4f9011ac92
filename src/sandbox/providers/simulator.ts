import { rollFault } from '../faults.ts';
import { systemClock, type Clock } from '../../domain/clock.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatAmount, parseAmount } from '../../domain/money.ts';
import type {
  SandboxCancelResponse, SandboxCheckRequest, SandboxCheckResponse, SandboxErrorCode, SandboxPayRequest, SandboxPayResponse,
} from '../../providers/simulated/codec.ts';

/**
 * Simulated providers. Each keeps its payments by our reference (transactionId), so a repeated pay never pays twice —
 * like a real provider keyed on the bank's reference — and answers status queries from what it committed. With the
 * fault `dedupe: false` it behaves like a provider that promises nothing: every pay commits a new payment, so a hub
 * that pays again without asking first pays twice. Its journal of calls shows what was asked, in order.
 *
 * Magic accounts (by their last four digits) give deterministic behaviour for tests and demos:
 *   …0000 account not found (5) · …0007 forbidden by provider (7) · …0008 technical refusal (8)
 *   …0009 check passes, pay is rejected (300) · …0001 pay stays "processing" for `processingMs`, then paid
 *   …0002 pay is committed, then the answer hangs for `hangMs` (the caller times out: outcome unknown)
 */
export type SimulatorKind = 'mobile' | 'order' | 'bank' | 'intl' | 'utility';

export interface FaultConfig {
  /** Added to every answer. */
  latencyMs: number;
  /** Share of requests answered HTTP 500 before doing anything. */
  http500Rate: number;
  /** Share of money calls (pay, cancel) answered HTTP 500 after committing. */
  http500AfterCommitRate: number;
  /** Share of answers replaced by a garbled body. */
  malformedRate: number;
  /** Share of money calls (pay, cancel) that commit and then hang for `hangMs`. */
  hangAfterCommitRate: number;
  hangMs: number;
  processingMs: number;
  /** false: a repeated pay with the same reference commits another payment (real providers promise no deduplication). */
  dedupe: boolean;
}

export const DEFAULT_FAULTS: FaultConfig = {
  latencyMs: 0, http500Rate: 0, http500AfterCommitRate: 0, malformedRate: 0, hangAfterCommitRate: 0, hangMs: 15_000, processingMs: 2_000, dedupe: true,
};

/** One call as the provider saw it, for tests that assert what the hub asked and in which order. */
export interface SimulatorCall {
  op: 'pay' | 'status' | 'cancel';
  reference: string;
  at: number;
}

/** The journal keeps the latest calls only: a long-running sandbox must not grow without bound. */
const JOURNAL_LIMIT = 10_000;

/** The provider's own rules, checked on its side too (as a real operator does, whatever the hub checked first). */
export interface ProviderRules {
  accountPattern?: RegExp;
  minMinor?: bigint;
  maxMinor?: bigint;
}

export type SimulatorAnswer<T> = { kind: 'json'; body: T } | { kind: 'http500' } | { kind: 'malformed' };

interface StoredPayment {
  reference: string;
  account: string;
  amount: string;
  status: 'paid' | 'processing' | 'rejected' | 'cancelled';
  providerRef: string;
  readyAt: number;
  /** When the provider committed it (its business day is this instant's, in the provider's zone). */
  committedAt: number;
}

/** One line of a provider's registry of a day: a payment it holds as paid. */
export interface RegistryRow {
  reference: string;
  providerRef: string;
  /** Exact decimal, two places. */
  amount: string;
  account: string;
  /** When it was paid (ISO 8601). */
  paidAt: string;
}

/** A registry made up for a day instead of read from the payments held (the bench's generated day of a million). */
export type RegistryGenerator = () => Iterable<RegistryRow> | AsyncIterable<RegistryRow>;

export class ProviderSimulator {
  /** By reference; more than one only when `dedupe` is off (the first is what status and cancel answer for). */
  private readonly payments = new Map<string, StoredPayment[]>();
  private readonly journal: SimulatorCall[] = [];
  private faults: FaultConfig = { ...DEFAULT_FAULTS };
  private nextRef = 1;
  private readonly generated = new Map<string, RegistryGenerator>();

  constructor(
    readonly name: string,
    readonly kind: SimulatorKind,
    private readonly rules: ProviderRules = {},
    private readonly random: () => number = Math.random,
    private readonly clock: Clock = systemClock,
    /** The provider's business-day zone (UTC offset in minutes): the hub's by default. */
    readonly offsetMinutes = 300,
  ) {}

  setFaults(faults: Partial<FaultConfig>): FaultConfig {
    this.faults = { ...this.faults, ...faults };
    return this.faults;
  }

  getFaults(): FaultConfig {
    return this.faults;
  }

  /** Payments the provider holds (for reconciliation tests and the console). */
  committed(): readonly StoredPayment[] {
    return [...this.payments.values()].flat();
  }

  /**
   * The provider's registry of a business day: the payments it holds as paid that were committed that day in its
   * zone, or the day's generated registry when one was set. A generator, not a list: the route streams it.
   */
  registry(day: string): Iterable<RegistryRow> | AsyncIterable<RegistryRow> {
    const generated = this.generated.get(day);
    if (generated) return generated();
    const from = Date.parse(`${day}T00:00:00Z`) - this.offsetMinutes * 60_000;
    const held = [...this.payments.values()].flat()
      .filter((payment) => payment.committedAt >= from && payment.committedAt < from + 86_400_000 && this.describe(payment).status === 'paid');
    return held.map((payment) => ({
      reference: payment.reference, providerRef: payment.providerRef, amount: payment.amount, account: payment.account,
      paidAt: new Date(payment.committedAt).toISOString(),
    }));
  }

  /** Drops every payment held under `reference`, as a provider that lost it would (three-way reconciliation tests). */
  forget(reference: string): boolean {
    return this.payments.delete(reference);
  }

  /** Serves `rows` as the registry of `day` from now on (undefined: the payments held again). */
  generateRegistry(day: string, rows: RegistryGenerator | undefined): void {
    if (rows) this.generated.set(day, rows);
    else this.generated.delete(day);
  }

  /** The calls received (latest JOURNAL_LIMIT), oldest first. */
  calls(): readonly SimulatorCall[] {
    return this.journal;
  }

  private record(op: SimulatorCall['op'], reference: string): void {
    this.journal.push({ op, reference, at: Date.now() });
    if (this.journal.length > JOURNAL_LIMIT) this.journal.splice(0, this.journal.length - JOURNAL_LIMIT);
  }

  private first(reference: string): StoredPayment | undefined {
    return this.payments.get(reference)?.[0];
  }

  async check(request: SandboxCheckRequest): Promise<SimulatorAnswer<SandboxCheckResponse>> {
    const early = await this.before();
    if (early) return early;
    const refusal = this.ruleRefusal(request.account, request.amount) ?? magicRefusal(request.account);
    if (refusal) return this.answer({ status: 'error', code: refusal, message: `sandbox: ${refusal}` });
    return this.answer(this.checkData(request));
  }

  async pay(request: SandboxPayRequest): Promise<SimulatorAnswer<SandboxPayResponse>> {
    this.record('pay', request.reference);
    const early = await this.before();
    if (early) return early;
    const existing = this.first(request.reference);
    if (existing && this.faults.dedupe) return this.answer(this.describe(existing));
    const refusal = this.ruleRefusal(request.account, request.amount) ?? magicRefusal(request.account) ?? this.validatePay(request);
    if (refusal) return this.answer({ status: 'error', code: refusal, message: `sandbox: ${refusal}` });
    const payment = this.commit(request);
    if (request.account.endsWith('0002') || this.roll(this.faults.hangAfterCommitRate)) await sleep(this.faults.hangMs);
    if (this.roll(this.faults.http500AfterCommitRate)) return { kind: 'http500' };
    return this.answer(this.describe(payment));
  }

  /** Cancels a paid payment (any time: the sandbox has no business-day rule); a repeat answers the same. */
  async cancel(reference: string): Promise<SimulatorAnswer<SandboxCancelResponse>> {
    this.record('cancel', reference);
    const early = await this.before();
    if (early) return early;
    const payment = this.first(reference);
    if (!payment) return this.answer({ status: 'error', code: 'BAD_REQUEST', message: 'sandbox: unknown reference' });
    if (payment.status === 'cancelled') return this.answer({ status: 'cancelled', reference });
    if (this.describe(payment).status !== 'paid') return this.answer({ status: 'error', code: 'REJECTED', message: 'sandbox: only a paid payment can be cancelled' });
    payment.status = 'cancelled';
    // Committed: what follows is what the hub sees of it (a lost answer is how a reversal's outcome becomes unknown).
    if (this.roll(this.faults.hangAfterCommitRate)) await sleep(this.faults.hangMs);
    if (this.roll(this.faults.http500AfterCommitRate)) return { kind: 'http500' };
    return this.answer({ status: 'cancelled', reference });
  }

  async status(reference: string): Promise<SimulatorAnswer<SandboxPayResponse>> {
    this.record('status', reference);
    const early = await this.before();
    if (early) return early;
    const payment = this.first(reference);
    return this.answer(payment ? this.describe(payment) : { status: 'not_found', reference });
  }

  private commit(request: SandboxPayRequest): StoredPayment {
    const slow = request.account.endsWith('0001');
    const rejected = request.account.endsWith('0009');
    const payment: StoredPayment = {
      reference: request.reference,
      account: request.account,
      amount: request.amount,
      status: rejected ? 'rejected' : slow ? 'processing' : 'paid',
      providerRef: `${this.name.toUpperCase()}-${String(this.nextRef++).padStart(8, '0')}`,
      readyAt: this.clock.now().getTime() + (slow ? this.faults.processingMs : 0),
      committedAt: this.clock.now().getTime(),
    };
    const known = this.payments.get(request.reference);
    if (known) known.push(payment);
    else this.payments.set(request.reference, [payment]);
    return payment;
  }

  private describe(payment: StoredPayment): SandboxPayResponse {
    if (payment.status === 'processing' && this.clock.now().getTime() >= payment.readyAt) payment.status = 'paid';
    switch (payment.status) {
      case 'paid':
        return { status: 'paid', providerRef: payment.providerRef, reference: payment.reference };
      case 'processing':
        return { status: 'processing', reference: payment.reference };
      case 'rejected':
        return { status: 'error', code: 'REJECTED', message: 'sandbox: payment rejected by the provider' };
      case 'cancelled':
        return { status: 'cancelled', reference: payment.reference };
    }
  }

  private ruleRefusal(account: string, amount: string | undefined): SandboxErrorCode | undefined {
    if (this.rules.accountPattern && !this.rules.accountPattern.test(account)) return 'BAD_ACCOUNT';
    if (amount === undefined) return undefined;
    const parsed = parseAmount(amount, 2, { allowZero: true });
    if (!parsed.ok) return 'BAD_REQUEST';
    if (this.rules.minMinor !== undefined && parsed.minor < this.rules.minMinor) return 'AMOUNT_TOO_SMALL';
    if (this.rules.maxMinor !== undefined && parsed.minor > this.rules.maxMinor) return 'AMOUNT_TOO_LARGE';
    return undefined;
  }

  private async before(): Promise<SimulatorAnswer<never> | undefined> {
    if (this.faults.latencyMs > 0) await sleep(this.faults.latencyMs);
    if (this.roll(this.faults.http500Rate)) return { kind: 'http500' };
    return undefined;
  }

  private answer<T>(body: T): SimulatorAnswer<T> {
    return this.roll(this.faults.malformedRate) ? { kind: 'malformed' } : { kind: 'json', body };
  }

  private roll(rate: number): boolean {
    return rollFault(rate, this.random);
  }

  private checkData(request: SandboxCheckRequest): SandboxCheckResponse {
    switch (this.kind) {
      case 'mobile':
        return { status: 'ok' };
      case 'order':
        return { status: 'ok', displays: { fio: 'Test fio', info: 'Сумма к оплате 20000.00 тенге', fixedAmount: '20000.00' } };
      case 'bank':
        return { status: 'ok', contracts: bankContracts(request.account) };
      case 'intl':
        return { status: 'ok', conversion: convert(request.amount ?? '0.00') };
      case 'utility':
        return { status: 'ok', invoices: [utilityInvoice(request.account)] };
    }
  }

  private validatePay(request: SandboxPayRequest): SandboxErrorCode | undefined {
    switch (this.kind) {
      case 'mobile':
      case 'order':
      case 'intl':
        return undefined;
      case 'bank': {
        const contractId = request.extras.contractId;
        return bankContracts(request.account).some((contract) => contract.contractId === contractId) ? undefined : 'BAD_REQUEST';
      }
      case 'utility': {
        const known = new Set(utilityInvoice(request.account).services.map((line) => line.subServiceId));
        const lines = request.lines ?? [];
        return lines.length > 0 && lines.every((line) => known.has(line.subServiceId)) ? undefined : 'BAD_REQUEST';
      }
    }
  }
}

function magicRefusal(account: string): SandboxErrorCode | undefined {
  if (account.endsWith('0000')) return 'ACCOUNT_NOT_FOUND';
  if (account.endsWith('0007')) return 'FORBIDDEN';
  if (account.endsWith('0008')) return 'TECHNICAL';
  return undefined;
}

/** Three accounts for any IIN, as in the spec's example answer for a service with choice. */
export function bankContracts(iin: string): NonNullable<Extract<SandboxCheckResponse, { status: 'ok' }>['contracts']> {
  const suffix = iin.slice(-3);
  return [1, 2, 3].map((n) => ({
    name: 'Петров',
    contractId: `000${suffix}${String(586 + n).padStart(3, '0')}`,
    contractNumber: `${n}/00-Ф`,
    contractSum: `${n * 1000}.00`,
    contractDate: `202002${String(14 + n).padStart(2, '0')}000000`,
  }));
}

/** KZT → USD at the spec example's rate, exact: finalAmount is rounded down to cents. */
const RATE_TEXT = '0.0020833333';
const RATE_SCALE = 10;
export function convert(amount: string): { currencyRate: string; rate: string; finalAmount: string; currency: string } {
  const parsed = parseAmount(amount, 2, { allowZero: true });
  const minor = parsed.ok ? parsed.minor : 0n;
  const rateUnits = BigInt(RATE_TEXT.replace('.', ''));
  const finalMinor = (minor * rateUnits) / 10n ** BigInt(RATE_SCALE);
  return { currencyRate: 'Курс конвертации KZT/USD 0.0021', rate: RATE_TEXT, finalAmount: formatAmount(finalMinor), currency: 'USD' };
}

/** The spec's example invoice (agent API, complex scheme), for any account. */
export function utilityInvoice(account: string): NonNullable<Extract<SandboxCheckResponse, { status: 'ok' }>['invoices']>[number] {
  return {
    invoiceId: `2020020${account.slice(-9)}`,
    formedDate: '20200201000000',
    expireDate: '20200229000000',
    clientName: 'Иванов Иван Иванович',
    clientAddress: 'микрорайон 2, дом 42, кв.4',
    services: [
      { subServiceId: '36', subServiceName: 'Электроэнергия', data: { paySum: '359.80', tariff: '0.00', minSum: '0.00', maxSum: '0.00', debtInfo: '0.00', isMeter: true, prevCount: '4870.00', lastCount: '0.00', si: 'тг/м2', comment: '' } },
      { subServiceId: '13', subServiceName: 'ТО газа ', data: { paySum: '80.00', tariff: '0.00', minSum: '0.00', maxSum: '0.00', debtInfo: '0.00', isMeter: false, prevCount: '0.00', lastCount: '0.00', si: 'тг/плита', comment: '' } },
      { subServiceId: '2', subServiceName: 'Отопление', data: { paySum: '925.20', tariff: '500.00', minSum: '0.00', maxSum: '0.00', debtInfo: '0.00', isMeter: false, prevCount: '0.00', lastCount: '0.00', si: 'тг/м2', comment: '' } },
    ],
  };
}

/** The simulated providers that `start` mounts, by route name, with the rules each checks on its own side. */
export const SANDBOX_PROVIDERS: Record<string, { kind: SimulatorKind; rules: ProviderRules }> = {
  mobile: { kind: 'mobile', rules: { accountPattern: /^\d{10}$/, minMinor: 1_000n, maxMinor: 20_000_000n } },
  'mobile-kcell': { kind: 'mobile', rules: { accountPattern: /^\d{10}$/, minMinor: 1_000n, maxMinor: 20_000_000n } },
  'mobile-kg': { kind: 'mobile', rules: { accountPattern: /^996\d{9}$/, minMinor: 100n, maxMinor: 5_000_000n } },
  'internet-kg': { kind: 'mobile', rules: { accountPattern: /^\d{6,10}$/, minMinor: 100n, maxMinor: 10_000_000n } },
  shop: { kind: 'order', rules: { accountPattern: /^\d{10}$/ } },
  bank: { kind: 'bank', rules: { accountPattern: /^\d{12}$/ } },
  intl: { kind: 'intl', rules: { accountPattern: /^1\d{10}$/ } },
  utility: { kind: 'utility', rules: { accountPattern: /^\d{10}$/ } },
};

export interface SandboxProviders {
  simulators: Map<string, ProviderSimulator>;
}

export function createSandboxProviders(clock: Clock = systemClock, offsetMinutes = 300): SandboxProviders {
  return { simulators: new Map(Object.entries(SANDBOX_PROVIDERS).map(([name, { kind, rules }]) => [name, new ProviderSimulator(name, kind, rules, Math.random, clock, offsetMinutes)])) };
}
