/*
 * mm/rmap.c, for anonymous folios: the anon_vma a fork family shares, the
 * mapcount and PageAnonExclusive bookkeeping of mapping and unmapping
 * pages (folio_add_new_anon_rmap, folio_add_anon_rmap_ptes,
 * folio_remove_rmap_ptes, folio_try_dup_anon_rmap_ptes), and the reverse
 * map walk that unmaps a folio from every process (try_to_unmap).
 *
 * The model's anon_vma is an id shared by a process and every process
 * forked from it (fork links the child's VMA into the parent's anon_vma:
 * anon_vma_fork); all of them map the anonymous region at the same
 * virtual pages, so folio->index names the page in each.  The walk visits
 * every live mm of the family and checks the PTEs at the folio's index
 * under that mm's PTL (page_vma_mapped_walk).  A mapping it cannot see -
 * a fork copying the parent's PTE after the walk visited the child - leaves
 * the folio mapped, which the caller checks (folio_mapped()), as in the
 * kernel.  The family id is the root's: a folio a child allocated is
 * looked for in the whole family, never missed.
 *
 * FOLIO.mapcount of the head counts the PTEs that map any page of the
 * folio (folio_mapcount()); each such PTE also holds a folio reference.
 */
import { A, gword } from '../shm/arena.js';
import { FOLIO, G, MM } from '../shm/layout.js';
import { lockdep_assert_held } from '../sync/lockdep.js';
import { fw, folio_assert_locked, folio_nr_pages, folio_put, folio_swap, PG_anon_exclusive } from './page_alloc.js';
import {
  mm_anon_vma, MM_LIVE, pte_lock, pte_pfn, pte_present, pte_swp_mkexclusive, pte_unlock, ptep_get, set_pte, swp_entry_to_pte,
} from './pgtable.js';
import { folio_dup_swap } from './swap_count.js';

/** anon_vma_alloc(): a new fork family's id.  Context: mm_lock held. */
export function anon_vma_alloc(): number {
  lockdep_assert_held(gword(G.mm_lock), 'mm_lock');
  return A.i32[gword(G.anon_vma_next)]++;
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
 * fault goes to @mm's anon_vma, so the rmap walk need not search the
 * parent or siblings.  The model's anon_vma is the fork family's (see
 * above): the folio is in it already, and the store changes nothing; the
 * kernel's assertion is what the model keeps.
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
 * a swap-in's fresh folio), becomes an anon folio of @mm's family at
 * virtual page @index.  The mapcount and exclusivity come with the PTEs
 * the caller sets (folio_add_anon_rmap_ptes).
 * Context: PTL held, or the folio not yet visible to anyone.
 */
export function folio_add_new_anon_rmap(folio: number, mm: number, index: number): void {
  A.i32[fw(folio, FOLIO.anon_vma)] = mm_anon_vma(mm);
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

/**
 * The live mms of @folio's family whose PTEs may map it, one call each
 * (rmap_walk_anon over the anon_vma's VMAs).  @fn returns false to stop.
 * Context: folio locked.
 */
export function rmap_walk_anon(folio: number, fn: (mm: number) => boolean): void {
  const av = folio_anon_vma(folio);
  if (av < 0) return;
  /* The mm_structs read in place, the family test first (the walk runs for every folio reclaim unmaps). */
  const i32 = A.i32;
  const n = A.L.config.nrMms;
  for (let mm = 0, w = A.L.mm; mm < n; mm++, w += MM.SIZE) {
    if (i32[w + MM.anon_vma] === av && i32[w + MM.state] === MM_LIVE && !fn(mm)) return;
  }
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
  rmap_walk_anon(folio, (mm) => (ok = try_to_unmap_one(folio, mm)));
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
