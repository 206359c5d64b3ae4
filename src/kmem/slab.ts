/*
 * Slabs of fixed-size objects over the page pool.
 *
 * Two shapes, one code path:
 *  - page-sized objects (the "swap_table" cache: 512 x 8 bytes): the object
 *    id is the page; its type tag and generation live in the page
 *    descriptor, and its free-list link too, so a freed object's data is
 *    left exactly as the freer left it (NULL-filled, for swap tables);
 *  - small objects carved from a page (dynamic swap_cluster_info): the
 *    last three words of each object are the slab's own trailer [tag, gen,
 *    next]; users must not touch them.
 *
 * SLAB_TYPESAFE_BY_RCU (seed 002: "Once a cluster is freed, its swap table
 * content is read only, and all swap cache readers verify the content
 * before use. So it's safe to use RCU slab here"): a freed object may be
 * handed out again at once as another object of the same cache, but its
 * memory returns to the page pool, where it can become anything else, only
 * after a grace period (call_rcu on the page).  Lockless readers therefore
 * may see a recycled table, never a foreign object.  Without the flag a
 * page is released at once.
 *
 * Kernel mapping: kmem_cache_create / kmem_cache_zalloc / kmem_cache_free
 * / kfree_rcu for these caches; gfp: GFP_ATOMIC-like (never sleeps, may
 * fail: failslab) or GFP_KERNEL-like (may sleep: a sleep point).
 */
import { A, gword } from '../shm/arena.js';
import { G, KMEM_CACHE, PAGE_WORDS } from '../shm/layout.js';
import { bug_on, BUG_RCU_LAZY_TABLE_FREE } from '../shm/bugs.js';
import {
  page_pool_alloc, page_pool_free, page_set_type, page_type, pageDataWord, pageDescWord,
  PG_FREE, PG_RCU_PENDING, POISON_FREE_WORD,
} from './page_pool.js';
import { PAGEDESC } from '../shm/layout.js';
import { report } from '../shm/report.js';
import { LC_DYN_CLUSTER_SLAB, LC_SWAP_TABLE_SLAB } from '../sync/lockdep.js';
import { might_sleep } from '../sync/might_sleep.js';
import { call_rcu, register_rcu_callback } from '../sync/rcu.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { prandom_u32 } from '../shm/task.js';

export const GFP_ATOMIC = 0; /* __GFP_HIGH | __GFP_NOMEMALLOC | __GFP_NOWARN: no sleeping */
export const GFP_KERNEL = 1; /* may sleep (a sleep point), may still fail */

export const SLAB_TYPESAFE_BY_RCU = 1;

export const OBJ_FREE_TAG = 0x0f5ee0;

export interface KmemCache {
  readonly idx: number;
  readonly name: string;
  readonly objWords: number;
  readonly perPage: number;
  readonly flags: number;
  readonly pageType: number;
  readonly lockClass: number;
  /** Tag stamped on live objects (small objects) */
  readonly liveTag: number;
  /** Default min_partial: free page-sized objects kept cached before pages go back to the pool (KMEM_CACHE.min_partial). */
  readonly minPartial: number;
}

const RCU_CB_SLAB_PAGE = 1;

function cw(c: KmemCache, f: number): number {
  return gword(G.kmem_caches) + c.idx * KMEM_CACHE.SIZE + f;
}

/** Word index of object @id's first word. */
export function obj_word(c: KmemCache, id: number): number {
  if (c.perPage === 1) return pageDataWord(id);
  return pageDataWord(Math.floor(id / c.perPage)) + (id % c.perPage) * c.objWords;
}

/**
 * virt_to_obj(): the id of the object of @c whose first word is @w, or -1
 * if @w is no object start of this cache's shape (not even a freed one).
 */
export function obj_id_of_word(c: KmemCache, w: number): number {
  const rel = w - A.L.pageData;
  if (rel < 0 || rel % c.objWords !== 0) return -1;
  const page = Math.floor(rel / PAGE_WORDS);
  if (c.perPage === 1) return page;
  return page * c.perPage + (rel % PAGE_WORDS) / c.objWords;
}

function trailer(c: KmemCache, id: number, k: 0 | 1 | 2): number {
  return obj_word(c, id) + c.objWords - 3 + k;
}

/** Type tag of object @id: for small objects its trailer, for page objects the page's. */
export function obj_tag(c: KmemCache, id: number): number {
  if (c.perPage === 1) return page_type(id);
  return A.i32[trailer(c, id, 0)];
}

/**
 * Is page-sized object @id free - on the cache's free list, or released
 * and waiting for its grace period - rather than allocated?  What a
 * lockless reader holding an old pointer may find.
 */
export function obj_page_is_free(id: number): boolean {
  return A.i32[pageDescWord(id, PAGEDESC.owner)] === -1;
}

/** The free objects on @c's free list, in list order.  Context: quiescent (no concurrent alloc/free). */
export function kmem_cache_free_objects(c: KmemCache): number[] {
  const out: number[] = [];
  for (let id = A.i32[cw(c, KMEM_CACHE.free)]; id >= 0 && out.length <= A.L.config.nrPages * c.perPage; id = A.i32[linkWord(c, id)]) out.push(id);
  return out;
}

