/**
 * The inbound surfaces under fuzz, each a generator of requests grown from the partner's fixtures and an oracle of
 * the protocol's answers (kit.ts has the shared parts). `prepareWorld` gives them the callers they need on a fresh
 * hub: an agent with a token, an Elsom terminal, checkout orders, a viewer's console session, a cabinet user.
 */
import { readFileSync } from 'node:fs';
import { parse as parseLossless } from 'lossless-json';
import { isResultCode } from '../../src/domain/result-codes.ts';
import { createAgentUser } from '../../src/engine/agent-users.ts';
import { LOCAL_ACTOR } from '../../src/engine/sessions.ts';
import { decodeElsomResponse, ELSOM_RESULT_CODES, md5Hex } from '../../src/gateways/elsom-biller/codec/index.ts';
import { ADMIN_ROUTES } from '../../src/admin/routes/index.ts';
import { ELSOM_LOGIN, ELSOM_PASSWORD, newElsomAgent, transferXml } from '../helpers/elsom.ts';
import { newAgent, type Harness } from '../helpers/harness.ts';
import {
  commonProblems, fc, FORM_CONTENT_TYPES, header, JSON_CONTENT_TYPES, mutatedForm, mutatedJson, mutatedXml, parseFixtureJson,
  randomBody, rawNumber, sometimes, weirdSegment, withContentType, XML_CONTENT_TYPES, type FuzzAnswer, type FuzzRequest, type JsonTree, type Surface, type Verdict,
} from './kit.ts';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url));

/** The callers and handles the surfaces use; made once per hub. */
export interface World {
  agentToken: string;
  /** Order tokens of the checkout: a card order (Assist) and a wallet order (Elsom); the wallet order's transactionId. */
  cardOrderToken: string;
  walletOrderTransactionId: string;
  console: PanelSession;
  cabinet: PanelSession;
  /** An admin-API session of a viewer (reads only) with its CSRF token. */
  admin: { cookie: string; csrf: string };
}

export interface PanelSession {
  /** Cookie header of a signed-in session (session + CSRF cookies). */
  cookie: string;
  csrf: string;
  /** A login form's own CSRF pair (cookie header + field), for login attempts that get past the CSRF check. */
  loginCookie: string;
  loginCsrf: string;
}

const cookiesOf = (answer: { headers: Record<string, unknown> }): string => {
  const raw = answer.headers['set-cookie'];
  const lines = Array.isArray(raw) ? raw : raw ? [String(raw)] : [];
  return lines.map((line) => String(line).split(';')[0]).filter((pair): pair is string => pair !== undefined && !pair.endsWith('=')).join('; ');
};

async function panelSession(h: Harness, prefix: '/console' | '/cabinet', login: string, password: string): Promise<PanelSession> {
  const page = await h.tolem.app.inject({ method: 'GET', url: `${prefix}/login` });
  const loginCookie = cookiesOf(page);
  const loginCsrf = /name="_csrf" value="([^"]*)"/.exec(page.body)![1]!;
  const signed = await h.tolem.app.inject({
    method: 'POST', url: `${prefix}/login`, headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: loginCsrf, login, password }).toString(),
  });
  if (signed.statusCode !== 303) throw new Error(`${prefix} login failed: ${signed.statusCode} ${signed.body.slice(0, 200)}`);
  const cookie = cookiesOf(signed);
  const csrf = /_csrf=([^;]+)/.exec(cookie)![1]!;
  // A fresh login form for the fuzzed attempts (the one above was used).
  const again = await h.tolem.app.inject({ method: 'GET', url: `${prefix}/login` });
  return { cookie, csrf, loginCookie: cookiesOf(again), loginCsrf: /name="_csrf" value="([^"]*)"/.exec(again.body)![1]! };
}

