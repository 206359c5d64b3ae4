/*
 * spinlock_t on one arena word: one compare-and-swap when uncontended,
 * test-and-test-and-set while contended, and after SPIN_BEFORE_WAIT spins
 * a sleep until the holder's unlock wakes the spinner.
 *
 * Word value: 0 when unlocked, holder task + 1 when locked, so "unlock by
 * the holder" is checked even with lockdep off; plus SPIN_WAITERS while a
 * spinner sleeps on the word.  The holder may be a descheduled OS thread
 * or in a garbage collection pause: the spinner sets the flag and
 * futex-waits, and the unlock that finds the flag wakes one sleeper (the
 * pvqspinlock idea: spin a while, then halt until kicked; G.spin_no_park
 * set, the spin-only lock of a kernel without paravirtual spinlocks).  A sleeper
 * that then takes the lock keeps the flag set, so its own unlock wakes
 * the next one: waking them all at once had every one of them fight for
 * the word the first of them had just taken.  A timed sleep
 * instead, woken by nobody, had the CPUs of a 2-CPU stress run asleep in
 * spin_lock 7% of their time.
 *
 * Every spin iteration is an interleaving point (a controlled scheduler
 * switches CPUs there; a spinning CPU yields at each spin).  Holding a
 * spinlock counts in the task's preempt count (TASK.spin_depth):
 * might_sleep() and migration check it.
 * Taking a spinlock the task already holds is "spinlock recursion": a
 * deadlock in the kernel, a BUG() here (reported once, the CPU stops).
 *
 * Kernel mapping: spin_lock/spin_unlock/spin_trylock/spin_lock_nested,
 * assert_spin_locked.
 */
import { A, gword } from '../shm/arena.js';
import { G, TASK } from '../shm/layout.js';
import { BUG, report } from '../shm/report.js';
import { __point, point, pointId } from './point.js';
import { lock_acquire, lock_release, LOCK_CLASSES } from './lockdep.js';
import { lockstat_acquired, lockstat_released } from './lockstat.js';
import { EV_LOCK, EV_UNLOCK, trace_enabled, trace_event } from '../shm/trace.js';
import { current, curTaskWord } from '../shm/task.js';

const P_SPIN_LOCK = pointId('spin_lock');
const P_SPIN = pointId('spin');
const P_SPIN_UNLOCK = pointId('spin_unlock');

const SPIN_BEFORE_WAIT = 256;
/** Set in a held lock word while a spinner sleeps on it (spin_unlock wakes it). */
export const SPIN_WAITERS = 1 << 30;

/**
 * spin_lock(): acquire lock word @lock of lockdep class @cls.
 *
 * The fast path is one cmpxchg and the bookkeeping; the contended loop is
 * out of line (spin_lock_slowpath(), as queued_spin_lock_slowpath() is),
 * which keeps this small enough for the JIT to inline into its callers.
 *
 * Context: any task context; disables "preemption" (spin_depth++).
 */
export function spin_lock(lock: number, cls: number, nested = false): void {
  const i32 = A.i32;
  const tw = curTaskWord(0);
  const me = current() + 1;
  __point(i32, tw, P_SPIN_LOCK);
  const spins = Atomics.compareExchange(i32, lock, 0, me) === 0 ? 0 : spin_lock_slowpath(i32, lock, cls, me);
  i32[tw + TASK.spin_depth]++;
  lock_acquire(lock, cls, false, nested);
  lockstat_acquired(i32, cls, spins, lock);
  if (trace_enabled) trace_event(EV_LOCK, lock, cls);
}

/*
 * spin_lock_slowpath(): the word is held; test before each test-and-set
 * until it is ours.  Returns the failed attempts (lock_stat's spins).
 * Context: spin_lock() of task @me - 1, its cmpxchg failed.
 */
