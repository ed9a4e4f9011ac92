/**
 * Access control of the console's catalog, reconciliation and Elsom routes over HTTP: no session → the login; a
 * viewer reads and tries a regexp but changes nothing and runs nothing; an operator runs a reconciliation but cannot
 * change the catalog or an Elsom terminal; an admin can. Every change is in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator } from '../../src/engine/operators.ts';
import { listAudit } from '../../src/engine/audit.ts';
import { newAgent, startTolem, type Harness } from '../helpers/harness.ts';
import { PanelClient } from '../helpers/panel.ts';

let h: Harness;
let agentId: bigint;
const PASSWORD = 'correct horse battery';

const PAGES = ['/catalog', '/catalog/P1011', '/reconciliation', '/reconciliation/runs/1', '/reconciliation/runs/1/items.csv', '/reconciliation/tasks/abc', '/reconciliation/tasks/abc.json', '/elsom-list'];
const READ_ACTIONS = ['/catalog/P1011/test'];
const OPERATOR_ACTIONS = ['/reconciliation'];
const ADMIN_ACTIONS = ['/catalog/P1011/enabled', '/catalog/P1011/limits', '/agents/1/elsom-terminal', '/catalog/P1011/inputs', '/catalog/P1011/fee', '/catalog/P1011/route'];
/** The edit pages of a service's inputs, fee rule and route: an admin's only (catalog.configure). */
const ADMIN_PAGES = ['/catalog/P1011/inputs', '/catalog/P1011/fee', '/catalog/P1011/route'];

beforeAll(async () => {
  h = await startTolem({ jobs: false });
  const clock = h.tolem.ctx.clock;
  for (const [login, role] of [['root', 'admin'], ['olga', 'operator'], ['vera', 'viewer']] as const) {
    await createOperator(h.db, { login, password: PASSWORD, role }, clock);
  }
  agentId = (await newAgent(h.db, { name: 'Catalog access agent' })).id;
}, 60_000);
afterAll(async () => h?.close());

async function signedIn(login: string): Promise<PanelClient> {
  const client = new PanelClient(h.url, '/console');
  expect((await client.login(login, PASSWORD)).status).toBe(303);
  return client;
}

