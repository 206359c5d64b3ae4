/*
 * `swaptorture repro`: search schedules of a race scenario until its
 * invariant breaks (with the bug switch) or the budget runs out (and with
 * --fixed, show that the same budget finds nothing).
 *
 * Each schedule starts from the scenario's system as built (its devices,
 * its setup run on task 0; booted once a search and restored with the
 * schedule's seed: src/harness/scenario_boot.ts), then runs its CPUs
 * under the controlled scheduler (pct or random) or free-running
 * (stress, a fresh build each), then a quiescent check.  A reproduction is
 * printed as a replay string, race@seed[+fixed]:schedule, that re-executes
 * the run exactly (`repro --replay`).
 *
 * Context: main thread; owns a CpuPool for the whole search.
 */
import { BLK_COMPLETION_TASK, blk_set_completion } from '../block/bio.js';
import type { Violation } from '../shm/report.js';
import { DESIGN_NAMES, type DesignName } from '../mm/swap_design.js';
import { STRATEGY_GUIDED, STRATEGY_PCT, STRATEGY_RANDOM, STRATEGY_REPLAY } from '../sched/strategy.js';
import { count_switches, decode_schedule, encode_schedule } from '../sched/schedule.js';
import { shrink_max_steps, shrink_schedule, type ShrinkResult } from '../sched/shrink.js';
import type { Scenario } from '../scenario/fields.js';
import { FILLER_MAX } from '../scenario/limits.js';
import { implemented_designs } from '../designs/index.js';
import { CpuPool } from './cpus.js';
import { createArena } from '../shm/arena.js';
import { runControlled } from './controlled_run.js';
import type { ControlledConfig } from '../sched/controlled.js';
import type { CpuSpec } from './programs.js';
import { scenario_cpu_doing, type ScenarioCpuArgs } from './scenario_cpu.js';
import { MAX_STEPS, repro_build, type Built } from './scenario_build.js';
import { scenario_boot, scenario_restore, type ScenarioBoot } from './scenario_boot.js';
import type { TaskDoing } from './watchdog.js';
import { trace_setup } from '../shm/trace.js';
import { write_trace } from './trace_writer.js';

export type ReproMode = 'pct' | 'random' | 'stress';

export interface ReproOptions {
  design: DesignName;
  mode: ReproMode;
  fixed: boolean;
  seed: number;
  maxSchedules: number;
  /** Give up after this long (0: no limit). */
  seconds: number;
  /** PCT depth (default: the scenario's). */
  depth?: number;
}

export interface ReproResult {
  race: string;
  design: DesignName;
  /** Does the race apply to this design (scenario "designs")? */
  applies: boolean;
  mode: ReproMode | 'replay' | 'explore';
  fixed: boolean;
  reproduced: boolean;
  schedules: number;
  ms: number;
  seed: number;
  invariant: string | null;
  message: string | null;
  /** Scheduler step of the first violation (controlled modes). */
  step: number | null;
  /** The replay string of the reproducing run, or null. */
  schedule: string | null;
  /** The reproducing schedule shrunk to fewer context switches (a replay string), or null. */
  shrunk: string | null;
  /** Context switches of the reproducing schedule and of the shrunk one. */
  switches: number | null;
  shrunkSwitches: number | null;
  /** Scripted operations plus filler of the workload, before and after shrinking. */
  ops: number;
  shrunkOps: number | null;
  /**
   * A run ended without finishing (deadlock, livelock, diverged, a CPU
   * that threw), with dumps: the reproducing run's, or the first of a
   * search that found nothing - which is then not clean.
   */
  abnormal: string | null;
}

/**
 * A shortened workload: per CPU, the filler count and a bitmask of the
 * scripted operations kept (bit j: operation j; a bigint, as a CPU's
 * script has no length limit).  null = the scenario as written.
 */
export interface Workload {
  filler: number[];
  keep: bigint[];
}

/* Every one of @n scripted operations kept. */
function keep_all(n: number): bigint {
  return (1n << BigInt(n)) - 1n;
}

function full_workload(sc: Scenario): Workload {
  return { filler: sc.cpus.map((c) => c.filler), keep: sc.cpus.map((c) => keep_all(c.ops.length)) };
}

