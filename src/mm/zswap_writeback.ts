/*
 * mm/zswap.c, writeback: zswap_writeback_entry() and the shrink work that
 * calls it.  The shrink work isolates entries (zswap_isolate: from then on
 * an entry - its slot, id and data - is the shrinker's local reference,
 * off the LRU but still in the tree) and drops the LRU lock; then each
 * entry goes to the swap device behind zswap: a swap cache folio is
 * allocated for its slot (the folio lock keeps every fault, store and
 * free of the slot out meanwhile), the tree is re-checked to still map
 * the slot to this entry, the folio is filled from the entry, the entry
 * freed and the page written (__swap_writepage: under writeback until the
 * bio completes); the clean folio stays in the swap cache for reclaim.
 *  - On a phase II-IV device the slot already exists: the page is written
 *    to it.
 *  - Under virtual swap (seed 004) the physical slot is allocated only
 *    now (vswap_alloc_swap_slot) and the descriptor switches from the
 *    zswap entry to it: no page table changes.
 *  - A ghost device has nothing to write to (-EINVAL, seed 001 patch 13),
 *    and no writeback is started while only ghosts exist
 *    (nr_real_swapfiles).
 * Between the isolation and the folio, the slot may have been freed and
 * reused, and a new entry stored there: the re-check is what keeps the
 * old entry's data off it (04fc7816089c, "mm: fix zswap writeback race
 * condition"; bug switch zswap-writeback-stale skips it), and the abort
 * must unlock and put the folio it deleted from the swap cache
 * (e3b63e966cac; bug switch zswap-writeback-leak does not).
 *
 * Context: process context (the kworker), may sleep.
 */
import { A, gword } from '../shm/arena.js';
import { G, MAX_SWAPFILES, SI, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { bug_on, BUG_ZSWAP_WRITEBACK_LEAK, BUG_ZSWAP_WRITEBACK_STALE } from '../shm/bugs.js';
import { prandom_u32 } from '../shm/task.js';
import { EEXIST, EINVAL, ENOENT, ENOMEM } from '../include/errno.js';
import { point, pointId } from '../sync/point.js';
import { folio_put, folio_set, folio_unlock, PG_uptodate, set_page_token } from './page_alloc.js';
import { ROOT_MEM_CGROUP } from './memcontrol.js';
import { __swap_writepage, swap_writepage_sectors } from './page_io.js';
import { swap_cache_alloc_folio, swap_cache_del_folio } from './swap_state.js';
import { get_swap_device, put_swap_device } from './swap_device.js';
import { si_is_ghost, siWord, swap_cluster_lock, swap_cluster_unlock, swp_entry } from './swap.js';
import { count_vm_events, ZSWPWB } from './vmstat.js';
import { zswap_enabled, zswap_entry_is_current, zswap_invalidate, zswap_isolate } from './zswap.js';

const P_SHRINK_UNLOCKED = pointId('shrink_memcg_cb:unlocked');

/**
 * zswap_writeback_entry(): write the isolated entry @id - slot @offset of
 * @type, holding @data - back to the device.  Returns 0, or:
 *   -EINVAL  a ghost device (nothing behind zswap);
 *   -ENOENT  the device is gone, or the slot was freed (nothing to write);
 *   -EEXIST  the slot has a swap cache folio: raced with a swap-in (the
 *            page is hot again) or another writeback - skip it;
 *   -ENOMEM  no folio, the slot now has another entry (freed and reused
 *            since the isolation: @data is stale), or no room (vswap).
 * Context: process context (the kworker), may sleep; no locks held.
 */
export function zswap_writeback_entry(type: number, offset: number, id: number, data: bigint): number {
  if (si_is_ghost(type)) return -EINVAL; /* a ghost has no device behind zswap */
  const entry = swp_entry(type, offset);
  if (get_swap_device(entry) < 0) return -ENOENT;
  const ret = __zswap_writeback_entry(type, offset, id, data);
  put_swap_device(type);
  if (ret === 0) count_vm_events(ZSWPWB, 1);
  return ret;
}

/* zswap_writeback_entry() with the device pinned. */
function __zswap_writeback_entry(type: number, offset: number, id: number, data: bigint): number {
  const folio = swap_cache_alloc_folio(swp_entry(type, offset), 1, ROOT_MEM_CGROUP);
  /* -EEXIST: found an existing folio, we raced with swapin or a concurrent shrinker. */
  if (folio < 0) return folio === -EEXIST || folio === -ENOENT ? folio : -ENOMEM;
  /*
   * The folio is locked and the swap cache secured against concurrent
   * swapping to and from the slot: verify that the entry has not been
   * invalidated and recycled behind our backs, to avoid overwriting a new
   * swap folio with old compressed data.
   */
  if (!bug_on(BUG_ZSWAP_WRITEBACK_STALE) && !zswap_entry_is_current(type, offset, id)) {
    swap_cache_del_folio(folio);
    if (!bug_on(BUG_ZSWAP_WRITEBACK_LEAK)) {
      folio_unlock(folio);
      folio_put(folio);
    }
    return -ENOMEM;
  }
  /* zswap_decompress() of the local entry. */
  set_page_token(folio, data);
  folio_set(folio, PG_uptodate);
  /*
   * The entry out of the tree and freed, then __swap_writepage(): the
   * folio goes under writeback, unlocked, and stays in the swap cache,
   * clean, for reclaim (folio_set_reclaim: the kernel rotates it to the
   * LRU tail when the write completes).  The model finds where to write
   * first: under vswap the write can fail for want of a physical slot,
   * and then zswap keeps the entry.
   */
  const sectors = swap_writepage_sectors(swp_entry(type, offset), 1);
  if (sectors === null) {
    swap_cache_del_folio(folio);
    folio_unlock(folio);
    folio_put(folio);
    return -ENOMEM;
  }
  const ci = swap_cluster_lock(type, offset);
  zswap_invalidate(type, offset);
  swap_cluster_unlock(ci);
  __swap_writepage(folio, sectors);
  folio_put(folio);
  return 0;
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
    for (const e of zswap_isolate(t, prandom_u32() % Math.max(1, max), nr, 4 * SWAPFILE_CLUSTER)) {
      /* shrink_memcg_cb(): the LRU lock is dropped before the writeback. */
      point(P_SHRINK_UNLOCKED);
      if (zswap_writeback_entry(t, e.offset, e.id, e.data) === 0) n++;
    }
  }
  return n;
}
