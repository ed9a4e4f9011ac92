/** Fuzz: the operator console's login and forms (/console) — mutated and random requests (test/fuzz/kit.ts, surfaces.ts), a seed-fixed set; the campaign is `npm run fuzz`. */
import { fuzzSurfaceFile } from './setup.ts';

fuzzSurfaceFile('console', 300);
