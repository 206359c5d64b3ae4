/*
 * Single-threaded unit tests of the allocator (mm/swapfile.c) and the
 * swap cache (mm/swap_state.c) error paths: a full device, order-N
 * allocation with only fragmented clusters, order 0 stealing from
 * higher-order clusters, bad slots, failslab on the swap table allocation,
 * -EEXIST / -ENOENT / -EBUSY fallback / -EAGAIN retry in
 * swap_cache_alloc_folio, discard, swap_reclaim_full_clusters, and swapoff
 * bringing every page back (or failing with -ENOMEM and putting the device
 * back).  Each scenario ends with the quiescent invariant check, run
 * once the test has dropped its references to folios nothing else holds
 * (at quiescence such a folio is a leak).
 *
 * Slots are allocated the way reclaim does it (folio_alloc_swap on a
 * locked folio) and freed the way the kernel drops an unreferenced swap
 * cache folio (folio_free_swap).  Slots that must stay in use while the
 * allocator looks for room belong to folios under writeback, which no
 * reclaim path may drop; "swapped out" slots (count and shadow, for the
 * swap cache tests) are made the way shrink_folio_list makes them.
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { afterEach, describe, expect, it } from 'vitest';
import { BLK_COMPLETION_INLINE, BLK_COMPLETION_TASK, blk_complete_folio, blk_set_completion } from '../src/block/bio.js';
import { __swap_writepage, swap_writepage_sectors } from '../src/mm/page_io.js';
import { System } from '../src/api/system.js';
import { holdAtEnd, skipEndCheck } from './quiescent.js';
import { EINVAL, ENOENT, ENOMEM, ENOSPC, EEXIST } from '../src/include/errno.js';
import { CI, CPU, FOLIO, G, MAX_FOLIO_ORDER, MAX_SWAPFILES, SI, SWAPFILE_CLUSTER } from '../src/shm/layout.js';
import { setPointHook, pointId } from '../src/sync/point.js';
import { cpuWord, request_migration, setCurrent } from '../src/shm/task.js';
import { A, gword } from '../src/shm/arena.js';
import { GFP_ATOMIC, set_failslab } from '../src/kmem/slab.js';
import { swap_cluster_alloc_table } from '../src/mm/swap_cluster_table.js';
import { spin_lock, spin_unlock } from '../src/sync/spinlock.js';
import { LC_CI, LC_PCP, LC_SI, LC_SWAP_AVAIL, LC_ZONE } from '../src/sync/lockdep.js';
import { swap_design } from '../src/mm/swap_design.js';
import { folio_alloc_swap, folio_free_swap, swap_put_entries_direct, swap_reclaim_full_clusters } from '../src/mm/swapfile.js';
import { folio_dup_swap } from '../src/mm/swap_count.js';
import { add_to_avail_list, del_from_avail_list, get_swap_device, nr_swap_pages, put_swap_device, swap_avail_on, swap_usage_in_pages, SWAP_USAGE_OFFLIST_BIT, total_swap_pages, vm_swap_full } from '../src/mm/swap_device.js';
import { swap_discard_work, swap_do_scheduled_discard } from '../src/mm/swap_discard.js';
import { __swap_cache_del_folio, swap_cache_alloc_folio } from '../src/mm/swap_state.js';
import { swapin_entry } from '../src/mm/swapin.js';
import {
  __folio_set_locked, account_freepages, folio_alloc, folio_clear, folio_get, folio_lock, folio_memcg, folio_nr_pages, folio_order, folio_put,
  folio_put_refs, folio_set, folio_swap, folio_test_swapcache, folio_unlock, fw, nr_free_frames, page_token, PG_writeback, drain_all_pages,
  pcp_pop, pcp_push,
} from '../src/mm/page_alloc.js';
import {
  CLUSTER_FLAG_DISCARD, CLUSTER_FLAG_FREE, CLUSTER_FLAG_FULL, CLUSTER_FLAG_NONFULL, ci_count, ci_flags, ci_order,
  __swap_offset_to_cluster, cluster_table_is_alloced, clusterWord, si_flags, si_max, siWord, swap_cluster_lock, swap_cluster_unlock, swp_entry, swp_offset, swp_type, SWP_USED, SWP_WRITEOK,
} from '../src/mm/swap.js';
import { list_add_tail, list_del, list_entries, list_for_flags } from '../src/mm/cluster_list.js';
import { plist_first, plist_next, plist_requeue } from '../src/mm/plist.js';
import { __swap_table_get, __swap_table_get_rcu, __swap_table_set, swap_table_get, swap_table_rcu_dereference } from '../src/mm/swap_table_arena.js';
import { rcu_read_lock, rcu_read_unlock } from '../src/sync/rcu.js';
import { shadow_to_swp_tb, swp_tb_to_shadow, __swp_tb_get_flags } from '../src/mm/swap_table.js';
import { mem_cgroup_offline, mem_cgroup_online, nr_memcg_ids, ROOT_MEM_CGROUP } from '../src/mm/memcontrol.js';
import { pack_shadow, unpack_shadow } from '../src/mm/workingset.js';
import { expected_token, is_swap_pte, pte_lock, pte_pfn, pte_present, pte_unlock, pte_wrprotect, ptep_get, set_pte } from '../src/mm/pgtable.js';

const TYPE = 0;

/*
 * The folios a test holds a reference on (swapAlloc's, until swapFree or
 * swapOut drops it), declared to the quiescent check: a test stands in
 * for a task in the middle of reclaim.  They are the last booted system's,
 * and declared for its end-of-test check too (afterEach below).
 */
const held = new Set<number>();
let booted: System | null = null;

function boot(cfg: Parameters<typeof System.create>[0] = {}): System {
  held.clear();
  return (booted = System.create({ nrCpus: 2, nrTasks: 2, nrFrames: 4096, nrPages: 64, nrMms: 4, mmPages: 512, nrBios: 4096 /* a write in flight for every busy folio */, ...cfg }));
}

function device(sys: System, sizePages: number, o: { badPages?: number[]; discard?: boolean } = {}): void {
  expect(sys.createSwapDevice('/dev/vdb', { sizePages, badPages: o.badPages })).toBe(0);
  expect(sys.swapon('/dev/vdb', { discard: o.discard })).toBe(0);
}

/** The quiescent check, and everything reported so far (the check reports its findings too). */
function violations(sys: System): string[] {
  sys.check([...held]);
  return sys.reports().map((v) => `${v.invariant}: ${v.message}`);
}

/** A folio of @order given swap slots (in the swap cache, count 0, unlocked, ours), or the errno. */
function swapAlloc(order: number, memcg = ROOT_MEM_CGROUP): { folio: number; entry: number; err: number } {
  const folio = folio_alloc(order, memcg);
  expect(folio).toBeGreaterThanOrEqual(0);
  __folio_set_locked(folio);
  const err = folio_alloc_swap(folio);
  const entry = err === 0 ? folio_swap(folio) : -1;
  folio_unlock(folio);
  if (err !== 0) {
    folio_put(folio);
    return { folio: -1, entry, err };
  }
  held.add(folio);
  return { folio, entry, err };
}

/** Drop a never-written folio's slots (folio_free_swap) and our reference. */
function swapFree(folio: number): void {
  folio_lock(folio);
  expect(folio_free_swap(folio)).toBe(true);
  folio_unlock(folio);
  folio_put(folio);
  held.delete(folio);
}

/**
 * Slots "swapped out" (the way shrink_folio_list leaves them): count 1 each
 * for the PTEs that would reference them, a shadow, the folio freed.  The
 * test then stands in for those PTEs, so it runs the quiescent check only
 * after swap_put_entries_direct() (zap) dropped them.  Returns the entry.
 */
function swapOut(order: number, memcg = ROOT_MEM_CGROUP): number {
  const { folio, entry, err } = swapAlloc(order, memcg);
  expect(err).toBe(0);
  folio_lock(folio);
  expect(folio_dup_swap(folio)).toBe(0);
  const ci = swap_cluster_lock(TYPE, swp_offset(entry));
  __swap_cache_del_folio(ci, folio, true, true);
  swap_cluster_unlock(ci);
  folio_put_refs(folio, folio_nr_pages(folio));
  folio_unlock(folio);
  folio_put(folio);
  held.delete(folio);
  return entry;
}

/*
 * Slots in use with nothing but the swap cache referencing them, so the
 * quiescent check holds at every step: folios under writeback (I/O in
 * flight), which neither the allocator's cluster_reclaim_range nor
 * swap_reclaim_full_clusters may drop.  A folio without writeback would be
 * cache-only, and reclaimable as soon as swap is half full.
 */
function busyAlloc(order: number): { folio: number; entry: number; err: number } {
  const r = swapAlloc(order);
  if (r.err === 0) {
    /* Its write in flight: __swap_writepage() with a completion task that has not run yet. */
    blk_set_completion(BLK_COMPLETION_TASK);
    folio_get(r.folio);
    folio_lock(r.folio);
    __swap_writepage(r.folio, swap_writepage_sectors(r.entry, folio_nr_pages(r.folio))!);
    folio_put(r.folio);
    blk_set_completion(BLK_COMPLETION_INLINE);
  }
  return r;
}

function busy(order: number): number {
  const r = busyAlloc(order);
  expect(r.err).toBe(0);
  return r.folio;
}

/** Fill the device with busy folios of @order; returns them. */
function busyAll(order: number): number[] {
  const out: number[] = [];
  for (let r = busyAlloc(order); r.err === 0; r = busyAlloc(order)) out.push(r.folio);
  return out;
}

/** Writeback done: the slots are dropped with the folio. */
function unbusy(folio: number): void {
  expect(blk_complete_folio(folio)).toBe(true);
  swapFree(folio);
}

