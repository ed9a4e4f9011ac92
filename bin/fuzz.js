#!/usr/bin/env node
// `npm run fuzz`: the fuzz campaign (test/fuzz/campaign.ts), through tsx's loader like `npm run bench`.
import { register } from 'tsx/esm/api';

register();
await import('../test/fuzz/campaign.ts');
