/**
 * Secrets never logged: one realistic session at the most verbose level (trace), through the process's own logger
 * (createLogger: its redaction paths), every line kept. An agent pays with its token; an operator logs in with a
 * password and a second factor, issues a token through the admin API and the agent uses it; a wrong token is refused;
 * a cabinet user logs in; a payer pays by card (PAN, CVV) and by the Elsom wallet (OTP); an Elsom terminal pays with
 * its password. Afterwards no line holds any of those secrets, a session or CSRF token, a checkout order's token, an
 * argon2 hash, the secrets key, or an unredacted card, CVV, OTP, password or token field.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app.ts';
import { ADMIN_PREFIX } from '../../src/admin/socket.ts';
import { createAgentUser } from '../../src/engine/agent-users.ts';
import { newTotpSecret, totpCode } from '../../src/engine/operators.ts';
import { LOCAL_ACTOR } from '../../src/engine/sessions.ts';
import { md5Hex } from '../../src/gateways/elsom-biller/codec/index.ts';
import { agentApi, eventually, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import { CARDS, chooseCard, followReturn, http, orderByToken, payOnAssist, startOrder } from '../helpers/checkout.ts';
import { ELSOM_PASSWORD, newElsomAgent, postElsom, transferXml, txn } from '../helpers/elsom.ts';
import { PanelClient } from '../helpers/panel.ts';

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  },
});
const secretsKey = randomBytes(32);
const OPERATOR_PASSWORD = 'operator pass phrase 7';
const CABINET_PASSWORD = 'cabinet pass phrase 8';
/** The wallet simulator's one accepted code (sandbox/elsom-merchant/simulator.ts). */
const OTP = '1234';
/** Every secret the session handled, collected as it goes. */
const secrets = new Set<string>([secretsKey.toString('base64'), secretsKey.toString('hex'), OPERATOR_PASSWORD, CABINET_PASSWORD, ELSOM_PASSWORD, md5Hex(ELSOM_PASSWORD), CARDS.approve]);
let h: Harness;

beforeAll(async () => {
  h = await startTolem({ config: { logLevel: 'trace', secretsKey }, log: createLogger({ logLevel: 'trace' }, sink) });
});
afterAll(async () => h?.close());

async function agentPays(): Promise<void> {
  const agent = await newAgent(h.db, { name: 'Logged agent' });
  secrets.add(agent.token);
  const paid = await agentApi(h.url, agent.token)('pay', { serviceId: 'P1011', account: '7770017711', agentTransactionId: 9001, agentTransactionDate: '2026-11-22T10:00:00', amountTo: 100, amountFrom: 100 });
  expect(num(paid.body.result)).toBe('0');
  const wrong = `tolem_wrong_${randomBytes(12).toString('hex')}`;
  secrets.add(wrong);
  expect((await agentApi(h.url, wrong)('balance', '{}')).status).toBe(401);
}

/** An operator with a second factor logs in, issues a confirmed token through the admin API; the agent uses it. */
async function operatorIssuesToken(): Promise<void> {
  const admin = h.tolem.ctx.admin;
  const created = await admin.operators.create(LOCAL_ACTOR, { login: 'logged-root', password: OPERATOR_PASSWORD, role: 'admin' });
  const { secret } = newTotpSecret('logged-root');
  secrets.add(secret);
  const clock = h.tolem.ctx.clock;
  expect(await admin.operators.enableTotp(LOCAL_ACTOR, created.id, secret, totpCode(secret, { now: () => new Date(clock.now().getTime() - 30_000) }))).toBe(true);
  const console = new PanelClient(h.url, '/console');
  expect((await console.login('logged-root', OPERATOR_PASSWORD)).status).toBe(200); // asks for the code
  expect((await console.login('logged-root', OPERATOR_PASSWORD, totpCode(secret, clock))).status).toBe(303);
  for (const value of console.cookies.values()) secrets.add(value);
  const agent = await newAgent(h.db, { name: 'Token by API', issueToken: false });
  const issued = await fetch(`${h.url}${ADMIN_PREFIX}/agents/${agent.id}/tokens`, {
    method: 'POST', headers: { cookie: console.cookieHeader, 'x-csrf-token': console.csrf!, 'content-type': 'application/json' }, body: '{"confirm":true}',
  });
  expect(issued.status).toBe(201);
  const { token } = (await issued.json()) as { token: string };
  secrets.add(token);
  expect((await agentApi(h.url, token)('balance', '{}')).status).toBe(200);
}

