/** Operators and roles (admins), maker-checker proposals for money, and the operator's own session. */
import { z } from 'zod';
import { ROLES, type Role } from '../../engine/operators.ts';
import { allowedActions } from '../../engine/authorization.ts';
import { ServiceError } from '../../engine/errors.ts';
import { SESSION_COOKIES } from '../../engine/sessions.ts';
import { idParams, idText, minorText, optionalNoteBody, route, type AdminRoute, type RouteContext } from '../route.ts';

const role = z.enum(ROLES as [Role, ...Role[]]);

const proposalBody = z.object({
  kind: z.enum(['topup', 'correction']),
  agentId: idText,
  amountMinor: minorText(true),
  reason: z.string().min(1).max(500),
}).strict();

const loginBody = z.object({ login: z.string().min(1).max(64), password: z.string().min(1).max(256), totp: z.string().max(10).optional() }).strict();

function cookieOptions(ctx: RouteContext<unknown, unknown, unknown>, maxAgeSeconds?: number) {
  return { path: '/', httpOnly: true, sameSite: 'strict', secure: ctx.secureCookies, ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}) };
}

export const operatorRoutes: AdminRoute[] = [
  route({
    method: 'POST', url: '/session', tag: 'session', action: 'public', body: loginBody, throttleBy: (body) => body.login.trim().toLowerCase(),
    summary: 'Log in as an operator: sets the session cookie and answers the CSRF token for state-changing requests',
    handle: async (ctx) => {
      const { services, body } = ctx;
      const result = await services.sessions.loginOperator(body.login, body.password, body.totp, { ip: ctx.ip, userAgent: ctx.userAgent });
      if (!result.ok) {
        throw new ServiceError('unauthorized', result.reason, result.reason === 'totp_required' ? 'a one-time code is needed' : 'wrong login or password');
      }
      ctx.reply.setCookie(SESSION_COOKIES.operator, result.token, cookieOptions(ctx, Math.floor(services.sessionTimeouts.lifetimeMs / 1000)));
      return { operator: result.operator, csrfToken: result.csrfToken, expiresAt: result.expiresAt };
    },
  }),
  route({
    method: 'GET', url: '/session', tag: 'session', action: 'public', summary: 'Who is calling, and what it may do',
    handle: async ({ caller }) => {
      if (!caller) throw new ServiceError('unauthorized', 'no_session', 'not logged in');
      return { principal: caller, actions: allowedActions(caller, caller.kind === 'agent_user' ? { agentId: caller.agentId } : {}) };
    },
  }),
  route({
    method: 'DELETE', url: '/session', tag: 'session', action: 'public', summary: 'Log out',
    handle: async (ctx) => {
      const token = ctx.cookies[SESSION_COOKIES.operator];
      if (token) await ctx.services.sessions.end(token);
      ctx.reply.clearCookie(SESSION_COOKIES.operator, cookieOptions(ctx));
      return { loggedOut: true };
    },
  }),
  route({
    method: 'PUT', url: '/session/password', tag: 'session', action: 'dashboard.read',
    body: z.object({ current: z.string().min(1).max(256), password: z.string().min(1).max(256) }).strict(),
    summary: 'An operator changes its own password (required after the first login with a one-time password); its sessions end: log in again',
    handle: async ({ services, actor, body }) => {
      if (actor.principal.kind !== 'operator') throw new ServiceError('forbidden', 'not_an_operator', 'only an operator has a console password');
      return { operator: await services.operators.changeOwnPassword(actor, actor.principal.id, body.current, body.password) };
    },
  }),
  route({
    method: 'GET', url: '/operators', tag: 'operators', action: 'operators.read', summary: 'Every operator and its role',
    handle: async ({ services }) => ({ operators: await services.operators.list() }),
  }),
  route({
    method: 'POST', url: '/operators', tag: 'operators', action: 'operators.manage', status: 201,
    body: z.object({ login: z.string().min(1).max(64), password: z.string().min(1).max(256), role }).strict(),
    summary: 'Create an operator',
    handle: async ({ services, actor, body }) => ({ operator: await services.operators.create(actor, body) }),
  }),
  route({
    method: 'PATCH', url: '/operators/:id', tag: 'operators', action: 'operators.manage', params: idParams,
    body: z.object({ role }).strict(), summary: 'Change an operator\'s role',
    handle: async ({ services, actor, params, body }) => ({ operator: await services.operators.setRole(actor, params.id, body.role) }),
  }),
  route({
    method: 'POST', url: '/operators/:id/disable', tag: 'operators', action: 'operators.manage', params: idParams,
    summary: 'Disable an operator (its sessions end at once)',
    handle: async ({ services, actor, params }) => ({ operator: await services.operators.disable(actor, params.id) }),
  }),
  route({
    method: 'POST', url: '/operators/:id/enable', tag: 'operators', action: 'operators.manage', params: idParams,
    summary: 'Enable a disabled operator again',
    handle: async ({ services, actor, params }) => ({ operator: await services.operators.enable(actor, params.id) }),
  }),
  route({
    method: 'GET', url: '/proposals', tag: 'money', action: 'proposals.read',
    query: z.object({ state: z.enum(['proposed', 'executing', 'approved', 'rejected', 'failed']).optional(), agentId: idText.optional() }).strict(),
    summary: 'Money movements, newest first (state=proposed: waiting for a checker)',
    handle: async ({ services, query }) => ({
      proposals: await services.proposals.list({ ...(query.state ? { state: query.state } : {}), ...(query.agentId !== undefined ? { agentId: query.agentId } : {}) }),
    }),
  }),
  route({
    method: 'POST', url: '/proposals', tag: 'money', action: 'proposals.propose', body: proposalBody, status: 201,
    summary: 'Propose a top-up (positive) or a correction (signed); another operator approves it',
    handle: async ({ services, actor, body }) => ({ proposal: await services.proposals.propose(actor, body) }),
  }),
  route({
    method: 'POST', url: '/proposals/:id/approve', tag: 'money', action: 'proposals.decide', params: idParams, body: optionalNoteBody,
    summary: 'Approve another operator\'s proposal: the money moves now, once (a top-up, or the payment action of an attention item)',
    handle: async ({ services, actor, params, body }) => services.proposals.approve(actor, params.id, body.note),
  }),
  route({
    method: 'POST', url: '/proposals/:id/reject', tag: 'money', action: 'proposals.decide', params: idParams, body: optionalNoteBody,
    summary: 'Reject another operator\'s proposal',
    handle: async ({ services, actor, params, body }) => ({ proposal: await services.proposals.reject(actor, params.id, body.note) }),
  }),
];
