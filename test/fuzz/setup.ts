/**
 * One fuzz file's hub: a fresh Tolem on its own store (no job workers: a refused request must write nothing by itself,
 * and a drive in the background would blur that), the world the surfaces need, and both targets.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTolem, type Harness } from '../helpers/harness.ts';
import { httpTarget, injectTarget, runFuzz, type FuzzReport, type FuzzTarget, type RunOptions } from './kit.ts';
import { prepareWorld, surfaceNamed, type SurfaceName, type World } from './surfaces.ts';

export interface FuzzHub {
  h: Harness;
  world: World;
  inject: FuzzTarget;
  http: FuzzTarget;
  run(surface: SurfaceName, options: RunOptions): Promise<FuzzReport>;
  close(): Promise<void>;
}

export async function startFuzzHub(): Promise<FuzzHub> {
  const h = await startTolem({ jobs: false });
  const world = await prepareWorld(h);
  const inject = injectTarget(h.tolem, h.db);
  const http = httpTarget(h.tolem, h.db, h.url);
  return {
    h, world, inject, http,
    run: (surface, options) => runFuzz(surfaceNamed(surface, world), inject, { http, ...options }),
    close: () => h.close(),
  };
}

/** The seed-fixed set in `npm test`: FUZZ_RUNS and FUZZ_SEED move it (the campaign is `npm run fuzz`). */
export function ciRuns(defaultRuns: number): { numRuns: number; seed: number } {
  return { numRuns: Number(process.env.FUZZ_RUNS ?? defaultRuns), seed: Number(process.env.FUZZ_SEED ?? 20261201) };
}

/**
 * The test file of one surface (one file each, so that vitest runs them side by side): a hub of its own, and the
 * seed-fixed set of cases with every answer checked, each refusal's no-write checked, and the hub healthy after.
 */
export function fuzzSurfaceFile(surface: SurfaceName, defaultRuns: number): void {
  let hub: FuzzHub;
  beforeAll(async () => {
    hub = await startFuzzHub();
  });
  afterAll(async () => hub?.close());

  it('answers every case in the protocol\'s own format, never 5xx nor runtime text, a refusal writes nothing, and stays healthy', async () => {
    const report = await hub.run(surface, { ...ciRuns(defaultRuns), httpEvery: 10 });
    expect(report.examples).toEqual([]);
    expect(report.cases).toBe(ciRuns(defaultRuns).numRuns);
    expect(report.refused).toBeGreaterThan(0);
  }, 120_000);
}
