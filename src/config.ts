import { join } from 'node:path';
import { z } from 'zod';
import { parseOffset } from './domain/time.ts';
import { parseInstant, ShiftedClock, systemClock, type Clock } from './domain/clock.ts';
import { ipAllowed } from './domain/cidr.ts';
import type { EngineConfig } from './engine/payments.ts';
import type { ProviderCircuitsConfig } from './engine/provider-circuits.ts';
import type { AlsecoConfig } from './providers/alseco/config.ts';
import type { ElsomConfig, ElsomWalletConfig } from './gateways/elsom-biller/config.ts';
import type { CheckoutSettings } from './checkout/config.ts';
import type { AssistSettings } from './acquiring/assist/config.ts';
import type { ElsomMerchantSettings } from './acquiring/elsom-merchant/config.ts';

/**
 * Everything configurable, from environment variables, read once by loadConfig() at the start and handed to
 * build(config); defaults make `tolem start` a complete system on one machine. Every variable is declared once below
 * (VARIABLES: its parser, its default as the README writes it, one line of meaning); test/unit/config.test.ts checks
 * the README's configuration tables against that list, both ways.
 */
export interface Config {
  host: string;
  port: number;
  /**
   * The base URL people and partners reach this server at (return URLs, the CSP, links, WSDL addresses); unset: the
   * configured host and the port it listens on. Never taken from a request's Host header, which the sender chooses.
   */
  publicUrl: string | undefined;
  databaseUrl: string | undefined;
  dataDir: string;
  dbSchema: string;
  /** PostgreSQL connections this instance opens at most (its pg pool, shared by the API and the job workers). */
  dbPoolMax: number;
  logLevel: string;
  trustProxy: boolean;
  /** The hub's own zone, for transactionDate/statusDate (Kazakhstan, UTC+5, by default). */
  hubOffsetMinutes: number;
  catalogFile: string;
  /** Mount the partner simulators under /sandbox. */
  sandbox: boolean;
  /** Where the engine reaches the sandbox providers; default: this very server. */
  sandboxUrl: string | undefined;
  /** Who may use the sandbox control routes (faults, clocks, planted data, wallet runs): CIDRs, loopback by default. */
  sandboxControlAllow: string[];
  queueSchema: string;
  queuePollingSeconds: number;
  engine: EngineConfig;
  /**
   * The bound the hub publishes: every accepted payment is final within this long (the funds wait and the provider's
   * retries fit inside it). /metrics exports it beside the age of the oldest unfinished payment.
   */
  finalBoundMs: number;
  /** When a provider counts as down, and when it is probed again (src/engine/provider-circuits.ts). */
  providerCircuits: ProviderCircuitsConfig;
  /** Create a demo agent on the first start (prints its token). */
  demo: boolean;
  /** How long a token's lookup is cached: confirmations and revocations take effect within this. */
  authCacheMs: number;
  /**
   * The Unix socket `tolem start` serves the admin API on, for the CLI while the hub runs (file mode 0600: its
   * permissions are the authorization); undefined: none (ADMIN_SOCKET=off, or an in-memory store).
   */
  adminSocket: string | undefined;
  /**
   * TOLEM_SECRETS_KEY: the key second-factor secrets are sealed under at rest (engine/secrets.ts); unset: a key file
   * in the data directory. Several instances on one database need it set, the same on each.
   */
  secretsKey: Buffer | undefined;
  /** Console and cabinet sessions: idle timeout (sliding) and absolute lifetime. */
  sessions: { idleMs: number; lifetimeMs: number };
  /**
   * Start the hub's clock at this instant instead of the machine's time (it runs on at real speed): for sandbox runs
   * and tests of calendar edges. Unset in production.
   */
  clockStart: Date | undefined;
  /** Failed authentications: how many per window, and how long blocks may grow (agent API 429, Elsom 201). */
  /** The shape of http/auth-throttle.ts's AuthThrottleLimits (config sits below http and does not import it). */
  authThrottle: { maxFailures: number; windowMs: number; maxDelayMs: number; redisUrl: string | undefined };
  http: HttpLimits;
  /** The Alseco provider (ALSECO_*; src/providers/alseco/README.md). */
  alseco: AlsecoConfig;
  /** The Elsom biller gateway (ELSOM_PATH, ELSOM_TZ, ELSOM_MAX_BYTES; src/gateways/elsom-biller/README.md). */
  elsom: ElsomConfig;
  /** The wallet simulator's defaults (ELSOM_WALLET_*). */
  elsomWallet: ElsomWalletConfig;
  /** The checkout's timings (CHECKOUT_*; src/checkout/README.md). */
  checkout: CheckoutSettings;
  /** Assist, the card acquirer (ASSIST_*): a real account when ASSIST_URL is set. */
  assist: AssistSettings;
  /** Elsom merchant, the wallet acquirer (ELSOM_MERCHANT_*): a real account when ELSOM_MERCHANT_URL is set. */
  elsomMerchant: ElsomMerchantSettings;
}

