/**
 * Elsom's side of the merchant OTP protocol, without HTTP: the payments it holds, the rules of the test wallets, the
 * faults it is told to inject and the PartnerPaymentResult callbacks it sends. The routes (routes.ts) carry bytes to
 * and from it.
 *
 * Test wallets: 0555123456 pays (OTP 1234; another code fails with status 4) · 0555000002 has no money (status 4).
 * "Cancel" on the page is status 3. A payment left alone times out (status 2) after `timeoutMs`.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../domain/clock.ts';
import {
  ELSOM_CONTENT_TYPE,
  decodeElsomGetPaymentStatus,
  decodeElsomIaInit,
  decodeElsomPaymentResultAnswer,
  encodeElsomGetPaymentStatusResponse,
  encodeElsomIaInitResponse,
  encodeElsomPaymentResult,
} from '../../acquiring/elsom-merchant/codec.ts';
import { rollFault } from '../faults.ts';
import { ELSOM_MERCHANT_SANDBOX_ACCOUNT } from './account.ts';

export type Faults = {
  latencyMs: number; http500Rate: number; malformedRate: number; callbackDelayMs: number; callbackDuplicates: number;
  callbackLossRate: number; callbackOutOfOrder: boolean; statusLagMs: number; timeoutMs: number;
  /** Share of callbacks sent one extra time (on top of `callbackDuplicates`). */
  callbackDuplicateRate: number;
  /** Each copy waits a further random 0…this before it is sent, so that copies overtake one another. */
  callbackJitterMs: number;
  callbackUrl?: string; redirectUrl?: string;
  /** Several partner addresses (instances behind one name): every attempt goes to one of them at random. */
  callbackUrls?: string[];
};

export interface WalletPayment {
  id: string;
  partnerTrnId: string;
  pspTrnId: string;
  amountMinor: bigint;
  culture: string;
  chequeNo: string;
  cashierNo: string;
  status: 'A' | '1' | '2' | '3' | '4';
  message: string;
  decidedAt: number | undefined;
  createdAt: number;
  wallet: string | undefined;
  callbacksSent: number;
  callbacksAccepted: number;
  /** Copies beyond the first this payment's callback was sent in (the duplicate faults). */
  callbacksDuplicated: number;
  /** Copies the loss fault dropped (never sent). */
  callbacksLost: number;
  /** Copies sent but never accepted, after every attempt. */
  callbacksUndelivered: number;
}

export const MESSAGES = { A: 'Платеж прошел успешно', '1': 'Платеж в обработке', '2': 'Не успешно время транзакции вышла', '3': 'Платеж отменен партнером', '4': 'Другая ошибка' } as const;

/** An encoded answer, and whether it is the success answer (the only one the malformed-answer fault garbles). */
export interface SimulatorAnswer {
  body: string;
  success: boolean;
}

export const DEFAULT_FAULTS: Faults = {
  latencyMs: 0, http500Rate: 0, malformedRate: 0, callbackDelayMs: 200, callbackDuplicates: 0, callbackLossRate: 0,
  callbackOutOfOrder: false, statusLagMs: 0, timeoutMs: 15 * 60_000, callbackDuplicateRate: 0, callbackJitterMs: 0,
};

export interface ElsomMerchantSimulatorOptions {
  clock: Clock;
  /** Where a person's browser reaches this server (the payment page). */
  publicBase: () => string;
  /** Where the callback goes by default: our own server's address from configuration. */
  selfBase: () => string;
}

const credentialsOk = (tenant: string, password: string) =>
  tenant === ELSOM_MERCHANT_SANDBOX_ACCOUNT.tenantId && password === ELSOM_MERCHANT_SANDBOX_ACCOUNT.password;

export class ElsomMerchantSimulator {
  readonly payments = new Map<string, WalletPayment>();
  private readonly byPartnerTrn = new Map<string, WalletPayment>();
  faults: Faults = { ...DEFAULT_FAULTS };
  private nextPsp = 1;

