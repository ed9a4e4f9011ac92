import CircuitBreaker from 'opossum';
import { Counter, Gauge, type Registry } from 'prom-client';
import { systemClock, type Clock } from '../domain/clock.ts';

/**
 * Provider health: a circuit breaker per provider (opossum), fed by every call the engine makes to it, that stops
 * *new* work — checks and pays not yet accepted — while the provider is down, so that agents stop taking cash for a
 * service that cannot be paid, and no new payment becomes an unknown outcome to chase.
 *
 * What it never stops: the drive of payments already accepted. Their pay, status and cancel calls always go out (the
 * engine's own backoff paces them); they are counted through the breaker whenever it would let them through, so a
 * job's status query is also the probe that closes a half-open breaker. A pay is never a probe: while the breaker is
 * half-open only one check (or a job's call) goes through, and pays are refused until it succeeds.
 *
 * A call "fails" when its outcome is unknown (timeout, transport error, garbled answer, 5xx): a refusal is a healthy
 * answer. Windows and timeouts are durations on the machine's monotonic-enough timers, not business time: the hub's
 * clock (TOLEM_CLOCK) is not involved. Each instance keeps its own breakers: one that sees the provider down refuses
 * new work on its own, and probes on its own.
 */
export interface ProviderCircuitsConfig {
  /** The rolling window the rates are taken over. */
  windowMs: number;
  /** Calls in the window before the breaker may open (a single timeout of a quiet provider does not). */
  minimumCalls: number;
  /** Share of unknown outcomes, in percent, above which it opens. */
  failurePercent: number;
  /** How long it stays open before one probe is let through. */
  probeAfterMs: number;
}

export type Operation = 'check' | 'pay' | 'status' | 'cancel';
export type CircuitState = 'closed' | 'half_open' | 'open';

export interface ProviderCircuitView {
  provider: string;
  state: CircuitState;
  /** Calls answered and unanswered in the window (rejected calls are not calls). */
  calls: number;
  /** Share of calls with a definite answer (paid, declined, not found…), 0–1; null without calls. */
  successRate: number | null;
  /** Share of calls whose outcome stayed unknown, 0–1; null without calls. */
  unknownRate: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  /** New checks and pays refused since this instance started, because the breaker was open. */
  refused: number;
  /** When the state last changed, null if never. */
  since: string | null;
}

/** Thrown through opossum to count an unknown outcome as a failure; the outcome itself is handed back unchanged. */
class UnknownOutcome<T> extends Error {
  constructor(readonly outcome: T) {
    super('unknown outcome');
  }
}

const STATE_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

export class ProviderCircuits {
  private readonly breakers = new Map<string, Breaker>();
  private readonly calls?: Counter<'provider' | 'operation' | 'outcome'>;

  constructor(private readonly config: ProviderCircuitsConfig, registry?: Registry, private readonly clock: Clock = systemClock) {
    if (!registry) return;
    this.calls = new Counter({
      name: 'tolem_provider_calls_total', help: 'Provider calls by operation and outcome (answered, unknown, refused: not sent, the circuit was open)',
      labelNames: ['provider', 'operation', 'outcome'], registers: [registry],
    });
    const views = () => this.snapshot();
    const perProvider = (name: string, help: string, value: (view: ProviderCircuitView) => number | null) => new Gauge({
      name, help, labelNames: ['provider'], registers: [registry],
      collect() {
        for (const view of views()) {
          const measured = value(view);
          if (measured !== null) this.set({ provider: view.provider }, measured);
        }
      },
    });
    perProvider('tolem_provider_circuit_state', 'Circuit breaker per provider: 0 closed, 1 half-open (probing), 2 open (new checks and pays refused)',
      (view) => STATE_VALUE[view.state]);
    perProvider('tolem_provider_success_ratio', 'Share of provider calls with a definite answer over the health window', (view) => view.successRate);
    perProvider('tolem_provider_unknown_ratio', 'Share of provider calls whose outcome stayed unknown over the health window', (view) => view.unknownRate);
    perProvider('tolem_provider_latency_p95_seconds', '95th percentile of provider call latency over the health window',
      (view) => (view.latencyP95Ms === null ? null : view.latencyP95Ms / 1000));
  }

  /** Whether new work of this kind may go to the provider now. A check may be the probe; a pay never is. */
  admits(provider: string, kind: 'check' | 'pay'): boolean {
    const entry = this.entry(provider);
    const admitted = entry.breaker.closed || (kind === 'check' && entry.breaker.pendingClose);
    if (!admitted) this.refuse(entry, kind);
    return admitted;
  }

  /** A new check: made and counted, unless the breaker refuses it (`undefined`: the provider is unavailable). */
  check<T extends { kind: string }>(provider: string, send: () => Promise<T>): Promise<T | undefined> {
    return this.run(provider, 'check', send);
  }

