import { rollFault } from '../faults.ts';
import { systemClock, type Clock } from '../../domain/clock.ts';
import { randomBytes } from 'node:crypto';
import { formatAmount } from '../../domain/money.ts';
import { signAssistResponse, type AssistOrderRecord } from '../../acquiring/assist/codec/index.ts';
import type { AssistOrderState } from '../../acquiring/assist/mapping.ts';
import { ASSIST_SANDBOX_ACCOUNT } from './keys.ts';

/**
 * The simulated Assist processing: orders by number, authorisation with test cards (Delay=1 → Delayed), charge
 * (full → Approved, partial → PartialDelayed), cancel (→ Canceled), and signed answers for all of them.
 *
 * Test cards: 4111 1111 1111 1111 authorised · 4000 0000 0000 0002 declined · 4000 0000 0000 3220 asks for 3-D Secure
 * (code 1234 passes, anything else declines). Any future expiry date, any three-digit CVV.
 * The routes (routes.ts) carry bytes and pages to and from it and inject the transport faults.
 */
export interface AssistFaults {
  latencyMs: number;
  /** Share of web-service answers replaced by HTTP 500 (before acting). */
  http500Rate: number;
  /** Share of web-service answers replaced by a garbled body (after acting). */
  malformedRate: number;
  /** Share answered firstcode/secondcode ≠ 0 ("not processed") before acting. */
  notProcessedRate: number;
  /** Share of answers whose signature is tampered with (after acting). */
  badSignatureRate: number;
  /** Share of card payments after which the browser is NOT sent back to the shop (a lost return). */
  dropReturnRate: number;
  /** Share of charges that are made and then answered only after `hangMs` (the caller times out, or dies, first). */
  hangAfterCommitRate: number;
  hangMs: number;
  /** false: a charge of an order already charged takes the money again (partners promise no deduplication). */
  dedupe: boolean;
}

export const DEFAULT_ASSIST_FAULTS: AssistFaults = {
  latencyMs: 0, http500Rate: 0, malformedRate: 0, notProcessedRate: 0, badSignatureRate: 0, dropReturnRate: 0,
  hangAfterCommitRate: 0, hangMs: 15_000, dedupe: true,
};

export const TEST_CARDS = {
  approve: '4111111111111111',
  decline: '4000000000000002',
  threeDs: '4000000000003220',
} as const;

export interface SimOrder {
  session: string;
  merchantId: string;
  orderNumber: string;
  amountMinor: bigint;
  currency: string;
  delayed: boolean;
  language: 'RU' | 'EN';
  comment: string | undefined;
  returnOk: string | undefined;
  returnNo: string | undefined;
  state: AssistOrderState;
  billnumber: string | undefined;
  chargedMinor: bigint;
  meannumber: string | undefined;
  approvalcode: string | undefined;
  createdAt: Date;
  charges: number;
  cancels: number;
  /** Charges that took money (more than one only without deduplication). */
  captures: number;
  /** The web-service calls on this order, in order: what was asked before a repeated charge. */
  calls: ('charge' | 'cancel' | 'orderstate')[];
}

/** The fields of the shop's form post (pay/order.cfm) the simulator acts on. */
export type OrderForm = Pick<SimOrder, 'merchantId' | 'orderNumber' | 'amountMinor' | 'currency' | 'delayed' | 'language' | 'comment' | 'returnOk' | 'returnNo'>;

/** What the payment page shows next, or that the person goes back to the shop (`ok`: through the success URL). */
export type PageStep =
  | { kind: 'refused'; heading: string }
  | { kind: 'card-form'; order: SimOrder; problem?: string }
  | { kind: '3ds'; order: SimOrder }
  | { kind: 'processed'; order: SimOrder }
  | { kind: 'back'; order: SimOrder; ok: boolean };

/** A web service's outcome before it is encoded: an order record, a "not processed" pair, or no order at all. */
export type ServiceResult = { order: SimOrder; code: string; message: string } | { notProcessed: [string, string] } | { none: true };

/** What every web-service call carries: the account it is made for. */
export interface AccountFields {
  merchantId: string;
  login: string;
  password: string;
}

export class AssistSimulator {
  private readonly orders = new Map<string, SimOrder>();
  private readonly sessions = new Map<string, SimOrder>();
  private nextBill = 1;
  faults: AssistFaults = { ...DEFAULT_ASSIST_FAULTS };

  constructor(
    private readonly privateKeyPem: string,
    private readonly random: () => number = Math.random,
    readonly clock: Clock = systemClock,
  ) {}

  roll(rate: number): boolean {
    return rollFault(rate, this.random);
  }

  list(): SimOrder[] {
    return [...this.orders.values()];
  }

  find(merchantId: string, orderNumber: string): SimOrder | undefined {
    return this.orders.get(`${merchantId}:${orderNumber}`);
  }

  bySession(session: string): SimOrder | undefined {
    return this.sessions.get(session);
  }

  byBillnumber(billnumber: string): SimOrder | undefined {
    const plain = billnumber.split('.')[0];
    return [...this.orders.values()].find((o) => o.billnumber !== undefined && o.billnumber.split('.')[0] === plain);
  }

