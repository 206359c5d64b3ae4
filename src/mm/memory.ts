/*
 * mm/memory.c (and the process side of kernel/fork.c, kernel/exit.c):
 * simulated processes with one private anonymous VMA of
 * A.L.config.mmPages pages (the page tables are in pgtable.ts).
 *
 * Anon folios are shared as in the kernel: fork maps the parent's pages in
 * the child too, write-protected in both (copy_present_pte), and shares its
 * swap entries (the swap count); a write to a shared page copies it
 * (do_wp_page / wp_page_copy), a write to a page only this process maps
 * reuses it.  Swap-in maps the swap cache folio, writable only where the
 * swap PTE says the page was exclusive (do_swap_page), so two processes
 * faulting one entry meet in the swap cache and map the same folio.
 *
 * Kernel mapping: handle_mm_fault -> do_anonymous_page / do_swap_page /
 * do_wp_page; copy_mm -> copy_pte_range (copy_present_pte,
 * copy_nonpresent_pte); exit_mmap and madvise(MADV_DONTNEED) ->
 * zap_pte_range.
 */
import { EAGAIN, ENOMEM } from '../include/errno.js';
import { A, gword } from '../shm/arena.js';
import { ANON_FAULT_MAX_ORDER, G, MM, PMD_ORDER, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { report } from '../shm/report.js';
import { bug_on, BUG_SWAPIN_NO_PTE_RECHECK, BUG_SWAPIN_SKIP_SWAPCACHE, BUG_SWAPOFF_VS_SWAPIN } from '../shm/bugs.js';
import { point, pointId } from '../sync/point.js';
import { LC_MM } from '../sync/lockdep.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import {
  folio_alloc, folio_get, folio_lock, folio_nr_pages, folio_put, folio_ref_add, folio_ref_count, folio_set, folio_swap,
  folio_test_swapcache, folio_test_uptodate, folio_trylock, folio_unlock, new_token, page_folio, page_token, PG_dirty, PG_uptodate,
  set_page_token, folio_set_memcg, page_token_index, token_equal, __folio_set_locked, folio_set_swap, PG_swapbacked,
} from './page_alloc.js';
import {
  expected_index, expected_token, is_swap_pte, mk_pte, mm_memcg, mm_pages, MM_FREE, MM_LIVE, mmw, pte_lock, pte_lock_nested,
  pte_mkwrite, pte_next_swp_offset, pte_none, pte_pfn, pte_present, pte_swp_clear_exclusive, pte_swp_exclusive, pte_table_end,
  pte_to_swp_entry, pte_unlock, pte_wrprotect, pte_write, ptep_get, pteWord, set_expected, set_pte,
} from './pgtable.js';
import {
  anon_vma_fork, anon_vma_init, ClearPageAnonExclusive, folio_add_anon_rmap_ptes, folio_add_new_anon_rmap, folio_anon_vma, folio_mapped, folio_move_anon_rmap,
  folio_remove_rmap_ptes, folio_try_dup_anon_rmap_ptes, PageAnonExclusive, SetPageAnonExclusive,
} from './rmap.js';
import { folio_matches_swap_entry, non_swapcache_batch, swap_cache_get_folio } from './swap_state.js';
import { swapin_entry } from './swapin.js';
import { swap_update_readahead, swapin_readahead } from './swap_readahead.js';
import { folio_free_swap, swap_put_entries_direct } from './swapfile.js';
import { folio_put_swap, swap_dup_entry_direct, swap_retry_table_alloc, swp_swapcount, __swap_count_exact } from './swap_count.js';
import { get_swap_device, put_swap_device, vm_swap_full } from './swap_device.js';
import { si_flags, swap_cluster_lock, swap_cluster_unlock, swp_offset, swp_type, SWP_SYNCHRONOUS_IO } from './swap.js';
import { swap_read_folio, swap_zeromap_batch } from './page_io.js';
import { zswap_never_enabled } from './zswap.js';
import { mem_cgroup_offline_seq } from './memcontrol.js';

const P_FAULT = pointId('handle_mm_fault');
const P_SWAPIN_UNLOCKED = pointId('do_swap_page:unlocked');
const P_WP_COPY_UNLOCKED = pointId('wp_page_copy:unlocked');

/* ---- mm lifetime ---- */