const slot = (folio: number): number => swp_offset(folio_swap(folio));
/** The folio of @folios whose swap entry starts at @offset. */
const folioAt = (folios: readonly number[], offset: number): number => folios.find((f) => slot(f) === offset)!;
const clusterOf = (folio: number): number => Math.floor(slot(folio) / SWAPFILE_CLUSTER);

function cluster(idx: number): number {
  return clusterWord(TYPE, idx);
}

function list(flags: number, order = 0): number[] {
  return list_entries(TYPE, list_for_flags(TYPE, flags, order));
}

afterEach(() => {
  setPointHook(null);
  setCurrent(0);
  if (booted !== null) holdAtEnd(booted, [...held]);
  booted = null;
});

describe('per-CPU page lists', () => {
  it('frames freed on one CPU sit on its list, count as free, and another CPU gets every one of them (drain_all_pages before -ENOMEM)', () => {
    const sys = boot({ nrFrames: 256 });
    const total = nr_free_frames();
    const grab = (): number[] => {
      const got: number[] = [];
      for (let pfn = folio_alloc(0, ROOT_MEM_CGROUP); pfn >= 0; pfn = folio_alloc(0, ROOT_MEM_CGROUP)) got.push(pfn);
      return got;
    };
    setCurrent(0); /* CPU 0 */
    const first = grab();
    expect(first.length).toBe(total);
    expect(new Set(first).size).toBe(total);
    expect(nr_free_frames()).toBe(0);
    for (const pfn of first) folio_put(pfn); /* onto CPU 0's list, batches spilling to the buddy */
    expect(nr_free_frames()).toBe(total);
    setCurrent(1); /* CPU 1: its own list is empty, the buddy short of what CPU 0 keeps */
    const second = grab();
    expect(second.length).toBe(total);
    for (const pfn of second) folio_put(pfn);
    /* Large folios come back whole from the merged buddy. */
    const big = folio_alloc(4, ROOT_MEM_CGROUP);
    expect(big).toBeGreaterThanOrEqual(0);
    expect(folio_nr_pages(big)).toBe(16);
    folio_put(big);
    expect(nr_free_frames()).toBe(total);
    expect(violations(sys)).toEqual([]);
  });

  it('an allocation from an empty list refills it with pcp->batch blocks from the buddy and hands out one (rmqueue_bulk); drain_all_pages empties every order\'s list', () => {
    const sys = boot({ nrFrames: 4096 }); /* batch max(PCP_BATCH_MIN, 4096 >> 7) = 32 */
    const pcp = (cpu: number): number => A.i32[cpuWord(cpu, CPU.pcp_count)];
    setCurrent(1);
    const got: number[] = [];
    for (const order of [0, 2, 3]) {
      /* empty this CPU's lists first */
      sys.as(1, () => drain_all_pages());
      expect(pcp(1)).toBe(0);
      const pfn = folio_alloc(order, ROOT_MEM_CGROUP);
      expect(pfn).toBeGreaterThanOrEqual(0);
      got.push(pfn);
      /* batch >> order blocks of 2^order frames came over, one went out */
      expect(pcp(1)).toBe(((32 >> order) - 1) << order);
    }
    for (const pfn of got) folio_put(pfn); /* back onto the lists: orders 0, 2 and 3 (PAGE_ALLOC_COSTLY_ORDER) */
    sys.as(1, () => drain_all_pages());
    expect(pcp(1)).toBe(0);
    expect(violations(sys)).toEqual([]);
  });

  it('a free that fills a CPU\'s list to pcp->high gives back exactly pcp->batch frames to the buddy (free_pcppages_bulk), and no block of the next order once they are given', () => {
    const sys = boot({ nrFrames: 4096 }); /* batch max(PCP_BATCH_MIN, 4096 >> 7) = 32, high 4 x 32 = 128 */
    setCurrent(0);
    /* Order-2 blocks on the list too (its refill: 32 >> 2 blocks): the batch comes from order 0 and they stay, as the kernel's loop runs while count > 0. */
    folio_put(folio_alloc(2, ROOT_MEM_CGROUP));
    expect(A.i32[cpuWord(0, CPU.pcp_count)]).toBe(32);
    const got: number[] = [];
    for (let i = 0; i < 200; i++) got.push(folio_alloc(0, ROOT_MEM_CGROUP));
    expect(got.every((pfn) => pfn >= 0)).toBe(true);
    const total = nr_free_frames() + got.length;
    const pcp = (): number => A.i32[cpuWord(0, CPU.pcp_count)];
    const start = pcp();
    let want = start;
    for (const pfn of got) {
      folio_put(pfn);
      want += 1;
      if (want >= 128) want -= 32;
      expect(pcp()).toBe(want);
    }
    expect(nr_free_frames()).toBe(total);
    expect(violations(sys)).toEqual([]);
  });

  it('account_freepages() asserts zone->lock, as the kernel\'s lockdep_assert_held(&zone->lock) does: the free lists change only under it', () => {
    const sys = boot({ nrFrames: 256 });
    const total = nr_free_frames();
    account_freepages(0);
    expect(sys.reports().map((v) => v.message)).toEqual([expect.stringMatching(/^WARNING: lockdep_assert_held\(zone->lock\) failed/)]);
    sys.clearReports();
    spin_lock(gword(G.zone_lock), LC_ZONE);
    account_freepages(0);
    spin_unlock(gword(G.zone_lock));
    expect(sys.reports()).toEqual([]);
    expect(nr_free_frames()).toBe(total);
  });

  it('a CPU\'s lists change only under its pcp->lock: pcp_pop() and pcp_push() outside it are reported on the spot, with no other CPU in the window', () => {
    const sys = boot({ nrFrames: 256 });
    setCurrent(0);
    folio_put(folio_alloc(0, ROOT_MEM_CGROUP)); /* CPU 0's order-0 list is refilled and holds it */
    const count = A.i32[cpuWord(0, CPU.pcp_count)];
    expect(count).toBeGreaterThan(0);
    const pfn = pcp_pop(0, 0);
    expect(pfn).toBeGreaterThanOrEqual(0);
    expect(sys.reports().map((v) => `${v.invariant}: ${v.message}`)).toEqual([expect.stringMatching(/^lock-discipline: WARNING: lockdep_assert_held\(pcp->lock\) failed/)]);
    sys.clearReports();
    const lock = cpuWord(0, CPU.pcp_lock);
    spin_lock(lock, LC_PCP);
    pcp_push(0, pfn, 0);
    spin_unlock(lock);
    expect(sys.reports()).toEqual([]);
    /* Another CPU's lock does not do: the list is CPU 0's. */
    spin_lock(cpuWord(1, CPU.pcp_lock), LC_PCP);
    pcp_push(0, pcp_pop(0, 0), 0);
    spin_unlock(cpuWord(1, CPU.pcp_lock));
    expect(sys.reports().map((v) => v.message)).toEqual([expect.stringMatching(/lockdep_assert_held\(pcp->lock\)/), expect.stringMatching(/lockdep_assert_held\(pcp->lock\)/)]);
    sys.clearReports();
    expect(A.i32[cpuWord(0, CPU.pcp_count)]).toBe(count);
    expect(violations(sys)).toEqual([]);
  });
});

describe('lists and PTEs guarded by a lock change only under it (__guarded_by, checked as lockdep_assert_held)', () => {
  it('list_del() and list_add_tail() outside si->lock are reported on the spot; under it, or on a device swapon is still building (its users ref dead and drained), they are not', () => {
    const sys = boot();
    device(sys, 4 * SWAPFILE_CLUSTER); /* swapon built the lists unlocked: nothing reported */
    expect(sys.reports()).toEqual([]);
    const free = list_for_flags(TYPE, CLUSTER_FLAG_FREE, 0);
    expect(list(CLUSTER_FLAG_FREE)).toEqual([1, 2, 3]);
    list_del(TYPE, free, 2);
    expect(sys.reports().map((v) => `${v.invariant}: ${v.message}`)).toEqual([expect.stringMatching(/^lock-discipline: WARNING: lockdep_assert_held\(&si->lock\) failed/)]);
    sys.clearReports();
    spin_lock(siWord(TYPE, SI.lock), LC_SI);
    list_add_tail(TYPE, free, 2);
    spin_unlock(siWord(TYPE, SI.lock));
    expect(sys.reports()).toEqual([]);
    expect(list(CLUSTER_FLAG_FREE)).toEqual([1, 3, 2]);
    /* Off and on again: swapoff's frees and the second swapon's setup report nothing either. */
    expect(sys.swapoff('/dev/vdb')).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    expect(list(CLUSTER_FLAG_FREE)).toEqual([1, 2, 3]);
    expect(violations(sys)).toEqual([]);
  });

  it('set_pte() outside the page table\'s lock is reported on the spot, and under another table\'s; under its own table\'s lock it is not', () => {
    const sys = boot({ mmPages: 2 * SWAPFILE_CLUSTER }); /* two page tables, one lock each */
    const mm = sys.mmCreate();
    expect(sys.write(mm, 0, { maxOrder: 0 })).toBe(0);
    const pte = ptep_get(mm, 0);
    sys.as(0, () => set_pte(mm, 0, pte_wrprotect(pte)));
    expect(sys.reports().map((v) => `${v.invariant}: ${v.message}`)).toEqual([expect.stringMatching(/^lock-discipline: WARNING: lockdep_assert_held\(ptl\) failed/)]);
    sys.clearReports();
    /* The next table's lock is not this PTE's. */
    sys.as(0, () => {
      pte_lock(mm, SWAPFILE_CLUSTER);
      set_pte(mm, 0, pte);
      pte_unlock(mm, SWAPFILE_CLUSTER);
    });
    expect(sys.reports().map((v) => v.message)).toEqual([expect.stringMatching(/lockdep_assert_held\(ptl\)/)]);
    sys.clearReports();
    sys.as(0, () => {
      pte_lock(mm, 0);
      set_pte(mm, 0, pte);
      pte_unlock(mm, 0);
    });
    expect(sys.reports()).toEqual([]);
    expect(violations(sys)).toEqual([]);
  });

  it('plist_requeue() outside swap_avail_lock is reported on the spot; under it, it is not', () => {
    const sys = boot();
    for (const dev of ['/dev/a', '/dev/b']) {
      expect(sys.createSwapDevice(dev, { sizePages: 2 * SWAPFILE_CLUSTER })).toBe(0);
      expect(sys.swapon(dev, { prio: 5 })).toBe(0);
    }
    const head = gword(G.swap_avail_head);
    const order = (): number[] => [plist_first(head), plist_next(plist_first(head))];
    expect(order()).toEqual([0, 1]);
    plist_requeue(0, head);
    expect(sys.reports().map((v) => `${v.invariant}: ${v.message}`)).toEqual([expect.stringMatching(/^lock-discipline: WARNING: lockdep_assert_held\(swap_avail_lock\) failed/)]);
    sys.clearReports();
    expect(order()).toEqual([1, 0]);
    spin_lock(gword(G.swap_avail_lock), LC_SWAP_AVAIL);
    plist_requeue(1, head);
    spin_unlock(gword(G.swap_avail_lock));
    expect(sys.reports()).toEqual([]);
    expect(order()).toEqual([0, 1]);
    expect(violations(sys)).toEqual([]);
  });
});

