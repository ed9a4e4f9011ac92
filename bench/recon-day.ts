/**
 * A generated provider business day for the reconciliation bench (and its test): `payments` succeeded payments of
 * the sandbox mobile operator written into the store by one INSERT … SELECT FROM generate_series, and the provider's
 * registry of the same day generated on the fly from the same formula — streamed, never stored — with a few planted
 * mismatches of each class. Both sides follow `amountOf(i)`: payment i is transaction id FIRST_ID + i.
 */
import type { Queryable } from '../src/store/db.ts';
import type { RegistryRow } from '../src/sandbox/providers/simulator.ts';
import { formatAmount } from '../src/domain/money.ts';

export interface ReconDay {
  /** The business day, in the hub's zone (UTC+5 unless TOLEM_TZ says otherwise). */
  day: string;
  offsetMinutes: number;
  payments: number;
  /** Planted mismatches per class (each of the four planted kinds). */
  planted: number;
  agentId: bigint;
  /** A P1011 payment is the sandbox mobile operator's (provider sandbox-mobile, simulator `mobile`). */
  serviceId: string;
  provider: string;
  /**
   * The three-way bench's extra provider plant (bench/agent-registry-day.ts): `planted` references listed twice, same
   * amount (duplicate_at_provider). The two-way reconciliation keeps one listing of a reference, so its counts are the same.
   */
  providerDuplicates?: boolean;
}

/** Far above the ids the payment sequence hands out in a bench run (it starts at 10^17 + 1). */
export const FIRST_ID = 800_000_000_000_000_000n;
/** References the provider lists that Tolem never saw. */
const FOREIGN_ID = 880_000_000_000_000_000n;

export function amountOf(i: number): bigint {
  return 10_000n + BigInt(i % 997) * 100n;
}

/**
 * `planted` indexes spread over the day, `shift` past each of `planted` evenly spaced points: every planted class has
 * a shift of its own (0–1 here, 2 the provider's duplicates, 3–6 the agent's plants), so no index is in two classes.
 */
export function spreadIndexes(day: Pick<ReconDay, 'payments' | 'planted'>, shift: number): number[] {
  return Array.from({ length: day.planted }, (_, j) => Math.floor(((j + 0.5) * day.payments) / day.planted) + shift).filter((i) => i < day.payments);
}

/** The planted indexes of each class: spread over the day, none shared between classes. */
export function plantedIndexes(day: Pick<ReconDay, 'payments' | 'planted'>): { missingAtProvider: number[]; amountMismatch: number[]; duplicateAtProvider: number[] } {
  return { missingAtProvider: spreadIndexes(day, 0), amountMismatch: spreadIndexes(day, 1), duplicateAtProvider: spreadIndexes(day, 2) };
}

/** What the reconciliation must find: the planted counts by class. */
export function expectedCounts(day: Pick<ReconDay, 'payments' | 'planted'>): Record<'matched' | 'missing_at_provider' | 'missing_at_tolem' | 'amount_mismatch', number> {
  const planted = plantedIndexes(day);
  return {
    matched: day.payments - planted.missingAtProvider.length - planted.amountMismatch.length,
    missing_at_provider: planted.missingAtProvider.length,
    amount_mismatch: planted.amountMismatch.length,
    // Unknown to Tolem, and failed in Tolem's books while the provider holds them.
    missing_at_tolem: 2 * day.planted,
  };
}

/**
 * The hub's side: the day's succeeded payments, spread over the day, plus `planted` failed payments the provider
 * will list anyway. One statement each; on PostgreSQL a million rows take seconds.
 */
export async function seedReconDay(q: Queryable, day: ReconDay): Promise<void> {
  const from = new Date(Date.parse(`${day.day}T00:00:00Z`) - day.offsetMinutes * 60_000);
  const stepMs = Math.max(1, Math.floor(86_000_000 / Math.max(1, day.payments)));
  const insert = (state: 'succeeded' | 'failed', code: number, count: number, offset: number) => q.query(
    `INSERT INTO payments (id, agent_id, agent_txn_id, service_id, account, currency, amount_to_minor, amount_from_minor, state, result_code,
                           result_message, provider, provider_ref, paid_at, status_at)
     SELECT $1::int8 + i, $2, $1::int8 + i, $3, (7000000000 + i % 1000000)::text, 'KZT', 10000 + (i % 997) * 100, 10000 + (i % 997) * 100,
            $4, $5, $6, $7, 'MOBILE-' || i, $8::timestamptz + (i - $9) * ($10 * interval '1 millisecond'), $8::timestamptz + (i - $9) * ($10 * interval '1 millisecond')
       FROM generate_series($9::int8, $9::int8 + $11::int8 - 1) AS i`,
    [FIRST_ID.toString(), day.agentId, day.serviceId, state, code, state === 'succeeded' ? 'OK' : 'rejected by the provider', day.provider, from, offset, stepMs, count],
  );
  await insert('succeeded', 0, day.payments, 0);
  await insert('failed', 300, day.planted, day.payments);
}

