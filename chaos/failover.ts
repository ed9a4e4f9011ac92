/**
 * A highly-available PostgreSQL for the chaos campaign, all on loopback in a temporary directory: one etcd (the
 * distributed configuration store Patroni keeps its leader lock in), two PostgreSQL 15 nodes managed by Patroni with
 * synchronous replication (`synchronous_mode: true`: a commit is acknowledged only once the standby has it, so a
 * failover loses no acknowledged payment), and HAProxy in front, which sends every connection to whichever node
 * Patroni's REST API says is the primary (`GET /primary` answers 200 only there) and cuts the sessions of a node the
 * moment it stops being the primary (`on-marked-down shutdown-sessions`). Tolem connects to HAProxy only.
 *
 * `failover()` is a lost primary server: its Patroni and every PostgreSQL process of it are SIGKILLed at once. The
 * leader lock in etcd then expires (ttl), the standby's Patroni promotes it, HAProxy's health check moves the traffic
 * over; then the old node is started again and Patroni rejoins it as the new standby (pg_rewind, or a fresh clone when
 * that fails), so that the next failover has a synchronous standby to fail over to.
 *
 * PostgreSQL refuses to run as root: when the campaign is root, the nodes' directories belong to the `postgres` user
 * and Patroni runs as that user (spawned with its uid, so that the pid the campaign holds is Patroni's own).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import type { PrivateDatabase } from './database.ts';
import { freePort } from './net.ts';

const run = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';
const SCOPE = 'tolem-chaos';

export interface FailoverResult {
  fromNode: string;
  toNode: string;
  /** From the kill to the first write committed through HAProxy on the promoted node. */
  seconds: number;
  /** From that write until the old node is a streaming synchronous standby again. */
  rejoinSeconds: number;
  /** How Patroni brought the old primary back, read from its log: rewound, re-cloned, or simply started as a standby. */
  rejoinedBy: 'pg_rewind' | 'clone' | 'restart';
}

export interface HaDatabase extends PrivateDatabase {
  failover(): Promise<FailoverResult>;
  /** The generated configuration files, by name (for the documentation and for reading a failure). */
  configs: Record<string, string>;
}

/** Whether everything the HA database needs is installed (Debian: etcd-server, patroni, haproxy, postgresql-15). */
export function haAvailable(): boolean {
  const onPath = (name: string) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
  return ['patroni', 'etcd', 'haproxy'].every(onPath) && existsSync(join(PG_BIN, 'postgres'));
}

interface Node {
  name: string;
  pgPort: number;
  apiPort: number;
  dataDir: string;
  configPath: string;
  logPath: string;
  patroni: ChildProcess | undefined;
}

interface Owner {
  uid: number;
  gid: number;
}


function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` every 200 ms until it answers true; fails with `what` after `timeoutMs`. */
async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`HA database: ${what} not within ${timeoutMs / 1000} s`);
}

async function httpStatus(url: string): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  await response.arrayBuffer();
  return response.status;
}

/** One statement on its own short-lived connection, bounded in time. */
async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000, query_timeout: 5_000 });
  client.on('error', () => undefined); // a node dying under this probe fails the query, not the campaign
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function etcdArgs(dir: string, clientPort: number, peerPort: number): string[] {
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name', 'e1', '--data-dir', join(dir, 'etcd'),
    '--listen-client-urls', `http://127.0.0.1:${clientPort}`, '--advertise-client-urls', `http://127.0.0.1:${clientPort}`,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `e1=${peer}`, '--initial-cluster-state', 'new',
  ];
}

/**
 * One node's Patroni configuration. ttl 10 / loop_wait 1 / retry_timeout 3 (Patroni's defaults are 30/10/10): the
 * leader lock of a lost primary expires within 10 s, which bounds the time without a primary; loop_wait + 2 ×
 * retry_timeout stays below ttl, as Patroni requires. Trust on loopback only: the campaign's cluster holds no secret.
 */
export function patroniConfig(dir: string, node: Node, etcdPort: number): string {
  return `scope: ${SCOPE}
namespace: /tolem/
name: ${node.name}
log:
  level: INFO
restapi:
  listen: 127.0.0.1:${node.apiPort}
  connect_address: 127.0.0.1:${node.apiPort}
etcd3:
  hosts: 127.0.0.1:${etcdPort}
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 3
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: false
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: 'on'
        wal_log_hints: 'on'
        max_wal_senders: 5
        max_replication_slots: 5
        max_connections: 100
        fsync: 'on'
        synchronous_commit: 'on'
  initdb:
    - encoding: UTF8
    - auth: trust
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication replicator 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:${node.pgPort}
  connect_address: 127.0.0.1:${node.pgPort}
  data_dir: ${node.dataDir}
  bin_dir: ${PG_BIN}
  pgpass: ${join(dir, `pgpass-${node.name}`)}
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
  authentication:
    superuser:
      username: postgres
    replication:
      username: replicator
    rewind:
      username: postgres
  parameters:
    unix_socket_directories: '${dir}'
`;
}

