/**
 * The admin API plugin (`/api/admin/v1`): JSON in and out, bigint as decimal strings, every route authorized through
 * engine/authorization.ts, every error a JSON `{error:{code,message}}` (400, 401, 403, 404, 409; a bug is a bare 500
 * with no detail). Two ways in: a console or cabinet session cookie (state changes also need `X-CSRF-Token`), or the
 * Unix socket, whose file permissions are the authorization (principal `local`, acting as admin).
 */
import { Readable } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { can } from '../engine/authorization.ts';
import type { AdminServices } from '../engine/admin-services.ts';
import { ServiceError, type ServiceErrorKind } from '../engine/errors.ts';
import { checkCsrf, LOCAL_ACTOR, SESSION_COOKIES, type Actor, type Principal } from '../engine/sessions.ts';
import { authThrottle, type AuthThrottle, type AuthThrottleLimits } from '../http/auth-throttle.ts';
import { adminApiDocument } from './openapi.ts';
import type { AdminRoute, RouteContext } from './route.ts';
import { ADMIN_ROUTES } from './routes/index.ts';

export interface AdminApiOptions {
  services: AdminServices;
  /** `socket`: every caller is the local administrator; `http`: callers prove a session. */
  mode: 'socket' | 'http';
  secureCookies?: boolean;
  /** Failed logins allowed per address and per login in a window (HTTP only; the socket has no logins). */
  loginThrottle?: Pick<AuthThrottleLimits, 'maxFailures' | 'windowMs'>;
}

const STATUS: Record<ServiceErrorKind, number> = { invalid: 400, unauthorized: 401, forbidden: 403, not_found: 404, conflict: 409 };

/** bigint as decimal text, everything else as JSON.stringify writes it (Dates as ISO instants). */
export function adminJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
}

function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error: { code, message } });
}

export async function adminApiRoutes(app: FastifyInstance, options: AdminApiOptions): Promise<void> {
  app.setReplySerializer((payload) => adminJson(payload));
  app.setErrorHandler((error: FastifyError, _request, reply) => answerError(reply, error));
  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, 'no_such_route', 'no such admin route'));
  app.get('/openapi.json', async () => adminApiDocument(ADMIN_ROUTES));
  const throttle = options.loginThrottle ? authThrottle(app, 'admin-login', options.loginThrottle) : undefined;
  registerRawBodies(app, ADMIN_ROUTES);
  for (const definition of ADMIN_ROUTES) {
    const handler = definition.throttleBy && throttle ? throttled(definition, throttle, options) : (request: FastifyRequest, reply: FastifyReply) => handle(definition, options, request, reply);
    app.route({ method: definition.method, url: definition.url, bodyLimit: definition.rawBody?.maxBytes ?? 64 * 1024, handler });
  }
}

/**
 * The content types of the file routes (`rawBody`: an agent's registry as text/csv): the parser hands the request's
 * stream on unread, so a file of 256 MB is read once, by the engine, as it arrives. A JSON route sent such a body
 * finds no object in it and answers 400.
 */
function registerRawBodies(app: FastifyInstance, routes: readonly AdminRoute[]): void {
  const types = new Set(routes.flatMap((definition) => (definition.rawBody ? [definition.rawBody.contentType] : [])));
  for (const type of types) app.addContentTypeParser(type, (_request, payload, done) => done(null, payload));
}

/**
 * A file route's body: the request stream, read through an iterator that leaves it open when the engine stops early
 * (a bad line), so the refusal can still be answered; the rest is then read and dropped, up to the route's limit.
 */
async function handleRaw(raw: NonNullable<AdminRoute['rawBody']>, run: (body: AsyncIterable<Buffer>) => Promise<unknown>, request: FastifyRequest): Promise<unknown> {
  const stream = request.body;
  if (stream === undefined || stream === null) throw new ServiceError('invalid', 'empty_body', `the body is empty (a ${raw.contentType} file is expected)`);
  if (!(stream instanceof Readable)) throw new ServiceError('invalid', 'unsupported_media_type', `the body must be ${raw.contentType}`);
  try {
    return await run(stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>);
  } finally {
    drain(stream, raw.maxBytes);
  }
}

function drain(stream: Readable, maxBytes: number): void {
  if (stream.readableEnded || stream.destroyed) return;
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > maxBytes) stream.destroy();
  });
  stream.on('error', () => undefined);
  stream.resume();
}

/** A login route: refused with 429 while its address or login is blocked; each 401 counts as a failure. */
function throttled(definition: AdminRoute, throttle: AuthThrottle, options: AdminApiOptions) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const body = request.body as Record<string, unknown> | undefined;
    const credential = typeof body?.login === 'string' ? definition.throttleBy!(body as never) : undefined;
    const wait = await throttle.blocked(request, credential);
    if (wait !== undefined) return tooMany(reply, wait);
    try {
      return await handle(definition, options, request, reply);
    } catch (error) {
      if (error instanceof ServiceError && error.kind === 'unauthorized') {
        const blockedFor = await throttle.failed(request, credential);
        if (blockedFor !== undefined) return tooMany(reply, blockedFor);
      }
      throw error;
    }
  };
}

