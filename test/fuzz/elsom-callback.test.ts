/** Fuzz: Elsom's PartnerPaymentResult callback (POST /pay/elsom/callback) — mutated and random requests (test/fuzz/kit.ts, surfaces.ts), a seed-fixed set; the campaign is `npm run fuzz`. */
import { fuzzSurfaceFile } from './setup.ts';

fuzzSurfaceFile('elsom-callback', 400);
