/**
 * Credentials are stored hashed and compared in constant time:
 * - after a session that creates every kind of credential (agent tokens, operator and cabinet passwords, a TOTP
 *   secret, console and cabinet sessions with their CSRF tokens, an Elsom terminal's password), every row of every
 *   table of the store, read as text, holds none of them in clear; the hash columns hold what they should
 *   (argon2id PHC strings, SHA-256 hex);
 * - the comparisons are exercised at their edges (one character off, another length, garbage): refused, never a 500;
 * - and, at code level, every module that compares a credential does it with timingSafeEqual or argon2's verify, and
 *   no `===` / `!==` in src/ compares a credential-named value (the sandboxes, being partner simulators, are exempt).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentUser } from '../../src/engine/agent-users.ts';
import { newTotpSecret, totpCode } from '../../src/engine/operators.ts';
import { verifyPassword } from '../../src/engine/passwords.ts';
import { LOCAL_ACTOR } from '../../src/engine/sessions.ts';
import { md5Hex } from '../../src/gateways/elsom-biller/codec/index.ts';
import { agentApi, newAgent, startTolem, type Harness } from '../helpers/harness.ts';
import { ELSOM_PASSWORD, newElsomAgent, postElsom, transferXml, txn } from '../helpers/elsom.ts';
import { PanelClient } from '../helpers/panel.ts';

const SRC = new URL('../../src/', import.meta.url).pathname;
const OPERATOR_PASSWORD = 'stored operator phrase';
const CABINET_PASSWORD = 'stored cabinet phrase';
const secrets = new Set<string>([OPERATOR_PASSWORD, CABINET_PASSWORD, ELSOM_PASSWORD, md5Hex(ELSOM_PASSWORD)]);
let h: Harness;
let agentToken: string;

beforeAll(async () => {
  h = await startTolem({ jobs: false });
  const clock = h.tolem.ctx.clock;
  const agent = await newAgent(h.db, { name: 'Stored agent' });
  agentToken = agent.token;
  secrets.add(agent.token);
  await newElsomAgent(h.db);
  const operator = await h.tolem.ctx.admin.operators.create(LOCAL_ACTOR, { login: 'stored-root', password: OPERATOR_PASSWORD, role: 'admin' });
  const { secret } = newTotpSecret('stored-root');
  secrets.add(secret);
  expect(await h.tolem.ctx.admin.operators.enableTotp(LOCAL_ACTOR, operator.id, secret, totpCode(secret, { now: () => new Date(clock.now().getTime() - 30_000) }))).toBe(true);
  await createAgentUser(h.db, agent.id, { login: 'stored-alice', password: CABINET_PASSWORD }, clock);
  const console = new PanelClient(h.url, '/console');
  expect((await console.login('stored-root', OPERATOR_PASSWORD, totpCode(secret, clock))).status).toBe(303);
  const cabinet = new PanelClient(h.url, '/cabinet');
  expect((await cabinet.login('stored-alice', CABINET_PASSWORD)).status).toBe(303);
  const issued = await cabinet.post('/tokens', {});
  expect(issued.status).toBe(201);
  secrets.add(/id="new-token">([^<]+)</.exec(issued.text)![1]!);
  for (const client of [console, cabinet]) for (const value of client.cookies.values()) secrets.add(value);
  expect((await postElsom(`${h.url}/elsom`, transferXml({ transactionNumber: txn() }))).response.resultCode).toBe(0);
});
afterAll(async () => h?.close());

/** Every row of every table of this store's schema, as JSON text. */
async function wholeStore(): Promise<Map<string, string[]>> {
  const tables = await h.db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const rows = new Map<string, string[]>();
  for (const { table_name: table } of tables.rows) {
    const result = await h.db.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${table}" t`);
    rows.set(table, result.rows.map((r) => r.row));
  }
  return rows;
}

