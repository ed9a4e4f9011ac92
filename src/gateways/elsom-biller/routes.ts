import type { Failed, Failure } from '../../domain/result.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authThrottle, type AuthThrottle, type AuthThrottleLimits } from '../../http/auth-throttle.ts';
import type { Agent } from '../../engine/agents.ts';
import type { EngineServices } from '../../engine/services.ts';
import type { ElsomServiceMapping } from '../../engine/terminals.ts';
import {
  decodeElsomRequest, encodeElsomResponse, ELSOM_RESULT, type ElsomAuthorizeRequest, type ElsomCancelPaymentRequest,
  type ElsomPaymentListRequest, type ElsomPaymentRequest, type ElsomRequest, type ElsomRequestEcho, type ElsomResponse,
  type ElsomResultCode,
} from './codec/index.ts';
import type { ElsomConfig } from './config.ts';
import {
  authorizeAnswer, authorizeCommand, cancelAnswer, cancelRefusal, checkTransfer, listPeriod, paymentAnswer, paymentCommand,
  paymentListAnswer, paymentListRefusal, requestRefusal, toAgentTxnId, transferRefusal, type ElsomAnswerContext,
} from './mapping.ts';
import type { Service } from '../../domain/catalog.ts';

/** What the Elsom gateway uses of the engine: no database, no configuration beyond its own and the throttle's. */
export type ElsomGatewayServices = Pick<EngineServices, 'clock' | 'catalog' | 'funds' | 'elsomServices'> & {
  engine: Pick<EngineServices['engine'], 'check' | 'pay' | 'status' | 'cancel' | 'succeededBetween'>;
  callers: Pick<EngineServices['callers'], 'elsomTerminal'>;
  authThrottle: Pick<AuthThrottleLimits, 'maxFailures' | 'windowMs'>;
};

const CONTENT_TYPE = 'text/xml; charset=windows-1251';

/**
 * The Elsom biller endpoint (docs/protocols/elsom-biller.md): POST <path> with one XML <request>. Its own body parser
 * (raw bytes, any content type, 64 KiB), its own error and not-found handlers: every answer is a windows-1251 <response>
 * with HTTP 200 — Elsom reads result-code, and a transport error would only make it retry a PAYMENT until it counts
 * it as paid.
 */
