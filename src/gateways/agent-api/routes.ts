import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RESULT } from '../../domain/result-codes.ts';
import type { Agent, AuthFailure } from '../../engine/agents.ts';
import { serviceAllowedFor } from '../../engine/catalog.ts';
import type { EngineServices } from '../../engine/services.ts';
import { authThrottle, type AuthThrottleLimits } from '../../http/auth-throttle.ts';
import {
  AgentApiDecodeError, checkRequestSchema, decodeBody, operatorByPhoneRequestSchema, decodeAgentJson, payRequestSchema,
  serviceRequestSchema, stringifyAgentJson,
} from './codec.ts';
import { renderBalance, renderPaymentAnswer, renderService, renderServices, resultOnly, toCheckCommand, toPayCommand } from './mapping.ts';

export const AGENT_API_BODY_LIMIT = 64 * 1024;

/** What the agent API uses of the engine: no database; the hub's offset renders dates in answers. */
export type AgentApiServices = Pick<EngineServices, 'catalog' | 'funds' | 'operatorByPhone'> & {
  engine: Pick<EngineServices['engine'], 'check' | 'pay' | 'takesPaysFor'>;
  callers: Pick<EngineServices['callers'], 'agent'>;
  authThrottle: Pick<AuthThrottleLimits, 'maxFailures' | 'windowMs'>;
  hubOffsetMinutes: number;
};

declare module 'fastify' {
  interface FastifyRequest {
    agent?: Agent;
  }
}

const AUTH_MESSAGES: Record<AuthFailure | 'malformed_header', string> = {
  malformed_header: 'Malformed Authorization header: expected Authorization: Bearer <token>',
  no_credentials: 'Authorization required: Authorization: Bearer <token>',
  unknown_token: 'Invalid token',
  token_not_confirmed: 'Token is waiting for confirmation by the operator',
  token_revoked: 'Token has been revoked',
  ip_not_allowed: 'Requests from this IP address are not allowed for this agent',
  agent_disabled: 'Agent is disabled',
};

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(stringifyAgentJson(body));
}

function badRequest(reply: FastifyReply, message: string, status = 400): FastifyReply {
  return sendJson(reply, status, resultOnly(RESULT.BAD_REQUEST, message));
}

/** Tokens are 43 characters today; anything past this is not a token of ours and is not hashed. */
const MAX_TOKEN_LENGTH = 200;

type Credentials = { kind: 'none' } | { kind: 'malformed' } | { kind: 'bearer'; token: string };

/**
 * Only a request with no Authorization header at all may be an IP-only agent's. A header that is there but is not
 * `Bearer <token>` (Basic, an empty Bearer, an over-long token) is a failed authentication, never "no credentials".
 */
export function credentialsOf(header: string | undefined): Credentials {
  if (header === undefined) return { kind: 'none' };
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match || match[1]!.length > MAX_TOKEN_LENGTH) return { kind: 'malformed' };
  return { kind: 'bearer', token: match[1]! };
}

/** HTTP 429 with Retry-After, in the protocol's own body (150: the request is not authenticated). */
function tooManyFailures(request: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number): FastifyReply {
  request.log.warn({ ip: request.ip, retryAfterSeconds }, 'agent authentication throttled');
  return sendJson(reply.header('retry-after', String(retryAfterSeconds)), 429,
    resultOnly(RESULT.AUTH_FAILED, `Too many failed authentications; retry after ${retryAfterSeconds} s`));
}

/** Our own JSON parser: lossless numbers, 64 KiB limit. */
function parseJsonBody(_request: FastifyRequest, body: string | Buffer, done: (error: Error | null, body?: unknown) => void): void {
  try {
    done(null, decodeAgentJson(body as string));
  } catch (error) {
    done(error as Error, undefined);
  }
}

/** Every failure in the protocol's own format and our own words (the framework's and the runtime's are not part of it). */
function answerFailure(error: { code?: string; statusCode?: number; message?: string }, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof AgentApiDecodeError) return badRequest(reply, error.message);
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return badRequest(reply, `Request body is larger than ${AGENT_API_BODY_LIMIT} bytes`, 413);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return badRequest(reply, 'Content-Type must be application/json', 415);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return badRequest(reply, 'Content-Length does not match the body');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return badRequest(reply, 'Empty body');
  }
  // Our own words only: the framework's and the runtime's texts are not part of the protocol.
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return badRequest(reply, 'Bad request', error.statusCode);
  // Not the agent's fault (database or bug). Code 1 is non-final: the agent repeats, and repeats are idempotent.
  request.log.error({ err: error }, 'agent API request failed');
  return sendJson(reply, 503, resultOnly(RESULT.IN_PROCESSING, 'Temporary error, repeat the request later'));
}

