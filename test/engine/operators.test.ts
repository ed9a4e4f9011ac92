import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { ShiftedClock } from '../../src/domain/clock.ts';
import { createAgent } from '../../src/engine/agents.ts';
import {
  changeOwnPassword, checkOperatorLogin, createOperator, disableOperator, enableTotp, ensureFirstAdmin, listOperators, newTotpSecret,
  setOperatorRole, totpCode, verifyOperatorPassword,
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
    const admin = await verifyOperatorPassword(db, 'admin', first!.password, undefined, clock);
    expect(admin?.role).toBe('admin');
    expect(admin?.mustChangePassword).toBe(true);
  });

  it('an operator changes its own one-time password: the current one must match; the flag clears', async () => {
    const op = await createOperator(db, { login: 'first-timer', password: 'one-time-pw', role: 'viewer', mustChangePassword: true }, clock);
    const actor: Actor = { principal: { kind: 'operator', id: op.id, login: op.login, role: op.role }, ip: null };
    await expect(changeOwnPassword(db, op.id, 'not the one', 'my own password', clock, actor)).rejects.toMatchObject({ code: 'wrong_password' });
    await expect(changeOwnPassword(db, op.id, 'one-time-pw', 'one-time-pw', clock, actor)).rejects.toMatchObject({ code: 'weak_password' });
    expect((await changeOwnPassword(db, op.id, 'one-time-pw', 'my own password', clock, actor)).mustChangePassword).toBe(false);
    expect(await verifyOperatorPassword(db, 'first-timer', 'my own password', undefined, clock)).not.toBeNull();
    expect(await verifyOperatorPassword(db, 'first-timer', 'one-time-pw', undefined, clock)).toBeNull();
  });

  it('passwords are argon2id hashes; wrong passwords, unknown and disabled logins are refused alike', async () => {
    const created = await createOperator(db, { login: 'Aigerim', password: 'correct horse', role: 'operator' }, clock);
    expect(created.login).toBe('aigerim');
    const stored = await db.query<{ password_hash: string }>('SELECT password_hash FROM operators WHERE id = $1', [created.id]);
    expect(stored.rows[0]!.password_hash.startsWith('$argon2id$')).toBe(true);
    expect(await verifyOperatorPassword(db, 'AIGERIM', 'correct horse', undefined, clock)).not.toBeNull();
    expect(await verifyOperatorPassword(db, 'aigerim', 'wrong horse', undefined, clock)).toBeNull();
    expect(await verifyOperatorPassword(db, 'nobody', 'correct horse', undefined, clock)).toBeNull();
    await expect(createOperator(db, { login: 'aigerim', password: 'another one', role: 'viewer' }, clock)).rejects.toMatchObject({ code: 'login_taken' });
    await expect(createOperator(db, { login: 'short', password: 'short', role: 'viewer' }, clock)).rejects.toMatchObject({ code: 'weak_password' });
    await disableOperator(db, created.id, clock);
    expect(await verifyOperatorPassword(db, 'aigerim', 'correct horse', undefined, clock)).toBeNull();
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
    expect(await enableTotp(db, op.id, secret, '000000' === totpCode(secret, clock) ? '111111' : '000000', clock)).toBe(false);
    expect(await enableTotp(db, op.id, secret, totpCode(secret, clock), clock)).toBe(true);
    expect(await checkOperatorLogin(db, 'totp-user', 'totp password', undefined, clock)).toEqual({ ok: false, reason: 'totp_required' });
    expect(await checkOperatorLogin(db, 'totp-user', 'wrong password', undefined, clock)).toEqual({ ok: false, reason: 'invalid' });
    expect(await verifyOperatorPassword(db, 'totp-user', 'totp password', totpCode(secret, clock), clock)).not.toBeNull();
    const later = new ShiftedClock(new Date(clock.now().getTime() + 10 * 60_000));
    expect(await verifyOperatorPassword(db, 'totp-user', 'totp password', totpCode(secret, clock), later)).toBeNull();
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
