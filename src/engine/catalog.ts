import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Queryable } from '../store/db.ts';
import type { FeeRule, Service, ServiceField } from '../domain/catalog.ts';
import { parseOperatorAmount } from '../domain/money.ts';

export interface ServiceRow {
  service_id: string;
  type: number;
  name: string;
  group_name: string | null;
  country: string | null;
  currency: string;
  fixed_payment: boolean;
  inputs: ServiceField[];
  displays: ServiceField[];
  min_minor: bigint;
  max_minor: bigint;
  fee_rule: FeeRule;
  enabled: boolean;
  provider: string;
  provider_config: Record<string, unknown>;
}

export function toService(row: ServiceRow): Service {
  return {
    serviceId: row.service_id,
    type: row.type as Service['type'],
    name: row.name,
    group: row.group_name,
    country: row.country,
    currency: row.currency,
    fixedPayment: row.fixed_payment,
    inputs: row.inputs,
    displays: row.displays,
    minMinor: row.min_minor,
    maxMinor: row.max_minor,
    feeRule: row.fee_rule,
    enabled: row.enabled,
    provider: row.provider,
    providerConfig: row.provider_config,
  };
}

/**
 * The catalog, read from the database and cached briefly: every check and pay needs its service, and services change
 * rarely (an operator's change is seen within `ttlMs`).
 */
export class Catalog {
  private cache: { at: number; services: Map<string, Service> } | undefined;

  constructor(
    private readonly q: Queryable,
    private readonly ttlMs = 5_000,
  ) {}

  async all(): Promise<Service[]> {
    return [...(await this.load()).values()];
  }

  async get(serviceId: string): Promise<Service | undefined> {
    return (await this.load()).get(serviceId);
  }

  invalidate(): void {
    this.cache = undefined;
  }

  private async load(): Promise<Map<string, Service>> {
    if (this.cache && Date.now() - this.cache.at < this.ttlMs) return this.cache.services;
    const result = await this.q.query<ServiceRow>('SELECT * FROM services ORDER BY service_id');
    const services = new Map(result.rows.map((row) => [row.service_id, toService(row)]));
    this.cache = { at: Date.now(), services };
    return services;
  }
}

export function serviceAllowedFor(service: Service, allowedServices: string[] | null): boolean {
  return service.enabled && (allowedServices === null || allowedServices.includes(service.serviceId));
}

// ---- seed file ----

const field = z.object({ name: z.string(), required: z.boolean(), title: z.string(), regexp: z.string() });
const amount = z.string().regex(/^\d{1,13}(\.\d{1,2})?$/);
const feeRule = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('any') }),
  z.object({ kind: z.literal('range'), min: amount, max: amount }),
  z.object({ kind: z.literal('percent'), maxBasisPoints: z.number().int().min(0).max(10_000), min: amount.optional() }),
]);

const seedService = z.object({
  serviceId: z.string().min(1).max(32),
  type: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  name: z.string(),
  group: z.string().optional(),
  country: z.string().optional(),
  currency: z.string().length(3),
  fixedPayment: z.boolean().default(false),
  inputs: z.array(field).default([]),
  displays: z.array(field).default([]),
  minAmount: amount,
  maxAmount: amount,
  feeRule: feeRule.default({ kind: 'none' }),
  enabled: z.boolean().default(true),
  provider: z.string(),
  providerConfig: z.record(z.string(), z.unknown()).default({}),
});

const seedFile = z.object({
  services: z.array(seedService),
  mnp: z.object({ prefixes: z.record(z.string(), z.string()), ported: z.record(z.string(), z.string()).default({}) }).optional(),
});

export type CatalogSeed = z.infer<typeof seedFile>;

export function readCatalogSeed(path: string): CatalogSeed {
  return seedFile.parse(JSON.parse(readFileSync(path, 'utf8')));
}

function toFeeRule(rule: z.infer<typeof feeRule>): FeeRule {
  switch (rule.kind) {
    case 'none':
    case 'any':
      return rule;
    case 'range':
      return { kind: 'range', minMinor: parseOperatorAmount(rule.min).toString(), maxMinor: parseOperatorAmount(rule.max).toString() };
    case 'percent':
      return { kind: 'percent', maxBasisPoints: rule.maxBasisPoints, ...(rule.min ? { minMinor: parseOperatorAmount(rule.min).toString() } : {}) };
  }
}

/**
 * Inserts the services and MNP tables of the seed that the database does not have yet. Existing rows are left as the
 * operators changed them; `overrides` lets configuration reroute a service (e.g. Alseco to a real URL).
 */
export async function seedCatalog(q: Queryable, seed: CatalogSeed): Promise<number> {
  let inserted = 0;
  for (const service of seed.services) {
    const result = await q.query(
      `INSERT INTO services (service_id, type, name, group_name, country, currency, fixed_payment, inputs, displays,
                             min_minor, max_minor, fee_rule, enabled, provider, provider_config)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (service_id) DO NOTHING`,
      [service.serviceId, service.type, service.name, service.group ?? null, service.country ?? null, service.currency,
        service.fixedPayment, JSON.stringify(service.inputs), JSON.stringify(service.displays),
        parseOperatorAmount(service.minAmount), parseOperatorAmount(service.maxAmount), JSON.stringify(toFeeRule(service.feeRule)),
        service.enabled, service.provider, JSON.stringify(service.providerConfig)],
    );
    inserted += result.rowCount;
  }
  for (const [prefix, serviceId] of Object.entries(seed.mnp?.prefixes ?? {})) {
    await q.query('INSERT INTO mnp_prefixes (prefix, service_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [prefix, serviceId]);
  }
  for (const [phone, serviceId] of Object.entries(seed.mnp?.ported ?? {})) {
    await q.query('INSERT INTO mnp_ported (phone, service_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [phone, serviceId]);
  }
  return inserted;
}

/**
 * Mobile number portability: a ported number's current operator wins; otherwise the longest matching prefix.
 */
export async function operatorByPhone(q: Queryable, phone: string): Promise<string | undefined> {
  const ported = await q.query<{ service_id: string }>('SELECT service_id FROM mnp_ported WHERE phone = $1', [phone]);
  if (ported.rows[0]) return ported.rows[0].service_id;
  const prefix = await q.query<{ service_id: string }>(
    `SELECT service_id FROM mnp_prefixes WHERE $1 LIKE prefix || '%' ORDER BY length(prefix) DESC LIMIT 1`,
    [phone],
  );
  return prefix.rows[0]?.service_id;
}
