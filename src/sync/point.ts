/*
 * Interleaving points: sched.point(label).
 *
 * The model marks the kernel's real lock, sleep, RCU and preemption points
 * with point().  Free-running (stress), a point costs one branch, plus a
 * random delay at race windows when asked for (src/sync/window_delay.ts,
 * stress --window-delay).  Under a controlled scheduler (src/sched/controlled*),
 * the hook hands control to the strategy, which picks the CPU that runs to
 * its next point.
 *
 * Labels are interned to stable integers so a point can be recorded in the
 * arena (TASK.last_point) and in schedules without strings.
 *
 * Context: any; never blocks in free-running mode.
 */

import { A } from '../shm/arena.js';
import { TASK } from '../shm/layout.js';
import { EV_POINT, trace_enabled, trace_event } from '../shm/trace.js';
import { __curTaskWord } from '../shm/current.js';

export type PointHook = (id: number) => void;
/** How a blocked task waits for word @w to change from @expected (futex wait); @mode one of WAIT_*. */
export type WaitHook = (w: number, expected: number, mode?: number) => void;

/** sched_wait(): until the word changes or another task makes progress (a futex wait with a timeout). */
export const WAIT_TIMED = 0;
/** sched_wait_until(): until the run's step reaches the word's value. */
export const WAIT_UNTIL_STEP = 1;
/** sched_wait_event(): until the word changes, and only then. */
export const WAIT_EVENT = 2;

/*
 * A point's id is a hash of its label (FNV-1a, 31 bits, never 0), so every
 * thread - whatever order it loaded the model's modules in - and every run
 * agrees on it: a worker's TASK.last_point decodes in the main thread, and
 * a recorded schedule replays in another process.  Two labels hashing to
 * one id is caught when the second is interned (at module load).
 */
const labels = new Map<number, string>([[0, '<none>']]);

/*
 * Race windows: a point named "function:what" marks where the kernel code
 * dropped a lock, sleeps, or reads under RCU inside an operation (the
 * places a concurrent CPU changes what the code is about to rely on).
 * Fuzzing campaigns preempt there on purpose (PCT labelled change points).
 */
const windows = new Set<number>();

function fnv1a31(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h & 0x7fffffff) || 1;
}

/** Intern @label: its stable id. */
export function pointId(label: string): number {
  const id = fnv1a31(label);
  const had = labels.get(id);
  if (had !== undefined && had !== label) throw new Error(`pointId: labels "${had}" and "${label}" hash to the same id ${id}: rename one`);
  labels.set(id, label);
  if (label.includes(':')) windows.add(id);
  return id;
}

/** Is point @id a race window (its label names "function:what")? */
export function is_window_point(id: number): boolean {
  return windows.has(id);
}

/** The race-window points this thread interned, by label: a stable order for one build. */
export function window_points(): number[] {
  return [...windows].sort((a, b) => (labels.get(a)! < labels.get(b)! ? -1 : 1));
}

/** The label of point @id, if this thread interned it. */
export function pointLabel(id: number): string {
  return labels.get(id) ?? `#${id}`;
}

/** Per-thread hook: null in plain free-running mode (the one-branch case). */
let hook: PointHook | null = null;

export function setPointHook(h: PointHook | null): void {
  hook = h;
}

export function getPointHook(): PointHook | null {
  return hook;
}

let waitHook: WaitHook | null = null;

export function setWaitHook(h: WaitHook | null): void {
  waitHook = h;
}

/**
 * Block until the arena word @w no longer holds @expected (or a spurious
 * wake-up).  Free-running this is a futex wait with a short timeout, so a
 * missed wake-up costs latency, never a hang; a controlled scheduler
 * replaces it with a hand-off.
 *
 * Context: process context, may sleep; callers loop and re-check.
 */
export function sched_wait(i32: Int32Array, w: number, expected: number): void {
  __sched_wait(i32, w, expected, WAIT_TIMED);
}

/* The waits on a word's change, as the controlled scheduler's wait @mode (WAIT_TIMED, WAIT_EVENT); free-running a futex wait of up to 1 ms. */
function __sched_wait(i32: Int32Array, w: number, expected: number, mode: number): void {
  if (waitHook !== null) {
    waitHook(w, expected, mode);
    return;
  }
  Atomics.wait(i32, w, expected, 1);
}

/**
 * wait_event(): block until the arena word @w no longer holds @expected,
 * for a wait whose only wake-up is that change - mempool_alloc() sleeping
 * until an element comes back to the pool.  Free-running it is
 * sched_wait()'s futex wait (a missed wake-up costs latency, never a
 * hang).  Under a controlled scheduler the task stays blocked until the
 * word changes; a timed wait would end at any other task's step, and
 * tasks waiting side by side would wake each other for ever while the
 * one that changes the word - the I/O completion task - seldom ran (a
 * livelock of the model: fuzz --max-cpus 8 --seed 53, run 548).  When
 * nothing else can run, the run is a deadlock.
 * Context: process context, may sleep; callers loop and re-check.
 */
export function sched_wait_event(i32: Int32Array, w: number, expected: number): void {
  __sched_wait(i32, w, expected, WAIT_EVENT);
}

/**
 * A retry loop's voluntary context switch: the kernel's cond_resched() in
 * a loop that can only end once another task has moved on (try_to_unuse()
 * retrying while an exiting mm frees its entries "at its own independent
 * pace", mm/swapfile.c).  Under a controlled scheduler the task waits
 * until arena word @w changes or another task takes a step - a switch
 * that is no preemption, so a run whose preemptions are spent (explore's
 * bound, PCT after its change points) does not spin on the loop until its
 * step budget; when nothing else can run it goes on at once.
 * Free-running it does nothing: the operating system preempts.
 * Context: process context, may sleep; callers loop and re-check.
 */
export function cond_resched_retry(i32: Int32Array, w: number): void {
  if (waitHook !== null) waitHook(w, Atomics.load(i32, w));
}

/**
 * A device's side under a controlled scheduler: blocked until the run's
 * step reaches the value of arena word @w (the earliest step the oldest
 * I/O in flight may complete at); a negative value is "nothing to wait
 * for yet", and the task stays blocked, taking no steps, until it is set.
 * If no other task can run, time passes at once.  Free-running it is a
 * futex wait on @w of up to @ms while @w is negative.
 * Context: process context, may sleep; callers loop and re-check.
 */
export function sched_wait_until(i32: Int32Array, w: number, ms: number): void {
  if (waitHook !== null) {
    waitHook(w, 0, WAIT_UNTIL_STEP);
    return;
  }
  const v = Atomics.load(i32, w);
  if (v < 0) Atomics.wait(i32, w, v, ms);
}

/**
 * An interleaving point.  @id comes from pointId() at module load, so the
 * hot path does no string work.  The id is stored in the task's
 * TASK.last_point (a plain store: only the watchdog and reports read it),
 * so a stall dump and every violation name the last point passed.
 * Before attach() the views are empty and the store does nothing.
 */
export function point(id: number): void {
  __point(A.i32, __curTaskWord(0), id);
}

/**
 * __point(): point() for a hot path that holds this thread's views already:
 * @i32 is A.i32 and @tw the current task's area (curTaskWord(0)), read
 * before an Atomics operation - after one, the JIT reads A's fields again.
 * The spinlock and RCU fast paths use it.
 */
export function __point(i32: Int32Array, tw: number, id: number): void {
  i32[tw + TASK.last_point] = id;
  if (trace_enabled) trace_event(EV_POINT, id, 0);
  if (hook !== null) hook(id);
}
