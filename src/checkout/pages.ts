import { formatOffset, isoLocal } from '../domain/time.ts';
import type { Service } from '../domain/catalog.ts';
import { formatAmount } from '../domain/money.ts';
import type { OrderView, PaymentMethod } from '../engine/checkout.ts';
import { DICTIONARIES, LANGUAGES, type Lang, type TextKey } from './i18n.ts';

/** Server-rendered pages. Every interpolated value goes through esc(); the only script is /pay/assets/checkout.js. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface PageContext {
  lang: Lang;
  /** The current path without the lang parameter, for the language links. */
  path: string;
  sandbox: boolean;
  /** The hub's zone: receipts show the payer's wall-clock time, not UTC. */
  offsetMinutes: number;
}

const t = (ctx: PageContext, key: TextKey) => DICTIONARIES[ctx.lang][key];

function layout(ctx: PageContext, title: string, body: string, head = ''): string {
  const sep = ctx.path.includes('?') ? '&' : '?';
  const langs = LANGUAGES.map((lang) =>
    `<a href="${esc(`${ctx.path}${sep}lang=${lang}`)}" lang="${lang}"${lang === ctx.lang ? ' aria-current="true"' : ''}>${esc(DICTIONARIES[lang].lang_name)}</a>`).join('');
  return `<!doctype html><html lang="${ctx.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · Tolem</title><link rel="stylesheet" href="/pay/assets/checkout.css">${head}</head><body>
<header><a href="/pay">Tolem · ${esc(t(ctx, 'title'))}</a><nav class="langs" aria-label="language">${langs}</nav></header>
<main>${body}${ctx.sandbox ? `<p class="note no-print">${esc(t(ctx, 'sandbox_note'))}</p>` : ''}</main>
<script src="/pay/assets/checkout.js" defer></script></body></html>`;
}

export function errorPage(ctx: PageContext, message: string): string {
  return layout(ctx, t(ctx, 'title'), `<div class="card"><div class="error" role="alert">${esc(message)}</div><a class="button secondary" href="/pay">${esc(t(ctx, 'new_payment'))}</a></div>`);
}

export function catalogPage(ctx: PageContext, services: Service[], query: string, group: string | undefined): string {
  const groups = [...new Set(services.map((s) => s.group ?? '—'))].sort();
  const shown = services.filter((s) => (!group || (s.group ?? '—') === group)
    && (!query || `${s.name} ${s.group ?? ''} ${s.serviceId}`.toLowerCase().includes(query.toLowerCase())));
  const groupLinks = [`<a href="/pay"${group ? '' : ' aria-current="true"'}>${esc(t(ctx, 'all_groups'))}</a>`,
    ...groups.map((g) => `<a href="/pay?group=${encodeURIComponent(g)}"${g === group ? ' aria-current="true"' : ''}>${esc(g)}</a>`)].join('');
  const items = shown.map((s) => `<li><a href="/pay/s/${encodeURIComponent(s.serviceId)}" data-service="${esc(s.serviceId)}">${esc(s.name)}<small>${esc(s.group ?? '')} · ${esc(s.currency)}</small></a></li>`).join('');
  return layout(ctx, t(ctx, 'title'), `<div class="card"><h1>${esc(t(ctx, 'choose_service'))}</h1>
<form method="get" action="/pay" role="search"><label for="service-search">${esc(t(ctx, 'search'))}</label>
<input type="search" id="service-search" name="q" value="${esc(query)}" autocomplete="off"></form>
<nav class="groups" aria-label="groups">${groupLinks}</nav>
<ul class="services">${items || `<li>${esc(t(ctx, 'no_services'))}</li>`}</ul></div>`);
}

export function servicePage(ctx: PageContext, service: Service, values: Record<string, string>, error?: string): string {
  const inputs = service.inputs.map((field) => `<label for="in-${esc(field.name)}">${esc(field.title || field.name)}</label>
<input type="text" id="in-${esc(field.name)}" name="${esc(field.name)}" value="${esc(values[field.name] ?? '')}" ${field.required ? 'required' : ''}
 data-regexp="${esc(field.regexp)}" data-message="${esc(`${t(ctx, 'err_bad_input')}: ${field.title}`)}" placeholder=" " autocomplete="off" inputmode="${/\\d/.test(field.regexp) ? 'numeric' : 'text'}">`).join('');
  return layout(ctx, service.name, `<div class="card"><h1>${esc(service.name)}</h1>
${error ? `<div class="error" role="alert">${esc(error)}</div>` : ''}
<form method="post" action="/pay/s/${encodeURIComponent(service.serviceId)}" id="inputs-form">${inputs}
<button type="submit" id="check">${esc(t(ctx, 'continue'))}</button></form>
<a class="button secondary" href="/pay">${esc(t(ctx, 'back'))}</a></div>`);
}

