import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../domain/clock.ts';
import {
  ELSOM_CONTENT_TYPE,
  encodeElsomGetPaymentStatusResponse,
  encodeElsomIaInitResponse,
  encodeElsomPaymentResult,
  parseElsomGetPaymentStatus,
  parseElsomIaInit,
  parseElsomPaymentResultAnswer,
} from '../../acquiring/elsom-merchant/codec.ts';
import { formatAmount } from '../../domain/money.ts';
import { selfBaseUrl } from '../../http/self-url.ts';
import { controlGuard } from '../control.ts';
import { FAULT_FIELDS, faultRate, faultStore, registerFaultRoutes, rollFault } from '../faults.ts';
import { esc, simPage, SIM_CSP } from '../html.ts';
import { ELSOM_MERCHANT_SANDBOX_ACCOUNT } from './account.ts';

/**
 * /sandbox/elsom-merchant: Elsom's side of the merchant OTP protocol. IA_Init (generateOTP/{tenant-id}) answers an OTP
 * page URL; the page debits a test wallet; PartnerPaymentResult callbacks go to the partner (with configurable delay,
 * duplicates, loss and a stale out-of-order copy); PartnerGetPaymentStatus answers from what was committed.
 *
 * Test wallets: 0555123456 pays (OTP 1234; another code fails with status 4) · 0555000002 has no money (status 4).
 * "Cancel" on the page is status 3. A payment left alone times out (status 2) after `timeoutMs`.
 */
const faultsBody = z.object({
  latencyMs: FAULT_FIELDS.latencyMs,
  http500Rate: FAULT_FIELDS.http500Rate,
  malformedRate: FAULT_FIELDS.malformedRate,
  callbackDelayMs: z.number().int().min(0).max(600_000),
  /** Extra copies of each callback. */
  callbackDuplicates: z.number().int().min(0).max(50),
  callbackLossRate: faultRate,
  /** After the final callback, send a stale "1" (in processing) one. */
  callbackOutOfOrder: z.boolean(),
  /** The status method keeps answering "1" this long after the payment was made. */
  statusLagMs: z.number().int().min(0).max(600_000),
  timeoutMs: z.number().int().min(1_000).max(24 * 3_600_000),
  callbackUrl: z.string().url(),
  redirectUrl: z.string().url(),
}).partial().strict();

type Faults = {
  latencyMs: number; http500Rate: number; malformedRate: number; callbackDelayMs: number; callbackDuplicates: number;
  callbackLossRate: number; callbackOutOfOrder: boolean; statusLagMs: number; timeoutMs: number;
  callbackUrl?: string; redirectUrl?: string;
};

interface WalletPayment {
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
}

const MESSAGES = { A: 'Платеж прошел успешно', '1': 'Платеж в обработке', '2': 'Не успешно время транзакции вышла', '3': 'Платеж отменен партнером', '4': 'Другая ошибка' } as const;

export interface ElsomMerchantSandboxOptions {
  clock: Clock;
  /** This server's configured host: where the callback goes. */
  host: string;
  controlAllow: string[];
  /** Where a person's browser reaches this server (the payment page, the way back). */
  publicBase: () => string;
}