/** Limits on every connection, so that slow or idle clients cannot hold the server's sockets. */
export interface HttpLimits {
  /** All request headers must arrive within this (a client dribbling headers is cut off with 408). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Open connections beyond this are refused. */
  maxConnections: number;
  /** A keep-alive connection is closed after this many requests (0: no limit). */
  maxRequestsPerSocket: number;
}

/** A configuration value that cannot be used; the message names the variable. `tolem start` prints it and exits 1. */
export class ConfigError extends Error {
  constructor(readonly variables: string[], message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Value kinds. Each is a zod schema of one raw environment string (undefined when unset; '' counts as unset unless
// said otherwise); a refusal is an issue whose message completes "<NAME> …".

type Raw = string | undefined;

function kind<T>(parse: (raw: Raw) => T): z.ZodType<T, Raw> {
  return z.string().optional().transform((raw, ctx) => {
    try {
      return parse(raw);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error), input: raw });
      return z.NEVER;
    }
  });
}

const unset = (raw: Raw): raw is undefined | '' => raw === undefined || raw === '';

/** An integer in [min, max], or the fallback when unset (undefined: no fallback, the section decides). */
function int<F extends number | undefined = number>(fallback: F, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return kind((raw): number | F => {
    if (unset(raw)) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(max === Number.MAX_SAFE_INTEGER ? `must be an integer ≥ ${min}, got "${raw}"` : `must be an integer in [${min}, ${max}], got "${raw}"`);
    }
    return value;
  });
}

/** A number ≥ min (fractions allowed), or the fallback when unset. */
function decimal(fallback: number, min: number) {
  return kind((raw) => {
    if (unset(raw)) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || raw.trim() === '') throw new Error(`must be a number, got "${raw}"`);
    return Math.max(min, value);
  });
}

/** true/false (also 1/0, yes/no, on/off), or the fallback when unset. */
function bool(fallback: boolean) {
  return kind((raw) => {
    if (unset(raw)) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new Error(`must be true or false, got "${raw}"`);
  });
}

/** Any text; unset (undefined) is the fallback, '' is kept as given (e.g. ALSECO_RECONCILE_CRON='' disables). */
function text(fallback: string, pattern?: RegExp, expected?: string) {
  return kind((raw) => {
    const value = raw ?? fallback;
    if (pattern && !pattern.test(value)) throw new Error(`must be ${expected}, got "${value}"`);
    return value;
  });
}

/** Text, undefined when unset or empty. */
function optionalText() {
  return kind((raw) => (unset(raw) ? undefined : raw));
}

/** An absolute http(s) URL without its trailing slashes, or undefined when unset (blank counts as unset). */
function url() {
  return kind((raw) => {
    const value = raw?.trim();
    if (value === undefined || value === '') return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new Error(`must be an absolute URL, got "${raw}"`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`must be an http or https URL, got "${raw}"`);
    return value.replace(/\/+$/, '');
  });
}

