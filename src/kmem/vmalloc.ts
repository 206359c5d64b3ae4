/*
 * mm/vmalloc.c, as far as swapon needs it: kvcalloc()/kvfree() of a
 * device's per-slot and per-cluster arrays (its swap block,
 * swap_block_layout()) from the arena's swap heap.
 *
 * Best fit over the free extents, else the bump pointer; kvfree() gives
 * the extent back, merging it with its neighbours and lowering the bump
 * pointer when it ends there.  A device of a size swapped on again (stress
 * swaps devices off and on all run long) takes back a block of its size.
 *
 * The memory is not cleared: the words above the bump pointer were never
 * written (zero, and not even resident: the OS commits an arena page at
 * its first write), and whoever takes a block back initialises the arrays
 * that need it (cluster_info, the side arrays, the bitmaps), as swapon
 * always did.  The slots' contents and zswap copies need nothing: a slot
 * is read only after it was written.
 *
 * vmap_area_lock is the model's, not under test: a raw spin with no
 * interleaving point and no lockdep class, so that swapon and swapoff
 * pass the same points as before the heap (controlled runs replay alike).
 * Context: process context (swapon, swapoff); nothing is held across it.
 */
import { A } from '../shm/arena.js';
import { VMAP, VMAP_MAX_FREE } from '../shm/layout.js';

function vmap_lock(w: number): void {
  while (Atomics.compareExchange(A.i32, w, 0, 1) !== 0) {
    /* another CPU is in kvmalloc/kvfree: a handful of words, it is out soon */
  }
}

function vmap_unlock(w: number): void {
  Atomics.store(A.i32, w, 0);
}

/* The free extent @k: [base, words] words of the VMAP state. */
function extent(k: number): number {
  return A.L.vmap + VMAP.free + 2 * k;
}

/* Take free extent @k off the table (the last one moves into its place).  Context: vmap lock held. */
function extent_del(k: number): void {
  const i32 = A.i32;
  const v = A.L.vmap;
  const last = --i32[v + VMAP.nr_free];
  i32[extent(k)] = i32[extent(last)];
  i32[extent(k) + 1] = i32[extent(last) + 1];
}

/**
 * kvmalloc() of @words words (rounded up to a 64-byte line) from the swap
 * heap: the word index, or -1 when the heap has no room (the caller's
 * -ENOMEM).  The words are not cleared (see above).
 */
export function kvmalloc_words(words: number): number {
  const i32 = A.i32;
  const v = A.L.vmap;
  const need = Math.ceil(words / 16) * 16;
  vmap_lock(v + VMAP.lock);
  let best = -1;
  for (let k = 0; k < i32[v + VMAP.nr_free]; k++) {
    const w = i32[extent(k) + 1];
    if (w >= need && (best < 0 || w < i32[extent(best) + 1])) best = k;
  }
  let at = -1;
  if (best >= 0) {
    at = i32[extent(best)];
    const rest = i32[extent(best) + 1] - need;
    if (rest > 0) {
      i32[extent(best)] = at + need;
      i32[extent(best) + 1] = rest;
    } else extent_del(best);
  } else if (i32[v + VMAP.top] + need <= A.L.swapHeapWords) {
    at = i32[v + VMAP.top];
    i32[v + VMAP.top] = at + need;
  }
  vmap_unlock(v + VMAP.lock);
  return at < 0 ? -1 : A.L.swapHeap + at;
}

/**
 * kvfree() of the @words words at @base that kvmalloc_words() returned.
 * With the free table full the extent is lost to the heap (never, with
 * MAX_SWAPFILES devices: each device's free splits at most one extent).
 */
export function kvfree_words(base: number, words: number): void {
  const i32 = A.i32;
  const v = A.L.vmap;
  let at = base - A.L.swapHeap;
  let len = Math.ceil(words / 16) * 16;
  vmap_lock(v + VMAP.lock);
  /* Merge with the free extents it touches. */
  for (let k = 0; k < i32[v + VMAP.nr_free]; ) {
    const b = i32[extent(k)];
    const w = i32[extent(k) + 1];
    if (b + w === at || at + len === b) {
      at = Math.min(at, b);
      len += w;
      extent_del(k);
    } else k++;
  }
  if (at + len === i32[v + VMAP.top]) i32[v + VMAP.top] = at;
  else if (i32[v + VMAP.nr_free] < VMAP_MAX_FREE) {
    const k = i32[v + VMAP.nr_free]++;
    i32[extent(k)] = at;
    i32[extent(k) + 1] = len;
  }
  vmap_unlock(v + VMAP.lock);
}

/** Words of the swap heap in use (below the bump pointer and not free): for the memory account and tests. */
export function swap_heap_used_words(): number {
  const i32 = A.i32;
  const v = A.L.vmap;
  let free = 0;
  for (let k = 0; k < i32[v + VMAP.nr_free]; k++) free += i32[extent(k) + 1];
  return i32[v + VMAP.top] - free;
}

/**
 * Whether i32 word @word of the swap heap is in no block kvmalloc_words()
 * handed out: in a free extent, or above the bump pointer.  What KASAN
 * asks of an access to vmalloc'ed memory (a use after kvfree()); words
 * outside the swap heap are not its business (false).
 * Context: any; takes the vmap lock.
 */
export function swap_heap_word_free(word: number): boolean {
  const at = word - A.L.swapHeap;
  if (at < 0 || at >= A.L.swapHeapWords) return false;
  const i32 = A.i32;
  const v = A.L.vmap;
  vmap_lock(v + VMAP.lock);
  let free = at >= i32[v + VMAP.top];
  for (let k = 0; !free && k < i32[v + VMAP.nr_free]; k++) free = at >= i32[extent(k)] && at < i32[extent(k)] + i32[extent(k) + 1];
  vmap_unlock(v + VMAP.lock);
  return free;
}
