/*
 * Interleaving coverage for fuzzing campaigns: at every hand-off of the
 * controlled scheduler, the pair (the point the running task stopped at,
 * the point the next task resumes from) - two consecutive interleaving
 * points on different CPUs - is hashed into a bitmap in the arena.  A run's
 * bitmap is its coverage; a campaign unions them and prefers inputs that
 * reached pairs nobody reached before (the way syzkaller's coverage
 * guidance works, applied to schedules).  Spinning on a lock is its own
 * point ("spin"), so lock-contention sites show up as pairs with it.
 *
 * Context: cover_pair() in the task that hands off (controlled mode: one
 * task runs at a time); coverage_pairs() on the main thread after a run.
 */
import { A } from '../shm/arena.js';
import { COVERAGE_BITS } from '../shm/layout.js';

/** The bit of pair (@from, @to) of point ids. */
function pair_bit(from: number, to: number): number {
  return ((Math.imul(from, 0x9e3779b1) ^ to) >>> 0) % COVERAGE_BITS;
}

export function cover_pair(from: number, to: number): void {
  const b = pair_bit(from, to);
  Atomics.or(A.i32, A.L.coverage + (b >>> 5), 1 << (b & 31));
}

/** The pair bits this arena's runs set. */
export function coverage_pairs(): number[] {
  const out: number[] = [];
  for (let w = 0; w < COVERAGE_BITS / 32; w++) {
    let v = Atomics.load(A.i32, A.L.coverage + w);
    while (v !== 0) {
      const low = v & -v;
      out.push(w * 32 + 31 - Math.clz32(low));
      v ^= low;
    }
  }
  return out;
}
