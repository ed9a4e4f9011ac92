import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { openTestDb } from '../helpers/harness.ts';

/**
 * A connection lost while its client is checked out — between a transaction's statements, as when the server crashes
 * or an operator cuts connections — fails that transaction, and only it: the process goes on, the pool lends healthy
 * connections afterwards (the chaos campaign's database crashes once ended an instance here). PostgreSQL server only:
 * PGlite has no connections to lose.
 */
const onServer = Boolean(process.env.DATABASE_URL);
let db: Db;
beforeAll(async () => {
  if (onServer) db = await openTestDb();
});
afterAll(async () => db?.close());

describe.skipIf(!onServer)('a connection lost mid-transaction', () => {
  it('fails the transaction, not the process, and the next ones run', async () => {
    const outcome = await db.tx(async (q) => {
      const { rows } = await q.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // Cut this very transaction's connection from another one, and let the socket's end arrive while idle.
      await db.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await q.query('SELECT 1');
      return 'committed';
    }).catch((error: Error) => `failed: ${error.message}`);
    expect(outcome).toMatch(/^failed: /);
    for (let i = 0; i < 12; i++) {
      expect(await db.tx(async (q) => (await q.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one)).toBe(1);
    }
  });
});