/** A UTC offset such as +05:00, in minutes. */
function offset(fallback: string) {
  return kind((raw) => {
    const value = raw ?? fallback;
    try {
      return parseOffset(value);
    } catch {
      throw new Error(`must be a UTC offset such as ${fallback}, got "${value}"`);
    }
  });
}

/** An ISO-8601 instant with a zone, or undefined when unset. */
function instant() {
  return kind((raw) => {
    if (unset(raw)) return undefined;
    try {
      return parseInstant(raw, 'it');
    } catch {
      throw new Error(`must be an ISO-8601 instant with a zone (e.g. 2027-01-01T00:30:00+06:00), got "${raw}"`);
    }
  });
}

/** A comma-separated list; the fallback when unset or empty. */
function list(fallback: string[]) {
  return kind((raw) => (raw ? raw.split(',').map((item) => item.trim()).filter(Boolean) : fallback));
}

/** A comma-separated list of IP addresses or CIDR blocks, each checked now rather than at the first request. */
function cidrs(fallback: string[]) {
  return kind((raw) => {
    if (raw === undefined || raw.trim() === '') return fallback;
    const items = raw.split(',').map((item) => item.trim()).filter(Boolean);
    ipAllowed(items, '127.0.0.1');
    return items;
  });
}

/**
 * A 32-byte key written in base64 (or base64url), or undefined when unset. The refusal never repeats the value: it is
 * a secret, and config errors are printed.
 */
function key32() {
  return kind((raw) => {
    if (unset(raw)) return undefined;
    const value = raw.trim();
    const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : Buffer.alloc(0);
    if (key.length !== 32) throw new Error('must be the base64 of 32 bytes (e.g. `openssl rand -base64 32`)');
    return key;
  });
}

