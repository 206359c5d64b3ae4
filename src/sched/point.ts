/*
 * Interleaving points: sched.point(label).
 *
 * The model marks the kernel's real lock, sleep, RCU and preemption points
 * with point().  Free-running (stress), a point costs one branch, plus a
 * random delay when stutter is on (like locktorture's stutter, to widen
 * race windows).  Under a controlled scheduler (src/sched/controlled*),
 * the hook hands control to the strategy, which picks the CPU that runs to
 * its next point.
 *
 * Labels are interned to small integers so a point can be recorded in the
 * arena (TASK.last_point) and in schedules without strings.
 *
 * Context: any; never blocks in free-running mode.
 */

export type PointHook = (id: number) => void;
/** How a blocked task waits for word @w to change from @expected (futex wait). */
export type WaitHook = (w: number, expected: number) => void;

const labels: string[] = ['<none>'];
const ids = new Map<string, number>();

/** Intern @label; the id is stable within a process for the same label order. */
export function pointId(label: string): number {
  let id = ids.get(label);
  if (id === undefined) {
    id = labels.length;
    labels.push(label);
    ids.set(label, id);
  }
  return id;
}

export function pointLabel(id: number): string {
  return labels[id] ?? `#${id}`;
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
  if (waitHook !== null) {
    waitHook(w, expected);
    return;
  }
  Atomics.wait(i32, w, expected, 1);
}

/**
 * An interleaving point.  @id comes from pointId() at module load, so the
 * hot path does no string work.
 */
export function point(id: number): void {
  if (hook !== null) hook(id);
}
