import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { authThrottle, type AuthThrottle } from '../../http/auth-throttle.ts';
import { agentFunds, type Agent } from '../../engine/agents.ts';
import {
  decodeElsomRequest, encodeElsomResponse, ELSOM_RESULT, type ElsomAuthorizeRequest, type ElsomCancelPaymentRequest,
  type ElsomPaymentListRequest, type ElsomPaymentRequest, type ElsomRequest, type ElsomRequestEcho, type ElsomResponse,
  type ElsomResultCode,
} from './codec.ts';
import { loadElsomConfig, type ElsomConfig } from './config.ts';
import {
  authorizeAnswer, cancelAnswer, cancelRefusal, checkTransfer, listPeriod, paymentAnswer, paymentListAnswer,
  paymentListRefusal, requestRefusal, toAgentTxnId, toCheckCommand, toPayCommand, transferRefusal, type ElsomAnswerContext,
} from './mapping.ts';
import { authenticateElsomTerminal, findElsomService, rememberTransactionNumber, transactionNumbers, type ElsomServiceMapping } from './store.ts';
import type { Service } from '../../domain/catalog.ts';

const CONTENT_TYPE = 'text/xml; charset=windows-1251';

/**
 * The Elsom biller endpoint (docs/protocols/elsom-biller.md): POST <path> with one XML <request>. Its own body parser
 * (raw bytes, any content type, 64 KiB), its own error and not-found handlers: every answer is a windows-1251 <response>
 * with HTTP 200 — Elsom reads result-code, and a transport error would only make it retry a PAYMENT until it counts
 * it as paid.
 */
export async function elsomBillerRoutes(app: FastifyInstance, options: { ctx: AppContext; config?: ElsomConfig }): Promise<void> {
  const { ctx } = options;
  const config = options.config ?? loadElsomConfig();
  const gateway = new ElsomGateway(ctx, config, authThrottle(app, 'elsom', ctx.config.authThrottle));

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.maxBytes }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: { code?: string; statusCode?: number }, request, reply) => {
    // Fastify's own refusals (body too large, bad Content-Length) are the request's fault: 202. Anything else is ours:
    // 3 is non-fatal, so Elsom repeats, and every repeat is idempotent.
    const clientError = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
    if (!clientError) request.log.error({ err: error }, 'Elsom request failed');
    else request.log.info({ code: error.code }, 'Elsom request refused by the HTTP layer');
    return send(reply, gateway.refusal({}, clientError ? ELSOM_RESULT.BAD_REQUEST : ELSOM_RESULT.TECHNICAL_ERROR, request.ip));
  });
  app.setNotFoundHandler((request, reply) => send(reply, gateway.refusal({}, ELSOM_RESULT.BAD_REQUEST, request.ip)));

  app.post('/', async (request, reply) => send(reply, await gateway.handle(request)));
}

function send(reply: FastifyReply, response: ElsomResponse): FastifyReply {
  return reply.code(200).header('content-type', CONTENT_TYPE).send(encodeElsomResponse(response));
}

/** How long a service-map line is cached: an operator's change is seen within this time (like the catalog's). */
const SERVICE_MAP_TTL_MS = 5_000;
const SERVICE_MAP_MAX_ENTRIES = 10_000;

/** Decodes, authenticates, dispatches to the engine, and renders; one method per request-type. */
class ElsomGateway {
  private readonly services = new Map<string, { at: number; mapping: ElsomServiceMapping | undefined }>();

  constructor(
    private readonly ctx: AppContext,
    private readonly config: ElsomConfig,
    private readonly throttle: AuthThrottle,
  ) {}

  /** The service map, read through a short cache: every request needs it, and it changes rarely. */
  private async serviceFor(agentId: bigint, elsomServiceId: string): Promise<ElsomServiceMapping | undefined> {
    const key = `${agentId}:${elsomServiceId}`;
    const cached = this.services.get(key);
    if (cached && Date.now() - cached.at < SERVICE_MAP_TTL_MS) return cached.mapping;
    const mapping = await findElsomService(this.ctx.db, agentId, elsomServiceId);
    if (this.services.size >= SERVICE_MAP_MAX_ENTRIES) this.services.clear();
    this.services.set(key, { at: Date.now(), mapping });
    return mapping;
  }

