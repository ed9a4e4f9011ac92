import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { registerPages, sendPage } from '../web/pages.ts';

/**
 * The simulators' pages (Assist's card page, Elsom's OTP page) through the shared renderer: templates in
 * `<simulator>/views/*.eta` around the one layout `views/layout.eta`, the stylesheet `static/sandbox.css` served at
 * `<plugin prefix>/assets/`, and a strict CSP (styles from 'self', no scripts at all).
 */

/** The templates' root is this folder, so each simulator's views and the shared layout are both inside it. */
const VIEWS = new URL('./', import.meta.url);
const ASSETS = new URL('./static/', import.meta.url);

/** A page of a simulator: a template under src/sandbox (e.g. `assist/views/card-form`), its title and data. */
export interface SimulatorPage {
  view: string;
  title: string;
  data?: Record<string, unknown>;
  /**
   * Where the page's forms lead besides this simulator: a form posts here and the answer is a 303 to the shop's
   * return URL, and browsers check form-action on that redirect too. Only these origins widen form-action.
   */
  formTargets?: readonly (string | undefined)[];
}

export type SendSimulatorPage = (reply: FastifyReply, code: number, page: SimulatorPage) => Promise<FastifyReply>;

/**
 * Registers the views, the stylesheet and the CSP hook in the calling simulator's plugin; answers the function that
 * sends one of its pages. Every other answer of the plugin (JSON, redirects) gets the strictest policy.
 */
export async function registerSimulatorPages(app: FastifyInstance): Promise<SendSimulatorPage> {
  await registerPages(app, { views: fileURLToPath(VIEWS), assets: fileURLToPath(ASSETS), prefix: '/assets/' });
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', simulatorCsp());
    reply.header('x-content-type-options', 'nosniff');
  });
  const stylesheet = `${app.prefix}/assets/sandbox.css`;
  return (reply, code, page) => {
    reply.header('content-security-policy', simulatorCsp(page.formTargets));
    return sendPage(reply, code, { view: page.view, data: { ...page.data, title: page.title, lang: 'ru', stylesheet } });
  };
}

/** The simulators' policy: nothing but the same-origin stylesheet; forms to this server and to the given targets' origins. */
export function simulatorCsp(formTargets: readonly (string | undefined)[] = []): string {
  const origins = [...new Set(formTargets.map(webOrigin).filter((origin): origin is string => origin !== undefined))];
  return [
    "default-src 'none'", "style-src 'self'", ["form-action 'self'", ...origins].join(' '), "frame-ancestors 'none'", "base-uri 'none'",
  ].join('; ');
}

/**
 * The origin of an http(s) URL, or undefined: a return URL is the shop's to choose, so only an origin made of host
 * characters goes into the header (never a `;` or a space that would add a directive of its own).
 */
export function webOrigin(url: string | undefined): string | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  return /^https?:\/\/[A-Za-z0-9.\-[\]:]+$/.test(parsed.origin) ? parsed.origin : undefined;
}
