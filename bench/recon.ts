/**
 * The reconciliation scenario of `npm run bench` (`--scenario recon`): asked by SIGHUP when the scenario starts, the
 * server (bench/server.ts) seeds a provider business day of BENCH_RECON_PAYMENTS succeeded payments (a million by
 * default) and generates the simulator's registry of that day on the fly with planted mismatches
 * (bench/recon-day.ts); the other scenarios run before, on a store without them. This half then asks the server, over its
 * admin API's Unix socket, to reconcile the day — the registry streamed as CSV over loopback HTTP, staged and
 * classified in the store — and measures the wall time of that one call and the server's peak resident memory
 * (VmRSS from /proc, every 250 ms) against the issue's targets: ≤ 60 s and ≤ 300 MB. See bench/README.md.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ReconHandshake } from './recon-day.ts';

export const RECON_TARGET = { seconds: 60, peakRssMb: 300 };

export interface ReconResult {
  name: 'recon';
  scenario: string;
  payments: number;
  seconds: number;
  peakRssMb: number | null;
  /** The server's resident memory just before the run (what the run added is the difference). */
  rssBeforeMb: number | null;
  target: string;
  met: boolean;
  /** Every planted mismatch found, class by class, and nothing else. */
  plantedFound: boolean;
  status: string;
  counts: Record<string, number> | null;
  expected: ReconHandshake['expected'];
  seedSeconds: number;
  error?: string;
}

export function rssMb(pid: number | undefined): number | null {
  try {
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return kb > 0 ? Math.round(kb / 102.4) / 10 : null;
  } catch {
    return null; // not Linux, or the process is gone
  }
}

/** The server's VmRSS sampled every 250 ms from now on: its value now, and `stop()` answers the peak (null: not readable). */
export function rssSampler(pid: number | undefined): { beforeMb: number | null; stop(): number | null } {
  const beforeMb = rssMb(pid);
  let peak = beforeMb ?? 0;
  const timer = setInterval(() => { peak = Math.max(peak, rssMb(pid) ?? 0); }, 250);
  return {
    beforeMb,
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, rssMb(pid) ?? 0);
      return peak > 0 ? peak : null;
    },
  };
}

/** The admin API's error message of an answer (its JSON error object, or a plain text). */
export function answerError(answer: { status: number; body: any }): string | undefined {
  const error = answer.body?.error as string | { message?: string } | undefined;
  const message = typeof error === 'object' ? error?.message : error;
  if (answer.status >= 200 && answer.status < 300) return message ? String(message) : undefined;
  return String(message ?? `HTTP ${answer.status}`);
}

export function overSocket(socket: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request({ socketPath: socket, method: 'POST', path: `/api/admin/v1${path}`, headers: { 'content-type': 'application/json' }, timeout: 30 * 60_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: { error: { message: text.slice(0, 300) } } });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 30 minutes')));
    req.on('error', reject);
    req.end(payload);
  });
}

const prepared = new WeakMap<ChildProcess, Promise<ReconHandshake>>();

/** The server's reconciliation day, seeded once per server for the scenarios that use it (recon, recon3). */
export function reconDay(child: ChildProcess): Promise<ReconHandshake> {
  let day = prepared.get(child);
  if (!day) {
    process.stderr.write(`bench: recon: seeding the day (${process.env.BENCH_RECON_PAYMENTS ?? '1000000'} payments)…\n`);
    day = prepareDay(child);
    prepared.set(child, day);
  }
  return day;
}

/** Asks the server to seed the day (SIGHUP) and waits for its answer line on stdout (read beside the handshake's reader). */
function prepareDay(child: ChildProcess): Promise<ReconHandshake> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const done = (settle: () => void) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      settle();
    };
    const onData = (chunk: Buffer | string) => {
      buffered += chunk.toString();
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        let parsed: { recon?: ReconHandshake | null; error?: string };
        try {
          parsed = JSON.parse(line) as typeof parsed;
        } catch {
          continue;
        }
        if (!('recon' in parsed)) continue;
        const answer = parsed;
        done(() => (answer.recon ? resolve(answer.recon) : reject(new Error(`the server could not prepare the reconciliation day: ${answer.error ?? 'unknown'}`))));
        return;
      }
    };
    const timer = setTimeout(() => done(() => reject(new Error('the server did not prepare the reconciliation day within 10 minutes'))), 10 * 60_000);
    child.stdout!.on('data', onData);
    child.kill('SIGHUP');
  });
}

