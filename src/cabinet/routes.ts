import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Action } from '../engine/authorization.ts';
import type { CabinetServices } from '../engine/cabinet-services.ts';
import type { Actor, Session } from '../engine/sessions.ts';
import { authThrottle, type AuthThrottle, type AuthThrottleLimits } from '../http/auth-throttle.ts';
import { sendPage, type Page } from '../web/pages.ts';
import type { PanelGuard } from '../web/panel-session.ts';
import { formFields, pickLanguage, queryFields, registerPanel, safeNext } from '../web/panel.ts';
import { CABINET_LANGUAGES, type CabinetLang } from './i18n.ts';
import { cabinetPage, errorPage, flashOf, text, type CabinetNav, type CabinetView } from './page.ts';
import { registerCabinetPages } from './pages.ts';

const VIEWS = fileURLToPath(new URL('./views/', import.meta.url));
const PREFIX = '/cabinet';
const LANG_COOKIE = 'tolem_cabinet_lang';

export interface CabinetPluginOptions {
  services: CabinetServices;
  /** Secure cookies: PUBLIC_URL is https. */
  secureCookies: boolean;
  /** Failed logins slowed per address and per login, as the agent API's tokens are (AUTH_FAIL_*). */
  loginThrottle: Pick<AuthThrottleLimits, 'maxFailures' | 'windowMs'>;
  offsetMinutes: number;
}

/** A signed-in cabinet request: the agent is the session's, never a parameter of the request. */
export interface CabinetSigned {
  view: CabinetView;
  agentId: bigint;
  actor: Actor;
  form: Record<string, string>;
  query: Record<string, string>;
}

export interface CabinetDeps {
  services: CabinetServices;
  page(request: FastifyRequest, reply: FastifyReply, action: Action, current?: CabinetNav): Promise<CabinetSigned | null>;
  act(request: FastifyRequest, reply: FastifyReply, action: Action): Promise<CabinetSigned | null>;
  send(reply: FastifyReply, code: number, page: Page): Promise<FastifyReply>;
  back(reply: FastifyReply, path: string, flash: { ok: string } | { err: string }): FastifyReply;
}

/**
 * /cabinet: an agent's own cabinet. The same shape as the console (sessions, CSRF field on every form, strict CSP,
 * forms only), for an agent user: every page reads the session's agent, so another agent's data is never reachable,
 * and each action is also checked by engine/authorization.ts against that agent.
 */
export async function cabinetRoutes(app: FastifyInstance, options: CabinetPluginOptions): Promise<void> {
  const { services } = options;
  const views = cabinetViews(options);
  const { guard, send } = await registerPanel<Session>(app, {
    views: VIEWS, assets: [],
    cookie: { name: 'tolem_cabinet', path: PREFIX, secure: options.secureCookies },
    sessions: { read: (token) => services.session(token), csrfOk: (session, presented) => services.csrfOk(session, presented) },
    refuse: (request, reply) => {
      const view = views.anonymous(request, reply);
      return sendPage(reply, 403, errorPage(view, text(view.lang, 'err_csrf')));
    },
  });
  async function signed(request: FastifyRequest, reply: FastifyReply, action: Action, post: boolean, current?: CabinetNav): Promise<CabinetSigned | null> {
    const signedIn = post ? await guard.action(request, reply) : await guard.page(request, reply);
    if (!signedIn) return null;
    const principal = signedIn.session.principal;
    if (principal.kind !== 'agent_user') return null;
    const view = views.signed(request, reply, principal, signedIn.csrf, services.idleMs, current);
    if (!services.can(principal, action, principal.agentId)) {
      await send(reply, 403, errorPage(view, text(view.lang, 'err_forbidden')));
      return null;
    }
    return { view, agentId: principal.agentId, actor: { principal, ip: request.ip }, form: formFields(request.body), query: queryFields(request.query) };
  }
  const deps: CabinetDeps = {
    services, send,
    page: (request, reply, action, current) => signed(request, reply, action, false, current),
    act: (request, reply, action) => signed(request, reply, action, true),
    back: (reply, path, flash) => reply.code(303).header('location', `${path}?${new URLSearchParams(flash).toString()}`).send(),
  };
  registerErrorPages(app, views.anonymous, send);
  registerLogin(app, services, guard, views.anonymous, send, authThrottle(app, 'cabinet-login', options.loginThrottle));
  await registerCabinetPages(app, deps);
}

