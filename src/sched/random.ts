/*
 * The random strategy (Shuttle's RandomScheduler): at every interleaving
 * point, a uniformly random runnable task runs next.  Cheap, and good at
 * bugs that need many small preemptions; PCT (pct.ts) is better at bugs
 * that need a few preemptions at exactly the right places.
 */
import { sched_rand, type Strategy } from './strategy.js';

export const randomStrategy: Strategy = {
  pick(_step, _me, runnable) {
    return runnable[sched_rand() % runnable.length];
  },
};