/** HAProxy: TCP to the node whose Patroni answers 200 on /primary; checked every 500 ms, down after 2 failures. */
export function haproxyConfig(port: number, nodes: Node[]): string {
  return `global
  maxconn 1000

defaults
  mode tcp
  timeout connect 2s
  timeout client 1h
  timeout server 1h
  timeout check 1s

listen postgres
  bind 127.0.0.1:${port}
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
${nodes.map((node) => `  server ${node.name} 127.0.0.1:${node.pgPort} maxconn 200 check port ${node.apiPort}`).join('\n')}
`;
}

async function postgresOwner(): Promise<Owner | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
  return { uid: await id('-u'), gid: await id('-g') };
}

/** The PostgreSQL processes of a node: its postmaster (from postmaster.pid) and the postmaster's children. */
function postgresPids(dataDir: string): number[] {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return [];
  }
  if (!Number.isInteger(postmaster) || postmaster <= 0) return [];
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent pid is the second field after the command name, which is in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === postmaster) children.push(Number(entry));
    } catch {
      // the process ended while the list was read
    }
  }
  return [postmaster, ...children];
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export async function startHaDatabase(): Promise<HaDatabase> {
  const owner = await postgresOwner();
  const dir = mkdtempSync(join(tmpdir(), 'tolem-chaos-ha-'));
  const children = new Set<ChildProcess>();
  const nodes: Node[] = [];
  // Whatever happens to the campaign (a thrown error, an exit), nothing of this cluster outlives it.
  const killAll = () => {
    for (const child of children) if (child.pid && child.exitCode === null && child.signalCode === null) killQuietly(child.pid);
    for (const node of nodes) for (const pid of postgresPids(node.dataDir)) killQuietly(pid);
  };
  process.on('exit', killAll);

  const launch = (name: string, command: string, args: string[], asPostgres: boolean): ChildProcess => {
    const out = openSync(join(dir, `${name}.log`), 'a');
    const child = spawn(command, args, {
      cwd: dir, stdio: ['ignore', out, out], env: { ...process.env, HOME: dir },
      ...(asPostgres && owner ? { uid: owner.uid, gid: owner.gid } : {}),
    });
    closeSync(out);
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };

  try {
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const [etcdPort, etcdPeerPort, proxyPort, ...nodePorts] = await Promise.all(Array.from({ length: 7 }, freePort));
    launch('etcd', 'etcd', etcdArgs(dir, etcdPort!, etcdPeerPort!), true);
    await waitFor('etcd healthy', 30_000, async () => (await httpStatus(`http://127.0.0.1:${etcdPort}/health`)) === 200);

    const configs: Record<string, string> = {};
    for (const [i, name] of ['node1', 'node2'].entries()) {
      const node: Node = {
        name, pgPort: nodePorts[2 * i]!, apiPort: nodePorts[2 * i + 1]!, dataDir: join(dir, name),
        configPath: join(dir, `${name}.yml`), logPath: join(dir, `${name}.log`), patroni: undefined,
      };
      configs[`${name}.yml`] = patroniConfig(dir, node, etcdPort!);
      writeFileSync(node.configPath, configs[`${name}.yml`]!);
      nodes.push(node);
    }
    configs['haproxy.cfg'] = haproxyConfig(proxyPort!, nodes);
    writeFileSync(join(dir, 'haproxy.cfg'), configs['haproxy.cfg']);

    const startNode = (node: Node) => {
      node.patroni = launch(node.name, 'patroni', [node.configPath], true);
    };
    // The first node bootstraps the cluster (initdb) alone; the second then clones it with pg_basebackup.
    startNode(nodes[0]!);
    await waitFor('node1 primary', 90_000, async () => (await httpStatus(`http://127.0.0.1:${nodes[0]!.apiPort}/primary`)) === 200);
    startNode(nodes[1]!);
    launch('haproxy', 'haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], false);

    const url = `postgres://postgres@127.0.0.1:${proxyPort}/postgres`;
    const nodeUrl = (node: Node) => `postgres://postgres@127.0.0.1:${node.pgPort}/postgres`;
    const isPrimary = async (node: Node) => (await httpStatus(`http://127.0.0.1:${node.apiPort}/primary`)) === 200;
    const primary = async (): Promise<Node | undefined> => {
      for (const node of nodes) if (await isPrimary(node).catch(() => false)) return node;
      return undefined;
    };
    /** A write committed through HAProxy (txid_current() takes a transaction id, so its commit waits for the standby). */
    const writesThroughProxyOn = async (node: Node) => {
      const [row] = await query<{ port: number; recovery: boolean }>(url, 'SELECT inet_server_port() AS port, pg_is_in_recovery() AS recovery, txid_current()');
      return row !== undefined && row.port === node.pgPort && !row.recovery;
    };
    /** The standby is streaming and the primary counts it as synchronous (and Patroni says so too). */
    const isSyncStandby = async (standby: Node, of: Node) => {
      if ((await httpStatus(`http://127.0.0.1:${standby.apiPort}/sync`)) !== 200) return false;
      const rows = await query<{ n: number }>(nodeUrl(of),
        `SELECT count(*)::int AS n FROM pg_stat_replication WHERE application_name = '${standby.name}' AND state = 'streaming' AND sync_state = 'sync'`);
      return rows[0]?.n === 1;
    };
    const waitUntilHealthy = async (timeoutMs: number): Promise<{ primary: Node; standby: Node }> => {
      let found: { primary: Node; standby: Node } | undefined;
      await waitFor('a primary with a synchronous standby, reachable through HAProxy', timeoutMs, async () => {
        const current = await primary();
        if (!current) return false;
        const standby = nodes.find((node) => node !== current)!;
        if (!(await writesThroughProxyOn(current)) || !(await isSyncStandby(standby, current))) return false;
        found = { primary: current, standby };
        return true;
      });
      return found!;
    };
    await waitUntilHealthy(180_000);

    /** A lost server: the node's Patroni and all its PostgreSQL processes die at the same instant. */
    const loseNode = async (node: Node) => {
      const pids = postgresPids(node.dataDir);
      const patroni = node.patroni;
      const gone = patroni && patroni.exitCode === null && patroni.signalCode === null ? new Promise((resolve) => patroni.once('exit', resolve)) : undefined;
      if (patroni?.pid) killQuietly(patroni.pid);
      for (const pid of pids) killQuietly(pid);
      for (const pid of postgresPids(node.dataDir)) killQuietly(pid); // a backend forked in between
      await Promise.race([gone, sleep(5_000)]);
      node.patroni = undefined;
    };

    return {
      url,
      configs,
      async failover() {
        const { primary: from, standby: to } = await waitUntilHealthy(120_000);
        const killedAt = Date.now();
        await loseNode(from);
        await waitFor(`${to.name} promoted and written to through HAProxy`, 90_000, async () => (await isPrimary(to)) && (await writesThroughProxyOn(to)));
        const promotedAt = Date.now();
        const logStart = readFileSync(from.logPath).byteLength;
        startNode(from);
        await waitFor(`${from.name} back as a synchronous standby`, 180_000, () => isSyncStandby(from, to));
        return {
          fromNode: from.name, toNode: to.name, seconds: (promotedAt - killedAt) / 1000, rejoinSeconds: (Date.now() - promotedAt) / 1000,
          rejoinedBy: rejoinedBy(readFileSync(from.logPath).subarray(logStart).toString()),
        };
      },
      /** The primary's PostgreSQL crashes (Patroni, which keeps the leader lock, restarts it and it recovers from WAL). */
      async crash() {
        const current = await primary();
        if (current) for (const pid of postgresPids(current.dataDir)) killQuietly(pid);
        await waitFor('a writable primary after a crash', 120_000, async () => {
          const now = await primary();
          return now !== undefined && (await writesThroughProxyOn(now));
        });
      },
      async cutConnections() {
        // Patroni's own connections are left alone: the fault is aimed at Tolem's.
        const [row] = await query<{ n: number }>(url, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
                                                     WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name NOT LIKE 'Patroni%'`);
        return row?.n ?? 0;
      },
      async stop() {
        await stopAll(children, nodes);
        process.off('exit', killAll);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    const logs = ['etcd', 'node1', 'node2', 'haproxy'].map((name) => tail(join(dir, `${name}.log`))).join('\n');
    await stopAll(children, nodes);
    process.off('exit', killAll);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
}

function rejoinedBy(log: string): FailoverResult['rejoinedBy'] {
  if (/pg_basebackup|replica has been created|removing data directory/i.test(log)) return 'clone';
  return /running pg_rewind/.test(log) ? 'pg_rewind' : 'restart';
}

function tail(path: string): string {
  try {
    return `--- ${path}\n${readFileSync(path, 'utf8').slice(-1_500)}`;
  } catch {
    return '';
  }
}

/** Patroni stops its PostgreSQL on SIGTERM; whatever is still there after 20 s is killed, then any orphan postmaster. */
async function stopAll(children: Set<ChildProcess>, nodes: Node[]): Promise<void> {
  await Promise.all([...children].map(async (child) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    killSignal(child, 'SIGTERM');
    const timer = setTimeout(() => killSignal(child, 'SIGKILL'), 20_000);
    await Promise.race([gone, sleep(25_000)]);
    clearTimeout(timer);
  }));
  for (const node of nodes) for (const pid of postgresPids(node.dataDir)) killQuietly(pid);
}

function killSignal(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(child.pid, signal);
  } catch {
    // already gone
  }
}

/** `npx tsx chaos/failover.ts`: the cluster alone, two failovers, the figures — a smoke test of this file. */
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const db = await startHaDatabase();
  try {
    process.stdout.write(`up at ${db.url}\n`);
    for (let i = 0; i < 2; i++) process.stdout.write(`${JSON.stringify(await db.failover())}\n`);
    await db.crash();
    process.stdout.write(`crash recovered; cut ${await db.cutConnections()} connections\n`);
  } finally {
    await db.stop();
  }
}