describe('the buddy allocator', () => {
  it('a zone that does not end on a max-order block: boot hands it over in the largest aligned blocks that fit, and once every frame went out and came back the blocks have merged back into them', () => {
    const sys = boot({ nrFrames: 1000 }); /* 512 + 256 + 128 + 64 + 32 + 8 */
    const free_blocks = (): string[] => {
      const out: string[] = [];
      for (let o = 0; o <= MAX_FOLIO_ORDER; o++) {
        for (let pfn = A.i32[gword(G.free_area) + o]; pfn >= 0; pfn = A.i32[fw(pfn, FOLIO.next)]) out.push(`${pfn}@${o}`);
      }
      return out.sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    };
    const atBoot = free_blocks();
    expect(atBoot).toEqual(['0@9', '512@8', '768@7', '896@6', '960@5', '992@3']);
    expect(violations(sys)).toEqual([]);
    setCurrent(0);
    const got: number[] = [];
    for (let pfn = folio_alloc(0, ROOT_MEM_CGROUP); pfn >= 0; pfn = folio_alloc(0, ROOT_MEM_CGROUP)) got.push(pfn);
    expect(new Set(got).size).toBe(1000);
    for (const pfn of got) folio_put(pfn);
    sys.as(0, () => drain_all_pages());
    expect(free_blocks()).toEqual(atBoot);
    expect(violations(sys)).toEqual([]);
  });
});