async function orderToken(h: Harness, serviceId: string, account: string): Promise<string> {
  const answer = await h.tolem.app.inject({ method: 'POST', url: `/pay/s/${serviceId}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `account=${account}` });
  const token = /\/pay\/o\/([\w-]+)$/.exec(String(answer.headers.location ?? ''))?.[1];
  if (!token) throw new Error(`checkout order not started: ${answer.statusCode} ${answer.body.slice(0, 200)}`);
  return token;
}

export async function prepareWorld(h: Harness): Promise<World> {
  const agent = await newAgent(h.db, { openingBalanceMinor: 10n ** 15n });
  await newElsomAgent(h.db, { balanceMinor: 10n ** 15n });
  const cardOrderToken = await orderToken(h, 'P1011', '7011234567');
  // The card order goes to Assist's page (redirected), so a return makes the hub ask Assist for the order state.
  const card = await h.tolem.app.inject({ method: 'POST', url: `/pay/o/${cardOrderToken}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'amount=450.00&method=card' });
  if (card.statusCode !== 200) throw new Error(`card order not sent to Assist: ${card.statusCode}`);
  const walletToken = await orderToken(h, 'P1011', '7011234568');
  const chosen = await h.tolem.app.inject({ method: 'POST', url: `/pay/o/${walletToken}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'amount=400.00&method=elsom' });
  if (chosen.statusCode !== 303) throw new Error(`wallet order not redirected: ${chosen.statusCode}`);
  const order = await h.db.query<{ payment_id: bigint }>('SELECT payment_id FROM checkout_orders WHERE token = $1', [walletToken]);

  await h.tolem.ctx.admin.operators.create(LOCAL_ACTOR, { login: 'fuzz-viewer', password: 'fuzz viewer password', role: 'viewer' });
  await createAgentUser(h.db, agent.id, { login: 'fuzz-cabinet', password: 'fuzz cabinet password' }, h.tolem.ctx.clock);
  const adminLogin = await h.tolem.app.inject({ method: 'POST', url: '/api/admin/v1/session', payload: { login: 'fuzz-viewer', password: 'fuzz viewer password' } });
  if (adminLogin.statusCode !== 200) throw new Error(`admin login failed: ${adminLogin.statusCode}`);
  return {
    agentToken: agent.token,
    cardOrderToken,
    walletOrderTransactionId: String(order.rows[0]!.payment_id),
    console: await panelSession(h, '/console', 'fuzz-viewer', 'fuzz viewer password'),
    cabinet: await panelSession(h, '/cabinet', 'fuzz-cabinet', 'fuzz cabinet password'),
    admin: { cookie: cookiesOf(adminLogin), csrf: adminLogin.json<{ csrfToken: string }>().csrfToken },
  };
}

const text = (answer: FuzzAnswer) => answer.body.toString('utf8');

// ————————————————————————————————————————————————————————————— agent API v20

const AGENT_FIXTURES = ['check.request.json', 'pay.request.json', 'pay-extras.request.json', 'pay-complex.request.json', 'check-extras.request.json', 'check-identity.request.json', 'pay-contract.request.json', 'service.request.json', 'operatorByPhone.request.json']
  .map((name) => ({ name, tree: parseFixtureJson(fixture(`agent-api/${name}`).toString('utf8')) }));

const AGENT_METHODS = ['/check', '/pay', '/pay', '/check', '/service', '/services', '/balance', '/operatorByPhone'] as const;
/** Reads: whatever they answer, they write nothing. */
const AGENT_READS = new Set(['/service', '/services', '/balance', '/operatorByPhone']);
/** Codes given before anything is stored (a check refused by the provider is stored as check_failed, so 4/5/7/8 are not here). */
const AGENT_REFUSALS = new Set([150, 202, 130, 155, 215, 255]);
/** The HTTP statuses the agent API uses, each with the one code it allows (200: any). */
const AGENT_STATUS_CODES: Record<number, number | undefined> = { 200: undefined, 400: 202, 404: 202, 413: 202, 415: 202, 401: 150, 429: 150 };

const freshAgentId = (tree: JsonTree, fresh: bigint) => {
  if (tree && typeof tree === 'object' && !Array.isArray(tree) && 'agentTransactionId' in tree) (tree as Record<string, JsonTree>)['agentTransactionId'] = rawNumber(fresh.toString());
};

/** Which examples fit which method; a case sends a fitting one mostly, any other sometimes. */
const FIXTURES_OF: Record<string, string[]> = {
  '/check': ['check.request.json', 'check-extras.request.json', 'check-identity.request.json'],
  '/pay': ['pay.request.json', 'pay-extras.request.json', 'pay-complex.request.json', 'pay-contract.request.json'],
  '/service': ['service.request.json'],
  '/operatorByPhone': ['operatorByPhone.request.json'],
};

export function agentApiSurface(world: World): Surface {
  const bodyFor = (path: string) => {
    const fitting = AGENT_FIXTURES.filter((f) => FIXTURES_OF[path]?.includes(f.name));
    return fc.oneof(
      { weight: fitting.length ? 8 : 0, arbitrary: mutatedJson(fitting.length ? fitting : AGENT_FIXTURES, freshAgentId) },
      { weight: 2, arbitrary: mutatedJson(AGENT_FIXTURES, freshAgentId) },
      { weight: 1, arbitrary: randomBody },
    );
  };
  const auth = fc.oneof(
    { weight: 12, arbitrary: fc.constant(`Bearer ${world.agentToken}`) },
    { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', 'Bearer ', `bearer ${world.agentToken}`, `Basic ${world.agentToken}`, `Bearer ${world.agentToken}x`, `Bearer ${'x'.repeat(300)}`, `Bearer ${world.agentToken} ${world.agentToken}`, 'none') },
  );
  const path = fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...AGENT_METHODS) }, { weight: 1, arbitrary: fc.constantFrom('/', '/Pay', '/pay/', '/pay?x=1', '/..%2fadmin', '/%00', '/pay%2f', '/checks') });
  const cases = fc.record({
    auth, path,
    method: fc.oneof({ weight: 20, arbitrary: fc.constant('POST' as const) }, { weight: 1, arbitrary: fc.constantFrom('GET' as const, 'PUT' as const, 'DELETE' as const, 'OPTIONS' as const) }),
    contentType: fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 3, arbitrary: fc.constantFrom(...JSON_CONTENT_TYPES) }),
  }).chain(({ path, ...rest }) => bodyFor(path).map((body) => ({ ...rest, path, body }))).map(({ body, auth, path, method, contentType }): FuzzRequest => ({
    method, url: `/api/v20${path}`,
    headers: withContentType(auth === 'none' ? {} : { authorization: auth }, contentType),
    body: body.body, label: `${path} · ${body.label}`,
  }));
  return { name: 'agent-api', cases, judge: judgeAgentApi };
}

export function judgeAgentApi(request: FuzzRequest, answer: FuzzAnswer): Verdict {
  const body = text(answer);
  const problems = commonProblems(answer, body);
  if (!(answer.status in AGENT_STATUS_CODES)) problems.push(`HTTP ${answer.status} is not one of the protocol's`);
  if (!header(answer, 'content-type')?.startsWith('application/json')) problems.push(`content-type ${header(answer, 'content-type')}`);
  let result: number | undefined;
  try {
    const parsed = parseLossless(body) as Record<string, unknown>;
    result = Number(String((parsed['result'] as { value?: string })?.value ?? parsed['result']));
    if (!isResultCode(result)) problems.push(`result ${String(parsed['result'])} is not a known code`);
    if (typeof parsed['resultMessage'] !== 'string') problems.push('no resultMessage');
    // Tolem's own words: not our parser's class names nor JavaScript's renderings of values.
    else if (/Lossless|\[object |\bNaN\b|undefined/.test(parsed['resultMessage'])) problems.push(`resultMessage names our internals: ${parsed['resultMessage']}`);
  } catch {
    problems.push('the body is not JSON');
  }
  const expected = AGENT_STATUS_CODES[answer.status];
  if (expected !== undefined && result !== expected) problems.push(`HTTP ${answer.status} with result ${result}, expected ${expected}`);
  const path = request.url.slice('/api/v20'.length);
  const refused = answer.status !== 200 || AGENT_READS.has(path) || (result !== undefined && AGENT_REFUSALS.has(result));
  return { problems, refused, outcome: String(result) };
}

// ————————————————————————————————————————————————————————————— Elsom biller XML

/** The spec's examples with real credentials in place of their asterisks, and the helper's request. */
const withCredentials = (bytes: Buffer) => bytes.toString('latin1')
  .replace(/(<extra name="login">)\*+(<\/extra>)/, `$1${ELSOM_LOGIN}$2`)
  .replace(/(<extra name="password-md5">)\*+(<\/extra>)/, `$1${md5Hex(ELSOM_PASSWORD)}$2`);

const ELSOM_FIXTURES = [
  ...['authorize.request.xml', 'payment.request.xml', 'cancel-payment.request.xml', 'payment-list.request.xml'].map((name) => ({ name, xml: withCredentials(fixture(`elsom-biller/${name}`)) })),
  { name: 'authorize (helper)', xml: transferXml({ transactionNumber: '021508040001364950', type: 1 }) },
  { name: 'payment (helper)', xml: transferXml({ transactionNumber: '021508040001364951', type: 2 }) },
  { name: 'payment 5133 (helper)', xml: transferXml({ transactionNumber: '021508040001364952', type: 2, serviceId: '5133', amount: '10.50' }) },
];
/** Codes the gateway gives before anything is stored, and the reads' (PAYMENT_LIST's) whatever they say. */
const ELSOM_REFUSALS = new Set([202, 150, 201, 275, 274, 155, 233, 203]);
const freshNumber = (xml: string, fresh: string) => xml.replace(/<transaction-number>[^<]*<\/transaction-number>/, `<transaction-number>${fresh}</transaction-number>`);

export function elsomBillerSurface(): Surface {
  const body = fc.oneof(
    { weight: 8, arbitrary: mutatedXml(ELSOM_FIXTURES, freshNumber) },
    { weight: 1, arbitrary: randomBody.map(({ body, label }) => ({ body: Buffer.from(body), label })) },
  );
  const cases = fc.record({
    body,
    contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('text/xml') }, { weight: 2, arbitrary: fc.constantFrom(...XML_CONTENT_TYPES) }),
    path: fc.oneof({ weight: 20, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '/x', '?a=1', '/..%2fapi') }),
    method: fc.oneof({ weight: 30, arbitrary: fc.constant('POST' as const) }, { weight: 1, arbitrary: fc.constantFrom('GET' as const, 'PUT' as const) }),
    remoteAddress: fc.oneof({ weight: 10, arbitrary: fc.constant('127.0.0.1') }, { weight: 1, arbitrary: fc.constantFrom('10.9.8.7', '::1', '::ffff:127.0.0.1') }),
  }).map(({ body, contentType, path, method, remoteAddress }): FuzzRequest => ({
    method, url: `/elsom${path}`, headers: withContentType({}, contentType), body: body.body, remoteAddress, label: body.label,
  }));
  return { name: 'elsom-biller', cases, judge: judgeElsom };
}

