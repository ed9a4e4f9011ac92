import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, Session } from '../engine/sessions.ts';
import { authThrottle, type AuthThrottle, type AuthThrottleLimits } from '../http/auth-throttle.ts';
import type { ConsoleAction, ConsoleServices } from '../engine/console-services.ts';
import { sendPage, type Page } from '../web/pages.ts';
import type { PanelGuard } from '../web/panel-session.ts';
import { formFields, pickLanguage, queryFields, registerPanel, safeNext } from '../web/panel.ts';
import { CONSOLE_LANGUAGES, type ConsoleLang } from './i18n.ts';
import { consolePage, errorPage, flashOf, text, type NavKey, type ViewContext } from './page.ts';
import { registerDashboard } from './dashboard.ts';
import { registerPayments } from './payments.ts';
import { registerAgents } from './agents.ts';
import { registerQueues } from './queues.ts';
import { registerOperators } from './operators.ts';
import { registerRegistry } from './registry.ts';
import { registerCatalog } from './catalog.ts';
import { registerReconciliation } from './reconciliation.ts';
import { registerMoneyProofs } from './money-proofs.ts';
import { registerElsom } from './elsom.ts';

const VIEWS = fileURLToPath(new URL('./views/', import.meta.url));
const ASSETS = fileURLToPath(new URL('./static/', import.meta.url));
/** uPlot's dist folder in node_modules: the dashboard's charts are served by us, never by a CDN. */
const CHART_ASSETS = dirname(createRequire(import.meta.url).resolve('uplot'));
const PREFIX = '/console';
const LANG_COOKIE = 'tolem_console_lang';

export interface ConsolePluginOptions {
  services: ConsoleServices;
  /** Secure cookies: PUBLIC_URL is https. */
  secureCookies: boolean;
  /** Failed logins slowed per address and per login, as the agent API's tokens are (AUTH_FAIL_*). */
  loginThrottle: Pick<AuthThrottleLimits, 'maxFailures' | 'windowMs'>;
  /** The hub's fixed offset: times on the pages are the operators' wall-clock time. */
  offsetMinutes: number;
}

/** What a section module is given: the guard's two checks with authorization, and the page context. */
export interface ConsoleDeps {
  services: ConsoleServices;
  /** A page an operator with `action` may open: the signed-in context, or null once the answer was sent. */
  page(request: FastifyRequest, reply: FastifyReply, action: ConsoleAction | 'own.password', current?: NavKey): Promise<Signed | null>;
  /** A form that does `action`: also checks the CSRF field. */
  act(request: FastifyRequest, reply: FastifyReply, action: ConsoleAction | 'own.password'): Promise<Signed | null>;
  send(reply: FastifyReply, code: number, page: Page): Promise<FastifyReply>;
  /** 303 back to a console page with a flash (`ok=…` or `err=…`). */
  back(reply: FastifyReply, path: string, flash: { ok: string } | { err: string }): FastifyReply;
}

export interface Signed {
  view: ViewContext;
  session: Session;
  actor: Actor;
  form: Record<string, string>;
  query: Record<string, string>;
}

/**
 * /console: the operator console. Server-rendered pages (eta, auto-escaped), a strict CSP, forms only as bodies, every
 * page behind a server-side session and a role check (engine/authorization.ts through ConsoleServices.can), every form
 * behind its CSRF field, every action through the engine services that write the audit log.
 */
