/*
 * mm/rmap.c, for anonymous folios: the anon_vma a fork family shares, the
 * mapcount and PageAnonExclusive bookkeeping of mapping and unmapping
 * pages (folio_add_new_anon_rmap, folio_add_anon_rmap_ptes,
 * folio_remove_rmap_ptes, folio_try_dup_anon_rmap_ptes), and the reverse
 * map walk that unmaps a folio from every process (try_to_unmap).
 *
 * Each process has an anon_vma of its own (an id), and its one VMA is
 * linked to the anon_vmas of its ancestors too (the anon_vma_chain,
 * MM.av_chain: root first, own last): fork links the child to every
 * anon_vma of the parent's chain and gives it its own (anon_vma_fork).
 * A folio that belongs to one process alone - a fault's new folio, a COW
 * copy, an exclusive swap-in - goes to that process's own anon_vma; one
 * that may be shared (a swap-in of a swap entry forked processes share)
 * goes to the root (__folio_set_anon()'s "the _oldest_ possible
 * anon_vma").  The walk visits every live mm linked to the folio's
 * anon_vma - the process it went to and its descendants - and checks the
 * PTEs at the folio's index under that mm's PTL (page_vma_mapped_walk):
 * every process of the region maps it at the same virtual pages, so
 * folio->index names the page in each.  A mapping it cannot see - a fork
 * copying the parent's PTE after the walk visited the child - leaves the
 * folio mapped, which the caller checks (folio_mapped()), as in the
 * kernel.
 *
 * The chain holds AV_CHAIN_MAX anon_vmas: a process forked deeper shares
 * its parent's own anon_vma instead of getting one (the kernel's
 * anon_vma_clone() reuses one too, when its process is gone), so a walk
 * may visit more processes than the kernel's, never fewer.
 *
 * FOLIO.mapcount of the head counts the PTEs that map any page of the
 * folio (folio_mapcount()); each such PTE also holds a folio reference.
 */
import { A, gword } from '../shm/arena.js';
import { FOLIO, G, MM } from '../shm/layout.js';
import { lockdep_assert_held } from '../sync/lockdep.js';
import { fw, folio_assert_locked, folio_nr_pages, folio_put, folio_swap, PG_anon_exclusive } from './page_alloc.js';
import {
  mm_anon_vma, MM_LIVE, mmw, pte_lock, pte_pfn, pte_present, pte_swp_mkexclusive, pte_unlock, ptep_get, set_pte, swp_entry_to_pte,
} from './pgtable.js';
import { folio_dup_swap } from './swap_count.js';

/** Generations of anon_vmas a VMA is linked to, its own included (MM.av_chain). */
export const AV_CHAIN_MAX = 4;
if (MM.av_chain + AV_CHAIN_MAX > MM.SIZE) throw new Error('rmap: MM.av_chain overflows struct mm_struct');

/** anon_vma_alloc(): a new anon_vma's id.  Context: mm_lock held. */
export function anon_vma_alloc(): number {
  lockdep_assert_held(gword(G.mm_lock), 'mm_lock');
  return A.i32[gword(G.anon_vma_next)]++;
}

/**
 * anon_vma_prepare() of a new process: its own anon_vma, the root of its
 * chain.  Context: mm_lock held, @mm not yet visible to a walk.
 */
export function anon_vma_init(mm: number): void {
  const w = mmw(mm, 0);
  const av = anon_vma_alloc();
  A.i32.fill(0, w + MM.av_chain, w + MM.av_chain + AV_CHAIN_MAX);
  A.i32[w + MM.av_chain] = av + 1;
  A.i32[w + MM.anon_vma] = av;
}

/**
 * anon_vma_fork(): link @child's VMA to every anon_vma of @parent's chain
 * and make the child's own anon_vma (from anon_vma_init) the last link; a
 * chain already AV_CHAIN_MAX long is copied whole and the child shares
 * the parent's own anon_vma.  Before any PTE is copied, so a walk finds
 * the child.  Context: fork, @child new (no PTE yet).
 */
export function anon_vma_fork(child: number, parent: number): void {
  const i32 = A.i32;
  const cw = mmw(child, MM.av_chain);
  const pw = mmw(parent, MM.av_chain);
  let n = 0;
  while (n < AV_CHAIN_MAX && i32[pw + n] !== 0) {
    i32[cw + n] = i32[pw + n];
    n++;
  }
  if (n < AV_CHAIN_MAX) {
    i32[cw + n] = i32[mmw(child, MM.anon_vma)] + 1;
  } else {
    i32[mmw(child, MM.anon_vma)] = i32[mmw(parent, MM.anon_vma)];
  }
}

/* ---- PageAnonExclusive: per page ---- */

