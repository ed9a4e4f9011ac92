import { formatOffset, isoLocal } from '../domain/time.ts';
import type { Service } from '../domain/catalog.ts';
import { formatAmount } from '../domain/money.ts';
import type { OrderView, PaymentMethod } from '../engine/checkout.ts';
import type { Page } from '../web/pages.ts';
import { DICTIONARIES, LANGUAGES, type Lang, type TextKey } from './i18n.ts';

/**
 * The data of each server-rendered page; the markup is in views/*.eta (auto-escaped: every `<%= %>` goes through
 * escapeHtml) and the only script and stylesheet are the files of static/, served at /pay/assets/.
 */

export interface PageContext {
  lang: Lang;
  /** The current path without the lang parameter, for the language links. */
  path: string;
  sandbox: boolean;
  /** The hub's zone: receipts show the payer's wall-clock time, not UTC. */
  offsetMinutes: number;
}

const t = (ctx: PageContext, key: TextKey) => DICTIONARIES[ctx.lang][key];

/** What the layout needs: language, language links, the sandbox note, the page title; `t` for the template's texts. */
function page(ctx: PageContext, view: string, title: string, data: Record<string, unknown>, refresh = false): Page {
  const sep = ctx.path.includes('?') ? '&' : '?';
  const langs = LANGUAGES.map((lang) => ({ lang, href: `${ctx.path}${sep}lang=${lang}`, name: DICTIONARIES[lang].lang_name, current: lang === ctx.lang }));
  return { view, data: { ...data, lang: ctx.lang, langs, sandbox: ctx.sandbox, title, refresh, t: (key: TextKey) => t(ctx, key) } };
}

export function errorPage(ctx: PageContext, message: string): Page {
  return page(ctx, 'error', t(ctx, 'title'), { message });
}

export function catalogPage(ctx: PageContext, services: Service[], query: string, group: string | undefined): Page {
  const groups = [...new Set(services.map((s) => s.group ?? '—'))].sort();
  const shown = services.filter((s) => (!group || (s.group ?? '—') === group)
    && (!query || `${s.name} ${s.group ?? ''} ${s.serviceId}`.toLowerCase().includes(query.toLowerCase())));
  return page(ctx, 'catalog', t(ctx, 'title'), { groups, group, query, services: shown });
}

export function servicePage(ctx: PageContext, service: Service, values: Record<string, string>, error?: string): Page {
  const inputs = service.inputs.map((field) => ({
    name: field.name, title: field.title || field.name, value: values[field.name] ?? '', required: field.required, regexp: field.regexp,
    message: `${t(ctx, 'err_bad_input')}: ${field.title}`, inputmode: /\\d/.test(field.regexp) ? 'numeric' : 'text',
  }));
  return page(ctx, 'service', service.name, { service, inputs, error });
}

export function orderPage(ctx: PageContext, view: OrderView, methods: PaymentMethod[], error?: string, previous?: Record<string, string>): Page {
  const { order, service, payment } = view;
  const data = payment?.data ?? undefined;
  const prev = previous ?? {};
  const titles = new Map(service.displays.map((d) => [d.name, d.title]));
  const displays = Object.entries(data?.displays ?? {}).filter(([name]) => name !== 'fixedAmount')
    .map(([name, value]) => ({ title: titles.get(name) || name, value }));
  const contracts = service.type !== 2 ? undefined : (data?.contracts ?? []).map((c, i) => ({
    value: c.contractId, checked: prev['contractId'] === c.contractId || (!prev['contractId'] && i === 0),
    name: c.name ?? c.contractNumber ?? c.contractId, details: [c.contractNumber, c.contractDate, c.contractSum].filter(Boolean).join(' · '),
  }));
  let invoice: unknown;
  let amount: unknown;
  if (service.type === 1) {
    const first = data?.invoices?.[0];
    const lines = (data?.invoices ?? []).flatMap((inv) => inv.services).map((line, i) => ({
      i, id: line.subServiceId, name: line.subServiceName, debtInfo: line.data.debtInfo,
      meter: line.data.isMeter ? { prev: line.data.prevCount ?? '', last: prev[`line.${i}.lastCount`] ?? '' } : undefined,
      amount: prev[`line.${i}.amount`] ?? line.data.paySum ?? '',
    }));
    invoice = { head: first ? [first.invoiceId, first.clientName, first.clientAddress].filter(Boolean).join(' · ') : undefined, lines };
  } else {
    const fixed = service.fixedPayment ? data?.displays?.['fixedAmount'] : undefined;
    amount = { value: fixed ?? prev['amount'] ?? '', readonly: Boolean(fixed), min: formatAmount(service.minMinor), max: formatAmount(service.maxMinor) };
  }
  const methodChoices = methods.map((m, i) => ({ value: m, checked: prev['method'] === m || (!prev['method'] && i === 0) }));
  return page(ctx, 'order', service.name, {
    service, account: order.account, token: order.token, currency: order.currency, error, displays, contracts, invoice, amount,
    methods: methodChoices, email: prev['email'] ?? '',
  });
}

/** The auto-submitting form to Assist's payment page (a button stays for browsers without scripts). */
export function cardRedirectPage(ctx: PageContext, action: string, fields: [string, string][]): Page {
  return page(ctx, 'card-redirect', t(ctx, 'redirecting'), { action, fields });
}

const OUTCOME_TEXT = {
  open: 'state_open', waiting: 'state_waiting', paid: 'state_paid', refused_released: 'state_refused_released',
  refused_refund: 'state_refused_refund', declined: 'state_declined', cancelled: 'state_cancelled', expired: 'state_expired',
} as const satisfies Record<OrderView['outcome'], TextKey>;

export function resultPage(ctx: PageContext, view: OrderView): Page {
  const { order, service, payment, outcome } = view;
  const style = outcome === 'paid' ? 'paid' : outcome === 'waiting' || outcome === 'open' ? outcome : 'bad';
  const amount = order.amount_minor === null ? '' : `${formatAmount(order.amount_minor)} ${order.currency}`;
  const when = payment?.statusAt ?? payment?.paidAt ?? order.created_at;
  const rows: { key: TextKey; value: string }[] = [
    { key: 'service', value: service.name },
    { key: 'account', value: order.account },
    { key: 'amount', value: amount },
    { key: 'method', value: order.method ? t(ctx, order.method) : '' },
    { key: 'transaction', value: order.payment_id.toString() },
    ...(outcome === 'paid' && payment?.providerRef ? [{ key: 'provider_ref' as const, value: payment.providerRef }] : []),
    { key: 'date', value: formatDate(when, ctx.offsetMinutes) },
  ];
  return page(ctx, 'result', t(ctx, 'result'), {
    heading: outcome === 'paid' ? t(ctx, 'receipt') : t(ctx, 'result'), style, outcome, statusText: t(ctx, OUTCOME_TEXT[outcome]),
    rows, token: order.token,
  }, outcome === 'waiting');
}

/** "2027-01-01 00:30 (UTC+05:00)": the date a payer in Almaty sees on the wall at that moment. */
function formatDate(date: Date, offsetMinutes: number): string {
  return `${isoLocal(date, offsetMinutes).replace('T', ' ').slice(0, 16)} (UTC${formatOffset(offsetMinutes)})`;
}
