import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Clock } from '../../domain/clock.ts';
import { parseAmount } from '../../domain/money.ts';
import type { ElsomConfig, ElsomWalletConfig } from '../../gateways/elsom-biller/config.ts';
import { selfBaseUrl } from '../../http/self-url.ts';
import { controlGuard } from '../control.ts';
import { ElsomBillerClient, summarize, type WalletPayment } from './simulator.ts';

const payBody = z.object({
  serviceId: z.string().min(1).max(30),
  account: z.string().min(1).max(100),
  amount: z.string().regex(/^\d{1,10}(\.\d{1,2})?$/),
  count: z.number().int().min(1).max(10_000).default(1),
  concurrency: z.number().int().min(1).max(64).default(4),
  retries: z.number().int().min(0).max(20).optional(),
  retryIntervalMs: z.number().int().min(0).max(60_000).optional(),
  requestTimeoutMs: z.number().int().min(1).max(120_000).optional(),
  charset: z.enum(['windows-1251', 'utf-8']).optional(),
  reconcile: z.boolean().default(true),
  settleTimeoutMs: z.number().int().min(0).max(300_000).default(30_000),
  terminalId: z.string().regex(/^\d{1,10}$/).optional(),
  login: z.string().min(1).max(100).optional(),
  password: z.string().min(1).max(200).optional(),
});

function view(payment: WalletPayment) {
  return { ...payment, amountMinor: payment.amountMinor.toString() };
}

/**
 * The Elsom wallet simulator over HTTP (sandbox only): POST /sandbox/elsom-wallet/pay (URL kept from before the folder was named for its side) runs AUTHORIZE → PAYMENT (with
 * the retry rule) for one or `count` payments against this server's own Elsom endpoint, then reconciles with
 * PAYMENT_LIST; GET /sandbox/elsom-wallet/payments lists what the last wallet recorded.
 */
export interface ElsomBillerClientSandboxOptions {
  clock: Clock;
  /** This server's configured host: where the wallet sends its credentials. */
  host: string;
  controlAllow: string[];
  log: Logger;
  /** The Elsom endpoint the wallet pays (ELSOM_PATH, ELSOM_TZ) and its default credentials and retry rule (ELSOM_WALLET_*). */
  elsom: ElsomConfig;
  wallet: ElsomWalletConfig;
}

export async function elsomBillerClientRoutes(app: FastifyInstance, options: ElsomBillerClientSandboxOptions): Promise<void> {
  const { elsom } = options;
  let last: ElsomBillerClient | undefined;
  // The wallet sends a login and a password hash: only ever to this server's own Elsom endpoint, an address from
  // configuration. The request's Host header is the caller's to choose, and would send the credentials anywhere.
  const selfUrl = () => `${selfBaseUrl(app, options.host)}${elsom.path}`;
  const control = { preHandler: controlGuard(options.controlAllow) };

  app.post('/pay', control, async (request, reply) => {
    const parsed = payBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ status: 'error', message: parsed.error.message });
    const body = parsed.data;
    const amount = parseAmount(body.amount, 2);
    if (!amount.ok) return reply.code(400).send({ status: 'error', message: `amount: ${amount.error}` });
    const defaults = options.wallet;
    const wallet = new ElsomBillerClient({
      url: selfUrl(),
      terminalId: body.terminalId ?? defaults.terminalId,
      login: body.login ?? defaults.login,
      password: body.password ?? defaults.password,
      retries: body.retries ?? defaults.retries,
      retryIntervalMs: body.retryIntervalMs ?? defaults.retryIntervalMs,
      requestTimeoutMs: body.requestTimeoutMs ?? defaults.requestTimeoutMs,
      utcOffsetMinutes: elsom.utcOffsetMinutes,
      clock: options.clock,
      ...(body.charset ? { charset: body.charset } : {}),
    });
    last = wallet;
    const started = Date.now();
    const payments = await wallet.run({ count: body.count, concurrency: body.concurrency, payment: () => ({ serviceId: body.serviceId, account: body.account, amountMinor: amount.minor }) });
    const reconciliation = body.reconcile ? await wallet.reconcile({ settleTimeoutMs: body.settleTimeoutMs }) : undefined;
    options.log.info({ count: body.count, outcomes: summarize(payments), mismatches: reconciliation?.mismatches.length }, 'Elsom wallet simulator run');
    return {
      elapsedMs: Date.now() - started,
      outcomes: summarize(payments),
      payments: payments.slice(0, 100).map(view),
      ...(reconciliation ? { reconciliation } : {}),
    };
  });

  app.get('/payments', control, async () => (last?.payments() ?? []).slice(-1000).map(view));
}
