/**
 * The operator side of the engine as the admin API, the console and the cabinet receive it: one object bound to the
 * store, the clock and the payment engine, so that those plugins hold no database and no SQL (as the gateways are
 * given `EngineServices`). Every state-changing method takes the acting `Actor` and writes its audit entry in its own
 * transaction; none decides authorization (engine/authorization.ts does, in the caller, before).
 */
import { getAgentRegistry, latestAgentRegistry, listAgentRegistries, storeAgentRegistry, type AgentRegistry } from './agent-registries.ts';
import { findProof, listProofs, proveDay, signProof, verifyProofChain } from './money-proof.ts';
import type { Clock } from '../domain/clock.ts';
import type { Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { checkInvariants } from '../ledger/ledger.ts';
import { agentFunds, findAgent, findToken, listTokens, recentAgentEvents, type CreateAgentInput } from './agents.ts';
import { createAgentUser, disableAgentUser, findAgentUser, listAgentUsers, verifyAgentUserPassword } from './agent-users.ts';
import { listAttention } from './attention.ts';
import { approvePaymentProposal, proposeAttentionAction, retryAttention, withActions, type PaymentProposalInput } from './attention-actions.ts';
import { listAudit, verifyAuditChain, type AuditFilters, type AuditPage } from './audit.ts';
import {
  approveProposal, findProposal, isPaymentProposal, listProposals, moveMoneyDirectly, proposeMoneyMovement, rejectProposal,
  type ProposalFilters, type ProposalInput,
} from './approvals.ts';
import type { Catalog } from './catalog.ts';
import {
  serviceForEdit, setServiceEnabled, setServiceFeeRule, setServiceInputs, setServiceLimits, setServiceRoute, testRegexp, testServiceInput,
  type InputEdit, type RouteEdit,
} from './catalog-admin.ts';
import { feePreview, parseFeeRule, type FeeRuleInput } from './fee-rules.ts';
import { configureElsomTerminal, elsomPaymentList, elsomTerminalOf, type ElsomTerminalChange } from './elsom-terminal-admin.ts';
import {
  claimReconciliationRun, findReconciliationRun, listReconciliationRuns, reconciliationTask, trackReconciliationRun, type ReconciliationTask,
} from './reconciliation-runs.ts';
import { ServiceError } from './errors.ts';
import {
  configureAgent, confirmAgentToken, createAgentAudited, decideHeldPayment, issueAgentToken, resolveAttentionItem,
  revokeAgentToken, setAgentIpAllow, type AgentSettingsChange, type ElsomTerminalSettings,
} from './operator-actions.ts';
import {
  changeOwnPassword, checkOperatorLogin, disableOwnTotp, enableOwnTotp, newTotpSecret, createOperator, disableOperator, disableTotp, enableOperator, enableTotp, ensureFirstAdmin,
  findOperator, listOperators, sealClearTotpSecrets, setOperatorPassword, setOperatorRole, type CreateOperatorInput, type Role,
} from './operators.ts';
import type { SecretBox } from './secrets.ts';
import { paymentRecord } from './payment-record.ts';
import { isReconciliationSource, reconcileProviderDay, reconciliationCsv, reconciliationCsvLines } from './reconcile.ts';
import { appendAudit } from './audit.ts';
import { threeWayServices } from './three-way-services.ts';
import { listAgents, openPaymentCounts, paymentsPerMinute, searchPayments, type PaymentFilters, type PaymentPage } from './payment-search.ts';
import type { PaymentEngine } from './payments.ts';
import {
  createSession, DEFAULT_SESSION_TIMEOUTS, endSession, readSession, type Actor, type Principal, type SessionTimeouts,
} from './sessions.ts';

export interface AdminServiceParts {
  clock: Clock;
  engine: PaymentEngine;
  catalog: Catalog;
  sessionTimeouts?: SessionTimeouts;
  /** The provider that can reconcile its business days (Alseco), by adapter name; undefined: none. */
  reconciliationSource?: (provider: string) => unknown;
  /** The provider adapters of the registry: the routes a service may be given. */
  providerNames?: readonly string[];
  /** What seals and opens the second-factor secrets in the store (engine/secrets.ts). */
  secrets: SecretBox;
  /** The hub's zone (TOLEM_TZ): the business day of a currency without a zone of its own. */
  hubOffsetMinutes?: number;
}

type SessionPrincipal = Exclude<Principal, { kind: 'local' }>;
type From = { ip: string | null; userAgent: string | null };

export function createAdminServices(db: Db, parts: AdminServiceParts) {
  const { clock, engine, secrets } = parts;
  const timeouts = parts.sessionTimeouts ?? DEFAULT_SESSION_TIMEOUTS;
  return {
    clock,
    sessionTimeouts: timeouts,
    sessions: sessionServices(db, clock, timeouts, secrets),
    agents: agentServices(db, clock),
    operators: {
      list: () => listOperators(db),
      find: (id: bigint) => findOperator(db, id),
      create: (actor: Actor, input: CreateOperatorInput) => createOperator(db, input, clock, actor),
      setRole: (actor: Actor, id: bigint, role: Role) => setOperatorRole(db, id, role, clock, actor),
      disable: (actor: Actor, id: bigint) => disableOperator(db, id, clock, actor),
      enable: (actor: Actor, id: bigint) => enableOperator(db, id, clock, actor),
      setPassword: (actor: Actor, id: bigint, password: string, mustChange = false) => setOperatorPassword(db, id, password, clock, actor, mustChange),
      changeOwnPassword: (actor: Actor, id: bigint, current: string, next: string) => changeOwnPassword(db, id, current, next, clock, actor),
      enableTotp: (actor: Actor, id: bigint, secret: string, code: string) => enableTotp(db, id, secret, code, clock, actor, secrets),
      disableTotp: (actor: Actor, id: bigint) => disableTotp(db, id, clock, actor),
      newTotpSecret: (login: string) => newTotpSecret(login),
      enableOwnTotp: (actor: Actor, operator: { id: bigint; login: string }, password: string, secret: string, code: string) => enableOwnTotp(db, operator, password, secret, code, clock, actor, secrets),
      disableOwnTotp: (actor: Actor, id: bigint, code: string) => disableOwnTotp(db, id, code, clock, actor, secrets),
      ensureFirstAdmin: () => ensureFirstAdmin(db, clock),
      /** At the start: TOTP secrets stored in clear (before migration 014) are sealed. */
      sealClearSecrets: () => sealClearTotpSecrets(db, secrets),
    },
    proposals: {
      list: (filters: ProposalFilters = {}, limit?: number) => listProposals(db, filters, limit),
      find: (id: bigint) => findProposal(db, id),
      propose: (actor: Actor, input: ProposalInput) => proposeMoneyMovement(db, actor, input, clock),
      /** A payment proposal (attention-actions.ts) acts on its payment; a top-up or correction moves the balance. */
      approve: async (actor: Actor, id: bigint, note?: string) => {
        const found = await findProposal(db, id);
        if (found && isPaymentProposal(found.kind)) return approvePaymentProposal(db, engine, actor, id, clock, note);
        return approveProposal(db, actor, id, clock, note);
      },
      reject: (actor: Actor, id: bigint, note?: string) => rejectProposal(db, actor, id, clock, note),
      moveDirectly: (actor: Actor, input: ProposalInput) => moveMoneyDirectly(db, actor, input, clock),
    },
    payments: {
      search: (filters: PaymentFilters = {}, page: PaymentPage = {}) => searchPayments(db, filters, page),
      record: (transactionId: bigint) => paymentRecord(db, transactionId),
      rates: (by: 'service' | 'agent', minutes?: number) => paymentsPerMinute(db, { by, ...(minutes !== undefined ? { minutes } : {}) }, clock),
      openCounts: () => openPaymentCounts(db),
    },
    attention: {
      /** The items, each with the actions that fit its payment's state. */
      list: async (includeResolved = false) => withActions(engine, await listAttention(db, includeResolved)),
      /** Drives the item's payment again now (no money moves). */
      retry: (actor: Actor, itemId: bigint) => retryAttention(db, engine, actor, itemId, clock),
      /** mark_paid, reverse or refund: a proposal that another operator approves on the approvals list. */
      propose: (actor: Actor, itemId: bigint, input: PaymentProposalInput) => proposeAttentionAction(db, engine, actor, itemId, input, clock),
      resolve: (actor: Actor, itemId: bigint, note: string) => resolveAttentionItem(db, actor, itemId, note, clock),
    },
    reviews: {
      list: () => engine.underReview(),
      decide: (actor: Actor, transactionId: bigint, decision: 'approve' | 'reject', note: string) => decideHeldPayment(engine, actor, transactionId, decision, note, clock),
    },
    audit: {
      list: (filters: AuditFilters = {}, page: AuditPage = {}) => listAudit(db, filters, page),
      verify: () => verifyAuditChain(db),
    },
    catalog: catalogServices(db, parts.catalog, clock, parts.providerNames ?? []),
    elsom: {
      terminal: (agentId: bigint) => elsomTerminalOf(db, agentId),
      configure: (actor: Actor, agentId: bigint, change: ElsomTerminalChange) => configureElsomTerminal(db, actor, agentId, change, clock),
      /** The lines PAYMENT_LIST would answer the agent's terminal for an Elsom service-id and [from, to). */
      paymentList: (agentId: bigint, elsomServiceId: string, from: Date, to: Date) => elsomPaymentList(db, engine, agentId, elsomServiceId, from, to),
    },
    moneyProofs: moneyProofServices(db, clock, parts.hubOffsetMinutes ?? 300),
    agentRegistries: agentRegistryServices(db, clock),
    /** This instance's circuit breaker per provider: state, rates over its window, refusals (provider-circuits.ts). */
    providerCircuits: () => engine.circuits?.snapshot() ?? [],
    reconciliation: reconciliationServices(db, clock, parts.reconciliationSource ?? (() => undefined)),
    threeWay: threeWayServices(db, engine, clock, parts.reconciliationSource ?? (() => undefined), () => [...(parts.providerNames ?? [])].sort(), parts.hubOffsetMinutes ?? 300),
    /** Applies migrations not yet applied (advisory-locked, so safe beside the running hub, which ran them at its start). */
    migrateStore: () => migrate(db),
    ledgerCheck: () => checkInvariants(db),
  };
}

export type AdminServices = ReturnType<typeof createAdminServices>;

/** The daily money proof of a business day: made, signed, read, its chain verified (money-proof.ts). */
function moneyProofServices(db: Db, clock: Clock, hubOffsetMinutes: number) {
  return {
    prove: (actor: Actor, day: string) => proveDay(db, actor, day, clock, hubOffsetMinutes),
    sign: (actor: Actor, day: string) => signProof(db, actor, day, clock),
    list: () => listProofs(db),
    find: (day: string) => findProof(db, day),
    verifyChain: () => verifyProofChain(db),
  };
}

/** Agents' registries of a business day, as uploaded (agent-registries.ts): stored whole or refused with the line. */
function agentRegistryServices(db: Db, clock: Clock) {
  return {
    /** Stores the CSV `body` as the agent's registry of `day`; audited, `uploadedBy` the actor's login. */
    upload: (actor: Actor, input: { agentId: bigint; day: string; source: AgentRegistry['source']; body: AsyncIterable<Buffer | string> }) =>
      storeAgentRegistry(db, { ...input, uploadedBy: actorLogin(actor), actor }, clock),
    /** The upload of an agent's day that counts (the latest). */
    latest: (agentId: bigint, day: string) => latestAgentRegistry(db, agentId, day),
    find: (id: bigint) => getAgentRegistry(db, id),
    /** An agent's uploads, newest first. */
    list: (agentId: bigint, limit?: number) => listAgentRegistries(db, agentId, limit),
  };
}

/** The login an actor is recorded under: an operator's or a cabinet user's login, or `local` (the admin socket). */
function actorLogin(actor: Actor): string {
  return actor.principal.kind === 'local' ? 'local' : actor.principal.login;
}

function agentServices(db: Db, clock: Clock) {
  return {
    list: () => listAgents(db),
    /** An agent with its funds, tokens, latest events and cabinet users; undefined when there is none. */
    async show(agentId: bigint) {
      const agent = await findAgent(db, agentId);
      if (!agent) return undefined;
      const [funds, tokens, events, users] = await Promise.all([agentFunds(db, agent), listTokens(db, agentId), recentAgentEvents(db, agentId, 10), listAgentUsers(db, agentId)]);
      return { funds, tokens, events, users };
    },
    create: (actor: Actor, input: CreateAgentInput & { elsomTerminal?: ElsomTerminalSettings }) => createAgentAudited(db, actor, input, clock),
    configure: (actor: Actor, agentId: bigint, change: AgentSettingsChange) => configureAgent(db, actor, agentId, change, clock),
    setIpAllow: (actor: Actor, agentId: bigint, ipAllow: string[]) => setAgentIpAllow(db, actor, agentId, ipAllow, clock),
    tokens: (agentId: bigint) => listTokens(db, agentId),
    /** The token's agent, for authorization before a confirm or revoke (undefined: no such token). */
    tokenAgent: async (tokenId: bigint) => (await findToken(db, tokenId))?.agentId,
    issueToken: (actor: Actor, agentId: bigint, confirm: boolean) => issueAgentToken(db, actor, agentId, { confirm }, clock),
    confirmToken: (actor: Actor, tokenId: bigint) => confirmAgentToken(db, actor, tokenId, clock),
    revokeToken: (actor: Actor, tokenId: bigint) => revokeAgentToken(db, actor, tokenId, clock),
    users: (agentId: bigint) => listAgentUsers(db, agentId),
    findUser: (id: bigint) => findAgentUser(db, id),
    createUser: (actor: Actor, agentId: bigint, input: { login: string; password: string }) => createAgentUser(db, agentId, input, clock, actor),
    disableUser: (actor: Actor, id: bigint) => disableAgentUser(db, id, clock, actor),
  };
}

function catalogServices(db: Db, catalog: Catalog, clock: Clock, providerNames: readonly string[]) {
  return {
    all: () => catalog.all(),
    get: (serviceId: string) => catalog.get(serviceId),
    /** The service as stored now with its version, which an edit sends back (undefined: no such service). */
    edit: (serviceId: string) => serviceForEdit(db, serviceId),
    /** The provider adapters a route may name. */
    providers: () => [...providerNames].sort(),
    setEnabled: (actor: Actor, serviceId: string, enabled: boolean) => setServiceEnabled(db, catalog, actor, serviceId, enabled, clock),
    setLimits: (actor: Actor, serviceId: string, limits: { minMinor: bigint; maxMinor: bigint }, version?: string) => setServiceLimits(db, catalog, actor, serviceId, limits, clock, version),
    setInputs: (actor: Actor, serviceId: string, inputs: readonly InputEdit[], version: string) => setServiceInputs(db, catalog, actor, serviceId, inputs, version, clock),
    setFeeRule: (actor: Actor, serviceId: string, rule: FeeRuleInput, version: string) => setServiceFeeRule(db, catalog, actor, serviceId, rule, version, clock),
    setRoute: (actor: Actor, serviceId: string, route: RouteEdit, version: string) => setServiceRoute(db, catalog, actor, serviceId, route, providerNames, version, clock),
    /** A regexp being edited tried on a value, refused as a save would refuse it (reads nothing). */
    testRegexp: (regexp: string, value: string) => testRegexp(regexp, value),
    /** The fees a rule (decimal texts) would allow on a sample amountTo (reads nothing). */
    feePreview: (rule: FeeRuleInput, amount: string) => feePreview(parseFeeRule(rule), amount),
    /** Whether a value passes an input's regexp as check and pay test it; undefined: no such service. */
    testInput: async (serviceId: string, inputName: string, value: string) => {
      const service = await catalog.get(serviceId);
      return service ? testServiceInput(service, inputName, value) : undefined;
    },
  };
}

function reconciliationServices(db: Db, clock: Clock, sourceOf: (provider: string) => unknown) {
  const checked = (provider: string, day: string) => {
    if (!isReconciliationSource(sourceOf(provider))) throw new ServiceError('not_found', 'no_reconciliation', `provider ${provider} has no reconciliation`);
    // Date.parse rolls 30 February into March: a day is real only if it reads back unchanged.
    const at = Date.parse(`${day}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== day) {
      throw new ServiceError('invalid', 'bad_day', 'a business day is a date, YYYY-MM-DD');
    }
  };
  /** Reconciles a claimed run with its progress in the store; audited. */
  const tracked = (actor: Actor, provider: string, day: string, runId: bigint, confirm: boolean) => trackReconciliationRun(db, runId, async (onProgress) => {
    const source = sourceOf(provider);
    if (!isReconciliationSource(source)) throw new ServiceError('not_found', 'no_reconciliation', `provider ${provider} has no reconciliation`);
    const report = await reconcileProviderDay(db, source, day, { confirm, clock, onProgress, runId });
    await db.tx((q) => appendAudit(q, actor, {
      action: 'reconciliation.run', targetKind: 'reconciliation', targetId: report.runId,
      after: { provider, day, status: report.status, counts: report.counts, confirmed: report.confirmation.confirmed },
    }, clock));
    return report;
  }, clock);
  return {
    /**
     * Reconciles one business day of a provider with Tolem's payments (confirming a clean day when asked) and answers
     * its report; refused while a run of that day goes on any instance.
     */
    async run(actor: Actor, provider: string, day: string, options: { confirm: boolean }) {
      checked(provider, day);
      return tracked(actor, provider, day, await claimReconciliationRun(db, provider, day, clock), options.confirm);
    },
    csv: (runId: bigint) => reconciliationCsv(db, runId),
    /** The same CSV as lines read page by page (the console streams them). */
    csvLines: (runId: bigint) => reconciliationCsvLines(db, runId),
    /** The providers that can reconcile (those whose adapter is a reconciliation source). */
    providers: (names: string[]) => names.filter((name) => isReconciliationSource(sourceOf(name))),
    runs: (provider?: string, limit?: number) => listReconciliationRuns(db, provider, limit),
    findRun: (runId: bigint) => findReconciliationRun(db, runId),
    /** Starts a run in the background and answers its task at once (its id is the run's; every instance reads it). */
    async start(actor: Actor, provider: string, day: string, confirm: boolean): Promise<ReconciliationTask> {
      checked(provider, day);
      const runId = await claimReconciliationRun(db, provider, day, clock);
      // Its outcome, a failure included, is stored in the run's row: the page reads it from there.
      void tracked(actor, provider, day, runId, confirm).catch(() => undefined);
      return (await reconciliationTask(db, runId))!;
    },
    task: async (id: string) => (/^\d{1,18}$/.test(id) ? reconciliationTask(db, BigInt(id)) : undefined),
  };
}

function sessionServices(db: Db, clock: Clock, timeouts: SessionTimeouts, secrets: SecretBox) {
  return {
    /** An operator's login: a session on success, or why not (`totp_required` only once the password matched). */
    async loginOperator(login: string, password: string, totp: string | undefined, from: From) {
      const checked = await checkOperatorLogin(db, login, password, totp, clock, secrets);
      if (!checked.ok) return checked;
      const principal: SessionPrincipal = { kind: 'operator', id: checked.operator.id, login: checked.operator.login, role: checked.operator.role };
      return { ok: true as const, operator: checked.operator, principal, ...(await createSession(db, principal, from, clock, timeouts)) };
    },
    /** A cabinet user's login: a session, or null. */
    async loginAgentUser(login: string, password: string, from: From) {
      const user = await verifyAgentUserPassword(db, login, password);
      if (!user) return null;
      const principal: SessionPrincipal = { kind: 'agent_user', id: user.id, login: user.login, agentId: user.agentId };
      return { user, principal, ...(await createSession(db, principal, from, clock, timeouts)) };
    },
    read: (token: string) => readSession(db, token, clock, timeouts),
    end: (token: string) => endSession(db, token),
  };
}

/** A refusal for a missing thing, in the services' own error type. */
export function notFound(what: string): ServiceError {
  return new ServiceError('not_found', 'not_found', `${what} not found`);
}