function tooMany(reply: FastifyReply, seconds: number): FastifyReply {
  reply.header('retry-after', String(seconds));
  return sendError(reply, 429, 'throttled', `too many failed logins; try again in ${seconds} s`);
}

/** The framework's refusals of a body, in the API's own codes and words (its codes and texts are not part of the API). */
const BODY_REFUSALS: Record<string, [string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['body_too_large', 'the body is larger than the route takes (64 KiB; a registry file 256 MB)'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 'the body must be application/json (an agent\'s registry upload: text/csv)'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['bad_request', 'the body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['bad_request', 'the body is empty'],
};

function answerError(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof ServiceError) return sendError(reply, STATUS[error.kind], error.code, error.message);
  const status = (error as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const [code, message] = BODY_REFUSALS[(error as FastifyError).code ?? ''] ?? ['bad_request', 'the request could not be read'];
    return sendError(reply, status, code, message);
  }
  reply.log.error({ err: error }, 'admin API failed');
  return sendError(reply, 500, 'internal', 'internal error');
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.length ? ` ${issue.path.join('.')}` : '';
  throw new ServiceError('invalid', 'bad_request', `${where}${path}: ${issue.message}`);
}

/** The session's principal from its cookie, or undefined; a state change also needs the session's CSRF token. */
async function sessionPrincipal(services: AdminServices, request: FastifyRequest): Promise<Principal | undefined> {
  const cookies = (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies ?? {};
  const token = cookies[SESSION_COOKIES.operator] ?? cookies[SESSION_COOKIES.agent_user];
  if (!token) return undefined;
  const session = await services.sessions.read(token);
  if (!session) return undefined;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    const presented = request.headers['x-csrf-token'];
    if (!checkCsrf(session, typeof presented === 'string' ? presented : undefined)) {
      throw new ServiceError('forbidden', 'csrf', 'a state change needs the session\'s X-CSRF-Token header');
    }
  }
  return session.principal;
}

async function handle(definition: AdminRoute, options: AdminApiOptions, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const caller = options.mode === 'socket' ? LOCAL_ACTOR.principal : await sessionPrincipal(options.services, request);
  const ip = options.mode === 'socket' ? null : request.ip;
  if (definition.action !== 'public' && !caller) {
    throw new ServiceError('unauthorized', 'no_session', 'log in first (a console or cabinet session), or use the local socket');
  }
  // A caller whose role can never do the action is refused before its input is read: a 400 for a body it may not
  // send anyway would tell it what the route expects (and that it exists); the agent the action targets is checked below.
  if (definition.action !== 'public' && caller && !can(caller, definition.action, ownAgent(caller))) {
    throw new ServiceError('forbidden', 'forbidden', `not allowed: ${definition.action}`);
  }
  const ctx = context(definition, options, request, reply, caller, ip);
  if (definition.action !== 'public' && caller) {
    const agentId = await definition.target?.(ctx);
    if (!can(caller, definition.action, agentId === undefined ? {} : { agentId })) {
      throw new ServiceError('forbidden', 'forbidden', `not allowed: ${definition.action}`);
    }
  }
  const raw = definition.rawBody;
  const answer = raw
    ? await handleRaw(raw, (body) => {
      ctx.body = body;
      return definition.handle(ctx);
    }, request)
    : await definition.handle(ctx);
  reply.code(definition.status ?? 200);
  return answer;
}

/** The best target a caller could name: its own agent for a cabinet user, none for the others. */
function ownAgent(caller: Principal): { agentId?: bigint } {
  return caller.kind === 'agent_user' ? { agentId: caller.agentId } : {};
}

function context(
  definition: AdminRoute, options: AdminApiOptions, request: FastifyRequest, reply: FastifyReply, caller: Principal | undefined, ip: string | null,
): RouteContext<unknown, unknown, unknown> {
  return {
    params: parse(definition.params, request.params, 'path'),
    query: parse(definition.query, request.query, 'query'),
    body: definition.rawBody ? undefined : parse(definition.body, request.body, 'body'),
    get actor(): Actor {
      if (!caller) throw new ServiceError('unauthorized', 'no_session', 'log in first');
      return { principal: caller, ip };
    },
    caller,
    ip,
    services: options.services,
    secureCookies: options.secureCookies ?? false,
    reply: reply as unknown as RouteContext<unknown, unknown, unknown>['reply'],
    cookies: (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies ?? {},
    userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
  };
}
