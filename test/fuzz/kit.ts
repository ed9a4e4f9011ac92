/**
 * The fuzz kit (issue 12, item 2): arbitraries that grow hostile requests from the partners' own examples, the oracles
 * every answer is judged by, and one runner shared by the seed-fixed sets in `npm test` and the campaign
 * (`npm run fuzz`). A surface (test/fuzz/surfaces.ts) is a generator of requests plus a judge of answers; the runner
 * sends each case to a target (in-process `app.inject`, or real HTTP), judges it, checks that a refused request wrote
 * nothing, and that the server still answers its health request. docs/fuzzing.md explains the design.
 */
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { isLosslessNumber, LosslessNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import type { Tolem } from '../../src/app.ts';
import type { Db } from '../../src/store/db.ts';

// ————————————————————————————————————————————————————————————— requests, answers, targets

export interface FuzzRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  url: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  /** Where the request comes from (in-process only; real HTTP is always loopback). */
  remoteAddress?: string;
  /** What was done to grow this case, for the report: the fixture and each mutation. */
  label: string;
}

export interface FuzzAnswer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: Buffer;
}

/** A running Tolem the cases are sent to. */
export interface FuzzTarget {
  send(request: FuzzRequest): Promise<FuzzAnswer>;
  /** A digest of the rows a refused request must not change. */
  fingerprint(): Promise<string>;
  /** Waits for the writes that follow an answer in the background (partner exchanges, checkout steps). */
  settle(): Promise<void>;
  healthy(): Promise<boolean>;
}

/**
 * What a refused request must leave alone: money, payments and their history, the operators' lists, the checkout's
 * orders and proposals. Counts, plus the states of the (small) order table, so an update shows as well as an insert.
 */
export const WATCHED_TABLES = [
  'payments', 'payment_events', 'ledger_transfers', 'attention_items', 'outbound_attempts',
  'checkout_orders', 'money_proposals', 'agent_tokens', 'agent_users', 'operators', 'audit_log',
] as const;

const GROWING = new Set<string>(['payments', 'payment_events', 'ledger_transfers', 'outbound_attempts']);

async function fingerprintOf(db: Db): Promise<string> {
  // Inbound exchanges are the record of requests like the ones under test; outbound ones are the hub's own calls, which
  // a checkout step makes in the background after an accepted callback or return (a status poll), later than any case.
  const inbound = `(SELECT coalesce(max(id), 0) FROM partner_exchanges WHERE direction = 'inbound')::text`;
  // The tables a campaign grows by tens of thousands of rows are read by their last id (an index lookup; a count would
  // make every case slower than the one before); the others are small and counted.
  const counts = [...WATCHED_TABLES.map((table) => GROWING.has(table) ? `(SELECT coalesce(max(id), 0) FROM ${table})::text` : `(SELECT count(*) FROM ${table})::text`), inbound].join(` || '/' || `);
  const states = `(SELECT coalesce(string_agg(state, ',' ORDER BY id), '') FROM checkout_orders)`;
  const payments = `(SELECT coalesce(string_agg(state, ',' ORDER BY id), '') FROM (SELECT id, state FROM payments ORDER BY id DESC LIMIT 50) last)`;
  const row = await db.query<{ f: string }>(`SELECT ${counts} || '|' || ${states} || '|' || ${payments} AS f`);
  return row.rows[0]!.f;
}

/** In-process: fastify's inject, no sockets; the fast way for bulk cases. */
export function injectTarget(tolem: Tolem, db: Db): FuzzTarget {
  return {
    async send(request) {
      const answer = await tolem.app.inject({
        method: request.method, url: request.url, headers: request.headers, remoteAddress: request.remoteAddress ?? '127.0.0.1',
        ...(request.body !== undefined ? { payload: request.body } : {}),
      });
      return { status: answer.statusCode, headers: answer.headers, body: answer.rawPayload };
    },
    fingerprint: () => fingerprintOf(db),
    settle: () => settle(tolem),
    healthy: async () => (await tolem.app.inject({ method: 'GET', url: '/health' })).json<{ status?: string }>().status === 'ok',
  };
}

