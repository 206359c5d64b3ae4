import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { skipEndCheckOfLast } from './quiescent.js';
/*
 * A fuzzing job, like every repro search, boots each system in the
 * buffer of its pool's last run that ended normally (src/harness/repro.ts
 * run_once), zeroed (createArena's reuse).  A reused buffer must be indistinguishable from a
 * fresh one: case B run right after case A in A's buffer does exactly
 * what B does in a fresh arena (schedule, steps, findings, abnormal end,
 * coverage pairs) - for cases of every design and scheduler, after an A
 * that broke an invariant, one whose run ended abnormally, and one whose
 * set-up failed half-way.  And a job's CPU pool is as wide as the widest
 * case its campaign draws.  Seeds are fixed and printed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import '../src/designs/index.js';
import { A, ARENA_MAGIC, attach, createArena } from '../src/shm/arena.js';
import { computeLayout, DEFAULT_ARENA_CONFIG, G } from '../src/shm/layout.js';
import { System } from '../src/api/system.js';
import { fresh_case, fuzz_widest_case } from '../src/harness/fuzz_case.js';
import { fuzz_exec, fuzz_exec_teardown } from '../src/harness/fuzz_exec.js';
import { CpuPool } from '../src/harness/cpus.js';
import { run_built, run_once, type OneRun, type RunHow } from '../src/harness/repro.js';
import { repro_build, ScenarioSetupError } from '../src/harness/scenario_build.js';
import { coverage_pairs } from '../src/sched/coverage.js';
import { STRATEGY_PCT, STRATEGY_RANDOM, STRATEGY_REPLAY } from '../src/sched/strategy.js';
import { implemented_designs } from '../src/designs/index.js';
import type { FuzzCase, FuzzResult } from '../src/harness/fuzz_types.js';
import type { Scenario } from '../src/scenario/fields.js';
import { synthetic_exec, synthetic_fresh_case } from '../src/harness/fuzz_synthetic.js';
import { decode_schedule } from '../src/sched/schedule.js';

const LIMITS = { designs: implemented_designs(), maxCpus: 4 };

describe('createArena with a buffer to reuse', () => {
  it('zeroes the whole buffer and lays the arena out at its start: word for word a fresh arena', () => {
    const big = createArena({ nrFrames: 2048, maxSwapPages: 4096 });
    new Int32Array(big.sab).fill(-1);
    const config = { nrFrames: 512, maxSwapPages: 1024 };
    const reused = createArena(config, big.sab);
    const fresh = createArena(config);
    expect(reused.sab).toBe(big.sab);
    const words = computeLayout(reused.config).totalWords;
    expect(fresh.sab.byteLength).toBe(words * 4);
    expect(Buffer.from(reused.sab, 0, words * 4).equals(Buffer.from(fresh.sab))).toBe(true);
    /* Past the layout too: nothing of the earlier arena is left anywhere. */
    expect(Buffer.from(reused.sab, words * 4).equals(Buffer.alloc(reused.sab.byteLength - words * 4))).toBe(true);
    attach(reused);
    expect(A.i32.length).toBe(words);
    expect(A.u8.length).toBe(words * 4);
    expect(A.i64.length).toBe(words / 2);
    expect(A.i32[A.L.global + G.magic]).toBe(ARENA_MAGIC);
    /* A buffer too small for the layout is left alone: a fresh one is allocated. */
    const small = createArena({ nrFrames: 64, maxSwapPages: 1024 });
    new Int32Array(small.sab).fill(7);
    const h = createArena(DEFAULT_ARENA_CONFIG, small.sab);
    expect(h.sab).not.toBe(small.sab);
    expect(new Int32Array(small.sab).every((w) => w === 7)).toBe(true);
  });

  it('System.create boots in a buffer given to reuse, and refuses one that is not a SharedArrayBuffer, touching nothing', () => {
    const buffer = createArena(DEFAULT_ARENA_CONFIG).sab;
    new Int32Array(buffer).fill(3);
    const sys = System.create({ nrCpus: 2, nrTasks: 3, reuse: buffer });
    expect(sys.handle.sab).toBe(buffer);
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024 })).toBe(0);
    const plain = new ArrayBuffer(buffer.byteLength);
    expect(() => System.create({ nrCpus: 2, nrTasks: 3, reuse: plain as unknown as SharedArrayBuffer })).toThrow(/System.create: reuse must be a SharedArrayBuffer, got \[object ArrayBuffer\]/);
    expect(new Int32Array(plain).every((w) => w === 0)).toBe(true);
    /* The system booted before is untouched and still the one attached. */
    expect(sys.swapon('/dev/vdb')).toBe(0);
  });
});

