/*
 * mm/vmscan.c, the anon path of shrink_folio_list and __remove_mapping.
 * (The unmap from every process is mm/rmap.ts's try_to_unmap.)
 *
 * Kernel mapping: reclaim_pages (MADV_PAGEOUT), shrink_folio_list,
 * try_to_unmap, pageout -> swap_writeout, __remove_mapping
 * (folio_ref_freeze, __swap_cache_del_folio with the shadow).
 */
import { A } from '../shm/arena.js';
import { FOLIO } from '../shm/layout.js';
import {
  folio_nr_pages, folio_put, folio_ref_freeze, folio_test_writeback, folio_ref_unfreeze, folio_swap, folio_test_dirty, folio_test_swapcache,
  folio_trylock, folio_try_get, folio_unlock, free_folio, fw, page_folio, folio_set, PG_dirty,
  nr_frames, PG_head, PG_swapcache,
} from './page_alloc.js';
import { prandom_u32 } from '../shm/task.js';
import { folio_alloc_swap } from './swapfile.js';
import { __swap_cache_del_folio } from './swap_state.js';
import { AOP_WRITEPAGE_ACTIVATE, swap_writeout, WRITEOUT_DROPPED } from './page_io.js';
import { folio_mapped, try_to_unmap } from './rmap.js';
import { pte_pfn, pte_present, ptep_get } from './pgtable.js';
import { split_folio } from './huge_memory.js';
import { count_vm_events, THP_SWPOUT_FALLBACK } from './vmstat.js';
import { swap_cluster_lock, swap_cluster_unlock, swp_offset, swp_type } from './swap.js';
import { nr_swap_pages } from './swap_device.js';

/*
 * __remove_mapping(): free a clean, unmapped swap cache folio, leaving
 * shadows.  The refcount must be exactly ours + the swap cache's:
 * folio_ref_freeze() makes lockless swap cache readers' folio_try_get()
 * fail from here on.  Context: folio locked, isolated (we hold one ref).
 */
export function __remove_mapping(folio: number): boolean {
  const entry = folio_swap(folio);
  const nr = folio_nr_pages(folio);
  const ci = swap_cluster_lock(swp_type(entry), swp_offset(entry));
  if (!folio_ref_freeze(folio, 1 + nr)) {
    swap_cluster_unlock(ci);
    return false;
  }
  if (folio_test_dirty(folio)) {
    folio_ref_unfreeze(folio, 1 + nr);
    swap_cluster_unlock(ci);
    return false;
  }
  __swap_cache_del_folio(ci, folio, true, true);
  swap_cluster_unlock(ci);
  folio_unlock(folio);
  free_folio(folio);
  return true;
}

/*
 * A large folio got no swap entries of its order: split it and swap out
 * its first page; the others, unlocked order-0 folios now, are reclaimed
 * as their own pages come up (shrink_folio_list puts them on its list).
 * True when the first page got an entry.  Context: folio locked, one
 * reference held, not in the swap cache.
 */
function swap_out_fallback(folio: number): boolean {
  const nr = folio_nr_pages(folio);
  if (nr === 1 || split_folio(folio) !== 0) return false;
  count_vm_events(THP_SWPOUT_FALLBACK, 1);
  return folio_alloc_swap(folio) === 0;
}

/**
 * shrink_folio(): reclaim one isolated, locked folio (the anon path of
 * shrink_folio_list).  Returns the number of pages freed: 0 when it was
 * kept, 1 when a large folio was split and its first page freed.  Unlocks
 * the folio and drops the isolation reference in every case.
 * Context: process context, may sleep.
 */