/** mm_alloc(): a new empty process charged to @memcg, with an anon_vma of its own; or -ENOMEM. */
export function mm_alloc(memcg: number): number {
  const i32 = A.i32;
  spin_lock(gword(G.mm_lock), LC_MM);
  let mm = -ENOMEM;
  for (let m = 0; m < A.L.config.nrMms; m++) {
    if (i32[mmw(m, MM.state)] !== MM_FREE) continue;
    i32.fill(0, mmw(m, 0), mmw(m, MM.SIZE));
    i32[mmw(m, MM.memcg)] = memcg;
    anon_vma_init(m);
    i32.fill(0, pteWord(m, 0), pteWord(m, mm_pages()));
    A.u64.fill(0n, expected_index(m, 0), expected_index(m, mm_pages()));
    i32[mmw(m, MM.users)] = 1; /* the process's own reference (mm_users) */
    i32[mmw(m, MM.state)] = MM_LIVE;
    mm = m;
    break;
  }
  spin_unlock(gword(G.mm_lock));
  return mm;
}

/**
 * mmget_not_zero(): a user reference on @mm's address space (mm_users),
 * unless its last user is gone: what a sibling thread running in the mm,
 * process_madvise() or swapoff's unuse walk hold while they touch it, so
 * that the process's exit cannot tear it down under them.
 * Context: any.
 */
export function mmget_not_zero(mm: number): boolean {
  const w = mmw(mm, MM.users);
  for (let u = Atomics.load(A.i32, w); u > 0; ) {
    const seen = Atomics.compareExchange(A.i32, w, u, u + 1);
    if (seen === u) return true;
    u = seen;
  }
  return false;
}

/**
 * mmput(): drop a user reference; the last one tears the address space
 * down (exit_mmap), whoever holds it - the exiting process, or a sibling
 * whose fault was still running.  Context: process context, no locks held.
 */
export function mmput(mm: number): void {
  if (Atomics.sub(A.i32, mmw(mm, MM.users), 1) === 1) exit_mmap(mm);
}

/** Move @mm to @memcg (cgroup migration: new charges go there). */
export function mm_set_memcg(mm: number, memcg: number): void {
  A.i32[mmw(mm, MM.memcg)] = memcg;
}

/* ---- mapping helpers ---- */

/*
 * Map @nr pages of @folio, from page @idx, at @index: writable and
 * exclusive, or read-only and shared.  Each PTE holds a reference.
 * Context: PTL held; the folio is anon (folio_add_new_anon_rmap).
 */
function map_pages(mm: number, index: number, folio: number, idx: number, nr: number, exclusive: boolean): void {
  for (let k = 0; k < nr; k++) {
    const pte = mk_pte(folio + idx + k);
    set_pte(mm, index + k, exclusive ? pte_mkwrite(pte) : pte);
  }
  folio_add_anon_rmap_ptes(folio, folio + idx, nr, exclusive);
  folio_ref_add(folio, nr);
}

/** Compare a mapped page's content with what was last written (the data invariant). */
function check_data(mm: number, index: number, pfn: number): void {
  if (!token_equal(page_token_index(pfn), expected_index(mm, index))) {
    const got = page_token(pfn);
    const want = expected_token(mm, index);
    report('data', `data mismatch: mm ${mm} page ${index} reads 0x${got.toString(16)}, last write was 0x${want.toString(16)} (pfn ${pfn})`, [mm, index, pfn]);
  }
}

/* A write through a writable PTE.  Context: PTL held. */
function write_page(mm: number, index: number, pfn: number, zero: boolean): void {
  fault_accessed = true;
  const token = zero ? 0n : new_token();
  set_page_token(pfn, token);
  set_expected(mm, index, token);
  folio_set(page_folio(pfn), PG_dirty);
}

/*
 * mem_cgroup_charge(): charge @folio, just allocated, to @mm's memcg as
 * get_mem_cgroup_from_mm() finds it: css_tryget(), not
 * css_tryget_online(), so a fault racing with the move of its process out
 * of a memcg and that memcg's rmdir may charge it as it dies - a zombie's
 * charge, which the kernel allows.  The death sequence is read before the
 * memcg (folio_set_memcg's @seq): such a memcg died after the charge chose
 * it, and only one already dead when chosen is a violation (patch 6's rule,
 * checked at quiescence).  Reading it after, a fault preempted between
 * the two reads had its charge reported as one to a dead memcg.
 * Context: process context; the folio not yet visible to anyone.
 */
function mem_cgroup_charge(folio: number, mm: number): void {
  const seq = mem_cgroup_offline_seq();
  folio_set_memcg(folio, mm_memcg(mm), seq);
}

