/*
 * mm/memory.c (and the process side of kernel/fork.c, kernel/exit.c):
 * simulated processes with one anonymous VMA of A.L.config.mmPages pages.
 *
 * PTEs are arena words (model format, not x86's):
 *   0                       pte_none
 *   pfn << 1 | 1            present, mapping frame pfn
 *   swp_entry << 1          a swap PTE (entry numbers are < 2^31)
 * One PTL (spinlock) per 512 PTEs, like split page table locks.
 *
 * Each virtual page also has its expected content (the last token written
 * to it), updated under the PTL with the write: the data invariant.
 *
 * Rmap simplification (documented in the README): a folio is mapped by at
 * most one process.  Fork copies present pages (as if each were written
 * right after fork) and shares swap entries (swap_dup_entry_direct, the
 * swap count side of fork).  A swap-in of an entry whose count says it is
 * shared copies the page into a private folio, as a write fault on the
 * shared swap cache folio would.
 *
 * Kernel mapping: handle_mm_fault -> do_anonymous_page / do_swap_page /
 * wp fault; copy_nonpresent_pte; zap_nonpresent_ptes; exit_mmap.
 */
import { EAGAIN, ENOMEM } from '../include/errno.js';
import { A, gword } from '../shm/arena.js';
import { G, MAX_FOLIO_ORDER, MM, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { report } from '../shm/report.js';
import { bug_on, BUG_SWAPIN_NO_PTE_RECHECK, BUG_SWAPOFF_VS_SWAPIN } from '../shm/bugs.js';
import { point, pointId } from '../sync/point.js';
import { LC_MM, LC_PTL } from '../sync/lockdep.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import {
  folio_alloc, folio_lock, folio_nr_pages, folio_put, folio_ref_add, folio_set, folio_swap,
  folio_test_swapcache, folio_test_uptodate, folio_trylock, folio_unlock, fw, new_token, page_folio, page_token, PG_dirty, PG_uptodate,
  set_page_token, folio_set_memcg, page_token_index, token_equal,
} from './page_alloc.js';
import { FOLIO } from '../shm/layout.js';
import { folio_matches_swap_entry, swap_cache_get_folio } from './swap_state.js';
import { swapin_entry } from './swapin.js';
import { folio_free_swap, swap_put_entries_direct } from './swapfile.js';
import { folio_put_swap, swap_dup_entry_direct, swap_retry_table_alloc, __swap_count_exact } from './swap_count.js';
import { get_swap_device, put_swap_device, vm_swap_full } from './swap_device.js';
import { swap_cluster_lock, swap_cluster_unlock, swp_offset, swp_type } from './swap.js';

export const MM_FREE = 0;
export const MM_LIVE = 1;

const P_FAULT = pointId('handle_mm_fault');
const P_SWAPIN_UNLOCKED = pointId('do_swap_page:unlocked');

/* ---- PTEs ---- */

export function pte_none(pte: number): boolean {
  return pte === 0;
}
export function pte_present(pte: number): boolean {
  return (pte & 1) === 1;
}
export function pte_pfn(pte: number): number {
  return pte >>> 1;
}
export function is_swap_pte(pte: number): boolean {
  return pte !== 0 && (pte & 1) === 0;
}
export function pte_to_swp_entry(pte: number): number {
  return pte >>> 1;
}
export function swp_entry_to_pte(entry: number): number {
  return (entry * 2) | 0;
}
export function mk_pte(pfn: number): number {
  return (pfn * 2 + 1) | 0;
}

export function mmw(mm: number, f: number): number {
  return A.L.mm + mm * MM.SIZE + f;
}
export function pteWord(mm: number, index: number): number {
  return A.L.pte + mm * A.L.config.mmPages + index;
}
export function ptlWord(mm: number, index: number): number {
  return A.L.ptl + mm * A.L.ptlPerMm + Math.floor(index / SWAPFILE_CLUSTER);
}
function expectedIndex(mm: number, index: number): number {
  return (A.L.expected >> 1) + mm * A.L.config.mmPages + index;
}
export function ptep_get(mm: number, index: number): number {
  return A.i32[pteWord(mm, index)];
}
function set_pte(mm: number, index: number, pte: number): void {
  A.i32[pteWord(mm, index)] = pte;
}
export function expected_token(mm: number, index: number): bigint {
  return A.u64[expectedIndex(mm, index)];
}
function set_expected(mm: number, index: number, token: bigint): void {
  A.u64[expectedIndex(mm, index)] = token;
}
export function mm_pages(): number {
  return A.L.config.mmPages;
}
export function mm_memcg(mm: number): number {
  return A.i32[mmw(mm, MM.memcg)];
}
export function mm_live(mm: number): boolean {
  return A.i32[mmw(mm, MM.state)] === MM_LIVE;
}
export function pte_lock(mm: number, index: number): void {
  spin_lock(ptlWord(mm, index), LC_PTL);
}
/** The child's PTL under the parent's at fork: spin_lock_nested(SINGLE_DEPTH_NESTING). */
function pte_lock_nested(mm: number, index: number): void {
  spin_lock(ptlWord(mm, index), LC_PTL, true);
}
export function pte_unlock(mm: number, index: number): void {
  spin_unlock(ptlWord(mm, index));
}

