import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.ts';
import { maskBody, maskHeaders, maskUrl } from '../domain/masking.ts';
import type { Queryable } from '../store/db.ts';

/**
 * The record of every message exchanged with a partner about a payment, for the operator's timeline (issue 10):
 * requests and answers as sent and received, secrets masked (domain/masking.ts), each body cut at 64 KiB.
 *
 * The engine says which payment a partner call belongs to by running the call inside `around`; the adapters do not
 * know. How the messages are seen is a port (`ExchangeCapture`), which app.ts fills with the HTTP client's capture
 * (http/exchange-journal.ts), so that the engine never imports the transport.
 *
 * A record never fails or slows a payment: it is written after the call, in the background, and a write that fails
 * is logged and dropped. Rows are written in batches (one INSERT of up to EXCHANGE_BATCH rows, one at a time), so that
 * under load the journal costs one round trip for many payments instead of two per request; at most
 * EXCHANGE_QUEUE_LIMIT rows wait, beyond which new ones are dropped and counted in the log. `idle()` waits for the
 * writes in flight (a shutdown, a test reading them back).
 */

/** One HTTP exchange as the transport saw it, unmasked (the engine masks it before it is stored). */
export interface OutboundExchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string | Uint8Array | undefined;
  outcome: ExchangeOutcome;
  responseStatus: number | undefined;
  responseHeaders: Record<string, string>;
  responseBody: Uint8Array | undefined;
  /** The transport kept only the start of a huge answer. */
  responseTruncated: boolean;
  error: string | undefined;
  durationMs: number;
}

export type ExchangeOutcome = 'response' | 'timeout' | 'network' | 'too_large';

/** The port: runs a call and says what HTTP exchanges it made. */
export interface ExchangeCapture {
  capture<T>(call: () => Promise<T>): Promise<{ value: T; exchanges: OutboundExchange[] }>;
}

/** What a partner call was for: the payment (and checkout order) it belongs to, the partner, the operation. */
export interface ExchangeLink {
  paymentId: bigint | null;
  orderId?: bigint | null;
  /** The provider route (alseco, sandbox-mobile) or the acquirer (assist, elsom). */
  partner: string;
  /** check, pay, status, cancel; start, capture, release. */
  operation: string;
}

/** A request a partner made to us and our answer (the agent API, the Elsom biller gateway). */
export interface InboundExchange {
  paymentId: bigint | null;
  partner: string;
  operation: string;
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string | Uint8Array | undefined;
  responseStatus: number;
  responseHeaders: Record<string, string>;
  responseBody: string | Uint8Array | undefined;
  durationMs: number;
}

/** The most of one body kept: enough for every message of our partners; a bigger one is cut and flagged. */
export const EXCHANGE_BODY_LIMIT = 64 * 1024;
/** Rows per INSERT (18 parameters each, far below PostgreSQL's 65,535). */
export const EXCHANGE_BATCH = 200;
/** Rows waiting to be written at most; a store that cannot keep up must not exhaust our memory. */
export const EXCHANGE_QUEUE_LIMIT = 20_000;

