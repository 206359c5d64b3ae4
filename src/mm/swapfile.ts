/*
 * mm/swapfile.c: the cluster allocator, swap counts, freeing and device
 * pinning.  (swapon/swapoff/try_to_unuse live in swapon.ts.)
 *
 * Follows the newest kernel (linux-mm, phase III + IV) unless a bug switch
 * restores a pre-fix path.  Function names are the kernel's; `type` is the
 * swap_info index, `ci` a cluster word, `folio` a head PFN, `entry` a
 * swp_entry_t number (see swap.ts).
 *
 * Lock order (outermost first): percpu_swap_cluster.lock (local lock) ->
 * si->global_cluster_lock (rotational devices) -> ci->lock -> si->lock
 * (move_cluster) / swap_avail_lock.  isolate_lock_cluster() holds si->lock
 * and so only trylocks ci->lock.
 */
import { A, gword } from '../shm/arena.js';
import { CI, CPU, G, SI, SWAPFILE_CLUSTER, SWAP_NR_ORDERS, PMD_ORDER, MAX_SWAPFILES } from '../shm/layout.js';
import { report, WARN_ON } from '../shm/report.js';
import { bug_on, BUG_COUNT_OVERFLOW, BUG_GHOST_CLUSTER_RELOOKUP, BUG_PERCPU_CLUSTER_MIGRATION, BUG_RCU_TABLE_FREE_UNFILLED, BUG_BATCH_FREE_MEMCG } from '../shm/bugs.js';
import { page_pool_alloc, page_pool_free, pageDataWord, PG_KMALLOC } from '../kmem/page_pool.js';
import { GFP_ATOMIC, GFP_KERNEL, kmem_cache_free, kmem_cache_zalloc, swap_table_cachep } from '../kmem/slab.js';
import { point, pointId } from '../sync/point.js';
import { local_lock, local_lock_assert_held, local_unlock } from '../sync/local_lock.js';
import { LC_GLOBAL_CLUSTER, LC_SI, LC_SWAP_AVAIL, lockdep_assert_held } from '../sync/lockdep.js';
import { might_sleep } from '../sync/might_sleep.js';
import { percpu_ref_put, percpu_ref_tryget_live } from '../sync/percpu_ref.js';
import { rcu_assign_pointer, rcu_read_lock, rcu_read_unlock } from '../sync/rcu.js';
import { spin_lock, spin_trylock, spin_unlock } from '../sync/spinlock.js';
import { thisCpuWord } from '../shm/task.js';
import { swap_design } from './swap_design.js';
import {
  __swap_cache_add_folio, swap_cache_del_folio, swap_cache_get_folio,
} from './swap_state.js';
import {
  folio_memcg, folio_nr_pages, folio_order, folio_put, folio_set, folio_swap, folio_test_swapcache,
  folio_test_writeback, folio_trylock, folio_unlock, PG_dirty,
} from './page_alloc.js';
import { mem_cgroup_try_charge_swap, mem_cgroup_uncharge_swap } from './memcontrol.js';
import { __isolate_cluster, list_del, list_empty, list_entries, list_for_flags, move_cluster } from './cluster_list.js';
import {
  CLUSTER_FLAG_DEAD, CLUSTER_FLAG_DISCARD, CLUSTER_FLAG_FRAG, CLUSTER_FLAG_FREE, CLUSTER_FLAG_FULL, CLUSTER_FLAG_NONE, CLUSTER_FLAG_NONFULL,
  CLUSTER_FLAG_USABLE, SWP_GHOST, SWP_VSWAP, SWP_PAGE_DISCARD, SWP_SOLIDSTATE, SWP_WRITEOK, SWAP_ENTRY_INVALID, ci_count, ci_flags, ci_lock,
  ci_order, cluster_index, cluster_is_discard, cluster_is_empty, cluster_offset, cluster_table_is_alloced, clusterWord,
  si_dynamic, si_flags, si_max, si_users, siWord, __swap_offset_to_cluster, swap_cluster_lock, swap_cluster_unlock, swp_entry, swp_offset, swp_type, valid_type,
} from './swap.js';
import { __swap_table_get, __swap_table_set, swap_table_get } from './swap_table_arena.js';
import {
  __swp_tb_get_count, null_to_swp_tb, swp_tb_is_bad, swp_tb_is_folio, swp_tb_is_null, swp_tb_is_shadow,
} from './swap_table.js';
import { count_vm_events, SWAP_COUNT_EXTEND } from './vmstat.js';
import { zswap_invalidate } from './zswap.js';
import { swap_cluster_alloc_dynamic, swap_cluster_free_dynamic } from './swap_cluster_dynamic.js';

const P_TABLE_ALLOC_SLEEP = pointId('swap_cluster_populate:sleep');
const P_RECLAIM_RANGE = pointId('cluster_reclaim_range:unlocked');
const P_ALLOC_IN_FLIGHT = pointId('__swap_cluster_alloc_entries:writeok');

const ENOMEM = 12;
const EINVAL = 22;
const ENOENT = 2;

/* ---- global counters ---- */

