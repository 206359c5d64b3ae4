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
import { load_catalogue } from '../src/scenario/load.js';
import { primary_design, repro_pool, repro_search, type ReproMode } from '../src/harness/repro.js';
import { STRATEGY_PCT, STRATEGY_RANDOM } from '../src/sched/strategy.js';
import { median, type BenchOptions, type BenchRow, type BenchSuite } from './common.js';
import { futexRoundTripUs } from './raw.js';
import { controlledSpeed } from './controlled.js';

const RUNS = 5;
const STRESS_BUDGET = 200;

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
      const c = await controlledSpeed(pool, strategy, 300);
      rows.push(row(`controlled mode, swap-mix on 2 CPUs, ${name}: interleaving points`, c.pointsPerSec, { steps: c.steps, handoffs: c.handoffs }));
    }

    /* The raw futex hand-off of this machine. */
    const rt = await futexRoundTripUs(pool);
    rows.push(row('raw Atomics.wait/notify ping-pong: round trips', 1e6 / rt, { roundTripUs: rt }));
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
