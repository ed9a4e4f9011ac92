/**
 * An agent's Elsom terminal as operators manage it: the credentials the Elsom wallet signs in with, the addresses it
 * comes from, and its service map. Created when the agent has none, changed otherwise; a blank password keeps the
 * current one. The audit entry (never the password, only whether it changed) commits with the change. The gateway's
 * service-map cache sees a change within its TTL.
 */
import { randomBytes } from 'node:crypto';
import { parseCidr } from '../domain/cidr.ts';
import type { Clock } from '../domain/clock.ts';
import type { Db, Queryable } from '../store/db.ts';
import { appendAudit } from './audit.ts';
import { ServiceError } from './errors.ts';
import type { PaymentEngine, PaymentView } from './payments.ts';
import type { Actor } from './sessions.ts';
import {
  createElsomTerminalIn, elsomPasswordMd5, elsomSecretHash, findElsomService, findElsomTerminalByAgent, listElsomServices, mapElsomService, validateElsomTerminal,
  type ElsomServiceLine, type ElsomServiceMapping,
} from './terminals.ts';

export interface ElsomTerminalView {
  terminalId: string;
  login: string;
  ipAllow: string[];
  services: ElsomServiceMapping[];
}

export interface ElsomTerminalChange {
  terminalId: string;
  login: string;
  /** Empty or absent: keep the current password (a new terminal needs one). */
  password?: string;
  ipAllow: string[];
  services: ElsomServiceLine[];
}

/** The agent's terminal with its service map; undefined when the agent is no Elsom terminal. */
export async function elsomTerminalOf(q: Queryable, agentId: bigint): Promise<ElsomTerminalView | undefined> {
  const terminal = await findElsomTerminalByAgent(q, agentId);
  if (!terminal) return undefined;
  return { ...terminal, services: await listElsomServices(q, agentId) };
}

const summary = (view: ElsomTerminalView | undefined) => view && {
  terminalId: view.terminalId, login: view.login, ipAllow: view.ipAllow,
  services: view.services.map((s) => `${s.elsomServiceId}=${s.serviceId}${s.wholeAmounts ? ':whole' : ''}`),
};

function checkShape(change: ElsomTerminalChange): void {
  if (!/^\d{1,10}$/.test(change.terminalId)) throw new ServiceError('invalid', 'bad_elsom_terminal', 'Elsom terminal-id must be 1–10 digits');
  if (!change.login || change.login.length > 100) throw new ServiceError('invalid', 'bad_elsom_terminal', 'Elsom login must be 1–100 characters');
  for (const cidr of change.ipAllow) {
    try {
      parseCidr(cidr);
    } catch {
      throw new ServiceError('invalid', 'bad_cidr', `invalid IP address in allow-list: ${cidr}`);
    }
  }
  const seen = new Set<string>();
  for (const line of change.services) {
    if (seen.has(line.elsomServiceId)) throw new ServiceError('invalid', 'bad_elsom_terminal', `Elsom service-id ${line.elsomServiceId} is mapped twice`);
    seen.add(line.elsomServiceId);
  }
}

/** Creates or changes the agent's Elsom terminal; audited as `agents.elsom_terminal`. */
export async function configureElsomTerminal(db: Db, actor: Actor, agentId: bigint, change: ElsomTerminalChange, clock: Clock): Promise<ElsomTerminalView> {
  checkShape(change);
  return db.tx(async (q) => {
    const agent = await q.query('SELECT 1 FROM agents WHERE id = $1 FOR UPDATE', [agentId]);
    if (agent.rowCount === 0) throw new ServiceError('not_found', 'agent_not_found', `agent ${agentId} not found`);
    const before = await elsomTerminalOf(q, agentId);
    await checkReferences(q, agentId, change);
    if (!before) {
      if (!change.password) throw new ServiceError('invalid', 'bad_elsom_terminal', 'a new Elsom terminal needs a password');
      const input = { terminalId: change.terminalId, login: change.login, password: change.password, ipAllow: change.ipAllow, services: change.services };
      await refused(() => validateElsomTerminal(q, input));
      await createElsomTerminalIn(q, { agentId, ...input });
    } else {
      await updateTerminal(q, agentId, change);
    }
    const after = await elsomTerminalOf(q, agentId);
    await appendAudit(q, actor, {
      action: 'agents.elsom_terminal', targetKind: 'agent', targetId: agentId,
      before: summary(before), after: { ...summary(after), passwordChanged: Boolean(change.password) },
    }, clock);
    return after!;
  });
}

