/*
 * mm/swap_state.c, the readahead part: a swap fault (and swapoff's unuse
 * walk) reads the faulting entry's neighbours into the swap cache too,
 * unmapped, marked PG_readahead; a later fault that finds one there is a
 * readahead hit, which widens the next window.
 *
 *   swapin_readahead()        VMA readahead (the PTEs around the fault)
 *                             unless a rotational device is on
 *                             (nr_rotate_swap): cluster readahead then
 *                             (the slots around the faulting one)
 *   swap_update_readahead()   the hit accounting, from do_swap_page
 *   __swapin_nr_pages()       the window: grows with the hits, shrinks
 *                             by half at most per fault
 *
 * State lives in the arena: the cluster readahead's statics
 * (swapin_readahead_hits, prev_offset, last_readahead_pages) are G words,
 * the VMA's swap_readahead_info an MM word (the model has one VMA per mm).
 *
 * The model's differences: page_cluster is 3 always (swap_setup() sets 2
 * on a machine with less than 16 MiB of RAM: the model's are that small
 * by design, and a window of 8 reaches more interleavings);
 * enable_vma_readahead has no sysfs knob (on); a readahead folio is
 * marked PG_readahead before its read is started, not after (the kernel
 * marks it once the bio is submitted, still locked unless the read
 * completed synchronously: the same meaning without the window in which
 * a fault may map it unmarked); no plugging, no LRU drain, no mempolicy.
 *
 * Only slots in use are read (swap_cache_alloc_folio() refuses a free or
 * bad slot, a freed ghost cluster: -ENOENT), so every folio read here has
 * its data somewhere (the backing store, zswap, the zero flag) and its
 * read leaves it uptodate; one whose read failed anyway stays in the
 * swap cache !uptodate as in the kernel, for the fault to find (SIGBUS,
 * reported) and reclaim to free.
 */
