/*
 * Replay: run the recorded choice of every step (SCHED record, filled from
 * a schedule string by the main thread before the run).  A recorded task
 * that is not runnable at its step means the run diverged from the
 * recording (different code or inputs): the strategy stops the run and
 * says at which step.
 */
import { A } from '../shm/arena.js';
import { SCHED } from '../shm/layout.js';
import { schedWord, type Strategy } from './strategy.js';

export const replayStrategy: Strategy = {
  pick(step, _me, runnable) {
    if (step >= A.i32[schedWord(SCHED.replay_len)]) return runnable[0];
    const t = A.i32[A.L.schedRecord + step];
    if (!runnable.includes(t)) {
      A.i32[schedWord(SCHED.diverged_step)] = step;
      return -1;
    }
    return t;
  },
};
