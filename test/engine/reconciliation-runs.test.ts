/**
 * Reconciliation runs whose progress lives in the store: two engine contexts (as two Tolem instances would have) on
 * one database — a run started on one is seen with its phase and progress on the other, a second run of its day is
 * refused on either, and a run whose process died (its heartbeat stopped) reads as interrupted and lets a new run of
 * its day start. The provider is a controllable reconciliation source; the store is real.
 */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createAdminServices, type AdminServices } from '../../src/engine/admin-services.ts';
import { Catalog } from '../../src/engine/catalog.ts';
import { PaymentEngine } from '../../src/engine/payments.ts';
import type { ProviderPaymentRecord, ReconciliationSource, SourceResult } from '../../src/engine/reconcile.ts';
import { claimReconciliationRun, reconciliationTask } from '../../src/engine/reconciliation-runs.ts';
import { SecretBox } from '../../src/engine/secrets.ts';
import type { Actor } from '../../src/engine/sessions.ts';
import { ShiftedClock } from '../../src/domain/clock.ts';
import type { Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { openTestDb } from '../helpers/harness.ts';

const actor: Actor = { principal: { kind: 'operator', id: 1n, login: 'rec', role: 'operator' }, ip: null };
const clock = new ShiftedClock(new Date('2026-11-22T10:00:00+05:00'));
const log = pino({ level: 'silent' });

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((done) => { resolve = done; });
  return { promise, resolve };
}

/** A provider whose list and settlement statement answer when the test says so (asked before or after). */
class HeldSource implements ReconciliationSource {
  readonly provider = 'alseco';
  readonly offsetMinutes = 300;
  private readonly listed = deferred<SourceResult<ProviderPaymentRecord[]>>();
  private readonly stated = deferred<SourceResult<{ lines: []; message: string }>>();

  listProviderPayments(): Promise<SourceResult<ProviderPaymentRecord[]>> {
    return this.listed.promise;
  }

  settlementStatement(): Promise<SourceResult<{ lines: []; message: string }>> {
    return this.stated.promise;
  }

  /** Three payments Tolem never saw: three differences. */
  list(): void {
    this.listed.resolve({ ok: true, value: ['1', '2', '3'].map((n) => ({ reference: `99000${n}`, providerRef: `A-${n}`, amountMinor: 100n })) });
  }

  fail(reason: string): void {
    this.listed.resolve({ ok: false, reason });
  }

  statement(): void {
    this.stated.resolve({ ok: true, value: { lines: [], message: 'none' } });
  }
}

/** One instance's operator services over the shared store. */
function instance(db: Db, source: HeldSource): AdminServices {
  const config = loadConfig({});
  const catalog = new Catalog(db);
  const engine = new PaymentEngine(db, catalog, { get: () => undefined }, config.engine, log, undefined, clock);
  return createAdminServices(db, { clock, engine, catalog, secrets: new SecretBox(randomBytes(32), log), reconciliationSource: (name) => (name === 'alseco' ? source : undefined) });
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 8_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let db: Db;
beforeAll(async () => {
  db = await openTestDb();
  await migrate(db);
});
afterAll(async () => db?.close());

describe('reconciliation progress in the store', () => {
  it('a run started on one instance is seen with its progress on the other, and its day runs once at a time', async () => {
    const source = new HeldSource();
    const [one, other] = [instance(db, source), instance(db, source)];
    const task = await one.reconciliation.start(actor, 'alseco', '2026-11-21', true);
    expect(task).toMatchObject({ state: 'running', phase: 'listing', done: 0, total: 0 });

    const seen = await other.reconciliation.task(task.id);
    expect(seen).toMatchObject({ id: task.id, provider: 'alseco', day: '2026-11-21', state: 'running', phase: 'listing' });
    await expect(other.reconciliation.start(actor, 'alseco', '2026-11-21', true)).rejects.toMatchObject({ code: 'reconciliation_running' });
    await expect(other.reconciliation.run(actor, 'alseco', '2026-11-21', { confirm: false })).rejects.toMatchObject({ code: 'reconciliation_running' });

    source.list(); // classified at once; the settlement statement holds the run in its last phase
    const finishing = await eventually(() => other.reconciliation.task(task.id), (t) => t?.phase === 'finishing');
    expect(finishing).toMatchObject({ state: 'running', phase: 'finishing', done: 3, total: 3 });
    const listed = (await other.reconciliation.runs('alseco')).find((run) => run.id.toString() === task.id);
    expect(listed).toMatchObject({ status: 'running', progress: { done: 3, total: 3, phase: 'finishing' } });
    expect(listed?.heartbeatAt).toBeInstanceOf(Date);

    source.statement();
    const done = await eventually(() => other.reconciliation.task(task.id), (t) => t?.state !== 'running');
    expect(done).toMatchObject({ state: 'done', status: 'mismatches', done: 3, total: 3 });
    expect((await other.reconciliation.findRun(BigInt(task.id)))?.items).toHaveLength(3);
  });

  it('a run whose process died reads as interrupted, and a new run of its day may start', async () => {
    const source = new HeldSource();
    const other = instance(db, source);
    // Claimed, then its process is gone: nothing writes its heartbeat again (moved an hour back for the test).
    const dead = await claimReconciliationRun(db, 'alseco', '2026-11-19', clock);
    await expect(other.reconciliation.start(actor, 'alseco', '2026-11-19', false)).rejects.toMatchObject({ code: 'reconciliation_running' });
    await db.query(`UPDATE reconciliation_runs SET heartbeat_at = heartbeat_at - interval '1 hour' WHERE id = $1`, [dead]);
    expect(await reconciliationTask(db, dead)).toMatchObject({ state: 'interrupted', status: 'interrupted' });
    expect((await other.reconciliation.findRun(dead))?.run.status).toBe('interrupted');

    const fresh = await other.reconciliation.start(actor, 'alseco', '2026-11-19', false);
    expect(fresh.id).not.toBe(dead.toString());
    expect(await reconciliationTask(db, dead)).toMatchObject({ state: 'interrupted', error: expect.stringContaining('no heartbeat') });
    source.list();
    source.statement();
    // Finished at once (nothing held it): the last counts are in the row all the same.
    expect(await eventually(() => other.reconciliation.task(fresh.id), (t) => t?.state !== 'running')).toMatchObject({ state: 'done', status: 'mismatches' });
    expect(await eventually(() => other.reconciliation.task(fresh.id), (t) => t?.total === 3)).toMatchObject({ done: 3, total: 3 });
  });

  it('a provider that fails ends the run failed with its reason; an unknown task is undefined', async () => {
    const source = new HeldSource();
    const one = instance(db, source);
    const task = await one.reconciliation.start(actor, 'alseco', '2026-11-18', false);
    source.fail('down');
    expect(await eventually(() => one.reconciliation.task(task.id), (t) => t?.state !== 'running')).toMatchObject({ state: 'failed', error: 'provider list: down' });
    expect(await one.reconciliation.task('999999999')).toBeUndefined();
    expect(await one.reconciliation.task('not-a-run')).toBeUndefined();
  });
});
