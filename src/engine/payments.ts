import { deadline } from '../domain/deadline.ts';
import { systemClock, type Clock } from '../domain/clock.ts';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Db, Queryable } from '../store/db.ts';
import { RESULT, defaultMessage, isFinal, type ResultCode } from '../domain/result-codes.ts';
import { isFinalState, type ExtraServiceLine, type PaymentState, type ProviderCheckData } from '../domain/payment.ts';
import type { ProviderCircuits } from './provider-circuits.ts';
import type { Service } from '../domain/catalog.ts';
import { LedgerError, openAccount, postPending, reserve, transfer, voidPending } from '../ledger/ledger.ts';
import { findAgent, refreshNotification, type Agent } from './agents.ts';
import type { Catalog } from './catalog.ts';
import type {
  ProviderAdapter, ProviderCancelResult, ProviderCheckResult, ProviderPayRequest, ProviderPayResult, ProviderRegistry, ProviderStatusResult,
} from './ports.ts';
import { requestDigest } from './canonical.ts';
import { differenceMessage, differingFields, type RequestField } from './differences.ts';
import { backoffMs } from './retry.ts';
import { quoteNeeded, validatePayShape, validateServiceRequest, type Verdict } from './validation.ts';
import type { EngineMetrics } from './metrics.ts';
import {
  answerCancelUnknown, answerOpenAttempts, attemptedBefore, keepLease, leaseToken, noteCancelCheck, openCancels, resolveCancels, startAttempt,
  startCancelAttempt, type OpenCancel,
} from './outbound.ts';
import { SETTLED_ATTENTION_KINDS, SETTLED_ATTENTION_KIND_LIST, closeReversalAttention, raiseAttention } from './attention.ts';
import { Batcher, type BatcherOptions } from '../store/batcher.ts';
import { ServiceError } from './errors.ts';
import { ExchangeJournal, type HeldExchanges } from './exchanges.ts';
import { notingState, recordPaymentNote, recordStateChange } from './payment-events.ts';

export interface EngineConfig {
  /** How long a pay waits for the provider before answering 1 (in processing). */
  providerDeadlineMs: number;
  /** Timeout of a provider call made by a background job. */
  providerTimeoutMs: number;
  /** Retry backoff of unresolved payments. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** A payment unresolved for longer than this goes to the attention list (and keeps being driven). */
  attentionAfterMs: number;
  /** How long a pay refused for funds (220) waits for a top-up before it fails with 250. */
  fundsWaitMs: number;
  /**
   * The lease on a payment whose provider call runs: renewed while the call runs, so that a crashed caller's lease
   * lapses (and a restarted hub drives the payment again) within this long.
   */
  leaseMs: number;
}

export interface RequestIdentity {
  identityCard?: string;
  fullName?: string;
}

export interface CheckCommand {
  serviceId: string;
  account: string;
  agentTxnId: bigint;
  agentTxnDate?: string;
  amountToMinor?: bigint;
  amountFromMinor?: bigint;
  extras: Record<string, string>;
  identity?: RequestIdentity;
  /**
   * The agent's own text for agentTxnId when the number loses something (Elsom's transaction-number "0042"): kept
   * with the payment, in the statement that stores it, and shown back as `agentReference`. The first text stored stays.
   * Not part of the request's meaning: a repeat is the same request whatever it is called.
   */
  agentReference?: string;
  /**
   * The stricter repeat rules of a protocol that uses each transaction id once (Elsom, docs/protocols/elsom-biller.md):
   * a check of an id already held is refused with `exists` whatever its body; a pay of an id that ended unpaid (its
   * check refused, or closed before payment) answers that end instead of paying or comparing bodies.
   */
  strictRepeats?: boolean;
}

export interface PayCommand extends CheckCommand {
  amountToMinor: bigint;
  extraServices?: ExtraServiceLine[];
  /**
   * The agent will consider the payment made whatever we answer (Elsom after five unanswered retries): it is never
   * dropped — a refusal after acceptance, or funds that never come, go to the attention list for an operator.
   */
  mustComplete?: boolean;
}

/** A stored payment as the gateways render it. */
export interface PaymentView {
  transactionId: bigint;
  agentTxnId: bigint;
  agentId: bigint;
  serviceId: string;
  account: string;
  currency: string;
  amountToMinor: bigint | null;
  state: PaymentState;
  code: ResultCode;
  message: string;
  data: ProviderCheckData | null;
  providerRef: string | null;
  paidAt: Date | null;
  statusAt: Date | null;
  /** The agent's own text for agentTxnId, when it gave one (see CheckCommand.agentReference). */
  agentReference: string | null;
}

/** Writes what an operator's review decision changed (the audit entry) in the decision's own transaction. */
export type ReviewRecorder = (q: Queryable, before: PaymentView, after: PaymentView) => Promise<void>;

/**
 * Either a stored payment, or a refusal that wrote nothing (a repeat recomputes the same refusal). A refusal of a
 * changed body for an existing agentTransactionId names the fields that differ, for gateways to render in their terms.
 */
export type EngineAnswer =
  | { kind: 'payment'; payment: PaymentView }
  | { kind: 'refused'; code: ResultCode; message: string; differs?: RequestField[]; exists?: true };

interface PaymentRow {
  id: bigint;
  agent_id: bigint;
  agent_txn_id: bigint;
  service_id: string;
  account: string;
  currency: string;
  amount_to_minor: bigint | null;
  amount_from_minor: bigint | null;
  agent_txn_date: string | null;
  request: StoredRequest;
  check_hash: string | null;
  pay_hash: string | null;
  state: PaymentState;
  result_code: number;
  result_message: string;
  provider: string;
  provider_data: ProviderCheckData | null;
  provider_ref: string | null;
  provider_outcome: string | null;
  reservation_id: bigint | null;
  attempts: number;
  lease_until: Date | null;
  lease_owner: string | null;
  paid_at: Date | null;
  status_at: Date | null;
  created_at: Date;
  must_complete: boolean;
  agent_reference: string | null;
  lease_active: boolean;
}

interface StoredRequest {
  extras: Record<string, string>;
  extraServices?: { subServiceId: string; amountMinor: string; lastCount?: string }[];
  identity?: RequestIdentity;
}

/** How often a duplicate re-reads a payment whose provider call runs on another instance. */
const SETTLE_POLL_MS = 100;

const SELECT_PAYMENT = `SELECT *, (lease_until IS NOT NULL AND lease_until > now()) AS lease_active FROM payments`;

/** A lease's end from its length in ms (a SQL parameter); NULL (no lease) when the length is NULL. */
const LEASE_UNTIL = (msParam: string) => `now() + ${msParam}::bigint * interval '1 millisecond'`;

/**
 * Group commit (store/batcher.ts) of the hot path's four statements — look up a payment by the agent's id, insert a
 * check, accept checked pays, settle successes (migration 021): at most 64 payments per statement (bounded locks and
 * parameters), two statements of each kind in the database at once (the others' calls gather meanwhile), 10,000
 * waiting before a call goes alone.
 */
const GROUP_COMMIT: BatcherOptions = { maxBatch: 64, maxInFlight: 2, maxQueued: 10_000 };

/** A checked pay for the accepting batch: the row to find, what it becomes, and the funds to reserve. */
interface CheckedPay {
  agent: Agent;
  command: PayCommand;
  digest: string;
  quote: ProviderCheckData | undefined;
  partner: string;
  providerAccount: bigint;
}

/** A check's new row for the inserting batch (the columns of payments it writes). */
interface NewCheck {
  agent_id: string; agent_txn_id: string; service_id: string; account: string; currency: string;
  amount_to_minor: string | null; amount_from_minor: string | null; agent_txn_date: string | null; request: string; check_hash: string;
  state: 'checked' | 'check_failed'; result_code: number; result_message: string; provider: string; provider_data: string | null;
  created_at: string; agent_reference: string | null;
}

/** A payment looked up by the agent's id for it. */
interface AgentTxn {
  agentId: bigint;
  agentTxnId: bigint;
}

/** A success for the settling batch. */
interface Success {
  paymentId: bigint;
  outcome: Outcome;
}

function toView(row: PaymentRow): PaymentView {
  return {
    transactionId: row.id,
    agentTxnId: row.agent_txn_id,
    agentId: row.agent_id,
    serviceId: row.service_id,
    account: row.account,
    currency: row.currency,
    amountToMinor: row.amount_to_minor,
    state: row.state,
    code: row.result_code as ResultCode,
    message: row.result_message,
    data: row.provider_data,
    providerRef: row.provider_ref,
    paidAt: row.paid_at,
    statusAt: row.status_at,
    agentReference: row.agent_reference,
  };
}

/** What a digest covers: the request's meaning, not what the agent calls it or which repeat rules apply. */
function meaningOf<T extends CheckCommand>(command: T): Omit<T, 'agentReference' | 'strictRepeats'> {
  const { agentReference: _reference, strictRepeats: _strict, ...meaning } = command;
  return meaning;
}

function storedRequest(command: CheckCommand | PayCommand): StoredRequest {
  const extraServices = 'extraServices' in command && command.extraServices
    ? command.extraServices.map((line) => ({ subServiceId: line.subServiceId, amountMinor: line.amountMinor.toString(), ...(line.lastCount !== undefined ? { lastCount: line.lastCount } : {}) }))
    : undefined;
  return { extras: command.extras, ...(extraServices ? { extraServices } : {}), ...(command.identity ? { identity: command.identity } : {}) };
}

function extraServicesOf(request: StoredRequest): ExtraServiceLine[] | undefined {
  return request.extraServices?.map((line) => ({ subServiceId: line.subServiceId, amountMinor: BigInt(line.amountMinor), ...(line.lastCount !== undefined ? { lastCount: line.lastCount } : {}) }));
}

export function providerAccountCode(provider: string, currency: string): string {
  return `provider:${provider}:${currency}`;
}

/**
 * The payment engine: check, pay and the durable drive that takes every accepted payment to a final state.
 *
 * Never lose, never double: a pay is committed (row + reservation) before the provider is called; the row is unique
 * per (agent, agentTransactionId); the provider is called under a lease so that only one caller talks to it at a
 * time, and an unknown outcome is resolved by asking the provider, never by paying blindly again; the reservation is
 * posted or voided exactly once (a unique index says so).
 */
export class PaymentEngine {
  private readonly settled = new EventEmitter();
  private readonly inflight = new Map<string, { digest: string; answer: Promise<EngineAnswer> }>();
  private readonly accountIds = new Map<string, bigint>();
  /** Payments whose provider call runs in this process: a late renewal of their lease must not let a drive here in. */
  private readonly calling = new Set<string>();
  private enqueue: (paymentId: bigint, delayMs: number) => Promise<void> = async () => undefined;