/*
 * do_anonymous_page(): first touch of a none PTE: a new zero-filled folio
 * of the highest order up to @maxOrder whose aligned range is all none
 * (alloc_anon_folio(): the largest enabled mTHP size that fits first,
 * falling back order by order), mapped writable and exclusive.  Order
 * PMD_ORDER is do_huge_pmd_anonymous_page()'s THP; the model maps it with
 * PTEs, as the kernel's PMD mapping is once try_to_unmap() has split it
 * (TTU_SPLIT_HUGE_PMD) to put a swap entry in each PTE.
 */
function do_anonymous_page(mm: number, index: number, maxOrder: number): number {
  let order = maxOrder;
  let base = index;
  let folio = -1;
  for (; order >= 0 && folio < 0; order--) {
    base = index - (index % (1 << order));
    let ok = base + (1 << order) <= mm_pages();
    for (let k = 0; ok && k < 1 << order; k++) if (ptep_get(mm, base + k) !== 0) ok = false;
    /* A large folio the allocator cannot give falls back to the next order (THP_FAULT_FALLBACK). */
    if (ok || order === 0) folio = folio_alloc(order, 0);
  }
  order++;
  if (folio < 0) return -ENOMEM;
  mem_cgroup_charge(folio, mm);
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
  folio_add_new_anon_rmap(folio, mm, base, true);
  map_pages(mm, base, folio, 0, nr, true);
  pte_unlock(mm, base);
  folio_put(folio);
  return 0;
}

/* ---- write faults on present pages: copy on write ---- */

/*
 * wp_can_reuse_anon_folio(): may @mm write the shared-looking page in
 * place?  Only a small folio nobody else holds: one reference for the one
 * mapping, plus the swap cache's, which folio_free_swap() drops if no swap
 * PTE needs the slot any more.  A reused folio moves to @mm's anon_vma
 * before it is unlocked (folio_move_anon_rmap).  (The kernel also reuses
 * a large folio mapped only by this process; the model copies.)
 * Context: PTL held.
 */
function wp_can_reuse_anon_folio(folio: number, mm: number): boolean {
  if (folio_nr_pages(folio) > 1) return false;
  if (folio_ref_count(folio) > 1 + (folio_test_swapcache(folio) ? 1 : 0)) return false;
  if (!folio_trylock(folio)) return false;
  if (folio_test_swapcache(folio)) folio_free_swap(folio);
  if (folio_ref_count(folio) !== 1) {
    folio_unlock(folio);
    return false;
  }
  /* Ok, we've got the only folio reference from our mapping and the folio is locked. */
  folio_move_anon_rmap(folio, mm);
  folio_unlock(folio);
  return true;
}

/*
 * wp_page_copy(): a private copy of the shared page behind @orig_pte,
 * allocated with the PTL dropped; mapped writable and exclusive if the
 * PTE is unchanged meanwhile.  @old carries our reference.
 * Returns 1 written, 0 raced (retry), -ENOMEM.  Context: no PTL held.
 */
function wp_page_copy(mm: number, index: number, orig_pte: number, old: number, zero: boolean): number {
  point(P_WP_COPY_UNLOCKED);
  const copy = folio_alloc(0, 0);
  if (copy < 0) {
    folio_put(old);
    return -ENOMEM;
  }
  mem_cgroup_charge(copy, mm);
  set_page_token(copy, page_token(pte_pfn(orig_pte)));
  folio_set(copy, PG_uptodate | PG_dirty);
  pte_lock(mm, index);
  if (ptep_get(mm, index) !== orig_pte) {
    pte_unlock(mm, index);
    folio_put(copy);
    folio_put(old);
    return 0;
  }
  folio_add_new_anon_rmap(copy, mm, index, true);
  map_pages(mm, index, copy, 0, 1, true);
  folio_remove_rmap_ptes(old, pte_pfn(orig_pte), 1);
  folio_put(old); /* the old PTE's reference */
  write_page(mm, index, copy, zero);
  pte_unlock(mm, index);
  folio_put(copy);
  folio_put(old);
  return 1;
}

/*
 * wp_page_reuse(): the page behind @orig_pte is @mm's alone: make the PTE
 * writable and write.  An anonymous page mapped writable must be
 * exclusive (the kernel's VM_BUG_ON(folio_test_anon(folio) &&
 * !PageAnonExclusive(vmf->page))): a shared one is copied instead.
 * Context: entered with the PTL held; returns with it released.
 */
