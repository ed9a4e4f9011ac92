#!/usr/bin/env node
// The `tolem` command. It runs the compiled JavaScript in dist/ when dist/ was built from exactly the sources in the
// working tree (`npm run build`, which `npm start` runs first: ~0.3 s), and otherwise the TypeScript sources through
// tsx's loader. Why not always build first: every command would pay the build and write dist/, and commands run side
// by side (the tests run many at once) would race on it; why not always tsx: its loader and the on-the-fly
// transpilation cost the hub ~100 MB of resident memory and a slower start (docs/performance.md, "Memory").
// TOLEM_FROM_SOURCE=1 runs the sources through tsx even when dist/ is up to date.
import { compiled } from './build.js';

const entry = process.env.TOLEM_FROM_SOURCE === '1' ? undefined : compiled('src/cli.js');
if (entry) {
  await import(entry);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