export function judgeElsom(request: FuzzRequest, answer: FuzzAnswer): Verdict {
  const problems = commonProblems(answer, answer.body.toString('latin1'));
  if (answer.status !== 200) problems.push(`HTTP ${answer.status}: every Elsom answer is 200`);
  if (header(answer, 'content-type') !== 'text/xml; charset=windows-1251') problems.push(`content-type ${header(answer, 'content-type')}`);
  if (!answer.body.subarray(0, 45).equals(Buffer.from('<?xml version="1.0" encoding="windows-1251"?>'))) problems.push('no windows-1251 declaration');
  const decoded = decodeElsomResponse(answer.body, 'text/xml; charset=windows-1251');
  let code: number | undefined;
  if (!decoded.ok) problems.push(`not a <response>: ${decoded.failure.detail}`);
  else {
    code = decoded.response.resultCode;
    if (!(code in ELSOM_RESULT_CODES) && code !== 233) problems.push(`result-code ${code} is not in the protocol's table`);
    // 3 is the gateway's answer to an exception of its own (the database down, a bug): under fuzz, always a bug.
    if (code === 3) problems.push('result-code 3: the gateway failed on this request');
  }
  const listing = /<request-type>\s*4\s*<\/request-type>/.test(request.body?.toString() ?? '');
  return { problems, refused: (code !== undefined && ELSOM_REFUSALS.has(code)) || (listing && code !== undefined), outcome: String(code) };
}

