/**
 * Every route of the running server, walked from its route table (Tolem.routes, filled by Fastify's onRoute hook):
 * - each route belongs to a family this file knows how to probe, or the first test fails (a new family needs a probe);
 * - without a session every console and cabinet route leads to the login, every admin API route but the session's is 401;
 * - agent A (its token, its cabinet user, that user's session on the admin API) never reads or changes anything of
 *   agent B through any route, whatever ids the path, the query or the form names;
 * - every state-changing console, cabinet and admin API route refuses a request without its CSRF token (403);
 * - a console viewer is refused every console action but its own credentials, an operator every admin action (the
 *   table CONSOLE_ACTIONS must name each console action's role: a new one fails until it is written down); on the admin
 *   API each route's role comes from its own declaration (ADMIN_ROUTES, engine/authorization.ts).
 * Cases already proven in detail elsewhere (test/security/console-access.test.ts, cabinet-access.test.ts) are not
 * repeated; this file is the exhaustive sweep.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ROUTES } from '../../src/admin/routes/index.ts';
import { ADMIN_PREFIX } from '../../src/admin/socket.ts';
import { ACTIONS } from '../../src/engine/authorization.ts';
import { createAgentUser } from '../../src/engine/agent-users.ts';
import { listTokens } from '../../src/engine/agents.ts';
import { createOperator } from '../../src/engine/operators.ts';
import { agentApi, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import { cancelXml, listXml, newElsomAgent, postElsom, transferXml, txn } from '../helpers/elsom.ts';
import { PanelClient } from '../helpers/panel.ts';
import { formatElsomDateTime } from '../../src/gateways/elsom-biller/codec/index.ts';

const PASSWORD = 'route table password';
const B_NAME = 'Agent B Zyxwvut';
const B_ACCOUNT = '7770019876';
let h: Harness;
let a: { id: bigint; token: string };
let b: { id: bigint; token: string };
let bPayment: string;
let bTokenId: bigint;
let bUserId: bigint;
let bRegistry: { id: bigint; sha256: string };
let routes: { method: string; url: string }[];

const payBody = (id: number, account = B_ACCOUNT) =>
  `{"serviceId":"P1011","account":"${account}","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":100.00,"amountFrom":100.00}`;

beforeAll(async () => {
  h = await startTolem();
  a = await newAgent(h.db, { name: 'Agent A' });
  b = await newAgent(h.db, { name: B_NAME, openingBalanceMinor: 987_654_321n });
  const clock = h.tolem.ctx.clock;
  await createAgentUser(h.db, a.id, { login: 'alice', password: PASSWORD }, clock);
  bUserId = (await createAgentUser(h.db, b.id, { login: 'bob', password: PASSWORD }, clock)).id;
  for (const [login, role] of [['root', 'admin'], ['olga', 'operator'], ['vera', 'viewer']] as const) await createOperator(h.db, { login, password: PASSWORD, role }, clock);
  const paid = await agentApi(h.url, b.token)('pay', payBody(777));
  expect(num(paid.body.result)).toBe('0');
  bPayment = num(paid.body.transactionId);
  bTokenId = (await listTokens(h.db, b.id))[0]!.id;
  // B's registry of a day, uploaded by its own cabinet user: A's cabinet must never show it.
  const bob = { principal: { kind: 'agent_user' as const, id: bUserId, login: 'bob', agentId: b.id }, ip: null };
  bRegistry = await h.tolem.ctx.admin.agentRegistries.upload(bob, { agentId: b.id, day: '2026-11-21', source: 'cabinet', body: Readable.from([`agentTransactionId,account,amount\n777,${B_ACCOUNT},98765.43\n`]) });
  routes = dedupe(h.tolem.routes.filter((r) => r.method !== 'HEAD'));
});
afterAll(async () => h?.close());

function dedupe(list: readonly { method: string; url: string }[]) {
  const seen = new Map<string, { method: string; url: string }>();
  for (const r of list) seen.set(`${r.method} ${r.url}`, { method: r.method, url: r.url.length > 1 ? r.url.replace(/\/$/, '') : r.url });
  return [...seen.values()];
}

const changes = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);
const under = (prefix: string) => (r: { url: string }) => r.url === prefix || r.url.startsWith(`${prefix}/`);

/** Public by design: probes, the API documents, static assets, the login pages, the sandboxes (test equipment). */
const PUBLIC = new Set(['GET /health', 'GET /ready', 'GET /metrics', 'GET /docs', 'GET /console/login', 'POST /console/login', 'GET /cabinet/login', 'POST /cabinet/login']);
const isPublic = (r: { method: string; url: string }) =>
  PUBLIC.has(`${r.method} ${r.url}`) || r.url.startsWith('/docs/') || /^\/(console|cabinet|pay)\/assets\//.test(r.url) || under('/sandbox')(r);
