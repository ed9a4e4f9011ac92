/**
 * `npm run chaos`: a bounded, seeded campaign against real servers on loopback — pays from many agents through two
 * Tolem instances on one PostgreSQL schema, while the instances are killed with SIGKILL at random moments and
 * restarted, and the provider (which does not deduplicate) answers 500 before and after committing, garbles answers,
 * hangs after committing and answers slowly. Agents retry unanswered pays with the same id on the other instance, and
 * sometimes send a duplicate for no reason, as real ones do. Then faults stop, the hub drives every payment to a
 * final state, and the independent auditor (chaos/auditor.ts) compares the request log, the provider's books and
 * the hub's. Last, with the instances stopped, the daily money proof of every business day the traffic touched must be
 * consistent (chaos/money-proofs.ts). Writes chaos/results/latest.json.
 *
 * The database is, by default, the campaign's own highly-available PostgreSQL (chaos/failover.ts: etcd, two nodes
 * under Patroni with a synchronous standby, HAProxy in front; `--database ha`), whose primary server is lost under
 * load (a failover, at least one per run) and whose connections are cut; when Patroni, etcd or HAProxy is not
 * installed, it is a single PostgreSQL server of its own (chaos/database.ts; `--database private`), crashed
 * (immediate shutdown, WAL recovery) and its connections cut at random moments under load. `--database server` uses
 * DATABASE_URL instead, without database faults (nobody else's connections are touched).
 *
 *   npm run chaos -- [--minutes 18] [--seed S] [--quick] [--agents 20] [--workers 8] [--fault-rate 0.3] [--database ha|private|server]
 *
 * Beside the agents: the Elsom wallet's PAYMENT storms (chaos/elsom-load.ts) and customers at the web checkout, by
 * card and by wallet, whose acquirers' notifications are duplicated, delayed and lost (chaos/checkout-load.ts); each
 * kind is audited on its own and summed into lost / duplicated / mismatches / unfinished. The database, by default,
 * is a Patroni pair with a synchronous standby behind HAProxy (chaos/failover.ts), failed over under load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createAgent } from '../src/engine/agents.ts';
import { openDb } from '../src/store/db.ts';
import {
  audit, auditCheckout, auditElsom, type AssistRecord, type ElsomMerchantRecord, type LoggedCheckout, type LoggedElsomPay, type LoggedPay, type ProviderRecord,
} from './auditor.ts';
import { ACQUIRERS_CALM, acquirerFaults, checkoutEnv, checkoutWorker } from './checkout-load.ts';
import { elsomWorker, setupElsom } from './elsom-load.ts';
import { startPrivateDatabase, type PrivateDatabase } from './database.ts';
import { haAvailable, startHaDatabase, type FailoverResult, type HaDatabase } from './failover.ts';
import { proveCampaignStore } from './money-proofs.ts';
import { freePort } from './net.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

interface Options {
  minutes: number;
  seed: number;
  agents: number;
  workers: number;
  faultRate: number;
  databaseUrl: string;
  database: 'ha' | 'private' | 'server';
  quick: boolean;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' }, seed: { type: 'string' }, quick: { type: 'boolean' }, agents: { type: 'string' },
      workers: { type: 'string' }, 'fault-rate': { type: 'string' }, database: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write('npm run chaos -- [--minutes 18] [--seed S] [--quick] [--agents 20] [--workers 8] [--fault-rate 0.3] [--database ha|private|server]\n'
      + 'env: DATABASE_URL (with --database server; default postgres://postgres@127.0.0.1:5432/test)\n');
    process.exit(0);
  }
  const number = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      process.stderr.write(`chaos: --${name} must be a number in [${min}, ${max}], got "${raw}"\n`);
      process.exit(2);
    }
    return value;
  };
  const quick = values.quick ?? false;
  const database = values.database ?? defaultDatabase();
  if (database !== 'ha' && database !== 'private' && database !== 'server') {
    process.stderr.write(`chaos: --database must be ha, private or server, got "${database}"\n`);
    process.exit(2);
  }
  if (database === 'ha' && !haAvailable()) {
    process.stderr.write('chaos: --database ha needs patroni, etcd and haproxy on PATH and /usr/lib/postgresql/15 (apt-get install etcd-server patroni haproxy)\n');
    process.exit(2);
  }
  return {
    // 18 minutes of load by default: with start-up, draining and the audit the campaign ends within 20.
    minutes: number('minutes', values.minutes, quick ? 3 : 18, 0.5, 120),
    seed: number('seed', values.seed, Date.now() % 2 ** 31, 0, 2 ** 31),
    agents: number('agents', values.agents, 20, 1, 1_000),
    workers: number('workers', values.workers, 8, 1, 64),
    faultRate: number('fault-rate', values['fault-rate'], 0.3, 0, 0.9),
    databaseUrl: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
    database,
    quick,
  };
}

/** Failovers when the HA stack is installed; otherwise one server of the campaign's own, and the log says why. */
function defaultDatabase(): 'ha' | 'private' {
  if (haAvailable()) return 'ha';
  process.stderr.write('chaos: patroni, etcd or haproxy is not installed: --database private (one server, crashes but no failover)\n');
  return 'private';
}

