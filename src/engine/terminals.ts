/**
 * Elsom terminals (migration 003): the credentials the Elsom wallet signs in with as one of our agents, and its service
 * map (Elsom's service-id → a catalog serviceId). Configuration, not money: payments go through the payment engine.
 * Who is calling is decided in `authentication.ts`; this file keeps what it needs.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../store/db.ts';
import { ipAllowed } from './agents.ts';

export interface ElsomServiceMapping {
  agentId: bigint;
  elsomServiceId: string;
  /** The catalog serviceId it pays. */
  serviceId: string;
  /** The provider takes whole soms only: a fractional amount is refused with 274. */
  wholeAmounts: boolean;
}

export interface ElsomServiceLine {
  elsomServiceId: string;
  serviceId: string;
  wholeAmounts?: boolean;
}

export interface ElsomTerminalInput {
  agentId: bigint;
  terminalId: string;
  login: string;
  /** The plain password, as agreed with Elsom; only a salted hash of its MD5 is kept. */
  password: string;
  ipAllow?: string[];
  services: ElsomServiceLine[];
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** What is stored for a password: SHA-256 over a random salt and the lowercase hex MD5 Elsom sends. */
export function elsomSecretHash(salt: string, md5: string): string {
  return sha256Hex(`${salt}:${md5.toLowerCase()}`);
}

/** The password as Elsom sends it (password-md5: the lowercase hex MD5 of its UTF-8 bytes). */
export function elsomPasswordMd5(password: string): string {
  return createHash('md5').update(password, 'utf8').digest('hex');
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
  await db.tx((q) => createElsomTerminalIn(q, input));
}

/** The terminal and its service map in the caller's transaction (validated before, by validateElsomTerminal). */
export async function createElsomTerminalIn(q: Queryable, input: ElsomTerminalInput): Promise<void> {
  const salt = randomBytes(16).toString('hex');
  await q.query(
    `INSERT INTO elsom_terminals (terminal_id, agent_id, login, password_salt, password_sha256, ip_allow) VALUES ($1, $2, $3, $4, $5, $6)`,
    [input.terminalId, input.agentId, input.login, salt, elsomSecretHash(salt, elsomPasswordMd5(input.password)), input.ipAllow ?? []],
  );
  for (const line of input.services) await mapElsomService(q, input.agentId, line);
}

export async function mapElsomService(q: Queryable, agentId: bigint, line: ElsomServiceLine): Promise<void> {
  await q.query(
    `INSERT INTO elsom_services (agent_id, elsom_service_id, service_id, whole_amounts) VALUES ($1, $2, $3, $4)
     ON CONFLICT (agent_id, elsom_service_id) DO UPDATE SET service_id = EXCLUDED.service_id, whole_amounts = EXCLUDED.whole_amounts`,
    [agentId, line.elsomServiceId, line.serviceId, line.wholeAmounts ?? false],
  );
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

/** How long a service-map line is cached: an operator's change is seen within this time (like the catalog's). */
const SERVICE_MAP_TTL_MS = 5_000;
const SERVICE_MAP_MAX_ENTRIES = 10_000;

/** The service map as the Elsom gateway reads it: through a short cache, since every request needs it and it changes rarely. */
export class ElsomServiceMap {
  private readonly cache = new Map<string, { at: number; mapping: ElsomServiceMapping | undefined }>();

  constructor(private readonly q: Queryable) {}

  async serviceFor(agentId: bigint, elsomServiceId: string): Promise<ElsomServiceMapping | undefined> {
    const key = `${agentId}:${elsomServiceId}`;
    const cached = this.cache.get(key);
    // A cache age, not a business time: the machine's clock is the right one (like the catalog's).
    if (cached && Date.now() - cached.at < SERVICE_MAP_TTL_MS) return cached.mapping;
    const mapping = await findElsomService(this.q, agentId, elsomServiceId);
    if (this.cache.size >= SERVICE_MAP_MAX_ENTRIES) this.cache.clear();
    this.cache.set(key, { at: Date.now(), mapping });
    return mapping;
  }
}
