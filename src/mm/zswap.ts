/*
 * mm/zswap.c, the parts swap needs: a compressed cache in front of the
 * swap device.  swap_writeout() offers each folio to zswap_store() first;
 * a stored page costs no device write.  swap_read_folio() asks
 * zswap_load() first.  Freeing a slot invalidates its zswap copy.
 *
 * Each device has a zswap tree - an xarray from slot offset to entry, as
 * the kernel keeps one per swapfile.  An entry is named by its id (the
 * tree's value: G.zswap_entry_seq at the store, so a page stored again
 * in the same slot - or in the slot of the same offset after swapoff and
 * swapon - is a new entry, as the kernel's zswap_store allocates one), and its "compressed" data is the page's 64-bit content token in
 * the device's zswap pool at the slot's offset (a region of the arena:
 * the model does not compress).  Id and data change together under the
 * tree's xa_lock.  Enabled per system (G.zswap_enabled: stress --zswap,
 * memory --backend zswap).
 *
 * Kernel mapping: zswap_store, zswap_load, zswap_invalidate,
 * zswap_swapon, zswap_swapoff; zswap_isolate is the shrinker's LRU
 * isolation (shrink_memcg_cb).
 * Context: store/load with the folio locked (no spinlock held); invalidate
 * under ci->lock (the tree's xa_lock nests inside it).
 */
