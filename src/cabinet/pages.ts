import ExcelJS from 'exceljs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { formatAmount } from '../domain/money.ts';
import { isoLocal } from '../domain/time.ts';
import { ServiceError } from '../engine/errors.ts';
import { filterForm, filterQuery, parseFilters, SEARCHABLE_STATES } from '../engine/payment-filters.ts';
import type { PaymentFilters, PaymentSummary } from '../engine/payment-search.ts';
import { toCsv } from '../web/csv.ts';
import { cabinetPage, text } from './page.ts';
import { registerRegistryPages } from './registries.ts';
import type { CabinetDeps, CabinetSigned } from './routes.ts';

const ID = /^\d{1,18}$/;
const EXPORT_MAX_ROWS = 10_000;
/** The cabinet's search has no agent field: it is always the signed-in agent's. */
const CABINET_FILTERS = ['service', 'account', 'state', 'code', 'from', 'to', 'min', 'max', 'txn', 'agentTxn'];

/** The cabinet's pages: balance and reservations, tokens, IP addresses, the agent's own payments and their export. */
export async function registerCabinetPages(app: FastifyInstance, deps: CabinetDeps): Promise<void> {
  app.get('/', async (request, reply) => {
    const signed = await deps.page(request, reply, 'agents.read', 'home');
    if (!signed) return reply;
    const funds = await deps.services.funds(signed.agentId);
    const reservations = await deps.services.searchPayments(signed.agentId, { states: ['accepted', 'review', 'waiting'] }, { limit: 100 });
    const unavailable = await deps.services.unavailableServices();
    return deps.send(reply, 200, cabinetPage(signed.view, 'home', text(signed.view.lang, 'nav_home'), { funds, reservations: reservations.payments, unavailable }));
  });

  app.get('/tokens', async (request, reply) => {
    const signed = await deps.page(request, reply, 'tokens.read', 'tokens');
    return signed ? tokensPage(deps, reply, signed, 200) : reply;
  });
  app.post('/tokens', async (request, reply) => {
    const signed = await deps.act(request, reply, 'tokens.issue');
    if (!signed) return reply;
    // Shown once, on this answer; never in a URL or a log.
    const created = await deps.services.issueToken(signed.actor, signed.agentId);
    signed.view.current = 'tokens';
    return tokensPage(deps, reply, signed, 201, created);
  });
  app.post<{ Params: { id: string } }>('/tokens/:id/revoke', async (request, reply) => {
    const signed = await deps.act(request, reply, 'tokens.revoke');
    if (!signed) return reply;
    const done = ID.test(request.params.id) && (await deps.services.revokeToken(signed.actor, signed.agentId, BigInt(request.params.id)));
    return deps.back(reply, '/cabinet/tokens', done ? { ok: 'token_revoked' } : { err: 'not_pending' });
  });

  app.get('/ip', async (request, reply) => {
    const signed = await deps.page(request, reply, 'agents.read', 'ip');
    if (!signed) return reply;
    const funds = await deps.services.funds(signed.agentId);
    const data = { ipText: funds?.agent.ipAllow.join('\n') ?? '', mayEdit: deps.services.can(signed.actor.principal, 'agents.ip_allow', signed.agentId) };
    return deps.send(reply, 200, cabinetPage(signed.view, 'ip', text(signed.view.lang, 'nav_ip'), data));
  });
  app.post('/ip', async (request, reply) => {
    const signed = await deps.act(request, reply, 'agents.ip_allow');
    if (!signed) return reply;
    try {
      await deps.services.setIpAllow(signed.actor, signed.agentId, (signed.form['ipAllow'] ?? '').split(/[\s,]+/));
    } catch (error) {
      if (error instanceof ServiceError) return deps.back(reply, '/cabinet/ip', { err: ['bad_cidr', 'too_many_addresses', 'ip_only_needs_address'].includes(error.code) ? 'bad_ip' : 'bad_input' });
      throw error;
    }
    return deps.back(reply, '/cabinet/ip', { ok: 'ip_saved' });
  });

  registerPaymentPages(app, deps);
  await registerRegistryPages(app, deps);
}

async function tokensPage(deps: CabinetDeps, reply: FastifyReply, signed: CabinetSigned, code: number, created?: { token: string }): Promise<FastifyReply> {
  const principal = signed.actor.principal;
  const data = {
    tokens: await deps.services.tokens(signed.agentId), created,
    mayIssue: deps.services.can(principal, 'tokens.issue', signed.agentId), mayRevoke: deps.services.can(principal, 'tokens.revoke', signed.agentId),
  };
  return deps.send(reply, code, cabinetPage(signed.view, 'tokens', text(signed.view.lang, 'nav_tokens'), data));
}

function ownFilters(signed: CabinetSigned) {
  const form = filterForm(Object.fromEntries(Object.entries(signed.query).filter(([k]) => CABINET_FILTERS.includes(k))));
  return { form, parsed: parseFilters(form, signed.view.offsetMinutes, signed.agentId) };
}

