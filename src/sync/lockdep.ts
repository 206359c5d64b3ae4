/*
 * lockdep-lite: the subset of kernel/locking/lockdep.c the model needs.
 *
 *  - a held-lock stack per task (current->held_locks), in the arena so the
 *    watchdog can dump every CPU's locks on a stall;
 *  - lockdep_assert_held();
 *  - lock order recording per lock class, shared by all CPUs in one
 *    dependency matrix, with AB-BA (circular dependency) detection;
 *  - recursive locking, release of a lock the task does not hold, and
 *    "sleeping function called from invalid context" (might_sleep() with a
 *    spinlock or local lock held, see might_sleep.ts).
 *
 * Every violation goes to report() as 'lock-discipline': never ignored.
 *
 * Lock classes are static, like the kernel's lock_class_key per lock
 * site: one class per kind of lock (all ci->lock share "swap_cluster").
 */
import { A, gword } from '../shm/arena.js';
import { G, MAX_LOCK_CLASSES, MAX_LOCK_DEPTH, TASK } from '../shm/layout.js';
import { report } from '../shm/report.js';
import { current, curTaskWord, taskWord } from '../shm/task.js';

/** Lock classes: index = class id.  Order here is ABI for the arena matrix. */
export const LOCK_CLASSES = [
  'none',
  'swap_lock',
  'swap_avail_lock',
  'swapon_mutex',
  '&si->lock',
  '&si->global_cluster_lock',
  '&ci->lock',
  'percpu_swap_cluster.lock',
  'ptl',
  'zone->lock',
  'page_pool_lock',
  'swap_table_slab_lock',
  'rcu_cb_lock',
  'mm_lock',
  'memcg_lock',
  'fs_lock',
  'folio_lock',
  'test_lock_a',
  'test_lock_b',
  'test_lock_c',
  'xa_lock',
  'dyn_cluster_slab_lock',
  'pcp->lock',
  'bio_lock',
] as const;
export type LockClass = (typeof LOCK_CLASSES)[number];

export function lockClass(name: LockClass): number {
  return LOCK_CLASSES.indexOf(name);
}

if (LOCK_CLASSES.length > MAX_LOCK_CLASSES) throw new Error('lockdep: too many lock classes');

export const LC_SWAP_LOCK = lockClass('swap_lock');
export const LC_SWAP_AVAIL = lockClass('swap_avail_lock');
export const LC_SWAPON_MUTEX = lockClass('swapon_mutex');
export const LC_SI = lockClass('&si->lock');
export const LC_GLOBAL_CLUSTER = lockClass('&si->global_cluster_lock');
export const LC_CI = lockClass('&ci->lock');
export const LC_LOCAL = lockClass('percpu_swap_cluster.lock');
export const LC_PTL = lockClass('ptl');
export const LC_ZONE = lockClass('zone->lock');
export const LC_PAGE_POOL = lockClass('page_pool_lock');
export const LC_SWAP_TABLE_SLAB = lockClass('swap_table_slab_lock');
export const LC_RCU_CB = lockClass('rcu_cb_lock');
export const LC_MM = lockClass('mm_lock');
export const LC_MEMCG = lockClass('memcg_lock');
export const LC_FS = lockClass('fs_lock');
export const LC_FOLIO = lockClass('folio_lock');
export const LC_XA = lockClass('xa_lock');
export const LC_DYN_CLUSTER_SLAB = lockClass('dyn_cluster_slab_lock');
export const LC_PCP = lockClass('pcp->lock');
export const LC_BIO = lockClass('bio_lock');

let enabled = true;

/** debug_locks_off(): tests of raw primitive speed turn the checks off. */
export function lockdep_set_enabled(on: boolean): void {
  enabled = on;
}

export function lockdep_enabled(): boolean {
  return enabled;
}

function depRow(cls: number): number {
  return gword(G.lockdep_deps) + cls;
}

/* Is there a recorded path from class @from to class @to?  (small DFS) */
function depPath(from: number, to: number): boolean {
  const i32 = A.i32;
  const seen = new Uint8Array(MAX_LOCK_CLASSES);
  const stack = [from];
  seen[from] = 1;
  while (stack.length > 0) {
    const c = stack.pop()!;
    const row = i32[depRow(c)];
    if (row === 0) continue;
    for (let b = 0; b < MAX_LOCK_CLASSES; b++) {
      if ((row & (1 << b)) === 0 || seen[b]) continue;
      if (b === to) return true;
      seen[b] = 1;
      stack.push(b);
    }
  }
  return false;
}

/**
 * Record that the current task acquired lock word @lock of class @cls.
 * @trylock acquisitions record no dependency (they cannot deadlock), as in
 * lockdep; @nested allows two locks of one class (spin_lock_nested()).
 * The checks are out of line (__lock_acquire()), so that with lockdep off
 * a lock's fast path is the test of one flag.
 *
 * Context: called by the lock primitives right after acquiring.
 */
