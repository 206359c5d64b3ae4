/*
 * `swaptorture explore`: every schedule of a race scenario up to K
 * preemptions (src/sched/explore.ts), each on the system repro builds
 * (booted once and restored from its snapshot: src/harness/scenario_boot.ts)
 * and run as repro's searches run theirs (search_run in src/harness/repro.ts), under
 * the explore strategy (src/sched/prefix.ts).  A violation is reported as
 * repro reports one: replay string, shrunk with repro_shrink, replayable
 * with `repro --replay`.
 *
 * Context: main thread; owns nothing but the CpuPool it is given.
 */
import type { DesignName } from '../mm/swap_design.js';
import type { Scenario } from '../scenario/fields.js';
import { explore_search, type ExploreExec, type ExploreRun, type ExploreStats, type Reduction } from '../sched/explore.js';
import { footprint_read } from '../sched/footprint_read.js';
import { prefix_runnable } from '../sched/prefix.js';
import { count_switches, decode_schedule } from '../sched/schedule.js';
import { STRATEGY_EXPLORE } from '../sched/strategy.js';
import { arena_state_hash } from '../shm/state_hash.js';
import type { CpuPool } from './cpus.js';
import { replay_string, repro_result, repro_shrink, search_done, search_run, type OneRun, type ReproResult, type SearchBoots } from './repro.js';

/* The system seed of every explored schedule (the schedule, not the seed, varies). */
export const EXPLORE_SEED = 1;
/* Footprint log words: a step whose accesses do not fit is dependent with all. */
export const EXPLORE_LOG_WORDS = 1 << 17;

/** What the reduction was, as the output names it. */
export function reduction_text(r: Reduction): string {
  const footprint = 'footprint: 8-byte read/write sets of each step, recorded by instrumented arena views and Atomics; clock reads and timed waits dependent with all';
  if (r === 'sleep') return `sleep-sets (${footprint})`;
  if (r === 'dpor') return `dpor (dynamic partial-order reduction, bounded: backtrack points at races and at the preempted block's start; ${footprint})`;
  return 'none';
}

/** A harness failure of one explored run: not the model's finding (the search stops; exit 3). */
export class ExploreHarnessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExploreHarnessError';
  }
}

/**
 * What the search needs from a finished run: its schedule, the runnable
 * sets, the footprints (with a reduction), the terminal state.
 * Context: main thread, the run's arena still attached.
 */
export function explore_observe(schedule: string, failed: boolean, reduction: Reduction): ExploreRun {
  const record = decode_schedule(schedule);
  return {
    record,
    runnable: prefix_runnable(record.length),
    footprints: reduction !== 'none' ? footprint_read(record.length) : null,
    terminal: arena_state_hash(),
    failed,
  };
}

export interface ExploreOptions {
  design: DesignName;
  fixed: boolean;
  bound: number;
  reduction: Reduction;
  shard: { k: number; n: number };
  /** Stop after this long (0: no limit). */
  seconds: number;
  /** Shrink a violation's schedule (default true; mutate's explore member only needs the verdict). */
  shrink?: boolean;
  /** Stop after this many schedules (0 or undefined: no limit): a budget that does not depend on the machine. */
  maxSchedules?: number;
  signal?: AbortSignal;
  progress?: (s: ExploreStats, ms: number) => void;
}

export interface ExploreViolation {
  /** The ICB round that found it: the fewest preemptions that expose it. */
  preemptions: number;
  /** As repro reports a reproduction (replay string, shrunk one, switches). */
  repro: ReproResult;
}

export interface ExploreResult {
  race: string;
  design: DesignName;
  fixed: boolean;
  bound: number;
  reduction: Reduction;
  shard: { k: number; n: number };
  explored: number;
  pruned: number;
  beyond: number;
  terminals: string[];
  /** The search's time (shrinking a violation not included). */
  ms: number;
  verdict: 'exhausted' | 'violation' | 'budget' | 'interrupted';
  /** What the budget hit was: the time (--budget-seconds), the schedule count (--max-schedules), or the memory (EXPLORE_MAX_PENDING branches queued); null otherwise. */
  stoppedBy: 'time' | 'schedules' | 'memory' | null;
  /** Branches queued but not run (budget hit, interrupted). */
  pending: number;
  /** The round the search was in when it stopped. */
  round: number;
  violation: ExploreViolation | null;
}

