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
 * Frames come from a buddy allocator (free lists per order under
 * zone->lock) behind per-CPU page lists (pcp->lock, see rmqueue()): the
 * zone->lock every CPU shared was the model's most contended lock.
 *
 * Kernel mapping: folio_alloc, folio_put, folio_get, folio_try_get,
 * folio_ref_freeze/unfreeze, folio_lock/trylock/unlock (PG_locked),
 * folio_test_* / folio_set_* / folio_clear_*.
 */
import { A, gword } from '../shm/arena.js';
import { CPU, FOLIO, G, MAX_FOLIO_ORDER, PAGE_ALLOC_COSTLY_ORDER, PMD_ORDER, TASK } from '../shm/layout.js';
import { BUG, report } from '../shm/report.js';
import { point, pointId, sched_wait } from '../sync/point.js';
import { LC_FOLIO, LC_PCP, LC_ZONE, lock_acquire, lock_release, lockdep_assert_held } from '../sync/lockdep.js';
import { might_sleep } from '../sync/might_sleep.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { cpuWord, current, nr_cpu_ids, smp_processor_id, taskWord } from '../shm/task.js';
import { mem_cgroup_offline_seq } from './memcontrol.js';
import { blk_poll } from '../block/bio.js';
import { U32, U64 } from '../shm/u64_halves.js';
import { kasan_check_index, kasan_enabled } from '../shm/kasan.js';

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
/**
 * PG_anon_exclusive, per page (each frame's own flags word): this page of
 * an anon folio is mapped by exactly one process, which may write it
 * without copying (include/linux/page-flags.h PageAnonExclusive).
 */
export const PG_anon_exclusive = 1 << 11;
/**
 * PG_readahead: a swap cache folio swap readahead brought in that no
 * fault has used yet (folio_set_readahead / folio_test_clear_readahead,
 * src/mm/swap_readahead.ts).
 */
export const PG_readahead = 1 << 12;

const P_FOLIO_LOCK = pointId('folio_lock');
const P_FOLIO_LOCK_WAIT = pointId('folio_lock_wait');

/** Word @f of frame @pfn's struct page (with SWAPTORTURE_KASAN, a pfn outside the memory map is a BUG). */
export function fw(pfn: number, f: number): number {
  if (kasan_enabled) kasan_check_index('struct page', pfn, A.L.config.nrFrames);
  return A.L.folio + pfn * FOLIO.SIZE + f;
}

/** u64 index of frame @pfn's content token. */
export function page_token_index(pfn: number): number {
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
export const folio_test_readahead = (p: number): boolean => folio_test(p, PG_readahead);
/** folio_test_clear_readahead(): clear PG_readahead, atomically, and say whether it was set. */
export function folio_test_clear_readahead(pfn: number): boolean {
  return (Atomics.and(A.i32, fw(pfn, FOLIO.flags), ~PG_readahead) & PG_readahead) !== 0;
}

/**
 * VM_WARN_ON_ONCE_FOLIO(!folio_test_locked(folio), folio): what the swap
 * cache's helpers assert, since only the folio lock keeps a folio in (or
 * out of) the swap cache while they look.  @fn names the caller; @check
 * the kernel's macro where it is another (VM_BUG_ON_FOLIO,
 * VM_WARN_ON_FOLIO): the report says which one the kernel has there.
 */
export function folio_assert_locked(folio: number, fn: string, check = 'VM_WARN_ON_ONCE_FOLIO'): void {
  if (!folio_test_locked(folio)) report('lock-discipline', `${fn}: ${check}(!folio_test_locked(folio)): folio ${folio} is not locked`, [folio]);
}

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
 * before the choice: mem_cgroup_offline_seq()).  No default: a sequence
 * read here, after the caller chose, stamps a memcg that died in between
 * as one already dead when chosen.
 */