describe('allocation on a full device', () => {
  it('fails with -ENOMEM and leaves nr_swap_pages, inuse_pages and the avail list consistent', () => {
    const sys = boot();
    device(sys, 1024);
    const pages = 1023;
    const held = busyAll(0);
    expect(held.length).toBe(pages);
    expect(nr_swap_pages()).toBe(0);
    expect(swap_usage_in_pages(TYPE)).toBe(pages);
    expect(new Int32Array(sys.handle.sab)[siWord(TYPE, SI.avail)]).toBe(0); /* off swap_avail_head */
    const frames = nr_free_frames();
    for (const order of [0, 2, 4]) expect(swapAlloc(order).err).toBe(-ENOMEM);
    expect(nr_free_frames()).toBe(frames); /* the failed folios went back */
    expect(nr_swap_pages()).toBe(0);
    expect(swap_usage_in_pages(TYPE)).toBe(pages);
    expect(violations(sys)).toEqual([]);
    /* One slot freed: the device is available again and that slot is reused. */
    const freed = slot(held[100]);
    unbusy(held[100]);
    expect(nr_swap_pages()).toBe(1);
    expect(new Int32Array(sys.handle.sab)[siWord(TYPE, SI.avail)]).toBe(1);
    held[100] = busy(0);
    expect(slot(held[100])).toBe(freed);
    expect(nr_swap_pages()).toBe(0);
    for (const f of held) unbusy(f);
    expect(nr_swap_pages()).toBe(pages);
    expect(violations(sys)).toEqual([]);
  });

  it('with the device nearly full (vm_swap_full), the scan reclaims a cache-only slot it meets and allocates it (cluster_reclaim_range)', () => {
    const sys = boot();
    device(sys, 1024);
    const cached: number[] = [];
    for (let r = swapAlloc(0); r.err === 0; r = swapAlloc(0)) cached.push(r.folio); /* in the swap cache, count 0: cache-only */
    expect(cached.length).toBe(1023);
    /* One free slot at the end of cluster 1; its first slot cache-only. */
    const last = folioAt(cached, 2 * SWAPFILE_CLUSTER - 1);
    swapFree(last);
    cached.splice(cached.indexOf(last), 1);
    const first = folioAt(cached, SWAPFILE_CLUSTER);
    const r = swapAlloc(0);
    expect(r.err).toBe(0);
    expect(slot(r.folio)).toBe(SWAPFILE_CLUSTER); /* reclaimed from the cache-only folio, not the free slot further on */
    expect(folio_test_swapcache(first)).toBe(false);
    folio_put(first); /* our reference: the folio is plain memory now */
    held.delete(first);
    cached.splice(cached.indexOf(first), 1);
    expect(violations(sys)).toEqual([]);
    for (const f of [...cached, r.folio]) swapFree(f);
    expect(nr_swap_pages()).toBe(1023);
    expect(violations(sys)).toEqual([]);
  });

  it('a large allocation reclaims every cache-only folio in the range it meets, not only the first (cluster_reclaim_range)', () => {
    const sys = boot();
    device(sys, 2 * SWAPFILE_CLUSTER);
    const large = busyAll(2); /* every aligned 4-slot range but slot 0's */
    const small = busyAll(0); /* the slots left beside slot 0 */
    /* Cluster 1's first range: four cache-only order-0 folios; its second range free. */
    const first = folioAt(large, SWAPFILE_CLUSTER);
    unbusy(first);
    const cached = [0, 1, 2, 3].map(() => swapAlloc(0));
    expect(cached.map((r) => slot(r.folio)).sort((a, b) => a - b)).toEqual([0, 1, 2, 3].map((k) => SWAPFILE_CLUSTER + k));
    const second = folioAt(large, SWAPFILE_CLUSTER + 4);
    unbusy(second);
    const r = swapAlloc(2);
    expect(r.err).toBe(0);
    expect(slot(r.folio)).toBe(SWAPFILE_CLUSTER); /* all four reclaimed, not the free range after them */
    for (const c of cached) {
      expect(folio_test_swapcache(c.folio)).toBe(false);
      folio_put(c.folio); /* our reference: plain memory now */
      held.delete(c.folio);
    }
    expect(violations(sys)).toEqual([]);
    swapFree(r.folio);
    for (const f of [...large.filter((f) => f !== first && f !== second), ...small]) unbusy(f);
    expect(nr_swap_pages()).toBe(2 * SWAPFILE_CLUSTER - 1);
    expect(violations(sys)).toEqual([]);
  });

  it('a page that cannot get a slot stays in memory, its data intact', () => {
    const sys = boot({ mmPages: 512 });
    device(sys, 256);
    const mm = sys.mmCreate();
    for (let i = 0; i < 300; i++) expect(sys.write(mm, i, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(mm, 0, 300)).toBe(255);
    expect(nr_swap_pages()).toBe(0);
    let present = 0;
    for (let i = 0; i < 300; i++) if (pte_present(ptep_get(mm, i))) present++;
    expect(present).toBe(300 - 255);
    for (let i = 0; i < 300; i++) expect(sys.touch(mm, i)).toBe(0);
    expect(violations(sys)).toEqual([]);
  });
});

describe('the avail list: SWAP_USAGE_OFFLIST_BIT in si->inuse_pages', () => {
  const inuse = (): number => Atomics.load(A.i32, siWord(TYPE, SI.inuse_pages));
  const nrReal = (): number => A.i32[gword(G.nr_real_swapfiles)];

  it('a device going full leaves the list once, the off-list bit set; a free brings it back; full again takes it off again', () => {
    const sys = boot();
    device(sys, 1024);
    const pages = 1023;
    expect([inuse(), swap_avail_on(TYPE), nrReal()]).toEqual([0, true, 1]);
    const held = busyAll(0);
    expect(held.length).toBe(pages);
    expect([inuse(), swap_avail_on(TYPE), nrReal()]).toEqual([pages | SWAP_USAGE_OFFLIST_BIT, false, 0]);
    expect(swap_usage_in_pages(TYPE)).toBe(pages);
    /* Failed allocations change nothing: it went off exactly once. */
    for (const order of [0, 2]) expect(swapAlloc(order).err).toBe(-ENOMEM);
    expect([inuse(), swap_avail_on(TYPE), nrReal()]).toEqual([pages | SWAP_USAGE_OFFLIST_BIT, false, 0]);
    unbusy(held[5]);
    expect([inuse(), swap_avail_on(TYPE), nrReal()]).toEqual([pages - 1, true, 1]);
    held[5] = busy(0);
    expect([inuse(), swap_avail_on(TYPE), nrReal()]).toEqual([pages | SWAP_USAGE_OFFLIST_BIT, false, 0]);
    for (const f of held) unbusy(f);
    expect([inuse(), swap_avail_on(TYPE), nrReal()]).toEqual([0, true, 1]);
    expect(violations(sys)).toEqual([]);
  });

  it('a free racing with the allocation that fills the device: the cmpxchg in del_from_avail_list fails, the device stays on the list', () => {
    const sys = boot();
    device(sys, 1024);
    const pages = 1023;
    const held: number[] = [];
    for (let i = 0; i < pages - 1; i++) held.push(busy(0));
    expect(clusterOf(held[0])).toBe(0);
    /*
     * The allocation of the last slot (cluster 1) has made the count
     * si->pages, the bit clear: at its next point - taking
     * swap_avail_lock - task 1 frees a slot of cluster 0.
     */
    let raced = 0;
    setPointHook(() => {
      if (raced || inuse() !== pages || !swap_avail_on(TYPE)) return;
      raced++;
      setCurrent(1);
      try {
        unbusy(held[0]);
      } finally {
        setCurrent(0);
      }
    });
    const last = busy(0);
    setPointHook(null);
    expect(raced).toBe(1);
    expect(clusterOf(last)).toBe(1);
    expect([inuse(), swap_avail_on(TYPE), nrReal()]).toEqual([pages - 1, true, 1]);
    held[0] = busy(0); /* the freed slot, found through the list */
    expect([inuse(), swap_avail_on(TYPE), nrReal()]).toEqual([pages | SWAP_USAGE_OFFLIST_BIT, false, 0]);
    for (const f of [...held, last]) unbusy(f);
    expect(violations(sys)).toEqual([]);
  });

  it('swapoff takes the device off for good: a free racing with it does not put it back, and none of try_to_unuse\'s frees do', () => {
    const sys = boot();
    device(sys, 1024);
    const held = busyAll(0);
    /* A free of the full device: at the lock its add_to_avail_list() takes, swapoff begins (del_from_avail_list(si, true) under si->lock). */
    let raced = 0;
    setPointHook(() => {
      if (raced || inuse() !== (1022 | SWAP_USAGE_OFFLIST_BIT)) return;
      raced++;
      spin_lock(siWord(TYPE, SI.lock), LC_SI);
      del_from_avail_list(TYPE, true);
      spin_unlock(siWord(TYPE, SI.lock));
    });
    setCurrent(1);
    unbusy(held[0]);
    setCurrent(0);
    setPointHook(null);
    expect(raced).toBe(1);
    expect([inuse(), swap_avail_on(TYPE), nrReal()]).toEqual([1022 | SWAP_USAGE_OFFLIST_BIT, false, 0]);
    expect(si_flags(TYPE) & SWP_WRITEOK).toBe(0);
    /* That swapoff failed: reinsert_swap_info() puts it back. */
    spin_lock(siWord(TYPE, SI.lock), LC_SI);
    add_to_avail_list(TYPE, true);
    spin_unlock(siWord(TYPE, SI.lock));
    expect([inuse(), swap_avail_on(TYPE), nrReal()]).toEqual([1022, true, 1]);
    for (const f of held.slice(1)) unbusy(f);
    /* A whole swapoff, its page walk freeing the slots of swapped-out pages: never back on the list. */
    const mm = sys.mmCreate();
    for (let i = 0; i < 300; i++) expect(sys.write(mm, i, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(mm, 0, 300)).toBe(300);
    let seen = 0;
    setPointHook(() => {
      if (!(si_flags(TYPE) & SWP_WRITEOK) && (si_flags(TYPE) & SWP_USED) && swap_usage_in_pages(TYPE) > 0) {
        seen++;
        expect(swap_avail_on(TYPE)).toBe(false);
        expect(inuse() & SWAP_USAGE_OFFLIST_BIT).toBe(SWAP_USAGE_OFFLIST_BIT);
      }
    });
    expect(sys.swapoff('/dev/vdb')).toBe(0);
    setPointHook(null);
    expect(seen).toBeGreaterThan(300);
    expect([swap_avail_on(TYPE), nrReal()]).toEqual([false, 0]);
    expect(violations(sys)).toEqual([]);
  });

  /*
   * The kernel's add_to_avail_list() compares the value
   * atomic_long_fetch_and() returned - the counter before the bit was
   * cleared, bit included - with si->pages, so its "full: skip adding"
   * branch never holds, and a swapoff that fails puts a full device back
   * on the list (bug readd-full-device).  The model compares the counter.
   */
  function full_device_swapoff_fails(bugs: string[]): { sys: System; mms: number[]; pages: number } {
    const sys = boot({ nrFrames: 1536, seed: 3, bugs });
    device(sys, 1024);
    const pages = 1023;
    const mms = [sys.mmCreate(), sys.mmCreate()];
    for (let i = 0; i < pages; i++) expect(sys.write(mms[i & 1], i >> 1, { maxOrder: 0 })).toBe(0);
    for (const mm of mms) sys.reclaim(mm, 0, 512);
    expect([inuse(), swap_avail_on(TYPE)]).toEqual([pages | SWAP_USAGE_OFFLIST_BIT, false]);
    const hog: number[] = [];
    for (let f = folio_alloc(0, ROOT_MEM_CGROUP); f >= 0; f = folio_alloc(0, ROOT_MEM_CGROUP)) hog.push(f);
    expect(sys.swapoff('/dev/vdb')).toBe(-ENOMEM);
    for (const f of hog) folio_put(f);
    return { sys, mms, pages };
  }

  it('a swapoff that fails on a full device puts it back in service but off the list; the next free puts it on, the refill takes it off', () => {
    const { sys, mms, pages } = full_device_swapoff_fails([]);
    expect([inuse(), swap_avail_on(TYPE), nrReal()]).toEqual([pages | SWAP_USAGE_OFFLIST_BIT, false, 0]);
    expect(swapAlloc(0).err).toBe(-ENOMEM);
    expect(sys.write(mms[0], 0, { maxOrder: 0 })).toBe(0); /* a write fault frees the slot it swaps in from */
    expect([inuse(), swap_avail_on(TYPE), nrReal()]).toEqual([pages - 1, true, 1]);
    expect(sys.reclaim(mms[0], 0, 1)).toBe(1);
    expect([inuse(), swap_avail_on(TYPE), nrReal()]).toEqual([pages | SWAP_USAGE_OFFLIST_BIT, false, 0]);
    expect(violations(sys)).toEqual([]);
  });

  it('with bug readd-full-device, as in the mm tree, the full device goes back on the list: the accounting check names it', () => {
    const { sys, pages } = full_device_swapoff_fails(['readd-full-device']);
    expect([inuse(), swap_avail_on(TYPE)]).toEqual([pages, true]);
    expect(swapAlloc(0).err).toBe(-ENOMEM); /* tried, and full */
    skipEndCheck(sys, 'the switch leaves a full device on the avail list');
    expect(violations(sys)).toEqual([`accounting: device 0 is on the avail list but full (inuse_pages ${pages} of ${pages}): the allocator tries a device it cannot allocate from`]);
  });

  /*
   * Two devices swapped on without a priority share DEF_SWAP_PRIO.  Full,
   * and put back on the list by failed swapoffs, they livelocked a
   * swap-out in swap_alloc_slow(): plist_requeue() put the device that had
   * just failed behind the other, for ever.
   */
  it('two full devices of the default priority, both swapoffs failed: a pageout finds no slot and returns', () => {
    const sys = boot({ nrFrames: 96, mmPages: 256 });
    for (const d of ['/dev/vdb', '/dev/vdc']) {
      expect(sys.createSwapDevice(d, { sizePages: 65 })).toBe(0);
      expect(sys.swapon(d)).toBe(0);
    }
    expect(sys.procSwaps().split('\n').slice(1, 3).map((l) => l.split('\t').at(-1))).toEqual(['-1', '-1']);
    const mm = sys.mmCreate();
    for (let i = 0; i < 128; i += 64) {
      for (let k = i; k < i + 64; k++) expect(sys.write(mm, k, { maxOrder: 0 })).toBe(0);
      expect(sys.reclaim(mm, i, 64)).toBe(64);
    }
    let resident = 128;
    while (sys.write(mm, resident, { maxOrder: 0 }) === 0) resident++;
    expect(sys.swapoff('/dev/vdb')).toBe(-ENOMEM);
    expect(sys.swapoff('/dev/vdc')).toBe(-ENOMEM);
    expect([swap_avail_on(0), swap_avail_on(1)]).toEqual([false, false]);
    expect(sys.reclaim(mm, resident - 1, 1)).toBe(0);
    expect(violations(sys)).toEqual([]);
  });
});

describe('order-N allocation and fragmentation', () => {
  it('order 4 fails while only fragmented order-0 clusters have room, and succeeds once a cluster is free', () => {
    const sys = boot();
    device(sys, 3 * SWAPFILE_CLUSTER);
    let held = busyAll(0);
    expect(held.length).toBe(3 * SWAPFILE_CLUSTER - 1);
    const even = held.filter((f) => slot(f) % 2 === 0);
    held = held.filter((f) => slot(f) % 2 === 1);
    for (const f of even) unbusy(f);
    const free = nr_swap_pages();
    expect(free).toBe(3 * SWAPFILE_CLUSTER / 2 - 1);
    for (let idx = 0; idx < 3; idx++) expect([ci_order(cluster(idx)), ci_count(cluster(idx)) > 0]).toEqual([0, true]);
    for (const order of [1, 4]) expect(swapAlloc(order).err).toBe(-ENOMEM);
    expect(nr_swap_pages()).toBe(free);
    expect(violations(sys)).toEqual([]);
    /* Order 0 still fits in the holes. */
    held.push(busy(0));
    expect(slot(held.at(-1)!) % 2).toBe(0);
    /* Empty cluster 2: it goes back to the free list (table freed) and order 4 takes it. */
    const inC2 = held.filter((f) => clusterOf(f) === 2);
    held = held.filter((f) => clusterOf(f) !== 2);
    for (const f of inC2) unbusy(f);
    expect(list(CLUSTER_FLAG_FREE)).toEqual([2]);
    expect(cluster_table_is_alloced(cluster(2))).toBe(false);
    held.push(busy(4));
    expect(slot(held.at(-1)!)).toBe(2 * SWAPFILE_CLUSTER);
    expect(ci_order(cluster(2))).toBe(4);
    expect(violations(sys)).toEqual([]);
    for (const f of held) unbusy(f);
    expect(nr_swap_pages()).toBe(3 * SWAPFILE_CLUSTER - 1);
    expect(violations(sys)).toEqual([]);
  });

  it('order 0 steals the hole an order-4 folio left once its own clusters are full', () => {
    const sys = boot();
    device(sys, 2 * SWAPFILE_CLUSTER);
    const big = busyAll(4);
    /* Cluster 0 (bad header slot) is an order-0 cluster: order 4 gets cluster 1 only. */
    expect(big.length).toBe(SWAPFILE_CLUSTER / 16);
    for (const f of big) expect(slot(f) % 16).toBe(0);
    const hole = slot(big[5]);
    unbusy(big.splice(5, 1)[0]);
    expect(list(CLUSTER_FLAG_NONFULL, 4)).toEqual([1]);
    const small: number[] = [];
    for (let i = 0; i < SWAPFILE_CLUSTER - 1; i++) {
      small.push(busy(0));
      expect(clusterOf(small[i])).toBe(0);
    }
    /* Cluster 0 is full: order 0 now takes the order-4 cluster's free slots. */
    for (let i = 0; i < 16; i++) {
      small.push(busy(0));
      expect(slot(small.at(-1)!) - hole).toBe(i);
    }
    expect(swapAlloc(0).err).toBe(-ENOMEM);
    expect(nr_swap_pages()).toBe(0);
    expect(violations(sys)).toEqual([]);
    for (const f of [...big, ...small]) unbusy(f);
    expect(nr_swap_pages()).toBe(2 * SWAPFILE_CLUSTER - 1);
    expect(violations(sys)).toEqual([]);
  });
});

/*
 * A solid-state device: each CPU allocates from its own cluster, going on
 * after the last slot it gave (percpu_swap_cluster.offset[order]), not
 * back to one freed behind it.
 */
describe('a solid-state device: the per-CPU cluster', () => {
  it('goes on after the last slot it gave, past a freed one', () => {
    const sys = boot();
    device(sys, 2 * SWAPFILE_CLUSTER);
    const got = [busy(0), busy(0), busy(0)];
    const first = slot(got[0]);
    expect(got.map(slot)).toEqual([first, first + 1, first + 2]);
    unbusy(got.shift()!);
    got.push(busy(0));
    expect(slot(got.at(-1)!)).toBe(first + 3);
    for (const f of got) unbusy(f);
    expect(violations(sys)).toEqual([]);
  });
});

/*
 * A rotational device has no per-CPU clusters: every CPU allocates from
 * the device's global cluster, going on after the last slot it gave
 * (si->global_cluster->next[order]); a cluster that next points into but
 * that another order has taken since is passed by, unlocked; with no
 * next (its cluster went full) the lists are searched, not cluster 0.
 */
describe('a rotational device: the global cluster', () => {
  it('goes on after the last slot it gave, past a freed one, and passes by a cluster another order took since', () => {
    const sys = boot();
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 2 * SWAPFILE_CLUSTER, rotational: true })).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    /* order 2 takes cluster 1 (cluster 0, with the header's bad slot, is an order-0 cluster) and the global next points into it */
    const big = [busy(2), busy(2)];
    expect(big.map(clusterOf)).toEqual([1, 1]);
    for (const f of big) unbusy(f); /* cluster 1 is free again */
    const small = [busy(0), busy(0), busy(0)];
    const first = slot(small[0]);
    expect(small.map(slot)).toEqual([first, first + 1, first + 2]);
    unbusy(small.shift()!);
    small.push(busy(0));
    expect(slot(small.at(-1)!)).toBe(first + 3); /* not the slot freed behind it */
    /* fill cluster 0: order 0 then takes cluster 1, where order 2's next still points */
    while (clusterOf(small.at(-1)!) === 0) small.push(busy(0));
    expect(clusterOf(small.at(-1)!)).toBe(1);
    expect(ci_order(cluster(1))).toBe(0);
    expect(busyAlloc(2).err).toBe(-ENOMEM); /* no cluster for order 2: its next is passed by */
    expect(violations(sys)).toEqual([]);
    for (const f of small) unbusy(f);
    expect(nr_swap_pages()).toBe(2 * SWAPFILE_CLUSTER - 1);
    expect(violations(sys)).toEqual([]);
  });

  it('once it went full, the next allocation takes the head of the nonfull list, not cluster 0', () => {
    const sys = boot();
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 3 * SWAPFILE_CLUSTER, rotational: true })).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const got: number[] = [];
    while (got.length === 0 || slot(got.at(-1)!) < 2 * SWAPFILE_CLUSTER - 1) got.push(busy(0));
    expect(got.map(slot)).toEqual(got.map((_, k) => k + 1)); /* clusters 0 and 1, slot by slot */
    expect(A.i32[siWord(TYPE, SI.global_cluster_next + 0)]).toBe(0); /* cluster 1 went full: no next */
    const [inOne, inZero] = [folioAt(got, SWAPFILE_CLUSTER + 88), folioAt(got, 100)];
    unbusy(inOne); /* cluster 1 first on the nonfull list */
    unbusy(inZero); /* then cluster 0 */
    const next = busy(0);
    expect(slot(next)).toBe(SWAPFILE_CLUSTER + 88);
    expect(violations(sys)).toEqual([]);
    for (const f of [...got.filter((f) => f !== inOne && f !== inZero), next]) unbusy(f);
    expect(nr_swap_pages()).toBe(3 * SWAPFILE_CLUSTER - 1);
    expect(violations(sys)).toEqual([]);
  });
});

