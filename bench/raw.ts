/*
 * The raw Atomics rows suites compare with, and the uncontended spinlock
 * rows measured against them, on words of the attached arena (a
 * SharedArrayBuffer), so every suite's ratios are taken against the same
 * machine limits in the same run.
 *
 * Each task runs @ops operations per call (bench/common.ts divides).
 */
import type { Bench } from 'tinybench';
import type { CpuPool } from '../src/harness/cpus.js';
import { sched_selftest_init } from '../src/harness/sched_selftest.js';
import { A, attach, createArena } from '../src/shm/arena.js';
import { setCurrent, task_init } from '../src/shm/task.js';
import { lockdep_reset } from '../src/sync/lockdep.js';
import { lockdep_set_enabled } from '../src/sync/lockdep.js';
import { spin_lock, spin_unlock } from '../src/sync/spinlock.js';

export const RAW_CMPXCHG_STORE = 'bare cmpxchg+store (Int32)';
export const RAW_LOAD64 = 'bare BigInt64 Atomics.load';
export const RAW_STORE64 = 'bare BigInt64 Atomics.store';
export const SPIN_LOCKDEP_ON = 'spin_lock+spin_unlock, lockdep on';
export const SPIN_LOCKDEP_OFF = 'spin_lock+spin_unlock, lockdep off';

/**
 * A small arena for single-thread rows, attached, played as task 0 on
 * CPU 0 with a fresh lockdep; its selftest scratch words are free for the
 * suite (src/sync/torture.ts selftest_scratch()).
 */
export function benchArena(): void {
  attach(createArena({ nrCpus: 2, nrTasks: 2, maxSwapPages: 1024, nrPages: 16, nrFrames: 64, nrMms: 2, mmPages: 512 }));
  task_init(0, 0);
  setCurrent(0);
  lockdep_reset();
}

/* Results are folded in here so the JIT cannot drop the loads. */
let sink = 0n;

/** Keep @x alive (a row that loads values and would otherwise discard them). */
export function consume(x: bigint): bigint {
  sink ^= x;
  return sink;
}

/**
 * Add the three raw rows: an Int32 compareExchange + store pair on word
 * @word (the least a TTAS lock+unlock costs), and a BigInt64 load and
 * store of @value on the 64-bit word at (even) word index @w64word.
 */
export function addRawAtomics(bench: Bench, ops: number, word: number, w64word: number, value: bigint): Bench {
  const i32 = A.i32;
  const i64 = A.i64;
  const w64 = w64word >> 1;
  return bench
    .add(RAW_CMPXCHG_STORE, () => {
      for (let i = 0; i < ops; i++) {
        Atomics.compareExchange(i32, word, 0, 1);
        Atomics.store(i32, word, 0);
      }
    })
    .add(RAW_LOAD64, () => {
      let x = 0n;
      for (let i = 0; i < ops; i++) x ^= Atomics.load(i64, w64);
      consume(x);
    })
    .add(RAW_STORE64, () => {
      for (let i = 0; i < ops; i++) Atomics.store(i64, w64, value);
    });
}

/** Add spin_lock+spin_unlock of lock word @lock (class @cls), uncontended, with lockdep on and off. */
export function addSpinLock(bench: Bench, ops: number, lock: number, cls: number): Bench {
  return bench
    .add(SPIN_LOCKDEP_ON, () => {
      for (let i = 0; i < ops; i++) {
        spin_lock(lock, cls);
        spin_unlock(lock);
      }
    })
    .add(SPIN_LOCKDEP_OFF, () => {
      lockdep_set_enabled(false);
      for (let i = 0; i < ops; i++) {
        spin_lock(lock, cls);
        spin_unlock(lock);
      }
      lockdep_set_enabled(true);
    });
}

/**
 * The raw futex hand-off of this machine: microseconds per round trip of
 * two CPU workers of @pool passing a turn with Atomics.wait/notify
 * (ROUNDS round trips, on an arena of its own; @pool's arena is left
 * pointing at it).  Context: main thread; @pool idle, 2+ threads.
 */
export async function futexRoundTripUs(pool: CpuPool, rounds = 20_000): Promise<number> {
  const h = createArena({ nrCpus: 2, nrTasks: 3, maxSwapPages: 1024, nrPages: 16, nrFrames: 64, nrMms: 2, mmPages: 64 });
  attach(h);
  for (let t = 0; t < 3; t++) task_init(t, t % 2);
  setCurrent(0);
  sched_selftest_init();
  pool.setArena(h);
  const t0 = performance.now();
  await pool.run([0, 1].map((role) => ({ task: role + 1, cpu: role, program: 'sched-pingpong', args: { role, rounds } })));
  return ((performance.now() - t0) / rounds) * 1000;
}
