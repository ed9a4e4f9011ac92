/**
 * `npm run bench`: starts a complete Tolem in a child process (bench/server.ts) and drives the agent API over real
 * HTTP with autocannon. Each iteration is a check then a pay of 200.00 KZT on P1011 (the sandbox mobile operator,
 * itself reached over HTTP) with the same, fresh, 18-digit agentTransactionId. See bench/README.md.
 *
 *   npm run bench -- [--seconds 10] [--warmup 2] [--connections 16] [--agents 50] [--scenario all|many,open,hot,elsom,recon,recon3,soak]
 *   env: BENCH_SECONDS, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_AGENTS, BENCH_SCENARIO, DATABASE_URL
 *
 * Exit code: 0 whenever the server started (findings are in the report); 1 if it did not; 2 on bad arguments.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { measureBaselines, type Baselines } from './baselines.ts';
import { openLoop } from './open-loop.ts';
import { readSoakOptions, runSoak, soakLine, SOAK_FLAGS, type SoakFigures, type SoakOptions } from './soak.ts';
import { build as buildDist, upToDate as distUpToDate } from '../bin/build.js';
import { reconEntry, reconRow, reconSummary, runRecon, type ReconResult } from './recon.ts';
import { recon3Entry, recon3Rows, recon3Summary, runRecon3, type Recon3Result } from './recon3.ts';

// ------------------------------------------------------------------ options

interface Options {
  seconds: number;
  warmup: number;
  connections: number;
  agents: number;
  scenarios: BenchScenario[];
  databaseUrl: string | undefined;
  /** pgbench's run per baseline; 0 skips the baselines. */
  baselineSeconds: number;
  /** pgbench clients (the same for both scripts). */
  baselineClients: number;
  /** Pairs per second of the open-loop scenario; undefined = a quarter of pgbench tpcb-like (half the many-agents target). */
  rate: number | undefined;
  /**
   * Where the sandbox providers run: `separate` — a process of their own, as providers are elsewhere in production
   * (the hub's process then does only the hub's work); `inline` — mounted in the hub's process (`npm start`'s layout).
   */
  providers: 'separate' | 'inline';
  soak: SoakOptions;
}

type ScenarioName = 'many' | 'open' | 'hot' | 'elsom' | 'soak';
/**
 * recon: the reconciliation of a generated provider day (bench/recon.ts), not a load; recon3: the three-way
 * reconciliation of the same day with the agent's registry uploaded (bench/recon3.ts).
 */
type BenchScenario = ScenarioName | 'recon' | 'recon3';
const SCENARIOS: readonly BenchScenario[] = ['many', 'open', 'hot', 'elsom', 'recon', 'recon3', 'soak'];
/** Run only when asked for: the soak alone takes five minutes and more. */
const ON_REQUEST_ONLY: readonly BenchScenario[] = ['soak'];

function positiveInt(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`bench: ${name} must be an integer ≥ ${min}, got "${raw}"\n`);
    process.exit(2);
  }
  return value;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' }, warmup: { type: 'string' }, connections: { type: 'string' },
      agents: { type: 'string' }, scenario: { type: 'string' }, 'baseline-seconds': { type: 'string' },
      'baseline-clients': { type: 'string' }, rate: { type: 'string' }, providers: { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...SOAK_FLAGS,
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write('npm run bench -- [--seconds 10] [--warmup 2] [--connections 16] [--agents 100] [--scenario all|many,open,hot,elsom,recon,recon3,soak]\n'
      + '                   [--baseline-seconds S] [--baseline-clients 16] [--rate PAIRS_PER_SEC] [--providers separate|inline]\n'
      + 'env: BENCH_SECONDS BENCH_WARMUP BENCH_CONNECTIONS BENCH_AGENTS BENCH_SCENARIO BENCH_BASELINE_SECONDS BENCH_RATE BENCH_PROVIDERS\n'
      + '     DATABASE_URL (PostgreSQL server; default PGlite, where pgbench baselines do not apply)\n');
    process.exit(0);
  }
  const env = process.env;
  const scenario = values.scenario ?? env.BENCH_SCENARIO ?? 'all';
  const chosen = scenario.split(',');
  if (scenario !== 'all' && !chosen.every((name) => (SCENARIOS as readonly string[]).includes(name))) {
    process.stderr.write(`bench: --scenario must be all or a comma list of ${SCENARIOS.join(', ')}, got "${scenario}"\n`);
    process.exit(2);
  }
  const providers = values.providers ?? env.BENCH_PROVIDERS ?? 'separate';
  if (providers !== 'separate' && providers !== 'inline') {
    process.stderr.write(`bench: --providers must be separate or inline, got "${providers}"\n`);
    process.exit(2);
  }
  const seconds = positiveInt('seconds', values.seconds ?? env.BENCH_SECONDS, 10);
  const rate = values.rate ?? env.BENCH_RATE;
  return {
    seconds,
    warmup: positiveInt('warmup', values.warmup ?? env.BENCH_WARMUP, 2, 0),
    connections: positiveInt('connections', values.connections ?? env.BENCH_CONNECTIONS, 16),
    agents: positiveInt('agents', values.agents ?? env.BENCH_AGENTS, 100),
    scenarios: scenario === 'all' ? SCENARIOS.filter((name) => !ON_REQUEST_ONLY.includes(name)) : SCENARIOS.filter((name) => chosen.includes(name)),
    databaseUrl: env.DATABASE_URL || undefined,
    baselineSeconds: positiveInt('baseline-seconds', values['baseline-seconds'] ?? env.BENCH_BASELINE_SECONDS, seconds, 0),
    baselineClients: positiveInt('baseline-clients', values['baseline-clients'], 16),
    rate: rate === undefined || rate === '' ? undefined : positiveInt('rate', rate, 1),
    providers,
    soak: readSoakOptions(values, env, (message) => { process.stderr.write(`bench: ${message}\n`); process.exit(2); }),
  };
}

function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) throw new Error(`refusing to load a non-loopback address: ${url}`);
}

// ------------------------------------------------------------------ the server child

interface BenchAgent {
  id: string;
  token: string;
}

interface Handshake {
  url: string;
  store: string;
  agents: BenchAgent[];
  elsom: ElsomTerminal;
}