/** Over a real socket on loopback: body limits, Content-Length and the HTTP parser are exercised too. */
export function httpTarget(tolem: Tolem, db: Db, baseUrl: string): FuzzTarget {
  return {
    async send(request) {
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !['content-length', 'host', 'transfer-encoding'].includes(name.toLowerCase())));
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body;
      const response = await fetch(`${baseUrl}${request.url}`, { method: request.method, headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
      const out: FuzzAnswer['headers'] = {};
      response.headers.forEach((value, name) => (out[name] = value));
      return { status: response.status, headers: out, body: Buffer.from(await response.arrayBuffer()) };
    },
    fingerprint: () => fingerprintOf(db),
    settle: () => settle(tolem),
    healthy: async () => ((await (await fetch(`${baseUrl}/health`)).json()) as { status?: string }).status === 'ok',
  };
}

async function settle(tolem: Tolem): Promise<void> {
  // The checkout's steps after a callback or a return run in the background; give them a moment, then the journal.
  await new Promise((resolve) => setTimeout(resolve, 5));
  await tolem.ctx.engine.exchanges.idle();
}

// ————————————————————————————————————————————————————————————— oracles

/** Runtime and framework text that must never reach a partner: stack frames, error names, our file layout. */
export const LEAK_MARKERS = ['at /', 'Error:', 'TypeError', 'ReferenceError', 'RangeError', 'node_modules', 'SyntaxError', 'FST_ERR', 'ECONNREFUSED', 'undefined is not'];

export function leaks(text: string): string | undefined {
  return LEAK_MARKERS.find((marker) => text.includes(marker)) ?? (/fst_err/i.test(text) ? 'FST_ERR' : undefined);
}

export interface Verdict {
  /** Empty when the answer is well-formed and right for its protocol. */
  problems: string[];
  /** The oracle knows this request was refused before anything was stored: the runner checks it wrote nothing. */
  refused: boolean;
  /** The protocol's own code of the answer (result, result-code, ErrorCode), tallied in the report. */
  outcome?: string;
}

export function header(answer: FuzzAnswer, name: string): string | undefined {
  const value = answer.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value === undefined ? undefined : String(value);
}

/** The checks every surface shares: no 5xx, no runtime text. */
export function commonProblems(answer: FuzzAnswer, text: string): string[] {
  const problems: string[] = [];
  if (answer.status >= 500) problems.push(`HTTP ${answer.status}`);
  const leak = leaks(text);
  if (leak) problems.push(`runtime text in the answer: ${JSON.stringify(leak)}`);
  return problems;
}

/** A surface: what to send and how to judge the answer. */
export interface Surface {
  name: string;
  cases: fc.Arbitrary<FuzzRequest>;
  judge(request: FuzzRequest, answer: FuzzAnswer): Verdict;
}

// ————————————————————————————————————————————————————————————— the runner

export interface FuzzFailure {
  surface: string;
  index: number;
  label: string;
  request: string;
  status: number;
  answer: string;
  problems: string[];
}

export interface FuzzReport {
  surface: string;
  seed: number;
  cases: number;
  refused: number;
  overHttp: number;
  failures: number;
  /** The first failures in full (the count above is all of them). */
  examples: FuzzFailure[];
  durationMs: number;
  maxRssMb: number;
  statuses: Record<string, number>;
  outcomes: Record<string, number>;
}

export interface RunOptions {
  numRuns: number;
  seed: number;
  /** Cases generated and sent per block; the health request runs after each. */
  blockSize?: number;
  /** Every n-th case goes over real HTTP when an HTTP target is given. */
  httpEvery?: number;
  http?: FuzzTarget;
  /** Stop after this many failures (the campaign counts them all; a test needs only the first few). */
  keepExamples?: number;
  onProgress?: (done: number, failures: number) => void;
}

const show = (value: Buffer | string | undefined, limit = 600): string => {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? value : value.toString('latin1');
  return text.length > limit ? `${text.slice(0, limit)}… (${text.length} chars)` : text;
};

/**
 * Sends numRuns cases of the surface, generated from the seed block by block (block k from seed + k, so a case is
 * found again by its seed and index), and judges each. A case the oracle calls refused must leave the watched rows as
 * they were; after every block the server must still answer its health request.
 */