export function PageAnonExclusive(page: number): boolean {
  return (A.i32[fw(page, FOLIO.flags)] & PG_anon_exclusive) !== 0;
}
export function SetPageAnonExclusive(page: number): void {
  Atomics.or(A.i32, fw(page, FOLIO.flags), PG_anon_exclusive);
}
export function ClearPageAnonExclusive(page: number): void {
  Atomics.and(A.i32, fw(page, FOLIO.flags), ~PG_anon_exclusive);
}

/* ---- mapcount ---- */

/** folio_mapcount(): PTEs mapping any page of @folio. */
export function folio_mapcount(folio: number): number {
  return A.i32[fw(folio, FOLIO.mapcount)];
}
export function folio_mapped(folio: number): boolean {
  return folio_mapcount(folio) > 0;
}
/** The anon_vma @folio belongs to (folio->mapping), -1 for none. */
export function folio_anon_vma(folio: number): number {
  return A.i32[fw(folio, FOLIO.anon_vma)];
}
/**
 * folio_move_anon_rmap(): a folio that belongs to @mm alone after a COW
 * fault goes to @mm's own anon_vma, so the rmap walk need not search the
 * parent or siblings.
 * Context: folio locked (mm/rmap.c: VM_BUG_ON_FOLIO(!folio_test_locked(folio), folio)).
 */
export function folio_move_anon_rmap(folio: number, mm: number): void {
  folio_assert_locked(folio, 'folio_move_anon_rmap', 'VM_BUG_ON_FOLIO');
  Atomics.store(A.i32, fw(folio, FOLIO.anon_vma), mm_anon_vma(mm));
}
/** folio->index: the virtual page of its first page. */
export function folio_index(folio: number): number {
  return A.i32[fw(folio, FOLIO.index)];
}

/**
 * folio_add_new_anon_rmap(): @folio, new to any process (or not anon yet:
 * a swap-in's fresh folio), becomes an anon folio at virtual page @index:
 * of @mm's own anon_vma when @exclusive (RMAP_EXCLUSIVE: only @mm may map
 * it), else of its chain's root, which every process that may share it is
 * linked to (__folio_set_anon()).  The mapcount and exclusivity come with
 * the PTEs the caller sets (folio_add_anon_rmap_ptes).
 * Context: PTL held, or the folio not yet visible to anyone.
 */
export function folio_add_new_anon_rmap(folio: number, mm: number, index: number, exclusive: boolean): void {
  A.i32[fw(folio, FOLIO.anon_vma)] = exclusive ? mm_anon_vma(mm) : A.i32[mmw(mm, MM.av_chain)] - 1;
  A.i32[fw(folio, FOLIO.index)] = index;
}

/**
 * folio_add_anon_rmap_ptes(): @nr PTEs now map pages @page.. of @folio;
 * with @exclusive (RMAP_EXCLUSIVE) those pages are PageAnonExclusive.
 * Context: PTL held, folio locked or new.
 */
export function folio_add_anon_rmap_ptes(folio: number, page: number, nr: number, exclusive: boolean): void {
  Atomics.add(A.i32, fw(folio, FOLIO.mapcount), nr);
  if (exclusive) for (let k = 0; k < nr; k++) SetPageAnonExclusive(page + k);
}

/** folio_remove_rmap_ptes(): @nr PTEs no longer map pages @page.. of @folio.  Context: PTL held. */
export function folio_remove_rmap_ptes(folio: number, _page: number, nr: number): void {
  Atomics.sub(A.i32, fw(folio, FOLIO.mapcount), nr);
}

/**
 * folio_try_dup_anon_rmap_ptes(): fork shares pages @page.. of @folio with
 * the child: they are no longer exclusive to anyone, and map once more.
 * (The kernel refuses when the page may be pinned for DMA: the model has
 * no pins.)  Context: the parent's PTL held.
 */
export function folio_try_dup_anon_rmap_ptes(folio: number, page: number, nr: number): void {
  for (let k = 0; k < nr; k++) ClearPageAnonExclusive(page + k);
  Atomics.add(A.i32, fw(folio, FOLIO.mapcount), nr);
}

/* ---- the reverse map walk ---- */

/* Is the VMA at mm_struct word @w linked to anon_vma @av (its own, or one of its chain's)? */
function vma_linked(i32: Int32Array, w: number, av: number): boolean {
  if (i32[w + MM.anon_vma] === av) return true;
  for (let k = 0; k < AV_CHAIN_MAX; k++) if (i32[w + MM.av_chain + k] === av + 1) return true;
  return false;
}

/**
 * The live mms linked to @folio's anon_vma, whose PTEs may map it, one
 * call each (rmap_walk_anon over the anon_vma's interval tree of VMAs).
 * @fn (rwc->rmap_one) returns false to stop; so does @done (rwc->done),
 * asked after each call.  Context: folio locked.
 */
