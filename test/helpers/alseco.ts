/** Helpers for the Alseco end-to-end tests: agent requests with exact JSON numbers, and the simulator's admin routes. */
import { formatAmount } from '../../src/domain/money.ts';

let lastId = BigInt(Date.now()) * 1000n;
export function nextTxnId(): string {
  lastId += 1n;
  return lastId.toString();
}

export interface Line { subServiceId: string; amountMinor: bigint; lastCount?: string }

/** A check or pay body for P0005; amounts written as JSON number tokens, as agents do. */
export function alsecoBody(input: { account: string; id: string; lines?: Line[]; amountMinor?: bigint; extras?: Record<string, string>; serviceId?: string }): string {
  const amount = input.amountMinor ?? input.lines?.reduce((sum, line) => sum + line.amountMinor, 0n);
  const parts = [
    `"serviceId":${JSON.stringify(input.serviceId ?? 'P0005')}`,
    `"account":${JSON.stringify(input.account)}`,
    `"agentTransactionId":${input.id}`,
    `"agentTransactionDate":"2024-10-15T10:00:00"`,
    ...(amount !== undefined ? [`"amountTo":${formatAmount(amount)}`, `"amountFrom":${formatAmount(amount)}`] : []),
    ...(input.extras ? [`"extras":${JSON.stringify(input.extras)}`] : []),
    ...(input.lines
      ? [`"extraServices":[${input.lines.map((line) => `{"subServiceId":${JSON.stringify(line.subServiceId)},${line.lastCount !== undefined ? `"lastCount":${JSON.stringify(line.lastCount)},` : ''}"amount":${formatAmount(line.amountMinor)}}`).join(',')}]`]
      : []),
  ];
  return `{${parts.join(',')}}`;
}

export interface SimPaymentView {
  paymentId: number;
  sysRef: string;
  accountId: number;
  invoiceId: string;
  paySumMinor: string;
  rolledBack: boolean;
  moved: boolean;
  receivedAt: string;
  parameters: { serviceId: number; paySumMinor: string; payCounts: string; lastCounts: string }[];
}

export function alsecoAdmin(baseUrl: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}/sandbox/alseco${path}`, {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    return response.json() as Promise<Record<string, unknown>>;
  };
  return {
    faults: (faults: Record<string, unknown>) => call('PUT', '/faults', faults),
    clearFaults: () => call('DELETE', '/faults'),
    clock: (now: string | null) => call('PUT', '/clock', { now }) as Promise<{ now: string; period: string }>,
    payments: async () => (await call('GET', '/payments')) as unknown as { stats: { payCalls: number; rollbackCalls: number; calls: number; byMethod: Record<string, number> }; payments: SimPaymentView[] },
    plant: (body: { sysRef: string; accountId: number; paySum: string; invoiceId?: string }) => call('POST', '/payments', body),
    changeSum: (sysRef: string, paySum: string) => call('PATCH', `/payments/${sysRef}`, { paySum }),
    erase: (sysRef: string) => call('DELETE', `/payments/${sysRef}`),
  };
}

/** The check digit people type after an invoice number: the spec gives no algorithm, any digit is stripped. */
export function typed(invoiceId: string): string {
  return `${invoiceId}7`;
}