function registerPaymentPages(app: FastifyInstance, deps: CabinetDeps): void {
  app.get('/payments', async (request, reply) => {
    const signed = await deps.page(request, reply, 'payments.read', 'payments');
    if (!signed) return reply;
    const { form, parsed } = ownFilters(signed);
    if (!parsed.ok) signed.view.flash = { kind: 'error', text: `${text(signed.view.lang, 'err_bad_input')} (${parsed.field})` };
    const after = ID.test(signed.query['after'] ?? '') ? BigInt(signed.query['after']!) : undefined;
    const result = parsed.ok ? await deps.services.searchPayments(signed.agentId, parsed.filters, { ...(after !== undefined ? { after } : {}), limit: 50 }) : undefined;
    const data = {
      form, states: SEARCHABLE_STATES, result, query: filterQuery(form),
      next: result?.nextAfter ? `/cabinet/payments?${filterQuery(form, { after: result.nextAfter.toString() })}` : undefined,
    };
    return deps.send(reply, parsed.ok ? 200 : 400, cabinetPage(signed.view, 'payments', text(signed.view.lang, 'nav_payments'), data));
  });
  // The agent's registry for its own reconciliation, the page's filters applied: CSV or a workbook.
  for (const [extension, file] of Object.entries(REGISTRY_FILES)) {
    app.get(`/payments.${extension}`, async (request, reply) => {
      const signed = await deps.page(request, reply, 'payments.read');
      if (!signed) return reply;
      const { parsed } = ownFilters(signed);
      if (!parsed.ok) return reply.code(400).type('text/plain; charset=utf-8').send(`bad filter: ${parsed.field}\n`);
      const rows = await collect(deps, signed.agentId, parsed.filters);
      return reply.type(file.type).header('content-disposition', `attachment; filename="payments.${extension}"`)
        .send(await file.body(rows, signed.view.offsetMinutes));
    });
  }
  app.get<{ Params: { id: string } }>('/payments/:id', async (request, reply) => {
    const signed = await deps.page(request, reply, 'payments.read', 'payments');
    if (!signed) return reply;
    const payment = ID.test(request.params.id) ? await deps.services.payment(signed.agentId, BigInt(request.params.id)) : undefined;
    if (!payment) return deps.send(reply, 404, cabinetPage(signed.view, 'error', text(signed.view.lang, 'payment'), { message: text(signed.view.lang, 'err_not_found') }));
    return deps.send(reply, 200, cabinetPage(signed.view, 'payment', `${text(signed.view.lang, 'payment')} ${payment.transactionId}`, { p: payment }));
  });
}

async function collect(deps: CabinetDeps, agentId: bigint, filters: PaymentFilters): Promise<PaymentSummary[]> {
  const rows: PaymentSummary[] = [];
  let after: bigint | undefined;
  do {
    const page = await deps.services.searchPayments(agentId, filters, { ...(after !== undefined ? { after } : {}), limit: 200 });
    rows.push(...page.payments);
    after = page.nextAfter ?? undefined;
  } while (after !== undefined && rows.length < EXPORT_MAX_ROWS);
  return rows.slice(0, EXPORT_MAX_ROWS);
}

const REGISTRY_FILES: Record<'csv' | 'xlsx', { type: string; body: (rows: PaymentSummary[], offsetMinutes: number) => string | Promise<Buffer> }> = {
  csv: { type: 'text/csv; charset=utf-8', body: (rows, offsetMinutes) => toCsv([CSV_HEADER, ...rows.map((p) => csvRow(p, offsetMinutes))]) },
  xlsx: { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', body: (rows, offsetMinutes) => workbook(rows, offsetMinutes) },
};

const CSV_HEADER = ['transactionId', 'agentTransactionId', 'serviceId', 'account', 'amount', 'currency', 'state', 'resultCode', 'providerRef', 'createdAt', 'paidAt'];

/**
 * The agent's registry as a workbook for its own reconciliation: the CSV's columns; ids stay text (18 digits exact),
 * the amount is a number to the cent.
 */
async function workbook(rows: PaymentSummary[], offsetMinutes: number): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'Tolem';
  const sheet = book.addWorksheet('payments');
  sheet.columns = CSV_HEADER.map((header) => ({ header, key: header, width: header === 'amount' ? 14 : 22 }));
  sheet.getRow(1).font = { bold: true };
  const amountColumn = CSV_HEADER.indexOf('amount');
  for (const payment of rows) {
    const cells: (string | number | null)[] = csvRow(payment, offsetMinutes);
    cells[amountColumn] = payment.amountToMinor === null ? null : Number(formatAmount(payment.amountToMinor));
    sheet.addRow(cells).getCell(amountColumn + 1).numFmt = '0.00';
  }
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  return Buffer.from(await book.xlsx.writeBuffer());
}

function csvRow(p: PaymentSummary, offsetMinutes: number): string[] {
  return [
    p.transactionId.toString(), p.agentTransactionId.toString(), p.serviceId, p.account, p.amountToMinor === null ? '' : formatAmount(p.amountToMinor),
    p.currency, p.state, String(p.resultCode), p.providerRef ?? '', isoLocal(p.createdAt, offsetMinutes), p.paidAt ? isoLocal(p.paidAt, offsetMinutes) : '',
  ];
}
