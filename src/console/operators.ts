import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isoLocal } from '../domain/time.ts';
import type { AuditEntry, AuditFilters } from '../engine/audit.ts';
import { ROLES, type Role } from '../engine/operators.ts';
import { toCsv } from '../web/csv.ts';
import { consolePage, text } from './page.ts';
import { refusalKey } from './refusals.ts';
import type { ConsoleDeps } from './routes.ts';

type IdParams = { Params: { id: string } };
const idOf = (value: string): bigint | undefined => (/^\d{1,18}$/.test(value) ? BigInt(value) : undefined);
const isRole = (value: string | undefined): value is Role => (ROLES as readonly string[]).includes(value ?? '');
/** The export of the audit log: at most this many entries (filter by date for more). */
const AUDIT_EXPORT_MAX = 20_000;

/** Operators and roles (admins only), and the audit log: view with filters, verify the hash chain, export as CSV. */
export function registerOperators(app: FastifyInstance, deps: ConsoleDeps): void {
  registerOwnPassword(app, deps);
  registerOwnTotp(app, deps);
  app.get('/operators', async (request, reply) => {
    const signed = await deps.page(request, reply, 'operators.read', 'operators');
    if (!signed) return reply;
    const data = { operators: await deps.services.operators(), roles: ROLES, me: signed.session.principal.kind === 'operator' ? signed.session.principal.id : undefined };
    return deps.send(reply, 200, consolePage(signed.view, 'operators', text(signed.view.lang, 'nav_operators'), data));
  });
  app.post('/operators', (request, reply) => operatorAction(deps, request as FastifyRequest<IdParams>, reply, 'create'));
  app.post<IdParams>('/operators/:id/role', (request, reply) => operatorAction(deps, request, reply, 'role'));
  app.post<IdParams>('/operators/:id/disable', (request, reply) => operatorAction(deps, request, reply, 'disable'));

  app.get('/audit', async (request, reply) => {
    const signed = await deps.page(request, reply, 'audit.read', 'audit');
    if (!signed) return reply;
    const filters = auditFilters(signed.query);
    const before = idOf(signed.query['before'] ?? '');
    const page = await deps.services.audit(filters, { ...(before !== undefined ? { before } : {}), limit: 50 });
    const verification = signed.query['verify'] === '1' ? await deps.services.verifyAudit() : undefined;
    const query = new URLSearchParams(Object.entries({ actor: signed.query['actor'] ?? '', action: signed.query['action'] ?? '' }).filter(([, v]) => v)).toString();
    const data = { page, verification, actor: signed.query['actor'] ?? '', action: signed.query['action'] ?? '', query, next: page.nextBefore ? `/console/audit?${query}${query ? '&' : ''}before=${page.nextBefore}` : undefined };
    return deps.send(reply, 200, consolePage(signed.view, 'audit', text(signed.view.lang, 'audit'), data));
  });
  app.get('/audit.csv', async (request, reply) => {
    const signed = await deps.page(request, reply, 'audit.read');
    if (!signed) return reply;
    const entries = await allAudit(deps, auditFilters(signed.query));
    const rows = entries.map((e) => auditRow(e, signed.view.offsetMinutes));
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="audit.csv"')
      .send(toCsv([['id', 'at', 'actorKind', 'actorLogin', 'action', 'targetKind', 'targetId', 'ip', 'before', 'after', 'prevHash', 'hash'], ...rows]));
  });
}

function auditFilters(query: Record<string, string>): AuditFilters {
  return { ...(query['actor'] ? { actorLogin: query['actor'].trim().toLowerCase() } : {}), ...(query['action'] ? { action: query['action'].trim() } : {}) };
}

async function allAudit(deps: ConsoleDeps, filters: AuditFilters): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let before: bigint | undefined;
  do {
    const page = await deps.services.audit(filters, { ...(before !== undefined ? { before } : {}), limit: 500 });
    entries.push(...page.entries);
    before = page.nextBefore ?? undefined;
  } while (before !== undefined && entries.length < AUDIT_EXPORT_MAX);
  return entries;
}

function auditRow(e: AuditEntry, offsetMinutes: number): string[] {
  return [
    e.id.toString(), isoLocal(e.at, offsetMinutes), e.actorKind, e.actorLogin, e.action, e.targetKind ?? '', e.targetId ?? '', e.ip ?? '',
    e.before === null ? '' : JSON.stringify(e.before), e.after === null ? '' : JSON.stringify(e.after), e.prevHash, e.hash,
  ];
}

