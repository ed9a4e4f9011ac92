import { randomBytes } from 'node:crypto';
import { parse as parseLossless } from 'lossless-json';
import { pino, type Logger } from 'pino';
import { build, type Tolem } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import { createAgent, type CreateAgentInput } from '../../src/engine/agents.ts';
import { checkInvariants } from '../../src/ledger/ledger.ts';
import { ShiftedClock } from '../../src/domain/clock.ts';

/**
 * Tests run on embedded PGlite by default and on a PostgreSQL server when DATABASE_URL is set; on a server each
 * test file gets its own schema (tables and job queue), so files run in parallel without meeting.
 */
export function testSchema(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

export async function openTestDb(schema = testSchema()): Promise<Db> {
  return openDb({ databaseUrl: process.env.DATABASE_URL, dataDir: 'memory://', schema, poolSize: 20 });
}

export function testConfig(overrides: Partial<Config> = {}, engine: Partial<Config['engine']> = {}): Config {
  const base = loadConfig({ ...process.env, PORT: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', DEMO: 'false' });
  return {
    ...base,
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: 'memory://',
    queuePollingSeconds: 0.5,
    // Token confirmations and revocations are asserted right after they happen.
    authCacheMs: 0,
    // Files send many bad credentials from one address on purpose; the throttle has its own tests with low limits.
    authThrottle: { ...base.authThrottle, maxFailures: 100_000 },
    // Files take a provider down on purpose to test recovery, and need its pays accepted; the provider circuits have
    // their own tests (provider-circuits), which turn them on.
    providerCircuits: { ...base.providerCircuits, failurePercent: 100 },
    ...overrides,
    engine: { ...base.engine, providerDeadlineMs: 2_000, providerTimeoutMs: 2_000, retryBaseMs: 200, retryMaxMs: 1_000, ...engine },
  };
}

export interface Harness {
  tolem: Tolem;
  db: Db;
  url: string;
  close(): Promise<void>;
}

/** A complete Tolem (API, sandboxes, job workers) on a loopback port, over a fresh store. */
/**
 * A test clock that starts at `iso` and runs at real speed. Tests that depend on the calendar pass one to startTolem;
 * the others run on the machine's clock, or on TOLEM_CLOCK when it is set (CI runs the suite at a calendar edge).
 */
export function clockAt(iso: string): ShiftedClock {
  return new ShiftedClock(new Date(iso));
}

export async function startTolem(options: { config?: Partial<Config>; engine?: Partial<Config['engine']>; jobs?: boolean; db?: Db; schema?: string; clock?: ShiftedClock; log?: Logger } = {}): Promise<Harness> {
  const schema = options.schema ?? testSchema();
  const db = options.db ?? (await openTestDb(schema));
  const config = testConfig({ dbSchema: schema, queueSchema: `${schema}_boss`, ...options.config }, options.engine);
  const tolem = await build(config, { db, log: options.log ?? pino({ level: config.logLevel }), ...(options.jobs !== undefined ? { jobs: options.jobs } : {}), ...(options.clock ? { clock: options.clock } : {}) });
  const url = await tolem.listen();
  return {
    tolem,
    db,
    url,
    async close() {
      // Every file that starts a Tolem ends with the ledger checked: whatever its scenarios did, the books balance.
      const report = await checkInvariants(db);
      await tolem.close();
      if (!options.db) await db.close();
      if (!report.ok) throw new Error(`ledger invariant broken at the end of the file: ${report.problems.join('; ')}`);
    },
  };
}

export async function newAgent(db: Db, input: Partial<CreateAgentInput> = {}): Promise<{ id: bigint; token: string }> {
  const created = await createAgent(db, { name: 'Test agent', currency: 'KZT', openingBalanceMinor: 10_000_000n, confirmToken: true, ...input });
  return { id: created.agent.id, token: created.token! };
}

export interface ApiAnswer {
  status: number;
  text: string;
  /** Parsed losslessly: numbers are LosslessNumber; use num() to read them. */
  body: Record<string, unknown>;
}

export async function post(url: string, body: string | undefined, headers: Record<string, string> = {}): Promise<ApiAnswer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = parseLossless(text) as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  return { status: response.status, text, body: parsed };
}

/** A client of the agent API for one agent. */
export function agentApi(baseUrl: string, token: string) {
  return (method: string, body?: unknown) =>
    post(`${baseUrl}/api/v20/${method}`, body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), { authorization: `Bearer ${token}` });
}

/** The text of a JSON number or string field, for exact comparisons. */
export function num(value: unknown): string {
  if (value && typeof value === 'object' && 'value' in value) return String((value as { value: string }).value);
  return String(value);
}

export async function expectLedgerBalanced(db: Db): Promise<void> {
  const report = await checkInvariants(db);
  if (!report.ok) throw new Error(`ledger invariant broken: ${report.problems.join('; ')}`);
}

export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
