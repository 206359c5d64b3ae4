/*
 * The cluster lists of a device (si->free_clusters, nonfull_clusters[order],
 * frag_clusters[order], full_clusters, discard_clusters) and the moves
 * between them: mm/swapfile.c's move_cluster, __free_cluster,
 * free_cluster, partial_free_cluster, relocate_cluster,
 * isolate_lock_cluster's list half.
 *
 * A list is a [head, tail, nr] triple in swap_info (LIST.*), linked through
 * CI.prev/CI.next by cluster index.  The list a cluster is on is the one its
 * flags (and order, for nonfull/frag) name: the cluster-lists invariant.
 *
 * Context: list linkage is protected by si->lock; ci->flags by ci->lock
 * (move_cluster holds both).  list_add_tail() and list_del() check the
 * first (si_lists_assert_held()).
 */
import { A } from '../shm/arena.js';
import { CI, LIST, SI, SWAP_NR_ORDERS } from '../shm/layout.js';
import { kasan_check_index, kasan_enabled } from '../shm/kasan.js';
import { report } from '../shm/report.js';
import { LC_SI, lockdep_assert_held } from '../sync/lockdep.js';
import { percpu_ref_is_zero } from '../sync/percpu_ref.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import {
  CLUSTER_FLAG_DISCARD, CLUSTER_FLAG_FRAG, CLUSTER_FLAG_FREE, CLUSTER_FLAG_FULL, CLUSTER_FLAG_NONE,
  CLUSTER_FLAG_NONFULL, ci_flags, ci_order, cluster_index, clusterWord, siWord,
} from './swap.js';

/*
 * si->nonfull_clusters[@order] and si->frag_clusters[@order]: word index of
 * the head triple.  The arrays sit side by side in swap_info, so an order
 * one past the last silently names the next array (or padding); with
 * SWAPTORTURE_KASAN the order is checked, as the kernel's UBSAN bounds
 * check would the array index.
 */
export function si_nonfull_list(type: number, order: number): number {
  if (kasan_enabled) kasan_check_index('si->nonfull_clusters', order, SWAP_NR_ORDERS);
  return siWord(type, SI.nonfull_clusters + 3 * order);
}

export function si_frag_list(type: number, order: number): number {
  if (kasan_enabled) kasan_check_index('si->frag_clusters', order, SWAP_NR_ORDERS);
  return siWord(type, SI.frag_clusters + 3 * order);
}

/** Word index of the head triple of the list @flags/@order names on device @type. */
export function list_for_flags(type: number, flags: number, order: number): number {
  switch (flags) {
    case CLUSTER_FLAG_FREE: return siWord(type, SI.free_clusters);
    case CLUSTER_FLAG_NONFULL: return si_nonfull_list(type, order);
    case CLUSTER_FLAG_FRAG: return si_frag_list(type, order);
    case CLUSTER_FLAG_FULL: return siWord(type, SI.full_clusters);
    case CLUSTER_FLAG_DISCARD: return siWord(type, SI.discard_clusters);
    default: return -1;
  }
}

export function list_init(head: number): void {
  A.i32[head + LIST.head] = -1;
  A.i32[head + LIST.tail] = -1;
  A.i32[head + LIST.nr] = 0;
}

export function list_empty(head: number): boolean {
  return A.i32[head + LIST.head] < 0;
}

/*
 * The list linkage is __guarded_by(&si->lock), checked at run time as
 * lockdep_assert_held() checks: a list changed before the lock was taken or
 * after it was dropped is reported on the spot, whether or not another CPU
 * got into the window (the kernel's compiler-based context analysis,
 * Documentation/dev-tools/context-analysis.rst, finds the same mistakes at
 * build time).  That analysis lets initialisation write guarded members
 * unlocked; the model's test for it is a device no user can reach, its
 * users ref dead and drained: swapon builds the lists before
 * enable_swap_info() brings the ref to life, and nothing touches them after
 * swapoff's users drained but work that takes si->lock anyway.
 * Context: any.
 */
