/*
 * The controlled scheduler on real worker threads: PCT finds a depth-2
 * bug within the runs its bound predicts, a found schedule replays to the
 * same violation at the same step every time, a lock-order deadlock and a
 * livelock end the run (never a hang), schedule strings round-trip, a
 * hand-off signals only the task chosen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A, createArena, attach, type ArenaHandle } from '../src/shm/arena.js';
import { SCHED, SCHED_TASK, SCHED_TASK_STATE } from '../src/shm/layout.js';
import { clear_reports } from '../src/shm/report.js';
import { setCurrent, task_init } from '../src/shm/task.js';
import { lockdep_reset } from '../src/sync/lockdep.js';
import { CpuPool } from '../src/harness/cpus.js';
import { runControlled } from '../src/harness/controlled_run.js';
import { sched_selftest_init, SELFTEST_LOCK_A, SELFTEST_LOCK_B } from '../src/harness/sched_selftest.js';
import { STRATEGY_PCT, STRATEGY_RANDOM, STRATEGY_REPLAY } from '../src/sched/strategy.js';
import { PCT_STARVE_STEPS, pctStrategy } from '../src/sched/pct.js';
import { randomStrategy } from '../src/sched/random.js';
import { replayStrategy } from '../src/sched/replay.js';
import { sched_init } from '../src/sched/controlled.js';
import { count_switches, decode_schedule, encode_schedule } from '../src/sched/schedule.js';
import type { CpuSpec } from '../src/harness/programs.js';
import { CALL_CHAIN_MAX, model_call_chain } from '../src/harness/call_chain.js';

let h: ArenaHandle;
let pool: CpuPool;

beforeAll(() => {
  h = createArena({ nrCpus: 2, nrTasks: 4, maxSwapPages: 1024, nrPages: 16, nrFrames: 64, nrMms: 2, mmPages: 512, schedSteps: 1 << 17 });
  attach(h);
  pool = new CpuPool(h, 2);
});

afterAll(async () => {
  await pool.destroy();
});

function fresh(): void {
  for (let t = 0; t < 4; t++) task_init(t, t % 2);
  setCurrent(0);
  clear_reports();
  lockdep_reset();
  sched_selftest_init();
}

const STEPS = 10;
const av: CpuSpec[] = [
  { task: 1, cpu: 0, program: 'sched-av-writer', args: { steps: STEPS } },
  { task: 2, cpu: 1, program: 'sched-av-reader', args: { steps: STEPS } },
];

describe('schedule strings', () => {
  it('round-trip, run-length encoded in base 36', () => {
    const rec = [1, 1, 1, 2, 2, 1, ...new Array(40).fill(3)];
    const s = encode_schedule(rec);
    expect(s).toBe('1*3.2*2.1*1.3*14');
    expect(decode_schedule(s)).toEqual(rec);
    expect(count_switches(rec)).toBe(3);
    expect(() => decode_schedule('1*3.x')).toThrow(/bad schedule run "x"/);
  });
});

describe('PCT (Burckhardt et al., ASPLOS 2010)', () => {
  it('finds a depth-2 atomicity violation within n*k runs, the bound of Theorem 1', async () => {
    /* n = 2 tasks, k = the steps of a run (about 2 * STEPS + 4); P(found per run) >= 1/(n*k). */
    const n = 2;
    const k = 2 * STEPS + 4;
    let foundAt = -1;
    let firstSchedule = '';
    let firstStep = -1;
    for (let run = 1; run <= n * k; run++) {
      fresh();
      const r = await runControlled(pool, av, { strategy: STRATEGY_PCT, seed: 1000 + run, maxSteps: 4000, depth: 2, k });
      expect(r.errors).toEqual([]);
      expect(r.outcome).toBe('done');
      if (r.violations.length > 0) {
        foundAt = run;
        firstSchedule = r.schedule;
        firstStep = r.violations[0].step ?? -1;
        break;
      }
    }
    console.log(`PCT d=2 found the atomicity violation in run ${foundAt} (bound n*k = ${n * k}); schedule ${firstSchedule}, step ${firstStep}`);
    expect(foundAt).toBeGreaterThan(0);
    expect(firstStep).toBeGreaterThan(0);

    /* Replay fidelity: the same violation at the same step, every time. */
    for (let i = 0; i < 3; i++) {
      fresh();
      const r = await runControlled(pool, av, { strategy: STRATEGY_REPLAY, seed: 1, maxSteps: 4000, record: decode_schedule(firstSchedule) });
      expect(r.outcome).toBe('done');
      expect(r.violations.map((v) => [v.invariant, v.message, v.step])).toEqual([
        ['data', "selftest: reader saw the writer's intermediate state (atomicity violation)", firstStep],
      ]);
      expect(r.schedule).toBe(firstSchedule);
    }
  });

  it('with depth 1 (no preemption) never finds it: the bug needs a priority change', async () => {
    for (let run = 1; run <= 20; run++) {
      fresh();
      const r = await runControlled(pool, av, { strategy: STRATEGY_PCT, seed: 2000 + run, maxSteps: 4000, depth: 1, k: 24 });
      expect(r.violations).toEqual([]);
      expect(r.preemptions).toBe(0);
    }
  });
});

