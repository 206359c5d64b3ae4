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
import { lockClass } from '../src/sync/lockdep.js';
import { mutex_lock, mutex_unlock } from '../src/sync/mutex.js';
import { rcu_read_lock, rcu_read_unlock } from '../src/sync/rcu.js';
import { selftest_scratch } from '../src/harness/torture.js';
import { rowsFromBench, type BenchOptions, type BenchRow, type BenchSuite } from './common.js';
import { addRawAtomics, addSpinLock, benchArena, RAW_CMPXCHG_STORE } from './raw.js';

const OPS = 1000;

async function run(opts: BenchOptions): Promise<BenchRow[]> {
  benchArena();
  /* Scratch words for selftests; each lock on its own 64-byte line. */
  const S = selftest_scratch(128);
  const word = S;
  const spin = S + 16;
  const mtx = S + 32;
  const w64 = S + 48;
  const LA = lockClass('test_lock_a');
  const LB = lockClass('test_lock_b');

  const bench = new Bench({ name: 'sync', time: opts.time, warmupTime: opts.warmupTime, throws: true });
  addRawAtomics(bench, OPS, word, w64, 0x5a5a5a5a5a5a5a5an);
  addSpinLock(bench, OPS, spin, LA);
  bench
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
    });
  await bench.run();
  return rowsFromBench('sync', bench, OPS, RAW_CMPXCHG_STORE);
}

export const suite: BenchSuite = {
  name: 'sync',
  description: 'src/sync primitives, one thread, uncontended, vs a bare Atomics cmpxchg+store pair',
  run,
};
