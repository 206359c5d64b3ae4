/*
 * Violation reports: the model's WARN/BUG/VM_WARN_ON, lockdep splats and
 * invariant failures all land here, in a ring in the arena, so whichever
 * CPU finds a problem every other thread (and the harness) sees it.
 *
 * Nothing is silently ignored: report() always records; whether the
 * reporting CPU then carries on (WARN) or stops (BUG, or panic_on_warn) is
 * the caller's choice of helper.
 */
import { A, gword, readString, writeString } from './arena.js';
import { G, REPORT, REPORT_MSG_BYTES, SCHED, TASK } from './layout.js';
import { __taskWord, current } from './current.js';
import { EV_VIOLATION, trace_enabled, trace_event } from './trace.js';

/** Invariant ids, as docs/invariants.md names them. */
export const INVARIANTS = [
  'slot-format',
  'cluster-count',
  'table-lifetime',
  'cluster-lists',
  'swap-count',
  'swap-cache',
  'folio-accounting',
  'accounting',
  'memcg',
  'zero',
  'data',
  'rcu',
  'device-lifetime',
  'lock-discipline',
  'progress',
  'warn', /* a VM_WARN_ON / WARN_ON_ONCE of the kernel's own, outside the catalogue */
  'bug', /* BUG_ON */
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export function invariantId(name: Invariant): number {
  return INVARIANTS.indexOf(name);
}

export interface Violation {
  seq: number;
  invariant: Invariant;
  task: number;
  cpu: number;
  op: number;
  point: number;
  args: [number, number, number, number];
  message: string;
  /** Controlled mode: the scheduler step of the report (0 free-running). */
  step?: number;
}

/** Thrown by BUG() and by report() when panic_on_warn is set. */
export class KernelBug extends Error {
  constructor(readonly violation: Violation) {
    super(`${violation.invariant}: ${violation.message}`);
    this.name = 'KernelBug';
  }
}

/**
 * Record a violation of @inv with @message; returns it.  @args carry the
 * decoded context (slot, cluster, folio ...) for the report.
 *
 * Context: any, lock-free (the ring slot is claimed with an atomic add).
 */
export function report(inv: Invariant, message: string, args: number[] = []): Violation {
  const i32 = A.i32;
  const slots = A.L.config.reportSlots;
  const seq = Atomics.add(i32, gword(G.report_seq), 1);
  Atomics.add(i32, gword(G.report_count), 1);
  const t = current();
  const cpu = Atomics.load(i32, __taskWord(t, TASK.cpu));
  const op = Atomics.load(i32, __taskWord(t, TASK.op));
  const point = Atomics.load(i32, __taskWord(t, TASK.last_point));
  const v: Violation = {
    seq,
    invariant: inv,
    task: t,
    cpu,
    op,
    point,
    args: [args[0] ?? 0, args[1] ?? 0, args[2] ?? 0, args[3] ?? 0],
    message,
  };
  /* Keep the first reportSlots violations: the first one is the one that matters. */
  if (seq < slots) {
    const base = A.L.report + seq * REPORT.SIZE;
    i32[base + REPORT.invariant] = invariantId(inv);
    i32[base + REPORT.task] = t;
    i32[base + REPORT.cpu] = cpu;
    i32[base + REPORT.op] = op;
    i32[base + REPORT.point] = point;
    i32[base + REPORT.step] = i32[A.L.sched + SCHED.mode] ? i32[A.L.sched + SCHED.step] : 0;
    for (let k = 0; k < 4; k++) i32[base + REPORT.a0 + k] = v.args[k];
    i32[base + REPORT.msg_len] = writeString((base + REPORT.msg) * 4, message, REPORT_MSG_BYTES);
    Atomics.store(i32, base + REPORT.seq, seq + 1); /* publish last */
  }
  if (trace_enabled) trace_event(EV_VIOLATION, seq, invariantId(inv));
  if (Atomics.load(i32, gword(G.panic_on_warn)) !== 0) throw new KernelBug(v);
  return v;
}

/** WARN_ON(cond): report and carry on.  Returns cond, like the kernel macro. */
export function WARN_ON(cond: boolean, inv: Invariant, message: string, args?: number[]): boolean {
  if (cond) report(inv, message, args);
  return cond;
}

/** BUG(): report and stop this CPU's operation. */
export function BUG(inv: Invariant, message: string, args?: number[]): never {
  const v = report(inv, message, args);
  throw new KernelBug(v);
}

/** Total violations reported so far (including any past the ring). */
export function nr_reports(): number {
  return Atomics.load(A.i32, gword(G.report_count));
}

/** Read back the recorded violations, oldest first. */
export function read_reports(): Violation[] {
  const i32 = A.i32;
  const out: Violation[] = [];
  const n = Math.min(Atomics.load(i32, gword(G.report_seq)), A.L.config.reportSlots);
  for (let s = 0; s < n; s++) {
    const base = A.L.report + s * REPORT.SIZE;
    if (Atomics.load(i32, base + REPORT.seq) !== s + 1) continue; /* still being written */
    out.push({
      seq: s,
      invariant: INVARIANTS[i32[base + REPORT.invariant]] ?? 'bug',
      task: i32[base + REPORT.task],
      cpu: i32[base + REPORT.cpu],
      op: i32[base + REPORT.op],
      point: i32[base + REPORT.point],
      args: [i32[base + REPORT.a0], i32[base + REPORT.a1], i32[base + REPORT.a2], i32[base + REPORT.a3]],
      message: readString((base + REPORT.msg) * 4, i32[base + REPORT.msg_len]),
      step: i32[base + REPORT.step],
    });
  }
  return out;
}

/** Forget all reports (between test cases on one arena). */
export function clear_reports(): void {
  Atomics.store(A.i32, gword(G.report_seq), 0);
  Atomics.store(A.i32, gword(G.report_count), 0);
  A.i32.fill(0, A.L.report, A.L.report + A.L.config.reportSlots * REPORT.SIZE);
}

/** panic_on_warn: make every report throw (tests use it to stop at the first splat). */
export function set_panic_on_warn(on: boolean): void {
  Atomics.store(A.i32, gword(G.panic_on_warn), on ? 1 : 0);
}