/** Generation of object @id: bumped at every free (readers' re-check). */
export function obj_gen(c: KmemCache, id: number): number {
  if (c.perPage === 1) return A.i32[pageDescWord(id, PAGEDESC.gen)];
  return A.i32[trailer(c, id, 1)];
}

function linkWord(c: KmemCache, id: number): number {
  return c.perPage === 1 ? pageDescWord(id, PAGEDESC.next) : trailer(c, id, 2);
}

export function kmem_cache_create(
  idx: number, name: string, objWords: number, flags: number, pageType: number, lockClass: number, minPartial: number,
): KmemCache {
  if (PAGE_WORDS % objWords !== 0) throw new Error(`kmem_cache ${name}: object of ${objWords} words does not divide a page`);
  const perPage = PAGE_WORDS / objWords;
  return { idx, name, objWords, perPage, flags, pageType, lockClass, liveTag: 0x5ab000 + idx, minPartial };
}

/**
 * Reset the cache's shared state; keep @minPartial free page-sized objects
 * before pages go back to the pool (the cache's default if not given).
 * Context: init.
 */
export function kmem_cache_init(c: KmemCache, minPartial = c.minPartial): void {
  const i32 = A.i32;
  i32.fill(0, cw(c, 0), cw(c, KMEM_CACHE.SIZE));
  i32[cw(c, KMEM_CACHE.free)] = -1;
  i32[cw(c, KMEM_CACHE.min_partial)] = minPartial;
}

/* Fault injection (failslab): a percentage of allocations of each kind fail (kmalloc()'s too: the extend table, swap_count.ts). */
export function should_failslab(gfp: number): boolean {
  const pct = A.i32[gword(gfp === GFP_ATOMIC ? G.failslab_atomic : G.failslab_sleep)];
  return pct > 0 && prandom_u32() % 100 < pct;
}

/** Fault injection knobs (percent). */
export function set_failslab(atomicPct: number, sleepPct: number): void {
  A.i32[gword(G.failslab_atomic)] = atomicPct;
  A.i32[gword(G.failslab_sleep)] = sleepPct;
}

/* Carve a fresh page into objects and put them on the free list. */
function grow(c: KmemCache): boolean {
  const page = page_pool_alloc(c.pageType, false);
  if (page < 0) return false;
  const i32 = A.i32;
  /* A page-sized object waits on the free list NULL-filled, as a freed one does (a swap table). */
  if (c.perPage === 1) i32.fill(0, pageDataWord(page), pageDataWord(page) + PAGE_WORDS);
  spin_lock(cw(c, KMEM_CACHE.lock), c.lockClass);
  for (let k = c.perPage - 1; k >= 0; k--) {
    const id = c.perPage === 1 ? page : page * c.perPage + k;
    if (c.perPage > 1) {
      i32[trailer(c, id, 0)] = OBJ_FREE_TAG;
      i32[trailer(c, id, 1)] = 0;
    }
    i32[linkWord(c, id)] = i32[cw(c, KMEM_CACHE.free)];
    i32[cw(c, KMEM_CACHE.free)] = id;
    i32[cw(c, KMEM_CACHE.nr_free)]++;
  }
  i32[cw(c, KMEM_CACHE.nr_pages)]++;
  spin_unlock(cw(c, KMEM_CACHE.lock));
  return true;
}

/**
 * kmem_cache_zalloc(): a zeroed object, or -1 (-ENOMEM).
 * Context: GFP_ATOMIC: any, never sleeps.  GFP_KERNEL: process context,
 * no spinlock held (might_sleep() checks it): a sleep point.
 */
export function kmem_cache_zalloc(c: KmemCache, gfp: number): number {
  if (gfp === GFP_KERNEL) might_sleep(`kmem_cache_zalloc(${c.name}, GFP_KERNEL)`);
  if (should_failslab(gfp)) return -1;
  const i32 = A.i32;
  for (let attempt = 0; attempt < 2; attempt++) {
    spin_lock(cw(c, KMEM_CACHE.lock), c.lockClass);
    const id = i32[cw(c, KMEM_CACHE.free)];
    if (id >= 0) {
      i32[cw(c, KMEM_CACHE.free)] = i32[linkWord(c, id)];
      i32[cw(c, KMEM_CACHE.nr_free)]--;
      i32[cw(c, KMEM_CACHE.nr_inuse)]++;
      spin_unlock(cw(c, KMEM_CACHE.lock));
      const base = obj_word(c, id);
      const payload = c.perPage === 1 ? c.objWords : c.objWords - 3;
      for (let k = 0; k < payload; k++) i32[base + k] = 0;
      if (c.perPage > 1) i32[trailer(c, id, 0)] = c.liveTag;
      else i32[pageDescWord(id, PAGEDESC.owner)] = c.idx;
      return id;
    }
    spin_unlock(cw(c, KMEM_CACHE.lock));
    if (!grow(c)) return -1;
  }
  return -1;
}