  constructor(
    private readonly db: Db,
    private readonly catalog: Catalog,
    private readonly providers: ProviderRegistry,
    private readonly config: EngineConfig,
    private readonly log: Logger,
    private readonly metrics?: EngineMetrics,
    private readonly clock: Clock = systemClock,
    /** The record of partner exchanges (the operator's timeline); without a transport capture it records nothing. */
    readonly exchanges: ExchangeJournal = new ExchangeJournal(db, clock, log),
    /** Per provider: refuses new checks and pays while it is down (none: every call goes out). */
    readonly circuits?: ProviderCircuits,
  ) {
    this.settled.setMaxListeners(0);
    this.acceptBatch = new Batcher((pays) => this.acceptTogether(pays), (pay) => this.acceptTogether([pay]).then(([row]) => row), GROUP_COMMIT,
      this.batchHooks('accept'));
    this.settleBatch = new Batcher((successes) => this.settleTogether(successes), (success) => this.settleAlone(success), GROUP_COMMIT,
      this.batchHooks('settle'));
    this.checkBatch = new Batcher((checks) => this.insertChecks(checks), (check) => this.insertChecks([check]).then(([row]) => row), GROUP_COMMIT,
      this.batchHooks('check'));
    this.lookupBatch = new Batcher((keys) => this.lookUp(keys), (key) => this.findByAgentTxn(this.db, key.agentId, key.agentTxnId), GROUP_COMMIT,
      this.batchHooks('lookup'));
  }

  private readonly acceptBatch: Batcher<CheckedPay, PaymentRow | undefined>;
  private readonly settleBatch: Batcher<Success, PaymentRow | undefined>;
  private readonly checkBatch: Batcher<NewCheck, PaymentRow | undefined>;
  private readonly lookupBatch: Batcher<AgentTxn, PaymentRow | undefined>;

  private batchHooks(batch: 'accept' | 'settle' | 'check' | 'lookup') {
    return {
      onBatch: (size: number) => this.metrics?.batchSizes.observe({ batch }, size),
      onFailure: (error: unknown, size: number) => this.log.warn({ err: error, batch, size }, 'group-commit batch failed; its payments go one by one'),
    };
  }

  /** Work in progress (pays, drives), so that a shutdown lets it finish instead of cutting it off mid-transaction. */
  private readonly active = new Set<Promise<unknown>>();

  private track<T>(work: Promise<T>): Promise<T> {
    this.active.add(work);
    const forget = () => this.active.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Waits (at most `timeoutMs`) for pays and drives in progress; what does not finish is resumed by the next sweep. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([Promise.allSettled([...this.active]).then(() => this.exchanges.idle()), deadline]);
  }

  /** Wires the durable queue; until then, drives are only picked up by the sweeper. */
  useQueue(enqueue: (paymentId: bigint, delayMs: number) => Promise<void>): void {
    this.enqueue = enqueue;
  }

  // ---------------------------------------------------------------- check

  async check(agent: Agent, command: CheckCommand): Promise<EngineAnswer> {
    const held = this.exchanges.held();
    const answer = await this.checkOnce(agent, command, held);
    // The provider's messages belong to the payment the check stored (none when it stored nothing).
    held.attach(answer.kind === 'payment' ? answer.payment.transactionId : null);
    return answer;
  }

  private async checkOnce(agent: Agent, command: CheckCommand, held: HeldExchanges): Promise<EngineAnswer> {
    if (command.strictRepeats && (await this.lookupBatch.submit({ agentId: agent.id, agentTxnId: command.agentTxnId }))) return alreadyHeld();
    const service = await this.catalog.get(command.serviceId);
    const verdict = validateServiceRequest(service, agent, command);
    if (!verdict.ok || !service) return refusal(verdict);
    const digest = requestDigest({ op: 'check', ...meaningOf(command) });
    const existing = await this.lookupBatch.submit({ agentId: agent.id, agentTxnId: command.agentTxnId });
    if (existing) return this.repeatedCheck(existing, digest, command);

    const adapter = this.adapterFor(service);
    if (!adapter) return { kind: 'refused', code: RESULT.SERVICE_NOT_IMPLEMENTED, message: 'No provider route for this service' };
    const result = await this.askCheck(adapter, service, command, held);
    if (result.kind === 'unavailable') return providerUnavailable();
    if (result.kind === 'unknown') return providerSilent();
    const outcome = result.kind === 'ok'
      ? { state: 'checked' as const, code: RESULT.OK, message: 'OK', data: result.data }
      : { state: 'check_failed' as const, code: finalOr(result.code, RESULT.OTHER_ERROR), message: result.message, data: null };
    const inserted = await this.checkBatch.submit({
      agent_id: agent.id.toString(), agent_txn_id: command.agentTxnId.toString(), service_id: service.serviceId, account: command.account,
      currency: service.currency, amount_to_minor: command.amountToMinor?.toString() ?? null, amount_from_minor: command.amountFromMinor?.toString() ?? null,
      agent_txn_date: command.agentTxnDate ?? null, request: JSON.stringify(storedRequest(command)), check_hash: digest, state: outcome.state,
      result_code: outcome.code, result_message: outcome.message, provider: service.provider, provider_data: outcome.data ? JSON.stringify(outcome.data) : null,
      created_at: this.clock.now().toISOString(), agent_reference: command.agentReference ?? null,
    });
    if (inserted) return { kind: 'payment', payment: toView(inserted) };
    // A concurrent duplicate won the insert: answer as a repeat of it.
    const winner = await this.findByAgentTxn(this.db, agent.id, command.agentTxnId);
    return winner ? this.repeatedCheck(winner, digest, command) : refusal({ ok: false, code: RESULT.OTHER_ERROR, message: 'Transaction vanished' });
  }

  /**
   * New checks' rows, with their first state's records, in one statement for all the checks that arrive together
   * (group commit). A check whose id already has a row (a concurrent duplicate won) is undefined.
   */
  private async insertChecks(checks: NewCheck[]): Promise<(PaymentRow | undefined)[]> {
    const inserted = await this.changeNoting(this.db,
      `INSERT INTO payments (agent_id, agent_txn_id, service_id, account, currency, amount_to_minor, amount_from_minor,
                             agent_txn_date, request, check_hash, state, result_code, result_message, provider, provider_data, created_at,
                             agent_reference)
       SELECT agent_id, agent_txn_id, service_id, account, currency, amount_to_minor, amount_from_minor, agent_txn_date, request::json,
              check_hash, state, result_code, result_message, provider, provider_data::json, created_at, agent_reference
         FROM jsonb_to_recordset($1::jsonb) AS v(agent_id bigint, agent_txn_id bigint, service_id text, account text,
              currency text, amount_to_minor bigint, amount_from_minor bigint, agent_txn_date text, request text, check_hash text, state text,
              result_code integer, result_message text, provider text, provider_data text, created_at timestamptz, agent_reference text, n bigint)
        ORDER BY n
       ON CONFLICT (agent_id, agent_txn_id) DO NOTHING
       RETURNING *, false AS lease_active`,
      [JSON.stringify(checks.map((check, n) => ({ ...check, n })))],
    );
    return matchInOrder(checks, inserted.rows, (check) => `${check.agent_id}:${check.agent_txn_id}:${check.check_hash}`,
      (row) => `${row.agent_id}:${row.agent_txn_id}:${row.check_hash}`);
  }

  /** Payments by the agents' ids for them, for all the lookups that arrive together (a read shared by duplicates). */
  private async lookUp(keys: AgentTxn[]): Promise<(PaymentRow | undefined)[]> {
    const found = await this.db.query<PaymentRow>(
      `${SELECT_PAYMENT} WHERE (agent_id, agent_txn_id) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))`,
      [keys.map((key) => key.agentId.toString()), keys.map((key) => key.agentTxnId.toString())],
    );
    const byKey = new Map(found.rows.map((row) => [`${row.agent_id}:${row.agent_txn_id}`, row]));
    return keys.map((key) => byKey.get(`${key.agentId}:${key.agentTxnId}`));
  }

  /** The provider's check; `unavailable` when its breaker is open (nothing was sent). */
  private async askCheck(adapter: ProviderAdapter, service: Service, command: CheckCommand, held: HeldExchanges): Promise<ProviderCheckResult | { kind: 'unavailable' }> {
    const send = () => held.around(adapter.name, 'check', () => adapter.check(
      { transactionId: 0n, service, account: command.account, extras: command.extras, ...(command.amountToMinor !== undefined ? { amountMinor: command.amountToMinor } : {}) },
      { signal: AbortSignal.timeout(this.config.providerDeadlineMs) },
    ));
    const result = this.circuits ? await this.circuits.check(adapter.name, send) : await send();
    if (result === undefined) return { kind: 'unavailable' };
    if (result.kind === 'unknown') this.log.warn({ serviceId: service.serviceId, reason: result.reason }, 'provider check outcome unknown');
    return result;
  }

  /** The same check answers as before; another body (or a check of a paid id) is 215, naming what differs. */
  private repeatedCheck(row: PaymentRow, digest: string, command: CheckCommand): EngineAnswer {
    if (row.pay_hash === null && row.check_hash === digest) return { kind: 'payment', payment: toView(row) };
    return changedBody(RESULT.DUPLICATE_TRANSACTION, differingFields(row, command), row.pay_hash === null ? 'the checked transaction' : 'the stored payment');
  }

  // ---------------------------------------------------------------- pay

  /**
   * Duplicates that arrive while the same pay is being processed in this process share its answer: a burst of
   * retries gets one identical answer instead of a mix of "in processing" and the final code. (Across instances the
   * unique constraint and the lease give the same safety, with answers read from the row.)
   */
  async pay(agent: Agent, command: PayCommand): Promise<EngineAnswer> {
    const digest = requestDigest({ op: 'pay', ...meaningOf(command) });
    const key = `${agent.id}:${command.agentTxnId}`;
    const running = this.inflight.get(key);
    if (running?.digest === digest) return running.answer;
    if (running) await running.answer.catch(() => undefined);
    const answer = this.track(this.payOnce(agent, command, digest));
    this.inflight.set(key, { digest, answer });
    try {
      return await answer;
    } finally {
      if (this.inflight.get(key)?.answer === answer) this.inflight.delete(key);
    }
  }

  private async payOnce(agent: Agent, command: PayCommand, digest: string): Promise<EngineAnswer> {
    const held = this.exchanges.held();
    let answer: EngineAnswer | undefined;
    try {
      answer = await this.acceptAndCall(agent, command, digest, held);
      return answer;
    } finally {
      // A check asked for the pay's quote belongs to the payment the pay stored (none when it stored nothing).
      held.attach(answer?.kind === 'payment' ? answer.payment.transactionId : null);
    }
  }