  constructor(private readonly options: ElsomMerchantSimulatorOptions) {}

  private now(): number {
    return this.options.clock.now().getTime();
  }

  /** IA_Init (generateOTP/{tenant-id}): a payment (or the same one again) and the URL of its OTP page. */
  iaInit(tenant: string, body: string): SimulatorAnswer {
    const parsed = decodeElsomIaInit(body);
    if (!parsed.ok) return { success: false, body: encodeElsomIaInitResponse({ errorCode: '1', errorMsg: parsed.failure.detail }) };
    const f = parsed.value.fields;
    if (!credentialsOk(tenant, f.Password) || f.PartnerCode !== ELSOM_MERCHANT_SANDBOX_ACCOUNT.partnerCode
      || f.PmSISDN !== ELSOM_MERCHANT_SANDBOX_ACCOUNT.merchantWallet) {
      return { success: false, body: encodeElsomIaInitResponse({ errorCode: '150', errorMsg: 'Неверный пароль или код партнера' }) };
    }
    const existing = this.byPartnerTrn.get(f.PartnerTrnID);
    if (existing && existing.amountMinor !== parsed.value.amountMinor) {
      return { success: false, body: encodeElsomIaInitResponse({ errorCode: '10', errorMsg: 'PartnerTrnID уже использован' }) };
    }
    const payment = existing ?? {
      id: randomUUID(), partnerTrnId: f.PartnerTrnID, pspTrnId: `PSP${String(this.nextPsp++).padStart(8, '0')}`,
      amountMinor: parsed.value.amountMinor, culture: f.CultureInfo, chequeNo: f.ChequeNo, cashierNo: f.CashierNo,
      status: '1' as const, message: MESSAGES['1'], decidedAt: undefined, createdAt: this.now(), wallet: undefined,
      callbacksSent: 0, callbacksAccepted: 0, callbacksDuplicated: 0, callbacksLost: 0, callbacksUndelivered: 0,
    };
    this.payments.set(payment.id, payment);
    this.byPartnerTrn.set(payment.partnerTrnId, payment);
    const language = f.CultureInfo.slice(0, 2).toLowerCase();
    return { success: true, body: encodeElsomIaInitResponse({ paymentUrl: `${this.options.publicBase()}/sandbox/elsom-merchant/merchant-payment/${payment.id}?language=${language}&platform=web` }) };
  }

  /** PartnerGetPaymentStatus: what was committed, or "1" for `statusLagMs` after the decision. */
  paymentStatus(tenant: string, body: string): SimulatorAnswer {
    const parsed = decodeElsomGetPaymentStatus(body);
    if (!parsed.ok) return { success: false, body: encodeElsomGetPaymentStatusResponse({ errorCode: '1', errorMsg: parsed.failure.detail }) };
    if (!credentialsOk(tenant, parsed.value.Password) || parsed.value.MSISDN !== ELSOM_MERCHANT_SANDBOX_ACCOUNT.merchantWallet) {
      return { success: false, body: encodeElsomGetPaymentStatusResponse({ errorCode: '150', errorMsg: 'Неверный пароль' }) };
    }
    const payment = this.byPartnerTrn.get(parsed.value.PartnerTrnID);
    if (!payment) return { success: false, body: encodeElsomGetPaymentStatusResponse({ errorCode: '2', errorMsg: 'Платеж не найден' }) };
    this.timeOut(payment);
    const lagging = payment.decidedAt !== undefined && this.now() - payment.decidedAt < this.faults.statusLagMs;
    const status = lagging ? '1' : payment.status;
    return { success: true, body: encodeElsomGetPaymentStatusResponse({ paymentStatus: status, message: MESSAGES[status] }) };
  }

  /** Where the person's browser goes once the OTP page is done: the partner's return page, or the fault's override. */
  returnUrl(): string {
    return this.faults.redirectUrl ?? `${this.options.publicBase()}/pay/elsom/return`;
  }