/* ---- mm lifetime ---- */

/** mm_alloc(): a new empty process charged to @memcg, or -ENOMEM. */
export function mm_alloc(memcg: number): number {
  const i32 = A.i32;
  spin_lock(gword(G.mm_lock), LC_MM);
  let mm = -ENOMEM;
  for (let m = 0; m < A.L.config.nrMms; m++) {
    if (i32[mmw(m, MM.state)] !== MM_FREE) continue;
    i32.fill(0, mmw(m, 0), mmw(m, MM.SIZE));
    i32[mmw(m, MM.memcg)] = memcg;
    i32.fill(0, pteWord(m, 0), pteWord(m, mm_pages()));
    A.u64.fill(0n, expectedIndex(m, 0), expectedIndex(m, mm_pages()));
    i32[mmw(m, MM.state)] = MM_LIVE;
    mm = m;
    break;
  }
  spin_unlock(gword(G.mm_lock));
  return mm;
}

/** Move @mm to @memcg (cgroup migration: new charges go there). */
export function mm_set_memcg(mm: number, memcg: number): void {
  A.i32[mmw(mm, MM.memcg)] = memcg;
}

/* ---- mapping helpers ---- */

/* Map @nr pages of @folio from page @idx at @index.  Context: PTL held. */
function map_pages(mm: number, index: number, folio: number, idx: number, nr: number): void {
  for (let k = 0; k < nr; k++) set_pte(mm, index + k, mk_pte(folio + idx + k));
  Atomics.add(A.i32, fw(folio, FOLIO.mapcount), nr);
  folio_ref_add(folio, nr);
  A.i32[fw(folio, FOLIO.mapping_mm)] = mm;
  A.i32[fw(folio, FOLIO.mapping_index)] = index - idx;
}

/** Compare a mapped page's content with what was last written (the data invariant). */
function check_data(mm: number, index: number, pfn: number): void {
  if (!token_equal(page_token_index(pfn), expectedIndex(mm, index))) {
    const got = page_token(pfn);
    const want = expected_token(mm, index);
    report('data', `data mismatch: mm ${mm} page ${index} reads 0x${got.toString(16)}, last write was 0x${want.toString(16)} (pfn ${pfn})`, [mm, index, pfn]);
  }
}

/* A write to a mapped page.  Context: PTL held. */
function write_page(mm: number, index: number, pfn: number, zero: boolean): void {
  const token = zero ? 0n : new_token();
  set_page_token(pfn, token);
  set_expected(mm, index, token);
  folio_set(page_folio(pfn), PG_dirty);
}

/*
 * do_anonymous_page(): first touch of a none PTE: a new zero-filled folio
 * of the highest order up to @maxOrder whose aligned range is all none
 * (alloc_anon_folio(): the largest enabled mTHP size that fits first,
 * falling back order by order).
 */
function do_anonymous_page(mm: number, index: number, maxOrder: number): number {
  let order = maxOrder;
  let base = index - (index % (1 << order));
  while (order > 0) {
    let ok = base + (1 << order) <= mm_pages();
    for (let k = 0; ok && k < 1 << order; k++) if (ptep_get(mm, base + k) !== 0) ok = false;
    if (ok) break;
    order--;
    base = index - (index % (1 << order));
  }
  const folio = folio_alloc(order, mm_memcg(mm));
  if (folio < 0) return -ENOMEM;
  const nr = 1 << order;
  for (let k = 0; k < nr; k++) set_page_token(folio + k, 0n);
  folio_set(folio, PG_uptodate | PG_dirty);
  pte_lock(mm, base);
  for (let k = 0; k < nr; k++) {
    if (ptep_get(mm, base + k) !== 0) {
      pte_unlock(mm, base);
      folio_put(folio);
      return -EAGAIN; /* raced with another fault */
    }
  }
  for (let k = 0; k < nr; k++) set_expected(mm, base + k, 0n);
  map_pages(mm, base, folio, 0, nr);
  pte_unlock(mm, base);
  folio_put(folio);
  return 0;
}

