import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { ShiftedClock, type Clock } from '../../src/domain/clock.ts';
import { KEY_FILE, openSecretBox, SecretBox, SecretKeyError } from '../../src/engine/secrets.ts';
import { createAgent } from '../../src/engine/agents.ts';
import {
  changeOwnPassword, checkOperatorLogin, createOperator, disableOperator, disableOwnTotp, enableTotp, ensureFirstAdmin, listOperators,
  newTotpSecret, sealClearTotpSecrets, setOperatorRole, totpCode, verifyOperatorPassword,
} from '../../src/engine/operators.ts';
import { createAgentUser, listAgentUsers, verifyAgentUserPassword } from '../../src/engine/agent-users.ts';
import { checkCsrf, createSession, endSession, LOCAL_ACTOR, readSession, type Actor } from '../../src/engine/sessions.ts';
import { can } from '../../src/engine/authorization.ts';
import { listAudit, verifyAuditChain } from '../../src/engine/audit.ts';
import { ServiceError } from '../../src/engine/errors.ts';
import { openTestDb } from '../helpers/harness.ts';

const text = (value: unknown) => JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));

/** Operators, cabinet users, sessions and authorization on a real store, with a clock the tests move. */
let db: Db;
const clock = new ShiftedClock(new Date('2026-12-31T23:50:00+05:00'));
let agentId: bigint;
/** What the secret box logged: the tests read it to see that a wrong key is said, and no secret ever is. */
const logged: string[] = [];
const secretsLog = {
  warn: (details: object, message: string) => void logged.push(`${message} ${JSON.stringify(details)}`),
  error: (details: object, message: string) => void logged.push(`${message} ${JSON.stringify(details)}`),
};
const secrets = new SecretBox(randomBytes(32), secretsLog);
/** A clock stopped at an instant (TOTP steps are 30 s: a running clock could cross one between two lines). */
const stoppedAt = (ms: number): Clock => ({ now: () => new Date(ms) });

beforeAll(async () => {
  db = await openTestDb();
  await migrate(db);
  agentId = (await createAgent(db, { name: 'Cabinet agent', currency: 'KZT' })).agent.id;
});
afterAll(async () => db?.close());