describe('console catalog, reconciliation and Elsom access', () => {
  it('sends every page and action to the login without a session', async () => {
    const anonymous = new PanelClient(h.url, '/console');
    for (const path of [...PAGES, ...ADMIN_PAGES]) {
      const answer = await anonymous.get(path);
      expect(answer.status, path).toBe(303);
      expect(answer.location, path).toMatch(/^\/console\/login\?next=/);
    }
    for (const path of [...READ_ACTIONS, ...OPERATOR_ACTIONS, ...ADMIN_ACTIONS]) {
      const answer = await anonymous.post(path, { _csrf: 'x' });
      expect(answer.status, path).toBe(303);
      expect(answer.location, path).toMatch(/^\/console\/login/);
    }
  });

  it('lets a viewer read and test a regexp, and nothing else', async () => {
    const viewer = await signedIn('vera');
    for (const path of PAGES) expect([200, 404], path).toContain((await viewer.get(path)).status);
    const catalog = await viewer.get('/catalog');
    expect(catalog.text).toContain('P1011');
    expect(catalog.text).not.toContain('id="toggle-service"');
    expect((await viewer.get('/catalog/P1011')).text).not.toContain('id="edit-inputs"');
    for (const path of ADMIN_PAGES) expect((await viewer.get(path)).status, path).toBe(403);
    const tested = await viewer.post('/catalog/P1011/test', { input: 'account', value: '7770017711' });
    expect(tested.status).toBe(200);
    expect(tested.text).toContain('data-matches="true"');
    expect((await viewer.post('/catalog/P1011/test', { input: 'account', value: '77x' })).text).toContain('data-matches="false"');
    for (const path of [...OPERATOR_ACTIONS, ...ADMIN_ACTIONS]) {
      expect((await viewer.post(path, { enabled: 'off', min: '1.00', max: '2.00', provider: 'alseco', day: '2026-11-21' })).status, path).toBe(403);
    }
    expect((await h.tolem.ctx.catalog.get('P1011'))?.enabled).toBe(true);
    // A route's configuration is shown with its secrets masked.
    await h.db.query(`UPDATE services SET provider_config = '{"url":"https://partner.example","password":"route secret"}' WHERE service_id = 'P0006'`);
    h.tolem.ctx.catalog.invalidate();
    const route = await viewer.get('/catalog/P0006');
    expect(route.text).toContain('partner.example');
    expect(route.text).not.toContain('route secret');
  });

  it('lets an operator run a reconciliation but not change the catalog or a terminal', async () => {
    const operator = await signedIn('olga');
    for (const path of ADMIN_PAGES) expect((await operator.get(path)).status, path).toBe(403);
    const version = (await h.tolem.ctx.admin.catalog.edit('P1011'))!.version;
    const attempts: Record<string, Record<string, string>> = {
      '/catalog/P1011/inputs': { version, rows: '1', name_0: 'account', title_0: 'x', regexp_0: '^.*$', required_0: 'on', intent: 'save' },
      '/catalog/P1011/fee': { version, kind: 'any', intent: 'save' },
      '/catalog/P1011/route': { version, provider: 'sandbox-shop' },
    };
    for (const [path, fields] of Object.entries(attempts)) expect((await operator.post(path, fields)).status, path).toBe(403);
    expect((await h.tolem.ctx.admin.catalog.edit('P1011'))!.version).toBe(version); // nothing changed
    for (const path of ADMIN_ACTIONS) {
      expect((await operator.post(path, { enabled: 'off', min: '1.00', max: '2.00', terminalId: '77', login: 'x', password: 'y' })).status, path).toBe(403);
    }
    const started = await operator.post('/reconciliation', { provider: 'alseco', day: '2026-11-21' });
    expect(started.status).toBe(303);
    expect(started.location).toMatch(/^\/console\/reconciliation\/tasks\/[\w-]+$/);
    const task = started.location!.slice('/console'.length);
    expect([200, 303]).toContain((await operator.get(task)).status); // the progress page, or the run once stored
    const polled = async () => JSON.parse((await operator.get(`${task}.json`)).text) as { state: string; done: number; total: number; runId?: string };
    for (let i = 0; i < 100 && (await polled()).state === 'running'; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const finished = await polled();
    expect(finished.state).not.toBe('running');
    expect(finished.runId).toMatch(/^\d+$/);
    expect((await operator.get(`/reconciliation/runs/${finished.runId}`)).status).toBe(200);
    // Every adapter reconciles now (the sandbox providers through their registry route): a provider that is none is refused.
    expect((await operator.post('/reconciliation', { provider: 'sandbox-nothing', day: '2026-11-21' })).location).toContain('err=not_found');
    expect((await operator.post('/reconciliation', { provider: 'alseco', day: '21.11.2026' })).location).toContain('err=bad_day');
    expect((await operator.post('/reconciliation', { provider: 'alseco', day: '2026-11-21' }, { csrf: false })).status).toBe(403);
  });

  it('lets an admin edit inputs, the fee rule and the route: errors in the form in the operator\'s language, a stale form is a conflict, each save audited', async () => {
    const admin = await signedIn('root');
    const page = await admin.get('/catalog/P1012/inputs');
    expect(page.status).toBe(200);
    const version = /name="version" value="([0-9a-f]{16})"/.exec(page.text)![1]!;
    const rows = (fields: Record<string, string>) => ({ version, rows: '2', name_0: 'ev_account1', title_0: 'Номер', required_0: 'on', order_0: '1', name_1: 'ev_account2', title_1: 'Второй', order_1: '2', regexp_1: '^\\d{10}$', intent: 'save', ...fields });
    const unsafe = await admin.post('/catalog/P1012/inputs', rows({ regexp_0: '^(\\d+)+$' }));
    expect(unsafe.status).toBe(400);
    expect(unsafe.text).toContain('катастрофический перебор');
    expect(unsafe.text).toContain('id="regexp-error-0"');
    expect(unsafe.text).toContain('value="^(\\d+)+$"'); // what was typed stays in the form
    const english = await admin.post('/catalog/P1012/inputs?lang=en', rows({ regexp_0: '\\d{10}' }));
    expect(english.text).toContain('must start with ^ and end with $');
    const tested = await admin.post('/catalog/P1012/inputs', rows({ regexp_0: '^\\d{11}$', sample_0: '12345678901', intent: 'test' }));
    expect(tested.status).toBe(200);
    expect(tested.text).toContain('id="tested-0" data-matches="true"');
    expect((await h.tolem.ctx.admin.catalog.edit('P1012'))!.version).toBe(version); // "check" saves nothing
    const saved = await admin.post('/catalog/P1012/inputs', rows({ regexp_0: '^\\d{11}$' }));
    expect(saved.location).toContain('ok=inputs_saved');
    expect((await h.tolem.ctx.catalog.get('P1012'))?.inputs.map((input) => input.regexp)).toEqual(['^\\d{11}$', '^\\d{10}$']);
    const stale = await admin.post('/catalog/P1012/inputs?lang=ru', rows({ regexp_0: '^\\d{12}$' }));
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('другой оператор');

    const fee = await admin.get('/catalog/P1012/fee');
    const feeVersion = /name="version" value="([0-9a-f]{16})"/.exec(fee.text)![1]!;
    const preview = await admin.post('/catalog/P1012/fee', { version: feeVersion, kind: 'percent', percent: '2.5', floor: '1.00', min: '9.99', sample: '100.99', intent: 'preview' });
    expect(preview.text).toContain('data-min="0.00" data-max="2.52"'); // a percent's floor (1.00) is below 2.5 %; a range's min is not read
    const floored = await admin.post('/catalog/P1012/fee', { version: feeVersion, kind: 'percent', percent: '2.5', floor: '3.00', sample: '100.99', intent: 'preview' });
    expect(floored.text).toContain('data-max="3.00"');
    const badFee = await admin.post('/catalog/P1012/fee', { version: feeVersion, kind: 'range', min: '1e3', max: '5', intent: 'save' });
    expect(badFee.status).toBe(400);
    expect(badFee.text).toContain('не больше двух знаков');
    expect((await admin.post('/catalog/P1012/fee', { version: feeVersion, kind: 'range', min: '0.50', max: '3.00', intent: 'save' })).location).toContain('ok=fee_saved');
    expect((await h.tolem.ctx.catalog.get('P1012'))?.feeRule).toEqual({ kind: 'range', minMinor: '50', maxMinor: '300' });

    const route = await admin.get('/catalog/P1012/route');
    const routeVersion = /name="version" value="([0-9a-f]{16})"/.exec(route.text)![1]!;
    expect(route.text).toContain('<option value="alseco"');
    const unknown = await admin.post('/catalog/P1012/route', { version: routeVersion, provider: 'sandbox-nowhere' });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('нет в реестре');
    expect((await admin.post('/catalog/P1012/route', { version: routeVersion, provider: 'sandbox-shop', config: '[1' })).status).toBe(400);
    expect((await admin.post('/catalog/P1012/route', { version: routeVersion, provider: 'sandbox-shop', config: '{"code":"S-1"}' })).location).toContain('ok=route_saved');
    expect((await h.tolem.ctx.catalog.get('P1012'))?.providerConfig).toEqual({ code: 'S-1' });
    expect((await admin.post('/catalog/P1012/route', { provider: 'sandbox-shop' }, { csrf: false })).status).toBe(403);

    const actions = (await listAudit(h.db, { targetKind: 'service', targetId: 'P1012' })).entries.map((entry) => entry.action);
    expect(actions).toEqual(['catalog.route', 'catalog.fee_rule', 'catalog.inputs']);
  });

  it('lets an admin disable a service, change its limits and set an Elsom terminal, each audited', async () => {
    const admin = await signedIn('root');
    const disabled = await admin.post('/catalog/P1013/enabled', { enabled: 'off' });
    expect(disabled.location).toContain('ok=service_disabled');
    expect((await h.tolem.ctx.catalog.get('P1013'))?.enabled).toBe(false);
    expect((await admin.post('/catalog/P1013/enabled', { enabled: 'on' })).location).toContain('ok=service_enabled');
    expect((await admin.post('/catalog/P1013/limits', { min: '5.00', max: '1.00' })).location).toContain('err=bad_limits');
    expect((await admin.post('/catalog/P1013/limits', { min: '2.00', max: '90000.00' })).location).toContain('ok=limits_saved');
    expect((await h.tolem.ctx.catalog.get('P1013'))?.minMinor).toBe(200n);
    expect((await admin.post('/catalog/NOPE/enabled', { enabled: 'off' })).location).toContain('err=not_found');
    const terminal = await admin.post(`/agents/${agentId}/elsom-terminal`, { terminalId: '4242', login: 'elsom-a', password: 'elsom secret', ipAllow: '', services: '5132=K1001:whole' });
    expect(terminal.location).toContain('ok=elsom_saved');
    const page = await admin.get(`/agents/${agentId}`);
    expect(page.text).toContain('4242');
    expect(page.text).toContain('5132');
    expect(page.text).not.toContain('elsom secret');
    expect((await admin.post(`/agents/${agentId}/elsom-terminal`, { terminalId: '4242', login: 'elsom-a', services: '5132=NOPE' })).location).toContain('err=unknown_service');
    const actions = (await listAudit(h.db, {}, { limit: 50 })).entries.map((entry) => entry.action);
    expect(actions).toEqual(expect.arrayContaining(['catalog.enable', 'catalog.limits', 'agents.elsom_terminal']));
    const audited = JSON.stringify((await listAudit(h.db, {}, { limit: 50 })).entries.filter((entry) => entry.action === 'agents.elsom_terminal'), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    expect(audited).not.toContain('elsom secret');
  });
});
