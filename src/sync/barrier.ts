/*
 * A reusable barrier for N tasks on two arena words [count, generation]:
 * the harness's stop-the-world for quiescent invariant checks (every CPU
 * parked, like stop_machine()).
 */
import { A } from '../shm/arena.js';
import { point, pointId, sched_wait } from '../sched/point.js';

const P_BARRIER = pointId('barrier_wait');
export const BARRIER_WORDS = 2;

export function barrier_init(b: number): void {
  Atomics.store(A.i32, b, 0);
  Atomics.store(A.i32, b + 1, 0);
}

/**
 * Wait until @n tasks arrived.  Returns true for exactly one of them (the
 * last to arrive), like pthread's PTHREAD_BARRIER_SERIAL_THREAD.
 */
export function barrier_wait(b: number, n: number): boolean {
  const i32 = A.i32;
  const gen = Atomics.load(i32, b + 1);
  if (Atomics.add(i32, b, 1) + 1 === n) {
    Atomics.store(i32, b, 0);
    Atomics.add(i32, b + 1, 1);
    Atomics.notify(i32, b + 1);
    return true;
  }
  while (Atomics.load(i32, b + 1) === gen) {
    point(P_BARRIER);
    sched_wait(i32, b + 1, gen);
  }
  return false;
}
