/**
 * Group commit: calls that arrive while earlier batches are in the database wait and go together in the next one, so
 * that under load many writes share one round trip and one commit, and at low load a call goes alone at once (no
 * timer, no added latency). Each call gets its own result. A batch that fails is not failed as a whole: each of its
 * calls is run again alone (`alone`), so one bad item costs only itself — as the exchanges journal does.
 */
export interface BatcherOptions {
  /** Most items in one batch (one statement's parameters and locks stay bounded). */
  maxBatch: number;
  /** Most batches in the database at once (each holds one pool connection). */
  maxInFlight: number;
  /** Most items waiting; beyond it a call runs alone instead of waiting (never refused for batching's sake). */
  maxQueued: number;
}

export interface BatcherHooks {
  /** Each batch's size as it leaves (a metric). */
  onBatch?(size: number): void;
  /** A batch that failed, before its items are run alone (a log line: a failure here is never silent). */
  onFailure?(error: unknown, size: number): void;
}

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export class Batcher<I, O> {
  private readonly queue: Waiting<I, O>[] = [];
  private inFlight = 0;

  /**
   * `together` runs a batch and returns one result per item, in the items' order; `alone` runs one item by itself
   * (used after a batch failed, and when the queue is full).
   */
  constructor(
    private readonly together: (items: I[]) => Promise<O[]>,
    private readonly alone: (item: I) => Promise<O>,
    private readonly options: BatcherOptions,
    private readonly hooks: BatcherHooks = {},
  ) {}

  submit(item: I): Promise<O> {
    if (this.queue.length >= this.options.maxQueued) return this.alone(item);
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      void this.run(batch).finally(() => {
        this.inFlight -= 1;
        this.drain();
      });
    }
  }

  private async run(batch: Waiting<I, O>[]): Promise<void> {
    this.hooks.onBatch?.(batch.length);
    let results: O[];
    try {
      results = await this.together(batch.map((waiting) => waiting.item));
      if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} returned ${results.length} results`);
    } catch (error) {
      this.hooks.onFailure?.(error, batch.length);
      // Each alone: the failure was one item's (it fails again, by itself) or the connection's (each retries it).
      await Promise.all(batch.map(({ item, resolve, reject }) => this.alone(item).then(resolve, reject)));
      return;
    }
    batch.forEach((waiting, index) => waiting.resolve(results[index]!));
  }
}
