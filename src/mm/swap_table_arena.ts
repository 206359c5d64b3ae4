/*
 * The arena half of mm/swap_table.h: reading and writing a cluster's swap
 * table.  (The entry encoding is in swap_table.ts.)
 *
 * A cluster's table pointer is RCU-published (CI.table = pool page + 1,
 * 0 = NULL, seed 002); entries are 64-bit words read and written with
 * single-copy-atomic Atomics on an unsigned view.
 *
 * Lockless readers (swap_table_get) also play KASAN: after reading an
 * entry they check that the table page is still a swap table (or one
 * waiting out its grace period).  A page that went back to the pool, and
 * may already be something else, is the use-after-free SLAB_TYPESAFE_BY_RCU
 * exists to prevent: reported as 'rcu'.
 *
 * Kernel mapping: __swap_table_set / __swap_table_get / __swap_table_xchg
 * (Context: caller holds ci->lock), swap_table_get (takes RCU itself), and
 * its two halves for readers that hold RCU across more than one read:
 * swap_table_rcu_dereference + __swap_table_get_rcu.
 */
import { A } from '../shm/arena.js';
import { CI, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { page_gen, page_type, pageDataWord, PG_RCU_PENDING, PG_SWAP_TABLE, PAGE_TYPE_NAMES } from '../kmem/page_pool.js';
import { report } from '../shm/report.js';
import { lockdep_assert_held } from '../sync/lockdep.js';
import { rcu_dereference, rcu_read_lock, rcu_read_lock_held, rcu_read_unlock, RCU_LOCKDEP_WARN } from '../sync/rcu.js';
import { null_to_swp_tb, swp_tb_is_null } from './swap_table.js';
import { obj_page_is_free } from '../kmem/slab.js';
import { point, pointId } from '../sync/point.js';
import { ci_check_live } from './swap.js';

const P_SWAP_TABLE_RCU = pointId('swap_table_get:rcu');

/** u64 index of entry @off of the table page published as @tbl (page + 1). */
function entryIndex(tbl: number, off: number): number {
  return (pageDataWord(tbl - 1) >> 1) + off;
}

/* VM_WARN_ON_ONCE(off >= SWAPFILE_CLUSTER), as each of the kernel's accessors has it (@off is unsigned there). */
function warn_off_range(fn: string, ci: number, off: number): void {
  if (off >>> 0 >= SWAPFILE_CLUSTER) report('warn', `${fn}: off ${off} >= SWAPFILE_CLUSTER`, [ci, off]);
}

/** __swap_table_set().  Context: caller holds ci->lock; the table exists. */
export function __swap_table_set(ci: number, off: number, swp_tb: bigint): void {
  lockdep_assert_held(ci + CI.lock, 'ci->lock');
  warn_off_range('__swap_table_set', ci, off);
  const tbl = A.i32[ci + CI.table];
  if (tbl === 0) {
    report('table-lifetime', `__swap_table_set on cluster word ${ci} with no swap table`, [ci, off]);
    return;
  }
  Atomics.store(A.u64, entryIndex(tbl, off), swp_tb);
}

/**
 * __swap_table_get().  Context: caller holds ci->lock (or knows the table
 * is stable); a NULL table reads as a NULL entry.
 */
export function __swap_table_get(ci: number, off: number): bigint {
  warn_off_range('__swap_table_get', ci, off);
  const tbl = A.i32[ci + CI.table];
  if (tbl === 0) return null_to_swp_tb();
  return A.u64[entryIndex(tbl, off)];
}

/**
 * swap_table_rcu_dereference(): the table published for @ci (page + 1, 0
 * for NULL), as rcu_dereference(ci->table).  Until rcu_read_unlock() the
 * page stays a swap table - maybe already NULL-filled, maybe already
 * another cluster's (SLAB_TYPESAFE_BY_RCU) - never anything else.
 * Context: rcu_read_lock() held.
 */
export function swap_table_rcu_dereference(ci: number): number {
  RCU_LOCKDEP_WARN(!rcu_read_lock_held(), 'swap_table_rcu_dereference() outside an RCU read-side critical section');
  return rcu_dereference(ci + CI.table);
}

/**
 * __swap_table_get_rcu(): entry @off of the table @tbl that
 * swap_table_rcu_dereference(@ci) returned in this read-side section.  The
 * value is a hint: callers re-validate it (folio_try_get +
 * folio_matches_swap_entry, or a re-read under ci->lock).
 *
 * It also plays KASAN: the page just read must still be a swap table (any
 * cluster's) or one waiting for its grace period.  A page freed to general
 * use inside the section is the use-after-free SLAB_TYPESAFE_BY_RCU exists
 * to prevent: reported as 'rcu', and the garbage read is not handed on (it
 * reads as NULL), so the model never indexes folios with a poisoned PFN.
 * Context: rcu_read_lock() held, @tbl non-NULL.
 */
export function __swap_table_get_rcu(tbl: number, ci: number, off: number): bigint {
  RCU_LOCKDEP_WARN(!rcu_read_lock_held(), '__swap_table_get_rcu() outside an RCU read-side critical section (the table may be gone)');
  /*
   * Free before the read and still free after it, with no free in between
   * (the generation is bumped at every free): the value came from a freed
   * table, not from another cluster's that recycled the page meanwhile.
   */
  const gen = page_gen(tbl - 1);
  const wasFree = obj_page_is_free(tbl - 1);
  const swp_tb = Atomics.load(A.u64, entryIndex(tbl, off));
  const t = page_type(tbl - 1);
  if (t !== PG_SWAP_TABLE && t !== PG_RCU_PENDING) {
    report('rcu', `BUG: KASAN: use-after-free in swap_table_get: cluster word ${ci} slot ${off} read table page ${tbl - 1}, which is now '${PAGE_TYPE_NAMES[t] ?? t}' (freed to general use inside an RCU read-side section)`, [ci, off, tbl - 1, t]);
    return null_to_swp_tb();
  }
  /* A freed table is NULL-filled (seed 002): a reader that still holds it must see NULL. */
  if (wasFree && !swp_tb_is_null(swp_tb) && obj_page_is_free(tbl - 1) && page_gen(tbl - 1) === gen) {
    report('rcu', `BUG: swap_table_get read 0x${swp_tb.toString(16)} at cluster word ${ci} slot ${off} from table page ${tbl - 1}, which was freed without being NULL-filled (a lockless reader must see NULL there)`, [ci, off, tbl - 1]);
    return null_to_swp_tb();
  }
  return swp_tb;
}

/**
 * swap_table_get(): read an entry locklessly under RCU (a hint, see
 * __swap_table_get_rcu()).  @ci 0 (a ghost device has no cluster there)
 * reads as NULL.
 * Context: any; takes rcu_read_lock() itself.
 */
export function swap_table_get(ci: number, off: number): bigint {
  warn_off_range('swap_table_get', ci, off);
  if (ci === 0) return null_to_swp_tb(); /* no ghost cluster there (seed 001 patch 15) */
  ci_check_live(ci, 'swap_table_get');
  rcu_read_lock();
  const tbl = swap_table_rcu_dereference(ci);
  /* PREEMPT_RCU: the reader may be preempted here, with the table pointer in hand. */
  point(P_SWAP_TABLE_RCU);
  const swp_tb = tbl !== 0 ? __swap_table_get_rcu(tbl, ci, off) : null_to_swp_tb();
  rcu_read_unlock();
  return swp_tb;
}

/** The table page of @ci, or -1.  Context: ci->lock held, or quiescent. */
export function cluster_table_page(ci: number): number {
  return A.i32[ci + CI.table] - 1;
}

/**
 * The pre-fix zero-flag path (bug switch zero-flag-unlocked): a plain
 * read-modify-write of the entry with no cluster lock, as if the zeromap's
 * atomic bitops had been merged into the table word without taking
 * ci->lock.  A concurrent count update between the read and the write is
 * lost.  Nothing else may call this.
 */
export function __swap_table_rmw_unlocked(ci: number, off: number, fn: (old: bigint) => bigint, window: () => void): void {
  const tbl = Atomics.load(A.i32, ci + CI.table);
  if (tbl === 0) return;
  const old = Atomics.load(A.u64, entryIndex(tbl, off));
  window();
  Atomics.store(A.u64, entryIndex(tbl, off), fn(old));
}
