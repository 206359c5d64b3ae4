/*
 * RCU, epoch based, over the arena.
 *
 * Readers: rcu_read_lock() on the outermost nesting level publishes the
 * grace-period counter it saw (TASK.rcu_reader_gp = gp | 1);
 * rcu_read_unlock() clears it.  Nesting is per task, as PREEMPT_RCU keeps
 * it in current->rcu_read_lock_nesting.
 *
 * Updaters: a grace period is a cookie = the counter after advancing it by
 * 2.  It has elapsed once no task is inside a read-side section that
 * started before the advance (published gp < cookie).  The argument is the
 * usual one for sequentially consistent atomics: an updater unpublishes
 * (rcu_assign_pointer(p, NULL)) before advancing the counter and scanning;
 * a reader publishes its snapshot before dereferencing.  Either the scan
 * sees the reader, or the reader sees the unpublished pointer.
 *
 * call_rcu()/kfree_rcu(): callbacks are data (a kind and an argument) in a
 * ring in the arena, since closures cannot cross threads; every thread
 * registers the same handler per kind at module load.  Whichever task
 * reaches a sleep point (might_sleep() -> rcu_core()), synchronize_rcu() or
 * rcu_barrier() runs the ready ones (the model's RCU softirq).
 *
 * Counters wrap: every comparison is done modulo 2^32 (ULONG_CMP_LT).
 *
 * Kernel mapping: rcu_read_lock/rcu_read_unlock, synchronize_rcu,
 * get_state_synchronize_rcu/start_poll_synchronize_rcu/
 * poll_state_synchronize_rcu, call_rcu, rcu_barrier,
 * rcu_assign_pointer/rcu_dereference (on i32 words), rcu_read_lock_held.
 */
import { A, gword } from '../shm/arena.js';
import { G, RCU_CB, TASK } from '../shm/layout.js';
import { BUG, report } from '../shm/report.js';
import { __point, point, pointId, sched_wait } from './point.js';
import { LC_RCU_CB, lockdep_enabled } from './lockdep.js';
import { might_sleep, open_softirq } from './might_sleep.js';
import { spin_lock, spin_unlock } from './spinlock.js';
import { current, curTaskWord, nr_tasks, taskWord, TASK_DEAD } from '../shm/task.js';
import { EV_RCU_LOCK, EV_RCU_UNLOCK, trace_enabled, trace_event } from '../shm/trace.js';

const P_RCU_LOCK = pointId('rcu_read_lock');
const P_RCU_UNLOCK = pointId('rcu_read_unlock');
const P_RCU_GP_WAIT = pointId('synchronize_rcu_wait');

/** rcu_read_lock().  Context: any; nests. */
export function rcu_read_lock(): void {
  const i32 = A.i32;
  const tw = curTaskWord(0);
  const n = i32[tw + TASK.rcu_read_lock_nesting];
  i32[tw + TASK.rcu_read_lock_nesting] = n + 1;
  if (n === 0) {
    const gp = Atomics.load(i32, gword(G.rcu_gp_seq));
    Atomics.store(i32, tw + TASK.rcu_reader_gp, gp | 1);
    if (trace_enabled) trace_event(EV_RCU_LOCK, gp, 0);
  }
  __point(i32, tw, P_RCU_LOCK);
}

/** rcu_read_unlock().  Unbalanced unlocks are reported. */
export function rcu_read_unlock(): void {
  const i32 = A.i32;
  const tw = curTaskWord(0);
  const n = i32[tw + TASK.rcu_read_lock_nesting];
  if (n <= 0) {
    report('rcu', `rcu_read_unlock() without rcu_read_lock(), task ${current()}`, [n]);
    return;
  }
  __point(i32, tw, P_RCU_UNLOCK);
  i32[tw + TASK.rcu_read_lock_nesting] = n - 1;
  if (n === 1) {
    Atomics.store(i32, tw + TASK.rcu_reader_gp, 0);
    if (trace_enabled) trace_event(EV_RCU_UNLOCK, 0, 0);
  }
}

/** rcu_read_lock_held(). */
export function rcu_read_lock_held(): boolean {
  return A.i32[curTaskWord(TASK.rcu_read_lock_nesting)] > 0;
}

/**
 * RCU_LOCKDEP_WARN(): CONFIG_PROVE_RCU's check of a function's stated
 * context, "Context: rcu_read_lock() held": report @what when @c holds,
 * as lockdep_rcu_suspicious() does ("WARNING: suspicious RCU usage").
 * A use outside the section has no interleaving point of its own (the
 * section may end just before it), so no schedule can show it: the
 * context is checked where it is stated, as lockdep_assert_held() checks
 * a lock's.  Off with lockdep, as the kernel's is.
 */