describe('model_call_chain: where a task was when its run ended', () => {
  const at = (name: string | null, file = 'file:///r/dist/src/mm/x.js:1:2'): string => (name === null ? `    at ${file}` : `    at ${name} (${file})`);
  it('keeps the model frames between the scheduler\'s and the program\'s, innermost first', () => {
    const stack = ['SchedAbort: controlled run ended: livelock', at('wait_turn'), at('schedule'), at('on_wait'), at('__sched_wait'), at('sched_wait'),
      at('mutex_lock'), at('Object.countOf'), at('swapoff_body$1'), at('sys_swapoff'), at('exec_op'), at('exec_op_ids'), at(null), at('Module.cpu')].join('\n');
    expect(model_call_chain(stack)).toEqual(['mutex_lock', 'countOf', 'swapoff_body', 'sys_swapoff']);
  });
  it('is empty for no stack, or a task outside the model (the I/O completion task waiting for a bio)', () => {
    expect(model_call_chain(undefined)).toEqual([]);
    expect(model_call_chain(['SchedAbort: x', at('wait_turn'), at('schedule'), at('on_wait'), at('sched_wait_until'), at(null), at('Module.cpu')].join('\n'))).toEqual([]);
  });
  it('stops at CALL_CHAIN_MAX frames', () => {
    const deep = ['SchedAbort: x', at('__point'), ...Array.from({ length: 40 }, (_, i) => at(`f${i}`))].join('\n');
    expect(model_call_chain(deep)).toEqual(Array.from({ length: CALL_CHAIN_MAX }, (_, i) => `f${i}`));
  });
});

describe('runs that cannot finish end, and say why', () => {
  it('an AB-BA lock order is a deadlock with both tasks spinning on the other\'s lock', async () => {
    const specs: CpuSpec[] = [
      { task: 1, cpu: 0, program: 'sched-abba', args: { first: SELFTEST_LOCK_A, second: SELFTEST_LOCK_B } },
      { task: 2, cpu: 1, program: 'sched-abba', args: { first: SELFTEST_LOCK_B, second: SELFTEST_LOCK_A } },
    ];
    let deadlock = null;
    for (let run = 1; run <= 50 && deadlock === null; run++) {
      fresh();
      const r = await runControlled(pool, specs, { strategy: STRATEGY_RANDOM, seed: run, maxSteps: 4000 });
      expect(r.errors).toEqual([]);
      if (r.outcome === 'deadlock') deadlock = r;
      else expect(r.outcome).toBe('done');
    }
    expect(deadlock).not.toBeNull();
    expect(deadlock!.dumps).toHaveLength(2);
    for (const d of deadlock!.dumps) expect(d).toMatch(/spinning on lock word \d+ \(held by task [12]\)/);
    /* Where each was: spinning in spin_lock, called from the selftest's anonymous program (not a model frame). */
    for (const d of deadlock!.dumps) expect(d).toMatch(/held locks \[test_lock_[ab]@\d+\], at spin_lock_slowpath <- spin_lock$/);
  });

  it('a task that never stops is a livelock at the step bound, not a hang', async () => {
    fresh();
    const r = await runControlled(pool, [
      { task: 1, cpu: 0, program: 'sched-spin-forever' },
      { task: 2, cpu: 1, program: 'sched-av-reader', args: { steps: 3 } },
    ], { strategy: STRATEGY_RANDOM, seed: 7, maxSteps: 500 });
    expect(r.outcome).toBe('livelock');
    expect(r.steps).toBe(500);
    expect(r.errors).toEqual([]);
  });
});

