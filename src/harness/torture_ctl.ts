/*
 * Run control shared by the harness (main thread) and the workload tasks:
 * the stop-the-world barrier for quiescent checks, and the stop flag.
 *
 * Kernel mapping (kernel/torture.c): torture_must_stop() ->
 * torture_must_stop(); stutter_wait() -> torture_park_if_requested() (here
 * the pause is a full stop-the-world so the checker can walk every
 * structure); torture_shutdown / torture_cleanup -> torture_stop().
 *
 * Tasks look at the control word only *between* operations, where they
 * hold no lock, no RCU read lock and no reference: parking there is
 * always safe, and "stop at the next point" (SIGINT) means the next such
 * boundary.
 *
 * Every pass through torture_park_if_requested() is an operation
 * boundary, where the block softirq completes the I/O queued
 * (blk_softirq(), src/block/bio.ts).
 * Context: torture_park_if_requested() is process context and sleeps;
 * the main-thread side never blocks the event loop (callers poll).
 */
import { blk_softirq } from '../block/bio.js';
import { A, gword } from '../shm/arena.js';
import { G, TASK } from '../shm/layout.js';
import { curTaskWord } from '../shm/task.js';

export const TORTURE_RUN = 0;
export const TORTURE_PARK = 1;
export const TORTURE_STOP = 2;

/** torture_must_stop(). */
export function torture_must_stop(): boolean {
  return Atomics.load(A.i32, gword(G.torture_ctl)) === TORTURE_STOP;
}

/**
 * Park at the barrier while the harness holds the world stopped.  Returns
 * false if the run was stopped meanwhile.  Context: no locks held.
 */
export function torture_park_if_requested(): boolean {
  const i32 = A.i32;
  const ctl = gword(G.torture_ctl);
  /* An operation boundary: the block softirq runs here (and drains the queue before the task parks: no check sees I/O in flight). */
  blk_softirq();
  if (Atomics.load(i32, ctl) !== TORTURE_PARK) return Atomics.load(i32, ctl) !== TORTURE_STOP;
  Atomics.store(i32, curTaskWord(TASK.op), 0);
  Atomics.add(i32, gword(G.torture_parked), 1);
  while (Atomics.load(i32, ctl) === TORTURE_PARK) Atomics.wait(i32, ctl, TORTURE_PARK, 50);
  Atomics.sub(i32, gword(G.torture_parked), 1);
  return Atomics.load(i32, ctl) !== TORTURE_STOP;
}

/**
 * Sleep up to @ms unless the run is stopped (torture's
 * schedule_timeout_interruptible that torture_must_stop() cuts short).
 * Returns false if stopped.  Parks if asked to.
 */
export function torture_sleep(ms: number): boolean {
  const i32 = A.i32;
  const ctl = gword(G.torture_ctl);
  const end = performance.now() + ms;
  for (;;) {
    if (!torture_park_if_requested()) return false;
    const left = end - performance.now();
    if (left <= 0) return true;
    Atomics.wait(i32, ctl, TORTURE_RUN, Math.min(left, 50));
  }
}

/** A workload task's worker is up: its module graph loaded, its loop about to run. */
export function torture_task_started(): void {
  Atomics.add(A.i32, gword(G.torture_started), 1);
}

/** A workload task is done (ran its operation budget). */
export function torture_task_finished(): void {
  blk_softirq(); /* its own I/O done before it counts as quiet */
  Atomics.add(A.i32, gword(G.torture_finished), 1);
}

/* ---- main-thread side ---- */

export function torture_ctl_init(): void {
  const i32 = A.i32;
  Atomics.store(i32, gword(G.torture_ctl), TORTURE_RUN);
  Atomics.store(i32, gword(G.torture_parked), 0);
  Atomics.store(i32, gword(G.torture_finished), 0);
  Atomics.store(i32, gword(G.torture_started), 0);
}

export function torture_request_park(): void {
  Atomics.store(A.i32, gword(G.torture_ctl), TORTURE_PARK);
}

/** Tasks parked plus tasks finished: when it equals the task count, the world is stopped. */
export function torture_nr_quiet(): number {
  return Atomics.load(A.i32, gword(G.torture_parked)) + Atomics.load(A.i32, gword(G.torture_finished));
}

export function torture_nr_started(): number {
  return Atomics.load(A.i32, gword(G.torture_started));
}

export function torture_nr_finished(): number {
  return Atomics.load(A.i32, gword(G.torture_finished));
}

/** Let parked tasks go on (unless the run was stopped meanwhile). */
export function torture_release(): void {
  const i32 = A.i32;
  const ctl = gword(G.torture_ctl);
  Atomics.add(i32, gword(G.torture_gen), 1);
  Atomics.compareExchange(i32, ctl, TORTURE_PARK, TORTURE_RUN);
  Atomics.notify(i32, ctl);
}

/** torture_stop(): every task returns at its next operation boundary. */
export function torture_stop(): void {
  const i32 = A.i32;
  Atomics.store(i32, gword(G.torture_ctl), TORTURE_STOP);
  Atomics.notify(i32, gword(G.torture_ctl));
}
