/*
 * Physical memory: frames, folios and a buddy allocator (mm/page_alloc.c,
 * include/linux/page-flags.h, mm.h's folio refcount helpers).
 *
 * A folio is 2^order naturally aligned frames; its struct lives at the head
 * frame (PFN = frame index).  Each frame holds one 64-bit content token (the
 * page's data); token 0 is a zero-filled page.
 *
 * Refcounts follow the kernel: the allocation reference, one per PTE
 * mapping a page, nr for the swap cache.  folio_try_get() fails on a frozen
 * (0) count, which is how lockless swap cache readers lose the race with
 * __remove_mapping()'s folio_ref_freeze().  A freed folio bumps its
 * generation so a stale PFN in a swap table is visibly stale.
 *
 * Kernel mapping: folio_alloc, folio_put, folio_get, folio_try_get,
 * folio_ref_freeze/unfreeze, folio_lock/trylock/unlock (PG_locked),
 * folio_test_* / folio_set_* / folio_clear_*.
 */
import { A, gword } from '../shm/arena.js';
import { FOLIO, G, MAX_FOLIO_ORDER, TASK } from '../shm/layout.js';
import { BUG, report } from '../shm/report.js';
import { point, pointId, sched_wait } from '../sched/point.js';
import { LC_FOLIO, LC_ZONE, lock_acquire, lock_release } from '../sync/lockdep.js';
import { might_sleep } from '../sync/might_sleep.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { current, taskWord } from '../sync/task.js';
import { mem_cgroup_offline_seq } from './memcontrol.js';

export const PG_locked = 1 << 0;
export const PG_uptodate = 1 << 1;
export const PG_dirty = 1 << 2;
export const PG_writeback = 1 << 3;
export const PG_swapcache = 1 << 4;
export const PG_swapbacked = 1 << 5;
export const PG_workingset = 1 << 6;
export const PG_buddy = 1 << 7; /* free, on a buddy free list */
export const PG_head = 1 << 8; /* allocated folio head */
export const PG_tail = 1 << 9;
/** Someone sleeps in folio_lock(): folio_unlock() must wake them (the kernel's PG_waiters). */
export const PG_waiters = 1 << 10;

const P_FOLIO_LOCK = pointId('folio_lock');
const P_FOLIO_LOCK_WAIT = pointId('folio_lock_wait');

export function fw(pfn: number, f: number): number {
  return A.L.folio + pfn * FOLIO.SIZE + f;
}

/** u64 index of frame @pfn's content token. */
function tokenIndex(pfn: number): number {
  return (A.L.frameData >> 1) + pfn;
}

export function nr_frames(): number {
  return A.L.config.nrFrames;
}

/* ---- flags ---- */

export function folio_flags(pfn: number): number {
  return A.i32[fw(pfn, FOLIO.flags)];
}
export function folio_test(pfn: number, flag: number): boolean {
  return (folio_flags(pfn) & flag) !== 0;
}
export function folio_set(pfn: number, flag: number): void {
  Atomics.or(A.i32, fw(pfn, FOLIO.flags), flag);
}
export function folio_clear(pfn: number, flag: number): void {
  Atomics.and(A.i32, fw(pfn, FOLIO.flags), ~flag);
}
export const folio_test_locked = (p: number): boolean => folio_test(p, PG_locked);
export const folio_test_swapcache = (p: number): boolean => folio_test(p, PG_swapcache);
export const folio_test_dirty = (p: number): boolean => folio_test(p, PG_dirty);
export const folio_test_uptodate = (p: number): boolean => folio_test(p, PG_uptodate);
export const folio_test_writeback = (p: number): boolean => folio_test(p, PG_writeback);

export function folio_order(pfn: number): number {
  return A.i32[fw(pfn, FOLIO.order)];
}
export function folio_nr_pages(pfn: number): number {
  return 1 << folio_order(pfn);
}
export function folio_memcg(pfn: number): number {
  return A.i32[fw(pfn, FOLIO.memcg)];
}
/**
 * Charge @pfn to @memcg, chosen when the death sequence was @seq (read
 * before the choice: mem_cgroup_offline_seq()).
 */
