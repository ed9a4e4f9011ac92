import { RESULT } from '../domain/result-codes.ts';
import type { Clock } from '../domain/clock.ts';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db, Queryable } from '../store/db.ts';
import type { Service } from '../domain/catalog.ts';
import { invalidInput } from '../domain/catalog.ts';
import { formatAmount, parseAmount } from '../domain/money.ts';
import type { ExtraServiceLine, ProviderCheckData } from '../domain/payment.ts';
import { ensureAccount, transfer } from '../ledger/ledger.ts';
import { createAgentIn, findAgent, type Agent } from './agents.ts';
import type { Catalog } from './catalog.ts';
import type { PaymentEngine, PaymentView, PayCommand } from './payments.ts';
import { validatePayShape, validateServiceRequest } from './validation.ts';
import { assertNever } from '../domain/assert.ts';
import { PAYMENT_METHODS, type Acquirer, type AcquirerCallbackAnswer, type AcquirerCallbackReading, type AcquirerCallbackVerdict, type AcquirerOrder, type PageLanguage, type PaymentMethod } from './ports.ts';
import { answerAttempt, attemptedBefore, keepLease, leaseToken, startAttempt } from './outbound.ts';

/**
 * The web checkout use-case. The checkout is Tolem's own agent (one per currency), funded by the acquirers (the
 * `Acquirer` port in ports.ts, one per payment method) instead of a prepaid balance:
 *
 *   card:  order → Assist form (Delay=1) → signed order state says Delayed → transfer acquirer:assist → checkout
 *          ("card hold") → engine.pay → provider paid: charge.cfm · provider refused: transfer back ("hold released")
 *          and cancel.cfm.
 *   Elsom: order → IA_Init → OTP page → callback (a hint) / polling → a *polled* status A → transfer
 *          acquirer:elsom → checkout → engine.pay → provider refused: transfer back and a `refund` attention item.
 *
 * Nothing the browser or a callback says moves money: only the acquirer's own answers (a signed Assist order state, an
 * Elsom status we asked for). Every step is a conditional state change in one transaction with its ledger transfer,
 * so duplicates, replays and concurrent steps are harmless; the durable queue re-runs steps until a final state.
 */

export type OrderState =
  | 'checked' | 'redirected' | 'authorised' | 'charging' | 'releasing'
  | 'succeeded' | 'released' | 'refund_due' | 'declined' | 'cancelled' | 'expired' | 'charge_failed' | 'release_failed';

export type { PageLanguage, PaymentMethod };

/** Timings of the checkout's durable steps. */
export interface CheckoutTiming {
  /** First delay of a status poll (Elsom status, Assist order state after a missing return); doubles up to pollMaxMs. */
  pollMs: number;
  pollMaxMs: number;
  /** A payment the acquirer has not confirmed after this long is given up ("expired"). */
  orderTtlMs: number;
  /** Assist: a hold must be charged within 4 days ("Подтверждение оплаты"); operators are warned this much earlier. */
  chargeWindowMs: number;
  chargeWarnBeforeMs: number;
}

/** What the person sees: their money's fate, not our bookkeeping. */
export type OrderOutcome = 'open' | 'waiting' | 'paid' | 'refused_released' | 'refused_refund' | 'declined' | 'cancelled' | 'expired';

export const ORDER_OUTCOME = {
  checked: 'open',
  redirected: 'waiting',
  authorised: 'waiting',
  charging: 'paid', // the provider is paid; the card charge follows in the background
  succeeded: 'paid',
  charge_failed: 'paid', // the provider is paid; collecting the money is the operators' problem now
  releasing: 'refused_released',
  released: 'refused_released',
  release_failed: 'refused_released', // an uncharged hold lapses by itself after the window
  refund_due: 'refused_refund',
  declined: 'declined',
  cancelled: 'cancelled',
  expired: 'expired',
} as const satisfies Record<OrderState, OrderOutcome>;

export interface OrderRow {
  id: bigint;
  token: string;
  agent_id: bigint;
  payment_id: bigint;
  service_id: string;
  account: string;
  extras: Record<string, string>;
  lines: { subServiceId: string; amountMinor: string; lastCount?: string }[] | null;
  amount_minor: bigint | null;
  currency: string;
  method: PaymentMethod | null;
  language: PageLanguage;
  email: string | null;
  state: OrderState;
  acquirer_ref: string | null;
  acquirer_state: string | null;
  payment_url: string | null;
  message: string | null;
  hold_transfer_id: bigint | null;
  return_transfer_id: bigint | null;
  attempts: number;
  redirected_at: Date | null;
  authorised_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
}

export interface OrderView {
  order: OrderRow;
  service: Service;
  payment: PaymentView | undefined;
  outcome: OrderOutcome;
}

export type StartAnswer = { kind: 'order'; token: string } | { kind: 'refused'; message: string; field?: string };

export interface PayChoice {
  method: string;
  amountText?: string;
  contractId?: string;
  lines?: { subServiceId: string; amountText: string; lastCount?: string }[];
  email?: string;
  language: PageLanguage;
}

export type PayAnswer =
  | { kind: 'card_form'; action: string; fields: [string, string][] }
  | { kind: 'redirect'; url: string }
  | { kind: 'result'; token: string }
  | { kind: 'refused'; message: string };