/*
 * Why @w cannot be a shortened workload of @sc, or null: a FILLER.KEEP per
 * CPU, the filler within the scenario file's bounds (0..1000), only bits
 * of the CPU's scripted operations kept.
 */
export function workload_problem(sc: Scenario, w: Workload): string | null {
  if (w.filler.length !== sc.cpus.length) return `${w.filler.length} CPU(s) in the workload, race "${sc.race}" has ${sc.cpus.length}`;
  for (let i = 0; i < sc.cpus.length; i++) {
    if (!Number.isSafeInteger(w.filler[i]) || w.filler[i] < 0 || w.filler[i] > FILLER_MAX) return `CPU ${i}'s filler (${w.filler[i]}, written in base 36) is not 0..${FILLER_MAX}`;
    if (w.keep[i] < 0n || w.keep[i] > keep_all(sc.cpus[i].ops.length)) return `CPU ${i} keeps operations its script does not have (${sc.cpus[i].ops.length} scripted)`;
  }
  return null;
}

/** @sc with only @w's operations. */
/**
 * The CPU pool a search over @scs runs on: one thread a CPU of the widest
 * scenario (at least 2), and one for the I/O completion task.
 * Context: main thread.
 */
export function repro_pool(scs: readonly Scenario[]): CpuPool {
  return new CpuPool(createArena({}), 1 + Math.max(2, ...scs.map((sc) => sc.cpus.length)));
}

export function apply_workload(sc: Scenario, w: Workload | null): Scenario {
  if (w === null) return sc;
  return { ...sc, cpus: sc.cpus.map((c, i) => ({ ...c, filler: w.filler[i] ?? c.filler, ops: c.ops.filter((_, j) => w.keep[i] === undefined || ((w.keep[i] >> BigInt(j)) & 1n) === 1n) })) };
}

function workload_size(sc: Scenario): number {
  return sc.cpus.reduce((s, c) => s + c.filler + c.ops.length, 0);
}

/**
 * The design a race runs in when none is asked for: the first built
 * design, in the order p4, p3, p2, ghost, vswap (the default p4 first),
 * whose code has the race (scenario "designs"); null when none is built.
 */
export function primary_design(sc: Scenario): DesignName | null {
  return implemented_designs().find((d) => sc.designs.includes(d)) ?? null;
}

/** RACE@SEED[+fixed][/DESIGN][~WORKLOAD]:SCHEDULE (the design is omitted for p4, the workload when it is the scenario's). */
export function replay_string(race: string, seed: number, fixed: boolean, schedule: string, design: DesignName = 'p4', w: Workload | null = null): string {
  const ws = w === null ? '' : `~${w.filler.map((f, i) => `${f.toString(36)}.${w.keep[i].toString(36)}`).join(',')}`;
  return `${race}@${seed}${fixed ? '+fixed' : ''}${design === 'p4' ? '' : `/${design}`}${ws}:${schedule}`;
}

/* A base-36 numeral (digits already checked) as a bigint: BigInt() reads no base 36. */
function base36_bigint(s: string): bigint {
  let v = 0n;
  for (const c of s) v = v * 36n + BigInt(parseInt(c, 36));
  return v;
}

export function parse_replay_string(s: string): { race: string; seed: number; fixed: boolean; design: DesignName; workload: Workload | null; record: number[] } {
  const m = /^([a-z0-9-]+)@(\d+)(\+fixed)?(?:\/([a-z0-9]+))?(?:~([0-9a-z.,]+))?:(.*)$/.exec(s);
  if (!m || (m[4] !== undefined && !(DESIGN_NAMES as readonly string[]).includes(m[4]))) {
    throw new RangeError(`bad replay string "${s.length > 40 ? `${s.slice(0, 40)}…` : s}" (expected RACE@SEED[+fixed][/DESIGN][~WORKLOAD]:SCHEDULE)`);
  }
  /* Schedule n of a search from --seed S runs seed S + n: past 2^32 - 1 too. */
  if (!Number.isSafeInteger(Number(m[2]))) throw new RangeError(`bad seed ${m[2]} in replay string (more than a whole number can hold exactly, 2^53 - 1)`);
  let workload: Workload | null = null;
  if (m[5] !== undefined) {
    const parts = m[5].split(',').map((p) => p.split('.'));
    if (parts.some((p) => p.length !== 2 || p[0] === '' || p[1] === '')) throw new RangeError(`bad workload "${m[5]}" in replay string (expected FILLER.KEEP per CPU)`);
    workload = { filler: parts.map((p) => parseInt(p[0], 36)), keep: parts.map((p) => base36_bigint(p[1])) };
  }
  return { race: m[1], seed: Number(m[2]), fixed: m[3] !== undefined, design: (m[4] ?? 'p4') as DesignName, workload, record: decode_schedule(m[6]) };
}