// ————————————————————————————————————————————————————————————— Elsom merchant callback (PartnerPaymentResult)

const CALLBACK_CODES: Record<string, number> = { 0: 200, 150: 403, 2: 200, 3: 200, 5: 200 };

export function elsomCallbackSurface(world: World): Surface {
  const base = parseFixtureJson(fixture('elsom-merchant/payment-result-callback.json').toString('utf8'));
  const ours = parseFixtureJson(JSON.stringify({ PartnerPaymentResult: { CultureInfo: 'ru-RU', MSISDN: '0555123456', PartnerTrnID: world.walletOrderTransactionId, PSPTTrnID: 'PSP1', PaymentStatus: 'A', Amount: '400.00' } }));
  const renamed = parseFixtureJson(JSON.stringify({ PaymentResult: { PartnerTrnID: world.walletOrderTransactionId, PaymentStatus: '1' } }));
  const fixtures = [{ name: 'payment-result-callback.json', tree: base }, { name: 'our order', tree: ours }, { name: 'PaymentResult', tree: renamed }];
  const cases = fc.record({
    body: fc.oneof({ weight: 6, arbitrary: mutatedJson(fixtures) }, { weight: 1, arbitrary: randomBody }),
    contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: fc.constantFrom(...JSON_CONTENT_TYPES) }),
    remoteAddress: fc.oneof({ weight: 8, arbitrary: fc.constant('127.0.0.1') }, { weight: 1, arbitrary: fc.constantFrom('10.9.8.7', '::1', '192.168.0.1') }),
  }).map(({ body, contentType, remoteAddress }): FuzzRequest => ({
    method: 'POST', url: '/pay/elsom/callback', headers: withContentType({}, contentType), body: body.body, remoteAddress, label: body.label,
  }));
  return { name: 'elsom-callback', cases, judge: judgeCallback };
}

