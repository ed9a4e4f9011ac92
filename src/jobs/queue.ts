import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Db } from '../store/db.ts';

/**
 * The durable job queue: pg-boss over the same store (PGlite or a PostgreSQL server). Jobs carry ids only; the
 * payment row is the truth, so a lost or doubled job can never change an outcome, only delay or repeat a safe step.
 */
export const QUEUES = {
  /** Drive one non-final payment one step further (provider call, status query, funds retry). */
  drivePayment: 'payment-drive',
  /** Safety net: enqueue every payment whose next attempt is due, in case an enqueue was lost in a crash. */
  sweep: 'payment-sweep',
  /** Every minute: cancellations whose outcome is unknown (engine/reversal-recovery.ts), resolved by asking. */
  reversalRecovery: 'reversal-recovery',
} as const;

export interface JobQueue {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Enqueue a drive of this payment after `delayMs`; a payment has at most one queued drive ('short' policy). Not
   * 'stately': its unique index on active jobs made a job left active by a crashed instance block every fetch of the
   * queue until it expired. Two drives of one payment running at once are harmless (the lease lets one call out).
   */
  enqueueDrive(paymentId: bigint, delayMs: number): Promise<void>;
  workDrive(handler: (paymentId: bigint) => Promise<void>): Promise<void>;
  workSweep(handler: () => Promise<void>): Promise<void>;
  /** A cron job (UTC): its queue, schedule and worker; pg-boss runs each tick once across all instances. */
  schedule(name: string, cron: string, handler: () => Promise<void>): Promise<void>;
  /**
   * A module's own queue of keyed steps (e.g. checkout orders): created, worked by `handler`, and answered as the
   * function that enqueues a step for a key after a delay ('short': at most one queued step per key; see enqueueDrive).
   */
  keyed(name: string, handler: (key: string) => Promise<void>): Promise<(key: string, delayMs: number) => Promise<void>>;
}

export interface QueueConfig {
  schema: string;
  pollingIntervalSeconds: number;
}

/**
 * pg-boss 10 records a worked job's completion or failure (`complete`, `fail` in its manager's onFetch) without awaiting
 * it: if the database is down at that moment, the rejection is unhandled and ends the process (seen in the chaos
 * campaign: an instance died on `Manager.fail` during a cut of the database's connections). These two statements are
 * therefore never allowed to reject: retried a few times, then given up (logged) — the job stays active until it
 * expires and is retried then; every handler is idempotent (the rows are the truth, see above).
 */
const JOB_SETTLEMENT = /UPDATE \S+\.job\s+SET completed_on = now\(\)|DELETE FROM \S+\.job\s+WHERE name = \$1 AND id IN \(SELECT UNNEST\(\$2::uuid\[\]\)\)/;
const SETTLEMENT_RETRIES_MS = [500, 2_000, 5_000];

export function queueStore(db: Pick<Db, 'executeSql'>, log: Logger, retriesMs: readonly number[] = SETTLEMENT_RETRIES_MS): Pick<Db, 'executeSql'> {
  return {
    async executeSql(text, values) {
      if (!JOB_SETTLEMENT.test(text)) return db.executeSql(text, values);
      for (let attempt = 0; ; attempt++) {
        try {
          return await db.executeSql(text, values);
        } catch (error) {
          if (attempt >= retriesMs.length) {
            log.warn({ err: error }, 'job completion not recorded; the job is retried when it expires');
            // The shape pg-boss reads its answer from (affected: 0).
            return { rows: [{ count: '0' }] };
          }
          await new Promise((resolve) => setTimeout(resolve, retriesMs[attempt]));
        }
      }
    },
  };
}

export function createJobQueue(db: Db, config: QueueConfig, log: Logger): JobQueue {
  const store = queueStore(db, log);
  const boss = new PgBoss({
    db: { executeSql: (text, values) => store.executeSql(text, values) },
    schema: config.schema,
    // Maintenance and cron run on every instance; pg-boss coordinates them with advisory locks.
    supervise: true,
    schedule: true,
  });
  boss.on('error', (error) => log.error({ err: error }, 'job queue error'));
  let stopped = false;

  return {
    async start() {
      await boss.start();
      await boss.createQueue(QUEUES.drivePayment, { name: QUEUES.drivePayment, policy: 'short', retryLimit: 5, retryDelay: 2, retryBackoff: true, expireInSeconds: 300 });
      // A sweep left active by a crashed instance blocks the next ones only until it expires.
      await boss.createQueue(QUEUES.sweep, { name: QUEUES.sweep, policy: 'singleton', retryLimit: 0, expireInSeconds: 60 });
      await boss.schedule(QUEUES.sweep, '* * * * *');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
    async enqueueDrive(paymentId, delayMs) {
      if (stopped) return;
      await boss.send(QUEUES.drivePayment, { paymentId: paymentId.toString() }, {
        singletonKey: paymentId.toString(),
        startAfter: new Date(Date.now() + Math.max(0, delayMs)),
      });
    },
    async workDrive(handler) {
      await boss.work<{ paymentId: string }>(
        QUEUES.drivePayment,
        { batchSize: 8, pollingIntervalSeconds: config.pollingIntervalSeconds },
        async (jobs) => {
          // Drives are idempotent, so a batch with one failure is simply retried whole by pg-boss.
          const results = await Promise.allSettled(jobs.map((job) => handler(BigInt(job.data.paymentId))));
          const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
          if (failed) throw failed.reason;
        },
      );
    },
    async workSweep(handler) {
      await boss.work(QUEUES.sweep, { pollingIntervalSeconds: 5 }, async () => handler());
    },
    async schedule(name, cron, handler) {
      await boss.createQueue(name, { name, policy: 'singleton', retryLimit: 2, retryDelay: 300, expireInSeconds: 3_600 });
      await boss.schedule(name, cron);
      await boss.work(name, { pollingIntervalSeconds: 30 }, async () => handler());
    },
    async keyed(name, handler) {
      await boss.createQueue(name, { name, policy: 'short', retryLimit: 5, retryDelay: 2, retryBackoff: true, expireInSeconds: 300 });
      await boss.work<{ key: string }>(name, { batchSize: 4, pollingIntervalSeconds: config.pollingIntervalSeconds }, async (jobs) => {
        const results = await Promise.allSettled(jobs.map((job) => handler(job.data.key)));
        const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
        if (failed) throw failed.reason;
      });
      return async (key, delayMs) => {
        if (stopped) return;
        await boss.send(name, { key }, { singletonKey: key, startAfter: new Date(Date.now() + Math.max(0, delayMs)) });
      };
    },
  };
}
