/*
 * swapoff of a physical device under virtual swap (seed 004, "swap:
 * simplify swapoff using virtual swap"): no page table is walked.  Each
 * allocated physical slot names, through the reverse map, the virtual
 * slot it backs; the data is read into that virtual slot's swap cache
 * folio, and the virtual slot's backend becomes the folio itself
 * (VSWAP_FOLIO) - the page tables keep the same virtual entries.  The
 * folio is left dirty, so reclaim writes it to another backend later.
 *
 * Kernel mapping: vswap_swapoff / try_to_unuse under CONFIG_VSWAP.
 */
import { EINTR, ENOMEM } from '../include/errno.js';
import { folio_wait_writeback } from './filemap.js';
import { report } from '../shm/report.js';
import { might_sleep } from '../sync/might_sleep.js';
import { folio_lock, folio_put, folio_set, folio_test_uptodate, folio_unlock, PG_dirty } from './page_alloc.js';
import { ROOT_MEM_CGROUP } from './memcontrol.js';
import { folio_matches_swap_entry } from './swap_state.js';
import { swapin_entry } from './swapin.js';
import { swap_cluster_lock, swap_cluster_unlock, swp_entry, swp_offset } from './swap.js';
import { SWAPFILE_CLUSTER } from '../shm/layout.js';
import { swap_usage_in_pages, swap_usage_retry } from './swap_device.js';
import { try_to_free_pages } from './vmscan.js';
import { __vswap_release_backing, __vtable_phys, __vtable_tag, VSWAP_SWAPFILE, VSWAP_TYPE } from './vswap.js';
import { phys_allocated_slots, phys_rmap } from './vswap_phys.js';

/*
 * Move physical slot @off of @type into its virtual slot's swap cache.
 * Returns 0 (moved, or nothing to move any more) or -ENOMEM.
 * Context: process context, may sleep; the device is out of service.
 */
function vswap_unuse_slot(type: number, off: number): number {
  const ventry = phys_rmap(type, off);
  if (ventry === 0) return 0; /* freed meanwhile */
  const folio = swapin_entry(ventry, 1, ROOT_MEM_CGROUP);
  if (folio === -ENOMEM) return -ENOMEM;
  if (folio < 0) return 0; /* the virtual slot was freed: so was its physical one */
  folio_lock(folio);
  /*
   * A write to the physical slot may be in flight (reclaim's, or zswap
   * writeback's): its slot must outlive it, as try_to_unuse() waits
   * before folio_free_swap().  The folio lock keeps a new one from
   * starting.
   */
  folio_wait_writeback(folio);
  if (folio_matches_swap_entry(folio, ventry) && folio_test_uptodate(folio)) {
    const ci = swap_cluster_lock(VSWAP_TYPE, swp_offset(ventry));
    const voff = swp_offset(ventry) % SWAPFILE_CLUSTER;
    if (ci !== 0 && __vtable_tag(ci, voff) === VSWAP_SWAPFILE && __vtable_phys(ci, voff) === swp_entry(type, off)) {
      __vswap_release_backing(ci, voff, 1);
      /* The folio is the only copy now: reclaim must write it out again. */
      folio_set(folio, PG_dirty);
    }
    if (ci !== 0) swap_cluster_unlock(ci);
  }
  folio_unlock(folio);
  folio_put(folio);
  return 0;
}

/**
 * vswap_unuse_phys(): empty physical device @type.  Loops until its
 * bitmap is clear (a racing free or writeback may move slots around),
 * with a bound so a leak shows as -EINTR rather than a hang.
 * Context: process context, sleeps; WRITEOK already cleared.
 */
export function vswap_unuse_phys(type: number): number {
  for (let pass = 0; pass < 100 && swap_usage_in_pages(type) > 0; pass++) {
    for (const off of phys_allocated_slots(type)) {
      let err = vswap_unuse_slot(type, off);
      for (let retry = 0; err === -ENOMEM && retry < 8; retry++) {
        if (try_to_free_pages(64) === 0) break;
        err = vswap_unuse_slot(type, off);
      }
      if (err) return err;
    }
    might_sleep('vswap_unuse_phys');
    swap_usage_retry(type);
  }
  if (swap_usage_in_pages(type) > 0) {
    report('device-lifetime', `vswap swapoff: physical device ${type} still has ${swap_usage_in_pages(type)} slots in use after 100 passes`, [type]);
    return -EINTR;
  }
  return 0;
}
