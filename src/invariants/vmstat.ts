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

/* Each event and the block layer's count it must equal: what the I/O was asked to do, and of what. */
const IO_EVENTS: readonly { event: number; name: string; blk: number; asked: string }[] = [
  { event: PSWPOUT, name: 'pswpout', blk: G.blk_pages_written, asked: 'write %d swap pages' },
  { event: PSWPIN, name: 'pswpin', blk: G.blk_pages_read, asked: 'read %d swap pages' },
  { event: THP_SWPOUT, name: 'thp_swpout', blk: G.blk_large_written, asked: 'write %d large folios' },
  { event: THP_SWPIN, name: 'thp_swpin', blk: G.blk_large_read, asked: 'read %d large folios' },
];

/* accounting: pswpout/pswpin against the pages the block layer wrote/read, thp_swpout/thp_swpin against its large folios. */
export function check_swap_io_events(fail: Fail): void {
  for (const { event, name, blk, asked } of IO_EVENTS) {
    const n = sum_vm_events(event);
    const want = Atomics.load(A.i32, gword(blk));
    if (n !== want) fail('accounting', `${name} ${n} but the block layer was asked to ${asked.replace('%d', String(want))}`, [n, want]);
  }
}
