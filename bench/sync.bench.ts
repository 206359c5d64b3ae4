/*
 * Suite "sync": the cost of src/sync/ primitives on one thread, uncontended,
 * as ratios to the bare Atomics they are built from.
 *
 *   npm run bench -- --suite sync
 *
 * Baseline: one Int32 Atomics.compareExchange + Atomics.store pair (what a
 * TTAS lock+unlock is at minimum).  Each task call runs OPS operations in
 * a loop; figures are medians per operation (see bench/common.ts).
 */
import { Bench } from 'tinybench';
import { attach, createArena } from '../src/shm/arena.js';
import { setCurrent, task_init } from '../src/sync/task.js';
import { lockClass, lockdep_reset, lockdep_set_enabled } from '../src/sync/lockdep.js';
import { spin_lock, spin_unlock } from '../src/sync/spinlock.js';
import { mutex_lock, mutex_unlock } from '../src/sync/mutex.js';
import { rcu_read_lock, rcu_read_unlock } from '../src/sync/rcu.js';
import { selftest_scratch } from '../src/sync/torture.js';
import { A } from '../src/shm/arena.js';
import { rowsFromBench, type BenchOptions, type BenchRow, type BenchSuite } from './common.js';

const OPS = 1000;
const BASELINE = 'bare cmpxchg+store (Int32)';

const VALS = [0x5a5a5a5a5a5a5a5an, -1n];

/* Results are folded in here so the JIT cannot drop the loads. */
export let sink = 0n;

async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const h = createArena({ nrCpus: 2, nrTasks: 2, maxSwapPages: 1024, nrPages: 16, nrFrames: 64, nrMms: 2, mmPages: 512 });
  attach(h);
  task_init(0, 0);
  setCurrent(0);
  lockdep_reset();
  /* Scratch words for selftests; each lock on its own 64-byte line. */
  const S = selftest_scratch(128);
  const i32 = A.i32;
  const i64 = A.i64;
  const word = S;
  const spin = S + 16;
  const mtx = S + 32;
  const w64 = (S + 48) >> 1;
  const LA = lockClass('test_lock_a');
  const LB = lockClass('test_lock_b');

  const bench = new Bench({ name: 'sync', time: opts.time, warmupTime: opts.warmupTime, throws: true });
  bench
    .add(BASELINE, () => {
      for (let i = 0; i < OPS; i++) {
        Atomics.compareExchange(i32, word, 0, 1);
        Atomics.store(i32, word, 0);
      }
    })
    .add('spin_lock+spin_unlock, lockdep on', () => {
      for (let i = 0; i < OPS; i++) {
        spin_lock(spin, LA);
        spin_unlock(spin);
      }
    })
    .add('spin_lock+spin_unlock, lockdep off', () => {
      lockdep_set_enabled(false);
      for (let i = 0; i < OPS; i++) {
        spin_lock(spin, LA);
        spin_unlock(spin);
      }
      lockdep_set_enabled(true);
    })
    .add('mutex_lock+mutex_unlock, lockdep on', () => {
      for (let i = 0; i < OPS; i++) {
        mutex_lock(mtx, LB);
        mutex_unlock(mtx);
      }
    })
    .add('rcu_read_lock+rcu_read_unlock', () => {
      for (let i = 0; i < OPS; i++) {
        rcu_read_lock();
        rcu_read_unlock();
      }
    })
    .add('BigInt64 Atomics.load', () => {
      let x = 0n;
      for (let i = 0; i < OPS; i++) x ^= Atomics.load(i64, w64);
      sink ^= x;
    })
    .add('BigInt64 Atomics.store', () => {
      for (let i = 0; i < OPS; i++) Atomics.store(i64, w64, VALS[i & 1]);
    });
  await bench.run();
  return rowsFromBench('sync', bench, OPS, BASELINE);
}

export const suite: BenchSuite = {
  name: 'sync',
  description: 'src/sync primitives, one thread, uncontended, vs a bare Atomics cmpxchg+store pair',
  run,
};