/** The Elsom terminal the server made for the Elsom scenario (its password only as the MD5 the wallet sends). */
interface ElsomTerminal {
  agentId: string;
  terminalId: string;
  login: string;
  passwordMd5: string;
  serviceId: string;
}

interface LogTally {
  lines: number;
  byLevel: Record<string, number>;
  /** Distinct warn/error/fatal messages (with the error's own message), most frequent first. */
  top: { level: string; message: string; count: number; example?: string }[];
  other: string[];
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

class ServerLog {
  private lines = 0;
  private readonly byLevel = new Map<string, number>();
  private readonly messages = new Map<string, { level: string; message: string; count: number; example?: string }>();
  private readonly other: string[] = [];
  readonly tail: string[] = [];

  add(line: string): void {
    if (!line.trim()) return;
    this.lines++;
    this.tail.push(line);
    if (this.tail.length > 40) this.tail.shift();
    let entry: { level?: number; msg?: string; err?: { message?: string; type?: string; stack?: string } } | undefined;
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      entry = undefined;
    }
    if (!entry || typeof entry.level !== 'number') {
      if (this.other.length < 20) this.other.push(line.slice(0, 300));
      this.byLevel.set('non-json', (this.byLevel.get('non-json') ?? 0) + 1);
      return;
    }
    const level = LEVELS[entry.level] ?? String(entry.level);
    this.byLevel.set(level, (this.byLevel.get(level) ?? 0) + 1);
    const message = `${entry.msg ?? ''}${entry.err?.message ? ` — ${entry.err.type ?? 'Error'}: ${entry.err.message}` : ''}`;
    const key = `${level}|${message}`;
    const known = this.messages.get(key);
    if (known) known.count++;
    else this.messages.set(key, { level, message, count: 1, example: line.slice(0, 1500) });
  }

  tally(): LogTally {
    return {
      lines: this.lines,
      byLevel: Object.fromEntries(this.byLevel),
      top: [...this.messages.values()].sort((a, b) => b.count - a.count).slice(0, 10),
      other: this.other,
    };
  }
}

interface Server {
  child: ChildProcess;
  handshake: Handshake;
  log: ServerLog;
  summaryFile: string;
  schema: string | undefined;
}

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

async function startServer(options: Options, agentCount: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<Server> {
  const summaryFile = join(tmpdir(), `tolem-bench-summary-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  const schema = options.databaseUrl ? `bench_${randomBytes(5).toString('hex')}` : undefined;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BENCH_AGENTS: String(agentCount),
    BENCH_SUMMARY_FILE: summaryFile,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    ...(schema ? { DB_SCHEMA: schema, QUEUE_SCHEMA: `${schema}_boss` } : {}),
    ...extraEnv,
  };
  // BENCH_SERVER_NODE_ARGS: extra node flags for the server only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extra = (env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...extra, ...(await serverEntry())], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = new ServerLog();
  createInterface({ input: child.stderr! }).on('line', (line) => log.add(line));

  const handshaken = new Promise<Handshake>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('no handshake from the server within 180 s')), 180_000);
    const stdout = createInterface({ input: child.stdout! });
    function fail(error: Error): void {
      clearTimeout(timer);
      reject(error);
    }
    stdout.on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as Handshake;
        if (typeof parsed.url === 'string' && Array.isArray(parsed.agents)) {
          clearTimeout(timer);
          resolve(parsed);
        }
      } catch {
        // not the handshake
      }
    });
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`server exited before the handshake (code ${code}, signal ${signal})`)));
  });
  try {
    return { child, handshake: await handshaken, log, summaryFile, schema };
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(summaryFile, { force: true });
    await new Promise((resolve) => setTimeout(resolve, 200)); // the last stderr lines
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- server stderr (tail) ---\n${log.tail.join('\n')}`);
  }
}

/**
 * The server runs compiled, as `npm start` runs the hub (dist/, rebuilt first when the sources changed: ~0.3 s);
 * BENCH_SERVER=tsx runs it from the TypeScript sources through tsx's loader, for comparison (docs/performance.md).
 */
const serverMode = process.env.BENCH_SERVER === 'tsx' ? 'tsx' : 'compiled';

async function serverEntry(): Promise<string[]> {
  if (serverMode === 'tsx') return ['--import', 'tsx', join(benchDir, 'server.ts')];
  if (!distUpToDate()) process.stderr.write(`bench: compiled the sources into dist/ in ${Math.round(await buildDist())} ms\n`);
  return [join(repoRoot, 'dist', 'bench', 'server.js')];
}

async function stopServer(server: Server): Promise<unknown> {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    await exited;
    clearTimeout(timer);
  }
  let summary: unknown;
  if (existsSync(server.summaryFile)) {
    try {
      summary = JSON.parse(readFileSync(server.summaryFile, 'utf8'));
    } catch {
      summary = undefined;
    }
    rmSync(server.summaryFile, { force: true });
  }
  return summary;
}

// ------------------------------------------------------------------ load

/**
 * 18-digit agentTransactionIds, all above 2^53: neighbouring ids are not distinct as doubles (their spacing there is
 * 128), so a server reading them through a float would collide and answer 215 or a wrong agentTransactionId.
 */
let nextTxnId = 900_719_925_474_099_301n;
const MAX_TXN_ID = 999_999_999_999_999_999n;

function takeTxnId(): bigint {
  const id = nextTxnId++;
  if (id > MAX_TXN_ID) throw new Error('agentTransactionId range exhausted');
  return id;
}

function agentDate(): string {
  return new Date(Date.now() + 5 * 3_600_000).toISOString().slice(0, 19); // the hub's zone (UTC+5), as agents send it
}

function requestBody(id: bigint): string {
  // Written by hand: the id goes out as an exact JSON number, whatever its size.
  return `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"${agentDate()}","amountTo":200.00,"amountFrom":200.00}`;
}

interface Counters {
  pairsStarted: number;
  pairsOk: number;
  answers: { check: number; pay: number };
  nonZero: { check: Record<string, number>; pay: Record<string, number> };
  httpErrors: Record<string, number>;
  unparsable: number;
  /** Answers whose agentTransactionId is not exactly the one sent. */
  idMismatches: number;
  latencyMs: { check: number[]; pay: number[]; pair: number[] };
  examples: string[];
}

