/**
 * What the agent cabinet (/cabinet) is given. Every method takes the agent of the signed-in cabinet user and reads or
 * changes only that agent's data: a payment, a token or a reservation of another agent is simply not found, whatever
 * id a request names. Actions go through the admin services, which write the audit log with the cabinet user.
 */
import type { Db } from '../store/db.ts';
import type { AgentRegistry } from './agent-registries.ts';
import type { AgentFunds, TokenInfo } from './agents.ts';
import type { AdminServices } from './admin-services.ts';
import { appendAudit } from './audit.ts';
import { can, type Action } from './authorization.ts';
import { cleanIpList, tokenOfAgent } from './console-services.ts';
import type { IssuedToken } from './operator-actions.ts';
import type { PaymentFilters, PaymentPage, PaymentSearchResult, PaymentSummary } from './payment-search.ts';
import { checkCsrf, type Actor, type Principal, type Session } from './sessions.ts';

export interface CabinetServices {
  idleMs: number;
  signIn(login: string, password: string, from: { ip: string; userAgent: string | null }): Promise<{ ok: true; token: string; csrfToken: string } | { ok: false }>;
  /** The live cabinet session of a cookie's token (an operator's session is not one). */
  session(token: string): Promise<Session | null>;
  csrfOk(session: Session, presented: string | undefined): boolean;
  signOut(token: string, actor: Actor): Promise<void>;
  can(principal: Principal, action: Action, agentId: bigint): boolean;

  funds(agentId: bigint): Promise<AgentFunds | undefined>;
  /** The enabled services whose provider is down now (its breaker open or probing): new payments of them answer 8. */
  unavailableServices(): Promise<{ serviceId: string; name: string; provider: string }[]>;
  tokens(agentId: bigint): Promise<TokenInfo[]>;
  issueToken(actor: Actor, agentId: bigint): Promise<IssuedToken>;
  revokeToken(actor: Actor, agentId: bigint, tokenId: bigint): Promise<boolean>;
  setIpAllow(actor: Actor, agentId: bigint, list: string[]): Promise<string[]>;
  /** The agent's payments; the agent filter is the cabinet's own, whatever the filters say. */
  searchPayments(agentId: bigint, filters: PaymentFilters, page: PaymentPage): Promise<PaymentSearchResult>;
  payment(agentId: bigint, transactionId: bigint): Promise<PaymentSummary | undefined>;
  /** The agent's uploaded registries, newest first. */
  registries(agentId: bigint): Promise<AgentRegistry[]>;
  /** Stores the agent's registry of a day (CSV as uploaded); a bad file is refused with its line (ServiceError 'invalid'). */
  uploadRegistry(actor: Actor, agentId: bigint, day: string, body: AsyncIterable<Buffer | string>): Promise<AgentRegistry>;
}

/** The cabinet's services over the admin services, each bound to the agent the caller names (the session's). */
export function cabinetServices(db: Db, admin: AdminServices): CabinetServices {
  const { clock } = admin;
  return {
    idleMs: admin.sessionTimeouts.idleMs,
    signIn: async (login, password, from) => {
      const opened = await admin.sessions.loginAgentUser(login, password, from);
      if (!opened) return { ok: false };
      await db.tx((q) => appendAudit(q, { principal: opened.principal, ip: from.ip }, { action: 'sessions.login', targetKind: 'agent_user', targetId: opened.user.id }, clock));
      return { ok: true as const, token: opened.token, csrfToken: opened.csrfToken };
    },
    session: async (token) => {
      const session = await admin.sessions.read(token);
      return session?.principal.kind === 'agent_user' ? session : null;
    },
    csrfOk: (session, presented) => checkCsrf(session, presented),
    signOut: async (token, actor) => {
      await admin.sessions.end(token);
      const principal = actor.principal;
      if (principal.kind === 'agent_user') await db.tx((q) => appendAudit(q, actor, { action: 'sessions.logout', targetKind: 'agent_user', targetId: principal.id }, clock));
    },
    can: (principal, action, agentId) => can(principal, action, { agentId }),
    funds: async (agentId) => (await admin.agents.show(agentId))?.funds,
    unavailableServices: async () => {
      const down = new Set(admin.providerCircuits().filter((circuit) => circuit.state !== 'closed').map((circuit) => circuit.provider));
      if (down.size === 0) return [];
      return (await admin.catalog.all()).filter((service) => service.enabled && down.has(service.provider))
        .map((service) => ({ serviceId: service.serviceId, name: service.name, provider: service.provider }));
    },
    tokens: (agentId) => admin.agents.tokens(agentId),
    issueToken: (actor, agentId) => admin.agents.issueToken(actor, agentId, false),
    // A token id names a token of the session's agent or nothing: another agent's is "not found", never revoked.
    revokeToken: async (actor, agentId, tokenId) => (await tokenOfAgent(admin, agentId, tokenId)) && (await admin.agents.revokeToken(actor, tokenId)).changed,
    setIpAllow: async (actor, agentId, list) => (await admin.agents.setIpAllow(actor, agentId, cleanIpList(list))).ipAllow,
    searchPayments: (agentId, filters, page) => admin.payments.search({ ...filters, agentId }, page),
    payment: async (agentId, transactionId) => (await admin.payments.search({ agentId, transactionId }, { limit: 1 })).payments[0],
    registries: (agentId) => admin.agentRegistries.list(agentId, 50),
    uploadRegistry: (actor, agentId, day, body) => admin.agentRegistries.upload(actor, { agentId, day, source: 'cabinet', body }),
  };
}