export function rmap_walk_anon(folio: number, fn: (mm: number) => boolean, done?: (folio: number) => boolean): void {
  const av = folio_anon_vma(folio);
  if (av < 0) return;
  /* The mm_structs read in place (the walk runs for every folio reclaim unmaps). */
  const i32 = A.i32;
  const n = A.L.config.nrMms;
  for (let mm = 0, w = A.L.mm; mm < n; mm++, w += MM.SIZE) {
    if (i32[w + MM.state] !== MM_LIVE || !vma_linked(i32, w, av)) continue;
    if (!fn(mm) || (done !== undefined && done(folio))) return;
  }
}

/*
 * folio_not_mapped(): try_to_unmap()'s rwc->done - no PTE maps @folio any
 * more, so the rest of the walk would find nothing to unmap.  Nothing can
 * map it again while the walk runs: a fork copies only a PTE that maps
 * it, and a swap-in maps it under the folio lock the caller holds.
 * Context: folio locked.
 */
function folio_not_mapped(folio: number): boolean {
  return !folio_mapped(folio);
}

/*
 * try_to_unmap_one(): replace @mm's PTEs of @folio with swap PTEs, raising
 * each slot's count; an exclusive page hands its exclusivity to the swap
 * PTE (pte_swp_mkexclusive) and stops being exclusive.  False when a
 * count could not be raised.  Context: folio locked, in the swap cache.
 */
function try_to_unmap_one(folio: number, mm: number): boolean {
  const base = folio_index(folio);
  const nr = folio_nr_pages(folio);
  const entry = folio_swap(folio);
  /*
   * page_vma_mapped_walk()'s map_pte(): the PTE is looked at before the
   * PTL is taken, and a process whose PTE is none or a swap PTE is passed
   * over unlocked (in a fork family most processes no longer map a given
   * folio: each took its own copy or swapped it in alone).  Reclaim
   * unmaps a large folio with TTU_SYNC (shrink_folio_list()), the PTL
   * taken from its first PTE: a PTE none for a moment under a racing
   * update must not leave the folio half unmapped.
   */
  if (nr === 1 && !pte_present(ptep_get(mm, base))) return true;
  pte_lock(mm, base);
  for (let k = 0; k < nr; k++) {
    const pte = ptep_get(mm, base + k);
    if (!pte_present(pte) || pte_pfn(pte) !== folio + k) continue;
    if (folio_dup_swap(folio, k) < 0) {
      pte_unlock(mm, base);
      return false;
    }
    const exclusive = PageAnonExclusive(folio + k);
    if (exclusive) ClearPageAnonExclusive(folio + k); /* folio_try_share_anon_rmap_pte() */
    set_pte(mm, base + k, exclusive ? pte_swp_mkexclusive(swp_entry_to_pte(entry + k)) : swp_entry_to_pte(entry + k));
    folio_remove_rmap_ptes(folio, folio + k, 1);
    folio_put(folio);
  }
  pte_unlock(mm, base);
  return true;
}

/**
 * try_to_unmap(): unmap @folio from every process of its family.  True
 * when it is no longer mapped (a fork the walk missed, or a count that
 * could not be raised, leaves it mapped: reclaim keeps it).
 * Context: folio locked, in the swap cache.
 */
export function try_to_unmap(folio: number): boolean {
  let ok = true;
  rmap_walk_anon(folio, (mm) => (ok = try_to_unmap_one(folio, mm)), folio_not_mapped);
  return ok && !folio_mapped(folio);
}

/**
 * The one mm whose PTEs map @folio: -1 when unmapped, -2 when more than one
 * does (a split must unmap them all first: the model does not split a
 * folio mapped by several processes).  Lockless: the caller re-checks
 * under the PTL.  Context: folio locked.
 */
export function folio_single_mm(folio: number): number {
  const base = folio_index(folio);
  const nr = folio_nr_pages(folio);
  let found = -1;
  rmap_walk_anon(folio, (mm) => {
    for (let k = 0; k < nr; k++) {
      const pte = ptep_get(mm, base + k);
      if (pte_present(pte) && pte_pfn(pte) === folio + k) {
        found = found === -1 ? mm : -2;
        break;
      }
    }
    return found !== -2;
  });
  return found;
}

/** The PTEs of @mm that map @folio.  Context: @mm's PTL held. */
export function folio_mapcount_in(folio: number, mm: number): number {
  const base = folio_index(folio);
  let n = 0;
  for (let k = 0; k < folio_nr_pages(folio); k++) {
    const pte = ptep_get(mm, base + k);
    if (pte_present(pte) && pte_pfn(pte) === folio + k) n++;
  }
  return n;
}