export function folio_set_memcg(pfn: number, memcg: number, seq: number): void {
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
  return A.u64[page_token_index(pfn)];
}
export function set_page_token(pfn: number, token: bigint): void {
  A.u64[page_token_index(pfn)] = token;
}
/*
 * Tokens are copied and compared as their two int32 halves: reading a
 * BigUint64Array element allocates a bigint, and the hot paths only move
 * or compare them.  @to / @from are u64 word indices of the arena.
 */
/**
 * copy_highpage() for content tokens.  Under SWAPTORTURE_KASAN an index
 * that is no word of the arena (one read past a bio's sectors is
 * undefined, and a typed array ignores a store to it) is a BUG, as KASAN
 * reports the read past the array in the kernel.
 * Context: the caller owns both words.
 */
export function token_copy(to: number, from: number): void {
  if (kasan_enabled) {
    kasan_check_index('content token', to, A.u64.length);
    kasan_check_index('content token', from, A.u64.length);
  }
  const i32 = A.i32;
  i32[2 * to] = i32[2 * from];
  i32[2 * to + 1] = i32[2 * from + 1];
}
export function token_equal(a: number, b: number): boolean {
  const i32 = A.i32;
  return i32[2 * a] === i32[2 * b] && i32[2 * a + 1] === i32[2 * b + 1];
}
export function token_is_zero(w: number): boolean {
  const i32 = A.i32;
  return i32[2 * w] === 0 && i32[2 * w + 1] === 0;
}

/**
 * new_token(): a fresh, never-zero content token.  Unique per (task,
 * counter): each task counts in its own TASK.token_seq, so writers on
 * different CPUs share no counter.  The low half is the counter times an
 * odd constant (a bijection mod 2^32, so the counter can be recovered),
 * the high half mixes the counter's bits above the task id + 1 in its low
 * 16 bits (never zero, and tells the tasks apart).
 */
export function new_token(): bigint {
  const t = current();
  const n = ++A.i32[taskWord(t, TASK.token_seq)];
  U32[0] = Math.imul(n, 0x9e3779b1);
  U32[1] = (Math.imul(n, 0x85ebca6b) & 0xffff0000) | ((t + 1) & 0xffff);
  return U64[0];
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
    blk_poll(); /* a read in flight with no completion task to end it */
    if ((Atomics.load(A.i32, w) & PG_locked) === 0) continue;
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
  i32[fw(pfn, FOLIO.index)] = -1; /* prev */
  if (head >= 0) i32[fw(head, FOLIO.index)] = pfn;
  i32[faHead(order)] = pfn;
  i32[faNr(order)]++;
}

/* Context: zone->lock held. */
function buddy_del(pfn: number, order: number): void {
  const i32 = A.i32;
  const next = i32[fw(pfn, FOLIO.next)];
  const prev = i32[fw(pfn, FOLIO.index)];
  if (prev >= 0) i32[fw(prev, FOLIO.next)] = next;
  else i32[faHead(order)] = next;
  if (next >= 0) i32[fw(next, FOLIO.index)] = prev;
  i32[fw(pfn, FOLIO.flags)] = 0;
  i32[faNr(order)]--;
}

/** Put every frame on the free lists.  Context: init. */
export function page_alloc_init(): void {
  const i32 = A.i32;
  const n = nr_frames();
  for (let o = 0; o <= MAX_FOLIO_ORDER; o++) {
    i32[faHead(o)] = -1;
    i32[faNr(o)] = 0;
  }
  for (let p = 0; p < n; p++) {
    i32.fill(0, fw(p, 0), fw(p, FOLIO.SIZE));
    i32[fw(p, FOLIO.anon_vma)] = -1;
    i32[fw(p, FOLIO.head)] = p;
  }
  /* The largest naturally aligned blocks that fit, as memblock_free_pages() hands memory over (the lowest at each list's head). */
  const blocks: [number, number][] = [];
  for (let p = 0; p < n; ) {
    let o = MAX_FOLIO_ORDER;
    while (p % (1 << o) !== 0 || p + (1 << o) > n) o--;
    blocks.push([p, o]);
    p += 1 << o;
  }
  for (let i = blocks.length - 1; i >= 0; i--) buddy_add(blocks[i][0], blocks[i][1]);
  i32[gword(G.nr_free_frames)] = n;
  A.u64.fill(0n, A.L.frameData >> 1, (A.L.frameData >> 1) + n);
  pcp_init();
}

