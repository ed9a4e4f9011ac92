import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ipAllowed, parseCidr } from '../domain/cidr.ts';
import type { Db, Queryable } from '../store/db.ts';
import { availableBalance, ensureAccount, getBalance, LedgerError, postedBalance, transfer } from '../ledger/ledger.ts';

export interface Agent {
  id: bigint;
  name: string;
  currency: string;
  ledgerAccountId: bigint;
  overdraftMinor: bigint;
  notificationMinor: bigint | null;
  ipAllow: string[];
  ipOnly: boolean;
  allowedServices: string[] | null;
  enabled: boolean;
  /** Pays above this amount are held for the security service (153) until an operator decides. */
  reviewAboveMinor: bigint | null;
}

interface AgentRow {
  id: bigint;
  name: string;
  currency: string;
  ledger_account_id: bigint;
  overdraft_minor: bigint;
  notification_minor: bigint | null;
  ip_allow: string[];
  ip_only: boolean;
  allowed_services: string[] | null;
  enabled: boolean;
  review_above_minor: bigint | null;
}

function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    name: row.name,
    currency: row.currency,
    ledgerAccountId: row.ledger_account_id,
    overdraftMinor: row.overdraft_minor,
    notificationMinor: row.notification_minor,
    ipAllow: row.ip_allow,
    ipOnly: row.ip_only,
    allowedServices: row.allowed_services,
    enabled: row.enabled,
    reviewAboveMinor: row.review_above_minor,
  };
}

export async function findAgent(q: Queryable, id: bigint): Promise<Agent | undefined> {
  const result = await q.query<AgentRow>('SELECT * FROM agents WHERE id = $1', [id]);
  return result.rows[0] ? toAgent(result.rows[0]) : undefined;
}

/** The first agent of this name (the demo agent of `tolem start` with TOLEM_DEMO). */
export async function findAgentByName(q: Queryable, name: string): Promise<Agent | undefined> {
  const result = await q.query<AgentRow>('SELECT * FROM agents WHERE name = $1 ORDER BY id LIMIT 1', [name]);
  return result.rows[0] ? toAgent(result.rows[0]) : undefined;
}

export interface AgentEvent {
  kind: string;
  details: Record<string, unknown>;
  createdAt: Date;
}

/** The agent's latest events (balance notifications, …), newest first. */
export async function recentAgentEvents(q: Queryable, agentId: bigint, limit = 10): Promise<AgentEvent[]> {
  const result = await q.query<{ kind: string; details: Record<string, unknown>; created_at: Date }>(
    'SELECT kind, details, created_at FROM agent_events WHERE agent_id = $1 ORDER BY id DESC LIMIT $2', [agentId, limit]);
  return result.rows.map((row) => ({ kind: row.kind, details: row.details, createdAt: row.created_at }));
}

export function fundingAccountCode(currency: string): string {
  return `funding:${currency}`;
}

export interface CreateAgentInput {
  name: string;
  currency: string;
  overdraftMinor?: bigint;
  notificationMinor?: bigint;
  ipAllow?: string[];
  ipOnly?: boolean;
  allowedServices?: string[];
  reviewAboveMinor?: bigint;
  openingBalanceMinor?: bigint;
  /** Issue a token (pending, or confirmed at once when asked). */
  issueToken?: boolean;
  confirmToken?: boolean;
}

export interface CreatedAgent {
  agent: Agent;
  token?: string;
}

export async function createAgent(db: Db, input: CreateAgentInput): Promise<CreatedAgent> {
  for (const cidr of input.ipAllow ?? []) parseCidr(cidr); // refuse a malformed allow-list before writing anything
  return db.tx((q) => createAgentIn(q, input));
}

