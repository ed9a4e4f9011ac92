import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Checkout, PayAnswer, PayChoice, PaymentMethod } from '../engine/checkout.ts';
import { fileURLToPath } from 'node:url';
import { registerPages, sendPage } from '../web/pages.ts';
import { DICTIONARIES, pickLang, type Lang, type TextKey } from './i18n.ts';
import { cardRedirectPage, catalogPage, errorPage, orderPage, resultPage, servicePage, type PageContext } from './pages.ts';

const VIEWS = new URL('./views/', import.meta.url);
const ASSETS = new URL('./static/', import.meta.url);
const ELSOM_COOKIE = 'tolem_elsom';
const LANG_COOKIE = 'tolem_lang';

/** What the checkout pages use; the composition root (app.ts) builds the checkout with its acquirers. */
export interface CheckoutPluginOptions {
  checkout: Checkout;
  /** Pages say they are a sandbox. */
  sandbox: boolean;
  /** The hub's fixed offset for dates on the pages. */
  offsetMinutes: number;
  /** Where return URLs point: PUBLIC_URL or this server's address, from configuration. */
  publicBase: () => string;
}

/**
 * /pay: the public checkout page, its return URLs and the acquirers' callbacks. One plugin, its own body parser (forms
 * and JSON as text, 64 KiB), its own error pages (never a stack trace), a strict CSP on every answer. The body only
 * registers: each handler is a method of CheckoutPages.
 */
export async function checkoutRoutes(app: FastifyInstance, options: CheckoutPluginOptions): Promise<void> {
  const pages = new CheckoutPages(options);
  // Templates and the page's one stylesheet and script, next to this file both in the source tree and under `npm start`.
  await registerPages(app, { views: fileURLToPath(VIEWS), assets: fileURLToPath(ASSETS), prefix: '/assets/' });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));
  app.addHook('onSend', async (_request, reply) => pages.secureHeaders(reply));
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => pages.failed(error, request, reply));
  app.setNotFoundHandler((request, reply) => pages.notFound(request, reply));

  app.get('/', (request, reply) => pages.catalog(request, reply));
  app.get<{ Params: { serviceId: string } }>('/s/:serviceId', (request, reply) => pages.service(request, reply));
  app.post<{ Params: { serviceId: string } }>('/s/:serviceId', (request, reply) => pages.startOrder(request, reply));
  app.get<{ Params: { token: string } }>('/o/:token', (request, reply) => pages.order(request, reply));
  app.post<{ Params: { token: string } }>('/o/:token', (request, reply) => pages.choose(request, reply));
  app.get<{ Params: { token: string; kind: string } }>('/return/:token/:kind', (request, reply) => pages.cardReturn(request, reply));
  app.post<{ Params: { token: string; kind: string } }>('/return/:token/:kind', (request, reply) => pages.cardReturn(request, reply));
  app.get('/elsom/return', (request, reply) => pages.elsomReturn(request, reply));
  // Elsom's PartnerPaymentResult at /pay/elsom/callback: answered in the acquirer's own protocol.
  for (const method of options.checkout.callbackMethods()) {
    await app.register(async (callback) => {
      // A body refused by the parser (over 64 KiB) is still answered in the acquirer's protocol, not with a page.
      callback.setErrorHandler((error: { statusCode?: number }, request, reply) => pages.callbackFailed(error, request, reply, method));
      callback.post(`/${method}/callback`, (request, reply) => pages.acquirerCallback(reply, method, request.ip, request.body));
    });
  }
  app.get<{ Params: { token: string } }>('/r/:token', (request, reply) => pages.result(request, reply));
}

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;
type ServiceRequest = FastifyRequest<{ Params: { serviceId: string } }>;

/** The checkout's handlers: each reads the request, asks the checkout engine, and answers with a page or a redirect. */
class CheckoutPages {
  private readonly checkout: Checkout;

  constructor(private readonly options: CheckoutPluginOptions) {
    this.checkout = options.checkout;
  }