/**
 * account_freepages(): the zone's free page count moves by @nr.  As the
 * kernel's (mm/page_alloc.c), it asserts zone->lock: the free lists and
 * their counts change only under it.  Context: zone->lock held.
 */
export function account_freepages(nr: number): void {
  lockdep_assert_held(gword(G.zone_lock), 'zone->lock');
  A.i32[gword(G.nr_free_frames)] += nr;
}

/*
 * __rmqueue(): a free block of exactly 2^@order frames from the buddy
 * lists, splitting a larger one; -1 if there is none.
 * Context: zone->lock held.
 */
function __rmqueue(order: number): number {
  const i32 = A.i32;
  let o = order;
  while (o <= MAX_FOLIO_ORDER && i32[faHead(o)] < 0) o++;
  if (o > MAX_FOLIO_ORDER) return -1;
  const pfn = i32[faHead(o)];
  buddy_del(pfn, o);
  while (o > order) {
    o--;
    buddy_add(pfn + (1 << o), o);
  }
  account_freepages(-(1 << order));
  return pfn;
}

/*
 * __free_one_page(): give the block of 2^@order frames at @pfn back to
 * the buddy lists, merging it with its free buddies.
 * Context: zone->lock held.
 */
function __free_one_page(pfn: number, order: number): void {
  const i32 = A.i32;
  account_freepages(1 << order);
  let p = pfn;
  while (order < MAX_FOLIO_ORDER) {
    const buddy = p ^ (1 << order);
    if (buddy >= nr_frames() || (i32[fw(buddy, FOLIO.flags)] & PG_buddy) === 0 || i32[fw(buddy, FOLIO.order)] !== order) break;
    buddy_del(buddy, order);
    p = Math.min(p, buddy);
    order++;
  }
  buddy_add(p, order);
}

/*
 * Per-CPU page lists (struct per_cpu_pages): each CPU keeps a few free
 * blocks of every order, so most allocations and frees take only its own
 * pcp->lock and never the zone->lock every CPU shares.  rmqueue_bulk()
 * refills a list with pcp_batch() frames' worth at a time;
 * free_pcppages_bulk() gives pcp_batch() frames back once a CPU holds
 * pcp_high().  Frames on a pcp list are free but not PageBuddy (flags 0),
 * so the buddy never merges them.  An allocation the buddy cannot serve
 * drains every CPU's lists first (drain_all_pages()), as the kernel does
 * before it declares the zone exhausted.
 */
/* The batch before PMD-size folios: 16 frames, or 1/128 of memory when that is more. */
const PCP_BATCH_MIN = 16;
function pcp_batch(): number {
  return Math.max(PCP_BATCH_MIN, nr_frames() >> 7);
}
/*
 * pcp_allowed_order(): the orders the per-CPU lists keep: up to
 * PAGE_ALLOC_COSTLY_ORDER, and PMD-size THPs.  Other orders go to and
 * come from the buddy under zone->lock.
 */
function pcp_allowed_order(order: number): boolean {
  return order <= PAGE_ALLOC_COSTLY_ORDER || order === PMD_ORDER;
}
function pcp_high(): number {
  return 4 * pcp_batch();
}
function pcpList(cpu: number, order: number): number {
  return cpuWord(cpu, CPU.pcp_lists + order);
}

/*
 * A CPU's lists and count are __guarded_by(&pcp->lock): pcp_push() and
 * pcp_pop() check it as lockdep_assert_held() does, so a list changed after
 * the lock was dropped is reported even when no other CPU got into the
 * window (see si_lists_assert_held() for the cluster lists).
 */
