/*
 * The quiescent checker's walk of the frame array (docs/invariants.md):
 *
 *  - folio-accounting: every frame is either on exactly one free list (the
 *    buddy's free_area[order] or a CPU's pcp list) or part of exactly one
 *    allocated folio, and no two buddies are free blocks of one order on
 *    the buddy's lists (__free_one_page() merges them); an allocated
 *    folio's mapcount is the number of present PTEs mapping its pages,
 *    and its refcount at least those
 *    PTEs' references plus the swap cache's (one per slot naming it,
 *    __swap_cache_add_folio's folio_ref_add(folio, nr)), and with no I/O
 *    in flight exactly those plus the references the caller of the check
 *    declares it holds (a test standing in for a task in the middle of
 *    reclaim or a fault): at quiescence no task holds one, so a reference
 *    more is a folio_get() without folio_put() - the folio can never be
 *    freed (swap cache folios included: the leak __try_to_reclaim_swap,
 *    try_to_unuse or zswap writeback would make).  A folio that no
 *    PTE maps, that is not in the swap cache and not under I/O has
 *    leaked: nothing will ever free it (the kernel's kmemleak / "BUG: Bad
 *    page state" territory);
 *  - swap-cache: a folio with PG_swapcache is named back by every slot
 *    of folio->swap (the slot -> folio direction is checked with the
 *    slots), and a large one's entry is aligned to its size inside one
 *    cluster, as the allocator hands out swap entries; a folio under
 *    writeback is in the swap cache;
 *  - lock-discipline: no folio is locked (but by a read in flight) or has
 *    PG_waiters at quiescence; PG_writeback only with a write in flight.
 *
 * The free lists are read from the arena as src/mm/page_alloc.ts keeps
 * them: zone->free_area[order] heads at G.free_area + order,
 * per_cpu_pages lists at CPU.pcp_lists + order, linked through
 * FOLIO.next, -1 terminated.
 *
 * Context: quiescent.
 */