export function nr_swap_pages(): number {
  return A.i32[gword(G.nr_swap_pages)];
}
export function total_swap_pages(): number {
  return A.i32[gword(G.total_swap_pages)];
}
/** vm_swap_full(): swap more than half used. */
export function vm_swap_full(): boolean {
  return nr_swap_pages() * 2 < total_swap_pages();
}
export function si_inuse(type: number): number {
  return A.i32[siWord(type, SI.inuse_pages)];
}

/* ---- device pinning ---- */

/** get_swap_device_info(): percpu_ref_tryget_live(&si->users). */
export function get_swap_device_info(type: number): boolean {
  return percpu_ref_tryget_live(si_users(type));
}

/**
 * get_swap_device(): pin the device of @entry against swapoff, and check
 * the offset is in range.  Returns the type, or -1.
 * Context: any; pair with put_swap_device().
 */
export function get_swap_device(entry: number): number {
  if (entry <= 0) return -1;
  const type = swp_type(entry);
  if (!valid_type(type)) return -1; /* "Bad swap file entry" */
  if (!get_swap_device_info(type)) return -1;
  if (swp_offset(entry) >= si_max(type)) {
    percpu_ref_put(si_users(type)); /* "Bad swap offset entry" */
    return -1;
  }
  return type;
}

export function put_swap_device(type: number): void {
  percpu_ref_put(si_users(type));
}

/* ---- usage accounting ---- */

/**
 * add_to_avail_list() / del_from_avail_list(): the device is (no longer)
 * on swap_avail_head; nr_real_swapfiles counts the non-ghost devices on it
 * (seed 001 patch 13: zswap writeback is pointless with only ghosts).
 * Context: caller holds swap_avail_lock.
 */
export function add_to_avail_list(type: number): void {
  lockdep_assert_held(gword(G.swap_avail_lock), 'swap_avail_lock');
  if (Atomics.exchange(A.i32, siWord(type, SI.avail), 1) === 0 && !si_dynamic(type)) Atomics.add(A.i32, gword(G.nr_real_swapfiles), 1);
}

export function del_from_avail_list(type: number): void {
  lockdep_assert_held(gword(G.swap_avail_lock), 'swap_avail_lock');
  if (Atomics.exchange(A.i32, siWord(type, SI.avail), 0) === 1 && !si_dynamic(type)) Atomics.sub(A.i32, gword(G.nr_real_swapfiles), 1);
}

/*
 * swap_range_alloc(): @nr slots of @type were allocated.
 * Context: caller holds the cluster lock; takes swap_avail_lock.
 */
function swap_range_alloc(type: number, nr: number): void {
  const i32 = A.i32;
  const inuse = Atomics.add(i32, siWord(type, SI.inuse_pages), nr) + nr;
  Atomics.sub(i32, gword(G.nr_swap_pages), nr);
  if (inuse === i32[siWord(type, SI.pages)]) {
    spin_lock(gword(G.swap_avail_lock), LC_SWAP_AVAIL);
    del_from_avail_list(type);
    spin_unlock(gword(G.swap_avail_lock));
  }
}

/*
 * swap_range_free(): @nr slots from @offset were freed: zswap/backing
 * invalidation, then the usage counters (try_to_unuse must see inuse reach
 * 0 only after the cleanups).
 */
function swap_range_free(type: number, offset: number, nr: number): void {
  const i32 = A.i32;
  const backing = i32[siWord(type, SI.backing_base)];
  for (let k = 0; k < nr; k++) {
    if (backing !== 0) A.u64[(backing >> 1) + offset + k] = 0x6b6b6b6b6b6b6b6bn;
    zswap_invalidate(type, offset + k);
  }
  const was = Atomics.sub(i32, siWord(type, SI.inuse_pages), nr);
  Atomics.add(i32, gword(G.nr_swap_pages), nr);
  if (was === i32[siWord(type, SI.pages)] && (si_flags(type) & SWP_WRITEOK)) {
    spin_lock(gword(G.swap_avail_lock), LC_SWAP_AVAIL);
    if (si_flags(type) & SWP_WRITEOK) add_to_avail_list(type);
    spin_unlock(gword(G.swap_avail_lock));
  }
}

/* ---- swap tables of clusters ---- */

/**
 * swap_cluster_free_table(): only an empty cluster's table may be freed,
 * and only once it is all NULL, because lockless readers may still be
 * reading it: they must see NULL entries, and SLAB_TYPESAFE_BY_RCU keeps
 * the memory a swap table until a grace period ends (seed 002).
 * Bug switch rcu-table-free-unfilled frees without that check: the
 * table its last free left shadows in (__swap_cluster_free_entries) goes
 * to the slab as it is.
 *
 * Context: caller holds ci->lock (or owns the cluster exclusively).
 */
export function swap_cluster_free_table(ci: number): void {
  const tbl = A.i32[ci + CI.table];
  if (tbl === 0) return;
  if (!bug_on(BUG_RCU_TABLE_FREE_UNFILLED)) {
    for (let off = 0; off < SWAPFILE_CLUSTER; off++) {
      const tb = __swap_table_get(ci, off);
      if (!swp_tb_is_null(tb)) {
        report('table-lifetime', `swap_cluster_free_table: slot ${off} is 0x${tb.toString(16)}, not NULL, in a table being freed`, [ci, off]);
        break;
      }
    }
  }
  rcu_assign_pointer(ci + CI.table, 0);
  kmem_cache_free(swap_table_cachep, tbl - 1);
  swap_extend_table_free(ci);
}