export async function consoleRoutes(app: FastifyInstance, options: ConsolePluginOptions): Promise<void> {
  const { services } = options;
  const { langOf, anonymousView, signedView } = viewContexts(services, options);
  const { guard, send } = await registerPanel<Session>(app, {
    views: VIEWS, assets: [ASSETS, CHART_ASSETS],
    cookie: { name: 'tolem_console', path: PREFIX, secure: options.secureCookies },
    sessions: { read: (token) => services.session(token), csrfOk: (session, presented) => services.csrfOk(session, presented) },
    refuse: (request, reply) => sendPage(reply, 403, errorPage(anonymousView(request, reply), text(langOf(request, reply), 'err_csrf'))),
  });
  const forbidden = async (request: FastifyRequest, reply: FastifyReply, view: ViewContext) => {
    await send(reply, 403, errorPage(view, text(view.lang, 'err_forbidden')));
    return null;
  };
  async function signed(request: FastifyRequest, reply: FastifyReply, action: ConsoleAction | 'own.password', post: boolean, current?: NavKey): Promise<Signed | null> {
    const signedIn = post ? await guard.action(request, reply) : await guard.page(request, reply);
    if (!signedIn) return null;
    const { session } = signedIn;
    // A cabinet user's cookie never reaches /console (another path), and a session of another kind is no operator.
    if (session.principal.kind !== 'operator') return forbidden(request, reply, anonymousView(request, reply));
    // A one-time password (the first admin's, an admin's reset) opens only the page that replaces it.
    if (action !== 'own.password' && (await services.mustChangePassword(session.principal))) {
      await reply.code(303).header('location', `${PREFIX}/password`).send();
      return null;
    }
    const view = await signedView(request, reply, session, signedIn.csrf, current);
    // Changing one's own password is every signed-in operator's.
    if (action !== 'own.password' && !services.can(session.principal, action)) return forbidden(request, reply, view);
    return { view, session, actor: { principal: session.principal, ip: request.ip }, form: formFields(request.body), query: queryFields(request.query) };
  }
  const deps: ConsoleDeps = {
    services,
    page: (request, reply, action, current) => signed(request, reply, action, false, current),
    act: (request, reply, action) => signed(request, reply, action, true),
    send,
    back: (reply, path, flash) => reply.code(303).header('location', `${path}${path.includes('?') ? '&' : '?'}${new URLSearchParams(flash).toString()}`).send(),
  };

  registerErrorPages(app, anonymousView, options.offsetMinutes);
  registerLogin(app, { services, guard, anonymousView, send, throttle: authThrottle(app, 'console-login', options.loginThrottle) });
  registerDashboard(app, deps);
  registerPayments(app, deps);
  registerAgents(app, deps);
  registerQueues(app, deps);
  registerOperators(app, deps);
  registerRegistry(app, deps);
  registerCatalog(app, deps);
  registerReconciliation(app, deps);
  registerMoneyProofs(app, deps);
  registerElsom(app, deps);
}

/** The page context of a request: language (query, cookie, Accept-Language), path, the operator and their menu. */
function viewContexts(services: ConsoleServices, options: ConsolePluginOptions) {
  const langOf = (request: FastifyRequest, reply: FastifyReply): ConsoleLang => {
    const query = queryFields(request.query);
    const lang = pickLanguage(CONSOLE_LANGUAGES, query['lang'], request.cookies[LANG_COOKIE], request.headers['accept-language']);
    if (query['lang'] === lang) reply.setCookie(LANG_COOKIE, lang, { path: PREFIX, maxAge: 365 * 86_400, httpOnly: true, sameSite: 'strict', secure: options.secureCookies });
    return lang;
  };
  const pathOf = (request: FastifyRequest) => {
    const url = new URL(request.url, 'http://x');
    url.searchParams.delete('lang');
    return url.pathname + url.search;
  };
  function anonymousView(request: FastifyRequest, reply: FastifyReply): ViewContext {
    const lang = langOf(request, reply);
    return { lang, path: pathOf(request), who: undefined, csrf: '', idleMs: 0, offsetMinutes: options.offsetMinutes, nav: [], flash: flashOf(queryFields(request.query), lang) };
  }
  async function signedView(request: FastifyRequest, reply: FastifyReply, session: Session, csrf: string, current?: NavKey): Promise<ViewContext> {
    const principal = session.principal;
    const lang = langOf(request, reply);
    const counts = await services.navCounts(principal);
    const nav = NAV.filter((n) => services.can(principal, n.action)).map((n) => ({ key: n.key, href: n.href, ...(counts[n.key] ? { count: counts[n.key]! } : {}) }));
    return {
      lang, path: pathOf(request), who: principal.kind === 'operator' ? { login: principal.login, role: principal.role } : undefined, csrf,
      idleMs: services.idleMs, offsetMinutes: options.offsetMinutes, nav, ...(current ? { current } : {}), flash: flashOf(queryFields(request.query), lang),
    };
  }
  return { langOf, anonymousView, signedView };
}

/** Error and not-found pages in the console's own layout: never a stack trace, never Fastify's bare 500. */
function registerErrorPages(app: FastifyInstance, anonymousView: (request: FastifyRequest, reply: FastifyReply) => ViewContext, offsetMinutes: number): void {
  const send = (reply: FastifyReply, code: number, page: Page) => sendPage(reply, code, page);
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    const client = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
    if (!client) request.log.error({ err: error }, 'console page failed');
    const view = safeAnonymousView(request, reply);
    return send(reply, client ? error.statusCode! : 500, errorPage(view, text(view.lang, client ? 'err_bad_input' : 'err_generic')));
  });
  function safeAnonymousView(request: FastifyRequest, reply: FastifyReply): ViewContext {
    try {
      return anonymousView(request, reply);
    } catch {
      return { lang: 'ru', path: PREFIX, who: undefined, csrf: '', idleMs: 0, offsetMinutes: offsetMinutes, nav: [], flash: undefined };
    }
  }
  app.setNotFoundHandler((request, reply) => {
    const view = anonymousView(request, reply);
    return send(reply, 404, errorPage(view, text(view.lang, 'err_not_found')));
  });
}