function wp_page_reuse(mm: number, index: number, orig_pte: number, zero: boolean): void {
  const page = pte_pfn(orig_pte);
  if (!PageAnonExclusive(page)) {
    report('bug', `wp_page_reuse: VM_BUG_ON(folio_test_anon(folio) && !PageAnonExclusive(page)): mm ${mm} page ${index} reuses page ${page}, which is not exclusive`, [mm, index, page]);
  }
  set_pte(mm, index, pte_mkwrite(orig_pte));
  write_page(mm, index, page, zero);
  pte_unlock(mm, index);
}

/*
 * do_wp_page(): a write to the present, write-protected PTE @orig_pte: an
 * exclusive page, or one wp_can_reuse_anon_folio() says nobody else holds,
 * becomes writable in place; a shared one is copied.
 * Returns 1 written, 0 raced (retry), -ENOMEM.
 * Context: entered with the PTL held; returns with it released.
 */
function do_wp_page(mm: number, index: number, orig_pte: number, zero: boolean): number {
  const page = pte_pfn(orig_pte);
  const folio = page_folio(page);
  if (PageAnonExclusive(page) || wp_can_reuse_anon_folio(folio, mm)) {
    if (!PageAnonExclusive(page)) SetPageAnonExclusive(page); /* reused: exclusive to @mm now */
    wp_page_reuse(mm, index, orig_pte, zero);
    return 1;
  }
  folio_get(folio);
  pte_unlock(mm, index);
  return wp_page_copy(mm, index, orig_pte, folio, zero);
}

/* ---- swap-in ---- */

/*
 * thp_swapin_suitable_orders(): the orders a swap-in of @entry at @index may
 * allocate: only for a SWP_SYNCHRONOUS_IO device (others read through
 * readahead, order 0), only while zswap was never on (a large folio's
 * slots could be partly in zswap), and only orders whose aligned PTE range
 * is a batch of contiguous swap PTEs with the same exclusivity
 * (swap_pte_batch), aligned as they were swapped out, of one zero state
 * (swap_zeromap_batch) and none cached (non_swapcache_batch).
 * Only the orders below PMD_ORDER, as alloc_swap_folio()'s
 * thp_vma_allowable_orders(..., BIT(PMD_ORDER) - 1): a PMD-size THP
 * swapped out whole comes back as smaller folios.
 * Bit 0 (order 0) is always set.  Context: lockless look; re-checked later.
 */
function thp_swapin_suitable_orders(mm: number, index: number, orig_pte: number, maxOrder: number): number {
  const entry = pte_to_swp_entry(orig_pte);
  let orders = 1;
  if (!(si_flags(swp_type(entry)) & SWP_SYNCHRONOUS_IO) || !zswap_never_enabled()) return orders;
  for (let order = 1; order <= Math.min(maxOrder, PMD_ORDER - 1); order++) {
    const nr = 1 << order;
    const base = index - (index % nr);
    if (base + nr > mm_pages() || index % nr !== swp_offset(entry) % nr) continue;
    const first = pte_next_swp_offset(orig_pte, base - index);
    if (swp_offset(pte_to_swp_entry(first)) === 0 || Math.floor(swp_offset(pte_to_swp_entry(first)) / SWAPFILE_CLUSTER) !== Math.floor((swp_offset(pte_to_swp_entry(first)) + nr - 1) / SWAPFILE_CLUSTER)) continue;
    let ok = true;
    for (let k = 0; ok && k < nr; k++) if (ptep_get(mm, base + k) !== pte_next_swp_offset(first, k)) ok = false;
    if (!ok || swap_zeromap_batch(pte_to_swp_entry(first), nr).n !== nr || non_swapcache_batch(pte_to_swp_entry(first), nr) !== nr) continue;
    orders |= 1 << order;
  }
  return orders;
}

/*
 * check_swap_exclusive(): an exclusive swap PTE is the slot's only
 * reference: the kernel's VM_WARN_ON_ONCE_FOLIO(__swap_count(entry) != 1).
 * Context: PTL and folio lock held: the counts are stable.
 */
function check_swap_exclusive(entry: number, nr: number): void {
  const ci = swap_cluster_lock(swp_type(entry), swp_offset(entry));
  const start = swp_offset(entry) % SWAPFILE_CLUSTER;
  for (let k = 0; k < nr; k++) {
    const c = __swap_count_exact(ci, start + k);
    if (c !== 1) report('swap-count', `do_swap_page: VM_WARN_ON_ONCE(__swap_count(entry) != 1): exclusive swap PTE for ${entry + k} but the slot counts ${c}`, [entry + k, c]);
  }
  swap_cluster_unlock(ci);
}

