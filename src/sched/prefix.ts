/*
 * The explore strategy: a forced prefix of choices, then the
 * non-preemptive continuation - keep the task at the point running while
 * it is runnable, else the runnable task that ran least recently (the
 * lowest-numbered among equals).  Least recently, not lowest-numbered:
 * the model's waits re-check in a loop (a futex wait with a timeout), and
 * two tasks re-checking in turn would otherwise starve the one they wait
 * for (the I/O completion task) for ever - the fairness CHESS gives
 * yielding loops.  A schedule of
 * the search (src/sched/explore.ts) is the prefix; the continuation adds
 * no preemption.  Every step also records which tasks were runnable
 * (SCHED runnable masks, one word a step, bit = task id), so the search
 * knows the alternatives, and whether the task at the point yields (ended
 * its step in a timed wait: RUNNABLE_YIELDED), for the search's fairness.  A forced choice that is not runnable means
 * the run diverged from the one that produced the prefix: the model is
 * not deterministic, which stops the search.
 *
 * Context: the task at an interleaving point (worker), or sched_init.
 */
import { A } from '../shm/arena.js';
import { RUNNABLE_YIELDED, SCHED, SCHED_TASK, SCHED_TASK_STATE } from '../shm/layout.js';
import { schedTaskWord, schedWord, type Strategy } from './strategy.js';
import { sched_i32 } from './footprint.js';

export const prefixStrategy: Strategy = {
  pick(step, me, runnable) {
    const i32 = sched_i32();
    const lastRan = (t: number): number => i32[schedTaskWord(t, SCHED_TASK.last_ran)];
    let mask = 0;
    let oldest = runnable[0];
    for (const t of runnable) {
      mask |= 1 << t;
      if (lastRan(t) < lastRan(oldest) || (lastRan(t) === lastRan(oldest) && t < oldest)) oldest = t;
    }
    const yielded = step > 0 && i32[schedTaskWord(me, SCHED_TASK.state)] === SCHED_TASK_STATE.WAITING;
    if (step < A.L.config.schedSteps && A.L.config.exploreLog > 0) i32[A.L.schedRunnable + step] = mask | (yielded ? RUNNABLE_YIELDED : 0);
    let t: number;
    if (step < i32[schedWord(SCHED.replay_len)]) {
      t = i32[A.L.schedRecord + step];
      if (!runnable.includes(t)) {
        i32[schedWord(SCHED.diverged_step)] = step;
        return -1;
      }
    } else t = step > 0 && runnable.includes(me) ? me : oldest;
    i32[schedTaskWord(t, SCHED_TASK.last_ran)] = step + 1;
    return t;
  },
};

/** The runnable masks of steps 0..@steps-1 of the run just ended (with RUNNABLE_YIELDED).  Context: main thread, the run's arena attached. */
export function prefix_runnable(steps: number): number[] {
  return Array.from(A.i32.subarray(A.L.schedRunnable, A.L.schedRunnable + Math.min(steps, A.L.config.schedSteps)));
}