export function judgeCallback(_request: FuzzRequest, answer: FuzzAnswer): Verdict {
  const body = text(answer);
  const problems = commonProblems(answer, body);
  let code: string | undefined;
  if (!header(answer, 'content-type')?.startsWith('application/json')) problems.push(`content-type ${header(answer, 'content-type')}`);
  try {
    const parsed = JSON.parse(body) as { Response?: { ErrorCode?: unknown; ErrorMsg?: unknown } };
    code = typeof parsed.Response?.ErrorCode === 'string' ? parsed.Response.ErrorCode : undefined;
    if (code === undefined || !(code in CALLBACK_CODES)) problems.push(`ErrorCode ${String(parsed.Response?.ErrorCode)} is not ours`);
    else if (CALLBACK_CODES[code] !== answer.status) problems.push(`ErrorCode ${code} with HTTP ${answer.status}`);
    if (typeof parsed.Response?.ErrorMsg !== 'string') problems.push('no ErrorMsg');
  } catch {
    problems.push('the body is not JSON');
  }
  return { problems, refused: code !== undefined && code !== '0', outcome: String(code) };
}

// ————————————————————————————————————————————————————————————— Assist return (the browser back at URL_RETURN_OK / NO)

/** What Assist appends to a return URL (its public integrations: billnumber, ordernumber, …). */
const ASSIST_RETURN_FIELDS = { billnumber: '5640901234567890', ordernumber: '100000000000000001', responsecode: 'AS000', orderstate: 'Delayed', amount: '450.00', currency: 'KZT', signature: 'c2lnbmF0dXJl' };

