/**
 * What the operator console (/console) is given: the engine's services for people, bound to one store and clock, so
 * that the console's routes hold no SQL and no database. Every action goes through the service that writes the audit
 * log (operators, approvals, tokens, …) with the acting operator and their address; reads use the engine's queries.
 */
import type { Clock } from '../domain/clock.ts';
import type { Db } from '../store/db.ts';
import type { PaymentEngine, PaymentView } from './payments.ts';
import { agentFunds, findAgent, listTokens, recentAgentEvents, type Agent, type AgentEvent, type AgentFunds, type TokenInfo } from './agents.ts';
import { listAttention, type AttentionItem } from './attention.ts';
import { can, type Action } from './authorization.ts';
import { checkOperatorLogin, createOperator, disableOperator, listOperators, setOperatorRole, type Operator, type Role } from './operators.ts';
import { createSession, checkCsrf, endSession, readSession, type Actor, type Principal, type Session, type SessionTimeouts } from './sessions.ts';
import { appendAudit, listAudit, verifyAuditChain, type AuditEntry, type AuditFilters, type AuditVerification } from './audit.ts';
import { approveProposal, listProposals, proposeMoneyMovement, rejectProposal, type MoneyProposal, type ProposalInput, type ProposalState } from './approvals.ts';
import { createAgentUser, listAgentUsers, type AgentUser } from './agent-users.ts';
import { paymentRecord, type PaymentRecord } from './payment-record.ts';
import type { TimelineEntry } from './timeline.ts';
import {
  listAgents, openPaymentCounts, paymentsPerMinute, searchPayments,
  type AgentListing, type PaymentFilters, type PaymentPage, type PaymentRates, type PaymentSearchResult,
} from './payment-search.ts';
import { consoleCounts, lowAgents, providerRegistry, tokenOfAgent, type ConsoleCounts, type LowAgent, type RegistryLine } from './console-queries.ts';
import type { Catalog } from './catalog.ts';
import { confirmAgentToken, decideHeldPayment, resolveAttentionItem, revokeAgentToken, setAgentIpAllow } from './operator-actions.ts';
import { paymentTimeline } from './timeline.ts';

export type ConsoleAction = Action;

export interface AgentDetail {
  funds: AgentFunds;
  tokens: TokenInfo[];
  users: AgentUser[];
  proposals: MoneyProposal[];
  events: AgentEvent[];
}

export interface ConsoleServices {
  idleMs: number;
  signIn(login: string, password: string, totp: string | undefined, from: { ip: string; userAgent: string | null }):
    Promise<{ ok: true; token: string; csrfToken: string } | { ok: false; reason: 'invalid' | 'totp_required' }>;
  /** The live operator session of a cookie's token (a cabinet user's session is not one). */
  session(token: string): Promise<Session | null>;
  csrfOk(session: Session, presented: string | undefined): boolean;
  signOut(token: string, actor: Actor): Promise<void>;
  can(principal: Principal, action: Action, target?: { agentId?: bigint }): boolean;
  navCounts(principal: Principal): Promise<Partial<Record<string, number>>>;

  counts(): Promise<ConsoleCounts>;
  rates(by: 'service' | 'agent', minutes: number): Promise<PaymentRates>;
  lowAgents(): Promise<LowAgent[]>;

  searchPayments(filters: PaymentFilters, page: PaymentPage): Promise<PaymentSearchResult>;
  payment(id: bigint): Promise<PaymentRecord | undefined>;
  /** State changes, ledger transfers, jobs and partner exchanges (masked), oldest first. */
  timeline(id: bigint): Promise<TimelineEntry[]>;

  /** The providers of the catalog's services (the registry's choice). */
  providers(): Promise<string[]>;
  registry(provider: string, from: Date, to: Date): Promise<{ lines: RegistryLine[]; capped: boolean }>;

  agents(): Promise<AgentListing[]>;
  agent(id: bigint): Promise<AgentDetail | undefined>;
  confirmToken(actor: Actor, agentId: bigint, tokenId: bigint): Promise<boolean>;
  revokeToken(actor: Actor, agentId: bigint, tokenId: bigint): Promise<boolean>;
  setIpAllow(actor: Actor, agentId: bigint, list: string[]): Promise<Agent>;
  createAgentUser(actor: Actor, agentId: bigint, login: string, password: string): Promise<AgentUser>;

  proposals(state?: ProposalState): Promise<MoneyProposal[]>;
  propose(actor: Actor, input: ProposalInput): Promise<MoneyProposal>;
  approve(actor: Actor, id: bigint, note?: string): Promise<MoneyProposal>;
  reject(actor: Actor, id: bigint, note?: string): Promise<MoneyProposal>;

  attention(includeResolved: boolean): Promise<AttentionItem[]>;
  resolveAttention(actor: Actor, id: bigint, note: string): Promise<boolean>;
  review(): Promise<PaymentView[]>;
  decideReview(actor: Actor, id: bigint, decision: 'approve' | 'reject', note: string): Promise<PaymentView>;

  operators(): Promise<Operator[]>;
  createOperator(actor: Actor, input: { login: string; password: string; role: Role }): Promise<Operator>;
  setRole(actor: Actor, id: bigint, role: Role): Promise<Operator>;
  disableOperator(actor: Actor, id: bigint): Promise<Operator>;

