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
import { registerSimulatorPages, type SendSimulatorPage } from '../pages.ts';
import { controlGuard } from '../control.ts';
import { FAULT_FIELDS, faultRate, faultStore, registerFaultRoutes } from '../faults.ts';
import { assistSandboxKeys } from './keys.ts';
import { cardFormPage, donePage, processedPage, refusedPage, threeDsPage } from './pages.ts';
import { AssistSimulator, type AccountFields, type PageStep, type ServiceResult } from './simulator.ts';

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

  const send = await registerSimulatorPages(app);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));

  // Faults as on every sandbox: GET, PUT (merge), DELETE (reset); POST is kept as an alias of PUT for older scripts.
  const control = { preHandler: controlGuard(options.controlAllow) };
  const faults = faultStore(() => sim.faults, (next) => (sim.faults = next));
  registerFaultRoutes(app, '/faults', faults, { control, schema: faultsBody, postAlias: true, textBody: true });
  app.get('/orders', control, async () => sim.list().map((o) => ({ ...o, amountMinor: o.amountMinor.toString(), chargedMinor: o.chargedMinor.toString() })));

  app.post('/pay/order.cfm', (request, reply) => openOrderPage(sim, send, request, reply));
  app.post('/pay/card', (request, reply) => submitCard(sim, send, request, reply));
  app.post('/pay/3ds', (request, reply) => submitThreeDs(sim, send, request, reply));
  app.post('/charge/charge.cfm', (request, reply) => charge(sim, request, reply));
  app.post('/cancel/cancel.cfm', (request, reply) => cancel(sim, request, reply));
  app.post('/orderstate/orderstate.cfm', (request, reply) => orderState(sim, request, reply));
}

// ── the payment page ──────────────────────────────────────────────────────────────────────────────────────────────
/** The shop's form post (pay/order.cfm): the order opened, and the card form. */
async function openOrderPage(sim: AssistSimulator, send: SendSimulatorPage, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const form = decodeAssistOrderForm(String(request.body ?? ''), request.headers['content-type'] ?? '');
  if (!form.ok) return send(reply, 400, refusedPage('Ошибка в параметрах заказа', form.failure.detail));
  const f = form.value;
  const step = sim.openFromForm({
    merchantId: f.merchantId, orderNumber: f.orderNumber, amountMinor: f.amountMinor, currency: f.currency, delayed: f.delayed,
    language: f.language, comment: f.comment, returnOk: f.returnOkUrl, returnNo: f.returnNoUrl,
  });
  return answerStep(sim, send, reply, step);
}

/** The card form: cancel, a card problem to show again, 3-D Secure, or back to the shop. */
async function submitCard(sim: AssistSimulator, send: SendSimulatorPage, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const fields = new URLSearchParams(String(request.body ?? ''));
  const order = sim.bySession(fields.get('session') ?? '');
  if (!order) return send(reply, 404, refusedPage('Сессия оплаты не найдена'));
  return answerStep(sim, send, reply, sim.submitCard(order, fields));
}

/** The 3-D Secure page: the simulator decides, the person goes back to the shop. */
async function submitThreeDs(sim: AssistSimulator, send: SendSimulatorPage, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const fields = new URLSearchParams(String(request.body ?? ''));
  const order = sim.bySession(fields.get('session') ?? '');
  if (!order) return send(reply, 404, refusedPage('Сессия оплаты не найдена'));
  return answerStep(sim, send, reply, sim.submitThreeDs(order, fields.get('code')));
}

/** The simulator's next step as a page, or the way back to the shop (a 303 to its return URL). */
function answerStep(sim: AssistSimulator, send: SendSimulatorPage, reply: FastifyReply, step: PageStep): Promise<FastifyReply> | FastifyReply {
  switch (step.kind) {
    case 'refused':
      return send(reply, 400, refusedPage(step.heading));
    case 'card-form':
      return send(reply, 200, cardFormPage(step.order, step.problem));
    case '3ds':
      return send(reply, 200, threeDsPage(step.order));
    case 'processed':
      return send(reply, 200, processedPage(step.order, sim.processedReturn(step.order)));
    case 'back': {
      const target = sim.returnTarget(step.order, step.ok);
      // The lost return: the person never gets back to the shop; the shop must ask for the order state itself.
      if (!target) return send(reply, 200, donePage(step.order, step.ok));
      return reply.code(303).header('location', target).send();
    }
  }
}

// ── web services ──────────────────────────────────────────────────────────────────────────────────────────────────
const contentType = (request: { headers: Record<string, unknown> }) => String(request.headers['content-type'] ?? '');

/** charge.cfm: the second stage of a two-stage payment, whole or partial. */
async function charge(sim: AssistSimulator, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const parsed = decodeAssistChargeRequest(String(request.body ?? ''), contentType(request));
  const format: AssistFormat = parsed.ok ? parsed.value.format : contentType(request).includes('json') ? 'json' : 'xml';
  return service(sim, reply, format, parsed.ok ? parsed.value : undefined, (body) => sim.chargeCall(body.billnumber, body.partial), true);
}

/** cancel.cfm: release or refund. */
async function cancel(sim: AssistSimulator, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const parsed = decodeAssistCancelRequest(String(request.body ?? ''), contentType(request));
  const format: AssistFormat = parsed.ok ? parsed.value.format : 'xml';
  return service(sim, reply, format, parsed.ok ? parsed.value : undefined, (body) => sim.cancelCall(body.billnumber));
}

/** orderstate.cfm: the order as Assist holds it. */
async function orderState(sim: AssistSimulator, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const parsed = decodeAssistOrderStateRequest(String(request.body ?? ''), contentType(request));
  const format: AssistFormat = parsed.ok ? parsed.value.format : 'xml';
  return service(sim, reply, format, parsed.ok ? parsed.value : undefined, (body) => sim.orderStateCall(body.merchantId, body.orderNumber));
}

/** A web service call: transport faults, the account check, the act, and the answer in the caller's format. */
async function service<T extends AccountFields>(
  sim: AssistSimulator, reply: FastifyReply, format: AssistFormat, body: T | undefined, act: (body: T) => ServiceResult, moneyCall = false,
): Promise<FastifyReply> {
  const faults = sim.faults;
  if (faults.latencyMs > 0) await sleep(faults.latencyMs);
  if (sim.roll(faults.http500Rate)) return reply.code(500).type('text/html').send('<html><body>Internal error</body></html>');
  const send = (answer: Parameters<typeof encodeAssistAnswer>[0]) => {
    const encoded = encodeAssistAnswer(answer, format);
    return reply.code(200).header('content-type', encoded.contentType).send(encoded.body);
  };
  if (!body) return send({ firstcode: '1', secondcode: '100', orders: [] }); // parameters failed validation
  if (!sim.accountOk(body)) return send({ firstcode: '7', secondcode: '102', orders: [] }); // the spec's example: wrong password
  if (sim.roll(faults.notProcessedRate)) return send({ firstcode: '9', secondcode: '500', orders: [] });
  const result = act(body);
  // The charge is made by now: what follows is what the merchant sees of it.
  if (moneyCall && 'order' in result && sim.roll(faults.hangAfterCommitRate)) await sleep(faults.hangMs);
  if ('notProcessed' in result) return send({ firstcode: result.notProcessed[0], secondcode: result.notProcessed[1], orders: [] });
  const orders = 'none' in result ? [] : [sim.record(result.order, result.code, result.message)];
  if (sim.roll(faults.malformedRate)) return reply.code(200).type('text/plain').send('<<garbled>> orderstate: Appr');
  return send({ firstcode: '0', secondcode: '0', orders });
}
