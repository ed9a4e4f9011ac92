import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { createAgent } from '../../src/engine/agents.ts';
import { readCatalogSeed, seedCatalog } from '../../src/engine/catalog.ts';
import { openTestDb, testConfig } from '../helpers/harness.ts';

/**
 * Migration 009 moves Elsom's transaction-number text from elsom_transactions (003) onto its payment. The store is
 * put back as it was before 009 — the table with a number, the column gone — and 009 is applied again.
 */
let db: Db;

beforeAll(async () => {
  db = await openTestDb();
  await migrate(db);
  await db.tx((q) => seedCatalog(q, readCatalogSeed(testConfig().catalogFile)));
});
afterAll(async () => db?.close());

describe('migration 009: agent_reference', () => {
  it('moves each kept transaction-number onto its payment and drops elsom_transactions', async () => {
    const { agent } = await createAgent(db, { name: 'Elsom before 009', currency: 'KGS', issueToken: false });
    const service = (await db.query<{ service_id: string }>("SELECT service_id FROM services WHERE currency = 'KGS' ORDER BY service_id LIMIT 1")).rows[0]!.service_id;
    await db.query(`ALTER TABLE payments DROP COLUMN agent_reference`);
    await db.query(`CREATE TABLE elsom_transactions (agent_id bigint NOT NULL REFERENCES agents(id), agent_txn_id bigint NOT NULL,
      transaction_number text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (agent_id, agent_txn_id))`);
    for (const txn of [42n, 43n]) {
      await db.query(
        `INSERT INTO payments (agent_id, agent_txn_id, service_id, account, currency, state, result_code, result_message, provider)
         VALUES ($1, $2, $3, '996700000000', 'KGS', 'succeeded', 0, 'OK', 'sandbox-mobile-kg')`, [agent.id, txn, service]);
    }
    // 42 kept its text; 44's PAYMENT was refused before a payment was stored.
    await db.query(`INSERT INTO elsom_transactions (agent_id, agent_txn_id, transaction_number) VALUES ($1, 42, '0042'), ($1, 44, '044')`, [agent.id]);
    await db.query(`DELETE FROM schema_migrations WHERE version = '009_agent_reference'`);

    expect((await migrate(db)).applied).toEqual(['009_agent_reference']);

    const rows = await db.query<{ agent_txn_id: bigint; agent_reference: string | null }>(
      'SELECT agent_txn_id, agent_reference FROM payments WHERE agent_id = $1 ORDER BY agent_txn_id', [agent.id]);
    expect(rows.rows.map((row) => [row.agent_txn_id.toString(), row.agent_reference])).toEqual([['42', '0042'], ['43', null]]);
    const table = await db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'elsom_transactions' AND table_schema = current_schema()`);
    expect(table.rowCount).toBe(0);
  });
});