export class ExchangeJournal {
  private readonly queue: ExchangeRow[] = [];
  private preparing = 0;
  private flushing: Promise<void> | null = null;
  private dropped = 0;

  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly transport?: ExchangeCapture,
  ) {}

  /** Runs a partner call for a known payment (or none) and records its exchanges once it has returned. */
  async around<T>(link: ExchangeLink, call: () => Promise<T>): Promise<T> {
    const { value, exchanges } = await this.capture(call);
    this.write(link, exchanges);
    return value;
  }

  /** Runs a call and says what it exchanged (nothing, when no transport capture is wired). */
  async capture<T>(call: () => Promise<T>): Promise<{ value: T; exchanges: OutboundExchange[] }> {
    return this.transport ? this.transport.capture(call) : { value: await call(), exchanges: [] };
  }

  /** For calls made before the payment row exists (a check): their exchanges wait for `attach`. */
  held(): HeldExchanges {
    return new HeldExchanges(this);
  }

  /** Records an outbound call's exchanges in the background. */
  write(link: ExchangeLink, exchanges: readonly OutboundExchange[]): void {
    if (exchanges.length === 0) return;
    const endedAt = this.clock.now().getTime();
    this.background(() => exchanges.map((exchange) => outboundRow(link, exchange, endedAt)));
  }

  /** Records a request a partner made to us and our answer, in the background. */
  recordInbound(exchange: InboundExchange): void {
    const endedAt = this.clock.now().getTime();
    this.background(() => [inboundRow(exchange, endedAt)]);
  }

  /** Resolves when every write started so far has ended (written or logged as failed). */
  async idle(): Promise<void> {
    while (this.preparing > 0 || this.flushing || this.queue.length > 0) {
      await (this.flushing ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  /** Masking starts only once the call's caller has gone on (the next turn of the event loop); then the rows queue. */
  private background(rows: () => ExchangeRow[]): void {
    this.preparing++;
    setImmediate(() => {
      try {
        this.enqueue(rows());
      } catch (error) {
        this.log.error({ err: error }, 'partner exchange not recorded');
      } finally {
        this.preparing--;
        this.flushSoon();
      }
    });
  }

  private enqueue(rows: ExchangeRow[]): void {
    if (this.queue.length + rows.length > EXCHANGE_QUEUE_LIMIT) {
      if (this.dropped++ % 1_000 === 0) this.log.error({ dropped: this.dropped }, 'partner exchanges dropped: the journal queue is full');
      return;
    }
    this.queue.push(...rows);
  }

  /** A batch in one INSERT; if that fails, row by row, so that one bad row (its payment gone) costs only itself. */
  private async insertBatch(batch: ExchangeRow[]): Promise<void> {
    try {
      await insertExchanges(this.db, batch);
      return;
    } catch (error) {
      if (batch.length === 1) {
        this.log.error({ err: error }, 'partner exchange not recorded');
        return;
      }
    }
    for (const row of batch) {
      await insertExchanges(this.db, [row]).catch((error: unknown) => this.log.error({ err: error }, 'partner exchange not recorded'));
    }
  }

  /** One batch at a time; the rows that queued meanwhile go in the next one. */
  private flushSoon(): void {
    if (this.flushing || this.queue.length === 0) return;
    const batch = this.queue.splice(0, EXCHANGE_BATCH);
    this.flushing = this.insertBatch(batch)
      .finally(() => {
        this.flushing = null;
        this.flushSoon();
      });
  }
}

/** Exchanges of calls made before their payment is stored; `attach` writes them once its id is known (or none). */
export class HeldExchanges {
  private readonly held: { link: ExchangeLink; exchanges: OutboundExchange[] }[] = [];

  constructor(private readonly journal: ExchangeJournal) {}

  async around<T>(partner: string, operation: string, call: () => Promise<T>): Promise<T> {
    const { value, exchanges } = await this.journal.capture(call);
    this.held.push({ link: { paymentId: null, partner, operation }, exchanges });
    return value;
  }

  attach(paymentId: bigint | null): void {
    for (const { link, exchanges } of this.held.splice(0)) this.journal.write({ ...link, paymentId }, exchanges);
  }
}

// ---------------------------------------------------------------- rows

interface ExchangeRow {
  paymentId: bigint | null;
  orderId: bigint | null;
  partner: string;
  direction: 'outbound' | 'inbound';
  operation: string;
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: StoredBody;
  outcome: ExchangeOutcome;
  responseStatus: number | null;
  responseHeaders: Record<string, string>;
  responseBody: StoredBody;
  error: string | null;
  startedAt: Date;
  durationMs: number;
}

interface StoredBody {
  text: string | null;
  truncated: boolean;
}

function outboundRow(link: ExchangeLink, exchange: OutboundExchange, endedAtMs: number): ExchangeRow {
  const response = storedBody(exchange.responseBody, exchange.responseHeaders);
  return {
    paymentId: link.paymentId, orderId: link.orderId ?? null, partner: link.partner, direction: 'outbound', operation: link.operation,
    method: exchange.method, url: maskUrl(exchange.url),
    requestHeaders: maskHeaders(exchange.requestHeaders), requestBody: storedBody(exchange.requestBody, exchange.requestHeaders),
    outcome: exchange.outcome, responseStatus: exchange.responseStatus ?? null,
    responseHeaders: maskHeaders(exchange.responseHeaders),
    responseBody: { text: response.text, truncated: response.truncated || exchange.responseTruncated },
    error: exchange.error ? maskBody(exchange.error).slice(0, 500) : null,
    startedAt: new Date(endedAtMs - exchange.durationMs), durationMs: Math.round(exchange.durationMs),
  };
}

function inboundRow(exchange: InboundExchange, endedAtMs: number): ExchangeRow {
  return {
    paymentId: exchange.paymentId, orderId: null, partner: exchange.partner, direction: 'inbound', operation: exchange.operation,
    method: exchange.method, url: maskUrl(exchange.url),
    requestHeaders: maskHeaders(exchange.requestHeaders), requestBody: storedBody(exchange.requestBody, exchange.requestHeaders),
    outcome: 'response', responseStatus: exchange.responseStatus,
    responseHeaders: maskHeaders(exchange.responseHeaders), responseBody: storedBody(exchange.responseBody, exchange.responseHeaders),
    error: null, startedAt: new Date(endedAtMs - exchange.durationMs), durationMs: Math.round(exchange.durationMs),
  };
}

/** A body as text in its own charset, masked whole and only then cut (a cut must never split a secret out of reach). */
function storedBody(body: string | Uint8Array | undefined, headers: Record<string, string>): StoredBody {
  if (body === undefined) return { text: null, truncated: false };
  const text = maskBody(typeof body === 'string' ? body : decodeBody(body, headers)).replace(/\u0000/g, '\\0');
  return text.length > EXCHANGE_BODY_LIMIT ? { text: text.slice(0, EXCHANGE_BODY_LIMIT), truncated: true } : { text, truncated: false };
}

/** The charset the message names (Content-Type, then the XML declaration), UTF-8 otherwise; never throws. */
function decodeBody(bytes: Uint8Array, headers: Record<string, string>): string {
  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 200));
  const label = /charset\s*=\s*"?([\w-]+)/i.exec(contentType)?.[1] ?? /<\?xml[^>]*encoding\s*=\s*["']([\w-]+)["']/i.exec(head)?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

