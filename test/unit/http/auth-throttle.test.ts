import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { memoryBackoffStore, redisBackoffStore } from '../../../src/http/auth-throttle.ts';

/** The throttle's stores: blocks double per repeated offence, are capped (never a permanent lock-out), and peeking never counts. */
const limits = { maxFailures: 2, windowMs: 1_000, maxDelayMs: 3_500, redisUrl: undefined };
type Store = ReturnType<typeof memoryBackoffStore>;
const incr = (store: Store, key: string) => new Promise<{ current: number; ttl: number }>((resolve, reject) => store.incr(key, (error, count) => (error ? reject(error) : resolve(count!)), limits.windowMs, limits.maxFailures));
const read = (store: Store, key: string) => new Promise<{ current: number; ttl: number }>((resolve, reject) => store.read(key, (error, count) => (error ? reject(error) : resolve(count!))));

describe('memory store', () => {
  afterEach(() => vi.useRealTimers());

  it('allows maxFailures, then blocks for the window, then 2×, 4×… up to maxDelayMs', async () => {
    vi.useFakeTimers({ now: Date.UTC(2030, 0, 1), toFake: ['Date'] });
    const store = memoryBackoffStore(limits);
    const blocks: number[] = [];
    for (let round = 0; round < 4; round++) {
      expect((await incr(store, 'k')).current).toBe(1);
      expect((await incr(store, 'k')).current).toBe(2);
      const blocked = await incr(store, 'k');
      expect(blocked.current).toBe(3);
      blocks.push(blocked.ttl);
      expect(await read(store, 'k')).toEqual(blocked);
      vi.setSystemTime(Date.now() + blocked.ttl);
      expect((await read(store, 'k')).current).toBe(0);
    }
    expect(blocks).toEqual([1_000, 2_000, 3_500, 3_500]);
  });

  it('forgets a key that behaved, and keeps a bounded number of keys', async () => {
    vi.useFakeTimers({ now: Date.UTC(2030, 0, 1), toFake: ['Date'] });
    const store = memoryBackoffStore(limits, 2);
    for (let i = 0; i < 3; i++) await incr(store, 'k');
    vi.setSystemTime(Date.now() + 60_000);
    for (let i = 0; i < 2; i++) await incr(store, 'k');
    expect((await incr(store, 'k')).ttl).toBe(1_000);
    await incr(store, 'a');
    await incr(store, 'b');
    expect((await read(store, 'k')).current).toBe(0);
  });
});

describe('Redis store (127.0.0.1:6379)', () => {
  const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const prefix = `tolem:test:${randomBytes(6).toString('hex')}:`;
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('counts, blocks with growing and capped ttl, and peeks without counting', async () => {
    const store = redisBackoffStore(limits, redis, prefix);
    await incr(store, 'k');
    await incr(store, 'k');
    expect((await read(store, 'k')).current).toBe(2);
    const first = await incr(store, 'k');
    expect(first.current).toBe(3);
    expect(first.ttl).toBe(1_000);
    expect((await read(store, 'k')).current).toBe(3);
    // The next offence of the same key, once its block is over: twice as long, then capped.
    await redis.del(`${prefix}k`);
    for (let i = 0; i < 2; i++) await incr(store, 'k');
    expect((await incr(store, 'k')).ttl).toBe(2_000);
    await redis.del(`${prefix}k`);
    for (let i = 0; i < 2; i++) await incr(store, 'k');
    expect((await incr(store, 'k')).ttl).toBe(3_500);
    expect(await redis.pttl(`${prefix}k:strikes`)).toBeGreaterThan(0);
  });
});
