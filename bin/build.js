#!/usr/bin/env node
/**
 * `npm run build` (and `npm start`'s prestart): compiles src/ and bench/ into dist/ — dist/src/…, dist/bench/… — so
 * that the hub starts from plain JavaScript, without tsx's loader (a second thread with its own V8) and without
 * transpiling every module on each start (docs/performance.md, "Memory").
 *
 * Why esbuild and not tsc: the same emit in ~0.2 s instead of ~6 s and ~540 MB (tsc parses and checks the whole
 * program; `npm run typecheck` does that job). Each file is compiled on its own (types erased, nothing bundled):
 * esbuild's resolver sees every import, and a relative one (`./x.ts`) is kept as an import of the compiled file
 * (`./x.js`), so dist/ is the same module graph as src/. Every file that is not TypeScript (views, static files,
 * migrations, the WSDL) is copied beside the compiled code: the modules find them through import.meta.url as before.
 *
 * dist/ is written in a temporary folder and swapped in by renames, so a hub already running from dist/ never reads a
 * half-written tree. dist/build.json records a digest of the sources; bin/tolem.js and the bench run dist/ only while
 * that digest matches the working tree (upToDate below), and fall back to the TypeScript sources through tsx.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
/** What is compiled (relative to the repository); the digest covers these, this script and what shapes the emit. */
const SOURCES = ['src', 'bench'];
const EMIT_INPUTS = ['tsconfig.json', 'node_modules/esbuild/package.json'];
const STAMP = 'build.json';

/** Every file under the source folders, sorted (relative paths with /). */
function sourceFiles() {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  for (const dir of SOURCES) walk(dir);
  return files.sort();
}

/** One digest of every source file's path and content (and of this script, tsconfig.json, esbuild's version): equal digests, equal dist/. */
function sourceDigest(files = sourceFiles()) {
  const hash = createHash('sha256');
  hash.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const file of EMIT_INPUTS) if (existsSync(join(ROOT, file))) hash.update(`\0${file}\0`).update(readFileSync(join(ROOT, file)));
  for (const file of files) hash.update(`\0${file}\0`).update(readFileSync(join(ROOT, file)));
  return hash.digest('hex');
}

/** True when dist/ (or the given output folder) was built from exactly the sources in the working tree. */
export function upToDate(outDir = DIST) {
  try {
    const stamp = JSON.parse(readFileSync(join(outDir, STAMP), 'utf8'));
    return stamp.digest === sourceDigest();
  } catch {
    return false;
  }
}

/** The file: URL of a compiled module (e.g. 'src/cli.js') when dist/ is up to date; undefined otherwise. */
export function compiled(path) {
  return upToDate() ? pathToFileURL(join(DIST, path)).href : undefined;
}

/** Compiles every source into a fresh folder and swaps it in as dist/ (or outDir); answers the time it took in ms. */
export async function build(outDir = DIST) {
  const started = performance.now();
  const { build: esbuild } = await import('esbuild');
  const files = sourceFiles();
  const digest = sourceDigest(files);
  const staging = `${outDir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const typescript = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
  await esbuild({
    absWorkingDir: ROOT,
    entryPoints: typescript,
    outdir: staging,
    outbase: '.',
    bundle: true, // only so that the plugin below sees every import; each one is external
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    plugins: [{
      name: 'relative-imports-stay-imports',
      setup(b) {
        b.onResolve({ filter: /^\.\.?\// }, (args) => (args.kind === 'entry-point' ? undefined : { path: args.path.replace(/\.ts$/, '.js'), external: true }));
      },
    }],
  });
  for (const file of files.filter((f) => !f.endsWith('.ts'))) {
    mkdirSync(dirname(join(staging, file)), { recursive: true });
    cpSync(join(ROOT, file), join(staging, file));
  }
  writeFileSync(join(staging, STAMP), `${JSON.stringify({ digest, builtAt: new Date().toISOString(), files: files.length })}\n`);
  swapIn(staging, outDir);
  return performance.now() - started;
}

/** Replaces dist/ by the staging folder with two renames (a concurrent build that swapped first wins; ours is dropped). */
function swapIn(staging, outDir) {
  const old = `${outDir}.old-${process.pid}`;
  if (existsSync(outDir)) renameSync(outDir, old);
  try {
    renameSync(staging, outDir);
  } catch (error) {
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    rmSync(staging, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
}

if (process.argv[1] && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  if (process.argv.includes('--if-stale') && upToDate()) process.exit(0);
  const ms = await build();
  process.stderr.write(`tolem: compiled ${SOURCES.join(', ')} into dist${sep} in ${Math.round(ms)} ms\n`);
}
