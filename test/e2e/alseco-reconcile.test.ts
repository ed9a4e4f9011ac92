/**
 * Reconciliation of an Alseco day with planted mismatches: each is found, classified and given its action; the run is
 * stored and exported as CSV; once corrected, the clean day is confirmed (GetBankDayChecks) and GetReport108e imported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentApi, clockAt, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import { alsecoAdmin, alsecoBody, nextTxnId } from '../helpers/alseco.ts';
import { AlsecoProviderAdapter } from '../../src/providers/alseco/index.ts';
import { loadConfig } from '../../src/config.ts';
import { reconcileProviderDay, reconciliationCsv } from '../../src/engine/reconcile.ts';
import { businessDay } from '../../src/domain/time.ts';

let h: Harness;
let api: ReturnType<typeof agentApi>;
let admin: ReturnType<typeof alsecoAdmin>;
let adapter: AlsecoProviderAdapter;
let agentId: bigint;
// A fixed day in the middle of a month: the day's payments, Alseco's lists and the reconciliation all see it.
const clock = clockAt('2026-03-16T10:00:00+05:00');
const day = () => businessDay(clock.now(), 300);

beforeAll(async () => {
  h = await startTolem({ clock });
  const agent = await newAgent(h.db);
  agentId = agent.id;
  api = agentApi(h.url, agent.token);
  admin = alsecoAdmin(h.url);
  adapter = new AlsecoProviderAdapter(loadConfig({}).alseco, () => `${h.url}/sandbox`, clock);
});
afterAll(async () => h?.close());

async function pay(account: string, amountMinor: bigint): Promise<{ transactionId: string; agentTxnId: bigint }> {
  const id = nextTxnId();
  const answer = await api('pay', alsecoBody({ account, id, lines: [{ subServiceId: '45', amountMinor }] }));
  expect(num(answer.body.result)).toBe('0');
  return { transactionId: num(answer.body.transactionId), agentTxnId: BigInt(id) };
}

describe('reconcile alseco', () => {
  const refs: Record<string, string> = {};
  let firstPaid: { transactionId: string; agentTxnId: bigint };

  it('finds every planted mismatch: missing at Alseco, missing at Tolem, amount mismatch, and the matched rest', async () => {
    firstPaid = await pay('0000100110', 10_000n);
    await pay('0000100116', 20_000n);
    await pay('0000100117', 30_000n);
    refs.lost = (await pay('0000100110', 40_000n)).transactionId;
    refs.changed = (await pay('0000100116', 50_000n)).transactionId;
    refs.foreign = '900000000000123';
    await admin.erase(refs.lost);
    await admin.changeSum(refs.changed, '499.99');
    await admin.plant({ sysRef: refs.foreign, accountId: 100117, paySum: '777.00' });

    const progress: [number, number][] = [];
    const report = await reconcileProviderDay(h.db, adapter, day(), { clock, onProgress: (done, total) => progress.push([done, total]) });
    expect(report.status).toBe('mismatches');
    expect(report.counts).toEqual({ matched: 3, missing_at_provider: 1, missing_at_tolem: 1, amount_mismatch: 1 });
    expect(report.tolemCount).toBe(5);
    expect(report.providerCount).toBe(5);
    expect(progress.at(-1)).toEqual([6, 6]);
    const byRef = new Map(report.items.map((item) => [item.reference, item]));
    expect(byRef.get(refs.lost)).toMatchObject({ kind: 'missing_at_provider', tolemAmountMinor: 40_000n, providerAmountMinor: null });
    expect(byRef.get(refs.lost)!.action).toMatch(/re-send it with the same reference/);
    expect(byRef.get(refs.changed)).toMatchObject({ kind: 'amount_mismatch', tolemAmountMinor: 50_000n, providerAmountMinor: 49_999n });
    expect(byRef.get(refs.foreign)).toMatchObject({ kind: 'missing_at_tolem', paymentId: null, providerAmountMinor: 77_700n });
    expect(byRef.get(refs.foreign)!.action).toMatch(/roll it back at the provider/);
    // Differences: the day is not confirmed to Alseco, and its 108e report is not ready ("День не отмечен").
    expect(report.confirmation.attempted).toBe(false);
    expect(report.settlement.status).toBe('empty');
    expect(report.settlement.message).toContain('День не отмечен');

    const stored = await h.db.query<{ status: string; matched_count: number; mismatch_count: number }>(
      `SELECT status, matched_count, mismatch_count FROM reconciliation_runs WHERE id = $1`, [report.runId]);
    expect(stored.rows[0]).toEqual({ status: 'mismatches', matched_count: 3, mismatch_count: 3 });
    const csv = await reconciliationCsv(h.db, report.runId);
    const rows = csv.trimEnd().split('\r\n');
    expect(rows[0]).toBe('kind,reference,payment_id,provider_ref,account,tolem_state,tolem_amount,provider_amount,action');
    expect(rows).toHaveLength(7);
    expect(rows.find((row) => row.startsWith(`amount_mismatch,${refs.changed},`))).toContain(',500.00,499.99,');
    expect(rows.find((row) => row.startsWith(`missing_at_tolem,${refs.foreign},`))).toContain(',,777.00,');
    expect(rows.find((row) => row.startsWith(`missing_at_provider,${refs.lost},`))).toContain(',400.00,,');
    await expectLedgerBalanced(h.db);
  });

  it('once the differences are corrected, the clean day is confirmed with GetBankDayChecks and GetReport108e is imported', async () => {
    await admin.plant({ sysRef: refs.lost!, accountId: 100110, paySum: '400.00' });
    await admin.changeSum(refs.changed!, '500.00');
    await admin.erase(refs.foreign!);
    const report = await reconcileProviderDay(h.db, adapter, day(), { clock });
    expect(report.status).toBe('clean');
    expect(report.counts).toEqual({ matched: 5, missing_at_provider: 0, missing_at_tolem: 0, amount_mismatch: 0 });
    expect(report.confirmation).toMatchObject({ attempted: true, confirmed: true });
    expect(report.settlement.status).toBe('imported');
    expect(report.settlement.totalMinor).toBe(150_000n);
    const statement = await h.db.query<{ status: string; total_minor: bigint; lines: bigint }>(
      `SELECT s.status, s.total_minor, (SELECT count(*) FROM settlement_lines l WHERE l.statement_id = s.id) AS lines
         FROM settlement_statements s WHERE provider = 'alseco' AND business_day = $1`, [day()]);
    expect(statement.rows[0]).toEqual({ status: 'imported', total_minor: 150_000n, lines: 2n });
    // Confirmed payments are moved to processing: no rollback any more, and the agent is told so.
    const cancel = await h.tolem.ctx.engine.cancel(agentId, firstPaid.agentTxnId, 'after the day check');
    expect(cancel.kind).toBe('refused');
    const moved = (await admin.payments()).payments.filter((p) => p.sysRef === firstPaid.transactionId);
    expect(moved[0]!.moved).toBe(true);
    expect(moved[0]!.rolledBack).toBe(false);
    await expectLedgerBalanced(h.db);
  });

  it('a provider that cannot be reached makes a failed run, stored with its reason', async () => {
    await admin.faults({ http500Rate: 1, methods: ['GetNotMovedPays'], times: 1 });
    const report = await reconcileProviderDay(h.db, adapter, day(), { clock });
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/HTML page/);
    const stored = await h.db.query<{ status: string; error: string }>(`SELECT status, error FROM reconciliation_runs WHERE id = $1`, [report.runId]);
    expect(stored.rows[0]!.status).toBe('failed');
  });
});
