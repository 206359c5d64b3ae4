/*
 * Fuzzing campaigns, one execution: build the case's system, run its CPUs
 * under its scheduler on this thread's CPU pool (src/harness/repro.ts
 * run_once: the same path a race scenario takes), and return what broke,
 * the schedule that broke it and the interleaving pairs it covered.  The
 * CPU pool is the thread's, kept from one execution to the next, and each
 * system is booted afresh in the pool's last buffer, zeroed.
 *
 * Context: a thread that owns an arena attachment - a job thread of the
 * campaign (workers/fuzz.ts), each with its own CPU pool, or the main
 * thread replaying a failure file (src/cli/repro.ts).
 */
import { CpuPool } from './cpus.js';
import { createArena } from '../shm/arena.js';
import { coverage_pairs } from '../sched/coverage.js';
import { STRATEGY_PCT, STRATEGY_RANDOM, STRATEGY_REPLAY } from '../sched/strategy.js';
import { decode_schedule, encode_schedule } from '../sched/schedule.js';
import { run_once, shrink_scenario_schedule, type OneRun, type RunHow } from './repro.js';
import { ScenarioSetupError } from './scenario_build.js';
import type { FuzzCase, FuzzResult } from './fuzz_types.js';
import { window_points } from '../sync/point.js';
import { synthetic_exec } from './fuzz_synthetic.js';

/*
 * A free-running execution's CPUs take milliseconds; one still running
 * after this long is stalled (a bug switch's hang, say): it ends as an
 * abnormal run instead of holding its job for a minute.
 */
const FREE_RUN_STALL_MS = 10_000;

/*
 * This thread's CPU pool, kept from one execution to the next.  A job
 * thread makes it at its first execution as wide as the widest case its
 * campaign draws (fuzz_exec_init), so that no later case restarts it (new
 * workers load the model again and run it cold), but starts only the
 * workers that execution needs: the others start when a wider case first
 * comes, and stay (a short campaign's narrow cases never start them).  A
 * case wider still (a corpus entry's replay) rebuilds it.
 */
let pool: CpuPool | null = null;
let poolThreads = 4;
/* A worker started for a wide case outlives the narrow ones after it (a campaign's executions are milliseconds apart). */
const POOL_IDLE_MS = 600_000;

/**
 * Size this thread's CPU pool for cases of up to @cpus CPUs (and their I/O
 * completion task).  Context: a job thread, before its first execution
 * (which starts the pool: a pool that cannot start fails that execution).
 */
export function fuzz_exec_init(cpus: number): void {
  poolThreads = Math.max(poolThreads, cpus + 1);
}

async function pool_for(cpus: number): Promise<CpuPool> {
  if (pool !== null && pool.threads >= cpus) return pool;
  if (pool !== null) await pool.destroy();
  pool = new CpuPool(createArena({}), Math.max(cpus, poolThreads), { startThreads: cpus, idleTimeout: POOL_IDLE_MS });
  return pool;
}

/** Free this thread's CPU workers and arena.  Context: end of a campaign. */
export async function fuzz_exec_teardown(): Promise<void> {
  if (pool !== null) await pool.destroy();
  pool = null;
}

/**
 * Shrink a failing controlled run's schedule (fewer context switches, the
 * same first invariant broken) and write its timeline to @traceFile.
 * Returns the shrunk schedule, or null (free-running runs have none).
 * Bounded by @maxRuns runs and the wall-clock @deadline (ms since the epoch).
 */
export async function fuzz_shrink(c: FuzzCase, r: FuzzResult, traceFile: string | null, maxRuns = 20, deadline = Infinity): Promise<string | null> {
  if (r.schedule === '' || r.findings.length === 0 || c.synthetic !== undefined) return null;
  const want = r.findings[0].invariant;
  const p = await pool_for(c.scenario.cpus.length + 1); /* and the I/O completion task */
  const sc = c.bug === null ? c.scenario : { ...c.scenario, bug: c.bug };
  const s = await shrink_scenario_schedule(p, sc, c.seed, c.bug === null, c.design, want, decode_schedule(r.schedule), maxRuns, deadline);
  const shrunk = encode_schedule(s.record);
  if (traceFile !== null) await run_once(p, sc, c.seed, c.bug === null, { strategy: STRATEGY_REPLAY, record: s.record }, traceFile, c.design);
  return shrunk;
}

/* @c's labelled PCT change points as point ids (the race windows this build interned). */
function labelled(c: FuzzCase): ({ point: number; nth: number } | null)[] | undefined {
  if (c.sched.kind !== 'pct' || c.sched.at === undefined) return undefined;
  const w = window_points();
  return c.sched.at.map((a) => (a === null || w.length === 0 ? null : { point: w[a.window % w.length], nth: a.nth }));
}

/* How @c is scheduled: @record replayed, else its scheduler (PCT at its labelled change points, random, or free-running). */
function fuzz_how(c: FuzzCase, record?: readonly number[], turnSpins?: number): RunHow {
  if (record !== undefined) return { strategy: STRATEGY_REPLAY, record: [...record] };
  if (c.sched.kind === 'free') return 'free';
  return { strategy: c.sched.kind === 'pct' ? STRATEGY_PCT : STRATEGY_RANDOM, k: 2000, depth: c.sched.kind === 'pct' ? c.sched.depth : undefined, at: labelled(c), turnSpins };
}

/* What @c's run found, with the pairs it covered; @abnormal for a case whose system could not be set up. */
function fuzz_result(c: FuzzCase, t0: number, run: OneRun | null, abnormal: string | null = null): FuzzResult {
  const base = { index: c.index, seed: c.seed, design: c.design };
  const ms = Math.round(performance.now() - t0);
  if (run === null) return { ...base, findings: [], schedule: '', steps: 0, abnormal, pairs: [], ms };
  return {
    ...base,
    findings: run.violations.map((v) => ({ invariant: v.invariant, message: v.message, step: v.step || run.steps })),
    schedule: run.schedule,
    steps: run.steps,
    abnormal: run.abnormal,
    pairs: coverage_pairs(),
    ms,
  };
}

/**
 * Execute @c.  @record replays a schedule instead of searching (corpus
 * replay); @turnSpins as ControlledConfig's (low when jobs share the cores).
 */
export async function fuzz_exec(c: FuzzCase, record?: readonly number[], turnSpins?: number): Promise<FuzzResult> {
  const t0 = performance.now();
  const p = await pool_for(c.scenario.cpus.length + 1); /* and the I/O completion task */
  if (c.synthetic !== undefined) return synthetic_exec(p, c, record);
  const sc = c.bug === null ? c.scenario : { ...c.scenario, bug: c.bug };
  const how = fuzz_how(c, record, turnSpins);
  let run: OneRun;
  try {
    run = await run_once(p, sc, c.seed, c.bug === null, how, undefined, c.design, FREE_RUN_STALL_MS);
  } catch (e) {
    /* A generated configuration the system cannot be set up with (a setup step failing) is an abnormal run, not the campaign's end. */
    if (!(e instanceof ScenarioSetupError)) throw e;
    return fuzz_result(c, t0, null, e.message);
  }
  return fuzz_result(c, t0, run);
}
