/*
 * mm/huge_memory.c, the part swap-out needs: split_folio().
 *
 * shrink_folio_list() falls back to order-0 swap-out when a large folio
 * gets no swap entries of its order (no free cluster and none of that
 * order with room left): it splits the folio and swaps its pages out one
 * by one (THP_SWPOUT_FALLBACK).
 *
 * The model splits a folio mapped by at most one process (a folio several
 * processes map after fork is left whole: -EAGAIN, as a split the kernel
 * could not unmap everywhere): it rewrites the frames' folio words under
 * that process's page table lock with the refcount frozen, so a lockless
 * folio_try_get() of the old folio fails meanwhile and page_folio() of a
 * page names its own folio afterwards.  Nobody else can map the folio
 * while that PTL is held: a new mapping comes from a fork of a mapping
 * process, which copies under its PTL.
 *
 * Kernel mapping: split_folio() / split_huge_page_to_list_to_order() to
 * order 0, can_split_folio().
 */
import { EAGAIN } from '../include/errno.js';
import { A } from '../shm/arena.js';
import { FOLIO } from '../shm/layout.js';
import { fw, folio_order, folio_put, folio_ref_freeze, folio_test_swapcache, PG_anon_exclusive, PG_head, PG_locked, PG_tail } from './page_alloc.js';
import { folio_anon_vma, folio_index, folio_mapcount, folio_mapcount_in, folio_single_mm } from './rmap.js';
import { pte_lock, pte_pfn, pte_present, pte_unlock, ptep_get } from './pgtable.js';
import { lockdep_assert_held } from '../sync/lockdep.js';
import { report } from '../shm/report.js';

/**
 * split_folio(): split the large anon folio @folio into order-0 folios.
 * The first stays locked with the caller's reference; the others come out
 * unlocked, each holding one reference per PTE that maps it, and a page
 * no PTE maps (a large folio partly zapped, MADV_DONTNEED) is freed, as
 * __split_huge_page()'s free_page_and_swap_cache() of each tail does.
 * Returns 0, or -EAGAIN when someone else holds a reference
 * (can_split_folio()).
 *
 * Context: caller holds the folio lock and one reference; the folio is
 * not in the swap cache.  Takes the folio's PTL.
 */
export function split_folio(folio: number): number {
  const i32 = A.i32;
  const order = folio_order(folio);
  if (order === 0) return 0;
  lockdep_assert_held(fw(folio, FOLIO.flags), 'folio lock');
  if (folio_test_swapcache(folio)) {
    report('swap-cache', `split_folio of folio ${folio} in the swap cache`, [folio]);
    return -EAGAIN;
  }
  const nr = 1 << order;
  const mm = folio_single_mm(folio);
  if (mm === -2) return -EAGAIN;
  const base = folio_index(folio);
  if (mm >= 0) pte_lock(mm, base);
  /* can_split_folio(): the one process's mappings and the caller's reference, nothing else. */
  if ((mm >= 0 ? folio_mapcount_in(folio, mm) : 0) !== folio_mapcount(folio) || !folio_ref_freeze(folio, folio_mapcount(folio) + 1)) {
    if (mm >= 0) pte_unlock(mm, base);
    return -EAGAIN;
  }
  const anon_vma = folio_anon_vma(folio);
  const flags = i32[fw(folio, FOLIO.flags)] & ~PG_tail;
  const memcg = i32[fw(folio, FOLIO.memcg)];
  const seq = i32[fw(folio, FOLIO.charge_seq)];
  /* Tails first, the head last: its unfreeze publishes the split. */
  for (let j = nr - 1; j >= 0; j--) {
    const p = folio + j;
    const pte = mm >= 0 ? ptep_get(mm, base + j) : 0;
    const mapped = pte_present(pte) && pte_pfn(pte) === p ? 1 : 0;
    i32[fw(p, FOLIO.order)] = 0;
    i32[fw(p, FOLIO.mapcount)] = mapped;
    i32[fw(p, FOLIO.swap_type)] = 0;
    i32[fw(p, FOLIO.swap_offset)] = 0;
    i32[fw(p, FOLIO.memcg)] = memcg;
    i32[fw(p, FOLIO.charge_seq)] = seq;
    i32[fw(p, FOLIO.anon_vma)] = anon_vma;
    i32[fw(p, FOLIO.index)] = base + j;
    i32[fw(p, FOLIO.flags)] = ((j === 0 ? flags : flags & ~PG_locked) & ~PG_anon_exclusive) | (i32[fw(p, FOLIO.flags)] & PG_anon_exclusive) | PG_head;
    i32[fw(p, FOLIO.head)] = p;
    /* The caller's reference stays with the first page; each other one gets a reference of ours, dropped below. */
    i32[fw(p, FOLIO.refcount)] = mapped + 1;
  }
  if (mm >= 0) pte_unlock(mm, base);
  for (let j = 1; j < nr; j++) folio_put(folio + j); /* the last reference of an unmapped page frees it */
  return 0;
}