/*
 * The I/O completion task of a controlled run: task cpus + 1 on a CPU of
 * its own, a daemon of the scheduler (src/harness/blk_completion.ts).
 * The setup ran without it: its bios completed as they were submitted.
 */
function blk_completion_spec(sc: Scenario): CpuSpec {
  return { task: sc.cpus.length + 1, cpu: sc.cpus.length, program: 'blk-completion', args: {} };
}

export interface OneRun {
  violations: Violation[];
  schedule: string;
  steps: number;
  abnormal: string | null;
}

/** How a run is scheduled: a strategy of the controlled scheduler, or free-running threads. */
export type RunHow = {
  strategy: number; k?: number; record?: number[]; depth?: number; turnSpins?: number; at?: ControlledConfig['at'];
  /** Steps after which the run ends as a livelock (default MAX_STEPS, the arena's record). */
  maxSteps?: number;
  /** explore: words of the arena's footprint log (0: no explore regions), and whether the workers record footprints. */
  exploreLog?: number; footprints?: boolean;
} | 'free';

/* What running the CPUs left: the schedule taken (controlled runs), its steps, and why the run did not finish (null: it did). */
type CpusRun = Omit<OneRun, 'violations'>;

/* What each CPU of @specs is doing, by its heartbeat: the dumps of a run that could not finish name it ("op swapoff (2 of 5)"). */
function scenario_doing(specs: readonly CpuSpec[]): TaskDoing {
  const byTask = new Map(specs.map((s) => [s.task, s]));
  return (t, progress) => {
    const s = byTask.get(t);
    if (s?.program === 'scenario-cpu') return scenario_cpu_doing(s.args as ScenarioCpuArgs, progress);
    if (s?.program === 'blk-completion') return 'I/O completion';
    return null;
  };
}

/* Free-running CPUs: a CPU that threw without a violation, or stalled past @timeoutMs, makes the run abnormal. */
async function run_free(pool: CpuPool, specs: CpuSpec[], timeoutMs: number): Promise<CpusRun> {
  const outs = await pool.runSettled(specs, { timeoutMs, graceMs: 2_000, doing: scenario_doing(specs) });
  const bad = outs.find((o) => o.status === 'rejected' && o.error.violation === undefined);
  return { schedule: '', steps: 0, abnormal: bad && bad.status === 'rejected' ? bad.error.message : null };
}

/* The CPUs under the controlled scheduler: abnormal when deadlocked, livelocked, diverged from a replayed schedule, or a CPU threw. */
async function run_controlled(pool: CpuPool, specs: CpuSpec[], sc: Scenario, seed: number, how: Exclude<RunHow, 'free'>): Promise<CpusRun> {
  const bio = blk_completion_spec(sc);
  blk_set_completion(BLK_COMPLETION_TASK);
  const maxSteps = Math.min(how.maxSteps ?? MAX_STEPS, MAX_STEPS);
  const r = await runControlled(pool, [...specs, bio], {
    strategy: how.strategy, seed, maxSteps, depth: how.depth ?? sc.depth, k: how.k, record: how.record, turnSpins: how.turnSpins, at: how.at, daemons: [bio.task], footprints: how.footprints,
  }, scenario_doing([...specs, bio]));
  const why = r.outcome === 'diverged' ? ` at step ${r.divergedStep}` : r.outcome === 'livelock' ? ` (no end within ${maxSteps} scheduler steps: a livelock, or a workload too long for the step budget)` : '';
  const abnormal = r.outcome !== 'done' ? `${r.outcome}${why}${r.dumps.length ? `: ${r.dumps.join('; ')}` : ''}` : r.errors.length ? r.errors.join('; ') : null;
  return { schedule: r.schedule, steps: r.steps, abnormal };
}

