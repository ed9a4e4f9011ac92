import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The one SQL surface every module uses. int8 comes back as bigint, numeric as exact text, on both engines. */
export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: Row[]; rowCount: number }>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction (READ COMMITTED); commits on return, rolls back on throw. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** For pg-boss: a plain executeSql over the same store. */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export interface DbConfig {
  /** postgres://… for a server; unset for embedded PGlite. */
  databaseUrl?: string;
  /** PGlite data directory; 'memory://' for a throwaway store (tests). */
  dataDir: string;
  /** Schema for all Tolem tables on a server (tests use one per file); default public. */
  schema?: string;
  poolSize?: number;
}

/** bigint parameters travel as decimal text: exact on both drivers, whatever their own serialisers do. */
function prepareParams(params: readonly unknown[] | undefined): unknown[] {
  if (!params) return [];
  return params.map((value) => (typeof value === 'bigint' ? value.toString() : value));
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

export async function openDb(config: DbConfig): Promise<Db> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, config) : openPglite(config.dataDir);
}

async function openPostgres(url: string, config: DbConfig): Promise<Db> {
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => {
      if (oid === INT8_OID) return (text: string) => BigInt(text);
      if (oid === NUMERIC_OID) return (text: string) => text;
      return pg.types.getTypeParser(oid, format);
    },
  };
  const schema = config.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: config.poolSize ?? 10,
    types,
    options: `-c search_path=${schema}`,
    // A server that stops answering must not hang a payment forever.
    connectionTimeoutMillis: 10_000,
    statement_timeout: 30_000,
  });
  pool.on('error', () => undefined); // idle-client errors surface on the next query instead of crashing
  // A connection that dies while its client is checked out (between a transaction's statements: the server crashed,
  // or an operator cut it) makes the client emit 'error'; without a listener that would end the process. Its next
  // statement fails instead, and the transaction's own error path runs (found by the chaos campaign's database crashes).
  pool.on('connect', (client) => client.on('error', () => undefined));
  if (schema !== 'public') {
    // CREATE SCHEMA IF NOT EXISTS is not safe against a concurrent twin: serialise instances with an advisory lock.
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(8420000)');
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
  const db: Db = {
    kind: 'postgres',
    async query(sql, params) {
      const result = await pool.query(sql, prepareParams(params));
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    },
    async tx(fn) {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const q: Queryable = {
          async query(sql, params) {
            const result = await client.query(sql, prepareParams(params));
            return { rows: result.rows, rowCount: result.rowCount ?? 0 };
          },
        };
        const value = await fn(q);
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        // A client that could not even roll back has lost its connection: the pool discards it instead of lending it again.
        client.release(broken);
      }
    },
    async executeSql(text, values) {
      const result = await pool.query(text, prepareParams(values));
      return { rows: result.rows };
    },
    async close() {
      await pool.end();
    },
  };
  return db;
}

async function openPglite(dataDir: string): Promise<Db> {
  const lock = dataDir.startsWith('memory://') ? undefined : lockDataDir(dataDir);
  const lite = await PGlite.create(dataDir, { parsers: { [INT8_OID]: (text: string) => BigInt(text), [NUMERIC_OID]: (text: string) => text } });
  // PGlite is one session: it serialises queries and transactions itself, so no pool is put on top of it.
  const db: Db = {
    kind: 'pglite',
    async query(sql, params) {
      return liteResult(await lite.query(sql, prepareParams(params)));
    },
    async tx(fn) {
      return lite.transaction(async (t) =>
        fn({
          async query(sql, params) {
            return liteResult(await t.query(sql, prepareParams(params)));
          },
        }),
      );
    },
    async executeSql(text, values) {
      // pg-boss sends multi-statement scripts without parameters (schema creation): those go through exec.
      if (!values || values.length === 0) {
        const results = await lite.exec(text);
        return { rows: (results.at(-1)?.rows ?? []) as unknown[] };
      }
      const result = await lite.query(text, prepareParams(values));
      return { rows: result.rows };
    },
    async close() {
      await lite.close();
      lock?.release();
    },
  };
  return db;
}

/** Rows returned (SELECT, RETURNING) count as the row count; otherwise the rows the statement changed. */
function liteResult<Row>(result: { rows: unknown[]; fields: unknown[]; affectedRows?: number }): { rows: Row[]; rowCount: number } {
  return { rows: result.rows as Row[], rowCount: result.fields.length > 0 ? result.rows.length : (result.affectedRows ?? 0) };
}

/**
 * PGlite is one process's database: a second process opening the same directory would corrupt it. A pid file refuses
 * that with a clear message (a stale file from a dead process is taken over).
 */
function lockDataDir(dataDir: string): { release(): void } {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'tolem.pid');
  let holder: number | undefined;
  try {
    holder = Number(readFileSync(path, 'utf8').trim());
  } catch {
    holder = undefined;
  }
  if (holder && holder !== process.pid && processAlive(holder)) {
    throw new Error(`the embedded database in ${dataDir} is in use by process ${holder}; stop it first, or run Tolem on a PostgreSQL server (DATABASE_URL)`);
  }
  writeFileSync(path, String(process.pid));
  return { release: () => rmSync(path, { force: true }) };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
