import { describe, expect, it } from 'vitest';
import { readPgbench } from '../../bench/baselines.ts';

// pgbench 15's summary, as `npm run bench` reads it (the figures of a run on this machine class).
const PGBENCH_15 = `pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: <builtin: TPC-B (sort of)>
scaling factor: 16
query mode: prepared
number of clients: 16
number of threads: 2
maximum number of tries: 1
duration: 10 s
number of transactions actually processed: 52998
number of failed transactions: 0 (0.000%)
latency average = 3.018 ms
initial connection time = 12.604 ms
tps = 5299.812345 (without initial connection time)
`;

describe('the pgbench baselines', () => {
  it('reads tps, latency, transactions and failures from pgbench 15', () => {
    expect(readPgbench(PGBENCH_15, { clients: 16, seconds: 10 })).toEqual({
      tps: 5299.8, latencyAvgMs: 3.018, clients: 16, seconds: 10, transactions: 52998, failed: 0,
    });
  });

  it('refuses an output without a tps line instead of reporting zero', () => {
    expect(() => readPgbench('pgbench: error: connection to server failed\n', { clients: 16, seconds: 10 })).toThrow(/no tps/);
  });
});