export async function runFuzz(surface: Surface, target: FuzzTarget, options: RunOptions): Promise<FuzzReport> {
  const started = performance.now();
  const blockSize = options.blockSize ?? 250;
  const keep = options.keepExamples ?? 20;
  const report: FuzzReport = {
    surface: surface.name, seed: options.seed, cases: 0, refused: 0, overHttp: 0, failures: 0, examples: [], durationMs: 0, maxRssMb: 0, statuses: {}, outcomes: {},
  };
  let before = await target.fingerprint();
  for (let block = 0; report.cases < options.numRuns; block++) {
    const size = Math.min(blockSize, options.numRuns - report.cases);
    const requests = fc.sample(surface.cases, { seed: options.seed + block, numRuns: size });
    for (const request of requests) {
      const index = report.cases++;
      const viaHttp = options.http !== undefined && options.httpEvery !== undefined && index % options.httpEvery === 0;
      const through = viaHttp ? options.http! : target;
      if (viaHttp) report.overHttp++;
      let answer: FuzzAnswer;
      let verdict: Verdict;
      try {
        answer = await through.send(request);
        verdict = surface.judge(request, answer);
      } catch (error) {
        answer = { status: 0, headers: {}, body: Buffer.from(String(error)) };
        verdict = { problems: [`no answer: ${(error as Error).message}`], refused: false };
      }
      report.statuses[answer.status] = (report.statuses[answer.status] ?? 0) + 1;
      if (verdict.outcome !== undefined) report.outcomes[verdict.outcome] = (report.outcomes[verdict.outcome] ?? 0) + 1;
      const problems = [...verdict.problems];
      if (verdict.refused) {
        report.refused++;
        const after = await target.fingerprint();
        if (after !== before) problems.push(`a refused request wrote: ${before} → ${after}`);
        before = after;
      } else {
        await through.settle();
        before = await target.fingerprint();
      }
      if (problems.length > 0) {
        report.failures++;
        if (report.examples.length < keep) {
          report.examples.push({
            surface: surface.name, index, label: request.label, request: `${request.method} ${request.url} ${JSON.stringify(request.headers)} ${show(request.body)}`,
            status: answer.status, answer: show(answer.body), problems,
          });
        }
      }
    }
    if (!(await target.healthy())) {
      report.failures++;
      report.examples.push({ surface: surface.name, index: report.cases, label: 'health', request: 'GET /health', status: 0, answer: '', problems: ['the server no longer answers /health'] });
      break;
    }
    report.maxRssMb = Math.max(report.maxRssMb, Math.round(process.memoryUsage().rss / 1048576));
    options.onProgress?.(report.cases, report.failures);
  }
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

// ————————————————————————————————————————————————————————————— values that break things

/** The value once in `oneIn` cases, else null (fc.option's `freq` is the other way round: nil once in freq). */
export function sometimes<T>(arbitrary: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 1, arbitrary }, { weight: oneIn - 1, arbitrary: fc.constant(null) });
}

/** Numbers as JSON text: the edges of the amount and id rules. */
export const WEIRD_NUMBERS = [
  '0', '-0', '-1', '-200.00', '0.001', '200.005', '0.1', '1e3', '1E400', '-1e400', '1e-7', '12345678901234567890',
  '9999999999999999999999999999', '9223372036854775807', '9223372036854775808', '-9223372036854775809', '999999999999999999',
  '1000000000000000000', '4294967296', '9007199254740993', '00012', '200.00', '1.5', '199.99', '100000000000',
] as const;

/** Strings that are no value's friend. */
export const WEIRD_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\u0001\u0002\u001f', '\t\r\n', '\u00a0', '\u202e', '\ufeff', '\ud800', '\udfff', 'тест',
  'Қазақ ңөү', '😀', '\u{10ffff}', '<script>alert(1)</script>', "' OR 1=1 --", '%00', '%%', '${x}', '{{x}}', '../../etc/passwd',
  '9999-99-99T99:99:99', '2015-02-30T10:00:00', '2015-02-17T16:48:37Z', '2015-02-17', '20150804000114', '__proto__',
  'constructor', 'prototype', 'null', 'true', '-200.00', '200,00', '1e3', '0x10', '+7', '７７７', '021508040001364907',
  '1234567890123456789', '12345678901234567890123', '0'.repeat(40), 'x'.repeat(300), 'я'.repeat(2000), '&amp;', '&#0;', '&lol;',
  ']]>', '<!--', '<![CDATA[x]]>',
] as const;

const weirdString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...WEIRD_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^\d{1,30}$/) },
).map(avoidMarkers);