export async function runRecon(child: ChildProcess): Promise<ReconResult> {
  const recon = await reconDay(child);
  process.stderr.write(`bench: recon: reconciling ${recon.payments} payments of ${recon.provider} ${recon.day} (seeded in ${recon.seedSeconds} s)\n`);
  const sampler = rssSampler(child.pid);
  const rssBeforeMb = sampler.beforeMb;
  const started = performance.now();
  let answer: { status: number; body: any };
  try {
    answer = await overSocket(recon.socket, `/reconciliations/${recon.provider}`, { day: recon.day, confirm: false });
  } finally {
    sampler.stop();
  }
  const seconds = Math.round((performance.now() - started) / 10) / 100;
  const peakRssMb = sampler.stop();
  const report = answer.body as { status?: string; counts?: Record<string, number> };
  const counts = answer.status === 200 && report.counts ? report.counts : null;
  const plantedFound = counts !== null && Object.entries(recon.expected).every(([kind, n]) => counts[kind] === n);
  const error = answerError(answer);
  return {
    name: 'recon', scenario: `reconciliation (${recon.payments.toLocaleString('en')} payments)`, payments: recon.payments, seconds, peakRssMb, rssBeforeMb,
    target: `≤ ${RECON_TARGET.seconds} s, ≤ ${RECON_TARGET.peakRssMb} MB`,
    met: plantedFound && seconds <= RECON_TARGET.seconds && peakRssMb !== null && peakRssMb <= RECON_TARGET.peakRssMb,
    plantedFound, status: report.status ?? 'failed', counts, expected: recon.expected, seedSeconds: recon.seedSeconds,
    ...(error ? { error: String(error) } : {}),
  };
}

/** The row of the bench's table (its columns: scenario, pays/s, p50, p99, ratio, target, met, peak RSS, errors, non-zero). */
export function reconRow(r: ReconResult): (string | number)[] {
  const perSec = r.seconds > 0 ? Math.round(r.payments / r.seconds) : '-';
  const ratio = r.seconds > 0 ? Math.round((RECON_TARGET.seconds / r.seconds) * 100) / 100 : '-';
  return [`${r.scenario} ${r.seconds} s`, perSec, '-', '-', ratio, r.target, r.met ? 'yes' : 'NO', r.peakRssMb ?? '-', r.plantedFound ? 0 : 1, '-'];
}

/** The `reconciliation` entry of bench/results/latest.json. */
export function reconEntry(r: ReconResult): Record<string, unknown> {
  return {
    payments: r.payments, seconds: r.seconds, peakRssMb: r.peakRssMb, rssBeforeMb: r.rssBeforeMb, target: RECON_TARGET, met: r.met,
    plantedFound: r.plantedFound, status: r.status, counts: r.counts, expected: r.expected, seedSeconds: r.seedSeconds, ...(r.error ? { error: r.error } : {}),
  };
}

/** One line under the table: what was found against what was planted, and why a run failed. */
export function reconSummary(r: ReconResult): string {
  const found = r.counts ? Object.entries(r.counts).map(([kind, n]) => `${kind} ${n}`).join(', ') : 'nothing';
  return `reconciliation: ${r.status}; found ${found}; planted ${Object.entries(r.expected).map(([kind, n]) => `${kind} ${n}`).join(', ')}`
    + ` — ${r.plantedFound ? 'all found' : 'NOT all found'}; RSS before ${r.rssBeforeMb ?? '-'} MB; day seeded in ${r.seedSeconds} s${r.error ? `; error: ${r.error}` : ''}`;
}