export function orderPage(ctx: PageContext, view: OrderView, methods: PaymentMethod[], error?: string, previous?: Record<string, string>): string {
  const { order, service, payment } = view;
  const data = payment?.data ?? undefined;
  const prev = previous ?? {};
  const parts: string[] = [];
  const displays = Object.entries(data?.displays ?? {}).filter(([name]) => name !== 'fixedAmount');
  if (displays.length > 0) {
    const titles = new Map(service.displays.map((d) => [d.name, d.title]));
    parts.push(`<table id="displays">${displays.map(([name, value]) => `<tr><th>${esc(titles.get(name) || name)}</th><td>${esc(value)}</td></tr>`).join('')}</table>`);
  }
  if (service.type === 2) {
    const contracts = (data?.contracts ?? []).map((c, i) => `<label class="choice"><input type="radio" name="contractId" value="${esc(c.contractId)}" ${prev['contractId'] === c.contractId || (!prev['contractId'] && i === 0) ? 'checked' : ''} required>
<span><b>${esc(c.name ?? c.contractNumber ?? c.contractId)}</b><br><small>${esc([c.contractNumber, c.contractDate, c.contractSum].filter(Boolean).join(' · '))}</small></span></label>`).join('');
    parts.push(`<fieldset id="contracts"><legend><h2>${esc(t(ctx, 'contracts'))}</h2></legend>${contracts}</fieldset>`);
  }
  if (service.type === 1) {
    const lines = (data?.invoices ?? []).flatMap((invoice) => invoice.services.map((line) => ({ invoice, line })));
    const invoice = data?.invoices?.[0];
    const head = invoice ? `<p class="note">${esc([invoice.invoiceId, invoice.clientName, invoice.clientAddress].filter(Boolean).join(' · '))}</p>` : '';
    const rows = lines.map(({ line }, i) => {
      const meter = line.data.isMeter ? `<div class="row"><div><label>${esc(t(ctx, 'meter_prev'))}</label><input type="text" value="${esc(line.data.prevCount ?? '')}" disabled></div>
<div><label for="meter-${i}">${esc(t(ctx, 'meter_last'))}</label><input type="text" id="meter-${i}" name="line.${i}.lastCount" value="${esc(prev[`line.${i}.lastCount`] ?? '')}" inputmode="decimal" placeholder=" " data-regexp="^\\d{1,9}(?:\\.\\d{1,6})?$"></div></div>` : '';
      return `<div class="line" data-sub-service="${esc(line.subServiceId)}"><b>${esc(line.subServiceName)}</b>${line.data.debtInfo ? ` <small>(${esc(line.data.debtInfo)})</small>` : ''}
<input type="hidden" name="line.${i}.id" value="${esc(line.subServiceId)}">${meter}
<label for="line-${i}">${esc(t(ctx, 'invoice_line_amount'))}</label><input type="text" id="line-${i}" name="line.${i}.amount" data-line-amount inputmode="decimal" placeholder=" "
 value="${esc(prev[`line.${i}.amount`] ?? line.data.paySum ?? '')}" data-regexp="^\\d{1,9}(?:[.,]\\d{1,2})?$"></div>`;
    }).join('');
    parts.push(`<section id="invoice"><h2>${esc(t(ctx, 'invoice'))}</h2>${head}${rows}<p class="total">${esc(t(ctx, 'total'))}: <span id="invoice-total"></span> ${esc(order.currency)}</p></section>`);
  } else {
    const fixed = service.fixedPayment ? data?.displays?.['fixedAmount'] : undefined;
    parts.push(`<label for="amount">${esc(t(ctx, 'amount'))}, ${esc(order.currency)}</label><input type="text" id="amount" name="amount" inputmode="decimal" required placeholder=" "
 value="${esc(fixed ?? prev['amount'] ?? '')}" ${fixed ? 'readonly' : ''} data-regexp="^\\d{1,9}(?:[.,]\\d{1,2})?$" data-message="${esc(t(ctx, 'amount_hint'))}">
<p class="note">${esc(formatAmount(service.minMinor))} – ${esc(formatAmount(service.maxMinor))} ${esc(order.currency)}</p>`);
  }
  const methodChoices = methods.map((m, i) => `<label class="choice"><input type="radio" name="method" value="${m}" id="method-${m}" ${prev['method'] === m || (!prev['method'] && i === 0) ? 'checked' : ''} required><span>${esc(t(ctx, m))}</span></label>`).join('');
  return layout(ctx, service.name, `<div class="card"><h1>${esc(service.name)}</h1><p class="note">${esc(t(ctx, 'account'))}: <b>${esc(order.account)}</b></p>
${error ? `<div class="error" role="alert">${esc(error)}</div>` : ''}
<form method="post" action="/pay/o/${esc(order.token)}" id="pay-form">${parts.join('\n')}
<fieldset><legend><h2>${esc(t(ctx, 'method'))}</h2></legend>${methodChoices}</fieldset>
<label for="email">${esc(t(ctx, 'email'))}</label><input type="email" id="email" name="email" value="${esc(prev['email'] ?? '')}" placeholder=" ">
<button type="submit" id="pay">${esc(t(ctx, 'pay'))}</button></form>
<a class="button secondary" href="/pay/s/${encodeURIComponent(service.serviceId)}">${esc(t(ctx, 'back'))}</a></div>`);
}