export async function elsomMerchantSandboxRoutes(app: FastifyInstance, options: ElsomMerchantSandboxOptions): Promise<void> {
  const host = options.host;
  const payments = new Map<string, WalletPayment>();
  const byPartnerTrn = new Map<string, WalletPayment>();
  let faults: Faults = {
    latencyMs: 0, http500Rate: 0, malformedRate: 0, callbackDelayMs: 200, callbackDuplicates: 0, callbackLossRate: 0,
    callbackOutOfOrder: false, statusLagMs: 0, timeoutMs: 15 * 60_000,
  };
  let nextPsp = 1;
  // The callback is ours to our own server; the payment page and the way back are where the person's browser goes.
  const self = () => selfBaseUrl(app, host);
  const publicBase = options.publicBase;
  const roll = (rate: number) => rollFault(rate);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', SIM_CSP);
  });

  // Faults as on every sandbox: GET, PUT (merge), DELETE (reset); POST is kept as an alias of PUT for older scripts.
  const control = { preHandler: controlGuard(options.controlAllow) };
  const store = faultStore(() => faults, (next: Faults) => (faults = next));
  registerFaultRoutes(app, '/faults', store, { control, schema: faultsBody, postAlias: true, textBody: true });
  app.get('/payments', control, async () => [...payments.values()].map((p) => ({ ...p, amountMinor: p.amountMinor.toString() })));

  const json = (reply: FastifyReply, body: string) => reply.code(200).header('content-type', ELSOM_CONTENT_TYPE).send(body);

  async function faulty(reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (roll(faults.http500Rate)) return reply.code(500).type('text/html').send('<html>Internal Server Error</html>');
    return undefined;
  }

  const credentialsOk = (tenant: string, password: string) =>
    tenant === ELSOM_MERCHANT_SANDBOX_ACCOUNT.tenantId && password === ELSOM_MERCHANT_SANDBOX_ACCOUNT.password;

  app.post<{ Params: { tenant: string } }>('/service/v1/merchant/generateOTP/:tenant', async (request, reply) => {
    const failed = await faulty(reply);
    if (failed) return failed;
    const parsed = parseElsomIaInit(String(request.body ?? ''));
    if (!parsed.ok) return json(reply, encodeElsomIaInitResponse({ errorCode: '1', errorMsg: parsed.error }));
    const f = parsed.value.fields;
    if (!credentialsOk(request.params.tenant, f.Password) || f.PartnerCode !== ELSOM_MERCHANT_SANDBOX_ACCOUNT.partnerCode
      || f.PmSISDN !== ELSOM_MERCHANT_SANDBOX_ACCOUNT.merchantWallet) {
      return json(reply, encodeElsomIaInitResponse({ errorCode: '150', errorMsg: 'Неверный пароль или код партнера' }));
    }
    const existing = byPartnerTrn.get(f.PartnerTrnID);
    if (existing && existing.amountMinor !== parsed.value.amountMinor) {
      return json(reply, encodeElsomIaInitResponse({ errorCode: '10', errorMsg: 'PartnerTrnID уже использован' }));
    }
    const payment = existing ?? {
      id: randomUUID(), partnerTrnId: f.PartnerTrnID, pspTrnId: `PSP${String(nextPsp++).padStart(8, '0')}`,
      amountMinor: parsed.value.amountMinor, culture: f.CultureInfo, chequeNo: f.ChequeNo, cashierNo: f.CashierNo,
      status: '1' as const, message: MESSAGES['1'], decidedAt: undefined, createdAt: options.clock.now().getTime(), wallet: undefined,
      callbacksSent: 0, callbacksAccepted: 0,
    };
    payments.set(payment.id, payment);
    byPartnerTrn.set(payment.partnerTrnId, payment);
    const language = f.CultureInfo.slice(0, 2).toLowerCase();
    if (roll(faults.malformedRate)) return reply.code(200).type('application/json').send('{"Response": {"ErrorCode": "0", ');
    return json(reply, encodeElsomIaInitResponse({ paymentUrl: `${publicBase()}/sandbox/elsom-merchant/merchant-payment/${payment.id}?language=${language}&platform=web` }));
  });

  app.post<{ Params: { tenant: string } }>('/service/v1/merchant/getPaymentStatus/:tenant', async (request, reply) => {
    const failed = await faulty(reply);
    if (failed) return failed;
    const parsed = parseElsomGetPaymentStatus(String(request.body ?? ''));
    if (!parsed.ok) return json(reply, encodeElsomGetPaymentStatusResponse({ errorCode: '1', errorMsg: parsed.error }));
    if (!credentialsOk(request.params.tenant, parsed.value.Password) || parsed.value.MSISDN !== ELSOM_MERCHANT_SANDBOX_ACCOUNT.merchantWallet) {
      return json(reply, encodeElsomGetPaymentStatusResponse({ errorCode: '150', errorMsg: 'Неверный пароль' }));
    }
    const payment = byPartnerTrn.get(parsed.value.PartnerTrnID);
    if (!payment) return json(reply, encodeElsomGetPaymentStatusResponse({ errorCode: '2', errorMsg: 'Платеж не найден' }));
    timeOut(payment);
    const lagging = payment.decidedAt !== undefined && options.clock.now().getTime() - payment.decidedAt < faults.statusLagMs;
    const status = lagging ? '1' : payment.status;
    if (roll(faults.malformedRate)) return reply.code(200).type('application/json').send('<html>oops</html>');
    return json(reply, encodeElsomGetPaymentStatusResponse({ paymentStatus: status, message: MESSAGES[status] }));
  });

  function timeOut(payment: WalletPayment): void {
    if (payment.status === '1' && options.clock.now().getTime() - payment.createdAt > faults.timeoutMs) decide(payment, '2', undefined);
  }

  const html = (reply: FastifyReply, code: number, body: string, lang = 'ru') => reply.code(code).type('text/html; charset=utf-8').send(simPage('Элсом', body, lang));

  app.get<{ Params: { id: string } }>('/merchant-payment/:id', async (request, reply) => {
    const payment = payments.get(request.params.id);
    if (!payment) return html(reply, 404, '<h1>Платеж не найден</h1>');
    timeOut(payment);
    if (payment.status !== '1') return html(reply, 200, finishedPage(payment));
    return html(reply, 200, otpPage(payment));
  });

  app.post<{ Params: { id: string } }>('/merchant-payment/:id', async (request, reply) => {
    const payment = payments.get(request.params.id);
    if (!payment) return html(reply, 404, '<h1>Платеж не найден</h1>');
    const fields = new URLSearchParams(String(request.body ?? ''));
    timeOut(payment);
    if (payment.status === '1') {
      if (fields.get('action') === 'cancel') decide(payment, '3', undefined);
      else {
        const wallet = (fields.get('wallet') ?? '').trim();
        if (!/^0\d{9}$/.test(wallet)) return html(reply, 200, otpPage(payment, 'Номер кошелька: 10 цифр, начинается на 0'));
        if (wallet === '0555000002') decide(payment, '4', wallet);
        else if (fields.get('otp') !== '1234') decide(payment, '4', wallet);
        else decide(payment, 'A', wallet);
      }
    }
    const redirect = faults.redirectUrl ?? `${publicBase()}/pay/elsom/return`;
    return reply.code(303).header('location', redirect).send();
  });

  function decide(payment: WalletPayment, status: WalletPayment['status'], wallet: string | undefined): void {
    payment.status = status;
    payment.message = MESSAGES[status];
    payment.wallet = wallet;
    payment.decidedAt = options.clock.now().getTime();
    void deliverCallbacks(payment);
  }

  async function deliverCallbacks(payment: WalletPayment): Promise<void> {
    await sleep(faults.callbackDelayMs);
    const copies = 1 + faults.callbackDuplicates;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < copies; i++) if (!roll(faults.callbackLossRate)) sends.push(sendCallback(payment, payment.status));
    await Promise.all(sends);
    if (faults.callbackOutOfOrder) await sendCallback(payment, '1');
  }

  async function sendCallback(payment: WalletPayment, status: WalletPayment['status']): Promise<void> {
    const body = encodeElsomPaymentResult({
      CultureInfo: payment.culture, MSISDN: payment.wallet ?? '0', PartnerTrnID: payment.partnerTrnId, PSPTTrnID: payment.pspTrnId,
      PaymentStatus: status, Message: MESSAGES[status], CashierNo: payment.cashierNo, ChequeNo: payment.chequeNo,
    });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        payment.callbacksSent++;
        const response = await fetch(faults.callbackUrl ?? `${self()}/pay/elsom/callback`, {
          method: 'POST', headers: { 'content-type': ELSOM_CONTENT_TYPE }, body, signal: AbortSignal.timeout(10_000),
        });
        const answer = parseElsomPaymentResultAnswer(await response.text());
        if (answer.kind === 'accepted') {
          payment.callbacksAccepted++;
          return;
        }
      } catch {
        // a partner that does not answer is called again
      }
      await sleep(500 * (attempt + 1));
    }
  }
}

function otpPage(payment: WalletPayment, problem?: string): string {
  return `<h1>Элсом · оплата кошельком (песочница)</h1>
<p>Сумма к оплате: <b id="elsom-amount">${esc(formatAmount(payment.amountMinor))}</b><br><small>Платеж ${esc(payment.partnerTrnId)}</small></p>
${problem ? `<p role="alert" style="color:#b00020">${esc(problem)}</p>` : ''}
<form method="post"><label for="wallet">Номер кошелька</label><input id="wallet" name="wallet" inputmode="numeric" placeholder="0555123456" required>
<label for="otp">Одноразовый пароль (OTP)</label><input id="otp" name="otp" inputmode="numeric" required>
<button type="submit" name="action" value="pay" id="elsom-pay">Оплатить</button></form>
<form method="post"><button type="submit" name="action" value="cancel" class="secondary" id="elsom-cancel">Отменить</button></form>
<p class="muted"><small>Тест: кошелёк <code>0555123456</code>, OTP <code>1234</code> — успех; кошелёк <code>0555000002</code> — нет средств.</small></p>`;
}

function finishedPage(payment: WalletPayment): string {
  return `<h1>Платеж ${esc(payment.partnerTrnId)}</h1><p>${esc(payment.message)}</p>`;
}
