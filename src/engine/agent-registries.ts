/**
 * Agents' registries: the books of a business day an agent (a bank, a wallet) keeps itself and hands in as CSV,
 * through the admin API or its cabinet, for the three-way reconciliation (Tolem ⇄ provider ⇄ agent), which reads what
 * is stored here (latest upload of an agent and day wins; earlier ones stay for the audit trail).
 *
 * The file is read as a stream (csv-parse record by record) and stored in one transaction in batches of a thousand
 * lines, so a file of a million lines never sits in memory and is stored whole or not at all. Every line is checked;
 * the first bad one refuses the file with its line number and the reason (docs/reconciliation.md, "Agents'
 * registries"). Lines are stored as listed: a repeated agentTransactionId is kept, the reconciliation reports it.
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { parse, type Parser } from 'csv-parse';
import type { Clock } from '../domain/clock.ts';
import { CURRENCY_SCALE, isCurrencyCode, parseAmount, type AmountParseError } from '../domain/money.ts';
import type { Db, Queryable } from '../store/db.ts';
import { findAgent, type Agent } from './agents.ts';
import { appendAudit } from './audit.ts';
import { ServiceError } from './errors.ts';
import { LOCAL_ACTOR, type Actor } from './sessions.ts';

export interface AgentRegistry {
  id: bigint;
  agentId: bigint;
  day: string;
  source: 'admin_api' | 'cabinet';
  uploadedBy: string;
  uploadedAt: Date;
  lineCount: number;
  totalMinor: bigint;
  sha256: string;
}

export interface AgentRegistryLimits {
  /** Bytes of one file at most (the admin route's body limit is the same). */
  maxBytes: number;
  /** Lines after the header at most, skipped ones included. */
  maxLines: number;
  /** Bytes of one line (record) at most: a line past it is refused, never buffered without end. */
  maxLineBytes: number;
  /** Lines per INSERT. */
  batchLines: number;
}

export const AGENT_REGISTRY_LIMITS: AgentRegistryLimits = { maxBytes: 256 * 1024 * 1024, maxLines: 2_000_000, maxLineBytes: 4_096, batchLines: 1_000 };

export interface StoreAgentRegistryInput {
  agentId: bigint;
  /** The business day, YYYY-MM-DD. */
  day: string;
  source: AgentRegistry['source'];
  uploadedBy: string;
  /** The file's bytes as uploaded (a Readable is one). */
  body: AsyncIterable<Buffer | string>;
  /** Who the audit entry names; unset: the local administrator. */
  actor?: Actor;
}

const ID = /^\d{1,18}$/;
const REQUIRED_COLUMNS = ['agentTransactionId', 'amount'] as const;
const KNOWN_COLUMNS = new Set(['agentTransactionId', 'amount', 'transactionId', 'serviceId', 'account', 'currency', 'state', 'paidAt']);

/** What a line's `state` says: paid, listed as not paid, or not a payment at all (a check: the line is skipped). */
type LineState = 'paid' | 'unpaid' | 'skip';
const STATES: Record<string, LineState> = {
  '': 'paid', succeeded: 'paid', paid: 'paid', accepted: 'paid', waiting: 'paid',
  failed: 'unpaid', cancelled: 'unpaid',
  checked: 'skip', check_failed: 'skip',
};

/** One stored line, as the batch's JSON carries it (bigints as text). */
type StoredLine = [lineNo: number, agentTxnId: string, transactionId: string | null, serviceId: string | null, account: string | null, amountMinor: string, paid: boolean, paidAt: string | null];

/** A refusal of the file: the line (the file's own numbering, the header is line 1) and why. */
class RegistryRefusal extends Error {}

function refuse(line: number, why: string): never {
  throw new RegistryRefusal(`line ${line}: ${why}`);
}

/** A field as a message quotes it: cut short, so a refusal never carries a whole line back. */
function quoted(value: string): string {
  return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
}

