/**
 * Access control of the operator console over HTTP, route by route: no session → the login; a viewer reads but
 * cannot act; an operator cannot manage operators; a form without its CSRF field is refused (403); the cookies are
 * HttpOnly and SameSite=Strict; every page carries the strict CSP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, newTotpSecret, totpCode } from '../../src/engine/operators.ts';
import { LOCAL_ACTOR } from '../../src/engine/sessions.ts';
import { newAgent, startTolem, type Harness } from '../helpers/harness.ts';
import { PanelClient } from '../helpers/panel.ts';

let h: Harness;
let agentId: bigint;
const PASSWORD = 'correct horse battery';

const PAGES = ['/password', '/totp', '/', '/payments', '/payments.csv', '/payments/1', '/registry', '/registry.xlsx', '/registry.csv', '/agents', '/agents/1', '/approvals', '/attention', '/review', '/operators', '/audit', '/audit.csv'];
const ADMIN_PAGES = new Set(['/operators']);
const ACTIONS = [
  '/agents/1/tokens/1/confirm', '/agents/1/tokens/1/revoke', '/agents/1/proposals', '/agents/1/ip-allow', '/agents/1/users', '/agents/1/users/1/disable', '/agents/1/settings',
  '/approvals/1/approve', '/approvals/1/reject', '/attention/1/resolve', '/attention/1/retry', '/attention/1/propose', '/review/1/approve', '/review/1/reject',
  '/operators', '/operators/1/role', '/operators/1/disable',
];
/** One's own credentials: every signed-in operator, viewers included, may change them. */
const OWN_ACTIONS = ['/totp/enable', '/totp/disable'];
const ADMIN_ACTIONS = new Set(['/operators', '/operators/1/role', '/operators/1/disable', '/agents/1/settings']);

beforeAll(async () => {
  h = await startTolem({ jobs: false });
  const clock = h.tolem.ctx.clock;
  for (const [login, role] of [['root', 'admin'], ['olga', 'operator'], ['vera', 'viewer']] as const) {
    await createOperator(h.db, { login, password: PASSWORD, role }, clock);
  }
  agentId = (await newAgent(h.db, { name: 'Access agent' })).id;
}, 60_000);
afterAll(async () => h?.close());

async function signedIn(login: string): Promise<PanelClient> {
  const client = new PanelClient(h.url, '/console');
  const answer = await client.login(login, PASSWORD);
  expect(answer.status).toBe(303);
  return client;
}

