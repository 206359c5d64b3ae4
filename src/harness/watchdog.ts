/*
 * The stall watchdog (the "progress" invariant) and the per-task dump it
 * prints, like the RCU CPU stall warning and locktorture's shutdown dump:
 * for every task, its CPU, current operation, last interleaving point,
 * RCU read-side nesting, preempt count and held locks (class@word, and
 * the holder of each word now).
 *
 * A task is stalled when it is inside an operation (TASK.op != 0) and its
 * heartbeat (TASK.progress, bumped once per finished operation) has not
 * moved for the limit.  Parked, sleeping and finished tasks have op 0 and
 * cannot stall.
 *
 * Context: main thread; reads the arena without attaching anything (the
 * dump works even on an arena whose workers were killed).
 */
import type { ArenaHandle } from '../shm/arena.js';
import { computeLayout, MAX_LOCK_DEPTH, TASK } from '../shm/layout.js';
import { LOCK_CLASSES } from '../sync/lockdep.js';
import { SPIN_WAITERS } from '../sync/spinlock.js';
import { pointLabel } from '../sync/point.js';
import { opName } from './workload.js';

/**
 * What a task is doing, from its heartbeat (TASK.progress: operations
 * finished) - a scenario CPU's "swapoff (2 of 5)" - or null where
 * TASK.op says it (stress).
 */
export type TaskDoing = (task: number, progress: number) => string | null;

/** One task's state, as text: what a stall report prints per CPU; @doing names its operation where TASK.op does not. */
export function task_dump(arena: ArenaHandle, t: number, doing?: TaskDoing): string {
  try {
    const L = computeLayout(arena.config);
    const i32 = new Int32Array(arena.sab);
    const base = L.task + t * TASK.SIZE;
    const depth = Math.min(Atomics.load(i32, base + TASK.lockdep_depth), MAX_LOCK_DEPTH);
    const locks: string[] = [];
    for (let i = 0; i < depth; i++) {
      const w = i32[base + TASK.held_lock + i];
      locks.push(`${LOCK_CLASSES[i32[base + TASK.held_class + i]] ?? '?'}@${w}`);
    }
    const waiting = Atomics.load(i32, base + TASK.wait_lock) - 1;
    const holder = waiting >= 0 ? (Atomics.load(i32, waiting) & ~SPIN_WAITERS) - 1 : -1;
    const progress = Atomics.load(i32, base + TASK.progress);
    const op = doing?.(t, progress) ?? opName(Atomics.load(i32, base + TASK.op));
    return (
      `task ${t} on cpu ${Atomics.load(i32, base + TASK.cpu)}: op ${op}, ` +
      (waiting >= 0 ? `spinning on lock word ${waiting} (held by ${holder >= 0 ? `task ${holder}` : 'nobody now'}), ` : '') +
      `last point ${pointLabel(Atomics.load(i32, base + TASK.last_point))}, progress ${progress}, ` +
      `rcu nesting ${Atomics.load(i32, base + TASK.rcu_read_lock_nesting)}, preempt count ${Atomics.load(i32, base + TASK.spin_depth)}, ` +
      `held locks [${locks.join(', ')}]`
    );
  } catch {
    return `task ${t}: state unreadable`;
  }
}

export interface Stall {
  task: number;
  cpu: number;
  op: number;
  ms: number;
}

/** Watches heartbeats; check() returns the tasks stalled for @limitMs. */
export class Watchdog {
  #last = new Map<number, { progress: number; op: number; since: number }>();
  readonly #i32: Int32Array;
  readonly #taskBase: number;

  constructor(arena: ArenaHandle, readonly tasks: number[], readonly limitMs: number) {
    this.#i32 = new Int32Array(arena.sab);
    this.#taskBase = computeLayout(arena.config).task;
  }

  check(now = performance.now()): Stall[] {
    const out: Stall[] = [];
    for (const t of this.tasks) {
      const base = this.#taskBase + t * TASK.SIZE;
      const progress = Atomics.load(this.#i32, base + TASK.progress);
      const op = Atomics.load(this.#i32, base + TASK.op);
      const seen = this.#last.get(t);
      if (seen === undefined || seen.progress !== progress || op === 0 || seen.op !== op) {
        this.#last.set(t, { progress, op, since: now });
        continue;
      }
      if (now - seen.since >= this.limitMs) out.push({ task: t, cpu: Atomics.load(this.#i32, base + TASK.cpu), op, ms: now - seen.since });
    }
    return out;
  }

  /** Forget the clocks (after the world was stopped on purpose). */
  reset(): void {
    this.#last.clear();
  }
}