  private async acceptAndCall(agent: Agent, command: PayCommand, digest: string, held: HeldExchanges): Promise<EngineAnswer> {
    const existing = await this.lookupBatch.submit({ agentId: agent.id, agentTxnId: command.agentTxnId });
    if (existing && command.strictRepeats && endedUnpaid(existing)) return { kind: 'payment', payment: toView(existing) };
    if (existing && !awaitsPay(existing)) return this.repeatedPay(existing, digest, command);

    const service = await this.catalog.get(command.serviceId);
    const verdict = this.validatePay(service, agent, command, existing);
    if (!verdict.ok || !service) return refusal(verdict);
    const adapter = this.adapterFor(service);
    if (!adapter) return { kind: 'refused', code: RESULT.SERVICE_NOT_IMPLEMENTED, message: 'No provider route for this service' };
    // A provider that is down takes no new payment: refused before any money moves, not accepted to become unknown.
    if (this.circuits && !this.circuits.admits(adapter.name, 'pay')) return providerUnavailable();
    const quote = await this.quoteForPay(adapter, service, command, existing, held);
    if (quote.kind === 'refused') return quote;
    const shape = validatePayShape(service, command, quote.data);
    if (!shape.ok) return refusal(shape);

    const accepted = await this.accept(agent, service, command, digest, existing !== undefined, quote.fresh, adapter.name);
    if (accepted.kind === 'repeat') return this.repeatedPay(accepted.row, digest, command);
    const row = accepted.row;
    this.metrics?.paymentsAccepted.inc({ service: service.serviceId });
    if (row.state === 'waiting') {
      await this.enqueue(row.id, this.config.retryBaseMs);
      return { kind: 'payment', payment: toView(row) };
    }
    if (row.state === 'review') {
      this.log.warn({ transactionId: row.id.toString(), agentId: agent.id.toString() }, 'payment held for security review');
      return { kind: 'payment', payment: toView(row) };
    }
    // A non-final outcome enqueues its own drive (postpone); if this process dies mid-call, the sweeper finds the
    // payment due once its lease has passed.
    // Accepted just now by this call: the pay attempt was recorded with the acceptance (reserveFunds), none before it.
    const settled = await this.callProvider(row, this.config.providerDeadlineMs, true, true);
    return { kind: 'payment', payment: toView(settled ?? (await this.findById(this.db, row.id))!) };
  }

  /** The request's own rules, and a checked id paid only for the service and account it was checked for. */
  private validatePay(service: Service | undefined, agent: Agent, command: PayCommand, checked: PaymentRow | undefined): Verdict {
    const verdict = validateServiceRequest(service, agent, command);
    if (!verdict.ok || !service || !checked) return verdict;
    const moved = differingFields(checked, command).filter((field) => field === 'serviceId' || field === 'account');
    if (moved.length === 0) return verdict;
    const answer = changedBody(RESULT.DUPLICATE_TRANSACTION, moved, 'the checked transaction');
    return { ok: false, code: answer.code, message: answer.message, differs: moved };
  }

  /**
   * The provider data a pay is validated against and answers with: the stored check's, or — when it cannot tell
   * (`quoteNeeded`: a fixed amount not known, a conversion for another amount) — a check asked now with the pay's
   * amount, which the accepted pay then keeps (`fresh`). A refusal of that check writes nothing.
   */
  private async quoteForPay(adapter: ProviderAdapter, service: Service, command: PayCommand, checked: PaymentRow | undefined, held: HeldExchanges): Promise<
    { kind: 'quote'; data: ProviderCheckData | undefined; fresh: ProviderCheckData | undefined } | Extract<EngineAnswer, { kind: 'refused' }>
  > {
    const stored = checked?.provider_data ?? undefined;
    if (!quoteNeeded(service, stored, checked?.amount_to_minor ?? null, command.amountToMinor)) return { kind: 'quote', data: stored, fresh: undefined };
    const result = await this.askCheck(adapter, service, command, held);
    switch (result.kind) {
      case 'unavailable':
        return providerUnavailable();
      case 'unknown':
        return providerSilent();
      case 'declined':
        return { kind: 'refused', code: finalOr(result.code, RESULT.OTHER_ERROR), message: result.message };
      case 'ok':
        return { kind: 'quote', data: result.data, fresh: result.data };
    }
  }

  /**
   * Accepts a pay: a checked one of an agent without review or notification thresholds with the concurrent others in
   * one statement (`acceptTogether`), any other — or one that statement did not take — in a transaction (`acceptPay`).
   */
  private async accept(
    agent: Agent, service: Service, command: PayCommand, digest: string, checked: boolean, quote: ProviderCheckData | undefined, partner: string,
  ): Promise<{ kind: 'accepted' | 'repeat'; row: PaymentRow }> {
    if (checked && !underReview(agent, command) && agent.notificationMinor === null) {
      const providerAccount = await this.providerAccount(this.db, service.provider, service.currency);
      const row = await this.acceptBatch.submit({ agent, command, digest, quote, partner, providerAccount });
      if (row) return { kind: 'accepted', row };
    }
    return this.db.tx((q) => this.acceptPay(q, agent, service, command, digest, checked, quote, partner));
  }

  /**
   * Checked pays accepted, leased, reserved and their provider calls recorded by one statement in autocommit
   * (`accept_checked_pays`, migration 021): in the order they came, the floor checked for each after the ones before
   * it, the agents' balance rows locked only inside the database. A pay it did not take — a concurrent duplicate (the
   * first of the same id in a batch is the one taken), funds short of the floor — is undefined: the caller accepts it
   * the long way, which answers the repeat or parks it as waiting.
   */
  private async acceptTogether(pays: CheckedPay[]): Promise<(PaymentRow | undefined)[]> {
    const items = pays.map(({ agent, command, digest, quote, partner, providerAccount }) => ({
      agent: agent.id.toString(), txn: command.agentTxnId.toString(), amountTo: command.amountToMinor.toString(),
      amountFrom: command.amountFromMinor?.toString() ?? null, txnDate: command.agentTxnDate ?? null,
      request: JSON.stringify(storedRequest(command)), payHash: digest, mustComplete: command.mustComplete ?? false,
      providerData: quote ? JSON.stringify(quote) : null, agentReference: command.agentReference ?? null, leaseOwner: leaseToken(),
      debit: agent.ledgerAccountId.toString(), credit: providerAccount.toString(), floor: agent.overdraftMinor.toString(), partner,
    }));
    const accepted = await this.db.query<PaymentRow>('SELECT *, true AS lease_active FROM accept_checked_pays($1::jsonb, $2, $3)',
      [JSON.stringify(items), this.clock.now(), this.config.leaseMs]);
    // By the pay's digest too: a row taken for another body of the same id is not this pay's acceptance.
    return matchInOrder(pays, accepted.rows, ({ agent, command, digest }) => `${agent.id}:${command.agentTxnId}:${digest}`,
      (row) => `${row.agent_id}:${row.agent_txn_id}:${row.pay_hash}`);
  }

  /** The columns a pay writes ($3–$12 of its statement): amounts, request, digest, quote, the moment, the lease. */
  private payColumns(command: PayCommand, digest: string, quote: ProviderCheckData | undefined, review: boolean, at: Date): unknown[] {
    // A pay held for the security review (153) is not leased: no provider call follows its acceptance.
    const lease = review ? null : { ms: this.config.leaseMs, owner: leaseToken() };
    return [command.amountToMinor, command.amountFromMinor ?? null, command.agentTxnDate ?? null, JSON.stringify(storedRequest(command)), digest,
      command.mustComplete ?? false, quote ? JSON.stringify(quote) : null, at, lease?.ms ?? null, lease?.owner ?? null];
  }

  /**
   * The checked row becomes the pay in one statement; its row lock serialises concurrent pays of the same id, and one
   * that finds it already paid (or cancelled) matches nothing.
   */
  private acceptChecked(q: Queryable, agent: Agent, command: PayCommand, columns: unknown[], at: Date): Promise<{ rows: PaymentRow[]; rowCount: number }> {
    return this.changeNoting(q,
      `UPDATE payments SET amount_to_minor = $3, amount_from_minor = $4, agent_txn_date = COALESCE($5, agent_txn_date),
              request = $6, pay_hash = $7, must_complete = $8, provider_data = COALESCE($9::json, provider_data),
              state = 'accepted', result_code = 1, result_message = 'in processing',
              paid_at = $10, agent_reference = COALESCE(agent_reference, $13), updated_at = now(),
              attempts = attempts + CASE WHEN $11::bigint IS NULL THEN 0 ELSE 1 END, lease_until = ${LEASE_UNTIL('$11')},
              lease_owner = $12, next_attempt_at = ${LEASE_UNTIL('$11')}
        WHERE agent_id = $1 AND agent_txn_id = $2 AND pay_hash IS NULL AND state IN ('checked', 'check_failed')
        RETURNING *, $11::bigint IS NOT NULL AS lease_active`,
      [agent.id, command.agentTxnId, ...columns, command.agentReference ?? null], undefined, [], at);
  }

  private async acceptPay(
    q: Queryable, agent: Agent, service: Service, command: PayCommand, digest: string, checked: boolean, quote: ProviderCheckData | undefined,
    partner: string,
  ): Promise<{ kind: 'accepted' | 'repeat'; row: PaymentRow }> {
    const review = underReview(agent, command);
    const at = this.clock.now();
    const common = this.payColumns(command, digest, quote, review, at);
    // After a check the row exists: go straight to it instead of meeting the unique constraint first.
    const inserted = checked ? { rows: [] as PaymentRow[] } : await this.changeNoting(q,
      `INSERT INTO payments (agent_id, agent_txn_id, service_id, account, currency, amount_to_minor, amount_from_minor,
                             agent_txn_date, request, pay_hash, must_complete, provider_data, paid_at, created_at, state, result_code, result_message, provider,
                             agent_reference, attempts, lease_until, lease_owner, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, 'accepted', 1, 'in processing', $16, $17,
               CASE WHEN $14::bigint IS NULL THEN 0 ELSE 1 END, ${LEASE_UNTIL('$14')}, $15, ${LEASE_UNTIL('$14')})
       ON CONFLICT (agent_id, agent_txn_id) DO NOTHING RETURNING *, $14::bigint IS NOT NULL AS lease_active`,
      [agent.id, command.agentTxnId, service.serviceId, command.account, service.currency, ...common, service.provider, command.agentReference ?? null],
    );
    let row = inserted.rows[0];
    if (!row) {
      const updated = await this.acceptChecked(q, agent, command, common, at);
      row = updated.rows[0];
      if (!row) {
        const current = await q.query<PaymentRow>(`${SELECT_PAYMENT} WHERE agent_id = $1 AND agent_txn_id = $2`, [agent.id, command.agentTxnId]);
        return { kind: 'repeat', row: current.rows[0]! };
      }
    }
    return { kind: 'accepted', row: review ? await this.reserveFunds(q, agent, row) : await this.reserveLeased(q, agent, row, partner) };
  }

  /**
   * The reservation of a pay accepted and leased by the statement before, as the acceptance's last statement
   * (`reserve_payment`, migration 017: reservation, its link, the pay attempt): the agent's balance row stays locked
   * only until the COMMIT that follows. Funds that would cross the floor park it as waiting (220), unleased.
   */
  private async reserveLeased(q: Queryable, agent: Agent, row: PaymentRow, partner: string): Promise<PaymentRow> {
    const providerAccount = await this.providerAccount(q, row.provider, row.currency);
    const reserved = await q.query<{ transfer_id: bigint | null; error: string | null }>(
      'SELECT transfer_id, error FROM reserve_payment($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [row.id, agent.ledgerAccountId, providerAccount, row.amount_to_minor!, row.currency, `payment ${row.id}`, this.clock.now(), agent.overdraftMinor, partner],
    );
    const { transfer_id: reservationId, error } = reserved.rows[0]!;
    if (agent.notificationMinor !== null) await refreshNotification(q, agent, this.clock.now());
    if (error === null) return { ...row, reservation_id: reservationId };
    if (error !== 'exceeds_floor') throw new LedgerError('account_not_found', `the reservation of payment ${row.id} was refused: ${error}`);
    return this.parkWaiting(q, row, `AND lease_owner = $4`, [row.lease_owner]);
  }