export function lock_acquire(lock: number, cls: number, trylock: boolean, nested = false): void {
  if (enabled) __lock_acquire(lock, cls, trylock, nested);
}

function __lock_acquire(lock: number, cls: number, trylock: boolean, nested: boolean): void {
  const i32 = A.i32;
  const t = current();
  const tb = curTaskWord(0);
  const dw = tb + TASK.lockdep_depth;
  const depth = i32[dw];
  for (let i = 0; i < depth; i++) {
    const held = i32[tb + TASK.held_lock + i];
    const hcls = i32[tb + TASK.held_class + i];
    if (held === lock) {
      report('lock-discipline', `possible recursive locking detected: ${LOCK_CLASSES[cls]} (word ${lock}) already held by task ${t}`, [lock, cls]);
      continue;
    }
    if (trylock) continue;
    if (hcls === cls) {
      if (!nested) {
        report('lock-discipline', `possible recursive locking detected: two ${LOCK_CLASSES[cls]} held without nesting annotation`, [lock, cls]);
      }
      continue;
    }
    /* hcls -> cls: is there already cls ->* hcls?  Then AB-BA. */
    const row = depRow(hcls);
    if ((i32[row] & (1 << cls)) === 0) {
      if (depPath(cls, hcls)) {
        report(
          'lock-discipline',
          `possible circular locking dependency detected: ${LOCK_CLASSES[cls]} acquired while holding ${LOCK_CLASSES[hcls]}, but ${LOCK_CLASSES[hcls]} was taken under ${LOCK_CLASSES[cls]} before`,
          [lock, cls, hcls],
        );
      }
      Atomics.or(i32, row, 1 << cls);
    }
  }
  if (depth >= MAX_LOCK_DEPTH) {
    report('lock-discipline', `BUG: MAX_LOCK_DEPTH too low (task ${t} holds ${depth} locks)`, [depth]);
    return;
  }
  i32[tb + TASK.held_lock + depth] = lock;
  i32[tb + TASK.held_class + depth] = cls;
  i32[dw] = depth + 1;
}

/**
 * Record that the current task released lock word @lock.  Releasing a lock
 * this task does not hold is reported ("unlock by the holder" rule).
 */
export function lock_release(lock: number): void {
  if (enabled) __lock_release(lock);
}

function __lock_release(lock: number): void {
  const i32 = A.i32;
  const t = current();
  const tb = curTaskWord(0);
  const dw = tb + TASK.lockdep_depth;
  const depth = i32[dw];
  for (let i = depth - 1; i >= 0; i--) {
    if (i32[tb + TASK.held_lock + i] !== lock) continue;
    for (let j = i; j < depth - 1; j++) {
      i32[tb + TASK.held_lock + j] = i32[tb + TASK.held_lock + j + 1];
      i32[tb + TASK.held_class + j] = i32[tb + TASK.held_class + j + 1];
    }
    i32[dw] = depth - 1;
    return;
  }
  report('lock-discipline', `WARNING: bad unlock balance detected! task ${t} releases lock word ${lock} it does not hold`, [lock]);
}

/** lock_is_held(): does the current task hold lock word @lock? */
export function lock_is_held(lock: number): boolean {
  const i32 = A.i32;
  const t = current();
  const depth = i32[taskWord(t, TASK.lockdep_depth)];
  for (let i = 0; i < depth; i++) if (i32[taskWord(t, TASK.held_lock + i)] === lock) return true;
  return false;
}

/** lockdep_assert_held(): report unless the current task holds @lock. */
export function lockdep_assert_held(lock: number, what = 'lock'): void {
  if (!enabled) return;
  if (!lock_is_held(lock)) {
    report('lock-discipline', `WARNING: lockdep_assert_held(${what}) failed: task ${current()} does not hold word ${lock}`, [lock]);
  }
}

/** The held locks of task @t, outermost first, as [word, class name] (stall dumps). */
export function held_locks(t: number): Array<{ lock: number; cls: string }> {
  const i32 = A.i32;
  const depth = i32[taskWord(t, TASK.lockdep_depth)];
  const out: Array<{ lock: number; cls: string }> = [];
  for (let i = 0; i < Math.min(depth, MAX_LOCK_DEPTH); i++) {
    out.push({ lock: i32[taskWord(t, TASK.held_lock + i)], cls: LOCK_CLASSES[i32[taskWord(t, TASK.held_class + i)]] ?? '?' });
  }
  return out;
}

/** Forget recorded dependencies (between independent test cases). */
export function lockdep_reset(): void {
  A.i32.fill(0, gword(G.lockdep_deps), gword(G.lockdep_deps) + MAX_LOCK_CLASSES);
}
