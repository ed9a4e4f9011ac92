/**
 * Server-side sessions of the console and the cabinet. The browser holds a random token (the cookie) and a CSRF token;
 * the store holds only their SHA-256, so a copy of the database opens no session. A session ends when idle for
 * `idleMs` (sliding: every read moves it on) or `lifetimeMs` after it began, whichever comes first.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../domain/clock.ts';
import type { Queryable } from '../store/db.ts';
import type { Role } from './operators.ts';

/** Who acts: an operator of the console, a cabinet user of one agent, or the local Unix socket (acts as admin). */
export type Principal =
  | { kind: 'operator'; id: bigint; login: string; role: Role }
  | { kind: 'agent_user'; id: bigint; login: string; agentId: bigint }
  | { kind: 'local' };

/** The principal and where the request came from: what every audited service is given. */
export interface Actor {
  principal: Principal;
  ip: string | null;
}

/** The Unix socket and the CLI opening the store directly: the machine's own administrator. */
export const LOCAL_ACTOR: Actor = { principal: { kind: 'local' }, ip: null };

export interface SessionTimeouts {
  /** Ends a session nobody used for this long (default 15 minutes). */
  idleMs: number;
  /** Ends a session this long after it began, used or not (default 12 hours). */
  lifetimeMs: number;
}

/**
 * The cookies that carry a session's token: the console's (operators) and the cabinet's (agent users). The admin API
 * accepts either, so the pages can call it with the session they already have (plus the X-CSRF-Token header).
 */
export const SESSION_COOKIES = { operator: 'tolem_console', agent_user: 'tolem_cabinet' } as const;

export const DEFAULT_SESSION_TIMEOUTS: SessionTimeouts = { idleMs: 15 * 60_000, lifetimeMs: 12 * 3_600_000 };

export interface Session {
  /** The SHA-256 of the token: the row's id, never the token itself. */
  id: string;
  principal: Exclude<Principal, { kind: 'local' }>;
  csrfTokenHash: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Opens a session for a principal who just proved who they are; the two tokens are returned once. */
export async function createSession(
  q: Queryable,
  principal: Exclude<Principal, { kind: 'local' }>,
  from: { ip: string | null; userAgent: string | null },
  clock: Clock,
  timeouts: SessionTimeouts = DEFAULT_SESSION_TIMEOUTS,
): Promise<{ token: string; csrfToken: string; expiresAt: Date }> {
  const token = randomToken();
  const csrfToken = randomToken();
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + timeouts.lifetimeMs);
  await q.query(
    `INSERT INTO sessions (id, kind, principal_id, csrf_token_hash, created_at, last_seen_at, expires_at, ip, user_agent)
     VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)`,
    [sha256Hex(token), principal.kind, principal.id, sha256Hex(csrfToken), now, expiresAt, from.ip, from.userAgent?.slice(0, 500) ?? null],
  );
  return { token, csrfToken, expiresAt };
}

interface SessionRow {
  id: string; kind: 'operator' | 'agent_user'; principal_id: bigint; csrf_token_hash: string; created_at: Date;
  last_seen_at: Date; expires_at: Date; ip: string | null; user_agent: string | null;
  login: string | null; role: Role | null; agent_id: bigint | null; disabled_at: Date | null;
}

/**
 * The live session of a token, or null (unknown, idle too long, past its lifetime, or its principal disabled since).
 * A live session's idle clock restarts; the principal is read afresh, so a role changed or a login disabled takes effect
 * at the next request.
 */
export async function readSession(q: Queryable, token: string, clock: Clock, timeouts: SessionTimeouts = DEFAULT_SESSION_TIMEOUTS): Promise<Session | null> {
  if (!token || token.length > 200) return null;
  const id = sha256Hex(token);
  const result = await q.query<SessionRow>(
    `SELECT s.*, COALESCE(o.login, u.login) AS login, o.role, u.agent_id, COALESCE(o.disabled_at, u.disabled_at) AS disabled_at
       FROM sessions s
       LEFT JOIN operators o ON s.kind = 'operator' AND o.id = s.principal_id
       LEFT JOIN agent_users u ON s.kind = 'agent_user' AND u.id = s.principal_id
      WHERE s.id = $1`,
    [id],
  );
  const row = result.rows[0];
  if (!row || !timingSafeEqual(Buffer.from(row.id, 'hex'), Buffer.from(id, 'hex'))) return null;
  const now = clock.now();
  const idle = now.getTime() - row.last_seen_at.getTime() > timeouts.idleMs;
  if (idle || now >= row.expires_at || row.login === null || row.disabled_at !== null) {
    await q.query('DELETE FROM sessions WHERE id = $1', [id]);
    return null;
  }
  await q.query('UPDATE sessions SET last_seen_at = $2 WHERE id = $1', [id, now]);
  return {
    id, principal: toPrincipal(row), csrfTokenHash: row.csrf_token_hash, createdAt: row.created_at, lastSeenAt: now,
    expiresAt: row.expires_at, ip: row.ip, userAgent: row.user_agent,
  };
}

function toPrincipal(row: SessionRow): Session['principal'] {
  if (row.kind === 'operator') return { kind: 'operator', id: row.principal_id, login: row.login!, role: row.role! };
  return { kind: 'agent_user', id: row.principal_id, login: row.login!, agentId: row.agent_id! };
}

/** Whether the presented CSRF token is the session's, compared in constant time. */
export function checkCsrf(session: Pick<Session, 'csrfTokenHash'>, presented: string | undefined): boolean {
  if (!presented || presented.length > 200) return false;
  return timingSafeEqual(Buffer.from(sha256Hex(presented), 'hex'), Buffer.from(session.csrfTokenHash, 'hex'));
}

/** Logs out: the session's row goes. */
export async function endSession(q: Queryable, token: string): Promise<void> {
  await q.query('DELETE FROM sessions WHERE id = $1', [sha256Hex(token)]);
}

/** Ends every session of a principal (disabled, password changed). */
export async function endSessionsOf(q: Queryable, principal: { kind: 'operator' | 'agent_user'; id: bigint }): Promise<void> {
  await q.query('DELETE FROM sessions WHERE kind = $1 AND principal_id = $2', [principal.kind, principal.id]);
}

/** Removes sessions past their lifetime (housekeeping; expired ones are refused on read anyway). */
export async function purgeExpiredSessions(q: Queryable, clock: Clock): Promise<number> {
  return (await q.query('DELETE FROM sessions WHERE expires_at <= $1', [clock.now()])).rowCount;
}
