/*
 * mm/swapfile.c, a cluster's life on the device's lists: taken off a list
 * for allocation (isolate_lock_cluster, which gives a free cluster its
 * table: swap_cluster_populate), put back where its count says
 * (relocate_cluster), freed when it empties (free_cluster: discard, the
 * free list, or for a dynamic cluster its release).
 *
 * Lock order: see swapfile.ts.
 */
import { A } from '../shm/arena.js';
import { CI, SI, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { report, WARN_ON } from '../shm/report.js';
import { bug_on, BUG_PERCPU_CLUSTER_MIGRATION } from '../shm/bugs.js';
import { GFP_ATOMIC, GFP_KERNEL, kmem_cache_free, kmem_cache_zalloc, swap_table_cachep } from '../kmem/slab.js';
import { point, pointId } from '../sync/point.js';
import { local_lock, local_lock_assert_held, local_unlock } from '../sync/local_lock.js';
import { LC_GLOBAL_CLUSTER, LC_SI, lockdep_assert_held } from '../sync/lockdep.js';
import { rcu_assign_pointer } from '../sync/rcu.js';
import { spin_lock, spin_trylock, spin_unlock } from '../sync/spinlock.js';
import { smp_processor_id } from '../shm/task.js';
import { __isolate_cluster, list_first_entry, list_next_entry, list_walk_bound, move_cluster } from './cluster_list.js';
import { cluster_index, CLUSTER_FLAG_DEAD, CLUSTER_FLAG_DISCARD, CLUSTER_FLAG_FRAG, CLUSTER_FLAG_FREE, CLUSTER_FLAG_FULL, CLUSTER_FLAG_NONE, CLUSTER_FLAG_NONFULL, CLUSTER_FLAG_USABLE, SWP_GHOST, SWP_VSWAP, SWP_PAGE_DISCARD, SWP_SOLIDSTATE, SWP_WRITEOK, ci_count, ci_flags, ci_lock, ci_order, cluster_is_discard, cluster_is_empty, cluster_table_is_alloced, clusterWord, pcp_swap_offset, si_flags, siWord, swap_cluster_lock, swap_cluster_unlock } from './swap.js';
import { swap_cluster_free_dynamic } from './swap_cluster_dynamic.js';
import { swap_cluster_alloc_table, swap_cluster_free_table } from './swap_cluster_table.js';

const P_TABLE_ALLOC_SLEEP = pointId('swap_cluster_populate:sleep');

/**
 * swap_cluster_populate(): give a cluster just isolated from the free list
 * its swap table (seed 002).  Try an atomic allocation; if that fails drop
 * every lock for a sleeping one.  After the sleep the task may run on
 * another CPU, whose percpu cluster may be usable: the kernel keeps the
 * isolated cluster anyway (nobody else can reach it: it is off-list with
 * flags NONE), and puts it back on the free list if the allocation failed.
 *
 * Bug switch percpu-cluster-migration: seed 002's patch as posted.  After
 * the sleep it switches to a usable cluster at the new CPU's percpu offset
 * (on this device, whichever device that offset came from) and abandons
 * the isolated one, off every list with flags NONE (a leak a reviewer
 * found), and on failure returns without putting it back.
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
    /*
     * As posted: this CPU's percpu offset of @order, looked up on *this*
     * device - percpu_swap_cluster.si[order] is not read, so a percpu
     * cluster of another device names whichever cluster of @type has that
     * offset (past si->max: the debug check in __swap_offset_to_cluster
     * warns).  A ghost device may have no cluster there (0): the posted
     * code predates ghost devices, the model takes it as not usable.
     */
    const offset = A.i32[pcp_swap_offset(smp_processor_id(), order)];
    if (!rotational && offset) {
      const pcp_ci = swap_cluster_lock(type, offset);
      if (pcp_ci !== 0 && cluster_is_usable(pcp_ci, order) && ci_count(pcp_ci) < SWAPFILE_CLUSTER) {
        if (t >= 0) kmem_cache_free(swap_table_cachep, t);
        return pcp_ci; /* the isolated `ci` is abandoned */
      }
      if (pcp_ci !== 0) swap_cluster_unlock(pcp_ci);
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

/* __free_cluster(): the cluster is empty: drop its table, back to the free list. */
export function __free_cluster(type: number, ci: number): void {
  swap_cluster_free_table(ci);
  move_cluster(type, ci, CLUSTER_FLAG_FREE);
  A.i32[ci + CI.order] = 0;
}

/**
 * free_cluster(): count reached 0.  Discard first if the device wants it.
 * Context: caller holds ci->lock.
 */
export function free_cluster(type: number, ci: number): void {
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
export function partial_free_cluster(type: number, ci: number): void {
  if (ci_flags(ci) !== CLUSTER_FLAG_NONFULL) move_cluster(type, ci, CLUSTER_FLAG_NONFULL);
}

/**
 * relocate_cluster(): after allocating from @ci, put it where its count
 * says.  Context: caller holds ci->lock.
 */
export function relocate_cluster(type: number, ci: number): void {
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
export function isolate_lock_cluster(type: number, list: number, order: number): number {
  let found = -1;
  let saved = 0;
  spin_lock(siWord(type, SI.lock), LC_SI);
  /* list_for_each_entry(), at most once round a list a corruption turned into a cycle. */
  const limit = list_walk_bound(type);
  for (let idx = list_first_entry(list), n = 0; idx >= 0 && n <= limit; idx = list_next_entry(type, idx), n++) {
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

/** cluster_is_usable(): flags allow allocation, a table exists, and the order fits. */
export function cluster_is_usable(ci: number, order: number): boolean {
  if (ci_flags(ci) > CLUSTER_FLAG_USABLE) return false;
  if (!cluster_table_is_alloced(ci)) return false;
  if (order === 0) return true;
  return cluster_is_empty(ci) || order === ci_order(ci);
}
