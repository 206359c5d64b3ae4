/*
 * might_sleep(): the model's sleep points.
 *
 * Where the kernel may sleep (mutex_lock, a GFP_KERNEL allocation,
 * synchronize_rcu, wait_for_completion, cond_resched), the model calls
 * might_sleep(), which
 *  - reports "BUG: sleeping function called from invalid context" when the
 *    task holds a spinlock or local lock (preempt count), or
 *    "Voluntary context switch within RCU read-side critical section" in a
 *    read-side section (lock-discipline);
 *  - is an interleaving point;
 *  - is where a task may be migrated to another CPU (the shuffle), exactly
 *    because nothing pins it there;
 *  - runs the softirq actions (do_softirq()) when nothing pins the task:
 *    rcu.ts opens RCU_SOFTIRQ with rcu_core(), which runs the callbacks
 *    whose grace period ended.  Opened from above (open_softirq(), as
 *    rcu_init() does), so this file does not import RCU.
 *
 * Kernel mapping: might_sleep() / cond_resched() in kernel/sched/core.c;
 * open_softirq() / do_softirq() in kernel/softirq.c.
 */
import { A } from '../shm/arena.js';
import { TASK } from '../shm/layout.js';
import { report } from '../shm/report.js';
import { point, pointId } from './point.js';
import { current, migrate_if_requested, taskWord } from '../shm/task.js';
import { lockdep_enabled } from './lockdep.js';

const P_MIGHT_SLEEP = pointId('might_sleep');

/* The softirq actions this thread's modules opened (RCU's, once rcu.ts is loaded). */
const softirq_vec: (() => void)[] = [];

/** open_softirq(): run @action at every sleep point where nothing pins the task.  Context: module load. */
export function open_softirq(action: () => void): void {
  if (!softirq_vec.includes(action)) softirq_vec.push(action);
}

/* do_softirq(): run every opened action.  Context: no spinlock, no RCU read-side section. */
function do_softirq(): void {
  for (let i = 0; i < softirq_vec.length; i++) softirq_vec[i]();
}

/**
 * Context: process context.  Reported (never ignored) if called atomic.
 */
export function might_sleep(where = 'might_sleep'): void {
  const i32 = A.i32;
  const t = current();
  const spin = i32[taskWord(t, TASK.spin_depth)];
  const rcu = i32[taskWord(t, TASK.rcu_read_lock_nesting)];
  if (lockdep_enabled()) {
    if (spin > 0) {
      report('lock-discipline', `BUG: sleeping function called from invalid context at ${where}: in_atomic(): 1, preempt_count ${spin}, task ${t}`, [spin]);
    } else if (rcu > 0) {
      report('lock-discipline', `WARNING: Voluntary context switch within RCU read-side critical section at ${where}, task ${t}`, [rcu]);
    }
  }
  point(P_MIGHT_SLEEP);
  if (spin === 0 && rcu === 0) {
    do_softirq();
    migrate_if_requested();
  }
}
