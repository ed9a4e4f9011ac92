/**
 * The console's operators: login, argon2id password, role (admin, operator, viewer), optional TOTP second factor. Every
 * change is written to the audit log in the same transaction. The first start creates `admin` with a one-time password
 * (`ensureFirstAdmin`), which must be changed at the first login. The TOTP secret is stored sealed (engine/secrets.ts),
 * and each code is accepted once: the time step of the last accepted code is stored, and a code of that step or an
 * earlier one is refused, by one conditional UPDATE, so two logins racing with one code let one in.
 */
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { Clock } from '../domain/clock.ts';
import type { Db, Queryable } from '../store/db.ts';
import { appendAudit } from './audit.ts';
import { SecretBox } from './secrets.ts';
import { ServiceError } from './errors.ts';
import { CredentialError, hashPassword, normaliseLogin, verifyPassword } from './passwords.ts';
import { endSessionsOf, LOCAL_ACTOR, type Actor } from './sessions.ts';

export type Role = 'admin' | 'operator' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'operator', 'viewer'];

export interface Operator {
  id: bigint;
  login: string;
  role: Role;
  totpEnabled: boolean;
  disabledAt: Date | null;
  mustChangePassword: boolean;
  createdAt: Date;
}

interface OperatorRow {
  id: bigint; login: string; password_hash: string; role: Role; totp_secret: string | null; totp_last_step: string | null;
  disabled_at: Date | null; must_change_password: boolean; created_at: Date;
}

function toOperator(row: OperatorRow): Operator {
  return {
    id: row.id, login: row.login, role: row.role, totpEnabled: row.totp_secret !== null, disabledAt: row.disabled_at,
    mustChangePassword: row.must_change_password, createdAt: row.created_at,
  };
}

/** What the audit log keeps of an operator: never the hash or the TOTP secret. */
function audited(operator: Operator) {
  return { login: operator.login, role: operator.role, totpEnabled: operator.totpEnabled, disabled: operator.disabledAt !== null };
}

export interface CreateOperatorInput {
  login: string;
  password: string;
  role: Role;
  mustChangePassword?: boolean;
}

export async function createOperator(db: Db, input: CreateOperatorInput, clock: Clock, actor: Actor = LOCAL_ACTOR): Promise<Operator> {
  const login = normaliseLogin(input.login);
  if (!ROLES.includes(input.role)) throw new ServiceError('invalid', 'bad_role', `unknown role ${String(input.role)}`);
  const passwordHash = await hashPassword(input.password);
  return db.tx(async (q) => {
    const inserted = await q.query<OperatorRow>(
      `INSERT INTO operators (login, password_hash, role, must_change_password, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (login) DO NOTHING RETURNING *`,
      [login, passwordHash, input.role, input.mustChangePassword ?? false, clock.now()],
    );
    if (!inserted.rows[0]) throw new CredentialError('login_taken', `an operator with login ${login} exists`);
    const operator = toOperator(inserted.rows[0]);
    await appendAudit(q, actor, { action: 'operators.create', targetKind: 'operator', targetId: operator.id, after: audited(operator) }, clock);
    return operator;
  });
}

async function operatorRow(q: Queryable, id: bigint, lock = false): Promise<OperatorRow | undefined> {
  return (await q.query<OperatorRow>(`SELECT * FROM operators WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`, [id])).rows[0];
}

export async function findOperator(q: Queryable, id: bigint): Promise<Operator | undefined> {
  const row = await operatorRow(q, id);
  return row ? toOperator(row) : undefined;
}

export async function listOperators(q: Queryable): Promise<Operator[]> {
  return (await q.query<OperatorRow>('SELECT * FROM operators ORDER BY id')).rows.map(toOperator);
}

export type OperatorLogin = { ok: true; operator: Operator } | { ok: false; reason: 'invalid' | 'totp_required' };

