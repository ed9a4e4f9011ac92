import type { ResultCode } from '../domain/result-codes.ts';
import type { ExtraServiceLine, ProviderCheckData } from '../domain/payment.ts';
import type { Service } from '../domain/catalog.ts';

/**
 * The port every provider adapter implements. Adapters are stateless translators: they build the partner's request,
 * read its answer and say what it means; the engine decides what happens next.
 *
 * Pending by default: only an explicit success is `paid`, only an explicit refusal is `declined`; a timeout, a garbled
 * body or an unknown code is `unknown`, which the engine resolves with `status` — never by calling it a failure.
 */
export interface ProviderCheckRequest {
  transactionId: bigint;
  service: Service;
  account: string;
  extras: Record<string, string>;
  amountMinor?: bigint;
}

export interface ProviderPayRequest extends ProviderCheckRequest {
  amountMinor: bigint;
  /** When the agent accepted the payment (the provider's business day comes from it). */
  acceptedAt: Date;
  extraServices?: ExtraServiceLine[];
  /** What check returned, for providers whose pay needs it (invoice numbers, contracts). */
  checkData?: ProviderCheckData;
  /**
   * The provider's own reference, once it confirmed the payment (a paid payment's status query): a provider whose
   * lists simply drop a cancelled payment (Alseco) tells a cancellation from "never saw it" by it.
   */
  providerRef?: string;
}

export type ProviderCheckResult =
  | { kind: 'ok'; data: ProviderCheckData }
  | { kind: 'declined'; code: ResultCode; message: string }
  | { kind: 'unknown'; reason: string };

export type ProviderPayResult =
  | { kind: 'paid'; providerRef: string }
  | { kind: 'declined'; code: ResultCode; message: string }
  /** The provider took the payment and is still working on it. */
  | { kind: 'pending'; reason: string }
  | { kind: 'unknown'; reason: string };

/**
 * `cancelled`: the provider had the payment and it is cancelled (reversed) now — only where its protocol says so
 * positively; the engine completes a cancellation whose answer was lost on it, and never takes it for a refusal.
 */
export type ProviderStatusResult = ProviderPayResult | { kind: 'not_found' } | { kind: 'cancelled' };

export type ProviderCancelResult =
  | { kind: 'cancelled' }
  | { kind: 'refused'; code: ResultCode; message: string }
  | { kind: 'unknown'; reason: string };

export interface CallOptions {
  /** Abandon the call after this long; the outcome is then unknown. */
  signal: AbortSignal;
}

export interface ProviderAdapter {
  readonly name: string;
  check(request: ProviderCheckRequest, options: CallOptions): Promise<ProviderCheckResult>;
  /** Must be safe to repeat with the same transactionId: the provider keys its payments on it. */
  pay(request: ProviderPayRequest, options: CallOptions): Promise<ProviderPayResult>;
  /** What the provider knows of our transactionId. */
  status(request: ProviderPayRequest, options: CallOptions): Promise<ProviderStatusResult>;
  cancel?(request: ProviderPayRequest, options: CallOptions): Promise<ProviderCancelResult>;
}

export interface ProviderRegistry {
  get(name: string): ProviderAdapter | undefined;
}

// ------------------------------------------------------------------ acquirers (the checkout's money in)

/** How a person pays on the checkout page; each method is one acquirer. */
export type PaymentMethod = 'card' | 'elsom';

/** Every method, in the order the page offers them. */
export const PAYMENT_METHODS = ['card', 'elsom'] as const satisfies readonly PaymentMethod[];

/** The checkout page's languages; an acquirer maps them to its own (Assist has only RU and EN). */
export type PageLanguage = 'ru' | 'kk' | 'ky' | 'en';

/** An order as an acquirer knows it: our transactionId is its order number (Assist OrderNumber, Elsom PartnerTrnID). */
export interface AcquirerOrder {
  orderNumber: string;
  amountMinor: bigint;
  currency: string;
  language: PageLanguage;
  /** When the order was created: lookups of the acquirer's orders search from a day before it. */
  createdAt: Date;
}

