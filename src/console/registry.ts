import ExcelJS from 'exceljs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { formatAmount } from '../domain/money.ts';
import { isoLocal } from '../domain/time.ts';
import type { RegistryLine } from '../engine/console-queries.ts';
import { dayStart } from '../engine/payment-filters.ts';
import { toCsv } from '../web/csv.ts';
import { consolePage, text } from './page.ts';
import type { ConsoleDeps, Signed } from './routes.ts';

const HEADER = ['transactionId', 'agentId', 'agentTransactionId', 'serviceId', 'account', 'amount', 'currency', 'providerRef', 'paidAt', 'statusAt'];
const PREVIEW_LINES = 50;

type Period = { provider: string; from: Date; to: Date; fromText: string; toText: string };

/**
 * Registries: a provider's succeeded payments of a period, on the page and as XLSX (exceljs) or CSV files that open
 * in a spreadsheet. Ids, accounts and references are text cells (18 digits survive, leading zeros too); the amount is
 * a number cell with two decimals, so that a column sums.
 */
export function registerRegistry(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/registry', async (request, reply) => {
    const signed = await deps.page(request, reply, 'payments.read', 'registry');
    if (!signed) return reply;
    const providers = await deps.services.providers();
    const period = periodOf(signed, providers);
    const registry = period ? await deps.services.registry(period.provider, period.from, period.to) : undefined;
    const query = period ? new URLSearchParams({ provider: period.provider, from: period.fromText, to: period.toText }).toString() : '';
    const total = registry?.lines.reduce((sum, line) => sum + (line.amountToMinor ?? 0n), 0n);
    const data = { providers, form: signed.query, registry, preview: registry?.lines.slice(0, PREVIEW_LINES), total, query };
    return deps.send(reply, 200, consolePage(signed.view, 'registry', text(signed.view.lang, 'nav_registry'), data));
  });
  app.get('/registry.xlsx', (request, reply) => download(deps, request, reply, 'xlsx'));
  app.get('/registry.csv', (request, reply) => download(deps, request, reply, 'csv'));
}

function periodOf(signed: Signed, providers: string[]): Period | undefined {
  const provider = signed.query['provider'] ?? '';
  const fromText = signed.query['from'] ?? '';
  const toText = signed.query['to'] ?? '';
  const from = dayStart(fromText, signed.view.offsetMinutes, false);
  const to = dayStart(toText, signed.view.offsetMinutes, true);
  if (!providers.includes(provider) || !from || !to || to <= from) return undefined;
  return { provider, from, to, fromText, toText };
}

async function download(deps: ConsoleDeps, request: Parameters<ConsoleDeps['page']>[0], reply: FastifyReply, kind: 'xlsx' | 'csv'): Promise<FastifyReply> {
  const signed = await deps.page(request, reply, 'payments.read');
  if (!signed) return reply;
  const period = periodOf(signed, await deps.services.providers());
  if (!period) return reply.code(400).type('text/plain; charset=utf-8').send('choose a provider and a period\n');
  const { lines } = await deps.services.registry(period.provider, period.from, period.to);
  const name = `registry-${period.provider}-${period.fromText}-${period.toText}.${kind}`;
  const offset = signed.view.offsetMinutes;
  reply.header('content-disposition', `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`);
  if (kind === 'csv') return reply.type('text/csv; charset=utf-8').send(toCsv([HEADER, ...lines.map((line) => csvLine(line, offset))]));
  return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(await workbook(period, lines, offset));
}

function csvLine(line: RegistryLine, offsetMinutes: number): string[] {
  return [
    line.transactionId.toString(), line.agentId.toString(), line.agentTransactionId.toString(), line.serviceId, line.account,
    line.amountToMinor === null ? '' : formatAmount(line.amountToMinor), line.currency, line.providerRef ?? '',
    line.paidAt ? isoLocal(line.paidAt, offsetMinutes) : '', isoLocal(line.statusAt, offsetMinutes),
  ];
}

async function workbook(period: Period, lines: RegistryLine[], offsetMinutes: number): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'Tolem';
  const sheet = book.addWorksheet(period.provider.slice(0, 31));
  sheet.columns = HEADER.map((header) => ({ header, key: header, width: header === 'amount' ? 14 : 22 }));
  sheet.getRow(1).font = { bold: true };
  for (const line of lines) {
    const cells = csvLine(line, offsetMinutes);
    // A decimal text of two places read as a number is that number to the cent (well below 2^53 minor units).
    const row = sheet.addRow([...cells.slice(0, 5), line.amountToMinor === null ? null : Number(formatAmount(line.amountToMinor)), ...cells.slice(6)]);
    row.getCell(6).numFmt = '0.00';
  }
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  return Buffer.from(await book.xlsx.writeBuffer());
}
