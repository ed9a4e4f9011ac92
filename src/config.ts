import { parseOffset } from './domain/time.ts';
import type { EngineConfig } from './engine/payments.ts';

/** Everything configurable, from environment variables; defaults make `tolem start` a complete system on one machine. */
export interface Config {
  host: string;
  port: number;
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
  queueSchema: string;
  queuePollingSeconds: number;
  engine: EngineConfig;
  /** Create a demo agent on the first start (prints its token). */
  demo: boolean;
  /** How long a token's lookup is cached: confirmations and revocations take effect within this. */
  authCacheMs: number;
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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    host: env.HOST ?? '127.0.0.1',
    port: envInt(env, 'PORT', 8080),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.TOLEM_DATA ?? './data',
    dbSchema: env.DB_SCHEMA ?? 'public',
    logLevel: env.LOG_LEVEL ?? 'info',
    trustProxy: envBool(env, 'TRUST_PROXY', false),
    hubOffsetMinutes: parseOffset(env.TOLEM_TZ ?? '+05:00'),
    catalogFile: env.CATALOG_FILE ?? new URL('../config/catalog.json', import.meta.url).pathname,
    sandbox: envBool(env, 'SANDBOX', true),
    sandboxUrl: env.SANDBOX_URL || undefined,
    queueSchema: env.QUEUE_SCHEMA ?? 'pgboss',
    queuePollingSeconds: Math.max(0.5, Number(env.QUEUE_POLL_SECONDS ?? '1')),
    demo: envBool(env, 'DEMO', true),
    authCacheMs: envInt(env, 'AUTH_CACHE_MS', 1_000),
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