/** What a charge step learned: charged (now or by an earlier attempt), refused, or not known yet. */
type ChargeOutcome =
  | { kind: 'charged'; state: string | null }
  | { kind: 'refused'; code: string; message: string }
  | { kind: 'unsure'; reason: string };

/** What one step of an order did: moved it on, has to wait for someone (poll again), or found nothing to do. */
type StepResult = { kind: 'moved' } | { kind: 'wait'; delayMs?: number; note?: string } | { kind: 'done' };

const FINAL_STATES: readonly OrderState[] = ['succeeded', 'released', 'refund_due', 'declined', 'cancelled', 'expired', 'charge_failed', 'release_failed'];

export interface CheckoutDeps {
  db: Db;
  engine: PaymentEngine;
  catalog: Catalog;
  log: Logger;
  /** The acquirer of each payment method offered; a method without one is not offered. */
  acquirers: Partial<Record<PaymentMethod, Acquirer>>;
  timing: CheckoutTiming;
  clock: Clock;
  /** The lease on an order whose card charge runs (renewed while it runs; see outbound.ts). */
  leaseMs: number;
}

export class Checkout {
  private schedule: (orderId: bigint, delayMs: number) => Promise<void> = async () => undefined;
  private readonly agents = new Map<string, Agent>();
  /** One step at a time per order in this process; a kick during a step runs one more step after it. */
  private readonly running = new Map<string, { again: boolean; done: Promise<void> }>();

  constructor(private readonly deps: CheckoutDeps) {}

  useQueue(schedule: (orderId: bigint, delayMs: number) => Promise<void>): void {
    this.schedule = schedule;
  }

  methodsFor(currency: string): PaymentMethod[] {
    return PAYMENT_METHODS.filter((method) => this.deps.acquirers[method]?.currencies.includes(currency));
  }

  /** The acquirer of an order's method (an order only ever has a method that had one). */
  /** An acquirer call, its messages recorded for the order's payment (engine/exchanges.ts). */
  private exchange<T>(order: OrderRow, acquirer: Acquirer, operation: string, call: () => Promise<T>): Promise<T> {
    return this.deps.engine.exchanges.around({ paymentId: order.payment_id, orderId: order.id, partner: acquirer.name, operation }, call);
  }

  private acquirer(method: PaymentMethod | null): Acquirer {
    const acquirer = method ? this.deps.acquirers[method] : undefined;
    if (!acquirer) throw new Error(`no acquirer for payment method ${method}`);
    return acquirer;
  }

  /** The origins of the acquirers' pages, for the page's Content-Security-Policy. */
  acquirerOrigins(): string[] {
    return PAYMENT_METHODS.map((method) => this.deps.acquirers[method]?.origin).filter((origin): origin is string => Boolean(origin));
  }

  /** The methods whose acquirer sends callbacks. */
  callbackMethods(): PaymentMethod[] {
    return PAYMENT_METHODS.filter((method) => this.deps.acquirers[method]?.callbacks);
  }

  /** Services a person can pay here: enabled, and in a currency some acquirer takes. */
  async services(): Promise<Service[]> {
    return (await this.deps.catalog.all()).filter((service) => service.enabled && this.methodsFor(service.currency).length > 0);
  }

  // ------------------------------------------------------------------ the checkout agents

  /** The checkout agent of a currency, created on first use (idempotent; the table row is the one truth). */
  async agentFor(currency: string): Promise<Agent> {
    const cached = this.agents.get(currency);
    if (cached) return cached;
    const { db } = this.deps;
    let row = (await db.query<{ agent_id: bigint }>('SELECT agent_id FROM checkout_agents WHERE currency = $1', [currency])).rows[0];
    if (!row) {
      // Instances starting together create the agent once: the check and the creation happen under one lock.
      row = await db.tx(async (q) => {
        await q.query('SELECT pg_advisory_xact_lock(8420002)');
        const existing = (await q.query<{ agent_id: bigint }>('SELECT agent_id FROM checkout_agents WHERE currency = $1', [currency])).rows[0];
        if (existing) return existing;
        const created = await createAgentIn(q, { name: `Checkout ${currency}`, currency, issueToken: false, openingBalanceMinor: 0n });
        await q.query('INSERT INTO checkout_agents (currency, agent_id) VALUES ($1, $2)', [currency, created.agent.id]);
        return { agent_id: created.agent.id };
      });
    }
    const agent = (await findAgent(db, row.agent_id))!;
    this.agents.set(currency, agent);
    return agent;
  }

  async bootstrap(): Promise<void> {
    const currencies = new Set(PAYMENT_METHODS.flatMap((method) => this.deps.acquirers[method]?.currencies ?? []));
    for (const currency of currencies) await this.agentFor(currency);
  }

  // ------------------------------------------------------------------ page steps

