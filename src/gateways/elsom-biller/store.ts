/**
 * Elsom configuration tables (migration 003): terminal credentials, the service map, and the transaction-number text.
 * SQL here touches only these tables; payments and money go through the engine.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db, Queryable } from '../../store/db.ts';
import { findAgent, ipAllowed, type Agent } from '../../engine/agents.ts';
import { md5Hex } from './codec.ts';

export interface ElsomServiceMapping {
  agentId: bigint;
  elsomServiceId: string;
  /** The catalog serviceId it pays. */
  serviceId: string;
  /** The provider takes whole soms only: a fractional amount is refused with 274. */
  wholeAmounts: boolean;
}

export interface ElsomTerminalInput {
  agentId: bigint;
  terminalId: string;
  login: string;
  /** The plain password, as agreed with Elsom; only a salted hash of its MD5 is kept. */
  password: string;
  ipAllow?: string[];
  services: { elsomServiceId: string; serviceId: string; wholeAmounts?: boolean }[];
}

export type ElsomAuthFailure = 'unknown_terminal' | 'wrong_credentials' | 'terminal_disabled' | 'agent_disabled' | 'ip_not_allowed';

export type ElsomAuthResult = { ok: true; agent: Agent } | { ok: false; reason: ElsomAuthFailure };

const MD5_HEX = /^[0-9a-f]{32}$/;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** What is stored for a password: SHA-256 over a random salt and the lowercase hex MD5 Elsom sends. */
export function elsomSecretHash(salt: string, md5: string): string {
  return sha256Hex(`${salt}:${md5.toLowerCase()}`);
}

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** "5132=K1001" or "5132=K1001:whole" (whole soms only) → a service-map line. */
export function parseElsomServiceSpec(spec: string): { elsomServiceId: string; serviceId: string; wholeAmounts: boolean } {
  const match = /^([^=\s]{1,30})=([^:=\s]{1,64})(?::(whole))?$/.exec(spec.trim());
  if (!match) throw new Error(`--elsom-service "${spec}": expected <elsom service-id>=<serviceId>[:whole], e.g. 5132=K1001`);
  return { elsomServiceId: match[1]!, serviceId: match[2]!, wholeAmounts: match[3] === 'whole' };
}

export async function findElsomTerminalByAgent(q: Queryable, agentId: bigint): Promise<{ terminalId: string; login: string; ipAllow: string[] } | undefined> {
  const result = await q.query<{ terminal_id: string; login: string; ip_allow: string[] }>(
    'SELECT terminal_id, login, ip_allow FROM elsom_terminals WHERE agent_id = $1', [agentId]);
  const row = result.rows[0];
  return row ? { terminalId: row.terminal_id, login: row.login, ipAllow: row.ip_allow } : undefined;
}

/** Refuses before writing: a used terminal id, an unknown catalog service, a malformed allow-list. */
export async function validateElsomTerminal(q: Queryable, input: Omit<ElsomTerminalInput, 'agentId'>): Promise<void> {
  if (!/^\d{1,10}$/.test(input.terminalId)) throw new Error(`Elsom terminal-id must be 1–10 digits (Number(10)), got "${input.terminalId}"`);
  if (!input.login || input.login.length > 100) throw new Error('Elsom login must be 1–100 characters');
  if (!input.password) throw new Error('Elsom password must not be empty');
  ipAllowed(input.ipAllow ?? [], '127.0.0.1'); // throws on a malformed CIDR
  const used = await q.query('SELECT 1 FROM elsom_terminals WHERE terminal_id = $1', [input.terminalId]);
  if (used.rowCount > 0) throw new Error(`Elsom terminal ${input.terminalId} is already configured`);
  const seen = new Set<string>();
  for (const line of input.services) {
    if (seen.has(line.elsomServiceId)) throw new Error(`Elsom service-id ${line.elsomServiceId} is mapped twice`);
    seen.add(line.elsomServiceId);
    const known = await q.query('SELECT 1 FROM services WHERE service_id = $1', [line.serviceId]);
    if (known.rowCount === 0) throw new Error(`unknown catalog serviceId ${line.serviceId}`);
  }
}

/** Configures an agent as an Elsom terminal with its service map, in one transaction. */
export async function createElsomTerminal(db: Db, input: ElsomTerminalInput): Promise<void> {
  await validateElsomTerminal(db, input);
  const salt = randomBytes(16).toString('hex');
  await db.tx(async (q) => {
    await q.query(
      `INSERT INTO elsom_terminals (terminal_id, agent_id, login, password_salt, password_sha256, ip_allow) VALUES ($1, $2, $3, $4, $5, $6)`,
      [input.terminalId, input.agentId, input.login, salt, elsomSecretHash(salt, md5Hex(input.password)), input.ipAllow ?? []],
    );
    for (const line of input.services) await mapElsomService(q, input.agentId, line);
  });
}