export function assistReturnSurface(world: World): Surface {
  const token = fc.oneof({ weight: 3, arbitrary: fc.constant(world.cardOrderToken) }, { weight: 3, arbitrary: weirdSegment }, { weight: 1, arbitrary: fc.constant(world.cardOrderToken.slice(0, -1)) });
  const cases = fc.record({
    token, kind: fc.oneof(fc.constantFrom('ok', 'no', 'OK', ''), weirdSegment),
    form: mutatedForm(ASSIST_RETURN_FIELDS),
    method: fc.constantFrom('GET' as const, 'POST' as const, 'GET' as const),
    contentType: fc.constantFrom(...FORM_CONTENT_TYPES),
    lang: fc.constantFrom('', '', 'ru', 'kk', 'xx', '%00', 'ky'.repeat(100)),
  }).map(({ token, kind, form, method, contentType, lang }): FuzzRequest => {
    const query = typeof form.body === 'string' && form.body.length < 4000 ? form.body : 'billnumber=1';
    const url = `/pay/return/${token}/${kind}?${query}${lang ? `&lang=${lang}` : ''}`;
    return method === 'GET'
      ? { method, url, headers: {}, label: `GET · ${form.label}` }
      : { method, url: `/pay/return/${token}/${kind}`, headers: withContentType({}, contentType), body: form.body, label: `POST · ${form.label}` };
  });
  return { name: 'assist-return', cases, judge: judgePage('/pay') };
}

/** A page answer: an HTML page in the panel's own words, or a redirect that stays on our side. */
export function judgePage(prefix: string, allowed: readonly number[] = [200, 303, 400, 403, 404, 413, 415, 422]) {
  return (request: FuzzRequest, answer: FuzzAnswer): Verdict => {
    const body = text(answer);
    const problems = commonProblems(answer, body);
    if (!allowed.includes(answer.status)) problems.push(`HTTP ${answer.status} is not one of the pages'`);
    const location = header(answer, 'location');
    if (answer.status >= 300 && answer.status < 400) {
      if (!location || !location.startsWith(`${prefix}/`) || location.startsWith('//')) problems.push(`redirect to ${location}`);
    } else if (request.method !== 'HEAD') {
      const type = header(answer, 'content-type') ?? '';
      const page = type.startsWith('text/html') && /<html|<!doctype/i.test(body);
      const data = /^(text\/csv|application\/json|application\/vnd)/.test(type);
      if (!page && !data) problems.push(`neither a page nor data: ${type} ${body.slice(0, 80)}`);
    }
    const toLogin = location?.includes('/login') ?? false;
    return { problems, refused: answer.status >= 400 || toLogin || request.method === 'GET', outcome: String(answer.status) };
  };
}

// ————————————————————————————————————————————————————————————— admin API

const ADMIN_BODIES: Record<string, Record<string, unknown>> = {
  session: { login: 'fuzz-viewer', password: 'wrong password' },
  proposals: { agentId: '3', kind: 'topup', amountMinor: '1000', reason: 'fuzz' },
  agents: { name: 'Fuzz agent', currency: 'KZT', balanceMinor: '100' },
  services: { enabled: false, version: 1 },
  any: { note: 'fuzz', reason: 'fuzz', role: 'admin' },
};