export function folio_set_memcg(pfn: number, memcg: number, seq = mem_cgroup_offline_seq()): void {
  A.i32[fw(pfn, FOLIO.charge_seq)] = seq;
  A.i32[fw(pfn, FOLIO.memcg)] = memcg;
}
export function folio_charge_seq(pfn: number): number {
  return A.i32[fw(pfn, FOLIO.charge_seq)];
}
/** page_folio(): the head of the folio frame @pfn belongs to. */
export function page_folio(pfn: number): number {
  return A.i32[fw(pfn, FOLIO.head)];
}

/** folio->swap as a swp_entry_t number, or -1 when not set. */
export function folio_swap(pfn: number): number {
  const t = A.i32[fw(pfn, FOLIO.swap_type)];
  if (t === 0) return -1;
  return (t - 1) * (1 << 26) + A.i32[fw(pfn, FOLIO.swap_offset)];
}
export function folio_set_swap(pfn: number, entry: number): void {
  if (entry < 0) {
    A.i32[fw(pfn, FOLIO.swap_type)] = 0;
    A.i32[fw(pfn, FOLIO.swap_offset)] = 0;
    return;
  }
  A.i32[fw(pfn, FOLIO.swap_offset)] = entry % (1 << 26);
  A.i32[fw(pfn, FOLIO.swap_type)] = Math.floor(entry / (1 << 26)) + 1;
}

/* ---- content ---- */

export function page_token(pfn: number): bigint {
  return A.u64[tokenIndex(pfn)];
}
export function set_page_token(pfn: number, token: bigint): void {
  A.u64[tokenIndex(pfn)] = token;
}
/** A fresh non-zero content token (unique across the arena). */
/**
 * new_token(): a fresh, never-zero content token.  Unique per (task,
 * counter): each task counts in its own TASK.token_seq, so writers on
 * different CPUs share no counter; the multiply by an odd constant spreads
 * the bits (and is a bijection mod 2^64).
 */