import { A, gword } from '../shm/arena.js';
import { BIO, CPU, FOLIO, G, MAX_FOLIO_ORDER, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { bio_word, REQ_OP_WRITE } from '../block/bio.js';
import { cpuWord, nr_cpu_ids } from '../shm/task.js';
import { fw, folio_swap, nr_frames, PG_head, PG_locked, PG_swapcache, PG_tail, PG_waiters, PG_writeback } from '../mm/page_alloc.js';
import { cluster_table_is_alloced, clusterWord, swp_offset, swp_type } from '../mm/swap.js';
import { __swap_table_get } from '../mm/swap_table_arena.js';
import { swp_tb_is_folio, swp_tb_to_pfn } from '../mm/swap_table.js';
import { swap_design } from '../mm/swap_design.js';
import { si_has_clusters } from './device.js';
import type { Fail } from './fail.js';

/** References to each frame the checker counted elsewhere: present PTEs, swap table PFN entries. */
export interface FrameRefs {
  /** Present PTEs of live mms mapping each frame. */
  ptes: Int32Array;
  /** Swap table slots naming each frame as their swap cache folio. */
  cached: Int32Array;
  /** References the caller of the check holds on each folio (System.check(held)). */
  held: Int32Array;
}

/** @held: folios the caller holds a reference on, one per occurrence (frames past memory ignored). */
export function frame_refs(held: readonly number[] = []): FrameRefs {
  const refs = { ptes: new Int32Array(nr_frames()), cached: new Int32Array(nr_frames()), held: new Int32Array(nr_frames()) };
  for (const f of held) if (Number.isInteger(f) && f >= 0 && f < nr_frames()) refs.held[f]++;
  return refs;
}

/*
 * Mark the frames of the free list from @head's word (blocks of 2^@order
 * frames) in @free, reporting a frame already marked (on two lists), and
 * each block's first frame in @blocks (its order + 1) when given.
 * Returns the frames on the list.
 */
function walk_free_list(fail: Fail, free: Uint8Array, head: number, order: number, name: string, blocks: Int8Array | null = null): number {
  const n = free.length;
  let frames = 0;
  for (let pfn = A.i32[head], steps = 0; pfn >= 0; pfn = A.i32[fw(pfn, FOLIO.next)], steps++) {
    if (pfn >= n || steps >= n) {
      fail('folio-accounting', `free list ${name} corrupted: ${pfn >= n ? `frame ${pfn} is past memory` : 'a cycle'}`, [pfn]);
      break;
    }
    for (let k = 0; k < 1 << order && pfn + k < n; k++) {
      if (free[pfn + k]) fail('folio-accounting', `frame ${pfn + k} is on two free lists (a double free): again on ${name}`, [pfn + k]);
      free[pfn + k] = 1;
    }
    if (blocks !== null) blocks[pfn] = order + 1;
    frames += 1 << order;
  }
  return frames;
}

/*
 * The buddy allocator's own rule (mm/page_alloc.c): a free block's buddy
 * (pfn ^ 2^order) is never a free block of the same order too -
 * __free_one_page() merges the two as long as page_is_buddy() says the
 * buddy is free, so a pair left unmerged is a merge that was skipped (the
 * order they could have made is lost to every large allocation after).
 * @blocks: each buddy-list block's first frame, its order + 1.  Frames on
 * a CPU's pcp list are not PageBuddy and never merge; they are not in
 * @blocks.
 */
function check_buddies_merged(fail: Fail, blocks: Int8Array): void {
  for (let pfn = 0; pfn < blocks.length; pfn++) {
    if (blocks[pfn] === 0) continue;
    const order = blocks[pfn] - 1;
    const buddy = pfn ^ (1 << order);
    if (order < MAX_FOLIO_ORDER && buddy > pfn && buddy < blocks.length && blocks[buddy] === order + 1) {
      fail('folio-accounting', `free_area[${order}]: blocks at frames ${pfn} and ${buddy} are free buddies left unmerged (__free_one_page() merges them into one of order ${order + 1})`, [pfn, buddy, order]);
    }
  }
}

/* The free frames, from the buddy's and every CPU's lists, whose counters must agree. */
function free_frames(fail: Fail): Uint8Array {
  const i32 = A.i32;
  const free = new Uint8Array(nr_frames());
  const blocks = new Int8Array(nr_frames());
  let buddy = 0;
  for (let o = 0; o <= MAX_FOLIO_ORDER; o++) {
    const nr = walk_free_list(fail, free, gword(G.free_area) + o, o, `free_area[${o}]`, blocks);
    if (nr >> o !== i32[gword(G.free_area_nr) + o]) fail('folio-accounting', `free_area[${o}].nr_free ${i32[gword(G.free_area_nr) + o]} but ${nr >> o} blocks on its list`, [o]);
    buddy += nr;
  }
  if (buddy !== i32[gword(G.nr_free_frames)]) fail('folio-accounting', `zone: ${i32[gword(G.nr_free_frames)]} free frames counted, ${buddy} on the buddy lists`, [buddy]);
  check_buddies_merged(fail, blocks);
  for (let cpu = 0; cpu < nr_cpu_ids(); cpu++) {
    let pcp = 0;
    for (let o = 0; o <= MAX_FOLIO_ORDER; o++) pcp += walk_free_list(fail, free, cpuWord(cpu, CPU.pcp_lists + o), o, `cpu ${cpu} pcp[${o}]`);
    if (pcp !== i32[cpuWord(cpu, CPU.pcp_count)]) fail('folio-accounting', `cpu ${cpu}: pcp->count ${i32[cpuWord(cpu, CPU.pcp_count)]} but ${pcp} frames on its lists`, [cpu, pcp]);
  }
  return free;
}

/*
 * swap-cache: folio @folio (@nr pages, PG_swapcache) is named back by
 * every slot of folio->swap, which is aligned to @nr in one cluster.
 * False (reported) if not.
 */
function check_folio_slots(fail: Fail, folio: number, nr: number): boolean {
  const e = folio_swap(folio);
  if (e < 0) {
    fail('swap-cache', `folio ${folio} has PG_swapcache but no folio->swap`, [folio]);
    return false;
  }
  const type = swp_type(e);
  const off = swp_offset(e);
  const where = `${type}:${off}`;
  if (off % nr !== 0 || Math.floor(off / SWAPFILE_CLUSTER) !== Math.floor((off + nr - 1) / SWAPFILE_CLUSTER)) {
    fail('swap-cache', `folio ${folio} of ${nr} pages is in the swap cache at ${where}, not aligned to its size within one cluster (the allocator hands out naturally aligned ranges)`, [folio, e]);
    return false;
  }
  if (!si_has_clusters(type)) {
    fail('swap-cache', `folio ${folio} is in the swap cache at ${where}, on a device with no clusters`, [folio, e]);
    return false;
  }
  const ci = clusterWord(type, Math.floor(off / SWAPFILE_CLUSTER));
  for (let k = 0; k < nr; k++) {
    const tb = ci === 0 || !cluster_table_is_alloced(ci) ? 0n : __swap_table_get(ci, (off + k) % SWAPFILE_CLUSTER);
    if (!swp_tb_is_folio(tb) || swp_tb_to_pfn(swap_design().tb, tb) !== folio) {
      fail('swap-cache', `folio ${folio} is in the swap cache at ${where} (x${nr}), but slot ${type}:${off + k} holds 0x${tb.toString(16)}, not the folio`, [folio, e, k]);
      return false;
    }
  }
  return true;
}

/*
 * The folios under I/O at quiescence: the bios still queued (none once
 * the completion task drained the queue, as stress and the controlled
 * runs do before they check; the API completes every bio at once).
 */
export function folios_in_flight(): { reads: Set<number>; writes: Set<number> } {
  const i32 = A.i32;
  const reads = new Set<number>();
  const writes = new Set<number>();
  for (let bio = i32[gword(G.bio_head)], n = 0; bio >= 0 && n < A.L.config.nrBios; bio = i32[bio_word(bio, BIO.next)], n++) {
    (i32[bio_word(bio, BIO.op)] === REQ_OP_WRITE ? writes : reads).add(i32[bio_word(bio, BIO.folio)]);
  }
  return { reads, writes };
}

/*
 * lock-discipline: no folio lock is held, and nobody waits for one, at
 * quiescence - but for a folio whose read is in flight (its completion
 * unlocks it).  swap-cache: PG_writeback only with its write in flight
 * (else it never clears: reclaim and swapoff wait for ever), and only in
 * the swap cache, which its I/O completes to (__swap_cache_del_folio()
 * warns on one).
 */
function check_folio_bits(fail: Fail, folio: number, flags: number, io: ReturnType<typeof folios_in_flight>): void {
  if (flags & PG_locked && !io.reads.has(folio)) fail('lock-discipline', `folio ${folio} locked (PG_locked) at quiescence with no read in flight: a folio_lock() without folio_unlock()`, [folio]);
  if (flags & PG_waiters) fail('lock-discipline', `folio ${folio} has PG_waiters at quiescence: nobody waits on it (a wake-up lost, or a waiter left behind)`, [folio]);
  if (flags & PG_writeback && !io.writes.has(folio)) fail('swap-cache', `folio ${folio} under writeback (PG_writeback) at quiescence with no write in flight: folio_start_writeback() without folio_end_writeback()`, [folio]);
  if ((flags & (PG_writeback | PG_swapcache)) === PG_writeback) fail('swap-cache', `folio ${folio} under writeback (PG_writeback) but not in the swap cache`, [folio]);
}

/* folio-accounting and swap-cache for allocated folio @folio of @nr pages, @mapped by PTEs. */
function check_folio(fail: Fail, folio: number, nr: number, flags: number, mapped: number, cached: number, held: number, io: ReturnType<typeof folios_in_flight>): void {
  const i32 = A.i32;
  check_folio_bits(fail, folio, flags, io);
  const mapcount = i32[fw(folio, FOLIO.mapcount)];
  if (mapcount !== mapped) fail('folio-accounting', `folio ${folio}: mapcount ${mapcount} but ${mapped} PTEs map it`, [folio, mapcount, mapped]);
  /* A folio whose swap cache state is wrong (reported, here or with its slots) has references nobody can judge. */
  if (flags & PG_swapcache ? !check_folio_slots(fail, folio, nr) : cached !== 0) return;
  const ref = i32[fw(folio, FOLIO.refcount)];
  if (mapped === 0 && cached === 0 && held === 0 && !io.reads.has(folio) && !io.writes.has(folio)) {
    fail('folio-accounting', `folio ${folio} (${nr} page${nr > 1 ? 's' : ''}) leaked: allocated with refcount ${ref}, but no PTE maps it, it is not in the swap cache and no I/O is pending`, [folio, ref]);
  } else if (ref < mapped + cached) {
    fail('folio-accounting', `folio ${folio}: refcount ${ref}, below the ${mapped} PTEs and ${cached} swap cache slots that hold it (a put too many: freed while in use)`, [folio, ref, mapped, cached]);
  } else if (ref > mapped + cached + held && !io.reads.has(folio) && !io.writes.has(folio)) {
    const holders = `${mapped} PTEs and ${cached} swap cache slots${held > 0 ? ` and the checker's caller's ${held}` : ''}`;
    fail('folio-accounting', `folio ${folio}: refcount ${ref}, above the ${holders} that are all that hold it (no I/O in flight): a folio_get() without folio_put(), it can never be freed`, [folio, ref, mapped, cached]);
  }
}

/**
 * Every frame: free (on one free list) or in one allocated folio, and
 * every allocated folio's mapcount, references, swap cache and bit locks
 * (@refs counted by the PTE and slot walks).
 */
export function check_folios(fail: Fail, refs: FrameRefs): void {
  const i32 = A.i32;
  const n = nr_frames();
  const free = free_frames(fail);
  const io = folios_in_flight();
  for (let pfn = 0; pfn < n;) {
    const flags = i32[fw(pfn, FOLIO.flags)];
    const allocated = (flags & (PG_head | PG_tail)) !== 0;
    if (free[pfn] || !(flags & PG_head)) {
      if (free[pfn] && allocated) fail('folio-accounting', `frame ${pfn} is on a free list but allocated (flags 0x${flags.toString(16)}): freed while in use`, [pfn, flags]);
      else if (!free[pfn]) fail('folio-accounting', `frame ${pfn} ${flags & PG_tail ? `is a tail page of folio ${i32[fw(pfn, FOLIO.head)]}, which does not own it` : 'is neither allocated nor on a free list: lost to the allocator'}`, [pfn, flags]);
      if (refs.ptes[pfn] > 0 && !allocated) fail('folio-accounting', `frame ${pfn} is free but ${refs.ptes[pfn]} PTEs map it (use after free)`, [pfn]);
      pfn++;
      continue;
    }
    const nr = 1 << i32[fw(pfn, FOLIO.order)];
    let mapped = refs.ptes[pfn];
    let k = 1;
    for (; k < nr && pfn + k < n; k++) {
      const t = pfn + k;
      if (free[t] || !(i32[fw(t, FOLIO.flags)] & PG_tail) || i32[fw(t, FOLIO.head)] !== pfn) break;
      mapped += refs.ptes[t];
    }
    if (k < nr) {
      fail('folio-accounting', `folio ${pfn} of ${nr} pages: frame ${pfn + k} is not its tail page`, [pfn, pfn + k]);
      pfn += k;
      continue;
    }
    check_folio(fail, pfn, nr, flags, mapped, refs.cached[pfn], refs.held[pfn], io);
    pfn += nr;
  }
}
