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

/* Recorded steps next_switch() reads ahead: a turn longer than this has time for a sleeper to wake. */
const REPLAY_LOOKAHEAD = 256;

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
  /* The record says: its first other task from @step on (within a bounded look-ahead). */
  next_switch(step, me) {
    const end = Math.min(A.i32[schedWord(SCHED.replay_len)], step + REPLAY_LOOKAHEAD);
    for (let s = step; s < end; s++) {
      const t = A.i32[A.L.schedRecord + s];
      if (t !== me) return t;
    }
    return -1;
  },
};