function pcp_assert_held(cpu: number): void {
  lockdep_assert_held(cpuWord(cpu, CPU.pcp_lock), 'pcp->lock');
}

/** pcp_push(): @pfn's block of 2^@order frames onto @cpu's list.  Context: pcp->lock of @cpu held. */
export function pcp_push(cpu: number, pfn: number, order: number): void {
  pcp_assert_held(cpu);
  const i32 = A.i32;
  const head = pcpList(cpu, order);
  i32[fw(pfn, FOLIO.order)] = order;
  i32[fw(pfn, FOLIO.next)] = i32[head];
  i32[head] = pfn;
  i32[cpuWord(cpu, CPU.pcp_count)] += 1 << order;
}

/** pcp_pop(): a block of 2^@order frames off @cpu's list, -1 if it is empty.  Context: pcp->lock of @cpu held. */
export function pcp_pop(cpu: number, order: number): number {
  pcp_assert_held(cpu);
  const i32 = A.i32;
  const head = pcpList(cpu, order);
  const pfn = i32[head];
  if (pfn < 0) return -1;
  i32[head] = i32[fw(pfn, FOLIO.next)];
  i32[cpuWord(cpu, CPU.pcp_count)] -= 1 << order;
  return pfn;
}

/* rmqueue_bulk(): refill @cpu's @order list from the buddy.  Context: pcp->lock of @cpu held. */
function rmqueue_bulk(cpu: number, order: number): void {
  spin_lock(gword(G.zone_lock), LC_ZONE);
  for (let n = Math.max(1, pcp_batch() >> order); n > 0; n--) {
    const pfn = __rmqueue(order);
    if (pfn < 0) break;
    pcp_push(cpu, pfn, order);
  }
  spin_unlock(gword(G.zone_lock));
}

/* free_pcppages_bulk(): @nr frames' worth (at least) from @cpu's lists back to the buddy.  Context: pcp->lock of @cpu held. */
function free_pcppages_bulk(cpu: number, nr: number): void {
  spin_lock(gword(G.zone_lock), LC_ZONE);
  /* PMD-size blocks first (one is a quarter of a small model's memory), then the small orders from 0. */
  for (let i = -1; i <= PAGE_ALLOC_COSTLY_ORDER && nr > 0; i++) {
    const order = i < 0 ? PMD_ORDER : i;
    for (let pfn = pcp_pop(cpu, order); pfn >= 0; pfn = nr > 0 ? pcp_pop(cpu, order) : -1) {
      __free_one_page(pfn, order);
      nr -= 1 << order;
    }
  }
  spin_unlock(gword(G.zone_lock));
}

/** drain_all_pages(): every CPU's lists back to the buddy.  Context: no pcp->lock held. */
export function drain_all_pages(): void {
  for (let cpu = 0; cpu < nr_cpu_ids(); cpu++) {
    spin_lock(cpuWord(cpu, CPU.pcp_lock), LC_PCP);
    if (A.i32[cpuWord(cpu, CPU.pcp_count)] > 0) free_pcppages_bulk(cpu, Infinity);
    spin_unlock(cpuWord(cpu, CPU.pcp_lock));
  }
}

/* Empty per-CPU lists.  Context: init. */
function pcp_init(): void {
  for (let cpu = 0; cpu < nr_cpu_ids(); cpu++) {
    A.i32[cpuWord(cpu, CPU.pcp_count)] = 0;
    for (let o = 0; o <= MAX_FOLIO_ORDER; o++) A.i32[pcpList(cpu, o)] = -1;
  }
}

/*
 * rmqueue(): a free block of 2^@order frames: this CPU's list first, a
 * refill from the buddy next, and after draining every CPU's lists the
 * buddy once more.  -1 when memory is exhausted.
 */