function cabinetViews(options: CabinetPluginOptions) {
  const langOf = (request: FastifyRequest, reply: FastifyReply): CabinetLang => {
    const query = queryFields(request.query);
    const lang = pickLanguage(CABINET_LANGUAGES, query['lang'], request.cookies[LANG_COOKIE], request.headers['accept-language']);
    if (query['lang'] === lang) reply.setCookie(LANG_COOKIE, lang, { path: PREFIX, maxAge: 365 * 86_400, httpOnly: true, sameSite: 'strict', secure: options.secureCookies });
    return lang;
  };
  const pathOf = (request: FastifyRequest) => {
    const url = new URL(request.url, 'http://x');
    url.searchParams.delete('lang');
    return url.pathname + url.search;
  };
  const anonymous = (request: FastifyRequest, reply: FastifyReply): CabinetView => {
    const lang = langOf(request, reply);
    return { lang, path: pathOf(request), who: undefined, csrf: '', idleMs: 0, offsetMinutes: options.offsetMinutes, flash: flashOf(queryFields(request.query), lang) };
  };
  const signed = (request: FastifyRequest, reply: FastifyReply, principal: { login: string; agentId: bigint }, csrf: string, idleMs: number, current?: CabinetNav): CabinetView => ({
    ...anonymous(request, reply), who: { login: principal.login, agentId: principal.agentId }, csrf, idleMs, ...(current ? { current } : {}),
  });
  return { anonymous, signed };
}

function registerErrorPages(app: FastifyInstance, anonymous: (request: FastifyRequest, reply: FastifyReply) => CabinetView, send: CabinetDeps['send']): void {
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    const client = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
    if (!client) request.log.error({ err: error }, 'cabinet page failed');
    let view: CabinetView;
    try {
      view = anonymous(request, reply);
    } catch {
      view = { lang: 'ru', path: PREFIX, who: undefined, csrf: '', idleMs: 0, offsetMinutes: 0, flash: undefined };
    }
    return send(reply, client ? error.statusCode! : 500, errorPage(view, text(view.lang, client ? 'err_bad_input' : 'err_generic')));
  });
  app.setNotFoundHandler((request, reply) => {
    const view = anonymous(request, reply);
    return send(reply, 404, errorPage(view, text(view.lang, 'err_not_found')));
  });
}

function registerLogin(
  app: FastifyInstance, services: CabinetServices, guard: PanelGuard<Session>,
  anonymous: (request: FastifyRequest, reply: FastifyReply) => CabinetView, send: CabinetDeps['send'], throttle: AuthThrottle,
): void {
  const loginPage = (request: FastifyRequest, reply: FastifyReply, code: number, values: { login: string; next: string }, error?: 'err_login' | 'err_csrf' | 'err_too_many') => {
    const view = anonymous(request, reply);
    if (error) view.flash = { kind: 'error', text: text(view.lang, error) };
    return send(reply, code, cabinetPage(view, 'login', text(view.lang, 'login_title'), { ...values, preCsrf: guard.loginToken(reply) }));
  };
  app.get('/login', async (request, reply) => {
    const token = guard.token(request);
    if (token && (await services.session(token))) return reply.code(303).header('location', `${PREFIX}/`).send();
    return loginPage(request, reply, 200, { login: '', next: safeNext(queryFields(request.query)['next'], PREFIX) });
  });
  app.post('/login', async (request, reply) => {
    const form = formFields(request.body);
    const values = { login: (form['login'] ?? '').trim().slice(0, 100), next: safeNext(form['next'], PREFIX) };
    if (!guard.loginTokenOk(request)) return loginPage(request, reply, 403, values, 'err_csrf');
    // A blocked address or login is refused before the password is looked at: a right guess must not get in either.
    const key = values.login.toLowerCase();
    if ((await throttle.blocked(request, key)) !== undefined) return loginPage(request, reply, 429, values, 'err_too_many');
    const answer = await services.signIn(values.login, form['password'] ?? '', { ip: request.ip, userAgent: request.headers['user-agent'] ?? null });
    if (!answer.ok) return loginPage(request, reply, (await throttle.failed(request, key)) !== undefined ? 429 : 401, values, 'err_login');
    return guard.start(reply, answer).code(303).header('location', values.next).send();
  });
  app.post('/logout', async (request, reply) => {
    const signedIn = await guard.action(request, reply);
    if (!signedIn) return reply;
    await services.signOut(guard.token(request)!, { principal: signedIn.session.principal, ip: request.ip });
    return guard.end(reply).code(303).header('location', `${PREFIX}/login`).send();
  });
}
