import { parseOffset } from './domain/time.ts';
import { parseInstant } from './domain/clock.ts';
import { ipAllowed } from './domain/cidr.ts';
import type { EngineConfig } from './engine/payments.ts';

/** Everything configurable, from environment variables; defaults make `tolem start` a complete system on one machine. */
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
  /** Create a demo agent on the first start (prints its token). */
  demo: boolean;
  /** How long a token's lookup is cached: confirmations and revocations take effect within this. */
  authCacheMs: number;
  /**
   * Start the hub's clock at this instant instead of the machine's time (it runs on at real speed): for sandbox runs
   * and tests of calendar edges. Unset in production.
   */
  clockStart: Date | undefined;
  /** Failed authentications: how many per window, and how long blocks may grow (agent API 429, Elsom 201). */
  /** The shape of http/auth-throttle.ts's AuthThrottleLimits (config sits below http and does not import it). */
  authThrottle: { maxFailures: number; windowMs: number; maxDelayMs: number; redisUrl: string | undefined };
  http: HttpLimits;
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

/** An integer environment variable (≥ min), or the fallback when unset; anything else is a configuration error. */
export function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

/** A true/false environment variable, or the fallback when unset. */
export function envBool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

/** An absolute http(s) URL without a trailing slash, or undefined when unset. */
export function envUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name} must be an http or https URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

/** A comma-separated list of IP addresses or CIDR blocks, each checked now rather than at the first request. */
export function envCidrs(env: NodeJS.ProcessEnv, name: string, fallback: string[]): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const list = raw.split(',').map((item) => item.trim()).filter(Boolean);
  try {
    ipAllowed(list, '127.0.0.1');
  } catch (error) {
    throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return list;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    host: env.HOST ?? '127.0.0.1',
    port: envInt(env, 'PORT', 8080),
    publicUrl: envUrl(env, 'PUBLIC_URL'),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.TOLEM_DATA ?? './data',
    dbSchema: env.DB_SCHEMA ?? 'public',
    logLevel: env.LOG_LEVEL ?? 'info',
    trustProxy: envBool(env, 'TRUST_PROXY', false),
    hubOffsetMinutes: parseOffset(env.TOLEM_TZ ?? '+05:00'),
    catalogFile: env.CATALOG_FILE ?? new URL('../config/catalog.json', import.meta.url).pathname,
    sandbox: envBool(env, 'SANDBOX', true),
    sandboxUrl: env.SANDBOX_URL || undefined,
    sandboxControlAllow: envCidrs(env, 'SANDBOX_CONTROL_ALLOW', ['127.0.0.0/8', '::1/128']),
    queueSchema: env.QUEUE_SCHEMA ?? 'pgboss',
    queuePollingSeconds: Math.max(0.5, Number(env.QUEUE_POLL_SECONDS ?? '1')),
    demo: envBool(env, 'DEMO', true),
    authCacheMs: envInt(env, 'AUTH_CACHE_MS', 1_000),
    clockStart: env.TOLEM_CLOCK ? parseInstant(env.TOLEM_CLOCK, 'TOLEM_CLOCK') : undefined,
    authThrottle: {
      maxFailures: envInt(env, 'AUTH_FAIL_MAX', 10, 1),
      windowMs: envInt(env, 'AUTH_FAIL_WINDOW_MS', 60_000, 1),
      maxDelayMs: envInt(env, 'AUTH_FAIL_MAX_DELAY_MS', 15 * 60_000, 1),
      redisUrl: env.REDIS_URL || undefined,
    },
    http: {
      headersTimeoutMs: envInt(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 1),
      requestTimeoutMs: envInt(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1),
      keepAliveTimeoutMs: envInt(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000, 1),
      maxConnections: envInt(env, 'HTTP_MAX_CONNECTIONS', 1_000, 1),
      maxRequestsPerSocket: envInt(env, 'HTTP_MAX_REQUESTS_PER_SOCKET', 1_000, 0),
    },
    engine: {
      providerDeadlineMs: envInt(env, 'PROVIDER_DEADLINE_MS', 5_000, 1),
      providerTimeoutMs: envInt(env, 'PROVIDER_TIMEOUT_MS', 30_000, 1),
      retryBaseMs: envInt(env, 'RETRY_BASE_MS', 2_000, 1),
      retryMaxMs: envInt(env, 'RETRY_MAX_MS', 300_000, 1),
      attentionAfterMs: envInt(env, 'ATTENTION_AFTER_MS', 30 * 60_000, 0),
      fundsWaitMs: envInt(env, 'FUNDS_WAIT_MS', 60 * 60_000, 0),
      leaseMs: envInt(env, 'LEASE_MS', 3_000, 300),
    },
  };
}
