/*
 * A scheduling strategy: which runnable task runs after interleaving point
 * number @step.  Strategies keep their state in the arena (SCHED), so the
 * task that reaches a point runs the strategy itself and hands off - no
 * scheduler thread in between (docs/architecture.md, "Interleaving points").
 *
 * One strategy per file: random.ts, pct.ts, replay.ts, guided.ts, prefix.ts (explore).
 */
import { A } from '../shm/arena.js';
import { SCHED, SCHED_TASK } from '../shm/layout.js';
import { xorshift32 } from '../shm/task.js';

export const STRATEGY_RANDOM = 1;
export const STRATEGY_PCT = 2;
export const STRATEGY_REPLAY = 3;
export const STRATEGY_GUIDED = 4;
export const STRATEGY_EXPLORE = 5;

export interface Strategy {
  /**
   * The task to run from step @step on.  @me is the task at the point
   * (possibly blocked or done), @runnable the tasks that may run (never
   * empty, in task order).  Returns a member of @runnable, or -1 when
   * the strategy cannot go on (a replay that diverged).
   */
  pick(step: number, me: number, runnable: readonly number[]): number;
}

export function schedWord(f: number): number {
  return A.L.sched + f;
}

/** Word index of field @f (SCHED_TASK) of task @t's scheduler state. */
export function schedTaskWord(t: number, f: number): number {
  return A.L.schedTasks + t * SCHED_TASK.SIZE + f;
}

/** xorshift32 on SCHED.rng: the strategy's own random stream. */
export function sched_rand(): number {
  const w = schedWord(SCHED.rng);
  const x = xorshift32(A.i32[w] | 0 || 0x2545f491);
  A.i32[w] = x;
  return x >>> 0;
}