/** The provider's side, generated row by row (a generator: the simulator's route streams it as CSV). */
export function* plantedRegistry(day: ReconDay): Generator<RegistryRow> {
  const planted = plantedIndexes(day);
  const missing = new Set(planted.missingAtProvider);
  const changed = new Set(planted.amountMismatch);
  const twice = new Set(day.providerDuplicates ? planted.duplicateAtProvider : []);
  const paidAt = new Date(Date.parse(`${day.day}T12:00:00Z`) - day.offsetMinutes * 60_000).toISOString();
  const row = (reference: bigint, i: number, amountMinor: bigint): RegistryRow => ({
    reference: reference.toString(), providerRef: `MOBILE-${i}`, amount: formatAmount(amountMinor), account: String(7_000_000_000 + (i % 1_000_000)), paidAt,
  });
  for (let i = 0; i < day.payments; i++) {
    if (missing.has(i)) continue;
    yield row(FIRST_ID + BigInt(i), i, amountOf(i) + (changed.has(i) ? 1n : 0n));
    if (twice.has(i)) yield row(FIRST_ID + BigInt(i), i, amountOf(i));
  }
  for (let j = 0; j < day.planted; j++) {
    yield row(FIRST_ID + BigInt(day.payments + j), day.payments + j, amountOf(day.payments + j));
    yield row(FOREIGN_ID + BigInt(j), j, 77_700n);
  }
}

/** What the server tells the bench of the day it prepared (the handshake's `recon`). */
export interface ReconHandshake {
  /** The admin API's Unix socket (the bench runs the reconciliation through it, in the server process). */
  socket: string;
  provider: string;
  day: string;
  payments: number;
  /** The agent whose payments the day holds (the three-way reconciliation's agent and its registry's). */
  agentId: string;
  planted: number;
  expected: ReturnType<typeof expectedCounts>;
  /** How long writing the hub's side took (generate_series), for the record. */
  seedSeconds: number;
}

/**
 * The server half: an agent of its own, the day's payments seeded, the simulator's registry of the day generated
 * from the same formula, and the admin API on a Unix socket. `tolem` is the running Tolem of bench/server.ts.
 */
export async function prepareReconDay(
  tolem: { ctx: { db: Queryable; config: { hubOffsetMinutes: number }; sandbox?: { simulators: Map<string, { generateRegistry(day: string, rows: () => Iterable<RegistryRow>): void }> } }; listenAdminSocket(path: string): Promise<void> },
  options: { payments: number; socket: string; agentId: bigint },
): Promise<ReconHandshake> {
  const day = reconDayOf(tolem.ctx.config.hubOffsetMinutes, options.payments, options.agentId);
  const started = performance.now();
  await seedReconDay(tolem.ctx.db, day);
  // Fresh statistics, as autovacuum would gather them on a real store: the join is planned on the day's true size.
  await tolem.ctx.db.query('ANALYZE payments');
  const seedSeconds = Math.round((performance.now() - started) / 100) / 10;
  serveReconRegistry(tolem.ctx.sandbox, day);
  await tolem.listenAdminSocket(options.socket);
  return {
    socket: options.socket, provider: day.provider, day: day.day, payments: day.payments, agentId: day.agentId.toString(), planted: day.planted,
    expected: expectedCounts(day), seedSeconds,
  };
}

/** The bench's reconciliation day (the provider's registry does not depend on the agent: its references are the ids). */
export function reconDayOf(offsetMinutes: number, payments: number, agentId: bigint): ReconDay {
  return { day: RECON_DAY, offsetMinutes, payments, planted: 5, agentId, serviceId: 'P1011', provider: 'sandbox-mobile', providerDuplicates: true };
}

type Simulators = { simulators: Map<string, { generateRegistry(day: string, rows: () => Iterable<RegistryRow>): void }> };

/**
 * The provider's registry of the day, generated on request by the sandbox mobile operator — in the hub's process, or
 * in the providers' own process when the bench runs them apart (`--providers separate`, bench/server.ts's providers role).
 */
export function serveReconRegistry(sandbox: Simulators | undefined, day: ReconDay): void {
  const simulator = sandbox?.simulators.get('mobile');
  if (!simulator) throw new Error('the bench server runs without its sandbox providers');
  simulator.generateRegistry(day.day, () => plantedRegistry(day));
}

/** A day well before any bench run's own payments (they are made today). */
export const RECON_DAY = '2026-01-15';