/* The run's timeline, one track per CPU, to @traceFile. */
function run_trace(traceFile: string, sc: Scenario, specs: CpuSpec[], seed: number, fixed: boolean, schedule: string, how: RunHow): void {
  const names = Object.fromEntries(specs.map((s) => [s.task, `CPU ${s.cpu} (task ${s.task})`]));
  write_trace(traceFile, specs.map((s) => s.task), names, { race: sc.race, seed, fixed, schedule, timeUnit: controlledTimeUnit(how) });
}

/*
 * The buffer the next system of a pool's runs boots in (repro_build's
 * @reuse): that of its last run that ended normally, every CPU returned.
 * A run that did not (a CPU stalled and terminated, say) keeps its buffer
 * out of it - a worker still winding down may write into it.  A fresh
 * buffer costs a schedule its allocation and the page faults of its first
 * writes (1000 schedules of a catalogued race: 2.8 of their 7 ms).  A
 * buffer larger than SPARE_ARENA_MAX_BYTES is not kept: zeroing it whole
 * would cost more than faulting in again the part of a fresh one a run
 * touches (a 64G device's arena: 539 MiB, ~62 MiB of it written at boot).
 */
const spareArena = new WeakMap<CpuPool, SharedArrayBuffer>();
const SPARE_ARENA_MAX_BYTES = 64 << 20;

/** Take @pool's spare buffer, if it has one (createArena's @reuse).  Context: main thread of the pool's owner. */
export function arena_spare_take(pool: CpuPool): SharedArrayBuffer | undefined {
  const sab = spareArena.get(pool);
  spareArena.delete(pool);
  return sab;
}

/**
 * @sab, a buffer @pool's CPUs ran in (or none did), is the next run's
 * spare if its run ended @normally (every CPU returned) and it is not too
 * large.  Context: main thread of the pool's owner.
 */
export function arena_spare_give(pool: CpuPool, sab: SharedArrayBuffer, normally: boolean): void {
  if (normally && sab.byteLength <= SPARE_ARENA_MAX_BYTES) spareArena.set(pool, sab);
}

/* @build a system in @pool's spare buffer; if it throws, no CPU ran in the buffer: it stays spare.  Context: main thread of the pool's owner. */
function build_in_spare<T>(pool: CpuPool, build: (reuse: SharedArrayBuffer | undefined) => T): T {
  const reuse = arena_spare_take(pool);
  try {
    return build(reuse);
  } catch (e) {
    if (reuse !== undefined) arena_spare_give(pool, reuse, true);
    throw e;
  }
}

/**
 * One run of scenario @sc (the fuzzer's execution too): build its system
 * in @pool's spare buffer, run its CPUs, check, and write the timeline if
 * asked.  Throws ScenarioSetupError as repro_build() does.
 * Context: main thread of the pool's owner.
 */
export async function run_once(
  pool: CpuPool, sc: Scenario, seed: number, fixed: boolean, how: RunHow, traceFile?: string,
  design: DesignName = 'p4', freeTimeoutMs = 60_000,
): Promise<OneRun> {
  const built = build_in_spare(pool, (reuse) => repro_build(sc, seed, fixed, design, how === 'free' ? 0 : how.exploreLog, reuse));
  const run = await run_built(pool, sc, built, seed, fixed, how, traceFile, freeTimeoutMs);
  arena_spare_give(pool, built.sys.handle.sab, run.abnormal === null);
  return run;
}

/**
 * Run the CPUs of @built, a system of @sc as repro_build() left it (or
 * restored to that state), check, and write the timeline if asked.
 * Context: main thread of the pool's owner, @built's arena attached.
 */