import { A, gword } from '../shm/arena.js';
import { G, SI, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { kasan_check_index, kasan_enabled } from '../shm/kasan.js';
import { __xa_store, xa_destroy, xa_for_each, xa_init, xa_load, type XArray } from '../kmem/xarray.js';
import { LC_XA } from '../sync/lockdep.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { rcu_read_lock, rcu_read_unlock } from '../sync/rcu.js';
import { si_max, siWord, swap_cluster_lock, swap_cluster_unlock } from './swap.js';

/** The device's zswap tree (an xarray of compressed slots). */
export function zswap_tree(type: number): XArray {
  return { root: siWord(type, SI.zswap_root), lock: siWord(type, SI.zswap_lock) };
}

/* The u64 index of slot @offset's token in the device's zswap pool (whole clusters: swap_block_layout()). */
function poolIndex(type: number, offset: number): number {
  if (kasan_enabled) kasan_check_index('zswap pool', offset, Math.ceil(si_max(type) / SWAPFILE_CLUSTER) * SWAPFILE_CLUSTER);
  return (A.i32[siWord(type, SI.zswap_base)] >> 1) + offset;
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
  return !zswap_enabled() || xa_init(zswap_tree(type));
}

/** zswap_swapoff(): every slot was freed (and invalidated) by now; free the tree.  Context: swapoff, sleeps. */
export function zswap_swapoff(type: number): void {
  if (Atomics.load(A.i32, siWord(type, SI.zswap_root)) !== 0) xa_destroy(zswap_tree(type));
}

/* Entry ids wrap here: they stay xarray values (non-negative). */
const ZSWAP_ID_MASK = 0x3fffffff;

/*
 * Keep @tokens for slots [offset, offset + tokens.length), each page a new
 * entry (a fresh id) replacing whatever the slot had.  All or nothing: a
 * failure (no memory for the tree) undoes what was stored.
 */
function zswap_store_pages(type: number, offset: number, tokens: readonly bigint[]): boolean {
  const xa = zswap_tree(type);
  for (let k = 0; k < tokens.length; k++) {
    const id = Atomics.add(A.i32, gword(G.zswap_entry_seq), 1) & ZSWAP_ID_MASK;
    spin_lock(xa.lock, LC_XA);
    Atomics.store(A.u64, poolIndex(type, offset + k), tokens[k]);
    const ok = __xa_store(xa, offset + k, id);
    spin_unlock(xa.lock);
    if (!ok) {
      for (let j = 0; j < k; j++) zswap_erase(type, offset + j);
      return false;
    }
  }
  return true;
}

/*
 * Free slot @offset's entry, if it has one: xa_erase() and the kernel's
 * zswap_entry_free() (its data poisoned).  Context: the slot cannot gain
 * an entry meanwhile (ci->lock or the folio lock held); takes xa_lock.
 */
function zswap_erase(type: number, offset: number): void {
  const xa = zswap_tree(type);
  if (xa_load(xa, offset) < 0) return; /* nothing to free: no xa_lock for it */
  spin_lock(xa.lock, LC_XA);
  if (xa_load(xa, offset) >= 0) {
    __xa_store(xa, offset, -1);
    Atomics.store(A.u64, poolIndex(type, offset), 0x6b6b6b6b6b6b6b6bn);
  }
  spin_unlock(xa.lock);
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
  zswap_invalidate_stale(type, offset, nr);
  return false;
}

/**
 * zswap_invalidate_stale(): a folio's slots [offset, offset+nr) are being
 * written somewhere else than zswap (the device, or the zero flag): drop
 * what zswap still holds for them from an earlier store.  The model's
 * zswap_load() keeps its copy (the kernel's erases it, and marks the
 * folio dirty), so without this an old copy could outlive a rewrite and
 * come back through a load or writeback.
 * Context: folio locked, in the swap cache; takes ci->lock.
 */
export function zswap_invalidate_stale(type: number, offset: number, nr: number): void {
  if (Atomics.load(A.i32, siWord(type, SI.zswap_root)) === 0) return;
  const ci = swap_cluster_lock(type, offset);
  for (let k = 0; k < nr; k++) zswap_invalidate(type, offset + k);
  swap_cluster_unlock(ci);
}

/** zswap_load(): the stored token of slot @offset, or null if zswap has no copy. */
export function zswap_load(type: number, offset: number): bigint | null {
  if (Atomics.load(A.i32, siWord(type, SI.zswap_root)) === 0) return null;
  rcu_read_lock();
  const present = xa_load(zswap_tree(type), offset) >= 0;
  rcu_read_unlock();
  return present ? Atomics.load(A.u64, poolIndex(type, offset)) : null;
}

/**
 * zswap_invalidate(): slot @offset was freed (or its entry written back).
 * Context: ci->lock held.
 */
export function zswap_invalidate(type: number, offset: number): void {
  if (Atomics.load(A.i32, siWord(type, SI.zswap_root)) === 0) return;
  zswap_erase(type, offset);
}

/** A zswap entry as the shrinker holds it once isolated: its slot, its id and its data. */
export interface ZswapEntry {
  offset: number;
  id: number;
  data: bigint;
}

/**
 * zswap_isolate(): up to @n entries zswap holds for device @type, looking
 * at @scan slots from @start on (wrapping at si->max): the writeback
 * shrinker's catch.  The kernel takes them off the zswap LRU, coldest
 * first, and from then on the entry is the shrinker's (its local
 * reference): each is captured here - slot, id and data, under xa_lock -
 * and the tree may map the slot to another entry by the time it is
 * written back (zswap_writeback_entry re-checks).  The model has no LRU
 * and starts anywhere.  Context: any; takes xa_lock.
 */
export function zswap_isolate(type: number, start: number, n: number, scan: number): ZswapEntry[] {
  const out: ZswapEntry[] = [];
  const max = Atomics.load(A.i32, siWord(type, SI.max));
  if (Atomics.load(A.i32, siWord(type, SI.zswap_root)) === 0 || max <= 0) return out;
  const xa = zswap_tree(type);
  const hits: number[] = [];
  rcu_read_lock();
  for (let k = 0; k < Math.min(scan, max) && hits.length < n; k++) {
    const off = (start + k) % max;
    if (xa_load(xa, off) >= 0) hits.push(off);
  }
  rcu_read_unlock();
  for (const offset of hits) {
    spin_lock(xa.lock, LC_XA);
    const id = xa_load(xa, offset);
    if (id >= 0) out.push({ offset, id, data: Atomics.load(A.u64, poolIndex(type, offset)) });
    spin_unlock(xa.lock);
  }
  return out;
}

/**
 * Does the tree still map slot @offset to entry @id?  Writeback's re-check
 * of an isolated entry (zswap_writeback_entry): the slot may have been
 * freed and reused since, and another entry stored there.
 * Context: the slot's swap cache folio locked (no store or free of the
 * slot runs meanwhile: the answer holds until it is unlocked); takes
 * xa_lock.
 */
export function zswap_entry_is_current(type: number, offset: number, id: number): boolean {
  const xa = zswap_tree(type);
  spin_lock(xa.lock, LC_XA);
  const cur = xa_load(xa, offset);
  spin_unlock(xa.lock);
  return cur === id;
}

/** The offsets zswap holds for device @type.  Context: quiescent. */
export function zswap_offsets(type: number): number[] {
  const out: number[] = [];
  if (Atomics.load(A.i32, siWord(type, SI.zswap_root)) !== 0) xa_for_each(zswap_tree(type), (i) => out.push(i));
  return out;
}
