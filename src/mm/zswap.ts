/*
 * mm/zswap.c, the parts swap needs: a compressed cache in front of the
 * swap device.  swap_writeout() offers each folio to zswap_store() first;
 * a stored page costs no device write.  swap_read_folio() asks
 * zswap_load() first.  Freeing a slot invalidates its zswap copy.
 *
 * Each device has a zswap tree - an xarray from slot offset to entry, as
 * the kernel keeps one per swapfile - and the "compressed" copy of a page
 * is its 64-bit content token in the device's zswap pool (a region of the
 * arena: the model does not compress).  Enabled per system
 * (G.zswap_enabled: stress --zswap, memory --backend zswap).
 *
 * Kernel mapping: zswap_store, zswap_load, zswap_invalidate,
 * zswap_swapon, zswap_swapoff.
 * Context: store/load with the folio locked (no spinlock held); invalidate
 * under ci->lock (the tree's xa_lock nests inside it).
 */
import { A, gword } from '../shm/arena.js';
import { G, SI } from '../shm/layout.js';
import { xa_destroy, xa_erase, xa_for_each, xa_init, xa_load, xa_store, type XArray } from '../kmem/xarray.js';
import { rcu_read_lock, rcu_read_unlock } from '../sync/rcu.js';
import { siWord, swap_cluster_lock, swap_cluster_unlock } from './swap.js';

function tree(type: number): XArray {
  return { root: siWord(type, SI.zswap_root), lock: siWord(type, SI.zswap_lock) };
}

function poolIndex(type: number, offset: number): number {
  return (A.L.zswapPool >> 1) + type * A.L.config.maxSwapPages + offset;
}

export function zswap_enabled(): boolean {
  return Atomics.load(A.i32, gword(G.zswap_enabled)) !== 0;
}

export function zswap_set_enabled(on: boolean): void {
  Atomics.store(A.i32, gword(G.zswap_enabled), on ? 1 : 0);
  if (on) Atomics.store(A.i32, gword(G.zswap_ever_enabled), 1);
}

/**
 * zswap_never_enabled(): zswap has never been on.  Large swap-in needs it:
 * a large folio's slots could be partly in zswap, which swap_read_folio()
 * cannot assemble (mm/memory.c, thp_swapin_suitable_orders).
 */
export function zswap_never_enabled(): boolean {
  return Atomics.load(A.i32, gword(G.zswap_ever_enabled)) === 0;
}

/** zswap_swapon(): the device's tree.  Context: swapon. */
export function zswap_swapon(type: number): boolean {
  Atomics.store(A.i32, siWord(type, SI.zswap_root), 0);
  return !zswap_enabled() || xa_init(tree(type));
}

/** zswap_swapoff(): every slot was freed (and invalidated) by now; free the tree.  Context: swapoff, sleeps. */
export function zswap_swapoff(type: number): void {
  if (Atomics.load(A.i32, siWord(type, SI.zswap_root)) !== 0) xa_destroy(tree(type));
}

/*
 * Keep @tokens for slots [offset, offset + tokens.length).  All or
 * nothing: a failure (no memory for the tree) undoes what was stored.
 */
function zswap_store_pages(type: number, offset: number, tokens: readonly bigint[]): boolean {
  for (let k = 0; k < tokens.length; k++) {
    Atomics.store(A.u64, poolIndex(type, offset + k), tokens[k]);
    if (!xa_store(tree(type), offset + k, 1)) {
      for (let j = 0; j < k; j++) xa_erase(tree(type), offset + j);
      return false;
    }
  }
  return true;
}

/**
 * zswap_store(): keep the @nr pages of a folio for slots [offset,
 * offset+nr); @tokens gives their contents (asked for only if zswap takes
 * them).  False when zswap is off or the store failed: the caller writes
 * to the device, and whatever zswap still holds for these slots from an
 * earlier store is stale - a load, or writeback, would bring the old data
 * back over the new - so it is invalidated first (the kernel's check_old).
 * Context: folio locked, in the swap cache; takes ci->lock to invalidate.
 */
export function zswap_store(type: number, offset: number, nr: number, tokens: () => readonly bigint[]): boolean {
  /* No tree: the device was swapped on with zswap off, and zswap holds nothing of it. */
  if (Atomics.load(A.i32, siWord(type, SI.zswap_root)) === 0) return false;
  if (zswap_enabled() && zswap_store_pages(type, offset, tokens())) return true;
  const ci = swap_cluster_lock(type, offset);
  for (let k = 0; k < nr; k++) zswap_invalidate(type, offset + k);
  swap_cluster_unlock(ci);
  return false;
}

/** zswap_load(): the stored token of slot @offset, or null if zswap has no copy. */
export function zswap_load(type: number, offset: number): bigint | null {
  if (Atomics.load(A.i32, siWord(type, SI.zswap_root)) === 0) return null;
  rcu_read_lock();
  const present = xa_load(tree(type), offset) >= 0;
  rcu_read_unlock();
  return present ? Atomics.load(A.u64, poolIndex(type, offset)) : null;
}

/** zswap_invalidate(): slot @offset was freed.  Context: ci->lock held. */
export function zswap_invalidate(type: number, offset: number): void {
  if (Atomics.load(A.i32, siWord(type, SI.zswap_root)) === 0) return;
  if (xa_load(tree(type), offset) < 0) return;
  xa_erase(tree(type), offset);
  Atomics.store(A.u64, poolIndex(type, offset), 0x6b6b6b6b6b6b6b6bn);
}

/**
 * Up to @n offsets zswap holds for device @type, looking at @scan slots
 * from @start on (wrapping at si->max):
 * the writeback shrinker's candidates.  The kernel takes them from the
 * zswap LRU, coldest first; the model has no LRU and starts anywhere.
 * A hint: each is re-checked under the folio lock.  Context: any.
 */
export function zswap_sample(type: number, start: number, n: number, scan: number): number[] {
  const out: number[] = [];
  const max = Atomics.load(A.i32, siWord(type, SI.max));
  if (Atomics.load(A.i32, siWord(type, SI.zswap_root)) === 0 || max <= 0) return out;
  rcu_read_lock();
  for (let k = 0; k < Math.min(scan, max) && out.length < n; k++) {
    const off = (start + k) % max;
    if (xa_load(tree(type), off) >= 0) out.push(off);
  }
  rcu_read_unlock();
  return out;
}

/** The offsets zswap holds for device @type.  Context: quiescent. */
export function zswap_offsets(type: number): number[] {
  const out: number[] = [];
  if (Atomics.load(A.i32, siWord(type, SI.zswap_root)) !== 0) xa_for_each(tree(type), (i) => out.push(i));
  return out;
}
