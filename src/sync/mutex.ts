/*
 * struct mutex on one arena word, futex style (Drepper's "mutex2"):
 * 0 unlocked; holder task + 1 when locked; MUTEX_FLAG_WAITERS or'ed in
 * once somebody sleeps on it.  Waiters block in sched_wait() (a futex wait
 * free-running, a hand-off under a controlled scheduler); unlock wakes one.
 *
 * Kernel mapping: mutex_lock / mutex_unlock / mutex_trylock /
 * mutex_is_locked, lockdep_assert_held on a mutex.
 */
import { A } from '../shm/arena.js';
import { report } from '../shm/report.js';
import { point, pointId, sched_wait } from './point.js';
import { lock_acquire, lock_release } from './lockdep.js';
import { lockstat_acquired } from './lockstat.js';
import { might_sleep } from './might_sleep.js';
import { current } from '../shm/task.js';

const MUTEX_FLAG_WAITERS = 1 << 30;
const OWNER_MASK = MUTEX_FLAG_WAITERS - 1;
const P_MUTEX_WAIT = pointId('mutex_wait');

/**
 * mutex_lock(): acquire, sleeping while another task holds it.
 *
 * Context: process context, may sleep (checked by might_sleep()).
 */
export function mutex_lock(lock: number, cls: number): void {
  const i32 = A.i32;
  const me = current() + 1;
  might_sleep('mutex_lock');
  let waits = 0;
  for (;;) {
    const v = Atomics.load(i32, lock);
    if (v === 0) {
      if (Atomics.compareExchange(i32, lock, 0, me) === 0) break;
      continue;
    }
    if ((v & OWNER_MASK) === me) {
      report('lock-discipline', `BUG: mutex recursion: task ${me - 1} already holds mutex word ${lock}`, [lock]);
      return;
    }
    /* Mark waiters, then sleep until the word changes. */
    const marked = v | MUTEX_FLAG_WAITERS;
    if (v !== marked && Atomics.compareExchange(i32, lock, v, marked) !== v) continue;
    waits++;
    point(P_MUTEX_WAIT);
    sched_wait(i32, lock, marked);
  }
  /* A woken waiter may have left others behind: keep the flag conservative. */
  if (waits > 0) Atomics.or(i32, lock, MUTEX_FLAG_WAITERS);
  lock_acquire(lock, cls, false);
  lockstat_acquired(i32, cls, waits);
}

/** mutex_trylock(): true if acquired. */
export function mutex_trylock(lock: number, cls: number): boolean {
  const me = current() + 1;
  if (Atomics.compareExchange(A.i32, lock, 0, me) !== 0) return false;
  lock_acquire(lock, cls, true);
  lockstat_acquired(A.i32, cls, 0);
  return true;
}

/** mutex_unlock(): only the holder may unlock (reported otherwise). */
export function mutex_unlock(lock: number): void {
  const i32 = A.i32;
  const me = current() + 1;
  const v = Atomics.load(i32, lock);
  if ((v & OWNER_MASK) !== me) {
    report('lock-discipline', `DEBUG_LOCKS_WARN_ON(__owner_task(owner) != current): mutex word ${lock} unlocked by task ${me - 1}, owner ${(v & OWNER_MASK) - 1}`, [lock, v]);
    return;
  }
  lock_release(lock);
  const old = Atomics.exchange(i32, lock, 0);
  if (old & MUTEX_FLAG_WAITERS) Atomics.notify(i32, lock, 1);
}

export function mutex_is_locked(lock: number): boolean {
  return (Atomics.load(A.i32, lock) & OWNER_MASK) !== 0;
}

export function mutex_owner(lock: number): number {
  return (Atomics.load(A.i32, lock) & OWNER_MASK) - 1;
}