/** A business day is a real date, YYYY-MM-DD (Date.parse would roll 30 February into March). */
export function checkBusinessDay(day: string): string {
  const at = Date.parse(`${day}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== day) {
    throw new ServiceError('invalid', 'bad_day', 'a business day is a date, YYYY-MM-DD');
  }
  return day;
}

/**
 * Stores an agent's registry of a day: checked line by line, stored whole in one transaction, audited
 * (`agent_registry.upload`, with the figures, never the lines). A bad file: ServiceError('invalid') with the line's
 * message, and nothing stored; an unknown agent: 'not_found'.
 */
export async function storeAgentRegistry(db: Db, input: StoreAgentRegistryInput, clock: Clock, limits: AgentRegistryLimits = AGENT_REGISTRY_LIMITS): Promise<AgentRegistry> {
  checkBusinessDay(input.day);
  const agent = await findAgent(db, input.agentId);
  if (!agent) throw new ServiceError('not_found', 'agent_not_found', `agent ${input.agentId} not found`);
  const hash = createHash('sha256');
  const source = Readable.from(metered(input.body, hash, limits.maxBytes));
  try {
    return await db.tx(async (q) => {
      const superseded = await latestAgentRegistry(q, input.agentId, input.day);
      const id = await insertRegistry(q, input, clock);
      const figures = await storeLines(q, id, source, agent, limits);
      const registry = await finishRegistry(q, id, figures, hash.digest('hex'));
      await appendAudit(q, input.actor ?? LOCAL_ACTOR, {
        action: 'agent_registry.upload', targetKind: 'agent_registry', targetId: id,
        after: {
          agentId: registry.agentId, day: registry.day, source: registry.source, lineCount: registry.lineCount, totalMinor: registry.totalMinor,
          sha256: registry.sha256, supersedes: superseded?.id ?? null,
        },
      }, clock);
      return registry;
    });
  } catch (error) {
    if (error instanceof RegistryRefusal) throw new ServiceError('invalid', 'bad_registry', error.message);
    throw error;
  } finally {
    source.destroy();
  }
}

/**
 * The body as text as it passes: its bytes hashed and counted (a body past the limit is refused as it grows, never
 * kept), and decoded as strict UTF-8 — a file saved in another charset (windows-1251) is refused at its first bad
 * byte, never read with replacement characters in its accounts.
 */
async function* metered(body: AsyncIterable<Buffer | string>, hash: Hash, maxBytes: number): AsyncIterable<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  let lines = 1;
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    bytes += buffer.length;
    if (bytes > maxBytes) throw new RegistryRefusal(`the file is larger than ${maxBytes} bytes`);
    hash.update(buffer);
    let text: string;
    try {
      text = decoder.decode(buffer, { stream: true });
    } catch {
      const before = new TextDecoder('utf-8').decode(buffer).split('\uFFFD')[0] ?? '';
      refuse(lines + countLines(before), 'the file is not UTF-8 text (save it as "CSV UTF-8")');
    }
    lines += countLines(text);
    yield text;
  }
  try {
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch {
    refuse(lines, 'the file is not UTF-8 text: it ends inside a character');
  }
}

function countLines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count += 1;
  return count;
}

async function insertRegistry(q: Queryable, input: StoreAgentRegistryInput, clock: Clock): Promise<bigint> {
  const inserted = await q.query<{ id: bigint }>(
    `INSERT INTO agent_registries (agent_id, business_day, source, uploaded_by, uploaded_at, line_count, total_minor, sha256)
     VALUES ($1, $2, $3, $4, $5, 0, 0, '') RETURNING id`,
    [input.agentId, input.day, input.source, input.uploadedBy.slice(0, 200), clock.now()],
  );
  return inserted.rows[0]!.id;
}

async function finishRegistry(q: Queryable, id: bigint, figures: { lineCount: number; totalMinor: bigint }, sha256: string): Promise<AgentRegistry> {
  const updated = await q.query<RegistryRow>(
    `UPDATE agent_registries SET line_count = $2, total_minor = $3, sha256 = $4 WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, figures.lineCount, figures.totalMinor, sha256],
  );
  return toRegistry(updated.rows[0]!);
}

/**
 * The file's CSV parser: BOM dropped, fields trimmed, a line's size bounded. Records come as arrays (the header is the
 * first, read by position afterwards), without csv-parse's per-record `info` objects, and empty lines come through as
 * one empty field: storeLines counts the file's lines itself (a record, plus the line breaks inside its quoted
 * fields) and checks each line's field count against the header. Measured on a million lines (bench recon3's
 * registry, in one process): objects keyed by column name and `info` wrappers grew the process by 80 MB and took
 * 15.7 s; arrays without them, 49 MB and 13.8 s.
 */
function csvParser(limits: AgentRegistryLimits): Parser {
  return parse({ bom: true, trim: true, skip_empty_lines: false, relax_column_count: true, max_record_size: limits.maxLineBytes });
}

/** Line breaks inside a record's quoted fields: the file lines it spans beyond its first. */
function innerLineBreaks(fields: string[]): number {
  let breaks = 0;
  for (const value of fields) if (value.includes('\n')) breaks += value.split('\n').length - 1;
  return breaks;
}

const isEmptyLine = (fields: string[]) => fields.length === 1 && fields[0] === '';

/** Where each known column is in a line (the header's positions). */
type Positions = Partial<Record<string, number>>;
const field = (fields: string[], at: Positions, name: string): string | undefined => {
  const index = at[name];
  return index === undefined ? undefined : fields[index];
};