/**
 * Checks a login: the password always costs one argon2 verification (a dummy one for unknown logins), a disabled
 * operator is refused like a wrong password, and an operator with TOTP also needs a current code. `totp_required` is
 * said only after the password matched, so it reveals nothing to someone guessing.
 */
export async function checkOperatorLogin(q: Queryable, login: string, password: string, totpCode: string | undefined, clock: Clock, secrets: SecretBox): Promise<OperatorLogin> {
  let normalised: string | undefined;
  try {
    normalised = normaliseLogin(login);
  } catch {
    normalised = undefined;
  }
  const row = normalised ? (await q.query<OperatorRow>('SELECT * FROM operators WHERE login = $1', [normalised])).rows[0] : undefined;
  const matches = await verifyPassword(row?.password_hash, password);
  if (!row || !matches || row.disabled_at !== null) return { ok: false, reason: 'invalid' };
  if (row.totp_secret !== null) {
    if (!totpCode) return { ok: false, reason: 'totp_required' };
    if (!(await useTotpCode(q, row, totpCode, clock, secrets))) return { ok: false, reason: 'invalid' };
  }
  return { ok: true, operator: toOperator(row) };
}

/** The operator whose login, password (and TOTP code, when enabled) these are; null otherwise. */
export async function verifyOperatorPassword(q: Queryable, login: string, password: string, totpCode: string | undefined, clock: Clock, secrets: SecretBox): Promise<Operator | null> {
  const result = await checkOperatorLogin(q, login, password, totpCode, clock, secrets);
  return result.ok ? result.operator : null;
}

async function changeOperator(
  db: Db, actor: Actor, clock: Clock, id: bigint, action: string,
  change: (q: Queryable, row: OperatorRow) => Promise<void>,
): Promise<Operator> {
  return db.tx(async (q) => {
    const before = await operatorRow(q, id, true);
    if (!before) throw new CredentialError('not_found', `operator ${id} not found`);
    await change(q, before);
    const after = toOperator((await operatorRow(q, id))!);
    await appendAudit(q, actor, { action, targetKind: 'operator', targetId: id, before: audited(toOperator(before)), after: audited(after) }, clock);
    return after;
  });
}

export async function setOperatorRole(db: Db, id: bigint, role: Role, clock: Clock, actor: Actor = LOCAL_ACTOR): Promise<Operator> {
  if (!ROLES.includes(role)) throw new ServiceError('invalid', 'bad_role', `unknown role ${String(role)}`);
  return changeOperator(db, actor, clock, id, 'operators.set_role', async (q) => {
    await q.query('UPDATE operators SET role = $2 WHERE id = $1', [id, role]);
  });
}

/** Disables an operator and ends its sessions at once. */
export async function disableOperator(db: Db, id: bigint, clock: Clock, actor: Actor = LOCAL_ACTOR): Promise<Operator> {
  return changeOperator(db, actor, clock, id, 'operators.disable', async (q) => {
    await q.query('UPDATE operators SET disabled_at = COALESCE(disabled_at, $2) WHERE id = $1', [id, clock.now()]);
    await endSessionsOf(q, { kind: 'operator', id });
  });
}

export async function enableOperator(db: Db, id: bigint, clock: Clock, actor: Actor = LOCAL_ACTOR): Promise<Operator> {
  return changeOperator(db, actor, clock, id, 'operators.enable', async (q) => {
    await q.query('UPDATE operators SET disabled_at = NULL WHERE id = $1', [id]);
  });
}

/** Sets a new password (the operator's own, or an admin's reset with `mustChange`); other sessions end. */
export async function setOperatorPassword(db: Db, id: bigint, password: string, clock: Clock, actor: Actor = LOCAL_ACTOR, mustChange = false): Promise<Operator> {
  const passwordHash = await hashPassword(password);
  return changeOperator(db, actor, clock, id, 'operators.set_password', async (q) => {
    await q.query('UPDATE operators SET password_hash = $2, must_change_password = $3 WHERE id = $1', [id, passwordHash, mustChange]);
    await endSessionsOf(q, { kind: 'operator', id });
  });
}

