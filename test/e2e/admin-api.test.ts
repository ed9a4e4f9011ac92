import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ACTOR } from '../../src/engine/sessions.ts';
import { listenAdminSocket } from '../../src/admin/socket.ts';
import { agentApi, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import { adminOverSocket } from '../helpers/admin-socket.ts';

/** The admin API over HTTP (sessions, CSRF, roles, agents' own data) and over the Unix socket (the local administrator). */
let h: Harness;
let base: string;
let agentA: { id: bigint; token: string };
let agentB: { id: bigint; token: string };
const dir = mkdtempSync(join(tmpdir(), 'tolem-admin-'));

interface Answer { status: number; body: any }

class Client {
  cookie = '';
  csrf = '';
  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.csrf ? { 'x-csrf-token': this.csrf } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0]!;
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
  async login(login: string, password: string): Promise<Answer> {
    const answer = await this.call('POST', '/session', { login, password });
    if (answer.status === 200) this.csrf = answer.body.csrfToken;
    return answer;
  }
}

async function operator(login: string, role: 'admin' | 'operator' | 'viewer'): Promise<Client> {
  await h.tolem.ctx.admin.operators.create(LOCAL_ACTOR, { login, password: `${login} password`, role });
  const client = new Client();
  expect((await client.login(login, `${login} password`)).status).toBe(200);
  return client;
}

const overSocket = (path: string, method: string, url: string, body?: unknown): Promise<Answer> => adminOverSocket(path, method, url, body);