describe('operators', () => {
  it('the first start creates admin with a one-time password, once', async () => {
    const first = await ensureFirstAdmin(db, clock);
    expect(first?.login).toBe('admin');
    expect(first!.password.length).toBeGreaterThanOrEqual(12);
    expect(await ensureFirstAdmin(db, clock)).toBeNull();
    const admin = await verifyOperatorPassword(db, 'admin', first!.password, undefined, clock, secrets);
    expect(admin?.role).toBe('admin');
    expect(admin?.mustChangePassword).toBe(true);
  });

  it('an operator changes its own one-time password: the current one must match; the flag clears', async () => {
    const op = await createOperator(db, { login: 'first-timer', password: 'one-time-pw', role: 'viewer', mustChangePassword: true }, clock);
    const actor: Actor = { principal: { kind: 'operator', id: op.id, login: op.login, role: op.role }, ip: null };
    await expect(changeOwnPassword(db, op.id, 'not the one', 'my own password', clock, actor)).rejects.toMatchObject({ code: 'wrong_password' });
    await expect(changeOwnPassword(db, op.id, 'one-time-pw', 'one-time-pw', clock, actor)).rejects.toMatchObject({ code: 'weak_password' });
    expect((await changeOwnPassword(db, op.id, 'one-time-pw', 'my own password', clock, actor)).mustChangePassword).toBe(false);
    expect(await verifyOperatorPassword(db, 'first-timer', 'my own password', undefined, clock, secrets)).not.toBeNull();
    expect(await verifyOperatorPassword(db, 'first-timer', 'one-time-pw', undefined, clock, secrets)).toBeNull();
  });

  it('passwords are argon2id hashes; wrong passwords, unknown and disabled logins are refused alike', async () => {
    const created = await createOperator(db, { login: 'Aigerim', password: 'correct horse', role: 'operator' }, clock);
    expect(created.login).toBe('aigerim');
    const stored = await db.query<{ password_hash: string }>('SELECT password_hash FROM operators WHERE id = $1', [created.id]);
    expect(stored.rows[0]!.password_hash.startsWith('$argon2id$')).toBe(true);
    expect(await verifyOperatorPassword(db, 'AIGERIM', 'correct horse', undefined, clock, secrets)).not.toBeNull();
    expect(await verifyOperatorPassword(db, 'aigerim', 'wrong horse', undefined, clock, secrets)).toBeNull();
    expect(await verifyOperatorPassword(db, 'nobody', 'correct horse', undefined, clock, secrets)).toBeNull();
    await expect(createOperator(db, { login: 'aigerim', password: 'another one', role: 'viewer' }, clock)).rejects.toMatchObject({ code: 'login_taken' });
    await expect(createOperator(db, { login: 'short', password: 'short', role: 'viewer' }, clock)).rejects.toMatchObject({ code: 'weak_password' });
    await disableOperator(db, created.id, clock);
    expect(await verifyOperatorPassword(db, 'aigerim', 'correct horse', undefined, clock, secrets)).toBeNull();
  });

  it('a role change is audited with before and after; the list shows it', async () => {
    const viewer = await createOperator(db, { login: 'viewer1', password: 'viewer password', role: 'viewer' }, clock);
    const changed = await setOperatorRole(db, viewer.id, 'operator', clock);
    expect(changed.role).toBe('operator');
    expect((await listOperators(db)).find((o) => o.id === viewer.id)?.role).toBe('operator');
    const { entries } = await listAudit(db, { action: 'operators.set_role', targetId: String(viewer.id) });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.before).toMatchObject({ role: 'viewer' });
    expect(entries[0]!.after).toMatchObject({ role: 'operator' });
    expect(text(entries)).not.toContain('argon2');
  });

  it('with TOTP enabled a login needs the current code', async () => {
    const op = await createOperator(db, { login: 'totp-user', password: 'totp password', role: 'operator' }, clock);
    const { secret, uri } = newTotpSecret(op.login);
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(await enableTotp(db, op.id, secret, '000000' === totpCode(secret, clock) ? '111111' : '000000', clock, LOCAL_ACTOR, secrets)).toBe(false);
    // Enrolled with the previous step's code (still within the drift window), so the current one is unused.
    const enrolled = new ShiftedClock(new Date(clock.now().getTime() - 30_000));
    expect(await enableTotp(db, op.id, secret, totpCode(secret, enrolled), clock, LOCAL_ACTOR, secrets)).toBe(true);
    expect(await checkOperatorLogin(db, 'totp-user', 'totp password', undefined, clock, secrets)).toEqual({ ok: false, reason: 'totp_required' });
    expect(await checkOperatorLogin(db, 'totp-user', 'wrong password', undefined, clock, secrets)).toEqual({ ok: false, reason: 'invalid' });
    expect(await verifyOperatorPassword(db, 'totp-user', 'totp password', totpCode(secret, clock), clock, secrets)).not.toBeNull();
    const later = new ShiftedClock(new Date(clock.now().getTime() + 10 * 60_000));
    expect(await verifyOperatorPassword(db, 'totp-user', 'totp password', totpCode(secret, clock), later, secrets)).toBeNull();
  });
});

