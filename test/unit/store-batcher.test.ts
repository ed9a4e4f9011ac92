import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/store/batcher.ts';

/** Group commit's batcher: what arrives while batches are in flight goes together next; a failed batch goes one by one. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('Batcher', () => {
  it('sends a call alone at once when nothing is in flight, and gathers the calls that arrive meanwhile', async () => {
    const batches: number[][] = [];
    const first = gate();
    const batcher = new Batcher<number, string>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await first.opened;
      return items.map((item) => `r${item}`);
    }, async (item) => `alone ${item}`, { maxBatch: 3, maxInFlight: 1, maxQueued: 100 });
    const results = [batcher.submit(1), batcher.submit(2), batcher.submit(3), batcher.submit(4), batcher.submit(5)];
    expect(batches).toEqual([[1]]);
    first.open();
    expect(await Promise.all(results)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('runs at most maxInFlight batches at once', async () => {
    let running = 0;
    let most = 0;
    const batcher = new Batcher<number, number>(async (items) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return items;
    }, async (item) => item, { maxBatch: 2, maxInFlight: 2, maxQueued: 100 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => batcher.submit(i)));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(most).toBe(2);
  });

  it('a failed batch is run again item by item: each gets its own result or its own error', async () => {
    const failures: number[] = [];
    const hold = gate();
    let calls = 0;
    const batcher = new Batcher<number, number>(async (items) => {
      calls += 1;
      if (calls === 1) await hold.opened;
      if (items.includes(13)) throw new Error('bad item in the batch');
      return items.map((item) => item * 10);
    }, async (item) => {
      if (item === 13) throw new Error('bad item 13');
      return item;
    }, { maxBatch: 10, maxInFlight: 1, maxQueued: 100 }, { onFailure: (_error, size) => failures.push(size) });
    const first = batcher.submit(1);
    const rest = [12, 13, 14].map((item) => batcher.submit(item).then((value) => ({ value }), (error: Error) => ({ error: error.message })));
    hold.open();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([{ value: 12 }, { error: 'bad item 13' }, { value: 14 }]);
    expect(failures).toEqual([3]);
  });

  it('a call beyond maxQueued runs alone instead of waiting', async () => {
    const hold = gate();
    const batcher = new Batcher<number, string>(async (items) => {
      await hold.opened;
      return items.map(String);
    }, async (item) => `alone ${item}`, { maxBatch: 10, maxInFlight: 1, maxQueued: 2 });
    const results = [1, 2, 3, 4].map((item) => batcher.submit(item));
    expect(await results[3]).toBe('alone 4');
    hold.open();
    expect(await Promise.all(results)).toEqual(['1', '2', '3', 'alone 4']);
  });
});