/* Everything a run's outcome is made of. */
function outcome(run: OneRun): unknown {
  return { steps: run.steps, schedule: run.schedule, abnormal: run.abnormal, violations: run.violations.map((v) => [v.invariant, v.message, v.step]), pairs: coverage_pairs() };
}

/* How the fuzzer schedules @c (src/harness/fuzz_exec.ts fuzz_how, without labelled change points), or @record replayed. */
function how_of(c: FuzzCase, record?: number[]): RunHow {
  if (record !== undefined) return { strategy: STRATEGY_REPLAY, record };
  if (c.sched.kind === 'free') return { strategy: STRATEGY_RANDOM, k: 2000 };
  return { strategy: c.sched.kind === 'pct' ? STRATEGY_PCT : STRATEGY_RANDOM, k: 2000, depth: c.sched.kind === 'pct' ? c.sched.depth : undefined };
}

/* @c's scenario with its bug switch, as fuzz_exec runs it. */
const scenario_of = (c: FuzzCase): Scenario => (c.bug === null ? c.scenario : { ...c.scenario, bug: c.bug });

/* A case whose set-up fails at its second step: more pages written than the machine has frames, nowhere to swap them. */
function setup_failing(): FuzzCase {
  const c = fresh_case(5, 0, { designs: ['p4'], maxCpus: 2 }, null);
  const sc = { ...c.scenario, system: { ...c.scenario.system, devices: [{ kind: 'ssd' as const, pages: 16 }], frames: 64, mmPages: 1024 }, setup: [{ op: 'mm' as const, as: 'p0' }, { op: 'write' as const, mm: 'p0', page: 0, nr: 1024, order: 0, zero: false }] };
  return { ...c, scenario: sc };
}