function checkHeader(header: string[]): Positions {
  const seen = new Set<string>();
  for (const name of header) {
    if (KNOWN_COLUMNS.has(name) && seen.has(name)) refuse(1, `the header names ${quoted(name)} twice`);
    seen.add(name);
  }
  const missing = REQUIRED_COLUMNS.filter((name) => !seen.has(name));
  if (missing.length) refuse(1, `the header has no ${missing.join(', ')} column (it reads ${quoted(header.join(','))})`);
  return Object.fromEntries(header.map((name, index) => [name, index] as const).filter(([name]) => KNOWN_COLUMNS.has(name)));
}

/** Every line of the file through the parser, stored a batch at a time; answers the figures of what was stored. */
async function storeLines(q: Queryable, registryId: bigint, source: Readable, agent: Agent, limits: AgentRegistryLimits): Promise<{ lineCount: number; totalMinor: bigint }> {
  let positions: Positions | undefined;
  const parser = csvParser(limits);
  source.on('error', (error) => parser.destroy(error));
  // Line breaks read so far: a bound for the line a parser error names (see asRefusal).
  const read = { breaks: 0 };
  source.on('data', (chunk: Buffer | string) => (read.breaks += lineBreaks(chunk)));
  source.pipe(parser);
  let batch: StoredLine[] = [];
  let lineCount = 0;
  let totalMinor = 0n;
  // The file's line a record ends on (the header is line 1), and the records after the header (empty lines aside).
  let lastLine = 0;
  let stored = 0;
  let width = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      lastLine += 1 + innerLineBreaks(record);
      if (isEmptyLine(record)) continue;
      if (!positions) {
        positions = checkHeader(record);
        width = record.length;
        continue;
      }
      if (record.length !== width) refuse(lastLine, 'the line has another number of fields than the header');
      stored += 1;
      if (stored > limits.maxLines) refuse(lastLine, `the file has more than ${limits.maxLines} lines`);
      const line = checkLine(record, positions, lastLine, stored, agent);
      if (!line) continue;
      batch.push(line);
      lineCount += 1;
      totalMinor += BigInt(line[5]);
      if (batch.length >= limits.batchLines) {
        await insertLines(q, registryId, batch);
        batch = [];
      }
    }
  } catch (error) {
    throw asRefusal(error, { from: lastLine + 1, to: read.breaks + 1 }, limits);
  }
  if (!positions) refuse(1, 'the file is empty (a header line is required)');
  if (batch.length) await insertLines(q, registryId, batch);
  return { lineCount, totalMinor };
}

/** The parser's own refusals (a line too long, a wrong field count, a broken quote) as a refusal of their line. */
function asRefusal(error: unknown, lines: { from: number; to: number }, limits: AgentRegistryLimits): unknown {
  if (error instanceof RegistryRefusal) return error;
  const parserError = error as { code?: unknown; lines?: unknown; message?: unknown };
  if (typeof parserError.code === 'string' && parserError.code.startsWith('CSV_')) {
    // csv-parse's own count, kept within what was read: after the last record taken, before the last line break read
    // plus one (its count runs past the file's end in an unclosed quote over CRLF lines: the fuzz test found it).
    const said = typeof parserError.lines === 'number' ? parserError.lines : lines.from;
    const line = Math.max(lines.from, Math.min(said, lines.to));
    return new RegistryRefusal(`line ${line}: ${csvProblem(parserError.code, String(parserError.message), limits)}`);
  }
  return error;
}

function lineBreaks(chunk: Buffer | string): number {
  let breaks = 0;
  for (let at = chunk.indexOf('\n'); at !== -1; at = chunk.indexOf('\n', at + 1)) breaks += 1;
  return breaks;
}

/** csv-parse's codes in our words (its messages name its options, which a person uploading a file never set). */
function csvProblem(code: string, message: string, limits: AgentRegistryLimits): string {
  switch (code) {
    case 'CSV_MAX_RECORD_SIZE': return `the line is longer than ${limits.maxLineBytes} bytes`;
    case 'CSV_RECORD_INCONSISTENT_COLUMNS': case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': return 'the line has another number of fields than the header';
    case 'CSV_QUOTE_NOT_CLOSED': return 'a quoted field is not closed';
    case 'CSV_INVALID_CLOSING_QUOTE': case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE': return 'a character follows a closing quote';
    default: return `not CSV (${message.replace(/\s+/g, ' ').slice(0, 120)})`;
  }
}

/**
 * One line checked: what is stored of it, or undefined for a line that is not a payment (a check). `line` is the
 * file's line (messages), `lineNo` the record's number after the header (stored).
 */