  /** The shop's form post: the card form, or why the page refuses (an unknown merchant, the number taken for another amount). */
  openFromForm(form: OrderForm): PageStep {
    if (form.merchantId !== ASSIST_SANDBOX_ACCOUNT.merchantId) return { kind: 'refused', heading: 'Неизвестный Merchant_ID' };
    const { order } = this.open(form);
    if (order.amountMinor !== form.amountMinor || order.currency !== form.currency) {
      return { kind: 'refused', heading: 'Заказ с этим номером уже создан на другую сумму' };
    }
    return order.state === 'In Process' ? { kind: 'card-form', order } : { kind: 'processed', order };
  }

  /** The card form submitted: cancel, a card problem to show again, 3-D Secure, or back to the shop. */
  submitCard(order: SimOrder, fields: URLSearchParams): PageStep {
    if (fields.get('action') === 'cancel') {
      this.cancelByCustomer(order);
      return { kind: 'back', order, ok: false };
    }
    if (order.state !== 'In Process') return { kind: 'processed', order };
    const problem = cardProblem(fields, this.clock.now());
    if (problem) return { kind: 'card-form', order, problem };
    const result = this.pay(order, fields.get('card') ?? '');
    if (result === '3ds') return { kind: '3ds', order };
    return { kind: 'back', order, ok: result === 'authorised' };
  }

  /** The 3-D Secure page: 1234 authorises, anything else declines. */
  submitThreeDs(order: SimOrder, code: string | null): PageStep {
    if (order.state !== 'In Process') return { kind: 'processed', order };
    if (code === '1234') this.authorise(order);
    else this.decline(order);
    return { kind: 'back', order, ok: isPaid(order) };
  }

  /** Where the person goes back to, or undefined when there is no such URL or the return is lost (a fault). */
  returnTarget(order: SimOrder, ok: boolean): string | undefined {
    const target = ok ? order.returnOk : order.returnNo;
    return !target || this.roll(this.faults.dropReturnRate) ? undefined : target;
  }

  /** The way back from the page of an order already processed: its success or its failure URL. */
  processedReturn(order: SimOrder): string | undefined {
    return isPaid(order) ? order.returnOk : order.returnNo;
  }

  /** The web services answer only the sandbox account (the spec's example: a wrong password is 7/102). */
  accountOk(body: AccountFields): boolean {
    const { merchantId, login, password } = ASSIST_SANDBOX_ACCOUNT;
    return body.merchantId === merchantId && body.login === login && body.password === password;
  }

  /** charge.cfm on the order of a bill number: whole, or partial in the payment's own currency. */
  chargeCall(billnumber: string, partial: { amountMinor: bigint; currency: string } | undefined): ServiceResult {
    const order = this.byBillnumber(billnumber);
    if (!order) return { notProcessed: ['5', '301'] };
    if (partial && partial.currency !== order.currency) return { order, code: 'AS150', message: 'currency differs from the payment' };
    return { order, ...this.charge(order, partial?.amountMinor) };
  }

  /** cancel.cfm on the order of a bill number. */
  cancelCall(billnumber: string): ServiceResult {
    const order = this.byBillnumber(billnumber);
    if (!order) return { notProcessed: ['5', '301'] };
    return { order, ...this.cancel(order) };
  }

  /** orderstate.cfm: the order as Assist holds it, or none. */
  orderStateCall(merchantId: string, orderNumber: string): ServiceResult {
    const order = this.find(merchantId, orderNumber);
    if (!order) return { none: true };
    order.calls.push('orderstate');
    return { order, code: 'AS000', message: '' };
  }

  /** A new order from the form, or the existing one (a second POST of the same order number never pays twice). */
  open(input: Pick<SimOrder, 'merchantId' | 'orderNumber' | 'amountMinor' | 'currency' | 'delayed' | 'language' | 'comment' | 'returnOk' | 'returnNo'>): { order: SimOrder; fresh: boolean } {
    const key = `${input.merchantId}:${input.orderNumber}`;
    const existing = this.orders.get(key);
    if (existing) return { order: existing, fresh: false };
    const order: SimOrder = {
      ...input, session: randomBytes(12).toString('hex'), state: 'In Process', billnumber: undefined, chargedMinor: 0n,
      meannumber: undefined, approvalcode: undefined, createdAt: this.clock.now(), charges: 0, cancels: 0, captures: 0, calls: [],
    };
    this.orders.set(key, order);
    this.sessions.set(order.session, order);
    return { order, fresh: true };
  }

  /** The card form was submitted. */
  pay(order: SimOrder, card: string): 'authorised' | 'declined' | '3ds' {
    if (order.state !== 'In Process') return order.state === 'Declined' ? 'declined' : 'authorised';
    const digits = card.replace(/\D/g, '');
    order.meannumber = digits.length >= 10 ? `${digits.slice(0, 6)}****${digits.slice(-4)}` : '****';
    if (digits === TEST_CARDS.threeDs) return '3ds';
    if (digits === TEST_CARDS.approve) {
      this.authorise(order);
      return 'authorised';
    }
    this.decline(order);
    return 'declined';
  }