describe('PCT is fair to a task that could run', () => {
  it('a task busy-waiting for another\'s progress without sleeping lets it run after PCT_STARVE_STEPS steps, whichever has the higher priority', async () => {
    const specs: CpuSpec[] = [
      { task: 1, cpu: 0, program: 'sched-busy-wait' },
      { task: 2, cpu: 1, program: 'sched-set-flag', args: { steps: 5 } },
    ];
    const firsts = new Set<number>();
    for (let seed = 1; seed <= 6; seed++) {
      fresh();
      console.log(`PCT fairness: depth 1, seed ${seed}`);
      const r = await runControlled(pool, specs, { strategy: STRATEGY_PCT, seed, maxSteps: 3 * PCT_STARVE_STEPS, depth: 1, k: 100 });
      expect(r.outcome, `seed ${seed}`).toBe('done');
      expect(r.errors).toEqual([]);
      firsts.add(r.record[0]);
      /* No change point (depth 1): the waiter either ran first and kept the CPU until the setter had starved PCT_STARVE_STEPS steps, or never waited. */
      const spun = r.record.filter((t) => t === 1).length;
      if (r.record[0] === 1) expect(spun).toBeGreaterThanOrEqual(PCT_STARVE_STEPS);
      else expect(spun).toBeLessThan(20);
    }
    /* Both priority orders were drawn. */
    expect([...firsts].sort()).toEqual([1, 2]);
  });
});

describe('waits', () => {
  /*
   * sched_wait() is a futex wait with a timeout: another task's step ends
   * it.  sched_wait_event() (a bio allocation waiting for a free bio) ends
   * only when its word changes: waiters side by side woke each other for
   * ever with the timed wait while the I/O completion task seldom ran.
   */
  const waiter = (event: number): CpuSpec => ({ task: 1, cpu: 0, program: 'sched-wait-flag', args: { event } });
  const setter: CpuSpec = { task: 2, cpu: 1, program: 'sched-set-flag', args: { steps: 200 } };

  it('a task in sched_wait_event() runs again only once its word changed; in sched_wait() at the other task\'s steps', async () => {
    for (const seed of [1, 2, 3]) {
      fresh();
      console.log(`waits: random strategy, seed ${seed}`);
      const ev = await runControlled(pool, [waiter(1), setter], { strategy: STRATEGY_RANDOM, seed, maxSteps: 4000 });
      expect(ev.outcome, `seed ${seed}`).toBe('done');
      /* Its first step, the one that waits, and the one after the flag is set. */
      expect(ev.record.filter((t) => t === 1).length, `seed ${seed}`).toBeLessThanOrEqual(3);
      fresh();
      const timed = await runControlled(pool, [waiter(0), setter], { strategy: STRATEGY_RANDOM, seed, maxSteps: 4000 });
      expect(timed.outcome, `seed ${seed}`).toBe('done');
      expect(timed.record.filter((t) => t === 1).length, `seed ${seed}`).toBeGreaterThan(20);
    }
  });

  it('two tasks in sched_wait_event() with nobody to wake them are a deadlock, found at once; in sched_wait() they wake each other until the step bound (a livelock)', async () => {
    const both = (event: number): CpuSpec[] => [waiter(event), { task: 2, cpu: 1, program: 'sched-wait-flag', args: { event } }];
    fresh();
    const ev = await runControlled(pool, both(1), { strategy: STRATEGY_RANDOM, seed: 1, maxSteps: 4000 });
    expect(ev.outcome).toBe('deadlock');
    expect(ev.record.length).toBeLessThan(10);
    fresh();
    const timed = await runControlled(pool, both(0), { strategy: STRATEGY_RANDOM, seed: 1, maxSteps: 4000 });
    expect(timed.outcome).toBe('livelock');
  });
});