export function new_token(): bigint {
  const t = current();
  const n = ++A.i32[taskWord(t, TASK.token_seq)] >>> 0;
  return (BigInt((t + 1) * 0x100000000 + n) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn | 1n;
}

/* ---- refcount ---- */

export function folio_ref_count(pfn: number): number {
  return A.i32[fw(pfn, FOLIO.refcount)];
}
export function folio_get(pfn: number): void {
  const old = Atomics.add(A.i32, fw(pfn, FOLIO.refcount), 1);
  if (old <= 0) report('swap-cache', `folio_get on folio ${pfn} with refcount ${old}`, [pfn, old]);
}
export function folio_ref_add(pfn: number, nr: number): void {
  Atomics.add(A.i32, fw(pfn, FOLIO.refcount), nr);
}
/** folio_try_get(): take a reference unless the count is 0 (being freed or frozen). */
export function folio_try_get(pfn: number): boolean {
  const w = fw(pfn, FOLIO.refcount);
  for (;;) {
    const c = A.i32[w];
    if (c <= 0) return false;
    if (Atomics.compareExchange(A.i32, w, c, c + 1) === c) return true;
  }
}
/** folio_ref_freeze(): 0 if the count is exactly @count. */
export function folio_ref_freeze(pfn: number, count: number): boolean {
  return Atomics.compareExchange(A.i32, fw(pfn, FOLIO.refcount), count, 0) === count;
}
export function folio_ref_unfreeze(pfn: number, count: number): void {
  A.i32[fw(pfn, FOLIO.refcount)] = count;
}
/** folio_put_refs(): drop @nr references; the last frees the folio. */
export function folio_put_refs(pfn: number, nr: number): void {
  const c = Atomics.sub(A.i32, fw(pfn, FOLIO.refcount), nr) - nr;
  if (c < 0) report('swap-cache', `folio_put: refcount underflow on folio ${pfn} (${c})`, [pfn, c]);
  if (c === 0) free_folio(pfn);
}
export function folio_put(pfn: number): void {
  folio_put_refs(pfn, 1);
}

/* ---- folio lock (PG_locked, may sleep) ---- */

export function folio_trylock(pfn: number): boolean {
  point(P_FOLIO_LOCK);
  if ((Atomics.or(A.i32, fw(pfn, FOLIO.flags), PG_locked) & PG_locked) !== 0) return false;
  lock_acquire(fw(pfn, FOLIO.flags), LC_FOLIO, true);
  return true;
}

/** __folio_set_locked(): lock a folio nobody else can see yet. */
export function __folio_set_locked(pfn: number): void {
  Atomics.or(A.i32, fw(pfn, FOLIO.flags), PG_locked);
  lock_acquire(fw(pfn, FOLIO.flags), LC_FOLIO, true);
}

/** folio_lock().  Context: process context, may sleep. */
export function folio_lock(pfn: number): void {
  might_sleep('folio_lock');
  const w = fw(pfn, FOLIO.flags);
  for (;;) {
    const v = A.i32[w];
    if ((v & PG_locked) === 0) {
      if ((Atomics.or(A.i32, w, PG_locked) & PG_locked) === 0) break;
      continue;
    }
    point(P_FOLIO_LOCK_WAIT);
    /* folio_wait_bit_common(): flag the folio before sleeping on it, so the unlock wakes us. */
    const seen = Atomics.or(A.i32, w, PG_waiters) | PG_waiters;
    if (seen & PG_locked) sched_wait(A.i32, w, seen);
  }
  lock_acquire(w, LC_FOLIO, false, true);
}

export function folio_unlock(pfn: number): void {
  const w = fw(pfn, FOLIO.flags);
  if ((A.i32[w] & PG_locked) === 0) {
    report('lock-discipline', `folio_unlock of unlocked folio ${pfn}`, [pfn]);
    return;
  }
  lock_release(w);
  /*
   * folio_unlock() + folio_wake_bit(): wake only when someone sleeps.
   * Waking clears PG_waiters; a waker that loses the race for the lock
   * sets it again before sleeping.  (Atomics.notify takes a process-wide
   * futex lock: calling it on every unlock made it a contention point.)
   */
  if (Atomics.and(A.i32, w, ~(PG_locked | PG_waiters)) & PG_waiters) Atomics.notify(A.i32, w);
}

/* ---- buddy allocator ---- */

function faHead(order: number): number {
  return gword(G.free_area) + order;
}
function faNr(order: number): number {
  return gword(G.free_area_nr) + order;
}

/* Context: zone->lock held. */
function buddy_add(pfn: number, order: number): void {
  const i32 = A.i32;
  const head = i32[faHead(order)];
  i32[fw(pfn, FOLIO.flags)] = PG_buddy;
  i32[fw(pfn, FOLIO.order)] = order;
  i32[fw(pfn, FOLIO.next)] = head;
  i32[fw(pfn, FOLIO.mapping_index)] = -1; /* prev */
  if (head >= 0) i32[fw(head, FOLIO.mapping_index)] = pfn;
  i32[faHead(order)] = pfn;
  i32[faNr(order)]++;
}

/* Context: zone->lock held. */
function buddy_del(pfn: number, order: number): void {
  const i32 = A.i32;
  const next = i32[fw(pfn, FOLIO.next)];
  const prev = i32[fw(pfn, FOLIO.mapping_index)];
  if (prev >= 0) i32[fw(prev, FOLIO.next)] = next;
  else i32[faHead(order)] = next;
  if (next >= 0) i32[fw(next, FOLIO.mapping_index)] = prev;
  i32[fw(pfn, FOLIO.flags)] = 0;
  i32[faNr(order)]--;
}

/** Put every frame on the free lists.  Context: init. */
export function page_alloc_init(): void {
  const i32 = A.i32;
  const n = nr_frames();
  const block = 1 << MAX_FOLIO_ORDER;
  for (let o = 0; o <= MAX_FOLIO_ORDER; o++) {
    i32[faHead(o)] = -1;
    i32[faNr(o)] = 0;
  }
  for (let p = 0; p < n; p++) {
    i32.fill(0, fw(p, 0), fw(p, FOLIO.SIZE));
    i32[fw(p, FOLIO.mapping_mm)] = -1;
    i32[fw(p, FOLIO.head)] = p;
  }
  for (let p = n - (n % block) - block; p >= 0; p -= block) buddy_add(p, MAX_FOLIO_ORDER);
  for (let p = n - (n % block); p < n; p++) buddy_add(p, 0);
  i32[gword(G.nr_free_frames)] = n;
  A.u64.fill(0n, A.L.frameData >> 1, (A.L.frameData >> 1) + n);
}

/**
 * folio_alloc(): a folio of 2^@order frames, refcount 1, or -1 (-ENOMEM).
 * Context: any; takes zone->lock.
 */
export function folio_alloc(order: number, memcg: number): number {
  const i32 = A.i32;
  spin_lock(gword(G.zone_lock), LC_ZONE);
  let o = order;
  while (o <= MAX_FOLIO_ORDER && i32[faHead(o)] < 0) o++;
  if (o > MAX_FOLIO_ORDER) {
    spin_unlock(gword(G.zone_lock));
    return -1;
  }
  const pfn = i32[faHead(o)];
  buddy_del(pfn, o);
  while (o > order) {
    o--;
    buddy_add(pfn + (1 << o), o);
  }
  i32[gword(G.nr_free_frames)] -= 1 << order;
  spin_unlock(gword(G.zone_lock));
  const nr = 1 << order;
  for (let k = 0; k < nr; k++) {
    const w = fw(pfn + k, 0);
    i32[w + FOLIO.head] = pfn;
    i32[w + FOLIO.mapcount] = 0;
    i32[w + FOLIO.swap_type] = 0;
    i32[w + FOLIO.mapping_mm] = -1;
    i32[w + FOLIO.order] = order;
    i32[w + FOLIO.flags] = k === 0 ? PG_head | PG_swapbacked : PG_tail;
  }
  i32[fw(pfn, FOLIO.memcg)] = memcg;
  i32[fw(pfn, FOLIO.charge_seq)] = mem_cgroup_offline_seq();
  i32[fw(pfn, FOLIO.refcount)] = 1;
  Atomics.add(i32, gword(G.nr_folios_inuse), 1);
  return pfn;
}

/** The last reference is gone (or was frozen): back to the buddy lists.  Context: any. */
export function free_folio(pfn: number): void {
  const i32 = A.i32;
  const flags = i32[fw(pfn, FOLIO.flags)];
  if (flags & (PG_swapcache | PG_locked | PG_writeback)) {
    BUG('swap-cache', `freeing folio ${pfn} with flags 0x${flags.toString(16)} (swapcache/locked/writeback)`, [pfn, flags]);
  }
  if (i32[fw(pfn, FOLIO.mapcount)] !== 0) BUG('swap-cache', `freeing mapped folio ${pfn}`, [pfn]);
  let order = i32[fw(pfn, FOLIO.order)];
  const nr = 1 << order;
  for (let k = 0; k < nr; k++) {
    Atomics.add(i32, fw(pfn + k, FOLIO.gen), 1);
    i32[fw(pfn + k, FOLIO.head)] = pfn + k;
    i32[fw(pfn + k, FOLIO.flags)] = 0;
  }
  Atomics.sub(i32, gword(G.nr_folios_inuse), 1);
  spin_lock(gword(G.zone_lock), LC_ZONE);
  i32[gword(G.nr_free_frames)] += nr;
  let p = pfn;
  for (let k = 0; k < nr; k++) if (k > 0) i32[fw(pfn + k, FOLIO.order)] = 0;
  while (order < MAX_FOLIO_ORDER) {
    const buddy = p ^ (1 << order);
    if (buddy >= nr_frames() || (i32[fw(buddy, FOLIO.flags)] & PG_buddy) === 0 || i32[fw(buddy, FOLIO.order)] !== order) break;
    buddy_del(buddy, order);
    p = Math.min(p, buddy);
    order++;
  }
  buddy_add(p, order);
  spin_unlock(gword(G.zone_lock));
}

export function nr_free_frames(): number {
  return A.i32[gword(G.nr_free_frames)];
}
