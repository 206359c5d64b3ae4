/*
 * Explore's synthetic target: the explore-ops programs
 * (src/harness/explore_ops.ts) of n tasks under explore_search, each
 * schedule on a fresh small arena - for testing the search itself.
 *
 * Context: main thread.
 */
import { attach, createArena } from '../shm/arena.js';
import { clear_reports } from '../shm/report.js';
import { setCurrent, task_init } from '../shm/task.js';
import { explore_search, type ExploreSearchOptions, type ExploreStats } from '../sched/explore.js';
import { STRATEGY_EXPLORE } from '../sched/strategy.js';
import { encode_schedule } from '../sched/schedule.js';
import { runControlled, type ControlledRun } from './controlled_run.js';
import { explore_observe } from './explore.js';
import type { CpuPool } from './cpus.js';
import type { ExploreOp } from './explore_ops.js';

/**
 * One schedule of @programs (tasks 1..n) on a fresh small arena: @prefix
 * forced, then the explore strategy's continuation.  The arena stays
 * attached (its footprint log, reports) until the next run.
 * Context: main thread.
 */
export async function synthetic_run(pool: CpuPool, programs: ExploreOp[][], prefix: number[], footprints: boolean): Promise<ControlledRun> {
  const n = programs.length;
  const h = createArena({ nrCpus: n, nrTasks: n + 1, maxSwapPages: 1024, nrPages: 16, nrFrames: 64, nrMms: 2, mmPages: 16, schedSteps: 4096, exploreLog: 1 << 16 });
  attach(h);
  for (let t = 0; t <= n; t++) task_init(t, Math.max(0, t - 1));
  setCurrent(0);
  clear_reports();
  pool.setArena(h);
  /* The 'fw' operations' buffer, outside the arena (a scenario's label table is one). */
  const foreign = new Int32Array(new SharedArrayBuffer(4 * 16));
  const specs = programs.map((ops, i) => ({ task: i + 1, cpu: i, program: 'explore-ops', args: { ops, foreign } }));
  const r = await runControlled(pool, specs, { strategy: STRATEGY_EXPLORE, seed: 1, maxSteps: 4000, record: prefix, footprints });
  if (r.outcome === 'diverged' || r.errors.length > 0) throw new Error(`explore selftest: ${r.outcome} at step ${r.divergedStep} ${r.errors.join('; ')}`);
  return r;
}

/** explore_search over tasks 1..n running @programs; the failing schedule (encoded) when one broke.  Context: main thread. */
export async function explore_synthetic(pool: CpuPool, programs: ExploreOp[][], o: Omit<ExploreSearchOptions, 'stop'>): Promise<ExploreStats & { failing: string | null }> {
  let failing: string | null = null;
  const st = await explore_search(async (prefix) => {
    const r = await synthetic_run(pool, programs, prefix, o.reduction !== 'none');
    const failed = r.violations.length > 0 || r.outcome !== 'done';
    if (failed) failing = encode_schedule(r.record);
    return explore_observe(r.schedule, failed, o.reduction);
  }, o);
  return { ...st, failing };
}