  /** Inputs entered: validated by the service's regexps, then checked with the provider. One order per check. */
  async start(serviceId: string, values: Record<string, string>, language: PageLanguage): Promise<StartAnswer> {
    const service = await this.deps.catalog.get(serviceId);
    if (!service || !service.enabled || this.methodsFor(service.currency).length === 0) return { kind: 'refused', message: 'unknown_service' };
    const bad = invalidInput(service, values);
    if (bad) return { kind: 'refused', message: 'bad_input', field: bad.name };
    const account = values['account'] ?? '';
    const extras: Record<string, string> = {};
    for (const field of service.inputs) {
      const value = values[field.name];
      if (field.name !== 'account' && value) extras[field.name.replace(/^ev_/, '')] = value;
    }
    const agent = await this.agentFor(service.currency);
    const id = (await this.deps.db.query<{ id: bigint }>(`SELECT nextval('checkout_orders_id_seq') AS id`)).rows[0]!.id;
    const answer = await this.deps.engine.check(agent, { serviceId, account, agentTxnId: id, extras });
    if (answer.kind === 'refused') return { kind: 'refused', message: answer.code === RESULT.FORBIDDEN_TECHNICAL ? 'provider_unavailable' : answer.message };
    if (answer.payment.state !== 'checked') return { kind: 'refused', message: answer.payment.message };
    const token = randomBytes(18).toString('base64url');
    await this.deps.db.query(
      `INSERT INTO checkout_orders (id, token, agent_id, payment_id, service_id, account, extras, currency, language, state, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'checked', $10, $10)`,
      [id, token, agent.id, answer.payment.transactionId, serviceId, account, JSON.stringify(extras), service.currency, language, this.deps.clock.now()],
    );
    return { kind: 'order', token };
  }

  async view(token: string): Promise<OrderView | undefined> {
    if (!/^[\w-]{10,64}$/.test(token)) return undefined;
    const order = (await this.deps.db.query<OrderRow>('SELECT * FROM checkout_orders WHERE token = $1', [token])).rows[0];
    if (!order) return undefined;
    const service = await this.deps.catalog.get(order.service_id);
    if (!service) return undefined;
    const payment = await this.deps.engine.get(order.payment_id);
    return { order, service, payment, outcome: ORDER_OUTCOME[order.state] };
  }

