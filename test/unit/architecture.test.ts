/**
 * The house rules over the import graph of src/: arrows point gateways/providers/acquiring/checkout → engine →
 * ledger/store, the domain depends on nothing, protocol folders never reach the store, production code never depends
 * on the simulators, and SQL stays in the store, the ledger, the engine and the jobs. What breaks a rule today is
 * listed (KNOWN, KNOWN_SQL) with the reason; the lists may only shrink (a listed arrow or file that is fixed fails
 * the test too, so the lists stay true). Functions stay short (issue 9: "no function longer than about 70 lines"):
 * KNOWN_LONG lists the exceptions (none today), a list that may only shrink as well.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Top-level parts and the parts each may import. app.ts and the CLI are the composition roots and may wire anything. */
const MAY_IMPORT: Record<string, string[]> = {
  domain: [],
  store: ['domain'],
  ledger: ['domain', 'store'],
  engine: ['domain', 'ledger', 'store'],
  jobs: ['domain', 'store'],
  http: ['domain'],
  // Shared XML reading and writing for the codecs: pure, depends on nothing of ours.
  xml: [],
  // Shared page rendering (eta views, static files, the one HTML escaper) for the checkout and the simulators.
  web: [],
  gateways: ['domain', 'engine', 'http', 'xml'],
  providers: ['domain', 'engine', 'http', 'xml'],
  acquiring: ['domain', 'engine', 'http', 'xml'],
  checkout: ['domain', 'engine', 'http', 'web'],
  // The operator console and the agent cabinet: server-rendered pages over the engine's services for people.
  // (http for the failed-login throttle the agent API uses too.)
  console: ['domain', 'engine', 'http', 'web'],
  cabinet: ['domain', 'engine', 'http', 'web'],
  // The admin API (JSON for the console, the cabinet and the CLI): routes over the engine's admin services, no SQL.
  admin: ['domain', 'engine', 'http'],
  // Simulators play the partners' side: they may borrow our codecs (the same bytes on the wire), never the engine.
  sandbox: ['domain', 'http', 'xml', 'web', 'gateways', 'providers', 'acquiring'],
  // Shared by the plugins: what one running Tolem holds, and its configuration.
  context: ['config', 'domain', 'engine', 'jobs', 'store'],
  // The one schema of the environment: it knows each part's settings type (import type only; nothing imports back).
  config: ['domain', 'engine', 'providers', 'gateways', 'checkout', 'acquiring'],
};

/** Arrows that break the rules today, each to be removed by issue 9 ("one anatomy, arrows one way"). */
const KNOWN = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const part = (path: string) => {
  const rel = relative(SRC, path);
  return rel.includes('/') ? rel.split('/')[0]! : rel.replace(/\.ts$/, '');
};

/** Every arrow from a file to another top-level part: "engine/checkout.ts → acquiring". */
function arrows(): Set<string> {
  const found = new Set<string>();
  for (const file of sourceFiles(SRC)) {
    const from = part(file);
    if (!(from in MAY_IMPORT)) continue; // composition roots and shared types at the top may wire anything
    for (const match of readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)[^'";]*?from\s+'(\.[^']+)'/g)) {
      const to = part(resolve(dirname(file), match[1]!));
      if (to !== from && !MAY_IMPORT[from]!.includes(to)) found.add(`${relative(SRC, file)} → ${to}`);
    }
  }
  return found;
}

/** The parts that may hold SQL: the store, the ledger, the engine's services and the job queue. */
const SQL_MAY_LIVE_IN = ['store', 'ledger', 'engine', 'jobs'];

/** Files outside them that hold SQL today, each with the reason; the list may only shrink, like KNOWN. */
const KNOWN_SQL = new Set([
  'app.ts', // the readiness probe's SELECT 1
]);

/** A string literal that starts with a statement: 'SELECT …', `INSERT INTO …`, "UPDATE t SET …", `DELETE FROM …`. */
const SQL_LITERAL = /['"`]\s*(?:SELECT|INSERT INTO|UPDATE\s+\w+\s+SET|DELETE FROM|WITH\s+\w+\s+AS)\b/;

function filesWithSql(): Set<string> {
  return new Set(sourceFiles(SRC)
    .filter((file) => !SQL_MAY_LIVE_IN.includes(part(file)) && SQL_LITERAL.test(readFileSync(file, 'utf8')))
    .map((file) => relative(SRC, file)));
}

/** The longest a function's body may be, braces included (issue 9 asks for about 70; 80 leaves room for a comment). */
const MAX_FUNCTION_LINES = 80;

/**
 * Functions longer than that today, as "file › name"; each to be broken into named functions. The plugin bodies here
 * register handlers inline; `checkoutRoutes` waits for the page templates.
 */
const KNOWN_LONG = new Set<string>([]);

/** A function's name for the list: its own, its variable's, or the call it is passed to (`app.post(…)`). */
function functionName(node: ts.FunctionLikeDeclaration, file: ts.SourceFile): string {
  if (node.name) return node.name.getText(file);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText(file);
  if (ts.isCallExpression(parent)) return `${parent.expression.getText(file)}(…)`;
  return '<anonymous>';
}

/** Every function, method and arrow in src/ whose body spans more than MAX_FUNCTION_LINES lines. */
function longFunctions(): Map<string, number> {
  const found = new Map<string, number>();
  for (const path of sourceFiles(SRC)) {
    const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const body = node.body as ts.Node;
        const lines = file.getLineAndCharacterOfPosition(body.getEnd()).line - file.getLineAndCharacterOfPosition(body.getStart(file)).line + 1;
        if (lines > MAX_FUNCTION_LINES) found.set(`${relative(SRC, path)} › ${functionName(node as ts.FunctionLikeDeclaration, file)}`, lines);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return found;
}

describe('architecture', () => {
  const found = arrows();

  it('no new arrow against the rules', () => {
    expect([...found].filter((arrow) => !KNOWN.has(arrow)).sort()).toEqual([]);
  });

  it('every arrow listed as known still exists (fixed ones leave the list)', () => {
    expect([...KNOWN].filter((arrow) => !found.has(arrow)).sort()).toEqual([]);
  });

  // Issue 9: SQL lives behind the engine's services or in store/ — never in gateways, providers, acquiring, checkout,
  // sandboxes or the CLI, which reach the data through the engine.
  const withSql = filesWithSql();

  it('no SQL outside the store, the ledger, the engine and the jobs', () => {
    expect([...withSql].filter((file) => !KNOWN_SQL.has(file)).sort()).toEqual([]);
  });

  it('every file listed as holding SQL still does (fixed ones leave the list)', () => {
    expect([...KNOWN_SQL].filter((file) => !withSql.has(file)).sort()).toEqual([]);
  });

  // Issue 9: no function longer than about 70 lines; plugin bodies register handlers that live in named functions.
  const long = longFunctions();

  it(`no new function longer than ${MAX_FUNCTION_LINES} lines`, () => {
    expect([...long].filter(([name]) => !KNOWN_LONG.has(name)).map(([name, lines]) => `${name}: ${lines} lines`).sort()).toEqual([]);
  });

  it('every function listed as long still is (shortened ones leave the list)', () => {
    expect([...KNOWN_LONG].filter((name) => !long.has(name)).sort()).toEqual([]);
  });
});
