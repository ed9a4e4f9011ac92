/**
 * The three-way reconciliation as the admin API, the CLI and the console use it: the run's scope checked and resolved
 * (which providers, which agent, which of the agent's registries), tracked runs with progress (reconciliation-runs.ts),
 * the stored items with their proposed actions, their CSV, and the actions (three-way-actions.ts).
 */
import { stringify } from 'csv-stringify/sync';
import type { Clock } from '../domain/clock.ts';
import { formatAmount } from '../domain/money.ts';
import type { Db } from '../store/db.ts';
import { getAgentRegistry, latestAgentRegistry } from './agent-registries.ts';
import { findAgent } from './agents.ts';
import type { MoneyProposal } from './approvals.ts';
import { appendAudit } from './audit.ts';
import { ServiceError } from './errors.ts';
import { currencyOffsetMinutes } from './money-proof.ts';
import type { PaymentEngine } from './payments.ts';
import { dayBounds, isReconciliationSource, type ReconciliationSource } from './reconcile.ts';
import { claimReconciliationRun, findReconciliationRun, reconciliationTask, trackReconciliationRun, type ReconciliationRun, type ReconciliationTask } from './reconciliation-runs.ts';
import type { Actor } from './sessions.ts';
import { acknowledgeCase, caseProposals, proposalFor, proposeCaseAction, type CaseActionInput, type CaseProposal } from './three-way-actions.ts';
import { casesPage, reconcileThreeWay, storedCaseCounts, storedCases, type ThreeWayCase, type ThreeWayCounts, type ThreeWayReport, type ThreeWayScope } from './three-way.ts';

export interface ThreeWayRequest {
  day: string;
  /** One provider; unset: every provider that lists its payments. */
  provider?: string;
  agentId?: bigint;
  /** One of the agent's registries of the day; unset with an agent: its latest of the day (none: no agent side). */
  agentRegistryId?: bigint;
}

/** A stored item with what to do about it, and the proposals made for it (the latest first). */
export type ThreeWayItem = ThreeWayCase & CaseProposal & { proposals: MoneyProposal[] };

/** Items a run's page and report show (differences first); the CSV has every stored item. */
const PAGE_ITEMS = 1_000;
const CSV_PAGE = 2_000;

export function threeWayServices(
  db: Db, engine: PaymentEngine, clock: Clock, sourceOf: (provider: string) => unknown, providerNames: () => readonly string[], hubOffsetMinutes: number,
) {
  const scopeOf = (request: ThreeWayRequest) => resolveScope(db, request, sourceOf, providerNames, hubOffsetMinutes);
  const tracked = (actor: Actor, scope: ThreeWayScope, runId: bigint) => trackReconciliationRun(db, runId, async (onProgress) => {
    const report = await reconcileThreeWay(db, scope, { clock, onProgress, runId });
    await db.tx((q) => appendAudit(q, actor, {
      action: 'reconciliation.run', targetKind: 'reconciliation', targetId: report.runId,
      after: { mode: 'three_way', provider: scope.label, day: scope.day, agentId: report.agentId, agentRegistryId: report.agentRegistryId, status: report.status, counts: report.counts },
    }, clock));
    return report;
  }, clock);
  const claim = (scope: ThreeWayScope) => claimReconciliationRun(db, scope.label, scope.day, clock, { agentId: scope.agent?.id ?? null, registryId: scope.agent?.registryId ?? null });
  return {
    /** Reconciles the day three ways and answers the report with each item's proposed action. */
    async run(actor: Actor, request: ThreeWayRequest): Promise<ThreeWayReport & { items: ThreeWayItem[] }> {
      const scope = await scopeOf(request);
      const report = await tracked(actor, scope, await claim(scope));
      return { ...report, items: await withProposals(db, engine, report.runId, report.cases) };
    },
    /** Starts a run in the background and answers its task at once (the console's progress page polls it). */
    async start(actor: Actor, request: ThreeWayRequest): Promise<ReconciliationTask> {
      const scope = await scopeOf(request);
      const runId = await claim(scope);
      void tracked(actor, scope, runId).catch(() => undefined);
      return (await reconciliationTask(db, runId))!;
    },
    findRun: (runId: bigint) => findThreeWayRun(db, engine, runId),
    csvLines: (runId: bigint) => threeWayCsvLines(db, engine, runId),
    propose: (actor: Actor, caseId: bigint, input: CaseActionInput) => proposeCaseAction(db, engine, actor, caseId, input, clock),
    acknowledge: (actor: Actor, caseId: bigint, note: string) => acknowledgeCase(db, actor, caseId, note, clock),
    /** The providers a three-way run can list (their adapters are reconciliation sources). */
    providers: () => providerNames().filter((name) => isReconciliationSource(sourceOf(name))),
  };
}