/**
 * The public checkout: a payer with no account; an order is reached by its unguessable token only (engine/checkout.ts),
 * never by an agent's id. Listed one by one so that a new checkout route is looked at before it ships.
 */
const CHECKOUT = new Set([
  'GET /pay', 'GET /pay/s/:serviceId', 'POST /pay/s/:serviceId', 'GET /pay/o/:token', 'POST /pay/o/:token', 'GET /pay/return/:token/:kind',
  'POST /pay/return/:token/:kind', 'GET /pay/elsom/return', 'POST /pay/elsom/callback', 'GET /pay/r/:token',
]);

/** Each console action's role: own (any signed-in operator, on its own credentials), viewer, operator or admin. */
const CONSOLE_ACTIONS: Record<string, 'own' | 'viewer' | 'operator' | 'admin'> = {
  '/console/logout': 'own', '/console/password': 'own', '/console/totp/enable': 'own', '/console/totp/disable': 'own',
  '/console/catalog/:serviceId/test': 'viewer',
  '/console/agents/:id/tokens/:tokenId/confirm': 'operator', '/console/agents/:id/tokens/:tokenId/revoke': 'operator',
  '/console/agents/:id/proposals': 'operator', '/console/agents/:id/ip-allow': 'operator', '/console/agents/:id/users': 'operator',
  '/console/agents/:id/users/:userId/disable': 'operator', '/console/approvals/:id/approve': 'operator', '/console/approvals/:id/reject': 'operator',
  '/console/attention/:id/resolve': 'operator', '/console/attention/:id/retry': 'operator', '/console/attention/:id/propose': 'operator',
  '/console/review/:id/approve': 'operator', '/console/review/:id/reject': 'operator', '/console/reconciliation': 'operator', '/console/reconciliation/three-way': 'operator',
  '/console/reconciliation/items/:id/propose': 'operator', '/console/reconciliation/items/:id/acknowledge': 'operator', '/console/money-proofs': 'operator', '/console/money-proofs/:day/sign': 'operator',
  '/console/agents/:id/settings': 'admin', '/console/agents/:id/elsom-terminal': 'admin', '/console/operators': 'admin',
  '/console/operators/:id/role': 'admin', '/console/operators/:id/disable': 'admin', '/console/catalog/:serviceId/enabled': 'admin',
  '/console/catalog/:serviceId/limits': 'admin', '/console/catalog/:serviceId/inputs': 'admin', '/console/catalog/:serviceId/fee': 'admin',
  '/console/catalog/:serviceId/route': 'admin',
};

/** A route's URL with every parameter naming something of agent B (itself, its payment, token, user). */
function aimedAtB(url: string): string {
  return url
    .replace(/\/agents\/:id\b/, `/agents/${b.id}`).replace(':agentId', b.id.toString())
    .replace(/\/(payments|review|reviews)\/:(id|transactionId)\b/, `/$1/${bPayment}`).replace(':transactionId', bPayment)
    .replace(/\/tokens\/:id\b/, `/tokens/${bTokenId}`).replace(':tokenId', bTokenId.toString()).replace(':userId', bUserId.toString())
    .replace(':serviceId', 'P1011').replace(':provider', 'sandbox').replace(/:\w+/g, '1');
}

/**
 * Valid input for the admin routes a cabinet user may call on its own agent, aimed at B: their refusal is then the
 * owner check itself, not a 400 for the input (the other routes are refused for the role before their input is read).
 */