export async function run_built(
  pool: CpuPool, sc: Scenario, built: Built, seed: number, fixed: boolean, how: RunHow, traceFile?: string, freeTimeoutMs = 60_000,
): Promise<OneRun> {
  const { sys, specs } = built;
  pool.setArena(sys.handle);
  trace_setup(traceFile !== undefined);
  const { schedule, steps, abnormal } = how === 'free' ? await run_free(pool, specs, freeTimeoutMs) : await run_controlled(pool, specs, sc, seed, how);
  /* The quiescent check only makes sense when every CPU finished its script. */
  const violations = abnormal === null ? (sys.check(), sys.reports()) : sys.reports();
  if (traceFile !== undefined) run_trace(traceFile, sc, specs, seed, fixed, schedule, how);
  return { violations, schedule, steps, abnormal };
}

/*
 * With the fix in, any broken invariant is a finding - the race's own or
 * another (a model bug, or a fix that breaks something else): the run is
 * not clean, and says so with its replay string.  With the switch on,
 * other invariants the bug breaks on the way are expected.
 */
function fixed_finding(sc: Scenario, fixed: boolean, seed: number, run: OneRun, design: DesignName): string | null {
  const v = fixed && run.abnormal === null ? run.violations[0] : undefined;
  if (v === undefined) return null;
  const replay = run.schedule !== '' ? `; replay: ${replay_string(sc.race, seed, fixed, run.schedule, design)}` : '';
  return `broke [${v.invariant}] ${v.message} (step ${v.step || run.steps})${replay}`;
}

/** The outcome of a search that ran @n schedules, reproducing with @run if it broke @sc's invariant.  Context: main thread. */
export function repro_result(sc: Scenario, mode: ReproResult['mode'], fixed: boolean, seed: number, n: number, t0: number, run: OneRun | null, design: DesignName): ReproResult {
  const v = run?.violations.find((x) => x.invariant === sc.invariant) ?? null;
  const finding = run === null || v !== null ? null : fixed_finding(sc, fixed, seed, run, design);
  return {
    race: sc.race, design, applies: true, mode, fixed, reproduced: v !== null, schedules: n, ms: Math.round(performance.now() - t0), seed,
    /* A finding of the final quiescent check is "at" the run's last step. */
    invariant: v?.invariant ?? null, message: v?.message ?? null, step: v === null ? null : v.step || run?.steps || 0,
    schedule: v !== null && run !== null && run.schedule !== '' ? replay_string(sc.race, seed, fixed, run.schedule, design) : null,
    shrunk: null, switches: v !== null && run !== null && run.schedule !== '' ? count_switches(decode_schedule(run.schedule)) : null,
    shrunkSwitches: null, ops: workload_size(sc), shrunkOps: null, abnormal: run?.abnormal ?? finding,
  };
}

/* A reproduction being shrunk: its parsed replay string and the workload it runs. */
interface Shrinking {
  p: ReturnType<typeof parse_replay_string>;
  w: Workload;
}

/*
 * Keep workload @cand if a fresh pct search of @sc shortened to it still
 * breaks the same invariant (with the design, switches and seed of the
 * reproduction @base); @st then holds it and the search's schedule.
 */
async function shrink_try_workload(pool: CpuPool, sc: Scenario, base: Shrinking['p'], st: Shrinking, cand: Workload): Promise<boolean> {
  const found = await repro_search(pool, apply_workload(sc, cand), {
    design: base.design, mode: 'pct', fixed: base.fixed, seed: base.seed, maxSchedules: Math.min(sc.maxSchedules, WORKLOAD_SHRINK_SCHEDULES), seconds: 0,
  });
  if (!found.reproduced || found.schedule === null) return false;
  st.p = { ...parse_replay_string(found.schedule), workload: cand };
  st.w = cand;
  return true;
}

/* Shrink the workload: halve each CPU's filler, then drop scripted operations one at a time, each change kept only if it still reproduces. */
async function shrink_workload(pool: CpuPool, sc: Scenario, st: Shrinking): Promise<void> {
  const base = st.p;
  for (let i = 0; i < sc.cpus.length; i++) {
    while (st.w.filler[i] > 0 && (await shrink_try_workload(pool, sc, base, st, { ...st.w, filler: st.w.filler.map((f, k) => (k === i ? Math.floor(f / 2) : f)) })));
  }
  for (let i = 0; i < sc.cpus.length; i++) {
    for (let j = sc.cpus[i].ops.length - 1; j >= 0; j--) {
      const bit = 1n << BigInt(j);
      if ((st.w.keep[i] & bit) !== 0n) await shrink_try_workload(pool, sc, base, st, { ...st.w, keep: st.w.keep.map((m, k) => (k === i ? m & ~bit : m)) });
    }
  }
}

