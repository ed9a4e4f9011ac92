/**
 * The simulated providers' registry of a business day, read over HTTP as a stream: the fetch body goes through
 * csv-parse record by record and comes out in pages, so a day of a million lines costs one page of memory. Every
 * line is checked (columns, reference, amount); a line that is not one, a body over the bounds, a non-200 answer or a
 * connection cut mid-way all throw, and the engine stores the run as failed with that reason.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { parse } from 'csv-parse';
import { parseAmount } from '../../domain/money.ts';
import type { ProviderPaymentRecord } from '../../engine/reconcile.ts';
import { SANDBOX_REGISTRY_COLUMNS } from './codec.ts';

export interface RegistryLimits {
  /** Records per page handed to the engine. */
  pageSize: number;
  /** Bytes of one CSV line at most (a line past it is refused, not buffered without end). */
  maxLineBytes: number;
  /** Lines of one day at most. */
  maxLines: number;
  /** No byte for this long: the provider stalled. */
  idleMs: number;
}

export const REGISTRY_LIMITS: RegistryLimits = { pageSize: 1_000, maxLineBytes: 4_096, maxLines: 20_000_000, idleMs: 60_000 };

const REFERENCE = /^\d{1,18}$/;

/** The registry at `url` (…/sandbox/<name>/registry?day=D), page by page. */
export async function* readSimulatedRegistry(url: string, signal?: AbortSignal, limits: RegistryLimits = REGISTRY_LIMITS): AsyncIterable<ProviderPaymentRecord[]> {
  const idle = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/csv' }, signal: signal ? AbortSignal.any([signal, idle.signal]) : idle.signal });
  if (response.status !== 200 || !response.body) throw new Error(`registry answered HTTP ${response.status}${await refusal(response)}`);
  if (!/^text\/csv\b/i.test(response.headers.get('content-type') ?? '')) throw new Error(`registry answered ${response.headers.get('content-type') ?? 'no content type'}, not text/csv`);
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  let timer = setTimeout(() => idle.abort(new Error('the registry stalled')), limits.idleMs);
  body.on('data', () => { clearTimeout(timer); timer = setTimeout(() => idle.abort(new Error(`the registry stalled (no byte for ${limits.idleMs} ms)`)), limits.idleMs); });
  const parser = body.pipe(parse({
    columns: (header: string[]) => checkHeader(header), max_record_size: limits.maxLineBytes, skip_empty_lines: true, relax_column_count: false,
  }));
  body.on('error', (error) => parser.destroy(error));
  let page: ProviderPaymentRecord[] = [];
  let lines = 0;
  try {
    for await (const row of parser as AsyncIterable<Record<string, string>>) {
      lines += 1;
      if (lines > limits.maxLines) throw new Error(`registry has more than ${limits.maxLines} lines`);
      page.push(toRecord(row));
      if (page.length >= limits.pageSize) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  } catch (error) {
    throw new Error(`registry line ${lines + 1}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(timer);
    body.destroy();
  }
}

/** The provider's refusal as its own words (a JSON error), or nothing. */
async function refusal(response: Response): Promise<string> {
  try {
    const text = (await response.text()).slice(0, 500);
    const message = (JSON.parse(text) as { message?: unknown }).message;
    return typeof message === 'string' ? `: ${message}` : '';
  } catch {
    return '';
  }
}

function checkHeader(header: string[]): string[] {
  if (header.join(',') !== SANDBOX_REGISTRY_COLUMNS.join(',')) throw new Error(`header is "${header.join(',').slice(0, 200)}", expected "${SANDBOX_REGISTRY_COLUMNS.join(',')}"`);
  return header;
}

function toRecord(row: Record<string, string>): ProviderPaymentRecord {
  const reference = row.reference ?? '';
  if (!REFERENCE.test(reference)) throw new Error(`reference "${reference.slice(0, 40)}" is not a transaction id`);
  const amount = parseAmount(row.amount ?? '', 2, { allowZero: true });
  if (!amount.ok) throw new Error(`amount "${(row.amount ?? '').slice(0, 40)}" is not an amount (${amount.error})`);
  return {
    reference, providerRef: row.provider_ref ?? '', amountMinor: amount.minor,
    ...(row.account ? { account: row.account } : {}), ...(row.paid_at ? { at: row.paid_at } : {}),
  };
}
