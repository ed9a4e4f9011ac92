/**
 * Cabinet users: the logins an agent's own staff use at /cabinet. Each belongs to one agent and sees only that agent.
 */
import type { Clock } from '../domain/clock.ts';
import type { Db, Queryable } from '../store/db.ts';
import { findAgent } from './agents.ts';
import { appendAudit } from './audit.ts';
import { CredentialError, hashPassword, normaliseLogin, verifyPassword } from './passwords.ts';
import { endSessionsOf, LOCAL_ACTOR, type Actor } from './sessions.ts';

export interface AgentUser {
  id: bigint;
  agentId: bigint;
  login: string;
  disabledAt: Date | null;
  createdAt: Date;
}

interface AgentUserRow {
  id: bigint; agent_id: bigint; login: string; password_hash: string; disabled_at: Date | null; created_at: Date;
}

function toAgentUser(row: AgentUserRow): AgentUser {
  return { id: row.id, agentId: row.agent_id, login: row.login, disabledAt: row.disabled_at, createdAt: row.created_at };
}

function audited(user: AgentUser) {
  return { agentId: user.agentId, login: user.login, disabled: user.disabledAt !== null };
}

export async function createAgentUser(
  db: Db, agentId: bigint, input: { login: string; password: string }, clock: Clock, actor: Actor = LOCAL_ACTOR,
): Promise<AgentUser> {
  const login = normaliseLogin(input.login);
  const passwordHash = await hashPassword(input.password);
  return db.tx(async (q) => {
    if (!(await findAgent(q, agentId))) throw new CredentialError('not_found', `agent ${agentId} not found`);
    const inserted = await q.query<AgentUserRow>(
      `INSERT INTO agent_users (agent_id, login, password_hash, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (login) DO NOTHING RETURNING *`,
      [agentId, login, passwordHash, clock.now()],
    );
    if (!inserted.rows[0]) throw new CredentialError('login_taken', `a cabinet user with login ${login} exists`);
    const user = toAgentUser(inserted.rows[0]);
    await appendAudit(q, actor, { action: 'agent_users.create', targetKind: 'agent_user', targetId: user.id, after: audited(user) }, clock);
    return user;
  });
}

/** The cabinet user whose login and password these are (not disabled), else null; unknown logins cost the same time. */
export async function verifyAgentUserPassword(q: Queryable, login: string, password: string): Promise<AgentUser | null> {
  let normalised: string | undefined;
  try {
    normalised = normaliseLogin(login);
  } catch {
    normalised = undefined;
  }
  const row = normalised ? (await q.query<AgentUserRow>('SELECT * FROM agent_users WHERE login = $1', [normalised])).rows[0] : undefined;
  const matches = await verifyPassword(row?.password_hash, password);
  if (!row || !matches || row.disabled_at !== null) return null;
  return toAgentUser(row);
}

export async function listAgentUsers(q: Queryable, agentId: bigint): Promise<AgentUser[]> {
  return (await q.query<AgentUserRow>('SELECT * FROM agent_users WHERE agent_id = $1 ORDER BY id', [agentId])).rows.map(toAgentUser);
}

export async function findAgentUser(q: Queryable, id: bigint): Promise<AgentUser | undefined> {
  const row = (await q.query<AgentUserRow>('SELECT * FROM agent_users WHERE id = $1', [id])).rows[0];
  return row ? toAgentUser(row) : undefined;
}

/** Disables a cabinet user and ends its sessions. */
export async function disableAgentUser(db: Db, id: bigint, clock: Clock, actor: Actor = LOCAL_ACTOR): Promise<AgentUser> {
  return db.tx(async (q) => {
    const before = (await q.query<AgentUserRow>('SELECT * FROM agent_users WHERE id = $1 FOR UPDATE', [id])).rows[0];
    if (!before) throw new CredentialError('not_found', `cabinet user ${id} not found`);
    const after = (await q.query<AgentUserRow>('UPDATE agent_users SET disabled_at = COALESCE(disabled_at, $2) WHERE id = $1 RETURNING *', [id, clock.now()])).rows[0]!;
    await endSessionsOf(q, { kind: 'agent_user', id });
    await appendAudit(q, actor, { action: 'agent_users.disable', targetKind: 'agent_user', targetId: id, before: audited(toAgentUser(before)), after: audited(toAgentUser(after)) }, clock);
    return toAgentUser(after);
  });
}
