/**
 * An agent's access as people manage it from the console and the cabinet: tokens (issued pending, confirmed by an
 * operator, revoked) and the addresses its requests may come from. Each change names the agent it is done to (so a
 * cabinet user can never touch another agent's token, whatever id it sends) and writes the audit log in the same
 * transaction.
 */
import { parseCidr } from '../domain/cidr.ts';
import type { Clock } from '../domain/clock.ts';
import type { Db } from '../store/db.ts';
import { findAgent, issueToken, listTokens, type Agent, type TokenInfo } from './agents.ts';
import { appendAudit } from './audit.ts';
import { ServiceError } from './errors.ts';
import type { Actor } from './sessions.ts';

/** At most this many allow-list entries an agent (a list, not a database of addresses). */
export const MAX_IP_ALLOW = 50;

/**
 * A new token for the agent, pending until an operator confirms it; returned once, never stored (only its hash).
 * The token is written by agents.ts's issueToken and audited right after (the token's hint, never the token).
 */
export async function issueTokenAudited(db: Db, actor: Actor, agentId: bigint, clock: Clock): Promise<{ token: string; info: TokenInfo }> {
  if (!(await findAgent(db, agentId))) throw new ServiceError('not_found', 'agent_not_found', `agent ${agentId} not found`);
  const token = await issueToken(db, agentId, false);
  const info = (await listTokens(db, agentId)).find((t) => t.hint === token.slice(0, 10) && t.status === 'pending');
  if (!info) throw new ServiceError('conflict', 'token_lost', 'the new token was not found');
  await db.tx((q) => appendAudit(q, actor, { action: 'tokens.issue', targetKind: 'token', targetId: info.id, after: { agentId, hint: info.hint, status: 'pending' } }, clock));
  return { token, info };
}

async function changeToken(
  db: Db, actor: Actor, agentId: bigint, tokenId: bigint, clock: Clock, change: 'confirm' | 'revoke',
): Promise<boolean> {
  return db.tx(async (q) => {
    const sql = change === 'confirm'
      ? `UPDATE agent_tokens SET status = 'confirmed', confirmed_at = $3 WHERE id = $1 AND agent_id = $2 AND status = 'pending' RETURNING hint`
      : `UPDATE agent_tokens SET status = 'revoked', revoked_at = $3 WHERE id = $1 AND agent_id = $2 AND status <> 'revoked' RETURNING hint`;
    const changed = await q.query<{ hint: string }>(sql, [tokenId, agentId, clock.now()]);
    if (changed.rowCount === 0) return false;
    await appendAudit(q, actor, {
      action: change === 'confirm' ? 'tokens.confirm' : 'tokens.revoke', targetKind: 'token', targetId: tokenId,
      after: { agentId, hint: changed.rows[0]!.hint, status: change === 'confirm' ? 'confirmed' : 'revoked' },
    }, clock);
    return true;
  });
}

/** pending → confirmed, only for a token of this agent; false when there is none such (or it is no longer pending). */
export function confirmTokenAudited(db: Db, actor: Actor, agentId: bigint, tokenId: bigint, clock: Clock): Promise<boolean> {
  return changeToken(db, actor, agentId, tokenId, clock, 'confirm');
}

/** Revokes a token of this agent; false when there is none such (or it was revoked already). */
export function revokeTokenAudited(db: Db, actor: Actor, agentId: bigint, tokenId: bigint, clock: Clock): Promise<boolean> {
  return changeToken(db, actor, agentId, tokenId, clock, 'revoke');
}

/** Replaces the agent's allow-list; every entry must be an address or a network (refused whole otherwise). */
export async function setIpAllowAudited(db: Db, actor: Actor, agentId: bigint, list: string[], clock: Clock): Promise<Agent> {
  const entries = [...new Set(list.map((entry) => entry.trim()).filter(Boolean))];
  if (entries.length > MAX_IP_ALLOW) throw new ServiceError('invalid', 'bad_ip', `at most ${MAX_IP_ALLOW} entries`);
  for (const entry of entries) {
    try {
      parseCidr(entry);
    } catch {
      throw new ServiceError('invalid', 'bad_ip', `not an address or network: ${entry.slice(0, 60)}`);
    }
  }
  return db.tx(async (q) => {
    const before = await findAgent(q, agentId);
    if (!before) throw new ServiceError('not_found', 'agent_not_found', `agent ${agentId} not found`);
    await q.query('UPDATE agents SET ip_allow = $2 WHERE id = $1', [agentId, entries]);
    await appendAudit(q, actor, { action: 'agents.ip_allow', targetKind: 'agent', targetId: agentId, before: { ipAllow: before.ipAllow }, after: { ipAllow: entries } }, clock);
    return { ...before, ipAllow: entries };
  });
}
