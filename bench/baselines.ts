/**
 * What the database itself can commit on this machine, measured with pgbench right before the Tolem scenarios, so
 * that every Tolem figure is read as a ratio to the same server in the same run:
 *   - tpcb-like: pgbench's built-in TPC-B-like script (3 UPDATEs, 1 SELECT, 1 INSERT per transaction) — the ceiling for
 *     "many agents", whose pays touch different balance rows;
 *   - hot-row: one UPDATE of one row plus one INSERT per transaction from every client — the ceiling for "one hot
 *     agent", whose pays all write one balance row.
 * Both run in a schema of their own (search_path through PGOPTIONS), dropped afterwards. Durable commits: the
 * server's synchronous_commit is read and reported, never changed.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface PgbenchFigure {
  tps: number;
  latencyAvgMs: number | null;
  clients: number;
  seconds: number;
  transactions: number;
  failed: number;
}

export interface Baselines {
  tpcb: PgbenchFigure;
  hotRow: PgbenchFigure;
  /** The server's settings the figures depend on. */
  server: { synchronousCommit: string; version: string };
}

export interface BaselineOptions {
  databaseUrl: string;
  seconds: number;
  clients: number;
  /** pgbench's scale for tpcb-like (100,000 accounts per unit); at least the client count, so clients rarely share a branch. */
  scale: number;
}

/** The hot-row script: what one pay of a hot agent must at least do (its balance row, one journal row), per transaction. */
const HOT_ROW_SCRIPT = `BEGIN;
UPDATE bench_hot SET balance = balance - 1 WHERE id = 1;
INSERT INTO bench_hot_log (delta) VALUES (-1);
END;
`;

export async function measureBaselines(options: BaselineOptions, say: (line: string) => void): Promise<Baselines> {
  const schema = `bench_pgb_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  const dir = mkdtempSync(join(tmpdir(), 'tolem-pgbench-'));
  try {
    const server = await serverSettings(client);
    await client.query(`CREATE SCHEMA ${schema}`);
    const env = { ...process.env, PGOPTIONS: `-c search_path=${schema}` };
    say(`bench: pgbench -i -s ${options.scale} (schema ${schema})`);
    await run('pgbench', ['-i', '-q', '-s', String(options.scale), '--no-vacuum', options.databaseUrl], { env, maxBuffer: 16 * 1024 * 1024 });
    await client.query(`VACUUM ANALYZE ${schema}.pgbench_accounts, ${schema}.pgbench_branches, ${schema}.pgbench_tellers`);
    say(`bench: pgbench tpcb-like, ${options.clients} clients, ${options.seconds} s`);
    const tpcb = await pgbench(options, env, ['-b', 'tpcb-like']);

    await client.query(`CREATE TABLE ${schema}.bench_hot (id int PRIMARY KEY, balance bigint NOT NULL)`);
    await client.query(`CREATE TABLE ${schema}.bench_hot_log (id bigserial PRIMARY KEY, delta bigint NOT NULL, at timestamptz NOT NULL DEFAULT now())`);
    await client.query(`INSERT INTO ${schema}.bench_hot VALUES (1, 0)`);
    const script = join(dir, 'hot-row.sql');
    writeFileSync(script, HOT_ROW_SCRIPT);
    say(`bench: pgbench hot-row, ${options.clients} clients, ${options.seconds} s`);
    const hotRow = await pgbench(options, env, ['-n', '-f', script]);
    return { tpcb, hotRow, server };
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function serverSettings(client: pg.Client): Promise<Baselines['server']> {
  const sync = await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
  const version = await client.query<{ server_version: string }>('SHOW server_version');
  return { synchronousCommit: sync.rows[0]!.synchronous_commit, version: version.rows[0]!.server_version };
}

async function pgbench(options: BaselineOptions, env: NodeJS.ProcessEnv, script: string[]): Promise<PgbenchFigure> {
  const threads = Math.min(options.clients, 2);
  const args = [...script, '-M', 'prepared', '-c', String(options.clients), '-j', String(threads), '-T', String(options.seconds), options.databaseUrl];
  const { stdout } = await run('pgbench', args, { env, maxBuffer: 16 * 1024 * 1024, timeout: (options.seconds + 60) * 1000 });
  return readPgbench(stdout, options);
}

/** Reads pgbench's summary ("tps = 2206.1 (without initial connection time)", "number of transactions actually processed: N"). */
export function readPgbench(stdout: string, options: Pick<BaselineOptions, 'clients' | 'seconds'>): PgbenchFigure {
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout) ?? /tps = ([\d.]+)/.exec(stdout);
  if (!tps) throw new Error(`pgbench printed no tps: ${stdout.slice(-500)}`);
  const latency = /latency average = ([\d.]+) ms/.exec(stdout);
  const processed = /number of transactions actually processed: (\d+)/.exec(stdout);
  const failed = /number of failed transactions: (\d+)/.exec(stdout);
  return {
    tps: Math.round(Number(tps[1]) * 10) / 10,
    latencyAvgMs: latency ? Number(latency[1]) : null,
    clients: options.clients,
    seconds: options.seconds,
    transactions: processed ? Number(processed[1]) : 0,
    failed: failed ? Number(failed[1]) : 0,
  };
}
