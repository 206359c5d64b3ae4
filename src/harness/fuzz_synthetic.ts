/*
 * The fuzzer's synthetic target (`fuzz --target synthetic`): a measure of
 * the coverage guidance itself, not of the swap model.  Two CPUs run the
 * puzzle programs of src/harness/sched_selftest.ts under the random
 * strategy: CPU A opens a window (selftest_puzzle_a) only when the input's
 * key is a multiple of PUZZLE_KEYS, and the "bug" needs the rare pair
 * (selftest_puzzle_a -> selftest_puzzle_b) plus NEED turns of CPU B in a
 * row inside that window.  A fresh input has the right key one time in
 * PUZZLE_KEYS; a guided campaign keeps the inputs that reached the pair
 * and tries new schedules on them, so it should need fewer runs than an
 * unguided one - the test and the bench report both.
 *
 * Context: a fuzz job thread (or the main thread with --jobs 1).
 */
import { attach, createArena } from '../shm/arena.js';
import { clear_reports } from '../shm/report.js';
import { setCurrent, task_init } from '../shm/task.js';
import { coverage_pairs } from '../sched/coverage.js';
import { STRATEGY_RANDOM, STRATEGY_REPLAY } from '../sched/strategy.js';
import { runControlled } from './controlled_run.js';
import { arena_spare_give, arena_spare_take } from './repro.js';
import { sched_selftest_init } from './sched_selftest.js';
import { run_seed } from './fuzz_case.js';
import type { CpuPool } from './cpus.js';
import type { FuzzCase, FuzzResult } from './fuzz_types.js';

const WORK = 6; /* CPU A's points before and after its window */
const STEPS = 24; /* CPU B's turns */
const NEED = 6; /* B's turns in a row inside A's window: the bug */

/** The puzzle's CPUs: A and B. */
export const SYNTHETIC_CPUS = 2;

/** Fresh synthetic case @index of the campaign seeded @seed. */
export function synthetic_fresh_case(seed: number, index: number): FuzzCase {
  const rs = run_seed(seed, index);
  return {
    index, seed: rs, design: 'p4', sched: { kind: 'random' }, bug: null, parent: null,
    synthetic: { key: (rs >>> 8) % 256 },
    /* Never executed: the puzzle needs no system, but a case carries a scenario. */
    scenario: {
      race: 'fuzz-synthetic', title: 'the fuzzer\'s synthetic target', seed: 'none', functions: ['sched-puzzle-a', 'sched-puzzle-b'], bug: 'fuzz', invariant: 'data',
      designs: ['p4'], story: 'See src/harness/fuzz_synthetic.ts.', system: { devices: [{ kind: 'ssd', pages: 1024 }], frames: 64, mmPages: 16, mms: 2 },
      setup: [], cpus: [{ ops: [], filler: 0 }, { ops: [], filler: 0 }], depth: 1, maxSchedules: 1,
    },
  };
}

/**
 * Run synthetic case @c on @pool (a small arena of its own, booted in the
 * pool's spare buffer as run_once boots a model system: a fresh buffer a
 * run was 28 % of a synthetic campaign's job thread, in allocation and
 * the collector): random schedule, or @record replayed.
 */
export async function synthetic_exec(pool: CpuPool, c: FuzzCase, record?: readonly number[]): Promise<FuzzResult> {
  const t0 = performance.now();
  const h = createArena({ nrCpus: 2, nrTasks: 3, maxSwapPages: 1024, nrPages: 16, nrFrames: 64, nrMms: 2, mmPages: 16, schedSteps: 4096 }, arena_spare_take(pool));
  attach(h);
  for (let t = 0; t < 3; t++) task_init(t, t % 2);
  setCurrent(0);
  clear_reports();
  sched_selftest_init();
  pool.setArena(h);
  const specs = [
    { task: 1, cpu: 0, program: 'sched-puzzle-a', args: { key: c.synthetic?.key ?? 1, work: WORK } },
    { task: 2, cpu: 1, program: 'sched-puzzle-b', args: { steps: STEPS, need: NEED } },
  ];
  const r = await runControlled(pool, specs, record !== undefined
    ? { strategy: STRATEGY_REPLAY, seed: c.seed, maxSteps: 4000, record }
    : { strategy: STRATEGY_RANDOM, seed: c.seed, maxSteps: 4000 });
  arena_spare_give(pool, h.sab, r.outcome === 'done' && r.errors.length === 0);
  return {
    index: c.index, seed: c.seed, design: c.design,
    findings: r.violations.map((v) => ({ invariant: v.invariant, message: v.message, step: v.step || r.steps })),
    schedule: r.schedule, steps: r.steps, abnormal: r.outcome === 'done' ? null : r.outcome,
    pairs: coverage_pairs(), ms: Math.round(performance.now() - t0),
  };
}