/**
 * An operator changes its own password (the first login's one-time password included): the current one must match;
 * the must-change flag clears and its other sessions end.
 */
export async function changeOwnPassword(db: Db, id: bigint, current: string, next: string, clock: Clock, actor: Actor): Promise<Operator> {
  const row = await operatorRow(db, id);
  if (!row || !(await verifyPassword(row.password_hash, current))) throw new ServiceError('forbidden', 'wrong_password', 'the current password does not match');
  if (current === next) throw new CredentialError('weak_password', 'the new password must differ from the current one');
  return setOperatorPassword(db, id, next, clock, actor, false);
}

// ---- TOTP (RFC 6238: SHA-1, 6 digits, 30 s, one step of drift either way; each code accepted once, §5.2) ----

const TOTP_PERIOD_S = 30;

function totpFor(secret: string, label = 'operator'): TOTP {
  return new TOTP({ issuer: 'Tolem', label, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_S, secret: Secret.fromBase32(secret) });
}

/** A fresh secret and its otpauth:// URI for an authenticator app; nothing is stored until `enableTotp` sees a code. */
export function newTotpSecret(login: string): { secret: string; uri: string } {
  const secret = new Secret({ size: 20 }).base32;
  return { secret, uri: totpFor(secret, login).toString() };
}

/** The time step (30-second count since the epoch) this code belongs to, within one step of now; undefined: no match. */
export function totpStep(secret: string, code: string, clock: Clock): number | undefined {
  if (!/^\d{6}$/.test(code.trim())) return undefined;
  const now = clock.now().getTime();
  try {
    const delta = totpFor(secret).validate({ token: code.trim(), timestamp: now, window: 1 });
    return delta === null ? undefined : Math.floor(now / 1000 / TOTP_PERIOD_S) + delta;
  } catch {
    return undefined;
  }
}

/** The current code of a secret (tests, and an operator's own check of its app). */
export function totpCode(secret: string, clock: Clock): string {
  return totpFor(secret).generate({ timestamp: clock.now().getTime() });
}

/** Where an operator's sealed secret lives: it opens only there (a sealed value copied to another row does not). */
const totpContext = (id: bigint) => `operators.totp_secret:${id}`;

/** The operator's TOTP secret in clear; undefined when it has none or it does not open (the log says why). */
function openTotpSecret(row: Pick<OperatorRow, 'id' | 'totp_secret'>, secrets: SecretBox): string | undefined {
  if (row.totp_secret === null) return undefined;
  return secrets.openOrReport(row.totp_secret, totpContext(row.id), { operatorId: String(row.id), column: 'operators.totp_secret' });
}

/**
 * Accepts a code once: it must match the operator's secret, and its step must be later than the last accepted one.
 * The step is recorded by one conditional UPDATE, so of two requests with the same code only one sees its row change.
 */
async function useTotpCode(q: Queryable, row: Pick<OperatorRow, 'id' | 'totp_secret'>, code: string, clock: Clock, secrets: SecretBox): Promise<boolean> {
  const secret = openTotpSecret(row, secrets);
  const step = secret === undefined ? undefined : totpStep(secret, code, clock);
  if (step === undefined) return false;
  const used = await q.query(
    'UPDATE operators SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING id',
    [row.id, step],
  );
  return used.rowCount === 1;
}

/** Turns the second factor on once the operator proved its app shows the secret's current code (that code is used up). */
export async function enableTotp(db: Db, id: bigint, secret: string, code: string, clock: Clock, actor: Actor, secrets: SecretBox): Promise<boolean> {
  const step = totpStep(secret, code, clock);
  if (step === undefined) return false;
  await changeOperator(db, actor, clock, id, 'operators.enable_totp', async (q) => {
    await q.query('UPDATE operators SET totp_secret = $2, totp_last_step = $3 WHERE id = $1', [id, secrets.seal(secret, totpContext(id)), step]);
  });
  return true;
}