/* The bare allocation: publish a zeroed table.  -ENOMEM on failure. */
function swap_cluster_alloc_table(ci: number, gfp: number): number {
  const t = kmem_cache_zalloc(swap_table_cachep, gfp);
  if (t < 0) return -ENOMEM;
  rcu_assign_pointer(ci + CI.table, t + 1);
  return 0;
}

/**
 * swap_cluster_populate(): give a cluster just isolated from the free list
 * its swap table (seed 002).  Try an atomic allocation; if that fails drop
 * every lock for a sleeping one.  After the sleep the task may run on
 * another CPU, whose percpu cluster may be usable: the kernel keeps the
 * isolated cluster anyway (nobody else can reach it: it is off-list with
 * flags NONE), and puts it back on the free list if the allocation failed.
 *
 * Bug switch percpu-cluster-migration: seed 002's patch as posted.  After
 * the sleep it switches to the new CPU's usable percpu cluster and
 * abandons the isolated one, off every list with flags NONE (a leak a
 * reviewer found), and on failure returns without putting it back.
 *
 * Context: local lock, si->global_cluster_lock (rotational) and ci->lock
 * held; returns the cluster to use locked, or -1 with ci unlocked.
 */
function swap_cluster_populate(type: number, ci: number, order: number): number {
  lockdep_assert_held(ci + CI.lock, 'ci->lock');
  local_lock_assert_held();
  WARN_ON(ci_flags(ci) !== CLUSTER_FLAG_NONE || !cluster_is_empty(ci), 'cluster-lists', 'swap_cluster_populate: cluster not isolated empty', [ci]);
  if (swap_cluster_alloc_table(ci, GFP_ATOMIC) === 0) return ci;

  const rotational = (si_flags(type) & SWP_SOLIDSTATE) === 0;
  swap_cluster_unlock(ci);
  if (rotational) spin_unlock(siWord(type, SI.global_cluster_lock));
  local_unlock();
  point(P_TABLE_ALLOC_SLEEP);
  const t = kmem_cache_zalloc(swap_table_cachep, GFP_KERNEL);
  local_lock();
  if (rotational) spin_lock(siWord(type, SI.global_cluster_lock), LC_GLOBAL_CLUSTER);

  if (bug_on(BUG_PERCPU_CLUSTER_MIGRATION)) {
    const offset = A.i32[thisCpuWord(CPU.pcp_offset + order)];
    const pcpType = A.i32[thisCpuWord(CPU.pcp_si + order)] - 1;
    if (!rotational && offset && pcpType === type) {
      const pcp_ci = swap_cluster_lock(type, offset);
      if (cluster_is_usable(pcp_ci, order) && ci_count(pcp_ci) < SWAPFILE_CLUSTER) {
        if (t >= 0) kmem_cache_free(swap_table_cachep, t);
        return pcp_ci; /* the isolated `ci` is abandoned */
      }
      swap_cluster_unlock(pcp_ci);
    }
    if (t < 0) return -1; /* abandoned as well */
  }

  ci_lock(ci);
  if (WARN_ON(cluster_table_is_alloced(ci), 'cluster-lists', 'swap_cluster_populate: someone touched the dangling empty cluster', [ci])) {
    if (t >= 0) kmem_cache_free(swap_table_cachep, t);
    return ci;
  }
  if (t < 0) {
    move_cluster(type, ci, CLUSTER_FLAG_FREE);
    swap_cluster_unlock(ci);
    return -1;
  }
  rcu_assign_pointer(ci + CI.table, t + 1);
  return ci;
}

/* ---- list moves that free or relocate ---- */

/* __free_cluster(): the cluster is empty: drop its table, back to the free list. */
function __free_cluster(type: number, ci: number): void {
  swap_cluster_free_table(ci);
  move_cluster(type, ci, CLUSTER_FLAG_FREE);
  A.i32[ci + CI.order] = 0;
}

/**
 * free_cluster(): count reached 0.  Discard first if the device wants it.
 * Context: caller holds ci->lock.
 */
function free_cluster(type: number, ci: number): void {
  WARN_ON(ci_count(ci) !== 0, 'cluster-count', 'free_cluster with count != 0', [ci]);
  WARN_ON(ci_flags(ci) === CLUSTER_FLAG_FREE, 'cluster-lists', 'free_cluster of a free cluster', [ci]);
  if (WARN_ON(ci_flags(ci) === CLUSTER_FLAG_DEAD, 'device-lifetime', `free_cluster of ghost cluster ${cluster_index(type, ci)}, already DEAD: a stale pointer kept across a dropped ci->lock (double kfree_rcu)`, [type, ci])) return;
  const f = si_flags(type);
  if (f & (SWP_GHOST | SWP_VSWAP)) {
    swap_cluster_free_dynamic(type, ci);
    return;
  }
  if ((f & (SWP_WRITEOK | SWP_PAGE_DISCARD)) === (SWP_WRITEOK | SWP_PAGE_DISCARD)) {
    move_cluster(type, ci, CLUSTER_FLAG_DISCARD);
    A.i32[siWord(type, SI.discard_pending)] = 1;
    return;
  }
  __free_cluster(type, ci);
}