  /** No funds for it yet: waiting (220), unleased, asked again after the retry interval. */
  private async parkWaiting(q: Queryable, row: PaymentRow, guard = '', extra: unknown[] = []): Promise<PaymentRow> {
    const updated = await this.changeNoting(q,
      `UPDATE payments SET state = 'waiting', result_code = 220, result_message = $2,
              attempts = CASE WHEN lease_owner IS NULL THEN attempts ELSE attempts - 1 END, lease_until = NULL, lease_owner = NULL,
              next_attempt_at = now() + $3 * interval '1 millisecond', updated_at = now()
        WHERE id = $1 ${guard} RETURNING *, false AS lease_active`,
      [row.id, defaultMessage(RESULT.INSUFFICIENT_FUNDS), this.config.retryBaseMs, ...extra],
    );
    return updated.rows[0]!;
  }

  /**
   * Reserves the agent's funds for an accepted payment not leased yet (held for review, or found waiting), or parks it
   * as waiting (220) when they would cross the floor.
   */
  private async reserveFunds(q: Queryable, agent: Agent, row: PaymentRow): Promise<PaymentRow> {
    const providerAccount = await this.providerAccount(q, row.provider, row.currency);
    try {
      const reservationId = await reserve(q, {
        debitAccountId: agent.ledgerAccountId,
        creditAccountId: providerAccount,
        amountMinor: row.amount_to_minor!,
        currency: row.currency,
        reason: `payment ${row.id}`,
        paymentId: row.id,
        debitFloorMinor: agent.overdraftMinor,
        at: this.clock.now(),
      });
      await refreshNotification(q, agent, this.clock.now());
      if (agent.reviewAboveMinor !== null && row.amount_to_minor! > agent.reviewAboveMinor) {
        const held = await this.changeNoting(q,
          `UPDATE payments SET state = 'review', result_code = 153, result_message = $3, reservation_id = $2,
                  next_attempt_at = NULL, updated_at = now()
            WHERE id = $1 RETURNING *, false AS lease_active`,
          [row.id, reservationId, defaultMessage(RESULT.SECURITY_REVIEW)],
        );
        return held.rows[0]!;
      }
      const updated = await this.changeNoting(q,
        `UPDATE payments SET state = 'accepted', result_code = 1, result_message = 'in processing', reservation_id = $2,
                attempts = attempts + 1, lease_until = now() + $3 * interval '1 millisecond', lease_owner = $4,
                next_attempt_at = now() + $3 * interval '1 millisecond', updated_at = now()
          WHERE id = $1 RETURNING *, true AS lease_active`,
        [row.id, reservationId, this.config.leaseMs, leaseToken()],
      );
      return updated.rows[0]!;
    } catch (error) {
      if (!(error instanceof LedgerError && error.code === 'exceeds_floor')) throw error;
      await refreshNotification(q, agent, this.clock.now());
      return this.parkWaiting(q, row);
    }
  }

  /**
   * A repeated pay: the same body gets the current state (waiting a little for a provider call in flight, so that
   * duplicates sent together get the same answer); a changed body gets 215, or 202 while the original is still in a
   * temporary state (the agent API document's footnote to its result-code table, docs/protocols/agent-api.md) — the
   * original goes on either way.
   */
  private async repeatedPay(row: PaymentRow, digest: string, command: PayCommand): Promise<EngineAnswer> {
    if (row.pay_hash !== digest) {
      const fields = differingFields(row, command);
      return isFinal(row.result_code as ResultCode)
        ? changedBody(RESULT.DUPLICATE_TRANSACTION, fields, 'the stored payment')
        : changedBody(RESULT.BAD_REQUEST, fields, 'the payment in processing with this agentTransactionId');
    }
    let current = row;
    // The call in flight may belong to this instance (its settle event wakes us) or another one (the row tells).
    const deadline = Date.now() + this.config.providerDeadlineMs + 500;
    while (current.state === 'accepted' && current.lease_active && Date.now() < deadline) {
      await this.waitForSettle(current.id, Math.min(SETTLE_POLL_MS, deadline - Date.now()));
      current = (await this.findById(this.db, current.id)) ?? current;
    }
    return { kind: 'payment', payment: toView(current) };
  }

