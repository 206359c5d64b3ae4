/*
 * The stress programs a worker runs for a whole run:
 *
 *  - "stress-cpu": the workload loop of one simulated CPU (locktorture's
 *    lock_torture_writer): pick an operation by weight, run it, count it,
 *    until stopped or out of budget; park at the stop-the-world barrier
 *    when the harness asks, between operations.
 *  - "stress-onoff": swapoff then swapon of a random device every
 *    interval while the CPUs work (torture's onoff kthread, with devices
 *    instead of CPUs).
 *
 * The heartbeat the watchdog reads is TASK.progress, bumped once per
 * finished operation; TASK.op names the operation under way (0 between
 * operations and while parked or sleeping, when a task cannot stall).
 *
 * Context: worker thread, the task's own; no locks held between operations.
 */
import { ENOMEM } from '../include/errno.js';
import { zswap_shrink_work } from '../mm/zswap_writeback.js';
import { A, gword } from '../shm/arena.js';
import { G, TASK } from '../shm/layout.js';
import { point, pointId } from '../sync/point.js';
import { window_delay_start, window_delay_stop } from '../sync/window_delay.js';
import { LC_SWAP_LOCK } from '../sync/lockdep.js';
import { spin_lock } from '../sync/spinlock.js';
import { curTaskWord, prandom_u32 } from '../shm/task.js';
import { sys_swapoff, sys_swapon } from '../mm/swapon.js';
import { swap_discard_work } from '../mm/swap_discard.js';
import { registerProgram } from './programs.js';
import { torture_must_stop, torture_nr_finished, torture_park_if_requested, torture_sleep, torture_task_finished, torture_task_started } from './torture_ctl.js';
import {
  count_op, cumulative, direct_reclaim, pick_op, OP_DISCARD_WORK, OP_SWAPOFF, OP_SWAPON, WORKLOAD_FNS, WORKLOAD_OPS, type WorkloadShape,
} from './workload.js';

export interface StressCpuArgs {
  shape: WorkloadShape;
  /** Weights in WORKLOAD_OPS order. */
  weights: number[];
  /** Stop after this many operations (0: until stopped). */
  maxOps: number;
  /** Harness self-test: throw after this many operations (0: never). */
  crashAfter?: number;
  /** Harness self-test: after this many operations, hang inside one holding a spinlock (0: never). */
  stallAfter?: number;
}

export interface StressOnoffArgs {
  /** Paths to cycle, with the swapon flags each was activated with. */
  devices: { path: string; flags: number }[];
  intervalMs: number;
  /** Stop after this many cycles (0: until stopped). */
  maxCycles: number;
  /** Workload CPUs of the run: once all have finished, a failed swapoff cannot come to succeed. */
  workers: number;
}

export interface StressOnoffResult {
  cycles: number;
  /** maxCycles not reached: swapoff failed after the workload had ended (nothing left that frees memory). */
  gaveUp: boolean;
}

function set_op(op: number): void {
  Atomics.store(A.i32, curTaskWord(TASK.op), op);
}

function heartbeat(): void {
  Atomics.add(A.i32, curTaskWord(TASK.progress), 1);
}

const P_INJECTED_STALL = pointId('inject_stall');

/*
 * --inject-stall: what a lost wake-up or a leaked lock looks like from
 * outside - a CPU inside an operation, holding swap_lock, that never makes
 * progress again.  Only the watchdog ends it (the worker is terminated).
 */
function inject_stall(op: number): never {
  set_op(op);
  spin_lock(gword(G.swap_lock), LC_SWAP_LOCK);
  for (;;) {
    point(P_INJECTED_STALL);
    Atomics.wait(A.i32, gword(G.torture_gen), Atomics.load(A.i32, gword(G.torture_gen)), 10);
  }
}

/*
 * A stress program's body, delaying at race windows on this thread if
 * the run asks for it (--window-delay; its own delay stream, seeded from the
 * task's so a seed fixes it too).
 */