describe('bad slots', () => {
  it('are never allocated, at any order', () => {
    const sys = boot();
    const bad = [1, 2, 100, 511, 512, 700, 1023];
    device(sys, 3 * SWAPFILE_CLUSTER, { badPages: bad });
    const pages = 3 * SWAPFILE_CLUSTER - 1 - bad.length;
    expect(nr_swap_pages()).toBe(pages);
    const got = new Set<number>();
    const held: number[] = [];
    for (const order of [4, 2, 0]) {
      for (const f of busyAll(order)) {
        for (let k = 0; k < 1 << order; k++) got.add(slot(f) + k);
        held.push(f);
      }
    }
    expect(got.size).toBe(pages);
    for (const b of [0, ...bad]) expect(got.has(b)).toBe(false);
    expect(nr_swap_pages()).toBe(0);
    expect(violations(sys)).toEqual([]);
    for (const f of held) unbusy(f);
    expect(nr_swap_pages()).toBe(pages);
    expect(violations(sys)).toEqual([]);
  });
});

/*
 * __swap_offset_to_cluster()'s debug check: a cached next offset may point
 * past si->max up to the last cluster's border (the tail is marked bad),
 * not beyond - roundup(si->max, SWAPFILE_CLUSTER) is the first offset it
 * warns about.
 */
describe('the cluster of an offset', () => {
  it('is found for every offset below roundup(si->max, SWAPFILE_CLUSTER) without a warning; that border warns', () => {
    const sys = boot();
    device(sys, SWAPFILE_CLUSTER + 100);
    const max = si_max(TYPE);
    const border = Math.ceil(max / SWAPFILE_CLUSTER) * SWAPFILE_CLUSTER;
    expect(border).toBe(2 * SWAPFILE_CLUSTER);
    for (const offset of [0, max - 1, max, border - 1]) {
      expect(sys.as(0, () => __swap_offset_to_cluster(TYPE, offset))).toBe(clusterWord(TYPE, Math.floor(offset / SWAPFILE_CLUSTER)));
    }
    expect(violations(sys)).toEqual([]);
    sys.as(0, () => __swap_offset_to_cluster(TYPE, border));
    expect(sys.reports().map((v) => v.invariant)).toEqual(['warn']);
    expect(sys.reports()[0].message).toMatch(/offset >= roundup\(si->max, SWAPFILE_CLUSTER\)/);
    skipEndCheck(sys, 'the test makes the warning it asserts');
  });

  it('a slot offset past the cluster warns in each table accessor (VM_WARN_ON_ONCE(off >= SWAPFILE_CLUSTER)); the last slot does not', () => {
    const sys = boot();
    device(sys, 2 * SWAPFILE_CLUSTER);
    const ci = swap_cluster_lock(TYPE, 0); /* cluster 0 has a table: the header slot is bad */
    __swap_table_get(ci, SWAPFILE_CLUSTER - 1);
    __swap_table_set(ci, SWAPFILE_CLUSTER - 1, __swap_table_get(ci, SWAPFILE_CLUSTER - 1));
    sys.as(0, () => swap_table_get(ci, SWAPFILE_CLUSTER - 1));
    expect(sys.reports()).toEqual([]);
    __swap_table_get(ci, SWAPFILE_CLUSTER);
    sys.as(0, () => swap_table_get(ci, -1));
    swap_cluster_unlock(ci);
    expect(sys.reports().map((v) => `${v.invariant}: ${v.message}`)).toEqual([`warn: __swap_table_get: off ${SWAPFILE_CLUSTER} >= SWAPFILE_CLUSTER`, 'warn: swap_table_get: off -1 >= SWAPFILE_CLUSTER']);
    skipEndCheck(sys, 'the test makes the warnings it asserts');
  });

  it("the lockless table read's two halves say when they run outside an RCU read-side section (PROVE_RCU): the table pointer may be freed under them", () => {
    const sys = boot();
    device(sys, 2 * SWAPFILE_CLUSTER);
    const ci = clusterWord(TYPE, 0); /* cluster 0 has a table: the header slot is bad */
    const tbl = sys.as(0, () => {
      rcu_read_lock();
      const t = swap_table_rcu_dereference(ci);
      __swap_table_get_rcu(t, ci, 0);
      rcu_read_unlock();
      return t;
    }) as number;
    expect(tbl).toBeGreaterThan(0);
    expect(sys.reports()).toEqual([]);
    sys.as(0, () => swap_table_rcu_dereference(ci));
    sys.as(0, () => __swap_table_get_rcu(tbl, ci, 0));
    expect(sys.reports().map((v) => `${v.invariant}: ${v.message}`)).toEqual([
      'rcu: WARNING: suspicious RCU usage: swap_table_rcu_dereference() outside an RCU read-side critical section, task 0',
      'rcu: WARNING: suspicious RCU usage: __swap_table_get_rcu() outside an RCU read-side critical section (the table may be gone), task 0',
    ]);
    skipEndCheck(sys, 'the test makes the warnings it asserts');
  });
});