/**
 * Shrink @record, a schedule of @sc that broke @invariant, to fewer
 * context switches: each candidate a guided run with a step budget of its
 * own (shrink_max_steps), kept when it still breaks @invariant and ends
 * normally.  Bounded by @maxRuns runs and the wall-clock @deadline.
 * Context: main thread of the pool's owner.
 */
export async function shrink_scenario_schedule(
  pool: CpuPool, sc: Scenario, seed: number, fixed: boolean, design: DesignName, invariant: string, record: number[], maxRuns: number, deadline = Infinity,
): Promise<ShrinkResult> {
  const maxSteps = shrink_max_steps(record.length);
  /* Every candidate with the same seed: one boot, restored before each. */
  const boots: SearchBoots = { boot: null };
  try {
    return await shrink_schedule(record, async (rec) => {
      const run = await search_run(pool, sc, seed, fixed, { strategy: STRATEGY_GUIDED, record: rec, maxSteps }, design, boots);
      return { failed: run.abnormal === null && run.violations.some((v) => v.invariant === invariant), record: decode_schedule(run.schedule) };
    }, maxRuns, deadline);
  } finally {
    search_done(pool, boots);
  }
}

/**
 * Shrink @r's reproduction: first the workload, then the schedule on the
 * shortened workload (fewer context switches), the same invariant broken.
 * Context: main thread.
 */
export async function repro_shrink(pool: CpuPool, sc: Scenario, r: ReproResult, maxRuns = 200): Promise<ReproResult> {
  const invariant = r.invariant ?? sc.invariant;
  if (r.schedule === null || invariant === undefined) return r;
  const p0 = parse_replay_string(r.schedule);
  const st: Shrinking = { p: p0, w: p0.workload ?? full_workload(sc) };
  await shrink_workload(pool, sc, st);
  const { p, w } = st;
  const shortened = apply_workload(sc, w);
  const changed = workload_size(shortened) < workload_size(sc);
  const s = await shrink_scenario_schedule(pool, shortened, p.seed, p.fixed, p.design, invariant, p.record, maxRuns);
  return {
    ...r,
    shrunk: replay_string(sc.race, p.seed, p.fixed, encode_schedule(s.record), p.design, changed ? w : null),
    shrunkSwitches: s.switchesAfter,
    shrunkOps: workload_size(shortened),
  };
}

/*
 * Schedules each candidate workload gets when shrinking.  The search starts
 * at the seed of the schedule that reproduced, so a candidate that still
 * breaks the invariant does it early: over the catalogue (`repro all`),
 * each of the 10 kept candidates did it on its first schedule, and the 41
 * rejected ones were 85 % of all the runs with a budget of 100.  Over
 * the four designs (`repro all --design D`, 68 reproductions) one kept
 * candidate needed more than 20 (28: swapin-skip-swapcache on ghost,
 * which now keeps its whole workload).
 */
const WORKLOAD_SHRINK_SCHEDULES = 20;

