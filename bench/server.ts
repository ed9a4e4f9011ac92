/**
 * The benchmark's server process: one complete Tolem (agent API, sandbox providers over real HTTP, durable job
 * workers) on a loopback port, over a fresh store, with the agents the parent asks for.
 *
 * Input (environment, set by bench/run.ts):
 *   BENCH_AGENTS        how many agents to create (each: KZT, confirmed token, a large opening balance)
 *   DATABASE_URL        run on this PostgreSQL server (tables in DB_SCHEMA, pg-boss in QUEUE_SCHEMA); unset: PGlite
 *   BENCH_SUMMARY_FILE  where to write what the store holds at the end (payments by state, jobs, ledger invariants)
 *   BENCH_PGLITE_DATA   memory:// for an in-memory PGlite (default: a fresh temporary directory on disk)
 *   BENCH_KEEP_SCHEMA   on a server, keep the bench schemas instead of dropping them on exit
 *   BENCH_ROLE          providers: the run's providers process (its mobile operator also serves the reconciliation day's registry)
 *   LOG_LEVEL           warn by default; logs go to stderr (stdout carries only the handshake line)
 *
 * Output: exactly one JSON line on stdout, {"url": …, "store": …, "agents": [{"id": …, "token": …}]}, once listening.
 * SIGTERM (or SIGINT): write the summary, close Tolem, remove the temporary data, exit 0.
 * SIGUSR2: run a full garbage collection and print one line {"heap": {"usedMb": …, "totalMb": …, "rssMb": …}} (the soak).
 *
 * bench/run.ts runs this file compiled (dist/bench/server.js, bin/build.js), as `npm start` runs the hub;
 * BENCH_SERVER=tsx runs it from the TypeScript sources through tsx instead.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { pino } from 'pino';
import { build, REDACTED_PATHS, type Tolem } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createAgent } from '../src/engine/agents.ts';
import { createElsomTerminal, elsomPasswordMd5 } from '../src/engine/terminals.ts';
import { checkInvariants } from '../src/ledger/ledger.ts';
import { prepareReconDay, reconDayOf, serveReconRegistry } from './recon-day.ts';

/** 10^12 KZT: no scenario can run an agent dry, so every refusal seen is a real one. */
const OPENING_BALANCE_MINOR = 100_000_000_000_000n;

const agentCount = Number(process.env.BENCH_AGENTS ?? '1');
if (!Number.isInteger(agentCount) || agentCount < 1 || agentCount > 10_000) {
  process.stderr.write(`bench server: BENCH_AGENTS must be an integer 1..10000, got "${process.env.BENCH_AGENTS}"\n`);
  process.exit(2);
}

/**
 * The reconciliation scenario's day (bench/recon-day.ts): payments to seed when the parent sends SIGHUP (right before
 * that scenario, so the other scenarios run on a store without them); the answer is one JSON line {"recon": …}.
 */
const reconPayments = Number(process.env.BENCH_RECON_PAYMENTS ?? '1000000');
const reconSocket = join(tmpdir(), `tolem-bench-admin-${process.pid}.sock`);