beforeAll(async () => {
  h = await startTolem();
  base = `${h.url}/api/admin/v1`;
  agentA = await newAgent(h.db, { name: 'Agent A' });
  agentB = await newAgent(h.db, { name: 'Agent B' });
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('admin API over HTTP', () => {
  it('without a session every route answers 401 in JSON; the document is public', async () => {
    const anonymous = new Client();
    expect(await anonymous.call('GET', '/agents')).toEqual({ status: 401, body: { error: { code: 'no_session', message: expect.any(String) } } });
    expect((await anonymous.call('POST', '/proposals', { kind: 'topup' })).status).toBe(401);
    expect((await anonymous.call('GET', '/nothing-here')).body.error.code).toBe('no_such_route');
    const doc = await anonymous.call('GET', '/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toContain('/proposals/{id}/approve');
    expect((await anonymous.login('nobody', 'whatever pw')).status).toBe(401);
  });

  it('a viewer reads but cannot act; an operator cannot manage operators; a state change needs the CSRF token', async () => {
    const viewer = await operator('viewer-a', 'viewer');
    const agents = await viewer.call('GET', '/agents');
    expect(agents.status).toBe(200);
    expect(agents.body.agents.find((a: { id: string }) => a.id === String(agentA.id)).availableMinor).toBe('10000000');
    expect((await viewer.call('POST', `/attention/1/resolve`, { note: 'x' })).status).toBe(403);
    expect((await viewer.call('POST', '/proposals', { kind: 'topup', agentId: String(agentA.id), amountMinor: '100', reason: 'x' })).status).toBe(403);
    const op = await operator('operator-a', 'operator');
    expect((await op.call('POST', '/operators', { login: 'x1', password: 'password x1', role: 'admin' })).status).toBe(403);
    expect((await op.call('GET', '/operators')).status).toBe(403);
    const noCsrf = await op.call('POST', `/agents/${agentA.id}/tokens`, {}, { 'x-csrf-token': 'wrong' });
    expect(noCsrf).toMatchObject({ status: 403, body: { error: { code: 'csrf' } } });
    const issued = await op.call('POST', `/agents/${agentA.id}/tokens`, { confirm: true });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ agentId: String(agentA.id), status: 'confirmed', id: expect.stringMatching(/^\d+$/) });
  });

  it('bad input is a 400 in JSON, never a 500', async () => {
    const op = await operator('operator-b', 'operator');
    expect((await op.call('GET', '/agents/abc')).body.error.code).toBe('bad_request');
    expect((await op.call('POST', '/proposals', '{"kind":')).status).toBe(400);
    expect((await op.call('POST', '/proposals', { kind: 'topup', agentId: String(agentA.id), amountMinor: '1.5', reason: 'x' })).status).toBe(400);
    expect((await op.call('GET', '/payments?state=lost')).status).toBe(400);
    expect((await op.call('GET', '/payments?from=yesterday')).status).toBe(400);
    expect((await op.call('GET', '/agents/999999')).status).toBe(404);
  });

  it('maker-checker through the API: the maker cannot approve; another operator can, once', async () => {
    const maker = await operator('maker-api', 'operator');
    const checker = await operator('checker-api', 'operator');
    const proposed = await maker.call('POST', '/proposals', { kind: 'topup', agentId: String(agentA.id), amountMinor: '50000', reason: 'wire 7' });
    expect(proposed.status).toBe(201);
    const id = proposed.body.proposal.id;
    expect((await maker.call('POST', `/proposals/${id}/approve`, {})).body.error.code).toBe('same_operator');
    const approved = await checker.call('POST', `/proposals/${id}/approve`, {});
    expect(approved.status).toBe(200);
    expect(approved.body.funds.availableMinor).toBe('10050000');
    expect((await checker.call('POST', `/proposals/${id}/approve`, {})).status).toBe(409);
    expect((await maker.call('POST', `/agents/${agentA.id}/topup`, { amountMinor: '100', reason: 'direct' })).status).toBe(403);
    const audit = await checker.call('GET', '/audit?action=proposals.');
    expect(audit.body.entries.map((e: { actorLogin: string }) => e.actorLogin)).toEqual(['checker-api', 'maker-api']);
    expect((await checker.call('GET', '/audit/verify')).body.ok).toBe(true);
  });

  it('attention actions: a viewer can neither retry nor propose; the maker of a mark_paid cannot approve it, another operator does', async () => {
    const paid = await agentApi(h.url, agentB.token)('pay', `{"serviceId":"P1011","account":"7770017711","agentTransactionId":9001,"agentTransactionDate":"2026-11-22T10:00:00","amountTo":200.00,"amountFrom":200.00}`);
    expect(num(paid.body.result)).toBe('0');
    const paymentId = BigInt(num(paid.body.transactionId));
    await h.db.tx((q) => h.tolem.ctx.engine.raiseAttention(q, paymentId, 'api_check', 'checked through the API', {}));
    const viewer = await operator('viewer-att', 'viewer');
    const listed = await viewer.call('GET', '/attention');
    const item = listed.body.items.find((i: { paymentId: string }) => i.paymentId === String(paymentId));
    expect(item.actions).toEqual(['reverse', 'refund', 'close']);
    expect((await viewer.call('POST', `/attention/${item.id}/retry`, {})).status).toBe(403);
    expect((await viewer.call('POST', `/attention/${item.id}/proposals`, { action: 'refund', note: 'x' })).status).toBe(403);
    const maker = await operator('maker-att', 'operator');
    const checker = await operator('checker-att', 'operator');
    expect((await maker.call('POST', `/attention/${item.id}/retry`, {})).body.error.code).toBe('action_not_fitting');
    expect((await maker.call('POST', `/attention/${item.id}/proposals`, { action: 'mark_paid', note: 'x' })).body.error.code).toBe('no_provider_ref');
    expect((await maker.call('POST', `/attention/${item.id}/proposals`, { action: 'pay_twice', note: 'x' })).status).toBe(400);
    const proposed = await maker.call('POST', `/attention/${item.id}/proposals`, { action: 'refund', note: 'missing at the provider' });
    expect(proposed).toMatchObject({ status: 201, body: { proposal: { kind: 'refund', paymentId: String(paymentId), state: 'proposed' } } });
    const id = proposed.body.proposal.id;
    expect((await maker.call('POST', `/proposals/${id}/approve`, {})).body.error.code).toBe('same_operator');
    expect((await viewer.call('POST', `/proposals/${id}/approve`, {})).status).toBe(403);
    const approved = await checker.call('POST', `/proposals/${id}/approve`, {});
    expect(approved).toMatchObject({ status: 200, body: { proposal: { state: 'approved', checkerLogin: 'checker-att' } } });
    expect((await checker.call('GET', `/payments/${paymentId}`)).body.payment.state).toBe('cancelled');
    expect((await checker.call('POST', `/proposals/${id}/approve`, {})).status).toBe(409);
    const doc = await viewer.call('GET', '/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/attention/{id}/retry', '/attention/{id}/proposals']));
  });

  it('a cabinet user reads its own agent only, through every route', async () => {
    await h.tolem.ctx.admin.agents.createUser(LOCAL_ACTOR, agentA.id, { login: 'cabinet-a', password: 'cabinet password' });
    const login = await h.tolem.ctx.admin.sessions.loginAgentUser('cabinet-a', 'cabinet password', { ip: null, userAgent: null });
    const cabinet = new Client();
    cabinet.cookie = `tolem_cabinet=${login!.token}`;
    cabinet.csrf = login!.csrfToken;
    expect((await cabinet.call('GET', `/agents/${agentA.id}`)).status).toBe(200);
    expect((await cabinet.call('GET', `/agents/${agentB.id}`)).status).toBe(403);
    expect((await cabinet.call('GET', `/payments?agentId=${agentA.id}`)).status).toBe(200);
    expect((await cabinet.call('GET', `/payments?agentId=${agentB.id}`)).status).toBe(403);
    expect((await cabinet.call('GET', '/payments')).status).toBe(403);
    expect((await cabinet.call('GET', '/agents')).status).toBe(403);
    expect((await cabinet.call('GET', '/attention')).status).toBe(403);
    const payB = agentApi(h.url, agentB.token);
    expect(num((await payB('pay', '{"serviceId":"P1011","account":"7770017711","agentTransactionId":1,"agentTransactionDate":"2026-11-22T10:00:00","amountTo":150.00,"amountFrom":150.00}')).body.result)).toBe('0');
    const paymentB = (await h.tolem.ctx.admin.payments.search({ agentId: agentB.id })).payments[0]!;
    expect((await cabinet.call('GET', `/payments/${paymentB.transactionId}`)).status).toBe(403);
    const created = await cabinet.call('POST', `/agents/${agentA.id}/tokens`, {});
    expect(created.body.status).toBe('pending');
    expect((await cabinet.call('POST', `/agents/${agentA.id}/tokens`, { confirm: true })).status).toBe(403);
    expect((await cabinet.call('POST', `/tokens/${created.body.id}/confirm`, {})).status).toBe(403);
    const tokensB = await h.tolem.ctx.admin.agents.tokens(agentB.id);
    expect((await cabinet.call('POST', `/tokens/${tokensB[0]!.id}/revoke`, {})).status).toBe(403);
    expect((await cabinet.call('PUT', `/agents/${agentB.id}/ip-allow`, { ipAllow: [] })).status).toBe(403);
    expect((await cabinet.call('PUT', `/agents/${agentA.id}/ip-allow`, { ipAllow: ['0.0.0.0/0'] })).status).toBe(200);
  });
});