/** Generated text must not contain the leak markers itself, or an echo of it would look like a leak. */
export function avoidMarkers(text: string): string {
  let out = text;
  for (const marker of LEAK_MARKERS) out = out.split(marker).join('x');
  return out;
}

// ————————————————————————————————————————————————————————————— JSON: trees grown from fixtures

export type JsonTree = null | boolean | string | LosslessNumber | JsonTree[] | { [key: string]: JsonTree };

/**
 * A number written as given, even when it is not valid JSON (`00012`, `1.`): lossless-json writes any object carrying
 * its marker by its text, and its own LosslessNumber refuses such text.
 */
export function rawNumber(text: string): LosslessNumber {
  return { value: text, isLosslessNumber: true, [Symbol.for('lossless-json.LosslessNumber')]: true, toString: () => text, valueOf: () => Number(text) } as unknown as LosslessNumber;
}

export function parseFixtureJson(text: string): JsonTree {
  // The agent API's fixtures are indented with no-break spaces (docs/protocols/agent-api.md); JSON.parse would refuse.
  return parseLossless(text.replace(/\u00a0/g, ' ')) as JsonTree;
}

const weirdValue: fc.Arbitrary<JsonTree> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...WEIRD_NUMBERS, '1.', '.5', '+1', '0x10').map(rawNumber) },
  { weight: 4, arbitrary: weirdString },
  { weight: 3, arbitrary: fc.constantFrom(...WEIRD_NUMBERS).map((n) => String(n)) },
  { weight: 1, arbitrary: fc.constantFrom<JsonTree>(null, true, false, [], {}, [null], { value: '1' }, [rawNumber('1')]) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => toTree(v)) },
);

function toTree(value: unknown): JsonTree {
  if (typeof value === 'number') return rawNumber(Number.isFinite(value) ? String(value) : '0');
  if (Array.isArray(value)) return value.map(toTree);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [avoidMarkers(k), toTree(v)]));
  if (typeof value === 'string') return avoidMarkers(value);
  return value as JsonTree;
}

type TreeMutation =
  | { op: 'drop'; pick: number }
  | { op: 'set'; pick: number; value: JsonTree }
  | { op: 'add'; key: string; value: JsonTree }
  | { op: 'retype'; pick: number }
  | { op: 'nest'; pick: number; depth: number };

const treeMutation: fc.Arbitrary<TreeMutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('set' as const), pick: fc.nat(), value: weirdValue }),
  fc.record({ op: fc.constant('set' as const), pick: fc.nat(), value: weirdValue }),
  fc.record({ op: fc.constant('add' as const), key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'extras', 'extraServices', 'amountTo', 'contractId', 'x'), weirdString), value: weirdValue }),
  fc.record({ op: fc.constant('retype' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('nest' as const), pick: fc.nat(), depth: fc.constantFrom(2, 40, 2000) }),
);

type Path = (string | number)[];

/**
 * Most cases change little: one broken field is refused by the first check it meets, so a case with one or none gets
 * deeper (to the engine, the provider, the repeat rules); a few pile up mutations.
 */
export function fewMutations<T>(mutation: fc.Arbitrary<T>): fc.Arbitrary<T[]> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant<T[]>([]) },
    { weight: 4, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 1 }) },
    { weight: 2, arbitrary: fc.array(mutation, { minLength: 2, maxLength: 4 }) },
  );
}

const NEST_MARK = 'fuzz-nest-';

/** Each nest placeholder becomes that many arrays and objects around a number. */
function expandNests(text: string): string {
  return text.replace(new RegExp(`"${NEST_MARK}(\\d+)"`, 'g'), (_all, depth: string) => {
    const n = Number(depth);
    let open = '';
    let close = '';
    for (let i = 0; i < n; i++) {
      open += i % 2 ? '[' : '{"v":';
      close = (i % 2 ? ']' : '}') + close;
    }
    return `${open}1${close}`;
  });
}

/** Every field's path, to a depth of 6 (a nested mutation may already have made the tree thousands deep). */
function paths(tree: JsonTree, prefix: Path = []): Path[] {
  if (prefix.length >= 6) return [];
  if (Array.isArray(tree)) return tree.flatMap((item, i) => [[...prefix, i], ...paths(item, [...prefix, i])]);
  if (tree && typeof tree === 'object' && !isLosslessNumber(tree)) return Object.entries(tree).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
  return [];
}

