/*
 * The torture programs of src/sync/torture.ts on real worker threads
 * (2 and 4 CPUs), through the harness in src/harness/cpus.ts; plus the
 * harness's own failure handling (a CPU that BUG()s, a CPU stuck on a lock
 * the dead one held, a program nobody registered).
 *
 * Everything is bounded by operation counts; one CpuPool of 4 workers is
 * reused by every test (worker start-up is ~33-72 ms).  Seeds of random
 * choices are printed; rerun one with TORTURE_SEED=<n>.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { attach, createArena, type ArenaHandle } from '../src/shm/arena.js';
import { clear_reports, nr_reports, read_reports, set_panic_on_warn } from '../src/shm/report.js';
import { lockdep_reset } from '../src/sync/lockdep.js';
import { pv_spinlocks_set } from '../src/sync/spinlock.js';
import { task_init, taskWord, TASK_DEAD } from '../src/shm/task.js';
import { TASK } from '../src/shm/layout.js';
import { CpuError, CpuPool, CpuRunError, runOnCpus, type CpuSpec } from '../src/harness/cpus.js';
import { sched_selftest_init } from '../src/harness/sched_selftest.js';
import {
  lock_torture_counter,
  lock_torture_init,
  lock_torture_stats,
  rcu_torture_check,
  rcu_torture_init,
  rcu_torture_stats,
  ref_torture_init,
  type LockTortureResult,
  type RcuReaderResult,
  type RcuWriterResult,
  type RefKillerResult,
  type RefUsersResult,
} from '../src/harness/torture.js';

const SEED = process.env.TORTURE_SEED !== undefined ? Number(process.env.TORTURE_SEED) : (Date.now() % 1_000_000) | 0;
const ITERS = 20_000;
/*
 * Negative controls (busted lock / RCU) need the CPUs to overlap in time,
 * which on a busy machine may happen late: they run long operation bounds
 * and stop at the first failure (stopOnFail), with a few tries.
 */
const CONTROL_TRIES = 3;
const CONTROL_ITERS = 5_000_000;

let h: ArenaHandle;
let pool: CpuPool;

function reportLines(): string[] {
  return read_reports().map((r) => `${r.invariant}: ${r.message}`);
}

beforeAll(() => {
  console.log(`sync_workers: seed ${SEED} (rerun with TORTURE_SEED=${SEED})`);
  h = createArena({ nrCpus: 4, nrTasks: 8, maxSwapPages: 1024, nrPages: 16, nrFrames: 64, nrMms: 2, mmPages: 512 });
  attach(h);
  pool = new CpuPool(h, 4);
});

afterAll(async () => {
  await pool?.destroy();
});

beforeEach(() => {
  for (let t = 0; t < 8; t++) task_init(t, t % 4);
  lockdep_reset();
  clear_reports();
  set_panic_on_warn(false);
});

function cpus(n: number, program: string, args: (i: number) => unknown): CpuSpec[] {
  return Array.from({ length: n }, (_, i) => ({ task: i, cpu: i, program, args: args(i) }));
}

describe.each([2, 4])('locktorture on %i CPUs', (n) => {
  it.each(['spinlock-exclusion', 'mutex-exclusion'])('%s: exact counter, no failure', async (program) => {
    lock_torture_init();
    const res = (await pool.run(cpus(n, program, () => ({ iters: ITERS, cpus: n, seed: SEED })))) as LockTortureResult[];
    const st = lock_torture_stats(res);
    console.log(`${program} x${n}: ${st.line}`);
    expect(st.fail).toBe(0);
    expect(res.map((r) => r.n_lock_acquired)).toEqual(new Array(n).fill(ITERS));
    expect(lock_torture_counter()).toBe(n * ITERS);
    expect(reportLines()).toEqual([]);
  });
});

describe('lock_busted (negative control: the check must fire)', () => {
  it('a lock that does not lock loses updates or is caught holding', async () => {
    let caught = false;
    for (let tries = 0; tries < CONTROL_TRIES && !caught; tries++) {
      lock_torture_init();
      clear_reports();
      const res = (await pool.run(cpus(2, 'spinlock-exclusion', () => ({ iters: CONTROL_ITERS, cpus: 2, seed: SEED, busted: true, stopOnFail: true })))) as LockTortureResult[];
      const st = lock_torture_stats(res);
      const acquired = res.reduce((s, r) => s + r.n_lock_acquired, 0);
      console.log(`lock_busted x2 (try ${tries + 1}): ${st.line} counter ${lock_torture_counter()}`);
      caught = st.fail > 0 || lock_torture_counter() !== acquired;
      if (st.fail > 0) expect(reportLines()[0]).toMatch(/^lock-discipline: lock_torture_writer: lock_busted: /);
    }
    expect(caught).toBe(true);
  });
});

