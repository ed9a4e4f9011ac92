import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createJobQueue } from '../../src/jobs/queue.ts';
import type { Db } from '../../src/store/db.ts';
import { openTestDb, testSchema } from '../helpers/harness.ts';

/**
 * The database lost just as a job's outcome is recorded (a failover, a crash, a cut connection) must not end the
 * process: pg-boss records a worker's completion or failure without awaiting it, so that statement's rejection had
 * no listener (the chaos campaign's failovers ended an instance so). The outcome is retried a few times (0.5, 2, 5 s:
 * src/jobs/queue.ts, queueStore), then dropped with a warning; the job is retried when it expires. The database is made to fail only as pg-boss sees it, so this runs on PGlite
 * and on a server alike.
 */
let real: Db;
let down = false;
const queueSchemas: string[] = [];
beforeAll(async () => {
  real = await openTestDb();
});
afterAll(async () => {
  for (const schema of queueSchemas) await real.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await real.close();
});

/** The store as pg-boss reaches it: while `down`, every statement fails as on a lost connection. */
function flaky(db: Db): Db {
  return {
    ...db,
    async executeSql(text, values) {
      if (down) throw new Error('Connection terminated unexpectedly');
      return db.executeSql(text, values);
    },
  };
}

async function until(what: string, probe: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a job whose outcome cannot be recorded', () => {
  for (const outcome of ['completed', 'failed'] as const) {
    it(`(${outcome}) is dropped with a warning, and the process goes on`, { timeout: 90_000 }, async () => {
      const warnings: string[] = [];
      const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
      const schema = `${testSchema()}_boss`;
      queueSchemas.push(schema);
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown) => rejections.push(reason);
      process.on('unhandledRejection', onRejection);
      down = false;
      const queue = createJobQueue(flaky(real), { schema, pollingIntervalSeconds: 0.5 }, log);
      try {
        await queue.start();
        let driven = 0;
        await queue.workDrive(async () => {
          driven += 1;
          down = true; // the database goes away while the job runs, before pg-boss records how it ended
          if (outcome === 'failed') throw new Error('the drive met the lost database');
        });
        await queue.enqueueDrive(42n, 0);
        await until('the drive ran', () => driven > 0);
        const warned = () => warnings.some((line) => line.includes('job completion not recorded'));
        await until('the outcome recorded, dropped or rejected', () => warned() || rejections.length > 0, 40_000);
        await new Promise((resolve) => setTimeout(resolve, 200)); // any rejection would be reported by now
        expect(rejections.map(String)).toEqual([]);
        expect(warned()).toBe(true);
      } finally {
        down = false;
        await queue.stop();
        process.off('unhandledRejection', onRejection);
      }
    });
  }
});