/** One of a few words. */
function oneOf<const T extends string>(fallback: T, values: readonly T[]) {
  return kind((raw) => {
    const value = unset(raw) ? fallback : raw;
    if (!(values as readonly string[]).includes(value)) throw new Error(`must be ${values.slice(0, -1).join(', ')} or ${values.at(-1)}, got "${value}"`);
    return value as T;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Every variable, once: its parser, its default as the README tables write it, and what it means.

interface Variable {
  schema: z.ZodType<unknown, Raw>;
  /** The default as documented ('unset' when there is none). */
  default: string;
  meaning: string;
}

const v = <T>(schema: z.ZodType<T, Raw>, defaultText: string, meaning: string) => ({ schema, default: defaultText, meaning });

const MINUTE = 60_000;

/**
 * The repository's config/ folder: beside src/, or two folders up when this module runs compiled from dist/src/
 * (bin/build.js), so that the default catalog is the one file in the repository, never a copy.
 */
const CONFIG_DIR = new URL(import.meta.url.endsWith('/dist/src/config.js') ? '../../config/' : '../config/', import.meta.url);

export const VARIABLES = {
  // where and how it runs
  HOST: v(text('127.0.0.1'), '127.0.0.1', 'the address everything is served on'),
  PORT: v(int(8080), '8080', 'the port everything is served on (0: any free port)'),
  PUBLIC_URL: v(url(), 'http://HOST:PORT', "the base URL people and partners reach Tolem at; never a request's Host header"),
  DATABASE_URL: v(optionalText(), 'unset', 'PostgreSQL server; unset: embedded PGlite in TOLEM_DATA'),
  TOLEM_DATA: v(text('./data'), './data', 'PGlite data directory'),
  DB_SCHEMA: v(text('public'), 'public', "schema of Tolem's tables"),
  DB_POOL_MAX: v(int(10, 1, 1_000), '10', 'PostgreSQL connections of this instance at most (its pool)'),
  QUEUE_SCHEMA: v(text('pgboss'), 'pgboss', 'schema of the job queue'),
  QUEUE_POLL_SECONDS: v(decimal(1, 0.5), '1', 'how often job workers poll the queue (at least 0.5)'),
  LOG_LEVEL: v(oneOf('info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info', 'pino log level'),
  TRUST_PROXY: v(bool(false), 'false', 'trust X-Forwarded-For'),
  TOLEM_TZ: v(offset('+05:00'), '+05:00', "the hub's zone for dates in answers"),
  CATALOG_FILE: v(text(new URL('catalog.json', CONFIG_DIR).pathname), 'config/catalog.json', 'services and MNP tables seeded on first start'),
  SANDBOX: v(bool(true), 'true', 'mount the partner simulators under /sandbox'),
  SANDBOX_URL: v(url(), 'this server', 'where the engine reaches the sandbox providers'),
  SANDBOX_CONTROL_ALLOW: v(cidrs(['127.0.0.0/8', '::1/128']), '127.0.0.0/8,::1/128', 'addresses (CIDRs) allowed on the sandbox control routes'),
  DEMO: v(bool(true), 'true', 'create a demo agent on the first start'),
  AUTH_CACHE_MS: v(int(1_000), '1000', "how long a token's lookup is cached"),
  ADMIN_SOCKET: v(optionalText(), 'TOLEM_DATA/tolem.sock', "the Unix socket of the admin API for the CLI while the hub runs (mode 0600); off: none"),
  TOLEM_SECRETS_KEY: v(key32(), 'TOLEM_DATA/secrets.key', 'base64 of 32 bytes: the key second-factor secrets are sealed under; the same on every instance of one database'),
  SESSION_IDLE_MINUTES: v(int(15, 1, 24 * 60), '15', 'a console or cabinet session ends after this long unused'),
  SESSION_LIFETIME_HOURS: v(int(12, 1, 24 * 7), '12', 'and this long after it began, used or not'),
  TOLEM_CLOCK: v(instant(), 'unset', "start the hub's clock at this instant; never in production"),
  // failed authentications
  AUTH_FAIL_MAX: v(int(10, 1), '10', 'failed authentications allowed per key in a window'),
  AUTH_FAIL_WINDOW_MS: v(int(MINUTE, 1), '60000', 'the failed-authentication window'),
  AUTH_FAIL_MAX_DELAY_MS: v(int(15 * MINUTE, 1), '900000', 'the longest block'),
  REDIS_URL: v(optionalText(), 'unset', 'failed-authentication counts shared by all instances; unset: in memory'),
  // connections
  HTTP_HEADERS_TIMEOUT_MS: v(int(10_000, 1), '10000', "a request's headers must arrive within this"),
  HTTP_REQUEST_TIMEOUT_MS: v(int(30_000, 1), '30000', 'the whole request must arrive within this'),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: v(int(5_000, 1), '5000', 'idle keep-alive connections are closed after this'),
  HTTP_MAX_CONNECTIONS: v(int(1_000, 1), '1000', 'open connections at most'),
  HTTP_MAX_REQUESTS_PER_SOCKET: v(int(1_000, 0), '1000', 'requests per keep-alive connection (0: no limit)'),
  // the engine
  PROVIDER_DEADLINE_MS: v(int(5_000, 1), '5000', 'how long a pay waits for the provider before answering 1'),
  PROVIDER_TIMEOUT_MS: v(int(30_000, 1), '30000', 'provider call timeout in background jobs'),
  RETRY_BASE_MS: v(int(2_000, 1), '2000', 'first backoff of unresolved payments'),
  RETRY_MAX_MS: v(int(300_000, 1), '300000', 'longest backoff of unresolved payments'),
  ATTENTION_AFTER_MS: v(int(30 * MINUTE, 0), '1800000', 'unresolved longer than this → attention list'),
  FUNDS_WAIT_MS: v(int(60 * MINUTE, 0), '3600000', 'how long a 220 pay waits for a top-up before 250'),
  LEASE_MS: v(int(3_000, 300), '3000', 'lease on a payment or order whose partner call runs (at least 300)'),
  // provider health (src/engine/provider-circuits.ts): new checks and pays stop while a provider is down
  PROVIDER_BREAKER_WINDOW_MS: v(int(60_000, 1_000), '60000', 'the rolling window of provider health rates'),
  PROVIDER_BREAKER_MIN_CALLS: v(int(20, 1), '20', 'calls in the window before the breaker may open'),
  PROVIDER_BREAKER_FAILURE_PERCENT: v(int(50, 1, 100), '50', 'unknown outcomes above this share (%) open the breaker (100: never)'),
  PROVIDER_BREAKER_PROBE_MS: v(int(30_000, 100), '30000', 'an open breaker lets one probe through after this'),
  FINAL_BOUND_MS: v(int(120 * MINUTE, MINUTE), '7200000', 'the published promise: every payment is final within this (exported on /metrics)'),
  // Alseco (src/providers/alseco/README.md)
  ALSECO_URL: v(url(), 'unset (simulator)', "Alseco's ASMX endpoint"),
  ALSECO_ERC_URL: v(url(), 'ALSECO_URL', 'endpoint of the AstanaErcPaymentService methods'),
  ALSECO_BANK_CODE: v(text('TOLM', /^[A-Za-z]{4}$/, 'four letters'), 'TOLM', 'the four-letter abbreviation Alseco assigned to us'),
  ALSECO_TZ: v(offset('+05:00'), '+05:00', "Alseco's business-day zone"),
  ALSECO_TIMEOUT_MS: v(int(15_000, 1), '15000', 'read-only call timeout'),
  ALSECO_PAY_TIMEOUT_MS: v(int(30_000, 1), '30000', 'pay and rollback timeout'),
  ALSECO_MAX_RESPONSE_BYTES: v(int(16 * 1024 * 1024, 1), '16777216', 'answers above this are refused unread'),
  ALSECO_RECONCILE_CRON: v(text('0 1 * * *'), '0 1 * * *', 'daily reconciliation (UTC); empty disables'),
  // the Elsom biller gateway (src/gateways/elsom-biller/README.md)
  ELSOM_PATH: v(text('/elsom', /^\/[\w\-/.]*$/, 'an absolute URL path'), '/elsom', 'the URL path Elsom POSTs to'),
  ELSOM_TZ: v(offset('+06:00'), '+06:00', "Elsom's wall clock"),
  ELSOM_MAX_BYTES: v(int(64 * 1024, 1024, 1024 * 1024), '65536', 'larger bodies are refused with 202'),
  // the Elsom wallet simulator
  ELSOM_WALLET_RETRIES: v(int(5, 0, 100), '5', 'how many times the wallet repeats an unanswered PAYMENT'),
  ELSOM_WALLET_RETRY_MS: v(int(10_000, 0, 600_000), '10000', 'how long apart'),
  ELSOM_WALLET_TIMEOUT_MS: v(int(30_000, 1, 600_000), '30000', 'how long it waits for one answer'),
  ELSOM_WALLET_TERMINAL: v(text('1839'), '1839', "the wallet's terminal id"),
  ELSOM_WALLET_LOGIN: v(text('elsom'), 'elsom', "the wallet's login"),
  ELSOM_WALLET_PASSWORD: v(text(''), 'empty', "the wallet's password"),
  // the checkout (src/checkout/README.md)
  CHECKOUT_POLL_MS: v(int(undefined, 10), '1000 with the sandbox, 5000 without', 'first delay of a status poll'),
  CHECKOUT_POLL_MAX_MS: v(int(MINUTE, 10), '60000', 'longest delay of a status poll'),
  CHECKOUT_ORDER_TTL_MS: v(int(2 * 60 * MINUTE, 1_000), '7200000', 'an order the acquirer has not confirmed after this is expired'),
  CHECKOUT_CHARGE_WARN_MS: v(int(12 * 60 * MINUTE, 0), '43200000', "warn this long before Assist's 4-day charge window ends"),
  CHECKOUT_ACQUIRER_TIMEOUT_MS: v(int(15_000, 1), '15000', 'every call to an acquirer is abandoned after this'),
  // Assist
  ASSIST_URL: v(url(), 'unset (simulator)', "Assist's server; set: every other ASSIST_* credential is required"),
  ASSIST_MERCHANT_ID: v(optionalText(), 'unset', 'Merchant_ID'),
  ASSIST_LOGIN: v(optionalText(), 'unset', 'web-service login'),
  ASSIST_PASSWORD: v(optionalText(), 'unset', 'web-service password'),
  ASSIST_PUBLIC_KEY: v(kind((raw) => (unset(raw) ? undefined : raw.replace(/\\n/g, '\n'))), 'unset', "Assist's public key in PEM (newlines may be written \\n)"),
  ASSIST_SIGNATURE_DIGEST: v(oneOf('md5', ['md5', 'sha1', 'sha256']), 'md5', "the digest of Assist's signatures"),
  ASSIST_FORMAT: v(oneOf('json', ['csv', 'xml', 'soap', 'json']), 'json', 'answer format for charge'),
  ASSIST_CURRENCIES: v(list(['KZT']), 'KZT', 'currencies of the merchant account'),
  // Elsom merchant
  ELSOM_MERCHANT_URL: v(url(), 'unset (simulator)', "Elsom's merchant API; set: every other ELSOM_MERCHANT_* credential is required"),
  ELSOM_MERCHANT_TENANT_ID: v(optionalText(), 'unset', 'the tenant id of generateOTP'),
  ELSOM_MERCHANT_WALLET: v(optionalText(), 'unset', 'the merchant wallet'),
  ELSOM_MERCHANT_PARTNER_CODE: v(optionalText(), 'unset', 'PartnerCode'),
  ELSOM_MERCHANT_PASSWORD: v(optionalText(), 'unset', 'Password'),
  ELSOM_MERCHANT_STATUS_PATH: v(optionalText(), '/service/v1/merchant/getPaymentStatus/{tenant-id}', "the status method's path (the adapter's ELSOM_MERCHANT_STATUS_PATH)"),
  ELSOM_MERCHANT_CURRENCIES: v(list(['KGS']), 'KGS', "the wallet's currencies"),
  ELSOM_MERCHANT_CALLBACK_IPS: v(list([]), 'empty', 'addresses (CIDRs) Elsom calls back from'),
} satisfies Record<string, Variable>;

export type VariableName = keyof typeof VARIABLES;

const ENVIRONMENT = z.object(Object.fromEntries(Object.entries(VARIABLES).map(([name, variable]) => [name, variable.schema])) as { [K in VariableName]: (typeof VARIABLES)[K]['schema'] });

type Values = z.output<typeof ENVIRONMENT>;

/** Variables that become required once another is set: an acquirer's URL switches it from the sandbox to the partner. */
const REQUIRED_WITH: Partial<Record<VariableName, VariableName[]>> = {
  ASSIST_URL: ['ASSIST_MERCHANT_ID', 'ASSIST_LOGIN', 'ASSIST_PASSWORD', 'ASSIST_PUBLIC_KEY'],
  ELSOM_MERCHANT_URL: ['ELSOM_MERCHANT_TENANT_ID', 'ELSOM_MERCHANT_WALLET', 'ELSOM_MERCHANT_PARTNER_CODE', 'ELSOM_MERCHANT_PASSWORD'],
};

/** Reads and checks every variable at once; a bad value is a ConfigError naming each bad variable. */
/** The clock every process of this configuration reads: the machine's, or one started at TOLEM_CLOCK. */
export function configuredClock(config: Pick<Config, 'clockStart'>): Clock {
  return config.clockStart ? new ShiftedClock(config.clockStart) : systemClock;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(Object.keys(VARIABLES).map((name) => [name, env[name]]));
  const parsed = ENVIRONMENT.safeParse(raw);
  if (!parsed.success) {
    const names = parsed.error.issues.map((issue) => String(issue.path[0]));
    throw new ConfigError(names, parsed.error.issues.map((issue) => `${String(issue.path[0])} ${issue.message}`).join('; '));
  }
  const values = parsed.data;
  const missing = Object.entries(REQUIRED_WITH).flatMap(([when, names]) =>
    values[when as VariableName] === undefined ? [] : names.filter((name) => values[name] === undefined).map((name) => ({ name, when })));
  if (missing.length > 0) {
    throw new ConfigError(missing.map((m) => m.name), missing.map((m) => `${m.name} is required when ${m.when} is set (the acquirer is configured)`).join('; '));
  }
  return assemble(values);
}

/** ADMIN_SOCKET as configured; unset: tolem.sock in the data directory (none for an in-memory store); off: none. */
function adminSocketPath(configured: string | undefined, dataDir: string): string | undefined {
  if (configured === 'off') return undefined;
  if (configured !== undefined) return configured;
  return dataDir.startsWith('memory://') ? undefined : join(dataDir, 'tolem.sock');
}

function assemble(values: Values): Config {
  const e = values;
  return {
    ...server(e),
    authThrottle: { maxFailures: e.AUTH_FAIL_MAX, windowMs: e.AUTH_FAIL_WINDOW_MS, maxDelayMs: e.AUTH_FAIL_MAX_DELAY_MS, redisUrl: e.REDIS_URL },
    http: httpLimits(e),
    engine: engineSettings(e),
    finalBoundMs: e.FINAL_BOUND_MS,
    providerCircuits: {
      windowMs: e.PROVIDER_BREAKER_WINDOW_MS, minimumCalls: e.PROVIDER_BREAKER_MIN_CALLS,
      failurePercent: e.PROVIDER_BREAKER_FAILURE_PERCENT, probeAfterMs: e.PROVIDER_BREAKER_PROBE_MS,
    },
    alseco: alsecoSettings(e),
    elsom: { path: e.ELSOM_PATH, utcOffsetMinutes: e.ELSOM_TZ, maxBytes: e.ELSOM_MAX_BYTES },
    elsomWallet: elsomWalletSettings(e),
    checkout: checkoutSettings(e),
    assist: assistSettings(e),
    elsomMerchant: elsomMerchantSettings(e),
  };
}

/** The server itself: where it listens, its store, its zone, its sandbox. */
function server(e: Values) {
  return {
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.TOLEM_DATA,
    dbSchema: e.DB_SCHEMA,
    dbPoolMax: e.DB_POOL_MAX,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    hubOffsetMinutes: e.TOLEM_TZ,
    catalogFile: e.CATALOG_FILE,
    sandbox: e.SANDBOX,
    sandboxUrl: e.SANDBOX_URL,
    sandboxControlAllow: e.SANDBOX_CONTROL_ALLOW,
    queueSchema: e.QUEUE_SCHEMA,
    queuePollingSeconds: e.QUEUE_POLL_SECONDS,
    demo: e.DEMO,
    authCacheMs: e.AUTH_CACHE_MS,
    adminSocket: adminSocketPath(e.ADMIN_SOCKET, e.TOLEM_DATA),
    secretsKey: e.TOLEM_SECRETS_KEY,
    sessions: { idleMs: e.SESSION_IDLE_MINUTES * MINUTE, lifetimeMs: e.SESSION_LIFETIME_HOURS * 60 * MINUTE },
    clockStart: e.TOLEM_CLOCK,
  } satisfies Partial<Config>;
}

function httpLimits(e: Values): Config['http'] {
  return {
    headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: e.HTTP_MAX_CONNECTIONS,
    maxRequestsPerSocket: e.HTTP_MAX_REQUESTS_PER_SOCKET,
  };
}

function engineSettings(e: Values): Config['engine'] {
  return {
    providerDeadlineMs: e.PROVIDER_DEADLINE_MS,
    providerTimeoutMs: e.PROVIDER_TIMEOUT_MS,
    retryBaseMs: e.RETRY_BASE_MS,
    retryMaxMs: e.RETRY_MAX_MS,
    attentionAfterMs: e.ATTENTION_AFTER_MS,
    fundsWaitMs: e.FUNDS_WAIT_MS,
    leaseMs: e.LEASE_MS,
  };
}

function alsecoSettings(e: Values): Config['alseco'] {
  return {
    url: e.ALSECO_URL,
    ercUrl: e.ALSECO_ERC_URL ?? e.ALSECO_URL,
    bankCode: e.ALSECO_BANK_CODE,
    offsetMinutes: e.ALSECO_TZ,
    timeoutMs: e.ALSECO_TIMEOUT_MS,
    payTimeoutMs: e.ALSECO_PAY_TIMEOUT_MS,
    maxResponseBytes: e.ALSECO_MAX_RESPONSE_BYTES,
    reconcileCron: e.ALSECO_RECONCILE_CRON,
  };
}

function elsomWalletSettings(e: Values): Config['elsomWallet'] {
  return {
    retries: e.ELSOM_WALLET_RETRIES,
    retryIntervalMs: e.ELSOM_WALLET_RETRY_MS,
    requestTimeoutMs: e.ELSOM_WALLET_TIMEOUT_MS,
    terminalId: e.ELSOM_WALLET_TERMINAL,
    login: e.ELSOM_WALLET_LOGIN,
    password: e.ELSOM_WALLET_PASSWORD,
  };
}

function checkoutSettings(e: Values): Config['checkout'] {
  return {
    acquirerTimeoutMs: e.CHECKOUT_ACQUIRER_TIMEOUT_MS,
    pollMs: e.CHECKOUT_POLL_MS,
    pollMaxMs: e.CHECKOUT_POLL_MAX_MS,
    orderTtlMs: e.CHECKOUT_ORDER_TTL_MS,
    chargeWarnBeforeMs: e.CHECKOUT_CHARGE_WARN_MS,
  };
}

/** A real Assist account is set by ASSIST_URL; its other variables are then required (checked before assemble). */
function assistSettings(e: Values): Config['assist'] {
  return {
    format: e.ASSIST_FORMAT,
    account: e.ASSIST_URL === undefined ? undefined : {
      baseUrl: e.ASSIST_URL,
      merchantId: e.ASSIST_MERCHANT_ID!,
      login: e.ASSIST_LOGIN!,
      password: e.ASSIST_PASSWORD!,
      publicKeyPem: e.ASSIST_PUBLIC_KEY!,
      digest: e.ASSIST_SIGNATURE_DIGEST,
      currencies: e.ASSIST_CURRENCIES,
    },
  };
}

/** A real Elsom merchant account is set by ELSOM_MERCHANT_URL, like Assist's. */
function elsomMerchantSettings(e: Values): Config['elsomMerchant'] {
  return {
    account: e.ELSOM_MERCHANT_URL === undefined ? undefined : {
      baseUrl: e.ELSOM_MERCHANT_URL,
      tenantId: e.ELSOM_MERCHANT_TENANT_ID!,
      merchantWallet: e.ELSOM_MERCHANT_WALLET!,
      partnerCode: e.ELSOM_MERCHANT_PARTNER_CODE!,
      password: e.ELSOM_MERCHANT_PASSWORD!,
      statusPath: e.ELSOM_MERCHANT_STATUS_PATH,
      currencies: e.ELSOM_MERCHANT_CURRENCIES,
      callbackAllow: e.ELSOM_MERCHANT_CALLBACK_IPS,
    },
  };
}