describe.each([2, 4])('rcutorture on %i CPUs', (n) => {
  it('readers never see a freed element; every removed element is freed', async () => {
    rcu_torture_init();
    const specs: CpuSpec[] = [
      { task: 0, cpu: 0, program: 'rcu-updater', args: { updates: 400, cpus: n, seed: SEED } },
      ...Array.from({ length: n - 1 }, (_, i) => ({ task: i + 1, cpu: i + 1, program: 'rcu-reader', args: { reads: ITERS, cpus: n, seed: SEED } })),
    ];
    const [w, ...readers] = (await pool.run(specs)) as [RcuWriterResult, ...RcuReaderResult[]];
    const st = rcu_torture_stats(w, readers);
    console.log(st.lines.map((l) => `x${n} ${l}`).join('\n'));
    expect(st.fail).toBe(false);
    expect(w.ver).toBe(400);
    expect(w.gp_sync + w.gp_async + w.gp_poll).toBe(400);
    expect(w.n_rcu_torture_free).toBe(400);
    for (const r of readers) {
      expect(r.reads).toBeGreaterThanOrEqual(ITERS);
      expect(r.poison + r.mberror + r.torn + r.nulls).toBe(0);
      expect(r.pipe.slice(2)).toEqual(new Array(r.pipe.length - 2).fill(0));
    }
    expect(rcu_torture_check()).toEqual({ live: 1, free: 15, inflight: 0, ok: true });
    expect(reportLines()).toEqual([]);
  });
});

describe('rcu busted (negative control: no grace period)', () => {
  it('readers catch the element freed under them', async () => {
    let caught = false;
    for (let tries = 0; tries < CONTROL_TRIES && !caught; tries++) {
      rcu_torture_init();
      clear_reports();
      const specs: CpuSpec[] = [
        { task: 0, cpu: 0, program: 'rcu-updater', args: { updates: CONTROL_ITERS, cpus: 2, seed: SEED, busted: true } },
        { task: 1, cpu: 1, program: 'rcu-reader', args: { reads: 2_000, maxReads: CONTROL_ITERS, cpus: 2, seed: SEED, stopOnFail: true } },
      ];
      const [w, r] = (await pool.run(specs)) as [RcuWriterResult, RcuReaderResult];
      const st = rcu_torture_stats(w, [r]);
      console.log(`busted (try ${tries + 1}):\n${st.lines.join('\n')}`);
      caught = st.fail;
      if (caught) expect(reportLines()[0]).toMatch(/^rcu: rcu_torture_reader: /);
    }
    expect(caught).toBe(true);
  });
});

describe.each([2, 4])('percpu_ref torture on %i CPUs', (n) => {
  it('no use after the kill completed; tryget_live fails on a released ref', async () => {
    ref_torture_init();
    const users = n - 1;
    const specs: CpuSpec[] = [
      { task: 0, cpu: 0, program: 'percpu-ref-killer', args: { rounds: 5, cpus: n, nrUsers: users, killAfter: 2_000 } },
      ...Array.from({ length: users }, (_, i) => ({ task: i + 1, cpu: i + 1, program: 'percpu-ref-users', args: { iters: ITERS, cpus: n } })),
    ];
    const [k, ...us] = (await pool.run(specs)) as [RefKillerResult, ...RefUsersResult[]];
    const got = us.reduce((s, u) => s + u.got, 0);
    const failed = us.reduce((s, u) => s + u.tryget_failed, 0);
    console.log(`percpu_ref x${n}: rounds ${k.rounds} killer fail ${k.fail}; users got ${got} tryget_failed ${failed}`);
    expect(k.rounds).toBe(5);
    expect(k.fail).toBe(0);
    for (const u of us) {
      expect(u.got + u.tryget_failed).toBe(ITERS);
      expect(u.use_after_free).toBe(0);
      expect(u.live_after_kill).toBe(0);
    }
    expect(reportLines()).toEqual([]);
  });
});

