/*
 * mm/zswap.c, writeback: zswap_writeback_entry() and the shrink work that
 * calls it.  A stored page goes to the swap device behind zswap: a swap
 * cache folio is allocated for the entry (the folio lock keeps every
 * fault and free of the slot out meanwhile), filled from zswap, written,
 * and dropped from the cache clean, leaving the shadow; zswap's copy is
 * freed.
 *  - On a phase II-IV device the slot already exists: the page is written
 *    to it.
 *  - Under virtual swap (seed 004) the physical slot is allocated only
 *    now (vswap_alloc_swap_slot) and the descriptor switches from the
 *    zswap entry to it: no page table changes.
 *  - A ghost device has nothing to write to (-EINVAL, seed 001 patch 13),
 *    and no writeback is started while only ghosts exist
 *    (nr_real_swapfiles).
 *
 * Context: process context (the kworker), may sleep.
 */
import { A, gword } from '../shm/arena.js';
import { G, MAX_SWAPFILES, SI, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { prandom_u32 } from '../shm/task.js';
import { folio_lock, folio_put, folio_test_uptodate, folio_unlock } from './page_alloc.js';
import { ROOT_MEM_CGROUP } from './memcontrol.js';
import { swap_backing_index, swap_read_folio, vswap_writepage } from './page_io.js';
import { folio_matches_swap_entry, swap_cache_alloc_folio } from './swap_state.js';
import { get_swap_device, put_swap_device } from './swap_device.js';
import { si_is_ghost, si_is_vswap, siWord, swap_cluster_lock, swap_cluster_unlock, swp_entry } from './swap.js';
import { __remove_mapping } from './vmscan.js';
import { count_vm_events, PSWPOUT, ZSWPWB } from './vmstat.js';
import { zswap_enabled, zswap_invalidate, zswap_load, zswap_sample } from './zswap.js';

/*
 * Write @token for slot @offset of @type where it belongs: the slot's own
 * place on the device, or under vswap a physical slot allocated now
 * (vswap_writepage(), as writeout does).  False if there was no room.
 * Context: the slot's swap cache folio locked (its backend cannot change).
 */
function zswap_writeback_slot(type: number, offset: number, token: bigint): boolean {
  if (si_is_vswap(type)) return vswap_writepage(swp_entry(type, offset), [token]);
  Atomics.store(A.u64, swap_backing_index(type, offset), token);
  return true;
}

/**
 * zswap_writeback_entry(): write slot @offset of @type back.  Returns
 * true if it went to the device.
 */
export function zswap_writeback_entry(type: number, offset: number): boolean {
  if (si_is_ghost(type)) return false; /* -EINVAL: a ghost has no device behind zswap */
  const entry = swp_entry(type, offset);
  if (get_swap_device(entry) < 0) return false;
  let done = false;
  const folio = swap_cache_alloc_folio(entry, 1, ROOT_MEM_CGROUP);
  if (folio >= 0) {
    swap_read_folio(folio);
    folio_lock(folio);
    /*
     * The read unlocked the folio: a fault may have mapped it and dropped
     * it from the swap cache meanwhile (folio_free_swap), so it may no
     * longer be this slot's.  (The kernel decompresses into the folio it
     * keeps locked: no such window.)
     */
    if (!folio_matches_swap_entry(folio, entry)) {
      folio_unlock(folio);
      folio_put(folio);
      put_swap_device(type);
      return false;
    }
    const token = zswap_load(type, offset);
    if (folio_test_uptodate(folio) && token !== null && zswap_writeback_slot(type, offset, token)) {
      const ci = swap_cluster_lock(type, offset);
      zswap_invalidate(type, offset);
      swap_cluster_unlock(ci);
      done = true;
    }
    /* Clean and unmapped: out of the swap cache again, leaving the shadow (or kept if someone holds it). */
    if (!folio_test_uptodate(folio) || !__remove_mapping(folio)) {
      folio_unlock(folio);
      folio_put(folio);
    }
  }
  put_swap_device(type);
  if (done) {
    count_vm_events(ZSWPWB, 1);
    count_vm_events(PSWPOUT, 1); /* the bio write of __swap_writepage() */
  }
  return done;
}

/**
 * zswap_shrink_work(): write back up to @nr entries of each device with
 * a zswap tree, if any real (non-ghost) device is in service.  Returns the
 * pages written back.
 */
export function zswap_shrink_work(nr: number): number {
  if (!zswap_enabled() || Atomics.load(A.i32, gword(G.nr_real_swapfiles)) <= 0) return 0;
  let n = 0;
  for (let t = 0; t < MAX_SWAPFILES; t++) {
    if (Atomics.load(A.i32, siWord(t, SI.zswap_root)) === 0 || si_is_ghost(t)) continue;
    const max = Atomics.load(A.i32, siWord(t, SI.max));
    for (const off of zswap_sample(t, prandom_u32() % Math.max(1, max), nr, 4 * SWAPFILE_CLUSTER)) {
      if (zswap_writeback_entry(t, off)) n++;
    }
  }
  return n;
}
