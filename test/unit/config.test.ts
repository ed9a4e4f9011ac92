/**
 * One validated configuration (issue 9 item 3): every variable is declared once in src/config.ts; the README's
 * configuration table, and the partner READMEs' tables it links to, list exactly those variables; a bad value is
 * refused with a message naming the variable; the defaults are the ones Tolem has always had.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, VARIABLES } from '../../src/config.ts';
import { ELSOM_MERCHANT_STATUS_PATH } from '../../src/acquiring/elsom-merchant/config.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Backticked variable names in the first cell of every table whose header's first cell is "variable". */
function tableVariables(markdown: string): string[] {
  const names: string[] = [];
  let inTable = false;
  for (const line of markdown.split('\n').map((l) => l.trim())) {
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    const first = line.split('|')[1]!.trim();
    if (/^variable$/i.test(first)) {
      inTable = true;
      continue;
    }
    if (inTable) names.push(...[...first.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!));
  }
  return names;
}

function documented(): { names: Set<string>; files: string[] } {
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Configuration');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end);
  const files = [...new Set([...section.matchAll(/\]\((src\/[^)#]+README\.md)[^)]*\)/g)].map((m) => m[1]!))];
  const names = new Set([...tableVariables(section), ...files.flatMap((file) => tableVariables(readFileSync(resolve(ROOT, file), 'utf8')))]);
  return { names, files };
}

describe('configuration: the schema and the README', () => {
  const { names, files } = documented();

  it('links the partner READMEs that hold the partner variables', () => {
    expect(files.sort()).toEqual(['src/checkout/README.md', 'src/gateways/elsom-biller/README.md', 'src/providers/alseco/README.md']);
  });

  it('every variable the schema knows is in a configuration table', () => {
    expect(Object.keys(VARIABLES).filter((name) => !names.has(name)).sort()).toEqual([]);
  });

  it('every variable in a configuration table is known to the schema', () => {
    expect([...names].filter((name) => !(name in VARIABLES)).sort()).toEqual([]);
  });

  it('every variable has a default and a meaning', () => {
    for (const [name, variable] of Object.entries(VARIABLES)) {
      expect(variable.default, name).not.toBe('');
      expect(variable.meaning, name).not.toBe('');
    }
  });
});

describe('configuration: bad values', () => {
  const refused = (env: Record<string, string>, variable: string) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error, JSON.stringify(env)).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(new RegExp(`^${variable}\\b`));
    expect((error as ConfigError).variables).toContain(variable);
  };

  it.each([
    ['PORT', 'abc'],
    ['DB_POOL_MAX', '0'],
    ['LEASE_MS', '10'],
    ['TOLEM_CLOCK', 'tomorrow'],
    ['PUBLIC_URL', 'ftp://x'],
    ['SANDBOX', 'maybe'],
    ['TOLEM_TZ', 'Asia/Almaty'],
    ['SANDBOX_CONTROL_ALLOW', '10.0.0.0/99'],
    ['QUEUE_POLL_SECONDS', 'often'],
    ['LOG_LEVEL', 'loud'],
    ['ALSECO_BANK_CODE', 'TOO-LONG'],
    ['ALSECO_URL', 'alseco.kz'],
    ['ELSOM_PATH', 'elsom'],
    ['ELSOM_MAX_BYTES', '10'],
    ['ELSOM_WALLET_RETRIES', '1000'],
    ['CHECKOUT_POLL_MS', '5'],
    ['ASSIST_FORMAT', 'yaml'],
    ['ASSIST_SIGNATURE_DIGEST', 'crc32'],
    ['TOLEM_SECRETS_KEY', 'c2hvcnQ='],
  ])('%s=%s is refused, naming the variable', (name, value) => refused({ [name]: value }, name));

  it('an acquirer URL without its credentials names the missing variable', () => {
    refused({ ASSIST_URL: 'https://assist.example' }, 'ASSIST_MERCHANT_ID');
    refused({ ELSOM_MERCHANT_URL: 'https://elsom.example', ELSOM_MERCHANT_TENANT_ID: '1', ELSOM_MERCHANT_WALLET: '0555000000', ELSOM_MERCHANT_PARTNER_CODE: 'P' }, 'ELSOM_MERCHANT_PASSWORD');
  });

  it('a secrets key is 32 bytes of base64, and a refused one is not repeated in the message', () => {
    const key = Buffer.alloc(32, 7);
    expect(loadConfig({ TOLEM_SECRETS_KEY: key.toString('base64') }).secretsKey).toEqual(key);
    expect(loadConfig({ TOLEM_SECRETS_KEY: key.toString('base64url') }).secretsKey).toEqual(key);
    const almost = Buffer.alloc(31, 7).toString('base64');
    expect(() => loadConfig({ TOLEM_SECRETS_KEY: almost })).toThrow(/^TOLEM_SECRETS_KEY must be the base64 of 32 bytes/);
    expect(() => loadConfig({ TOLEM_SECRETS_KEY: almost })).not.toThrow(almost);
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'abc', SANDBOX: 'maybe' })).toThrow(/PORT .*; SANDBOX /);
  });
});

