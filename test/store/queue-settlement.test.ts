/**
 * pg-boss 10 records a worked job's completion or failure without awaiting it; with the database down at that
 * moment, the rejection was unhandled and ended the process (the chaos campaign saw an instance die on
 * `Manager.fail` during a cut of the database's connections). The queue's store (src/jobs/queue.ts, queueStore) retries
 * those two statements and never lets them reject. Here the store the queue talks to is made to refuse every
 * statement for a moment, exactly when a job's outcome is being recorded; the real store (PGlite or PostgreSQL) does
 * the rest.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobQueue, queueStore, type JobQueue } from '../../src/jobs/queue.ts';
import type { Db } from '../../src/store/db.ts';
import { eventually, openTestDb, testSchema } from '../helpers/harness.ts';

const schema = testSchema();
const queueSchema = `${schema}_boss`;
let db: Db;
let queue: JobQueue;
/** While true, every statement of the queue's store fails as a refused connection does. */
let down = false;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
const log = pino({ level: 'silent' });

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  db = await openTestDb(schema);
  const flaky: Db = {
    ...db,
    executeSql: async (text, values) => {
      if (down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      return db.executeSql(text, values);
    },
  };
  queue = createJobQueue(flaky, { schema: queueSchema, pollingIntervalSeconds: 0.5 }, log);
  await queue.start();
});
afterAll(async () => {
  down = false;
  await queue?.stop();
  if (process.env.DATABASE_URL) await db?.query(`DROP SCHEMA IF EXISTS ${queueSchema} CASCADE`);
  await db?.close();
  process.off('unhandledRejection', onUnhandled);
});

/** The database is "down" from now for `ms`. */
function outage(ms: number): void {
  down = true;
  setTimeout(() => (down = false), ms);
}

const jobStates = async (name: string) =>
  (await db.query<{ state: string }>(`SELECT state FROM ${queueSchema}.job WHERE name = $1 ORDER BY created_on`, [name])).rows.map((row) => row.state);

describe('the job queue while the database goes away under a job', () => {
  it('a failed job whose failure meets the outage is recorded once the database is back, and retried', async () => {
    let calls = 0;
    const enqueue = await queue.keyed('settle-fail', async () => {
      calls += 1;
      if (calls === 1) {
        outage(1_500);
        throw new Error('the step failed (the database went away)');
      }
    });
    await enqueue('k1', 0);
    await eventually(async () => (calls >= 2 ? true : undefined), 20_000);
    await eventually(async () => ((await jobStates('settle-fail')).includes('completed') ? true : undefined), 10_000);
    expect(unhandled).toEqual([]);
  });

  it('a job done just as the outage begins is recorded as completed once the database is back', async () => {
    let calls = 0;
    const enqueue = await queue.keyed('settle-complete', async () => {
      calls += 1;
      outage(1_500);
    });
    await enqueue('k2', 0);
    await eventually(async () => ((await jobStates('settle-complete')).includes('completed') ? true : undefined), 20_000);
    expect(calls).toBe(1);
    expect(unhandled).toEqual([]);
  });
});

describe('queueStore', () => {
  const failing = { executeSql: async () => Promise.reject(new Error('connect ECONNREFUSED')) };

  it('gives a settlement up after its retries with the answer pg-boss reads, without rejecting', async () => {
    const store = queueStore(failing, log, [5, 5]);
    const complete = `UPDATE ${queueSchema}.job\n      SET completed_on = now(),\n        state = 'completed'`;
    const fail = `WITH deleted_jobs AS (\n      DELETE FROM ${queueSchema}.job\n      WHERE name = $1 AND id IN (SELECT UNNEST($2::uuid[])) AND state < 'completed'`;
    expect(await store.executeSql(complete, [])).toEqual({ rows: [{ count: '0' }] });
    expect(await store.executeSql(fail, [])).toEqual({ rows: [{ count: '0' }] });
  });

  it('lets every other statement fail as it did (a fetch must see the outage)', async () => {
    const store = queueStore(failing, log, [5]);
    await expect(store.executeSql(`SELECT * FROM ${queueSchema}.job`, [])).rejects.toThrow('ECONNREFUSED');
  });
});