/* partial_free_cluster(): slots were freed, the cluster is neither empty nor full. */
function partial_free_cluster(type: number, ci: number): void {
  if (ci_flags(ci) !== CLUSTER_FLAG_NONFULL) move_cluster(type, ci, CLUSTER_FLAG_NONFULL);
}

/**
 * relocate_cluster(): after allocating from @ci, put it where its count
 * says.  Context: caller holds ci->lock.
 */
function relocate_cluster(type: number, ci: number): void {
  if (cluster_is_discard(ci)) return;
  const count = ci_count(ci);
  const flags = ci_flags(ci);
  if (count === 0) {
    if (flags !== CLUSTER_FLAG_FREE) free_cluster(type, ci);
  } else if (count !== SWAPFILE_CLUSTER) {
    if (flags !== CLUSTER_FLAG_FRAG) move_cluster(type, ci, CLUSTER_FLAG_FRAG);
  } else if (flags !== CLUSTER_FLAG_FULL) {
    move_cluster(type, ci, CLUSTER_FLAG_FULL);
  }
}

/**
 * isolate_lock_cluster(): take the first uncontended cluster off @list,
 * locked and isolated; a free cluster gets its table here.  Returns -1 if
 * none (the list may be non-empty: contended clusters are skipped).
 * Context: local lock held (the table allocation may sleep); takes si->lock.
 */
function isolate_lock_cluster(type: number, list: number, order: number): number {
  let found = -1;
  let saved = 0;
  spin_lock(siWord(type, SI.lock), LC_SI);
  for (const idx of list_entries(type, list)) {
    const ci = clusterWord(type, idx);
    if (!spin_trylock(ci + CI.lock, 6 /* LC_CI */)) continue;
    const f = ci_flags(ci);
    if (f === CLUSTER_FLAG_NONE || (f > CLUSTER_FLAG_USABLE && f !== CLUSTER_FLAG_FULL)) {
      report('cluster-lists', `isolate_lock_cluster: cluster ${idx} on a list with flags ${f}`, [type, idx, f]);
    }
    saved = __isolate_cluster(type, ci);
    found = ci;
    break;
  }
  spin_unlock(siWord(type, SI.lock));
  if (found >= 0 && saved === CLUSTER_FLAG_FREE) {
    WARN_ON(cluster_table_is_alloced(found), 'table-lifetime', 'free cluster with a table', [found]);
    return swap_cluster_populate(type, found, order);
  }
  return found;
}

/* ---- allocation ---- */

/** cluster_is_usable(): flags allow allocation, a table exists, and the order fits. */
export function cluster_is_usable(ci: number, order: number): boolean {
  if (ci_flags(ci) > CLUSTER_FLAG_USABLE) return false;
  if (!cluster_table_is_alloced(ci)) return false;
  if (order === 0) return true;
  return cluster_is_empty(ci) || order === ci_order(ci);
}

/* cluster_scan_range(): can [offset, offset+nr) be allocated?  Context: ci->lock held. */
function cluster_scan_range(ci: number, offset: number, nr: number, needReclaim: { v: boolean }): boolean {
  for (let k = 0; k < nr; k++) {
    const off = (offset + k) % SWAPFILE_CLUSTER;
    const tb = __swap_table_get(ci, off);
    if (swp_tb_is_null(tb) && swap_design().countOf(ci, off, tb) === 0) continue;
    if (swp_tb_is_folio(tb) && swap_design().countOf(ci, off, tb) === 0) {
      if (!vm_swap_full()) return false;
      needReclaim.v = true;
      continue;
    }
    return false;
  }
  return true;
}

/*
 * cluster_reclaim_range(): drop ci->lock, reclaim cache-only slots of the
 * range, retake the lock.  The cluster may have been freed or taken for
 * another order meanwhile: re-check usability, then re-scan.  A ghost
 * cluster may even be gone (seed 001 patch 15): the walk runs under
 * rcu_read_lock() and the cluster is looked up again, *@pci set to the
 * new pointer or to 0 when there is none.  Bug switch
 * ghost-cluster-relookup relocks the old pointer instead, with no RCU
 * section keeping it valid.
 */
function cluster_reclaim_range(type: number, pci: { v: number }, start: number, order: number, usable: { v: boolean }): boolean {
  const nr = 1 << order;
  let ci = pci.v;
  const relookup = si_dynamic(type) && !bug_on(BUG_GHOST_CLUSTER_RELOOKUP);
  swap_cluster_unlock(ci);
  if (relookup) rcu_read_lock();
  point(P_RECLAIM_RANGE);
  for (let offset = start; offset < start + nr; offset++) {
    const tb = swap_table_get(ci, offset % SWAPFILE_CLUSTER);
    if (swap_design().countOf(ci, offset % SWAPFILE_CLUSTER, tb) !== 0) break;
    if (swp_tb_is_folio(tb) && __try_to_reclaim_swap(type, offset) < 0) break;
  }
  if (relookup) {
    rcu_read_unlock();
    ci = pci.v = swap_cluster_lock(type, start);
    if (ci === 0) {
      usable.v = false;
      return false;
    }
  } else {
    ci_lock(ci);
  }
  if (!cluster_is_usable(ci, order)) {
    usable.v = false;
    return false;
  }
  usable.v = true;
  if (cluster_is_empty(ci)) return true;
  for (let offset = start; offset < start + nr; offset++) {
    if (!swp_tb_is_null(__swap_table_get(ci, offset % SWAPFILE_CLUSTER))) return false;
  }
  return true;
}