/** A small seeded generator (mulberry32): the campaign's choices replay from its seed (the timing of the machine does not). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}


/**
 * Everything every process of the campaign printed (logs go to stdout, pino's JSON), kept in one file for the check
 * that no secret of the campaign — an agent's token, the secrets key — was ever logged. At most 512 MB.
 */
const LOG_LIMIT_BYTES = 512 * 1024 * 1024;
let campaignLog: { stream: WriteStream; path: string; bytes: number } | undefined;

function keepOutput(chunk: Buffer): void {
  if (!campaignLog || campaignLog.bytes > LOG_LIMIT_BYTES) return;
  campaignLog.bytes += chunk.byteLength;
  campaignLog.stream.write(chunk);
}

/** A child process that prints `pattern` once it is up; its output goes to the campaign's log. */
function startProcess(args: string[], env: NodeJS.ProcessEnv, pattern: RegExp, timeoutMs = 120_000): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', keepOutput);
  child.stderr!.on('data', keepOutput);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not come up: ${out.slice(-2_000)}`)), timeoutMs);
    const read = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-20_000);
      const match = pattern.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-20_000)));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited (${code ?? signal}) before it was up: ${out.slice(-2_000)}`));
    });
  });
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, signal);
  const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), 20_000);
  await gone;
  clearTimeout(timer);
}

interface Instance {
  name: string;
  port: number;
  url: string;
  env: NodeJS.ProcessEnv;
  child: ChildProcess | undefined;
  starts: number;
  /** Exits the campaign did not cause (an instance that gave up on its database, say): restarted, and reported. */
  crashes: number;
  /** Set while the campaign itself stops or kills it. */
  stopping: boolean;
  /** The last lines an instance printed before each exit the campaign did not cause: why it went. */
  crashTails?: string[];
}

async function startInstance(instance: Instance): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { child } = await startProcess(['bin/tolem.js', 'start'], instance.env, /Tolem is up at http:\/\/\S+/);
      instance.child = child;
      instance.starts += 1;
      let tail = '';
      const keepTail = (chunk: Buffer) => void (tail = (tail + chunk.toString()).slice(-3_000));
      child.stdout!.on('data', keepTail);
      child.stderr!.on('data', keepTail);
      child.once('exit', (code, signal) => {
        if (instance.child !== child) return;
        instance.child = undefined;
        if (instance.stopping) return;
        instance.crashes += 1;
        (instance.crashTails ??= []).push(`exit ${code ?? signal}: ${tail}`);
        void startInstance(instance).catch(() => undefined);
      });
      return;
    } catch (error) {
      // The database may be down this very moment (a crash of the campaign's own): try again a little later.
      if (attempt >= 5) throw error;
      await sleep(2_000);
    }
  }
}

