/**
 * The memory soak (`npm run bench -- --scenario soak`): the many-agents load at a fixed, moderate rate for a long
 * time (open loop, bench/open-loop.ts), the server's resident memory sampled from /proc all along. It answers the
 * performance issue's memory target: "server resident memory ≤ 250 MB under the many-agent load; no growth over a
 * 5-minute run". Precisely:
 *   - peak: the highest VmRSS sampled, warm-up included, ≤ 250 MB;
 *   - no growth: the mean VmRSS of the last window ≤ 1.1 × the mean of the first window after the warm-up (a window
 *     is a minute, or a third of the run when it is shorter than three minutes), and — when the server answers —
 *     its heap after a forced full GC at the end ≤ 1.1 × the same at the start (plus 2 MB: caches of a few entries
 *     must not count as a leak on a 30 MB heap).
 * The heap is read by sending the server SIGUSR2 (bench/server.ts runs a full GC and prints one JSON line).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { openLoop, type OpenLoopOptions, type OpenLoopResult } from './open-loop.ts';

export const SOAK_RSS_LIMIT_MB = 250;
export const SOAK_GROWTH_LIMIT = 1.1;
const HEAP_SLACK_MB = 2;
const SAMPLE_MS = 2_000;

/** The soak's own flags, for bench/run.ts's parseArgs. */
export const SOAK_FLAGS = {
  'soak-seconds': { type: 'string' }, 'soak-rate': { type: 'string' }, 'soak-warmup': { type: 'string' },
} as const;

export interface SoakOptions {
  /** Measured time, after the warm-up. */
  seconds: number;
  /** Pairs per second (check+pay), round-robin over the soak's agents. */
  rate: number;
  warmupSeconds: number;
}

/** --soak-seconds (BENCH_SOAK_SECONDS, 300), --soak-rate (BENCH_SOAK_RATE, 100/s), --soak-warmup (BENCH_SOAK_WARMUP, 30). */
export function readSoakOptions(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv, fail: (message: string) => never): SoakOptions {
  const int = (flag: string, raw: string | boolean | undefined, fallback: number, min: number): number => {
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) fail(`--${flag} must be an integer ≥ ${min}, got "${String(raw)}"`);
    return value;
  };
  return {
    seconds: int('soak-seconds', values['soak-seconds'] ?? env.BENCH_SOAK_SECONDS, 300, 3),
    rate: int('soak-rate', values['soak-rate'] ?? env.BENCH_SOAK_RATE, 100, 1),
    warmupSeconds: int('soak-warmup', values['soak-warmup'] ?? env.BENCH_SOAK_WARMUP, 30, 0),
  };
}

export interface SoakFigures {
  /** Seconds of each of the two windows compared. */
  windowSeconds: number;
  firstWindowMeanMb: number | null;
  lastWindowMeanMb: number | null;
  /** last / first window mean. */
  growth: number | null;
  peakMb: number | null;
  /** Heap used after a forced full GC, right after the warm-up and after the load has drained. */
  heapAfterGcMb: { start: number | null; end: number | null };
  met: { peak: boolean | null; growth: boolean | null };
  /** Every sample: seconds since the measured run began (negative: warm-up), VmRSS in MB. */
  samples: [number, number][];
}

export interface SoakRun {
  load: OpenLoopResult;
  figures: SoakFigures;
  target: string;
  /** SOAK_RSS_LIMIT_MB over the peak (≥ 1: within). */
  ratio: number | null;
  met: boolean | null;
}

export interface SoakInput extends Pick<OpenLoopOptions, 'url' | 'tokens' | 'body' | 'accept'> {
  /** The server process, to sample and to ask for its heap. */
  pid: number | undefined;
  stdout: Readable | null;
  options: SoakOptions;
  progress: (line: string) => void;
}