function clone(tree: JsonTree): JsonTree {
  if (Array.isArray(tree)) return tree.map(clone);
  if (tree && typeof tree === 'object' && !isLosslessNumber(tree)) return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, clone(v)]));
  return tree;
}

function parentOf(tree: JsonTree, path: Path): { parent: Record<string | number, JsonTree>; key: string | number; value: JsonTree } | undefined {
  let node: JsonTree = tree;
  for (const step of path.slice(0, -1)) node = (node as Record<string | number, JsonTree>)[step]!;
  const key = path[path.length - 1]!;
  const parent = node as Record<string | number, JsonTree>;
  return { parent, key, value: parent[key]! };
}

function retyped(value: JsonTree): JsonTree {
  if (isLosslessNumber(value)) return (value as LosslessNumber).value;
  if (typeof value === 'string') return /^-?\d+(\.\d+)?$/.test(value) ? rawNumber(value) : [value];
  if (Array.isArray(value)) return value.length ? value[0]! : {};
  if (value && typeof value === 'object') return Object.values(value);
  return value === null ? 0 as unknown as JsonTree : String(value);
}

function applyTree(tree: JsonTree, mutation: TreeMutation): string {
  const all = paths(tree);
  if (mutation.op === 'add') {
    if (tree && typeof tree === 'object' && !Array.isArray(tree) && !isLosslessNumber(tree)) {
      Object.defineProperty(tree, mutation.key, { value: mutation.value, enumerable: true, writable: true, configurable: true });
    }
    return `add ${JSON.stringify(mutation.key)}`;
  }
  if (all.length === 0) return 'no field to mutate';
  const path = all[mutation.pick % all.length]!;
  const at = parentOf(tree, path)!;
  const name = path.join('.');
  switch (mutation.op) {
    case 'drop':
      if (Array.isArray(at.parent)) (at.parent as unknown as JsonTree[]).splice(at.key as number, 1);
      else delete at.parent[at.key];
      return `drop ${name}`;
    case 'set':
      at.parent[at.key] = mutation.value;
      return `set ${name}`;
    case 'retype':
      at.parent[at.key] = retyped(at.value);
      return `retype ${name}`;
    case 'nest':
      // Written as text after the tree (a tree thousands deep would overflow the writer's own recursion).
      at.parent[at.key] = `${NEST_MARK}${mutation.depth}`;
      return `nest ${name} ×${mutation.depth}`;
  }
}

/** Mutations of the text after the tree was written: what a broken client or a hostile one sends. */
type TextMutation =
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'flip'; at: number; byte: number }
  | { op: 'duplicate-key'; pick: number }
  | { op: 'windows-1251' }
  | { op: 'bom' }
  | { op: 'nbsp' }
  | { op: 'trailing-comma' }
  | { op: 'huge'; size: number };

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', '\u0000', '\u00a0', '/*x*/', 'NaN', 'Infinity', '\ud800'), weirdString) }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('duplicate-key' as const), pick: fc.nat() }),
  fc.constant({ op: 'windows-1251' as const }),
  fc.constant({ op: 'bom' as const }),
  fc.constant({ op: 'nbsp' as const }),
  fc.constant({ op: 'trailing-comma' as const }),
  fc.record({ op: fc.constant('huge' as const), size: fc.constantFrom(60 * 1024, 70 * 1024, 300 * 1024) }),
);

function applyText(text: string, mutation: TextMutation): { body: Buffer | string; label: string } {
  switch (mutation.op) {
    case 'truncate':
      return { body: text.slice(0, mutation.at % (text.length + 1)), label: 'truncate' };
    case 'insert': {
      const at = mutation.at % (text.length + 1);
      return { body: text.slice(0, at) + mutation.text + text.slice(at), label: 'insert' };
    }
    case 'flip': {
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length) bytes[mutation.at % bytes.length] = mutation.byte;
      return { body: bytes, label: 'flip a byte' };
    }
    case 'duplicate-key': {
      const keys = [...text.matchAll(/"([^"\\]+)"\s*:\s*("[^"\\]*"|-?[\d.eE+]+|true|false|null)/g)];
      if (!keys.length) return { body: text, label: 'duplicate key (none)' };
      const pair = keys[mutation.pick % keys.length]!;
      return { body: text.replace(/^\s*\{/, `{${pair[0]},`), label: `duplicate key ${pair[1]}` };
    }
    case 'windows-1251':
      return { body: iconv.encode(text, 'windows-1251'), label: 'windows-1251 bytes' };
    case 'bom':
      return { body: `\ufeff${text}`, label: 'BOM' };
    case 'nbsp':
      return { body: text.replace(/ /g, '\u00a0'), label: 'no-break spaces' };
    case 'trailing-comma':
      return { body: text.replace(/\}\s*$/, ',}'), label: 'trailing comma' };
    case 'huge':
      return { body: text.replace(/^\s*\{/, `{"pad":"${'x'.repeat(mutation.size)}",`), label: `padded to ${mutation.size} bytes` };
  }
}