function rmqueue(order: number): number {
  let pfn = -1;
  if (pcp_allowed_order(order)) {
    const cpu = smp_processor_id();
    const lock = cpuWord(cpu, CPU.pcp_lock);
    spin_lock(lock, LC_PCP);
    pfn = pcp_pop(cpu, order);
    if (pfn < 0) {
      rmqueue_bulk(cpu, order);
      pfn = pcp_pop(cpu, order);
    }
    spin_unlock(lock);
  } else {
    pfn = rmqueue_buddy(order);
  }
  if (pfn >= 0) return pfn;
  drain_all_pages();
  return rmqueue_buddy(order);
}

/* rmqueue_buddy(): straight from the buddy.  Context: no pcp->lock held. */
function rmqueue_buddy(order: number): number {
  spin_lock(gword(G.zone_lock), LC_ZONE);
  const pfn = __rmqueue(order);
  spin_unlock(gword(G.zone_lock));
  return pfn;
}

/**
 * folio_alloc(): a folio of 2^@order frames, refcount 1, or -1 (-ENOMEM).
 * Context: any; takes this CPU's pcp->lock and maybe zone->lock.
 */
export function folio_alloc(order: number, memcg: number): number {
  const i32 = A.i32;
  const pfn = rmqueue(order);
  if (pfn < 0) return -1;
  const nr = 1 << order;
  for (let k = 0; k < nr; k++) {
    const w = fw(pfn + k, 0);
    i32[w + FOLIO.head] = pfn;
    i32[w + FOLIO.mapcount] = 0;
    i32[w + FOLIO.swap_type] = 0;
    i32[w + FOLIO.anon_vma] = -1;
    i32[w + FOLIO.order] = order;
    i32[w + FOLIO.flags] = k === 0 ? PG_head | PG_swapbacked : PG_tail;
  }
  i32[fw(pfn, FOLIO.memcg)] = memcg;
  i32[fw(pfn, FOLIO.charge_seq)] = mem_cgroup_offline_seq();
  i32[fw(pfn, FOLIO.refcount)] = 1;
  return pfn;
}

/**
 * The last reference is gone (or was frozen): onto this CPU's list
 * (free_unref_folios), spilling a batch to the buddy above pcp_high().
 * Context: any.
 */
export function free_folio(pfn: number): void {
  const i32 = A.i32;
  const flags = i32[fw(pfn, FOLIO.flags)];
  if (flags & (PG_swapcache | PG_locked | PG_writeback)) {
    BUG('swap-cache', `freeing folio ${pfn} with flags 0x${flags.toString(16)} (swapcache/locked/writeback)`, [pfn, flags]);
  }
  if (i32[fw(pfn, FOLIO.mapcount)] !== 0) BUG('swap-cache', `freeing mapped folio ${pfn}`, [pfn]);
  const order = i32[fw(pfn, FOLIO.order)];
  const nr = 1 << order;
  for (let k = 0; k < nr; k++) {
    i32[fw(pfn + k, FOLIO.head)] = pfn + k;
    i32[fw(pfn + k, FOLIO.flags)] = 0;
    if (k > 0) i32[fw(pfn + k, FOLIO.order)] = 0;
  }
  if (!pcp_allowed_order(order)) {
    spin_lock(gword(G.zone_lock), LC_ZONE);
    __free_one_page(pfn, order);
    spin_unlock(gword(G.zone_lock));
    return;
  }
  const cpu = smp_processor_id();
  const lock = cpuWord(cpu, CPU.pcp_lock);
  spin_lock(lock, LC_PCP);
  pcp_push(cpu, pfn, order);
  if (i32[cpuWord(cpu, CPU.pcp_count)] >= pcp_high()) free_pcppages_bulk(cpu, Math.max(pcp_batch(), 1 << order));
  spin_unlock(lock);
}

/** Free frames: the buddy's and every CPU's lists' (a racy sum while CPUs run). */
export function nr_free_frames(): number {
  let n = A.i32[gword(G.nr_free_frames)];
  for (let cpu = 0; cpu < nr_cpu_ids(); cpu++) n += A.i32[cpuWord(cpu, CPU.pcp_count)];
  return n;
}