export async function elsomBillerRoutes(app: FastifyInstance, options: { services: ElsomGatewayServices; config: ElsomConfig }): Promise<void> {
  const { services } = options;
  const { config } = options;
  const gateway = new ElsomGateway(services, config, authThrottle(app, 'elsom', services.authThrottle));

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

/** Decodes, authenticates, dispatches to the engine, and renders; one method per request-type. */

/** Why an AUTHORIZE or PAYMENT is refused before the engine sees it, with the result code the refusal answers with. */
type TransferRefusal = Failure<'bad_transaction_number' | 'service_not_mapped' | 'transfer_refused'> & { resultCode: ElsomResultCode };

function refuseTransfer(kind: TransferRefusal['kind'], detail: string, resultCode: ElsomResultCode): Failed<TransferRefusal> {
  return { ok: false, failure: { kind, detail, resultCode } };
}
class ElsomGateway {
  constructor(
    private readonly services: ElsomGatewayServices,
    private readonly config: ElsomConfig,
    private readonly throttle: AuthThrottle,
  ) {}

  /** The service map, read through the engine's short cache. */
  private serviceFor(agentId: bigint, elsomServiceId: string): Promise<ElsomServiceMapping | undefined> {
    return this.services.elsomServices.serviceFor(agentId, elsomServiceId);
  }

  refusal(echo: ElsomRequestEcho, code: ElsomResultCode, remoteAddr: string): ElsomResponse {
    return requestRefusal(echo, code, { now: this.services.clock.now(), utcOffsetMinutes: this.config.utcOffsetMinutes, remoteAddr });
  }

  async handle(request: FastifyRequest): Promise<ElsomResponse> {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const decoded = decodeElsomRequest(body, request.headers['content-type'], { maxBytes: this.config.maxBytes });
    if (!decoded.ok) {
      const { kind, detail, resultCode, echo } = decoded.failure;
      request.log.info({ reason: kind, detail, resultCode }, 'Elsom request refused');
      return this.refusal(echo, resultCode, request.ip);
    }
    const message = decoded.request;
    // The terminal is the credential that is slowed (its password is never a key); a blocked one gets the spec's 201.
    const blockedFor = await this.throttle.blocked(request, message.terminalId);
    if (blockedFor !== undefined) return this.tooManyFailures(request, message, blockedFor);
    const auth = await this.services.callers.elsomTerminal(message, request.ip);
    if (!auth.ok) {
      request.log.info({ terminalId: message.terminalId, reason: auth.reason, ip: request.ip }, 'Elsom authentication refused');
      const waitFor = await this.throttle.failed(request, message.terminalId);
      if (waitFor !== undefined) return this.tooManyFailures(request, message, waitFor);
      return this.refusal(echoOf(message), ELSOM_RESULT.WRONG_PASSWORD, request.ip);
    }
    const context: ElsomAnswerContext = {
      terminalId: message.terminalId, remoteAddr: request.ip, now: this.services.clock.now(), utcOffsetMinutes: this.config.utcOffsetMinutes,
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
    const funds = await this.services.funds(agent);
    return { ...context, now: this.services.clock.now(), funds: { balanceMinor: funds.availableMinor, overdraftMinor: agent.overdraftMinor } };
  }

  /** Shared by AUTHORIZE and PAYMENT: the id, the service mapping, and the Elsom-only rules. */
  private async transferTarget(agent: Agent, message: ElsomAuthorizeRequest | ElsomPaymentRequest): Promise<
    { ok: true; agentTxnId: bigint; mapping: ElsomServiceMapping; service: Service } | Failed<TransferRefusal>
  > {
    const agentTxnId = toAgentTxnId(message.transactionNumber);
    if (agentTxnId === undefined) return refuseTransfer('bad_transaction_number', 'transaction-number is not an id of 1 to 18 significant digits', ELSOM_RESULT.BAD_REQUEST);
    const mapping = await this.serviceFor(agent.id, message.to.serviceId);
    const service = mapping && (await this.services.catalog.get(mapping.serviceId));
    if (!mapping || !service) return refuseTransfer('service_not_mapped', `service-id ${message.to.serviceId} is not mapped for this terminal`, ELSOM_RESULT.PROVIDER_FORBIDDEN);
    const refused = checkTransfer(message, service, mapping);
    return refused === undefined ? { ok: true, agentTxnId, mapping, service } : refuseTransfer('transfer_refused', `result-code ${refused}`, refused);
  }

  private async authorize(agent: Agent, message: ElsomAuthorizeRequest, context: ElsomAnswerContext): Promise<ElsomResponse> {
    const target = await this.transferTarget(agent, message);
    if (!target.ok) return transferRefusal(await this.withFunds(agent, context), message, target.failure.resultCode);
    // The transaction-number is stored with the payment; a number already held is refused by the engine (233).
    const answer = await this.services.engine.check(agent, authorizeCommand(message, target.mapping, target.agentTxnId));
    return authorizeAnswer(await this.withFunds(agent, context), message, answer);
  }

  private async payment(agent: Agent, message: ElsomPaymentRequest, context: ElsomAnswerContext): Promise<ElsomResponse> {
    const target = await this.transferTarget(agent, message);
    if (!target.ok) return transferRefusal(await this.withFunds(agent, context), message, target.failure.resultCode);
    // Stored (with the reservation and the transaction-number) before the provider is called, and driven to a final
    // state by the engine's jobs. One authorised and refused, or cancelled before payment, is answered as it is.
    const answer = await this.services.engine.pay(agent, paymentCommand(message, target.mapping, target.agentTxnId));
    return paymentAnswer(await this.withFunds(agent, context), message, answer);
  }

  private async cancel(agent: Agent, message: ElsomCancelPaymentRequest, context: ElsomAnswerContext): Promise<ElsomResponse> {
    const agentTxnId = toAgentTxnId(message.transactionNumber);
    if (agentTxnId === undefined) return cancelRefusal(context, message, ELSOM_RESULT.BAD_REQUEST);
    const mapping = await this.serviceFor(agent.id, message.serviceId);
    if (!mapping) return cancelRefusal(context, message, ELSOM_RESULT.PROVIDER_FORBIDDEN);
    const payment = await this.services.engine.status(agent.id, agentTxnId);
    if (!payment || payment.serviceId !== mapping.serviceId) return cancelRefusal(context, message, ELSOM_RESULT.TRANSACTION_NOT_FOUND);
    const answer = await this.services.engine.cancel(agent.id, agentTxnId, `Elsom CANCEL_PAYMENT, terminal ${message.terminalId}`);
    return cancelAnswer(context, message, answer);
  }

  private async paymentList(agent: Agent, message: ElsomPaymentListRequest, context: ElsomAnswerContext): Promise<ElsomResponse> {
    const mapping = await this.serviceFor(agent.id, message.serviceId);
    if (!mapping) return paymentListRefusal(context, ELSOM_RESULT.PROVIDER_FORBIDDEN);
    const period = listPeriod(message, this.config.utcOffsetMinutes);
    if (!period) return paymentListRefusal(context, ELSOM_RESULT.BAD_REQUEST);
    const payments = await this.services.engine.succeededBetween(agent.id, period.from, period.to, [mapping.serviceId]);
    return paymentListAnswer(context, payments);
  }
}

function echoOf(message: ElsomRequest): ElsomRequestEcho {
  return {
    requestType: message.requestType,
    terminalId: message.terminalId,
    ...('transactionNumber' in message ? { transactionNumber: message.transactionNumber } : {}),
  };
}