export function adminApiSurface(world: World): Surface {
  const routes = ADMIN_ROUTES.filter((route) => !(route.url === '/session' && route.method === 'DELETE'));
  const bodies = Object.entries(ADMIN_BODIES).map(([name, value]) => ({ name, tree: parseFixtureJson(JSON.stringify(value)) }));
  const cases = fc.record({
    route: fc.constantFrom(...routes),
    segments: fc.array(weirdSegment, { minLength: 3, maxLength: 3 }),
    body: fc.oneof({ weight: 5, arbitrary: mutatedJson(bodies) }, { weight: 1, arbitrary: randomBody }),
    auth: fc.constantFrom('session', 'session', 'session-no-csrf', 'none', 'garbage'),
    contentType: fc.oneof({ weight: 5, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(...JSON_CONTENT_TYPES) }),
    query: sometimes(fc.constantFrom('?limit=-1', '?limit=99999999999999999999', '?agent=abc', '?from=9999-99-99', '?state=x,y', '?cursor=%00', '?min=1e400'), 3),
  }).map(({ route, segments, body, auth, contentType, query }): FuzzRequest => {
    let i = 0;
    const url = route.url.replace(/:\w+/g, () => segments[i++ % 3]!);
    const headers: Record<string, string> = {};
    if (auth.startsWith('session')) headers['cookie'] = world.admin.cookie;
    if (auth === 'session') headers['x-csrf-token'] = world.admin.csrf;
    if (auth === 'garbage') headers['cookie'] = 'tolem_console=garbage; tolem_cabinet=%00';
    const method = route.method as FuzzRequest['method'];
    const withBody = method !== 'GET' && method !== 'HEAD';
    return {
      method, url: `/api/admin/v1${url}${query ?? ''}`, headers: withBody ? withContentType(headers, contentType) : headers,
      ...(withBody ? { body: body.body } : {}), label: `${route.method} ${route.url} · ${auth} · ${body.label}`,
    };
  });
  return { name: 'admin-api', cases, judge: judgeAdmin };
}

export function judgeAdmin(request: FuzzRequest, answer: FuzzAnswer): Verdict {
  const body = text(answer);
  const problems = commonProblems(answer, body);
  if (![200, 201, 204, 400, 401, 403, 404, 409, 413, 415, 429].includes(answer.status)) problems.push(`HTTP ${answer.status} is not the admin API's`);
  if (body.length > 0) {
    if (!header(answer, 'content-type')?.startsWith('application/json')) problems.push(`content-type ${header(answer, 'content-type')}`);
    try {
      const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
      if (answer.status >= 400 && (typeof parsed.error?.code !== 'string' || typeof parsed.error?.message !== 'string')) problems.push('a refusal without {error:{code,message}}');
    } catch {
      problems.push('the body is not JSON');
    }
  }
  // Every session this surface presents is a viewer's, which may only read: its answers, like every refusal, write nothing.
  const viewer = request.headers['cookie'] !== undefined && !request.headers['cookie'].includes('garbage');
  return { problems, refused: answer.status >= 400 || request.method === 'GET' || viewer, outcome: String(answer.status) };
}

// ————————————————————————————————————————————————————————————— console and cabinet forms

const CONSOLE_FORMS: [string, Record<string, string>][] = [
  ['/login', { login: 'fuzz-viewer', password: 'wrong', totp: '123456', next: '/console/payments' }],
  ['/agents/:id/proposals', { kind: 'topup', amount: '1000.00', reason: 'fuzz' }],
  ['/agents/:id/ip-allow', { cidrs: '10.0.0.0/24' }],
  ['/agents/:id/settings', { notification: '100.00', overdraft: '-5.00', version: '1' }],
  ['/agents/:id/tokens/:id/revoke', {}],
  ['/operators', { login: 'new-op', password: 'new op password', role: 'admin' }],
  ['/operators/:id/role', { role: 'admin' }],
  ['/attention/:id/resolve', { note: 'x' }],
  ['/review/:id/approve', { note: 'x' }],
  ['/approvals/:id/approve', { note: 'x' }],
  ['/catalog/:id/fee', { kind: 'percent', percent: '5', version: '1' }],
  ['/catalog/:id/enabled', { enabled: 'false', version: '1' }],
  ['/reconciliation', { provider: 'alseco', date: '2026-11-21' }],
  ['/password', { current: 'x', next: 'y', confirm: 'y' }],
  ['/totp/enable', { secret: 'JBSWY3DPEHPK3PXP', code: '123456', password: 'x' }],
];
const CABINET_FORMS: [string, Record<string, string>][] = [
  ['/login', { login: 'fuzz-cabinet', password: 'wrong', next: '/cabinet/tokens' }],
  ['/tokens', { note: 'fuzz' }],
  ['/tokens/:id/revoke', {}],
  ['/password', { current: 'x', next: 'y', confirm: 'y' }],
];
const PANEL_GETS = ['/', '/login', '/payments', '/payments/:id', '/agents/:id', '/catalog/:id', '/audit', '/tokens', '/registry', '/nowhere'];

