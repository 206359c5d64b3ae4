/*
 * The I/O completion task of a controlled run (repro, fuzz): the device's
 * side of every bio (src/block/bio.ts) - what the kernel runs in the
 * device's interrupt and softirq.  A daemon of the scheduler, blocked
 * (taking no steps) until the oldest bio in flight may complete - its
 * device latency, in scheduler steps - so every step it takes completes a
 * bio, oldest first.  When every other task is done and no bio is left,
 * the run ends and this task unwinds.  (Free-running stress has no such
 * task: its CPUs complete the queue at their operation boundaries,
 * blk_softirq().)
 *
 * Context: a worker thread of its own; never holds a lock between bios.
 */
import { A, gword } from '../shm/arena.js';
import { G } from '../shm/layout.js';
import { sched_wait_until } from '../sync/point.js';
import { BLK_COMPLETED, blk_complete_one } from '../block/bio.js';
import { SCHED_OUTCOME_DONE, SchedAbort } from '../sched/controlled.js';
import { registerProgram } from './programs.js';

/* Free-running (never, but sched_wait_until needs one): how long an idle wait may sleep. */
const IDLE_WAIT_MS = 2;

registerProgram('blk-completion', () => {
  let completed = 0;
  try {
    for (;;) {
      if (blk_complete_one() === BLK_COMPLETED) completed++;
      /* Idle, or the oldest bio's latency has not passed: blocked until the step it may complete at. */
      else sched_wait_until(A.i32, gword(G.bio_next_due), IDLE_WAIT_MS);
    }
  } catch (e) {
    /* The run is over: everyone else is done and nothing is in flight. */
    if (e instanceof SchedAbort && e.outcome === SCHED_OUTCOME_DONE) return { completed };
    throw e;
  }
});