/** A JSON body grown from a fixture: tree mutations, then at most one text mutation. */
export function mutatedJson(fixtures: readonly { name: string; tree: JsonTree }[], refresh?: (tree: JsonTree, fresh: bigint) => void): fc.Arbitrary<{ body: Buffer | string; label: string }> {
  return fc.record({
    fixture: fc.constantFrom(...fixtures),
    fresh: sometimes(fc.bigInt({ min: 1n, max: 999_999_999_999_999_999n }), 2),
    tree: fewMutations(treeMutation),
    text: sometimes(textMutation, 4),
  }).map(({ fixture, fresh, tree, text }) => {
    const copy = clone(fixture.tree);
    const labels = [fixture.name];
    if (fresh !== null && refresh) {
      refresh(copy, fresh);
      labels.push('fresh id');
    }
    for (const mutation of tree) labels.push(applyTree(copy, mutation));
    const written = expandNests(stringifyLossless(copy) ?? '');
    if (text === null) return { body: written, label: labels.join(' · ') };
    const applied = applyText(written, text);
    return { body: applied.body, label: [...labels, applied.label].join(' · ') };
  });
}

/** Bodies with no fixture behind them. */
export const randomBody: fc.Arbitrary<{ body: Buffer | string; label: string }> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((bytes) => ({ body: Buffer.from(bytes), label: 'random bytes' })),
  fc.string({ unit: 'binary', maxLength: 300 }).map((text) => ({ body: avoidMarkers(text), label: 'random text' })),
  fc.jsonValue({ maxDepth: 4 }).map((value) => ({ body: avoidMarkers(JSON.stringify(value) ?? 'null'), label: 'random JSON' })),
  fc.constantFrom('', '{}', '[]', 'null', '""', '0', '{"a":', '{{', '\u0000', '{"__proto__":{"x":1}}').map((body) => ({ body, label: 'tiny body' })),
);

export const JSON_CONTENT_TYPES = [
  'application/json', 'application/json', 'application/json', 'application/json; charset=utf-8', 'text/json',
  'application/json; charset=windows-1251', 'text/plain', 'application/x-www-form-urlencoded', 'text/xml', 'application/JSON',
  'application/json;;', 'multipart/form-data; boundary=x', '', 'application/json; charset=utf-16',
] as const;

// ————————————————————————————————————————————————————————————— XML: text mutations that keep the tags

type XmlMutation =
  | { op: 'drop'; pick: number }
  | { op: 'duplicate'; pick: number }
  | { op: 'text'; pick: number; value: string }
  | { op: 'attribute'; value: string }
  | { op: 'prolog'; value: string }
  | { op: 'nest'; depth: number }
  | { op: 'truncate'; at: number }
  | { op: 'root'; name: string }
  | { op: 'insert'; at: number; text: string };

const XML_PROLOGS = [
  '<!DOCTYPE request>', '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>',
  '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]>', '<?xml-stylesheet href="x"?>', '<!-- comment -->', '<?php echo 1; ?>',
] as const;

const xmlValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...WEIRD_NUMBERS).map(String) },
  { weight: 3, arbitrary: weirdString.map((s) => s.replace(/[<&]/g, '')) },
  { weight: 1, arbitrary: fc.constantFrom('&amp;', '&lt;', '&#1090;', '&#x0;', '&#xD800;', '&xxe;', '&lol2;', '<![CDATA[10]]>', '<x/>', '<!-- -->', '10</amount><amount>20') },
  { weight: 1, arbitrary: fc.stringMatching(/^0?\d{17,25}$/) },
);

