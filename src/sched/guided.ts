/*
 * Guided replay, for shrinking: follow an edited schedule where it can -
 * the recorded task if it is runnable at that step - and otherwise keep
 * the task at the point running (or the first runnable one).  Unlike
 * replay.ts it never diverges, so an edited schedule (a preemption
 * removed) still yields a complete run, whose own recording is exact.
 */
import { A } from '../shm/arena.js';
import { SCHED } from '../shm/layout.js';
import { schedWord, type Strategy } from './strategy.js';

export const guidedStrategy: Strategy = {
  pick(step, me, runnable) {
    if (step < A.i32[schedWord(SCHED.replay_len)]) {
      const t = A.i32[A.L.schedRecord + step];
      if (runnable.includes(t)) return t;
    }
    return runnable.includes(me) ? me : runnable[0];
  },
};