describe('barrier_wait as a start line', () => {
  it('a waiter released promptly spins instead of sleeping, so the two tasks start side by side', async () => {
    const ROUNDS = 100;
    lock_torture_init();
    const [sleeps, other] = (await pool.run([0, 1].map((i) => ({ task: i, cpu: i, program: 'selftest-start-line', args: { rounds: ROUNDS, waiter: 0 } })))) as number[];
    console.log(`start line x2: the waiter slept in ${sleeps} of ${ROUNDS} prompt releases`);
    expect(other).toBe(0);
    /*
     * A barrier whose waiters sleep at once sleeps in every round (ROUNDS).
     * How many rounds the releaser is late for depends on the machine's
     * load (a neighbour may take its core), so only "not every round" is
     * asserted: the spin must have ended some rounds.
     */
    expect(sleeps).toBeLessThan(ROUNDS);
    expect(reportLines()).toEqual([]);
  });
});

describe('paravirtual spinlocks: a spinner kept waiting parks, or with them off only spins', () => {
  /* 8 times the spins after which a spinner parks (SPIN_BEFORE_WAIT, src/sync/spinlock.ts). */
  const SPINS = 8 * 256;
  it.each([true, false])('pv spinlocks %s', async (pv) => {
    lock_torture_init();
    pv_spinlocks_set(pv);
    try {
      const [parked, spins] = (await pool.run([
        { task: 0, cpu: 0, program: 'selftest-pv-park', args: { role: 'holder', spins: SPINS } },
        { task: 1, cpu: 1, program: 'selftest-pv-park', args: { role: 'spinner', spins: SPINS } },
      ])) as [boolean, number];
      expect(spins).toBeGreaterThanOrEqual(SPINS);
      /* Parked: the lock word carried SPIN_WAITERS until the holder's unlock; spin-only: never. */
      expect(parked).toBe(pv);
    } finally {
      pv_spinlocks_set(true);
    }
    expect(reportLines()).toEqual([]);
  });
});

describe('spinlock recursion on a CPU', () => {
  it('is reported once and the CPU dies of BUG() instead of spinning on itself forever', async () => {
    lock_torture_init();
    const outcomes = await pool.runSettled([{ task: 2, cpu: 2, program: 'selftest-spin-recursion' }], { timeoutMs: 120_000 });
    const o = outcomes[0];
    expect(o.status).toBe('rejected');
    const err = o.status === 'rejected' ? o.error : undefined;
    expect(err?.remoteName).toBe('KernelBug');
    expect(err?.violation?.invariant).toBe('lock-discipline');
    expect(err?.message).toMatch(/BUG: spinlock recursion on test_lock_c .*task 2/);
    expect(nr_reports()).toBe(1);
  });
});

