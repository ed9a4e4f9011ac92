import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { registerPages, sendPage, type Page } from './pages.ts';
import { PanelGuard, type PanelGuardOptions, type PanelSessionPort } from './panel-session.ts';

/**
 * What the signed-in panels (the operator console and the agent cabinet) share and that knows nothing of the engine:
 * strict headers, the form body parser, the session cookie's attributes, the language choice, the CSRF field's name,
 * and the shared stylesheet and script (static/panel.css, static/panel.js).
 */

export interface PanelSetup<S> {
  /** The panel's eta views. */
  views: string;
  /** The panel's own static folders; the shared panel.css and panel.js are served beside them, at /assets/. */
  assets: string[];
  /** The session cookie: its path is the panel's prefix ("/console"). */
  cookie: SessionCookie;
  /** How the panel's sessions are read and their CSRF tokens checked (its engine services). */
  sessions: PanelSessionPort<S>;
  /** Answers a form refused for its CSRF field with the panel's own error page. */
  refuse: PanelGuardOptions<S>['refuse'];
}

/**
 * The set-up every signed-in panel makes first: its pages and assets, forms as the only bodies, the strict headers,
 * and the session guard on its cookie. Answers the guard and the page sender its sections use.
 */
export async function registerPanel<S>(app: FastifyInstance, setup: PanelSetup<S>): Promise<{ guard: PanelGuard<S>; send: (reply: FastifyReply, code: number, page: Page) => Promise<FastifyReply> }> {
  await registerPages(app, { views: setup.views, assets: [...setup.assets, PANEL_ASSETS], prefix: '/assets/' });
  registerFormBody(app);
  strictPanelHeaders(app);
  const guard = new PanelGuard<S>({ port: setup.sessions, cookie: setup.cookie, prefix: setup.cookie.path, refuse: setup.refuse });
  return { guard, send: sendPage };
}

/** The hidden field every state-changing form carries; the plugin compares it with its session's CSRF token. */
export const CSRF_FIELD = '_csrf';

/** The shared panel files (layout styles, small behaviours), served beside each panel's own. */
export const PANEL_ASSETS = fileURLToPath(new URL('./static/', import.meta.url));

/** A strict CSP for every answer: no inline script or style, no framing, forms post only to ourselves. */
export const PANEL_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function strictPanelHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', PANEL_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    // Signed-in pages hold account data: never kept by a shared cache or the back button of a public computer.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
}

/** Forms only (urlencoded, 64 KiB): any other body is refused with 415 before a handler runs. */
export function registerFormBody(app: FastifyInstance, bodyLimit = 64 * 1024): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    done(null, formFields(String(body)));
  });
}

/** A form's fields, the first value of each name (at most 200 names, 2,000 characters a value). */
export function formFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (body && typeof body === 'object' && !(body instanceof URLSearchParams)) {
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) if (typeof value === 'string') out[key] = value;
    return out;
  }
  for (const [key, value] of new URLSearchParams(typeof body === 'string' ? body : '')) {
    if (Object.keys(out).length >= 200) break;
    if (!(key in out)) out[key] = value.slice(0, 2_000);
  }
  return out;
}

/** A query string's fields: strings only (a repeated name keeps its first value), each cut to 200 characters. */
export function queryFields(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') out[key] = first.slice(0, 200);
  }
  return out;
}

export interface SessionCookie {
  name: string;
  /** The panel's prefix: the cookie is never sent to the other panel or the APIs. */
  path: string;
  /** Secure when the public URL is https (set from configuration, never from the request). */
  secure: boolean;
}

/** A browser-session cookie (no Max-Age): the server's idle timeout decides how long it is good for. */
export function setSessionCookie(reply: FastifyReply, cookie: SessionCookie, token: string): FastifyReply {
  return reply.setCookie(cookie.name, token, { path: cookie.path, httpOnly: true, sameSite: 'strict', secure: cookie.secure });
}

export function clearSessionCookie(reply: FastifyReply, cookie: SessionCookie): FastifyReply {
  return reply.clearCookie(cookie.name, { path: cookie.path, httpOnly: true, sameSite: 'strict', secure: cookie.secure });
}

/** ?lang=…, then the cookie, then Accept-Language, then the first language of the list. */
export function pickLanguage<L extends string>(langs: readonly L[], query: unknown, cookie: string | undefined, acceptLanguage: string | undefined): L {
  const known = (value: unknown): value is L => typeof value === 'string' && (langs as readonly string[]).includes(value);
  if (known(query)) return query;
  if (known(cookie)) return cookie;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const code = part.trim().slice(0, 2).toLowerCase();
    if (known(code)) return code;
  }
  return langs[0]!;
}

/** A "go back to" path from a form or query: only a path under the panel's own prefix, never another origin. */
export function safeNext(value: string | undefined, prefix: string): string {
  if (!value || !value.startsWith(`${prefix}/`) || value.startsWith('//') || /[\\\r\n]/.test(value)) return prefix;
  return value;
}

/** A path with one query parameter set (language links, flash messages after a redirect). */
export function withParam(path: string, name: string, value: string): string {
  const url = new URL(path, 'http://x');
  url.searchParams.set(name, value);
  return url.pathname + url.search;
}