describe('failslab on the swap table allocation', () => {
  it.each([['solid-state', false], ['rotational (the global cluster lock dropped and retaken around the sleep)', true]])('atomic and sleeping allocations fail: the isolated cluster goes back to the free list, nothing leaks (%s)', (_kind, rotational) => {
    const sys = boot();
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 2 * SWAPFILE_CLUSTER, rotational })).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    sys.setFailslab(100, 100);
    /* Order 4 needs a free cluster (cluster 0 is order 0), hence a new table. */
    expect(swapAlloc(4).err).toBe(-ENOMEM);
    expect(list(CLUSTER_FLAG_FREE)).toEqual([1]);
    expect(ci_flags(cluster(1))).toBe(CLUSTER_FLAG_FREE);
    expect(cluster_table_is_alloced(cluster(1))).toBe(false);
    expect(nr_swap_pages()).toBe(2 * SWAPFILE_CLUSTER - 1);
    expect(violations(sys)).toEqual([]);
    /* Cluster 0 has its table since swapon: order 0 is not affected. */
    const small = swapAlloc(0);
    expect(small.err).toBe(0);
    /* Only atomic allocations fail: the sleeping retry (locks dropped) gets the table. */
    sys.setFailslab(100, 0);
    const big = swapAlloc(4);
    expect(big.err).toBe(0);
    expect(swp_offset(big.entry)).toBe(SWAPFILE_CLUSTER);
    sys.setFailslab(0, 0);
    expect(violations(sys)).toEqual([]);
    swapFree(small.folio);
    swapFree(big.folio);
    expect(violations(sys)).toEqual([]);
  });

  it('a table the isolated cluster got while its allocator slept for one: the kernel\'s WARN ("someone touched the dangling empty cluster"), the cluster keeps that table and the sleeper\'s goes back (nothing leaks)', () => {
    const sys = boot();
    device(sys, 2 * SWAPFILE_CLUSTER);
    sys.setFailslab(100, 0); /* the atomic allocation fails: the sleeping one runs with every lock dropped */
    const SLEEP = pointId('swap_cluster_populate:sleep');
    let intruder = -1;
    setPointHook((id) => {
      if (id !== SLEEP || intruder >= 0) return;
      /* Another path reaching the isolated cluster (none should) and giving it a table, under its lock. */
      set_failslab(0, 0);
      spin_lock(cluster(1) + CI.lock, LC_CI);
      intruder = swap_cluster_alloc_table(cluster(1), GFP_ATOMIC);
      spin_unlock(cluster(1) + CI.lock);
    });
    const big = swapAlloc(4);
    setPointHook(null);
    sys.setFailslab(0, 0);
    expect(intruder).toBe(0);
    expect(big.err).toBe(0);
    expect(swp_offset(big.entry)).toBe(SWAPFILE_CLUSTER);
    expect(sys.reports().map((v) => `${v.invariant}: ${v.message}`)).toEqual([expect.stringMatching(/^cluster-lists: .*swap_cluster_populate: someone touched the dangling empty cluster/)]);
    sys.clearReports();
    swapFree(big.folio);
    expect(violations(sys)).toEqual([]);
  });

  it('(control) with bug switch percpu-cluster-migration the isolated cluster leaks, and check() says so', () => {
    const sys = boot({ bugs: ['percpu-cluster-migration'] });
    device(sys, 2 * SWAPFILE_CLUSTER);
    sys.setFailslab(100, 100);
    expect(swapAlloc(4).err).toBe(-ENOMEM);
    sys.setFailslab(0, 0);
    expect(list(CLUSTER_FLAG_FREE)).toEqual([]);
    expect(violations(sys)).toEqual([expect.stringMatching(/^cluster-lists: device 0 cluster 1 isolated \(flags NONE\) at quiescence/)]);
  });

  /*
   * Seed 002 as posted read only this CPU's percpu offset after the sleep,
   * not which device that percpu cluster belongs to, and looked the offset
   * up on the device it was allocating from.  CPU 0's percpu cluster is on
   * /dev/b (type 0); task 1 allocates from /dev/a (type 1, the higher
   * priority), isolates a free cluster there, fails the atomic table
   * allocation and migrates to CPU 0 in the sleeping one: offset 2 of
   * /dev/a is its cluster 0, usable, so the posted code allocates there and
   * abandons the isolated cluster 1.
   */
  function percpuOfAnotherDevice(bugs: string[]): { sys: System; entry: number } {
    const sys = boot({ nrCpus: 3, nrTasks: 3, bugs });
    for (const dev of ['/dev/a', '/dev/b']) expect(sys.createSwapDevice(dev, { sizePages: 4 * SWAPFILE_CLUSTER })).toBe(0);
    expect(sys.swapon('/dev/b', { prio: 5 })).toBe(0);
    const onB = swapAlloc(0); /* task 0, CPU 0: its percpu cluster is /dev/b's cluster 0, next offset 2 */
    expect([swp_type(onB.entry), swp_offset(onB.entry)]).toEqual([0, 1]);
    expect(sys.swapon('/dev/a', { prio: 10 })).toBe(0);
    setCurrent(2); /* task 2, CPU 2: /dev/a's cluster 0 leaves nonfull[0] */
    const onA = swapAlloc(0);
    expect([swp_type(onA.entry), swp_offset(onA.entry)]).toEqual([1, 1]);
    set_failslab(100, 0);
    setCurrent(1);
    request_migration(1, 0); /* taken at the sleeping table allocation */
    const r = swapAlloc(0);
    setCurrent(0);
    set_failslab(0, 0);
    expect(r.err).toBe(0);
    return { sys, entry: r.entry };
  }

  it('with bug switch percpu-cluster-migration, as posted: a percpu cluster of another device names a cluster of this one, and the isolated cluster leaks; fixed, the isolated cluster is used', () => {
    const posted = percpuOfAnotherDevice(['percpu-cluster-migration']);
    expect([swp_type(posted.entry), swp_offset(posted.entry)]).toEqual([1, 2]); /* /dev/a at CPU 0's percpu offset */
    expect(violations(posted.sys)).toEqual([expect.stringMatching(/^cluster-lists: device 1 cluster 1 isolated \(flags NONE\) at quiescence/)]);
    const fixed = percpuOfAnotherDevice([]);
    expect([swp_type(fixed.entry), swp_offset(fixed.entry)]).toEqual([1, SWAPFILE_CLUSTER]);
    expect(violations(fixed.sys)).toEqual([]);
  });
});