/*
 * should_try_to_free_swap(): after the swap-in, drop the swap cache if
 * the device is SWP_SYNCHRONOUS_IO (fast: release the slot at once), swap
 * is full (mem_cgroup_swap_full: the model's memcgs have no swap limit, so
 * vm_swap_full), or a write fault is likely the only user (refcount: our
 * lookup, the @mapped PTEs just set, the swap cache's).
 */
function should_try_to_free_swap(type: number, folio: number, mapped: number, write: boolean): boolean {
  if (!folio_test_swapcache(folio)) return false;
  if (si_flags(type) & SWP_SYNCHRONOUS_IO) return true;
  if (vm_swap_full()) return true;
  return write && folio_ref_count(folio) === 1 + mapped + folio_nr_pages(folio);
}

/*
 * The PTE batch a swap-in maps: the whole large folio when the PTEs around
 * @index are its slots in order, same exclusivity (swap_pte_batch), within
 * the mapping and one page table; else the one page.
 * Context: PTL held.
 */
function swapin_batch(mm: number, index: number, orig_pte: number, folio: number): { base: number; idx: number; nr: number } {
  const nr = folio_nr_pages(folio);
  const idx = pte_to_swp_entry(orig_pte) - folio_swap(folio);
  const base = index - idx;
  if (nr === 1 || base < 0 || base + nr > mm_pages() || base % SWAPFILE_CLUSTER + nr > SWAPFILE_CLUSTER) return { base: index, idx, nr: 1 };
  const first = pte_next_swp_offset(orig_pte, -idx);
  for (let k = 0; k < nr; k++) if (ptep_get(mm, base + k) !== pte_next_swp_offset(first, k)) return { base: index, idx, nr: 1 };
  return { base, idx: 0, nr };
}

/* do_swap_page_skip_swapcache() did not apply: take the swap cache path. */
const SKIP_SWAPCACHE_NOT_TAKEN = 1;
const P_SKIP_SWAPCACHE_READ = pointId('do_swap_page:skip_swapcache_read');

/*
 * The swap cache bypass do_swap_page() had for SWP_SYNCHRONOUS_IO devices
 * (0bcac06f27d7 "mm, swap: skip swapcache for swapin of synchronous
 * device") until the swap table series removed it: a slot only this PTE
 * references (__swap_count() == 1) is read into a private folio, never
 * added to the swap cache, then mapped if pte_same() and the slot freed.
 * Only bug switch swapin-skip-swapcache takes it, and without the pin
 * 13ddaf26be32 added (swapcache_prepare(), cleared after the PTL is
 * dropped): two faults of one entry both read it, the first to finish
 * frees the slot, which a swap-out may reuse before the other's
 * pte_same() - which then passes on a PTE that names a new page.
 * Returns 0 (done or raced), -ENOMEM, or SKIP_SWAPCACHE_NOT_TAKEN.
 * Context: process context, no locks held, device pinned; sleeps.
 */
function do_swap_page_skip_swapcache(mm: number, index: number, orig_pte: number): number {
  const entry = pte_to_swp_entry(orig_pte);
  if (swp_swapcount(entry) !== 1) return SKIP_SWAPCACHE_NOT_TAKEN;
  const folio = folio_alloc(0, 0);
  if (folio < 0) return -ENOMEM;
  mem_cgroup_charge(folio, mm);
  __folio_set_locked(folio);
  folio_set(folio, PG_swapbacked);
  folio_set_swap(folio, entry);
  swap_read_folio(folio); /* synchronous: done, unlocked */
  point(P_SKIP_SWAPCACHE_READ);
  pte_lock(mm, index);
  if (ptep_get(mm, index) !== orig_pte || !folio_test_uptodate(folio)) {
    pte_unlock(mm, index);
    folio_set_swap(folio, -1);
    folio_put(folio);
    return 0;
  }
  folio_set_swap(folio, -1);
  folio_add_new_anon_rmap(folio, mm, index, true);
  map_pages(mm, index, folio, 0, 1, true);
  swap_put_entries_direct(entry, 1); /* swap_free(): the slot is free for any swap-out now */
  check_data(mm, index, folio);
  pte_unlock(mm, index);
  folio_put(folio);
  return 0;
}