function spin_lock_slowpath(i32: Int32Array, lock: number, cls: number, me: number): number {
  let spins = 0;
  /* Once this task slept, others may sleep on the word too: it takes the lock flagged, so its unlock wakes the next. */
  let mine = me;
  for (;;) {
    if (Atomics.load(i32, lock) === 0 && Atomics.compareExchange(i32, lock, 0, mine) === 0) break;
    if ((Atomics.load(i32, lock) & ~SPIN_WAITERS) === me) {
      /*
       * The holder is spinning on itself: a real kernel deadlocks here.
       * Report once and stop this CPU (its KernelBug reaches the harness)
       * instead of spinning, and reporting, forever.
       */
      BUG('lock-discipline', `BUG: spinlock recursion on ${LOCK_CLASSES[cls]} (word ${lock}), task ${me - 1}`, [lock, cls]);
    }
    if (spins++ === 0) i32[curTaskWord(TASK.wait_lock)] = lock + 1;
    point(P_SPIN);
    if (spins % SPIN_BEFORE_WAIT === 0 && i32[gword(G.spin_no_park)] === 0) {
      /* The holder is not running: flag the word and sleep until its unlock (a 1 ms bound). */
      const v = Atomics.load(i32, lock);
      if (v !== 0 && (v & SPIN_WAITERS || Atomics.compareExchange(i32, lock, v, v | SPIN_WAITERS) === v)) {
        Atomics.wait(i32, lock, v | SPIN_WAITERS, 1);
        mine = me | SPIN_WAITERS;
      }
    }
  }
  i32[curTaskWord(TASK.wait_lock)] = 0;
  return spins;
}

/** spin_trylock(): true if acquired.  Records no lock-order dependency. */
export function spin_trylock(lock: number, cls: number): boolean {
  const i32 = A.i32;
  const me = current() + 1;
  point(P_SPIN_LOCK);
  if (Atomics.load(i32, lock) !== 0 || Atomics.compareExchange(i32, lock, 0, me) !== 0) return false;
  i32[curTaskWord(TASK.spin_depth)]++;
  lock_acquire(lock, cls, true);
  lockstat_acquired(i32, cls, 0, lock);
  if (trace_enabled) trace_event(EV_LOCK, lock, cls);
  return true;
}

/**
 * spin_unlock(): release @lock.  Unlocking a lock held by another task, or
 * not held at all, is reported and leaves the word alone.
 */
export function spin_unlock(lock: number): void {
  const i32 = A.i32;
  const me = current() + 1;
  /* A plain read: only the holder clears a held word (a sleeper only adds SPIN_WAITERS). */
  const v = i32[lock] & ~SPIN_WAITERS;
  if (v !== me) {
    spin_bug_wrong_owner(lock, v, me);
    return;
  }
  lock_release(lock);
  lockstat_released(lock);
  if (trace_enabled) trace_event(EV_UNLOCK, lock, 0);
  const tw = curTaskWord(0);
  i32[tw + TASK.spin_depth]--;
  /* pv_kick(): wake one sleeper; it takes the lock flagged if it sleeps no longer alone (spin_lock_slowpath). */
  if (Atomics.exchange(i32, lock, 0) & SPIN_WAITERS) Atomics.notify(i32, lock, 1);
  __point(i32, tw, P_SPIN_UNLOCK);
}

/* spin_bug(): the unlock of a lock word task @me - 1 does not hold (@v: holder + 1, 0 for none). */
function spin_bug_wrong_owner(lock: number, v: number, me: number): void {
  report('lock-discipline', `BUG: spinlock wrong owner on unlock: word ${lock} held by ${v === 0 ? 'nobody' : `task ${v - 1}`}, unlocked by task ${me - 1}`, [lock, v]);
}

/**
 * pv_spinlocks_set(): whether contended spinlocks may sleep until kicked
 * (on, the default) or only spin (off: stress --no-pv-spinlocks, to
 * measure what parking buys when CPUs outnumber cores).  Context: set-up,
 * no CPU running.
 */
export function pv_spinlocks_set(on: boolean): void {
  A.i32[gword(G.spin_no_park)] = on ? 0 : 1;
}

/** spin_is_locked(). */
export function spin_is_locked(lock: number): boolean {
  return Atomics.load(A.i32, lock) !== 0;
}

/** Holder task of @lock, or -1. */
export function spin_owner(lock: number): number {
  return (Atomics.load(A.i32, lock) & ~SPIN_WAITERS) - 1;
}

/** spin_lock_init(). */
export function spin_lock_init(lock: number): void {
  Atomics.store(A.i32, lock, 0);
}
