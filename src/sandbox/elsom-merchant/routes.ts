import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../domain/clock.ts';
import { ELSOM_CONTENT_TYPE } from '../../acquiring/elsom-merchant/codec.ts';
import { selfBaseUrl } from '../../http/self-url.ts';
import { controlGuard } from '../control.ts';
import { FAULT_FIELDS, faultRate, faultStore, registerFaultRoutes, rollFault } from '../faults.ts';
import { registerSimulatorPages, type SendSimulatorPage } from '../pages.ts';
import { finishedPage, notFoundPage, otpPage } from './pages.ts';
import { ElsomMerchantSimulator, type Faults } from './simulator.ts';

/**
 * /sandbox/elsom-merchant: Elsom's side of the merchant OTP protocol. IA_Init (generateOTP/{tenant-id}) answers an OTP
 * page URL; the page debits a test wallet; PartnerPaymentResult callbacks go to the partner (with configurable delay,
 * duplicates, loss and a stale out-of-order copy); PartnerGetPaymentStatus answers from what was committed.
 * The state and the rules are the simulator's (simulator.ts); these routes carry bytes to and from it and inject the
 * transport faults (latency, HTTP 500, malformed answers).
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
  /** Share of callbacks sent one extra time. */
  callbackDuplicateRate: faultRate,
  /** A further random delay of each copy, 0…this. */
  callbackJitterMs: z.number().int().min(0).max(600_000),
  callbackUrl: z.string().url(),
  redirectUrl: z.string().url(),
  /** Several partner addresses: every attempt picks one at random (instances behind one name). */
  callbackUrls: z.array(z.string().url()).max(16),
}).partial().strict();

export interface ElsomMerchantSandboxOptions {
  clock: Clock;
  /** This server's configured host: where the callback goes. */
  host: string;
  controlAllow: string[];
  /** Where a person's browser reaches this server (the payment page, the way back). */
  publicBase: () => string;
}

type TenantRequest = FastifyRequest<{ Params: { tenant: string } }>;
type PageRequest = FastifyRequest<{ Params: { id: string } }>;

const json = (reply: FastifyReply, body: string) => reply.code(200).header('content-type', ELSOM_CONTENT_TYPE).send(body);

/** Latency and HTTP 500 before any answer: the reply already sent, or undefined to go on. */
async function faulty(simulator: ElsomMerchantSimulator, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (simulator.faults.latencyMs > 0) await sleep(simulator.faults.latencyMs);
  if (rollFault(simulator.faults.http500Rate)) return reply.code(500).type('text/html').send('<html>Internal Server Error</html>');
  return undefined;
}

export async function elsomMerchantSandboxRoutes(app: FastifyInstance, options: ElsomMerchantSandboxOptions): Promise<void> {
  const publicBase = options.publicBase;
  // The callback is ours to our own server; the payment page and the way back are where the person's browser goes.
  const simulator = new ElsomMerchantSimulator({ clock: options.clock, publicBase, selfBase: () => selfBaseUrl(app, options.host) });

  const send = await registerSimulatorPages(app);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));

  // Faults as on every sandbox: GET, PUT (merge), DELETE (reset); POST is kept as an alias of PUT for older scripts.
  const control = { preHandler: controlGuard(options.controlAllow) };
  const store = faultStore(() => simulator.faults, (next: Faults) => (simulator.faults = next));
  registerFaultRoutes(app, '/faults', store, { control, schema: faultsBody, postAlias: true, textBody: true });
  app.get('/payments', control, async () => [...simulator.payments.values()].map((p) => ({ ...p, amountMinor: p.amountMinor.toString() })));

  app.post('/service/v1/merchant/generateOTP/:tenant', (request: TenantRequest, reply) => iaInit(simulator, request, reply));
  app.post('/service/v1/merchant/getPaymentStatus/:tenant', (request: TenantRequest, reply) => paymentStatus(simulator, request, reply));
  app.get('/merchant-payment/:id', (request: PageRequest, reply) => showPaymentPage(simulator, send, request, reply));
  app.post('/merchant-payment/:id', (request: PageRequest, reply) => submitPaymentPage(simulator, send, request, reply));
}

async function iaInit(simulator: ElsomMerchantSimulator, request: TenantRequest, reply: FastifyReply) {
  const failed = await faulty(simulator, reply);
  if (failed) return failed;
  const answer = simulator.iaInit(request.params.tenant, String(request.body ?? ''));
  if (answer.success && rollFault(simulator.faults.malformedRate)) {
    return reply.code(200).type('application/json').send('{"Response": {"ErrorCode": "0", ');
  }
  return json(reply, answer.body);
}

async function paymentStatus(simulator: ElsomMerchantSimulator, request: TenantRequest, reply: FastifyReply) {
  const failed = await faulty(simulator, reply);
  if (failed) return failed;
  const answer = simulator.paymentStatus(request.params.tenant, String(request.body ?? ''));
  if (answer.success && rollFault(simulator.faults.malformedRate)) return reply.code(200).type('application/json').send('<html>oops</html>');
  return json(reply, answer.body);
}

async function showPaymentPage(simulator: ElsomMerchantSimulator, send: SendSimulatorPage, request: PageRequest, reply: FastifyReply) {
  const payment = simulator.payment(request.params.id);
  if (!payment) return send(reply, 404, notFoundPage());
  if (payment.status !== '1') return send(reply, 200, finishedPage(payment));
  return send(reply, 200, otpPage(payment, simulator.returnUrl()));
}

async function submitPaymentPage(simulator: ElsomMerchantSimulator, send: SendSimulatorPage, request: PageRequest, reply: FastifyReply) {
  const payment = simulator.payment(request.params.id);
  if (!payment) return send(reply, 404, notFoundPage());
  const problem = simulator.submit(payment, new URLSearchParams(String(request.body ?? '')));
  if (problem) return send(reply, 200, otpPage(payment, simulator.returnUrl(), problem));
  return reply.code(303).header('location', simulator.returnUrl()).send();
}