const xmlMutation: fc.Arbitrary<XmlMutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('text' as const), pick: fc.nat(), value: xmlValue }),
  fc.record({ op: fc.constant('text' as const), pick: fc.nat(), value: xmlValue }),
  fc.record({ op: fc.constant('attribute' as const), value: fc.constantFrom('', '417', '398', '643', '0417', '417" x="1', 'abc') }),
  fc.record({ op: fc.constant('prolog' as const), value: fc.constantFrom(...XML_PROLOGS) }),
  fc.record({ op: fc.constant('nest' as const), depth: fc.constantFrom(5, 200, 5000) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('root' as const), name: fc.constantFrom('response', 'Request', 'request xmlns="urn:x"', 'x:request', 'requests') }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom('<', '>', '&', '</request>', '<request>', '\u0000', '\u0001', '\ufffe', '"', '<?xml version="1.0"?>'), weirdString) }),
);

function applyXml(xml: string, mutation: XmlMutation): { xml: string; label: string } {
  const elements = [...xml.matchAll(/<([a-z][\w-]*)(\s[^>]*)?>([^<]*)<\/\1\s*>/g)];
  const pick = (n: number) => elements[n % Math.max(1, elements.length)];
  switch (mutation.op) {
    case 'drop': {
      const element = pick(mutation.pick);
      return element ? { xml: xml.replace(element[0], ''), label: `drop <${element[1]}>` } : { xml, label: 'drop (none)' };
    }
    case 'duplicate': {
      const element = pick(mutation.pick);
      return element ? { xml: xml.replace(element[0], element[0] + element[0]), label: `duplicate <${element[1]}>` } : { xml, label: 'duplicate (none)' };
    }
    case 'text': {
      const element = pick(mutation.pick);
      if (!element) return { xml, label: 'text (none)' };
      return { xml: xml.replace(element[0], `<${element[1]}${element[2] ?? ''}>${mutation.value}</${element[1]}>`), label: `<${element[1]}> = ${JSON.stringify(mutation.value.slice(0, 30))}` };
    }
    case 'attribute':
      return { xml: xml.replace(/currency-code="[^"]*"/, `currency-code="${mutation.value}"`), label: `currency-code ${JSON.stringify(mutation.value)}` };
    case 'prolog': {
      const at = xml.indexOf('?>') + 2;
      return { xml: at > 1 ? xml.slice(0, at) + mutation.value + xml.slice(at) : mutation.value + xml, label: `prolog ${mutation.value.slice(0, 20)}` };
    }
    case 'nest':
      return { xml: xml.replace('<request>', `<request>${'<a>'.repeat(mutation.depth)}${'</a>'.repeat(mutation.depth)}`), label: `nest ×${mutation.depth}` };
    case 'truncate':
      return { xml: xml.slice(0, mutation.at % (xml.length + 1)), label: 'truncate' };
    case 'root':
      return { xml: xml.replace('<request>', `<${mutation.name}>`).replace('</request>', `</${mutation.name.split(' ')[0]}>`), label: `root <${mutation.name}>` };
    case 'insert': {
      const at = mutation.at % (xml.length + 1);
      return { xml: xml.slice(0, at) + mutation.text + xml.slice(at), label: 'insert' };
    }
  }
}

/** How the text becomes bytes, and what the declaration says: the two may disagree, as a broken client's do. */
const XML_ENCODINGS = [
  { declared: 'windows-1251', bytes: 'windows-1251' }, { declared: 'windows-1251', bytes: 'windows-1251' }, { declared: 'windows-1251', bytes: 'utf8' },
  { declared: 'UTF-8', bytes: 'utf8' }, { declared: 'UTF-8', bytes: 'windows-1251' }, { declared: '', bytes: 'utf8' }, { declared: 'koi8-r', bytes: 'koi8-r' },
  { declared: 'UTF-16', bytes: 'utf16le' }, { declared: 'utf-8-bom', bytes: 'utf8' }, { declared: 'ISO-8859-1', bytes: 'latin1' },
] as const;

export const XML_CONTENT_TYPES = [
  'text/xml', 'text/xml', 'text/xml; charset=windows-1251', 'text/xml; charset=utf-8', 'application/xml', 'application/json',
  'text/plain', '', 'text/xml; charset=iso-8859-5', 'application/x-www-form-urlencoded', 'text/xml; charset=',
] as const;

export function mutatedXml(fixtures: readonly { name: string; xml: string }[], refresh?: (xml: string, fresh: string) => string): fc.Arbitrary<{ body: Buffer; label: string }> {
  return fc.record({
    fixture: fc.constantFrom(...fixtures),
    fresh: sometimes(fc.stringMatching(/^0\d{17}$/), 2),
    mutations: fewMutations(xmlMutation),
    encoding: fc.oneof({ weight: 4, arbitrary: fc.constant(XML_ENCODINGS[0]) }, { weight: 1, arbitrary: fc.constantFrom(...XML_ENCODINGS) }),
    huge: sometimes(fc.constantFrom(60 * 1024, 66 * 1024, 200 * 1024), 40),
  }).map(({ fixture, fresh, mutations, encoding, huge }) => {
    let xml = fixture.xml;
    const labels = [fixture.name];
    if (fresh !== null && refresh) {
      xml = refresh(xml, fresh);
      labels.push('fresh number');
    }
    for (const mutation of mutations) {
      const applied = applyXml(xml, mutation);
      xml = applied.xml;
      labels.push(applied.label);
    }
    if (encoding.declared !== 'windows-1251') {
      xml = xml.replace(/ encoding="[^"]*"/, encoding.declared && encoding.declared !== 'utf-8-bom' ? ` encoding="${encoding.declared}"` : '');
      labels.push(`declared ${encoding.declared || 'none'}, bytes ${encoding.bytes}`);
    } else if (encoding.bytes !== 'windows-1251') labels.push(`bytes ${encoding.bytes}`);
    if (huge !== null) {
      xml = xml.replace('</request>', `<extra name="pad">${'x'.repeat(huge)}</extra></request>`);
      labels.push(`padded ${huge}`);
    }
    let body = iconv.encode(xml, encoding.bytes);
    if (encoding.declared === 'utf-8-bom') body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]);
    return { body, label: labels.join(' · ') };
  });
}