describe('a fuzzing job\'s reused arena', () => {
  const pool = new CpuPool(createArena({}), fuzz_widest_case(LIMITS) + 1);
  afterAll(async () => {
    await pool.destroy();
    await fuzz_exec_teardown();
  });

  /* Run @c in @reuse's buffer (undefined: a fresh one); the run's outcome and the buffer it ran in. */
  async function run_in(c: FuzzCase, reuse: SharedArrayBuffer | undefined, record?: number[]): Promise<{ out: unknown; sab: SharedArrayBuffer }> {
    const sc = scenario_of(c);
    const built = repro_build(sc, c.seed, c.bug === null, c.design, 0, reuse);
    const run = await run_built(pool, sc, built, c.seed, c.bug === null, how_of(c, record));
    return { out: outcome(run), sab: built.sys.handle.sab };
  }

  it('case B after case A in A\'s buffer does what B does in a fresh arena (every design, pct and random, an A that broke an invariant, an A that ended abnormally)', async () => {
    /* Campaign seed 9 with swapcache-large-folio on: runs 6 and 23 break the swap-cache invariant. */
    const bugged = [6, 23].map((i) => fresh_case(9, i, LIMITS, 'swapcache-large-folio'));
    const clean = [3, 4, 6, 7, 10, 14, 20, 22].map((i) => fresh_case(3, i, LIMITS, null));
    console.log('reuse: fuzz cases of campaign seed 3 (runs 3 4 6 7 10 14 20 22) and seed 9 with swapcache-large-folio (runs 6 23)');
    expect(new Set(clean.map((c) => c.design)).size).toBeGreaterThanOrEqual(4);
    const firsts: { c: FuzzCase; record?: number[]; what: string }[] = [
      ...bugged.map((c) => ({ c, what: `run ${c.index} (breaks swap-cache)` })),
      ...clean.map((c) => ({ c, what: `run ${c.index} (${c.design} ${c.sched.kind})` })),
      /* A replayed schedule naming a task the run does not have: it diverges at its first step. */
      { c: clean[0], record: [1, 1, 99], what: 'a diverging replay' },
    ];
    const seconds = [...clean.slice(1), ...bugged, clean[0]];
    let sawFinding = false;
    let sawAbnormal = false;
    for (let k = 0; k < firsts.length; k++) {
      const a = firsts[k];
      const b = seconds[k % seconds.length];
      /* A buffer larger than any of these cases needs, dirty before A even starts. */
      const buffer = createArena(DEFAULT_ARENA_CONFIG).sab;
      new Int32Array(buffer).fill(-1);
      const first = await run_in(a.c, buffer, a.record);
      expect(first.sab).toBe(buffer);
      const fo = first.out as { violations: unknown[]; abnormal: string | null };
      sawFinding ||= fo.violations.length > 0;
      sawAbnormal ||= fo.abnormal !== null;
      const after = await run_in(b, first.sab);
      expect(after.sab, `${a.what} then run ${b.index}: the buffer reused`).toBe(first.sab);
      const fresh = await run_in(b, undefined);
      expect(fresh.sab).not.toBe(first.sab);
      expect(after.out, `${a.what} then run ${b.index} (${b.design} ${b.sched.kind})`).toEqual(fresh.out);
    }
    expect(sawFinding).toBe(true);
    expect(sawAbnormal).toBe(true);

    /* The same through fuzz_exec: cases one after the other on one job's pool and buffer, then each alone on a fresh one. */
    const cases = [bugged[0], setup_failing(), clean[1], clean[5], clean[7]];
    const strip = (r: FuzzResult): unknown => ({ ...r, ms: 0 });
    const seq: unknown[] = [];
    for (const c of cases) seq.push(strip(await fuzz_exec(c)));
    const alone: unknown[] = [];
    for (const c of cases) {
      await fuzz_exec_teardown();
      alone.push(strip(await fuzz_exec(c)));
    }
    expect(seq).toEqual(alone);
    expect((seq[0] as FuzzResult).findings.length).toBeGreaterThan(0);
    expect((seq[1] as FuzzResult).abnormal).toMatch(/setup\[1\]/);
  });

  it('after a controlled run that ended before some CPU had its first turn, a free-running case on the same pool runs as on a fresh one', async () => {
    /*
     * Seed 5 of a default campaign: run 179 (p3, pct) replayed under a
     * schedule that diverges at step 3 (task 2 for three steps, then a
     * task that does not exist): tasks 1, 3 and 4 never get a turn.  Run
     * 180 (ghost) runs free.  A CPU that never got its turn used to leave
     * the scheduler's point hook installed, and run 180's first point on
     * that worker threw the old run's SchedAbort.
     */
    const limits = { designs: ['p4', 'p3', 'p2', 'ghost', 'vswap'] as const, maxCpus: 4 };
    const a = fresh_case(5, 179, { ...limits, designs: [...limits.designs] }, null);
    const b = fresh_case(5, 180, { ...limits, designs: [...limits.designs] }, null);
    console.log('fuzz seed 5, runs 179 (replaying 2*3.63*1, which diverges) then 180');
    expect([a.design, a.sched.kind, a.scenario.cpus.length, b.design, b.sched.kind], 'the case generator changed: pick a controlled case of 4 CPUs followed by a free-running one').toEqual(['p3', 'pct', 4, 'ghost', 'free']);
    const strip = (r: FuzzResult): unknown => ({ ...r, ms: 0 });
    await fuzz_exec_teardown();
    const first = strip(await fuzz_exec(a, [2, 2, 2, 99]));
    expect((first as FuzzResult).abnormal).toMatch(/^diverged at step 3/);
    skipEndCheckOfLast('run 179 diverged at step 3: its CPUs stopped mid-operation');
    const after = strip(await fuzz_exec(b));
    await fuzz_exec_teardown();
    const alone = strip(await fuzz_exec(b));
    expect(after).toEqual(alone);
    expect((after as FuzzResult).abnormal).toBeNull();
  });

  it('after a set-up that failed half-way in the buffer, the next case runs as in a fresh arena', async () => {
    const bad = setup_failing();
    const b = fresh_case(3, 7, LIMITS, null);
    const first = createArena({});
    expect(() => repro_build(scenario_of(bad), bad.seed, true, bad.design, 0, first.sab)).toThrow(ScenarioSetupError);
    const after = await run_in(b, first.sab);
    expect(after.sab).toBe(first.sab);
    expect(after.out).toEqual((await run_in(b, undefined)).out);
  });
});

