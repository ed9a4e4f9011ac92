/**
 * Streamed reconciliation (performance issue, item 6): a generated day of 20,000 payments of the sandbox mobile
 * operator against its registry, streamed as CSV by the simulator's registry route and read back over HTTP through
 * csv-parse, with planted mismatches of every class — each found, counted and stored; the registry route's refusals
 * in the sandbox API's own format; and a registry that breaks mid-way: the run is failed with the reason, keeps no
 * items and leaves nothing staged.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_ID, expectedCounts, plantedIndexes, plantedRegistry, seedReconDay, type ReconDay } from '../../bench/recon-day.ts';
import { businessDay } from '../../src/domain/time.ts';
import { reconcileProviderDay, reconciliationCsv } from '../../src/engine/reconcile.ts';
import { SimulatedProviderAdapter } from '../../src/providers/simulated/index.ts';
import { createOperator } from '../../src/engine/operators.ts';
import { newAgent, startTolem, type Harness } from '../helpers/harness.ts';
import { PanelClient } from '../helpers/panel.ts';
import { adminOverSocket } from '../helpers/admin-socket.ts';

let h: Harness;
let day: ReconDay;
const dir = mkdtempSync(join(tmpdir(), 'tolem-recon-'));
const socket = join(dir, 'admin.sock');

const mobile = () => h.tolem.ctx.sandbox!.simulators.get('mobile')!;
const adapter = (base = `${h.url}/sandbox/mobile`) => new SimulatedProviderAdapter('sandbox-mobile', () => base, h.tolem.ctx.config.hubOffsetMinutes);

const overSocket = (method: string, url: string, body?: unknown) => adminOverSocket(socket, method, url, body);

beforeAll(async () => {
  h = await startTolem({ jobs: false });
  await h.tolem.listenAdminSocket(socket);
  const agent = await newAgent(h.db, { name: 'Recon agent' });
  day = { day: '2026-11-20', offsetMinutes: h.tolem.ctx.config.hubOffsetMinutes, payments: 20_000, planted: 3, agentId: agent.id, serviceId: 'P1011', provider: 'sandbox-mobile' };
  await seedReconDay(h.db, day);
  mobile().generateRegistry(day.day, () => plantedRegistry(day));
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const itemCount = async (runId: bigint) => Number((await h.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM reconciliation_items WHERE run_id = $1', [runId])).rows[0]!.n);
const stagedCount = async (runId: bigint) => Number((await h.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM reconciliation_staging WHERE run_id = $1', [runId])).rows[0]!.n);

describe('a streamed day of 20,000 payments', () => {
  it('finds every planted mismatch of every class and counts the matched rest', async () => {
    const phases = new Set<string>();
    const report = await reconcileProviderDay(h.db, adapter(), day.day, { onProgress: (_done, _total, phase) => phases.add(phase ?? 'done') });
    expect(report.error).toBeUndefined();
    expect(report.status).toBe('mismatches');
    expect(report.counts).toEqual(expectedCounts(day));
    expect(report.tolemCount).toBe(day.payments);
    expect(report.providerCount).toBe(day.payments - day.planted + 2 * day.planted);
    expect([...phases]).toEqual(expect.arrayContaining(['listing', 'classifying', 'done']));

    const planted = plantedIndexes(day);
    const kindOf = new Map(report.items.map((item) => [item.reference, item]));
    for (const i of planted.missingAtProvider) expect(kindOf.get((FIRST_ID + BigInt(i)).toString())).toMatchObject({ kind: 'missing_at_provider', providerAmountMinor: null });
    for (const i of planted.amountMismatch) {
      const item = kindOf.get((FIRST_ID + BigInt(i)).toString())!;
      expect(item).toMatchObject({ kind: 'amount_mismatch' });
      expect(item.providerAmountMinor! - item.tolemAmountMinor!).toBe(1n);
    }
    const missingAtTolem = report.items.filter((item) => item.kind === 'missing_at_tolem');
    expect(missingAtTolem.filter((item) => item.tolemState === 'failed')).toHaveLength(day.planted);
    expect(missingAtTolem.filter((item) => item.tolemState === null && item.paymentId === null)).toHaveLength(day.planted);
    expect(missingAtTolem.find((item) => item.tolemState === 'failed')!.action).toContain('(Tolem state: failed)');
    // Differences first in the report; a day this size stores its matched items too (the CSV lists every one).
    expect(report.items.slice(0, 12).every((item) => item.kind !== 'matched')).toBe(true);
    expect(report.matchedItemsStored).toBe(true);
    expect(await itemCount(report.runId)).toBe(Object.values(report.counts).reduce((a, b) => a + b, 0));
    expect(await stagedCount(report.runId)).toBe(0);
    const csv = await reconciliationCsv(h.db, report.runId);
    expect(csv.trimEnd().split('\r\n')).toHaveLength(1 + (await itemCount(report.runId)));
  });

  it('runs through the admin API by the provider route name, as the CLI does', async () => {
    const answer = await overSocket('POST', '/reconciliations/sandbox-mobile', { day: day.day, confirm: false });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ provider: 'sandbox-mobile', day: day.day, status: 'mismatches', counts: expectedCounts(day) });
    expect((await overSocket('POST', '/reconciliations/sandbox-nothing', { day: day.day })).status).toBe(404);
    const notADay = await overSocket('POST', '/reconciliations/sandbox-mobile', { day: '2026-02-30' });
    expect(notADay).toMatchObject({ status: 400, body: { error: { code: 'bad_day' } } });
  });
});

describe('a day whose matched payments are counted, not stored', () => {
  it('keeps the differences and the counts; the console shows the counts and streams the CSV of what is stored', async () => {
    const report = await reconcileProviderDay(h.db, adapter(), day.day, { confirm: false, matchedItemsStoredUpTo: 1_000 });
    expect(report.counts).toEqual(expectedCounts(day));
    expect(report.matchedItemsStored).toBe(false);
    const differences = report.counts.missing_at_provider + report.counts.missing_at_tolem + report.counts.amount_mismatch;
    expect(await itemCount(report.runId)).toBe(differences);
    const stored = (await h.db.query<{ matched_count: number; mismatch_count: number; matched_items_stored: boolean }>(
      'SELECT matched_count, mismatch_count, matched_items_stored FROM reconciliation_runs WHERE id = $1', [report.runId])).rows[0];
    expect(stored).toEqual({ matched_count: report.counts.matched, mismatch_count: differences, matched_items_stored: false });

    await createOperator(h.db, { login: 'rita', password: 'correct horse battery', role: 'viewer' }, h.tolem.ctx.clock);
    const viewer = new PanelClient(h.url, '/console');
    expect((await viewer.login('rita', 'correct horse battery')).status).toBe(303);
    const page = await viewer.get(`/reconciliation/runs/${report.runId}`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(new RegExp(`data-kind="matched">[^<]*: <strong>${report.counts.matched}</strong>`));
    expect(page.text).toContain('id="items-partial"');
    const csv = await viewer.get(`/reconciliation/runs/${report.runId}/items.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('kind,reference,payment_id,provider_ref,account,tolem_state,tolem_amount,provider_amount,action');
    expect(lines).toHaveLength(1 + differences);
  });
});

describe('the simulators\' registry route', () => {
  it('streams the payments a simulator holds as paid on the day, as CSV with a header', async () => {
    const paid = await mobile().pay({ reference: '123456789', account: '7770017711', amount: '250.00', extras: {} } as never);
    expect(paid.kind).toBe('json');
    const today = businessDay(h.tolem.ctx.clock.now(), h.tolem.ctx.config.hubOffsetMinutes);
    const response = await fetch(`${h.url}/sandbox/mobile/registry?day=${today}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('reference,provider_ref,amount,account,paid_at');
    expect(lines.find((line) => line.startsWith('123456789,'))).toMatch(/^123456789,MOBILE-\d+,250\.00,7770017711,\d{4}-/);
  });

  it.each([
    ['no day', ''],
    ['not a date', '?day=2026-02-30'],
    ['another format', '?day=20.11.2026'],
    ['an unknown parameter', '?day=2026-11-20&limit=5'],
  ])('refuses %s with a 400 in the sandbox API\'s format', async (_name, query) => {
    const response = await fetch(`${h.url}/sandbox/mobile/registry${query}`);
    expect(response.status).toBe(400);
    const body = await response.json() as { status: string; code: string; message: string };
    expect(body).toMatchObject({ status: 'error', code: 'BAD_REQUEST', message: expect.stringMatching(/^registry: /) });
  });
});

describe('a registry that cannot be read whole', () => {
  let server: Server;
  let base: string;
  /** What the fake provider answers at …/registry: by the test's name in the path. */
  const answers: Record<string, (res: import('node:http').ServerResponse) => void> = {
    broken: (res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('reference,provider_ref,amount,account,paid_at\r\n');
      for (let i = 0; i < 12_000; i++) res.write(`${FIRST_ID + BigInt(i)},MOBILE-${i},100.00,7000000000,2026-11-20T07:00:00.000Z\r\n`);
      // Cut mid-line, mid-stream: the connection dies with no end of the chunked body.
      res.write(`${FIRST_ID},MOB`);
      setTimeout(() => res.socket?.destroy(), 20);
    },
    longLine: (res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.end(`reference,provider_ref,amount,account,paid_at\r\n1,${'x'.repeat(10_000)},1.00,1,2026-11-20T07:00:00.000Z\r\n`);
    },
    badAmount: (res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.end('reference,provider_ref,amount,account,paid_at\r\n1,A,1.001,1,x\r\n');
    },
    badHeader: (res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.end('ref;amount\r\n1;1.00\r\n');
    },
    refused: (res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"status":"error","code":"BAD_REQUEST","message":"registry: day is not a date"}');
    },
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const answer = answers[(req.url ?? '').split('/')[1] ?? ''];
      if (answer) answer(res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each([
    ['broken', /^provider list: registry line \d+: /],
    ['longLine', /^provider list: registry line \d+: .*(max_record_size|record size)/i],
    ['badAmount', /^provider list: registry line 2: amount "1\.001" is not an amount/],
    ['badHeader', /^provider list: registry line \d+: .*header is "ref;amount"/],
    ['refused', /^provider list: registry answered HTTP 400: registry: day is not a date$/],
  ])('%s: the run is failed with the reason, keeps no items and nothing staged', async (name, reason) => {
    const report = await reconcileProviderDay(h.db, adapter(`${base}/${name}`), day.day, { confirm: false });
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(reason);
    expect(report.items).toEqual([]);
    const row = (await h.db.query<{ status: string; error: string; matched_count: number }>('SELECT status, error, matched_count FROM reconciliation_runs WHERE id = $1', [report.runId])).rows[0];
    expect(row).toMatchObject({ status: 'failed', error: report.error, matched_count: 0 });
    expect(await itemCount(report.runId)).toBe(0);
    expect(await stagedCount(report.runId)).toBe(0);
  });
});