const EXCHANGE_COLUMNS = 18;

async function insertExchanges(q: Queryable, rows: readonly ExchangeRow[]): Promise<void> {
  const values = rows.map((_, r) => `(${Array.from({ length: EXCHANGE_COLUMNS }, (_, c) => `$${r * EXCHANGE_COLUMNS + c + 1}`).join(', ')})`);
  await q.query(
    `INSERT INTO partner_exchanges (payment_id, order_id, partner, direction, operation, method, url, request_headers, request_body,
                                    request_truncated, outcome, response_status, response_headers, response_body, response_truncated,
                                    error, started_at, duration_ms)
     VALUES ${values.join(', ')}`,
    rows.flatMap((row) => [row.paymentId, row.orderId, row.partner, row.direction, row.operation, row.method, row.url, JSON.stringify(row.requestHeaders),
      row.requestBody.text, row.requestBody.truncated, row.outcome, row.responseStatus, JSON.stringify(row.responseHeaders),
      row.responseBody.text, row.responseBody.truncated, row.error, row.startedAt, row.durationMs]),
  );
}

// ---------------------------------------------------------------- reading

/** One recorded exchange as an operator reads it; ids are decimal strings (exact in any JSON). */
export interface ExchangeView {
  id: string;
  paymentId: string | null;
  orderId: string | null;
  partner: string;
  direction: 'outbound' | 'inbound';
  operation: string;
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string | null;
  requestTruncated: boolean;
  outcome: ExchangeOutcome;
  responseStatus: number | null;
  responseHeaders: Record<string, string>;
  responseBody: string | null;
  responseTruncated: boolean;
  error: string | null;
  startedAt: Date;
  durationMs: number;
}

interface ExchangeDbRow {
  id: bigint; payment_id: bigint | null; order_id: bigint | null; partner: string; direction: 'outbound' | 'inbound'; operation: string;
  method: string; url: string; request_headers: Record<string, string>; request_body: string | null; request_truncated: boolean;
  outcome: ExchangeOutcome; response_status: number | null; response_headers: Record<string, string>; response_body: string | null;
  response_truncated: boolean; error: string | null; started_at: Date; duration_ms: number;
}

/** The exchanges of a payment, or of a checkout order, oldest first (at most `limit`, 500 by default). */
export async function listExchanges(
  q: Queryable, filter: { paymentId: bigint } | { orderId: bigint }, limit = 500,
): Promise<ExchangeView[]> {
  const [column, id] = 'paymentId' in filter ? ['payment_id', filter.paymentId] : ['order_id', filter.orderId];
  const result = await q.query<ExchangeDbRow>(
    `SELECT * FROM partner_exchanges WHERE ${column} = $1 ORDER BY started_at, id LIMIT $2`, [id, Math.max(1, Math.min(limit, 5_000))]);
  return result.rows.map(exchangeView);
}

function exchangeView(row: ExchangeDbRow): ExchangeView {
  return {
    id: row.id.toString(), paymentId: row.payment_id?.toString() ?? null, orderId: row.order_id?.toString() ?? null,
    partner: row.partner, direction: row.direction, operation: row.operation, method: row.method, url: row.url,
    requestHeaders: row.request_headers, requestBody: row.request_body, requestTruncated: row.request_truncated,
    outcome: row.outcome, responseStatus: row.response_status, responseHeaders: row.response_headers,
    responseBody: row.response_body, responseTruncated: row.response_truncated, error: row.error,
    startedAt: row.started_at, durationMs: row.duration_ms,
  };
}
