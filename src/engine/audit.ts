/**
 * The audit log: every operator and agent-user action, append-only and chained. Each entry's hash covers the previous
 * entry's hash and the entry itself (canonical JSON), so an edited, removed or reordered entry shows in
 * `verifyAuditChain`; the database refuses UPDATE and DELETE on the table besides (migration 010).
 *
 * `appendAudit` runs in the caller's transaction, as its last statement: the action and its entry commit together or
 * not at all. Appends are serialised by a transaction-scoped advisory lock, so the chain has one order on every store.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../domain/clock.ts';
import type { Queryable } from '../store/db.ts';
import { canonicalJson } from './canonical.ts';
import type { Actor } from './sessions.ts';

const AUDIT_LOCK = 8420010;
const GENESIS = '0'.repeat(64);

export interface AuditInput {
  action: string;
  targetKind?: string | undefined;
  targetId?: string | bigint | undefined;
  before?: unknown;
  after?: unknown;
}

export interface AuditEntry {
  id: bigint;
  at: Date;
  actorKind: 'operator' | 'agent_user' | 'local';
  actorId: bigint | null;
  actorLogin: string;
  action: string;
  targetKind: string | null;
  targetId: string | null;
  ip: string | null;
  before: unknown;
  after: unknown;
  prevHash: string;
  hash: string;
}

/** JSON as jsonb gives it back: bigints as decimal text, undefined dropped, keys in any order. */
function jsonable(value: unknown): unknown {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item)) ?? 'null');
}

type Hashed = Omit<AuditEntry, 'id' | 'hash'>;

function entryHash(entry: Hashed): string {
  const canonical = canonicalJson({
    at: entry.at.toISOString(), actorKind: entry.actorKind, actorId: entry.actorId, actorLogin: entry.actorLogin,
    action: entry.action, targetKind: entry.targetKind, targetId: entry.targetId, ip: entry.ip,
    before: entry.before, after: entry.after,
  });
  return createHash('sha256').update(`${entry.prevHash}\n${canonical}`, 'utf8').digest('hex');
}

function actorFields(actor: Actor): Pick<AuditEntry, 'actorKind' | 'actorId' | 'actorLogin'> {
  const p = actor.principal;
  return p.kind === 'local' ? { actorKind: 'local', actorId: null, actorLogin: 'local' } : { actorKind: p.kind, actorId: p.id, actorLogin: p.login };
}

/** Appends one entry in the caller's transaction (call it last, after the action it records). */
export async function appendAudit(q: Queryable, actor: Actor, input: AuditInput, clock: Clock): Promise<AuditEntry> {
  await q.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
  const last = await q.query<{ hash: string }>('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1');
  const entry: Hashed = {
    at: clock.now(), ...actorFields(actor), action: input.action, targetKind: input.targetKind ?? null,
    targetId: input.targetId === undefined ? null : String(input.targetId), ip: actor.ip,
    before: jsonable(input.before), after: jsonable(input.after), prevHash: last.rows[0]?.hash ?? GENESIS,
  };
  const hash = entryHash(entry);
  const inserted = await q.query<{ id: bigint }>(
    `INSERT INTO audit_log (at, actor_kind, actor_id, actor_login, action, target_kind, target_id, ip, before, after, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
    [entry.at, entry.actorKind, entry.actorId, entry.actorLogin, entry.action, entry.targetKind, entry.targetId, entry.ip,
      JSON.stringify(entry.before), JSON.stringify(entry.after), entry.prevHash, hash],
  );
  return { id: inserted.rows[0]!.id, ...entry, hash };
}

interface AuditRow {
  id: bigint; at: Date; actor_kind: AuditEntry['actorKind']; actor_id: bigint | null; actor_login: string; action: string;
  target_kind: string | null; target_id: string | null; ip: string | null; before: unknown; after: unknown; prev_hash: string; hash: string;
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id, at: row.at, actorKind: row.actor_kind, actorId: row.actor_id, actorLogin: row.actor_login, action: row.action,
    targetKind: row.target_kind, targetId: row.target_id, ip: row.ip, before: row.before, after: row.after,
    prevHash: row.prev_hash, hash: row.hash,
  };
}

export interface AuditFilters {
  actorKind?: AuditEntry['actorKind'];
  actorId?: bigint;
  actorLogin?: string;
  /** An exact action, or a prefix ending in '.' ("proposals."). */
  action?: string;
  targetKind?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
}

export interface AuditPage {
  /** Newest first; entries with an id below this one (the previous page's `nextBefore`). */
  before?: bigint;
  limit?: number;
}

/** Entries newest first, filtered; `nextBefore` pages on (keyset, stable while entries are appended). */
export async function listAudit(q: Queryable, filters: AuditFilters = {}, page: AuditPage = {}): Promise<{ entries: AuditEntry[]; nextBefore: bigint | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filters.actorKind) add('actor_kind = ?', filters.actorKind);
  if (filters.actorId !== undefined) add('actor_id = ?', filters.actorId);
  if (filters.actorLogin) add('actor_login = ?', filters.actorLogin);
  if (filters.action?.endsWith('.')) add(`starts_with(action, ?)`, filters.action);
  else if (filters.action) add('action = ?', filters.action);
  if (filters.targetKind) add('target_kind = ?', filters.targetKind);
  if (filters.targetId) add('target_id = ?', filters.targetId);
  if (filters.from) add('at >= ?', filters.from);
  if (filters.to) add('at < ?', filters.to);
  if (page.before !== undefined) add('id < ?', page.before);
  const limit = Math.min(Math.max(page.limit ?? 50, 1), 500);
  const result = await q.query<AuditRow>(
    `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit + 1}`, params);
  const entries = result.rows.slice(0, limit).map(toEntry);
  return { entries, nextBefore: result.rows.length > limit ? entries.at(-1)!.id : null };
}

export type AuditVerification = { ok: true; entries: number } | { ok: false; entries: number; brokenAt: bigint; problem: string };

/** Walks the whole chain in order, in batches: the first entry whose links or hash do not hold, or ok. */
export async function verifyAuditChain(q: Queryable, batchSize = 1_000): Promise<AuditVerification> {
  let prevHash = GENESIS;
  let after = 0n;
  let count = 0;
  for (;;) {
    const batch = await q.query<AuditRow>('SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2', [after, batchSize]);
    for (const row of batch.rows) {
      const entry = toEntry(row);
      count += 1;
      if (entry.prevHash !== prevHash) return { ok: false, entries: count, brokenAt: entry.id, problem: 'does not follow the entry before it' };
      if (entryHash(entry) !== entry.hash) return { ok: false, entries: count, brokenAt: entry.id, problem: 'its content does not match its hash' };
      prevHash = entry.hash;
      after = entry.id;
    }
    if (batch.rows.length < batchSize) return { ok: true, entries: count };
  }
}