describe('the second factor: each code once, secrets sealed', () => {
  /** 10 s into a 30-second step, so that steps are whole numbers of periods from here. */
  const t0 = Date.parse('2026-12-31T23:50:10+05:00');
  const step = (n: number) => stoppedAt(t0 + n * 30_000);
  const enrolled = async (login: string) => {
    const op = await createOperator(db, { login, password: 'second factor', role: 'operator' }, clock);
    const { secret } = newTotpSecret(login);
    expect(await enableTotp(db, op.id, secret, totpCode(secret, step(0)), step(0), LOCAL_ACTOR, secrets)).toBe(true);
    return { op, secret };
  };
  const login = (name: string, code: string, at: Clock, box = secrets) => checkOperatorLogin(db, name, 'second factor', code, at, box);

  it('refuses a code already used (the enrolment\'s too), accepts the next step\'s once, and never an earlier one', async () => {
    const { secret } = await enrolled('replayed');
    expect(await login('replayed', totpCode(secret, step(0)), step(0))).toEqual({ ok: false, reason: 'invalid' });
    expect((await login('replayed', totpCode(secret, step(1)), step(1))).ok).toBe(true);
    expect(await login('replayed', totpCode(secret, step(1)), step(1))).toEqual({ ok: false, reason: 'invalid' });
    // A code of step 1 seen at step 2 is still within the window of drift, but used: refused.
    expect(await login('replayed', totpCode(secret, step(1)), step(2))).toEqual({ ok: false, reason: 'invalid' });
    expect((await login('replayed', totpCode(secret, step(3)), step(2))).ok).toBe(true); // a phone one step ahead
    expect(await login('replayed', totpCode(secret, step(2)), step(2))).toEqual({ ok: false, reason: 'invalid' }); // before the last
    const stored = await db.query<{ totp_last_step: string }>(`SELECT totp_last_step::text FROM operators WHERE login = 'replayed'`);
    expect(Number(stored.rows[0]!.totp_last_step)).toBe(Math.floor(t0 / 30_000) + 3);
  });

  it('lets one of two concurrent logins with the same code in', async () => {
    const { secret } = await enrolled('raced');
    const code = totpCode(secret, step(1));
    const results = await Promise.all([login('raced', code, step(1)), login('raced', code, step(1)), login('raced', code, step(1))]);
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.ok)).toEqual([{ ok: false, reason: 'invalid' }, { ok: false, reason: 'invalid' }]);
  });

  it('turns off only with an unused code', async () => {
    const { op, secret } = await enrolled('switch-off');
    const actor: Actor = { principal: { kind: 'operator', id: op.id, login: op.login, role: op.role }, ip: null };
    expect((await login('switch-off', totpCode(secret, step(1)), step(1))).ok).toBe(true);
    expect(await disableOwnTotp(db, op.id, totpCode(secret, step(1)), step(1), actor, secrets)).toBe(false);
    expect(await disableOwnTotp(db, op.id, totpCode(secret, step(2)), step(2), actor, secrets)).toBe(true);
    expect((await checkOperatorLogin(db, 'switch-off', 'second factor', undefined, step(2), secrets)).ok).toBe(true);
  });

  it('stores the secret sealed (AES-256-GCM), bound to its operator, never in clear', async () => {
    const { op, secret } = await enrolled('sealed');
    const row = (await db.query<{ totp_secret: string }>('SELECT totp_secret FROM operators WHERE id = $1', [op.id])).rows[0]!;
    expect(row.totp_secret).not.toBe(secret);
    expect(row.totp_secret).not.toContain(secret);
    expect(row.totp_secret.startsWith(`sealed:v1:${secrets.keyId}:`)).toBe(true);
    expect(secrets.open(row.totp_secret, `operators.totp_secret:${op.id}`)).toBe(secret);
    // Copied onto another operator it does not open: the row is part of what was sealed.
    const other = await enrolled('sealed-other');
    await db.query('UPDATE operators SET totp_secret = $2 WHERE id = $1', [other.op.id, row.totp_secret]);
    expect(await login('sealed-other', totpCode(secret, step(1)), step(1))).toEqual({ ok: false, reason: 'invalid' });
    expect(() => secrets.open(`${row.totp_secret.slice(0, -4)}AAAA`, `operators.totp_secret:${op.id}`)).toThrow(SecretKeyError);
    const audit = await listAudit(db, { action: 'operators.enable_totp', targetId: String(op.id) });
    expect(text(audit.entries)).not.toContain(secret);
    expect(text(await listOperators(db))).not.toContain(row.totp_secret);
  });

  it('under a wrong key refuses the login like a wrong code, and logs which key, never the secret', async () => {
    const { secret } = await enrolled('wrong-key');
    const sealed = (await db.query<{ totp_secret: string }>(`SELECT totp_secret FROM operators WHERE login = 'wrong-key'`)).rows[0]!.totp_secret;
    const otherKey = new SecretBox(randomBytes(32), secretsLog);
    logged.length = 0;
    expect(await login('wrong-key', totpCode(secret, step(1)), step(1), otherKey)).toEqual({ ok: false, reason: 'invalid' });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(`sealed under key ${secrets.keyId} does not open under this instance's key ${otherKey.keyId}`);
    expect(logged[0]).toContain('TOLEM_SECRETS_KEY');
    expect(logged[0]).not.toContain(secret);
    expect(logged[0]).not.toContain(sealed.split(':').at(-1));
    expect((await login('wrong-key', totpCode(secret, step(1)), step(1))).ok).toBe(true); // the right key still opens it
  });

  it('seals secrets stored in clear before migration 014 at the start, without locking anyone out', async () => {
    const { op, secret } = await enrolled('legacy');
    await db.query('UPDATE operators SET totp_secret = $2 WHERE id = $1', [op.id, secret]); // as 010 stored it
    expect((await login('legacy', totpCode(secret, step(1)), step(1))).ok).toBe(true); // still read in clear
    const first = await sealClearTotpSecrets(db, secrets);
    expect(first.sealed).toBeGreaterThanOrEqual(1);
    expect(await sealClearTotpSecrets(db, secrets)).toMatchObject({ sealed: 0 });
    const row = (await db.query<{ totp_secret: string }>('SELECT totp_secret FROM operators WHERE id = $1', [op.id])).rows[0]!;
    expect(SecretBox.isSealed(row.totp_secret)).toBe(true);
    expect((await login('legacy', totpCode(secret, step(2)), step(2))).ok).toBe(true);
    const elsewhere = await sealClearTotpSecrets(db, new SecretBox(randomBytes(32), secretsLog));
    expect(elsewhere.foreign).toBeGreaterThanOrEqual(1);
    expect(elsewhere.foreignKeys).toEqual([secrets.keyId]);
  });

  it('keeps its key in the data directory when none is configured: made once, mode 0600, the configured one first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tolem-secrets-'));
    try {
      const source = { secretsKey: undefined, dataDir: join(dir, 'data') };
      const first = openSecretBox(source, secretsLog);
      const path = join(dir, 'data', KEY_FILE);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64')).toHaveLength(32);
      expect(openSecretBox(source, secretsLog).keyId).toBe(first.keyId);
      const configured = Buffer.alloc(32, 1);
      expect(openSecretBox({ ...source, secretsKey: configured }, secretsLog).keyId).toBe(new SecretBox(configured, secretsLog).keyId);
      writeFileSync(path, 'too short\n');
      expect(() => openSecretBox(source, secretsLog)).toThrow(/does not hold the base64 of 32 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('agent users', () => {
  it('belong to one agent and log in with their own password', async () => {
    const user = await createAgentUser(db, agentId, { login: 'cashier', password: 'cashier password' }, clock);
    expect(user.agentId).toBe(agentId);
    expect((await listAgentUsers(db, agentId)).map((u) => u.login)).toEqual(['cashier']);
    expect((await verifyAgentUserPassword(db, 'cashier', 'cashier password'))?.id).toBe(user.id);
    expect(await verifyAgentUserPassword(db, 'cashier', 'nope nope nope')).toBeNull();
    await expect(createAgentUser(db, 999_999n, { login: 'ghost', password: 'ghost password' }, clock)).rejects.toBeInstanceOf(ServiceError);
  });
});

describe('sessions', () => {
  it('store only hashes, slide on use, end when idle, at their lifetime and at logout', async () => {
    const op = await createOperator(db, { login: 'session-user', password: 'session password', role: 'viewer' }, clock);
    const principal = { kind: 'operator' as const, id: op.id, login: op.login, role: op.role };
    const local = new ShiftedClock(clock.now());
    const { token, csrfToken } = await createSession(db, principal, { ip: '127.0.0.1', userAgent: 'test' }, local);
    const rows = await db.query<Record<string, string>>('SELECT * FROM sessions');
    expect(text(rows.rows)).not.toContain(token);
    expect(text(rows.rows)).not.toContain(csrfToken);

    const session = await readSession(db, token, local);
    expect(session?.principal).toEqual(principal);
    expect(checkCsrf(session!, csrfToken)).toBe(true);
    expect(checkCsrf(session!, `${csrfToken}x`)).toBe(false);
    expect(checkCsrf(session!, undefined)).toBe(false);

    local.advance(14 * 60_000);
    expect(await readSession(db, token, local)).not.toBeNull(); // used within the idle timeout: slides on
    local.advance(14 * 60_000);
    expect(await readSession(db, token, local)).not.toBeNull();
    local.advance(16 * 60_000);
    expect(await readSession(db, token, local)).toBeNull(); // idle too long
    expect(await readSession(db, token, local)).toBeNull();

    const second = await createSession(db, principal, { ip: null, userAgent: null }, local, { idleMs: 3_600_000, lifetimeMs: 2 * 3_600_000 });
    local.advance(59 * 60_000);
    expect(await readSession(db, second.token, local, { idleMs: 3_600_000, lifetimeMs: 2 * 3_600_000 })).not.toBeNull();
    local.advance(62 * 60_000);
    expect(await readSession(db, second.token, local, { idleMs: 3_600_000, lifetimeMs: 2 * 3_600_000 })).toBeNull(); // past its lifetime

    const third = await createSession(db, principal, { ip: null, userAgent: null }, local);
    await endSession(db, third.token);
    expect(await readSession(db, third.token, local)).toBeNull();
    expect(await readSession(db, 'not-a-token', local)).toBeNull();
  });

  it('a disabled operator loses its sessions; a role change shows at the next read', async () => {
    const op = await createOperator(db, { login: 'demoted', password: 'demoted password', role: 'admin' }, clock);
    const { token } = await createSession(db, { kind: 'operator', id: op.id, login: op.login, role: 'admin' }, { ip: null, userAgent: null }, clock);
    await setOperatorRole(db, op.id, 'viewer', clock);
    expect((await readSession(db, token, clock))?.principal).toMatchObject({ role: 'viewer' });
    await disableOperator(db, op.id, clock);
    expect(await readSession(db, token, clock)).toBeNull();
  });
});

describe('authorization', () => {
  const viewer = { kind: 'operator', id: 1n, login: 'v', role: 'viewer' } as const;
  const operator = { kind: 'operator', id: 2n, login: 'o', role: 'operator' } as const;
  const admin = { kind: 'operator', id: 3n, login: 'a', role: 'admin' } as const;
  const cabinet = { kind: 'agent_user', id: 4n, login: 'c', agentId: 7n } as const;

  it('viewers read, operators act, admins manage operators; the socket does all', () => {
    expect(can(viewer, 'payments.read')).toBe(true);
    expect(can(viewer, 'attention.resolve')).toBe(false);
    expect(can(viewer, 'proposals.propose')).toBe(false);
    expect(can(operator, 'attention.resolve')).toBe(true);
    expect(can(operator, 'proposals.decide')).toBe(true);
    expect(can(operator, 'operators.manage')).toBe(false);
    expect(can(operator, 'catalog.manage')).toBe(false);
    expect(can(admin, 'operators.manage')).toBe(true);
    expect(can(admin, 'money.direct')).toBe(false);
    expect(can({ kind: 'local' }, 'money.direct')).toBe(true);
  });

  it('a cabinet user acts only on its own agent, and only on what the cabinet offers', () => {
    expect(can(cabinet, 'payments.read', { agentId: 7n })).toBe(true);
    expect(can(cabinet, 'payments.read', { agentId: 8n })).toBe(false);
    expect(can(cabinet, 'payments.read')).toBe(false);
    expect(can(cabinet, 'tokens.issue', { agentId: 7n })).toBe(true);
    expect(can(cabinet, 'tokens.confirm', { agentId: 7n })).toBe(false);
    expect(can(cabinet, 'attention.read', { agentId: 7n })).toBe(false);
  });
});

describe('audit log', () => {
  it('chains every entry; the database refuses edits', async () => {
    const actor: Actor = { principal: { kind: 'local' }, ip: '10.0.0.1' };
    await createOperator(db, { login: 'audited', password: 'audited password', role: 'viewer' }, clock, actor);
    const verified = await verifyAuditChain(db);
    expect(verified.ok).toBe(true);
    expect(verified.entries).toBeGreaterThan(5);
    const page = await listAudit(db, {}, { limit: 2 });
    expect(page.entries).toHaveLength(2);
    expect(page.entries[0]!.id).toBeGreaterThan(page.entries[1]!.id);
    const next = await listAudit(db, {}, { limit: 2, before: page.nextBefore! });
    expect(next.entries[0]!.id).toBeLessThan(page.entries[1]!.id);
    expect((await listAudit(db, { action: 'operators.' })).entries.length).toBeGreaterThan(3);
    await expect(db.query(`UPDATE audit_log SET actor_login = 'someone else'`)).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    expect(LOCAL_ACTOR.principal.kind).toBe('local');
  });

  it('shows a tampered entry (the trigger bypassed) as the first broken one', async () => {
    const before = await verifyAuditChain(db);
    expect(before.ok).toBe(true);
    const target = (await listAudit(db, { action: 'operators.set_role' })).entries.at(-1)!;
    await db.tx(async (q) => {
      await q.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change');
      await q.query(`UPDATE audit_log SET after = '{"role":"admin"}' WHERE id = $1`, [target.id]);
      await q.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change');
    });
    const after = await verifyAuditChain(db);
    expect(after).toMatchObject({ ok: false, brokenAt: target.id });
  });
});
