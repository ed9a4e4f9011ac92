/** Fuzz: the browser back from Assist (/pay/return/:token/:kind) — mutated and random requests (test/fuzz/kit.ts, surfaces.ts), a seed-fixed set; the campaign is `npm run fuzz`. */
import { fuzzSurfaceFile } from './setup.ts';

fuzzSurfaceFile('assist-return', 300);
