/**
 * The engine's operator services behind the console's catalog, Elsom and reconciliation pages, on the real store:
 * a service disabled is refused by the agent API at once (the cache is dropped), limits are checked, each change
 * commits with its audit entry; an Elsom terminal is created, changed (a blank password keeps the old one) and its
 * PAYMENT_LIST lines are the succeeded payments of the mapped service; an audited reconciliation run is stored
 * (its progress in the store: test/engine/reconciliation-runs.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setServiceEnabled, setServiceLimits, testServiceInput } from '../../src/engine/catalog-admin.ts';
import { configureElsomTerminal, elsomPaymentList, elsomTerminalOf } from '../../src/engine/elsom-terminal-admin.ts';
import { findReconciliationRun, listReconciliationRuns } from '../../src/engine/reconciliation-runs.ts';
import { listAudit, verifyAuditChain } from '../../src/engine/audit.ts';
import type { Actor } from '../../src/engine/sessions.ts';
import { agentApi, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

let h: Harness;
const actor: Actor = { principal: { kind: 'operator', id: 1n, login: 'cat', role: 'admin' }, ip: '192.0.2.9' };

beforeAll(async () => {
  h = await startTolem();
}, 60_000);
afterAll(async () => h?.close());

const body = (service: string, account: string, id: number, amount: string) =>
  `{"serviceId":"${service}","account":"${account}","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;

describe('catalog changes', () => {
  it('a disabled service is refused by the agent API at once, enabled it pays again; both audited', async () => {
    const { catalog, clock } = h.tolem.ctx;
    const agent = await newAgent(h.db);
    const api = agentApi(h.url, agent.token);
    expect(num((await api('pay', body('P1011', '7770017711', 1, '100.00'))).body.result)).toBe('0');
    await catalog.all(); // the cache is warm: the change must drop it
    expect(await setServiceEnabled(h.db, catalog, actor, 'P1011', false, clock)).toBe(true);
    expect(await setServiceEnabled(h.db, catalog, actor, 'P1011', false, clock)).toBe(false); // already so: no entry
    expect(num((await api('pay', body('P1011', '7770017711', 2, '100.00'))).body.result)).not.toBe('0');
    expect(await setServiceEnabled(h.db, catalog, actor, 'P1011', true, clock)).toBe(true);
    expect(num((await api('pay', body('P1011', '7770017711', 3, '100.00'))).body.result)).toBe('0');
    const audit = await listAudit(h.db, { targetKind: 'service', targetId: 'P1011' });
    expect(audit.entries.map((entry) => [entry.action, entry.after])).toEqual([['catalog.enable', { enabled: true }], ['catalog.enable', { enabled: false }]]);
    await expect(setServiceEnabled(h.db, catalog, actor, 'NOPE', false, clock)).rejects.toMatchObject({ code: 'service_not_found' });
    expect((await verifyAuditChain(h.db)).ok).toBe(true);
  });

  it('limits: 0 < min ≤ max, applied at once', async () => {
    const { catalog, clock } = h.tolem.ctx;
    await expect(setServiceLimits(h.db, catalog, actor, 'P0007', { minMinor: 500n, maxMinor: 100n }, clock)).rejects.toMatchObject({ code: 'bad_limits' });
    await expect(setServiceLimits(h.db, catalog, actor, 'P0007', { minMinor: 0n, maxMinor: 100n }, clock)).rejects.toMatchObject({ code: 'bad_limits' });
    await setServiceLimits(h.db, catalog, actor, 'P0007', { minMinor: 150n, maxMinor: 9_000_000n }, clock);
    expect(await catalog.get('P0007')).toMatchObject({ minMinor: 150n, maxMinor: 9_000_000n });
    const [entry] = (await listAudit(h.db, { targetKind: 'service', targetId: 'P0007' })).entries;
    expect(entry).toMatchObject({ action: 'catalog.limits' });
  });

  it('tests a value against an input\'s regexp as check and pay do', async () => {
    const service = (await h.tolem.ctx.catalog.get('K1001'))!;
    expect(testServiceInput(service, 'account', '996555123456')).toEqual({ ok: true, matches: true, required: expect.any(Boolean) });
    expect(testServiceInput(service, 'account', '99655512345')).toMatchObject({ ok: true, matches: false });
    expect(testServiceInput(service, 'nope', 'x')).toEqual({ ok: false, reason: 'no_such_input' });
    expect(testServiceInput({ ...service, inputs: [{ name: 'a', required: true, title: 'A', regexp: '([' }] }, 'a', 'x')).toEqual({ ok: false, reason: 'bad_regexp' });
  });
});

describe('Elsom terminals', () => {
  it('creates, changes and lists a terminal; a blank password keeps the old hash; PAYMENT_LIST lines follow the map', async () => {
    const { clock, engine } = h.tolem.ctx;
    const agent = await newAgent(h.db, { name: 'Elsom console', currency: 'KGS' });
    await expect(configureElsomTerminal(h.db, actor, agent.id, { terminalId: '9911', login: 'e', ipAllow: [], services: [] }, clock)).rejects.toMatchObject({ code: 'bad_elsom_terminal' });
    await configureElsomTerminal(h.db, actor, agent.id, { terminalId: '9911', login: 'elsom-1', password: 'first pass', ipAllow: ['10.0.0.0/8'], services: [{ elsomServiceId: '5132', serviceId: 'K1001' }] }, clock);
    const hash = async () => (await h.db.query<{ password_sha256: string }>('SELECT password_sha256 FROM elsom_terminals WHERE agent_id = $1', [agent.id])).rows[0]!.password_sha256;
    const first = await hash();
    await configureElsomTerminal(h.db, actor, agent.id, { terminalId: '9911', login: 'elsom-2', ipAllow: [], services: [{ elsomServiceId: '6000', serviceId: 'K2001', wholeAmounts: true }] }, clock);
    expect(await hash()).toBe(first);
    expect(await elsomTerminalOf(h.db, agent.id)).toMatchObject({ terminalId: '9911', login: 'elsom-2', ipAllow: [], services: [{ elsomServiceId: '6000', serviceId: 'K2001', wholeAmounts: true }] });
    await configureElsomTerminal(h.db, actor, agent.id, { terminalId: '9911', login: 'elsom-2', password: 'second pass', ipAllow: [], services: [{ elsomServiceId: '5132', serviceId: 'K1001' }] }, clock);
    expect(await hash()).not.toBe(first);
    const other = await newAgent(h.db, { name: 'Other', currency: 'KGS' });
    await expect(configureElsomTerminal(h.db, actor, other.id, { terminalId: '9911', login: 'x', password: 'p', ipAllow: [], services: [] }, clock)).rejects.toMatchObject({ code: 'elsom_terminal_taken' });
    await expect(configureElsomTerminal(h.db, actor, other.id, { terminalId: '9912', login: 'x', password: 'p', ipAllow: [], services: [{ elsomServiceId: '1', serviceId: 'NOPE' }] }, clock)).rejects.toMatchObject({ code: 'unknown_service' });
    const audit = await listAudit(h.db, { targetKind: 'agent', targetId: String(agent.id) });
    expect(audit.entries.filter((entry) => entry.action === 'agents.elsom_terminal')).toHaveLength(3);
    expect(JSON.stringify(audit.entries, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toMatch(/first pass|second pass/);

    const api = agentApi(h.url, agent.token);
    expect(num((await api('pay', body('K1001', '996555123456', 41, '50.00'))).body.result)).toBe('0');
    expect(num((await api('pay', body('K2001', '12345678', 42, '70.00'))).body.result)).toBe('0');
    const from = new Date(clock.now().getTime() - 3_600_000);
    const to = new Date(clock.now().getTime() + 3_600_000);
    const lines = await elsomPaymentList(h.db, engine, agent.id, '5132', from, to);
    expect(lines?.map((line) => [line.transactionNumber, line.account, line.amountMinor])).toEqual([['41', '996555123456', 5_000n]]);
    expect(await elsomPaymentList(h.db, engine, agent.id, '6000', from, to)).toBeUndefined(); // no longer mapped
  });
});

describe('reconciliation tasks', () => {
  it('an audited run through the admin services is stored and listed with its items', async () => {
    const admin = h.tolem.ctx.admin;
    const report = await admin.reconciliation.run(actor, 'alseco', '2026-11-20', { confirm: false });
    const runs = await listReconciliationRuns(h.db, 'alseco');
    expect(runs[0]).toMatchObject({ id: report.runId, provider: 'alseco', day: '2026-11-20', status: report.status });
    const found = await findReconciliationRun(h.db, report.runId);
    expect(found?.items).toHaveLength(report.items.length);
    expect(await findReconciliationRun(h.db, 987_654_321n)).toBeUndefined();
  });
});
