/** Fuzz: the admin API (/api/admin/v1) — mutated and random requests (test/fuzz/kit.ts, surfaces.ts), a seed-fixed set; the campaign is `npm run fuzz`. */
import { fuzzSurfaceFile } from './setup.ts';

fuzzSurfaceFile('admin-api', 400);
