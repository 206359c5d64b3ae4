/*
 * mm/swapfile.c, seed 001 patch 15: the ghost device's dynamic clusters.
 *
 * A ghost device (SWP_GHOST: no backing store, zswap holds the data) has
 * no static cluster_info[]: each cluster is a swap_cluster_info_dynamic
 * slab object (src/shm/layout.ts CI_DYN) published in the device's
 * xarray, si->cluster_info_pool, allocated when the allocator finds no
 * usable cluster (alloc_swap_scan_dynamic) and freed as soon as it
 * empties: its table freed, erased from the xarray, marked
 * CLUSTER_FLAG_DEAD and handed to kfree_rcu().  So a pointer to a ghost
 * cluster is only good inside the RCU read-side section that looked it up,
 * or while its lock is held and DEAD is not set: swap_cluster_lock()
 * re-validates (src/mm/swap.ts), and every path that drops ci->lock must
 * look the cluster up again (cluster_reclaim_range; bug switch
 * ghost-cluster-relookup keeps the stale pointer).
 *
 * The virtual swap space (seed 004, src/mm/vswap.ts) uses the same
 * clusters, each with a virtual table page beside its swap table.
 *
 * Cluster 0 is set up at swapon with slot 0 (the header) bad, as the patch
 * does: it never empties, and it stays off every list (flags NONE), so the
 * allocator never uses it; xa_alloc() hands out indices from 1.
 *
 * So its other 511 slots are never handed out either, and the model does
 * not count them in si->pages (setup_ghost_clusters()).  The RFC counts
 * them (si->pages = maxpages - 1): a ghost device whose dynamic clusters
 * are all full is then never "full" (inuse_pages < si->pages), stays on
 * swap_avail_head, and fails every allocation there.  Two such devices
 * of one priority - every device swapped on without one has
 * DEF_SWAP_PRIO in linux-mm - livelock swap_alloc_slow(): each
 * plist_requeue() puts the device just tried behind the other, so the
 * plist_for_each_entry_safe() walk never reaches the end of the list
 * (found by an API call sequence: MADV_PAGEOUT that never returned).
 */
