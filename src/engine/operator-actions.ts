/**
 * What operators and cabinet users do to agents, tokens, the attention list and held payments, each with its audit
 * entry in the same transaction (who, what, before and after). The admin API, the console, the cabinet and the CLI
 * all call these; whether the principal may is decided before, by engine/authorization.ts.
 */
import { parseCidr } from '../domain/cidr.ts';
import type { Clock } from '../domain/clock.ts';
import type { Db, Queryable } from '../store/db.ts';
import {
  agentFunds, confirmToken, createAgentIn, findAgent, findToken, issueTokenRecord, refreshNotification, revokeToken,
  type Agent, type CreateAgentInput, type CreatedAgent, type TokenInfo,
} from './agents.ts';
import { listAttention, type AttentionItem } from './attention.ts';
import { appendAudit } from './audit.ts';
import { ServiceError } from './errors.ts';
import type { PaymentEngine, PaymentView } from './payments.ts';
import { createElsomTerminalIn, validateElsomTerminal, type ElsomTerminalInput } from './terminals.ts';
import type { Actor } from './sessions.ts';

/** What the audit log keeps of an agent's settings. */
function agentSettings(agent: Agent) {
  return {
    name: agent.name, currency: agent.currency, overdraftMinor: agent.overdraftMinor, notificationMinor: agent.notificationMinor,
    reviewAboveMinor: agent.reviewAboveMinor, ipAllow: agent.ipAllow, ipOnly: agent.ipOnly, allowedServices: agent.allowedServices,
    enabled: agent.enabled,
  };
}

async function requireAgent(q: Queryable, agentId: bigint, lock = false): Promise<Agent> {
  if (lock) await q.query('SELECT 1 FROM agents WHERE id = $1 FOR UPDATE', [agentId]);
  const agent = await findAgent(q, agentId);
  if (!agent) throw new ServiceError('not_found', 'agent_not_found', `agent ${agentId} not found`);
  return agent;
}

/** A new agent; with `elsomTerminal` it is also the Elsom biller client of that terminal (written in the same transaction). */
export async function createAgentAudited(
  db: Db, actor: Actor, input: CreateAgentInput & { elsomTerminal?: ElsomTerminalSettings }, clock: Clock,
): Promise<CreatedAgent> {
  const { elsomTerminal, ...agentInput } = input;
  checkCidrs(agentInput.ipAllow ?? []);
  if (elsomTerminal) await refusedAsInvalid('bad_elsom_terminal', () => validateElsomTerminal(db, elsomTerminal));
  return db.tx(async (q) => {
    const created = await createAgentIn(q, agentInput);
    if (elsomTerminal) await createElsomTerminalIn(q, { agentId: created.agent.id, ...elsomTerminal });
    const after = { ...agentSettings(created.agent), ...(elsomTerminal ? { elsomTerminal: elsomTerminal.terminalId, elsomServices: elsomTerminal.services } : {}) };
    await appendAudit(q, actor, { action: 'agents.create', targetKind: 'agent', targetId: created.agent.id, after }, clock);
    return created;
  });
}

/** An Elsom terminal's credentials and service map (the password is kept only as a salted hash of its MD5). */
export type ElsomTerminalSettings = Omit<ElsomTerminalInput, 'agentId'>;

/** The engine's older checks throw plain errors with clear messages: here they become a 400's refusal. */
async function refusedAsInvalid(code: string, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    throw new ServiceError('invalid', code, error instanceof Error ? error.message : String(error));
  }
}

function checkCidrs(cidrs: string[]): void {
  for (const cidr of cidrs) {
    try {
      parseCidr(cidr);
    } catch (error) {
      throw new ServiceError('invalid', 'bad_cidr', error instanceof Error ? error.message : `invalid IP address in allow-list: ${cidr}`);
    }
  }
}

export interface AgentSettingsChange {
  overdraftMinor?: bigint;
  /** null: no notification. */
  notificationMinor?: bigint | null;
  /** null: no security review. */
  reviewAboveMinor?: bigint | null;
  /** null: every enabled service. */
  allowedServices?: string[] | null;
  enabled?: boolean;
}

/** Changes an agent's credit and risk settings (admin); the notification state is re-read at once. */
export async function configureAgent(db: Db, actor: Actor, agentId: bigint, change: AgentSettingsChange, clock: Clock): Promise<Agent> {
  if (change.reviewAboveMinor !== undefined && change.reviewAboveMinor !== null && change.reviewAboveMinor < 0n) {
    throw new ServiceError('invalid', 'bad_review_threshold', 'a review threshold is not negative');
  }
  return db.tx(async (q) => {
    const before = await requireAgent(q, agentId, true);
    const set = (value: unknown, current: unknown) => (value === undefined ? current : value);
    await q.query(
      `UPDATE agents SET overdraft_minor = $2, notification_minor = $3, review_above_minor = $4, allowed_services = $5, enabled = $6 WHERE id = $1`,
      [agentId, set(change.overdraftMinor, before.overdraftMinor), set(change.notificationMinor, before.notificationMinor),
        set(change.reviewAboveMinor, before.reviewAboveMinor), set(change.allowedServices, before.allowedServices), set(change.enabled, before.enabled)],
    );
    const after = await requireAgent(q, agentId);
    const funds = await agentFunds(q, after);
    if (funds.availableMinor < after.overdraftMinor) {
      throw new ServiceError('conflict', 'below_new_floor', 'the agent\'s available balance is already below that overdraft floor');
    }
    await refreshNotification(q, after, clock.now());
    await appendAudit(q, actor, { action: 'agents.configure', targetKind: 'agent', targetId: agentId, before: agentSettings(before), after: agentSettings(after) }, clock);
    return after;
  });
}

