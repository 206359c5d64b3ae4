/*
 * A reusable barrier for N tasks on two arena words [count, generation]:
 * the harness's stop-the-world for quiescent invariant checks (every CPU
 * parked, like stop_machine()) and the start line of torture programs.
 *
 * Waiters busy-wait first, then sleep.  On these VMs a thread woken from a
 * futex wait is often placed on the waker's vCPU and runs *after* it
 * instead of beside it, so a barrier whose waiters sleep at once
 * serialises the tasks it is meant to start together (measured: two
 * 20k-load rounds after a sleeping barrier_wait never overlapped, 20 rounds
 * out of 20).  Spinning keeps every task on its own core at the line;
 * after BARRIER_SPINS loads a waiter sleeps instead (a worker still
 * starting up, or more tasks than cores).  Under a controlled scheduler
 * (a point hook is set) there is no spinning: a waiter hands off at once.
 */
import { A } from '../shm/arena.js';
import { getPointHook, point, pointId, sched_wait } from './point.js';

const P_BARRIER = pointId('barrier_wait');
export const BARRIER_WORDS = 2;
/** Loads a waiter spins before it sleeps (a few ms at ~100 M loads/s). */
export const BARRIER_SPINS = 1 << 20;

export function barrier_init(b: number): void {
  Atomics.store(A.i32, b, 0);
  Atomics.store(A.i32, b + 1, 0);
}

/**
 * Wait until @n tasks arrived.  Returns true for exactly one of them (the
 * last to arrive), like pthread's PTHREAD_BARRIER_SERIAL_THREAD.
 *
 * Context: process context; spins, then may sleep.
 */
export function barrier_wait(b: number, n: number): boolean {
  const i32 = A.i32;
  const gen = Atomics.load(i32, b + 1);
  if (Atomics.add(i32, b, 1) + 1 >= n) {
    Atomics.store(i32, b, 0);
    Atomics.add(i32, b + 1, 1);
    Atomics.notify(i32, b + 1);
    return true;
  }
  if (getPointHook() === null) {
    for (let spins = 0; spins < BARRIER_SPINS; spins++) {
      if (Atomics.load(i32, b + 1) !== gen) return false;
    }
  }
  while (Atomics.load(i32, b + 1) === gen) {
    point(P_BARRIER);
    sched_wait(i32, b + 1, gen);
  }
  return false;
}
