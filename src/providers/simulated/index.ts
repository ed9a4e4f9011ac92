import type { CallOptions, ProviderAdapter, ProviderCancelResult, ProviderCheckRequest, ProviderCheckResult, ProviderPayRequest, ProviderPayResult, ProviderStatusResult } from '../../engine/ports.ts';
import { sandboxCancelResponse, sandboxCheckResponse, sandboxPayResponse } from './codec.ts';
import { callSimulatedProvider } from './client.ts';
import type { ProviderPaymentRecord, ReconciliationSource } from '../../engine/reconcile.ts';
import { readSimulatedRegistry } from './registry.ts';
import { fromSandboxCancel, fromSandboxCheck, fromSandboxPay, toSandboxCheck, toSandboxPay } from './mapping.ts';

/**
 * A provider adapter for Tolem's simulated providers, reached over real HTTP at `baseUrl()` (e.g. …/sandbox/mobile),
 * and the reconciliation source of each: its registry of a day streamed as CSV (registry.ts).
 */
export class SimulatedProviderAdapter implements ProviderAdapter, ReconciliationSource {
  constructor(
    readonly name: string,
    private readonly baseUrl: () => string,
    /** The simulators' business-day zone: the hub's (TOLEM_TZ). */
    readonly offsetMinutes = 300,
  ) {}

  get provider(): string {
    return this.name;
  }

  providerPayments(day: string, signal?: AbortSignal): AsyncIterable<ProviderPaymentRecord[]> {
    return readSimulatedRegistry(`${this.baseUrl()}/registry?day=${encodeURIComponent(day)}`, signal);
  }

  async check(request: ProviderCheckRequest, options: CallOptions): Promise<ProviderCheckResult> {
    const answer = await callSimulatedProvider(`${this.baseUrl()}/check`, toSandboxCheck(request), sandboxCheckResponse, options.signal);
    return answer.ok ? fromSandboxCheck(answer.value) : { kind: 'unknown', reason: answer.failure.detail };
  }

  async pay(request: ProviderPayRequest, options: CallOptions): Promise<ProviderPayResult> {
    const answer = await callSimulatedProvider(`${this.baseUrl()}/pay`, toSandboxPay(request), sandboxPayResponse, options.signal);
    if (!answer.ok) return { kind: 'unknown', reason: answer.failure.detail };
    const result = fromSandboxPay(answer.value);
    if (result.kind === 'not_found' || result.kind === 'cancelled') return { kind: 'unknown', reason: `provider answered ${result.kind} to a pay` };
    return result;
  }

  async status(request: ProviderPayRequest, options: CallOptions): Promise<ProviderStatusResult> {
    const answer = await callSimulatedProvider(`${this.baseUrl()}/status`, { reference: request.transactionId.toString() }, sandboxPayResponse, options.signal);
    return answer.ok ? fromSandboxPay(answer.value) : { kind: 'unknown', reason: answer.failure.detail };
  }

  async cancel(request: ProviderPayRequest, options: CallOptions): Promise<ProviderCancelResult> {
    const answer = await callSimulatedProvider(`${this.baseUrl()}/cancel`, { reference: request.transactionId.toString() }, sandboxCancelResponse, options.signal);
    return answer.ok ? fromSandboxCancel(answer.value) : { kind: 'unknown', reason: answer.failure.detail };
  }
}