describe('console access control', () => {
  it('sends every page and every action to the login without a session', async () => {
    const anonymous = new PanelClient(h.url, '/console');
    for (const path of PAGES) {
      const answer = await anonymous.get(path);
      expect(answer.status, path).toBe(303);
      expect(answer.location, path).toMatch(/^\/console\/login\?next=/);
    }
    for (const path of [...ACTIONS, ...OWN_ACTIONS, '/logout']) {
      const answer = await anonymous.post(path, { _csrf: 'x' });
      expect(answer.status, path).toBe(303);
      expect(answer.location, path).toMatch(/^\/console\/login/);
    }
  });

  it('refuses a wrong password and sets HttpOnly, SameSite=Strict cookies on a right one', async () => {
    const client = new PanelClient(h.url, '/console');
    expect((await client.login('olga', 'wrong password!')).status).toBe(401);
    const page = await client.get('/login');
    const csrf = /name="_csrf" value="([^"]*)"/.exec(page.text)![1]!;
    const response = await fetch(`${h.url}/console/login`, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams({ _csrf: csrf, login: 'olga', password: PASSWORD }),
      headers: { cookie: client.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(303);
    const cookies = response.headers.getSetCookie().filter((c) => c.startsWith('tolem_console=') || c.startsWith('tolem_console_csrf='));
    expect(cookies).toHaveLength(2);
    for (const cookie of cookies) expect(cookie).toMatch(/HttpOnly/i), expect(cookie).toMatch(/SameSite=Strict/i), expect(cookie).toMatch(/Path=\/console/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
  });

  it('refuses a login form that did not come from the login page (its own CSRF token)', async () => {
    const client = new PanelClient(h.url, '/console');
    const answer = await client.post('/login', { login: 'olga', password: PASSWORD }, { csrf: false });
    expect(answer.status).toBe(403);
    expect(client.cookies.has('tolem_console')).toBe(false);
  });

  it('lets a viewer read every page but operators, and act on nothing', async () => {
    const viewer = await signedIn('vera');
    for (const path of PAGES) {
      const answer = await viewer.get(path);
      expect([200, 400, 404], path).toContain(ADMIN_PAGES.has(path) ? 200 : answer.status); // 400: an export without its period
      if (ADMIN_PAGES.has(path)) expect(answer.status, path).toBe(403);
    }
    for (const path of ACTIONS) expect((await viewer.post(path, { note: 'n', amount: '1.00', reason: 'r' })).status, path).toBe(403);
  });

  it('lets an operator act but not manage operators', async () => {
    const operator = await signedIn('olga');
    expect((await operator.get('/operators')).status).toBe(403);
    for (const path of ADMIN_ACTIONS) expect((await operator.post(path, { login: 'x', password: 'y', role: 'admin' })).status, path).toBe(403);
    const proposed = await operator.post(`/agents/${agentId}/proposals`, { kind: 'topup', amount: '10.00', reason: 'access test' });
    expect(proposed.status).toBe(303);
    expect(proposed.location).toContain('ok=proposed');
  });

  it('refuses an action without its CSRF field, or with another session\'s', async () => {
    const operator = await signedIn('olga');
    const other = await signedIn('root');
    const missing = await operator.post(`/agents/${agentId}/proposals`, { kind: 'topup', amount: '10.00', reason: 'no csrf' }, { csrf: false });
    expect(missing.status).toBe(403);
    const foreign = await operator.post(`/agents/${agentId}/proposals`, { _csrf: other.csrf!, kind: 'topup', amount: '10.00', reason: 'foreign csrf' });
    expect(foreign.status).toBe(403);
  });

  it('asks an operator with TOTP for the code after the password, and accepts only a current one', async () => {
    const clock = h.tolem.ctx.clock;
    const operator = await createOperator(h.db, { login: 'tina', password: PASSWORD, role: 'operator' }, clock);
    const { secret } = newTotpSecret('tina');
    // Enrolled with the previous step's code (still within the drift window): the login's current code is unused.
    const enrolment = totpCode(secret, { now: () => new Date(clock.now().getTime() - 30_000) });
    expect(await h.tolem.ctx.admin.operators.enableTotp(LOCAL_ACTOR, operator.id, secret, enrolment)).toBe(true);
    const client = new PanelClient(h.url, '/console');
    const first = await client.login('tina', PASSWORD);
    expect(first.status).toBe(200);
    expect(first.text).toContain('id="totp"');
    expect(client.cookies.has('tolem_console')).toBe(false);
    const wrong = await client.login('tina', PASSWORD, '000000' === totpCode(secret, clock) ? '111111' : '000000');
    expect(wrong.status).toBe(401);
    const right = await client.login('tina', PASSWORD, totpCode(secret, clock));
    expect(right.status).toBe(303);
    expect((await client.get('/')).status).toBe(200);
  });

  it('lets an operator enrol its own second factor (password and first code), then asks for it, and turn it off with a code', async () => {
    const clock = h.tolem.ctx.clock;
    // The codes below are the current step's and its neighbours': start well inside a step, so that no 30-second
    // boundary passes while the test runs (it once did in CI, and "the current code" changed between two requests).
    const intoStep = clock.now().getTime() % 30_000;
    if (intoStep > 20_000) await new Promise((resolve) => setTimeout(resolve, 30_000 - intoStep + 200));
    await createOperator(h.db, { login: 'tomas', password: PASSWORD, role: 'viewer' }, clock);
    const client = await signedIn('tomas');
    const page = await client.get('/totp');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(page.text)![1]!;
    expect(page.text).toContain('otpauth://totp/');
    const wrongPassword = await client.post('/totp/enable', { secret, password: 'not the password', code: totpCode(secret, clock) });
    expect(wrongPassword.location).toContain('err=totp_code');
    const tampered = await client.post('/totp/enable', { secret: 'not base32!', password: PASSWORD, code: '123456' });
    expect(tampered.location).toContain('err=totp_code');
    // Codes of three steps in a row (all within the drift window): each is accepted once.
    const codeAt = (steps: number) => totpCode(secret, { now: () => new Date(clock.now().getTime() + steps * 30_000) });
    const enabled = await client.post('/totp/enable', { secret, password: PASSWORD, code: codeAt(-1) });
    expect(enabled.location).toContain('ok=totp_enabled');
    expect((await client.get('/totp')).text).not.toContain(secret); // shown at enrolment only

    const again = new PanelClient(h.url, '/console');
    expect((await again.login('tomas', PASSWORD)).status).toBe(200); // the code is asked for now
    expect((await again.login('tomas', PASSWORD, codeAt(-1))).status).toBe(401); // the enrolment's code, used
    expect((await again.login('tomas', PASSWORD, totpCode(secret, clock))).status).toBe(303);
    const wrongCode = await again.post('/totp/disable', { code: '000000' === totpCode(secret, clock) ? '111111' : '000000' });
    expect(wrongCode.location).toContain('err=totp_code');
    expect((await again.post('/totp/disable', { code: totpCode(secret, clock) })).location).toContain('err=totp_code'); // the login's, used
    expect((await again.post('/totp/disable', { code: codeAt(1) })).location).toContain('ok=totp_disabled');
    expect((await new PanelClient(h.url, '/console').login('tomas', PASSWORD)).status).toBe(303);
    const audit = await h.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE actor_login = 'tomas' ORDER BY id`);
    expect(audit.rows.map((r) => r.action)).toEqual(expect.arrayContaining(['operators.enable_totp', 'operators.disable_totp']));
  });

  it('opens only the password page after a one-time password, until the operator sets their own', async () => {
    await createOperator(h.db, { login: 'fresh', password: 'one-time pass', role: 'admin', mustChangePassword: true }, h.tolem.ctx.clock);
    const client = new PanelClient(h.url, '/console');
    expect((await client.login('fresh', 'one-time pass')).status).toBe(303);
    for (const path of ['/', '/operators', '/payments']) expect((await client.get(path)).location, path).toBe('/console/password');
    expect((await client.post('/operators', { login: 'sneaky', password: PASSWORD, role: 'admin' })).location).toBe('/console/password');
    expect((await client.get('/password')).status).toBe(200);
    expect((await client.post('/password', { current: 'one-time pass', next: 'my own password', repeat: 'different one' })).location).toContain('err=passwords_differ');
    expect((await client.post('/password', { current: 'wrong', next: 'my own password', repeat: 'my own password' })).location).toContain('err=login');
    expect((await client.post('/password', { current: 'one-time pass', next: 'my own password', repeat: 'my own password' })).location).toContain('ok=password_changed');
    expect((await client.get('/')).status).toBe(303); // the change ended the session
    expect((await client.login('fresh', 'my own password')).status).toBe(303);
    expect((await client.get('/')).status).toBe(200);
  });

  it('lets an admin manage operators, and ends the session at logout', async () => {
    const admin = await signedIn('root');
    expect((await admin.get('/operators')).status).toBe(200);
    const configured = await admin.post(`/agents/${agentId}/settings`, { overdraft: '-100.00', notification: '50.00', reviewAbove: '', services: 'P1011, P1012', enabled: 'on' });
    expect(configured.location).toContain('ok=settings_saved');
    const agentPage = (await admin.get(`/agents/${agentId}`)).text;
    expect(agentPage).toContain('value="-100.00"');
    expect(agentPage).toContain('P1011, P1012');
    expect((await admin.post(`/agents/${agentId}/settings`, { overdraft: '1e3' })).location).toContain('err=bad_amount');
    const created = await admin.post('/operators', { login: 'newbie', password: PASSWORD, role: 'viewer' });
    expect(created.location).toContain('ok=operator_created');
    expect((await admin.post('/logout', {})).status).toBe(303);
    expect((await admin.get('/')).status).toBe(303);
  });
});