async function operatorAction(deps: ConsoleDeps, request: FastifyRequest<IdParams>, reply: FastifyReply, change: 'create' | 'role' | 'disable'): Promise<FastifyReply> {
  const signed = await deps.act(request, reply, 'operators.manage');
  if (!signed) return reply;
  const form = signed.form;
  const role = form['role'];
  try {
    if (change === 'create') {
      if (!isRole(role)) return deps.back(reply, '/console/operators', { err: 'bad_input' });
      await deps.services.createOperator(signed.actor, { login: form['login'] ?? '', password: form['password'] ?? '', role });
      return deps.back(reply, '/console/operators', { ok: 'operator_created' });
    }
    const id = idOf(request.params.id);
    if (id === undefined) return deps.back(reply, '/console/operators', { err: 'not_found' });
    if (change === 'role') {
      if (!isRole(role)) return deps.back(reply, '/console/operators', { err: 'bad_input' });
      await deps.services.setRole(signed.actor, id, role);
      return deps.back(reply, '/console/operators', { ok: 'role_changed' });
    }
    await deps.services.disableOperator(signed.actor, id);
    return deps.back(reply, '/console/operators', { ok: 'operator_disabled' });
  } catch (error) {
    return deps.back(reply, '/console/operators', { err: refusalKey(error) });
  }
}

/** One's own password: asked for at once after a one-time password; a change ends every session (sign in again). */
function registerOwnPassword(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/password', async (request, reply) => {
    const signed = await deps.page(request, reply, 'own.password');
    if (!signed) return reply;
    const must = await deps.services.mustChangePassword(signed.session.principal);
    if (must && !signed.view.flash) signed.view.flash = { kind: 'error', text: text(signed.view.lang, 'must_change_password') };
    return deps.send(reply, 200, consolePage(signed.view, 'password', text(signed.view.lang, 'change_password'), {}));
  });
  app.post('/password', async (request, reply) => {
    const signed = await deps.act(request, reply, 'own.password');
    if (!signed) return reply;
    const next = signed.form['next'] ?? '';
    if (next !== signed.form['repeat']) return deps.back(reply, '/console/password', { err: 'passwords_differ' });
    try {
      if (!(await deps.services.changeOwnPassword(signed.actor, signed.form['current'] ?? '', next))) return deps.back(reply, '/console/password', { err: 'login' });
    } catch (error) {
      return deps.back(reply, '/console/password', { err: refusalKey(error) });
    }
    return deps.back(reply, '/console/login', { ok: 'password_changed' });
  });
}

/** A TOTP key as newTotpSecret writes it (base32); anything else posted back is refused unread. */
const TOTP_SECRET = /^[A-Z2-7]{16,64}$/;

/**
 * One's own second factor: enrol a fresh key (shown once, on this page only; it is the operator's own secret) and
 * turn it on with the password and the first code, or turn it off with a current code.
 */
function registerOwnTotp(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/totp', async (request, reply) => {
    const signed = await deps.page(request, reply, 'own.password');
    if (!signed) return reply;
    const data = await deps.services.ownTotp(signed.actor);
    reply.header('cache-control', 'no-store');
    return deps.send(reply, 200, consolePage(signed.view, 'totp', text(signed.view.lang, 'second_factor'), data));
  });
  app.post('/totp/enable', async (request, reply) => {
    const signed = await deps.act(request, reply, 'own.password');
    if (!signed) return reply;
    const secret = signed.form['secret'] ?? '';
    const ok = TOTP_SECRET.test(secret) && (await deps.services.enableOwnTotp(signed.actor, signed.form['password'] ?? '', secret, signed.form['code'] ?? ''));
    return deps.back(reply, '/console/totp', ok ? { ok: 'totp_enabled' } : { err: 'totp_code' });
  });
  app.post('/totp/disable', async (request, reply) => {
    const signed = await deps.act(request, reply, 'own.password');
    if (!signed) return reply;
    const ok = await deps.services.disableOwnTotp(signed.actor, signed.form['code'] ?? '');
    return deps.back(reply, '/console/totp', ok ? { ok: 'totp_disabled' } : { err: 'totp_code' });
  });
}
