/**
 * What the operator console (/console) is given: the engine's services for people, bound to one store and clock, so
 * that the console's routes hold no SQL and no database. Every action goes through the admin services (the admin
 * API's own), which write the audit log with the acting operator and their address; reads use the engine's queries.
 */
import type { ProviderCircuitView } from './provider-circuits.ts';
import type { Db } from '../store/db.ts';
import type { PaymentView } from './payments.ts';
import type { Agent, AgentEvent, AgentFunds, TokenInfo } from './agents.ts';
import type { AttentionItemWithActions, PaymentProposalInput } from './attention-actions.ts';
import { can, type Action } from './authorization.ts';
import type { Operator, Role } from './operators.ts';
import { checkCsrf, type Actor, type Principal, type Session } from './sessions.ts';
import { appendAudit, type AuditEntry, type AuditFilters, type AuditVerification } from './audit.ts';
import type { MoneyProposal, ProposalInput, ProposalState } from './approvals.ts';
import type { AgentUser } from './agent-users.ts';
import type { PaymentRecord } from './payment-record.ts';
import type { TimelineEntry } from './timeline.ts';
import { paymentTimeline } from './timeline.ts';
import type { AgentListing, PaymentFilters, PaymentPage, PaymentRates, PaymentSearchResult } from './payment-search.ts';
import {
  consoleCounts, lowAgents, providerHealth, providerRegistry, type ConsoleCounts, type LowAgent, type ProviderHealth, type RegistryLine,
} from './console-queries.ts';
import type { Catalog } from './catalog.ts';
import type { AdminServices } from './admin-services.ts';
import type { AgentSettingsChange } from './operator-actions.ts';

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
  providerHealth(minutes: number): Promise<ProviderHealth[]>;

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
  configureAgent(actor: Actor, agentId: bigint, change: AgentSettingsChange): Promise<Agent>;
  createAgentUser(actor: Actor, agentId: bigint, login: string, password: string): Promise<AgentUser>;
  /** Disables a cabinet user of this agent (its sessions end); false when the agent has no such user. */
  disableAgentUser(actor: Actor, agentId: bigint, userId: bigint): Promise<boolean>;

  proposals(state?: ProposalState): Promise<MoneyProposal[]>;
  propose(actor: Actor, input: ProposalInput): Promise<MoneyProposal>;
  approve(actor: Actor, id: bigint, note?: string): Promise<MoneyProposal>;
  reject(actor: Actor, id: bigint, note?: string): Promise<MoneyProposal>;

  /** Each item with the actions that fit its payment (attention-actions.ts). */
  attention(includeResolved: boolean): Promise<AttentionItemWithActions[]>;
  resolveAttention(actor: Actor, id: bigint, note: string): Promise<boolean>;
  /** Drives the item's payment again now. */
  retryAttention(actor: Actor, id: bigint): Promise<PaymentView>;
  /** mark_paid, reverse or refund of the item's payment: a proposal on the approvals page. */
  proposeAttention(actor: Actor, id: bigint, input: PaymentProposalInput): Promise<MoneyProposal>;
  review(): Promise<PaymentView[]>;
  decideReview(actor: Actor, id: bigint, decision: 'approve' | 'reject', note: string): Promise<PaymentView>;

  /** Whether the operator signed in with a one-time password that must be replaced first. */
  mustChangePassword(principal: Principal): Promise<boolean>;
  /** Replaces one's own password (the current one proves it is them); every session of theirs ends. */
  changeOwnPassword(actor: Actor, current: string, next: string): Promise<boolean>;
  /** One's own second factor: whether it is on, a fresh key to enrol, turning it on (password + first code) or off (a code). */
  ownTotp(actor: Actor): Promise<{ enabled: boolean; enrol?: { secret: string; uri: string } }>;
  enableOwnTotp(actor: Actor, password: string, secret: string, code: string): Promise<boolean>;
  disableOwnTotp(actor: Actor, code: string): Promise<boolean>;
  operators(): Promise<Operator[]>;
  createOperator(actor: Actor, input: { login: string; password: string; role: Role }): Promise<Operator>;
  setRole(actor: Actor, id: bigint, role: Role): Promise<Operator>;
  disableOperator(actor: Actor, id: bigint): Promise<Operator>;

  audit(filters: AuditFilters, page: { before?: bigint; limit?: number }): Promise<{ entries: AuditEntry[]; nextBefore: bigint | null }>;
  verifyAudit(): Promise<AuditVerification>;

  /** Services, their enabled flag, limits, inputs, fee rule and route (changes audited, the cache dropped), the regexp test and fee preview. */
  catalog: Pick<AdminServices['catalog'], 'all' | 'get' | 'edit' | 'providers' | 'setEnabled' | 'setLimits' | 'setInputs' | 'setFeeRule' | 'setRoute' | 'testInput' | 'testRegexp' | 'feePreview'>;
  /** Agents' Elsom terminals and the PAYMENT_LIST the biller gateway would answer. */
  elsom: AdminServices['elsom'];
  /** Runs on demand (tracked background tasks), past runs and their items. */
  moneyProofs: AdminServices['moneyProofs'];
  reconciliation: Pick<AdminServices['reconciliation'], 'runs' | 'findRun' | 'start' | 'task' | 'csv' | 'csvLines'> & { providers(): Promise<string[]> };
  /** Three-way runs (tracked like the two-way ones), their items with proposed actions, proposals and acknowledgements. */
  threeWay: AdminServices['threeWay'];
}

