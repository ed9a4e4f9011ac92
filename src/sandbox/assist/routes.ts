import type { Clock } from '../../domain/clock.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  encodeAssistAnswer,
  decodeAssistCancelRequest,
  decodeAssistChargeRequest,
  decodeAssistOrderForm,
  decodeAssistOrderStateRequest,
  type AssistFormat,
} from '../../acquiring/assist/codec/index.ts';
import { formatAmount } from '../../domain/money.ts';
import { esc, simPage, SIM_CSP } from '../html.ts';
import { controlGuard } from '../control.ts';
import { FAULT_FIELDS, faultRate, faultStore, registerFaultRoutes } from '../faults.ts';
import { ASSIST_SANDBOX_ACCOUNT, assistSandboxKeys } from './keys.ts';
import { AssistSimulator, TEST_CARDS, type SimOrder } from './simulator.ts';

const { latencyMs, http500Rate, malformedRate, hangAfterCommitRate, hangMs, dedupe } = FAULT_FIELDS;
const faultsBody = z.object({
  latencyMs, http500Rate, malformedRate,
  notProcessedRate: faultRate, badSignatureRate: faultRate, dropReturnRate: faultRate,
  hangAfterCommitRate, hangMs, dedupe,
}).partial().strict();

/**
 * /sandbox/assist: Assist's payment page (pay/order.cfm → card form → optional 3-D Secure → return URLs) and web
 * services (charge, cancel, order state) in every answer format, signed with the sandbox key; faults at /faults.
 */
export async function assistSandboxRoutes(app: FastifyInstance, options: { controlAllow?: string[]; clock?: Clock } = {}): Promise<void> {
  const sim = new AssistSimulator(assistSandboxKeys().privateKeyPem, Math.random, options.clock);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', SIM_CSP);
    reply.header('x-content-type-options', 'nosniff');
  });

  // Faults as on every sandbox: GET, PUT (merge), DELETE (reset); POST is kept as an alias of PUT for older scripts.
  const control = { preHandler: controlGuard(options.controlAllow) };
  const faults = faultStore(() => sim.faults, (next) => (sim.faults = next));
  registerFaultRoutes(app, '/faults', faults, { control, schema: faultsBody, postAlias: true, textBody: true });
  app.get('/orders', control, async () => sim.list().map((o) => ({ ...o, amountMinor: o.amountMinor.toString(), chargedMinor: o.chargedMinor.toString() })));

  app.post('/pay/order.cfm', (request, reply) => openOrderPage(sim, request, reply));
  app.post('/pay/card', (request, reply) => submitCard(sim, request, reply));
  app.post('/pay/3ds', (request, reply) => submitThreeDs(sim, request, reply));
  app.post('/charge/charge.cfm', (request, reply) => charge(sim, request, reply));
  app.post('/cancel/cancel.cfm', (request, reply) => cancel(sim, request, reply));
  app.post('/orderstate/orderstate.cfm', (request, reply) => orderState(sim, request, reply));
}

const html = (reply: FastifyReply, code: number, title: string, body: string) =>
  reply.code(code).type('text/html; charset=utf-8').send(simPage(title, body));

// ── the payment page ──────────────────────────────────────────────────────────────────────────────────────────────
/** The shop's form post (pay/order.cfm): the order opened, and the card form. */
async function openOrderPage(sim: AssistSimulator, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const form = decodeAssistOrderForm(String(request.body ?? ''), request.headers['content-type'] ?? '');
  if (!form.ok) return html(reply, 400, 'Assist', `<h1>Ошибка в параметрах заказа</h1><p>${esc(form.failure.detail)}</p>`);
  const f = form.value;
  if (f.merchantId !== ASSIST_SANDBOX_ACCOUNT.merchantId) return html(reply, 400, 'Assist', '<h1>Неизвестный Merchant_ID</h1>');
  const { order } = sim.open({
    merchantId: f.merchantId, orderNumber: f.orderNumber, amountMinor: f.amountMinor, currency: f.currency, delayed: f.delayed,
    language: f.language, comment: f.comment, returnOk: f.returnOkUrl, returnNo: f.returnNoUrl,
  });
  if (order.amountMinor !== f.amountMinor || order.currency !== f.currency) {
    return html(reply, 400, 'Assist', '<h1>Заказ с этим номером уже создан на другую сумму</h1>');
  }
  if (order.state !== 'In Process') return html(reply, 200, 'Assist', alreadyProcessed(order));
  return html(reply, 200, 'Assist — оплата картой', cardForm(order));
}

