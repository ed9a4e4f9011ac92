import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Failed authentications are slowed, per source address and per credential. `maxFailures` failures within `windowMs`
 * are allowed; the next one blocks that key for `windowMs`, and every further block of the same key doubles, up to
 * `maxDelayMs`. Blocks always end: an attacker who knows an agent's login can delay that agent, never lock it out.
 * One instance counts in memory; several share the counts through Redis (REDIS_URL).
 */
/** Failed authentications allowed per window, the longest block, and where the counts are shared. */
export interface AuthThrottleLimits {
  maxFailures: number;
  windowMs: number;
  maxDelayMs: number;
  redisUrl: string | undefined;
}

/** What a counter answers: failures so far and the milliseconds until the key is clean again. */
interface Count {
  current: number;
  ttl: number;
}
type Callback = (error: Error | null, count?: Count) => void;

/** The store interface of @fastify/rate-limit (incr / read / child), with growing blocks instead of fixed windows. */
interface BackoffStore {
  incr(key: string, callback: Callback, windowMs: number, max: number): void;
  read(key: string, callback: Callback): void;
  child(): BackoffStore;
}

/** Keys are forgotten this long after their last block, so the doubling starts again for a key that behaved. */
const strikeMemoryMs = (limits: AuthThrottleLimits) => 2 * limits.maxDelayMs + limits.windowMs;
const blockMs = (limits: AuthThrottleLimits, strikes: number) => Math.min(limits.windowMs * 2 ** Math.min(strikes - 1, 40), limits.maxDelayMs);

/** In memory, bounded: when full, the oldest keys go (a flood of new keys can only forget, never grow the heap). */
export function memoryBackoffStore(limits: AuthThrottleLimits, maxKeys = 50_000): BackoffStore {
  const entries = new Map<string, { count: number; expiresAt: number; strikes: number; forgetAt: number }>();
  const store: BackoffStore = {
    incr(key, callback, windowMs, max) {
      const now = Date.now();
      let entry = entries.get(key);
      if (!entry || entry.forgetAt <= now) entry = { count: 0, expiresAt: 0, strikes: 0, forgetAt: 0 };
      if (entry.expiresAt <= now) Object.assign(entry, { count: 0, expiresAt: now + windowMs });
      entry.count += 1;
      if (entry.count > max) {
        entry.strikes += 1;
        entry.expiresAt = now + blockMs(limits, entry.strikes);
      }
      entry.forgetAt = Math.max(entry.expiresAt, entry.strikes > 0 ? now + strikeMemoryMs(limits) : 0);
      entries.delete(key);
      entries.set(key, entry);
      if (entries.size > maxKeys) entries.delete(entries.keys().next().value!);
      callback(null, { current: entry.count, ttl: entry.expiresAt - now });
    },
    read(key, callback) {
      const now = Date.now();
      const entry = entries.get(key);
      callback(null, entry && entry.expiresAt > now ? { current: entry.count, ttl: entry.expiresAt - now } : { current: 0, ttl: 0 });
    },
    child: () => store,
  };
  return store;
}