const NAV: { key: NavKey; href: string; action: ConsoleAction }[] = [
  { key: 'dashboard', href: `${PREFIX}/`, action: 'dashboard.read' },
  { key: 'payments', href: `${PREFIX}/payments`, action: 'payments.read' },
  { key: 'agents', href: `${PREFIX}/agents`, action: 'agents.read' },
  { key: 'approvals', href: `${PREFIX}/approvals`, action: 'proposals.read' },
  { key: 'registry', href: `${PREFIX}/registry`, action: 'payments.read' },
  { key: 'reconciliation', href: `${PREFIX}/reconciliation`, action: 'reconciliation.read' },
  { key: 'proofs', href: `${PREFIX}/money-proofs`, action: 'reconciliation.read' },
  { key: 'catalog', href: `${PREFIX}/catalog`, action: 'catalog.read' },
  { key: 'attention', href: `${PREFIX}/attention`, action: 'attention.read' },
  { key: 'review', href: `${PREFIX}/review`, action: 'reviews.read' },
  { key: 'operators', href: `${PREFIX}/operators`, action: 'operators.read' },
  { key: 'audit', href: `${PREFIX}/audit`, action: 'audit.read' },
];

interface LoginDeps {
  services: ConsoleServices;
  guard: PanelGuard<Session>;
  anonymousView(request: FastifyRequest, reply: FastifyReply): ViewContext;
  send(reply: FastifyReply, code: number, page: Page): Promise<FastifyReply>;
  throttle: AuthThrottle;
}

/** The login page (with its own CSRF token, see PanelGuard.loginToken) and logout. */
function registerLogin(app: FastifyInstance, deps: LoginDeps): void {
  const { services, guard, send } = deps;
  const loginPage = (request: FastifyRequest, reply: FastifyReply, code: number, values: { login: string; next: string; askTotp: boolean; error?: string }) => {
    const preCsrf = guard.loginToken(reply);
    const view = deps.anonymousView(request, reply);
    if (values.error) view.flash = { kind: 'error', text: text(view.lang, values.error as 'err_login') };
    return send(reply, code, consolePage(view, 'login', text(view.lang, 'login_title'), { ...values, preCsrf }));
  };

  app.get('/login', async (request, reply) => {
    const query = queryFields(request.query);
    const token = guard.token(request);
    if (token && (await services.session(token))?.principal.kind === 'operator') return reply.code(303).header('location', `${PREFIX}/`).send();
    return loginPage(request, reply, 200, { login: '', next: safeNext(query['next'], PREFIX), askTotp: false });
  });

  app.post('/login', async (request, reply) => {
    const form = formFields(request.body);
    const next = safeNext(form['next'], PREFIX);
    const login = (form['login'] ?? '').trim().slice(0, 100);
    if (!guard.loginTokenOk(request)) {
      return loginPage(request, reply, 403, { login, next, askTotp: false, error: 'err_csrf' });
    }
    // A blocked address or login is refused before the password is looked at: a right guess must not get in either.
    const throttle = deps.throttle;
    if ((await throttle.blocked(request, login.toLowerCase())) !== undefined) return loginPage(request, reply, 429, { login, next, askTotp: false, error: 'err_too_many' });
    const answer = await services.signIn(login, form['password'] ?? '', form['totp']?.trim() || undefined, { ip: request.ip, userAgent: request.headers['user-agent'] ?? null });
    if (!answer.ok) {
      const totp = answer.reason === 'totp_required';
      if (!totp && (await throttle.failed(request, login.toLowerCase())) !== undefined) return loginPage(request, reply, 429, { login, next, askTotp: false, error: 'err_too_many' });
      return loginPage(request, reply, totp ? 200 : 401, { login, next, askTotp: totp || Boolean(form['totp']), error: totp ? 'err_totp_required' : 'err_login' });
    }
    return guard.start(reply, answer).code(303).header('location', next).send();
  });

  app.post('/logout', async (request, reply) => {
    const signedIn = await guard.action(request, reply);
    if (!signedIn) return reply;
    await services.signOut(guard.token(request)!, { principal: signedIn.session.principal, ip: request.ip });
    return guard.end(reply).code(303).header('location', `${PREFIX}/login`).send();
  });
}