/**
 * __try_to_reclaim_swap(): drop a cache-only folio at @offset from the swap
 * cache.  Returns the number of slots freed, or minus the folio size if it
 * could not (0 if nothing cached).
 * Context: no ci->lock held; trylocks the folio.
 */
export function __try_to_reclaim_swap(type: number, offset: number): number {
  const entry = swp_entry(type, offset);
  for (;;) {
    const folio = swap_cache_get_folio(entry);
    if (folio < 0) return 0;
    const nr = folio_nr_pages(folio);
    if (!folio_trylock(folio)) {
      folio_put(folio);
      return -nr;
    }
    const fentry = folio_swap(folio);
    if (!folio_test_swapcache(folio) || fentry !== entry - (entry % nr)) {
      folio_unlock(folio);
      folio_put(folio);
      continue; /* moved before we locked it */
    }
    if (folio_test_writeback(folio) || folio_maybe_swapped(folio)) {
      folio_unlock(folio);
      folio_put(folio);
      return -nr;
    }
    swap_cache_del_folio(folio);
    folio_set(folio, PG_dirty);
    folio_unlock(folio);
    folio_put(folio);
    return nr;
  }
}

/*
 * __swap_cluster_alloc_entries(): claim [ci_off, ci_off + nr) for @folio:
 * the slots become the folio's swap cache entries with count 0.
 * Context: ci->lock held, folio locked.
 */
function __swap_cluster_alloc_entries(type: number, ci: number, folio: number, ci_off: number): boolean {
  if (!(si_flags(type) & SWP_WRITEOK)) return false; /* swapoff began: see wait_for_allocation */
  /* The allocation is in flight: swapoff may clear WRITEOK now, and must wait for us (wait_for_allocation). */
  point(P_ALLOC_IN_FLIGHT);
  const order = folio_order(folio);
  const nr = 1 << order;
  const entry = swp_entry(type, cluster_offset(type, ci) + ci_off);
  __swap_cache_add_folio(ci, folio, entry);
  if (cluster_is_empty(ci)) A.i32[ci + CI.order] = order;
  Atomics.add(A.i32, ci + CI.count, nr);
  swap_range_alloc(type, nr);
  return true;
}

/**
 * alloc_swap_scan_cluster(): allocate for @folio in @ci from @offset on.
 * Phase III patch 10: the scan is not truncated at si->max (the last
 * cluster's tail is marked bad), so `next` may land past si->max: see
 * __swap_offset_to_cluster() for the debug check that had to follow.
 * Context: entered with ci->lock held; always unlocks.  Returns the offset
 * or SWAP_ENTRY_INVALID.
 */
function alloc_swap_scan_cluster(type: number, ci: number, folio: number, offset: number): number {
  const order = folio_order(folio);
  const nr = 1 << order;
  const start = offset - (offset % SWAPFILE_CLUSTER);
  let end = start + SWAPFILE_CLUSTER;
  let next = SWAP_ENTRY_INVALID;
  let found = SWAP_ENTRY_INVALID;
  let cur = ci;
  lockdep_assert_held(cur + CI.lock, 'ci->lock');
  WARN_ON(!cluster_is_usable(cur, order), 'cluster-lists', 'alloc_swap_scan_cluster on an unusable cluster', [cur, order]);
  if (ci_count(cur) + nr <= SWAPFILE_CLUSTER) {
    for (end -= nr; offset <= end; offset += nr) {
      const needReclaim = { v: false };
      if (!cluster_scan_range(cur, offset, nr, needReclaim)) continue;
      if (needReclaim.v) {
        const usable = { v: false };
        const pci = { v: cur };
        const ok = cluster_reclaim_range(type, pci, offset, order, usable);
        cur = pci.v;
        if (!usable.v) break;
        if (cluster_is_empty(cur)) offset = start;
        if (!ok) continue;
      }
      if (!__swap_cluster_alloc_entries(type, cur, folio, offset % SWAPFILE_CLUSTER)) break;
      found = offset;
      offset += nr;
      if (ci_count(cur) < SWAPFILE_CLUSTER && offset <= end) next = offset;
      break;
    }
  }
  if (cur !== 0) {
    relocate_cluster(type, cur);
    swap_cluster_unlock(cur);
  }
  if (si_flags(type) & SWP_SOLIDSTATE) {
    A.i32[thisCpuWord(CPU.pcp_offset + order)] = next;
    A.i32[thisCpuWord(CPU.pcp_si + order)] = type + 1;
  } else {
    A.i32[siWord(type, SI.global_cluster_next + order)] = next;
  }
  return found;
}

/* alloc_swap_scan_list(): isolate clusters off @list and try each. */
function alloc_swap_scan_list(type: number, list: number, folio: number, scan_all: boolean): number {
  let found = SWAP_ENTRY_INVALID;
  const order = folio_order(folio);
  do {
    const ci = isolate_lock_cluster(type, list, order);
    if (ci < 0) break;
    found = alloc_swap_scan_cluster(type, ci, folio, cluster_offset(type, ci));
    if (found) break;
  } while (scan_all);
  return found;
}

