/*
 * Window delays: free-running stress's random delays at race windows
 * (stress --window-delay N).  At one race-window point in N (a point named
 * "function:what": where the kernel code dropped a lock, sleeps, or reads
 * under RCU inside an operation) the task stops for a random 0 to
 * WINDOW_DELAY_MAX_US microseconds - what a vCPU preempted by its host,
 * an interrupt or a busy machine does to the real code - so the window
 * another CPU must hit grows from a few instructions to up to a
 * millisecond.  KCSAN does the same with its random delays
 * (kcsan.udelay_task).  Not torture.c's stutter, which pauses whole
 * tests (that is torture_park_if_requested()).
 *
 * It changes timing only, never a decision of the model: the delays'
 * random numbers come from a stream of the thread's own, not from the
 * task's workload stream (prandom_u32), so a seed fixes the same workload
 * choices with or without them.  Controlled runs (repro, explore, fuzz)
 * never delay: their point hook is the scheduler's.
 *
 * Context: the hook is installed by a stress program on its own worker
 * thread at its start (window_delay_start) and removed at its end.
 */
import { A, gword } from '../shm/arena.js';
import { G } from '../shm/layout.js';
import { xorshift32 } from '../shm/task.js';
import { getPointHook, is_window_point, setPointHook, type PointHook } from './point.js';

/** The longest delay, in microseconds. */
export const WINDOW_DELAY_MAX_US = 1000;
/** The largest N of "one window point in N" (--window-delay). */
export const WINDOW_DELAY_MAX = 1_000_000;

/* Below this, a delay spins on the clock (a timed futex wait sleeps for at least about this long). */
const SPIN_US = 100;

/* This thread's delay stream (not shared: it decides no model state). */
let rnd = 1;
const nap = new Int32Array(new SharedArrayBuffer(4));

/**
 * Every stress program of the run delays at one window point in @n (0:
 * never).  Context: set-up, main thread, no CPU running.
 */
export function window_delay_set(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > WINDOW_DELAY_MAX) throw new RangeError(`window_delay_set: ${n} is not an integer from 0 to ${WINDOW_DELAY_MAX}`);
  A.i32[gword(G.window_delay)] = n;
  A.i32[gword(G.window_delays)] = 0;
}

/** Delays taken since window_delay_set().  Context: any (a racy sum while CPUs run). */
export function window_delays_taken(): number {
  return Atomics.load(A.i32, gword(G.window_delays));
}

/* udelay(): spin for short delays, sleep for long ones. */
function udelay(us: number): void {
  if (us < SPIN_US) {
    const end = performance.now() + us / 1000;
    while (performance.now() < end);
  } else {
    Atomics.wait(nap, 0, 0, us / 1000);
  }
}

function window_delay_point(n: number): PointHook {
  return (id) => {
    if (!is_window_point(id)) return;
    rnd = xorshift32(rnd);
    if ((rnd >>> 0) % n !== 0) return;
    rnd = xorshift32(rnd);
    Atomics.add(A.i32, gword(G.window_delays), 1);
    udelay((rnd >>> 0) % (WINDOW_DELAY_MAX_US + 1));
  };
}

/**
 * The running program delays at race windows if the run asks for it:
 * installs the point hook on this thread, its stream seeded by @seed.
 * Returns whether it did (pair with window_delay_stop()).
 * Context: a stress program's start, its worker thread, no lock held.
 */
export function window_delay_start(seed: number): boolean {
  const n = A.i32[gword(G.window_delay)];
  if (n <= 0 || getPointHook() !== null) return false;
  rnd = (seed | 0) || 1;
  setPointHook(window_delay_point(n));
  return true;
}

/** The program's end: no more delays on this thread.  Context: as window_delay_start(). */
export function window_delay_stop(started: boolean): void {
  if (started) setPointHook(null);
}