/** The card form: cancel, a card problem to show again, 3-D Secure, or back to the shop. */
async function submitCard(sim: AssistSimulator, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const fields = new URLSearchParams(String(request.body ?? ''));
  const order = sim.bySession(fields.get('session') ?? '');
  if (!order) return html(reply, 404, 'Assist', '<h1>Сессия оплаты не найдена</h1>');
  if (fields.get('action') === 'cancel') {
    sim.cancelByCustomer(order);
    return backToShop(sim, reply, order, false);
  }
  if (order.state !== 'In Process') return html(reply, 200, 'Assist', alreadyProcessed(order));
  const problem = cardProblem(fields, sim.clock.now());
  if (problem) return html(reply, 200, 'Assist — оплата картой', cardForm(order, problem));
  const result = sim.pay(order, fields.get('card') ?? '');
  if (result === '3ds') return html(reply, 200, '3-D Secure', threeDsForm(order));
  return backToShop(sim, reply, order, result === 'authorised');
}

/** The 3-D Secure page: 1234 authorises, anything else declines. */
async function submitThreeDs(sim: AssistSimulator, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const fields = new URLSearchParams(String(request.body ?? ''));
  const order = sim.bySession(fields.get('session') ?? '');
  if (!order) return html(reply, 404, 'Assist', '<h1>Сессия оплаты не найдена</h1>');
  if (order.state !== 'In Process') return html(reply, 200, 'Assist', alreadyProcessed(order));
  if (fields.get('code') === '1234') sim.authorise(order);
  else sim.decline(order);
  const state: string = order.state;
  return backToShop(sim, reply, order, state === 'Delayed' || state === 'Approved');
}

function backToShop(sim: AssistSimulator, reply: FastifyReply, order: SimOrder, ok: boolean): FastifyReply {
  const target = ok ? order.returnOk : order.returnNo;
  if (!target || sim.roll(sim.faults.dropReturnRate)) {
    // The lost return: the person never gets back to the shop; the shop must ask for the order state itself.
    return html(reply, 200, 'Assist', `<h1>${ok ? 'Оплата принята' : 'Оплата не выполнена'}</h1><p id="assist-done">Заказ ${esc(order.orderNumber)}: ${esc(order.state)}</p>`);
  }
  return reply.code(303).header('location', target).send();
}

// ── web services ──────────────────────────────────────────────────────────────────────────────────────────────────
const contentType = (request: { headers: Record<string, unknown> }) => String(request.headers['content-type'] ?? '');

/** charge.cfm: the second stage of a two-stage payment, whole or partial. */
async function charge(sim: AssistSimulator, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const parsed = decodeAssistChargeRequest(String(request.body ?? ''), contentType(request));
  const format: AssistFormat = parsed.ok ? parsed.value.format : contentType(request).includes('json') ? 'json' : 'xml';
  return service(sim, reply, format, parsed.ok ? parsed.value : undefined, (body) => {
    const order = sim.byBillnumber(body.billnumber);
    if (!order) return { notProcessed: ['5', '301'] };
    if (body.partial && body.partial.currency !== order.currency) return { order, code: 'AS150', message: 'currency differs from the payment' };
    const result = sim.charge(order, body.partial?.amountMinor);
    return { order, ...result };
  }, true);
}

/** cancel.cfm: release or refund. */
async function cancel(sim: AssistSimulator, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const parsed = decodeAssistCancelRequest(String(request.body ?? ''), contentType(request));
  const format: AssistFormat = parsed.ok ? parsed.value.format : 'xml';
  return service(sim, reply, format, parsed.ok ? parsed.value : undefined, (body) => {
    const order = sim.byBillnumber(body.billnumber);
    if (!order) return { notProcessed: ['5', '301'] };
    return { order, ...sim.cancel(order) };
  });
}

/** orderstate.cfm: the order as Assist holds it. */
async function orderState(sim: AssistSimulator, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const parsed = decodeAssistOrderStateRequest(String(request.body ?? ''), contentType(request));
  const format: AssistFormat = parsed.ok ? parsed.value.format : 'xml';
  return service(sim, reply, format, parsed.ok ? parsed.value : undefined, (body) => {
    const order = sim.find(body.merchantId, body.orderNumber);
    order?.calls.push('orderstate');
    return order ? { order, code: 'AS000', message: '' } : { none: true };
  });
}

type Result = { order: SimOrder; code: string; message: string } | { notProcessed: [string, string] } | { none: true };

