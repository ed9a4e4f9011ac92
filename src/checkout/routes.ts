import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Checkout, PayAnswer, PayChoice, PaymentMethod } from '../engine/checkout.ts';
import { fileURLToPath } from 'node:url';
import { registerPages, sendPage, type Page } from '../web/pages.ts';
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
 * and JSON as text, 64 KiB), its own error pages (never a stack trace), a strict CSP on every answer.
 */
export async function checkoutRoutes(app: FastifyInstance, options: CheckoutPluginOptions): Promise<void> {
  const { checkout, sandbox, offsetMinutes } = options;
  // Templates and the page's one stylesheet and script, next to this file both in the source tree and under `npm start`.
  await registerPages(app, { views: fileURLToPath(VIEWS), assets: fileURLToPath(ASSETS), prefix: '/assets/' });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));

  const origins = () => checkout.acquirerOrigins().join(' ');
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy',
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self' ${origins()}; frame-ancestors 'none'; base-uri 'none'`);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('cache-control', 'no-store');
  });

  const pageCtx = (request: FastifyRequest, reply: FastifyReply): PageContext => {
    const query = request.query as Record<string, string | undefined>;
    const lang = pickLang(query['lang'], request.cookies[LANG_COOKIE], request.headers['accept-language']);
    if (query['lang'] && query['lang'] === lang) setCookie(reply, LANG_COOKIE, lang, 365 * 86_400);
    const url = new URL(request.url, 'http://x');
    url.searchParams.delete('lang');
    return { lang, path: url.pathname + url.search, sandbox, offsetMinutes };
  };
  const text = (lang: Lang, key: TextKey) => DICTIONARIES[lang][key];
  const html = (reply: FastifyReply, code: number, page: Page) => sendPage(reply, code, page);

  // The error handler must not fail itself (a throw here is Fastify's bare 500): the page context falls back to defaults.
  const safePageCtx = (request: FastifyRequest, reply: FastifyReply): PageContext => {
    try {
      return pageCtx(request, reply);
    } catch {
      return { lang: pickLang(undefined, undefined, undefined), path: '/pay', sandbox, offsetMinutes };
    }
  };
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    const client = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
    if (!client) request.log.error({ err: error }, 'checkout page failed');
    const pc = safePageCtx(request, reply);
    return html(reply, client ? 400 : 500, errorPage(pc, text(pc.lang, 'err_generic')));
  });
  app.setNotFoundHandler((request, reply) => {
    const pc = pageCtx(request, reply);
    return html(reply, 404, errorPage(pc, text(pc.lang, 'err_not_found')));
  });

  app.get('/', async (request, reply) => {
    const pc = pageCtx(request, reply);
    const query = request.query as Record<string, string | undefined>;
    return html(reply, 200, catalogPage(pc, await checkout.services(), (query['q'] ?? '').slice(0, 100), query['group']?.slice(0, 100) || undefined));
  });

  app.get<{ Params: { serviceId: string } }>('/s/:serviceId', async (request, reply) => {
    const pc = pageCtx(request, reply);
    const service = (await checkout.services()).find((s) => s.serviceId === request.params.serviceId);
    if (!service) return html(reply, 404, errorPage(pc, text(pc.lang, 'err_unknown_service')));
    return html(reply, 200, servicePage(pc, service, {}));
  });

  app.post<{ Params: { serviceId: string } }>('/s/:serviceId', async (request, reply) => {
    const pc = pageCtx(request, reply);
    const service = (await checkout.services()).find((s) => s.serviceId === request.params.serviceId);
    if (!service) return html(reply, 404, errorPage(pc, text(pc.lang, 'err_unknown_service')));
    const form = formFields(request.body);
    const values = Object.fromEntries(service.inputs.map((f) => [f.name, (form[f.name] ?? '').trim().slice(0, 200)]));
    const answer = await checkout.start(service.serviceId, values, pc.lang);
    if (answer.kind === 'order') return reply.code(303).header('location', `/pay/o/${answer.token}`).send();
    const message = answer.message === 'bad_input'
      ? `${text(pc.lang, 'err_bad_input')}: ${service.inputs.find((f) => f.name === answer.field)?.title ?? answer.field}`
      : answer.message === 'unknown_service' ? text(pc.lang, 'err_unknown_service') : `${text(pc.lang, 'check_failed')}: ${answer.message}`;
    return html(reply, 422, servicePage(pc, service, values, message));
  });

  app.get<{ Params: { token: string } }>('/o/:token', async (request, reply) => {
    const pc = pageCtx(request, reply);
    const view = await checkout.view(request.params.token);
    if (!view) return html(reply, 404, errorPage(pc, text(pc.lang, 'err_unknown_order')));
    if (view.order.state !== 'checked') return reply.code(303).header('location', `/pay/r/${view.order.token}`).send();
    return html(reply, 200, orderPage(pc, view, checkout.methodsFor(view.order.currency)));
  });

  app.post<{ Params: { token: string } }>('/o/:token', async (request, reply) => {
    const pc = pageCtx(request, reply);
    const form = formFields(request.body);
    const choice: PayChoice = {
      method: form['method'] ?? '', language: pc.lang, ...(form['amount'] !== undefined ? { amountText: form['amount'] } : {}),
      ...(form['contractId'] ? { contractId: form['contractId'] } : {}), ...(form['email'] ? { email: form['email'].trim() } : {}),
      lines: invoiceLines(form),
    };
    const answer = await checkout.choose(request.params.token, choice, publicBase());
    if (answer.kind === 'refused') {
      const view = await checkout.view(request.params.token);
      const message = errorText(pc.lang, answer.message);
      if (!view || view.order.state !== 'checked') return html(reply, answer.message === 'unknown_order' ? 404 : 503, errorPage(pc, message));
      return html(reply, 422, orderPage(pc, view, checkout.methodsFor(view.order.currency), message, form));
    }
    return payAnswer(reply, pc, answer, request.params.token);
  });

  function payAnswer(reply: FastifyReply, pc: PageContext, answer: Exclude<PayAnswer, { kind: 'refused' }>, token: string): FastifyReply | Promise<FastifyReply> {
    switch (answer.kind) {
      case 'card_form':
        return html(reply, 200, cardRedirectPage(pc, answer.action, answer.fields));
      case 'redirect':
        // Elsom sends everyone back to one registered URL: the cookie says whose payment it was.
        return setCookie(reply, ELSOM_COOKIE, token, 3_600).code(303).header('location', answer.url).send();
      case 'result':
        return reply.code(303).header('location', `/pay/r/${answer.token}`).send();
    }
  }

  // Return URLs come from configuration (PUBLIC_URL or this server's address), never from the request's Host header.
  const publicBase = options.publicBase;

  // The browser back from Assist: OK and NO alike only make us ask Assist for the signed order state.
  const cardReturn = async (request: FastifyRequest<{ Params: { token: string } }>, reply: FastifyReply) => {
    const pc = pageCtx(request, reply);
    const order = await checkout.cardReturned(request.params.token);
    if (!order) return html(reply, 404, errorPage(pc, text(pc.lang, 'err_return_unknown')));
    return reply.code(303).header('location', `/pay/r/${order.token}`).send();
  };
  app.get<{ Params: { token: string; kind: string } }>('/return/:token/:kind', cardReturn);
  app.post<{ Params: { token: string; kind: string } }>('/return/:token/:kind', cardReturn);

  app.get('/elsom/return', async (request, reply) => {
    const pc = pageCtx(request, reply);
    const token = request.cookies[ELSOM_COOKIE];
    const order = token ? await checkout.orderByToken(token) : undefined;
    if (!order) return html(reply, 200, errorPage(pc, text(pc.lang, 'err_return_unknown')));
    await checkout.kick(order.id, true);
    return reply.code(303).header('location', `/pay/r/${order.token}`).send();
  });

  // Elsom's PartnerPaymentResult at /pay/elsom/callback: answered in the acquirer's own protocol.
  for (const method of checkout.callbackMethods()) {
    app.post(`/${method}/callback`, (request, reply) => acquirerCallback(reply, method, request.ip, request.body));
  }
  async function acquirerCallback(reply: FastifyReply, method: PaymentMethod, ip: string, body: unknown): Promise<FastifyReply> {
    const answer = await checkout.callback(method, ip, String(body ?? ''));
    return reply.code(answer.httpStatus).type(answer.contentType).send(answer.body);
  }

  app.get<{ Params: { token: string } }>('/r/:token', async (request, reply) => {
    const pc = pageCtx(request, reply);
    const view = await checkout.view(request.params.token);
    if (!view) return html(reply, 404, errorPage(pc, text(pc.lang, 'err_unknown_order')));
    return html(reply, 200, resultPage(pc, view));
  });
}

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
