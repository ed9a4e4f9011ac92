import { describeFailure, httpRequest } from '../../http/client.ts';
import {
  ASSIST_PATHS,
  decodeAssistAnswer,
  encodeAssistCancelRequest,
  encodeAssistChargeRequest,
  encodeAssistOrderStateRequest,
  readAssistOrder,
  verifyAssistSignature,
  type AssistAnswer,
  type AssistCredentials,
  type AssistFormat,
  type AssistHttpBody,
  type AssistOrderResult,
  type AssistPartialAmount,
  type AssistSignatureDigest,
} from './codec/index.ts';
import {
  ASSIST_CANCEL_STATE_OUTCOME, assistCancelRequest, assistChargeRequest, assistOrderStateRequest, classifyAssistAnswer,
} from './mapping.ts';

/** Where and how we talk to Assist (see src/checkout/README.md, "Configuring real Assist … credentials"). */
export interface AssistClientConfig extends AssistCredentials {
  /** https://<SERVER-NAME> (no trailing slash); a function when it is only known once the server listens (sandbox). */
  baseUrl: string | (() => string);
  /** Assist's public key (PEM) for the answers' `signature`; answers that do not verify are never trusted. */
  publicKeyPem: string;
  digest: AssistSignatureDigest;
  /** Answer format for charge (JSON by default, Format=5); cancel and order-state cannot be SOAP. */
  format: AssistFormat;
  timeoutMs: number;
}

/**
 * Transport for Assist's web services (charge.cfm, cancel.cfm, orderstate.cfm). Never throws for a partner failure:
 * HTTP errors, timeouts and unreadable bodies are `unknown`, non-zero firstcode/secondcode is `retry`.
 * Every order record we act on must carry a signature that verifies with the configured public key.
 */
export class AssistClient {
  constructor(private readonly config: AssistClientConfig) {}

  get baseUrl(): string {
    return typeof this.config.baseUrl === 'function' ? this.config.baseUrl() : this.config.baseUrl;
  }

  get orderFormUrl(): string {
    return `${this.baseUrl}${ASSIST_PATHS.order}`;
  }

  /** charge.cfm: the full hold, or `partial` of it. Repeating a charge never charges twice (spec). */
  async charge(billnumber: string, partial?: AssistPartialAmount, format = this.config.format): Promise<AssistCallOutcome> {
    const request = assistChargeRequest({ ...this.credentials(), billnumber, format, ...(partial ? { partial } : {}) });
    return this.call(ASSIST_PATHS.charge, encodeAssistChargeRequest(request), format, 'charge');
  }

  /** cancel.cfm: releases the whole hold of an authorised (Delayed) order. */
  async cancel(billnumber: string, reason: string, format: Exclude<AssistFormat, 'soap'> = this.serviceFormat()): Promise<AssistCallOutcome> {
    const request = assistCancelRequest({ ...this.credentials(), billnumber, format, cancelReason: reason.slice(0, 100) });
    return this.call(ASSIST_PATHS.cancel, encodeAssistCancelRequest(request), format, 'cancel');
  }

  /** orderstate.cfm: where our order stands (after a lost return, or to confirm a return we must not trust). */
  async orderState(orderNumber: string, since: Date, format: Exclude<AssistFormat, 'soap'> = this.serviceFormat()): Promise<AssistStateLookup> {
    const request = assistOrderStateRequest({
      ...this.credentials(), orderNumber, format,
      since: { year: since.getUTCFullYear(), month: since.getUTCMonth() + 1, day: since.getUTCDate() },
    });
    const answer = await this.send(ASSIST_PATHS.orderState, encodeAssistOrderStateRequest(request), format);
    if (answer.kind === 'unreadable') return { kind: 'unknown', reason: answer.detail };
    if (answer.kind === 'not_processed') return { kind: 'retry', reason: `firstcode ${answer.firstcode} secondcode ${answer.secondcode}` };
    const mine = answer.orders.map(readAssistOrder).filter((order) => order.ordernumber === orderNumber);
    if (mine.length === 0) return { kind: 'not_found' };
    // Several operations on one order: the latest one (by billnumber extension) tells its state.
    const latest = mine.sort((a, b) => compareBillnumbers(a.billnumber, b.billnumber)).at(-1)!;
    if (!this.signed(latest)) return { kind: 'unknown', reason: 'order-state answer signature does not verify' };
    return { kind: 'order', order: latest };
  }

  private serviceFormat(): Exclude<AssistFormat, 'soap'> {
    return this.config.format === 'soap' ? 'xml' : this.config.format;
  }

  private credentials(): AssistCredentials {
    return { merchantId: this.config.merchantId, login: this.config.login, password: this.config.password };
  }

  private async call(path: string, body: AssistHttpBody, format: AssistFormat, what: 'charge' | 'cancel'): Promise<AssistCallOutcome> {
    const answer = await this.send(path, body, format);
    const outcome = classifyAssistAnswer(answer, what === 'cancel' ? ASSIST_CANCEL_STATE_OUTCOME : undefined);
    switch (outcome.kind) {
      case 'retry':
        return { kind: 'retry', reason: `firstcode ${outcome.firstcode} secondcode ${outcome.secondcode}` };
      case 'unknown':
        return outcome;
      case 'approved':
      case 'declined':
        // A refusal moves no money either, but it is still only believed when Assist signed it.
        if (!this.signed(outcome.order)) return { kind: 'unknown', reason: `${what} answer signature does not verify` };
        return outcome.kind === 'approved'
          ? { kind: 'approved', order: outcome.order }
          : { kind: 'declined', code: outcome.code, message: outcome.message, order: outcome.order };
    }
  }

  private signed(order: AssistOrderResult): boolean {
    return verifyAssistSignature(order.record, order.signature ?? '', this.config.publicKeyPem, this.config.digest);
  }

  private async send(path: string, body: AssistHttpBody, format: AssistFormat): Promise<AssistAnswer> {
    const result = await httpRequest({
      url: `${this.baseUrl}${path}`,
      headers: { 'content-type': body.contentType, accept: '*/*' },
      body: body.body,
      signal: AbortSignal.timeout(this.config.timeoutMs),
      maxResponseBytes: 256 * 1024,
    });
    if (result.kind !== 'response') return { kind: 'unreadable', detail: describeFailure(result) };
    // Pending by default: an HTTP error says nothing about the operation (it may have happened).
    if (result.status !== 200) return { kind: 'unreadable', detail: `HTTP ${result.status}` };
    return decodeAssistAnswer(result.body.toString('utf8'), format);
  }
}

export type AssistCallOutcome =
  | { kind: 'approved'; order: AssistOrderResult }
  | { kind: 'declined'; code: string; message: string; order: AssistOrderResult }
  | { kind: 'retry'; reason: string }
  | { kind: 'unknown'; reason: string };

export type AssistStateLookup =
  | { kind: 'order'; order: AssistOrderResult }
  | { kind: 'not_found' }
  | { kind: 'retry'; reason: string }
  | { kind: 'unknown'; reason: string };

/** "50000000000001.2" after "50000000000001.1" after "50000000000001". */
function compareBillnumbers(a: string | undefined, b: string | undefined): number {
  const ext = (text: string | undefined) => Number(text?.split('.')[1] ?? '0');
  return ext(a) - ext(b);
}
