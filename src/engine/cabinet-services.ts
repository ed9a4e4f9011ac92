/**
 * What the agent cabinet (/cabinet) is given. Every method takes the agent of the signed-in cabinet user and reads or
 * changes only that agent's data: a payment, a token or a reservation of another agent is simply not found, whatever
 * id a request names. Actions write the audit log with the cabinet user and their address.
 */
import type { Clock } from '../domain/clock.ts';
import type { Db } from '../store/db.ts';
import { agentFunds, findAgent, listTokens, type AgentFunds, type TokenInfo } from './agents.ts';
import { verifyAgentUserPassword } from './agent-users.ts';
import { issueAgentToken, revokeAgentToken, setAgentIpAllow, type IssuedToken } from './operator-actions.ts';
import { cleanIpList } from './console-services.ts';
import { tokenOfAgent } from './console-queries.ts';
import { appendAudit } from './audit.ts';
import { can, type Action } from './authorization.ts';
import { searchPayments, type PaymentFilters, type PaymentPage, type PaymentSearchResult, type PaymentSummary } from './payment-search.ts';
import { checkCsrf, createSession, endSession, readSession, type Actor, type Principal, type Session, type SessionTimeouts } from './sessions.ts';

export interface CabinetServices {
  idleMs: number;
  signIn(login: string, password: string, from: { ip: string; userAgent: string | null }): Promise<{ ok: true; token: string; csrfToken: string } | { ok: false }>;
  /** The live cabinet session of a cookie's token (an operator's session is not one). */
  session(token: string): Promise<Session | null>;
  csrfOk(session: Session, presented: string | undefined): boolean;
  signOut(token: string, actor: Actor): Promise<void>;
  can(principal: Principal, action: Action, agentId: bigint): boolean;

  funds(agentId: bigint): Promise<AgentFunds | undefined>;
  tokens(agentId: bigint): Promise<TokenInfo[]>;
  issueToken(actor: Actor, agentId: bigint): Promise<IssuedToken>;
  revokeToken(actor: Actor, agentId: bigint, tokenId: bigint): Promise<boolean>;
  setIpAllow(actor: Actor, agentId: bigint, list: string[]): Promise<string[]>;
  /** The agent's payments; the agent filter is the cabinet's own, whatever the filters say. */
  searchPayments(agentId: bigint, filters: PaymentFilters, page: PaymentPage): Promise<PaymentSearchResult>;
  payment(agentId: bigint, transactionId: bigint): Promise<PaymentSummary | undefined>;
}

export function cabinetServices(db: Db, parts: { clock: Clock; timeouts: SessionTimeouts }): CabinetServices {
  const { clock, timeouts } = parts;
  return {
    idleMs: timeouts.idleMs,
    signIn: async (login, password, from) => {
      const user = await verifyAgentUserPassword(db, login, password);
      if (!user) return { ok: false };
      const principal = { kind: 'agent_user' as const, id: user.id, login: user.login, agentId: user.agentId };
      return db.tx(async (q) => {
        const opened = await createSession(q, principal, from, clock, timeouts);
        await appendAudit(q, { principal, ip: from.ip }, { action: 'sessions.login', targetKind: 'agent_user', targetId: user.id }, clock);
        return { ok: true as const, token: opened.token, csrfToken: opened.csrfToken };
      });
    },
    session: async (token) => {
      const session = await readSession(db, token, clock, timeouts);
      return session?.principal.kind === 'agent_user' ? session : null;
    },
    csrfOk: (session, presented) => checkCsrf(session, presented),
    signOut: (token, actor) => db.tx(async (q) => {
      await endSession(q, token);
      if (actor.principal.kind === 'agent_user') await appendAudit(q, actor, { action: 'sessions.logout', targetKind: 'agent_user', targetId: actor.principal.id }, clock);
    }),
    can: (principal, action, agentId) => can(principal, action, { agentId }),
    funds: async (agentId) => {
      const agent = await findAgent(db, agentId);
      return agent ? agentFunds(db, agent) : undefined;
    },
    tokens: (agentId) => listTokens(db, agentId),
    issueToken: (actor, agentId) => issueAgentToken(db, actor, agentId, { confirm: false }, clock),
    // A token id names a token of the session's agent or nothing: another agent's is "not found", never revoked.
    revokeToken: async (actor, agentId, tokenId) => (await tokenOfAgent(db, agentId, tokenId)) && (await revokeAgentToken(db, actor, tokenId, clock)).changed,
    setIpAllow: async (actor, agentId, list) => (await setAgentIpAllow(db, actor, agentId, cleanIpList(list), clock)).ipAllow,
    searchPayments: (agentId, filters, page) => searchPayments(db, { ...filters, agentId }, page),
    payment: async (agentId, transactionId) => (await searchPayments(db, { agentId, transactionId }, { limit: 1 })).payments[0],
  };
}