import { EEXIST } from '../include/errno.js';
import { A, gword } from '../shm/arena.js';
import { G, MM, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { folio_nr_pages, folio_put, folio_set, folio_test_clear_readahead, PG_readahead } from './page_alloc.js';
import { swap_read_folio } from './page_io.js';
import { is_swap_pte, mm_memcg, mm_pages, mmw, pte_to_swp_entry, ptep_get } from './pgtable.js';
import { get_swap_device, put_swap_device } from './swap_device.js';
import { swap_cache_alloc_folio, swap_cache_get_folio } from './swap_state.js';
import { si_max, swp_entry, swp_offset, swp_type } from './swap.js';
import { swapin_entry } from './swapin.js';
import { count_vm_events, SWAP_RA, SWAP_RA_HIT } from './vmstat.js';

/** page_cluster: log2 of the largest readahead window (the kernel's 3, from 16 MiB of RAM up). */
export const page_cluster = 3;
/** SWAP_RA_ORDER_CEILING: the VMA window is at most 1 << 5 pages, whatever page_cluster says. */
export const SWAP_RA_ORDER_CEILING = 5;
/** /sys/kernel/mm/swap/vma_ra_enabled (the kernel's default: on). */
const enable_vma_readahead = true;
/** swapin_readahead_hits' initial value: "Initial readahead hits is 4 to start up with a small window". */
const SWAP_RA_INITIAL_HITS = 4;

/*
 * vma->swap_readahead_info, packed as the kernel packs it with
 * PAGE_SHIFT 12: the fault address's page (here the page index) above
 * bit 12, the window in bits 6-11, the hits in bits 0-5.  The page index
 * keeps 20 bits in the 32-bit word (an mm of up to 4 GiB); past that it
 * wraps, which only blurs the prev_faddr +- 1 test.
 */
const SWAP_RA_WIN_SHIFT = 12 / 2;
const SWAP_RA_HITS_MASK = (1 << SWAP_RA_WIN_SHIFT) - 1;
export const SWAP_RA_HITS_MAX = SWAP_RA_HITS_MASK;
const SWAP_RA_WIN_MASK = 0xfff & ~SWAP_RA_HITS_MASK;
const SWAP_RA_HITS = (v: number): number => v & SWAP_RA_HITS_MASK;
const SWAP_RA_WIN = (v: number): number => (v & SWAP_RA_WIN_MASK) >>> SWAP_RA_WIN_SHIFT;
const SWAP_RA_ADDR = (v: number): number => v >>> 12;
const SWAP_RA_VAL = (index: number, win: number, hits: number): number =>
  ((index << 12) | ((win << SWAP_RA_WIN_SHIFT) & SWAP_RA_WIN_MASK) | (hits & SWAP_RA_HITS_MASK)) | 0;

/* GET_SWAP_RA_VAL(): the mm's readahead state, 0 meaning "hits 4, nothing else yet". */
function get_swap_ra_val(mm: number): number {
  return Atomics.load(A.i32, mmw(mm, MM.swap_readahead_info)) || SWAP_RA_INITIAL_HITS;
}

function set_swap_ra_val(mm: number, v: number): void {
  Atomics.store(A.i32, mmw(mm, MM.swap_readahead_info), v);
}

/** swap_readahead_init(): static atomic_t swapin_readahead_hits = ATOMIC_INIT(4).  Context: boot. */
export function swap_readahead_init(): void {
  Atomics.store(A.i32, gword(G.swapin_readahead_hits), SWAP_RA_INITIAL_HITS);
}

/** swap_use_vma_readahead(): enable_vma_readahead && !atomic_read(&nr_rotate_swap). */
export function swap_use_vma_readahead(): boolean {
  return enable_vma_readahead && Atomics.load(A.i32, gword(G.nr_rotate_swap)) === 0;
}

/**
 * __swapin_nr_pages(): the next readahead window, from the @hits since
 * the last one and the @prev_win it had.  "Please don't ask what the + 2
 * means, it just happens to work well": no hits gives a window of 2 for
 * a fault next to the previous one (@prev_offset +- 1), else 1; hits give
 * the power of two at or above hits + 2 (at least 4); at most
 * @max_pages, and never below half the previous window ("Don't shrink
 * readahead too fast").  Pure.
 */
export function __swapin_nr_pages(prev_offset: number, offset: number, hits: number, max_pages: number, prev_win: number): number {
  let pages = hits + 2;
  if (pages === 2) {
    if (offset !== prev_offset + 1 && offset !== prev_offset - 1) pages = 1;
  } else {
    let roundup = 4;
    while (roundup < pages) roundup <<= 1;
    pages = roundup;
  }
  if (pages > max_pages) pages = max_pages;
  const last_ra = Math.floor(prev_win / 2);
  if (pages < last_ra) pages = last_ra;
  return pages;
}

/*
 * swapin_nr_pages(): the cluster readahead window for a fault at
 * @offset, taking (atomic_xchg) the hits counted since the last one.
 * prev_offset moves only when there were no hits.
 * Context: any; the statics are arena words, raced as the kernel races them.
 */
function swapin_nr_pages(offset: number): number {
  const i32 = A.i32;
  const max_pages = 1 << page_cluster;
  if (max_pages <= 1) return 1;
  const hits = Atomics.exchange(i32, gword(G.swapin_readahead_hits), 0);
  const pages = __swapin_nr_pages(Atomics.load(i32, gword(G.swapin_prev_offset)), offset, hits, max_pages, Atomics.load(i32, gword(G.last_readahead_pages)));
  if (!hits) Atomics.store(i32, gword(G.swapin_prev_offset), offset);
  Atomics.store(i32, gword(G.last_readahead_pages), pages);
  return pages;
}

/*
 * __read_swap_cache_async() for one entry of a readahead window: nothing
 * if it is cached (just the lookup's reference put), or if its slot is not
 * in use (swap_cache_alloc_folio: -ENOENT) or no frame is free; else an
 * order-0 folio added to the swap cache and read - PG_readahead and
 * SWAP_RA unless it is the faulting entry (@readahead false) - and left
 * there with the swap cache's reference only.
 * Context: the entry's device pinned; may sleep.
 */
function swap_ra_read_entry(entry: number, memcg: number, readahead: boolean): void {
  for (;;) {
    const cached = swap_cache_get_folio(entry);
    if (cached >= 0) {
      folio_put(cached);
      return;
    }
    const folio = swap_cache_alloc_folio(entry, 1, memcg);
    if (folio === -EEXIST) continue;
    if (folio < 0) return;
    if (readahead) {
      folio_set(folio, PG_readahead);
      count_vm_events(SWAP_RA, 1);
    }
    swap_read_folio(folio);
    folio_put(folio);
    return;
  }
}

/**
 * swap_cluster_readahead(): read the page_cluster-aligned block of slots
 * around @entry (its size from swapin_nr_pages(); the header slot and
 * slots past si->max left out), then return @entry's folio as
 * swapin_entry() does.  Charges go where swapin_entry() puts them
 * (@memcg the fallback).
 * Context: @entry's device pinned; process context, may sleep.
 */
export function swap_cluster_readahead(entry: number, memcg: number): number {
  const type = swp_type(entry);
  const entry_offset = swp_offset(entry);
  const mask = swapin_nr_pages(entry_offset) - 1;
  if (mask) {
    let start_offset = entry_offset & ~mask;
    let end_offset = entry_offset | mask;
    if (!start_offset) start_offset++; /* First page is swap header. */
    if (end_offset >= si_max(type)) end_offset = si_max(type) - 1;
    for (let offset = start_offset; offset <= end_offset; offset++) {
      swap_ra_read_entry(swp_entry(type, offset), memcg, offset !== entry_offset);
    }
  }
  return swapin_entry(entry, 1, memcg);
}

/**
 * swap_vma_ra_win(): the VMA readahead window for a fault at page @index
 * of @mm, recorded in its swap_readahead_info (hits reset): forward from
 * @index after a fault on the page before, backward after one on the page
 * after, else centred; clipped to the mm and to the page table (PMD)
 * holding @index.  Returns the window size and the page range.
 * Context: lockless, as the kernel's atomic_long_set on the VMA.
 */
export function swap_vma_ra_win(mm: number, index: number): { win: number; start: number; end: number } {
  const max_win = 1 << Math.min(page_cluster, SWAP_RA_ORDER_CEILING);
  if (max_win === 1) return { win: 1, start: index, end: index + 1 };
  const ra_val = get_swap_ra_val(mm);
  const prev = SWAP_RA_ADDR(ra_val);
  const win = __swapin_nr_pages(prev, index, SWAP_RA_HITS(ra_val), max_win, SWAP_RA_WIN(ra_val));
  set_swap_ra_val(mm, SWAP_RA_VAL(index, win, 0));
  if (win === 1) return { win, start: index, end: index + 1 };
  let left: number;
  if (index === prev + 1) left = index;
  else if (prev === index + 1) left = index - win + 1;
  else left = index - Math.floor((win - 1) / 2);
  const right = left + win;
  if (left < 0) left = 0;
  const pmd = index - (index % SWAPFILE_CLUSTER);
  return { win, start: Math.max(left, 0, pmd), end: Math.min(right, mm_pages(), pmd + SWAPFILE_CLUSTER) };
}

/**
 * swap_vma_readahead(): read the swap entries the PTEs of @mm's window
 * around page @index hold (read locklessly: ptep_get; an entry of another
 * device than @entry's pinned with get_swap_device() or skipped), then
 * return @entry's folio as swapin_entry() does.
 * Context: @entry's device pinned; process context, may sleep.
 */
export function swap_vma_readahead(entry: number, memcg: number, mm: number, index: number): number {
  const { win, start, end } = swap_vma_ra_win(mm, index);
  for (let addr = start; win > 1 && addr < end; addr++) {
    const pte = ptep_get(mm, addr);
    if (!is_swap_pte(pte)) continue;
    const e = pte_to_swp_entry(pte);
    const other = swp_type(e) !== swp_type(entry);
    if (other && get_swap_device(e) < 0) continue;
    swap_ra_read_entry(e, memcg, addr !== index);
    if (other) put_swap_device(swp_type(e));
  }
  return swapin_entry(entry, 1, memcg);
}

/**
 * swapin_readahead(): the folio for swap entry @entry that page @index of
 * @mm maps, read with its neighbours: VMA readahead, or cluster readahead
 * while a rotational device is on.  As swapin_entry(): the folio with a
 * reference, or -errno.  Not for SWP_SYNCHRONOUS_IO devices (the fault
 * reads those directly).
 * Context: @entry's device pinned; process context, may sleep.
 */
export function swapin_readahead(entry: number, mm: number, index: number): number {
  const memcg = mm_memcg(mm);
  return swap_use_vma_readahead() ? swap_vma_readahead(entry, memcg, mm, index) : swap_cluster_readahead(entry, memcg);
}

/**
 * swap_update_readahead(): a fault at page @index of @mm found @folio in
 * the swap cache.  A readahead folio (PG_readahead, cleared here) is a
 * hit: SWAP_RA_HIT, and a hit for the next window - in the mm's
 * swap_readahead_info (VMA readahead, which also records the fault
 * address) or swapin_readahead_hits (cluster readahead).  Large folios
 * are never readahead folios: ignored.
 * Context: the caller holds a reference on @folio.
 */
export function swap_update_readahead(folio: number, mm: number, index: number): void {
  if (folio_nr_pages(folio) > 1) return;
  const readahead = folio_test_clear_readahead(folio);
  const vma_ra = swap_use_vma_readahead();
  if (vma_ra) {
    const ra_val = get_swap_ra_val(mm);
    let hits = SWAP_RA_HITS(ra_val);
    if (readahead) hits = Math.min(hits + 1, SWAP_RA_HITS_MAX);
    set_swap_ra_val(mm, SWAP_RA_VAL(index, SWAP_RA_WIN(ra_val), hits));
  }
  if (readahead) {
    count_vm_events(SWAP_RA_HIT, 1);
    if (!vma_ra) Atomics.add(A.i32, gword(G.swapin_readahead_hits), 1);
  }
}
