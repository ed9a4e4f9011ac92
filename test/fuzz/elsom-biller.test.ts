/** Fuzz: the Elsom biller XML gateway (POST /elsom, windows-1251) — mutated and random requests (test/fuzz/kit.ts, surfaces.ts), a seed-fixed set; the campaign is `npm run fuzz`. */
import { fuzzSurfaceFile } from './setup.ts';

fuzzSurfaceFile('elsom-biller', 600);