/**
 * alloc_swap_scan_dynamic(): a ghost device grows: a new cluster in its
 * xarray, and the allocation from it (seed 001 patch 15).
 * Context: local lock held.
 */
function alloc_swap_scan_dynamic(type: number, folio: number): number {
  const ci = swap_cluster_alloc_dynamic(type, folio_order(folio));
  if (ci === 0) return SWAP_ENTRY_INVALID;
  return alloc_swap_scan_cluster(type, ci, folio, cluster_offset(type, ci));
}

/**
 * swap_reclaim_full_clusters(): walk full clusters and drop cache-only
 * folios so their slots can be reused.
 * Context: local lock may be held; takes si->lock and ci->lock.
 */
export function swap_reclaim_full_clusters(type: number, force: boolean): void {
  let to_scan = force ? Math.ceil(si_inuse(type) / SWAPFILE_CLUSTER) : 1;
  const list = siWord(type, SI.full_clusters);
  let ci: number;
  while ((ci = isolate_lock_cluster(type, list, 0)) >= 0) {
    let offset = cluster_offset(type, ci);
    const end = Math.min(si_max(type), offset + SWAPFILE_CLUSTER);
    to_scan--;
    while (offset < end) {
      const tb = __swap_table_get(ci, offset % SWAPFILE_CLUSTER);
      if (swp_tb_is_folio(tb) && swap_design().countOf(ci, offset % SWAPFILE_CLUSTER, tb) === 0) {
        swap_cluster_unlock(ci);
        const n = __try_to_reclaim_swap(type, offset);
        /* A ghost cluster may have emptied and gone meanwhile: look it up again. */
        if (si_dynamic(type)) ci = swap_cluster_lock(type, offset);
        else ci_lock(ci);
        if (ci === 0) break;
        if (n) {
          offset += Math.abs(n);
          continue;
        }
      }
      offset++;
    }
    if (ci !== 0) {
      if (ci_flags(ci) === CLUSTER_FLAG_NONE) relocate_cluster(type, ci);
      swap_cluster_unlock(ci);
    }
    if (to_scan <= 0) break;
  }
}

/**
 * cluster_alloc_swap_entry(): the slow path on one device.
 * Context: local lock held.  Returns an offset or SWAP_ENTRY_INVALID.
 */
function cluster_alloc_swap_entry(type: number, folio: number): number {
  const order = folio_order(folio);
  const rotational = (si_flags(type) & SWP_SOLIDSTATE) === 0;
  let found = SWAP_ENTRY_INVALID;
  const done = (): number => {
    if (rotational) spin_unlock(siWord(type, SI.global_cluster_lock));
    return found;
  };
  if (rotational) {
    spin_lock(siWord(type, SI.global_cluster_lock), LC_GLOBAL_CLUSTER);
    let offset = A.i32[siWord(type, SI.global_cluster_next + order)];
    if (offset) {
      const ci = swap_cluster_lock(type, offset);
      if (cluster_is_usable(ci, order)) {
        if (cluster_is_empty(ci)) offset = cluster_offset(type, ci);
        found = alloc_swap_scan_cluster(type, ci, folio, offset);
      } else {
        swap_cluster_unlock(ci);
      }
      if (found) return done();
    }
  }
  const discard = (si_flags(type) & SWP_PAGE_DISCARD) !== 0;
  const free = siWord(type, SI.free_clusters);
  if (discard && (found = alloc_swap_scan_list(type, free, folio, false))) return done();
  if (order < PMD_ORDER && (found = alloc_swap_scan_list(type, list_for_flags(type, CLUSTER_FLAG_NONFULL, order), folio, true))) return done();
  if (si_dynamic(type) && (found = alloc_swap_scan_dynamic(type, folio))) return done();
  if (!discard && (found = alloc_swap_scan_list(type, free, folio, false))) return done();
  if (vm_swap_full()) swap_reclaim_full_clusters(type, false);
  if (order < PMD_ORDER && (found = alloc_swap_scan_list(type, list_for_flags(type, CLUSTER_FLAG_FRAG, order), folio, false))) return done();
  if (order) return done();
  /* Order 0 steals from clusters of higher orders */
  for (let o = 1; o < SWAP_NR_ORDERS; o++) {
    if ((found = alloc_swap_scan_list(type, list_for_flags(type, CLUSTER_FLAG_FRAG, o), folio, true))) return done();
    if ((found = alloc_swap_scan_list(type, list_for_flags(type, CLUSTER_FLAG_NONFULL, o), folio, true))) return done();
  }
  return done();
}

/** swap_alloc_fast(): this CPU's cached cluster.  Context: local lock held. */
function swap_alloc_fast(folio: number): boolean {
  const order = folio_order(folio);
  const type = A.i32[thisCpuWord(CPU.pcp_si + order)] - 1;
  let offset = A.i32[thisCpuWord(CPU.pcp_offset + order)];
  if (type < 0 || !offset || !get_swap_device_info(type)) return false;
  const ci = swap_cluster_lock(type, offset);
  if (ci === 0) {
    /* A ghost cluster freed since this CPU cached it. */
  } else if (cluster_is_usable(ci, order)) {
    if (cluster_is_empty(ci)) offset = cluster_offset(type, ci);
    alloc_swap_scan_cluster(type, ci, folio, offset);
  } else {
    swap_cluster_unlock(ci);
  }
  put_swap_device(type);
  return folio_test_swapcache(folio);
}