describe('run_once on one pool (repro searches, fuzz executions)', () => {
  it('boots each run in the buffer of the pool\'s last run that ended normally, never in one a run that ended abnormally left, nor in one whose set-up failed', async () => {
    const pool = new CpuPool(createArena({}), fuzz_widest_case(LIMITS) + 1);
    try {
      const c = fresh_case(3, 7, LIMITS, null);
      const sc = scenario_of(c);
      console.log(`run_once: fuzz case seed 3 run 7 (${c.design} ${c.sched.kind})`);
      const run = (record?: number[]): Promise<OneRun> => run_once(pool, sc, c.seed, c.bug === null, how_of(c, record), undefined, c.design);
      const first = outcome(await run());
      const sab = pool.arena.sab;
      expect(outcome(await run())).toEqual(first);
      expect(pool.arena.sab, 'the second run reused the first run\'s buffer').toBe(sab);
      /* A set-up that fails leaves the buffer spare: no CPU ran in it. */
      const bad = setup_failing();
      await expect(run_once(pool, scenario_of(bad), bad.seed, true, how_of(bad), undefined, bad.design)).rejects.toThrow(ScenarioSetupError);
      expect(outcome(await run())).toEqual(first);
      expect(pool.arena.sab).toBe(sab);
      /* A replay that diverges at its first step ends abnormally: its buffer is not booted in again. */
      expect((await run([1, 1, 99])).abnormal).toMatch(/^diverged/);
      skipEndCheckOfLast('the replay diverged: its CPUs stopped mid-operation');
      expect(pool.arena.sab).toBe(sab);
      expect(outcome(await run())).toEqual(first);
      expect(pool.arena.sab).not.toBe(sab);
    } finally {
      await pool.destroy();
    }
  });
});

describe('synthetic executions on one pool', () => {
  it('boot in the buffer of the last one that ended normally, with the same outcome as in a fresh buffer', async () => {
    const pool = new CpuPool(createArena({}), 3);
    try {
      const c = synthetic_fresh_case(1, 5);
      console.log('synthetic target: seed 1 run 5');
      const first = await synthetic_exec(pool, c);
      const sab = pool.arena.sab;
      const again = await synthetic_exec(pool, c, decode_schedule(first.schedule));
      expect(pool.arena.sab, 'the second run reused the first run\'s buffer').toBe(sab);
      expect({ ...again, ms: 0 }).toEqual({ ...first, ms: 0 });
      /* A replay that diverges ends abnormally: its buffer is not booted in again. */
      expect((await synthetic_exec(pool, c, [1, 1, 99])).abnormal).toMatch(/^diverged/);
      expect(pool.arena.sab).toBe(sab);
      const third = await synthetic_exec(pool, c, decode_schedule(first.schedule));
      expect(pool.arena.sab).not.toBe(sab);
      expect({ ...third, ms: 0 }).toEqual({ ...first, ms: 0 });
    } finally {
      await pool.destroy();
    }
  });
});

describe('a fuzzing job\'s CPU pool', () => {
  it('is as wide as the widest case its campaign draws (no case makes it restart)', () => {
    for (const maxCpus of [2, 4, 7, 8]) {
      const l = { designs: implemented_designs(), maxCpus };
      let widest = 0;
      for (let i = 0; i < 300; i++) widest = Math.max(widest, fresh_case(17, i, l, null).scenario.cpus.length);
      console.log(`--max-cpus ${maxCpus}, seed 17, 300 runs: widest case ${widest} CPUs`);
      expect(widest).toBe(fuzz_widest_case(l));
    }
  });
});