/** The preHandler that decides who is calling: bearer token and/or IP, throttled after repeated failures. */
function authenticator(services: AgentApiServices, throttle: ReturnType<typeof authThrottle>) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const credentials = credentialsOf(request.headers.authorization);
    const token = credentials.kind === 'bearer' ? credentials.token : undefined;
    // A blocked address or token is refused before its credentials are looked at: a right guess must not get in either.
    const blockedFor = await throttle.blocked(request, token);
    if (blockedFor !== undefined) return tooManyFailures(request, reply, blockedFor);
    const result = credentials.kind === 'malformed'
      ? { ok: false as const, reason: 'malformed_header' as const }
      : await services.callers.agent(token, request.ip);
    if (!result.ok) {
      request.log.info({ reason: result.reason, ip: request.ip }, 'agent authentication refused');
      const waitFor = await throttle.failed(request, token);
      if (waitFor !== undefined) return tooManyFailures(request, reply, waitFor);
      return sendJson(reply, 401, resultOnly(RESULT.AUTH_FAILED, AUTH_MESSAGES[result.reason]));
    }
    request.agent = result.agent;
    return undefined;
  };
}

const agentOf = (request: FastifyRequest): Agent => request.agent!;

type Handler = (services: AgentApiServices, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

const listServices: Handler = async (services, request, reply) => {
  const agent = agentOf(request);
  const visible = (await services.catalog.all()).filter((service) => serviceAllowedFor(service, agent.allowedServices) && service.currency === agent.currency);
  return sendJson(reply, 200, renderServices(visible, visible.filter((service) => !services.engine.takesPaysFor(service)).map((service) => service.serviceId)));
};

const describeService: Handler = async (services, request, reply) => {
  const body = decodeBody(serviceRequestSchema, request.body);
  if (!body.ok) return badRequest(reply, body.failure.detail);
  const agent = agentOf(request);
  const service = await services.catalog.get(body.value.serviceId);
  if (!service) return sendJson(reply, 200, resultOnly(RESULT.SERVICE_NOT_IMPLEMENTED, 'Unknown serviceId'));
  if (!serviceAllowedFor(service, agent.allowedServices)) return sendJson(reply, 200, resultOnly(RESULT.SERVICE_FORBIDDEN));
  return sendJson(reply, 200, { result: RESULT.OK, resultMessage: 'OK', services: [renderService(service)] });
};

const balance: Handler = async (services, request, reply) => sendJson(reply, 200, renderBalance(await services.funds(agentOf(request))));

const check: Handler = async (services, request, reply) => {
  const body = decodeBody(checkRequestSchema, request.body);
  if (!body.ok) return badRequest(reply, body.failure.detail);
  const answer = await services.engine.check(agentOf(request), toCheckCommand(body.value));
  return sendJson(reply, 200, renderPaymentAnswer(answer, body.value.agentTransactionId, { pay: false, offsetMinutes: services.hubOffsetMinutes }));
};

const pay: Handler = async (services, request, reply) => {
  const body = decodeBody(payRequestSchema, request.body);
  if (!body.ok) return badRequest(reply, body.failure.detail);
  const answer = await services.engine.pay(agentOf(request), toPayCommand(body.value));
  return sendJson(reply, 200, renderPaymentAnswer(answer, body.value.agentTransactionId, { pay: true, offsetMinutes: services.hubOffsetMinutes }));
};

const operatorByPhone: Handler = async (services, request, reply) => {
  const body = decodeBody(operatorByPhoneRequestSchema, request.body);
  if (!body.ok) return badRequest(reply, body.failure.detail);
  const serviceId = await services.operatorByPhone(body.value.phoneNumber);
  if (!serviceId) return sendJson(reply, 200, resultOnly(RESULT.ACCOUNT_NOT_FOUND, 'Operator not found for this number'));
  return sendJson(reply, 200, { result: RESULT.OK, resultMessage: 'ok', serviceId });
};

/** The six methods of the protocol, by path. */
const METHODS: Record<string, Handler> = {
  '/services': listServices,
  '/service': describeService,
  '/balance': balance,
  '/check': check,
  '/pay': pay,
  '/operatorByPhone': operatorByPhone,
};

/**
 * The agent API v20 (POST /api/v20/…): its own JSON parser (lossless numbers, 64 KiB limit), bearer/IP
 * authentication, and an error handler that answers every failure in the protocol's own format.
 */
export async function agentApiRoutes(app: FastifyInstance, options: { services: AgentApiServices }): Promise<void> {
  const { services } = options;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'text/json'], { parseAs: 'string', bodyLimit: AGENT_API_BODY_LIMIT }, parseJsonBody);
  app.setErrorHandler(answerFailure);
  app.setNotFoundHandler((request, reply) => badRequest(reply, `Unknown method ${request.method} ${request.url}`, 404));
  app.addHook('preHandler', authenticator(services, authThrottle(app, 'agent-api', services.authThrottle)));
  for (const [path, handler] of Object.entries(METHODS)) app.post(path, (request, reply) => handler(services, request, reply));
}
