/**
 * The house rules over the import graph of src/: arrows point gateways/providers/acquiring/checkout → engine →
 * ledger/store, the domain depends on nothing, protocol folders never reach the store, production code never depends
 * on the simulators. Arrows that break a rule today are listed in KNOWN with the reason; the list may only shrink (a
 * listed arrow that is gone fails the test too, so the list stays true).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  gateways: ['domain', 'engine', 'http', 'xml'],
  providers: ['domain', 'engine', 'http', 'xml'],
  acquiring: ['domain', 'engine', 'http', 'xml'],
  checkout: ['domain', 'engine', 'http'],
  // Simulators play the partners' side: they may borrow our codecs (the same bytes on the wire), never the engine.
  sandbox: ['domain', 'http', 'xml', 'gateways', 'providers', 'acquiring'],
  // Shared by the plugins: what one running Tolem holds, and its configuration.
  context: ['config', 'domain', 'engine', 'jobs', 'store'],
  config: ['domain', 'engine'],
};

/** Arrows that break the rules today, each to be removed by issue 9 ("one anatomy, arrows one way"). */
const KNOWN = new Set([
  'context.ts → sandbox', // a production type that names the simulators
  'engine/checkout.ts → acquiring', // the checkout engine builds Assist and Elsom requests itself: an Acquirer port is due
  'engine/checkout.ts → checkout', // … and reads the checkout's configuration
  'gateways/agent-api/routes.ts → context', // plugins receive the whole AppContext instead of the services they use
  'gateways/elsom-biller/routes.ts → context',
  'gateways/elsom-biller/store.ts → store', // terminal authentication in SQL inside a protocol folder
  'checkout/routes.ts → context',
  'checkout/routes.ts → acquiring', // composition in a routes file: the acquirers are built there, not in app.ts
  'checkout/config.ts → acquiring',
  'checkout/config.ts → config', // configuration read from the environment at call time, not once by build(config)
  'checkout/config.ts → sandbox', // the real Elsom status path taken from a simulator constant
  'sandbox/elsom-merchant/routes.ts → context',
  'sandbox/elsom-wallet/routes.ts → context',
]);

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

describe('architecture', () => {
  const found = arrows();

  it('no new arrow against the rules', () => {
    expect([...found].filter((arrow) => !KNOWN.has(arrow)).sort()).toEqual([]);
  });

  it('every arrow listed as known still exists (fixed ones leave the list)', () => {
    expect([...KNOWN].filter((arrow) => !found.has(arrow)).sort()).toEqual([]);
  });
});
