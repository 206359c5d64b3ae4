/*
 * struct completion on one arena word: the number of pending "done"s.
 *
 * Kernel mapping: init_completion / reinit_completion / complete /
 * complete_all / wait_for_completion / try_wait_for_completion.
 */
import { A } from '../shm/arena.js';
import { point, pointId, sched_wait } from './point.js';
import { might_sleep } from './might_sleep.js';

const COMPLETE_ALL = 1 << 30;
const P_COMPLETION_WAIT = pointId('wait_for_completion');

export function init_completion(c: number): void {
  Atomics.store(A.i32, c, 0);
}

export const reinit_completion = init_completion;

/** complete(): wake one waiter (or let the next wait pass). Context: any. */
export function complete(c: number): void {
  const i32 = A.i32;
  if (Atomics.load(i32, c) < COMPLETE_ALL) Atomics.add(i32, c, 1);
  Atomics.notify(i32, c, 1);
}

/** complete_all(): every present and future waiter passes until reinit. */
export function complete_all(c: number): void {
  Atomics.store(A.i32, c, COMPLETE_ALL);
  Atomics.notify(A.i32, c);
}

/** try_wait_for_completion(): consume a done without sleeping. */
export function try_wait_for_completion(c: number): boolean {
  const i32 = A.i32;
  for (;;) {
    const v = Atomics.load(i32, c);
    if (v === 0) return false;
    if (v >= COMPLETE_ALL) return true;
    if (Atomics.compareExchange(i32, c, v, v - 1) === v) return true;
  }
}

/** wait_for_completion().  Context: process context, sleeps. */
export function wait_for_completion(c: number): void {
  might_sleep('wait_for_completion');
  while (!try_wait_for_completion(c)) {
    point(P_COMPLETION_WAIT);
    sched_wait(A.i32, c, 0);
  }
}

export function completion_done(c: number): boolean {
  return Atomics.load(A.i32, c) > 0;
}
