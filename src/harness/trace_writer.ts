/*
 * Timelines in the Chrome Trace Event Format (the JSON that Perfetto and
 * chrome://tracing load): one track (tid) per task, "B"/"E" spans for
 * spinlock holds and RCU read-side sections, "i" instants for
 * interleaving points and violations, thread-name metadata.  Read from
 * the per-task rings of src/sched/trace.ts after the run.
 *
 * In controlled mode a timestamp is the scheduler step (shown as 1 us a
 * step); free-running, microseconds of wall time from the first event.
 *
 * The document's schema: trace_schema.ts.
 *
 * Context: main thread, after the run.
 */
import { A } from '../shm/arena.js';
import { TRACE_EVENT, TRACE_RING } from '../shm/layout.js';
import { INVARIANTS, read_reports } from '../shm/report.js';
import { LOCK_CLASSES } from '../sync/lockdep.js';
import { pointLabel } from '../sync/point.js';
import { EV_LOCK, EV_POINT, EV_RCU_LOCK, EV_RCU_UNLOCK, EV_UNLOCK, EV_VIOLATION, trace_ring } from '../shm/trace.js';
import { write_atomic } from './write_atomic.js';
import type { TraceEvent, TraceFile } from './trace_schema.js';

interface Raw {
  ts: number;
  type: number;
  a: number;
  b: number;
}

function ring_events(t: number): Raw[] {
  const i32 = A.i32;
  const ring = trace_ring(t);
  const n = Atomics.load(i32, ring + TRACE_RING.head);
  const cap = A.L.config.traceEvents;
  const out: Raw[] = [];
  for (let k = Math.max(0, n - cap); k < n; k++) {
    const e = ring + TRACE_RING.EVENTS + (k % cap) * TRACE_EVENT.SIZE;
    out.push({ ts: i32[e + TRACE_EVENT.ts], type: i32[e + TRACE_EVENT.type], a: i32[e + TRACE_EVENT.a], b: i32[e + TRACE_EVENT.b] });
  }
  return out;
}

/** The Chrome trace of @tasks (named by @names), as an object. */
export function build_trace(tasks: number[], names: Record<number, string>, otherData: Record<string, unknown>): TraceFile {
  const reports = new Map(read_reports().map((v) => [v.seq, v]));
  const raw = tasks.map((t) => ({ t, ev: ring_events(t) }));
  const t0 = Math.min(...raw.flatMap((r) => r.ev.map((e) => e.ts)), Number.MAX_SAFE_INTEGER);
  const out: TraceEvent[] = [];
  for (const { t, ev } of raw) {
    out.push({ name: 'thread_name', ph: 'M', ts: 0, pid: 1, tid: t, args: { name: names[t] ?? `task ${t}` } });
    /* Spans open in this ring; an end whose begin fell out of the ring is dropped. */
    let open = 0;
    for (const e of ev) {
      const ts = e.ts - t0;
      if (e.type === EV_POINT) out.push({ name: pointLabel(e.a), cat: 'point', ph: 'i', s: 't', ts, pid: 1, tid: t });
      else if (e.type === EV_LOCK || e.type === EV_RCU_LOCK) {
        const name = e.type === EV_LOCK ? (LOCK_CLASSES[e.b] ?? 'lock') : 'rcu_read_lock';
        out.push({ name, cat: e.type === EV_LOCK ? 'lock' : 'rcu', ph: 'B', ts, pid: 1, tid: t, args: e.type === EV_LOCK ? { word: e.a } : { gp: e.a } });
        open++;
      } else if (e.type === EV_UNLOCK || e.type === EV_RCU_UNLOCK) {
        if (open === 0) continue;
        out.push({ name: e.type === EV_UNLOCK ? 'unlock' : 'rcu_read_unlock', ph: 'E', ts, pid: 1, tid: t });
        open--;
      } else if (e.type === EV_VIOLATION) {
        const v = reports.get(e.a);
        out.push({ name: `VIOLATION [${INVARIANTS[e.b] ?? e.b}]`, cat: 'violation', ph: 'i', s: 'g', ts, pid: 1, tid: t, args: { message: v?.message ?? '' } });
      }
    }
  }
  return { traceEvents: out, displayTimeUnit: 'ms', otherData };
}

/** Write the trace of @tasks to @file atomically (temp file, then rename). */
export function write_trace(file: string, tasks: number[], names: Record<number, string>, otherData: Record<string, unknown>): number {
  const doc = build_trace(tasks, names, otherData);
  write_atomic(file, JSON.stringify(doc));
  return doc.traceEvents.length;
}
