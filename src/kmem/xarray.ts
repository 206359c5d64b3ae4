/*
 * An RCU-published sparse index (the model's xarray) for dynamic clusters
 * (seed 001 patch 15: ghost swapfile clusters live in an xarray and are
 * freed with kfree_rcu once CLUSTER_FLAG_DEAD).
 *
 * Two levels of 1024 slots, each level one pool page: index i lives in
 * node root[i >> 10], slot i & 1023.  Slots hold value + 1 (0 = empty).
 * Every slot and root pointer is published with rcu_assign_pointer(), so
 * xa_load() under rcu_read_lock() sees either the old or the new value,
 * never a torn one, and never a freed node (nodes are never freed while
 * the xarray lives; xa_destroy() frees them after a grace period).
 *
 * Kernel mapping: xa_load (RCU), xa_store/xa_erase/xa_alloc (Context:
 * takes xa_lock), xa_destroy.  1M entries of capacity (1024 x 1024).
 */
import { A } from '../shm/arena.js';
import { report } from '../shm/report.js';
import { page_pool_alloc, page_pool_free, pageDataWord, PG_KMALLOC } from './page_pool.js';
import { LC_XA, lockdep_assert_held } from '../sync/lockdep.js';
import { rcu_assign_pointer, rcu_dereference, synchronize_rcu } from '../sync/rcu.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';

export const XA_SLOTS = 1024;
export const XA_MAX_INDEX = XA_SLOTS * XA_SLOTS;

/** An xarray is two arena words: [root page + 1, xa_lock]. */
export interface XArray {
  root: number;
  lock: number;
}

/** xa_init(): allocate the root node.  Returns -ENOMEM as false. */
export function xa_init(xa: XArray): boolean {
  const p = page_pool_alloc(PG_KMALLOC, true);
  if (p < 0) return false;
  rcu_assign_pointer(xa.root, p + 1);
  Atomics.store(A.i32, xa.lock, 0);
  return true;
}

/**
 * xa_load(): the value at @index, or -1.
 * Context: caller holds rcu_read_lock() or xa_lock; the value may be gone
 * by the time the caller uses it: re-validate under the object's lock.
 */
export function xa_load(xa: XArray, index: number): number {
  if (index < 0 || index >= XA_MAX_INDEX) return -1;
  const root = rcu_dereference(xa.root);
  if (root === 0) return -1;
  const node = rcu_dereference(pageDataWord(root - 1) + (index >>> 10));
  if (node === 0) return -1;
  return rcu_dereference(pageDataWord(node - 1) + (index & (XA_SLOTS - 1))) - 1;
}

/**
 * __xa_store(): set @index to @value (-1 erases).  Returns false on -ENOMEM.
 * Context: caller holds xa_lock.
 */
export function __xa_store(xa: XArray, index: number, value: number): boolean {
  lockdep_assert_held(xa.lock, 'xa_lock');
  if (index < 0 || index >= XA_MAX_INDEX) {
    report('warn', `xa_store: index ${index} out of range`, [index]);
    return false;
  }
  const root = Atomics.load(A.i32, xa.root);
  if (root === 0) return false;
  const nodeSlot = pageDataWord(root - 1) + (index >>> 10);
  let node = Atomics.load(A.i32, nodeSlot);
  if (node === 0) {
    if (value < 0) return true;
    const p = page_pool_alloc(PG_KMALLOC, true);
    if (p < 0) return false;
    node = p + 1;
    rcu_assign_pointer(nodeSlot, node);
  }
  rcu_assign_pointer(pageDataWord(node - 1) + (index & (XA_SLOTS - 1)), value + 1);
  return true;
}

/** xa_store(): __xa_store() under xa_lock.  Context: process context. */
export function xa_store(xa: XArray, index: number, value: number): boolean {
  spin_lock(xa.lock, LC_XA);
  const ok = __xa_store(xa, index, value);
  spin_unlock(xa.lock);
  return ok;
}

/**
 * xa_alloc(): store @value at the lowest free index in [@min, @max],
 * writing the index to word @idWord first (the kernel's u32 *id: the
 * object knows its index before readers can find it).  Returns the index,
 * or -1 (-EBUSY: full, or -ENOMEM).
 * Context: process context; takes xa_lock (GFP_ATOMIC: no sleep).
 */
export function xa_alloc(xa: XArray, idWord: number, value: number, min: number, max: number): number {
  spin_lock(xa.lock, LC_XA);
  let found = -1;
  const root = Atomics.load(A.i32, xa.root);
  for (let i = Math.max(0, min); root !== 0 && i <= Math.min(max, XA_MAX_INDEX - 1); i++) {
    const node = Atomics.load(A.i32, pageDataWord(root - 1) + (i >>> 10));
    if (node !== 0 && Atomics.load(A.i32, pageDataWord(node - 1) + (i & (XA_SLOTS - 1))) !== 0) continue;
    Atomics.store(A.i32, idWord, i);
    if (__xa_store(xa, i, value)) found = i;
    break;
  }
  spin_unlock(xa.lock);
  return found;
}

export function xa_erase(xa: XArray, index: number): void {
  xa_store(xa, index, -1);
}

/** Visit every present entry in index order.  Context: xa_lock or RCU, or quiescent. */
export function xa_for_each(xa: XArray, fn: (index: number, value: number) => void): void {
  const root = rcu_dereference(xa.root);
  if (root === 0) return;
  for (let hi = 0; hi < XA_SLOTS; hi++) {
    const node = rcu_dereference(pageDataWord(root - 1) + hi);
    if (node === 0) continue;
    for (let lo = 0; lo < XA_SLOTS; lo++) {
      const v = rcu_dereference(pageDataWord(node - 1) + lo);
      if (v !== 0) fn(hi * XA_SLOTS + lo, v - 1);
    }
  }
}

/**
 * The pool pages @xa holds: every node, then its root (the order
 * xa_destroy() frees them in; kmemleak's census counts them).
 * Context: xa_lock, or no store can run (quiescent, or xa_destroy()).
 */
export function xa_pages(xa: XArray): number[] {
  const root = Atomics.load(A.i32, xa.root);
  if (root === 0) return [];
  const out: number[] = [];
  for (let hi = 0; hi < XA_SLOTS; hi++) {
    const node = Atomics.load(A.i32, pageDataWord(root - 1) + hi);
    if (node !== 0) out.push(node - 1);
  }
  out.push(root - 1);
  return out;
}

/**
 * xa_destroy(): unpublish the root, wait for readers, free every node.
 * Context: process context, sleeps; entries' objects are the caller's.
 */
export function xa_destroy(xa: XArray): void {
  const pages = xa_pages(xa);
  if (pages.length === 0) return;
  rcu_assign_pointer(xa.root, 0);
  synchronize_rcu();
  for (const page of pages) page_pool_free(page);
}