/* A run the search cannot use: a replay that diverged (the model is not deterministic), or a CPU that threw. */
function harness_failure(run: OneRun): string | null {
  if (run.abnormal === null) return null;
  return /^(deadlock|livelock)/.test(run.abnormal) ? null : run.abnormal;
}

/*
 * A failing run: the scenario's invariant, any other invariant, or a run
 * that deadlocked or livelocked (the progress invariant).
 */
function failure_of(sc: Scenario, run: OneRun): { invariant: NonNullable<Scenario['invariant']>; message: string; step: number } | null {
  const v = run.violations.find((x) => x.invariant === sc.invariant) ?? run.violations[0];
  if (v !== undefined) return { invariant: v.invariant as NonNullable<Scenario['invariant']>, message: v.message, step: v.step || run.steps };
  if (run.abnormal !== null) return { invariant: 'progress' as NonNullable<Scenario['invariant']>, message: run.abnormal, step: run.steps };
  return null;
}

/** Explore @sc's schedules per @o.  Context: main thread; @pool has sc.cpus.length + 1 threads or more. */
export async function explore_scenario(pool: CpuPool, sc: Scenario, o: ExploreOptions): Promise<ExploreResult> {
  const t0 = performance.now();
  let failing: OneRun | null = null;
  const boots: SearchBoots = { boot: null };
  let runs = 0;
  const exec: ExploreExec = async (prefix) => {
    runs++;
    const how = { strategy: STRATEGY_EXPLORE, record: prefix, exploreLog: EXPLORE_LOG_WORDS, footprints: o.reduction !== 'none' };
    const run = await search_run(pool, sc, EXPLORE_SEED, o.fixed, how, o.design, boots);
    const bad = harness_failure(run);
    if (bad !== null) throw new ExploreHarnessError(`explored schedule ${prefix.length ? `with prefix ${prefix.length} steps` : '(root)'}: ${bad}`);
    const failed = failure_of(sc, run) !== null;
    if (failed) failing = run;
    return explore_observe(run.schedule, failed, o.reduction);
  };
  const outOfSchedules = (): boolean => (o.maxSchedules ?? 0) > 0 && runs >= o.maxSchedules!;
  const stop = (): boolean => o.signal?.aborted === true || outOfSchedules() || (o.seconds > 0 && performance.now() - t0 > o.seconds * 1000);
  let st: ExploreStats;
  try {
    st = await explore_search(exec, { bound: o.bound, reduction: o.reduction, shard: o.shard, stop, progress: (s) => o.progress?.(s, performance.now() - t0) });
  } finally {
    search_done(pool, boots);
  }
  const ms = Math.round(performance.now() - t0);
  let violation: ExploreViolation | null = null;
  if (st.verdict === 'violation' && failing !== null) {
    const f = failure_of(sc, failing)!;
    const as = { ...sc, invariant: f.invariant };
    const run: OneRun = failing;
    const base = repro_result(as, 'explore', o.fixed, EXPLORE_SEED, st.explored, t0, run, o.design);
    /* A deadlock or livelock has no violation record: its replay string all the same, not shrunk. */
    let r: ReproResult = {
      ...base, reproduced: true, invariant: f.invariant, message: f.message, step: f.step,
      schedule: replay_string(sc.race, EXPLORE_SEED, o.fixed, run.schedule, o.design), switches: count_switches(decode_schedule(run.schedule)),
    };
    if (run.abnormal === null && o.shrink !== false) r = await repro_shrink(pool, as, r);
    violation = { preemptions: st.violation!.preemptions, repro: r };
  }
  const verdict = st.verdict === 'stopped' ? (o.signal?.aborted && !st.memoryFull ? 'interrupted' : 'budget') : st.verdict;
  return {
    race: sc.race, design: o.design, fixed: o.fixed, bound: o.bound, reduction: o.reduction, shard: o.shard,
    explored: st.explored, pruned: st.pruned, beyond: st.beyond, terminals: [...st.terminals].sort(), ms,
    verdict, stoppedBy: verdict !== 'budget' ? null : st.memoryFull ? 'memory' : outOfSchedules() ? 'schedules' : 'time', pending: st.pending, round: st.round, violation,
  };
}