  /** The payment behind an OTP page, timed out first if it was left alone too long. */
  payment(id: string): WalletPayment | undefined {
    const payment = this.payments.get(id);
    if (payment) this.timeOut(payment);
    return payment;
  }

  /**
   * What the person did on the OTP page: cancel, or pay from a wallet with an OTP. Answers a problem to show on the
   * page again, or undefined once the payment is decided (or was already).
   */
  submit(payment: WalletPayment, fields: URLSearchParams): string | undefined {
    if (payment.status !== '1') return undefined;
    if (fields.get('action') === 'cancel') {
      this.decide(payment, '3', undefined);
      return undefined;
    }
    const wallet = (fields.get('wallet') ?? '').trim();
    if (!/^0\d{9}$/.test(wallet)) return 'Номер кошелька: 10 цифр, начинается на 0';
    if (wallet === '0555000002') this.decide(payment, '4', wallet);
    else if (fields.get('otp') !== '1234') this.decide(payment, '4', wallet);
    else this.decide(payment, 'A', wallet);
    return undefined;
  }

  private timeOut(payment: WalletPayment): void {
    if (payment.status === '1' && this.now() - payment.createdAt > this.faults.timeoutMs) this.decide(payment, '2', undefined);
  }

  private decide(payment: WalletPayment, status: WalletPayment['status'], wallet: string | undefined): void {
    payment.status = status;
    payment.message = MESSAGES[status];
    payment.wallet = wallet;
    payment.decidedAt = this.now();
    void this.deliverCallbacks(payment);
  }

  private async deliverCallbacks(payment: WalletPayment): Promise<void> {
    await sleep(this.faults.callbackDelayMs);
    const copies = 1 + this.faults.callbackDuplicates + (rollFault(this.faults.callbackDuplicateRate) ? 1 : 0);
    payment.callbacksDuplicated += copies - 1;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < copies; i++) {
      if (rollFault(this.faults.callbackLossRate)) payment.callbacksLost++;
      else sends.push(this.sendCallbackLater(payment, payment.status));
    }
    await Promise.all(sends);
    if (this.faults.callbackOutOfOrder) await this.sendCallback(payment, '1');
  }

  private async sendCallbackLater(payment: WalletPayment, status: WalletPayment['status']): Promise<void> {
    if (this.faults.callbackJitterMs > 0) await sleep(Math.floor(Math.random() * this.faults.callbackJitterMs));
    await this.sendCallback(payment, status);
  }

  /** Where this attempt goes: one of `callbackUrls`, else `callbackUrl`, else our own server. */
  private callbackTarget(): string {
    const urls = this.faults.callbackUrls;
    if (urls && urls.length > 0) return urls[Math.floor(Math.random() * urls.length)]!;
    return this.faults.callbackUrl ?? `${this.options.selfBase()}/pay/elsom/callback`;
  }

  private async sendCallback(payment: WalletPayment, status: WalletPayment['status']): Promise<void> {
    const body = encodeElsomPaymentResult({
      CultureInfo: payment.culture, MSISDN: payment.wallet ?? '0', PartnerTrnID: payment.partnerTrnId, PSPTTrnID: payment.pspTrnId,
      PaymentStatus: status, Message: MESSAGES[status], CashierNo: payment.cashierNo, ChequeNo: payment.chequeNo,
    });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        payment.callbacksSent++;
        const response = await fetch(this.callbackTarget(), {
          method: 'POST', headers: { 'content-type': ELSOM_CONTENT_TYPE }, body, signal: AbortSignal.timeout(10_000),
        });
        const answer = decodeElsomPaymentResultAnswer(await response.text());
        if (answer.kind === 'accepted') {
          payment.callbacksAccepted++;
          return;
        }
      } catch {
        // a partner that does not answer is called again
      }
      await sleep(500 * (attempt + 1));
    }
    payment.callbacksUndelivered++;
  }
}
