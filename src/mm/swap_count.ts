/*
 * mm/swapfile.c, swap counts: how many PTEs (and shmem references) hold a
 * slot.  The count lives in the slot's table word (p3/p4) or swap_map byte
 * (p2) up to the design's maximum, then continues in ci->extend_table.
 * Raising it (fork, try_to_unmap), dropping it (zap, exit, swap-in), and
 * freeing slots whose last reference went (__swap_cluster_free_entries).
 */
import { EINVAL, ENOENT, ENOMEM } from '../include/errno.js';
import { A } from '../shm/arena.js';
import { CI, SI, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { report } from '../shm/report.js';
import { bug_on, BUG_COUNT_OVERFLOW, BUG_RCU_TABLE_FREE_UNFILLED, BUG_BATCH_FREE_MEMCG } from '../shm/bugs.js';
import { page_pool_alloc, page_pool_free, PG_KMALLOC } from '../kmem/page_pool.js';
import { GFP_ATOMIC, GFP_KERNEL, should_failslab } from '../kmem/slab.js';
import { might_sleep } from '../sync/might_sleep.js';
import { rcu_read_lock, rcu_read_unlock } from '../sync/rcu.js';
import { swap_design } from './swap_design.js';
import { folio_assert_locked, folio_nr_pages, folio_swap } from './page_alloc.js';
import { mem_cgroup_uncharge_swap } from './memcontrol.js';
import { ci_count, cluster_offset, cluster_table_is_alloced, clusterWord, si_dynamic, siWord, swap_cluster_lock, swap_cluster_unlock, swp_offset, swp_type, valid_type } from './swap.js';
import { __swap_table_get, __swap_table_set, swap_table_get } from './swap_table_arena.js';
import { null_to_swp_tb, swp_tb_is_bad, swp_tb_is_folio, swp_tb_is_shadow } from './swap_table.js';
import { count_vm_events, SWAP_COUNT_EXTEND } from './vmstat.js';
import { free_cluster, partial_free_cluster } from './swap_cluster.js';
import { extendWord, swap_extend_table_try_free } from './swap_cluster_table.js';
import { get_swap_device, put_swap_device, swap_range_free } from './swap_device.js';

const COUNT_MAX = (): number => swap_design().countMax;

/**
 * swp_swapcount(): the exact swap count of slot @off, reading the extend
 * table past the inline maximum.  Context: ci->lock held or quiescent.
 */
export function __swap_count_exact(ci: number, off: number): number {
  const c = swap_design().count(ci, off);
  if (c === COUNT_MAX() && A.i32[ci + CI.extend_table] !== 0) return A.i32[extendWord(ci, off)];
  return c;
}

/**
 * __swap_cluster_dup_entry(): count + 1 on one slot; past
 * SWP_TB_COUNT_MAX - 1 the count lives in ci->extend_table.  Returns 0,
 * -EINVAL (bad slot), -ENOENT (slot not in use), -ENOMEM (extend table
 * needed: the caller allocates it unlocked and retries).
 * Context: ci->lock held.
 */
function __swap_cluster_dup_entry(ci: number, off: number): number {
  const tb = __swap_table_get(ci, off);
  if (swp_tb_is_bad(tb)) return -EINVAL;
  const c = swap_design().count(ci, off);
  const max = COUNT_MAX();
  if (c === 0 && !swp_tb_is_folio(tb)) return -ENOENT;
  if (c < max - 1) {
    swap_design().setCount(ci, off, c + 1);
  } else if (c === max - 1) {
    if (A.i32[ci + CI.extend_table] === 0) return -ENOMEM;
    A.i32[extendWord(ci, off)] = max;
    swap_design().setCount(ci, off, max);
    count_vm_events(SWAP_COUNT_EXTEND, 1);
  } else {
    A.i32[extendWord(ci, off)]++;
  }
  return 0;
}

/*
 * __swap_cluster_put_entry(): count - 1 on one slot; never frees.
 * Returns the new exact count.  Context: ci->lock held.
 */
function __swap_cluster_put_entry(ci: number, off: number): number {
  const max = COUNT_MAX();
  let c = swap_design().count(ci, off);
  if (c <= 0 || c > max) {
    report('swap-count', `__swap_cluster_put_entry: count ${c} out of range on slot ${off}`, [ci, off, c]);
    return c;
  }
  if (c === max && A.i32[ci + CI.extend_table] !== 0) {
    const e = A.i32[extendWord(ci, off)] - 1;
    /* VM_WARN_ON_ONCE(count < SWP_TB_COUNT_MAX): "Overflow starts with SWP_TB_COUNT_MAX" */
    if (e + 1 < max) report('swap-count', `__swap_cluster_put_entry: slot ${off} counts ${max} in the entry but ${e + 1} in ci->extend_table (overflow starts with SWP_TB_COUNT_MAX)`, [ci, off, e + 1]);
    if (e === max - 1) {
      A.i32[extendWord(ci, off)] = 0;
      swap_design().setCount(ci, off, max - 1);
    } else {
      A.i32[extendWord(ci, off)] = e;
    }
    c = e;
  } else {
    c--;
    swap_design().setCount(ci, off, c);
  }
  if (c === max - 2 || c === max - 1) swap_extend_table_try_free(ci);
  return c;
}

/*
 * swap_extend_table_alloc(): allocate ci->extend_table with the lock
 * dropped, then re-check under the lock: the slot may have been freed, or
 * is no longer near overflow, or a concurrent allocation (another CPU
 * duplicating a slot of this cluster past the maximum) installed a table
 * first - then this one is not needed.
 *
 * Bug switch count-overflow drops that last re-check: the table is
 * installed over the one another CPU installed meanwhile, and the counts
 * that CPU already continued in it are lost with it.
 * Context: no lock held; takes ci->lock.
 */
function swap_extend_table_alloc(type: number, offset: number, gfp: number): number {
  if (gfp === GFP_KERNEL) might_sleep('swap_extend_table_alloc');
  /* kzalloc(sizeof(unsigned long) * SWAPFILE_CLUSTER, gfp): failslab applies */
  if (should_failslab(gfp)) return -ENOMEM;
  const p = page_pool_alloc(PG_KMALLOC, true);
  if (p < 0) return -ENOMEM;
  const ci = swap_cluster_lock(type, offset);
  const off = offset % SWAPFILE_CLUSTER;
  const installed = A.i32[ci + CI.extend_table] !== 0 && !bug_on(BUG_COUNT_OVERFLOW);
  if (!cluster_table_is_alloced(ci) || swap_design().count(ci, off) < COUNT_MAX() - 1 || installed) {
    swap_cluster_unlock(ci);
    page_pool_free(p);
    return 0;
  }
  A.i32[ci + CI.extend_table] = p + 1;
  swap_cluster_unlock(ci);
  return 0;
}

/**
 * swap_dup_entries_cluster(): count + 1 on [offset, offset + nr), one
 * cluster.  On failure the slots already raised are rolled back.
 * Context: device pinned; takes ci->lock.
 */
function swap_dup_entries_cluster(type: number, offset: number, nr: number): number {
  let ci = swap_cluster_lock(type, offset);
  const start = offset % SWAPFILE_CLUSTER;
  let off = start;
  while (off < start + nr) {
    let err = __swap_cluster_dup_entry(ci, off);
    if (err === -ENOMEM) {
      swap_cluster_unlock(ci);
      err = swap_extend_table_alloc(type, offset - start + off, GFP_ATOMIC);
      ci = swap_cluster_lock(type, offset);
      if (!err) continue;
    }
    if (err) {
      for (let k = start; k < off; k++) __swap_cluster_put_entry(ci, k);
      swap_cluster_unlock(ci);
      return err;
    }
    off++;
  }
  swap_cluster_unlock(ci);
  return 0;
}

/**
 * folio_dup_swap(): count + 1 for the whole folio, or for page @idx of it
 * (try_to_unmap installing a swap PTE).  Context: folio locked, in the swap
 * cache.
 */
export function folio_dup_swap(folio: number, idx = -1): number {
  /* mm/swapfile.c folio_dup_swap(): VM_WARN_ON_FOLIO(!folio_test_locked(folio), folio) */
  folio_assert_locked(folio, 'folio_dup_swap', 'VM_WARN_ON_FOLIO');
  const entry = folio_swap(folio);
  const nr = idx < 0 ? folio_nr_pages(folio) : 1;
  const e = idx < 0 ? entry : entry + idx;
  return swap_dup_entries_cluster(swp_type(e), swp_offset(e), nr);
}

/**
 * swap_dup_entry_direct(): fork copying a swap PTE.  The entry must be in
 * use (count >= 1).  Returns 0 or -errno (-ENOMEM: retry with
 * swap_retry_table_alloc(), as copy_pte_range does after -EIO).
 * Context: caller holds the PTL of the source PTE (which pins the device).
 */
export function swap_dup_entry_direct(entry: number): number {
  const type = swp_type(entry);
  if (!valid_type(type)) return -EINVAL;
  return swap_dup_entries_cluster(type, swp_offset(entry), 1);
}

/** swap_retry_table_alloc(): sleeping extend-table allocation for @entry. */
export function swap_retry_table_alloc(entry: number): number {
  const type = get_swap_device(entry);
  if (type < 0) return 0;
  const err = swap_extend_table_alloc(type, swp_offset(entry), GFP_KERNEL);
  put_swap_device(type);
  return err;
}

/**
 * __swap_cluster_free_entries(): release [ci_start, ci_start + nr): every
 * slot must be uncached with count <= 1.  The memcg uncharge is batched per
 * run of slots recorded to the same memcg (seed 001 patch 9); bug switch
 * batch-free-memcg uncharges the whole batch to the first slot's memcg.
 * Context: ci->lock held.
 */
export function __swap_cluster_free_entries(type: number, ci: number, ci_start: number, nr: number): void {
  let batchId = -1;
  let batchOff = ci_start;
  const flush = (off: number): void => {
    if (batchId > 0) mem_cgroup_uncharge_swap(batchId, off - batchOff);
  };
  /*
   * Bug switch rcu-table-free-unfilled: the batch that empties the
   * cluster leaves its shadows in place - "the table is freed with the
   * cluster anyway" - so the table is freed not NULL-filled, and a
   * lockless reader still holding it reads them (seed 002 requires NULL).
   */
  const unfilled = bug_on(BUG_RCU_TABLE_FREE_UNFILLED) && ci_count(ci) === nr;
  for (let off = ci_start; off < ci_start + nr; off++) {
    const tb = __swap_table_get(ci, off);
    if (!swp_tb_is_shadow(tb) || swap_design().countOf(ci, off, tb) > 1) {
      report('swap-count', `__swap_cluster_free_entries: slot ${off} is 0x${tb.toString(16)} (must be an uncached shadow with count <= 1)`, [type, ci, off]);
    }
    const id = swap_design().slotMemcg(ci, off, tb);
    if (batchId === -1 || (id !== batchId && !bug_on(BUG_BATCH_FREE_MEMCG))) {
      flush(off);
      batchId = id;
      batchOff = off;
    }
    if (!unfilled) __swap_table_set(ci, off, null_to_swp_tb());
    swap_design().freeSlot(ci, off);
  }
  flush(ci_start + nr);
  Atomics.sub(A.i32, ci + CI.count, nr);
  swap_range_free(type, cluster_offset(type, ci) + ci_start, nr);
  if (ci_count(ci) === 0) free_cluster(type, ci);
  else partial_free_cluster(type, ci);
}

/**
 * swap_put_entries_cluster(): count - 1 on [offset, offset + nr); slots
 * whose last reference goes and that are not cached are freed in batches.
 * Returns true if a cached slot reached count 0 (its cache is reclaimable).
 * Context: device pinned; takes ci->lock.
 */
export function swap_put_entries_cluster(type: number, offset: number, nr: number): boolean {
  const ci = swap_cluster_lock(type, offset);
  const start = offset % SWAPFILE_CLUSTER;
  let batch = -1;
  let needReclaim = false;
  for (let off = start; off < start + nr; off++) {
    const tb = __swap_table_get(ci, off);
    if (swap_design().count(ci, off) === 1) {
      if (!swp_tb_is_folio(tb)) {
        if (batch < 0) batch = off;
        continue;
      }
      needReclaim = true;
    }
    __swap_cluster_put_entry(ci, off);
    if (batch >= 0) {
      __swap_cluster_free_entries(type, ci, batch, off - batch);
      batch = -1;
    }
  }
  if (batch >= 0) __swap_cluster_free_entries(type, ci, batch, start + nr - batch);
  swap_cluster_unlock(ci);
  return needReclaim;
}

/**
 * folio_put_swap(): count - 1 for the folio's slots (or page @idx); the
 * swap cache still pins them.  Context: folio locked, in the swap cache.
 */
export function folio_put_swap(folio: number, idx = -1): void {
  /* mm/swapfile.c folio_put_swap(): VM_WARN_ON_FOLIO(!folio_test_locked(folio), folio) */
  folio_assert_locked(folio, 'folio_put_swap', 'VM_WARN_ON_FOLIO');
  const entry = folio_swap(folio);
  const nr = idx < 0 ? folio_nr_pages(folio) : 1;
  const e = idx < 0 ? entry : entry + idx;
  swap_put_entries_cluster(swp_type(e), swp_offset(e), nr);
}

/**
 * folio_maybe_swapped(): does any slot of the folio have count > 0?  May
 * be a false positive (concurrent puts).  Context: folio locked, in the
 * swap cache.
 */
export function folio_maybe_swapped(folio: number): boolean {
  folio_assert_locked(folio, 'folio_maybe_swapped');
  const entry = folio_swap(folio);
  const type = swp_type(entry);
  if (!si_dynamic(type) && A.i32[siWord(type, SI.cluster_base)] === 0) return false;
  const start = swp_offset(entry) % SWAPFILE_CLUSTER;
  const nr = folio_nr_pages(folio);
  rcu_read_lock();
  /* The folio is locked and in the swap cache: its (ghost) cluster is alive. */
  const ci = clusterWord(type, Math.floor(swp_offset(entry) / SWAPFILE_CLUSTER));
  let swapped = false;
  for (let off = start; off < start + nr && !swapped; off++) {
    if (swap_design().countOf(ci, off, swap_table_get(ci, off)) > 0) swapped = true;
  }
  rcu_read_unlock();
  return swapped;
}

/** swap_entry_swapped(): count > 0.  Context: device pinned. */
export function swp_swapcount(entry: number): number {
  const type = swp_type(entry);
  const ci = swap_cluster_lock(type, swp_offset(entry));
  const c = __swap_count_exact(ci, swp_offset(entry) % SWAPFILE_CLUSTER);
  swap_cluster_unlock(ci);
  return c;
}