function newCounters(): Counters {
  return {
    pairsStarted: 0, pairsOk: 0, answers: { check: 0, pay: 0 }, nonZero: { check: {}, pay: {} }, httpErrors: {}, unparsable: 0,
    idMismatches: 0, latencyMs: { check: [], pay: [], pair: [] }, examples: [],
  };
}

function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

/** Reads result and agentTransactionId exactly (lossless); undefined when the body is not an agent API answer. */
function readAnswer(body: string): { result: string; agentTransactionId: string | undefined } | undefined {
  try {
    const parsed = parseLossless(body) as Record<string, unknown>;
    const text = (value: unknown): string | undefined => (isLosslessNumber(value) ? value.value : typeof value === 'string' ? value : undefined);
    const result = text(parsed.result);
    return result === undefined ? undefined : { result, agentTransactionId: text(parsed.agentTransactionId) };
  } catch {
    return undefined;
  }
}

/**
 * What a scenario's pair speaks: the agent API's check+pay (JSON, a bearer token), or the Elsom biller gateway's
 * AUTHORIZE+PAYMENT (windows-1251 XML, the terminal's login and password MD5). `read`: the answer's result code and
 * the id it echoes, exactly (undefined: not an answer of the protocol).
 */
interface PairProtocol {
  paths: { check: string; pay: string };
  headers(agent: BenchAgent): Record<string, string>;
  body(kind: 'check' | 'pay', id: bigint): string;
  read(body: string): { result: string; agentTransactionId: string | undefined } | undefined;
}

const AGENT_API: PairProtocol = {
  paths: { check: '/api/v20/check', pay: '/api/v20/pay' },
  headers: (agent) => ({ authorization: `Bearer ${agent.token}` }),
  body: (_kind, id) => requestBody(id),
  read: readAnswer,
};

function elsomProtocol(terminal: ElsomTerminal): PairProtocol {
  return {
    paths: { check: '/elsom', pay: '/elsom' },
    headers: () => ({ 'content-type': 'text/xml' }),
    body: (kind, id) => elsomTransfer(terminal, kind === 'check' ? 1 : 2, id),
    read: (body) => {
      const result = /<result-code>(\d+)<\/result-code>/.exec(body)?.[1];
      return result === undefined ? undefined : { result, agentTransactionId: /<transaction-number>(\d+)<\/transaction-number>/.exec(body)?.[1] };
    },
  };
}

/** An Elsom AUTHORIZE (1) or PAYMENT (2) as the wallet writes it: 10.00 KGS to the mapped MegaCom service. */
function elsomTransfer(terminal: ElsomTerminal, type: 1 | 2, id: bigint): string {
  return `<?xml version="1.0" encoding="windows-1251"?>
<request><protocol-version>4.00</protocol-version><request-type>${type}</request-type><terminal-id>${terminal.terminalId}</terminal-id>
<extra name="login">${terminal.login}</extra><extra name="password-md5">${terminal.passwordMd5}</extra><extra name="client-software">XML v1.9</extra>
<transaction-number>${id}</transaction-number><from><amount currency-code="417">10.00</amount></from>
<to><service-id>${terminal.serviceId}</service-id><account-number>996701232200</account-number><amount currency-code="417">10.00</amount></to>
<receipt><datetime>20261201000113</datetime><receipt-number>${id}</receipt-number></receipt></request>`;
}

function requestsFor(agents: BenchAgent[], counters: () => Counters, protocol: PairProtocol = AGENT_API): autocannon.Request[] {
  let turn = 0;
  const note = (kind: 'check' | 'pay', status: number, body: string, context: Record<string, unknown>): boolean => {
    const c = counters();
    const started = context[kind === 'check' ? 'checkAt' : 'payAt'] as number | undefined;
    if (started !== undefined) c.latencyMs[kind].push(performance.now() - started);
    c.answers[kind]++;
    if (status < 200 || status > 299) {
      bump(c.httpErrors, String(status));
      if (c.examples.length < 10) c.examples.push(`${kind} HTTP ${status}: ${body.slice(0, 300)}`);
      return false;
    }
    const answer = protocol.read(body);
    if (!answer) {
      c.unparsable++;
      if (c.examples.length < 10) c.examples.push(`${kind} unparsable: ${body.slice(0, 300)}`);
      return false;
    }
    if (answer.agentTransactionId !== context.id) {
      c.idMismatches++;
      if (c.examples.length < 10) c.examples.push(`${kind} sent id ${String(context.id)}, answer: ${body.slice(0, 300)}`);
    }
    if (answer.result !== '0') {
      bump(c.nonZero[kind], answer.result);
      if (c.examples.length < 10) c.examples.push(`${kind} result ${answer.result}: ${body.slice(0, 300)}`);
      return false;
    }
    return answer.agentTransactionId === context.id;
  };
  return [
    {
      method: 'POST',
      path: protocol.paths.check,
      setupRequest(request, context) {
        const agent = agents[turn++ % agents.length]!;
        const id = takeTxnId();
        context.id = id.toString();
        context.agent = agent;
        context.checkOk = false;
        context.checkAt = performance.now();
        counters().pairsStarted++;
        return { ...request, headers: { ...request.headers, ...protocol.headers(agent) }, body: protocol.body('check', id) };
      },
      onResponse(status, body, context) {
        context.checkOk = note('check', status, body, context);
      },
    },
    {
      method: 'POST',
      path: protocol.paths.pay,
      setupRequest(request, context) {
        // The pay goes out even after a failed check (a pay needs no check); the pair then does not count as OK.
        context.payAt = performance.now();
        return { ...request, headers: { ...request.headers, ...protocol.headers(context.agent as BenchAgent) }, body: protocol.body('pay', BigInt(String(context.id))) };
      },
      onResponse(status, body, context) {
        const payOk = note('pay', status, body, context);
        const c = counters();
        if (typeof context.checkAt === 'number') c.latencyMs.pair.push(performance.now() - context.checkAt);
        if (payOk && context.checkOk === true) c.pairsOk++;
      },
    },
  ];
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[rank]!, 2);
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function sum(record: Record<string, number>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}