/** The addresses an agent's requests are accepted from (the cabinet manages its own); an empty list allows any. */
export async function setAgentIpAllow(db: Db, actor: Actor, agentId: bigint, ipAllow: string[], clock: Clock): Promise<Agent> {
  checkCidrs(ipAllow);
  if (ipAllow.length > 100) throw new ServiceError('invalid', 'too_many_addresses', 'at most 100 addresses or networks');
  return db.tx(async (q) => {
    const before = await requireAgent(q, agentId, true);
    if (before.ipOnly && ipAllow.length === 0) throw new ServiceError('conflict', 'ip_only_needs_address', 'an agent that authenticates by address needs one');
    await q.query('UPDATE agents SET ip_allow = $2 WHERE id = $1', [agentId, ipAllow]);
    const after = await requireAgent(q, agentId);
    await appendAudit(q, actor, { action: 'agents.ip_allow', targetKind: 'agent', targetId: agentId, before: { ipAllow: before.ipAllow }, after: { ipAllow: after.ipAllow } }, clock);
    return after;
  });
}

// ---- tokens ----

export interface IssuedToken {
  id: bigint;
  agentId: bigint;
  /** The token itself: shown once, never stored. */
  token: string;
  hint: string;
  status: 'pending' | 'confirmed';
}

/** A new API token: pending until an operator confirms it, or confirmed at once when `confirm` (operators only). */
export async function issueAgentToken(db: Db, actor: Actor, agentId: bigint, options: { confirm: boolean }, clock: Clock): Promise<IssuedToken> {
  if (options.confirm && actor.principal.kind === 'agent_user') throw new ServiceError('forbidden', 'needs_operator', 'an operator confirms a token');
  return db.tx(async (q) => {
    await requireAgent(q, agentId);
    const issued = await issueTokenRecord(q, agentId, options.confirm, clock.now());
    await appendAudit(q, actor, { action: 'tokens.issue', targetKind: 'token', targetId: issued.id, after: { agentId, hint: issued.hint, status: issued.status } }, clock);
    return { ...issued, agentId };
  });
}

async function changeToken(db: Db, actor: Actor, tokenId: bigint, action: 'tokens.confirm' | 'tokens.revoke', clock: Clock): Promise<{ token: TokenInfo; changed: boolean }> {
  return db.tx(async (q) => {
    await q.query('SELECT 1 FROM agent_tokens WHERE id = $1 FOR UPDATE', [tokenId]);
    const before = await findToken(q, tokenId);
    if (!before) throw new ServiceError('not_found', 'token_not_found', `token ${tokenId} not found`);
    const changed = action === 'tokens.confirm' ? await confirmToken(q, tokenId, clock.now()) : await revokeToken(q, tokenId, clock.now());
    const after = (await findToken(q, tokenId))!;
    if (changed) await appendAudit(q, actor, { action, targetKind: 'token', targetId: tokenId, before: { agentId: before.agentId, status: before.status }, after: { agentId: after.agentId, status: after.status } }, clock);
    return { token: after, changed };
  });
}

/** pending → confirmed (a revoked token stays revoked: `changed` false). */
export async function confirmAgentToken(db: Db, actor: Actor, tokenId: bigint, clock: Clock): Promise<{ token: TokenInfo; changed: boolean }> {
  return changeToken(db, actor, tokenId, 'tokens.confirm', clock);
}

export async function revokeAgentToken(db: Db, actor: Actor, tokenId: bigint, clock: Clock): Promise<{ token: TokenInfo; changed: boolean }> {
  return changeToken(db, actor, tokenId, 'tokens.revoke', clock);
}

// ---- attention and security review ----

/** Closes an attention item with the operator's note; an item already closed is a conflict. */
export async function resolveAttentionItem(db: Db, actor: Actor, itemId: bigint, note: string, clock: Clock): Promise<AttentionItem> {
  if (!note.trim()) throw new ServiceError('invalid', 'no_note', 'a resolution needs a note');
  return db.tx(async (q) => {
    const updated = await q.query('UPDATE attention_items SET resolved_at = $3, resolution = $2 WHERE id = $1 AND resolved_at IS NULL', [itemId, note.trim(), clock.now()]);
    const item = (await listAttention(q, true)).find((candidate) => candidate.id === itemId);
    if (!item) throw new ServiceError('not_found', 'item_not_found', `attention item ${itemId} not found`);
    if (updated.rowCount === 0) throw new ServiceError('conflict', 'already_resolved', `attention item ${itemId} is already resolved`);
    await appendAudit(q, actor, { action: 'attention.resolve', targetKind: 'attention', targetId: itemId, before: { resolved: false }, after: { resolved: true, note: note.trim(), paymentId: item.paymentId } }, clock);
    return item;
  });
}

/** Approves (the payment goes to the provider) or rejects (its reservation is voided, code 300) a 153 hold. */
export async function decideHeldPayment(
  engine: PaymentEngine, actor: Actor, transactionId: bigint, decision: 'approve' | 'reject', note: string, clock: Clock,
): Promise<PaymentView> {
  if (!note.trim()) throw new ServiceError('invalid', 'no_note', 'a review decision needs a note');
  let recorded = false;
  const payment = await engine.decideReview(transactionId, decision, note.trim(), async (q, before, after) => {
    recorded = true;
    await appendAudit(q, actor, {
      action: `reviews.${decision}`, targetKind: 'payment', targetId: transactionId,
      before: { state: before.state, code: before.code }, after: { state: after.state, code: after.code, note: note.trim() },
    }, clock);
  });
  if (!recorded) throw new ServiceError('conflict', 'not_held', `payment ${transactionId} is not held for review (it is ${payment.state})`);
  return payment;
}
