/*
 * PCT: Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi,
 * Nagarakatte, "A Randomized Scheduler with Probabilistic Guarantees of
 * Finding Bugs", ASPLOS 2010).
 *
 * With n tasks, k steps and a bug of depth d (d ordering constraints
 * between instructions of different tasks), PCT:
 *   1. gives the tasks random distinct priorities d, d+1, ..., d+n-1;
 *   2. picks d-1 change points k_1..k_{d-1} uniformly in [1, k];
 *   3. always runs the highest-priority runnable task, and when the run
 *      reaches step k_i, drops the running task's priority to i (below
 *      every initial priority).
 * Each run finds the bug with probability at least 1 / (n * k^(d-1))
 * (the paper's Theorem 1), so n * k^(d-1) runs find it in expectation.
 *
 * A change point may also be *labelled*: "the nth time any task reaches
 * point L" instead of "step k_i" (pct_init's @at).  Fuzzing campaigns use
 * it to preempt at race windows - a point named "function:what" marks
 * where the kernel dropped a lock, sleeps or reads under RCU - which a
 * uniformly drawn step hits with probability about 1/k.  The running task
 * at that arrival drops to priority i, exactly as at a step change point.
 *
 * Fairness.  PCT as the paper states it never runs a lower-priority task
 * while a higher one can go on.  The model's lock and sleep waits block
 * (a spinner waits on its lock word), but a retry loop that waits for
 * another CPU's progress without sleeping - an allocator rescanning
 * cluster lists until swapoff has emptied them, say - would then starve a
 * task that could run for ever, and the run end as a livelock that CPUs
 * running side by side cannot have.  So a task left runnable and unchosen
 * for PCT_STARVE_STEPS steps in a row goes above every priority given so
 * far and runs (as PCT runs any task: until it blocks, ends or meets a
 * change point).  Runs in which no task waits that long to run are
 * scheduled exactly as the paper's PCT would.
 *
 * pct_init() draws the priorities and change points (main thread, before
 * the run); pick() runs in whichever task reached the point.
 */
import { A } from '../shm/arena.js';
import { MAX_PCT_DEPTH, SCHED, SCHED_TASK, SCHED_TASK_STATE, TASK } from '../shm/layout.js';
import { taskWord } from '../shm/task.js';
import { sched_rand, schedTaskWord, schedWord, type Strategy } from './strategy.js';

function prioWord(t: number): number {
  return schedTaskWord(t, SCHED_TASK.prio);
}

/*
 * Steps a task may wait, runnable and unchosen, before it is run
 * (fairness, above): far beyond any catalogued race's run and the change
 * points' range, well within a run's step budget (MAX_STEPS).
 */
export const PCT_STARVE_STEPS = 1 << 15;

/** A labelled change point: the @nth arrival (from 1) of any task at point id @point. */
export interface PctLabelledPoint {
  point: number;
  nth: number;
}

/**
 * Draw PCT's priorities for @tasks and @depth - 1 change points in
 * [1, @k]; change point i is labelled instead when @at[i] is given.
 * Context: main thread, before the run; the strategy's rng is seeded.
 */
export function pct_init(tasks: readonly number[], depth: number, k: number, at: readonly (PctLabelledPoint | null)[] = []): void {
  if (depth < 1 || depth > MAX_PCT_DEPTH) throw new RangeError(`pct: depth ${depth} out of 1..${MAX_PCT_DEPTH}`);
  const prios = tasks.map((_, i) => depth + i);
  for (let i = prios.length - 1; i > 0; i--) {
    const j = sched_rand() % (i + 1);
    [prios[i], prios[j]] = [prios[j], prios[i]];
  }
  tasks.forEach((t, i) => (A.i32[prioWord(t)] = prios[i]));
  const points = Array.from({ length: depth - 1 }, () => 1 + (sched_rand() % Math.max(1, k))).sort((a, b) => a - b);
  for (let i = 0; i < MAX_PCT_DEPTH; i++) {
    const l = i < depth - 1 ? at[i] ?? null : null;
    A.i32[schedWord(SCHED.change_points + i)] = l === null ? points[i] ?? 0 : 0;
    A.i32[schedWord(SCHED.change_labels + i)] = l === null ? 0 : l.point;
    A.i32[schedWord(SCHED.change_countdown + i)] = l === null ? 0 : Math.max(1, l.nth);
  }
  A.i32[schedWord(SCHED.depth)] = depth;
  A.i32[schedWord(SCHED.pct_ceiling)] = depth + tasks.length - 1;
  for (const t of tasks) {
    A.i32[schedTaskWord(t, SCHED_TASK.pct_seen)] = -1;
    A.i32[schedTaskWord(t, SCHED_TASK.pct_since)] = 0;
  }
}

/*
 * Fairness (above): @best is PCT's choice at @step; returns the task that
 * has waited longest, runnable and unchosen, if that is PCT_STARVE_STEPS
 * or more - raised above every priority so far - else @best.
 */
function pct_fair(step: number, best: number, runnable: readonly number[]): number {
  let starved = -1;
  let oldest = step - PCT_STARVE_STEPS;
  for (const t of runnable) {
    const seen = schedTaskWord(t, SCHED_TASK.pct_seen);
    const since = schedTaskWord(t, SCHED_TASK.pct_since);
    if (A.i32[seen] !== step - 1) A.i32[since] = step; /* runnable again after a wait: a new stretch */
    A.i32[seen] = step;
    if (t !== best && A.i32[since] <= oldest) {
      oldest = A.i32[since];
      starved = t;
    }
  }
  const chosen = starved < 0 ? best : starved;
  if (starved >= 0) A.i32[prioWord(starved)] = ++A.i32[schedWord(SCHED.pct_ceiling)];
  A.i32[schedTaskWord(chosen, SCHED_TASK.pct_since)] = step + 1;
  return chosen;
}

export const pctStrategy: Strategy = {
  pick(step, me, runnable) {
    const depth = A.i32[schedWord(SCHED.depth)];
    const at = A.i32[taskWord(me, TASK.last_point)];
    for (let i = 0; i < depth - 1; i++) {
      const label = A.i32[schedWord(SCHED.change_labels + i)];
      if (label === 0) {
        if (A.i32[schedWord(SCHED.change_points + i)] === step) A.i32[prioWord(me)] = i + 1;
      } else if (label === at && step > 0 && A.i32[schedWord(SCHED.change_countdown + i)] > 0) {
        if (--A.i32[schedWord(SCHED.change_countdown + i)] === 0) A.i32[prioWord(me)] = i + 1;
      }
    }
    let best = runnable[0];
    for (const t of runnable) if (A.i32[prioWord(t)] > A.i32[prioWord(best)]) best = t;
    return pct_fair(step, best, runnable);
  },
  /*
   * The highest-priority other task that has not ended: a waiting one
   * above @me takes over as soon as its wait ends (the lock @me holds,
   * say), one below when @me blocks, ends or drops at a change point
   * (fairness boosts aside).
   */
  next_switch(_step, me) {
    const nr = A.i32[schedWord(SCHED.nr_tasks)];
    let best = -1;
    for (let i = 0; i < nr; i++) {
      const t = A.i32[schedWord(SCHED.tasks + i)];
      if (t === me || A.i32[schedTaskWord(t, SCHED_TASK.state)] === SCHED_TASK_STATE.DONE) continue;
      if (best < 0 || A.i32[prioWord(t)] > A.i32[prioWord(best)]) best = t;
    }
    return best;
  },
};
