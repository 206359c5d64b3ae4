import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Multi-worker tests are bounded by operation counts, not time; the
    // timeout only catches a hang.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
