/**
 * The compiled start (bin/build.js): dist/ is the same module graph as src/, loadable by plain Node without tsx, with
 * every file that is not TypeScript beside the code, and it counts as up to date only for the sources it was built
 * from. Built into a temporary folder under .scratch/ (git-ignored; inside the repository, so that the compiled modules
 * find node_modules), never into the repository's dist/ (a hub or a test may be running from it).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, upToDate } from '../../bin/build.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const run = promisify(execFile);
mkdirSync(join(ROOT, '.scratch'), { recursive: true });
const parent = mkdtempSync(join(ROOT, '.scratch', 'build-test-'));
const out = join(parent, 'dist');

beforeAll(async () => {
  await build(out);
}, 120_000);

afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('the compiled start', () => {
  it('compiles every module of src/ and bench/, and plain node loads the whole hub from it', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e',
      `const app = await import(${JSON.stringify(join(out, 'src/app.js'))}); console.log(typeof app.build)`], { cwd: ROOT });
    expect(stdout.trim()).toBe('function');
    expect(existsSync(join(out, 'bench/server.js'))).toBe(true);
    expect(readFileSync(join(out, 'src/app.js'), 'utf8')).not.toMatch(/from\s+["']\.{1,2}\/[^"']*\.ts["']/);
  });

  it('puts the migrations, views and static files beside the compiled modules', () => {
    const migrations = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.sql')).sort();
    expect(migrations(join(out, 'src/store/migrations'))).toEqual(migrations(join(ROOT, 'src/store/migrations')));
    for (const dir of ['src/console/views', 'src/console/static', 'src/checkout/views', 'src/sandbox/static']) {
      expect(readdirSync(join(out, dir)).sort(), dir).toEqual(readdirSync(join(ROOT, dir)).sort());
    }
  });

  it('reads the default catalog from the config/ folder beside dist/, as it does beside src/', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e',
      `const { loadConfig } = await import(${JSON.stringify(join(out, 'src/config.js'))}); console.log(loadConfig({}).catalogFile)`], { cwd: ROOT });
    expect(stdout.trim()).toBe(join(parent, 'config/catalog.json'));
  });

  it('is up to date only for the sources it was built from', () => {
    expect(upToDate(out)).toBe(true);
    const stamp = join(out, 'build.json');
    writeFileSync(stamp, JSON.stringify({ ...JSON.parse(readFileSync(stamp, 'utf8')), digest: 'another tree' }));
    expect(upToDate(out)).toBe(false);
    expect(upToDate(join(parent, 'nothing-here'))).toBe(false);
  });
});