describe('credentials at rest', () => {
  it('no table holds a token, password, TOTP secret, session or CSRF token in clear', async () => {
    const store = await wholeStore();
    expect(store.size, 'the schema was read').toBeGreaterThan(15);
    for (const table of ['agent_tokens', 'operators', 'agent_users', 'sessions', 'elsom_terminals']) expect(store.get(table)?.length, table).toBeGreaterThan(0);
    expect(secrets.size).toBeGreaterThanOrEqual(10);
    const found: string[] = [];
    for (const [table, rows] of store) {
      for (const secret of secrets) if (rows.some((row) => row.includes(secret))) found.push(`${table}: ${secret.slice(0, 4)}… (${secret.length} chars)`);
    }
    expect(found).toEqual([]);
  });

  it('stores argon2id hashes for passwords and SHA-256 digests for tokens, sessions and Elsom passwords', async () => {
    const passwords = await h.db.query<{ password_hash: string }>('SELECT password_hash FROM operators UNION ALL SELECT password_hash FROM agent_users');
    for (const { password_hash: hash } of passwords.rows) expect(hash).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    const tokens = await h.db.query<{ token_sha256: string }>('SELECT token_sha256 FROM agent_tokens');
    for (const { token_sha256: digest } of tokens.rows) expect(digest).toMatch(/^[0-9a-f]{64}$/);
    const sessions = await h.db.query<{ id: string; csrf_token_hash: string }>('SELECT id, csrf_token_hash FROM sessions');
    for (const session of sessions.rows) expect([session.id, session.csrf_token_hash]).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/), expect.stringMatching(/^[0-9a-f]{64}$/)]);
    const terminals = await h.db.query<{ password_salt: string; password_sha256: string }>('SELECT password_salt, password_sha256 FROM elsom_terminals');
    for (const terminal of terminals.rows) expect(terminal.password_sha256).toMatch(/^[0-9a-f]{64}$/), expect(terminal.password_salt).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('comparisons at their edges', () => {
  it('an agent token one character off, shorter, longer or garbage is refused with 401', async () => {
    const last = agentToken.at(-1) === 'a' ? 'b' : 'a';
    for (const token of [agentToken.slice(0, -1) + last, agentToken.slice(0, -1), `${agentToken}x`, '%%%', 'x'.repeat(5000)]) {
      expect((await agentApi(h.url, token)('balance', '{}')).status, token.slice(0, 12)).toBe(401);
    }
    expect((await agentApi(h.url, agentToken)('balance', '{}')).status).toBe(200);
  });

  it('a session cookie or CSRF token of the wrong length or alphabet is refused, never a 500', async () => {
    const cabinet = new PanelClient(h.url, '/cabinet');
    expect((await cabinet.login('stored-alice', CABINET_PASSWORD)).status).toBe(303);
    const session = cabinet.cookies.get('tolem_cabinet')!;
    for (const cookie of [session.slice(0, -1), `${session}A`, 'zz', 'ä'.repeat(40)]) {
      const page = await fetch(`${h.url}/cabinet/`, { headers: { cookie: `tolem_cabinet=${encodeURIComponent(cookie)}` }, redirect: 'manual' });
      expect(page.status, cookie).toBe(303);
    }
    for (const csrf of [cabinet.csrf!.slice(0, -1), `${cabinet.csrf!}A`, 'x'.repeat(500), 'ä']) {
      expect((await cabinet.post('/tokens', { _csrf: csrf })).status, csrf.slice(0, 12)).toBe(403);
    }
  });

  it('an Elsom password hash of another length or case is refused or accepted as the protocol says', async () => {
    const send = (passwordMd5: string) => postElsom(`${h.url}/elsom`, transferXml({ transactionNumber: txn(), passwordMd5 }));
    for (const wrong of [md5Hex(ELSOM_PASSWORD).slice(0, 31), `${md5Hex(ELSOM_PASSWORD)}0`, 'zz'.repeat(16)]) expect((await send(wrong)).response.resultCode, wrong).toBe(150);
    expect((await send(md5Hex(ELSOM_PASSWORD).toUpperCase())).response.resultCode).toBe(0);
  });

  it('a password is checked by argon2 verify: the right one, not a near one, not against a malformed hash', async () => {
    const [{ password_hash: stored }] = (await h.db.query<{ password_hash: string }>(`SELECT password_hash FROM operators WHERE login = 'stored-root'`)).rows as [{ password_hash: string }];
    expect(await verifyPassword(stored, OPERATOR_PASSWORD)).toBe(true);
    expect(await verifyPassword(stored, `${OPERATOR_PASSWORD} `)).toBe(false);
    expect(await verifyPassword('not a hash', OPERATOR_PASSWORD)).toBe(false);
    expect(await verifyPassword(undefined, OPERATOR_PASSWORD)).toBe(false);
  });
});

/** The source files of src/, without the partner simulators (test equipment, not Tolem's own checks). */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return relative(SRC, path) === 'sandbox' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('the comparison code', () => {
  /** Where each credential is compared, and with what. */
  const COMPARERS: Record<string, RegExp> = {
    'engine/agents.ts': /timingSafeEqual\(/, // agent API tokens (their SHA-256)
    'engine/authentication.ts': /timingSafeEqual\(/, // Elsom terminal login and password
    'engine/sessions.ts': /timingSafeEqual\(/, // session ids and CSRF tokens
    'web/panel-session.ts': /timingSafeEqual\(/, // the login form's pre-session CSRF token
    'gateways/elsom-biller/codec/identifiers.ts': /timingSafeEqual\(/,
    'engine/passwords.ts': /\bverify\(target, password\)/, // argon2id
  };

  it('compares every credential with timingSafeEqual or argon2 verify', () => {
    for (const [file, comparer] of Object.entries(COMPARERS)) expect(readFileSync(join(SRC, file), 'utf8'), file).toMatch(comparer);
    expect(readFileSync(join(SRC, 'engine/passwords.ts'), 'utf8')).toMatch(/import \{[^}]*\bverify\b[^}]*\} from '@node-rs\/argon2'/);
  });

  it('has no === or !== on a credential-named value anywhere in src/', () => {
    const credential = /(token|password|passwd|csrf|secret|otp|totp|signature|mac)\w*/i;
    // `x === y` where either side is a credential-named expression and the other is not a literal, undefined or null.
    const comparison = /([\w.$[\]'"]+)\s*(===|!==)\s*([\w.$[\]'"]+)/g;
    const literal = /^(undefined|null|true|false|'[^']*'|"[^"]*"|\d+)$/;
    /** Credential-named values that are not secret, each with its reason. */
    const notSecret = new Set([
      'under !== secrets.keyId', // the id of the secrets key a TOTP secret is sealed under: public, stored beside it
    ]);
    const found: string[] = [];
    for (const file of sourceFiles()) {
      readFileSync(file, 'utf8').split('\n').forEach((line, index) => {
        if (/^\s*(\/\/|\*)/.test(line)) return;
        for (const [, left = '', op = '', right = ''] of line.matchAll(comparison)) {
          if (literal.test(left) || literal.test(right)) continue;
          if (/\.(length|kind|status|size|code)$/.test(left) || /\.(length|kind|status|size|code)$/.test(right)) continue;
          if (notSecret.has(`${left} ${op} ${right}`)) continue;
          if (credential.test(left) || credential.test(right)) found.push(`${relative(SRC, file)}:${index + 1}: ${line.trim()}`);
        }
      });
    }
    expect(found).toEqual([]);
  });
});