export function shrink_folio(folio: number): number {
  const keep = (): number => {
    folio_unlock(folio);
    folio_put(folio);
    return 0;
  };
  /* Under writeback: its write is in flight; it is freed once it completes (shrink_folio_list's case 2: keep it). */
  if (folio_test_writeback(folio)) return keep();
  if (!folio_test_swapcache(folio)) {
    if (folio_alloc_swap(folio) !== 0 && !swap_out_fallback(folio)) return keep(); /* activate */
    folio_set(folio, PG_dirty);
  }
  if (!try_to_unmap(folio)) return keep();
  if (folio_test_dirty(folio)) {
    const ret = swap_writeout(folio);
    /* AOP_WRITEPAGE_ACTIVATE: nowhere to write it (a ghost device without zswap room), it stays dirty in the swap cache, locked. */
    if (ret === AOP_WRITEPAGE_ACTIVATE) return keep();
    /* pageout() returned with the folio unlocked.  WRITEOUT_DROPPED: a stale swap cache was freed, the folio is just anon memory again. */
    if (ret === WRITEOUT_DROPPED || folio_test_writeback(folio) || folio_test_dirty(folio)) {
      folio_put(folio);
      return 0;
    }
    /* "A synchronous write - probably a ramdisk.  Go ahead and try to reclaim the folio." */
    if (!folio_trylock(folio)) {
      folio_put(folio);
      return 0;
    }
    if (folio_test_dirty(folio) || folio_test_writeback(folio) || !folio_test_swapcache(folio)) return keep();
  }
  const nr = folio_nr_pages(folio);
  if (__remove_mapping(folio)) return nr;
  return keep();
}

/**
 * reclaim_pages(): MADV_PAGEOUT-like reclaim of [index, index + nr) of @mm.
 * Returns the number of pages freed.  Context: process context.
 */
export function reclaim_pages(mm: number, index: number, nr: number): number {
  let freed = 0;
  for (let i = index; i < index + nr; i++) {
    const pte = ptep_get(mm, i);
    if (!pte_present(pte)) continue;
    const folio = page_folio(pte_pfn(pte));
    if (!folio_try_get(folio)) continue;
    if (page_folio(pte_pfn(pte)) !== folio || !folio_trylock(folio)) {
      folio_put(folio);
      continue;
    }
    freed += shrink_folio(folio);
  }
  return freed;
}

/*
 * folio_on_lru(): the model's LRU membership.  A folio joins the LRU once
 * it is mapped (folio_add_lru_vma after set_pte) and stays while it is
 * mapped or in the swap cache.  Context: caller holds a reference.
 */
function folio_on_lru(folio: number): boolean {
  const flags = A.i32[fw(folio, FOLIO.flags)];
  if (!(flags & PG_head)) return false;
  return folio_mapped(folio) || (flags & PG_swapcache) !== 0;
}

/*
 * can_reclaim_anon_pages(): is there space in any swap device?  The
 * model's reclaim is global (no memcg has a swap limit) and has no
 * demotion target, so that is the whole question.  Without a free swap
 * slot the kernel does not scan the anon LRU at all - get_scan_count()
 * goes SCAN_FILE, MGLRU's get_swappiness() is 0 - so not even a clean
 * swap cache folio is reclaimed: a swapoff of the last device with room
 * (which takes all its pages out of nr_swap_pages) cannot have what it
 * just swapped in reclaimed back onto that device.  Under vswap
 * nr_swap_pages counts the virtual space.  Context: any; a racy read,
 * as the kernel's get_nr_swap_pages().
 */
export function can_reclaim_anon_pages(): boolean {
  return nr_swap_pages() > 0;
}

/**
 * try_to_free_pages(): direct reclaim after an allocation failed.  Scans
 * up to @scan frames from a random start - the model's stand-in for the
 * inactive anon list - and shrinks what it can isolate, whatever process
 * maps it (reclaim crosses process and CPU boundaries, as in the kernel).
 * Every folio the model has is anon: with no swap space left there is
 * nothing it may reclaim (can_reclaim_anon_pages()).
 * Returns the pages freed.
 * Context: process context, no locks held; may sleep.
 */
export function try_to_free_pages(nr_to_reclaim: number, scan = 4 * nr_to_reclaim): number {
  if (!can_reclaim_anon_pages()) return 0;
  const n = nr_frames();
  let pfn = prandom_u32() % n;
  let freed = 0;
  for (let k = 0; k < scan && freed < nr_to_reclaim; k++, pfn = (pfn + 1) % n) {
    if (!(A.i32[fw(pfn, FOLIO.flags)] & PG_head) || !folio_try_get(pfn)) continue;
    /* Pinned: it cannot be freed now; is it (still) an LRU folio? */
    if (!folio_on_lru(pfn) || !folio_trylock(pfn)) {
      folio_put(pfn);
      continue;
    }
    if (!folio_on_lru(pfn)) {
      folio_unlock(pfn);
      folio_put(pfn);
      continue;
    }
    freed += shrink_folio(pfn);
  }
  return freed;
}