export async function mapElsomService(q: Queryable, agentId: bigint, line: { elsomServiceId: string; serviceId: string; wholeAmounts?: boolean }): Promise<void> {
  await q.query(
    `INSERT INTO elsom_services (agent_id, elsom_service_id, service_id, whole_amounts) VALUES ($1, $2, $3, $4)
     ON CONFLICT (agent_id, elsom_service_id) DO UPDATE SET service_id = EXCLUDED.service_id, whole_amounts = EXCLUDED.whole_amounts`,
    [agentId, line.elsomServiceId, line.serviceId, line.wholeAmounts ?? false],
  );
}

// A fixed salt and hash compared against when the terminal is unknown, so that the answer takes the same work.
const DUMMY = { login: 'x', salt: '00', hash: sha256Hex('00:') };

/**
 * terminal-id + login + password-md5 (+ the address) → the agent. The login and the password hash are compared in
 * constant time, and an unknown terminal costs the same comparisons.
 */
export async function authenticateElsomTerminal(
  q: Queryable,
  credentials: { terminalId: string; login: string; passwordMd5: string },
  remoteIp: string,
): Promise<ElsomAuthResult> {
  const result = await q.query<{ agent_id: bigint; login: string; password_salt: string; password_sha256: string; ip_allow: string[]; enabled: boolean }>(
    'SELECT agent_id, login, password_salt, password_sha256, ip_allow, enabled FROM elsom_terminals WHERE terminal_id = $1',
    [credentials.terminalId],
  );
  const row = result.rows[0];
  const given = credentials.passwordMd5.toLowerCase();
  const loginOk = sameHex(sha256Hex(row?.login ?? DUMMY.login), sha256Hex(credentials.login));
  const passwordOk = sameHex(row?.password_sha256 ?? DUMMY.hash, elsomSecretHash(row?.password_salt ?? DUMMY.salt, given));
  if (!row) return { ok: false, reason: 'unknown_terminal' };
  if (!loginOk || !passwordOk || !MD5_HEX.test(given)) return { ok: false, reason: 'wrong_credentials' };
  if (!row.enabled) return { ok: false, reason: 'terminal_disabled' };
  const agent = await findAgent(q, row.agent_id);
  if (!agent || !agent.enabled) return { ok: false, reason: 'agent_disabled' };
  if (!ipAllowed(row.ip_allow, remoteIp) || !ipAllowed(agent.ipAllow, remoteIp)) return { ok: false, reason: 'ip_not_allowed' };
  return { ok: true, agent };
}

export async function findElsomService(q: Queryable, agentId: bigint, elsomServiceId: string): Promise<ElsomServiceMapping | undefined> {
  const result = await q.query<{ service_id: string; whole_amounts: boolean }>(
    'SELECT service_id, whole_amounts FROM elsom_services WHERE agent_id = $1 AND elsom_service_id = $2',
    [agentId, elsomServiceId],
  );
  const row = result.rows[0];
  return row ? { agentId, elsomServiceId, serviceId: row.service_id, wholeAmounts: row.whole_amounts } : undefined;
}

export async function listElsomServices(q: Queryable, agentId: bigint): Promise<ElsomServiceMapping[]> {
  const result = await q.query<{ elsom_service_id: string; service_id: string; whole_amounts: boolean }>(
    'SELECT elsom_service_id, service_id, whole_amounts FROM elsom_services WHERE agent_id = $1 ORDER BY elsom_service_id',
    [agentId],
  );
  return result.rows.map((row) => ({ agentId, elsomServiceId: row.elsom_service_id, serviceId: row.service_id, wholeAmounts: row.whole_amounts }));
}

/** Keeps the first text seen for a transaction-number (a repeat is a no-op). */
export async function rememberTransactionNumber(q: Queryable, agentId: bigint, agentTxnId: bigint, text: string): Promise<void> {
  await q.query(
    `INSERT INTO elsom_transactions (agent_id, agent_txn_id, transaction_number) VALUES ($1, $2, $3)
     ON CONFLICT (agent_id, agent_txn_id) DO NOTHING`,
    [agentId, agentTxnId, text],
  );
}

/** agentTxnId (decimal text) → the transaction-number as Elsom wrote it. */
export async function transactionNumbers(q: Queryable, agentId: bigint, agentTxnIds: readonly bigint[]): Promise<Map<string, string>> {
  if (agentTxnIds.length === 0) return new Map();
  const result = await q.query<{ agent_txn_id: bigint; transaction_number: string }>(
    'SELECT agent_txn_id, transaction_number FROM elsom_transactions WHERE agent_id = $1 AND agent_txn_id = ANY($2::bigint[])',
    [agentId, agentTxnIds.map((id) => id.toString())],
  );
  return new Map(result.rows.map((row) => [row.agent_txn_id.toString(), row.transaction_number]));
}
