/*
 * The I/O completion task: the device's side of every bio (src/block/bio.ts)
 * - what the kernel runs in the device's interrupt and softirq.  It
 * completes the bios in flight, oldest first, and sleeps while there are
 * none.
 *
 *  - 'blk-completion' runs under the controlled scheduler (repro, fuzz):
 *    a daemon task, blocked (taking no steps) until the oldest bio in
 *    flight may complete - its device latency, in scheduler steps - so
 *    every step it takes completes a bio.  When every other task is
 *    done and no bio is left, the run ends and this task unwinds.
 *  - 'stress-bio' runs free with the stress CPUs: it parks at the
 *    stop-the-world barrier only once every other task is parked and no
 *    bio is in flight (so the quiescent check sees no I/O in flight), and
 *    returns once they all finished.
 *
 * Context: a worker thread of its own; never holds a lock between bios.
 */
import { A, gword } from '../shm/arena.js';
import { G } from '../shm/layout.js';
import { sched_wait_until } from '../sync/point.js';
import { BLK_COMPLETED, bio_nr_inflight, blk_complete_one } from '../block/bio.js';
import { SCHED_OUTCOME_DONE, SchedAbort } from '../sched/controlled.js';
import { registerProgram } from './programs.js';
import { torture_nr_finished, torture_nr_quiet, torture_park_if_requested, torture_task_finished, TORTURE_PARK } from './torture_ctl.js';

/* How long the free-running completion task sleeps with nothing to do before it looks at the barrier again. */
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

export interface StressBioArgs {
  /** The other tasks of the run: the barrier holds once all of them are parked or finished. */
  others: number;
}

registerProgram('stress-bio', (a: StressBioArgs) => {
  let completed = 0;
  try {
    for (;;) {
      if (blk_complete_one() === BLK_COMPLETED) {
        completed++;
        continue;
      }
      if (bio_nr_inflight() > 0) continue; /* the last one is completing */
      if (torture_nr_finished() >= a.others) break;
      if (Atomics.load(A.i32, gword(G.torture_ctl)) === TORTURE_PARK && torture_nr_quiet() >= a.others) {
        torture_park_if_requested();
        continue;
      }
      Atomics.wait(A.i32, gword(G.bio_nr_inflight), 0, IDLE_WAIT_MS);
    }
  } finally {
    torture_task_finished();
  }
  return { completed };
});
