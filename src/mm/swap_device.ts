/*
 * mm/swapfile.c, the device's usage: the global swap page counters,
 * pinning a device against swapoff (get_swap_device / put_swap_device on
 * si->users), the avail list, and the usage accounting of allocated and
 * freed slot ranges (swap_range_alloc / swap_range_free).
 */
import { A, gword } from '../shm/arena.js';
import { G, SI } from '../shm/layout.js';
import { LC_SWAP_AVAIL, lockdep_assert_held } from '../sync/lockdep.js';
import { percpu_ref_put, percpu_ref_tryget_live } from '../sync/percpu_ref.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { SWP_WRITEOK, si_dynamic, si_flags, si_max, si_users, siWord, swp_offset, swp_type, valid_type } from './swap.js';
import { zswap_invalidate } from './zswap.js';

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
export function swap_range_alloc(type: number, nr: number): void {
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
export function swap_range_free(type: number, offset: number, nr: number): void {
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