/** A web service call: transport faults, the account check, the act, and the answer in the caller's format. */
async function service<T extends { merchantId: string; login: string; password: string }>(
  sim: AssistSimulator, reply: FastifyReply, format: AssistFormat, body: T | undefined, act: (body: T) => Result, moneyCall = false,
): Promise<FastifyReply> {
  const faults = sim.faults;
  if (faults.latencyMs > 0) await sleep(faults.latencyMs);
  if (sim.roll(faults.http500Rate)) return reply.code(500).type('text/html').send('<html><body>Internal error</body></html>');
  const send = (answer: Parameters<typeof encodeAssistAnswer>[0]) => {
    const encoded = encodeAssistAnswer(answer, format);
    return reply.code(200).header('content-type', encoded.contentType).send(encoded.body);
  };
  if (!body) return send({ firstcode: '1', secondcode: '100', orders: [] }); // parameters failed validation
  const { merchantId, login, password } = ASSIST_SANDBOX_ACCOUNT;
  if (body.merchantId !== merchantId || body.login !== login || body.password !== password) {
    return send({ firstcode: '7', secondcode: '102', orders: [] }); // the spec's example: wrong password
  }
  if (sim.roll(faults.notProcessedRate)) return send({ firstcode: '9', secondcode: '500', orders: [] });
  const result = act(body);
  // The charge is made by now: what follows is what the merchant sees of it.
  if (moneyCall && 'order' in result && sim.roll(faults.hangAfterCommitRate)) await sleep(faults.hangMs);
  if ('notProcessed' in result) return send({ firstcode: result.notProcessed[0], secondcode: result.notProcessed[1], orders: [] });
  const orders = 'none' in result ? [] : [sim.record(result.order, result.code, result.message)];
  if (sim.roll(faults.malformedRate)) return reply.code(200).type('text/plain').send('<<garbled>> orderstate: Appr');
  return send({ firstcode: '0', secondcode: '0', orders });
}

function cardProblem(fields: URLSearchParams, now: Date): string | undefined {
  const card = (fields.get('card') ?? '').replace(/\s/g, '');
  if (!/^\d{13,19}$/.test(card)) return 'Номер карты: 13–19 цифр';
  const exp = /^(\d{2})\/(\d{2})$/.exec((fields.get('exp') ?? '').trim());
  if (!exp || Number(exp[1]) < 1 || Number(exp[1]) > 12) return 'Срок действия: ММ/ГГ';
  const year = 2000 + Number(exp[2]);
  if (year < now.getUTCFullYear() || (year === now.getUTCFullYear() && Number(exp[1]) < now.getUTCMonth() + 1)) return 'Срок действия карты истёк';
  if (!/^\d{3}$/.test(fields.get('cvv') ?? '')) return 'CVV: три цифры';
  return undefined;
}

function cardForm(order: SimOrder, problem?: string): string {
  return `<h1>Assist · оплата картой (песочница)</h1>
<p>Заказ <b>${esc(order.orderNumber)}</b><br>Сумма: <b id="assist-amount">${esc(formatAmount(order.amountMinor))} ${esc(order.currency)}</b></p>
${problem ? `<p role="alert" style="color:#b00020">${esc(problem)}</p>` : ''}
<form method="post" action="card">
<input type="hidden" name="session" value="${esc(order.session)}">
<label for="card">Номер карты</label><input id="card" name="card" inputmode="numeric" autocomplete="cc-number" required>
<label for="exp">Срок действия (ММ/ГГ)</label><input id="exp" name="exp" placeholder="12/30" autocomplete="cc-exp" required>
<label for="cvv">CVV</label><input id="cvv" name="cvv" inputmode="numeric" maxlength="3" autocomplete="cc-csc" required>
<button type="submit" name="action" value="pay" id="assist-pay">Оплатить</button>
</form>
<form method="post" action="card"><input type="hidden" name="session" value="${esc(order.session)}">
<button type="submit" name="action" value="cancel" class="secondary" id="assist-cancel">Отказаться от оплаты</button></form>
<p class="muted"><small>Тестовые карты: <code>${TEST_CARDS.approve}</code> — успех, <code>${TEST_CARDS.decline}</code> — отказ,
<code>${TEST_CARDS.threeDs}</code> — 3-D Secure (код 1234). Любой будущий срок, любой CVV.</small></p>`;
}

function threeDsForm(order: SimOrder): string {
  return `<h1>3-D Secure</h1><p>Банк-эмитент просит подтвердить оплату ${esc(formatAmount(order.amountMinor))} ${esc(order.currency)}.</p>
<form method="post" action="3ds"><input type="hidden" name="session" value="${esc(order.session)}">
<label for="code">Код из SMS (песочница: 1234)</label><input id="code" name="code" inputmode="numeric" required>
<button type="submit" id="assist-3ds">Подтвердить</button></form>`;
}

function alreadyProcessed(order: SimOrder): string {
  const ok = order.state === 'Delayed' || order.state === 'Approved' || order.state === 'PartialDelayed';
  const back = ok ? order.returnOk : order.returnNo;
  return `<h1>Заказ ${esc(order.orderNumber)} уже обработан</h1><p>Состояние: ${esc(order.state)}. Повторная оплата не проводится.</p>
${back ? `<p><a href="${esc(back)}">Вернуться в магазин</a></p>` : ''}`;
}
