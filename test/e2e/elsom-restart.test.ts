/**
 * A PAYMENT received is never lost: accepted while the provider hangs, Tolem stops, starts again on the same store,
 * and the engine's durable drive completes it; Elsom's next retry gets 0 / 60 with the same txn-id.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, expectLedgerBalanced, openTestDb, startTolem, testSchema, type Harness } from '../helpers/harness.ts';
import { newElsomAgent, postElsom, transferXml, txn } from '../helpers/elsom.ts';
import type { Db } from '../../src/store/db.ts';

const schema = testSchema();
let db: Db;
let current: Harness | undefined;

afterAll(async () => {
  await current?.close();
  await db?.close();
});

describe('Elsom PAYMENT across a restart', () => {
  it('is completed by the engine after a restart, and a retry then answers 60', async () => {
    db = await openTestDb(schema);
    const engine = { providerDeadlineMs: 500, providerTimeoutMs: 1_000, retryBaseMs: 200, retryMaxMs: 500 };
    current = await startTolem({ db, schema, engine });
    await newElsomAgent(db);
    await fetch(`${current.url}/sandbox/mobile-kg/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hangMs: 1_500 }) });
    const number = txn();
    const account = '996700000002'; // sandbox: committed, then the answer hangs past the deadline
    await postElsom(`${current.url}/elsom`, transferXml({ transactionNumber: number, account }));
    const first = await postElsom(`${current.url}/elsom`, transferXml({ type: 2, transactionNumber: number, account }));
    expect(first.response).toMatchObject({ resultCode: 1, statusId: 10 });
    const stored = await db.query<{ state: string; must_complete: boolean }>('SELECT state, must_complete FROM payments WHERE agent_txn_id = $1', [BigInt(number)]);
    expect(stored.rows[0]).toEqual({ state: 'accepted', must_complete: true });

    await current.close();
    // Still unfinished when the first instance is gone: what follows is the second instance's work.
    const afterStop = await db.query<{ state: string }>('SELECT state FROM payments WHERE agent_txn_id = $1', [BigInt(number)]);
    expect(afterStop.rows[0]!.state).toBe('accepted');
    current = await startTolem({ db, schema, engine });
    const answer = await eventually(async () => {
      const retry = await postElsom(`${current!.url}/elsom`, transferXml({ type: 2, transactionNumber: number, account }));
      return retry.response.resultCode === 0 ? retry.response : undefined;
    }, 30_000, 300);
    expect(answer).toMatchObject({ statusId: 60, txnId: first.response.txnId, transactionNumber: number });
    await expectLedgerBalanced(db);
  }, 60_000);
});