export function RCU_LOCKDEP_WARN(c: boolean, what: string): void {
  if (c && lockdep_enabled()) report('rcu', `WARNING: suspicious RCU usage: ${what}, task ${current()}`, [current()]);
}

/** rcu_dereference(): an acquire load of an RCU-published word. */
export function rcu_dereference(w: number): number {
  return Atomics.load(A.i32, w);
}

/** rcu_assign_pointer(): a release store of an RCU-published word. */
export function rcu_assign_pointer(w: number, v: number): void {
  Atomics.store(A.i32, w, v);
}

/** start_poll_synchronize_rcu(): start a grace period, return its cookie. */
export function start_poll_synchronize_rcu(): number {
  return (Atomics.add(A.i32, gword(G.rcu_gp_seq), 2) + 2) | 0;
}

/**
 * poll_state_synchronize_rcu(): has the grace period of @cookie elapsed?
 *
 * A task holding a spinlock has preemption disabled, which is an RCU
 * read-side critical section too (consolidated RCU, since v4.20): a
 * kfree_rcu() of an object whose lock another CPU holds must wait for
 * that CPU to unlock (a ghost cluster freed under its holder's lock,
 * seed 001 patch 15).  The model does not snapshot when preemption was
 * disabled, so any other task with spin_depth > 0 holds the grace period
 * back (conservative: a longer grace period, never a shorter one).  A
 * dead task's leaked locks do not: it no longer runs.
 */
export function poll_state_synchronize_rcu(cookie: number): boolean {
  const i32 = A.i32;
  const n = nr_tasks();
  const me = current();
  for (let t = 0; t < n; t++) {
    const snap = Atomics.load(i32, taskWord(t, TASK.rcu_reader_gp));
    if (snap !== 0 && (((snap & ~1) - cookie) | 0) < 0) return false;
    if (t !== me && Atomics.load(i32, taskWord(t, TASK.spin_depth)) > 0 && Atomics.load(i32, taskWord(t, TASK.state)) !== TASK_DEAD) return false;
  }
  return true;
}

/** synchronize_rcu().  Context: process context, sleeps, not in a read section. */
export function synchronize_rcu(): void {
  might_sleep('synchronize_rcu');
  const cookie = start_poll_synchronize_rcu();
  const i32 = A.i32;
  while (!poll_state_synchronize_rcu(cookie)) {
    point(P_RCU_GP_WAIT);
    sched_wait(i32, gword(G.rcu_gp_completed), Atomics.load(i32, gword(G.rcu_gp_completed)));
  }
  Atomics.add(i32, gword(G.rcu_gp_completed), 1);
  rcu_do_batch();
}

/* ---- callbacks ---- */

export type RcuCallback = (arg: number) => void;
const handlers: Array<RcuCallback | undefined> = [];

/** Register the handler of callback @kind in this thread (at module load). */
export function register_rcu_callback(kind: number, fn: RcuCallback): void {
  handlers[kind] = fn;
}

function cbWord(i: number, f: number): number {
  return A.L.rcuCb + (i % A.L.config.rcuCallbacks) * RCU_CB.SIZE + f;
}

/**
 * call_rcu(): run handler @kind(@arg) after a grace period.
 * Context: any (takes rcu_cb_lock, a leaf spinlock); never sleeps when
 * called atomic (see rcu_cb_ring_full()).
 */
export function call_rcu(kind: number, arg: number): void {
  const i32 = A.i32;
  const cookie = start_poll_synchronize_rcu();
  spin_lock(gword(G.rcu_cb_lock), LC_RCU_CB);
  const head = i32[gword(G.rcu_cb_head)];
  const tail = i32[gword(G.rcu_cb_tail)];
  if (tail - head >= A.L.config.rcuCallbacks) {
    spin_unlock(gword(G.rcu_cb_lock));
    rcu_cb_ring_full();
    call_rcu(kind, arg);
    return;
  }
  i32[cbWord(tail, RCU_CB.kind)] = kind;
  i32[cbWord(tail, RCU_CB.arg)] = arg;
  i32[cbWord(tail, RCU_CB.gp)] = cookie;
  Atomics.store(i32, gword(G.rcu_cb_tail), tail + 1);
  spin_unlock(gword(G.rcu_cb_lock));
}

let warnedRingFull = false;

/*
 * The callback ring is full.  The kernel's call_rcu() never waits: it
 * queues on an unbounded per-CPU list.  The model's ring is finite, and a
 * callback is never dropped, so room has to be made first:
 *  - in process context (no spinlock or local lock held, not in a read
 *    section) by rcu_barrier(), which may sleep;
 *  - called atomic (the usual case: kmem_cache_free() of a swap table
 *    under ci->lock), sleeping is not allowed, and neither is making the
 *    ring bigger, which only hides the backlog.  The model's limit is hit,
 *    not a kernel bug, but it is never silent: 'rcu' is reported once (a
 *    WARN_ON_ONCE per thread), then the task busy-waits, without
 *    might_sleep(), running callbacks whose grace period ended until one
 *    slot is free.  If the oldest callback waits for this task's own
 *    read-side section, that wait could never end: BUG() instead of a
 *    hang.
 */
