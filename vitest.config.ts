import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: database-backed files run in parallel forks, bounded so PGlite instances fit comfortably.
    pool: 'forks',
    maxWorkers: 2,
  },
});