  private waitForSettle(paymentId: bigint, timeoutMs: number): Promise<void> {
    const key = paymentId.toString();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const settled = this.settled;
      function done(): void {
        clearTimeout(timer);
        settled.off(key, done);
        resolve();
      }
      settled.on(key, done);
    });
  }

  // ---------------------------------------------------------------- drive

  /**
   * One step of the durable drive of a payment: retry a waiting reservation, or call the provider (asking for the
   * status first when an earlier call's outcome is unknown). Safe to run any number of times, on any instance.
   */
  async drive(paymentId: bigint): Promise<void> {
    return this.track(this.driveOnce(paymentId));
  }

  private async driveOnce(paymentId: bigint): Promise<void> {
    const row = await this.findById(this.db, paymentId);
    if (!row || isFinalState(row.state)) return;
    if (row.state === 'waiting') return this.retryFunds(row);
    if (row.state !== 'accepted' || this.calling.has(row.id.toString())) return;
    if (row.lease_active) {
      // Another instance is calling: look again when its lease would lapse (it is renewed while the call runs).
      await this.enqueue(row.id, Math.max(0, row.lease_until!.getTime() - Date.now()) + 100);
      return;
    }
    const claimed = await this.db.query<PaymentRow>(
      `UPDATE payments SET lease_until = now() + $2 * interval '1 millisecond', lease_owner = $3, attempts = attempts + 1, updated_at = now()
        WHERE id = $1 AND state = 'accepted' AND (lease_until IS NULL OR lease_until <= now()) RETURNING *, true AS lease_active`,
      [row.id, this.config.leaseMs, leaseToken()],
    );
    if (claimed.rows[0]) await this.callProvider(claimed.rows[0], this.config.providerTimeoutMs, false);
  }

  private async retryFunds(row: PaymentRow): Promise<void> {
    const expired = this.clock.now().getTime() - (row.paid_at ?? row.created_at).getTime() > this.config.fundsWaitMs;
    const after = await this.db.tx(async (q) => {
      const locked = await q.query<PaymentRow>(`${SELECT_PAYMENT} WHERE id = $1 AND state = 'waiting' FOR UPDATE`, [row.id]);
      const current = locked.rows[0];
      if (!current) return undefined;
      const agent = (await findAgent(q, current.agent_id))!;
      const reserved = await this.reserveFunds(q, agent, current);
      if (reserved.state === 'accepted' || !expired) return reserved;
      if (reserved.must_complete) {
        await this.raiseAttention(q, reserved.id, 'funds_missing', 'The agent already considers this payment made, but its balance does not cover it', { agentId: reserved.agent_id.toString() });
        return reserved;
      }
      return this.finish(q, reserved, { state: 'failed', code: RESULT.BALANCE_NOT_TOPPED_UP, message: defaultMessage(RESULT.BALANCE_NOT_TOPPED_UP) });
    });
    if (!after || after.state === 'review') return;
    if (after.state === 'accepted') {
      await this.callProvider(after, this.config.providerTimeoutMs, false);
    } else if (after.state === 'waiting') {
      await this.enqueue(after.id, backoffMs(after.attempts + 1, this.config.retryBaseMs, this.config.retryMaxMs));
    }
  }

  /**
   * Calls the provider for a payment whose lease the caller holds (the row just written by the claim), keeps the
   * lease alive while the call runs, and applies what the provider says. Returns the payment if it became final.
   */
  private async callProvider(row: PaymentRow, timeoutMs: number, inline: boolean, attemptRecorded = false): Promise<PaymentRow | undefined> {
    const key = row.id.toString();
    this.calling.add(key);
    try {
      const service = await this.catalog.get(row.service_id);
      const adapter = service && this.adapterFor(service);
      if (!service || !adapter) return await this.applyOutcome(row, { kind: 'unknown', reason: `no provider route for ${row.service_id}` }, inline);
      const lease = keepLease(this.db, 'payments', row.id, row.lease_owner!, this.config.leaseMs, this.log);
      const started = process.hrtime.bigint();
      const limit = deadline(timeoutMs, lease.lost);
      let result: ProviderPayResult;
      try {
        result = await this.askProvider(adapter, row, this.payRequest(row, service), limit.signal, attemptRecorded);
      } finally {
        limit.clear();
        lease.stop();
      }
      this.metrics?.providerCalls.observe({ provider: adapter.name, outcome: result.kind }, Number(process.hrtime.bigint() - started) / 1e9);
      return await this.applyOutcome(row, result, inline);
    } finally {
      this.calling.delete(key);
      this.settled.emit(key);
    }
  }

  /**
   * Ask before you pay: after any earlier attempt (unanswered after a crash, or answered with anything but a final
   * word) the provider is asked for the status first, and paid only if it says it never saw the payment. A status
   * query that fails is an unknown outcome, retried later — never a blind pay. The pay itself is recorded as attempted
   * (committed) before it leaves.
   */
  private async askProvider(adapter: ProviderAdapter, row: PaymentRow, request: ProviderPayRequest, signal: AbortSignal, attemptRecorded: boolean): Promise<AskedAnswer> {
    try {
      if (!attemptRecorded) {
        if (row.provider_outcome !== null || (await attemptedBefore(this.db, row.id, 'pay'))) {
          const status = await this.exchanges.around({ paymentId: row.id, partner: adapter.name, operation: 'status' }, () => this.sent(adapter, 'status', () => adapter.status(request, { signal })));
          // Cancelled at the provider (by someone else: the hub never cancels an unfinished payment): it holds no money.
          if (status.kind === 'cancelled') return { kind: 'declined', code: RESULT.OTHER_ERROR, message: 'The provider shows this payment cancelled' };
          if (status.kind !== 'not_found') return status;
        }
        await startAttempt(this.db, row.id, adapter.name, 'pay');
      }
      const result = await this.exchanges.around({ paymentId: row.id, partner: adapter.name, operation: 'pay' }, () => this.sent(adapter, 'pay', () => adapter.pay(request, { signal })));
      // A final answer is recorded with the settlement it causes (finalUpdate); any other one now, before the retry.
      if (!isFinalAnswer(result)) await answerOpenAttempts(this.db, row.id, 'pay', result.kind);
      return { ...result, answersAttempt: true };
    } catch (error) {
      // An adapter must not throw; if one does (or the store fails around the call), the outcome is unknown.
      this.log.error({ err: error, transactionId: row.id.toString() }, 'provider call failed unexpectedly');
      return { kind: 'unknown', reason: error instanceof Error ? error.message : String(error) };
    }
  }

  private payRequest(row: PaymentRow, service: Service): ProviderPayRequest {
    const extraServices = extraServicesOf(row.request);
    return {
      transactionId: row.id,
      service,
      account: row.account,
      extras: row.request.extras,
      amountMinor: row.amount_to_minor!,
      acceptedAt: row.paid_at ?? row.created_at,
      ...(extraServices ? { extraServices } : {}),
      ...(row.provider_data ? { checkData: row.provider_data } : {}),
      ...(row.provider_ref ? { providerRef: row.provider_ref } : {}),
    };
  }

  private async applyOutcome(row: PaymentRow, asked: AskedAnswer, inline: boolean): Promise<PaymentRow | undefined> {
    let result: ProviderPayResult = asked;
    if (result.kind === 'declined' && !isFinal(result.code)) {
      result = { kind: 'unknown', reason: `provider answered a temporary code ${result.code}: ${result.message}` };
    }
    switch (result.kind) {
      case 'paid':
        return this.settle(row.id, { state: 'succeeded', code: RESULT.OK, message: 'Успешно', providerRef: result.providerRef, ...(asked.answersAttempt ? { payAnswer: 'paid' } : {}) });
      case 'declined':
        return this.settle(row.id, { state: 'failed', code: result.code, message: result.message, ...(asked.answersAttempt ? { payAnswer: `declined ${result.code}` } : {}) });
      case 'pending':
      case 'unknown':
        await this.postpone(row, result.kind, result.reason, inline);
        return undefined;
    }
  }

  private async settle(paymentId: bigint, outcome: Outcome): Promise<PaymentRow | undefined> {
    const finished = outcome.state === 'succeeded' ? await this.settleSucceeded(paymentId, outcome) : await this.db.tx(async (q) => {
      // The final UPDATE locks the row and checks it is still accepted in one statement; its reservation follows, at
      // the same instant (a timeline lists a transfer before the state change of the same moment).
      const at = this.clock.now();
      const done = await this.finalUpdate(q, paymentId, outcome, undefined, `AND state = 'accepted'`, at);
      if (!done) return undefined;
      await this.resolveReservation(q, done, outcome, at);
      // In the same transaction: a refusal the agent will never hear of must not be lost to a crash.
      if (done.must_complete && done.state === 'failed') {
        await this.raiseAttention(q, done.id, 'refused_after_commit',
          `The provider refused (${done.result_code}: ${done.result_message}) a payment the agent already considers made: refund the agent or pay the provider by hand`,
          { agentId: done.agent_id.toString(), agentTxnId: done.agent_txn_id.toString(), serviceId: done.service_id, account: done.account, amountMinor: done.amount_to_minor?.toString() ?? null, currency: done.currency });
      }
      return done;
    });
    if (finished) {
      this.metrics?.paymentsFinished.inc({ outcome: finished.state, code: String(finished.result_code) });
      this.log.info({ transactionId: finished.id.toString(), state: finished.state, code: finished.result_code }, 'payment final');
    }
    return finished;
  }

  /**
   * A success settles with the concurrent others in one statement (`settle_succeeded_pays`, migration 021): the final
   * state with its record, the attention items it settles, its pay attempt answered and its reservation posted. A
   * batch the ledger refuses is undone whole and each of its successes settled alone (`settleAlone`).
   */
  private settleSucceeded(paymentId: bigint, outcome: Outcome): Promise<PaymentRow | undefined> {
    return this.settleBatch.submit({ paymentId, outcome });
  }

  private async settleTogether(successes: Success[]): Promise<(PaymentRow | undefined)[]> {
    const items = successes.map(({ paymentId, outcome }) => ({
      id: paymentId.toString(), code: outcome.code, message: outcome.message, providerRef: outcome.providerRef ?? null, payAnswer: outcome.payAnswer ?? null,
    }));
    const settled = await this.db.query<PaymentRow>('SELECT *, false AS lease_active FROM settle_succeeded_pays($1::jsonb, $2, $3)',
      [JSON.stringify(items), this.clock.now(), SETTLED_ATTENTION_KIND_LIST]);
    return matchInOrder(successes, settled.rows, ({ paymentId }) => paymentId.toString(), (row) => row.id.toString());
  }

  /**
   * One success in one statement: the same changes, with the reservation posted by `ledger_resolve` (migration 016),
   * which raises — undoing the whole statement — if the ledger refuses.
   */
  private settleAlone({ paymentId, outcome }: Success): Promise<PaymentRow | undefined> {
    const at = this.clock.now();
    return this.finalUpdate(this.db, paymentId, outcome, undefined, `AND state = 'accepted'`, at, `payment ${paymentId} succeeded`);
  }

  /** Final state, and the reservation posted (success) or voided (anything else), in the caller's transaction. */
  private async finish(q: Queryable, row: PaymentRow, outcome: Outcome, note?: string): Promise<PaymentRow> {
    const at = this.clock.now();
    await this.resolveReservation(q, row, outcome, at);
    return (await this.finalUpdate(q, row.id, outcome, note, '', at))!;
  }

  /** The reservation of a payment that ended: posted on success, voided otherwise (the agent's notification rearmed). */
  private async resolveReservation(q: Queryable, row: PaymentRow, outcome: Outcome, at: Date): Promise<void> {
    if (row.reservation_id === null) return;
    if (outcome.state === 'succeeded') {
      await postPending(q, row.reservation_id, `payment ${row.id} succeeded`, at);
      return;
    }
    await voidPending(q, row.reservation_id, `payment ${row.id} failed: ${outcome.code}`, at);
    const agent = await findAgent(q, row.agent_id);
    if (agent) await refreshNotification(q, agent, at);
  }

  /**
   * The final state in one statement: its record on the timeline, the attention items it settles and (for a
   * provider's final answer) the pay attempt answered. `guard`: more conditions on the row; undefined when none matched.
   */
  private async finalUpdate(
    q: Queryable, paymentId: bigint, outcome: Outcome, note: string | undefined, guard: string, at: Date, postReason?: string,
  ): Promise<PaymentRow | undefined> {
    const updated = await this.changeNoting(q,
      `UPDATE payments SET state = $2, result_code = $3, result_message = $4, provider_ref = COALESCE($5, provider_ref),
              provider_outcome = $6, status_at = $7, lease_until = NULL, next_attempt_at = NULL, updated_at = now()
        WHERE id = $1 ${guard} RETURNING *, false AS lease_active`,
      [paymentId, outcome.state, outcome.code, outcome.message, outcome.providerRef ?? null, outcome.state === 'succeeded' ? 'paid' : 'declined', at,
        outcome.payAnswer ?? null, `settled by the system: ${outcome.state} (${outcome.code})`, postReason ?? null],
      note,
      [
        `closed AS (UPDATE attention_items SET resolved_at = $7, resolution = $9
           WHERE payment_id = (SELECT id FROM changed) AND kind IN (${SETTLED_ATTENTION_KINDS}) AND resolved_at IS NULL)`,
        `answered AS (UPDATE outbound_attempts SET answered_at = now(), outcome = left($8::text, 200)
           WHERE $8::text IS NOT NULL AND payment_id = (SELECT id FROM changed) AND kind = 'pay' AND answered_at IS NULL)`,
        // Read by the result below, so it runs: the reservation posted in this statement (postReason given).
        `posted AS (SELECT ledger_resolve('post', c.reservation_id, $10::text, $7) AS transfer_id
           FROM changed c WHERE $10::text IS NOT NULL AND c.reservation_id IS NOT NULL)`,
      ],
      at,
      'SELECT changed.*, (SELECT count(*) FROM posted) AS posted_count FROM changed',
    );
    return updated.rows[0];
  }

  private async postpone(row: PaymentRow, outcome: 'pending' | 'unknown', reason: string, inline: boolean): Promise<void> {
    const delayMs = backoffMs(row.attempts, this.config.retryBaseMs, this.config.retryMaxMs);
    // Only the lease's holder releases it: a caller whose lease was taken (it aborted) must not free the new holder's.
    await this.db.query(
      `UPDATE payments SET provider_outcome = $2, lease_until = NULL, next_attempt_at = now() + $3 * interval '1 millisecond', updated_at = now()
        WHERE id = $1 AND state = 'accepted' AND lease_owner IS NOT DISTINCT FROM $4`,
      [row.id, outcome, delayMs, row.lease_owner],
    );
    this.log.warn({ transactionId: row.id.toString(), outcome, reason, attempts: row.attempts, inline }, 'provider outcome not final; will retry');
    if (this.clock.now().getTime() - (row.paid_at ?? row.created_at).getTime() > this.config.attentionAfterMs) {
      await this.raiseAttention(this.db, row.id, 'unresolved', `Unresolved after ${row.attempts} attempts: ${reason}`, { outcome });
    }
    await this.enqueue(row.id, delayMs);
  }

  /** An item on the attention list, dated by this engine's clock (see attention.ts). */
  async raiseAttention(q: Queryable, paymentId: bigint, kind: string, reason: string, details: Record<string, unknown>): Promise<void> {
    await raiseAttention(q, { paymentId, kind, reason, details, at: this.clock.now() });
  }

  /** The safety net: enqueue every non-final payment whose next attempt is due (all of them after a restart). */
  async sweep(limit = 1_000): Promise<number> {
    // A leased payment is included, due when its lease lapses: after a crash that is within `leaseMs`, not at the
    // next sweep a minute later (a live holder renews its lease, and the drive then simply looks again later).
    const due = await this.db.query<{ id: bigint; delay_ms: number }>(
      `SELECT id, GREATEST(0, EXTRACT(EPOCH FROM (GREATEST(next_attempt_at, lease_until) - now())) * 1000)::float8 AS delay_ms FROM payments
        WHERE state IN ('waiting', 'accepted') AND (next_attempt_at IS NULL OR next_attempt_at <= now() + interval '1 minute')
        ORDER BY next_attempt_at NULLS FIRST LIMIT $1`,
      [limit],
    );
    for (const row of due.rows) await this.enqueue(row.id, Number(row.delay_ms));
    return due.rows.length;
  }

  // ---------------------------------------------------------------- security review (153)

  /** Payments held for review, oldest first. */
  async underReview(): Promise<PaymentView[]> {
    const result = await this.db.query<PaymentRow>(`${SELECT_PAYMENT} WHERE state = 'review' ORDER BY paid_at, id LIMIT 1000`);
    return result.rows.map(toView);
  }

  /**
   * An operator's decision on a held payment: approve sends it to the provider (the durable drive takes it from
   * there), reject voids the reservation and ends it with 300. A decision on a payment no longer held changes nothing.
   */
  async decideReview(transactionId: bigint, decision: 'approve' | 'reject', note: string, record?: ReviewRecorder): Promise<PaymentView> {
    const row = await this.db.tx(async (q) => {
      const locked = await q.query<PaymentRow>(`${SELECT_PAYMENT} WHERE id = $1 FOR UPDATE`, [transactionId]);
      const current = locked.rows[0];
      if (!current) throw new ServiceError('not_found', 'payment_not_found', `payment ${transactionId} not found`);
      if (current.state !== 'review') return current;
      const decided = await this.applyReview(q, current, decision, note);
      await record?.(q, toView(current), toView(decided));
      return decided;
    });
    if (row.state === 'accepted') await this.enqueue(row.id, 0);
    return toView(row);
  }

  private async applyReview(q: Queryable, current: PaymentRow, decision: 'approve' | 'reject', note: string): Promise<PaymentRow> {
    if (decision === 'reject') {
      const rejected = await this.finish(q, current, { state: 'failed', code: RESULT.OTHER_ERROR, message: `Rejected by the security service: ${note}` });
      await q.query('UPDATE payments SET review_note = $2 WHERE id = $1', [current.id, note]);
      return rejected;
    }
    const approved = await q.query<PaymentRow>(
      `UPDATE payments SET state = 'accepted', result_code = 1, result_message = 'in processing', review_note = $2,
              next_attempt_at = now(), updated_at = now()
        WHERE id = $1 RETURNING *, false AS lease_active`,
      [current.id, note],
    );
    return this.noteState(q, approved.rows[0]!, `approved: ${note}`);
  }

  // ---------------------------------------------------------------- cancel

  /**
   * Reverses a payment. Not yet paid (checked, waiting): it is closed and nothing moves. Succeeded: the provider is asked
   * to cancel (its own rules apply, e.g. same business day) and, on its yes, the money goes back to the agent with a
   * reverse transfer. A payment still with the provider cannot be cancelled until it is final.
   */
  async cancel(agentId: bigint, agentTxnId: bigint, reason: string): Promise<CancelAnswer> {
    const row = await this.findByAgentTxn(this.db, agentId, agentTxnId);
    if (!row) return { kind: 'not_found' };
    switch (row.state) {
      case 'cancelled':
        return { kind: 'cancelled', payment: toView(row) };
      case 'failed':
        return { kind: 'refused', reason: 'already_failed', payment: toView(row) };
      case 'accepted':
        return { kind: 'refused', reason: 'in_processing', payment: toView(row) };
      case 'review':
        return this.decideReview(row.id, 'reject', `cancelled: ${reason}`).then((payment) => ({ kind: 'cancelled' as const, payment }));
      case 'checked':
      case 'check_failed':
      case 'waiting':
        return this.closeUnpaid(row, reason);
      case 'succeeded':
        return this.cancelSucceeded(row, reason);
    }
  }

  private async closeUnpaid(row: PaymentRow, reason: string): Promise<CancelAnswer> {
    const closed = await this.db.tx(async (q) => {
      const updated = await q.query<PaymentRow>(
        `UPDATE payments SET state = 'failed', result_code = $2, result_message = $3, status_at = $5, cancelled_at = $5,
                cancel_reason = $4, next_attempt_at = NULL, updated_at = now()
          WHERE id = $1 AND state IN ('checked', 'check_failed', 'waiting') RETURNING *, false AS lease_active`,
        [row.id, RESULT.OTHER_ERROR, 'Cancelled before payment', reason, this.clock.now()],
      );
      if (updated.rows[0]) await this.noteState(q, updated.rows[0], `cancelled: ${reason}`);
      return updated;
    });
    const current = closed.rows[0] ?? (await this.findById(this.db, row.id))!;
    return closed.rows[0] ? { kind: 'cancelled', payment: toView(current) } : this.cancel(row.agent_id, row.agent_txn_id, reason);
  }

  /**
   * Cancels a succeeded payment at its provider, under a lease on the payment row: two cancels of one payment (an
   * agent's repeat, an operator's reversal, the recovery job; on any instance) never talk to the provider at once.
   * Ask before you cancel: while an earlier cancel of the payment is unresolved its outcome is unknown, so the
   * provider's status is asked first; a new cancel is recorded (committed) before it leaves. The provider's yes
   * commits the reverse transfer, the attempt's resolution and `record` together; an answer that says nothing final
   * leaves the attempt open, for the next cancel or the reversal-recovery job to resolve by asking.
   */
  private async cancelSucceeded(row: PaymentRow, reason: string, record?: OperatorRecorder): Promise<CancelAnswer> {
    const service = await this.catalog.get(row.service_id);
    const adapter = service && this.adapterFor(service);
    if (!service || !adapter?.cancel) return { kind: 'refused', reason: 'not_supported', payment: toView(row) };
    const answer = await this.underCancelLease(row.id, (claimed, signal) => this.cancelAtProvider(claimed, service, adapter, reason, signal, record));
    if (answer) return answer;
    // Not claimed: the payment changed meanwhile, or another cancel of it is talking to the provider right now.
    const current = (await this.findById(this.db, row.id))!;
    if (current.state === 'cancelled') return { kind: 'cancelled', payment: toView(current) };
    return { kind: 'refused', reason: 'in_processing', message: 'a cancellation of this payment is with the provider right now', payment: toView(current) };
  }

  /**
   * Runs `work` holding the lease of a succeeded payment (renewed while it runs, released after), with one deadline
   * for its provider calls; undefined when the payment is not succeeded or its lease is held by someone else.
   */
  private async underCancelLease<T>(paymentId: bigint, work: (row: PaymentRow, signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    const owner = leaseToken();
    const claimed = await this.db.query<PaymentRow>(
      `UPDATE payments SET lease_until = now() + $2 * interval '1 millisecond', lease_owner = $3, updated_at = now()
        WHERE id = $1 AND state = 'succeeded' AND (lease_until IS NULL OR lease_until <= now()) RETURNING *, true AS lease_active`,
      [paymentId, this.config.leaseMs, owner],
    );
    if (!claimed.rows[0]) return undefined;
    const lease = keepLease(this.db, 'payments', paymentId, owner, this.config.leaseMs, this.log);
    const limit = deadline(this.config.providerTimeoutMs, lease.lost);
    try {
      return await work(claimed.rows[0], limit.signal);
    } finally {
      limit.clear();
      lease.stop();
      // Only the holder releases; a release that fails simply lets the lease lapse within leaseMs.
      await this.db.query('UPDATE payments SET lease_until = NULL WHERE id = $1 AND lease_owner = $2', [paymentId, owner])
        .catch((error: unknown) => this.log.warn({ err: error, transactionId: paymentId.toString() }, 'cancel lease release failed'));
    }
  }

  private async cancelAtProvider(
    row: PaymentRow, service: Service, adapter: ProviderAdapter, reason: string, signal: AbortSignal, record?: OperatorRecorder,
  ): Promise<CancelAnswer> {
    const request = this.payRequest(row, service);
    if ((await openCancels(this.db, row.id)).length > 0) {
      const said = await this.askIfCancelled(adapter, row, request, signal);
      if (said.kind === 'cancelled') return { kind: 'cancelled', payment: toView(await this.reverse(row.id, reason, 'cancelled (the provider\'s status, asked before cancelling again)', record)) };
      if (said.kind === 'unknown') {
        await noteCancelCheck(this.db, row.id, said.reason, this.config.retryBaseMs);
        return { kind: 'unknown', reason: `an earlier cancellation's outcome is unknown and the provider's status said nothing final: ${said.reason}`, payment: toView(row) };
      }
      // The provider still has it paid: the earlier cancels never took effect, and a new one is safe to send.
      await resolveCancels(this.db, row.id, 'not cancelled (the provider\'s status: still paid)');
    }
    const attempt = await startCancelAttempt(this.db, row.id, adapter.name, reason);
    const result = await this.callCancel(adapter, row, request, signal);
    switch (result.kind) {
      case 'cancelled':
        return { kind: 'cancelled', payment: toView(await this.reverse(row.id, reason, 'cancelled', record)) };
      case 'refused':
        await resolveCancels(this.db, row.id, `refused ${result.code}: ${result.message}`);
        return { kind: 'refused', reason: 'provider_refused', message: result.message, payment: toView(row) };
      case 'unknown':
        await answerCancelUnknown(this.db, attempt, result.reason, this.config.retryBaseMs);
        return { kind: 'unknown', reason: result.reason, payment: toView(row) };
    }
  }

  private async callCancel(adapter: ProviderAdapter, row: PaymentRow, request: ProviderPayRequest, signal: AbortSignal): Promise<ProviderCancelResult> {
    try {
      return await this.exchanges.around({ paymentId: row.id, partner: adapter.name, operation: 'cancel' }, () => this.sent(adapter, 'cancel', () => adapter.cancel!(request, { signal })));
    } catch (error) {
      // An adapter must not throw; if one does, the outcome is unknown (the provider may have cancelled).
      this.log.error({ err: error, transactionId: row.id.toString() }, 'provider cancel failed unexpectedly');
      return { kind: 'unknown', reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * What the provider's status says of a cancellation: `cancelled`, `still_paid` (it positively has the payment, not
   * cancelled: a cancel never took effect), or anything else — pending, declined, not found, no answer — unknown.
   */
  private async askIfCancelled(adapter: ProviderAdapter, row: PaymentRow, request: ProviderPayRequest, signal: AbortSignal): Promise<
    { kind: 'cancelled' } | { kind: 'still_paid' } | { kind: 'unknown'; reason: string }
  > {
    let status: ProviderStatusResult;
    try {
      status = await this.exchanges.around({ paymentId: row.id, partner: adapter.name, operation: 'status' }, () => this.sent(adapter, 'status', () => adapter.status(request, { signal })));
    } catch (error) {
      return { kind: 'unknown', reason: error instanceof Error ? error.message : String(error) };
    }
    switch (status.kind) {
      case 'cancelled':
        return { kind: 'cancelled' };
      case 'paid':
        return { kind: 'still_paid' };
      case 'pending':
      case 'unknown':
        return { kind: 'unknown', reason: status.reason };
      case 'declined':
        return { kind: 'unknown', reason: `the provider answered ${status.code}: ${status.message}` };
      case 'not_found':
        return { kind: 'unknown', reason: 'the provider does not know the payment' };
    }
  }

  /**
   * The reversal-recovery job's step for one payment (engine/reversal-recovery.ts): under the payment's lease, its
   * unresolved cancels are resolved by asking the provider's status — never by cancelling again. Cancelled: the
   * reverse transfer commits with `hooks.cancelled`; still paid: the cancels never took effect (`hooks.stillPaid`);
   * no open cancel at all (a reversal claimed, then nothing sent): `hooks.neverSent`; a payment that is no longer
   * succeeded: `hooks.moot`. Anything else is counted and asked again later (back-off).
   */
  async recoverCancel(paymentId: bigint, hooks: CancelRecoveryHooks): Promise<CancelRecovery> {
    const row = await this.findById(this.db, paymentId);
    if (!row) return { outcome: 'moot' };
    if (row.state !== 'succeeded') {
      await this.db.tx(async (q) => {
        await resolveCancels(q, row.id, `moot: the payment is ${row.state}`);
        await hooks.moot(q, toView(row));
      });
      return { outcome: 'moot' };
    }
    const service = await this.catalog.get(row.service_id);
    const adapter = service && this.adapterFor(service);
    const recovered = await this.underCancelLease(row.id, async (claimed, signal): Promise<CancelRecovery> => {
      const open = await openCancels(this.db, row.id);
      if (open.length === 0) {
        await this.db.tx((q) => hooks.neverSent(q, toView(claimed)));
        return { outcome: 'never_sent' };
      }
      const said = service && adapter ? await this.askIfCancelled(adapter, claimed, this.payRequest(claimed, service), signal)
        : { kind: 'unknown' as const, reason: `no provider route for ${row.service_id}` };
      return this.applyRecovery(claimed, open, said, hooks);
    });
    return recovered ?? { outcome: 'busy' };
  }

  private async applyRecovery(
    row: PaymentRow, open: OpenCancel[], said: { kind: 'cancelled' } | { kind: 'still_paid' } | { kind: 'unknown'; reason: string }, hooks: CancelRecoveryHooks,
  ): Promise<CancelRecovery> {
    switch (said.kind) {
      case 'cancelled': {
        const reason = open.find((attempt) => attempt.reason)?.reason ?? 'cancelled at the provider';
        const after = await this.reverse(row.id, `${reason} (completed by recovery: the provider reports it cancelled)`,
          'cancelled (recovery: the provider reports it cancelled)', hooks.cancelled);
        return { outcome: after.state === 'cancelled' ? 'cancelled' : 'moot' };
      }
      case 'still_paid':
        await this.db.tx(async (q) => {
          await resolveCancels(q, row.id, 'not cancelled (recovery: the provider still has it paid)');
          await closeReversalAttention(q, row.id, 'the provider still has the payment: the cancellation never took effect', this.clock.now());
          await recordPaymentNote(q, row, this.clock.now(), 'recovery: the provider still has the payment; the cancellation never took effect');
          await hooks.stillPaid(q, toView(row));
        });
        return { outcome: 'still_paid' };
      case 'unknown': {
        const checks = await noteCancelCheck(this.db, row.id, said.reason, backoffMs(open.reduce((most, a) => Math.max(most, a.checks), 0) + 1, this.config.retryBaseMs, this.config.retryMaxMs));
        return { outcome: 'unknown', reason: said.reason, checks };
      }
    }
  }

  /**
   * The reverse transfer of a cancelled payment: provider → agent, once (the state guard makes a repeat a no-op), with
   * the resolution of its open cancels (`resolvedAs`) and `record`, in one transaction.
   */
  private async reverse(paymentId: bigint, reason: string, resolvedAs: string, record?: OperatorRecorder): Promise<PaymentRow> {
    return this.db.tx(async (q) => {
      const locked = await q.query<PaymentRow>(`${SELECT_PAYMENT} WHERE id = $1 FOR UPDATE`, [paymentId]);
      const row = locked.rows[0]!;
      if (row.state !== 'succeeded') {
        await resolveCancels(q, row.id, `${resolvedAs}; the payment was already ${row.state}`);
        return row;
      }
      const { row: reversed, transferId } = await this.reverseIn(q, row, `payment ${row.id} cancelled: ${reason}`, reason);
      await resolveCancels(q, row.id, resolvedAs);
      await closeReversalAttention(q, row.id, `cancelled at the provider: ${reason}`, this.clock.now());
      await record?.(q, toView(row), toView(reversed), transferId);
      return reversed;
    });
  }

  /** Provider → agent for a succeeded payment, which becomes cancelled; in the caller's transaction. */
  private async reverseIn(q: Queryable, row: PaymentRow, transferReason: string, reason: string): Promise<{ row: PaymentRow; transferId: bigint }> {
    const agent = (await findAgent(q, row.agent_id))!;
    const providerAccount = await this.providerAccount(q, row.provider, row.currency);
    const transferId = await transfer(q, {
      debitAccountId: providerAccount, creditAccountId: agent.ledgerAccountId, amountMinor: row.amount_to_minor!,
      currency: row.currency, reason: transferReason, paymentId: row.id, at: this.clock.now(),
    });
    await refreshNotification(q, agent, this.clock.now());
    const updated = await q.query<PaymentRow>(
      `UPDATE payments SET state = 'cancelled', cancelled_at = $3, cancel_reason = $2, updated_at = now()
        WHERE id = $1 RETURNING *, false AS lease_active`,
      [row.id, reason, this.clock.now()],
    );
    return { row: await this.noteState(q, updated.rows[0]!, `cancelled: ${reason}`), transferId };
  }

  // ---------------------------------------------------------------- operators' actions (the attention list)

  /** Whether the payment's provider can cancel a payment (its protocol has a cancellation). */
  async providerCancels(serviceId: string): Promise<boolean> {
    const service = await this.catalog.get(serviceId);
    return Boolean(service && this.adapterFor(service)?.cancel);
  }

  /**
   * Runs an operator's action on a payment under its row lock: `claim` first (the caller's own guard, e.g. the
   * proposal still open), then the action, whose refusal is a ServiceError; `record` writes the audit entry in the
   * same transaction. A payment whose provider call runs right now is left to that call.
   */
  private async operatorAction(
    paymentId: bigint, hooks: OperatorHooks, act: (q: Queryable, row: PaymentRow) => Promise<{ row: PaymentRow; transferId: bigint | null }>,
  ): Promise<PaymentView> {
    return this.db.tx(async (q) => {
      // The payment first, as the drive's settlement locks it (then its attention items): one order, no deadlock.
      const row = (await q.query<PaymentRow>(`${SELECT_PAYMENT} WHERE id = $1 FOR UPDATE`, [paymentId])).rows[0];
      if (!row) throw new ServiceError('not_found', 'payment_not_found', `payment ${paymentId} not found`);
      await hooks.claim?.(q);
      // (A succeeded payment under a lease is being cancelled at its provider right now.)
      if (row.lease_active && (row.state === 'accepted' || row.state === 'succeeded')) {
        throw new ServiceError('conflict', 'provider_call_running', `payment ${paymentId} is with the provider right now; try again in a moment`);
      }
      const done = await act(q, row);
      await hooks.record(q, toView(row), toView(done.row), done.transferId);
      return toView(done.row);
    });
  }

  /** Drives a waiting or unresolved payment again now (no money moves): it becomes due and is enqueued at once. */
  async retryNow(paymentId: bigint, hooks: OperatorHooks): Promise<PaymentView> {
    const view = await this.operatorAction(paymentId, hooks, async (q, row) => {
      if (row.state !== 'accepted' && row.state !== 'waiting') throw notFitting('retry', row);
      const updated = await q.query<PaymentRow>(
        `UPDATE payments SET next_attempt_at = now(), updated_at = now() WHERE id = $1 RETURNING *, false AS lease_active`, [row.id]);
      return { row: updated.rows[0]!, transferId: null };
    });
    await this.enqueue(paymentId, 0);
    return view;
  }

  /**
   * The provider confirms it has the payment: it succeeds with the provider's reference. An accepted payment's
   * reservation is posted; one without a live reservation (waiting for funds, or refused after the agent considered it
   * made: its reservation was voided) is paid by a new transfer agent → provider, within the agent's overdraft floor.
   */
  async markPaidByOperator(paymentId: bigint, providerRef: string, note: string, hooks: OperatorHooks): Promise<PaymentView> {
    return this.operatorAction(paymentId, hooks, async (q, row) => {
      const outcome: Outcome = { state: 'succeeded', code: RESULT.OK, message: 'Успешно', providerRef };
      const said = `marked paid by an operator, provider reference ${providerRef}: ${note}`;
      if (row.state === 'accepted') return { row: await this.finish(q, row, outcome, said), transferId: null };
      if (row.state !== 'waiting' && !(row.state === 'failed' && row.paid_at !== null)) throw notFitting('mark_paid', row);
      const agent = (await findAgent(q, row.agent_id))!;
      let transferId: bigint;
      try {
        transferId = await transfer(q, {
          debitAccountId: agent.ledgerAccountId, creditAccountId: await this.providerAccount(q, row.provider, row.currency),
          amountMinor: row.amount_to_minor!, currency: row.currency, reason: `payment ${row.id} marked paid (${providerRef}): ${note}`,
          paymentId: row.id, debitFloorMinor: agent.overdraftMinor, at: this.clock.now(),
        });
      } catch (error) {
        if (error instanceof LedgerError && error.code === 'exceeds_floor') {
          throw new ServiceError('conflict', 'agent_funds_short', 'the agent\'s balance does not cover this payment: top the agent up first');
        }
        throw error;
      }
      await refreshNotification(q, agent, this.clock.now());
      // The reservation is gone (voided) or never was: finish must not touch it again.
      return { row: await this.finish(q, { ...row, reservation_id: null }, outcome, said), transferId };
    });
  }

  /**
   * The agent's money back for a payment that will never be paid: an open one's reservation is voided and it fails
   * (300); a succeeded one (the provider does not have it) is reversed provider → agent and becomes cancelled.
   */
  async refundByOperator(paymentId: bigint, note: string, hooks: OperatorHooks): Promise<PaymentView> {
    return this.operatorAction(paymentId, hooks, async (q, row) => {
      if (row.state === 'succeeded') return this.reverseIn(q, row, `payment ${row.id} refunded: ${note}`, `refunded: ${note}`);
      if (row.state !== 'accepted' && row.state !== 'waiting') throw notFitting('refund', row);
      return { row: await this.finish(q, row, { state: 'failed', code: RESULT.OTHER_ERROR, message: `Refunded by an operator: ${note}` }), transferId: null };
    });
  }

  /**
   * Reverses a succeeded payment at its provider (the engine's cancellation: the provider's own rules apply, e.g. the
   * same business day); on its yes the reverse transfer and `record` commit together. Any other answer moves nothing;
   * one that says nothing final leaves the cancel attempt open for the reversal-recovery job.
   */
  async reverseByOperator(paymentId: bigint, reason: string, record: OperatorRecorder): Promise<CancelAnswer> {
    const row = await this.findById(this.db, paymentId);
    if (!row) return { kind: 'not_found' };
    if (row.state !== 'succeeded') throw notFitting('reverse', row);
    return this.cancelSucceeded(row, reason, record);
  }

  /**
   * Sends a succeeded payment to its provider again, under the same transactionId, for a provider whose registry lost
   * it (three-way reconciliation's pay_provider, approved by a second operator). Never blind: the provider's status is
   * asked first, and only a positive "not found" is followed by the pay (which the provider keys on the
   * transactionId, so a repeat cannot pay twice). No money moves in the ledger: the provider's account was credited
   * when the payment succeeded. Both calls are recorded as the payment's exchanges; one resend at a time (its lease).
   */
  async resendToProvider(paymentId: bigint): Promise<ResendAnswer> {
    const row = await this.findById(this.db, paymentId);
    if (!row) return { kind: 'not_found' };
    if (row.state !== 'succeeded') throw notFitting('pay_provider', row);
    const service = await this.catalog.get(row.service_id);
    const adapter = service && this.adapterFor(service);
    if (!service || !adapter) return { kind: 'refused', message: `no provider adapter for service ${row.service_id}`, payment: toView(row) };
    const answer = await this.underCancelLease(row.id, (claimed, signal) => this.resendUnderLease(claimed, service, adapter, signal));
    return answer ?? { kind: 'busy', payment: toView(row) };
  }

  private async resendUnderLease(row: PaymentRow, service: Service, adapter: ProviderAdapter, signal: AbortSignal): Promise<ResendAnswer> {
    const request = this.payRequest(row, service);
    const call = <T extends { kind: string }>(operation: 'status' | 'pay', send: () => Promise<T>): Promise<T | { kind: 'unknown'; reason: string }> =>
      this.exchanges.around({ paymentId: row.id, partner: adapter.name, operation }, () => this.sent(adapter, operation, send))
        .catch((error: unknown) => ({ kind: 'unknown' as const, reason: error instanceof Error ? error.message : String(error) }));
    const view = toView(row);
    const status = await call('status', () => adapter.status(request, { signal }));
    if (status.kind === 'paid') return { kind: 'already_paid', providerRef: status.providerRef, payment: view };
    if (status.kind === 'cancelled') return { kind: 'refused', message: 'the provider reports the payment cancelled', payment: view };
    if (status.kind === 'declined') return { kind: 'refused', message: `the provider's status: refused ${status.code} ${status.message}`, payment: view };
    if (status.kind !== 'not_found') return { kind: 'unknown', reason: `the provider's status said nothing final (${status.reason}); nothing was sent`, payment: view };
    const paid = await call('pay', () => adapter.pay(request, { signal }));
    if (paid.kind === 'paid') return { kind: 'paid', providerRef: paid.providerRef, payment: view };
    if (paid.kind === 'declined') return { kind: 'refused', message: `the provider refused it: ${paid.code} ${paid.message}`, payment: view };
    return { kind: 'unknown', reason: `the pay's answer said nothing final (${paid.reason}); the next attempt asks the status first`, payment: view };
  }

  /** A payments INSERT/UPDATE … RETURNING * whose state change is recorded by the same statement (payment-events.ts). */
  private changeNoting(
    q: Queryable, sql: string, params: readonly unknown[], note?: string, alsoCtes?: string[], at = this.clock.now(), select?: string,
  ): Promise<{ rows: PaymentRow[]; rowCount: number }> {
    return q.query<PaymentRow>(notingState(sql, params.length, alsoCtes, select), [...params, at, note ?? null]);
  }

  /** Writes the state a statement just gave a payment into its history, in the statement's transaction. */
  private async noteState(q: Queryable, row: PaymentRow, note?: string): Promise<PaymentRow> {
    await recordStateChange(q, row, this.clock.now(), note ?? row.result_message);
    return row;
  }

  /** Successful payments of an agent whose status date is in [from, to), for registries and reconciliation. */
  async succeededBetween(agentId: bigint, from: Date, to: Date, serviceIds?: string[]): Promise<PaymentView[]> {
    const result = await this.db.query<PaymentRow>(
      `${SELECT_PAYMENT} WHERE agent_id = $1 AND state = 'succeeded' AND status_at >= $2 AND status_at < $3
         AND ($4::text[] IS NULL OR service_id = ANY($4::text[])) ORDER BY status_at, id LIMIT 100000`,
      [agentId, from, to, serviceIds ?? null],
    );
    return result.rows.map(toView);
  }

  // ---------------------------------------------------------------- queries

  async status(agentId: bigint, agentTxnId: bigint): Promise<PaymentView | undefined> {
    const row = await this.findByAgentTxn(this.db, agentId, agentTxnId);
    return row ? toView(row) : undefined;
  }

  async get(transactionId: bigint): Promise<PaymentView | undefined> {
    const row = await this.findById(this.db, transactionId);
    return row ? toView(row) : undefined;
  }

  private async findByAgentTxn(q: Queryable, agentId: bigint, agentTxnId: bigint): Promise<PaymentRow | undefined> {
    const result = await q.query<PaymentRow>(`${SELECT_PAYMENT} WHERE agent_id = $1 AND agent_txn_id = $2`, [agentId, agentTxnId]);
    return result.rows[0];
  }

  private async findById(q: Queryable, id: bigint): Promise<PaymentRow | undefined> {
    const result = await q.query<PaymentRow>(`${SELECT_PAYMENT} WHERE id = $1`, [id]);
    return result.rows[0];
  }

  /** Whether a new pay for this service would be taken now (its provider's breaker is closed). */
  takesPaysFor(service: Service): boolean {
    return !this.circuits || this.circuits.isClosed(service.provider);
  }

  /** A call for an accepted payment: it always goes out; its outcome feeds the provider's health. */
  private sent<T extends { kind: string }>(adapter: ProviderAdapter, operation: 'pay' | 'status' | 'cancel', send: () => Promise<T>): Promise<T> {
    return this.circuits ? this.circuits.call(adapter.name, operation, send) : send();
  }

  private adapterFor(service: Service): ProviderAdapter | undefined {
    return this.providers.get(service.provider);
  }

  /** Provider clearing accounts never change once created: their ids are remembered instead of looked up per pay. */
  private async providerAccount(q: Queryable, provider: string, currency: string): Promise<bigint> {
    const code = providerAccountCode(provider, currency);
    let id = this.accountIds.get(code);
    if (id === undefined) {
      const account = await openAccount(q, code, 'provider', currency);
      id = account.id;
      // Only a committed account may be remembered: one created by this transaction is invisible to others until then.
      if (!account.created) this.accountIds.set(code, id);
    }
    return id;
  }
}

export type CancelAnswer =
  | { kind: 'cancelled'; payment: PaymentView }
  | { kind: 'refused'; reason: 'already_failed' | 'in_processing' | 'not_supported' | 'provider_refused'; message?: string; payment: PaymentView }
  | { kind: 'unknown'; reason: string; payment: PaymentView }
  | { kind: 'not_found' };

/** What re-sending a payment to its provider did (resendToProvider). */
export type ResendAnswer =
  | { kind: 'paid' | 'already_paid'; providerRef: string; payment: PaymentView }
  | { kind: 'refused'; message: string; payment: PaymentView }
  | { kind: 'unknown'; reason: string; payment: PaymentView }
  | { kind: 'busy'; payment: PaymentView }
  | { kind: 'not_found' };

/** What the reversal-recovery job did about one payment's unresolved cancellation. */
export type CancelRecovery =
  | { outcome: 'cancelled' | 'still_paid' | 'never_sent' | 'moot' | 'busy' }
  | { outcome: 'unknown'; reason: string; checks: number };

/** What recovery writes beside each outcome, in its transaction (e.g. the reversal proposal's settlement). */
export interface CancelRecoveryHooks {
  /** The provider has it cancelled: with the reverse transfer. */
  cancelled: OperatorRecorder;
  /** The provider still has it paid: the open cancels never took effect. */
  stillPaid: (q: Queryable, payment: PaymentView) => Promise<void>;
  /** No cancel was ever recorded (a reversal claimed, then the hub stopped before sending). */
  neverSent: (q: Queryable, payment: PaymentView) => Promise<void>;
  /** The payment is no longer succeeded (cancelled or refunded otherwise). */
  moot: (q: Queryable, payment: PaymentView) => Promise<void>;
}

/** What an operator's action changed, written in the action's own transaction (its audit entry, its proposal). */
export type OperatorRecorder = (q: Queryable, before: PaymentView, after: PaymentView, transferId: bigint | null) => Promise<void>;

export interface OperatorHooks {
  /** Runs first in the action's transaction (e.g. claims the proposal being approved); throws to refuse. */
  claim?: (q: Queryable) => Promise<void>;
  record: OperatorRecorder;
}

const ACTION_FITS: Record<string, string> = {
  retry: 'only a payment waiting for funds or still with the provider is driven again',
  mark_paid: 'only a payment with the provider, waiting for funds, or refused after the agent considered it made can be marked paid',
  refund: 'only a payment with the provider, waiting for funds, or succeeded can be refunded',
  reverse: 'only a succeeded payment can be reversed at its provider',
  pay_provider: 'only a succeeded payment is sent to its provider again',
};

function notFitting(action: string, row: PaymentRow): ServiceError {
  return new ServiceError('conflict', 'action_not_fitting', `payment ${row.id} is ${row.state}: ${ACTION_FITS[action] ?? action}`);
}

interface Outcome {
  state: 'succeeded' | 'failed';
  code: ResultCode;
  message: string;
  providerRef?: string;
  /** The provider's final answer that caused this outcome: its pay attempt is marked answered in the same statement. */
  payAnswer?: string;
}

/**
 * A batch's rows given back to its items, in order: each row to the first item with its key not served yet (a later
 * duplicate of the same key gets undefined, as the statement did not take it).
 */
function matchInOrder<I, R>(items: I[], rows: R[], itemKey: (item: I) => string, rowKey: (row: R) => string): (R | undefined)[] {
  const byKey = new Map(rows.map((row) => [rowKey(row), row]));
  return items.map((item) => {
    const key = itemKey(item);
    const row = byKey.get(key);
    byKey.delete(key);
    return row;
  });
}

/** A pay held for the security review (153): its amount is above the agent's review threshold. */
function underReview(agent: Agent, command: PayCommand): boolean {
  return agent.reviewAboveMinor !== null && command.amountToMinor > agent.reviewAboveMinor;
}

/** What the provider said; `answersAttempt`: the pay call's own answer (not a status), so it answers the pay attempt. */
type AskedAnswer = ProviderPayResult & { answersAttempt?: boolean };

/** A provider answer that ends the payment (its attempt is answered by the settlement itself). */
function isFinalAnswer(result: ProviderPayResult): boolean {
  return result.kind === 'paid' || (result.kind === 'declined' && isFinal(result.code));
}

/** Only a checked transaction may become a pay; one that was paid, or cancelled after its check, may not. */
function awaitsPay(row: PaymentRow): boolean {
  return row.pay_hash === null && (row.state === 'checked' || row.state === 'check_failed');
}

/** Ended without being paid: its check was refused, or it was closed (cancelled, funds never came) before payment. */
function endedUnpaid(row: PaymentRow): boolean {
  return row.paid_at === null && (row.state === 'check_failed' || row.state === 'failed');
}

/** strictRepeats: a check of an id already held, whatever its body (Elsom answers 233). Writes nothing. */
function alreadyHeld(): Extract<EngineAnswer, { kind: 'refused' }> {
  return { kind: 'refused', code: RESULT.DUPLICATE_TRANSACTION, message: 'This agentTransactionId is already held', exists: true };
}

function refusal(verdict: Verdict): EngineAnswer {
  if (verdict.ok) return { kind: 'refused', code: RESULT.OTHER_ERROR, message: 'Unknown service' };
  return { kind: 'refused', code: verdict.code, message: verdict.message, ...(verdict.differs ? { differs: verdict.differs } : {}) };
}

/**
 * 215 (or 202 while the original is temporary) for a changed body, naming the fields that differ. The digests may
 * differ where no named field does (a field only the engine sees): the code stands, with the table's own text.
 */
function changedBody(code: typeof RESULT.DUPLICATE_TRANSACTION | typeof RESULT.BAD_REQUEST, fields: RequestField[], against: string): Extract<EngineAnswer, { kind: 'refused' }> {
  if (fields.length === 0) {
    const message = code === RESULT.BAD_REQUEST ? `The request differs from ${against}` : defaultMessage(code);
    return { kind: 'refused', code, message };
  }
  return { kind: 'refused', code, message: differenceMessage(fields, against), differs: fields };
}

/** Nothing is written: the agent repeats the request (1 is non-final). */
/** 8, "forbidden for technical reasons": the provider's breaker is open; nothing was stored, the agent may try later. */
function providerUnavailable(): Extract<EngineAnswer, { kind: 'refused' }> {
  return { kind: 'refused', code: RESULT.FORBIDDEN_TECHNICAL, message: 'The provider is temporarily unavailable; payments to it are not taken now' };
}

function providerSilent(): Extract<EngineAnswer, { kind: 'refused' }> {
  return { kind: 'refused', code: RESULT.IN_PROCESSING, message: 'Provider did not answer, repeat the request later' };
}

function finalOr(code: ResultCode, fallback: ResultCode): ResultCode {
  return isFinal(code) ? code : fallback;
}
