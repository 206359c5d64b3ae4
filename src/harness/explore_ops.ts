/*
 * The explore self-test program (worker side): each task runs a list of
 * operations on a few shared words, with an interleaving point after each,
 * so the schedule tree is small enough to count by hand and its bugs have
 * a known preemption depth (src/harness/explore_synthetic.ts runs them).
 *
 *   explore-ops { ops }  each op, then a point:
 *     ['w', x, v]       word x = v              (a plain store)
 *     ['add', x]        word x += 1             (a plain read-modify-write)
 *     ['r', x]          read word x             (a plain load)
 *     ['lock', l]       spin_lock(lock l)       (l = 0..2)
 *     ['unlock', l]     spin_unlock(lock l)
 *     ['assert', x, v]  word x must not be v    (else a 'data' violation)
 *     ['both', x, y]    words x and y must not both be 1
 *     ['fw', x, v]      Atomics.store(foreign[x], v): a shared buffer
 *                       outside the arena, as the scenario's label table
 *     ['fassert', x, v] foreign[x] must not be v (an Atomics.load)
 *     ['until', x]      while word x < 0: sched_wait_until(word x), as the
 *                       I/O completion task waits for a bio (no point of
 *                       its own: the wait is the task's step end)
 *
 * Context: a worker (the CPU running the task).
 */
import { A } from '../shm/arena.js';
import { report } from '../shm/report.js';
import { point, pointId, sched_wait_until } from '../sync/point.js';
import { lockClass } from '../sync/lockdep.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { registerProgram } from './programs.js';
import { selftest_scratch } from './torture.js';

export type ExploreOp =
  | ['w', number, number]
  | ['add', number]
  | ['r', number]
  | ['lock', number]
  | ['unlock', number]
  | ['assert', number, number]
  | ['both', number, number]
  | ['fw', number, number]
  | ['fassert', number, number]
  | ['until', number];

const P_OP = pointId('explore_op');
const WORDS = 8; /* shared words 0..7, each on a line of its own; the locks after them */
const LOCK_CLASSES = ['test_lock_a', 'test_lock_b', 'test_lock_c'] as const;

function word(x: number): number {
  return selftest_scratch(16 * (WORDS + LOCK_CLASSES.length)) + 16 * x;
}

registerProgram('explore-ops', (a: { ops: ExploreOp[]; foreign?: Int32Array }) => {
  for (const op of a.ops) {
    switch (op[0]) {
      case 'w': A.i32[word(op[1])] = op[2]; break;
      case 'add': A.i32[word(op[1])] += 1; break;
      case 'r': void A.i32[word(op[1])]; break;
      case 'lock': spin_lock(word(WORDS + op[1]), lockClass(LOCK_CLASSES[op[1]])); break;
      case 'unlock': spin_unlock(word(WORDS + op[1])); break;
      case 'assert': if (A.i32[word(op[1])] === op[2]) report('data', `explore selftest: word ${op[1]} is ${op[2]}`); break;
      case 'both': if (A.i32[word(op[1])] === 1 && A.i32[word(op[2])] === 1) report('data', `explore selftest: words ${op[1]} and ${op[2]} both 1`); break;
      case 'fw': Atomics.store(a.foreign!, op[1], op[2]); break;
      case 'fassert': if (Atomics.load(a.foreign!, op[1]) === op[2]) report('data', `explore selftest: foreign word ${op[1]} is ${op[2]}`); break;
      case 'until': while (A.i32[word(op[1])] < 0) sched_wait_until(A.i32, word(op[1]), 1); break;
    }
    point(P_OP);
  }
  return 0;
});