describe('swap_cache_alloc_folio error paths', () => {
  const ORDERS_0_4 = 1 | (1 << 4);

  it('-EEXIST for a cached slot (swapin_entry returns the cached folio), -ENOENT for a free one', () => {
    const sys = boot();
    device(sys, 1024);
    const { folio, entry } = swapAlloc(0);
    expect(swap_cache_alloc_folio(entry, 1, ROOT_MEM_CGROUP)).toBe(-EEXIST);
    const got = swapin_entry(entry, 1, ROOT_MEM_CGROUP);
    expect(got).toBe(folio);
    folio_put(got);
    expect(swap_cache_alloc_folio(entry + 1, 1, ROOT_MEM_CGROUP)).toBe(-ENOENT);
    swapFree(folio);
    expect(swap_cache_alloc_folio(entry, 1, ROOT_MEM_CGROUP)).toBe(-ENOENT);
    expect(violations(sys)).toEqual([]);
  });

  it('a large batch that is not uniform (-EBUSY) falls back to the largest order that is', () => {
    const sys = boot();
    device(sys, 3 * SWAPFILE_CLUSTER);
    const a = sys.memcgCreate();
    const b = sys.memcgCreate();
    /* Two order-3 swap-outs of different memcgs side by side: one 16-slot batch, two memcgs. */
    const e = swapOut(3, a);
    expect(swapOut(3, b)).toBe(e + 8);
    expect(swp_offset(e) % 16).toBe(0);
    const f = swap_cache_alloc_folio(e + 1, 0b11111, ROOT_MEM_CGROUP);
    expect(f).toBeGreaterThanOrEqual(0);
    expect([folio_order(f), folio_swap(f), folio_memcg(f)]).toEqual([3, e, a]);
    folio_unlock(f);
    folio_put(f);
    /* A cached slot inside the batch: order 4 is -EBUSY, order 0 is what is left. */
    const g = swap_cache_alloc_folio(e + 12, ORDERS_0_4, ROOT_MEM_CGROUP);
    expect(g).toBeGreaterThanOrEqual(0);
    expect([folio_order(g), folio_swap(g), folio_memcg(g)]).toEqual([0, e + 12, b]);
    folio_unlock(g);
    folio_put(g);
    /* Mixed zero flags: the zero slot splits the batch as well. */
    const z = swapOut(4);
    const ci = swap_cluster_lock(TYPE, swp_offset(z));
    swap_design().setZero(ci, (swp_offset(z) % SWAPFILE_CLUSTER) + 9, true);
    swap_cluster_unlock(ci);
    const h = swap_cache_alloc_folio(z + 2, 0b11111, ROOT_MEM_CGROUP);
    expect([folio_order(h), folio_swap(h)]).toEqual([3, z]);
    folio_unlock(h);
    folio_put(h);
    swap_put_entries_direct(e, 16);
    swap_put_entries_direct(z, 16);
    expect(nr_swap_pages()).toBe(3 * SWAPFILE_CLUSTER - 1);
    expect(violations(sys)).toEqual([]);
  });

  /*
   * The lock is dropped for the folio allocation: a point hook at
   * '__swap_cache_alloc:unlocked' plays another CPU acting in that window.
   */
  function inWindow(fn: () => void): { hits: () => number } {
    const P = pointId('__swap_cache_alloc:unlocked');
    let hits = 0;
    let busy = false;
    setPointHook((id) => {
      if (id !== P || busy) return;
      hits++;
      if (hits > 1) return;
      busy = true;
      setCurrent(1);
      try {
        fn();
      } finally {
        setCurrent(0);
        busy = false;
      }
    });
    return { hits: () => hits };
  }

  it('-EAGAIN: the target\'s shadow changed while unlocked: the same order is retried', () => {
    const sys = boot();
    device(sys, 1024);
    const e = swapOut(4);
    const off = swp_offset(e) % SWAPFILE_CLUSTER + 3;
    const w = inWindow(() => {
      /* Another CPU swapped slot e+3 in and out again: a new shadow, same count. */
      const ci = swap_cluster_lock(TYPE, swp_offset(e));
      const old = __swap_table_get(ci, off);
      const u = unpack_shadow(swap_design().tb, swp_tb_to_shadow(swap_design().tb, old));
      const newShadow = pack_shadow(swap_design().tb, u.memcgId, u.node, u.eviction + 1000, u.workingset);
      __swap_table_set(ci, off, shadow_to_swp_tb(swap_design().tb, newShadow, __swp_tb_get_flags(swap_design().tb, old)));
      swap_cluster_unlock(ci);
    });
    const f = swap_cache_alloc_folio(e + 3, ORDERS_0_4, ROOT_MEM_CGROUP);
    setPointHook(null);
    expect(w.hits()).toBe(2); /* first attempt, then the retry */
    expect(f).toBeGreaterThanOrEqual(0);
    expect([folio_order(f), folio_swap(f)]).toEqual([4, e]);
    folio_unlock(f);
    folio_put(f);
    swap_put_entries_direct(e, 16);
    expect(violations(sys)).toEqual([]);
  });

  it('-EEXIST in the window: another CPU cached the target; swapin_entry uses its folio', () => {
    const sys = boot();
    device(sys, 1024);
    const e = swapOut(4);
    let theirs = -1;
    const w = inWindow(() => {
      theirs = swap_cache_alloc_folio(e + 3, 1, ROOT_MEM_CGROUP);
      folio_unlock(theirs);
    });
    const f = swapin_entry(e + 3, ORDERS_0_4, ROOT_MEM_CGROUP);
    setPointHook(null);
    expect(w.hits()).toBeGreaterThanOrEqual(1);
    expect(theirs).toBeGreaterThanOrEqual(0);
    expect(f).toBe(theirs);
    folio_put(f); /* swapin_entry's reference */
    folio_put(theirs); /* the other CPU's */
    swap_put_entries_direct(e, 16);
    expect(violations(sys)).toEqual([]);
  });

  it('(control) with bug switch swapcache-large-folio the batch is not re-checked: a slot ends up naming two folios', () => {
    const sys = boot({ bugs: ['swapcache-large-folio'] });
    device(sys, 1024);
    const e = swapOut(4);
    inWindow(() => {
      const theirs = swap_cache_alloc_folio(e + 5, 1, ROOT_MEM_CGROUP);
      folio_unlock(theirs);
    });
    const f = swap_cache_alloc_folio(e + 3, ORDERS_0_4, ROOT_MEM_CGROUP);
    setPointHook(null);
    expect(folio_order(f)).toBe(4);
    expect(sys.reports().map((r) => `${r.invariant}: ${r.message}`)).toEqual([
      expect.stringMatching(/^swap-cache: __swap_cache_add_folio: slot \d+ already caches folio \d+, adding folio \d+/),
    ]);
  });
});

describe('discard', () => {
  it('an SSD swapped on with discard parks emptied clusters on the discard list; allocation runs the discard when it needs them', () => {
    const sys = boot();
    device(sys, 2 * SWAPFILE_CLUSTER, { discard: true });
    /* Discard devices take free clusters first: the first slot is in cluster 1. */
    const first = swapAlloc(0);
    expect(Math.floor(swp_offset(first.entry) / SWAPFILE_CLUSTER)).toBe(1);
    const held: number[] = [];
    for (let i = 0; i < SWAPFILE_CLUSTER - 1; i++) {
      const r = swapAlloc(0);
      expect(r.err).toBe(0);
      held.push(r.folio);
    }
    /* Fill cluster 1's rest and cluster 0: everything but the first slot stays in use. */
    for (;;) {
      const r = swapAlloc(0);
      if (r.err) break;
      held.push(r.folio);
    }
    expect(nr_swap_pages()).toBe(0);
    /* Free cluster 1 entirely: it waits for its discard, table still there. */
    const c1: number[] = [];
    for (const f of held) if (Math.floor(swp_offset(folio_swap(f)) / SWAPFILE_CLUSTER) === 1) c1.push(f);
    for (const f of [first.folio, ...c1]) swapFree(f);
    expect(list(CLUSTER_FLAG_DISCARD)).toEqual([1]);
    expect(ci_flags(cluster(1))).toBe(CLUSTER_FLAG_DISCARD);
    expect(cluster_table_is_alloced(cluster(1))).toBe(true);
    expect(new Int32Array(sys.handle.sab)[siWord(TYPE, SI.discard_pending)]).toBe(1);
    expect(violations(sys)).toEqual([]);
    /* Had the work been lost (the flag cleared after the list was last looked at), the cluster would wait for ever: progress says so. */
    A.i32[siWord(TYPE, SI.discard_pending)] = 0;
    expect(violations(sys)).toEqual(['progress: device 0: 1 clusters wait on the discard list with no discard work pending (a lost schedule_work(): nothing discards them, and no allocation takes them)']);
    sys.clearReports();
    A.i32[siWord(TYPE, SI.discard_pending)] = 1;
    expect(violations(sys)).toEqual([]);
    /* Nothing else is free: folio_alloc_swap runs the discard and retries. */
    const r = swapAlloc(0);
    expect(r.err).toBe(0);
    expect(Math.floor(swp_offset(r.entry) / SWAPFILE_CLUSTER)).toBe(1);
    expect(list(CLUSTER_FLAG_DISCARD)).toEqual([]);
    expect(new Int32Array(sys.handle.sab)[siWord(TYPE, SI.discard_pending)]).toBe(0);
    swapFree(r.folio);
    expect(list(CLUSTER_FLAG_DISCARD)).toEqual([1]);
    /* the kworker's discard work: the one device with discards pending */
    expect(swap_discard_work()).toBe(1);
    expect(swap_discard_work()).toBe(0);
    expect(swap_do_scheduled_discard(TYPE)).toBe(false);
    expect(list(CLUSTER_FLAG_FREE)).toEqual([1]);
    expect(cluster_table_is_alloced(cluster(1))).toBe(false);
    for (const f of held.filter((x) => !c1.includes(x))) swapFree(f);
    expect(violations(sys)).toEqual([]);
  });

  it('without the discard flag an emptied cluster is freed at once', () => {
    const sys = boot();
    device(sys, 2 * SWAPFILE_CLUSTER);
    const held: number[] = [];
    for (let i = 0; i < SWAPFILE_CLUSTER; i++) held.push(swapAlloc(0).folio);
    const inC1 = held.filter((f) => Math.floor(swp_offset(folio_swap(f)) / SWAPFILE_CLUSTER) === 1);
    expect(inC1.length).toBeGreaterThan(0);
    for (const f of inC1) swapFree(f);
    expect(list(CLUSTER_FLAG_DISCARD)).toEqual([]);
    expect(list(CLUSTER_FLAG_FREE)).toEqual([1]);
    expect(cluster_table_is_alloced(cluster(1))).toBe(false);
    for (const f of held.filter((x) => !inC1.includes(x))) swapFree(f);
    expect(violations(sys)).toEqual([]);
  });
});