async function checkReferences(q: Queryable, agentId: bigint, change: ElsomTerminalChange): Promise<void> {
  const used = await q.query('SELECT 1 FROM elsom_terminals WHERE terminal_id = $1 AND agent_id <> $2', [change.terminalId, agentId]);
  if (used.rowCount > 0) throw new ServiceError('conflict', 'elsom_terminal_taken', `Elsom terminal ${change.terminalId} belongs to another agent`);
  for (const line of change.services) {
    const known = await q.query('SELECT 1 FROM services WHERE service_id = $1', [line.serviceId]);
    if (known.rowCount === 0) throw new ServiceError('invalid', 'unknown_service', `unknown catalog serviceId ${line.serviceId}`);
  }
}

async function updateTerminal(q: Queryable, agentId: bigint, change: ElsomTerminalChange): Promise<void> {
  await q.query('UPDATE elsom_terminals SET terminal_id = $2, login = $3, ip_allow = $4 WHERE agent_id = $1', [agentId, change.terminalId, change.login, change.ipAllow]);
  if (change.password) {
    const salt = randomBytes(16).toString('hex');
    await q.query('UPDATE elsom_terminals SET password_salt = $2, password_sha256 = $3 WHERE agent_id = $1', [agentId, salt, elsomSecretHash(salt, elsomPasswordMd5(change.password))]);
  }
  const keep = change.services.map((line) => line.elsomServiceId);
  await q.query('DELETE FROM elsom_services WHERE agent_id = $1 AND NOT (elsom_service_id = ANY($2::text[]))', [agentId, keep]);
  for (const line of change.services) await mapElsomService(q, agentId, line);
}

async function refused(check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    throw new ServiceError('invalid', 'bad_elsom_terminal', error instanceof Error ? error.message : String(error));
  }
}

/** One line of Elsom's PAYMENT_LIST registry (2.4.2), before its wire format: the biller gateway answers these. */
export interface ElsomListLine {
  transactionId: bigint;
  /** The transaction-number as Elsom wrote it (a leading zero kept), or the number itself when none was kept. */
  transactionNumber: string;
  /** When it became successful; null only for a row without times (the gateway then says "now"). */
  at: Date | null;
  account: string;
  amountMinor: bigint;
}

export function elsomListLines(payments: readonly PaymentView[]): ElsomListLine[] {
  return payments.map((payment) => ({
    transactionId: payment.transactionId,
    transactionNumber: payment.agentReference ?? payment.agentTxnId.toString(),
    at: payment.statusAt ?? payment.paidAt,
    account: payment.account,
    amountMinor: payment.amountToMinor ?? 0n,
  }));
}

/**
 * What PAYMENT_LIST would answer the agent's terminal for an Elsom service-id and [from, to): its succeeded payments
 * of the mapped catalog service. Undefined when the service-id is not in the agent's map (the gateway refuses it).
 */
export async function elsomPaymentList(
  q: Queryable, engine: Pick<PaymentEngine, 'succeededBetween'>, agentId: bigint, elsomServiceId: string, from: Date, to: Date,
): Promise<ElsomListLine[] | undefined> {
  const mapping = await findElsomService(q, agentId, elsomServiceId);
  if (!mapping) return undefined;
  return elsomListLines(await engine.succeededBetween(agentId, from, to, [mapping.serviceId]));
}
