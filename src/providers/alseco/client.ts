/**
 * SOAP over HTTP to Alseco's ASMX service: one POST per call, SOAPAction = namespace + method, a timeout on every
 * call, a cap on the answer size. Never throws: every answer becomes a typed outcome, and everything that is not a
 * well-formed answer of the method asked (timeouts, HTML error pages, truncated or huge bodies) is a `failure` (with a
 * detail, as every failure: src/domain/result.ts) whose effect on Alseco's side is unknown. No retries here: a retry of a Pay is the engine's decision (after a status query).
 */
import { deadline } from '../../domain/deadline.ts';
import { describeFailure, httpRequest } from '../../http/client.ts';
import {
  alsecoNamespaceOf, decodeAlsecoResponse, encodeAlsecoRequest, ALSECO_NAMESPACES,
  type AlsecoMethod, type AlsecoParams, type AlsecoResult,
} from './codec/index.ts';
import type { AlsecoConfig } from './config.ts';

export type AlsecoCallOutcome<M extends AlsecoMethod> =
  | { kind: 'ok'; result: AlsecoResult<M> }
  /** A SOAP Fault. side 'client': the request was refused as such (soap:Client / Sender); otherwise anything may have happened. */
  | { kind: 'fault'; side: 'client' | 'server' | 'unknown'; message: string }
  | { kind: 'failure'; detail: string };

export interface AlsecoEndpoints {
  /** AlsecoPaymentsService endpoint. */
  payments(): string;
  /** AstanaErcPaymentService endpoint. */
  erc(): string;
}

/** Methods whose effect must not be repeated blindly get the longer pay timeout. */
const WRITES: ReadonlySet<AlsecoMethod> = new Set<AlsecoMethod>(['Pay', 'PayD', 'RollbackPayments', 'RollbackPaymentsBySysRef', 'GetBankDayChecks']);

export class AlsecoClient {
  constructor(
    private readonly config: AlsecoConfig,
    private readonly endpoints: AlsecoEndpoints,
  ) {}

  get bankCode(): string {
    return this.config.bankCode;
  }

  async call<M extends AlsecoMethod>(method: M, params: AlsecoParams<M>, signal?: AbortSignal): Promise<AlsecoCallOutcome<M>> {
    const request = encodeAlsecoRequest(method, params);
    const url = alsecoNamespaceOf(method) === ALSECO_NAMESPACES.AstanaErcPaymentService ? this.endpoints.erc() : this.endpoints.payments();
    const limit = deadline(WRITES.has(method) ? this.config.payTimeoutMs : this.config.timeoutMs, signal);
    const answer = await httpRequest({
      url,
      body: request.body,
      headers: { ...request.headers, accept: 'text/xml, application/soap+xml' },
      signal: limit.signal,
      maxResponseBytes: this.config.maxResponseBytes,
    }).finally(() => limit.clear());
    if (answer.kind !== 'response') return { kind: 'failure', detail: `${method}: ${describeFailure(answer)}` };
    // ASMX answers faults with HTTP 500 and a SOAP body; so the body is read whatever the status.
    const decoded = decodeAlsecoResponse(method, answer.body, { maxBytes: this.config.maxResponseBytes });
    switch (decoded.kind) {
      case 'ok':
        return answer.status === 200
          ? { kind: 'ok', result: decoded.result }
          : { kind: 'failure', detail: `${method}: HTTP ${answer.status} with a normal answer` };
      case 'fault':
        return { kind: 'fault', side: decoded.side, message: `${method}: SOAP fault ${decoded.code}: ${decoded.message.slice(0, 500)}` };
      case 'html':
        return { kind: 'failure', detail: `${method}: HTTP ${answer.status}, HTML page${decoded.title ? ` "${decoded.title.slice(0, 200)}"` : ''}` };
      case 'too-large':
        return { kind: 'failure', detail: `${method}: answer too large (${decoded.bytes} bytes)` };
      case 'dtd-forbidden':
        return { kind: 'failure', detail: `${method}: answer with a DOCTYPE refused` };
      case 'malformed':
        return { kind: 'failure', detail: `${method}: HTTP ${answer.status}, malformed answer (${decoded.reason}: ${decoded.detail.slice(0, 200)})` };
    }
  }
}