/*
 * thp_swapin_suitable_orders(): orders whose aligned PTE range around
 * @index is all swap PTEs of one device, contiguous and aligned.
 */
function thp_swapin_suitable_orders(mm: number, index: number, entry: number, maxOrder: number): number {
  let orders = 1;
  for (let order = 1; order <= maxOrder; order++) {
    const nr = 1 << order;
    const base = index - (index % nr);
    const e0 = entry - (index - base);
    if (e0 % nr !== 0 || swp_offset(e0) === 0 || swp_type(e0) !== swp_type(entry)) continue;
    if (Math.floor(swp_offset(e0) / SWAPFILE_CLUSTER) !== Math.floor(swp_offset(e0 + nr - 1) / SWAPFILE_CLUSTER)) continue;
    let ok = true;
    for (let k = 0; ok && k < nr; k++) if (ptep_get(mm, base + k) !== swp_entry_to_pte(e0 + k)) ok = false;
    if (ok) orders |= 1 << order;
  }
  return orders;
}

/**
 * do_swap_page(): fault in the swap PTE @orig_pte at @index.
 *
 * The device is pinned with get_swap_device() for the whole fault (bug
 * switch swapoff-vs-swapin skips the pin).  After locking the folio it must
 * still match the entry; after taking the PTL the PTE must be unchanged
 * (swapoff, or swapoff + swapon of the same type, may have rewritten it;
 * bug switch swapin-no-pte-recheck skips that check).  The count is put
 * under the PTL and the folio lock.
 *
 * Returns 0 (done or raced: the caller retries), or -ENOMEM.
 * Context: process context, no locks held; sleeps.
 */
export function do_swap_page(mm: number, index: number, orig_pte: number, write: boolean, maxOrder: number): number {
  const entry = pte_to_swp_entry(orig_pte);
  const unpinned = bug_on(BUG_SWAPOFF_VS_SWAPIN);
  const type = unpinned ? swp_type(entry) : get_swap_device(entry);
  if (type < 0) return 0;
  let ret = 0;
  let folio = swap_cache_get_folio(entry);
  if (folio < 0) {
    point(P_SWAPIN_UNLOCKED);
    folio = swapin_entry(entry, thp_swapin_suitable_orders(mm, index, entry, maxOrder), mm_memcg(mm));
    if (folio < 0) {
      pte_lock(mm, index);
      if (ptep_get(mm, index) === orig_pte && folio !== -2 /* -ENOENT: freed meanwhile */) ret = -ENOMEM;
      pte_unlock(mm, index);
      if (!unpinned) put_swap_device(type);
      return ret;
    }
  }
  folio_lock(folio);
  if (!folio_matches_swap_entry(folio, entry)) {
    folio_unlock(folio);
    folio_put(folio);
    if (!unpinned) put_swap_device(type);
    return 0; /* dropped from the cache or moved: retry */
  }
  pte_lock(mm, index);
  if (!bug_on(BUG_SWAPIN_NO_PTE_RECHECK) && ptep_get(mm, index) !== orig_pte) {
    pte_unlock(mm, index);
    folio_unlock(folio);
    folio_put(folio);
    if (!unpinned) put_swap_device(type);
    return 0;
  }
  if (!folio_test_uptodate(folio)) {
    report('data', `do_swap_page: folio ${folio} for entry ${entry} not uptodate (SIGBUS)`, [folio, entry]);
    pte_unlock(mm, index);
    folio_unlock(folio);
    folio_put(folio);
    if (!unpinned) put_swap_device(type);
    return 0;
  }
  const nr = folio_nr_pages(folio);
  const fentry = folio_swap(folio);
  const idx = entry - fentry;
  const base = index - idx;
  /* Exclusive: every slot of the folio referenced once, by this mm's PTEs. */
  let whole = base >= 0 && base + nr <= mm_pages() && base % SWAPFILE_CLUSTER + nr <= SWAPFILE_CLUSTER;
  const ci = swap_cluster_lock(swp_type(fentry), swp_offset(fentry));
  const start = swp_offset(fentry) % SWAPFILE_CLUSTER;
  for (let k = 0; whole && k < nr; k++) {
    if (__swap_count_exact(ci, start + k) !== 1 || ptep_get(mm, base + k) !== swp_entry_to_pte(fentry + k)) whole = false;
  }
  swap_cluster_unlock(ci);
  if (whole && A.i32[fw(folio, FOLIO.mapping_mm)] === -1) {
    map_pages(mm, base, folio, 0, nr);
    folio_put_swap(folio);
    for (let k = 0; k < nr; k++) check_data(mm, base + k, folio + k);
  } else {
    /* Shared or partial: a private copy of the one page (wp_page_copy). */
    const copy = folio_alloc(0, mm_memcg(mm));
    if (copy < 0) {
      ret = -ENOMEM;
    } else {
      set_page_token(copy, page_token(folio + idx));
      folio_set(copy, PG_uptodate);
      folio_set_memcg(copy, mm_memcg(mm));
      map_pages(mm, index, copy, 0, 1);
      folio_put(copy);
      folio_put_swap(folio, idx);
      check_data(mm, index, copy);
    }
  }
  if (ret === 0 && write) {
    const p = pte_present(ptep_get(mm, index)) ? pte_pfn(ptep_get(mm, index)) : -1;
    if (p >= 0) write_page(mm, index, p, false);
  }
  pte_unlock(mm, index);
  /*
   * should_try_to_free_swap(): after mapping, so racing faults wait on
   * the folio lock.  The kernel's rule: swap more than half full
   * (mem_cgroup_swap_full), or a write fault (the page is about to differ
   * from its swap copy); a read fault keeps the swap cache, so the slot
   * stays cache-only until reclaim or the allocator wants it back.
   */
  if (vm_swap_full() || write) folio_free_swap(folio);
  folio_unlock(folio);
  folio_put(folio);
  if (!unpinned) put_swap_device(type);
  return ret;
}

