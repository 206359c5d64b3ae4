/*
 * Suite "repro": how fast the race catalogue reproduces, and how fast
 * controlled mode hands control over.
 *
 *   npm run bench -- --suite repro
 *
 * Rows:
 *  - per race, the median (over RUNS searches from different seeds) of the
 *    schedules and the milliseconds to the first reproduction, under pct
 *    and under free-running stress (each free run is one schedule; a race
 *    that needs a precise interleaving may not reproduce within the budget:
 *    then the row says so with its budget);
 *  - controlled-mode interleaving points per second on the real model
 *    (swap-mix on 2 CPUs) with pct (few switches) and random (a hand-off at
 *    about every other point), against the raw Atomics.wait/notify
 *    ping-pong round trip of the same machine, measured here too.
 */
import { createArena, attach } from '../src/shm/arena.js';
import { setCurrent, task_init } from '../src/shm/task.js';
import { System } from '../src/api/system.js';
import { load_catalogue } from '../src/scenario/load.js';
import { primary_design, repro_pool, repro_search, type ReproMode } from '../src/harness/repro.js';
import { runControlled } from '../src/harness/controlled_run.js';
import { sched_selftest_init } from '../src/harness/sched_selftest.js';
import { STRATEGY_PCT, STRATEGY_RANDOM } from '../src/sched/strategy.js';
import type { BenchOptions, BenchRow, BenchSuite } from './common.js';

const RUNS = 5;
const STRESS_BUDGET = 200;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function row(name: string, perSec: number, extra: Record<string, number>): BenchRow {
  return { suite: 'repro', name, opsPerSec: perSec, nsPerOp: 1e9 / perSec, vsBaseline: null, baseline: null, samples: RUNS, rme: 0, extra };
}

async function run(_opts: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const catalogue = load_catalogue();
  const pool = repro_pool(catalogue);
  try {
    for (const sc of catalogue) {
      /* Each race on its own design (the ghost races are not in p4). */
      const design = primary_design(sc);
      if (design === null) continue;
      for (const mode of ['pct', 'stress'] as ReproMode[]) {
        const schedules: number[] = [];
        const ms: number[] = [];
        let found = 0;
        for (let k = 0; k < RUNS; k++) {
          const r = await repro_search(pool, sc, { design, mode, fixed: false, seed: 1 + 1000 * k, maxSchedules: mode === 'stress' ? STRESS_BUDGET : sc.maxSchedules, seconds: 30 });
          if (r.reproduced) found++;
          schedules.push(r.reproduced ? r.schedules : Infinity);
          ms.push(r.reproduced ? r.ms : Infinity);
        }
        const m = median(ms);
        process.stderr.write(`bench: repro ${sc.race} ${mode}: reproduced ${found}/${RUNS}, median ${median(schedules)} schedules, ${m} ms\n`);
        rows.push(row(`${sc.race} (${design}), ${mode}: to first reproduction`, Number.isFinite(m) ? 1000 / Math.max(m, 1) : 0, {
          medianSchedules: median(schedules), medianMs: m, reproducedRuns: found, budget: mode === 'stress' ? STRESS_BUDGET : sc.maxSchedules,
        }));
      }
    }

    /* Controlled-mode switch rate on the model. */
    for (const [name, strategy] of [['pct', STRATEGY_PCT], ['random', STRATEGY_RANDOM]] as const) {
      const sys = System.create({ nrCpus: 2, nrTasks: 3, nrFrames: 2048, nrPages: 256, nrMms: 4, mmPages: 128, seed: 5, schedSteps: 1 << 20 });
      sys.createSwapDevice('/dev/ssd', { sizePages: 2000 });
      sys.swapon('/dev/ssd');
      const mms = [sys.mmCreate(), sys.mmCreate()];
      pool.setArena(sys.handle);
      const t0 = performance.now();
      const r = await runControlled(pool, mms.map((mm, i) => ({ task: i + 1, cpu: i, program: 'swap-mix', args: { mm, ops: 300 } })), {
        strategy, seed: 42, maxSteps: 1 << 20, depth: 3, k: 50_000,
      });
      const s = (performance.now() - t0) / 1000;
      rows.push(row(`controlled mode, swap-mix on 2 CPUs, ${name}: interleaving points`, r.steps / s, { steps: r.steps, handoffs: r.preemptions }));
    }

    /* The raw futex hand-off of this machine. */
    const h = createArena({ nrCpus: 2, nrTasks: 3, maxSwapPages: 1024, nrPages: 16, nrFrames: 64, nrMms: 2, mmPages: 64 });
    attach(h);
    for (let t = 0; t < 3; t++) task_init(t, t % 2);
    setCurrent(0);
    sched_selftest_init();
    pool.setArena(h);
    const ROUNDS = 20_000;
    const t0 = performance.now();
    await pool.run([0, 1].map((role) => ({ task: role + 1, cpu: role, program: 'sched-pingpong', args: { role, rounds: ROUNDS } })));
    const rt = (performance.now() - t0) / ROUNDS;
    rows.push(row('raw Atomics.wait/notify ping-pong: round trips', 1000 / rt, { roundTripUs: rt * 1000 }));
  } finally {
    await pool.destroy();
  }
  return rows;
}

export const suite: BenchSuite = {
  name: 'repro',
  description: 'race catalogue: schedules and time to first reproduction (pct, stress), controlled-mode switch rate vs the raw futex round trip',
  run,
};