// ————————————————————————————————————————————————————————————— forms

/** A urlencoded form grown from a field map: fields dropped, doubled, replaced by hostile values; sometimes raw bytes. */
export function mutatedForm(fields: Record<string, string>): fc.Arbitrary<{ body: string | Buffer; label: string }> {
  const names = Object.keys(fields);
  return fc.record({
    drop: fc.subarray(names, { maxLength: Math.min(2, names.length) }),
    set: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...names, '_csrf', 'next', '__proto__'), weirdString), weirdString), { maxLength: 3 }),
    duplicate: fc.boolean(),
    raw: sometimes(fc.oneof(fc.constantFrom('%', '%zz', '&&&', '=', 'a=%E0%A4%A', '\u0000=\u0000', 'a'.repeat(70 * 1024)), fc.string({ unit: 'binary', maxLength: 200 }).map(avoidMarkers)), 6),
  }).map(({ drop, set, duplicate, raw }) => {
    const params = new URLSearchParams(Object.entries(fields).filter(([name]) => !drop.includes(name)));
    for (const [name, value] of set) params.set(name, value);
    if (duplicate && names.length) params.append(names[0]!, 'second');
    const body = raw === null ? params.toString() : raw;
    const labels = [...drop.map((d) => `drop ${d}`), ...set.map(([n]) => `set ${JSON.stringify(n.slice(0, 20))}`), ...(duplicate ? ['duplicate'] : []), ...(raw !== null ? ['raw body'] : [])];
    return { body, label: labels.join(' · ') || 'as is' };
  });
}

export const FORM_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=windows-1251', 'multipart/form-data; boundary=x', 'application/json', 'text/plain', ''] as const;

/** Path segments that are not what a route expects. */
export const weirdSegment = fc.oneof(
  fc.constantFrom('1', '0', '-1', '999999999999999999', '1234567890123456789', '99999999999999999999999', '1.5', '1e3', 'abc', '%00', '%2e%2e', '..', '%F0%9F%98%80', '%D1%82', '%', ' ', '0x1', 'null', 'undefined'),
  fc.stringMatching(/^[\w.~-]{1,30}$/),
);

/** Headers only: an empty string means "leave it out". */
export function withContentType(headers: Record<string, string>, contentType: string): Record<string, string> {
  return contentType === '' ? headers : { ...headers, 'content-type': contentType };
}

export { fc };