describe('admin API over the Unix socket', () => {
  it('acts as the local administrator, with mode 0600; a stale file is replaced, a live one refused', async () => {
    const path = join(dir, 'tolem.sock');
    writeFileSync(path, ''); // not a socket: refused rather than removed
    await expect(h.tolem.listenAdminSocket(path)).rejects.toThrow(/not a socket/);
    rmSync(path);
    const stale = createServer();
    await new Promise<void>((resolve) => stale.listen(path, resolve));
    await expect(listenAdminSocket(path, h.tolem.ctx.admin, h.tolem.ctx.log)).rejects.toThrow(/another Tolem/);
    // A crashed run leaves the file with nobody listening: close the listener but keep the file.
    (stale as unknown as { _handle: { close(): void } | null })._handle?.close();
    await h.tolem.listenAdminSocket(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const session = await overSocket(path, 'GET', '/session');
    expect(session.body.principal).toEqual({ kind: 'local' });
    const topup = await overSocket(path, 'POST', `/agents/${agentB.id}/topup`, { amountMinor: '12345', reason: 'cash desk' });
    expect(topup.status).toBe(200);
    expect(topup.body.proposal).toMatchObject({ state: 'approved', makerLogin: 'local' });
    const operatorCreated = await overSocket(path, 'POST', '/operators', { login: 'from-socket', password: 'socket password', role: 'viewer' });
    expect(operatorCreated.status).toBe(201);
    expect((await overSocket(path, 'GET', '/ledger/check')).body.ok).toBe(true);
    const reconciled = await overSocket(path, 'POST', '/reconciliations/alseco', { day: '2026-11-21', confirm: false });
    expect(reconciled.status).toBe(200);
    expect(reconciled.body).toMatchObject({ provider: 'alseco', day: '2026-11-21', runId: expect.stringMatching(/^\d+$/) });
    const csv = await overSocket(path, 'GET', `/reconciliations/runs/${reconciled.body.runId}/csv`);
    expect(csv.body.csv).toMatch(/^kind,reference,/);
    expect((await overSocket(path, 'POST', '/reconciliations/alseco', { day: '21.11.2026' })).status).toBe(400);
  });
});

// Found by the fuzz sets (test/fuzz/): the framework's refusals of a body came with its own codes and texts
// (fst_err_ctp_invalid_media_type, "Body is not valid JSON but content-type is set to 'application/json'").
describe('admin API: a body the framework refuses is answered in the API\'s own codes', () => {
  it.each([
    ['text/xml', '<x/>', 415, 'unsupported_media_type'],
    ['application/json', '{"login":', 400, 'bad_request'],
    ['application/json', `{"login":"${'x'.repeat(70 * 1024)}"}`, 413, 'body_too_large'],
  ])('%s %s…', async (contentType, payload, status, code) => {
    const answer = await h.tolem.app.inject({ method: 'POST', url: '/api/admin/v1/session', headers: { 'content-type': contentType }, payload });
    expect(answer.statusCode).toBe(status);
    expect(JSON.parse(answer.body).error.code).toBe(code);
    expect(answer.body).not.toMatch(/fst_err|FST_ERR|content-type is set/);
  });
});