import { A } from '../shm/arena.js';
import { CI, CI_DYN, SI, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { page_pool_alloc, page_pool_free, PG_KMALLOC } from '../kmem/page_pool.js';
import { WARN_ON } from '../shm/report.js';
import { GFP_ATOMIC, GFP_KERNEL, kmem_cache_free, kmem_cache_zalloc, obj_word, swap_cluster_cachep, swap_table_cachep } from '../kmem/slab.js';
import { xa_alloc, xa_destroy, xa_erase, xa_for_each, xa_init, xa_store } from '../kmem/xarray.js';
import { LC_CI, LC_SI, lockdep_assert_held } from '../sync/lockdep.js';
import { call_rcu, rcu_assign_pointer, register_rcu_callback } from '../sync/rcu.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { list_del, list_for_flags } from './cluster_list.js';
import { CLUSTER_FLAG_DEAD, CLUSTER_FLAG_NONE, ci_flags, ci_order, cluster_index, cluster_pool, si_is_vswap, siWord } from './swap.js';
import { __swap_table_get, __swap_table_set } from './swap_table_arena.js';
import { swap_cluster_free_table } from './swap_cluster_table.js';
import { null_to_swp_tb, SWP_TB_BAD, swp_tb_is_bad } from './swap_table.js';
import { bug_on, BUG_GHOST_CLUSTER_TAIL } from '../shm/bugs.js';

/* kfree_rcu(ci_dyn, rcu): the slab object goes back after a grace period. */
export const RCU_CB_DYN_CLUSTER = 3;
register_rcu_callback(RCU_CB_DYN_CLUSTER, (id) => kmem_cache_free(swap_cluster_cachep, id));

/*
 * A fresh dynamic cluster with its swap table (and, in the virtual swap
 * space, its virtual table: vswap_cluster_alloc_vtable), not yet
 * published: flags NONE, count 0, off every list.  Returns the cluster
 * word, or 0.
 */
function ci_dyn_alloc(type: number, gfp: number): number {
  const id = kmem_cache_zalloc(swap_cluster_cachep, gfp);
  if (id < 0) return 0;
  const ci = obj_word(swap_cluster_cachep, id);
  const table = kmem_cache_zalloc(swap_table_cachep, gfp);
  const vtable = si_is_vswap(type) ? page_pool_alloc(PG_KMALLOC, true) : -2;
  if (table < 0 || vtable === -1) {
    if (table >= 0) kmem_cache_free(swap_table_cachep, table);
    if (vtable >= 0) page_pool_free(vtable);
    kmem_cache_free(swap_cluster_cachep, id);
    return 0;
  }
  if (vtable >= 0) A.i32[ci + CI_DYN.vtable] = vtable + 1;
  const i32 = A.i32;
  i32[ci + CI_DYN.id] = id;
  i32[ci + CI.prev] = -1;
  i32[ci + CI.next] = -1;
  rcu_assign_pointer(ci + CI.table, table + 1);
  return ci;
}

/* vswap_cluster_free_vtable().  Context: ci->lock held, or the cluster unreachable. */
function ci_dyn_free_vtable(ci: number): void {
  const vt = A.i32[ci + CI_DYN.vtable];
  if (vt === 0) return;
  A.i32[ci + CI_DYN.vtable] = 0;
  page_pool_free(vt - 1);
}

/* Undo ci_dyn_alloc() of a cluster nobody else saw. */
function ci_dyn_free_unpublished(ci: number): void {
  kmem_cache_free(swap_table_cachep, A.i32[ci + CI.table] - 1);
  ci_dyn_free_vtable(ci);
  kmem_cache_free(swap_cluster_cachep, A.i32[ci + CI_DYN.id]);
}

/**
 * swap_cluster_alloc_dynamic(): the first half of alloc_swap_scan_dynamic():
 * a new empty cluster with its table, published at the lowest free index
 * (1 .. nr_clusters - 1) of the device's xarray, and locked (the last
 * one, past si->max, not empty: see below).  Returns the
 * cluster word, or 0 (-ENOMEM, or every index taken).
 * Context: local lock held: GFP_ATOMIC only; returns with ci->lock held.
 */
export function swap_cluster_alloc_dynamic(type: number): number {
  const ci = ci_dyn_alloc(type, GFP_ATOMIC);
  if (ci === 0) return 0;
  const i32 = A.i32;
  const nr = i32[siWord(type, SI.nr_clusters)];
  /* Locked before it is published: a stale percpu offset may find it at once. */
  spin_lock(ci + CI.lock, LC_CI);
  const idx = xa_alloc(cluster_pool(type), ci + CI_DYN.index, i32[ci + CI_DYN.id], 1, nr - 1);
  if (idx < 0) {
    spin_unlock(ci + CI.lock);
    ci_dyn_free_unpublished(ci);
    return 0;
  }
  /*
   * The last cluster of a ghost swapfile whose size is not a multiple of
   * a cluster reaches past si->max.  A static device has that tail marked
   * bad at swapon (phase III: the scan is not truncated at si->max); the
   * RFC's dynamic cluster does not, and hands those slots out - entries
   * get_swap_device() then refuses.  Bug switch ghost-cluster-tail keeps
   * the RFC's behaviour.
   *
   * Marked bad, the cluster never empties again, so it keeps order 0 as a
   * static device's last cluster does (its order is only set while it is
   * empty): it is never on a list of a large order, whatever order it was
   * made for.  It first took that order instead, and so stayed on
   * frag_clusters[order] for good; once swapoff had cleared SWP_WRITEOK,
   * an order-0 allocation in the "steal" loop (scan_all) isolated it,
   * failed, put it back and took it again for ever, its local lock held,
   * and swapoff's synchronize_rcu() never ended (a fuzz livelock).
   */
  const max = i32[siWord(type, SI.max)];
  const start = idx * SWAPFILE_CLUSTER;
  if (start + SWAPFILE_CLUSTER > max && !bug_on(BUG_GHOST_CLUSTER_TAIL)) {
    for (let off = Math.max(0, max - start); off < SWAPFILE_CLUSTER; off++) __swap_table_set(ci, off, SWP_TB_BAD);
    i32[ci + CI.count] = SWAPFILE_CLUSTER - Math.max(0, max - start);
  }
  return ci;
}

/**
 * swap_cluster_free_dynamic(): free_cluster() of a ghost cluster: off its
 * list, table freed, erased from the xarray, DEAD, kfree_rcu().  Lockless
 * readers still holding the pointer see a NULL table; lockers see DEAD.
 * Context: caller holds ci->lock; the cluster's count is 0.
 */
export function swap_cluster_free_dynamic(type: number, ci: number): void {
  lockdep_assert_held(ci + CI.lock, 'ci->lock');
  if (ci_flags(ci) !== CLUSTER_FLAG_NONE) {
    spin_lock(siWord(type, SI.lock), LC_SI);
    list_del(type, list_for_flags(type, ci_flags(ci), ci_order(ci)), cluster_index(type, ci));
    spin_unlock(siWord(type, SI.lock));
  }
  swap_cluster_free_table(ci);
  ci_dyn_free_vtable(ci);
  xa_erase(cluster_pool(type), cluster_index(type, ci));
  A.i32[ci + CI.flags] = CLUSTER_FLAG_DEAD;
  call_rcu(RCU_CB_DYN_CLUSTER, A.i32[ci + CI_DYN.id]);
}

/**
 * setup_swap_clusters_info() for SWP_GHOST: the xarray, and cluster 0
 * with the header slot marked bad.  Returns the slots below @maxpages the
 * allocator never hands out - all of cluster 0's, header included (see
 * the top of this file) - or -ENOMEM.
 * Context: swapon, process context.
 */
export function setup_ghost_clusters(type: number, maxpages: number): number {
  const i32 = A.i32;
  i32[siWord(type, SI.cluster_base)] = 0;
  i32[siWord(type, SI.nr_clusters)] = Math.ceil(maxpages / SWAPFILE_CLUSTER);
  if (!xa_init(cluster_pool(type))) return -12;
  const ci = ci_dyn_alloc(type, GFP_KERNEL);
  if (ci === 0 || !xa_store(cluster_pool(type), 0, i32[ci + CI_DYN.id])) {
    if (ci !== 0) ci_dyn_free_unpublished(ci);
    xa_destroy(cluster_pool(type));
    return -12;
  }
  i32[ci + CI_DYN.index] = 0;
  spin_lock(ci + CI.lock, LC_CI);
  __swap_table_set(ci, 0, SWP_TB_BAD);
  i32[ci + CI.count] = 1;
  spin_unlock(ci + CI.lock);
  return Math.min(SWAPFILE_CLUSTER, maxpages);
}

/**
 * free_swap_cluster_info() for SWP_GHOST: only cluster 0's header slot is
 * left; free every cluster and the xarray.
 * Context: swapoff, after the device's users drained; sleeps.
 */
export function free_ghost_clusters(type: number): void {
  const left: number[] = [];
  xa_for_each(cluster_pool(type), (_idx, id) => left.push(id));
  xa_destroy(cluster_pool(type));
  for (const id of left) {
    const ci = obj_word(swap_cluster_cachep, id);
    spin_lock(ci + CI.lock, LC_CI);
    const idx = A.i32[ci + CI_DYN.index];
    /* Only bad slots may be left: the header's, and a tail past si->max. */
    let bad = 0;
    for (let off = 0; off < SWAPFILE_CLUSTER; off++) {
      if (!swp_tb_is_bad(__swap_table_get(ci, off))) continue;
      __swap_table_set(ci, off, null_to_swp_tb());
      bad++;
    }
    WARN_ON(A.i32[ci + CI.count] !== bad, 'device-lifetime', `swapoff: ghost cluster ${idx} still holds ${A.i32[ci + CI.count] - bad} slots`, [type, idx]);
    A.i32[ci + CI.count] = 0;
    swap_cluster_free_table(ci);
    ci_dyn_free_vtable(ci);
    spin_unlock(ci + CI.lock);
    kmem_cache_free(swap_cluster_cachep, id);
  }
}