  refusal(echo: ElsomRequestEcho, code: ElsomResultCode, remoteAddr: string): ElsomResponse {
    return requestRefusal(echo, code, { now: this.ctx.clock.now(), utcOffsetMinutes: this.config.utcOffsetMinutes, remoteAddr });
  }

  async handle(request: FastifyRequest): Promise<ElsomResponse> {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const decoded = decodeElsomRequest(body, request.headers['content-type'], { maxBytes: this.config.maxBytes });
    if (!decoded.ok) {
      request.log.info({ reason: decoded.reason, detail: decoded.detail, resultCode: decoded.resultCode }, 'Elsom request refused');
      return this.refusal(decoded.echo, decoded.resultCode, request.ip);
    }
    const message = decoded.request;
    // The terminal is the credential that is slowed (its password is never a key); a blocked one gets the spec's 201.
    const blockedFor = await this.throttle.blocked(request, message.terminalId);
    if (blockedFor !== undefined) return this.tooManyFailures(request, message, blockedFor);
    const auth = await authenticateElsomTerminal(this.ctx.db, message, request.ip);
    if (!auth.ok) {
      request.log.info({ terminalId: message.terminalId, reason: auth.reason, ip: request.ip }, 'Elsom authentication refused');
      const waitFor = await this.throttle.failed(request, message.terminalId);
      if (waitFor !== undefined) return this.tooManyFailures(request, message, waitFor);
      return this.refusal(echoOf(message), ELSOM_RESULT.WRONG_PASSWORD, request.ip);
    }
    const context: ElsomAnswerContext = {
      terminalId: message.terminalId, remoteAddr: request.ip, now: this.ctx.clock.now(), utcOffsetMinutes: this.config.utcOffsetMinutes,
      operatorId: auth.agent.id.toString(),
    };
    try {
      return await this.dispatch(auth.agent, message, context);
    } catch (error) {
      request.log.error({ err: error, terminalId: message.terminalId, requestType: message.requestType }, 'Elsom request failed');
      return this.refusal(echoOf(message), ELSOM_RESULT.TECHNICAL_ERROR, request.ip);
    }
  }

  private tooManyFailures(request: FastifyRequest, message: ElsomRequest, retryAfterSeconds: number): ElsomResponse {
    request.log.warn({ terminalId: message.terminalId, ip: request.ip, retryAfterSeconds }, 'Elsom authentication throttled');
    return this.refusal(echoOf(message), ELSOM_RESULT.TOO_MANY_REQUESTS, request.ip);
  }

  private dispatch(agent: Agent, message: ElsomRequest, context: ElsomAnswerContext): Promise<ElsomResponse> {
    switch (message.requestType) {
      case 1:
        return this.authorize(agent, message, context);
      case 2:
        return this.payment(agent, message, context);
      case 3:
        return this.cancel(agent, message, context);
      case 4:
        return this.paymentList(agent, message, context);
    }
  }

  private async withFunds(agent: Agent, context: ElsomAnswerContext): Promise<ElsomAnswerContext> {
    const funds = await agentFunds(this.ctx.db, agent);
    return { ...context, now: this.ctx.clock.now(), funds: { balanceMinor: funds.availableMinor, overdraftMinor: agent.overdraftMinor } };
  }

  /** Shared by AUTHORIZE and PAYMENT: the id, the service mapping, and the Elsom-only rules. */
  private async transferTarget(agent: Agent, message: ElsomAuthorizeRequest | ElsomPaymentRequest): Promise<
    { ok: true; agentTxnId: bigint; mapping: ElsomServiceMapping; service: Service } | { ok: false; code: ElsomResultCode }
  > {
    const agentTxnId = toAgentTxnId(message.transactionNumber);
    if (agentTxnId === undefined) return { ok: false, code: ELSOM_RESULT.BAD_REQUEST };
    const mapping = await this.serviceFor(agent.id, message.to.serviceId);
    const service = mapping && (await this.ctx.catalog.get(mapping.serviceId));
    if (!mapping || !service) return { ok: false, code: ELSOM_RESULT.PROVIDER_FORBIDDEN };
    const refused = checkTransfer(message, service, mapping);
    return refused === undefined ? { ok: true, agentTxnId, mapping, service } : { ok: false, code: refused };
  }

