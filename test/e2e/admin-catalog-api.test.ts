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