/*
 * The devices on swap_avail_head, highest priority first.  Devices of
 * equal priority take turns: swap_alloc_slow() requeues the one it used
 * behind its peers (plist_requeue), modelled as a rotor that shifts the
 * order within a priority.
 */
function swap_avail_list(): number[] {
  const out: number[] = [];
  spin_lock(gword(G.swap_avail_lock), LC_SWAP_AVAIL);
  for (let t = 0; t < MAX_SWAPFILES; t++) if (A.i32[siWord(t, SI.avail)]) out.push(t);
  const rotor = Atomics.add(A.i32, gword(G.swap_avail_rotor), 1) >>> 0;
  spin_unlock(gword(G.swap_avail_lock));
  const turn = (t: number): number => (t - rotor) & (MAX_SWAPFILES_POW2 - 1);
  out.sort((a, b) => A.i32[siWord(b, SI.prio)] - A.i32[siWord(a, SI.prio)] || turn(a) - turn(b));
  return out;
}
const MAX_SWAPFILES_POW2 = 32;

/** swap_alloc_slow(): try every available device.  Context: local lock held. */
function swap_alloc_slow(folio: number): void {
  for (const type of swap_avail_list()) {
    if (get_swap_device_info(type)) {
      cluster_alloc_swap_entry(type, folio);
      put_swap_device(type);
      if (folio_test_swapcache(folio) || folio_order(folio) > 0) return;
    }
  }
}

/**
 * folio_alloc_swap(): allocate swap slots for @folio and add it to the swap
 * cache, then charge the swap to its memcg.  0, or -ENOMEM (no space: the
 * caller may split a large folio and retry), -EINVAL.
 * Context: folio locked; may sleep (table allocation, discard).
 */
export function folio_alloc_swap(folio: number): number {
  const order = folio_order(folio);
  if ((1 << order) > SWAPFILE_CLUSTER) return -EINVAL;
  for (let attempt = 0; attempt < 2; attempt++) {
    local_lock();
    if (!swap_alloc_fast(folio)) swap_alloc_slow(folio);
    local_unlock();
    if (folio_test_swapcache(folio) || order > 0 || !swap_sync_discard()) break;
  }
  if (!folio_test_swapcache(folio)) return -ENOMEM;
  mem_cgroup_try_charge_swap(folio_memcg(folio), 1 << order);
  /* p2/p3: swap_cgroup_record() (p4 records the owner in the shadow later). */
  if (!swap_design().memcgInShadow) {
    const entry = folio_swap(folio);
    swap_design().recordMemcg(__swap_offset_to_cluster(swp_type(entry), swp_offset(entry)), swp_offset(entry) % SWAPFILE_CLUSTER, 1 << order, folio_memcg(folio));
  }
  return 0;
}

/* ---- discard ---- */

/**
 * swap_do_scheduled_discard(): issue the discards queued on @type's
 * discard list, then free those clusters.
 * Context: process context, may sleep; takes si->lock then ci->lock.
 */
export function swap_do_scheduled_discard(type: number): boolean {
  let ret = false;
  const list = siWord(type, SI.discard_clusters);
  spin_lock(siWord(type, SI.lock), LC_SI);
  while (!list_empty(list)) {
    const idx = A.i32[list];
    const ci = clusterWord(type, idx);
    /*
     * list_del(&ci->list) only: off the list but still DISCARD, so
     * relocate_cluster and every ci->lock holder leave it alone.  (Not
     * __isolate_cluster(), which wants ci->lock: it set the flags NONE -
     * "usable" - for a moment without it, and a CPU whose per-CPU cluster
     * this was allocated from a cluster being discarded.  A 4-CPU stress
     * run found it.)
     */
    list_del(type, list, idx);
    spin_unlock(siWord(type, SI.lock));
    might_sleep('discard_swap_cluster');
    ci_lock(ci);
    A.i32[ci + CI.flags] = CLUSTER_FLAG_NONE;
    __free_cluster(type, ci);
    swap_cluster_unlock(ci);
    ret = true;
    spin_lock(siWord(type, SI.lock), LC_SI);
  }
  A.i32[siWord(type, SI.discard_pending)] = 0;
  spin_unlock(siWord(type, SI.lock));
  return ret;
}

/**
 * swap_discard_work(): the si->discard_work items the free path scheduled
 * (schedule_work() when it queued a cluster for discard), for every
 * device; run by a kworker (the stress harness's "stress-kworker" task).
 * The device is pinned for the work, as swapoff's flush_work() after
 * percpu_ref_kill() would wait for it.  Returns the devices worked on.
 * Context: process context (a kworker), may sleep.
 */
