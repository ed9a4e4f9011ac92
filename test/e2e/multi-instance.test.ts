import { afterAll, describe, expect, it } from 'vitest';
import { agentApi, expectLedgerBalanced, newAgent, num, openTestDb, startTolem, testSchema, type Harness } from '../helpers/harness.ts';
import type { Db } from '../../src/store/db.ts';

/**
 * Production runs several stateless Tolem instances against one PostgreSQL. Duplicates of one pay sent to different
 * instances at once still make one payment: the database decides, not an instance's memory. (PGlite is one process's
 * database, so this runs on the PostgreSQL suite.)
 */
const onServer = Boolean(process.env.DATABASE_URL);
const opened: (Harness | Db)[] = [];
afterAll(async () => {
  for (const item of opened.reverse()) await item.close();
});

describe.skipIf(!onServer)('several instances on one PostgreSQL', () => {
  it('duplicates spread over three instances make one payment and one provider call', { timeout: 120_000 }, async () => {
    const schema = testSchema();
    const providerHost = await startTolem({ jobs: false });
    opened.push(providerHost);
    const dbs = await Promise.all([0, 1, 2].map(() => openTestDb(schema)));
    opened.push(...dbs);
    const instances: Harness[] = [];
    for (const db of dbs) {
      const instance = await startTolem({ db, schema, config: { sandboxUrl: `${providerHost.url}/sandbox`, queueSchema: `${schema}_boss` }, engine: { providerDeadlineMs: 10_000 } });
      instances.push(instance);
      opened.push(instance);
    }
    const agent = await newAgent(dbs[0]!, { openingBalanceMinor: 10_000_000n });
    const apis = instances.map((instance) => agentApi(instance.url, agent.token));
    const mobile = providerHost.tolem.ctx.sandbox!.simulators.get('mobile')!;
    mobile.setFaults({ latencyMs: 200 });

    for (let round = 0; round < 5; round++) {
      const id = (880_000_000_000_000_000n + BigInt(round)).toString();
      const body = `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":100.00,"amountFrom":100.00}`;
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => apis[i % 3]!('pay', body)));
      const ids = new Set(answers.map((answer) => num(answer.body.transactionId)));
      expect(ids.size).toBe(1);
      expect(answers.every((answer) => ['0', '1'].includes(num(answer.body.result)))).toBe(true);
      const reference = [...ids][0]!;
      const payments = await dbs[0]!.query<{ state: string }>('SELECT state FROM payments WHERE agent_id = $1 AND agent_txn_id = $2', [agent.id, id]);
      expect(payments.rows).toHaveLength(1);
      expect(mobile.committed().filter((p) => p.reference === reference)).toHaveLength(1);
    }
    const reservations = await dbs[0]!.query<{ n: bigint }>(`SELECT count(*) AS n FROM ledger_transfers WHERE kind = 'pending'`);
    expect(reservations.rows[0]!.n).toBe(5n);
    await expectLedgerBalanced(dbs[0]!);
  });
});