export async function disableTotp(db: Db, id: bigint, clock: Clock, actor: Actor = LOCAL_ACTOR): Promise<Operator> {
  return changeOperator(db, actor, clock, id, 'operators.disable_totp', async (q) => {
    await q.query('UPDATE operators SET totp_secret = NULL WHERE id = $1', [id]);
  });
}

/**
 * An operator turns its own second factor on or off. On needs its password beside the first code (a session left open
 * must not be enough to tie the account to someone else's phone); off needs a current code, not one already used.
 */
export async function enableOwnTotp(db: Db, operator: { id: bigint; login: string }, password: string, secret: string, code: string, clock: Clock, actor: Actor, secrets: SecretBox): Promise<boolean> {
  const checked = await checkOperatorLogin(db, operator.login, password, undefined, clock, secrets);
  if (!checked.ok || checked.operator.id !== operator.id) return false;
  return enableTotp(db, operator.id, secret, code, clock, actor, secrets);
}

export async function disableOwnTotp(db: Db, id: bigint, code: string, clock: Clock, actor: Actor, secrets: SecretBox): Promise<boolean> {
  const row = await operatorRow(db, id);
  if (!row || !(await useTotpCode(db, row, code, clock, secrets))) return false;
  await disableTotp(db, id, clock, actor);
  return true;
}

/**
 * Seals the TOTP secrets still stored in clear (written before migration 014), each by a compare-and-set so that
 * instances starting together seal each once; returns how many it sealed, and how many are sealed under a key other
 * than this instance's (those operators cannot sign in here: the caller logs it). Operators are few: one pass.
 */
export async function sealClearTotpSecrets(db: Db, secrets: SecretBox): Promise<{ sealed: number; foreign: number; foreignKeys: string[] }> {
  const rows = (await db.query<{ id: bigint; totp_secret: string }>('SELECT id, totp_secret FROM operators WHERE totp_secret IS NOT NULL ORDER BY id LIMIT 100000')).rows;
  let sealed = 0;
  const foreignKeys = new Set<string>();
  let foreign = 0;
  for (const row of rows) {
    const under = SecretBox.sealedUnder(row.totp_secret);
    if (under === undefined) {
      const changed = await db.query('UPDATE operators SET totp_secret = $3 WHERE id = $1 AND totp_secret = $2', [row.id, row.totp_secret, secrets.seal(row.totp_secret, totpContext(row.id))]);
      sealed += changed.rowCount;
    } else if (under !== secrets.keyId) {
      foreign += 1;
      foreignKeys.add(under);
    }
  }
  return { sealed, foreign, foreignKeys: [...foreignKeys] };
}

// ---- the first start ----

/**
 * When no operator exists, creates `admin` with a random one-time password that must be changed at the first login,
 * and returns the password (shown once, by `tolem start`); otherwise null. Two instances starting together create one.
 */
export async function ensureFirstAdmin(db: Db, clock: Clock): Promise<{ login: string; password: string } | null> {
  const password = randomBytes(12).toString('base64url');
  const passwordHash = await hashPassword(password);
  return db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock(8420011)');
    const any = await q.query('SELECT 1 FROM operators LIMIT 1');
    if (any.rowCount > 0) return null;
    const inserted = await q.query<OperatorRow>(
      `INSERT INTO operators (login, password_hash, role, must_change_password, created_at) VALUES ('admin', $1, 'admin', true, $2) RETURNING *`,
      [passwordHash, clock.now()],
    );
    const operator = toOperator(inserted.rows[0]!);
    await appendAudit(q, LOCAL_ACTOR, { action: 'operators.create', targetKind: 'operator', targetId: operator.id, after: audited(operator) }, clock);
    return { login: 'admin', password };
  });
}