export function swap_discard_work(): number {
  let n = 0;
  for (let t = 0; t < MAX_SWAPFILES; t++) {
    if (!A.i32[siWord(t, SI.discard_pending)]) continue;
    if (!get_swap_device_info(t)) continue;
    if (swap_do_scheduled_discard(t)) n++;
    put_swap_device(t);
  }
  return n;
}

/* swap_sync_discard(): run pending discards on the first device that has some. */
function swap_sync_discard(): boolean {
  for (let t = 0; t < MAX_SWAPFILES; t++) {
    if (!A.i32[siWord(t, SI.discard_pending)]) continue;
    if (!get_swap_device_info(t)) continue;
    const did = swap_do_scheduled_discard(t);
    put_swap_device(t);
    if (did) return true;
  }
  return false;
}

/* ---- swap counts ---- */

const COUNT_MAX = (): number => swap_design().countMax;

function extendWord(ci: number, off: number): number {
  return pageDataWord(A.i32[ci + CI.extend_table] - 1) + off;
}

function swap_extend_table_free(ci: number): void {
  const e = A.i32[ci + CI.extend_table];
  if (e === 0) return;
  A.i32[ci + CI.extend_table] = 0;
  page_pool_free(e - 1);
}

/* swap_extend_table_try_free(): free the extend table once every count is inline again. */
function swap_extend_table_try_free(ci: number): void {
  const e = A.i32[ci + CI.extend_table];
  if (e === 0) return;
  const base = pageDataWord(e - 1);
  for (let off = 0; off < SWAPFILE_CLUSTER; off++) if (A.i32[base + off] !== 0) return;
  swap_extend_table_free(ci);
}

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
 *
 * Bug switch count-overflow: no overflow path, the 4-bit field wraps.
 * Context: ci->lock held.
 */
function __swap_cluster_dup_entry(ci: number, off: number): number {
  const tb = __swap_table_get(ci, off);
  if (swp_tb_is_bad(tb)) return -EINVAL;
  const c = swap_design().count(ci, off);
  const max = COUNT_MAX();
  if (c === 0 && !swp_tb_is_folio(tb)) return -ENOENT;
  if (bug_on(BUG_COUNT_OVERFLOW)) {
    swap_design().setCount(ci, off, (c + 1) & max);
    return 0;
  }
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
  if (c === max && !bug_on(BUG_COUNT_OVERFLOW) && A.i32[ci + CI.extend_table] !== 0) {
    const e = A.i32[extendWord(ci, off)] - 1;
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
 * is no longer near overflow, or someone installed a table first.
 */
function swap_extend_table_alloc(type: number, offset: number, gfp: number): number {
  if (gfp === GFP_KERNEL) might_sleep('swap_extend_table_alloc');
  const p = page_pool_alloc(PG_KMALLOC, true);
  if (p < 0) return -ENOMEM;
  const ci = swap_cluster_lock(type, offset);
  const off = offset % SWAPFILE_CLUSTER;
  if (!cluster_table_is_alloced(ci) || swap_design().count(ci, off) < COUNT_MAX() - 1 || A.i32[ci + CI.extend_table] !== 0) {
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
function swap_put_entries_cluster(type: number, offset: number, nr: number): boolean {
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
  const entry = folio_swap(folio);
  const nr = idx < 0 ? folio_nr_pages(folio) : 1;
  const e = idx < 0 ? entry : entry + idx;
  swap_put_entries_cluster(swp_type(e), swp_offset(e), nr);
}

/**
 * swap_put_entries_direct(): zap/exit dropping @nr swap PTEs.
 * Context: caller holds the PTL over them.
 */
export function swap_put_entries_direct(entry: number, nr: number): void {
  const type = get_swap_device(entry);
  if (type < 0) {
    report('swap-count', `swap_put_entries_direct: bad swap entry ${entry}`, [entry]);
    return;
  }
  let offset = swp_offset(entry);
  const end = offset + nr;
  while (offset < end) {
    const n = Math.min(end - offset, SWAPFILE_CLUSTER - (offset % SWAPFILE_CLUSTER));
    if (swap_put_entries_cluster(type, offset, n)) {
      for (let o = offset; o < offset + n; o++) {
        const r = __try_to_reclaim_swap(type, o);
        if (r > 0) o += r - 1;
      }
    }
    offset += n;
  }
  put_swap_device(type);
}

/**
 * folio_maybe_swapped(): does any slot of the folio have count > 0?  May
 * be a false positive (concurrent puts).  Context: folio locked, in the
 * swap cache.
 */
export function folio_maybe_swapped(folio: number): boolean {
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

/**
 * folio_free_swap(): drop a folio's swap cache if no slot is referenced.
 * Context: folio locked.
 */
export function folio_free_swap(folio: number): boolean {
  if (!folio_test_swapcache(folio) || folio_test_writeback(folio)) return false;
  if (folio_maybe_swapped(folio)) return false;
  swap_cache_del_folio(folio);
  folio_set(folio, PG_dirty);
  return true;
}

/** swap_entry_swapped(): count > 0.  Context: device pinned. */
export function swp_swapcount(entry: number): number {
  const type = swp_type(entry);
  const ci = swap_cluster_lock(type, swp_offset(entry));
  const c = __swap_count_exact(ci, swp_offset(entry) % SWAPFILE_CLUSTER);
  swap_cluster_unlock(ci);
  return c;
}