function si_lists_assert_held(type: number): void {
  if (percpu_ref_is_zero(siWord(type, SI.users))) return;
  lockdep_assert_held(siWord(type, SI.lock), '&si->lock');
}

/** list_add_tail().  Context: si->lock held. */
export function list_add_tail(type: number, head: number, idx: number): void {
  si_lists_assert_held(type);
  const i32 = A.i32;
  const ci = clusterWord(type, idx);
  const tail = i32[head + LIST.tail];
  i32[ci + CI.prev] = tail;
  i32[ci + CI.next] = -1;
  if (tail >= 0) i32[clusterWord(type, tail) + CI.next] = idx;
  else i32[head + LIST.head] = idx;
  i32[head + LIST.tail] = idx;
  i32[head + LIST.nr]++;
}

/** list_del().  Context: si->lock held. */
export function list_del(type: number, head: number, idx: number): void {
  si_lists_assert_held(type);
  const i32 = A.i32;
  const ci = clusterWord(type, idx);
  const prev = i32[ci + CI.prev];
  const next = i32[ci + CI.next];
  if (prev >= 0) i32[clusterWord(type, prev) + CI.next] = next;
  else i32[head + LIST.head] = next;
  if (next >= 0) i32[clusterWord(type, next) + CI.prev] = prev;
  else i32[head + LIST.tail] = prev;
  i32[ci + CI.prev] = -1;
  i32[ci + CI.next] = -1;
  i32[head + LIST.nr]--;
}

/** list_first_entry_or_null(): the first cluster index on list @head, -1 when empty.  Context: si->lock held. */
export function list_first_entry(head: number): number {
  return A.i32[head + LIST.head];
}

/** list_next_entry(): the cluster index after @idx on its list, -1 at the end.  Context: si->lock held. */
export function list_next_entry(type: number, idx: number): number {
  return A.i32[clusterWord(type, idx) + CI.next];
}

/** The most entries a walk of one of device @type's lists takes: one a corruption turned into a cycle ends there. */
export function list_walk_bound(type: number): number {
  return A.i32[siWord(type, SI.nr_clusters)] + 1;
}

/** Cluster indices on list @head, in order.  Context: si->lock held or quiescent. */
export function list_entries(type: number, head: number): number[] {
  const out: number[] = [];
  const limit = list_walk_bound(type);
  for (let idx = list_first_entry(head); idx >= 0 && out.length <= limit; idx = list_next_entry(type, idx)) out.push(idx);
  return out;
}

/**
 * move_cluster(): put @ci on the list for @new_flags.
 * Context: caller holds ci->lock; takes si->lock.
 */
export function move_cluster(type: number, ci: number, new_flags: number): void {
  lockdep_assert_held(ci + CI.lock, 'ci->lock');
  const old = ci_flags(ci);
  if (old === new_flags) report('cluster-lists', `move_cluster: cluster ${cluster_index(type, ci)} already has flags ${new_flags}`, [type, ci]);
  const idx = cluster_index(type, ci);
  spin_lock(siWord(type, SI.lock), LC_SI);
  if (old !== CLUSTER_FLAG_NONE) list_del(type, list_for_flags(type, old, ci_order(ci)), idx);
  list_add_tail(type, list_for_flags(type, new_flags, ci_order(ci)), idx);
  spin_unlock(siWord(type, SI.lock));
  A.i32[ci + CI.flags] = new_flags;
}

/**
 * isolate a locked cluster from its list: flags become NONE, it is on no
 * list, and only the caller may touch it until it puts it back.
 * Context: caller holds si->lock and ci->lock.
 */
export function __isolate_cluster(type: number, ci: number): number {
  const old = ci_flags(ci);
  list_del(type, list_for_flags(type, old, ci_order(ci)), cluster_index(type, ci));
  A.i32[ci + CI.flags] = CLUSTER_FLAG_NONE;
  return old;
}
