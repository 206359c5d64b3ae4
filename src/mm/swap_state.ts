/*
 * mm/swap_state.c: the swap cache, living in the swap table (a slot holding
 * a PFN entry is cached), as phase IV's RFC has it (seed 001 patches 2-8).
 *
 * Kernel mapping: swap_cache_get_folio, swap_cache_has_folio,
 * __swap_cache_check_batch, __swap_cache_add_folio,
 * __swap_cache_alloc, swap_cache_alloc_folio, __swap_cache_del_folio,
 * swap_cache_del_folio, swapin_entry.
 */
import { EAGAIN, EBUSY, EEXIST, ENOENT, ENOMEM } from '../include/errno.js';
import { A } from '../shm/arena.js';
import { SWAPFILE_CLUSTER } from '../shm/layout.js';
import { report } from '../shm/report.js';
import { bug_on, BUG_SWAPCACHE_LARGE_FOLIO } from '../shm/bugs.js';
import { point, pointId } from '../sync/point.js';
import { might_sleep } from '../sync/might_sleep.js';
import { rcu_read_lock, rcu_read_unlock } from '../sync/rcu.js';
import { swap_design } from './swap_design.js';
import { folio_alloc, folio_assert_locked, folio_clear, folio_memcg, folio_nr_pages, folio_put, folio_put_refs, folio_ref_add, folio_set, folio_set_memcg, folio_set_swap, folio_swap, folio_try_get, fw, PG_swapbacked, PG_swapcache, PG_workingset, PG_writeback, __folio_set_locked } from './page_alloc.js';
import { lruvec_age_nonresident, mem_cgroup_offline_seq, mem_cgroup_swap_free_folio, mem_cgroup_swapin_charge_folio, mem_cgroup_swapin_charge_folio_swap_cgroup } from './memcontrol.js';
import { __swap_cluster_free_entries } from './swap_count.js';
import { __swap_offset_to_cluster, cluster_table_is_alloced, si_dynamic, swap_cluster_lock, swap_cluster_unlock, swp_offset, swp_type } from './swap.js';
import { __swap_table_get, __swap_table_set, swap_table_get } from './swap_table_arena.js';
import { __swp_tb_get_flags, pfn_to_swp_tb, shadow_to_swp_tb, swp_tb_is_folio, swp_tb_is_shadow, swp_tb_to_pfn, swp_tb_to_shadow } from './swap_table.js';
import { memcgid_to_shadow, pack_shadow, shadow_to_memcgid } from './workingset.js';
import { CI, FOLIO } from '../shm/layout.js';
import { lockdep_assert_held } from '../sync/lockdep.js';

const P_SWAPCACHE_ALLOC_UNLOCKED = pointId('__swap_cache_alloc:unlocked');

/**
 * swap_cache_get_folio(): the folio caching @entry, with a reference, not
 * locked; -1 if none.  The caller must lock it and re-check
 * folio_matches_swap_entry(): the slot may have been freed or reused since.
 * Context: device pinned; RCU taken inside.
 */
export function swap_cache_get_folio(entry: number): number {
  const type = swp_type(entry);
  const off = swp_offset(entry) % SWAPFILE_CLUSTER;
  /* A dynamic (ghost) cluster is only good inside the RCU section that looked it up (seed 001 patch 15). */
  const dyn = si_dynamic(type);
  const ci = dyn ? 0 : __swap_offset_to_cluster(type, swp_offset(entry));
  for (;;) {
    if (dyn) rcu_read_lock();
    const tb = swap_table_get(dyn ? __swap_offset_to_cluster(type, swp_offset(entry)) : ci, off);
    const folio = swp_tb_is_folio(tb) ? swp_tb_to_pfn(swap_design().tb, tb) : -1;
    const got = folio >= 0 && folio_try_get(folio);
    if (dyn) rcu_read_unlock();
    if (folio < 0) return -1;
    if (got) return folio;
  }
}

/** folio_matches_swap_entry().  Context: folio locked. */
export function folio_matches_swap_entry(folio: number, entry: number): boolean {
  folio_assert_locked(folio, 'folio_matches_swap_entry');
  if ((A.i32[fw(folio, FOLIO.flags)] & PG_swapcache) === 0) return false;
  const nr = folio_nr_pages(folio);
  return folio_swap(folio) === entry - (entry % nr);
}

/**
 * non_swapcache_batch(): how many slots from @entry on, up to @max_nr, are
 * not in the swap cache (a large swap-in must not cover a cached one).
 * Context: lockless look under RCU; the caller re-checks under ci->lock.
 */
export function non_swapcache_batch(entry: number, max_nr: number): number {
  rcu_read_lock();
  const ci = __swap_offset_to_cluster(swp_type(entry), swp_offset(entry));
  const start = swp_offset(entry) % SWAPFILE_CLUSTER;
  let n = 0;
  while (n < max_nr && !swp_tb_is_folio(swap_table_get(ci, start + n))) n++;
  rcu_read_unlock();
  return n;
}

