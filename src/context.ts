import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Clock } from './domain/clock.ts';
import type { Db } from './store/db.ts';
import type { Catalog } from './engine/catalog.ts';
import type { PaymentEngine } from './engine/payments.ts';
import type { EngineMetrics } from './engine/metrics.ts';
import type { JobQueue } from './jobs/queue.ts';
import type { SandboxProviders } from './sandbox/providers/routes.ts';

/** What the HTTP plugins and the CLI share: one per running Tolem. */
export interface AppContext {
  config: Config;
  /** Every "now" of this Tolem. */
  clock: Clock;
  db: Db;
  log: Logger;
  catalog: Catalog;
  engine: PaymentEngine;
  metrics: EngineMetrics;
  queue: JobQueue | undefined;
  sandbox: SandboxProviders | undefined;
}