export async function runSoak(input: SoakInput): Promise<SoakRun> {
  const { options } = input;
  const load = { url: input.url, tokens: input.tokens, body: input.body, accept: input.accept, rate: options.rate, maxInFlight: 512, drainMs: 10_000 };
  const heap = heapReader(input.pid, input.stdout);
  let measuredFrom = performance.now();
  const samples: [number, number][] = [];
  const sample = () => {
    const mb = readRssMb(input.pid);
    if (mb !== null) samples.push([round((performance.now() - measuredFrom) / 1000), mb]);
  };
  sample();
  const timer = setInterval(sample, SAMPLE_MS);
  try {
    if (options.warmupSeconds > 0) {
      input.progress(`bench: soak: warm-up ${options.warmupSeconds} s at ${options.rate} pairs/s`);
      measuredFrom += options.warmupSeconds * 1000;
      await openLoop({ ...load, seconds: options.warmupSeconds, drainMs: 2_000 });
    }
    const heapStart = await heap();
    measuredFrom = performance.now();
    input.progress(`bench: soak: ${options.rate} pairs/s for ${options.seconds} s, ${input.tokens.length} agents, VmRSS every ${SAMPLE_MS / 1000} s`);
    const result = await openLoop({ ...load, seconds: options.seconds });
    sample();
    const figures = judge(samples, options.seconds, heapStart, await heap());
    return {
      load: result,
      figures,
      target: `peak RSS ≤ ${SOAK_RSS_LIMIT_MB} MB; last-window mean ≤ ${SOAK_GROWTH_LIMIT} × first (windows of ${figures.windowSeconds} s)`,
      ratio: figures.peakMb ? round(SOAK_RSS_LIMIT_MB / figures.peakMb, 3) : null,
      met: figures.met.peak === null || figures.met.growth === null ? null : figures.met.peak && figures.met.growth,
    };
  } finally {
    clearInterval(timer);
  }
}

function judge(samples: [number, number][], seconds: number, heapStart: number | null, heapEnd: number | null): SoakFigures {
  const windowSeconds = Math.min(60, Math.round(seconds / 3));
  const mean = (values: number[]) => (values.length ? round(values.reduce((a, b) => a + b, 0) / values.length) : null);
  const first = mean(samples.filter(([t]) => t >= 0 && t < windowSeconds).map(([, mb]) => mb));
  const last = mean(samples.filter(([t]) => t > seconds - windowSeconds).map(([, mb]) => mb));
  const peak = samples.length ? Math.max(...samples.map(([, mb]) => mb)) : null;
  const growth = first && last ? round(last / first, 3) : null;
  const heapGrew = heapStart !== null && heapEnd !== null ? heapEnd > SOAK_GROWTH_LIMIT * heapStart + HEAP_SLACK_MB : false;
  return {
    windowSeconds,
    firstWindowMeanMb: first,
    lastWindowMeanMb: last,
    growth,
    peakMb: peak,
    heapAfterGcMb: { start: heapStart, end: heapEnd },
    met: { peak: peak === null ? null : peak <= SOAK_RSS_LIMIT_MB, growth: growth === null ? null : growth <= SOAK_GROWTH_LIMIT && !heapGrew },
    samples,
  };
}

/** One line under the bench's table. */
export function soakLine(f: SoakFigures): string {
  const yes = (met: boolean | null) => (met === null ? '-' : met ? 'met' : 'NOT met');
  return `soak: VmRSS mean first ${f.windowSeconds} s ${f.firstWindowMeanMb ?? '-'} MB, last ${f.windowSeconds} s ${f.lastWindowMeanMb ?? '-'} MB`
    + ` (× ${f.growth ?? '-'}, ≤ ${SOAK_GROWTH_LIMIT}: ${yes(f.met.growth)}); peak ${f.peakMb ?? '-'} MB (≤ ${SOAK_RSS_LIMIT_MB}: ${yes(f.met.peak)});`
    + ` heap after a full GC ${f.heapAfterGcMb.start ?? '-'} → ${f.heapAfterGcMb.end ?? '-'} MB`;
}

function readRssMb(pid: number | undefined): number | null {
  try {
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return kb > 0 ? round(kb / 1024) : null;
  } catch {
    return null; // not Linux, or the process is gone
  }
}

/** Asks the server for its heap after a full GC (SIGUSR2 → one `{"heap": …}` line on its stdout); null if it does not answer within 10 s. */
function heapReader(pid: number | undefined, stdout: Readable | null): () => Promise<number | null> {
  let waiting: ((mb: number) => void) | undefined;
  if (stdout) {
    createInterface({ input: stdout }).on('line', (line) => {
      if (!line.startsWith('{"heap"')) return;
      try {
        waiting?.(Number((JSON.parse(line) as { heap: { usedMb: number } }).heap.usedMb));
      } catch {
        // not the answer
      }
    });
  }
  return () => new Promise((resolve) => {
    if (!pid || !stdout) return resolve(null);
    const timer = setTimeout(() => { waiting = undefined; resolve(null); }, 10_000);
    waiting = (mb) => { clearTimeout(timer); waiting = undefined; resolve(mb); };
    try {
      process.kill(pid, 'SIGUSR2');
    } catch {
      clearTimeout(timer);
      resolve(null);
    }
  });
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