  secureHeaders(reply: FastifyReply): void {
    const origins = this.checkout.acquirerOrigins().join(' ');
    reply.header('content-security-policy',
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self' ${origins}; frame-ancestors 'none'; base-uri 'none'`);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('cache-control', 'no-store');
  }

  failed(error: { statusCode?: number }, request: FastifyRequest, reply: FastifyReply) {
    const client = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
    if (!client) request.log.error({ err: error }, 'checkout page failed');
    const pc = this.safePageCtx(request, reply);
    return sendPage(reply, client ? 400 : 500, errorPage(pc, text(pc.lang, 'err_generic')));
  }

  notFound(request: FastifyRequest, reply: FastifyReply) {
    const pc = this.pageCtx(request, reply);
    return sendPage(reply, 404, errorPage(pc, text(pc.lang, 'err_not_found')));
  }

  async catalog(request: FastifyRequest, reply: FastifyReply) {
    const pc = this.pageCtx(request, reply);
    const query = request.query as Record<string, string | undefined>;
    return sendPage(reply, 200, catalogPage(pc, await this.checkout.services(), (query['q'] ?? '').slice(0, 100), query['group']?.slice(0, 100) || undefined));
  }

  async service(request: ServiceRequest, reply: FastifyReply) {
    const pc = this.pageCtx(request, reply);
    const service = (await this.checkout.services()).find((s) => s.serviceId === request.params.serviceId);
    if (!service) return sendPage(reply, 404, errorPage(pc, text(pc.lang, 'err_unknown_service')));
    return sendPage(reply, 200, servicePage(pc, service, {}));
  }

  async startOrder(request: ServiceRequest, reply: FastifyReply) {
    const pc = this.pageCtx(request, reply);
    const service = (await this.checkout.services()).find((s) => s.serviceId === request.params.serviceId);
    if (!service) return sendPage(reply, 404, errorPage(pc, text(pc.lang, 'err_unknown_service')));
    const form = formFields(request.body);
    const values = Object.fromEntries(service.inputs.map((f) => [f.name, (form[f.name] ?? '').trim().slice(0, 200)]));
    const answer = await this.checkout.start(service.serviceId, values, pc.lang);
    if (answer.kind === 'order') return reply.code(303).header('location', `/pay/o/${answer.token}`).send();
    const message = answer.message === 'bad_input'
      ? `${text(pc.lang, 'err_bad_input')}: ${service.inputs.find((f) => f.name === answer.field)?.title ?? answer.field}`
      : answer.message === 'unknown_service' || answer.message === 'provider_unavailable' ? errorText(pc.lang, answer.message)
        : `${text(pc.lang, 'check_failed')}: ${answer.message}`;
    return sendPage(reply, 422, servicePage(pc, service, values, message));
  }

  async order(request: TokenRequest, reply: FastifyReply) {
    const pc = this.pageCtx(request, reply);
    const view = await this.checkout.view(request.params.token);
    if (!view) return sendPage(reply, 404, errorPage(pc, text(pc.lang, 'err_unknown_order')));
    if (view.order.state !== 'checked') return reply.code(303).header('location', `/pay/r/${view.order.token}`).send();
    return sendPage(reply, 200, orderPage(pc, view, this.checkout.methodsFor(view.order.currency)));
  }

  async choose(request: TokenRequest, reply: FastifyReply) {
    const pc = this.pageCtx(request, reply);
    const form = formFields(request.body);
    const choice: PayChoice = {
      method: form['method'] ?? '', language: pc.lang, ...(form['amount'] !== undefined ? { amountText: form['amount'] } : {}),
      ...(form['contractId'] ? { contractId: form['contractId'] } : {}), ...(form['email'] ? { email: form['email'].trim() } : {}),
      lines: invoiceLines(form),
    };
    // Return URLs come from configuration (PUBLIC_URL or this server's address), never from the request's Host header.
    const answer = await this.checkout.choose(request.params.token, choice, this.options.publicBase());
    if (answer.kind === 'refused') {
      const view = await this.checkout.view(request.params.token);
      const message = errorText(pc.lang, answer.message);
      if (!view || view.order.state !== 'checked') return sendPage(reply, answer.message === 'unknown_order' ? 404 : 503, errorPage(pc, message));
      return sendPage(reply, 422, orderPage(pc, view, this.checkout.methodsFor(view.order.currency), message, form));
    }
    return this.payAnswer(reply, pc, answer, request.params.token);
  }

  private payAnswer(reply: FastifyReply, pc: PageContext, answer: Exclude<PayAnswer, { kind: 'refused' }>, token: string): FastifyReply | Promise<FastifyReply> {
    switch (answer.kind) {
      case 'card_form':
        return sendPage(reply, 200, cardRedirectPage(pc, answer.action, answer.fields));
      case 'redirect':
        // Elsom sends everyone back to one registered URL: the cookie says whose payment it was.
        return setCookie(reply, ELSOM_COOKIE, token, 3_600).code(303).header('location', answer.url).send();
      case 'result':
        return reply.code(303).header('location', `/pay/r/${answer.token}`).send();
    }
  }

  /** The browser back from Assist: OK and NO alike only make us ask Assist for the signed order state. */
  async cardReturn(request: TokenRequest, reply: FastifyReply) {
    const pc = this.pageCtx(request, reply);
    const order = await this.checkout.cardReturned(request.params.token);
    if (!order) return sendPage(reply, 404, errorPage(pc, text(pc.lang, 'err_return_unknown')));
    return reply.code(303).header('location', `/pay/r/${order.token}`).send();
  }

  async elsomReturn(request: FastifyRequest, reply: FastifyReply) {
    const pc = this.pageCtx(request, reply);
    const token = request.cookies[ELSOM_COOKIE];
    const order = token ? await this.checkout.orderByToken(token) : undefined;
    if (!order) return sendPage(reply, 200, errorPage(pc, text(pc.lang, 'err_return_unknown')));
    await this.checkout.kick(order.id, true);
    return reply.code(303).header('location', `/pay/r/${order.token}`).send();
  }

  async acquirerCallback(reply: FastifyReply, method: PaymentMethod, ip: string, body: unknown): Promise<FastifyReply> {
    const answer = await this.checkout.callback(method, ip, String(body ?? ''));
    return reply.code(answer.httpStatus).type(answer.contentType).send(answer.body);
  }

  callbackFailed(error: { statusCode?: number }, request: FastifyRequest, reply: FastifyReply, method: PaymentMethod) {
    const client = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
    if (!client) return this.failed(error, request, reply);
    const answer = this.checkout.unreadableCallback(method, request.ip, 'the body could not be read (at most 64 KiB)');
    return reply.code(answer.httpStatus).type(answer.contentType).send(answer.body);
  }

  async result(request: TokenRequest, reply: FastifyReply) {
    const pc = this.pageCtx(request, reply);
    const view = await this.checkout.view(request.params.token);
    if (!view) return sendPage(reply, 404, errorPage(pc, text(pc.lang, 'err_unknown_order')));
    return sendPage(reply, 200, resultPage(pc, view));
  }

  private pageCtx(request: FastifyRequest, reply: FastifyReply): PageContext {
    const query = request.query as Record<string, string | undefined>;
    const lang = pickLang(query['lang'], request.cookies[LANG_COOKIE], request.headers['accept-language']);
    if (query['lang'] && query['lang'] === lang) setCookie(reply, LANG_COOKIE, lang, 365 * 86_400);
    const url = new URL(request.url, 'http://x');
    url.searchParams.delete('lang');
    return { lang, path: url.pathname + url.search, sandbox: this.options.sandbox, offsetMinutes: this.options.offsetMinutes };
  }

  /** The error handler must not fail itself (a throw there is Fastify's bare 500): the page context falls back to defaults. */
  private safePageCtx(request: FastifyRequest, reply: FastifyReply): PageContext {
    try {
      return this.pageCtx(request, reply);
    } catch {
      return { lang: pickLang(undefined, undefined, undefined), path: '/pay', sandbox: this.options.sandbox, offsetMinutes: this.options.offsetMinutes };
    }
  }
}

const text = (lang: Lang, key: TextKey) => DICTIONARIES[lang][key];

function errorText(lang: Lang, code: string): string {
  const key = `err_${code}` as TextKey;
  return key in DICTIONARIES[lang] ? DICTIONARIES[lang][key] : code;
}

function formFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(typeof body === 'string' ? body : '')) {
    if (Object.keys(out).length > 200) break;
    if (!(key in out)) out[key] = value.slice(0, 500);
  }
  return out;
}

function invoiceLines(form: Record<string, string>): NonNullable<PayChoice['lines']> {
  const lines: NonNullable<PayChoice['lines']> = [];
  for (let i = 0; i < 50 && form[`line.${i}.id`] !== undefined; i++) {
    const lastCount = form[`line.${i}.lastCount`];
    lines.push({ subServiceId: form[`line.${i}.id`]!, amountText: form[`line.${i}.amount`] ?? '', ...(lastCount ? { lastCount } : {}) });
  }
  return lines;
}

function setCookie(reply: FastifyReply, name: string, value: string, maxAgeSeconds: number): FastifyReply {
  return reply.setCookie(name, value, { path: '/pay', maxAge: maxAgeSeconds, httpOnly: true, sameSite: 'lax' });
}