describe('hand-offs', () => {
  it('signal only the task chosen: each task\'s turn word counts the hand-offs to it, and the end of the run', async () => {
    for (const seed of [3, 11]) {
      fresh();
      console.log(`hand-offs: random strategy, seed ${seed}`);
      const r = await runControlled(pool, av, { strategy: STRATEGY_RANDOM, seed, maxSteps: 4000 });
      expect(r.outcome).toBe('done');
      /* The task at step s (the one that ran since step s - 1's choice) hands off when it chooses another. */
      const handoffs = new Map<number, number>(av.map((s) => [s.task, 0]));
      for (let s = 1; s < r.record.length; s++) if (r.record[s] !== r.record[s - 1]) handoffs.set(r.record[s], handoffs.get(r.record[s])! + 1);
      expect(count_switches(r.record)).toBeGreaterThan(2);
      for (const { task } of av) {
        /* The run's end wakes every task once more, so it unwinds. */
        expect(A.i32[A.L.schedTasks + task * SCHED_TASK.SIZE + SCHED_TASK.turn]).toBe(handoffs.get(task)! + 1);
      }
    }
  });
});

describe('the spin hint: who the strategy switches to next, told without drawing', () => {
  it('random: the first later pick of another task, the stream left as it was; PCT: the highest other priority not ended, waiting or not; replay: the record\'s next other task', () => {
    fresh();
    const rng = A.L.sched + SCHED.rng;
    for (const seed of [1, 7, 12345, -99]) {
      for (const runnable of [[1, 2], [0, 1, 2, 3], [2, 3]]) {
        sched_init({ strategy: STRATEGY_RANDOM, seed, tasks: [0, 1, 2, 3], maxSteps: 100 });
        for (const me of runnable) {
          const state = A.i32[rng];
          const hint = randomStrategy.next_switch!(1, me, runnable);
          expect(A.i32[rng]).toBe(state);
          let picked = me;
          for (let i = 0; i < 64 && picked === me; i++) picked = randomStrategy.pick(1 + i, me, runnable);
          expect(hint).toBe(picked);
        }
      }
    }
    sched_init({ strategy: STRATEGY_PCT, seed: 5, tasks: [0, 1, 2, 3], maxSteps: 100, depth: 2, k: 100 });
    const prio = (t: number): number => A.i32[A.L.schedTasks + t * SCHED_TASK.SIZE + SCHED_TASK.prio];
    const state = (t: number): number => A.L.schedTasks + t * SCHED_TASK.SIZE + SCHED_TASK.state;
    const byPrio = [0, 1, 2, 3].sort((a, b) => prio(b) - prio(a));
    for (const me of [0, 1, 2, 3]) expect(pctStrategy.next_switch!(1, me, [0, 1, 2, 3])).toBe(byPrio.find((t) => t !== me));
    /* The highest waits (for a lock, say): it still runs next once its wait ends; ended, it never does. */
    A.i32[state(byPrio[0])] = SCHED_TASK_STATE.BLOCKED;
    expect(pctStrategy.next_switch!(1, byPrio[3], byPrio.slice(1))).toBe(byPrio[0]);
    A.i32[state(byPrio[0])] = SCHED_TASK_STATE.DONE;
    expect(pctStrategy.next_switch!(1, byPrio[3], byPrio.slice(1))).toBe(byPrio[1]);
    for (const t of byPrio.slice(1, 3)) A.i32[state(t)] = SCHED_TASK_STATE.DONE;
    expect(pctStrategy.next_switch!(1, byPrio[3], [byPrio[3]])).toBe(-1);
    sched_init({ strategy: STRATEGY_REPLAY, seed: 1, tasks: [0, 1, 2], maxSteps: 100, record: [0, 0, 1, 1, 1, 2, 0] });
    expect(replayStrategy.next_switch!(1, 0, [0, 1, 2])).toBe(1);
    expect(replayStrategy.next_switch!(3, 1, [0, 1, 2])).toBe(2);
    expect(replayStrategy.next_switch!(6, 0, [0, 1, 2])).toBe(-1);
  });
});