const ADMIN_INPUTS_FOR_B = (): Record<string, { query?: string; body?: unknown }> => ({
  'GET /payments': { query: `agentId=${b.id}` },
  'PUT /agents/:agentId/ip-allow': { body: { ipAllow: ['127.0.0.1'] } },
  'GET /agents/:agentId/elsom-payment-list': { query: 'service=5132&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z' },
  'POST /agents/:agentId/registries': { query: 'day=2026-11-21' },
});

/**
 * What an answer to agent A must never carry: B's name, payment, account, balance. What the request itself said is
 * echoed back (the language links repeat the query, the search form its fields) and is taken out first.
 */
function expectNothingOfB(text: string, where: string): void {
  const shown = text.replace(/\b(href|value|action)="[^"]*"/g, '');
  for (const secret of [B_NAME, bPayment, B_ACCOUNT, '9876543', '9 876 543']) expect(shown, `${where} shows ${secret}`).not.toContain(secret);
}

async function signedIn(prefix: '/console' | '/cabinet', login: string): Promise<PanelClient> {
  const client = new PanelClient(h.url, prefix);
  expect((await client.login(login, PASSWORD)).status, login).toBe(303);
  return client;
}

/** B's state that an action of A could change: its tokens, addresses, users and settings, and its payment. */
async function bState(): Promise<string> {
  const tokens = await h.db.query('SELECT id, status FROM agent_tokens WHERE agent_id = $1 ORDER BY id', [b.id]);
  const agent = await h.db.query('SELECT * FROM agents WHERE id = $1', [b.id]);
  const users = await h.db.query('SELECT id, disabled_at FROM agent_users WHERE agent_id = $1 ORDER BY id', [b.id]);
  const payment = await h.db.query('SELECT state, result_code FROM payments WHERE id = $1', [BigInt(bPayment)]);
  const registries = await h.db.query('SELECT id, sha256 FROM agent_registries WHERE agent_id = $1 ORDER BY id', [b.id]);
  return JSON.stringify([tokens.rows, agent.rows, users.rows, payment.rows, registries.rows], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

describe('the route table', () => {
  it('has every route in a family this suite probes', () => {
    const families = [isPublic, (r: { method: string; url: string }) => CHECKOUT.has(`${r.method} ${r.url}`), under('/api/v20'), under('/elsom'), under('/cabinet'), under('/console'), under(ADMIN_PREFIX)];
    const unknown = routes.filter((r) => !families.some((family) => family(r))).map((r) => `${r.method} ${r.url}`);
    expect(unknown, 'routes no probe of test/security/ covers: add them to a family').toEqual([]);
    expect(routes.length).toBeGreaterThan(100);
  });

  it('names the role of every console action', () => {
    const actions = routes.filter((r) => under('/console')(r) && changes(r.method) && !isPublic(r)).map((r) => r.url);
    expect(actions.filter((url) => !(url in CONSOLE_ACTIONS)), 'console actions without a role in CONSOLE_ACTIONS').toEqual([]);
    expect(Object.keys(CONSOLE_ACTIONS).filter((url) => !actions.includes(url)), 'CONSOLE_ACTIONS names routes that are gone').toEqual([]);
  });

  it('registers the admin API exactly as ADMIN_ROUTES declares it (the roles below are read from there)', () => {
    const registered = routes.filter(under(ADMIN_PREFIX)).map((r) => `${r.method} ${r.url}`).sort();
    const declared = [...ADMIN_ROUTES.map((r) => `${r.method} ${ADMIN_PREFIX}${r.url}`), `GET ${ADMIN_PREFIX}/openapi.json`].sort();
    expect(registered).toEqual(declared);
  });
});

describe('no session, no entry', () => {
  it('every console and cabinet page and action sends an anonymous caller to the login; every admin API route but the session\'s answers 401', async () => {
    const panels = routes.filter((r) => (under('/console')(r) || under('/cabinet')(r)) && !isPublic(r));
    expect(panels.length).toBeGreaterThanOrEqual(60);
    for (const route of panels) {
      const response = await fetch(`${h.url}${aimedAtB(route.url)}`, {
        method: route.method, redirect: 'manual',
        ...(changes(route.method) ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '_csrf=x' } : {}),
      });
      expect(response.status, `${route.method} ${route.url}`).toBe(303);
      expect(response.headers.get('location'), `${route.method} ${route.url}`).toMatch(/^\/(console|cabinet)\/login/);
    }
    for (const definition of ADMIN_ROUTES.filter((r) => r.action !== 'public')) {
      const response = await fetch(`${h.url}${ADMIN_PREFIX}${aimedAtB(definition.url)}`, {
        method: definition.method, ...(changes(definition.method) ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
      });
      expect(response.status, `${definition.method} ${definition.url}`).toBe(401);
    }
  });
});

describe('agent A never reaches agent B', () => {
  it('through any agent API method, whatever the body names', async () => {
    const api = agentApi(h.url, a.token);
    const methods = routes.filter(under('/api/v20')).map((r) => r.url.slice('/api/v20/'.length));
    expect(methods.length).toBeGreaterThanOrEqual(6);
    const before = await bState();
    for (const method of methods) {
      // B's own agentTransactionId, and B's ids in every field a handler could read (the account is A's: B's account
      // in A's own payment would be A's data, and the pages below look for it).
      const body = { ...JSON.parse(payBody(777, '7770011111')), agentId: b.id.toString(), transactionId: bPayment };
      const answer = await api(method, JSON.stringify(body));
      expect(answer.status, method).toBeLessThan(500);
      expect(answer.text, method).not.toContain(bPayment);
      expect(answer.text, method).not.toContain('98764');
      expect(answer.text, method).not.toContain(B_NAME);
    }
    expect(await bState()).toBe(before);
  });

  it('through any cabinet page or download, whatever the path or the query names', async () => {
    const alice = await signedIn('/cabinet', 'alice');
    const pages = routes.filter((r) => under('/cabinet')(r) && r.method === 'GET' && !isPublic(r));
    expect(pages.length).toBeGreaterThanOrEqual(6);
    for (const page of pages) {
      const path = aimedAtB(page.url).slice('/cabinet'.length) || '/';
      for (const query of ['', `?agent=${b.id}&agentId=${b.id}&txn=${bPayment}&agentTxn=777&account=${B_ACCOUNT}`]) {
        const answer = await alice.get(`${path}${query}`);
        expect(answer.status, `${page.url}${query}`).toBeLessThan(500);
        expectNothingOfB(answer.text, `${page.url}${query}`);
      }
    }
  });

  it('through the registries page and its upload: B\'s registries are never shown, A\'s upload is A\'s', async () => {
    const alice = await signedIn('/cabinet', 'alice');
    const before = await bState();
    const page = await alice.get('/registries');
    expect(page.status).toBe(200);
    expect(page.text).not.toContain(`data-registry="${bRegistry.id}"`);
    expect(page.text).not.toContain(bRegistry.sha256.slice(0, 12));
    const form = new FormData();
    form.set('_csrf', alice.csrf!);
    form.set('day', '2026-11-21');
    form.set('agentId', b.id.toString());
    form.set('file', new Blob([`agentTransactionId,amount\n501,1.00\n`], { type: 'text/csv' }), 'a.csv');
    const uploaded = await fetch(`${h.url}/cabinet/registries?agentId=${b.id}`, { method: 'POST', body: form, headers: { cookie: alice.cookieHeader }, redirect: 'manual' });
    expect(uploaded.status).toBe(201);
    expectNothingOfB(await uploaded.text(), 'POST /cabinet/registries');
    expect(await bState()).toBe(before);
    expect((await h.tolem.ctx.admin.agentRegistries.list(a.id)).map((r) => r.uploadedBy)).toEqual(['alice']);
    // The multipart form is CSRF-checked like the others: without its token, or with another session's, nothing is stored.
    const other = await signedIn('/cabinet', 'alice');
    for (const csrf of [undefined, other.csrf!]) {
      const refused = new FormData();
      if (csrf) refused.set('_csrf', csrf);
      refused.set('day', '2026-11-22');
      refused.set('file', new Blob(['agentTransactionId,amount\n502,1.00\n'], { type: 'text/csv' }), 'a.csv');
      const answer = await fetch(`${h.url}/cabinet/registries`, { method: 'POST', body: refused, headers: { cookie: alice.cookieHeader }, redirect: 'manual' });
      expect(answer.status, `csrf ${csrf ? 'of another session' : 'missing'}`).toBe(403);
    }
    expect(await h.tolem.ctx.admin.agentRegistries.list(a.id)).toHaveLength(1);
  });

  it('through any cabinet action: B\'s tokens, addresses, users and payment stay as they were', async () => {
    const actions = routes.filter((r) => under('/cabinet')(r) && changes(r.method) && !isPublic(r));
    expect(actions.length).toBeGreaterThanOrEqual(4);
    const before = await bState();
    for (const action of actions) {
      const alice = await signedIn('/cabinet', 'alice'); // a fresh session each: one action is the logout
      const answer = await alice.post(aimedAtB(action.url).slice('/cabinet'.length), { agentId: b.id.toString(), agent: b.id.toString(), ipAllow: '127.0.0.1', id: bTokenId.toString() });
      expect(answer.status, action.url).toBeLessThan(500);
      expectNothingOfB(answer.text, action.url);
    }
    expect(await bState()).toBe(before);
  });

  it('through any admin API route with A\'s cabinet session: refused (403), whatever B\'s id it names', async () => {
    const alice = await signedIn('/cabinet', 'alice');
    const before = await bState();
    for (const definition of ADMIN_ROUTES) {
      if (definition.url.startsWith('/session')) continue; // the caller's own session: login, whoami, logout, own password
      const key = `${definition.method} ${definition.url}`;
      const input = ADMIN_INPUTS_FOR_B()[key] ?? {};
      const response = await fetch(`${h.url}${ADMIN_PREFIX}${aimedAtB(definition.url)}${input.query ? `?${input.query}` : ''}`, {
        method: definition.method, headers: { cookie: alice.cookieHeader, 'x-csrf-token': alice.csrf!, ...(changes(definition.method) ? { 'content-type': 'application/json' } : {}) },
        ...(changes(definition.method) ? { body: JSON.stringify(input.body ?? {}) } : {}),
      });
      const text = await response.text();
      expect(response.status, `${key}: ${text}`).toBe(403);
      expectNothingOfB(text, key);
    }
    expect(await bState()).toBe(before);
    // The same session does reach A's own tokens: the refusals above are the owner check, not a broken login.
    const own = await fetch(`${h.url}${ADMIN_PREFIX}/agents/${a.id}/tokens`, { headers: { cookie: alice.cookieHeader } });
    expect(own.status).toBe(200);
  });

  it('through the Elsom gateway: another terminal can neither list nor cancel a terminal\'s payment', async () => {
    const clock = h.tolem.ctx.clock;
    await newElsomAgent(h.db, { terminalId: '1839' });
    await newElsomAgent(h.db, { terminalId: '1840' });
    const url = `${h.url}/elsom`;
    const asOther = (xml: string) => xml.replace('<terminal-id>1839</terminal-id>', '<terminal-id>1840</terminal-id>');
    const number = txn();
    expect((await postElsom(url, transferXml({ type: 2, transactionNumber: number }))).response.resultCode).toBe(0);
    const from = formatElsomDateTime(new Date(clock.now().getTime() - 3_600_000), 360);
    const to = formatElsomDateTime(new Date(clock.now().getTime() + 60_000), 360);
    const list = await postElsom(url, asOther(listXml(from, to)));
    expect(list.response.resultCode).toBe(0);
    expect(list.response.rows?.some((row) => row.transactionNumber === number)).toBe(false);
    await postElsom(url, asOther(cancelXml(number)));
    const own = await postElsom(url, listXml(from, to));
    expect(own.response.rows?.some((row) => row.transactionNumber === number), 'the payment is still paid for its own terminal').toBe(true);
  });
});

describe('CSRF on every state-changing panel and admin API route', () => {
  it('console and cabinet: a form without its token, or with another session\'s, is refused with 403', async () => {
    const forms = routes.filter((r) => (under('/console')(r) || under('/cabinet')(r)) && changes(r.method) && !isPublic(r));
    expect(forms.length).toBeGreaterThanOrEqual(30);
    const root = await signedIn('/console', 'root');
    const alice = await signedIn('/cabinet', 'alice');
    const otherRoot = await signedIn('/console', 'root');
    const otherAlice = await signedIn('/cabinet', 'alice');
    const before = await h.db.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_log');
    for (const form of forms) {
      const [client, other] = form.url.startsWith('/console') ? [root, otherRoot] : [alice, otherAlice];
      const path = form.url.replace(/:\w+/g, '1').slice(client.prefix.length);
      expect((await client.post(path, { note: 'n' }, { csrf: false })).status, `${form.url} without a token`).toBe(403);
      expect((await client.post(path, { note: 'n', _csrf: other.csrf! })).status, `${form.url} with another session's`).toBe(403);
    }
    const after = await h.db.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_log');
    expect(after.rows[0]!.n, 'a refused form changed nothing').toBe(before.rows[0]!.n);
  });

  it('admin API: a session cookie without X-CSRF-Token changes nothing (403 csrf)', async () => {
    const root = await signedIn('/console', 'root');
    for (const definition of ADMIN_ROUTES.filter((r) => changes(r.method))) {
      const response = await fetch(`${h.url}${ADMIN_PREFIX}${definition.url.replace(/:\w+/g, '1')}`, {
        method: definition.method, headers: { cookie: root.cookieHeader, 'content-type': 'application/json' }, body: '{}',
      });
      expect(response.status, `${definition.method} ${definition.url}`).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: 'csrf' } });
    }
  });
});

