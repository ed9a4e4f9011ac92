import type { FastifyInstance, FastifyReply } from 'fastify';
import { isoLocal } from '../domain/time.ts';
import { filterForm, filterQuery, parseFilters, SEARCHABLE_STATES } from '../engine/payment-filters.ts';
import type { PaymentFilters, PaymentSummary } from '../engine/payment-search.ts';
import type { ExchangeView, TimelineEntry } from '../engine/timeline.ts';
import { formatAmount } from '../domain/money.ts';
import { toCsv } from '../web/csv.ts';
import { consolePage, text } from './page.ts';
import type { ConsoleDeps } from './routes.ts';

const PAGE_SIZE = 50;
/** An export is a registry, not a dump of the database: this many rows at most (the search says how many match). */
export const EXPORT_MAX_ROWS = 10_000;

/** Payments: the search whose filters all combine, keyset paging, the CSV export of a search, the detail page. */
export function registerPayments(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/payments', async (request, reply) => {
    const signed = await deps.page(request, reply, 'payments.read', 'payments');
    if (!signed) return reply;
    const form = filterForm(signed.query);
    const parsed = parseFilters(form, signed.view.offsetMinutes);
    const lang = signed.view.lang;
    if (!parsed.ok) signed.view.flash = { kind: 'error', text: `${text(lang, 'err_bad_input')} (${parsed.field})` };
    const after = /^\d{1,18}$/.test(signed.query['after'] ?? '') ? BigInt(signed.query['after']!) : undefined;
    const result = parsed.ok ? await deps.services.searchPayments(parsed.filters, { ...(after !== undefined ? { after } : {}), limit: PAGE_SIZE }) : undefined;
    const data = {
      form, states: SEARCHABLE_STATES, result, query: filterQuery(form),
      next: result?.nextAfter ? `/console/payments?${filterQuery(form, { after: result.nextAfter.toString() })}` : undefined,
      paged: after !== undefined,
    };
    return deps.send(reply, parsed.ok ? 200 : 400, consolePage(signed.view, 'payments', text(lang, 'nav_payments'), data));
  });

  app.get('/payments.csv', async (request, reply) => {
    const signed = await deps.page(request, reply, 'payments.read');
    if (!signed) return reply;
    const parsed = parseFilters(filterForm(signed.query), signed.view.offsetMinutes);
    if (!parsed.ok) return reply.code(400).type('text/plain; charset=utf-8').send(`bad filter: ${parsed.field}\n`);
    return sendPaymentsCsv(reply, await collect(deps, parsed.filters), signed.view.offsetMinutes, 'payments.csv');
  });

  app.get<{ Params: { id: string } }>('/payments/:id', async (request, reply) => {
    const signed = await deps.page(request, reply, 'payments.read', 'payments');
    if (!signed) return reply;
    const lang = signed.view.lang;
    const record = /^\d{1,18}$/.test(request.params.id) ? await deps.services.payment(BigInt(request.params.id)) : undefined;
    if (!record) return deps.send(reply, 404, consolePage(signed.view, 'error', text(lang, 'payment'), { message: text(lang, 'err_not_found') }));
    const timeline = (await deps.services.timeline(BigInt(request.params.id))).map(timelineItem);
    const facts = Object.entries(record.payment).map(([name, value]) => paymentFact(name, value, signed.view.offsetMinutes));
    return deps.send(reply, 200, consolePage(signed.view, 'payment', `${text(lang, 'payment')} ${request.params.id}`, { id: request.params.id, record, facts, timeline }));
  });
}

/** One line of the payment's facts: amounts in major units (`amount_to`, not `amount_to_minor`), times in the hub's zone. */
function paymentFact(name: string, value: unknown, offsetMinutes: number): { name: string; value: string } {
  if (value === null || value === undefined) return { name, value: '' };
  if (value instanceof Date) return { name, value: isoLocal(value, offsetMinutes) };
  const minor = name.endsWith('_minor') && /^-?\d+$/.test(String(value));
  return minor ? { name: name.slice(0, -'_minor'.length), value: formatAmount(BigInt(String(value))) } : { name, value: String(value) };
}