export interface AcquirerStartRequest extends AcquirerOrder {
  comment: string;
  email?: string;
  /** Where the acquirer's page sends the person back (for acquirers that take per-order return URLs). */
  returnOkUrl: string;
  returnNoUrl: string;
}

/**
 * Starting a payment: a form the browser posts to the acquirer's page (no call made), or the URL of a page the
 * acquirer created for us. `unknown`: the acquirer may have created it; its status decides.
 */
export type AcquirerStart =
  | { kind: 'form'; action: string; fields: [string, string][] }
  | { kind: 'redirect'; url: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'unknown'; reason: string };

/**
 * Where the acquirer says an order stands, from its own answer (signed, or one we asked for), never from a browser or
 * a callback. `held`: the money is held and still to be captured; `captured`: the money is taken. `ref` is what
 * capture and release name the payment by. Anything not explicit is `pending`.
 */
export type AcquirerStatus =
  | { kind: 'held'; ref: string; state: string }
  | { kind: 'captured'; ref: string; state: string }
  | { kind: 'declined'; detail: string }
  | { kind: 'cancelled'; detail: string }
  | { kind: 'pending'; reason: string };

/** A capture or a release: `retry` = not processed (safe to repeat), `unknown` = the outcome is not known. */
export type AcquirerCallOutcome =
  | { kind: 'approved'; state: string | null }
  | { kind: 'declined'; code: string; message: string }
  | { kind: 'retry'; reason: string }
  | { kind: 'unknown'; reason: string };

/** A callback read: only ever a hint to ask the acquirer's status. */
export type AcquirerCallbackReading =
  | { kind: 'hint'; orderNumber: string; status: string; acquirerRef: string; amountText: string | undefined }
  | { kind: 'caller_not_allowed' }
  | { kind: 'malformed'; reason: string };

/** What the checkout made of a callback; the acquirer answers it in its own protocol. */
export type AcquirerCallbackVerdict =
  | { kind: 'accepted' }
  | { kind: 'caller_not_allowed' }
  | { kind: 'malformed'; reason: string }
  | { kind: 'unknown_order' }
  | { kind: 'amount_mismatch' };

export interface AcquirerCallbackAnswer {
  httpStatus: number;
  contentType: string;
  body: string;
}

/**
 * The port every acquirer implements (Assist for cards, Elsom merchant for the wallet). Like a provider adapter it is
 * stateless and decides nothing: it builds the acquirer's requests and says what its answers mean; the checkout
 * engine moves the order and the money.
 */
export interface Acquirer {
  /** 'assist', 'elsom': the ledger account `acquirer:<name>:<currency>` and the partner of outbound attempts. */
  readonly name: string;
  /** How messages to people and operators name it ("Assist", "Elsom"). */
  readonly label: string;
  readonly currencies: readonly string[];
  /**
   * Two-stage: the money is held until captured, and a hold can be released (card). Otherwise the money is taken when
   * the status says so (wallet) and a provider refusal afterwards is a refund an operator makes.
   */
  readonly holds: boolean;
  /** The origin of the acquirer's page, for the checkout's Content-Security-Policy (form-action). */
  readonly origin: string;
  start(request: AcquirerStartRequest): Promise<AcquirerStart>;
  status(order: AcquirerOrder): Promise<AcquirerStatus>;
  /** Takes a held payment (safe to repeat: a capture never takes twice). Acquirers that do not hold approve at once. */
  capture(ref: string): Promise<AcquirerCallOutcome>;
  /** Lets a held payment go. */
  release(ref: string, reason: string): Promise<AcquirerCallOutcome>;
  /** The callbacks the acquirer sends us (absent: it sends none). */
  readonly callbacks?: AcquirerCallbacks;
}

export interface AcquirerCallbacks {
  read(ip: string, body: string): AcquirerCallbackReading;
  /** The answer to a callback, in the acquirer's protocol. */
  answer(verdict: AcquirerCallbackVerdict): AcquirerCallbackAnswer;
}
