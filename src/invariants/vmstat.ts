/*
 * The quiescent checker's statistics rule (docs/invariants.md, accounting):
 * the swap I/O events count what the block layer was asked to do.
 * pswpout is counted where a swap write is issued (__swap_writepage()),
 * pswpin where a swap read goes to the device (swap_read_folio()), each
 * by the pages of the folio; the block layer counts the pages of every
 * I/O it is handed (blk_account_io(), its diskstats).  Each I/O counted
 * once on each side, the two agree at any quiescent point, in flight or
 * not: a lost or doubled count_vm_events() - or an I/O issued without
 * its event - shows as a difference.  (The kernel keeps both counters
 * and checks neither; vmstat's pswpin/pswpout are what swap tuning reads.)
 * Likewise thp_swpout and thp_swpin, counted with them once per large
 * folio (count_swpout_vm_event(), count_swpin_vm_event(): the device's
 * I/O only, not a zero-filled folio's or zswap's), against the block
 * layer's I/Os of more than one page: a large folio written or read whole.
 *
 * Context: quiescent.
 */
import { A, gword } from '../shm/arena.js';
import { G } from '../shm/layout.js';
import { PSWPIN, PSWPOUT, sum_vm_events, THP_SWPIN, THP_SWPOUT } from '../mm/vmstat.js';
import type { Fail } from './fail.js';

/* accounting: pswpout/pswpin against the pages the block layer wrote/read, thp_swpout/thp_swpin against its large folios. */
export function check_swap_io_events(fail: Fail): void {
  const written = Atomics.load(A.i32, gword(G.blk_pages_written));
  const read = Atomics.load(A.i32, gword(G.blk_pages_read));
  const pswpout = sum_vm_events(PSWPOUT);
  const pswpin = sum_vm_events(PSWPIN);
  if (pswpout !== written) fail('accounting', `pswpout ${pswpout} but the block layer was asked to write ${written} swap pages`, [pswpout, written]);
  if (pswpin !== read) fail('accounting', `pswpin ${pswpin} but the block layer was asked to read ${read} swap pages`, [pswpin, read]);
  const largeWritten = Atomics.load(A.i32, gword(G.blk_large_written));
  const largeRead = Atomics.load(A.i32, gword(G.blk_large_read));
  const thpSwpout = sum_vm_events(THP_SWPOUT);
  const thpSwpin = sum_vm_events(THP_SWPIN);
  if (thpSwpout !== largeWritten) fail('accounting', `thp_swpout ${thpSwpout} but the block layer was asked to write ${largeWritten} large folios`, [thpSwpout, largeWritten]);
  if (thpSwpin !== largeRead) fail('accounting', `thp_swpin ${thpSwpin} but the block layer was asked to read ${largeRead} large folios`, [thpSwpin, largeRead]);
}
