/*
 * mm/swapfile.c, the device's usage: the global swap page counters,
 * pinning a device against swapoff (get_swap_device / put_swap_device on
 * si->users), the avail list, and the usage accounting of allocated and
 * freed slot ranges (swap_range_alloc / swap_range_free).
 *
 * si->inuse_pages and swap_avail_head follow the kernel's protocol
 * (linux-mm mm/swapfile.c: swap_usage_add / swap_usage_sub,
 * add_to_avail_list / del_from_avail_list): the counter carries
 * SWAP_USAGE_OFFLIST_BIT, set exactly while the device is off the list,
 * so slot allocation and freeing update the counter with one atomic and
 * take swap_avail_lock only when the device goes full or comes back.
 */
import { A, gword } from '../shm/arena.js';
import { G, SI } from '../shm/layout.js';
import { LC_SWAP_AVAIL, lockdep_assert_held } from '../sync/lockdep.js';
import { percpu_ref_put, percpu_ref_tryget_live } from '../sync/percpu_ref.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { cond_resched_retry } from '../sync/point.js';
import { SWP_WRITEOK, si_dynamic, si_flags, si_max, si_users, siWord, swp_offset, swp_type, valid_type } from './swap.js';
import { plist_add, plist_del, plist_node_empty } from './plist.js';
import { zswap_invalidate } from './zswap.js';
import { bug_on, BUG_READD_FULL_DEVICE } from '../shm/bugs.js';

/*
 * The second highest bit of the 32-bit counter (the kernel's is
 * 1UL << (BITS_PER_TYPE(atomic_t) - 2) in an atomic_long_t: the same bit)
 * says the device is not on swap_avail_head, so the counter can still be
 * updated arithmetically.  Set only by del_from_avail_list(), cleared only
 * by add_to_avail_list(), both under swap_avail_lock; alloc_swap_info()
 * starts a device with it set (off the list).
 */
export const SWAP_USAGE_OFFLIST_BIT = 1 << 30;
export const SWAP_USAGE_COUNTER_MASK = ~SWAP_USAGE_OFFLIST_BIT;

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

/** swap_usage_in_pages(): slots of @type in use, without the off-list bit. */
export function swap_usage_in_pages(type: number): number {
  return Atomics.load(A.i32, siWord(type, SI.inuse_pages)) & SWAP_USAGE_COUNTER_MASK;
}

/**
 * swapoff's passes over @type: with slots still in use, yield before the
 * next pass until the usage changes or another task has moved
 * (cond_resched_retry()); the entries left are an exiting mm's or ones
 * reclaim put back, freed "at its own independent pace" (mm/swapfile.c).
 * Returns the slots in use.  Context: process context, may sleep.
 */
export function swap_usage_retry(type: number): number {
  const inuse = swap_usage_in_pages(type);
  if (inuse > 0) cond_resched_retry(A.i32, siWord(type, SI.inuse_pages));
  return inuse;
}

/**
 * Is @type on swap_avail_head?  A lockless look (the invariant checker's,
 * at quiescence): under swap_avail_lock it is exactly "the off-list bit is
 * clear"; in between, add_to_avail_list() clears the bit before the node
 * is linked.
 */
export function swap_avail_on(type: number): boolean {
  return !plist_node_empty(type);
}

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

/* The device goes on / off swap_avail_head; nr_real_swapfiles counts the non-ghost ones on it (seed 001 patch 13). */
function avail_list_add(type: number): void {
  plist_add(type, gword(G.swap_avail_head));
  if (!si_dynamic(type)) Atomics.add(A.i32, gword(G.nr_real_swapfiles), 1);
}

function avail_list_del(type: number): void {
  if (plist_node_empty(type)) return;
  plist_del(type, gword(G.swap_avail_head));
  if (!si_dynamic(type)) Atomics.sub(A.i32, gword(G.nr_real_swapfiles), 1);
}

/* The kernel's two functions take swap_avail_lock on entry and drop it at their one exit (skip:). */
function under_swap_avail_lock(fn: () => void): void {
  spin_lock(gword(G.swap_avail_lock), LC_SWAP_AVAIL);
  fn();
  spin_unlock(gword(G.swap_avail_lock));
}

/**
 * del_from_avail_list(): the only setter of SWAP_USAGE_OFFLIST_BIT.
 * For swapoff (@swapoff) unconditionally, clearing SWP_WRITEOK under both
 * si->lock and swap_avail_lock so that add_to_avail_list() sees it.
 * Otherwise only if the device is exactly full with the bit clear: a
 * racing free (the counter moved) or someone who already took the device
 * off (the bit is set) makes the cmpxchg fail, and nothing is done.
 * Context: takes swap_avail_lock; for @swapoff the caller holds si->lock.
 */