/**
 * kmem_cache_free(): the object goes back to the cache's free list, its
 * data untouched for a page-sized object (a swap table stays NULL-filled
 * for lockless readers) and poisoned for a small one.  Past min_partial cached
 * objects, a page-sized object's page goes back to the pool: after a
 * grace period for a SLAB_TYPESAFE_BY_RCU cache.
 *
 * Context: any (takes the cache lock, and page_pool_lock).
 */
export function kmem_cache_free(c: KmemCache, id: number): void {
  const i32 = A.i32;
  if (c.perPage === 1) {
    if (page_type(id) !== c.pageType) {
      report('rcu', `kmem_cache_free(${c.name}): page ${id} has type ${page_type(id)}, not this cache's`, [id]);
      return;
    }
    Atomics.add(i32, pageDescWord(id, PAGEDESC.gen), 1);
    i32[pageDescWord(id, PAGEDESC.owner)] = -1;
  } else {
    if (i32[trailer(c, id, 0)] !== c.liveTag) {
      report('rcu', `kmem_cache_free(${c.name}): object ${id} is not live (double free?)`, [id]);
      return;
    }
    const base = obj_word(c, id);
    for (let k = 0; k < c.objWords - 3; k++) i32[base + k] = POISON_FREE_WORD;
    i32[trailer(c, id, 0)] = OBJ_FREE_TAG;
    Atomics.add(i32, trailer(c, id, 1), 1);
  }
  spin_lock(cw(c, KMEM_CACHE.lock), c.lockClass);
  i32[cw(c, KMEM_CACHE.nr_inuse)]--;
  if (c.perPage === 1 && i32[cw(c, KMEM_CACHE.nr_free)] >= i32[cw(c, KMEM_CACHE.min_partial)]) {
    i32[cw(c, KMEM_CACHE.nr_pages)]--;
    spin_unlock(cw(c, KMEM_CACHE.lock));
    release_page(c, id);
    return;
  }
  i32[linkWord(c, id)] = i32[cw(c, KMEM_CACHE.free)];
  i32[cw(c, KMEM_CACHE.free)] = id;
  i32[cw(c, KMEM_CACHE.nr_free)]++;
  spin_unlock(cw(c, KMEM_CACHE.lock));
}

/*
 * A page leaves the slab.  With SLAB_TYPESAFE_BY_RCU it is only freed to
 * the pool after a grace period: readers that found a table through an old
 * pointer can still be reading it.  Bug switch rcu-lazy-table-free skips
 * the grace period (the pre-fix path of seed 002's hazard).
 */
function release_page(c: KmemCache, page: number): void {
  if ((c.flags & SLAB_TYPESAFE_BY_RCU) !== 0 && !bug_on(BUG_RCU_LAZY_TABLE_FREE)) {
    page_set_type(page, PG_RCU_PENDING);
    Atomics.add(A.i32, cw(c, KMEM_CACHE.nr_rcu_pending), 1);
    call_rcu(RCU_CB_SLAB_PAGE, page);
    return;
  }
  page_pool_free(page);
}

register_rcu_callback(RCU_CB_SLAB_PAGE, (page) => {
  if (page_type(page) !== PG_RCU_PENDING) {
    report('rcu', `rcu slab page free: page ${page} has type ${page_type(page)}, expected rcu_pending`, [page]);
    return;
  }
  Atomics.sub(A.i32, cw(swap_table_cachep, KMEM_CACHE.nr_rcu_pending), 1);
  page_pool_free(page);
});

export interface KmemCacheStats {
  nr_free: number;
  nr_inuse: number;
  nr_pages: number;
  nr_rcu_pending: number;
}

export function kmem_cache_stats(c: KmemCache): KmemCacheStats {
  const i32 = A.i32;
  return {
    nr_free: i32[cw(c, KMEM_CACHE.nr_free)],
    nr_inuse: i32[cw(c, KMEM_CACHE.nr_inuse)],
    nr_pages: i32[cw(c, KMEM_CACHE.nr_pages)],
    nr_rcu_pending: i32[cw(c, KMEM_CACHE.nr_rcu_pending)],
  };
}

/* ---- the model's caches ---- */

/** kmem_cache "swap_table": 512 x 8 bytes, SLAB_TYPESAFE_BY_RCU (seed 002). */
export const swap_table_cachep = kmem_cache_create(0, 'swap_table', PAGE_WORDS, SLAB_TYPESAFE_BY_RCU, 1 /* PG_SWAP_TABLE */, LC_SWAP_TABLE_SLAB, 4);

/** Dynamic swap_cluster_info for ghost/vswap (seed 001 patch 15): 16 words, freed with kfree_rcu. */
export const swap_cluster_cachep = kmem_cache_create(1, 'swap_cluster_info_dynamic', 16, 0, 2 /* PG_SLAB */, LC_DYN_CLUSTER_SLAB, 1 << 30);

export { PG_FREE };