interface Target {
  /** What is compared: pays per second against a baseline, or the pay p99 in ms against a bound. */
  measure: 'paysPerSec' | 'payP99Ms';
  /** The figure the scenario must reach (paysPerSec: at least; payP99Ms: at most). */
  value: number;
  /** What the ratio is taken against: the baseline's figure (pgbench tps, the agent API's rate), or the bound. */
  baseline: number;
  text: string;
}

interface ScenarioResult {
  /** Short name: many, open or hot. */
  name: ScenarioName;
  scenario: string;
  /** Successful check+pay pairs per second (each pair is one pay). */
  paysPerSec: number;
  /** paysPerSec over the baseline (throughput targets), or the bound over the p99 (latency target: ≥ 1 is met). */
  ratio: number | null;
  target: string | null;
  met: boolean | null;
  /** The server's peak resident memory during the scenario. */
  peakRssMb: number | null;
  /** Cores busy on average during the scenario (its warm-up included), by process (see sampleCpu). */
  cpuCores?: CpuShares;
  /** The memory soak's figures (bench/soak.ts). */
  soak?: SoakFigures;
  store: string;
  agents: number;
  connections: number;
  seconds: number;
  pairsOk: number;
  paymentsPerSec: number;
  requests: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  nonZeroResults: number;
  detail: {
    autocannon: { latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number }; errors: number; timeouts: number; non2xx: number; statusCodes: Record<string, number> };
    latencyMs: Record<'check' | 'pay' | 'pair', { p50: number | null; p99: number | null; max: number | null }>;
    pairsStarted: number;
    answers: { check: number; pay: number };
    nonZero: { check: Record<string, number>; pay: Record<string, number> };
    httpErrors: Record<string, number>;
    unparsable: number;
    idMismatches: number;
    examples: string[];
    /** The agents this scenario used: first..last id, in creation order. */
    agentIds: string;
  };
}

/** The server's resident memory, sampled from /proc while a scenario runs (Linux; null elsewhere). */
function sampleRss(pid: number | undefined): { stop(): number | null } {
  let peakKb = 0;
  const read = () => {
    try {
      const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      peakKb = Math.max(peakKb, kb);
    } catch {
      // not Linux, or the process is gone
    }
  };
  read();
  const timer = setInterval(read, 250);
  return { stop: () => { clearInterval(timer); read(); return peakKb > 0 ? round(peakKb / 1024, 1) : null; } };
}

/**
 * Where the machine's CPU went while a scenario ran (Linux /proc; null elsewhere), in cores busy on average: the hub's
 * process, the providers' process, this load generator, every PostgreSQL process, and the whole machine. Divided by
 * the pays per second, it is the CPU one pay costs each of them — and the machine's cores divided by the whole
 * machine's cost per pay is the most this machine could carry, whatever the software did with round trips.
 */
interface CpuShares { hub: number | null; providers: number | null; loadGenerator: number; postgres: number | null; machine: number | null }

const CLOCK_TICKS_PER_SECOND = 100; // Linux's USER_HZ, the unit of /proc's CPU times on every architecture we run on

function processTicks(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // Fields after the command (which may hold spaces, hence from the last ')'): utime is the 12th, stime the 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').at(-1)!.trim().split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

function postgresTicks(): number | null {
  try {
    let total = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (!stat.includes('(postgres)')) continue;
        const fields = stat.split(')').at(-1)!.trim().split(' ');
        total += Number(fields[11]) + Number(fields[12]);
      } catch {
        // the process ended meanwhile
      }
    }
    return total;
  } catch {
    return null;
  }
}

function machineBusyTicks(): number | null {
  try {
    const [, ...times] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = times;
    return user + nice + system + irq + softirq + steal;
  } catch {
    return null;
  }
}

function sampleCpu(hubPid: number | undefined, providersPid: number | undefined): { stop(): CpuShares } {
  const started = process.hrtime.bigint();
  const own = process.cpuUsage();
  const at = { hub: processTicks(hubPid), providers: processTicks(providersPid), postgres: postgresTicks(), machine: machineBusyTicks() };
  return {
    stop() {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const share = (before: number | null, after: number | null) =>
        before === null || after === null || seconds <= 0 ? null : round((after - before) / CLOCK_TICKS_PER_SECOND / seconds, 2);
      const used = process.cpuUsage(own);
      return {
        hub: share(at.hub, processTicks(hubPid)),
        providers: share(at.providers, processTicks(providersPid)),
        loadGenerator: round((used.user + used.system) / 1e6 / seconds, 2),
        postgres: share(at.postgres, postgresTicks()),
        machine: share(at.machine, machineBusyTicks()),
      };
    },
  };
}

const SCENARIO_LABEL: Record<ScenarioName, (agents: number, rate?: number) => string> = {
  many: (agents) => `many agents (${agents})`,
  open: (agents, rate) => `open loop ${rate ?? '?'}/s (${agents} agents)`,
  hot: () => 'one hot agent',
  elsom: () => 'Elsom XML (one terminal)',
  soak: (agents, rate) => `soak ${rate ?? '?'}/s (${agents} agents)`,
};

async function runScenario(name: ScenarioName, agents: BenchAgent[], server: Server, options: Options, rate: number): Promise<ScenarioResult> {
  const rss = sampleRss(server.child.pid);
  const cpu = sampleCpu(server.child.pid, providers?.child.pid);
  try {
    if (name === 'soak') return { ...(await runSoakScenario(agents, server, options)), peakRssMb: rss.stop(), cpuCores: cpu.stop() };
    const result = name === 'open' ? await runOpenLoop(agents, server.handshake, options, rate) : await runClosedLoop(name, agents, server.handshake, options);
    return { ...result, peakRssMb: rss.stop(), cpuCores: cpu.stop() };
  } finally {
    rss.stop();
  }
}

