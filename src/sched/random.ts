/*
 * The random strategy (Shuttle's RandomScheduler): at every interleaving
 * point, a uniformly random runnable task runs next.  Cheap, and good at
 * bugs that need many small preemptions; PCT (pct.ts) is better at bugs
 * that need a few preemptions at exactly the right places.
 */
import { sched_rand, sched_rand_after, sched_rand_state, type Strategy } from './strategy.js';

/* Draws next_switch() looks ahead: with two runnable tasks, the chance that all of them keep the runner is 2^-16. */
const NEXT_SWITCH_DRAWS = 16;

export const randomStrategy: Strategy = {
  pick(_step, _me, runnable) {
    return runnable[sched_rand() % runnable.length];
  },
  /* The draws to come are known: the first that picks another task, while the runnable tasks stay the same. */
  next_switch(_step, me, runnable) {
    let x = sched_rand_state();
    for (let i = 0; i < NEXT_SWITCH_DRAWS; i++) {
      x = sched_rand_after(x);
      const t = runnable[(x >>> 0) % runnable.length];
      if (t !== me) return t;
    }
    return -1;
  },
};