export function panelSurface(world: World, prefix: '/console' | '/cabinet'): Surface {
  const session = prefix === '/console' ? world.console : world.cabinet;
  const forms = prefix === '/console' ? CONSOLE_FORMS : CABINET_FORMS;
  const formCases = fc.constantFrom(...forms).chain(([path, fields]) => mutatedForm(fields).map((form) => ({ path, form })));
  const cases = fc.record({
    post: fc.boolean(),
    form: formCases,
    get: fc.constantFrom(...PANEL_GETS),
    segment: weirdSegment,
    auth: fc.constantFrom('session', 'session-no-csrf', 'session-wrong-csrf', 'none', 'garbage', 'login-form'),
    contentType: fc.oneof({ weight: 4, arbitrary: fc.constant('application/x-www-form-urlencoded') }, { weight: 1, arbitrary: fc.constantFrom(...FORM_CONTENT_TYPES) }),
    query: sometimes(fc.constantFrom('?next=//evil.example', '?next=https://evil.example/', '?lang=xx', '?page=-1', '?from=9999-99-99', '?q=%00', '?next=/console/../x'), 3),
  }).map(({ post, form, get, segment, auth, contentType, query }): FuzzRequest => {
    const headers: Record<string, string> = {};
    let body = form.form.body;
    if (auth.startsWith('session')) headers['cookie'] = session.cookie;
    if (auth === 'garbage') headers['cookie'] = `${prefix.slice(1) === 'console' ? 'tolem_console' : 'tolem_cabinet'}=garbage%00; tolem_lang=xx`;
    if (auth === 'login-form') headers['cookie'] = session.loginCookie;
    if (typeof body === 'string' && !body.includes('_csrf=')) {
      if (auth === 'session') body = `_csrf=${encodeURIComponent(session.csrf)}&${body}`;
      if (auth === 'session-wrong-csrf') body = `_csrf=${encodeURIComponent(session.csrf.slice(1))}x&${body}`;
      if (auth === 'login-form') body = `_csrf=${encodeURIComponent(session.loginCsrf)}&${body}`;
    }
    if (!post) return { method: 'GET', url: `${prefix}${get.replace(':id', segment)}${query ?? ''}`, headers, label: `GET ${get} · ${auth}` };
    return {
      method: 'POST', url: `${prefix}${form.path.replace(/:id/g, segment)}${query ?? ''}`, headers: withContentType(headers, contentType), body,
      label: `POST ${form.path} · ${auth} · ${form.form.label}`,
    };
  });
  const judge = judgePage(prefix, [200, 201, 303, 400, 401, 403, 404, 409, 413, 415, 422, 429]);
  return {
    name: prefix.slice(1),
    cases,
    judge(request, answer) {
      const verdict = judge(request, answer);
      // Only a signed-in viewer (the console's) cannot write even when its CSRF is right; the cabinet user can issue tokens.
      const viewer = prefix === '/console' && request.headers['cookie'] === session.cookie;
      const login = request.url.startsWith(`${prefix}/login`) && answer.status === 303;
      return { ...verdict, refused: !login && (verdict.refused || viewer) };
    },
  };
}

export const SURFACES = ['agent-api', 'elsom-biller', 'elsom-callback', 'assist-return', 'admin-api', 'console', 'cabinet'] as const;
export type SurfaceName = (typeof SURFACES)[number];

export function surfaceNamed(name: SurfaceName, world: World): Surface {
  switch (name) {
    case 'agent-api':
      return agentApiSurface(world);
    case 'elsom-biller':
      return elsomBillerSurface();
    case 'elsom-callback':
      return elsomCallbackSurface(world);
    case 'assist-return':
      return assistReturnSurface(world);
    case 'admin-api':
      return adminApiSurface(world);
    case 'console':
      return panelSurface(world, '/console');
    case 'cabinet':
      return panelSurface(world, '/cabinet');
  }
}