async function runOpenLoop(agents: BenchAgent[], handshake: Handshake, options: Options, rate: number): Promise<ScenarioResult> {
  const common = {
    url: handshake.url, rate, maxInFlight: 512, drainMs: 10_000, tokens: agents.map((agent) => agent.token),
    body: () => { const id = takeTxnId(); return { id: id.toString(), text: requestBody(id) }; },
    accept: (status: number, body: string, id: string) => { const answer = status === 200 ? readAnswer(body) : undefined; return answer?.result === '0' && answer.agentTransactionId === id; },
  };
  if (options.warmup > 0) {
    process.stderr.write(`bench: open: warm-up ${options.warmup} s\n`);
    await openLoop({ ...common, seconds: options.warmup });
  }
  process.stderr.write(`bench: open: ${rate} pairs/s for ${options.seconds} s, ${agents.length} agents\n`);
  const r = await openLoop({ ...common, seconds: options.seconds });
  const label = SCENARIO_LABEL.open(agents.length, rate);
  scenarioAgents.set(label, agents.map((agent) => agent.id));
  const lat = (values: number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99), max: percentile(values, 100) });
  return {
    name: 'open', scenario: label, paysPerSec: round(r.pairsOk / options.seconds), ratio: null, target: null, met: null, peakRssMb: null,
    store: handshake.store, agents: agents.length, connections: 512, seconds: options.seconds, pairsOk: r.pairsOk,
    paymentsPerSec: round(r.pairsOk / options.seconds), requests: r.sent * 2, requestsPerSec: round((r.sent * 2) / options.seconds),
    p50Ms: percentile(r.payMs, 50) ?? 0, p99Ms: percentile(r.payMs, 99) ?? 0, errors: r.failed + r.unanswered, nonZeroResults: 0,
    detail: {
      autocannon: { latencyMs: { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 }, errors: 0, timeouts: 0, non2xx: 0, statusCodes: {} },
      latencyMs: { check: { p50: null, p99: null, max: null }, pay: lat(r.payMs), pair: lat(r.pairMs) },
      pairsStarted: r.sent, answers: { check: r.sent, pay: r.sent }, nonZero: { check: {}, pay: {} }, httpErrors: {}, unparsable: 0,
      idMismatches: 0, examples: [`open loop: due ${r.due}, sent ${r.sent}, dropped (over ${512} in flight) ${r.dropped}, failed ${r.failed}, unanswered ${r.unanswered}`],
      agentIds: `${agents[0]!.id}..${agents.at(-1)!.id}`,
    },
  };
}

async function runSoakScenario(agents: BenchAgent[], server: Server, options: Options): Promise<ScenarioResult> {
  const { handshake } = server;
  const soak = await runSoak({
    url: handshake.url, tokens: agents.map((agent) => agent.token), pid: server.child.pid, stdout: server.child.stdout, options: options.soak,
    body: () => { const id = takeTxnId(); return { id: id.toString(), text: requestBody(id) }; },
    accept: (status, body, id) => { const answer = status === 200 ? readAnswer(body) : undefined; return answer?.result === '0' && answer.agentTransactionId === id; },
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  const r = soak.load;
  const label = SCENARIO_LABEL.soak(agents.length, options.soak.rate);
  scenarioAgents.set(label, agents.map((agent) => agent.id));
  const lat = (values: number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99), max: percentile(values, 100) });
  return {
    name: 'soak', scenario: label, paysPerSec: round(r.pairsOk / options.soak.seconds), ratio: soak.ratio, target: soak.target, met: soak.met, peakRssMb: null,
    soak: soak.figures, store: handshake.store, agents: agents.length, connections: 512, seconds: options.soak.seconds, pairsOk: r.pairsOk,
    paymentsPerSec: round(r.pairsOk / options.soak.seconds), requests: r.sent * 2, requestsPerSec: round((r.sent * 2) / options.soak.seconds),
    p50Ms: percentile(r.payMs, 50) ?? 0, p99Ms: percentile(r.payMs, 99) ?? 0, errors: r.failed + r.unanswered, nonZeroResults: 0,
    detail: {
      autocannon: { latencyMs: { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 }, errors: 0, timeouts: 0, non2xx: 0, statusCodes: {} },
      latencyMs: { check: { p50: null, p99: null, max: null }, pay: lat(r.payMs), pair: lat(r.pairMs) },
      pairsStarted: r.sent, answers: { check: r.sent, pay: r.sent }, nonZero: { check: {}, pay: {} }, httpErrors: {}, unparsable: 0,
      idMismatches: 0, examples: [`soak: due ${r.due}, sent ${r.sent}, dropped ${r.dropped}, failed ${r.failed}, unanswered ${r.unanswered}`],
      agentIds: `${agents[0]!.id}..${agents.at(-1)!.id}`,
    },
  };
}

async function runClosedLoop(name: ScenarioName, agents: BenchAgent[], handshake: Handshake, options: Options): Promise<ScenarioResult> {
  const { url, store } = handshake;
  let counters = newCounters();
  const requests = requestsFor(agents, () => counters, name === 'elsom' ? elsomProtocol(handshake.elsom) : AGENT_API);
  const base = { url, connections: options.connections, timeout: 10, headers: { 'content-type': 'application/json' }, requests };
  if (options.warmup > 0) {
    process.stderr.write(`bench: ${name}: warm-up ${options.warmup} s\n`);
    await autocannon({ ...base, duration: options.warmup, title: `${name} warm-up` });
  }
  counters = newCounters();
  process.stderr.write(`bench: ${name}: measuring ${options.seconds} s, ${options.connections} connections, ${agents.length} agent(s)\n`);
  const result = await autocannon({ ...base, duration: options.seconds, title: name });
  const c = counters;
  const duration = result.duration > 0 ? result.duration : options.seconds;
  const requestCount = c.answers.check + c.answers.pay;
  const lat = (values: number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99), max: percentile(values, 100) });
  const errors = sum(c.httpErrors) + result.errors + c.unparsable;
  const label = SCENARIO_LABEL[name](agents.length);
  scenarioAgents.set(label, agents.map((agent) => agent.id));
  return {
    name, paysPerSec: round(c.pairsOk / duration), ratio: null, target: null, met: null, peakRssMb: null,
    scenario: label,
    store,
    agents: agents.length,
    connections: options.connections,
    seconds: round(duration, 2),
    pairsOk: c.pairsOk,
    paymentsPerSec: round(c.pairsOk / duration),
    requests: requestCount,
    requestsPerSec: round(requestCount / duration),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors,
    nonZeroResults: sum(c.nonZero.check) + sum(c.nonZero.pay),
    detail: {
      autocannon: {
        latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
        errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx,
        statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count])),
      },
      latencyMs: { check: lat(c.latencyMs.check), pay: lat(c.latencyMs.pay), pair: lat(c.latencyMs.pair) },
      pairsStarted: c.pairsStarted,
      answers: c.answers,
      nonZero: c.nonZero,
      httpErrors: c.httpErrors,
      unparsable: c.unparsable,
      idMismatches: c.idMismatches,
      examples: c.examples,
      agentIds: agents.length === 1 ? agents[0]!.id : `${agents[0]!.id}..${agents.at(-1)!.id}`,
    },
  };
}

