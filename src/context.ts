import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Clock } from './domain/clock.ts';
import type { Db } from './store/db.ts';
import type { Catalog } from './engine/catalog.ts';
import type { PaymentEngine } from './engine/payments.ts';
import type { EngineMetrics } from './engine/metrics.ts';
import type { JobQueue } from './jobs/queue.ts';
import type { EngineServices } from './engine/services.ts';
import type { AdminServices } from './engine/admin-services.ts';

/**
 * One running Tolem, as `build()` assembled it. The gateways are given only the engine's services they use
 * (`services`, narrowed by each plugin's own type); the checkout still takes the whole context (issue 9, item 1).
 * The simulators are test equipment and not part of it: `build()` hands them to the tests beside it.
 */
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
  /** What the plugins are given instead of the database. */
  services: EngineServices;
  /** The operator side (admin API, console, cabinet): operators, sessions, audited actions, proposals, search. */
  admin: AdminServices;
}