export function del_from_avail_list(type: number, swapoff: boolean): void {
  const i32 = A.i32;
  const inuse = siWord(type, SI.inuse_pages);
  under_swap_avail_lock(() => {
    if (swapoff) {
      lockdep_assert_held(siWord(type, SI.lock), '&si->lock');
      Atomics.and(i32, siWord(type, SI.flags), ~SWP_WRITEOK);
      Atomics.or(i32, inuse, SWAP_USAGE_OFFLIST_BIT);
    } else {
      const pages = i32[siWord(type, SI.pages)];
      if (Atomics.compareExchange(i32, inuse, pages, pages | SWAP_USAGE_OFFLIST_BIT) !== pages) return;
    }
    avail_list_del(type);
  });
}

/**
 * add_to_avail_list(): the only clearer of SWAP_USAGE_OFFLIST_BIT.  For
 * swapon (@swapon: swapon, or a failed swapoff putting the device back)
 * it sets SWP_WRITEOK first; otherwise a device without SWP_WRITEOK
 * (swapoff began) stays off.  A device whose bit is already clear is on
 * the list: nothing to do.
 *
 * The kernel then compares the value fetch_and returned - the counter
 * *before* the bit was cleared, so with the bit still in it - against
 * si->pages, meaning to leave a device that is exactly full off the list
 * ("If that updater happen to be here, just skip adding").  With the bit
 * in the value that comparison never holds, so a full device is put on
 * the list anyway: a swapoff of a full device that fails puts it back
 * full.  There it fails every allocation tried, and two such devices of
 * one priority - every device swapped on without one has DEF_SWAP_PRIO -
 * livelock swap_alloc_slow(), each plist_requeue() putting the device
 * just tried behind the other.  The model compares the counter without
 * the bit; bug switch readd-full-device keeps the kernel's comparison.
 * Context: takes swap_avail_lock; for @swapon the caller holds si->lock.
 */
export function add_to_avail_list(type: number, swapon: boolean): void {
  const i32 = A.i32;
  const inuse = siWord(type, SI.inuse_pages);
  under_swap_avail_lock(() => {
    if (swapon) {
      lockdep_assert_held(siWord(type, SI.lock), '&si->lock');
      Atomics.or(i32, siWord(type, SI.flags), SWP_WRITEOK);
    } else if (!(si_flags(type) & SWP_WRITEOK)) {
      return;
    }
    if (!(Atomics.load(i32, inuse) & SWAP_USAGE_OFFLIST_BIT)) return;
    const old = Atomics.and(i32, inuse, SWAP_USAGE_COUNTER_MASK);
    const val = bug_on(BUG_READD_FULL_DEVICE) ? old : old & SWAP_USAGE_COUNTER_MASK;
    const pages = i32[siWord(type, SI.pages)];
    if (val === pages && Atomics.compareExchange(i32, inuse, pages, pages | SWAP_USAGE_OFFLIST_BIT) === pages) return;
    avail_list_add(type);
  });
}

/*
 * swap_usage_add() / swap_usage_sub(): the counter moves by one atomic;
 * the updates of each slot are serialized by its ci->lock, so the total
 * never goes below 0 nor above si->pages.  The add that makes the device
 * exactly full (bit clear: it is on the list) takes it off; a sub that
 * finds the bit set brings it back.  Returns true if the device went full.
 * Context: ci->lock held.
 */
function swap_usage_add(type: number, nr: number): boolean {
  const val = Atomics.add(A.i32, siWord(type, SI.inuse_pages), nr) + nr;
  if (val === A.i32[siWord(type, SI.pages)]) {
    del_from_avail_list(type, false);
    return true;
  }
  return false;
}

function swap_usage_sub(type: number, nr: number): void {
  const val = Atomics.sub(A.i32, siWord(type, SI.inuse_pages), nr) - nr;
  if (val & SWAP_USAGE_OFFLIST_BIT) add_to_avail_list(type, false);
}

/*
 * swap_range_alloc(): @nr slots of @type were allocated.  (The kernel
 * also schedules si->reclaim_work when the device went full with swap more
 * than half used; the model has no such work: allocation reclaims full
 * clusters itself, swap_reclaim_full_clusters().)
 * Context: caller holds the cluster lock; may take swap_avail_lock.
 */
export function swap_range_alloc(type: number, nr: number): void {
  swap_usage_add(type, nr);
  Atomics.sub(A.i32, gword(G.nr_swap_pages), nr);
}

/*
 * swap_range_free(): @nr slots from @offset were freed: zswap/backing
 * invalidation, then the counters (try_to_unuse must see inuse reach 0
 * only after the cleanups: the kernel's smp_wmb(), here the atomics'
 * sequential consistency).
 * Context: caller holds the cluster lock; may take swap_avail_lock.
 */
export function swap_range_free(type: number, offset: number, nr: number): void {
  const backing = A.i32[siWord(type, SI.backing_base)];
  for (let k = 0; k < nr; k++) {
    if (backing !== 0) A.u64[(backing >> 1) + offset + k] = 0x6b6b6b6b6b6b6b6bn;
    zswap_invalidate(type, offset + k);
  }
  Atomics.add(A.i32, gword(G.nr_swap_pages), nr);
  swap_usage_sub(type, nr);
}