/** An allow-list as typed in a textarea: one entry a line (or comma), blanks and repeats dropped. */
export function cleanIpList(list: string[]): string[] {
  return [...new Set(list.map((entry) => entry.trim()).filter(Boolean))];
}

/** Whether a token is one of this agent's: a page names the agent, and a token id alone never crosses agents. */
export async function tokenOfAgent(admin: AdminServices, agentId: bigint, tokenId: bigint): Promise<boolean> {
  return (await admin.agents.tokenAgent(tokenId)) === agentId;
}

/**
 * The console's services: the admin services (the same ones the admin API serves), plus the few reads only the
 * console's pages make (counters, low agents, registries, the timeline).
 */
export function consoleServices(db: Db, admin: AdminServices, parts: { catalog: Catalog; queueSchema: string }): ConsoleServices {
  const { clock } = admin;
  return {
    idleMs: admin.sessionTimeouts.idleMs,
    ...consoleAuth(db, admin),
    can: (principal, action, target) => can(principal, action, target),
    navCounts: async (principal) => {
      const counts = await consoleCounts(db, admin.payments.openCounts);
      return {
        ...(can(principal, 'attention.read') ? { attention: counts.attention } : {}),
        ...(can(principal, 'reviews.read') ? { review: counts.review } : {}),
        ...(can(principal, 'proposals.read') ? { approvals: counts.proposals } : {}),
      };
    },
    counts: () => consoleCounts(db, admin.payments.openCounts),
    rates: (by, minutes) => admin.payments.rates(by, minutes),
    lowAgents: () => lowAgents(db, clock),
    providerHealth: async (minutes) => withCircuits(await providerHealth(db, clock, minutes), admin.providerCircuits()),
    searchPayments: (filters, page) => admin.payments.search(filters, page),
    payment: (id) => admin.payments.record(id),
    timeline: (id) => paymentTimeline(db, id, { clock, queueSchema: parts.queueSchema }),
    providers: async () => [...new Set((await parts.catalog.all()).map((service) => service.provider))].sort(),
    registry: (provider, from, to) => providerRegistry(db, provider, from, to),
    agents: () => admin.agents.list(),
    agent: async (id) => {
      const shown = await admin.agents.show(id);
      return shown ? { ...shown, proposals: await admin.proposals.list({ agentId: id }, 50) } : undefined;
    },
    confirmToken: async (actor, agentId, tokenId) => (await tokenOfAgent(admin, agentId, tokenId)) && (await admin.agents.confirmToken(actor, tokenId)).changed,
    revokeToken: async (actor, agentId, tokenId) => (await tokenOfAgent(admin, agentId, tokenId)) && (await admin.agents.revokeToken(actor, tokenId)).changed,
    setIpAllow: (actor, agentId, list) => admin.agents.setIpAllow(actor, agentId, cleanIpList(list)),
    configureAgent: (actor, agentId, change) => admin.agents.configure(actor, agentId, change),
    createAgentUser: (actor, agentId, login, password) => admin.agents.createUser(actor, agentId, { login, password }),
    disableAgentUser: async (actor, agentId, userId) => {
      const user = await admin.agents.findUser(userId);
      if (user?.agentId !== agentId || user.disabledAt) return false;
      await admin.agents.disableUser(actor, userId);
      return true;
    },
    proposals: (state) => admin.proposals.list(state ? { state } : {}),
    propose: (actor, input) => admin.proposals.propose(actor, input),
    approve: async (actor, id, note) => (await admin.proposals.approve(actor, id, note)).proposal,
    reject: (actor, id, note) => admin.proposals.reject(actor, id, note),
    attention: (includeResolved) => admin.attention.list(includeResolved),
    resolveAttention: async (actor, id, note) => Boolean(await admin.attention.resolve(actor, id, note)),
    retryAttention: (actor, id) => admin.attention.retry(actor, id),
    proposeAttention: (actor, id, input) => admin.attention.propose(actor, id, input),
    review: () => admin.reviews.list(),
    decideReview: (actor, id, decision, note) => admin.reviews.decide(actor, id, decision, note),
    mustChangePassword: async (principal) => principal.kind === 'operator' && Boolean((await admin.operators.find(principal.id))?.mustChangePassword),
    changeOwnPassword: async (actor, current, next) => {
      if (actor.principal.kind !== 'operator') return false;
      await admin.operators.changeOwnPassword(actor, actor.principal.id, current, next);
      return true;
    },
    ownTotp: async (actor) => {
      if (actor.principal.kind !== 'operator') return { enabled: false };
      const enabled = Boolean((await admin.operators.find(actor.principal.id))?.totpEnabled);
      return enabled ? { enabled } : { enabled, enrol: admin.operators.newTotpSecret(actor.principal.login) };
    },
    enableOwnTotp: async (actor, password, secret, code) =>
      actor.principal.kind === 'operator' && admin.operators.enableOwnTotp(actor, actor.principal, password, secret, code),
    disableOwnTotp: async (actor, code) => actor.principal.kind === 'operator' && admin.operators.disableOwnTotp(actor, actor.principal.id, code),
    operators: () => admin.operators.list(),
    createOperator: (actor, input) => admin.operators.create(actor, input),
    setRole: (actor, id, role) => admin.operators.setRole(actor, id, role),
    disableOperator: (actor, id) => admin.operators.disable(actor, id),
    audit: (filters, page) => admin.audit.list(filters, page),
    verifyAudit: () => admin.audit.verify(),
    catalog: admin.catalog,
    elsom: admin.elsom,
    moneyProofs: admin.moneyProofs,
    threeWay: admin.threeWay,
    reconciliation: {
      ...admin.reconciliation,
      providers: async () => admin.reconciliation.providers([...new Set((await parts.catalog.all()).map((service) => service.provider))].sort()),
    },
  };
}