  private async authorize(agent: Agent, message: ElsomAuthorizeRequest, context: ElsomAnswerContext): Promise<ElsomResponse> {
    const target = await this.transferTarget(agent, message);
    if (!target.ok) return transferRefusal(await this.withFunds(agent, context), message, target.code);
    // §2.1: an AUTHORIZE with a transaction-number we already hold ends with 233.
    if (await this.ctx.engine.status(agent.id, target.agentTxnId)) {
      return transferRefusal(await this.withFunds(agent, context), message, ELSOM_RESULT.TRANSACTION_EXISTS);
    }
    const answer = await this.ctx.engine.check(agent, toCheckCommand(message, target.mapping, target.agentTxnId));
    if (answer.kind === 'payment') await rememberTransactionNumber(this.ctx.db, agent.id, target.agentTxnId, message.transactionNumber);
    return authorizeAnswer(await this.withFunds(agent, context), message, answer);
  }

  private async payment(agent: Agent, message: ElsomPaymentRequest, context: ElsomAnswerContext): Promise<ElsomResponse> {
    const target = await this.transferTarget(agent, message);
    if (!target.ok) return transferRefusal(await this.withFunds(agent, context), message, target.code);
    const existing = await this.ctx.engine.status(agent.id, target.agentTxnId);
    if (existing && existing.paidAt === null && (existing.state === 'check_failed' || existing.state === 'failed')) {
      // Authorised and refused, or cancelled before payment: there is nothing to pay; answer what it is.
      return paymentAnswer(await this.withFunds(agent, context), message, { kind: 'payment', payment: existing });
    }
    // An authorised payment's number was kept at AUTHORIZE; a PAYMENT without one keeps it now, before the engine.
    if (!existing) await rememberTransactionNumber(this.ctx.db, agent.id, target.agentTxnId, message.transactionNumber);
    // Stored (with the reservation) before the provider is called, and driven to a final state by the engine's jobs.
    const answer = await this.ctx.engine.pay(agent, toPayCommand(message, target.mapping, target.agentTxnId));
    return paymentAnswer(await this.withFunds(agent, context), message, answer);
  }

  private async cancel(agent: Agent, message: ElsomCancelPaymentRequest, context: ElsomAnswerContext): Promise<ElsomResponse> {
    const agentTxnId = toAgentTxnId(message.transactionNumber);
    if (agentTxnId === undefined) return cancelRefusal(context, message, ELSOM_RESULT.BAD_REQUEST);
    const mapping = await this.serviceFor(agent.id, message.serviceId);
    if (!mapping) return cancelRefusal(context, message, ELSOM_RESULT.PROVIDER_FORBIDDEN);
    const payment = await this.ctx.engine.status(agent.id, agentTxnId);
    if (!payment || payment.serviceId !== mapping.serviceId) return cancelRefusal(context, message, ELSOM_RESULT.TRANSACTION_NOT_FOUND);
    const answer = await this.ctx.engine.cancel(agent.id, agentTxnId, `Elsom CANCEL_PAYMENT, terminal ${message.terminalId}`);
    return cancelAnswer(context, message, answer);
  }

  private async paymentList(agent: Agent, message: ElsomPaymentListRequest, context: ElsomAnswerContext): Promise<ElsomResponse> {
    const mapping = await this.serviceFor(agent.id, message.serviceId);
    if (!mapping) return paymentListRefusal(context, ELSOM_RESULT.PROVIDER_FORBIDDEN);
    const period = listPeriod(message, this.config.utcOffsetMinutes);
    if (!period) return paymentListRefusal(context, ELSOM_RESULT.BAD_REQUEST);
    const payments = await this.ctx.engine.succeededBetween(agent.id, period.from, period.to, [mapping.serviceId]);
    const numbers = await transactionNumbers(this.ctx.db, agent.id, payments.map((payment) => payment.agentTxnId));
    return paymentListAnswer(context, payments, numbers);
  }
}

function echoOf(message: ElsomRequest): ElsomRequestEcho {
  return {
    requestType: message.requestType,
    terminalId: message.terminalId,
    ...('transactionNumber' in message ? { transactionNumber: message.transactionNumber } : {}),
  };
}
