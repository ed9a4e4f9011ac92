/**
 * `npm run fuzz -- [--runs N] [--seed S] [--surface name[,name…]] [--http-every K] [--out file]`: the fuzz campaign. Each surface
 * gets a fresh hub (PGlite in memory, or DATABASE_URL's server in a schema of its own) and N cases from the seed; the
 * summary goes to fuzz/results/latest.json (or --out) (cases, refusals, failures with their first examples, seed, duration).
 * Exit code 1 when any case failed. docs/fuzzing.md explains the surfaces and the oracles.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ciRuns, startFuzzHub } from './setup.ts';
import { SURFACES, type SurfaceName } from './surfaces.ts';
import type { FuzzReport } from './kit.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    surface: { type: 'string', default: SURFACES.join(',') },
    'http-every': { type: 'string', default: '100' },
    out: { type: 'string', default: 'fuzz/results/latest.json' },
  },
});

const surfaces = values.surface.split(',').map((name) => name.trim()).filter(Boolean);
for (const name of surfaces) {
  if (!(SURFACES as readonly string[]).includes(name)) {
    console.error(`unknown surface ${name}; surfaces: ${SURFACES.join(', ')}`);
    process.exit(2);
  }
}
const numRuns = Number(values.runs);
const seed = values.seed !== undefined ? Number(values.seed) : ciRuns(0).seed;
const httpEvery = Number(values['http-every']);

const reports: FuzzReport[] = [];
const started = new Date();
for (const name of surfaces as SurfaceName[]) {
  const hub = await startFuzzHub();
  const t0 = performance.now();
  try {
    const report = await hub.run(name, {
      numRuns, seed, httpEvery, keepExamples: 50,
      onProgress: (done, failures) => {
        if (done % 5_000 < 250 || done === numRuns) process.stderr.write(`${name}: ${done}/${numRuns} cases, ${failures} failures, ${Math.round((performance.now() - t0) / 1000)} s\n`);
      },
    });
    reports.push(report);
    console.log(`${name}: ${report.cases} cases (${report.refused} refused, ${report.overHttp} over HTTP), ${report.failures} failures, ${(report.durationMs / 1000).toFixed(1)} s, max RSS ${report.maxRssMb} MB`);
  } finally {
    await hub.close();
  }
}

const summary = {
  started: started.toISOString(),
  store: process.env.DATABASE_URL ? 'postgresql' : 'pglite',
  seed, runsPerSurface: numRuns, httpEvery,
  totals: { cases: reports.reduce((n, r) => n + r.cases, 0), failures: reports.reduce((n, r) => n + r.failures, 0) },
  surfaces: reports,
};
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(summary, null, 2)}\n`);
console.log(`${values.out}: ${summary.totals.cases} cases, ${summary.totals.failures} failures, seed ${seed}`);
process.exit(summary.totals.failures > 0 ? 1 : 0);
