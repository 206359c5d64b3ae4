/*
 * The kernel-object page allocator: 4 KiB pages for swap tables, extend
 * tables, xarray nodes and small-object slabs.  (Folios, the memory that
 * processes map, come from mm/page_alloc.ts.)
 *
 * Every page carries a type tag and a generation in its descriptor, and a
 * free page is poisoned (POISON_FREE, like SLUB's 0x6b), so a reader that
 * touches freed or repurposed memory is caught by the tag check
 * (page_check_type), the way KASAN would catch it in the kernel.
 *
 * Kernel mapping: alloc_page/__free_page for kernel objects, with
 * page_type-style tags.
 */
import { A, gword } from '../shm/arena.js';
import { G, PAGEDESC, PAGE_WORDS } from '../shm/layout.js';
import { report } from '../shm/report.js';
import { LC_PAGE_POOL } from '../sync/lockdep.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';

export const PG_FREE = 0;
export const PG_SWAP_TABLE = 1; /* swap_table slab (SLAB_TYPESAFE_BY_RCU) */
export const PG_SLAB = 2; /* small-object slab page (dynamic cluster_info) */
export const PG_KMALLOC = 3; /* anything else: extend tables, xarray nodes, zswap */
export const PG_RCU_PENDING = 4; /* released by a TYPESAFE_BY_RCU slab, waiting for a grace period */
export const PAGE_TYPE_NAMES = ['free', 'swap_table', 'slab', 'kmalloc', 'rcu_pending'];

/** SLUB's POISON_FREE byte 0x6b, as a word. */
export const POISON_FREE_WORD = 0x6b6b6b6b;

export function pageDescWord(page: number, f: number): number {
  return A.L.pageDesc + page * PAGEDESC.SIZE + f;
}

/** Word index of the first word of @page's data. */
export function pageDataWord(page: number): number {
  return A.L.pageData + page * PAGE_WORDS;
}

export function page_type(page: number): number {
  return A.i32[pageDescWord(page, PAGEDESC.type)];
}

export function page_gen(page: number): number {
  return A.i32[pageDescWord(page, PAGEDESC.gen)];
}

/** Set up the free list: every page free and poisoned.  Context: init, single-threaded. */
export function page_pool_init(): void {
  const i32 = A.i32;
  const n = A.L.config.nrPages;
  const fresh = n === 0 || i32[pageDescWord(0, PAGEDESC.next)] === 0;
  for (let p = 0; p < n; p++) {
    i32[pageDescWord(p, PAGEDESC.type)] = PG_FREE;
    i32[pageDescWord(p, PAGEDESC.next)] = p + 1 < n ? p + 1 : -1;
    i32[pageDescWord(p, PAGEDESC.owner)] = -1;
  }
  /*
   * A fresh arena's pages are poisoned at their first allocation
   * (page_pool_alloc()), not here: a page never allocated is never
   * written, so the OS never commits it (a 64 GiB device's pool has a page
   * for each of its 32768 clusters' tables, 128 MiB, of which a run uses
   * a few).  An arena booted again has pages written by its last run.
   */
  if (!fresh) i32.fill(POISON_FREE_WORD, A.L.pageData, A.L.pageData + n * PAGE_WORDS);
  i32[gword(G.page_pool_free)] = n > 0 ? 0 : -1;
  i32[gword(G.page_pool_nr_free)] = n;
}

/**
 * Allocate a page tagged @type; -1 when none is free (-ENOMEM).
 * Context: any; takes page_pool_lock (a leaf lock).
 */
export function page_pool_alloc(type: number, zero: boolean): number {
  const i32 = A.i32;
  spin_lock(gword(G.page_pool_lock), LC_PAGE_POOL);
  const p = i32[gword(G.page_pool_free)];
  if (p < 0) {
    spin_unlock(gword(G.page_pool_lock));
    return -1;
  }
  i32[gword(G.page_pool_free)] = i32[pageDescWord(p, PAGEDESC.next)];
  i32[gword(G.page_pool_nr_free)]--;
  if (i32[pageDescWord(p, PAGEDESC.type)] !== PG_FREE) {
    report('rcu', `page pool: page ${p} on the free list has type ${PAGE_TYPE_NAMES[i32[pageDescWord(p, PAGEDESC.type)]]}`, [p]);
  }
  i32[pageDescWord(p, PAGEDESC.type)] = type;
  spin_unlock(gword(G.page_pool_lock));
  /* Never freed: maybe never poisoned either (page_pool_init()). */
  if (zero) i32.fill(0, pageDataWord(p), pageDataWord(p) + PAGE_WORDS);
  else if (i32[pageDescWord(p, PAGEDESC.gen)] === 0) i32.fill(POISON_FREE_WORD, pageDataWord(p), pageDataWord(p) + PAGE_WORDS);
  return p;
}

/** Free @page: poison it, bump its generation, put it on the free list. */
export function page_pool_free(page: number): void {
  const i32 = A.i32;
  const t = i32[pageDescWord(page, PAGEDESC.type)];
  if (t === PG_FREE) {
    report('rcu', `page pool: double free of page ${page}`, [page]);
    return;
  }
  i32.fill(POISON_FREE_WORD, pageDataWord(page), pageDataWord(page) + PAGE_WORDS);
  Atomics.add(i32, pageDescWord(page, PAGEDESC.gen), 1);
  spin_lock(gword(G.page_pool_lock), LC_PAGE_POOL);
  i32[pageDescWord(page, PAGEDESC.type)] = PG_FREE;
  i32[pageDescWord(page, PAGEDESC.owner)] = -1;
  i32[pageDescWord(page, PAGEDESC.next)] = i32[gword(G.page_pool_free)];
  i32[gword(G.page_pool_free)] = page;
  i32[gword(G.page_pool_nr_free)]++;
  spin_unlock(gword(G.page_pool_lock));
}

export function page_pool_nr_free(): number {
  return A.i32[gword(G.page_pool_nr_free)];
}

/** Set @page's type tag (a slab handing a page on). */
export function page_set_type(page: number, type: number): void {
  A.i32[pageDescWord(page, PAGEDESC.type)] = type;
}