describe('configuration: defaults', () => {
  it('are the ones Tolem has always had', () => {
    const config = loadConfig({});
    expect({ ...config, catalogFile: undefined }).toEqual({
      host: '127.0.0.1', port: 8080, publicUrl: undefined, databaseUrl: undefined, dataDir: './data', dbSchema: 'public', dbPoolMax: 10,
      logLevel: 'info', trustProxy: false, hubOffsetMinutes: 300, catalogFile: undefined, sandbox: true, sandboxUrl: undefined,
      sandboxControlAllow: ['127.0.0.0/8', '::1/128'], queueSchema: 'pgboss', queuePollingSeconds: 1, demo: true,
      authCacheMs: 1_000, clockStart: undefined, adminSocket: 'data/tolem.sock', secretsKey: undefined, sessions: { idleMs: 15 * 60_000, lifetimeMs: 12 * 3_600_000 },
      authThrottle: { maxFailures: 10, windowMs: 60_000, maxDelayMs: 900_000, redisUrl: undefined },
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 1_000, maxRequestsPerSocket: 1_000 },
      engine: { providerDeadlineMs: 5_000, providerTimeoutMs: 30_000, retryBaseMs: 2_000, retryMaxMs: 300_000, attentionAfterMs: 1_800_000, fundsWaitMs: 3_600_000, leaseMs: 3_000 },
      finalBoundMs: 7_200_000,
      providerCircuits: { windowMs: 60_000, minimumCalls: 20, failurePercent: 50, probeAfterMs: 30_000 },
      alseco: { url: undefined, ercUrl: undefined, bankCode: 'TOLM', offsetMinutes: 300, timeoutMs: 15_000, payTimeoutMs: 30_000, maxResponseBytes: 16 * 1024 * 1024, reconcileCron: '0 1 * * *' },
      elsom: { path: '/elsom', utcOffsetMinutes: 360, maxBytes: 65_536 },
      elsomWallet: { retries: 5, retryIntervalMs: 10_000, requestTimeoutMs: 30_000, terminalId: '1839', login: 'elsom', password: '' },
      checkout: { acquirerTimeoutMs: 15_000, pollMs: undefined, pollMaxMs: 60_000, orderTtlMs: 7_200_000, chargeWarnBeforeMs: 43_200_000 },
      assist: { format: 'json', account: undefined },
      elsomMerchant: { account: undefined },
    });
    expect(config.catalogFile).toMatch(/config\/catalog\.json$/);
  });

  it('the documented default of the Elsom merchant status path is the adapter\'s', () => {
    expect(VARIABLES.ELSOM_MERCHANT_STATUS_PATH.default).toBe(ELSOM_MERCHANT_STATUS_PATH);
  });

  it('real acquirer accounts are read whole', () => {
    const config = loadConfig({
      ASSIST_URL: 'https://assist.example/', ASSIST_MERCHANT_ID: '1', ASSIST_LOGIN: 'login_1', ASSIST_PASSWORD: 'password1', ASSIST_PUBLIC_KEY: 'a\\nb',
      ALSECO_URL: 'http://alseco.example/AlsecoPaymentsService.asmx',
    });
    expect(config.assist.account).toEqual({ baseUrl: 'https://assist.example', merchantId: '1', login: 'login_1', password: 'password1', publicKeyPem: 'a\nb', digest: 'md5', currencies: ['KZT'] });
    expect(config.alseco.ercUrl).toBe('http://alseco.example/AlsecoPaymentsService.asmx');
  });
});
