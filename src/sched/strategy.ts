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
  /**
   * The task pick() will first choose other than @me, from step @step on,
   * if the runnable tasks stay @runnable; -1 if the strategy cannot tell.
   * Reads the strategy's state and changes nothing (draws no random
   * number): a hint for which parked task spins, timing only.
   */
  next_switch?(step: number, me: number, runnable: readonly number[]): number;
}

export function schedWord(f: number): number {
  return A.L.sched + f;
}

/** Word index of field @f (SCHED_TASK) of task @t's scheduler state. */
export function schedTaskWord(t: number, f: number): number {
  return A.L.schedTasks + t * SCHED_TASK.SIZE + f;
}

/**
 * The strategy stream's state after state @x (a zero state starts it
 * again); sched_rand() returns the new state as an unsigned number.
 */
export function sched_rand_after(x: number): number {
  return xorshift32(x | 0 || 0x2545f491);
}

/** The strategy stream's state now: sched_rand_after() of it is the next draw (peeking draws nothing). */
export function sched_rand_state(): number {
  return A.i32[schedWord(SCHED.rng)];
}

/** xorshift32 on SCHED.rng: the strategy's own random stream. */
export function sched_rand(): number {
  const w = schedWord(SCHED.rng);
  const x = sched_rand_after(A.i32[w]);
  A.i32[w] = x;
  return x >>> 0;
}
