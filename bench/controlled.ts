/*
 * Controlled mode's speed on the real model, shared by the repro and
 * scale suites: swap-mix on 2 CPUs (each faulting, swapping out and in
 * pages of its own mm on one SSD) under the controlled scheduler, in
 * interleaving points (scheduler steps) per second.  With pct few points
 * hand the turn to the other CPU; with random about every other one does,
 * so random measures the hand-off and pct the model between points.
 */
import { System } from '../src/api/system.js';
import { runControlled } from '../src/harness/controlled_run.js';
import type { CpuPool } from '../src/harness/cpus.js';
import { median } from './common.js';

export interface ControlledSpeed {
  /** Median interleaving points per second over the runs. */
  pointsPerSec: number;
  /** Steps and hand-offs of one run (every run takes the same schedule: the seed is fixed). */
  steps: number;
  handoffs: number;
}

/**
 * @runs runs of swap-mix, @ops operations per CPU, scheduled by @strategy
 * (a fixed seed: every run is the same schedule).  Context: main thread;
 * @pool idle, 2+ threads; its arena is left pointing at the last run's.
 */
export async function controlledSpeed(pool: CpuPool, strategy: number, ops: number, runs = 3): Promise<ControlledSpeed> {
  const rates: number[] = [];
  let steps = 0;
  let handoffs = 0;
  for (let k = 0; k < runs; k++) {
    const sys = System.create({ nrCpus: 2, nrTasks: 3, nrFrames: 2048, nrPages: 256, nrMms: 4, mmPages: 128, seed: 5, schedSteps: 1 << 22 });
    sys.createSwapDevice('/dev/ssd', { sizePages: 2000 });
    sys.swapon('/dev/ssd');
    const mms = [sys.mmCreate(), sys.mmCreate()];
    pool.setArena(sys.handle);
    const t0 = performance.now();
    const r = await runControlled(pool, mms.map((mm, i) => ({ task: i + 1, cpu: i, program: 'swap-mix', args: { mm, ops } })), {
      strategy, seed: 42, maxSteps: 1 << 22, depth: 3, k: 50_000,
    });
    if (r.outcome !== 'done') throw new Error(`bench: controlled swap-mix (${ops} ops) ended ${r.outcome}`);
    rates.push(r.steps / ((performance.now() - t0) / 1000));
    steps = r.steps;
    handoffs = r.preemptions;
  }
  return { pointsPerSec: median(rates), steps, handoffs };
}
