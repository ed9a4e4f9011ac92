/**
 * What operators change in the catalog: a service's enabled flag and amount limits, its inputs (names, titles,
 * regexps, required, order), its fee rule and its route (the provider adapter and its configuration). Each change is
 * one transaction that locks the row, compares the version the operator saw (optimistic concurrency: a second
 * operator who edited the same service from the same page gets `version_conflict`, never a silent overwrite), writes
 * the row and its audit entry (before and after), and then drops this process's catalog cache so check and pay see
 * it at once. Another Tolem on the same database sees it when its cache expires (Catalog's TTL, 5 s). Whether the
 * principal may is decided before, by engine/authorization.ts (admin only).
 */
import type { Clock } from '../domain/clock.ts';
import { inputMatches, type FeeRule, type Service, type ServiceField } from '../domain/catalog.ts';
import type { Db, Queryable } from '../store/db.ts';
import { appendAudit } from './audit.ts';
import { requestDigest } from './canonical.ts';
import { toService, type Catalog, type ServiceRow } from './catalog.ts';
import { ServiceError } from './errors.ts';
import { parseFeeRule, type FeeRuleInput } from './fee-rules.ts';
import { checkInputRegexp } from './regexp-check.ts';
import type { Actor } from './sessions.ts';

/** The largest amount a service may allow: the agent API's 13 integer digits. */
const MAX_LIMIT_MINOR = 999_999_999_999_999n;

/** The service row, locked for the change, with its version. */
async function lockedService(q: Queryable, serviceId: string): Promise<Versioned> {
  const result = await q.query<ServiceRow>('SELECT * FROM services WHERE service_id = $1 FOR UPDATE', [serviceId]);
  const row = result.rows[0];
  if (!row) throw new ServiceError('not_found', 'service_not_found', `service ${serviceId} not found`);
  const service = toService({ ...row, min_minor: BigInt(row.min_minor), max_minor: BigInt(row.max_minor) });
  return { service, version: serviceVersion(service) };
}

export interface Versioned {
  service: Service;
  /** What an edit must send back: it changes with every change of the service. */
  version: string;
}

/**
 * A digest of everything an operator may change, as stored. No column to migrate and nothing to keep in step: two
 * operators who loaded the same state hold the same version, and any change since gives another.
 */
export function serviceVersion(service: Service): string {
  const { serviceId, type, name, group, country, currency, fixedPayment, inputs, displays, minMinor, maxMinor, feeRule, enabled, provider, providerConfig } = service;
  return requestDigest({ serviceId, type, name, group, country, currency, fixedPayment, inputs, displays, minMinor, maxMinor, feeRule, enabled, provider, providerConfig }).slice(0, 16);
}

function expectVersion(current: Versioned, expected: string | undefined): void {
  if (expected !== undefined && expected !== current.version) {
    throw new ServiceError('conflict', 'version_conflict', `service ${current.service.serviceId} was changed by someone else since it was read (version ${current.version}); reload and edit again`);
  }
}

/** The service as stored now, with its version: what an edit form starts from (not the cache, which may lag). */
export async function serviceForEdit(q: Queryable, serviceId: string): Promise<Versioned | undefined> {
  const result = await q.query<ServiceRow>('SELECT * FROM services WHERE service_id = $1', [serviceId]);
  const row = result.rows[0];
  if (!row) return undefined;
  const service = toService({ ...row, min_minor: BigInt(row.min_minor), max_minor: BigInt(row.max_minor) });
  return { service, version: serviceVersion(service) };
}