/** Search schedules of @sc per @o.  Context: main thread; @pool has sc.cpus.length + 1 threads or more (the CPUs and the I/O completion task). */
export async function repro_search(pool: CpuPool, sc: Scenario, o: ReproOptions): Promise<ReproResult> {
  const t0 = performance.now();
  /* A race whose code the design does not have (or is not built yet) does not apply: neither reproduced nor "clean". */
  if (!sc.designs.includes(o.design) || !implemented_designs().includes(o.design)) return { ...repro_result(sc, o.mode, o.fixed, o.seed, 0, t0, null, o.design), applies: false };
  let k = 2000;
  let last: OneRun | null = null;
  /* The first run that did not end normally (stress keeps searching past it): the search is then not clean. */
  let abnormal: string | null = null;
  const boots: SearchBoots = { boot: null };
  try {
    let n = 0;
    for (; n < o.maxSchedules; n++) {
      if (o.seconds > 0 && performance.now() - t0 > o.seconds * 1000) break;
      const seed = o.seed + n;
      const how = o.mode === 'stress' ? 'free' : { strategy: o.mode === 'pct' ? STRATEGY_PCT : STRATEGY_RANDOM, k, depth: o.depth };
      const run = await search_run(pool, sc, seed, o.fixed, how, o.design, boots);
      if (run.steps > 0) k = run.steps;
      last = run;
      abnormal ??= run.abnormal ?? fixed_finding(sc, o.fixed, seed, run, o.design);
      if (run.violations.some((v) => v.invariant === sc.invariant)) return repro_result(sc, o.mode, o.fixed, seed, n + 1, t0, run, o.design);
      if (abnormal !== null && o.mode !== 'stress') return repro_result(sc, o.mode, o.fixed, seed, n + 1, t0, run, o.design);
    }
    const r = repro_result(sc, o.mode, o.fixed, o.seed, n, t0, last, o.design);
    return { ...r, reproduced: false, abnormal };
  } finally {
    search_done(pool, boots);
  }
}

/**
 * The system the runs of a search, a shrink or an exploration start from:
 * one boot, restored before each run with that run's seed
 * (src/harness/scenario_boot.ts).  Free-running CPUs get a fresh build
 * each (run_once).
 */
export interface SearchBoots {
  boot: ScenarioBoot | null;
}

/**
 * One run of @sc with @seed on @st's boot, restored (booted first, in the
 * pool's spare buffer).  A boot whose setup drew random numbers stands
 * only for its own seed: another seed boots again.  A run that did not
 * end normally leaves the boot's buffer to a CPU that may still be
 * winding down: the next run boots in a new one.
 * Context: main thread of the pool's owner; search_done() at the end.
 */
export async function search_run(pool: CpuPool, sc: Scenario, seed: number, fixed: boolean, how: RunHow, design: DesignName, st: SearchBoots): Promise<OneRun> {
  if (how === 'free') return run_once(pool, sc, seed, fixed, how, undefined, design);
  if (st.boot !== null && seed !== st.boot.seed && !st.boot.reseedable) search_done(pool, st);
  if (st.boot === null) st.boot = build_in_spare(pool, (reuse) => scenario_boot(sc, seed, fixed, design, how.exploreLog ?? 0, reuse));
  else scenario_restore(st.boot, seed);
  const run = await run_built(pool, sc, st.boot, seed, fixed, how);
  if (run.abnormal !== null) st.boot = null;
  return run;
}

/** The runs on @st's boot are over: its buffer is the pool's spare.  Context: main thread of the pool's owner, no run in flight. */
export function search_done(pool: CpuPool, st: SearchBoots): void {
  if (st.boot !== null) arena_spare_give(pool, st.boot.sys.handle.sab, true);
  st.boot = null;
}

/** Re-execute a replay string (writing its timeline to @traceFile if given).  Context: main thread. */
export async function repro_replay(pool: CpuPool, sc: Scenario, replay: string, traceFile?: string): Promise<ReproResult> {
  const t0 = performance.now();
  const p = parse_replay_string(replay);
  const bad = p.workload === null ? null : workload_problem(sc, p.workload);
  if (bad !== null) throw new RangeError(`bad workload in replay string: ${bad}`);
  const run = await run_once(pool, apply_workload(sc, p.workload), p.seed, p.fixed, { strategy: STRATEGY_REPLAY, record: p.record }, traceFile, p.design);
  const r = repro_result(apply_workload(sc, p.workload), 'replay', p.fixed, p.seed, 1, t0, run, p.design);
  /* The replay string of a shortened workload names it again. */
  return r.schedule === null ? r : { ...r, schedule: replay_string(sc.race, p.seed, p.fixed, run.schedule, p.design, p.workload) };
}

function controlledTimeUnit(how: RunHow): string {
  return how === 'free' ? 'microseconds of wall time' : 'scheduler steps (1 us = 1 step)';
}