async function post(url: string, token: string, body: string, timeoutMs: number): Promise<{ result: string; transactionId?: string } | undefined> {
  try {
    const response = await fetch(url, {
      method: 'POST', body, signal: AbortSignal.timeout(timeoutMs),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    const text = await response.text();
    if (response.status !== 200) return undefined;
    // Exact: 18-digit ids are read as text, never through a float.
    const result = /"result"\s*:\s*"?(\d+)/.exec(text)?.[1];
    const transactionId = /"transactionId"\s*:\s*"?(\d+)/.exec(text)?.[1];
    return result === undefined ? undefined : { result, ...(transactionId ? { transactionId } : {}) };
  } catch {
    return undefined; // the instance was killed mid-request, or it hung: the agent will retry
  }
}

const ACCOUNTS = ['7770017711', '7770017722', '7770017733', '7770000009', '7770000001'];
const AMOUNTS = ['100.00', '250.00', '999.99', '1500.50'];

async function main(): Promise<void> {
  const options = readOptions();
  const random = seeded(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const startedAt = Date.now();
  const endsAt = startedAt + options.minutes * 60_000;
  const schema = `chaos_${randomBytes(4).toString('hex')}`;
  const dataDirs: string[] = [];
  const log = (line: string) => process.stderr.write(`chaos: ${line}\n`);
  const logDir = mkdtempSync(join(tmpdir(), 'tolem-chaos-log-'));
  dataDirs.push(logDir);
  campaignLog = { stream: createWriteStream(join(logDir, 'campaign.log')), path: join(logDir, 'campaign.log'), bytes: 0 };
  log(`seed ${options.seed}, ${options.minutes} min, ${options.agents} agents, ${options.workers} workers, faults ${options.faultRate}, schema ${schema}`);

  const haDb = options.database === 'ha' ? await startHaDatabase() : undefined;
  const privateDb: PrivateDatabase | undefined = haDb ?? (options.database === 'private' ? await startPrivateDatabase(await freePort()) : undefined);
  const databaseUrl = privateDb?.url ?? options.databaseUrl;
  const partners = await startProcess(['--import', 'tsx', 'chaos/partners.ts'], {}, /(\{"url":"http:\/\/.*\})\n/);
  const { url: partnersUrl, assistPublicKey } = JSON.parse(partners.match[1]!) as { url: string; assistPublicKey: string };
  const secretsKey = randomBytes(32).toString('base64');
  const instances: Instance[] = [];
  for (const name of ['a', 'b']) {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), `tolem-chaos-${name}-`));
    dataDirs.push(dataDir);
    instances.push({
      name, port, url: `http://127.0.0.1:${port}`, child: undefined, starts: 0, crashes: 0, stopping: false,
      env: {
        DATABASE_URL: databaseUrl, DB_SCHEMA: schema, QUEUE_SCHEMA: `${schema}_boss`, TOLEM_DATA: dataDir, PORT: String(port), HOST: '127.0.0.1',
        DEMO: 'false', SANDBOX_URL: `${partnersUrl}/sandbox`, TOLEM_SECRETS_KEY: secretsKey, LOG_LEVEL: 'warn',
        PROVIDER_DEADLINE_MS: '1500', PROVIDER_TIMEOUT_MS: '3000', RETRY_BASE_MS: '300', RETRY_MAX_MS: '3000', LEASE_MS: '1000', QUEUE_POLL_SECONDS: '0.5',
        ATTENTION_AFTER_MS: '60000', FUNDS_WAIT_MS: '15000',
        ...checkoutEnv(partnersUrl, assistPublicKey),
      },
    });
  }
  // The first instance migrates the schema; the second starts on it.
  await startInstance(instances[0]!);
  await startInstance(instances[1]!);

  const agents = await createAgents(databaseUrl, schema, options.agents);
  const elsom = await setupElsom(databaseUrl, schema, randomBytes(12).toString('base64url'));

  // The provider does not deduplicate, and fails a share of calls in every way it can.
  const share = options.faultRate / 4;
  const faults = { dedupe: false, http500Rate: share, http500AfterCommitRate: share, malformedRate: share, hangAfterCommitRate: share, hangMs: 4_000, latencyMs: 5 };
  await control(`${partnersUrl}/sandbox/mobile/faults`, 'PUT', faults);
  await control(`${partnersUrl}/sandbox/mobile-kg/faults`, 'PUT', faults);
  const acquirers = acquirerFaults(instances.map((instance) => instance.url));
  await control(`${partnersUrl}/sandbox/elsom-merchant/faults`, 'PUT', acquirers.elsom);
  await control(`${partnersUrl}/sandbox/assist/faults`, 'PUT', acquirers.assist);

  const pays: LoggedPay[] = [];
  let requests = 0;
  let kills = 0;
  let databaseCrashes = 0;
  let connectionCuts = 0;
  const failovers: FailoverResult[] = [];
  const failoverErrors: string[] = [];
  let nextTxn = 800_000_000_000_000_000n + BigInt(options.seed) * 1_000_000n;
  // Elsom's transaction-numbers: 18 digits with a leading zero, as Elsom writes them.
  let nextElsomNumber = 70_000_000_000_000_000n + BigInt(options.seed) * 1_000_000n;
  const elsomPays: LoggedElsomPay[] = [];
  const elsomCounts = { requests: 0, stormCopies: 0, storms: 0 };
  const checkouts: LoggedCheckout[] = [];
  const checkoutCounts = { requests: 0, returnsDropped: 0, returnsDuplicated: 0, returnsDelayed: 0 };
  const urls = () => instances.map((instance) => instance.url);
  const elsomLoad = {
    urls, random, endsAt, password: elsom.password, log: elsomPays, counts: elsomCounts, sleep,
    nextNumber: () => `0${(nextElsomNumber += 1n).toString()}`,
  };
  const checkoutLoad = { urls, random, endsAt, log: checkouts, counts: checkoutCounts, sleep };

  async function worker(): Promise<void> {
    while (Date.now() < endsAt) {
      const agent = pick(agents);
      const txn = (nextTxn += 1n).toString();
      const amount = pick(AMOUNTS);
      // Written out, not JSON.stringify'd: the 18-digit id and the amounts travel as exact JSON numbers.
      const body = `{"serviceId":"P1011","account":"${pick(ACCOUNTS)}","agentTransactionId":${txn},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;
      const entry: LoggedPay = { agentId: agent.id, agentTxnId: txn, amount };
      pays.push(entry);
      let instance = pick(instances);
      requests += 1;
      const check = await post(`${instance.url}/api/v20/check`, agent.token, body, 5_000);
      if (check === undefined) await sleep(300 + random() * 700); // the instance is down: the agent waits a moment
      if (check?.result !== '0') continue;
      // The pay, retried with the same id on the other instance while no answer comes (an agent's duty), and now and
      // then sent twice for no reason.
      for (let attempt = 0; attempt < 6 && Date.now() < endsAt + 30_000; attempt++) {
        requests += 1;
        const answer = await post(`${instance.url}/api/v20/pay`, agent.token, body, 5_000);
        if (answer) {
          record(entry, answer);
          if (random() < 0.1) {
            requests += 1;
            const again = await post(`${pick(instances).url}/api/v20/pay`, agent.token, body, 5_000);
            if (again) record(entry, again);
          }
          break;
        }
        instance = instances.find((other) => other !== instance)!;
        await sleep(200 + random() * 800);
      }
    }
  }

  /** What an agent keeps of its answers: the final one, or the latest while in processing. */
  function record(entry: LoggedPay, answer: { result: string; transactionId?: string }): void {
    if (entry.transactionId !== undefined && answer.transactionId !== undefined && entry.transactionId !== answer.transactionId) {
      entry.result = 'conflict';
      return;
    }
    if (entry.result === undefined || entry.result === '1' || entry.result === '220') {
      entry.result = answer.result;
      if (answer.transactionId) entry.transactionId = answer.transactionId;
    }
  }

  /** One per instance: kills it at a random moment, restarts it a moment later, again and again. */
  async function killer(victim: Instance): Promise<void> {
    while (Date.now() < endsAt - 5_000) {
      await sleep(1_000 + random() * 4_000);
      const child = victim.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      victim.stopping = true;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid!, 'SIGKILL');
      await gone;
      kills += 1;
      await sleep(500 + random() * 1_500);
      victim.stopping = false;
      if (!victim.child) await startInstance(victim).catch((error: Error) => log(`restart of ${victim.name} failed: ${error.message}`));
    }
  }

  /**
   * The campaign's own database, crashed or its connections cut every 15–40 s (not in the last 20 s of the load). An
   * HA database also loses its primary server: first 40 % through the load (so that every run, even --quick, has one),
   * then every 2–4 minutes, none in the last 40 s of the load.
   */
  async function databaseFaults(database: PrivateDatabase, ha: HaDatabase | undefined): Promise<void> {
    let nextFailover = ha ? Date.now() + 0.4 * (endsAt - Date.now()) : Infinity;
    while (Date.now() < endsAt - 20_000) {
      const pause = 15_000 + random() * 25_000;
      if (ha && Date.now() + pause >= nextFailover) {
        await sleep(Math.max(0, nextFailover - Date.now()));
        await failover(ha);
        const next = Date.now() + 120_000 + random() * 120_000;
        nextFailover = next < endsAt - 40_000 ? next : Infinity;
        continue;
      }
      await sleep(pause);
      if (Date.now() >= endsAt - 20_000) break;
      if (random() < 0.5) {
        await database.crash();
        databaseCrashes += 1;
      } else {
        connectionCuts += await database.cutConnections().catch(() => 0);
      }
    }
  }

  /** One failover; one that does not complete is a failure of the campaign (reported, not thrown: cleanup must run). */
  async function failover(ha: HaDatabase): Promise<void> {
    try {
      const result = await ha.failover();
      failovers.push(result);
      log(`failover ${result.fromNode} -> ${result.toNode}: writable again after ${result.seconds} s; ${result.fromNode} a synchronous standby again after ${result.rejoinSeconds} s more (${result.rejoinedBy})`);
    } catch (error) {
      failoverErrors.push((error as Error).message.slice(0, 2_000));
      log(`failover failed: ${(error as Error).message}`);
    }
  }

  log(`load and kills until ${new Date(endsAt).toISOString()}`);
  await Promise.all([
    ...Array.from({ length: options.workers }, () => worker()),
    ...Array.from({ length: ELSOM_WORKERS }, () => elsomWorker(elsomLoad)),
    ...Array.from({ length: CHECKOUT_WORKERS }, () => checkoutWorker(checkoutLoad)),
    ...instances.map((instance) => killer(instance)),
    ...(privateDb ? [databaseFaults(privateDb, haDb)] : []),
  ]);
  for (const instance of instances) if (!instance.child) await startInstance(instance);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(`SET search_path TO ${schema}`);

  // Drain: the faults stop, and the hub drives every payment to a final state (status queries, never blind pays).
  const calm = { http500Rate: 0, http500AfterCommitRate: 0, malformedRate: 0, hangAfterCommitRate: 0 };
  await control(`${partnersUrl}/sandbox/mobile/faults`, 'PUT', calm);
  await control(`${partnersUrl}/sandbox/mobile-kg/faults`, 'PUT', calm);
  await control(`${partnersUrl}/sandbox/elsom-merchant/faults`, 'PUT', ACQUIRERS_CALM.elsom);
  await control(`${partnersUrl}/sandbox/assist/faults`, 'PUT', ACQUIRERS_CALM.assist);
  const drainUntil = Date.now() + 180_000;
  let unfinished = Infinity;
  while (Date.now() < drainUntil) {
    unfinished = Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM payments WHERE state IN ('accepted', 'waiting')`)).rows[0]!.n)
      + await openCheckoutOrders(db);
    if (unfinished === 0) break;
    await sleep(1_000);
  }
  log(`drained: ${unfinished} unfinished`);

  // Both providers the load pays (P1011 for agents and the checkout, K1001 for Elsom), in one book.
  const provider = [
    ...(await (await fetch(`${partnersUrl}/sandbox/mobile/payments`)).json()) as ProviderRecord[],
    ...(await (await fetch(`${partnersUrl}/sandbox/mobile-kg/payments`)).json()) as ProviderRecord[],
  ];
  const report = await audit(databaseUrl, schema, pays, provider);
  const elsomReport = await auditElsom(databaseUrl, schema, elsom.agentId, elsomPays);
  const assistOrders = (await (await fetch(`${partnersUrl}/sandbox/assist/orders`)).json()) as AssistRecord[];
  const walletPayments = (await (await fetch(`${partnersUrl}/sandbox/elsom-merchant/payments`)).json()) as ElsomMerchantRecord[];
  const checkoutReport = await auditCheckout(databaseUrl, schema, checkouts, assistOrders, walletPayments);
  const sum = (pick: (wallet: ElsomMerchantRecord) => number) => walletPayments.reduce((total, wallet) => total + pick(wallet), 0);
  const conflicts = pays.filter((pay) => pay.result === 'conflict').length;
  const summary = {
    seed: options.seed, minutes: options.minutes, quick: options.quick, startedAt: new Date(startedAt).toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt) / 1000), requests: requests + elsomCounts.requests + checkoutCounts.requests,
    pays: pays.length, acknowledged: report.acknowledged, final: report.final,
    // The three kinds of load together: agent API pays, Elsom PAYMENTs, checkout orders.
    lost: report.lost + elsomReport.lost + checkoutReport.lost,
    duplicated: report.duplicated + elsomReport.duplicated + checkoutReport.duplicated,
    mismatches: report.mismatches + conflicts + elsomReport.mismatches + checkoutReport.mismatches,
    unfinished: report.unfinished + elsomReport.unfinished + checkoutReport.unfinished,
    elsomPays: elsomPays.length, elsomAnswered: elsomReport.answered, elsomNeverReached: elsomReport.neverReached, elsomNeverReachedAnswers: elsomReport.neverReachedAnswers,
    elsomStorms: elsomCounts.storms, elsomStormCopies: elsomCounts.stormCopies,
    checkoutPayments: checkouts.length, checkoutStates: checkoutReport.byState, checkoutSteps: tally(checkouts.flatMap((entry) => entry.steps)),
    acquirerTakenMinor: checkoutReport.acquirerTakenMinor, hubTakenMinor: checkoutReport.hubTakenMinor,
    assistChargeCalls: assistOrders.reduce((total, order) => total + order.charges, 0),
    assistCaptures: assistOrders.reduce((total, order) => total + order.captures, 0),
    callbacksDuplicated: sum((wallet) => wallet.callbacksDuplicated), callbacksLost: sum((wallet) => wallet.callbacksLost),
    callbacksUndelivered: sum((wallet) => wallet.callbacksUndelivered),
    returnsDropped: checkoutCounts.returnsDropped + checkouts.filter((entry) => entry.steps.includes('return lost by Assist')).length,
    returnsDuplicated: checkoutCounts.returnsDuplicated, returnsDelayed: checkoutCounts.returnsDelayed,
    byKind: {
      agentApi: { lost: report.lost, duplicated: report.duplicated, mismatches: report.mismatches + conflicts, unfinished: report.unfinished },
      elsom: { lost: elsomReport.lost, duplicated: elsomReport.duplicated, mismatches: elsomReport.mismatches, unfinished: elsomReport.unfinished },
      checkout: { lost: checkoutReport.lost, duplicated: checkoutReport.duplicated, mismatches: checkoutReport.mismatches, unfinished: checkoutReport.unfinished },
    },
    ledgerBalanced: report.ledgerBalanced, floorsKept: report.floorsKept, kills, database: options.database, databaseCrashes, connectionCuts, failovers: failovers.length,
    failoverDetails: failovers, failoverErrors,
    restarts: instances.map((i) => ({ name: i.name, starts: i.starts, crashes: i.crashes, ...(i.crashTails ? { crashTails: i.crashTails.slice(0, 5) } : {}) })),
    providerPayments: provider.length, faults, acquirerFaults: acquirers, examples: [...report.examples, ...elsomReport.examples, ...checkoutReport.examples],
  };

  for (const instance of instances) {
    instance.stopping = true;
    if (instance.child) await stopProcess(instance.child);
  }
  await stopProcess(partners.child);
  // After the auditor, with every instance stopped: the money proof of each business day the traffic touched.
  const moneyProof = await proveCampaignStore(databaseUrl, schema, log);
  Object.assign(summary, {
    moneyProofsOk: moneyProof.ok, moneyProofs: moneyProof.proofs, moneyProofsCoverTraffic: moneyProof.covered,
    moneyProofPlantedEdit: moneyProof.planted, moneyProofErrors: moneyProof.errors,
  });
  const secrets = await secretsLogged(campaignLog, [...agents.map((agent) => agent.token), secretsKey, elsom.password]);
  Object.assign(summary, { logBytes: campaignLog.bytes, secretsInLogs: secrets });
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db.query(`DROP SCHEMA IF EXISTS ${schema}_boss CASCADE`);
  await db.end();
  await privateDb?.stop();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });

  const resultsDir = join(repoRoot, 'chaos', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  const clean = summary.lost === 0 && summary.duplicated === 0 && summary.mismatches === 0 && summary.unfinished === 0 && summary.ledgerBalanced && summary.floorsKept
    && secrets === 0 && failoverErrors.length === 0 && (options.database !== 'ha' || failovers.length > 0) && moneyProof.ok;
  process.exit(clean ? 0 : 1);
}