/**
 * do_swap_page(): fault in the swap PTE @orig_pte at @index.
 *
 * The device is pinned with get_swap_device() for the whole fault (bug
 * switch swapoff-vs-swapin skips the pin).  After locking the folio it must
 * still match the entry; after taking the PTL the PTE must be unchanged
 * (swapoff, or swapoff + swapon of the same type, may have rewritten it;
 * bug switch swapin-no-pte-recheck skips that check).  The swap cache
 * folio is mapped - writable and exclusive only if the swap PTE was
 * exclusive (or nothing else holds the folio) - and the swap count put,
 * under the PTL and the folio lock.  A write to a page mapped read-only
 * here then faults again into do_wp_page(), as the kernel does.
 *
 * Returns 0 (done or raced: the caller retries), or -ENOMEM.
 * Context: process context, no locks held; sleeps.
 */
export function do_swap_page(mm: number, index: number, orig_pte: number, write: boolean, maxOrder: number): number {
  const entry = pte_to_swp_entry(orig_pte);
  const unpinned = bug_on(BUG_SWAPOFF_VS_SWAPIN);
  const type = unpinned ? swp_type(entry) : get_swap_device(entry);
  if (type < 0) return 0;
  const done = (ret: number): number => {
    if (!unpinned) put_swap_device(type);
    return ret;
  };
  let folio = swap_cache_get_folio(entry);
  if (folio < 0 && si_flags(type) & SWP_SYNCHRONOUS_IO && bug_on(BUG_SWAPIN_SKIP_SWAPCACHE)) {
    const r = do_swap_page_skip_swapcache(mm, index, orig_pte);
    if (r !== SKIP_SWAPCACHE_NOT_TAKEN) return done(r);
  }
  if (folio >= 0) swap_update_readahead(folio, mm, index);
  else {
    point(P_SWAPIN_UNLOCKED);
    /* A SWP_SYNCHRONOUS_IO device is read directly (maybe a large folio), any other with its neighbours. */
    folio = si_flags(type) & SWP_SYNCHRONOUS_IO
      ? swapin_entry(entry, thp_swapin_suitable_orders(mm, index, orig_pte, maxOrder), mm_memcg(mm))
      : swapin_readahead(entry, mm, index);
    if (folio < 0) {
      pte_lock(mm, index);
      const oom = ptep_get(mm, index) === orig_pte && folio !== -2; /* -ENOENT: freed meanwhile */
      pte_unlock(mm, index);
      return done(oom ? -ENOMEM : 0);
    }
  }
  folio_lock(folio);
  const out = (ret: number): number => {
    folio_unlock(folio);
    folio_put(folio);
    return done(ret);
  };
  if (!folio_matches_swap_entry(folio, entry)) return out(0); /* dropped from the cache or moved: retry */
  pte_lock(mm, index);
  if (!bug_on(BUG_SWAPIN_NO_PTE_RECHECK) && ptep_get(mm, index) !== orig_pte) {
    pte_unlock(mm, index);
    return out(0);
  }
  if (!folio_test_uptodate(folio)) {
    report('data', `do_swap_page: folio ${folio} for entry ${entry} not uptodate (SIGBUS)`, [folio, entry]);
    pte_unlock(mm, index);
    return out(0);
  }
  const b = swapin_batch(mm, index, orig_pte, folio);
  const page = folio + (entry - folio_swap(folio));
  if (PageAnonExclusive(page)) {
    report('swap-cache', `do_swap_page: BUG_ON(PageAnonExclusive(page)): swap PTE for ${entry} at mm ${mm} page ${index}, but page ${page} of the swap cache folio is exclusive to a mapping`, [folio, entry]);
  }
  const exclusive = pte_swp_exclusive(orig_pte);
  const first = b.nr === 1 ? entry : folio_swap(folio);
  if (exclusive) check_swap_exclusive(first, b.nr);
  const own = exclusive || folio_ref_count(folio) === 1;
  if (folio_anon_vma(folio) < 0) folio_add_new_anon_rmap(folio, mm, index - (entry - folio_swap(folio)), own);
  map_pages(mm, b.base, folio, b.nr === 1 ? entry - folio_swap(folio) : 0, b.nr, own);
  /* VM_BUG_ON(!folio_test_anon(folio) || (pte_write(pte) && !PageAnonExclusive(page))) */
  if (pte_write(ptep_get(mm, index)) && !PageAnonExclusive(page)) {
    report('bug', `do_swap_page: VM_BUG_ON(pte_write(pte) && !PageAnonExclusive(page)): mm ${mm} page ${index} maps page ${page} writable, not exclusive`, [mm, index, page]);
  }
  folio_put_swap(folio, b.nr === 1 ? entry - folio_swap(folio) : -1);
  for (let k = 0; k < b.nr; k++) check_data(mm, b.base + k, (b.nr === 1 ? page : folio + k));
  pte_unlock(mm, index);
  /* After mapping, so raced faults find the folio in the swap cache and wait on its lock. */
  if (should_try_to_free_swap(type, folio, b.nr, write)) folio_free_swap(folio);
  return out(0);
}