// ------------------------------------------------------------------ report

function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => String(row[i] ?? '').length)));
  const line = (row: (string | number)[]) => row.map((cell, i) => (typeof cell === 'number' ? String(cell).padStart(widths[i]!) : String(cell).padEnd(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

interface ServerSummary {
  payments: { agentId: string; state: string; code: number; n: number }[];
  jobs: { name: string; state: string; n: number }[];
  invariants: { ok: boolean; problems: string[] };
  /** Group commit over the whole run: statements and the payments they carried, per batch kind. */
  groupCommit?: Record<string, { statements: number; payments: number }>;
}

/** Scenario label → the agent ids it used (to split the store's payments by scenario). */
const scenarioAgents = new Map<string, string[]>();

function storeByScenario(summary: ServerSummary | undefined, results: ScenarioResult[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  if (!summary) return out;
  for (const result of results) {
    const ids = new Set(scenarioAgents.get(result.scenario) ?? []);
    const states: Record<string, number> = {};
    for (const row of summary.payments) if (ids.has(row.agentId)) states[`${row.state}/${row.code}`] = (states[`${row.state}/${row.code}`] ?? 0) + row.n;
    out[result.scenario] = states;
  }
  return out;
}


// ------------------------------------------------------------------ targets (issue: "Performance", same machine, same run)

/** The open loop runs at half the many-agents target (a quarter of tpcb-like), or at --rate; without baselines, at half what the closed loop reached. */
function openLoopRate(options: Options, baselines: Baselines | null, done: ScenarioResult[]): number {
  if (options.rate !== undefined) return options.rate;
  if (baselines) return Math.max(1, Math.round(baselines.tpcb.tps / 4));
  const many = done.find((r) => r.name === 'many');
  return Math.max(1, Math.round((many?.paysPerSec ?? 100) / 2));
}

function targetFor(name: ScenarioName, options: Options, baselines: Baselines | null, result: ScenarioResult, done: ScenarioResult[]): Target | null {
  if (name === 'soak') return null; // judged by bench/soak.ts itself
  if (name === 'open') return { measure: 'payP99Ms', value: 20, baseline: 20, text: `pay p99 ≤ 20 ms at ${result.scenario.replace(/^open loop /, '')}` };
  if (name === 'elsom') {
    // One terminal is one agent: its AUTHORIZE+PAYMENT pairs against the agent API's one-agent (hot) rate of this run.
    const agentApi = done.find((r) => r.name === 'hot') ?? done.find((r) => r.name === 'many');
    return agentApi ? { measure: 'paysPerSec', value: 0.5 * agentApi.paysPerSec, baseline: agentApi.paysPerSec, text: `≥ 0.5 × the agent API's ${agentApi.name} rate (${agentApi.paysPerSec}/s)` } : null;
  }
  if (!baselines) return null;
  if (name === 'many') return { measure: 'paysPerSec', value: 0.5 * baselines.tpcb.tps, baseline: baselines.tpcb.tps, text: `≥ 0.5 × pgbench tpcb-like (${baselines.tpcb.tps} tps)` };
  return { measure: 'paysPerSec', value: baselines.hotRow.tps, baseline: baselines.hotRow.tps, text: `≥ 1.0 × pgbench hot-row (${baselines.hotRow.tps} tps, ${options.baselineClients} clients)` };
}

function judge(result: ScenarioResult, target: Target | null): ScenarioResult {
  if (!target) return result;
  if (target.measure === 'paysPerSec') {
    return { ...result, ratio: round(result.paysPerSec / target.baseline, 3), target: target.text, met: result.paysPerSec >= target.value && result.errors === 0 };
  }
  const p99 = result.detail.latencyMs.pay.p99;
  const dueRate = Number(/(\d+)\/s/.exec(result.scenario)?.[1] ?? 0);
  // Met only when the rate was actually carried (≥ 99 % of due pairs paid) and the p99 is within the bound.
  const carried = dueRate > 0 && result.paysPerSec >= 0.99 * dueRate;
  return { ...result, ratio: p99 ? round(target.value / p99, 3) : null, target: target.text, met: carried && p99 !== null && p99 <= target.value };
}

// ------------------------------------------------------------------ main

const options = readOptions();
const machine = {
  cores: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGb: round(totalmem() / 2 ** 30, 1),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  /** Other work on the machine skews the figures: the 1-minute load average before and after the run tells. */
  loadAverage: { start: round(loadavg()[0]!, 2), end: null as number | null },
};
const storeLabel = options.databaseUrl ? 'postgres' : 'pglite';

// The database's own ceiling first, on an idle machine: the Tolem server is not started yet.
let baselines: Baselines | null = null;
if (options.databaseUrl && options.baselineSeconds > 0) {
  assertLoopback(options.databaseUrl);
  try {
    baselines = await measureBaselines({ databaseUrl: options.databaseUrl, seconds: options.baselineSeconds, clients: options.baselineClients, scale: Math.max(16, options.baselineClients) },
      (line) => process.stderr.write(`${line}\n`));
  } catch (error) {
    process.stderr.write(`bench: pgbench baselines failed (${error instanceof Error ? error.message : String(error)}); ratios will be missing\n`);
  }
}

// many, open (their own agents, so the store's figures split by scenario), hot; the soak's own when it runs
const agentsNeeded = 2 * options.agents + 1 + (options.scenarios.includes('soak') ? options.agents : 0);
process.stderr.write(`bench: starting Tolem on ${storeLabel} with ${agentsNeeded} agents…\n`);

let server: Server;
let providers: Server | undefined;
try {
  // The providers' process (a Tolem whose sandbox the hub calls over loopback HTTP); not profiled or sampled.
  if (options.providers === 'separate') {
    providers = await startServer(options, 1, { BENCH_SERVER_NODE_ARGS: '', BENCH_ROLE: 'providers' });
    assertLoopback(providers.handshake.url);
  }
  server = await startServer(options, agentsNeeded, providers ? { SANDBOX_URL: `${providers.handshake.url}/sandbox` } : {});
  assertLoopback(server.handshake.url);
} catch (error) {
  process.stderr.write(`bench: the server failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  if (providers) await stopServer(providers);
  process.exit(1);
}

const { agents } = server.handshake;
const agentsOf: Record<ScenarioName, BenchAgent[]> = {
  many: agents.slice(0, options.agents),
  open: agents.slice(options.agents, 2 * options.agents),
  hot: agents.slice(2 * options.agents, 2 * options.agents + 1),
  elsom: [{ id: server.handshake.elsom.agentId, token: '' }],
  soak: agents.slice(2 * options.agents + 1, 3 * options.agents + 1),
};
const results: ScenarioResult[] = [];
const failures: { scenario: string; error: string }[] = [];
const startedAt = new Date();
let reconciliation: ReconResult | undefined;
let threeWay: Recon3Result | undefined;
for (const name of options.scenarios) {
  try {
    if (name === 'recon') {
      reconciliation = await runRecon(server.child);
      continue;
    }
    if (name === 'recon3') {
      threeWay = await runRecon3(server.child);
      continue;
    }
    const result = await runScenario(name, agentsOf[name], server, options, openLoopRate(options, baselines, results));
    results.push(judge(result, targetFor(name, options, baselines, result, results)));
  } catch (error) {
    failures.push({ scenario: name, error: error instanceof Error ? error.message : String(error) });
    process.stderr.write(`bench: scenario ${name} failed: ${String(error)}\n`);
  }
}

machine.loadAverage.end = round(loadavg()[0]!, 2);
// autocannon drops its sockets at the end, but the server finishes the requests it had started (a pay holds a provider
// call and a ledger transaction): give them a moment, so that stopping the server does not cut them off.
const drainSeconds = Number(process.env.BENCH_DRAIN_SECONDS ?? '2');
if (drainSeconds > 0) await new Promise((resolve) => setTimeout(resolve, drainSeconds * 1000));
process.stderr.write('bench: stopping the server…\n');
const summary = (await stopServer(server)) as ServerSummary | undefined;
if (providers) await stopServer(providers);
const log = server.log.tally();

const manyResult = results.find((r) => r.scenario.startsWith('many'));
const hotResult = results.find((r) => r.scenario === 'one hot agent');
const ratios = manyResult && hotResult && manyResult.paymentsPerSec > 0 && manyResult.requestsPerSec > 0
  ? {
      hotOverManyPayments: round(hotResult.paymentsPerSec / manyResult.paymentsPerSec, 2),
      hotOverManyRequests: round(hotResult.requestsPerSec / manyResult.requestsPerSec, 2),
      hotOverManyP99: manyResult.p99Ms > 0 ? round(hotResult.p99Ms / manyResult.p99Ms, 2) : null,
    }
  : null;

const report = {
  startedAt: startedAt.toISOString(),
  machine,
  settings: { server: serverMode, dbPoolMax: process.env.DB_POOL_MAX || '10', store: storeLabel, seconds: options.seconds, warmupSeconds: options.warmup, connections: options.connections, manyAgents: options.agents, serviceId: 'P1011', amount: '200.00' },
  baselines: baselines ? { tpcb: baselines.tpcb, hotRow: baselines.hotRow, server: baselines.server, scale: Math.max(16, options.baselineClients) } : null,
  /** One line per scenario: the figures the targets are read from. */
  scenarios: results.map((r) => ({ name: r.name, label: r.scenario, paysPerSec: r.paysPerSec, p50Ms: r.detail.latencyMs.pay.p50, p99Ms: r.detail.latencyMs.pay.p99, ratio: r.ratio, target: r.target, met: r.met, peakRssMb: r.peakRssMb, errors: r.errors, cpuMsPerPay: cpuPerPay(r), ...(r.soak ? { soak: r.soak } : {}) })),
  results,
  reconciliation: reconciliation ? reconEntry(reconciliation) : null,
  threeWayReconciliation: threeWay ? recon3Entry(threeWay) : null,
  ratios,
  failures,
  server: {
    log,
    storeAtEnd: storeByScenario(summary, results),
    jobs: summary?.jobs ?? null,
    ledgerInvariants: summary?.invariants ?? null,
    groupCommit: summary?.groupCommit ?? null,
    providers: options.providers,
    schema: server.schema ?? null,
  },
};

const rows: (string | number)[][] = [['scenario', 'pays/s', 'pay p50 ms', 'pay p99 ms', 'ratio', 'target', 'met', 'peak RSS MB', 'errors', 'non-zero']];
for (const r of results) {
  const pay = r.detail.latencyMs.pay;
  rows.push([r.scenario, r.paysPerSec, pay.p50 ?? '-', pay.p99 ?? '-', r.ratio ?? '-', r.target ?? '- (no baseline)', r.met === null ? '-' : r.met ? 'yes' : 'NO', r.peakRssMb ?? '-', r.errors, r.nonZeroResults]);
}
if (reconciliation) rows.push(reconRow(reconciliation));
if (threeWay) rows.push(...recon3Rows(threeWay));
const latencyRows: (string | number)[][] = [['scenario', 'check p50', 'check p99', 'pay p50', 'pay p99', 'pair p50', 'pair p99', 'pairs ok/started', 'id mismatches']];
for (const r of results) {
  const l = r.detail.latencyMs;
  latencyRows.push([r.scenario, l.check.p50 ?? '-', l.check.p99 ?? '-', l.pay.p50 ?? '-', l.pay.p99 ?? '-', l.pair.p50 ?? '-', l.pair.p99 ?? '-', `${r.pairsOk}/${r.detail.pairsStarted}`, r.detail.idMismatches]);
}

/**
 * CPU milliseconds one pay cost each process (cores busy / pays per second); their sum is what a pay needs of this
 * machine, and its cores divided by that sum the most pays per second it could carry (the whole machine's figure
 * also counts whatever else ran meanwhile).
 */
function cpuPerPay(r: ScenarioResult) {
  const cores = r.cpuCores;
  if (!cores || r.paysPerSec <= 0) return null;
  const ms = (busy: number | null) => (busy === null ? null : round((busy * 1000) / r.paysPerSec, 2));
  const parts = [cores.hub, cores.providers, cores.loadGenerator, cores.postgres];
  const payMs = parts.every((part) => part !== null) ? ms(parts.reduce((sum, part) => sum! + part!, 0)) : null;
  return {
    hub: ms(cores.hub), providers: ms(cores.providers), loadGenerator: ms(cores.loadGenerator), postgres: ms(cores.postgres), pay: payMs,
    machine: ms(cores.machine), ceilingPaysPerSec: payMs ? round((machine.cores * 1000) / payMs) : null,
  };
}
const cpuRows: (string | number)[][] = [['scenario', 'hub', 'providers', 'load generator', 'PostgreSQL', 'one pay, all four', 'whole machine', 'ceiling pays/s']];
for (const r of results) {
  const c = cpuPerPay(r);
  if (c) cpuRows.push([r.scenario, c.hub ?? '-', c.providers ?? '-', c.loadGenerator ?? '-', c.postgres ?? '-', c.pay ?? '-', c.machine ?? '-', c.ceilingPaysPerSec ?? '-']);
}

const out: string[] = [];
out.push(`Tolem bench — ${storeLabel} (server ${serverMode}), ${options.seconds} s per scenario after ${options.warmup} s warm-up, ${options.connections} connections, check+pay P1011 200.00 KZT`);
out.push(`machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGb} GB, node ${machine.node}, ${machine.platform}; load generator and server share these cores`
  + (options.providers === 'separate' ? ', as does the sandbox providers\' process' : '; the sandbox providers run in the server\'s process'));
out.push(`load average (1 min) before/after: ${machine.loadAverage.start} / ${machine.loadAverage.end}${machine.loadAverage.start > 0.5 ? ' — the machine was busy before the run: other work shared the cores, figures are low' : ''}`);
if (baselines) {
  out.push(`baselines (pgbench, ${options.baselineSeconds} s each, ${options.baselineClients} clients, -M prepared, synchronous_commit=${baselines.server.synchronousCommit}, PostgreSQL ${baselines.server.version}):`
    + ` tpcb-like ${baselines.tpcb.tps} tps, hot-row ${baselines.hotRow.tps} tps`);
}
out.push('');
out.push(table(rows));
out.push('');
if (cpuRows.length > 1) {
  out.push('CPU per pay (ms of one core; ceiling: the machine\'s cores divided by what one pay costs all four processes):');
  out.push(table(cpuRows));
  out.push('');
}
out.push('latency by request (ms, measured by the load generator):');
out.push(table(latencyRows));
out.push('');
if (ratios) out.push(`ratios hot/many: payments ${ratios.hotOverManyPayments}, requests ${ratios.hotOverManyRequests}, p99 ${ratios.hotOverManyP99 ?? '-'}`);
for (const r of results) {
  const bits = [
    Object.keys(r.detail.nonZero.check).length ? `check results ${JSON.stringify(r.detail.nonZero.check)}` : '',
    Object.keys(r.detail.nonZero.pay).length ? `pay results ${JSON.stringify(r.detail.nonZero.pay)}` : '',
    Object.keys(r.detail.httpErrors).length ? `HTTP ${JSON.stringify(r.detail.httpErrors)}` : '',
    r.detail.autocannon.errors ? `connection errors ${r.detail.autocannon.errors} (timeouts ${r.detail.autocannon.timeouts})` : '',
    r.detail.unparsable ? `unparsable ${r.detail.unparsable}` : '',
  ].filter(Boolean);
  if (bits.length) out.push(`${r.scenario}: ${bits.join('; ')}`);
}
for (const r of results) if (r.soak) out.push(soakLine(r.soak));
if (reconciliation) out.push(reconSummary(reconciliation));
if (threeWay) out.push(recon3Summary(threeWay));
for (const failure of failures) out.push(`scenario ${failure.scenario} FAILED: ${failure.error}`);
const storeAtEnd = report.server.storeAtEnd;
for (const [scenario, states] of Object.entries(storeAtEnd)) out.push(`store at end, ${scenario}: ${Object.entries(states).map(([k, v]) => `${k} ${v}`).join(', ') || 'nothing'}`);
if (summary) {
  out.push(`job queue at end: ${summary.jobs.map((j) => `${j.name}/${j.state} ${j.n}`).join(', ') || 'empty'}`);
  out.push(`ledger invariants: ${summary.invariants.ok ? 'ok' : `BROKEN: ${summary.invariants.problems.join('; ')}`}`);
  const batches = Object.entries(summary.groupCommit ?? {}).map(([kind, { statements, payments }]) =>
    `${kind} ${payments} payments in ${statements} statements (${statements > 0 ? round(payments / statements, 2) : 0} per statement)`);
  if (batches.length) out.push(`group commit: ${batches.join('; ')}`);
} else {
  out.push('store at end: no summary from the server');
}
out.push(`server log (level ≥ ${process.env.BENCH_LOG_LEVEL ?? 'warn'}): ${log.lines} lines ${JSON.stringify(log.byLevel)}`);
for (const entry of log.top) out.push(`  ${entry.count}× ${entry.level}: ${entry.message}`);
out.push('');

const resultsDir = join(benchDir, 'results');
mkdirSync(resultsDir, { recursive: true });
const resultsFile = join(resultsDir, 'latest.json');
const json = JSON.stringify(report, null, 2);
writeFileSync(resultsFile, `${json}\n`);
process.stdout.write(`${out.join('\n')}\n`);
process.stdout.write(`${json}\n`);
process.stderr.write(`bench: written ${resultsFile}\n`);
process.exit(0);
