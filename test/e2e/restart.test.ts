import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.ts';
import { startChild as startTolemChild, type ChildTolem } from '../helpers/child.ts';
import { agentApi, eventually, expectLedgerBalanced, num, openTestDb, startTolem, testSchema, type Harness } from '../helpers/harness.ts';

/**
 * A restart while payments are pending: `tolem start` runs as a child process, takes pays while its provider is down
 * or hanging after committing, and is killed with SIGKILL. A new instance on the same store must drive every one of
 * them to a final state, paying the provider exactly once per payment.
 */
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function startChild(env: Record<string, string>): Promise<ChildTolem> {
  const started = await startTolemChild(env);
  children.push(started.child);
  return started;
}

describe('restart with payments pending', () => {
  it('drives every pending payment to a final state after a SIGKILL, each paid once', { timeout: 240_000 }, async () => {
    // The provider lives in its own server, so that it outlives the Tolem being killed.
    const providerHost: Harness = await startTolem({ jobs: false });
    cleanups.push(() => providerHost.close());
    const mobile = providerHost.tolem.ctx.sandbox!.simulators.get('mobile')!;

    const schema = testSchema();
    const dataDir = mkdtempSync(join(tmpdir(), 'tolem-restart-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const storeEnv: Record<string, string> = process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL, DB_SCHEMA: schema, QUEUE_SCHEMA: `${schema}_boss` } : { TOLEM_DATA: dataDir, QUEUE_SCHEMA: 'pgboss' };
    const first = await startChild({
      ...storeEnv, PORT: '0', LOG_LEVEL: 'warn', DEMO: 'true', SANDBOX_URL: `${providerHost.url}/sandbox`,
      PROVIDER_DEADLINE_MS: '300', PROVIDER_TIMEOUT_MS: '300', RETRY_BASE_MS: '4000', RETRY_MAX_MS: '8000',
    });
    const api = agentApi(first.url, first.token);

    // Ten pays while the provider is down (nothing committed), ten while it commits and then hangs past our deadline.
    mobile.setFaults({ http500Rate: 1 });
    const ids = Array.from({ length: 20 }, (_, i) => (700_000_000_000_000_000n + BigInt(i)).toString());
    const body = (id: string) => `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":100.00,"amountFrom":100.00}`;
    for (const id of ids.slice(0, 10)) expect(num((await api('pay', body(id))).body.result)).toBe('1');
    mobile.setFaults({ http500Rate: 0, hangAfterCommitRate: 1, hangMs: 5_000 });
    for (const id of ids.slice(10)) expect(num((await api('pay', body(id))).body.result)).toBe('1');
    // The ten that hang were committed by the provider; some of the first ten may have been retried into it meanwhile.
    expect(mobile.committed().length).toBeGreaterThanOrEqual(10);

    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    mobile.setFaults({ hangAfterCommitRate: 0 });

    // A new instance on the same store: its start-up sweep drives everything left unfinished.
    const db = process.env.DATABASE_URL ? await openTestDb(schema) : await openDb({ dataDir });
    const second = await startTolem({ db, schema, config: { sandboxUrl: `${providerHost.url}/sandbox`, queueSchema: process.env.DATABASE_URL ? `${schema}_boss` : 'pgboss' }, engine: { retryBaseMs: 200, retryMaxMs: 500 } });
    cleanups.push(async () => {
      await second.close();
      await db.close();
    });

    const states = await eventually(async () => {
      const rows = await db.query<{ state: string }>(`SELECT state FROM payments WHERE agent_txn_id >= 700000000000000000`);
      return rows.rows.length === 20 && rows.rows.every((r) => r.state === 'succeeded') ? rows.rows : undefined;
    }, 120_000);
    expect(states).toHaveLength(20);
    const references = mobile.committed().map((p) => p.reference);
    expect(references).toHaveLength(20);
    expect(new Set(references).size).toBe(20);
    await expectLedgerBalanced(db);
  });
});