/** Logins and logouts are audited here: the admin services open and end sessions, the panels say who came and went. */
function consoleAuth(db: Db, admin: AdminServices): Pick<ConsoleServices, 'signIn' | 'session' | 'csrfOk' | 'signOut'> {
  const { clock } = admin;
  return {
    signIn: async (login, password, totp, from) => {
      const opened = await admin.sessions.loginOperator(login, password, totp, from);
      if (!opened.ok) return opened;
      await db.tx((q) => appendAudit(q, { principal: opened.principal, ip: from.ip }, { action: 'sessions.login', targetKind: 'operator', targetId: opened.operator.id }, clock));
      return { ok: true as const, token: opened.token, csrfToken: opened.csrfToken };
    },
    session: async (token) => {
      const session = await admin.sessions.read(token);
      return session?.principal.kind === 'operator' ? session : null;
    },
    csrfOk: (session, presented) => checkCsrf(session, presented),
    signOut: async (token, actor) => {
      await admin.sessions.end(token);
      if (actor.principal.kind === 'operator') {
        await db.tx((q) => appendAudit(q, actor, { action: 'sessions.logout', targetKind: 'operator', targetId: actor.principal.kind === 'operator' ? actor.principal.id : undefined }, clock));
      }
    },
  };
}

/** The journal's figures (every instance's calls) with this instance's circuit per provider, one row per partner. */
function withCircuits(health: ProviderHealth[], circuits: ProviderCircuitView[]): ProviderHealth[] {
  const byPartner = new Map(health.map((row) => [row.partner, row]));
  for (const circuit of circuits) {
    const row = byPartner.get(circuit.provider) ?? { partner: circuit.provider, calls: 0, errors: 0, errorRate: 0, avgMs: 0, p95Ms: 0, unknown: 0 };
    byPartner.set(circuit.provider, { ...row, circuit: circuit.state });
  }
  return [...byPartner.values()].sort((a, b) => a.partner.localeCompare(b.partner));
}
