import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one Tolem instance, on its own registry (tests build many apps in one process). */
export interface EngineMetrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  httpDuration: Histogram<'route' | 'method'>;
  paymentsAccepted: Counter<'service'>;
  paymentsFinished: Counter<'outcome' | 'code'>;
  providerCalls: Histogram<'provider' | 'outcome'>;
  /** Sizes of the group-commit batches (accept, settle): how much the database round trips are shared under load. */
  batchSizes: Histogram<'batch'>;
}

export function createMetrics(collectDefaults = true): EngineMetrics {
  const registry = new Registry();
  if (collectDefaults) collectDefaultMetrics({ register: registry, prefix: 'tolem_' });
  return {
    registry,
    httpRequests: new Counter({ name: 'tolem_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'method', 'status'], registers: [registry] }),
    httpDuration: new Histogram({
      name: 'tolem_http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['route', 'method'], registers: [registry],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    paymentsAccepted: new Counter({ name: 'tolem_payments_accepted_total', help: 'Pays accepted (funds reserved or waiting)', labelNames: ['service'], registers: [registry] }),
    paymentsFinished: new Counter({ name: 'tolem_payments_final_total', help: 'Payments that reached a final state', labelNames: ['outcome', 'code'], registers: [registry] }),
    providerCalls: new Histogram({
      name: 'tolem_provider_call_duration_seconds', help: 'Provider pay/status calls by outcome', labelNames: ['provider', 'outcome'], registers: [registry],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    batchSizes: new Histogram({
      name: 'tolem_group_commit_batch_size', help: 'Payments per group-commit statement', labelNames: ['batch'], registers: [registry],
      buckets: [1, 2, 4, 8, 16, 32, 64],
    }),
  };
}
