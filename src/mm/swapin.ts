/*
 * mm/swap_state.c, the swap-in of one entry: the folio from the swap cache,
 * or a new one added to the swap cache and read from the device
 * (swap_read_folio, mm/page_io.c).  Apart from the swap cache itself
 * (swap_state.ts), because reading sits above it: writeback frees swap
 * (page_io -> swapfile), and the allocator adds to the swap cache.
 */
import { swap_read_folio } from './page_io.js';
import { EEXIST } from '../include/errno.js';
import { swap_cache_alloc_folio, swap_cache_get_folio } from './swap_state.js';

/**
 * swapin_entry(): the folio for @entry, from the swap cache or read in.
 * Returns the folio with a reference - locked while its read is in
 * flight (folio_lock() waits for it), unlocked once read - or -errno.
 * Context: device pinned; may sleep.
 */
export function swapin_entry(entry: number, orders: number, memcgFallback: number): number {
  for (;;) {
    const cached = swap_cache_get_folio(entry);
    if (cached >= 0) return cached;
    const folio = swap_cache_alloc_folio(entry, orders, memcgFallback);
    if (folio === -EEXIST) continue;
    if (folio < 0) return folio;
    swap_read_folio(folio);
    return folio;
  }
}