/**
 * handle_mm_fault(): touch page @index of @mm (read, or write a new token;
 * @zero writes a zero-filled page).  Verifies the content on read.
 * Returns 0 or -ENOMEM.  Context: process context, no locks held.
 */
export function handle_mm_fault(mm: number, index: number, write: boolean, zero = false, maxOrder = MAX_FOLIO_ORDER): number {
  point(P_FAULT);
  for (let tries = 0; tries < 64; tries++) {
    const pte = ptep_get(mm, index);
    if (pte_none(pte)) {
      const r = do_anonymous_page(mm, index, maxOrder);
      if (r === -ENOMEM) return r;
      continue;
    }
    if (is_swap_pte(pte)) {
      const r = do_swap_page(mm, index, pte, write && !zero, maxOrder);
      if (r) return r;
      if (write && zero) continue;
      if (pte_present(ptep_get(mm, index)) || write) continue;
      continue;
    }
    pte_lock(mm, index);
    if (ptep_get(mm, index) !== pte) {
      pte_unlock(mm, index);
      continue;
    }
    const pfn = pte_pfn(pte);
    if (write) write_page(mm, index, pfn, zero);
    else check_data(mm, index, pfn);
    pte_unlock(mm, index);
    return 0;
  }
  return 0;
}

/* End of the page table (PTL range) holding @index: PTEs [index, end) share one PTL. */
function pte_table_end(index: number): number {
  return Math.min(mm_pages(), (Math.floor(index / SWAPFILE_CLUSTER) + 1) * SWAPFILE_CLUSTER);
}

/**
 * copy_mm(): fork.  Page table by page table, as copy_pte_range() does:
 * with the parent's PTL held and the child's nested under it, present
 * pages are copied into new folios and swap PTEs are shared with
 * swap_dup_entry_direct().  An -ENOMEM from the count path (the extend
 * table needs a sleeping allocation) drops both locks, allocates with
 * swap_retry_table_alloc() and resumes at that PTE, as copy_pte_range does
 * after -EIO.
 * Returns the child mm or -ENOMEM.  Context: process context.
 */