  audit(filters: AuditFilters, page: { before?: bigint; limit?: number }): Promise<{ entries: AuditEntry[]; nextBefore: bigint | null }>;
  verifyAudit(): Promise<AuditVerification>;
}

/** An allow-list as typed in a textarea: one entry a line (or comma), blanks and repeats dropped. */
export function cleanIpList(list: string[]): string[] {
  return [...new Set(list.map((entry) => entry.trim()).filter(Boolean))];
}

export function consoleServices(db: Db, parts: { clock: Clock; engine: PaymentEngine; catalog: Catalog; timeouts: SessionTimeouts; queueSchema: string }): ConsoleServices {
  const { clock, engine, timeouts } = parts;
  return {
    idleMs: timeouts.idleMs,
    ...consoleAuth(db, clock, timeouts),
    can: (principal, action, target) => can(principal, action, target),
    navCounts: async (principal) => {
      const counts = await consoleCounts(db, () => openPaymentCounts(db));
      return {
        ...(can(principal, 'attention.read') ? { attention: counts.attention } : {}),
        ...(can(principal, 'reviews.read') ? { review: counts.review } : {}),
        ...(can(principal, 'proposals.read') ? { approvals: counts.proposals } : {}),
      };
    },
    counts: () => consoleCounts(db, () => openPaymentCounts(db)),
    rates: (by, minutes) => paymentsPerMinute(db, { by, minutes }, clock),
    lowAgents: () => lowAgents(db, clock),
    searchPayments: (filters, page) => searchPayments(db, filters, page),
    payment: (id) => paymentRecord(db, id),
    timeline: (id) => paymentTimeline(db, id, { clock, queueSchema: parts.queueSchema }),
    providers: async () => [...new Set((await parts.catalog.all()).map((service) => service.provider))].sort(),
    registry: (provider, from, to) => providerRegistry(db, provider, from, to),
    agents: () => listAgents(db),
    agent: (id) => agentDetail(db, id),
    confirmToken: async (actor, agentId, tokenId) => (await tokenOfAgent(db, agentId, tokenId)) && (await confirmAgentToken(db, actor, tokenId, clock)).changed,
    revokeToken: async (actor, agentId, tokenId) => (await tokenOfAgent(db, agentId, tokenId)) && (await revokeAgentToken(db, actor, tokenId, clock)).changed,
    setIpAllow: (actor, agentId, list) => setAgentIpAllow(db, actor, agentId, cleanIpList(list), clock),
    createAgentUser: (actor, agentId, login, password) => createAgentUser(db, agentId, { login, password }, clock, actor),
    proposals: (state) => listProposals(db, state ? { state } : {}),
    propose: (actor, input) => proposeMoneyMovement(db, actor, input, clock),
    approve: async (actor, id, note) => (await approveProposal(db, actor, id, clock, note)).proposal,
    reject: (actor, id, note) => rejectProposal(db, actor, id, clock, note),
    attention: (includeResolved) => listAttention(db, includeResolved),
    resolveAttention: async (actor, id, note) => Boolean(await resolveAttentionItem(db, actor, id, note, clock)),
    review: () => engine.underReview(),
    decideReview: (actor, id, decision, note) => decideHeldPayment(engine, actor, id, decision, note, clock),
    operators: () => listOperators(db),
    createOperator: (actor, input) => createOperator(db, input, clock, actor),
    setRole: (actor, id, role) => setOperatorRole(db, id, role, clock, actor),
    disableOperator: (actor, id) => disableOperator(db, id, clock, actor),
    audit: (filters, page) => listAudit(db, filters, page),
    verifyAudit: () => verifyAuditChain(db),
  };
}

function consoleAuth(db: Db, clock: Clock, timeouts: SessionTimeouts): Pick<ConsoleServices, 'signIn' | 'session' | 'csrfOk' | 'signOut'> {
  return {
    signIn: async (login, password, totp, from) => {
      const checked = await checkOperatorLogin(db, login, password, totp, clock);
      if (!checked.ok) return checked;
      const { operator } = checked;
      const principal = { kind: 'operator' as const, id: operator.id, login: operator.login, role: operator.role };
      return db.tx(async (q) => {
        const opened = await createSession(q, principal, from, clock, timeouts);
        await appendAudit(q, { principal, ip: from.ip }, { action: 'sessions.login', targetKind: 'operator', targetId: operator.id }, clock);
        return { ok: true as const, token: opened.token, csrfToken: opened.csrfToken };
      });
    },
    session: async (token) => {
      const session = await readSession(db, token, clock, timeouts);
      return session?.principal.kind === 'operator' ? session : null;
    },
    csrfOk: (session, presented) => checkCsrf(session, presented),
    signOut: (token, actor) => db.tx(async (q) => {
      await endSession(q, token);
      if (actor.principal.kind === 'operator') {
        await appendAudit(q, actor, { action: 'sessions.logout', targetKind: 'operator', targetId: actor.principal.id }, clock);
      }
    }),
  };
}

async function agentDetail(db: Db, id: bigint): Promise<AgentDetail | undefined> {
  const agent = await findAgent(db, id);
  if (!agent) return undefined;
  const [funds, tokens, users, proposals, events] = await Promise.all([
    agentFunds(db, agent), listTokens(db, id), listAgentUsers(db, id), listProposals(db, { agentId: id }, 50), recentAgentEvents(db, id, 10),
  ]);
  return { funds, tokens, users, proposals, events };
}
