/*
 * Event recording for timelines: each task appends to its own ring in the
 * arena (the most recent A.L.config.traceEvents events), so a failing run
 * can be drawn afterwards - one track per task, spans for lock holds and
 * RCU read sections, instants for interleaving points and violations
 * (src/harness/trace_writer.ts writes the Chrome Trace Event Format).
 *
 * Off unless G.trace is set when a worker starts its task
 * (trace_sync_enabled()); when off, each hook costs one branch on a module
 * variable.  Timestamps: the scheduler step in controlled mode (exact,
 * replayable), else microseconds of wall time.
 *
 * Context: any; a task writes only its own ring.
 */
import { A } from './arena.js';
import { G, SCHED, TRACE_EVENT, TRACE_RING } from './layout.js';

export const EV_POINT = 1;
export const EV_LOCK = 2;
export const EV_UNLOCK = 3;
export const EV_RCU_LOCK = 4;
export const EV_RCU_UNLOCK = 5;
export const EV_VIOLATION = 6;

/** Live binding: read by the hooks in point.ts, spinlock.ts, rcu.ts, report.ts. */
export let trace_enabled = false;
let traceTask = 0;

/** Follow G.trace (each worker, when it starts a task; the main thread after setting it). */
export function trace_sync_enabled(task: number): void {
  trace_enabled = A.L !== undefined && A.i32[A.L.global + G.trace] !== 0;
  traceTask = task;
}

export function trace_ring(t: number): number {
  return A.L.trace + t * (TRACE_RING.EVENTS + A.L.config.traceEvents * TRACE_EVENT.SIZE);
}

/** Append one event to the current task's ring.  Context: trace_enabled. */
export function trace_event(type: number, a: number, b: number): void {
  const i32 = A.i32;
  const ring = trace_ring(traceTask);
  const n = i32[ring + TRACE_RING.head];
  const e = ring + TRACE_RING.EVENTS + (n % A.L.config.traceEvents) * TRACE_EVENT.SIZE;
  i32[e + TRACE_EVENT.ts] = i32[A.L.sched + SCHED.mode] ? i32[A.L.sched + SCHED.step] : Math.round((performance.timeOrigin + performance.now()) * 1000) % 0x7fffffff;
  i32[e + TRACE_EVENT.type] = type;
  i32[e + TRACE_EVENT.a] = a;
  i32[e + TRACE_EVENT.b] = b;
  Atomics.store(i32, ring + TRACE_RING.head, n + 1);
}

/** Turn recording on or off for the runs that start next, and empty every ring.  Context: main thread, no run in flight. */
export function trace_setup(on: boolean): void {
  const i32 = A.i32;
  i32[A.L.global + G.trace] = on ? 1 : 0;
  for (let t = 0; t < A.L.config.nrTasks; t++) i32[trace_ring(t) + TRACE_RING.head] = 0;
}