function checkLine(fields: string[], at: Positions, line: number, lineNo: number, agent: Agent): StoredLine | undefined {
  const record = { state: field(fields, at, 'state'), agentTransactionId: field(fields, at, 'agentTransactionId'), transactionId: field(fields, at, 'transactionId'),
    currency: field(fields, at, 'currency'), amount: field(fields, at, 'amount'), serviceId: field(fields, at, 'serviceId'), account: field(fields, at, 'account'),
    paidAt: field(fields, at, 'paidAt') };
  const stateText = (record.state ?? '').toLowerCase();
  const state = Object.hasOwn(STATES, stateText) ? STATES[stateText] : undefined;
  if (!state) refuse(line, `state ${quoted(record.state ?? '')} is not one of ${Object.keys(STATES).filter(Boolean).join(', ')} (or empty)`);
  if (state === 'skip') return undefined;
  const agentTxnId = record.agentTransactionId ?? '';
  if (!ID.test(agentTxnId)) refuse(line, `agentTransactionId ${quoted(agentTxnId)} is not 1-18 digits`);
  const transactionId = record.transactionId ?? '';
  if (transactionId !== '' && !ID.test(transactionId)) refuse(line, `transactionId ${quoted(transactionId)} is not 1-18 digits`);
  const currency = record.currency ?? '';
  if (currency !== '' && currency !== agent.currency) refuse(line, `currency ${quoted(currency)} is not the agent's ${agent.currency}`);
  const scale = isCurrencyCode(agent.currency) ? CURRENCY_SCALE[agent.currency] : 2;
  const amount = parseAmount(record.amount ?? '', scale);
  if (!amount.ok) refuse(line, `amount ${quoted(record.amount ?? '')} is not an amount (${amountProblem(amount.error, scale)})`);
  const optional = (value: string | undefined) => (value === undefined || value === '' ? null : value);
  return [lineNo, BigInt(agentTxnId).toString(), transactionId === '' ? null : BigInt(transactionId).toString(), optional(record.serviceId),
    optional(record.account), amount.minor.toString(), state === 'paid', optional(record.paidAt)];
}

function amountProblem(error: AmountParseError, scale: number): string {
  switch (error) {
    case 'not_a_decimal': return 'digits with a point, e.g. 1500.00';
    case 'too_many_decimals': return `${scale} fraction digits at most`;
    case 'not_positive': return 'it must be above zero';
    case 'too_large': return 'too large';
  }
}

async function insertLines(q: Queryable, registryId: bigint, lines: StoredLine[]): Promise<void> {
  // One JSON text per batch (as reconcile.ts stages a provider's registry): a thousand lines, one statement.
  await q.query(
    `INSERT INTO agent_registry_lines (registry_id, line_no, agent_txn_id, transaction_id, service_id, account, amount_minor, paid, paid_at)
     SELECT $1::int8, (e ->> 0)::int4, (e ->> 1)::int8, (e ->> 2)::int8, e ->> 3, e ->> 4, (e ->> 5)::int8, (e ->> 6)::boolean, e ->> 7
       FROM json_array_elements($2::json) AS listed(e)`,
    [registryId, JSON.stringify(lines)],
  );
}

const COLUMNS = 'id, agent_id, business_day::text AS business_day, source, uploaded_by, uploaded_at, line_count, total_minor, sha256';

interface RegistryRow {
  id: bigint; agent_id: bigint; business_day: string; source: AgentRegistry['source']; uploaded_by: string; uploaded_at: Date;
  line_count: number; total_minor: bigint; sha256: string;
}

function toRegistry(row: RegistryRow): AgentRegistry {
  return {
    id: row.id, agentId: row.agent_id, day: row.business_day, source: row.source, uploadedBy: row.uploaded_by, uploadedAt: row.uploaded_at,
    lineCount: Number(row.line_count), totalMinor: row.total_minor, sha256: row.sha256,
  };
}

/** The registry of an agent and day that counts: the latest upload. */
export async function latestAgentRegistry(q: Queryable, agentId: bigint, day: string): Promise<AgentRegistry | undefined> {
  const found = await q.query<RegistryRow>(`SELECT ${COLUMNS} FROM agent_registries WHERE agent_id = $1 AND business_day = $2 ORDER BY id DESC LIMIT 1`, [agentId, day]);
  return found.rows[0] ? toRegistry(found.rows[0]) : undefined;
}

export async function getAgentRegistry(q: Queryable, id: bigint): Promise<AgentRegistry | undefined> {
  const found = await q.query<RegistryRow>(`SELECT ${COLUMNS} FROM agent_registries WHERE id = $1`, [id]);
  return found.rows[0] ? toRegistry(found.rows[0]) : undefined;
}

/** An agent's uploads, newest first. */
export async function listAgentRegistries(q: Queryable, agentId: bigint, limit = 100): Promise<AgentRegistry[]> {
  const found = await q.query<RegistryRow>(`SELECT ${COLUMNS} FROM agent_registries WHERE agent_id = $1 ORDER BY id DESC LIMIT $2`, [agentId, Math.min(Math.max(limit, 1), 1_000)]);
  return found.rows.map(toRegistry);
}