  /**
   * The person chose the amount (contract, invoice lines) and the method. Validated here exactly as the engine will
   * validate the pay, because the money is taken before the pay. Only the first submission redirects to a new
   * payment; a double submission or a back-button resubmission returns to the same acquirer payment (same order
   * number, same OTP page) or to the result page.
   */
  async choose(token: string, choice: PayChoice, baseUrl: string): Promise<PayAnswer> {
    const view = await this.view(token);
    if (!view) return { kind: 'refused', message: 'unknown_order' };
    const { order, service } = view;
    if (order.state !== 'checked') return this.resubmitted(order);
    const method = this.methodsFor(order.currency).find((m) => m === choice.method);
    if (!method) return { kind: 'refused', message: 'bad_method' };
    const shape = this.payShape(service, order, view.payment?.data ?? undefined, choice);
    if (shape.kind === 'refused') return shape;
    const agent = await this.agentFor(order.currency);
    const command = this.command({ ...order, amount_minor: shape.amountMinor, extras: shape.extras, lines: shape.lines });
    const verdict = validateServiceRequest(service, agent, command);
    const shapeVerdict = verdict.ok ? validatePayShape(service, command, view.payment?.data ?? undefined) : verdict;
    if (!shapeVerdict.ok) return { kind: 'refused', message: shapeVerdict.message };
    // The person's money is not taken for a provider that is down (the pay would be refused after the hold).
    if (!this.deps.engine.takesPaysFor(service)) return { kind: 'refused', message: 'provider_unavailable' };
    const email = choice.email && /^[^\s@<>"']{1,64}@[^\s@<>"']{1,190}$/.test(choice.email) ? choice.email : null;
    const updated = await this.deps.db.query<OrderRow>(
      `UPDATE checkout_orders SET state = 'redirected', method = $2, amount_minor = $3, extras = $4, lines = $5, language = $6,
              email = $7, redirected_at = $8, updated_at = $8
        WHERE token = $1 AND state = 'checked' RETURNING *`,
      [token, method, shape.amountMinor, JSON.stringify(shape.extras), shape.lines ? JSON.stringify(shape.lines) : null, choice.language, email, this.deps.clock.now()],
    );
    const row = updated.rows[0];
    if (!row) return this.resubmitted((await this.view(token))!.order);
    this.deps.log.info({ transactionId: row.payment_id.toString(), method, amountMinor: row.amount_minor!.toString() }, 'checkout order redirected');
    return this.startPayment(row, baseUrl);
  }

  private resubmitted(order: OrderRow): PayAnswer {
    if (order.state === 'redirected' && order.payment_url) return { kind: 'redirect', url: order.payment_url };
    return { kind: 'result', token: order.token };
  }

  /** The order as its acquirer knows it (our transactionId is its order number). */
  private acquirerOrder(order: OrderRow): AcquirerOrder {
    return { orderNumber: order.payment_id.toString(), amountMinor: order.amount_minor!, currency: order.currency, language: order.language, createdAt: order.created_at };
  }

  private async startPayment(order: OrderRow, baseUrl: string): Promise<PayAnswer> {
    const acquirer = this.acquirer(order.method);
    const started = await this.exchange(order, acquirer, 'start', () => acquirer.start({
      ...this.acquirerOrder(order), comment: `${order.service_id} ${order.account}`,
      returnOkUrl: `${baseUrl}/pay/return/${order.token}/ok`, returnNoUrl: `${baseUrl}/pay/return/${order.token}/no`,
      ...(order.email ? { email: order.email } : {}),
    }));
    switch (started.kind) {
      case 'form':
        // The browser posts the form itself; a lost return is recovered by asking the acquirer for the order's state.
        await this.schedule(order.id, this.deps.timing.pollMs * 10);
        return { kind: 'card_form', action: started.action, fields: started.fields };
      case 'redirect':
        await this.deps.db.query(`UPDATE checkout_orders SET payment_url = $2, updated_at = $3 WHERE id = $1`, [order.id, started.url, this.deps.clock.now()]);
        await this.schedule(order.id, this.deps.timing.pollMs);
        return { kind: 'redirect', url: started.url };
      case 'refused':
        this.deps.log.warn({ transactionId: order.payment_id.toString(), reason: started.reason }, `${acquirer.label} payment start refused`);
        await this.finishWithout(order.id, 'redirected', 'declined', `${acquirer.label}: ${started.reason}`);
        return { kind: 'result', token: order.token };
      case 'unknown':
        this.deps.log.warn({ transactionId: order.payment_id.toString(), reason: started.reason }, `${acquirer.label} payment start unknown`);
        // The acquirer may have created the payment: polling its status decides (no answer within the TTL: expired).
        await this.deps.db.query(`UPDATE checkout_orders SET message = $2, updated_at = $3 WHERE id = $1`, [order.id, `${acquirer.label}: ${started.reason}`, this.deps.clock.now()]);
        await this.schedule(order.id, this.deps.timing.pollMs);
        return { kind: 'refused', message: 'acquirer_unavailable' };
    }
  }

  private payShape(service: Service, order: OrderRow, data: ProviderCheckData | undefined, choice: PayChoice):
    | { kind: 'ok'; amountMinor: bigint; extras: Record<string, string>; lines: OrderRow['lines'] }
    | { kind: 'refused'; message: string } {
    const extras = { ...order.extras };
    if (service.type === 1) {
      const lines: NonNullable<OrderRow['lines']> = [];
      let sum = 0n;
      for (const line of choice.lines ?? []) {
        const text = line.amountText.trim();
        if (text === '' || text === '0') continue;
        const amount = parseAmount(text.replace(',', '.'), 2);
        if (!amount.ok) return { kind: 'refused', message: 'bad_amount' };
        sum += amount.minor;
        lines.push({ subServiceId: line.subServiceId, amountMinor: amount.minor.toString(), ...(line.lastCount?.trim() ? { lastCount: line.lastCount.trim() } : {}) });
      }
      if (lines.length === 0) return { kind: 'refused', message: 'bad_amount' };
      return { kind: 'ok', amountMinor: sum, extras, lines };
    }
    if (service.type === 2) {
      if (!choice.contractId || !data?.contracts?.some((c) => c.contractId === choice.contractId)) return { kind: 'refused', message: 'choose_contract' };
      extras['contractId'] = choice.contractId;
    }
    const fixed = service.fixedPayment ? data?.displays?.['fixedAmount'] : undefined;
    const amount = parseAmount((fixed ?? choice.amountText ?? '').trim().replace(',', '.'), 2);
    if (!amount.ok) return { kind: 'refused', message: 'bad_amount' };
    return { kind: 'ok', amountMinor: amount.minor, extras, lines: null };
  }

  private command(order: Pick<OrderRow, 'id' | 'service_id' | 'account' | 'extras' | 'lines' | 'amount_minor'>): PayCommand {
    const extraServices: ExtraServiceLine[] | undefined = order.lines?.map((line) => ({
      subServiceId: line.subServiceId, amountMinor: BigInt(line.amountMinor), ...(line.lastCount !== undefined ? { lastCount: line.lastCount } : {}),
    }));
    return {
      serviceId: order.service_id, account: order.account, agentTxnId: order.id, extras: order.extras,
      amountToMinor: order.amount_minor!, amountFromMinor: order.amount_minor!, ...(extraServices ? { extraServices } : {}),
    };
  }

  // ------------------------------------------------------------------ acquirer signals

  /** The browser came back from Assist (OK or NO alike): only Assist's signed order state is believed. */
  async cardReturned(token: string): Promise<OrderRow | undefined> {
    const view = await this.view(token);
    if (!view) return undefined;
    if (view.order.method === 'card') await this.kick(view.order.id, true);
    return view.order;
  }

  async orderByToken(token: string): Promise<OrderRow | undefined> {
    return (await this.view(token))?.order;
  }

  /**
   * A callback from an acquirer (Elsom's PartnerPaymentResult). The answer follows the acquirer's protocol for an
   * order we know, from an allowed address; the callback's status is never applied: it makes us ask the acquirer's
   * status at once.
   */
  async callback(method: PaymentMethod, ip: string, body: string): Promise<AcquirerCallbackAnswer> {
    const acquirer = this.acquirer(method);
    const callbacks = acquirer.callbacks;
    if (!callbacks) throw new Error(`the ${acquirer.label} acquirer sends no callbacks`);
    return callbacks.answer(await this.readCallback(method, acquirer, callbacks.read(ip, body), ip));
  }

  /**
   * A callback whose body was refused before it could be read (over the body limit, a broken Content-Length): still
   * answered in the acquirer's protocol, as a refusal from a caller not on the allow-list or as a malformed callback.
   */
  unreadableCallback(method: PaymentMethod, ip: string, reason: string): AcquirerCallbackAnswer {
    const acquirer = this.acquirer(method);
    if (!acquirer.callbacks) throw new Error(`the ${acquirer.label} acquirer sends no callbacks`);
    const reading = acquirer.callbacks.read(ip, '');
    return acquirer.callbacks.answer(reading.kind === 'caller_not_allowed' ? reading : { kind: 'malformed', reason });
  }

  private async readCallback(method: PaymentMethod, acquirer: Acquirer, reading: AcquirerCallbackReading, ip: string): Promise<AcquirerCallbackVerdict> {
    if (reading.kind === 'caller_not_allowed') {
      this.deps.log.warn({ ip }, `${acquirer.label} callback from an address not on the allow-list`);
      return reading;
    }
    if (reading.kind === 'malformed') return reading;
    const order = /^\d{1,18}$/.test(reading.orderNumber)
      ? (await this.deps.db.query<OrderRow>(`SELECT * FROM checkout_orders WHERE payment_id = $1 AND method = $2`, [reading.orderNumber, method])).rows[0]
      : undefined;
    if (!order) {
      this.deps.log.warn({ orderNumber: reading.orderNumber }, `${acquirer.label} callback for an unknown order`);
      return { kind: 'unknown_order' };
    }
    if (reading.amountText !== undefined) {
      const amount = parseAmount(reading.amountText, 2);
      if (!amount.ok || amount.minor !== order.amount_minor) {
        this.deps.log.warn({ transactionId: order.payment_id.toString(), amount: reading.amountText }, `${acquirer.label} callback with a wrong amount`);
        return { kind: 'amount_mismatch' };
      }
    }
    this.deps.log.info({ transactionId: order.payment_id.toString(), status: reading.status, ref: reading.acquirerRef }, `${acquirer.label} callback (confirming by status)`);
    if (order.state === 'expired') void this.lateDebit(order, acquirer);
    else void this.kick(order.id, false);
    return { kind: 'accepted' };
  }

  /**
   * A callback for an order we gave up on (no confirmed status within the order's lifetime). If the acquirer's own
   * status now says the money was taken, it was taken and nothing was paid: the operators refund it (attention item).
   * Nothing else moves: the provider is not paid for an order the person was already told had expired.
   */
  private async lateDebit(order: OrderRow, acquirer: Acquirer): Promise<void> {
    try {
      const status = await this.exchange(order, acquirer, 'status', () => acquirer.status(this.acquirerOrder(order)));
      if (status.kind !== 'captured') return;
      await this.deps.engine.raiseAttention(this.deps.db, order.payment_id, 'refund',
        `${acquirer.label} debited the wallet for payment ${order.payment_id} after its order had expired; nothing was paid to the provider: refund ${formatAmount(order.amount_minor!)} ${order.currency} to the payer's wallet`,
        { orderId: order.id.toString(), partnerTrnId: order.payment_id.toString(), amountMinor: order.amount_minor!.toString(), currency: order.currency, reason: 'debited after the order expired' });
      this.deps.log.warn({ transactionId: order.payment_id.toString() }, `${acquirer.label} debit after the order expired; refund item raised`);
    } catch (error) {
      this.deps.log.error({ err: error, transactionId: order.payment_id.toString() }, `could not check a late ${acquirer.label} debit; the next callback or reconciliation will`);
    }
  }

  // ------------------------------------------------------------------ the state machine

  /**
   * Runs steps of an order now (coalescing concurrent kicks); `wait` returns after them, else at once. Only the
   * durable job's own passes count as attempts for the backoff: a storm of callbacks must not push the next poll away.
   */
  async kick(orderId: bigint, wait: boolean, counted = false): Promise<void> {
    const key = orderId.toString();
    const current = this.running.get(key);
    if (current) {
      current.again = true;
      if (wait) await current.done;
      return;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          await this.advance(orderId, counted);
        } while (entry.again);
      } catch (error) {
        this.deps.log.error({ err: error, orderId: key }, 'checkout step failed; the queue retries it');
        // The store may be what failed (a failover's read-only moment): a reschedule that fails too must not reject
        // a kick nobody awaits (that ended the process); the minute's recovery pass takes the order up.
        await this.schedule(orderId, this.deps.timing.pollMs)
          .catch((again: unknown) => this.deps.log.warn({ err: again, orderId: key }, 'checkout step not rescheduled; the recovery pass takes it up'));
      } finally {
        this.running.delete(key);
      }
    })();
    this.running.set(key, entry);
    if (wait) await entry.done;
  }

  /** Recovery after a start: one step for every order still moving (a restart or a crash left it unfinished). */
  async recoverOpenOrders(): Promise<void> {
    for (const order of await openOrders(this.deps.db)) await this.schedule(order.id, 0);
  }

  /** The durable job: one pass over an order, rescheduling itself while it is not final. */
  async step(orderId: bigint): Promise<void> {
    await this.kick(orderId, true, true);
  }

  private async load(orderId: bigint): Promise<OrderRow | undefined> {
    return (await this.deps.db.query<OrderRow>('SELECT * FROM checkout_orders WHERE id = $1', [orderId])).rows[0];
  }

  /** Moves the order as far as it can go now; schedules the next look when it has to wait for someone. */
  async advance(orderId: bigint, counted = false): Promise<void> {
    for (let guard = 0; guard < 8; guard++) {
      const order = await this.load(orderId);
      if (!order || FINAL_STATES.includes(order.state) || order.state === 'checked') return;
      const next = await this.stepOnce(order);
      if (next.kind === 'moved') continue;
      if (next.kind === 'wait') {
        await this.deps.db.query('UPDATE checkout_orders SET attempts = attempts + $3, acquirer_state = COALESCE($2, acquirer_state), updated_at = $4 WHERE id = $1', [order.id, next.note ?? null, counted ? 1 : 0, this.deps.clock.now()]);
        await this.schedule(order.id, next.delayMs ?? this.backoff(order.attempts));
      }
      return;
    }
  }

  private backoff(attempts: number): number {
    const { pollMs, pollMaxMs } = this.deps.timing;
    return Math.min(pollMaxMs, pollMs * 2 ** Math.min(attempts, 16));
  }

  private async stepOnce(order: OrderRow): Promise<StepResult> {
    switch (order.state) {
      case 'redirected':
        return this.confirm(order);
      case 'authorised':
        return this.payProvider(order);
      case 'charging':
        return this.charge(order);
      case 'releasing':
        return this.release(order);
      case 'checked': // the person has not chosen how to pay yet: nothing to drive
      case 'succeeded':
      case 'released':
      case 'refund_due':
      case 'declined':
      case 'cancelled':
      case 'expired':
      case 'charge_failed':
      case 'release_failed':
        return { kind: 'done' };
    }
    return assertNever(order.state, 'order state');
  }

  private expired(order: OrderRow): boolean {
    return this.deps.clock.now().getTime() - (order.redirected_at ?? order.created_at).getTime() > this.deps.timing.orderTtlMs;
  }

  /** Card and wallet alike: only the acquirer's own status moves the order (held or taken, refused, or still open). */
  private async confirm(order: OrderRow): Promise<StepResult> {
    const acquirer = this.acquirer(order.method);
    const status = await this.exchange(order, acquirer, 'status', () => acquirer.status(this.acquirerOrder(order)));
    switch (status.kind) {
      case 'held':
      case 'captured':
        await this.authorise(order, acquirer, status.ref, status.state);
        return { kind: 'moved' };
      case 'declined':
        await this.finishWithout(order.id, 'redirected', 'declined', `${acquirer.label}: ${status.detail}`);
        return { kind: 'moved' };
      case 'cancelled':
        await this.finishWithout(order.id, 'redirected', 'cancelled', `${acquirer.label}: ${status.detail}`);
        return { kind: 'moved' };
      case 'pending':
        if (this.expired(order)) {
          await this.finishWithout(order.id, 'redirected', 'expired', `${acquirer.label}: ${status.reason}`);
          return { kind: 'moved' };
        }
        return { kind: 'wait', note: status.reason.slice(0, 200) };
    }
  }

  private acquirerCode(acquirer: Acquirer, currency: string): string {
    return `acquirer:${acquirer.name}:${currency}`;
  }

  /** The acquirer holds (card) or has taken (wallet) the money: it becomes the checkout agent's, once. */
  private async authorise(order: OrderRow, acquirer: Acquirer, ref: string, acquirerState: string): Promise<void> {
    await this.deps.db.tx(async (q) => {
      const locked = (await q.query<OrderRow>(`SELECT * FROM checkout_orders WHERE id = $1 FOR UPDATE`, [order.id])).rows[0];
      if (!locked || locked.state !== 'redirected') return;
      const agent = await this.agentFor(locked.currency);
      const acquirerAccount = await ensureAccount(q, this.acquirerCode(acquirer, locked.currency), 'acquirer', locked.currency);
      const reason = acquirer.holds
        ? `card hold ${ref} for payment ${locked.payment_id}`
        : `${acquirer.label} wallet debit for payment ${locked.payment_id}`;
      const transferId = await transfer(q, {
        debitAccountId: acquirerAccount, creditAccountId: agent.ledgerAccountId, amountMinor: locked.amount_minor!,
        currency: locked.currency, reason, paymentId: locked.payment_id, at: this.deps.clock.now(),
      });
      await q.query(
        `UPDATE checkout_orders SET state = 'authorised', acquirer_ref = $2, acquirer_state = $3, hold_transfer_id = $4,
                authorised_at = $5, attempts = 0, updated_at = $5 WHERE id = $1`,
        [locked.id, ref, acquirerState, transferId, this.deps.clock.now()],
      );
    });
    this.deps.log.info({ transactionId: order.payment_id.toString(), acquirer: acquirer.name, ref }, 'checkout payment authorised by the acquirer');
  }

  private async payProvider(order: OrderRow): Promise<StepResult> {
    const { engine } = this.deps;
    let payment = await engine.get(order.payment_id);
    let refusal: string | undefined;
    if (payment?.state === 'checked') {
      const agent = await this.agentFor(order.currency);
      const answer = await engine.pay(agent, this.command(order));
      if (answer.kind === 'refused') refusal = `${answer.code}: ${answer.message}`;
      payment = await engine.get(order.payment_id);
    }
    const state = payment?.state;
    if (state === 'succeeded') {
      await this.moveTo(order.id, 'authorised', this.acquirer(order.method).holds ? 'charging' : 'succeeded', null);
      return { kind: 'moved' };
    }
    if (state === 'failed' || state === 'cancelled' || state === 'check_failed' || (state === 'checked' && refusal)) {
      await this.refusedAfterHold(order, refusal ?? `${payment?.code}: ${payment?.message}`);
      return { kind: 'moved' };
    }
    await this.warnNearWindow(order, 'the provider payment is still unresolved');
    // accepted / waiting / review: the engine's own drive finishes it; we look again soon.
    return { kind: 'wait', delayMs: Math.min(this.deps.timing.pollMs, 2_000) };
  }

  /** The provider refused after the money was taken: it goes back at once, with a reason. */
  private async refusedAfterHold(order: OrderRow, why: string): Promise<void> {
    await this.deps.db.tx(async (q) => {
      const locked = (await q.query<OrderRow>(`SELECT * FROM checkout_orders WHERE id = $1 FOR UPDATE`, [order.id])).rows[0];
      if (!locked || locked.state !== 'authorised') return;
      const agent = await this.agentFor(locked.currency);
      const acquirer = this.acquirer(locked.method);
      const acquirerAccount = await ensureAccount(q, this.acquirerCode(acquirer, locked.currency), 'acquirer', locked.currency);
      const held = acquirer.holds; // a hold is released on the wire; taken money is refunded by an operator
      const transferId = await transfer(q, {
        debitAccountId: agent.ledgerAccountId, creditAccountId: acquirerAccount, amountMinor: locked.amount_minor!, currency: locked.currency,
        reason: held ? `hold released: payment ${locked.payment_id} refused by the provider (${why})` : `refund to the ${acquirer.label} wallet: payment ${locked.payment_id} refused by the provider (${why})`,
        paymentId: locked.payment_id, debitFloorMinor: agent.overdraftMinor, at: this.deps.clock.now(),
      });
      await q.query(
        `UPDATE checkout_orders SET state = $2, return_transfer_id = $3, message = $4, attempts = 0, updated_at = $5,
                finished_at = CASE WHEN $2 = 'refund_due' THEN $5 ELSE finished_at END WHERE id = $1`,
        [locked.id, held ? 'releasing' : 'refund_due', transferId, why.slice(0, 500), this.deps.clock.now()],
      );
      if (!held) {
        await this.deps.engine.raiseAttention(q, locked.payment_id, 'refund',
          `The provider refused payment ${locked.payment_id} after the ${acquirer.label} wallet was debited: refund ${formatAmount(locked.amount_minor!)} ${locked.currency} to the payer's wallet`,
          { orderId: locked.id.toString(), partnerTrnId: locked.payment_id.toString(), amountMinor: locked.amount_minor!.toString(), currency: locked.currency, reason: why });
      }
    });
    this.deps.log.warn({ transactionId: order.payment_id.toString(), why }, 'provider refused a checkout payment; money goes back');
  }

  /**
   * Charges (captures) the hold, under a lease on the order so that two instances never charge it at once. Ask before
   * you charge: after any earlier charge attempt the acquirer is asked for the order's state first, and the hold is
   * charged only while it still shows it uncharged (Assist: Delayed). The attempt is recorded before the request leaves.
   */
  private async charge(order: OrderRow): Promise<StepResult> {
    const owner = leaseToken();
    const claimed = await this.deps.db.query<{ lease_until: Date | null }>(
      `UPDATE checkout_orders SET lease_until = now() + $2 * interval '1 millisecond', lease_owner = $3
        WHERE id = $1 AND state = 'charging' AND (lease_until IS NULL OR lease_until <= now()) RETURNING lease_until`,
      [order.id, this.deps.leaseMs, owner],
    );
    if (claimed.rowCount === 0) return this.leasedElsewhere(order.id);
    const lease = keepLease(this.deps.db, 'checkout_orders', order.id, owner, this.deps.leaseMs, this.deps.log);
    try {
      const outcome = await this.askThenCharge(order);
      return await this.applyCharge(order, outcome);
    } finally {
      lease.stop();
      await this.deps.db.query('UPDATE checkout_orders SET lease_until = NULL WHERE id = $1 AND lease_owner = $2', [order.id, owner]);
    }
  }

  /** Someone else holds the order's lease: look again when it would lapse (a live holder renews it). */
  private async leasedElsewhere(orderId: bigint): Promise<StepResult> {
    const row = (await this.deps.db.query<{ lease_until: Date | null }>('SELECT lease_until FROM checkout_orders WHERE id = $1', [orderId])).rows[0];
    const delayMs = Math.max(0, (row?.lease_until?.getTime() ?? Date.now()) - Date.now()) + 100;
    return { kind: 'wait', delayMs, note: 'the charge is being made by another caller' };
  }

  private async askThenCharge(order: OrderRow): Promise<ChargeOutcome> {
    const acquirer = this.acquirer(order.method);
    if (await attemptedBefore(this.deps.db, order.payment_id, 'charge')) {
      const state = await this.exchange(order, acquirer, 'status', () => acquirer.status(this.acquirerOrder(order)));
      switch (state.kind) {
        case 'captured':
          return { kind: 'charged', state: state.state };
        case 'held':
          break; // the acquirer still holds it uncharged: the earlier attempt never reached it, charging now is safe
        case 'declined':
        case 'cancelled':
          return { kind: 'refused', code: state.detail, message: 'the hold can no longer be charged' };
        case 'pending':
          return { kind: 'unsure', reason: `order state before a repeated charge: ${state.reason}` };
      }
    }
    const attempt = await startAttempt(this.deps.db, order.payment_id, acquirer.name, 'charge');
    const outcome = await this.exchange(order, acquirer, 'capture', () => acquirer.capture(order.acquirer_ref!));
    await answerAttempt(this.deps.db, attempt, outcome.kind === 'declined' ? `declined ${outcome.code}` : outcome.kind);
    switch (outcome.kind) {
      case 'approved':
        return { kind: 'charged', state: outcome.state };
      case 'declined':
        return { kind: 'refused', code: outcome.code, message: outcome.message };
      case 'retry':
      case 'unknown':
        return { kind: 'unsure', reason: outcome.reason };
    }
  }

  private async applyCharge(order: OrderRow, outcome: ChargeOutcome): Promise<StepResult> {
    const acquirer = this.acquirer(order.method);
    switch (outcome.kind) {
      case 'charged':
        await this.moveTo(order.id, 'charging', 'succeeded', null, outcome.state);
        return { kind: 'moved' };
      case 'refused':
        await this.moveTo(order.id, 'charging', 'charge_failed', `${outcome.code} ${outcome.message}`.trim());
        await this.deps.engine.raiseAttention(this.deps.db, order.payment_id, 'charge_refused',
          `${acquirer.label} refused to charge billnumber ${order.acquirer_ref} (${outcome.code}) after the provider was paid`, { orderId: order.id.toString() });
        return { kind: 'moved' };
      case 'unsure':
        await this.warnNearWindow(order, `the charge is not confirmed: ${outcome.reason}`);
        return { kind: 'wait', note: outcome.reason.slice(0, 200) };
    }
  }

  private async release(order: OrderRow): Promise<StepResult> {
    const acquirer = this.acquirer(order.method);
    const outcome = await this.exchange(order, acquirer, 'release', () => acquirer.release(order.acquirer_ref!, 'provider refused'));
    switch (outcome.kind) {
      case 'approved':
        await this.moveTo(order.id, 'releasing', 'released', null, outcome.state);
        return { kind: 'moved' };
      case 'declined':
        await this.moveTo(order.id, 'releasing', 'release_failed', `${outcome.code} ${outcome.message}`.trim());
        await this.deps.engine.raiseAttention(this.deps.db, order.payment_id, 'release_refused',
          `${acquirer.label} refused to release the hold of billnumber ${order.acquirer_ref} (${outcome.code}); it lapses after the 4-day window`, { orderId: order.id.toString() });
        return { kind: 'moved' };
      case 'retry':
      case 'unknown':
        return { kind: 'wait', note: outcome.reason.slice(0, 200) };
    }
  }

  /** Spec "Подтверждение оплаты": charge within 4 days. An order still not charged near the end is an operator's. */
  private async warnNearWindow(order: OrderRow, what: string): Promise<void> {
    if (!this.acquirer(order.method).holds || !order.authorised_at) return;
    const { chargeWindowMs, chargeWarnBeforeMs } = this.deps.timing;
    if (this.deps.clock.now().getTime() - order.authorised_at.getTime() < chargeWindowMs - chargeWarnBeforeMs) return;
    await this.deps.engine.raiseAttention(this.deps.db, order.payment_id, 'charge_window',
      `Card hold ${order.acquirer_ref} nears the end of ${this.acquirer(order.method).label}'s 4-day charge window and ${what}`, { orderId: order.id.toString() });
  }

  private async moveTo(orderId: bigint, from: OrderState, to: OrderState, message: string | null, acquirerState: string | null = null): Promise<void> {
    const final = FINAL_STATES.includes(to);
    await this.deps.db.query(
      `UPDATE checkout_orders SET state = $3, message = COALESCE($4, message), acquirer_state = COALESCE($5, acquirer_state),
              attempts = 0, finished_at = CASE WHEN $6 THEN $7 ELSE finished_at END, updated_at = $7
        WHERE id = $1 AND state = $2`,
      [orderId, from, to, message, acquirerState, final, this.deps.clock.now()],
    );
  }

  /** A final state reached without any money having moved (declined, cancelled, expired). */
  private async finishWithout(orderId: bigint, from: OrderState, to: 'declined' | 'cancelled' | 'expired', message: string): Promise<void> {
    await this.moveTo(orderId, from, to, message.slice(0, 500));
  }
}

export function isFinalOrderState(state: OrderState): boolean {
  return FINAL_STATES.includes(state);
}

/** For operators and tests: orders still moving. */
export async function openOrders(q: Queryable): Promise<OrderRow[]> {
  return (await q.query<OrderRow>(`SELECT * FROM checkout_orders WHERE state IN ('redirected', 'authorised', 'charging', 'releasing') ORDER BY id`)).rows;
}
