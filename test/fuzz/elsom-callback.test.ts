/** Fuzz: Elsom's PartnerPaymentResult callback (POST /pay/elsom/callback) — mutated and random requests (test/fuzz/kit.ts, surfaces.ts), a seed-fixed set; the campaign is `npm run fuzz`. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ciRuns, startFuzzHub, type FuzzHub } from './setup.ts';

let hub: FuzzHub;
beforeAll(async () => {
  hub = await startFuzzHub();
});
afterAll(async () => hub?.close());

it('answers every case in the protocol\'s own format, never 5xx nor runtime text, a refusal writes nothing, and stays healthy', async () => {
  const report = await hub.run('elsom-callback', { ...ciRuns(400), httpEvery: 10 });
  expect(report.examples).toEqual([]);
  expect(report.cases).toBe(ciRuns(400).numRuns);
  expect(report.refused).toBeGreaterThan(0);
}, 120_000);