/** Counts and strikes in one script, so that concurrent failures on several instances never lose a count. */
const INCR_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
if count > tonumber(ARGV[2]) then
  local strikes = redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  ttl = math.floor(math.min(tonumber(ARGV[1]) * 2 ^ math.min(strikes - 1, 40), tonumber(ARGV[3])))
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {count, ttl}`;

const READ_SCRIPT = `
local count = redis.call('GET', KEYS[1])
if not count then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
return {tonumber(count), ttl}`;

interface ThrottleCommands {
  tolemThrottleIncr(count: string, strikes: string, windowMs: number, max: number, maxDelayMs: number, memoryMs: number): Promise<[number, number]>;
  tolemThrottleRead(count: string): Promise<[number, number]>;
}

export function redisBackoffStore(limits: AuthThrottleLimits, redis: Redis, prefix = 'tolem:auth-throttle:'): BackoffStore {
  const client = redis as unknown as ThrottleCommands;
  if (typeof client.tolemThrottleIncr !== 'function') {
    redis.defineCommand('tolemThrottleIncr', { numberOfKeys: 2, lua: INCR_SCRIPT });
    redis.defineCommand('tolemThrottleRead', { numberOfKeys: 1, lua: READ_SCRIPT });
  }
  const answer = (callback: Callback) => ([current, ttl]: [number, number]) => callback(null, { current, ttl });
  const store: BackoffStore = {
    incr(key, callback, windowMs, max) {
      client.tolemThrottleIncr(`${prefix}${key}`, `${prefix}${key}:strikes`, windowMs, max, limits.maxDelayMs, strikeMemoryMs(limits))
        .then(answer(callback), (error: Error) => callback(error));
    },
    read(key, callback) {
      client.tolemThrottleRead(`${prefix}${key}`).then(answer(callback), (error: Error) => callback(error));
    },
    child: () => store,
  };
  return store;
}

/**
 * Registers @fastify/rate-limit (no global limit: only failed authentications are counted) on the store the limits
 * ask for. Answers a function that closes the Redis connection, if one was opened.
 */
export async function registerAuthThrottle(app: FastifyInstance, limits: AuthThrottleLimits, log: Logger): Promise<() => Promise<void>> {
  const redis = limits.redisUrl ? new Redis(limits.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false }) : undefined;
  // Without Redis the counts are still kept per instance; a Redis outage must not take authentication down with it.
  redis?.on('error', (error: Error) => log.warn({ err: { message: error.message } }, 'auth throttle: Redis unavailable'));
  const store = redis ? redisBackoffStore(limits, redis) : memoryBackoffStore(limits);
  // @fastify/rate-limit instantiates the store class itself; this one hands back the store built above.
  const Store = function StoreOfThisApp() { return store; } as unknown as new () => BackoffStore;
  await app.register(fastifyRateLimit, { global: false, store: Store, skipOnError: true, max: limits.maxFailures, timeWindow: limits.windowMs });
  return async () => void (await redis?.quit().catch(() => undefined));
}

export interface AuthThrottle {
  /** Seconds to wait when the request's address or credential is blocked now; undefined when it may try. */
  blocked(request: FastifyRequest, credential: string | undefined): Promise<number | undefined>;
  /** Counts a failed authentication; seconds to wait when this failure started a block. */
  failed(request: FastifyRequest, credential: string | undefined): Promise<number | undefined>;
}

/**
 * A credential is never a key as sent: a hash under the scope's name (a token must not reach Redis or a log, and its
 * stored SHA-256 must not either).
 */
function credentialKey(scope: string, credential: string): string {
  return createHash('sha256').update(`tolem auth throttle\0${scope}\0${credential}`).digest('hex').slice(0, 32);
}

export function authThrottle(app: FastifyInstance, scope: string, limits: Pick<AuthThrottleLimits, 'maxFailures' | 'windowMs'>): AuthThrottle {
  const credentials = new WeakMap<FastifyRequest, string | undefined>();
  const common = { max: limits.maxFailures, timeWindow: limits.windowMs };
  const byAddress = app.createRateLimit({ ...common, keyGenerator: (request) => `${scope}:ip:${normalizeIP(request.ip)}` });
  const byCredential = app.createRateLimit({
    ...common,
    keyGenerator: (request) => `${scope}:credential:${credentialKey(scope, credentials.get(request) ?? '')}`,
    allowList: (request) => credentials.get(request) === undefined,
  });
  const waitOf = async (request: FastifyRequest, credential: string | undefined, increment: boolean) => {
    credentials.set(request, credential);
    const results = await Promise.all([byAddress(request, { increment }), byCredential(request, { increment })]);
    const exceeded = results.filter((result) => !result.isAllowed && result.isExceeded);
    if (exceeded.length === 0) return undefined;
    return Math.max(1, ...exceeded.map((result) => (result.isAllowed ? 0 : result.ttlInSeconds)));
  };
  return {
    blocked: (request, credential) => waitOf(request, credential, false),
    failed: (request, credential) => waitOf(request, credential, true),
  };
}