/**
 * __swap_cache_check_batch(): may a folio of @nr pages be added for target
 * slot @targ_off?  The target slot decides -EEXIST (cached) and -ENOENT
 * (freed); the rest of the aligned batch must be uncached, in use, of one
 * memcg (patch 8) and of one zero state (patch 12), else -EBUSY (fall back
 * to a smaller order).  The target's shadow is returned through @out.
 * Context: ci->lock held.
 */
export function __swap_cache_check_batch(ci: number, targ_off: number, nr: number, out: { shadow: bigint }): number {
  lockdep_assert_held(ci + CI.lock, 'ci->lock');
  if (!cluster_table_is_alloced(ci)) return -ENOENT;
  const tb = __swap_table_get(ci, targ_off);
  if (swp_tb_is_folio(tb)) return -EEXIST;
  if (swap_design().countOf(ci, targ_off, tb) <= 0) return -ENOENT;
  if (!swp_tb_is_shadow(tb)) return -ENOENT;
  out.shadow = swp_tb_to_shadow(swap_design().tb, tb);
  if (nr === 1) return 0;
  const memcgid = swap_design().slotMemcg(ci, targ_off, tb);
  const zero = swap_design().testZero(ci, targ_off);
  const start = targ_off - (targ_off % nr);
  for (let off = start; off < start + nr; off++) {
    const o = __swap_table_get(ci, off);
    if (swp_tb_is_folio(o) || swap_design().countOf(ci, off, o) <= 0 || !swp_tb_is_shadow(o)) return -EBUSY;
    if (swap_design().slotMemcg(ci, off, o) !== memcgid) return -EBUSY;
    if (swap_design().testZero(ci, off) !== zero) return -EBUSY;
  }
  return 0;
}

/**
 * __swap_cache_add_folio(): the folio's slots now name it; count and zero
 * flag are kept.  Context: ci->lock held, folio locked.
 */
export function __swap_cache_add_folio(ci: number, folio: number, entry: number): void {
  folio_assert_locked(folio, '__swap_cache_add_folio');
  const nr = folio_nr_pages(folio);
  const start = swp_offset(entry) % SWAPFILE_CLUSTER;
  for (let off = start; off < start + nr; off++) {
    const old = __swap_table_get(ci, off);
    if (swp_tb_is_folio(old)) {
      report('swap-cache', `__swap_cache_add_folio: slot ${off} already caches folio ${swp_tb_to_pfn(swap_design().tb, old)}, adding folio ${folio}`, [ci, off, folio]);
    }
    __swap_table_set(ci, off, pfn_to_swp_tb(swap_design().tb, folio, __swp_tb_get_flags(swap_design().tb, old)));
  }
  folio_ref_add(folio, nr);
  folio_set_swap(folio, entry);
  folio_set(folio, PG_swapcache);
}

/**
 * __swap_cache_del_folio(): remove @folio from the swap cache, leaving a
 * shadow in each slot that still has a count and freeing those that have
 * none.  A charged folio's swap charge goes to its nearest online memcg,
 * whose id the shadow records (patches 7-8).  The caller drops the nr
 * swap cache references.
 * Context: ci->lock held; folio locked, in the swap cache.
 */
export function __swap_cache_del_folio(ci: number, folio: number, charged: boolean, reclaim: boolean): void {
  folio_assert_locked(folio, '__swap_cache_del_folio');
  const entry = folio_swap(folio);
  const type = swp_type(entry);
  const nr = folio_nr_pages(folio);
  if (A.i32[fw(folio, FOLIO.flags)] & PG_writeback) {
    report('swap-cache', `__swap_cache_del_folio: VM_WARN_ON_ONCE_FOLIO(folio_test_writeback(folio)): folio ${folio} at entry ${entry} leaves the swap cache with its write in flight`, [folio, entry]);
  }
  let shadow = 0n;
  if (charged) {
    /* p4: the swap charge's owner goes into the shadow (moved to an online memcg first); p2/p3: swap_cgroup keeps it. */
    const memcg = swap_design().memcgInShadow ? mem_cgroup_swap_free_folio(folio_memcg(folio), nr) : folio_memcg(folio);
    const ws = (A.i32[fw(folio, FOLIO.flags)] & PG_workingset) !== 0;
    shadow = reclaim ? pack_shadow(swap_design().tb, memcg, 0, lruvec_age_nonresident(memcg), ws) : memcgid_to_shadow(memcg);
  }
  const start = swp_offset(entry) % SWAPFILE_CLUSTER;
  let swapped = false;
  let needFree = false;
  for (let off = start; off < start + nr; off++) {
    const old = __swap_table_get(ci, off);
    if (!swp_tb_is_folio(old) || swp_tb_to_pfn(swap_design().tb, old) !== folio) {
      report('swap-cache', `__swap_cache_del_folio: slot ${off} does not name folio ${folio} (0x${old.toString(16)})`, [ci, off, folio]);
    }
    if (swap_design().countOf(ci, off, old) > 0) swapped = true;
    else needFree = true;
    __swap_table_set(ci, off, shadow_to_swp_tb(swap_design().tb, shadow, __swp_tb_get_flags(swap_design().tb, old)));
  }
  folio_set_swap(folio, -1);
  folio_clear(folio, PG_swapcache);
  if (!swapped) {
    __swap_cluster_free_entries(type, ci, start, nr);
  } else if (needFree) {
    for (let off = start; off < start + nr; off++) {
      if (!swap_design().countOf(ci, off, __swap_table_get(ci, off))) __swap_cluster_free_entries(type, ci, off, 1);
    }
  }
}