const databaseUrl = process.env.DATABASE_URL || undefined;
// A fresh on-disk PGlite directory, as `tolem start` uses; BENCH_PGLITE_DATA=memory:// for an in-memory store.
const inMemory = !databaseUrl && process.env.BENCH_PGLITE_DATA === 'memory://';
const dataDir = databaseUrl || inMemory ? undefined : mkdtempSync(join(tmpdir(), 'tolem-bench-'));
const config = loadConfig({
  ...process.env,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
  DEMO: 'false',
  SANDBOX: 'true',
  // A throwaway key for the run's second-factor secrets (there are none): no warning about a missing shared key.
  TOLEM_SECRETS_KEY: process.env.TOLEM_SECRETS_KEY || randomBytes(32).toString('base64'),
  ...(dataDir ? { TOLEM_DATA: dataDir } : {}),
  ...(inMemory ? { TOLEM_DATA: 'memory://' } : {}),
});
// Logs to stderr: the parent reads stdout for the handshake and tallies stderr (warnings and errors are findings).
const log = pino({ level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, pino.destination(2));

let tolem: Tolem | undefined;

/** The Elsom wallet's terminal of the Elsom scenario: an agent in KGS, its service 5132 mapped to MegaCom (K1001). */
async function elsomTerminal(t: Tolem): Promise<{ agentId: string; terminalId: string; login: string; passwordMd5: string; serviceId: string }> {
  const created = await createAgent(t.ctx.db, { name: 'Bench Elsom wallet', currency: 'KGS', openingBalanceMinor: OPENING_BALANCE_MINOR, issueToken: false });
  const terminal = { terminalId: '9001', login: 'bench-elsom', password: randomBytes(12).toString('hex') };
  await createElsomTerminal(t.ctx.db, { agentId: created.agent.id, ...terminal, services: [{ elsomServiceId: '5132', serviceId: 'K1001' }] });
  return { agentId: created.agent.id.toString(), terminalId: terminal.terminalId, login: terminal.login, passwordMd5: elsomPasswordMd5(terminal.password), serviceId: '5132' };
}
let stopping = false;

async function summary(t: Tolem): Promise<unknown> {
  const db = t.ctx.db;
  const payments = await db.query<{ agent_id: bigint; state: string; result_code: number; n: bigint }>(
    `SELECT agent_id, state, result_code, count(*)::int8 AS n FROM payments GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
  );
  let jobs: { name: string; state: string; n: bigint }[] = [];
  try {
    jobs = (await db.query<{ name: string; state: string; n: bigint }>(
      `SELECT name, state::text AS state, count(*)::int8 AS n FROM ${config.queueSchema}.job GROUP BY 1, 2 ORDER BY 1, 2`,
    )).rows;
  } catch (error) {
    log.warn({ err: error }, 'bench: job table not readable');
  }
  const invariants = await checkInvariants(db);
  const batches = await t.ctx.metrics.batchSizes.get();
  const groupCommit: Record<string, { statements: number; payments: number }> = {};
  for (const value of batches.values) {
    const kind = String(value.labels.batch);
    groupCommit[kind] ??= { statements: 0, payments: 0 };
    if (value.metricName?.endsWith('_count')) groupCommit[kind].statements = value.value;
    if (value.metricName?.endsWith('_sum')) groupCommit[kind].payments = value.value;
  }
  return {
    groupCommit,
    payments: payments.rows.map((row) => ({ agentId: row.agent_id.toString(), state: row.state, code: row.result_code, n: Number(row.n) })),
    jobs: jobs.map((row) => ({ name: row.name, state: row.state, n: Number(row.n) })),
    invariants: { ok: invariants.ok, problems: invariants.problems },
  };
}

async function dropSchemas(): Promise<void> {
  if (!databaseUrl || process.env.BENCH_KEEP_SCHEMA) return;
  const schemas = [config.dbSchema, config.queueSchema].filter((schema) => schema !== 'public' && /^[a-z_][a-z0-9_]*$/.test(schema));
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  let code = 0;
  try {
    if (tolem) {
      const file = process.env.BENCH_SUMMARY_FILE;
      if (file) {
        try {
          writeFileSync(file, JSON.stringify(await summary(tolem)));
        } catch (error) {
          log.error({ err: error }, 'bench: summary failed');
        }
      }
      await tolem.close();
    }
    await dropSchemas();
  } catch (error) {
    log.error({ err: error, signal }, 'bench: shutdown failed');
    code = 1;
  } finally {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    rmSync(reconSocket, { force: true });
  }
  process.exit(code);
}

/** The heap after a full GC, without starting node with --expose-gc (which would apply to the whole run). */
function heapAfterGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const mb = (bytes: number) => Math.round(bytes / 104_857.6) / 10;
  const memory = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ heap: { usedMb: mb(memory.heapUsed), totalMb: mb(memory.heapTotal), rssMb: mb(memory.rss) } })}\n`);
}

process.on('SIGUSR2', heapAfterGc);

// SIGHUP, not SIGUSR2 (the soak's heap reading): seed the reconciliation day.
process.on('SIGHUP', () => {
  if (!tolem) return;
  const t = tolem;
  void createAgent(t.ctx.db, { name: 'Bench reconciliation', currency: 'KZT', openingBalanceMinor: 0n, issueToken: false })
    .then((created) => prepareReconDay(t, { payments: reconPayments, socket: reconSocket, agentId: created.agent.id }))
    .then((recon) => process.stdout.write(`${JSON.stringify({ recon })}\n`))
    .catch((error: unknown) => {
      log.error({ err: error }, 'bench: the reconciliation day could not be prepared');
      process.stdout.write(`${JSON.stringify({ recon: null, error: error instanceof Error ? error.message : String(error) })}\n`);
    });
});
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

try {
  tolem = await build(config, { log });
  // The providers' process of a bench run (BENCH_ROLE=providers): its mobile operator serves the reconciliation day's
  // registry, which the hub reaches over SANDBOX_URL (generated on request, nothing stored).
  if (process.env.BENCH_ROLE === 'providers') serveReconRegistry(tolem.ctx.sandbox, reconDayOf(config.hubOffsetMinutes, reconPayments, 0n));
  const url = await tolem.listen();
  const agents: { id: string; token: string }[] = [];
  for (let i = 0; i < agentCount; i++) {
    const created = await createAgent(tolem.ctx.db, {
      name: `Bench agent ${i + 1}`, currency: 'KZT', openingBalanceMinor: OPENING_BALANCE_MINOR, confirmToken: true,
    });
    agents.push({ id: created.agent.id.toString(), token: created.token! });
  }
  process.stdout.write(`${JSON.stringify({ url, store: tolem.ctx.db.kind, agents, elsom: await elsomTerminal(tolem) })}\n`);
} catch (error) {
  log.fatal({ err: error }, 'bench: server failed to start');
  await tolem?.close().catch(() => undefined);
  await dropSchemas().catch(() => undefined);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  process.exit(1);
}