export function copy_mm(parent: number): number {
  const child = mm_alloc(mm_memcg(parent));
  if (child < 0) return child;
  let index = 0;
  while (index < mm_pages()) {
    const table = index;
    const end = pte_table_end(index);
    let retryEntry = -1;
    let oom = false;
    pte_lock(parent, table);
    pte_lock_nested(child, table);
    for (; index < end; index++) {
      const pte = ptep_get(parent, index);
      if (pte_present(pte)) {
        const copy = folio_alloc(0, mm_memcg(parent));
        if (copy < 0) {
          oom = true;
          break;
        }
        set_page_token(copy, page_token(pte_pfn(pte)));
        folio_set(copy, PG_uptodate | PG_dirty);
        set_expected(child, index, expected_token(parent, index));
        map_pages(child, index, copy, 0, 1);
        folio_put(copy);
      } else if (is_swap_pte(pte)) {
        const err = swap_dup_entry_direct(pte_to_swp_entry(pte));
        if (err === -ENOMEM) {
          retryEntry = pte_to_swp_entry(pte);
          break;
        }
        if (err) {
          report('swap-count', `fork: swap_dup_entry_direct(${pte_to_swp_entry(pte)}) = ${err}`, [parent, index, err]);
          continue;
        }
        set_expected(child, index, expected_token(parent, index));
        set_pte(child, index, pte);
      }
    }
    pte_unlock(child, table);
    pte_unlock(parent, table);
    if (oom || (retryEntry >= 0 && swap_retry_table_alloc(retryEntry) < 0)) {
      exit_mmap(child);
      return -ENOMEM;
    }
  }
  return child;
}

/**
 * exit_mmap(): unmap everything, page table by page table under its PTL
 * (zap_pte_range); runs of swap PTEs with consecutive entries in one
 * cluster are put in one swap_put_entries_direct() call (swap_pte_batch).
 * Context: process context.
 */
export function exit_mmap(mm: number): void {
  zap_page_range(mm, 0, mm_pages());
  A.i32[mmw(mm, MM.state)] = MM_FREE;
}

/**
 * zap_page_range(): unmap pages [@start, @start + @nr) of @mm, page table
 * by page table under its PTL (zap_pte_range()): present pages go to the
 * TLB gather, runs of contiguous swap PTEs are put in one batch.  What
 * exit_mmap() and madvise(MADV_DONTNEED) do; a sibling thread's fault in
 * the range meanwhile finds its PTE changed (or none: a fresh zero page).
 * Context: process context, no PTL held.
 */
export function zap_page_range(mm: number, start: number, nr: number): void {
  const gather: number[] = [];
  const stop = Math.min(mm_pages(), start + nr);
  for (let table = start; table < stop; table = pte_table_end(table)) {
    const end = Math.min(stop, pte_table_end(table));
    pte_lock(mm, table);
    for (let index = table; index < end; index++) {
      const pte = ptep_get(mm, index);
      if (pte_present(pte)) {
        const folio = page_folio(pte_pfn(pte));
        set_pte(mm, index, 0);
        const left = Atomics.sub(A.i32, fw(folio, FOLIO.mapcount), 1) - 1;
        if (left === 0) A.i32[fw(folio, FOLIO.mapping_mm)] = -1;
        gather.push(folio); /* tlb_remove_page(): the reference goes after the flush */
      } else if (is_swap_pte(pte)) {
        const entry = pte_to_swp_entry(pte);
        let n = 1;
        while (index + n < end && ptep_get(mm, index + n) === swp_entry_to_pte(entry + n) &&
          (swp_offset(entry) + n) % SWAPFILE_CLUSTER !== 0) n++;
        for (let k = 0; k < n; k++) set_pte(mm, index + k, 0);
        swap_put_entries_direct(entry, n);
        index += n - 1;
      }
    }
    pte_unlock(mm, table);
    free_pages_and_swap_cache(gather);
    gather.length = 0;
  }
}

/*
 * free_pages_and_swap_cache(): the TLB-gather release of unmapped folios.
 * free_swap_cache() first: a folio no longer mapped whose swap copy
 * nobody references leaves the swap cache now (trylock: never waits),
 * else its slot would stay cache-only until reclaim met it.
 * Context: process context, no PTL held; each folio's mapping reference
 * is dropped here.
 */
function free_pages_and_swap_cache(folios: readonly number[]): void {
  for (const folio of folios) {
    if (folio_test_swapcache(folio) && A.i32[fw(folio, FOLIO.mapcount)] === 0 && folio_trylock(folio)) {
      folio_free_swap(folio);
      folio_unlock(folio);
    }
    folio_put(folio);
  }
}