/** The auto-submitting form to Assist's payment page (a button stays for browsers without scripts). */
export function cardRedirectPage(ctx: PageContext, action: string, fields: [string, string][]): string {
  const hidden = fields.map(([name, value]) => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`).join('');
  return layout(ctx, t(ctx, 'redirecting'), `<div class="card"><h1>${esc(t(ctx, 'redirecting'))}</h1>
<form method="post" action="${esc(action)}" data-autosubmit id="assist-form">${hidden}<button type="submit">${esc(t(ctx, 'go_to_payment'))}</button></form></div>`);
}

const OUTCOME_TEXT = {
  open: 'state_open', waiting: 'state_waiting', paid: 'state_paid', refused_released: 'state_refused_released',
  refused_refund: 'state_refused_refund', declined: 'state_declined', cancelled: 'state_cancelled', expired: 'state_expired',
} as const satisfies Record<OrderView['outcome'], TextKey>;

export function resultPage(ctx: PageContext, view: OrderView): string {
  const { order, service, payment, outcome } = view;
  const style = outcome === 'paid' ? 'paid' : outcome === 'waiting' || outcome === 'open' ? outcome : 'bad';
  const refresh = outcome === 'waiting' ? '<meta http-equiv="refresh" content="2">' : '';
  const amount = order.amount_minor === null ? '' : `${formatAmount(order.amount_minor)} ${order.currency}`;
  const when = payment?.statusAt ?? payment?.paidAt ?? order.created_at;
  const rows: [TextKey, string][] = [
    ['service', service.name],
    ['account', order.account],
    ['amount', amount],
    ['method', order.method ? t(ctx, order.method) : ''],
    ['transaction', order.payment_id.toString()],
    ...(outcome === 'paid' && payment?.providerRef ? [['provider_ref', payment.providerRef] as [TextKey, string]] : []),
    ['date', formatDate(when, ctx.offsetMinutes)],
  ];
  const receipt = `<table id="receipt">${rows.map(([key, value]) => `<tr><th>${esc(t(ctx, key))}</th><td data-field="${key}">${esc(value)}</td></tr>`).join('')}</table>`;
  const actions = outcome === 'open'
    ? `<a class="button" href="/pay/o/${esc(order.token)}">${esc(t(ctx, 'pay'))}</a>`
    : `${outcome === 'paid' ? `<button type="button" data-print id="print">${esc(t(ctx, 'print'))}</button> ` : ''}<a class="button secondary" href="/pay">${esc(t(ctx, 'new_payment'))}</a>`;
  return layout(ctx, t(ctx, 'result'), `<div class="card"><h1>${esc(outcome === 'paid' ? t(ctx, 'receipt') : t(ctx, 'result'))}</h1>
<p class="status ${style}" id="status" data-outcome="${esc(outcome)}" role="status">${esc(t(ctx, OUTCOME_TEXT[outcome]))}</p>
${receipt}<div class="no-print">${actions}</div></div>`, refresh);
}

/** "2027-01-01 00:30 (UTC+05:00)": the date a payer in Almaty sees on the wall at that moment. */
function formatDate(date: Date, offsetMinutes: number): string {
  return `${isoLocal(date, offsetMinutes).replace('T', ' ').slice(0, 16)} (UTC${formatOffset(offsetMinutes)})`;
}