/** Turns a service on or off: a disabled one is refused by check and pay for every agent. False: it already was so. */
export async function setServiceEnabled(db: Db, catalog: Catalog, actor: Actor, serviceId: string, enabled: boolean, clock: Clock): Promise<boolean> {
  const changed = await db.tx(async (q) => {
    const { service: before } = await lockedService(q, serviceId);
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
  db: Db, catalog: Catalog, actor: Actor, serviceId: string, limits: { minMinor: bigint; maxMinor: bigint }, clock: Clock, expectedVersion?: string,
): Promise<void> {
  if (limits.minMinor <= 0n || limits.maxMinor < limits.minMinor || limits.maxMinor > MAX_LIMIT_MINOR) {
    throw new ServiceError('invalid', 'bad_limits', 'limits need 0 < min ≤ max');
  }
  await db.tx(async (q) => {
    const current = await lockedService(q, serviceId);
    expectVersion(current, expectedVersion);
    const before = current.service;
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

// ---- inputs, fee rule, route ----

export const MAX_INPUTS = 10;
const MAX_TITLE_LENGTH = 100;
/** Request fields are matched by input name (engine/validation.ts): `account`, or an extra's name, `ev_` allowed. */
const INPUT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MAX_CONFIG_BYTES = 4_096;

/** A refused edit: `field` names what is wrong (`inputs.2.regexp`, `fee.min`, `provider`) for the form to mark it. */
export class CatalogEditError extends ServiceError {
  constructor(code: string, message: string, readonly field: string) {
    super('invalid', code, message);
  }
}

/** What an operator sends for an input; `order` sorts them (ties keep the order sent). */
export interface InputEdit {
  name: string;
  title: string;
  regexp: string;
  required: boolean;
  order?: number;
}

/** The inputs as they will be stored, in order; refused with the first thing wrong. */
export function validateInputs(edits: readonly InputEdit[]): ServiceField[] {
  if (edits.length > MAX_INPUTS) throw new CatalogEditError('too_many_inputs', `at most ${MAX_INPUTS} inputs`, 'inputs');
  const sorted = edits.map((edit, index) => ({ edit, index })).sort((a, b) => (a.edit.order ?? a.index) - (b.edit.order ?? b.index) || a.index - b.index);
  const seen = new Set<string>();
  return sorted.map(({ edit, index }) => {
    const name = edit.name.trim();
    const title = edit.title.trim();
    const at = `inputs.${index}`;
    if (!INPUT_NAME.test(name)) throw new CatalogEditError('input_bad_name', `input ${index + 1}: a name is a letter then letters, digits or _ (64 at most)`, `${at}.name`);
    if (seen.has(name)) throw new CatalogEditError('input_duplicate_name', `input ${index + 1}: ${name} is named twice`, `${at}.name`);
    seen.add(name);
    if (title.length === 0 || title.length > MAX_TITLE_LENGTH || /\p{Cc}/u.test(title)) {
      throw new CatalogEditError('input_bad_title', `input ${name}: a title of 1 to ${MAX_TITLE_LENGTH} characters`, `${at}.title`);
    }
    const verdict = checkInputRegexp(edit.regexp);
    if (!verdict.ok) throw new CatalogEditError(verdict.reason, `input ${name}: ${REGEXP_REASONS[verdict.reason]}`, `${at}.regexp`);
    return { name, required: edit.required, title, regexp: edit.regexp };
  });
}

const REGEXP_REASONS = {
  regexp_empty: 'a regexp is needed',
  regexp_too_long: 'the regexp is too long',
  regexp_invalid: 'the regexp does not compile (flag u)',
  regexp_not_anchored: 'the regexp must start with ^ and end with $ (each alternative)',
  regexp_unsafe: 'the regexp nests quantifiers or repeats too much (catastrophic backtracking)',
  regexp_slow: 'the regexp is too slow on long near-miss values (catastrophic backtracking)',
} as const;

/** Replaces a service's inputs (check and pay test the new regexps at once). */
export async function setServiceInputs(db: Db, catalog: Catalog, actor: Actor, serviceId: string, edits: readonly InputEdit[], expectedVersion: string, clock: Clock): Promise<Versioned> {
  const inputs = validateInputs(edits);
  return changeService(db, catalog, actor, serviceId, expectedVersion, clock, 'catalog.inputs', (before) => ({
    sql: 'UPDATE services SET inputs = $2 WHERE service_id = $1', values: [JSON.stringify(inputs)],
    before: { inputs: before.inputs }, after: { inputs },
  }));
}

/** Replaces a service's fee rule, given as decimal texts (fee-rules.ts). */
export async function setServiceFeeRule(db: Db, catalog: Catalog, actor: Actor, serviceId: string, input: FeeRuleInput, expectedVersion: string, clock: Clock): Promise<Versioned> {
  const rule: FeeRule = parseFeeRule(input);
  return changeService(db, catalog, actor, serviceId, expectedVersion, clock, 'catalog.fee_rule', (before) => ({
    sql: 'UPDATE services SET fee_rule = $2 WHERE service_id = $1', values: [JSON.stringify(rule)],
    before: { feeRule: before.feeRule }, after: { feeRule: rule },
  }));
}

export interface RouteEdit {
  provider: string;
  /** The adapter's configuration for this service; undefined keeps the current one (it may hold credentials). */
  providerConfig?: Record<string, unknown> | undefined;
}

/** Sends a service to another provider adapter; only adapters of the registry (`providers`) may be named. */
export async function setServiceRoute(
  db: Db, catalog: Catalog, actor: Actor, serviceId: string, edit: RouteEdit, providers: readonly string[], expectedVersion: string, clock: Clock,
): Promise<Versioned> {
  if (!providers.includes(edit.provider)) throw new CatalogEditError('unknown_provider', `no provider adapter ${edit.provider} in the registry`, 'provider');
  const config = edit.providerConfig;
  if (config !== undefined && (config === null || typeof config !== 'object' || Array.isArray(config) || JSON.stringify(config).length > MAX_CONFIG_BYTES)) {
    throw new CatalogEditError('bad_provider_config', `the provider configuration is a JSON object of at most ${MAX_CONFIG_BYTES} bytes`, 'providerConfig');
  }
  return changeService(db, catalog, actor, serviceId, expectedVersion, clock, 'catalog.route', (before) => ({
    sql: 'UPDATE services SET provider = $2, provider_config = $3 WHERE service_id = $1',
    values: [edit.provider, JSON.stringify(config ?? before.providerConfig)],
    // The configuration may hold a partner's credentials: the audit says whether it changed, not what it is.
    before: { provider: before.provider }, after: { provider: edit.provider, providerConfigChanged: config !== undefined },
  }));
}

interface Change {
  sql: string;
  values: unknown[];
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

/** Lock, compare the version, write, audit, commit; then drop this process's cache. Answers the service as stored. */
async function changeService(
  db: Db, catalog: Catalog, actor: Actor, serviceId: string, expectedVersion: string, clock: Clock, action: string, change: (before: Service) => Change,
): Promise<Versioned> {
  const changed = await db.tx(async (q) => {
    const current = await lockedService(q, serviceId);
    expectVersion(current, expectedVersion);
    const { sql, values, before, after } = change(current.service);
    await q.query(sql, [serviceId, ...values]);
    const stored = (await serviceForEdit(q, serviceId))!;
    await appendAudit(q, actor, {
      action, targetKind: 'service', targetId: serviceId, before: { ...before, version: current.version }, after: { ...after, version: stored.version },
    }, clock);
    return stored;
  });
  catalog.invalidate();
  return changed;
}

export type RegexpTest = { ok: true; matches: boolean } | { ok: false; reason: keyof typeof REGEXP_REASONS };

/** A regexp being edited, tried on a value before it is saved: refused as a save would refuse it, else whether it matches. */
export function testRegexp(source: string, value: string): RegexpTest {
  const verdict = checkInputRegexp(source);
  if (!verdict.ok) return verdict;
  return { ok: true, matches: new RegExp(source, 'u').test(value) };
}
