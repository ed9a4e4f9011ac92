import { assistOrderFormFields, type AssistFieldPair, type PageLanguage } from './codec/index.ts';
import { assistOrderForm, assistOrderPhase } from './mapping.ts';
import { AssistClient, type AssistCallOutcome, type AssistClientConfig } from './client.ts';
import type { Acquirer, AcquirerCallOutcome, AcquirerOrder, AcquirerStart, AcquirerStartRequest, AcquirerStatus } from '../../engine/ports.ts';

/**
 * The card acquirer as the checkout sees it (the engine's `Acquirer` port): build the authorisation form (Delay=1),
 * learn an order's state, charge (capture), release. Glue only: the codec holds the wire rules, the client the
 * transport, the checkout engine decides.
 */
export interface AssistAcquirerConfig extends AssistClientConfig {
  /** Currencies our Assist merchant account takes. */
  currencies: readonly string[];
}

export type CardOrderState =
  | { kind: 'authorised'; billnumber: string; amountMinor: bigint; currency: string; state: string }
  | { kind: 'refused'; state: string }
  | { kind: 'released'; state: string }
  | { kind: 'charged'; billnumber: string; state: string }
  | { kind: 'pending'; reason: string };

export interface CardAuthorisationForm {
  action: string;
  fields: AssistFieldPair[];
}

/** orderstate.cfm searches from a date: a day before the order was created covers any clock skew. */
const ORDER_LOOKUP_MARGIN_MS = 24 * 60 * 60_000;

export class AssistAcquirer implements Acquirer {
  readonly name = 'assist';
  readonly label = 'Assist';
  readonly holds = true;
  readonly client: AssistClient;

  constructor(readonly config: AssistAcquirerConfig) {
    this.client = new AssistClient(config);
  }

  get origin(): string {
    return new URL(this.client.baseUrl).origin;
  }

  get currencies(): readonly string[] {
    return this.config.currencies;
  }

  /** The card form the browser posts to Assist's page: no call is made. */
  async start(request: AcquirerStartRequest): Promise<AcquirerStart> {
    const form = this.authorisationForm({
      orderNumber: request.orderNumber, amountMinor: request.amountMinor, currency: request.currency, pageLanguage: request.language,
      comment: request.comment, returnOkUrl: request.returnOkUrl, returnNoUrl: request.returnNoUrl,
      ...(request.email ? { email: request.email } : {}),
    });
    return { kind: 'form', action: form.action, fields: form.fields.map(([k, v]) => [k, v]) };
  }

  async status(order: AcquirerOrder): Promise<AcquirerStatus> {
    const since = new Date(order.createdAt.getTime() - ORDER_LOOKUP_MARGIN_MS);
    const state = await this.orderState(order.orderNumber, order.amountMinor, order.currency, since);
    switch (state.kind) {
      case 'authorised':
        return { kind: 'held', ref: state.billnumber, state: state.state };
      case 'charged':
        return { kind: 'captured', ref: state.billnumber, state: state.state };
      case 'refused':
        return { kind: 'declined', detail: state.state };
      case 'released':
        return { kind: 'cancelled', detail: state.state };
      case 'pending':
        return state;
    }
  }

  /** charge.cfm for the full hold. */
  async capture(billnumber: string): Promise<AcquirerCallOutcome> {
    return callOutcome(await this.charge(billnumber));
  }

  authorisationForm(input: {
    orderNumber: string; amountMinor: bigint; currency: string; pageLanguage: PageLanguage; email?: string; comment: string;
    returnOkUrl: string; returnNoUrl: string;
  }): CardAuthorisationForm {
    const form = assistOrderForm({
      merchantId: this.config.merchantId, orderNumber: input.orderNumber, amountMinor: input.amountMinor, currency: input.currency,
      pageLanguage: input.pageLanguage, comment: input.comment, returnOkUrl: input.returnOkUrl, returnNoUrl: input.returnNoUrl,
      ...(input.email ? { email: input.email } : {}),
    });
    return { action: this.client.orderFormUrl, fields: assistOrderFormFields(form) };
  }

  /**
   * The order's state, checked against what we asked for: a signed answer for our order number, amount and currency.
   * Anything else (not found yet, a mismatch, an unsigned answer) is `pending`: the caller asks again later.
   */
  async orderState(orderNumber: string, amountMinor: bigint, currency: string, since: Date): Promise<CardOrderState> {
    const lookup = await this.client.orderState(orderNumber, since);
    if (lookup.kind === 'not_found') return { kind: 'pending', reason: 'Assist does not know the order (yet)' };
    if (lookup.kind !== 'order') return { kind: 'pending', reason: lookup.reason };
    const order = lookup.order;
    const state = order.orderstate ?? '';
    if (order.orderamountMinor !== amountMinor || order.ordercurrency !== currency) {
      return { kind: 'pending', reason: `order ${orderNumber} is for ${order.orderamountMinor} ${order.ordercurrency}, not ${amountMinor} ${currency}` };
    }
    const phase = assistOrderPhase(state);
    switch (phase) {
      case 'authorised':
        if (!order.billnumber) return { kind: 'pending', reason: 'authorised order without a billnumber' };
        return { kind: 'authorised', billnumber: order.billnumber, amountMinor, currency, state };
      case 'charged':
      case 'partially_charged':
        return order.billnumber ? { kind: 'charged', billnumber: order.billnumber, state } : { kind: 'pending', reason: 'charged without billnumber' };
      case 'refused':
        return { kind: 'refused', state };
      case 'released':
        return { kind: 'released', state };
      case 'pending':
      case 'unknown':
        return { kind: 'pending', reason: `orderstate "${state}"` };
    }
  }

  charge(billnumber: string, partial?: { amountMinor: bigint; currency: string }): Promise<AssistCallOutcome> {
    return this.client.charge(billnumber, partial);
  }

  /** cancel.cfm: the whole hold. */
  async release(billnumber: string, reason: string): Promise<AcquirerCallOutcome> {
    return callOutcome(await this.client.cancel(billnumber, reason));
  }
}

function callOutcome(outcome: AssistCallOutcome): AcquirerCallOutcome {
  switch (outcome.kind) {
    case 'approved':
      return { kind: 'approved', state: outcome.order.orderstate ?? null };
    case 'declined':
      return { kind: 'declined', code: outcome.code, message: outcome.message };
    case 'retry':
    case 'unknown':
      return outcome;
  }
}

export type { AssistCallOutcome };
