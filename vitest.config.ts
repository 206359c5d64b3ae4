import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import LongestFirst from './test/sequencer.js';

const ROOT = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  /*
   * The tests import the model from src/ (their types are checked against
   * it) and run it as the command and its worker threads do: compiled, from
   * dist/ (npm test compiles first), loaded by Node itself.  Through
   * vitest's transform every access to another module's binding (A.i32,
   * a layout constant) is a property read on a wrapper object: model code
   * ran about 6 times slower in the test process than in the command
   * (test/memory.test.ts: 17.2 s -> 2.8 s).
   */
  resolve: { alias: [{ find: /^(?:\.\.\/)+src\/(.*)$/, replacement: `${ROOT}dist/src/$1` }] },
  test: {
    server: { deps: { external: [/\/dist\/src\//] } },
    /* A build older than the sources stops the run (test/global_setup.ts). */
    globalSetup: ['test/global_setup.ts'],
    include: ['test/**/*.test.ts'],
    // Every test is bounded by operation counts, runs or schedules, never by
    // time.  The timeout only catches a hang: it is several times the
    // slowest test's quiet duration (~31 s), so a busy machine (two
    // neighbours on a 2-core box run it at about half speed) is slow, not red.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // vitest's default on 2 cores is one worker (cores - 1): files one after
    // another.  Most tests wait on child processes and worker threads, so
    // two files at a time use the two cores.
    maxWorkers: 2,
    /* Longest files first, so the two workers end together (test/sequencer.ts). */
    sequence: { sequencer: LongestFirst },
    // The arena accessors check their indexes (src/shm/kasan.ts): an
    // off-by-one loop over swap_info[], the CPUs, tasks, mms or memcgs is
    // a BUG in every test, worker threads and child processes included.
    env: { SWAPTORTURE_KASAN: '1' },
  },
});