/*
 * Faults in a row whose re-check failed (the PTE, the swap cache folio or
 * the device changed under them) before one access is declared stuck.
 * The kernel has no bound: the access faults again for ever, and what
 * notices is the soft-lockup watchdog.  A re-check fails because another
 * task changed something, and the next attempt sees the change; a fault
 * that retries this often is one that can never finish (a re-check that
 * always fails): a progress violation, not an access that quietly did
 * nothing.  The most retries in a row seen in clean runs were 3 (stress
 * on every design with 2 to 8 CPUs, fuzz, repro all --fixed, explore of
 * every interleaving at two preemptions).  Not a border: one retry more
 * or less changes nothing.
 */
const FAULT_RETRIES = 256;

/*
 * Set by the access a fault completes (the read's check_data() or the
 * write's write_page() through a present PTE): what handle_mm_fault()'s
 * success means.  This thread's fault in progress only (a fault is one
 * synchronous call on its CPU's thread, and none nests in another).
 */
let fault_accessed = false;

/**
 * handle_mm_fault(): touch page @index of @mm (read, or write a new token;
 * @zero writes a zero-filled page).  Verifies the content on read.  A
 * fault that raced is retried, as the access would fault again; one that
 * never completes is reported (progress), and so is a success without
 * the access: the user's load or store would have been lost (the kernel
 * returns to the instruction, which faults again until it is done).
 * Returns 0 or -ENOMEM.  Context: process context, no locks held.
 */
export function handle_mm_fault(mm: number, index: number, write: boolean, zero = false, maxOrder = ANON_FAULT_MAX_ORDER): number {
  fault_accessed = false;
  const r = __handle_mm_fault(mm, index, write, zero, maxOrder);
  if (r === 0 && !fault_accessed) {
    report('progress', `handle_mm_fault: a ${write ? 'write' : 'read'} of mm ${mm} page ${index} returned success without the access done (PTE ${ptep_get(mm, index)}): the load or store is lost`, [mm, index]);
  }
  return r;
}

/* handle_mm_fault()'s retry loop.  Context: process context, no locks held. */
function __handle_mm_fault(mm: number, index: number, write: boolean, zero: boolean, maxOrder: number): number {
  point(P_FAULT);
  for (let tries = 0; tries < FAULT_RETRIES; tries++) {
    const pte = ptep_get(mm, index);
    if (pte_none(pte)) {
      const r = do_anonymous_page(mm, index, maxOrder);
      if (r === -ENOMEM) return r;
      continue;
    }
    if (is_swap_pte(pte)) {
      const r = do_swap_page(mm, index, pte, write, maxOrder);
      if (r) return r;
      continue;
    }
    pte_lock(mm, index);
    if (ptep_get(mm, index) !== pte) {
      pte_unlock(mm, index);
      continue;
    }
    if (!write) {
      check_data(mm, index, pte_pfn(pte));
      fault_accessed = true;
      pte_unlock(mm, index);
      return 0;
    }
    if (pte_write(pte)) {
      write_page(mm, index, pte_pfn(pte), zero);
      pte_unlock(mm, index);
      return 0;
    }
    const r = do_wp_page(mm, index, pte, zero);
    if (r !== 0) return r < 0 ? r : 0;
  }
  const pte = ptep_get(mm, index);
  fault_accessed = true; /* reported here, not again by the caller */
  report('progress', `handle_mm_fault: a ${write ? 'write' : 'read'} of mm ${mm} page ${index} faulted ${FAULT_RETRIES} times without completing (PTE ${pte}): a re-check that never passes - the kernel would re-fault for ever (soft lockup)`, [mm, index, pte]);
  return 0;
}

/* ---- fork ---- */

/*
 * copy_present_pte(): the child maps the parent's page too: no longer
 * exclusive (folio_try_dup_anon_rmap_ptes), write-protected in both.
 * Context: both PTLs held.
 */
function copy_present_pte(parent: number, child: number, index: number, pte: number): void {
  const page = pte_pfn(pte);
  const folio = page_folio(page);
  folio_try_dup_anon_rmap_ptes(folio, page, 1);
  folio_get(folio);
  if (pte_write(pte)) set_pte(parent, index, pte_wrprotect(pte));
  set_pte(child, index, pte_wrprotect(pte));
  set_expected(child, index, expected_token(parent, index));
}