describe('harness: CPUs that fail', () => {
  it('results come back in spec order from each CPU', async () => {
    const res = (await pool.run(cpus(4, 'selftest-echo', (i) => ({ i })))) as Array<{ task: number; cpu: number; args: { i: number } }>;
    expect(res).toEqual([0, 1, 2, 3].map((i) => ({ task: i, cpu: i, args: { i } })));
  });

  it('a CPU that BUG()s holding a lock: its KernelBug comes back; the CPU stuck on the lock is stopped after the grace period', async () => {
    lock_torture_init();
    const specs: CpuSpec[] = [
      { task: 0, cpu: 0, program: 'selftest-bug', args: { cpus: 2, lock: true } },
      { task: 1, cpu: 1, program: 'selftest-spin', args: { cpus: 2 } },
      { task: 2, cpu: 2, program: 'selftest-echo', args: 'survivor' },
    ];
    /* The stall timeout is far away: the spinner must be ended by the grace period after the BUG, not by it. */
    const err = await pool.run(specs, { graceMs: 300, timeoutMs: 600_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CpuRunError);
    const e = err as CpuRunError;
    console.log(e.message);
    expect(e.failures.map((f) => [f.task, f.cpu, f.program])).toEqual([
      [0, 0, 'selftest-bug'],
      [1, 1, 'selftest-spin'],
    ]);
    expect(e.failures[0]).toBeInstanceOf(CpuError);
    expect(e.failures[0].message).toMatch(/^cpu 0 task 0 program selftest-bug: KernelBug: bug: selftest: BUG\(\) on purpose/);
    expect(e.failures[0].violation?.invariant).toBe('bug');
    expect(e.failures[0].violation?.task).toBe(0);
    expect(e.failures[1].message).toMatch(/terminated 300 ms after cpu 0 task 0 failed/);
    expect(e.failures[1].message).toMatch(/held locks \[\]/); /* the spinner holds nothing; it spins */
    /* Nothing lost: the survivor's result is there. */
    expect(e.outcomes[2]).toMatchObject({ status: 'fulfilled', value: { task: 2, args: 'survivor' } });
    expect(reportLines()).toEqual(['bug: selftest: BUG() on purpose']);
    /* The pool replaced the terminated worker and is usable again. */
    const again = await pool.run(cpus(4, 'selftest-echo', (i) => i));
    expect(again).toHaveLength(4);
  });

  it('a stall is stopped at timeoutMs with the stuck task\'s state', async () => {
    lock_torture_init();
    /* Task 3 takes the lock and dies; task 1 spins; the dump names where it is. */
    const specs: CpuSpec[] = [
      { task: 3, cpu: 3, program: 'selftest-bug', args: { cpus: 2, lock: true } },
      { task: 1, cpu: 1, program: 'selftest-spin', args: { cpus: 2 } },
    ];
    const outcomes = await pool.runSettled(specs, { graceMs: 600_000, timeoutMs: 2_000 });
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    const spin = outcomes[1];
    expect(spin.status === 'rejected' && spin.error.message).toMatch(/stall: CPUs still running after 2000 ms; task 1 on cpu 1/);
    /* The bug CPU returned (its task is only as dead as its program left it); the terminated one is TASK_DEAD. */
    expect(new Int32Array(h.sab)[taskWord(1, TASK.state)]).toBe(TASK_DEAD);
    expect(new Int32Array(h.sab)[taskWord(1, TASK.rcu_reader_gp)]).toBe(0);
  });

  it('an unknown program is an error naming the task, CPU and program', async () => {
    const err = await pool.run([{ task: 2, cpu: 1, program: 'no-such-program' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CpuRunError);
    expect((err as CpuRunError).message).toMatch(/^cpu 1 task 2 program no-such-program: Error: no program "no-such-program" registered/);
  });

  it('bad specs are refused before anything runs', async () => {
    await expect(pool.run([])).rejects.toThrow(/no CPUs/);
    await expect(pool.run(cpus(5, 'selftest-echo', () => 0))).rejects.toThrow(/5 CPUs requested but the pool has 4 threads/);
    await expect(pool.run([{ task: 0, cpu: 0, program: 'selftest-echo' }, { task: 0, cpu: 1, program: 'selftest-echo' }])).rejects.toThrow(/task 0 appears twice/);
    await expect(pool.run([{ task: 0, cpu: 9, program: 'selftest-echo' }])).rejects.toThrow(/cpu 9 out of range/);
  });

  it('a pool that starts fewer workers than its threads starts the others as a run needs them: every CPU on a worker of its own', async () => {
    /* Two tasks taking turns on one word: on one worker the second would wait behind the first for ever. */
    const lazy = new CpuPool(h, 2, { startThreads: 1 });
    try {
      for (let round = 0; round < 2; round++) {
        sched_selftest_init();
        const res = await lazy.run([0, 1].map((role) => ({ task: role, cpu: role, program: 'sched-pingpong', args: { role, rounds: 50 } })), { timeoutMs: 30_000 });
        expect(res).toEqual([50, 50]);
      }
    } finally {
      await lazy.destroy();
    }
  });

  it('a worker that fails to load fails the run instead of hanging it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swaptorture-'));
    const filename = join(dir, 'broken_cpu.mjs');
    writeFileSync(filename, "throw new Error('boom while loading the worker');\n");
    const broken = new CpuPool(h, 1, { filename });
    try {
      const outcomes = await broken.runSettled([{ task: 0, cpu: 0, program: 'selftest-echo' }], { timeoutMs: 600_000 });
      expect(outcomes[0].status).toBe('rejected');
      expect(outcomes[0].status === 'rejected' && outcomes[0].error.message).toMatch(/boom while loading the worker/);
      /* Whether piscina reports the failure to the queued task or as a pool 'error', nothing waits for the stall timeout. */
      for (let i = 0; i < 2; i++) {
        await expect(broken.run([{ task: 0, cpu: 0, program: 'selftest-echo' }], { timeoutMs: 600_000 })).rejects.toThrow(
          /boom while loading the worker/,
        );
      }
    } finally {
      await broken.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runOnCpus: a one-shot pool, destroyed afterwards', async () => {
    const res = await runOnCpus(h, cpus(2, 'selftest-echo', (i) => i * 10));
    expect(res).toEqual([
      { task: 0, cpu: 0, args: 0 },
      { task: 1, cpu: 1, args: 10 },
    ]);
    expect(nr_reports()).toBe(0);
  });
});
