/**
 * The admin API's catalog, Elsom terminal and reconciliation-run routes over HTTP: by role (viewer reads and tests a
 * regexp, an operator cannot change the catalog, an admin can), with the agent API seeing a disabled service at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ACTOR } from '../../src/engine/sessions.ts';
import { agentApi, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

let h: Harness;
let base: string;

interface Answer { status: number; body: any }

class Client {
  cookie = '';
  csrf = '';
  async call(method: string, path: string, body?: unknown): Promise<Answer> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.csrf ? { 'x-csrf-token': this.csrf } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0]!;
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
}

async function operator(login: string, role: 'admin' | 'operator' | 'viewer'): Promise<Client> {
  await h.tolem.ctx.admin.operators.create(LOCAL_ACTOR, { login, password: `${login} password`, role });
  const client = new Client();
  const answer = await client.call('POST', '/session', { login, password: `${login} password` });
  expect(answer.status).toBe(200);
  client.csrf = answer.body.csrfToken;
  return client;
}

beforeAll(async () => {
  h = await startTolem({ jobs: false });
  base = `${h.url}/api/admin/v1`;
}, 60_000);
afterAll(async () => h?.close());

const pay = (id: number) =>
  `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":100.00,"amountFrom":100.00}`;

describe('admin API: catalog, Elsom terminals, reconciliation runs', () => {
  it('enables and disables services, sets limits and tests regexps by role', async () => {
    const [viewer, ops, admin] = [await operator('cv', 'viewer'), await operator('co', 'operator'), await operator('ca', 'admin')];
    const agent = await newAgent(h.db);
    expect((await viewer.call('POST', '/services/P1011/inputs/test', { input: 'account', value: '7770017711' })).body).toMatchObject({ ok: true, matches: true });
    expect((await viewer.call('POST', '/services/NOPE/inputs/test', { input: 'account', value: '1' })).status).toBe(404);
    expect((await viewer.call('PUT', '/services/P1011/enabled', { enabled: false })).status).toBe(403);
    expect((await ops.call('PUT', '/services/P1011/enabled', { enabled: false })).status).toBe(403);
    expect((await admin.call('PUT', '/services/P1011/enabled', { enabled: false })).body).toEqual({ changed: true });
    expect(num((await agentApi(h.url, agent.token)('pay', pay(1))).body.result)).not.toBe('0');
    expect((await admin.call('PUT', '/services/P1011/enabled', { enabled: true })).body).toEqual({ changed: true });
    expect(num((await agentApi(h.url, agent.token)('pay', pay(2))).body.result)).toBe('0');
    expect((await admin.call('PUT', '/services/P1011/limits', { minMinor: '100', maxMinor: '50' })).status).toBe(400);
    expect((await admin.call('PUT', '/services/P1011/limits', { minMinor: '100', maxMinor: '5000000' })).body).toMatchObject({ minMinor: '100', maxMinor: '5000000' });
  });

  it('edits inputs, the fee rule and the route: admin only, validated, versioned, audited, obeyed by the agent API at once', async () => {
    const [viewer, ops, admin] = [await operator('ev', 'viewer'), await operator('eo2', 'operator'), await operator('ea2', 'admin')];
    const agent = await newAgent(h.db);
    const api = agentApi(h.url, agent.token);
    const shown = await viewer.call('GET', '/services/P1013');
    expect(shown.body).toMatchObject({ service: { serviceId: 'P1013', inputs: [{ name: 'account', regexp: '^\\d{10}$' }] }, version: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect((await viewer.call('GET', '/services/NOPE')).status).toBe(404);
    expect((await viewer.call('GET', '/providers')).body.providers).toEqual(expect.arrayContaining(['alseco', 'sandbox-mobile', 'sandbox-mobile-kcell']));
    const version = shown.body.version as string;
    const inputs = [{ name: 'account', title: 'Телефон', regexp: '^8\\d{9}$', required: true }];
    for (const client of [viewer, ops]) {
      expect((await client.call('PUT', '/services/P1013/inputs', { version, inputs })).status).toBe(403);
      expect((await client.call('PUT', '/services/P1013/fee-rule', { version, rule: { kind: 'any' } })).status).toBe(403);
      expect((await client.call('PUT', '/services/P1013/route', { version, provider: 'sandbox-mobile' })).status).toBe(403);
    }
    // Reads only: the regexp and fee previews are anyone's.
    expect((await viewer.call('POST', '/services/P1013/regexp/test', { regexp: '^8\\d{9}$', value: '8770017711' })).body).toEqual({ ok: true, matches: true });
    expect((await viewer.call('POST', '/services/P1013/regexp/test', { regexp: '^(\\d+)+$', value: '1' })).body).toEqual({ ok: false, reason: 'regexp_unsafe' });
    expect((await viewer.call('POST', '/services/P1013/fee-rule/preview', { rule: { kind: 'percent', percent: '1.5' }, amount: '1000.00' })).body)
      .toEqual({ amountToMinor: '100000', minMinor: '0', maxMinor: '1500', maxAmountFromMinor: '101500' });
    expect((await viewer.call('POST', '/services/P1013/fee-rule/preview', { rule: { kind: 'percent', percent: '1.5' }, amount: '1.001' })).body.error.code).toBe('fee_bad_sample');

    const bad = await admin.call('PUT', '/services/P1013/inputs', { version, inputs: [{ ...inputs[0], regexp: '^(a|a)*$' }] });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'regexp_slow' } } });
    const saved = await admin.call('PUT', '/services/P1013/inputs', { version, inputs });
    expect(saved.status).toBe(200);
    expect(num((await api('pay', `{"serviceId":"P1013","account":"7770017711","agentTransactionId":51,"agentTransactionDate":"2026-11-22T10:00:00","amountTo":100.00,"amountFrom":100.00}`)).body.result)).toBe('4');
    expect((await admin.call('PUT', '/services/P1013/fee-rule', { version, rule: { kind: 'any' } }))).toMatchObject({ status: 409, body: { error: { code: 'version_conflict' } } });
    const fee = await admin.call('PUT', '/services/P1013/fee-rule', { version: saved.body.version, rule: { kind: 'range', min: '1.00', max: '2.00' } });
    expect(fee.body.service.feeRule).toEqual({ kind: 'range', minMinor: '100', maxMinor: '200' });
    expect((await admin.call('PUT', '/services/P1013/fee-rule', { version: fee.body.version, rule: { kind: 'range', min: 1, max: 2 } })).status).toBe(400); // numbers are not exact decimals
    expect((await admin.call('PUT', '/services/P1013/route', { version: fee.body.version, provider: 'nowhere' })).body.error.code).toBe('unknown_provider');
    const routed = await admin.call('PUT', '/services/P1013/route', { version: fee.body.version, provider: 'sandbox-mobile-kcell', providerConfig: { code: 'KC' } });
    expect(routed.body.service).toMatchObject({ provider: 'sandbox-mobile-kcell', providerConfig: { code: 'KC' } });
    const audit = await admin.call('GET', '/audit?action=catalog.&limit=10');
    const mine = audit.body.entries.filter((entry: any) => entry.targetId === 'P1013').map((entry: any) => entry.action);
    expect(mine).toEqual(['catalog.route', 'catalog.fee_rule', 'catalog.inputs']);
    const document = await viewer.call('GET', '/openapi.json');
    for (const path of ['/services/{serviceId}/inputs', '/services/{serviceId}/fee-rule', '/services/{serviceId}/route', '/services/{serviceId}/fee-rule/preview', '/services/{serviceId}/regexp/test', '/providers']) {
      expect(Object.keys(document.body.paths).some((key) => key.endsWith(path)), path).toBe(true);
    }
  });

  it('sets an agent\'s Elsom terminal (admin) and lists runs', async () => {
    const [ops, admin] = [await operator('eo', 'operator'), await operator('ea', 'admin')];
    const agent = await newAgent(h.db, { currency: 'KGS' });
    const terminal = { terminalId: '8800', login: 'el', password: 'el pass', services: [{ elsomServiceId: '5132', serviceId: 'K1001' }] };
    expect((await ops.call('PUT', `/agents/${agent.id}/elsom-terminal`, terminal)).status).toBe(403);
    expect((await admin.call('PUT', `/agents/${agent.id}/elsom-terminal`, terminal)).body).toMatchObject({ terminalId: '8800', login: 'el' });
    const shown = await ops.call('GET', `/agents/${agent.id}/elsom-terminal`);
    expect(JSON.stringify(shown.body)).not.toContain('el pass');
    const now = h.tolem.ctx.clock.now();
    const list = await ops.call('GET', `/agents/${agent.id}/elsom-payment-list?service=5132&from=${new Date(now.getTime() - 3_600_000).toISOString()}&to=${now.toISOString()}`);
    expect(list.body).toEqual({ lines: [] });
    expect((await ops.call('GET', `/reconciliations/runs`)).body).toEqual({ runs: [] });
    expect((await ops.call('GET', `/reconciliations/runs/1`)).status).toBe(404);
  });
});
