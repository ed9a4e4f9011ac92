/**
 * What operators change in the catalog (services' enabled flag and amount limits), each change with its audit entry in
 * the same transaction, and the catalog's cache dropped afterwards so this process sees it at once (other processes
 * within the cache's TTL). Whether the principal may is decided before, by engine/authorization.ts (admin only).
 */
import type { Clock } from '../domain/clock.ts';
import { inputMatches, type Service } from '../domain/catalog.ts';
import type { Db, Queryable } from '../store/db.ts';
import { appendAudit } from './audit.ts';
import type { Catalog } from './catalog.ts';
import { ServiceError } from './errors.ts';
import type { Actor } from './sessions.ts';

/** The largest amount a service may allow: the agent API's 13 integer digits. */
const MAX_LIMIT_MINOR = 999_999_999_999_999n;

async function lockedService(q: Queryable, serviceId: string): Promise<{ enabled: boolean; minMinor: bigint; maxMinor: bigint }> {
  const result = await q.query<{ enabled: boolean; min_minor: bigint; max_minor: bigint }>(
    'SELECT enabled, min_minor, max_minor FROM services WHERE service_id = $1 FOR UPDATE', [serviceId]);
  const row = result.rows[0];
  if (!row) throw new ServiceError('not_found', 'service_not_found', `service ${serviceId} not found`);
  return { enabled: row.enabled, minMinor: BigInt(row.min_minor), maxMinor: BigInt(row.max_minor) };
}

/** Turns a service on or off: a disabled one is refused by check and pay for every agent. False: it already was so. */
export async function setServiceEnabled(db: Db, catalog: Catalog, actor: Actor, serviceId: string, enabled: boolean, clock: Clock): Promise<boolean> {
  const changed = await db.tx(async (q) => {
    const before = await lockedService(q, serviceId);
    if (before.enabled === enabled) return false;
    await q.query('UPDATE services SET enabled = $2 WHERE service_id = $1', [serviceId, enabled]);
    await appendAudit(q, actor, { action: 'catalog.enable', targetKind: 'service', targetId: serviceId, before: { enabled: before.enabled }, after: { enabled } }, clock);
    return true;
  });
  catalog.invalidate();
  return changed;
}

/** A service's amount limits (minor units); 0 < min ≤ max. */
export async function setServiceLimits(
  db: Db, catalog: Catalog, actor: Actor, serviceId: string, limits: { minMinor: bigint; maxMinor: bigint }, clock: Clock,
): Promise<void> {
  if (limits.minMinor <= 0n || limits.maxMinor < limits.minMinor || limits.maxMinor > MAX_LIMIT_MINOR) {
    throw new ServiceError('invalid', 'bad_limits', 'limits need 0 < min ≤ max');
  }
  await db.tx(async (q) => {
    const before = await lockedService(q, serviceId);
    await q.query('UPDATE services SET min_minor = $2, max_minor = $3 WHERE service_id = $1', [serviceId, limits.minMinor, limits.maxMinor]);
    await appendAudit(q, actor, {
      action: 'catalog.limits', targetKind: 'service', targetId: serviceId,
      before: { minMinor: before.minMinor, maxMinor: before.maxMinor }, after: limits,
    }, clock);
  });
  catalog.invalidate();
}

export type InputTest = { ok: true; matches: boolean; required: boolean } | { ok: false; reason: 'no_such_input' | 'bad_regexp' };

/** Whether a value would pass an input's regexp, exactly as check and pay test it; reads only. */
export function testServiceInput(service: Service, inputName: string, value: string): InputTest {
  const field = service.inputs.find((input) => input.name === inputName);
  if (!field) return { ok: false, reason: 'no_such_input' };
  try {
    return { ok: true, matches: inputMatches(field, value), required: field.required };
  } catch {
    return { ok: false, reason: 'bad_regexp' };
  }
}
