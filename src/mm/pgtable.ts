/*
 * Page tables of the simulated processes: the model's PTE format and its
 * accessors (include/linux/pgtable.h, include/linux/swapops.h in spirit),
 * the split page table locks, and the mm_struct words they live in.
 *
 * A PTE is one arena word (the model's format, not x86's):
 *   0                            pte_none
 *   pfn << 2 | W << 1 | 1        present, mapping frame @pfn; W: writable
 *   swp_entry << 2 | E << 1      a swap PTE; E: exclusive (pte_swp_exclusive:
 *                                the page was PageAnonExclusive when unmapped)
 * Swap entries are below 2^29 (swap.ts: 24 offset bits, 32 types) and
 * frames below 2^29, so a PTE is a non-negative int32.  A private writable
 * anon mapping maps a page writable only while it is exclusive to this
 * process (PageAnonExclusive); a shared page is mapped read-only and a
 * write to it faults (do_wp_page: copy on write).
 *
 * One PTL (spinlock) per 512 PTEs, like split page table locks.  Each
 * virtual page also has its expected content (the last token written to
 * it), updated under the PTL with the write: the data invariant.
 *
 * Context: the accessors are plain reads and writes; a PTE is changed
 * only under its PTL, and read without it only as a hint that is re-checked
 * under the PTL (pte_same).
 */
import { A } from '../shm/arena.js';
import { MM, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { kasan_check_index, kasan_enabled } from '../shm/kasan.js';
import { LC_PTL, lockdep_assert_held } from '../sync/lockdep.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';

export const MM_FREE = 0;
export const MM_LIVE = 1;

const PTE_PRESENT = 1;
const PTE_WRITE = 2; /* present PTEs */
const PTE_SWP_EXCLUSIVE = 2; /* swap PTEs */

export function pte_none(pte: number): boolean {
  return pte === 0;
}
export function pte_present(pte: number): boolean {
  return (pte & PTE_PRESENT) !== 0;
}
export function pte_pfn(pte: number): number {
  return pte >>> 2;
}
/** mk_pte(): a present PTE for frame @pfn, read-only (as vm_page_prot of a private mapping is). */
export function mk_pte(pfn: number): number {
  return ((pfn << 2) | PTE_PRESENT) >>> 0;
}
export function pte_write(pte: number): boolean {
  return pte_present(pte) && (pte & PTE_WRITE) !== 0;
}
export function pte_mkwrite(pte: number): number {
  return (pte | PTE_WRITE) >>> 0;
}
export function pte_wrprotect(pte: number): number {
  return (pte & ~PTE_WRITE) >>> 0;
}
export function is_swap_pte(pte: number): boolean {
  return pte !== 0 && !pte_present(pte);
}
export function pte_to_swp_entry(pte: number): number {
  return pte >>> 2;
}
/** swp_entry_to_pte(): a swap PTE for @entry, not exclusive. */
export function swp_entry_to_pte(entry: number): number {
  return (entry << 2) >>> 0;
}
export function pte_swp_exclusive(pte: number): boolean {
  return is_swap_pte(pte) && (pte & PTE_SWP_EXCLUSIVE) !== 0;
}
export function pte_swp_mkexclusive(pte: number): number {
  return (pte | PTE_SWP_EXCLUSIVE) >>> 0;
}
export function pte_swp_clear_exclusive(pte: number): number {
  return (pte & ~PTE_SWP_EXCLUSIVE) >>> 0;
}
/** pte_next_swp_offset(): the swap PTE @n slots on, same flags (swap_pte_batch compares with it). */
export function pte_next_swp_offset(pte: number, n: number): number {
  return (((pte_to_swp_entry(pte) + n) << 2) | (pte & PTE_SWP_EXCLUSIVE)) >>> 0;
}

/* ---- the mm_struct words and the page table of a process ---- */

export function mmw(mm: number, f: number): number {
  if (kasan_enabled) kasan_check_index('mm', mm, A.L.config.nrMms);
  return A.L.mm + mm * MM.SIZE + f;
}
/* The word of PTE @index of @mm; @index = mm_pages() is the end of its page table (a bound, not an access). */
export function pteWord(mm: number, index: number): number {
  if (kasan_enabled) kasan_check_index('mm', mm, A.L.config.nrMms);
  return A.L.pte + mm * A.L.config.mmPages + index;
}
export function ptlWord(mm: number, index: number): number {
  return A.L.ptl + mm * A.L.ptlPerMm + Math.floor(index / SWAPFILE_CLUSTER);
}
function expectedIndex(mm: number, index: number): number {
  return (A.L.expected >> 1) + mm * A.L.config.mmPages + index;
}
/** The u64 index of page @index's expected content (token compares read it in halves). */
export function expected_index(mm: number, index: number): number {
  return expectedIndex(mm, index);
}
export function ptep_get(mm: number, index: number): number {
  if (kasan_enabled) kasan_check_index('pte', index, A.L.config.mmPages);
  return A.i32[pteWord(mm, index)] >>> 0;
}
/**
 * set_pte_at().  A PTE is __guarded_by() its page table's lock, checked
 * here as lockdep_assert_held() checks (see si_lists_assert_held() in
 * cluster_list.ts): a PTE written after pte_unlock() is reported where it
 * is written.  Context: PTL held.
 */
export function set_pte(mm: number, index: number, pte: number): void {
  if (kasan_enabled) kasan_check_index('pte', index, A.L.config.mmPages);
  lockdep_assert_held(ptlWord(mm, index), 'ptl');
  A.i32[pteWord(mm, index)] = pte | 0;
}
export function expected_token(mm: number, index: number): bigint {
  return A.u64[expectedIndex(mm, index)];
}
/** Record the content page @index must read back.  Context: PTL held (with the write). */
export function set_expected(mm: number, index: number, token: bigint): void {
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
/** @mm's own anon_vma (vma->anon_vma): where the anon folios only @mm may map go (mm/rmap.ts). */
export function mm_anon_vma(mm: number): number {
  return A.i32[mmw(mm, MM.anon_vma)];
}
export function pte_lock(mm: number, index: number): void {
  spin_lock(ptlWord(mm, index), LC_PTL);
}
/** The child's PTL under the parent's at fork: spin_lock_nested(SINGLE_DEPTH_NESTING). */
export function pte_lock_nested(mm: number, index: number): void {
  spin_lock(ptlWord(mm, index), LC_PTL, true);
}
export function pte_unlock(mm: number, index: number): void {
  spin_unlock(ptlWord(mm, index));
}
/* End of the page table (PTL range) holding @index: PTEs [index, end) share one PTL. */
export function pte_table_end(index: number): number {
  return Math.min(mm_pages(), (Math.floor(index / SWAPFILE_CLUSTER) + 1) * SWAPFILE_CLUSTER);
}