/**
 * swap_cache_del_folio(): as above, taking the cluster lock and dropping
 * the cache references.  Only for a clean folio or one with no count.
 * Context: folio locked, in the swap cache.
 */
export function swap_cache_del_folio(folio: number): void {
  const entry = folio_swap(folio);
  const nr = folio_nr_pages(folio);
  const ci = swap_cluster_lock(swp_type(entry), swp_offset(entry));
  __swap_cache_del_folio(ci, folio, true, false);
  swap_cluster_unlock(ci);
  folio_put_refs(folio, nr);
}

/**
 * __swap_cache_alloc(): allocate a folio of @order for the aligned batch
 * around @targ and add it to the swap cache.  The batch is checked, the
 * lock dropped for the (sleeping) allocation, and checked again: another
 * CPU may have cached part of the range, freed it, or changed its shadow
 * (patch 4).  Bug switch swapcache-large-folio skips the second check.
 * Returns the folio (locked, in the swap cache, charged, not uptodate) or
 * -errno.  Context: device pinned; process context, may sleep.
 */
function __swap_cache_alloc(targ: number, order: number, memcgFallback: number): number {
  const nr = 1 << order;
  const type = swp_type(targ);
  const entry = targ - (targ % nr);
  const targOff = swp_offset(targ) % SWAPFILE_CLUSTER;
  const first = { shadow: 0n };
  /* A ghost cluster may be gone with every slot of it (seed 001 patch 15): -ENOENT. */
  let ci = swap_cluster_lock(type, swp_offset(targ));
  let err = -ENOENT;
  if (ci !== 0) {
    err = __swap_cache_check_batch(ci, targOff, nr, first);
    swap_cluster_unlock(ci);
  }
  if (err) return err;

  might_sleep('__swap_cache_alloc');
  point(P_SWAPCACHE_ALLOC_UNLOCKED);
  const folio = folio_alloc(order, 0);
  if (folio < 0) return -ENOMEM;

  ci = swap_cluster_lock(type, swp_offset(targ));
  if (ci === 0) {
    folio_put(folio);
    return -ENOENT;
  }
  const second = { shadow: first.shadow };
  if (!bug_on(BUG_SWAPCACHE_LARGE_FOLIO)) {
    err = __swap_cache_check_batch(ci, targOff, nr, second);
    if (!err && second.shadow !== first.shadow) err = -EAGAIN;
    if (err) {
      swap_cluster_unlock(ci);
      folio_put(folio);
      return err;
    }
  }
  __folio_set_locked(folio);
  folio_set(folio, PG_swapbacked);
  const id = swap_design().memcgInShadow ? shadow_to_memcgid(second.shadow) : swap_design().slotMemcg(ci, targOff, 0n);
  __swap_cache_add_folio(ci, folio, entry);
  swap_cluster_unlock(ci);
  const seq = mem_cgroup_offline_seq();
  const memcg = swap_design().memcgInShadow
    ? mem_cgroup_swapin_charge_folio(id, memcgFallback, nr)
    : mem_cgroup_swapin_charge_folio_swap_cgroup(id, memcgFallback);
  folio_set_memcg(folio, memcg, seq);
  return folio;
}

/**
 * swap_cache_alloc_folio(): the largest allowed order first (@orders is a
 * bitmask; order 0 is always allowed), falling back on -EBUSY/-ENOMEM,
 * retrying the same order on -EAGAIN.  -EEXIST and -ENOENT are final.
 */
export function swap_cache_alloc_folio(targ: number, orders: number, memcgFallback: number): number {
  orders |= 1;
  let order = 31 - Math.clz32(orders);
  for (;;) {
    const r = __swap_cache_alloc(targ, order, memcgFallback);
    if (r >= 0) return r;
    if (r === -EAGAIN) continue;
    if (order === 0 || (r !== -EBUSY && r !== -ENOMEM)) return r;
    orders &= (1 << order) - 1;
    order = 31 - Math.clz32(orders);
  }
}