function with_window_delay<T>(body: () => T): T {
  const on = window_delay_start(A.i32[curTaskWord(TASK.rand)] ^ 0x5bd1e995);
  try {
    return body();
  } finally {
    window_delay_stop(on);
  }
}

registerProgram('stress-cpu', (args: StressCpuArgs) => with_window_delay(() => {
  const cum = cumulative(args.weights);
  let done = 0;
  torture_task_started();
  try {
    while (args.maxOps === 0 || done < args.maxOps) {
      if (!torture_park_if_requested()) break;
      const i = pick_op(cum);
      set_op(i + 1);
      if (WORKLOAD_FNS[i](args.shape) === -ENOMEM) {
        count_op('enomem');
        direct_reclaim();
      }
      count_op(WORKLOAD_OPS[i]);
      set_op(0);
      heartbeat();
      done++;
      if (args.crashAfter && done >= args.crashAfter) {
        set_op(i + 1);
        throw new Error(`injected crash after ${done} operations (--inject-crash)`);
      }
      if (args.stallAfter && done >= args.stallAfter) inject_stall(i + 1);
    }
  } finally {
    torture_task_finished();
  }
  return { ops: done };
}));

registerProgram('stress-onoff', (args: StressOnoffArgs): StressOnoffResult => with_window_delay(() => {
  let cycles = 0;
  let gaveUp = false;
  try {
    while (!torture_must_stop() && (args.maxCycles === 0 || cycles < args.maxCycles)) {
      if (!torture_sleep(args.intervalMs)) break;
      const dev = args.devices[prandom_u32() % args.devices.length];
      set_op(OP_SWAPOFF);
      const off = sys_swapoff(dev.path);
      count_op(off === 0 ? 'swapoff' : 'swapoff-failed');
      set_op(0);
      heartbeat();
      if (off !== 0) {
        /*
         * -ENOMEM: try_to_unuse gave up, the device is back on.  While the
         * CPUs work, memory comes and goes and a later swapoff may succeed;
         * once they have all finished nothing will change, and a bounded
         * run (--swapoff-cycles) must not wait for cycles that cannot run.
         */
        if (torture_nr_finished() >= args.workers) {
          gaveUp = true;
          break;
        }
        continue;
      }
      /* The device stays off for a while as the CPUs go on, then comes back. */
      torture_sleep(Math.max(1, args.intervalMs / 4));
      set_op(OP_SWAPON);
      const on = sys_swapon(dev.path, { flags: dev.flags });
      count_op(on === 0 ? 'swapon' : 'swapon-failed');
      set_op(0);
      heartbeat();
      cycles++;
    }
  } finally {
    torture_task_finished();
  }
  return { cycles, gaveUp };
}));

/*
 * "stress-kworker": the system workqueue, for the work the model schedules
 * (si->discard_work, zswap's shrink work): every @intervalMs, run what is
 * pending.  Without it,
 * clusters queued for discard would wait for an order-0 allocation to fail
 * (swap_sync_discard), and large folios - which the model does not split -
 * could not be swapped out meanwhile.
 */
/** Pages the kworker's zswap shrink work writes back per device and run. */
const ZSWAP_WRITEBACK_BATCH = 16;

export interface StressKworkerArgs {
  intervalMs: number;
}

registerProgram('stress-kworker', (args: StressKworkerArgs) => with_window_delay(() => {
  let works = 0;
  try {
    while (torture_sleep(args.intervalMs)) {
      set_op(OP_DISCARD_WORK);
      if (swap_discard_work() > 0) {
        count_op('discard-work');
        works++;
      }
      /* zswap's shrink work: write a few stored pages back to the devices behind zswap. */
      if (zswap_shrink_work(ZSWAP_WRITEBACK_BATCH) > 0) works++;
      set_op(0);
      heartbeat();
    }
  } finally {
    torture_task_finished();
  }
  return { works };
}));