async function resolveScope(
  db: Db, request: ThreeWayRequest, sourceOf: (provider: string) => unknown, providerNames: () => readonly string[], hubOffsetMinutes: number,
): Promise<ThreeWayScope> {
  try {
    dayBounds(request.day, 0);
  } catch {
    throw new ServiceError('invalid', 'bad_day', 'a business day is a date, YYYY-MM-DD');
  }
  const names = request.provider ? [request.provider] : providerNames();
  const sources = names.map(sourceOf).filter(isReconciliationSource) as ReconciliationSource[];
  if (request.provider && sources.length === 0) throw new ServiceError('not_found', 'no_reconciliation', `provider ${request.provider} has no reconciliation`);
  if (sources.length === 0) throw new ServiceError('invalid', 'no_reconciliation', 'no provider lists its payments');
  const registry = request.agentRegistryId === undefined ? undefined : await getAgentRegistry(db, request.agentRegistryId);
  if (request.agentRegistryId !== undefined && !registry) throw new ServiceError('not_found', 'registry_not_found', `agent registry ${request.agentRegistryId} not found`);
  const agentId = request.agentId ?? registry?.agentId;
  if (registry && (registry.agentId !== agentId || registry.day !== request.day)) {
    throw new ServiceError('invalid', 'registry_mismatch', `agent registry ${registry.id} is agent ${registry.agentId}'s of ${registry.day}, not agent ${agentId}'s of ${request.day}`);
  }
  const scope: ThreeWayScope = { day: request.day, sources, label: request.provider ?? '*' };
  if (agentId === undefined) return scope;
  const agent = await findAgent(db, agentId);
  if (!agent) throw new ServiceError('not_found', 'agent_not_found', `agent ${agentId} not found`);
  const registryId = registry?.id ?? (await latestAgentRegistry(db, agentId, request.day))?.id ?? null;
  return { ...scope, agent: { id: agentId, offsetMinutes: currencyOffsetMinutes(agent.currency, hubOffsetMinutes), registryId } };
}

/** Items with their proposed actions (whether each provider can cancel is asked once per service). */
async function withProposals(db: Db, engine: PaymentEngine, runId: bigint, cases: ThreeWayCase[]): Promise<ThreeWayItem[]> {
  const cancels = new Map<string, Promise<boolean>>();
  const reversible = (serviceId: string | null) => {
    if (serviceId === null) return Promise.resolve(false);
    if (!cancels.has(serviceId)) cancels.set(serviceId, engine.providerCancels(serviceId));
    return cancels.get(serviceId)!;
  };
  const proposals = cases.length > 0 ? await caseProposals(db, runId) : new Map<string, MoneyProposal[]>();
  return Promise.all(cases.map(async (c) => ({ ...c, ...proposalFor(c, await reversible(c.serviceId)), proposals: proposals.get(c.id.toString()) ?? [] })));
}

export interface ThreeWayRunView {
  run: ReconciliationRun;
  items: ThreeWayItem[];
  counts: ThreeWayCounts;
}

async function findThreeWayRun(db: Db, engine: PaymentEngine, runId: bigint): Promise<ThreeWayRunView | undefined> {
  const found = await findReconciliationRun(db, runId);
  if (!found || found.run.mode !== 'three_way') return undefined;
  const counts = await storedCaseCounts(db, runId);
  counts.matched = Math.max(counts.matched, found.run.matchedCount);
  return { run: found.run, items: await withProposals(db, engine, runId, await storedCases(db, runId, PAGE_ITEMS)), counts };
}

const CSV_COLUMNS = [
  'class', 'proposed_action', 'money_effect', 'explanation', 'provider', 'payment_id', 'reference', 'agent_id', 'agent_transaction_id', 'service_id', 'account',
  'currency', 'hub_state', 'hub_amount', 'agent_amount', 'agent_listings', 'provider_amount', 'provider_listings', 'provider_ref', 'acknowledgement',
];

const amount = (minor: bigint | null) => (minor === null ? '' : formatAmount(minor));

/** Every stored item of a three-way run with its proposed action, as CSV (RFC 4180), read in keyset pages. */
async function* threeWayCsvLines(db: Db, engine: PaymentEngine, runId: bigint): AsyncIterable<string> {
  yield stringify([CSV_COLUMNS], { record_delimiter: '\r\n' });
  for (let after = 0n; ;) {
    const page = await casesPage(db, runId, after, CSV_PAGE);
    if (page.length === 0) return;
    const items = await withProposals(db, engine, runId, page);
    yield stringify(items.map((c) => [
      c.class, c.action, c.moneyEffect, c.explanation, c.provider, c.paymentId?.toString() ?? '', c.reference ?? '', c.agentId?.toString() ?? '',
      c.agentTxnId?.toString() ?? '', c.serviceId ?? '', c.account ?? '', c.currency ?? '', c.hubState ?? '', amount(c.hubAmountMinor),
      amount(c.agentAmountMinor), String(c.agentListings), amount(c.providerAmountMinor), String(c.providerListings), c.providerRef ?? '', c.acknowledgement ?? '',
    ]), { record_delimiter: '\r\n' });
    after = page.at(-1)!.id;
    if (page.length < CSV_PAGE) return;
  }
}