/**
 * The campaign is the operator here: it creates the agents with the engine's own function on the instances' schema
 * (what the admin API would do behind a console session). A quarter of them get small balances, so that pays wait
 * for funds (220) and fail with 250, and the floor is tested under fire.
 */
async function createAgents(databaseUrl: string, schema: string, count: number): Promise<{ id: string; token: string }[]> {
  const store = await openDb({ databaseUrl, schema, dataDir: '' });
  try {
    const agents: { id: string; token: string }[] = [];
    for (let i = 0; i < count; i++) {
      const created = await createAgent(store, { name: `Chaos agent ${i}`, currency: 'KZT', openingBalanceMinor: i % 4 === 0 ? 500_000n : 1_000_000_000n, confirmToken: true });
      agents.push({ id: created.agent.id.toString(), token: created.token! });
    }
    return agents;
  } finally {
    await store.close();
  }
}

/** How many of the campaign's secrets appear anywhere in what its processes printed. */
async function secretsLogged(output: { stream: WriteStream; path: string }, secrets: string[]): Promise<number> {
  await new Promise<void>((resolve) => output.stream.end(resolve));
  const text = readFileSync(output.path, 'utf8');
  return secrets.filter((secret) => secret.length >= 8 && text.includes(secret)).length;
}

function tally(items: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
}

/** Checkout orders a customer started that are not final yet (or are an operator's). */
async function openCheckoutOrders(db: pg.Client): Promise<number> {
  const open = await db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM checkout_orders WHERE state IN ('redirected', 'authorised', 'charging', 'releasing')`);
  return Number(open.rows[0]!.n);
}

/** Two Elsom wallets and two checkout customers beside the agents' workers: the machine has two shared cores. */
const ELSOM_WORKERS = 2;
const CHECKOUT_WORKERS = 2;

async function control(url: string, method: 'PUT', body: unknown): Promise<void> {
  const response = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${url}: HTTP ${response.status} ${await response.text()}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

await main();