describe('roles on every console action and admin API route', () => {
  const rank = { viewer: 0, operator: 1, admin: 2 } as const;

  it('console: a viewer is refused every action above its role, an operator every admin action', async () => {
    for (const login of ['vera', 'olga'] as const) {
      const role = login === 'vera' ? 'viewer' : 'operator';
      const client = await signedIn('/console', login);
      for (const [url, needs] of Object.entries(CONSOLE_ACTIONS)) {
        if (needs === 'own' || rank[needs] <= rank[role]) continue;
        const answer = await client.post(url.replace(/:\w+/g, '1').slice('/console'.length), { note: 'n', login: 'x', password: 'y', role: 'admin', amount: '1.00', reason: 'r' });
        expect(answer.status, `${role} at ${url}`).toBe(403);
      }
    }
  });

  it('admin API: each role is refused every route its declared action does not allow it', async () => {
    for (const login of ['vera', 'olga'] as const) {
      const role = login === 'vera' ? 'viewer' : 'operator';
      const client = await signedIn('/console', login);
      for (const definition of ADMIN_ROUTES) {
        if (definition.action === 'public' || (ACTIONS[definition.action].roles as readonly string[]).includes(role)) continue;
        const response = await fetch(`${h.url}${ADMIN_PREFIX}${definition.url.replace(/:\w+/g, '1')}`, {
          method: definition.method, headers: { cookie: client.cookieHeader, 'x-csrf-token': client.csrf!, ...(changes(definition.method) ? { 'content-type': 'application/json' } : {}) },
          ...(changes(definition.method) ? { body: '{}' } : {}),
        });
        // Refused for the role before the (here empty) input is read.
        expect(response.status, `${role} at ${definition.method} ${definition.url}`).toBe(403);
      }
    }
  });

  it('a cabinet session is no console session, and a console session no cabinet one', async () => {
    const alice = await signedIn('/cabinet', 'alice');
    const root = await signedIn('/console', 'root');
    const asConsole = await fetch(`${h.url}/console/`, { headers: { cookie: `tolem_console=${alice.cookies.get('tolem_cabinet')}` }, redirect: 'manual' });
    expect(asConsole.status).toBe(303);
    const asCabinet = await fetch(`${h.url}/cabinet/`, { headers: { cookie: `tolem_cabinet=${root.cookies.get('tolem_console')}` }, redirect: 'manual' });
    expect(asCabinet.status).toBe(303);
  });
});