  /**
   * A call for a payment already accepted (pay, status, cancel): it always goes out — its drive must not stop — and
   * is counted whenever the breaker would have let it through (it may be the half-open probe).
   */
  async call<T extends { kind: string }>(provider: string, operation: Exclude<Operation, 'check'>, send: () => Promise<T>): Promise<T> {
    return (await this.run(provider, operation, send))!;
  }

  private async run<T extends { kind: string }>(provider: string, operation: Operation, send: () => Promise<T>): Promise<T | undefined> {
    const entry = this.entry(provider);
    const { breaker } = entry;
    if (!breaker.closed && !breaker.pendingClose) {
      return operation === 'check' ? this.refuse(entry, operation) : this.counted(provider, operation, send);
    }
    try {
      const outcome = (await breaker.fire(async () => {
        const outcome = await send();
        if (outcome.kind === 'unknown') throw new UnknownOutcome(outcome);
        return outcome;
      })) as T;
      this.calls?.inc({ provider, operation, outcome: 'answered' });
      return outcome;
    } catch (error) {
      if (error instanceof UnknownOutcome) {
        this.calls?.inc({ provider, operation, outcome: 'unknown' });
        return error.outcome as T;
      }
      // Rejected between the test above and the fire (another call took the half-open probe).
      if ((error as { code?: string }).code === 'EOPENBREAKER') {
        return operation === 'check' ? this.refuse(entry, operation) : this.counted(provider, operation, send);
      }
      throw error; // the adapter threw: the engine takes it for an unknown outcome; opossum counted a failure
    }
  }

  snapshot(): ProviderCircuitView[] {
    return [...this.breakers.entries()].map(([provider, { breaker, since, refused }]) => {
      const stats = breaker.stats;
      const calls = stats.successes + stats.failures;
      const percentile = (p: number) => (calls > 0 && Number.isFinite(stats.percentiles[p]) ? stats.percentiles[p]! : null);
      return {
        provider,
        state: stateOf(breaker),
        calls,
        successRate: calls > 0 ? stats.successes / calls : null,
        unknownRate: calls > 0 ? stats.failures / calls : null,
        latencyP50Ms: percentile(0.5),
        latencyP95Ms: percentile(0.95),
        refused,
        since: since?.toISOString() ?? null,
      };
    }).sort((a, b) => a.provider.localeCompare(b.provider));
  }

  /** Whether new pays go to the provider now (no refusal is counted: a question, not a request). */
  isClosed(provider: string): boolean {
    return this.breakers.get(provider)?.breaker.closed ?? true;
  }

  /** Providers that refuse new work now (open, or half-open with its probe taken). */
  unavailable(): Set<string> {
    return new Set([...this.breakers.entries()].filter(([, { breaker }]) => !breaker.closed && !breaker.pendingClose).map(([name]) => name));
  }

  /** Stops the breakers' timers (each has a rolling window). */
  close(): void {
    for (const { breaker } of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
  }

  private refuse(entry: Breaker, operation: 'check' | 'pay'): undefined {
    entry.refused += 1;
    this.calls?.inc({ provider: entry.provider, operation, outcome: 'refused' });
    return undefined;
  }

  private async counted<T extends { kind: string }>(provider: string, operation: Operation, send: () => Promise<T>): Promise<T> {
    const outcome = await send();
    this.calls?.inc({ provider, operation, outcome: outcome.kind === 'unknown' ? 'unknown' : 'answered' });
    return outcome;
  }

  private entry(provider: string) {
    let entry = this.breakers.get(provider);
    if (entry) return entry;
    const breaker = new CircuitBreaker(async (send: () => Promise<unknown>) => send(), {
      // The engine's own deadlines (AbortSignal) bound every call; opossum's timer would only race them.
      timeout: false,
      rollingCountTimeout: this.config.windowMs,
      rollingCountBuckets: 10,
      volumeThreshold: this.config.minimumCalls,
      errorThresholdPercentage: this.config.failurePercent,
      resetTimeout: this.config.probeAfterMs,
      enableSnapshots: false,
    });
    const created: Breaker = { provider, breaker, since: null, refused: 0 };
    const changed = () => (created.since = this.clock.now());
    breaker.on('open', changed).on('halfOpen', changed).on('close', changed);
    this.breakers.set(provider, created);
    return created;
  }
}

interface Breaker {
  provider: string;
  breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  since: Date | null;
  refused: number;
}

function stateOf(breaker: CircuitBreaker): CircuitState {
  if (breaker.closed) return 'closed';
  return breaker.halfOpen ? 'half_open' : 'open';
}
