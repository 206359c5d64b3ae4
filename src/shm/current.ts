/*
 * current: the task this thread plays, and the unchecked address of a
 * task's fields.  Below task.ts (whose accessors KASAN checks) so that
 * report.ts, which KASAN's BUG() goes through, needs neither.
 *
 * Kernel mapping: current -> current().
 */
import { A, rebase_current } from './arena.js';
import { TASK } from './layout.js';

/** The task this thread is currently playing. */
export function current(): number {
  return A.cur;
}

/** Make this thread play task @t (tests, and each worker once at start). */
export function setCurrent(t: number): void {
  A.cur = t;
  rebase_current();
}

/** Word index of field @f of the current task, unchecked (curTaskWord() checks under KASAN). */
export function __curTaskWord(f: number): number {
  return A.cur_task + f;
}

/** Word index of field @f of task @t, unchecked (taskWord() checks @t under KASAN). */
export function __taskWord(t: number, f: number): number {
  return A.L.task + t * TASK.SIZE + f;
}