function rcu_cb_ring_full(): void {
  const i32 = A.i32;
  const t = current();
  const atomic = i32[taskWord(t, TASK.spin_depth)] > 0 || i32[taskWord(t, TASK.rcu_read_lock_nesting)] > 0;
  if (!atomic) {
    rcu_barrier();
    return;
  }
  if (!warnedRingFull) {
    warnedRingFull = true;
    report('rcu', `call_rcu: callback ring full (${A.L.config.rcuCallbacks}) in atomic context, task ${t}: busy-waiting for a grace period`, [t]);
  }
  while (rcu_pending() >= A.L.config.rcuCallbacks) {
    if (rcu_do_batch() > 0) return;
    const mine = Atomics.load(i32, taskWord(t, TASK.rcu_reader_gp));
    const oldest = i32[cbWord(Atomics.load(i32, gword(G.rcu_cb_head)), RCU_CB.gp)];
    if (mine !== 0 && (((mine & ~1) - oldest) | 0) < 0) {
      BUG('rcu', `call_rcu: callback ring full and its oldest grace period waits for the read-side section of the caller, task ${t}`, [t]);
    }
    point(P_RCU_GP_WAIT);
  }
}

/** Callbacks of @kind queued and not yet run.  Context: quiescent (the ring is read without rcu_cb_lock). */
export function rcu_pending_kind(kind: number): number {
  const i32 = A.i32;
  let n = 0;
  for (let i = i32[gword(G.rcu_cb_head)], tail = i32[gword(G.rcu_cb_tail)]; i !== tail; i = (i + 1) | 0) if (i32[cbWord(i, RCU_CB.kind)] === kind) n++;
  return n;
}

/** Callbacks queued and not yet run. */
export function rcu_pending(): number {
  const i32 = A.i32;
  return Atomics.load(i32, gword(G.rcu_cb_tail)) - Atomics.load(i32, gword(G.rcu_cb_head));
}

/**
 * rcu_do_batch(): run every queued callback whose grace period elapsed, in
 * queue order.  Handlers run with no lock held.
 * Context: process context, no spinlock, not in a read section.
 */
export function rcu_do_batch(): number {
  const i32 = A.i32;
  let ran = 0;
  for (;;) {
    if (rcu_pending() === 0) return ran;
    spin_lock(gword(G.rcu_cb_lock), LC_RCU_CB);
    const head = i32[gword(G.rcu_cb_head)];
    if (head === i32[gword(G.rcu_cb_tail)] || !poll_state_synchronize_rcu(i32[cbWord(head, RCU_CB.gp)])) {
      spin_unlock(gword(G.rcu_cb_lock));
      return ran;
    }
    const kind = i32[cbWord(head, RCU_CB.kind)];
    const arg = i32[cbWord(head, RCU_CB.arg)];
    Atomics.store(i32, gword(G.rcu_cb_head), head + 1);
    spin_unlock(gword(G.rcu_cb_lock));
    const fn = handlers[kind];
    if (fn === undefined) report('rcu', `RCU callback kind ${kind} has no handler in this thread`, [kind, arg]);
    else fn(arg);
    ran++;
  }
}

/**
 * rcu_core(): the model's RCU_SOFTIRQ, invoking the callbacks whose grace
 * period has ended.  might_sleep() runs it, so a workload that never calls
 * synchronize_rcu() or rcu_barrier() still frees what it queued, as the
 * kernel's softirq and rcuo kthreads do in the background.
 * Context: process context, no spinlock, not in a read section.
 */
export function rcu_core(): void {
  if (rcu_pending() > 0) rcu_do_batch();
}

/* rcu_init(): RCU_SOFTIRQ runs rcu_core() at every sleep point of this thread. */
open_softirq(rcu_core);

/** rcu_barrier(): wait until every callback queued so far has run. */
export function rcu_barrier(): void {
  might_sleep('rcu_barrier');
  const i32 = A.i32;
  const target = Atomics.load(i32, gword(G.rcu_cb_tail));
  while (((Atomics.load(i32, gword(G.rcu_cb_head)) - target) | 0) < 0) {
    rcu_do_batch();
    point(P_RCU_GP_WAIT);
    if (((Atomics.load(i32, gword(G.rcu_cb_head)) - target) | 0) < 0) {
      sched_wait(i32, gword(G.rcu_gp_completed), Atomics.load(i32, gword(G.rcu_gp_completed)));
    }
  }
}