async function cabinetUserLogsIn(): Promise<void> {
  const agent = await newAgent(h.db, { name: 'Cabinet agent' });
  secrets.add(agent.token);
  await createAgentUser(h.db, agent.id, { login: 'logged-alice', password: CABINET_PASSWORD }, h.tolem.ctx.clock);
  const cabinet = new PanelClient(h.url, '/cabinet');
  expect((await cabinet.login('logged-alice', 'not the password')).status).toBe(401);
  expect((await cabinet.login('logged-alice', CABINET_PASSWORD)).status).toBe(303);
  for (const value of cabinet.cookies.values()) secrets.add(value);
  expect((await cabinet.post('/tokens', {})).status).toBe(201);
}

async function payerPaysByCardAndWallet(): Promise<void> {
  const card = await startOrder(h, 'P1011', { account: '7011234567' });
  secrets.add(card); // an order's token opens its pages: masked in the request lines
  await followReturn(h, await payOnAssist(await chooseCard(h, card, { amount: '500.00' }), CARDS.approve));
  await eventually(async () => ((await orderByToken(h, card)).state === 'succeeded' ? true : undefined), 20_000);
  const wallet = await startOrder(h, 'P1011', { account: '7011234567' });
  secrets.add(wallet);
  const chosen = await http(`${h.url}/pay/o/${wallet}`, { form: { amount: '400.00', method: 'elsom' } });
  expect(chosen.status, chosen.text).toBe(303);
  const cookie = /tolem_elsom=[\w-]+/.exec(chosen.setCookie ?? '')![0];
  const done = await http(chosen.location!, { form: { wallet: '0555123456', otp: OTP, action: 'pay' } });
  expect(done.status, done.text).toBe(303);
  expect((await http(done.location!, { headers: { cookie } })).status).toBe(303);
  await eventually(async () => ((await orderByToken(h, wallet)).state === 'succeeded' ? true : undefined), 20_000);
}

async function elsomTerminalPays(): Promise<void> {
  await newElsomAgent(h.db);
  const answer = await postElsom(`${h.url}/elsom`, transferXml({ type: 2, transactionNumber: txn() }));
  expect(answer.response.resultCode).toBe(0);
  const refused = await postElsom(`${h.url}/elsom`, transferXml({ type: 2, transactionNumber: txn(), passwordMd5: md5Hex('a guessed password') }));
  expect(refused.response.resultCode).toBe(150);
  secrets.add(md5Hex('a guessed password'));
}

/** A field that names a secret must carry the censor's mark, whatever its value. */
const UNREDACTED_FIELD = /"(password|passwordMd5|password_md5|token|otp|totp|cardNumber|card|pan|cvv|cvc|secret|authorization|cookie)"\s*:\s*"(?!\[redacted\])[^"]+"/i;

describe('secrets never logged', () => {
  it('a whole session at trace level leaves none of its secrets in the log', async () => {
    await agentPays();
    await operatorIssuesToken();
    await cabinetUserLogsIn();
    await payerPaysByCardAndWallet();
    await elsomTerminalPays();
    await new Promise((resolve) => setTimeout(resolve, 200)); // the last answers' log lines
    const hashes = (await h.db.query<{ password_hash: string }>('SELECT password_hash FROM operators UNION ALL SELECT password_hash FROM agent_users')).rows.map((r) => r.password_hash);
    for (const hash of hashes) secrets.add(hash);

    expect(lines.length, 'the log was captured').toBeGreaterThan(50);
    expect(lines.some((line) => line.includes('incoming request')), 'request lines are in it').toBe(true);
    expect(lines.some((line) => line.includes('"url":"/pay/o/[redacted]"')), 'order paths are in it, masked').toBe(true);
    const text = lines.join('\n');
    const found = [...secrets].filter((secret) => secret.length >= 8 && text.includes(secret));
    expect(found.map((secret) => `${secret.slice(0, 4)}… (${secret.length} chars)`), 'secrets in the log').toEqual([]);
    expect(text).not.toContain('$argon2');
    expect(lines.filter((line) => UNREDACTED_FIELD.test(line)), 'a secret field not redacted').toEqual([]);
    // Short secrets (the OTP, the TOTP codes, the CVV) are looked for as whole values, where a number cannot hide them.
    expect(lines.filter((line) => line.includes(`"${OTP}"`) || /\bcvv=\d/.test(line) || /\botp=\d/.test(line))).toEqual([]);
    // Any other card number: sixteen digits passing the Luhn check, in a text field (our ids have eighteen digits, and
    // the numbers of a line are times and durations).
    const cardLike = (line: string) => textsOf(JSON.parse(line)).some((text) => [...text.matchAll(/(?<!\d)(\d{16})(?!\d)/g)].some((m) => luhn(m[1]!)));
    expect(lines.filter(cardLike), 'a card number').toEqual([]);
  });
});

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = Number(digits[digits.length - 1 - i]);
    sum += i % 2 === 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d;
  }
  return sum % 10 === 0;
}

/** Every string value of a parsed log line, however deep. */
function textsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(textsOf);
  return [];
}