/** createAgent inside the caller's transaction. */
export async function createAgentIn(q: Queryable, input: CreateAgentInput): Promise<CreatedAgent> {
  for (const cidr of input.ipAllow ?? []) parseCidr(cidr);
  const placeholder = await ensureAccount(q, `agent:new:${randomBytes(8).toString('hex')}`, 'agent', input.currency);
  const inserted = await q.query<AgentRow>(
    `INSERT INTO agents (name, currency, ledger_account_id, overdraft_minor, notification_minor, ip_allow, ip_only, allowed_services, review_above_minor)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
    [input.name, input.currency, placeholder, input.overdraftMinor ?? 0n, input.notificationMinor ?? null,
      input.ipAllow ?? [], input.ipOnly ?? false, input.allowedServices ?? null, input.reviewAboveMinor ?? null],
  );
  const agent = toAgent(inserted.rows[0]!);
  await q.query('UPDATE ledger_accounts SET code = $1 WHERE id = $2', [`agent:${agent.id}`, placeholder]);
  if (input.openingBalanceMinor && input.openingBalanceMinor > 0n) {
    await topUpIn(q, agent, input.openingBalanceMinor, 'opening balance');
  }
  const token = input.issueToken === false ? undefined : await issueTokenIn(q, agent.id, input.confirmToken ?? false);
  return token ? { agent, token } : { agent };
}

/**
 * A top-up (positive) or correction (negative) in the caller's transaction, dated `at` (the engine's clock; default the
 * database's now()). A correction may not push the agent below its overdraft floor (the ledger refuses: exceeds_floor).
 */
export async function topUpIn(
  q: Queryable, agent: Agent, amountMinor: bigint, reason: string, options: { at?: Date } = {},
): Promise<bigint> {
  const funding = await ensureAccount(q, fundingAccountCode(agent.currency), 'funding', agent.currency);
  const at = options.at ? { at: options.at } : {};
  if (amountMinor > 0n) {
    return transfer(q, { debitAccountId: funding, creditAccountId: agent.ledgerAccountId, amountMinor, currency: agent.currency, reason, ...at });
  }
  return transfer(q, {
    debitAccountId: agent.ledgerAccountId, creditAccountId: funding, amountMinor: -amountMinor, currency: agent.currency, reason, ...at,
    debitFloorMinor: agent.overdraftMinor,
  });
}

/** Operator top-up (positive) or correction (negative), always a ledger transfer with a reason. */
export async function topUp(db: Db, agentId: bigint, amountMinor: bigint, reason: string): Promise<AgentFunds> {
  if (amountMinor === 0n) throw new Error('a top-up of zero changes nothing');
  if (!reason.trim()) throw new Error('a top-up needs a reason');
  return db.tx(async (q) => {
    const agent = await findAgent(q, agentId);
    if (!agent) throw new Error(`agent ${agentId} not found`);
    try {
      await topUpIn(q, agent, amountMinor, reason);
    } catch (error) {
      if (error instanceof LedgerError && error.code === 'exceeds_floor') throw new Error('the correction would take the agent below its overdraft floor');
      throw error;
    }
    await refreshNotification(q, agent);
    return agentFunds(q, agent);
  });
}

export interface AgentFunds {
  agent: Agent;
  postedMinor: bigint;
  reservedMinor: bigint;
  availableMinor: bigint;
}

export async function agentFunds(q: Queryable, agent: Agent): Promise<AgentFunds> {
  const balance = await getBalance(q, agent.ledgerAccountId);
  return { agent, postedMinor: postedBalance(balance), reservedMinor: balance.debitsPending, availableMinor: availableBalance(balance) };
}

/**
 * Emits a warning event once when the available balance crosses below the notification threshold, and re-arms when a
 * top-up lifts it back.
 */
/** `at` dates the event (the engine's clock); admin top-ups leave it to the database. */
export async function refreshNotification(q: Queryable, agent: Agent, at?: Date): Promise<'crossed' | 'rearmed' | 'unchanged'> {
  if (agent.notificationMinor === null) return 'unchanged';
  const funds = await agentFunds(q, agent);
  const below = funds.availableMinor < agent.notificationMinor;
  const changed = await q.query('UPDATE agents SET below_notification = $2 WHERE id = $1 AND below_notification <> $2', [agent.id, below]);
  if (changed.rowCount === 0) return 'unchanged';
  if (!below) return 'rearmed';
  await q.query(`INSERT INTO agent_events (agent_id, kind, details, created_at) VALUES ($1, 'balance_below_notification', $2, COALESCE($3, now()))`, [
    agent.id,
    JSON.stringify({ availableMinor: funds.availableMinor.toString(), notificationMinor: agent.notificationMinor.toString() }),
    at ?? null,
  ]);
  return 'crossed';
}

// ---- tokens ----

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

async function issueTokenIn(q: Queryable, agentId: bigint, confirm: boolean, at?: Date): Promise<string> {
  return (await issueTokenRecord(q, agentId, confirm, at)).token;
}

/** A new token in the caller's transaction: its id, the token itself (shown once) and its status. */
export async function issueTokenRecord(q: Queryable, agentId: bigint, confirm: boolean, at?: Date): Promise<{ id: bigint; token: string; hint: string; status: 'pending' | 'confirmed' }> {
  const token = `tlm_${randomBytes(24).toString('base64url')}`;
  // Dated by the caller's clock when given, else by the database (the CLI on a stopped hub).
  const inserted = await q.query<{ id: bigint }>(
    `INSERT INTO agent_tokens (agent_id, token_sha256, hint, status, created_at, confirmed_at)
     VALUES ($1, $2, $3, $4, COALESCE($5, now()), CASE WHEN $6 THEN COALESCE($5, now()) END) RETURNING id`,
    [agentId, hashToken(token), token.slice(0, 10), confirm ? 'confirmed' : 'pending', at ?? null, confirm],
  );
  return { id: inserted.rows[0]!.id, token, hint: token.slice(0, 10), status: confirm ? 'confirmed' : 'pending' };
}

export async function issueToken(db: Db, agentId: bigint, confirm = false): Promise<string> {
  return db.tx(async (q) => {
    if (!(await findAgent(q, agentId))) throw new Error(`agent ${agentId} not found`);
    return issueTokenIn(q, agentId, confirm);
  });
}

export interface TokenInfo {
  id: bigint;
  agentId: bigint;
  hint: string;
  status: 'pending' | 'confirmed' | 'revoked';
  createdAt: Date;
}

type TokenRow = { id: bigint; agent_id: bigint; hint: string; status: TokenInfo['status']; created_at: Date };

function toTokenInfo(row: TokenRow): TokenInfo {
  return { id: row.id, agentId: row.agent_id, hint: row.hint, status: row.status, createdAt: row.created_at };
}

export async function listTokens(q: Queryable, agentId: bigint): Promise<TokenInfo[]> {
  const result = await q.query<TokenRow>('SELECT id, agent_id, hint, status, created_at FROM agent_tokens WHERE agent_id = $1 ORDER BY id', [agentId]);
  return result.rows.map(toTokenInfo);
}

export async function findToken(q: Queryable, tokenId: bigint): Promise<TokenInfo | undefined> {
  const result = await q.query<TokenRow>('SELECT id, agent_id, hint, status, created_at FROM agent_tokens WHERE id = $1', [tokenId]);
  return result.rows[0] ? toTokenInfo(result.rows[0]) : undefined;
}

/** pending → confirmed; a revoked token stays revoked. `at`: the engine's clock (default the database's now()). */
export async function confirmToken(q: Queryable, tokenId: bigint, at?: Date): Promise<boolean> {
  const result = await q.query(`UPDATE agent_tokens SET status = 'confirmed', confirmed_at = COALESCE($2, now()) WHERE id = $1 AND status = 'pending'`, [tokenId, at ?? null]);
  return result.rowCount === 1;
}

export async function revokeToken(q: Queryable, tokenId: bigint, at?: Date): Promise<boolean> {
  const result = await q.query(`UPDATE agent_tokens SET status = 'revoked', revoked_at = COALESCE($2, now()) WHERE id = $1 AND status <> 'revoked'`, [tokenId, at ?? null]);
  return result.rowCount === 1;
}

// ---- authentication ----

export type AuthFailure = 'no_credentials' | 'unknown_token' | 'token_not_confirmed' | 'token_revoked' | 'ip_not_allowed' | 'agent_disabled';

export type AuthResult = { ok: true; agent: Agent } | { ok: false; reason: AuthFailure };

/**
 * Bearer token → agent. The token's SHA-256 is looked up by its index, then compared again in constant time; an agent
 * with an allow-list is refused from any other address; an IP-only agent is found by its address alone.
 */
export async function authenticate(q: Queryable, bearer: string | undefined, remoteIp: string, cache?: TokenCache): Promise<AuthResult> {
  if (!bearer) return authenticateByIp(q, remoteIp);
  const digest = hashToken(bearer);
  let found = cache?.get(digest);
  if (!found) {
    found = await lookupToken(q, digest);
    cache?.set(digest, found);
  }
  if (found.kind !== 'confirmed') return { ok: false, reason: found.kind };
  const agent = found.agent;
  if (!agent.enabled) return { ok: false, reason: 'agent_disabled' };
  if (!ipAllowed(agent.ipAllow, remoteIp)) return { ok: false, reason: 'ip_not_allowed' };
  return { ok: true, agent };
}

type TokenLookup = { kind: 'confirmed'; agent: Agent } | { kind: 'unknown_token' | 'token_not_confirmed' | 'token_revoked' };

async function lookupToken(q: Queryable, digest: string): Promise<TokenLookup> {
  const result = await q.query<AgentRow & { token_sha256: string; token_status: TokenInfo['status'] }>(
    `SELECT a.*, t.token_sha256, t.status AS token_status FROM agent_tokens t JOIN agents a ON a.id = t.agent_id
      WHERE t.token_sha256 = $1`,
    [digest],
  );
  const row = result.rows[0];
  if (!row || !timingSafeEqual(Buffer.from(row.token_sha256, 'hex'), Buffer.from(digest, 'hex'))) return { kind: 'unknown_token' };
  if (row.token_status === 'pending') return { kind: 'token_not_confirmed' };
  if (row.token_status === 'revoked') return { kind: 'token_revoked' };
  return { kind: 'confirmed', agent: toAgent(row) };
}

/**
 * Every agent request needs its token's agent: a short-lived cache keeps that lookup off the database. A confirmation,
 * revocation or change of an agent takes effect within `ttlMs` (one second by default).
 */
export class TokenCache {
  private readonly entries = new Map<string, { at: number; value: TokenLookup }>();

  constructor(
    private readonly ttlMs = 1_000,
    private readonly maxEntries = 10_000,
  ) {}

  get(digest: string): TokenLookup | undefined {
    const entry = this.entries.get(digest);
    if (!entry || Date.now() - entry.at > this.ttlMs) return undefined;
    return entry.value;
  }

  set(digest: string, value: TokenLookup): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(digest, { at: Date.now(), value });
  }
}

async function authenticateByIp(q: Queryable, remoteIp: string): Promise<AuthResult> {
  const result = await q.query<AgentRow>('SELECT * FROM agents WHERE ip_only AND enabled ORDER BY id');
  const matches = result.rows.map(toAgent).filter((agent) => agent.ipAllow.length > 0 && ipAllowed(agent.ipAllow, remoteIp));
  // Two IP-only agents behind one address cannot be told apart: refuse rather than guess whose money it is.
  if (matches.length !== 1) return { ok: false, reason: 'no_credentials' };
  return { ok: true, agent: matches[0]! };
}

/** The one CIDR matcher (src/domain/cidr.ts); re-exported for the callers that still import it from here. */
export { ipAllowed };