  authorise(order: SimOrder): void {
    order.billnumber = `5450000${String(this.nextBill++).padStart(8, '0')}`;
    order.approvalcode = String(100000 + Math.floor(this.random() * 899999));
    order.state = order.delayed ? 'Delayed' : 'Approved';
    if (!order.delayed) order.chargedMinor = order.amountMinor;
  }

  decline(order: SimOrder): void {
    order.billnumber = `5450000${String(this.nextBill++).padStart(8, '0')}`;
    order.state = 'Declined';
  }

  cancelByCustomer(order: SimOrder): void {
    if (order.state === 'In Process') order.state = 'Canceled';
  }

  /** charge.cfm: AS000 + Approved/PartialDelayed, repeated safely; AS100+ when nothing can be charged. */
  charge(order: SimOrder, partialMinor: bigint | undefined): { code: string; message: string } {
    order.charges++;
    order.calls.push('charge');
    if ((order.state === 'Approved' || order.state === 'PartialDelayed') && !this.faults.dedupe && order.delayed) {
      order.captures++;
      order.chargedMinor += partialMinor ?? order.amountMinor;
      return { code: 'AS000', message: 'charged again' };
    }
    if (order.state === 'Approved' || order.state === 'PartialDelayed') return { code: 'AS000', message: 'already charged' };
    if (order.state !== 'Delayed') return { code: 'AS110', message: `order is ${order.state}` };
    const amount = partialMinor ?? order.amountMinor;
    if (amount > order.amountMinor) return { code: 'AS120', message: 'amount exceeds the authorised amount' };
    order.chargedMinor = amount;
    order.captures++;
    order.state = amount === order.amountMinor ? 'Approved' : 'PartialDelayed';
    return { code: 'AS000', message: 'charged' };
  }

  /** cancel.cfm: releases a Delayed hold (→ Canceled); repeated safely. */
  cancel(order: SimOrder): { code: string; message: string } {
    order.cancels++;
    order.calls.push('cancel');
    if (order.state === 'Canceled') return { code: 'AS000', message: 'already released' };
    if (order.state !== 'Delayed') return { code: 'AS130', message: `order is ${order.state}` };
    order.state = 'Canceled';
    return { code: 'AS000', message: 'released' };
  }

  /** One order as Assist answers it, signed with the sandbox key (tampered when the fault says so). */
  record(order: SimOrder, responsecode: string, message: string): AssistOrderRecord {
    const now = this.clock.now();
    const record: AssistOrderRecord = {
      ordernumber: order.orderNumber,
      responsecode,
      recommendation: '',
      message,
      ordercomment: order.comment ?? '',
      orderdate: assistDate(order.createdAt),
      amount: formatAmount(order.chargedMinor > 0n ? order.chargedMinor : order.amountMinor, 2),
      currency: order.currency,
      meantypename: 'VISA',
      meannumber: order.meannumber ?? '',
      approvalcode: order.approvalcode ?? '',
      testmode: '1',
      customermessage: message,
      orderstate: order.state,
      processingname: 'Tolem sandbox',
      operationtype: order.charges > 0 ? '200' : '100',
      billnumber: order.billnumber ?? '',
      orderamount: formatAmount(order.amountMinor, 2),
      ordercurrency: order.currency,
      packetdate: assistDate(now),
    };
    const signature = signAssistResponse(record, this.privateKeyPem);
    record.signature = this.roll(this.faults.badSignatureRate) ? tamper(signature) : signature;
    return record;
  }
}

/** Authorised (one stage or two) or charged: the success URL is the way back. */
function isPaid(order: SimOrder): boolean {
  return order.state === 'Delayed' || order.state === 'Approved' || order.state === 'PartialDelayed';
}

/** Why the card form cannot be paid as filled in, or undefined. */
function cardProblem(fields: URLSearchParams, now: Date): string | undefined {
  const card = (fields.get('card') ?? '').replace(/\s/g, '');
  if (!/^\d{13,19}$/.test(card)) return 'Номер карты: 13–19 цифр';
  const exp = /^(\d{2})\/(\d{2})$/.exec((fields.get('exp') ?? '').trim());
  if (!exp || Number(exp[1]) < 1 || Number(exp[1]) > 12) return 'Срок действия: ММ/ГГ';
  const year = 2000 + Number(exp[2]);
  if (year < now.getUTCFullYear() || (year === now.getUTCFullYear() && Number(exp[1]) < now.getUTCMonth() + 1)) return 'Срок действия карты истёк';
  if (!/^\d{3}$/.test(fields.get('cvv') ?? '')) return 'CVV: три цифры';
  return undefined;
}

function tamper(signature: string): string {
  const first = signature[0] === 'A' ? 'B' : 'A';
  return first + signature.slice(1);
}

/** "01.01.2018 09:00:05", GMT (spec: orderdate, packetdate). */
function assistDate(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(date.getUTCDate())}.${p(date.getUTCMonth() + 1)}.${date.getUTCFullYear()} ${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())}`;
}
