/**
 * The campaign's own PostgreSQL server (Debian's postgresql-15 binaries, a fresh cluster in a temporary directory on
 * a free loopback port, durable commits), so that it can be crashed and its connections cut under load without
 * touching anyone else's database. Crashing is `pg_ctl restart -m immediate`: every backend dies at once, as on a
 * power cut, and the server recovers from its WAL; Tolem has to reconnect by itself.
 *
 * PostgreSQL refuses to run as root: when the campaign runs as root, the cluster belongs to the `postgres` user
 * (the Debian package's), and its commands run through `runuser`.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface PrivateDatabase {
  url: string;
  /** Crash the server (immediate shutdown: no checkpoint) and start it again; resolves when it accepts connections. */
  crash(): Promise<void>;
  /** Terminate every client connection (the server stays up). */
  cutConnections(): Promise<number>;
  stop(): Promise<void>;
}

function binaries(): string {
  const root = '/usr/lib/postgresql';
  const version = existsSync(root) ? readdirSync(root).sort().at(-1) : undefined;
  if (!version) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (Debian package postgresql)');
  return join(root, version, 'bin');
}

export async function startPrivateDatabase(port: number): Promise<PrivateDatabase> {
  const bin = binaries();
  const dir = mkdtempSync(join(tmpdir(), 'tolem-chaos-pg-'));
  const asRoot = userInfo().uid === 0;
  if (asRoot) chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), Number((await run('id', ['-g', 'postgres'])).stdout.trim()));
  const as = (command: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args]) : run(join(bin, command), args));
  const data = join(dir, 'data');
  await as('initdb', ['-D', data, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--no-instructions']);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=on -c synchronous_commit=on -c max_connections=100`;
  const start = () => as('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    async crash() {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await start();
    },
    async cutConnections() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const cut = await client.query(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
                                          WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`);
        return (cut.rows[0] as { n: number }).n;
      } finally {
        await client.end();
      }
    },
    async stop() {
      await as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