describe('swap_reclaim_full_clusters', () => {
  function fillWithCacheOnly(): number[] {
    const held: number[] = [];
    for (;;) {
      const r = swapAlloc(0);
      if (r.err) break;
      held.push(r.folio);
    }
    return held;
  }

  it('drops cache-only folios of full clusters so their slots can be reused', () => {
    const sys = boot();
    device(sys, 2 * SWAPFILE_CLUSTER);
    const held = fillWithCacheOnly();
    expect(nr_swap_pages()).toBe(0);
    swap_reclaim_full_clusters(TYPE, true);
    expect(nr_swap_pages()).toBe(2 * SWAPFILE_CLUSTER - 1);
    for (const f of held) expect(folio_test_swapcache(f)).toBe(false);
    expect(list(CLUSTER_FLAG_FREE)).toEqual([1]);
    for (const f of held) folio_put(f);
    expect(violations(sys)).toEqual([]);
  });

  it('a folio still locked or still referenced by a count is left alone', () => {
    const sys = boot();
    device(sys, 2 * SWAPFILE_CLUSTER);
    const held = fillWithCacheOnly();
    const locked = held[10];
    const counted = held[600];
    folio_lock(locked);
    folio_lock(counted);
    expect(folio_dup_swap(counted)).toBe(0);
    folio_unlock(counted);
    swap_reclaim_full_clusters(TYPE, true);
    expect(nr_swap_pages()).toBe(2 * SWAPFILE_CLUSTER - 3);
    expect(folio_test_swapcache(locked)).toBe(true);
    expect(folio_test_swapcache(counted)).toBe(true);
    folio_unlock(locked);
    swap_put_entries_direct(folio_swap(counted), 1);
    expect(folio_test_swapcache(counted)).toBe(false);
    swapFree(locked);
    for (const f of held) if (f !== locked) folio_put(f);
    expect(nr_swap_pages()).toBe(2 * SWAPFILE_CLUSTER - 1);
    expect(violations(sys)).toEqual([]);
  });

  it('an allocation that finds no room while swap is full reclaims the first full cluster (then steals for itself)', () => {
    const sys = boot();
    device(sys, 3 * SWAPFILE_CLUSTER);
    /* Cluster 0: cache-only order-0 folios.  Cluster 1: busy order-4 folios, one hole.  Cluster 2: busy order-0 folios. */
    const c0: number[] = [];
    for (let i = 0; i < SWAPFILE_CLUSTER - 1; i++) c0.push(swapAlloc(0).folio);
    const big: number[] = [];
    for (let i = 0; i < SWAPFILE_CLUSTER / 16; i++) big.push(busy(4));
    const hole = slot(big[3]);
    unbusy(big.splice(3, 1)[0]);
    const c2: number[] = [];
    for (let i = 0; i < SWAPFILE_CLUSTER; i++) c2.push(busy(0));
    expect(c2.every((f) => clusterOf(f) === 2)).toBe(true);
    expect(list(CLUSTER_FLAG_FULL)).toEqual([0, 2]);
    expect(nr_swap_pages()).toBe(16);
    /*
     * vm_swap_full(): before stealing from higher orders the allocator
     * reclaims the first full cluster.  The slots it frees put cluster 0
     * on nonfull[0] (partial_free_cluster) behind the scan, so this
     * allocation still steals the order-4 hole.
     */
    const r = swapAlloc(0);
    expect(r.err).toBe(0);
    expect(slot(r.folio)).toBe(hole);
    expect(c0.filter((f) => folio_test_swapcache(f))).toEqual([]);
    expect(list(CLUSTER_FLAG_FULL)).toEqual([2]);
    expect(list(CLUSTER_FLAG_NONFULL, 0)).toEqual([0]);
    expect(nr_swap_pages()).toBe(15 + SWAPFILE_CLUSTER - 1);
    for (const f of c0) folio_put(f);
    expect(violations(sys)).toEqual([]);
    swapFree(r.folio);
    for (const f of [...c2, ...big]) unbusy(f);
    expect(nr_swap_pages()).toBe(3 * SWAPFILE_CLUSTER - 1);
    expect(violations(sys)).toEqual([]);
  });
});

describe('swapoff with entries in use', () => {
  function populate(sys: System): { mm: number; child: number } {
    const mm = sys.mmCreate();
    for (let i = 0; i < 400; i++) expect(sys.write(mm, i, { zero: i % 9 === 0 })).toBe(0);
    expect(sys.reclaim(mm, 0, 400)).toBeGreaterThan(0);
    const child = sys.fork(mm);
    expect(child).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < 400; i += 7) expect(sys.touch(mm, i)).toBe(0); /* some swapped in, some still cached */
    for (let i = 3; i < 400; i += 11) expect(sys.write(child, i)).toBe(0);
    return { mm, child };
  }

  function swapPtes(mm: number): number {
    let n = 0;
    for (let i = 0; i < 512; i++) if (is_swap_pte(ptep_get(mm, i))) n++;
    return n;
  }

  it('brings every page of every process back, data intact, and frees the device', () => {
    const sys = boot({ seed: 11 });
    device(sys, 2048);
    const { mm, child } = populate(sys);
    expect(swapPtes(mm) + swapPtes(child)).toBeGreaterThan(300);
    expect(violations(sys)).toEqual([]);
    expect(sys.swapoff('/dev/vdb')).toBe(0);
    for (const m of [mm, child]) {
      for (let i = 0; i < 400; i++) {
        const pte = ptep_get(m, i);
        expect(pte_present(pte)).toBe(true);
        expect(page_token(pte_pfn(pte))).toBe(expected_token(m, i));
      }
    }
    expect(nr_swap_pages()).toBe(0);
    expect(sys.procSwaps().split('\n').slice(1)).toEqual(['']); /* the header only */
    for (let i = 0; i < 400; i++) expect(sys.touch(child, i)).toBe(0);
    expect(violations(sys)).toEqual([]);
  });

  it('out of memory: -ENOMEM, and the device is put back in service unchanged', () => {
    const sys = boot({ seed: 12, nrFrames: 1024 });
    device(sys, 2048);
    const { mm, child } = populate(sys);
    const before = { free: nr_swap_pages(), inuse: swap_usage_in_pages(TYPE), ptes: swapPtes(mm) + swapPtes(child) };
    const hog: number[] = [];
    for (let f = folio_alloc(0, ROOT_MEM_CGROUP); f >= 0; f = folio_alloc(0, ROOT_MEM_CGROUP)) hog.push(f);
    expect(sys.swapoff('/dev/vdb')).toBe(-ENOMEM);
    expect(sys.procSwaps().split('\n')[1]).toMatch(/^\/dev\/vdb /); /* still listed */
    expect(swap_usage_in_pages(TYPE)).toBeLessThanOrEqual(before.inuse);
    expect(nr_swap_pages() + swap_usage_in_pages(TYPE)).toBe(before.free + before.inuse);
    for (const f of hog) folio_put(f);
    expect(violations(sys)).toEqual([]);
    /* The device still works, and a second swapoff succeeds. */
    const extra = swapAlloc(0);
    expect(extra.err).toBe(0);
    expect(swp_type(extra.entry)).toBe(TYPE);
    swapFree(extra.folio);
    expect(sys.swapoff('/dev/vdb')).toBe(0);
    for (let i = 0; i < 400; i++) expect(sys.touch(mm, i)).toBe(0);
    expect(violations(sys)).toEqual([]);
  });
});

/*
 * The last valid value of each range the model hands out or checks: an
 * off-by-one there is invisible to a run that never gets near the end.
 */
describe('borders: the last slot of a device, the last memcg id', () => {
  it('get_swap_device() takes an entry at si->max - 1 and refuses si->max and past it ("Bad swap offset entry"), users balanced', () => {
    const sys = boot();
    device(sys, 1000);
    const max = si_max(TYPE);
    expect(max).toBe(1000);
    expect(get_swap_device(swp_entry(TYPE, max - 1))).toBe(TYPE);
    put_swap_device(TYPE);
    expect(get_swap_device(swp_entry(TYPE, max))).toBe(-1);
    expect(get_swap_device(swp_entry(TYPE, max + 1))).toBe(-1);
    expect(violations(sys)).toEqual([]);
  });

  it('get_swap_device() refuses an entry of a type past swap_info[] ("Bad swap file entry") and of an unused one', () => {
    const sys = boot();
    device(sys, 1000);
    expect(get_swap_device(swp_entry(MAX_SWAPFILES, 1))).toBe(-1);
    expect(get_swap_device(swp_entry(MAX_SWAPFILES - 1, 1))).toBe(-1);
    expect(get_swap_device(swp_entry(TYPE, 1))).toBe(TYPE);
    put_swap_device(TYPE);
    expect(violations(sys)).toEqual([]);
  });

  it('__swap_offset_to_cluster() takes the last slot of the last cluster and warns one past it (roundup(si->max, SWAPFILE_CLUSTER))', () => {
    const sys = boot();
    device(sys, 1000);
    const end = Math.ceil(si_max(TYPE) / SWAPFILE_CLUSTER) * SWAPFILE_CLUSTER;
    expect(sys.as(0, () => __swap_offset_to_cluster(TYPE, end - 1))).toBe(clusterWord(TYPE, end / SWAPFILE_CLUSTER - 1));
    expect(violations(sys)).toEqual([]);
    sys.as(0, () => __swap_offset_to_cluster(TYPE, end));
    expect(violations(sys)).toEqual([`warn: offset >= roundup(si->max, SWAPFILE_CLUSTER): device ${TYPE} offset 0x${end.toString(16)} max 0x${si_max(TYPE).toString(16)}`]);
    skipEndCheck(sys, 'the test makes the warning it asserts');
  });

  it('vm_swap_full() is more than half used: not at exactly half, at one slot more', () => {
    const sys = boot({ mmPages: 1024 });
    device(sys, 1025); /* 1024 usable: slot 0 is the header */
    expect(total_swap_pages()).toBe(1024);
    const mm = sys.mmCreate();
    for (let i = 0; i < 513; i++) expect(sys.write(mm, i, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(mm, 0, 512)).toBe(512);
    expect(nr_swap_pages()).toBe(512);
    expect(vm_swap_full()).toBe(false);
    expect(sys.reclaim(mm, 512, 1)).toBe(1);
    expect(vm_swap_full()).toBe(true);
    expect(violations(sys)).toEqual([]);
  });

  it('memcg ids run out with -ENOSPC, every id handed out inside the table', () => {
    const sys = boot();
    const ids: number[] = [];
    for (let id = sys.memcgCreate(); id > 0; id = sys.memcgCreate()) ids.push(id);
    expect(sys.memcgCreate()).toBe(-ENOSPC);
    /* ids 0 (none) and 1 (the root) are taken from the start */
    expect(ids.length).toBe(nr_memcg_ids() - 2);
    expect(Math.max(...ids)).toBe(nr_memcg_ids() - 1);
    /* The last id is online; the one past the table is no memcg, and asking reads nothing past the table (KASAN checks the index). */
    expect(mem_cgroup_online(nr_memcg_ids() - 1)).toBe(true);
    expect(mem_cgroup_online(nr_memcg_ids())).toBe(false);
    expect(violations(sys)).toEqual([]);
  });

  it('mem_cgroup_offline() refuses the root and a memcg already offline (-EINVAL), as a scenario\'s "offline" step calls it directly', () => {
    const sys = boot();
    const m = sys.memcgCreate();
    expect(m).toBeGreaterThan(ROOT_MEM_CGROUP);
    expect(mem_cgroup_offline(ROOT_MEM_CGROUP)).toBe(-EINVAL);
    expect(mem_cgroup_offline(m)).toBe(0);
    expect(mem_cgroup_offline(m)).toBe(-EINVAL);
    expect(violations(sys)).toEqual([]);
  });
});