/*
 * copy_nonpresent_pte(): the child shares the swap entry: one more
 * reference; neither PTE is exclusive any more.  0, or the count path's
 * -errno (-ENOMEM: the extend table needs a sleeping allocation).
 * Context: both PTLs held.
 */
function copy_nonpresent_pte(parent: number, child: number, index: number, pte: number): number {
  const err = swap_dup_entry_direct(pte_to_swp_entry(pte));
  if (err) return err;
  if (pte_swp_exclusive(pte)) set_pte(parent, index, pte_swp_clear_exclusive(pte));
  set_pte(child, index, pte_swp_clear_exclusive(pte));
  set_expected(child, index, expected_token(parent, index));
  return 0;
}

/**
 * copy_mm(): fork.  The child is linked to the parent's anon_vmas (anon_vma_fork)
 * before any PTE is copied, so a reverse-map walk finds it; then page table
 * by page table, as copy_pte_range() does, with the parent's PTL held and
 * the child's nested under it.  An -ENOMEM from the count path drops both
 * locks, allocates with swap_retry_table_alloc() and resumes at that PTE,
 * as copy_pte_range does after -EIO.
 * Returns the child mm or -ENOMEM.  Context: process context.
 */
export function copy_mm(parent: number): number {
  const child = mm_alloc(mm_memcg(parent));
  if (child < 0) return child;
  anon_vma_fork(child, parent);
  let index = 0;
  while (index < mm_pages()) {
    const table = index;
    const end = pte_table_end(index);
    let retryEntry = -1;
    pte_lock(parent, table);
    pte_lock_nested(child, table);
    for (; index < end; index++) {
      const pte = ptep_get(parent, index);
      if (pte_present(pte)) {
        copy_present_pte(parent, child, index, pte);
      } else if (is_swap_pte(pte)) {
        const err = copy_nonpresent_pte(parent, child, index, pte);
        if (err === -ENOMEM) {
          retryEntry = pte_to_swp_entry(pte);
          break;
        }
        if (err) report('swap-count', `fork: swap_dup_entry_direct(${pte_to_swp_entry(pte)}) = ${err}`, [parent, index, err]);
      }
    }
    pte_unlock(child, table);
    pte_unlock(parent, table);
    if (retryEntry >= 0 && swap_retry_table_alloc(retryEntry) < 0) {
      mmput(child);
      return -ENOMEM;
    }
  }
  return child;
}

/* ---- unmapping ---- */

/**
 * exit_mmap(): unmap everything (zap_page_range over the whole VMA), then
 * the mm is gone.  Called by the last mmput().  Context: process context.
 */
export function exit_mmap(mm: number): void {
  zap_page_range(mm, 0, mm_pages());
  A.i32[mmw(mm, MM.state)] = MM_FREE;
}

/**
 * zap_page_range(): unmap pages [@start, @start + @nr) of @mm, page table
 * by page table under its PTL (zap_pte_range()): present pages leave the
 * folio's rmap and go to the TLB gather, runs of swap PTEs that
 * swap_pte_batch() would batch are put in one call.  What exit_mmap() and
 * madvise(MADV_DONTNEED) do; a sibling thread's fault in the range
 * meanwhile finds its PTE changed (or none: a fresh zero page).
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
        if (PageAnonExclusive(pte_pfn(pte))) ClearPageAnonExclusive(pte_pfn(pte));
        folio_remove_rmap_ptes(folio, pte_pfn(pte), 1);
        gather.push(folio); /* tlb_remove_page(): the reference goes after the flush */
      } else if (is_swap_pte(pte)) {
        const entry = pte_to_swp_entry(pte);
        let n = 1;
        /* swap_pte_batch(): consecutive offsets, one type, one exclusivity - across a cluster border too (swap_put_entries_direct() puts cluster by cluster) */
        while (index + n < end && ptep_get(mm, index + n) === pte_next_swp_offset(pte, n)) n++;
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
 * Context: process context, no PTL held; each PTE's reference is dropped
 * here.
 */
function free_pages_and_swap_cache(folios: readonly number[]): void {
  for (const folio of folios) {
    if (folio_test_swapcache(folio) && !folio_mapped(folio) && folio_trylock(folio)) {
      folio_free_swap(folio);
      folio_unlock(folio);
    }
    folio_put(folio);
  }
}