/** Every payment of a search, page by page, up to EXPORT_MAX_ROWS. */
async function collect(deps: ConsoleDeps, filters: PaymentFilters): Promise<PaymentSummary[]> {
  const rows: PaymentSummary[] = [];
  let after: bigint | undefined;
  do {
    const page = await deps.services.searchPayments(filters, { ...(after !== undefined ? { after } : {}), limit: 200 });
    rows.push(...page.payments);
    after = page.nextAfter ?? undefined;
  } while (after !== undefined && rows.length < EXPORT_MAX_ROWS);
  return rows.slice(0, EXPORT_MAX_ROWS);
}

export const PAYMENT_CSV_HEADER = ['transactionId', 'agentId', 'agentTransactionId', 'serviceId', 'account', 'amount', 'currency', 'state', 'resultCode', 'provider', 'providerRef', 'createdAt', 'paidAt'];

export function paymentCsvRow(p: PaymentSummary, offsetMinutes: number): string[] {
  return [
    p.transactionId.toString(), p.agentId.toString(), p.agentTransactionId.toString(), p.serviceId, p.account,
    p.amountToMinor === null ? '' : formatAmount(p.amountToMinor), p.currency, p.state, String(p.resultCode), p.provider, p.providerRef ?? '',
    isoLocal(p.createdAt, offsetMinutes), p.paidAt ? isoLocal(p.paidAt, offsetMinutes) : '',
  ];
}

function sendPaymentsCsv(reply: FastifyReply, rows: PaymentSummary[], offsetMinutes: number, name: string): FastifyReply {
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`)
    .send(toCsv([PAYMENT_CSV_HEADER, ...rows.map((p) => paymentCsvRow(p, offsetMinutes))]));
}


/** One line of the timeline as the page shows it: what happened, and a partner exchange's bodies (already masked). */
interface TimelineItem {
  at: Date;
  kind: TimelineEntry['kind'];
  title: string;
  detail: string;
  request?: string;
  response?: string;
}

function timelineItem(entry: TimelineEntry): TimelineItem {
  switch (entry.kind) {
    case 'state':
      return { at: entry.at, kind: 'state', title: `${entry.fromState ?? '∅'} → ${entry.toState}`, detail: `${entry.resultCode}${entry.note ? ` · ${entry.note}` : ''}` };
    case 'transfer':
      return { at: entry.at, kind: 'transfer', title: `${entry.transferKind} ${formatAmount(BigInt(entry.amountMinor))} ${entry.currency}`, detail: `${entry.debitAccount} → ${entry.creditAccount} · ${entry.reason}` };
    case 'job':
      return { at: entry.at, kind: 'job', title: `${entry.source} ${entry.name}`, detail: entry.state };
    case 'exchange':
      return exchangeItem(entry.at, entry.exchange);
  }
}

function exchangeItem(at: Date, x: ExchangeView): TimelineItem {
  const headers = (h: Record<string, string>) => Object.entries(h).map(([k, v]) => `${k}: ${v}`).join('\n');
  const truncated = (flag: boolean) => (flag ? '\n…' : '');
  return {
    at, kind: 'exchange', title: `${x.direction} ${x.partner} · ${x.operation}`,
    detail: `${x.method} ${x.url} → ${x.responseStatus ?? x.outcome}${x.error ? ` (${x.error})` : ''} · ${x.durationMs} ms`,
    request: `${headers(x.requestHeaders)}\n\n${x.requestBody ?? ''}${truncated(x.requestTruncated)}`,
    response: `${headers(x.responseHeaders)}\n\n${x.responseBody ?? ''}${truncated(x.responseTruncated)}`,
  };
}
