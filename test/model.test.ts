/*
 * Single-threaded model tests: swapon/swapoff errno cases, swap out/in,
 * fork/exit, large folios, zero pages, memcg death, and the quiescent
 * invariants after each scenario.
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { describe, expect, it } from 'vitest';
import { System } from '../src/api/system.js';
import { EBUSY, EINVAL, ENOENT, ENOMEM, EPERM } from '../src/include/errno.js';
import { MAX_SWAPFILES, PMD_ORDER, SWAPFILE_CLUSTER } from '../src/shm/layout.js';
import { nr_swap_pages, total_swap_pages } from '../src/mm/swap_device.js';
import { ptep_get, is_swap_pte, pte_pfn, pte_present, pte_to_swp_entry, pte_lock, pte_unlock, pte_wrprotect, set_pte } from '../src/mm/pgtable.js';
import { swp_offset } from '../src/mm/swap.js';
import { swp_swapcount } from '../src/mm/swap_count.js';
import { SWAP_MAP_MAX } from '../src/designs/p2.js';
import { set_failslab } from '../src/kmem/slab.js';
import { lockstat_read } from '../src/sync/lockstat.js';
import { LC_PTL } from '../src/sync/lockdep.js';
import { zap_page_range } from '../src/mm/memory.js';
import { non_swapcache_batch, swap_cache_get_folio } from '../src/mm/swap_state.js';
import { try_to_free_pages } from '../src/mm/vmscan.js';
import { AV_CHAIN_MAX, folio_mapcount, folio_remove_rmap_ptes, folio_try_dup_anon_rmap_ptes, PageAnonExclusive, rmap_walk_anon } from '../src/mm/rmap.js';
import { folio_get, folio_order, folio_put, folio_swap, folio_test_swapcache, nr_free_frames, page_folio } from '../src/mm/page_alloc.js';
import { mem_cgroup_swap_usage } from '../src/mm/memcontrol.js';
import { count_vm_events, sum_vm_events, SWAP_COUNT_EXTEND, PSWPIN, PSWPOUT, SWPIN_ZERO, SWPOUT_ZERO, THP_SWPIN, THP_SWPOUT, THP_SWPOUT_FALLBACK } from '../src/mm/vmstat.js';

function boot(extra: Parameters<typeof System.create>[0] = {}): System {
  const sys = System.create({ nrCpus: 2, nrTasks: 2, nrFrames: 2048, nrMms: 8, mmPages: 512, ...extra });
  return sys;
}

/* boot() with /dev/vdb (1024 pages: two clusters, the first holds the header) swapped on. */
function bootWithSwap(extra: Parameters<typeof System.create>[0] = {}): System {
  const sys = boot(extra);
  expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024 })).toBe(0);
  expect(sys.swapon('/dev/vdb')).toBe(0);
  return sys;
}

function clean(sys: System): void {
  const v = sys.check();
  expect(v.map((x) => `${x.invariant}: ${x.message}`)).toEqual([]);
  expect(sys.reports().map((x) => `${x.invariant}: ${x.message}`)).toEqual([]);
}

describe('swapon/swapoff errno (LTP swapon02/03, swapoff02)', () => {
  it('returns the kernel errno for each bad input', () => {
    const sys = boot();
    expect(sys.swapon('/dev/missing')).toBe(-ENOENT);
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024 })).toBe(0);
    expect(sys.swapon('/dev/vdb', { capable: false })).toBe(-EPERM);
    expect(sys.swapon('/dev/vdb', { flags: 1 << 20 })).toBe(-EINVAL);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(-EBUSY);
    expect(nr_swap_pages()).toBe(1023);
    expect(sys.swapoff('/dev/missing')).toBe(-ENOENT);
    expect(sys.swapoff('/dev/vdb', { capable: false })).toBe(-EPERM);
    expect(sys.swapoff('/dev/vdb')).toBe(0);
    expect(sys.swapoff('/dev/vdb')).toBe(-EINVAL);
    expect(nr_swap_pages()).toBe(0);
    clean(sys);
  });

  it('refuses a file that is not a swap area with EINVAL', async () => {
    const sys = boot();
    const { vfs_create } = await import('../src/fs/vfs.js');
    expect(vfs_create('/swapfile', { kind: 'reg', sizePages: 64 })).toBeGreaterThanOrEqual(0);
    expect(sys.swapon('/swapfile')).toBe(-EINVAL);
    expect(sys.swapoff('/swapfile')).toBe(-EINVAL);
  });

  it('returns EPERM once MAX_SWAPFILES areas are active', () => {
    const sys = boot({ nrPages: 256 });
    for (let i = 0; i < MAX_SWAPFILES; i++) {
      expect(sys.createSwapDevice(`/dev/s${i}`, { sizePages: 16 })).toBe(0);
      expect(sys.swapon(`/dev/s${i}`)).toBe(0);
    }
    expect(sys.createSwapDevice('/dev/one-too-many', { sizePages: 16 })).toBe(0);
    expect(sys.swapon('/dev/one-too-many')).toBe(-EPERM);
    expect(MAX_SWAPFILES).toBe(24);
    clean(sys);
  });

  it('swapoff takes off the device it names, and only that one', () => {
    const sys = boot();
    for (const [dev, pages] of [['/dev/vdb', 1024], ['/dev/vdc', 512]] as const) {
      expect(sys.createSwapDevice(dev, { sizePages: pages })).toBe(0);
      expect(sys.swapon(dev)).toBe(0);
    }
    expect(nr_swap_pages()).toBe(1023 + 511);
    expect(sys.swapoff('/dev/vdb')).toBe(0);
    expect(nr_swap_pages()).toBe(511);
    expect(sys.swapoff('/dev/vdb')).toBe(-EINVAL);
    expect(sys.swapon('/dev/vdc')).toBe(-EBUSY);
    expect(sys.swapoff('/dev/vdc')).toBe(0);
    expect(nr_swap_pages()).toBe(0);
    clean(sys);
  });
});

describe('swap out and in', () => {
  it('keeps every page\'s content through reclaim, fault, fork, exit and swapoff', () => {
    const sys = boot({ seed: 7 });
    sys.createSwapDevice('/dev/vdb', { sizePages: 4096, badPages: [5, 700] });
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const mm = sys.mmCreate();
    for (let i = 0; i < 256; i++) expect(sys.write(mm, i, { zero: i % 7 === 0 })).toBe(0);
    expect(sys.reclaim(mm, 0, 256)).toBeGreaterThan(0);
    let swapped = 0;
    for (let i = 0; i < 256; i++) if (is_swap_pte(ptep_get(mm, i))) swapped++;
    expect(swapped).toBeGreaterThan(0);
    clean(sys);
    const child = sys.fork(mm);
    expect(child).toBeGreaterThanOrEqual(0);
    clean(sys);
    for (let i = 0; i < 256; i += 3) expect(sys.touch(mm, i)).toBe(0);
    for (let i = 1; i < 256; i += 5) expect(sys.write(child, i)).toBe(0);
    clean(sys);
    sys.reclaim(child, 0, 256);
    sys.reclaim(mm, 0, 256);
    clean(sys);
    sys.exit(mm);
    clean(sys);
    expect(sys.swapoff('/dev/vdb')).toBe(0);
    for (let i = 0; i < 256; i++) expect(pte_present(ptep_get(child, i)) || ptep_get(child, i) === 0).toBe(true);
    for (let i = 0; i < 256; i++) expect(sys.touch(child, i)).toBe(0);
    clean(sys);
  });

  it('counts past SWP_TB_COUNT_MAX through the extend table', () => {
    const sys = boot({ nrMms: 24, mmPages: 64 });
    sys.createSwapDevice('/dev/vdb', { sizePages: 1024 });
    sys.swapon('/dev/vdb');
    const mm = sys.mmCreate();
    sys.write(mm, 0, { maxOrder: 0 });
    expect(sys.reclaim(mm, 0, 1)).toBe(1);
    const kids: number[] = [];
    for (let i = 0; i < 20; i++) kids.push(sys.fork(mm));
    expect(kids.every((k) => k >= 0)).toBe(true);
    clean(sys);
    for (const k of kids.slice(0, 12)) sys.exit(k);
    clean(sys);
    for (const k of kids.slice(12)) expect(sys.touch(k, 0)).toBe(0);
    clean(sys);
  });

  it('p2: a slot counts up to SWAP_MAP_MAX in si->swap_map, and past it through the extend table', () => {
    const sys = boot({ design: 'p2', nrMms: 72, mmPages: 4 });
    sys.createSwapDevice('/dev/vdb', { sizePages: 1024 });
    sys.swapon('/dev/vdb');
    const mm = sys.mmCreate();
    sys.write(mm, 0, { maxOrder: 0 });
    expect(sys.reclaim(mm, 0, 1)).toBe(1);
    const entry = pte_to_swp_entry(ptep_get(mm, 0));
    const kids: number[] = [];
    while (kids.length < SWAP_MAP_MAX - 1) kids.push(sys.fork(mm));
    expect(kids.every((k) => k >= 0)).toBe(true);
    expect(sys.as(0, () => swp_swapcount(entry))).toBe(SWAP_MAP_MAX);
    clean(sys);
    kids.push(sys.fork(mm));
    expect(sys.as(0, () => swp_swapcount(entry))).toBe(SWAP_MAP_MAX + 1);
    clean(sys);
    for (const k of kids) sys.exit(k);
    expect(sys.touch(mm, 0)).toBe(0);
    clean(sys);
  });

  it('moves the swap charge of a dead memcg to its parent on swap-in', () => {
    const sys = boot();
    sys.createSwapDevice('/dev/vdb', { sizePages: 1024 });
    sys.swapon('/dev/vdb');
    const parent = sys.memcgCreate();
    const child = sys.memcgCreate(parent);
    const mm = sys.mmCreate(child);
    for (let i = 0; i < 32; i++) sys.write(mm, i, { maxOrder: 0 });
    expect(sys.reclaim(mm, 0, 32)).toBe(32);
    expect(mem_cgroup_swap_usage(child)).toBe(32);
    sys.mmMove(mm, parent);
    expect(sys.memcgOffline(child)).toBe(0);
    clean(sys);
    for (let i = 0; i < 32; i++) sys.touch(mm, i);
    clean(sys);
    expect(mem_cgroup_swap_usage(child)).toBe(0);
  });
});

describe('large folio swap-out fallback (shrink_folio_list: split_folio, THP_SWPOUT_FALLBACK)', () => {
  it('splits a large folio that gets no entries of its order and swaps its pages out one by one', () => {
    const sys = boot();
    sys.createSwapDevice('/dev/vdb', { sizePages: 1024 }); /* two clusters */
    sys.swapon('/dev/vdb');
    const a = sys.mmCreate();
    const b = sys.mmCreate();
    const c = sys.mmCreate();
    for (let i = 0; i < 8; i++) sys.write(a, i, { maxOrder: 0 });
    expect(sys.reclaim(a, 0, 8)).toBe(8); /* the first cluster serves order 0 */
    for (let i = 0; i < 2; i++) sys.write(b, i, { maxOrder: 1 });
    expect(sys.reclaim(b, 0, 2)).toBe(2); /* the second, order 1 */
    for (let i = 0; i < 8; i++) sys.write(c, i, { maxOrder: 3 });
    /* No free cluster and none of order 3: split, then eight order-0 entries. */
    expect(sys.reclaim(c, 0, 8)).toBe(8);
    expect(sum_vm_events(THP_SWPOUT_FALLBACK)).toBe(1);
    expect(sum_vm_events(THP_SWPOUT)).toBe(1);
    expect(sum_vm_events(PSWPOUT)).toBe(18);
    sys.as(0, () => {
      for (let i = 0; i < 8; i++) expect(is_swap_pte(ptep_get(c, i))).toBe(true);
    });
    clean(sys);
    for (let i = 0; i < 8; i++) expect(sys.touch(c, i)).toBe(0);
    clean(sys);
  });

  it('frees the pages of a partly zapped large folio that no PTE maps any more when it splits it', () => {
    const sys = boot();
    sys.createSwapDevice('/dev/vdb', { sizePages: 512 }); /* one cluster */
    sys.swapon('/dev/vdb');
    const a = sys.mmCreate();
    expect(sys.write(a, 100, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(a, 100, 1)).toBe(1); /* the only cluster now serves order 0 */
    const free = nr_free_frames();
    for (let i = 0; i < 16; i++) expect(sys.write(a, i, { maxOrder: 4 })).toBe(0);
    expect(nr_free_frames()).toBe(free - 16); /* one order-4 folio */
    sys.as(0, () => zap_page_range(a, 8, 8)); /* MADV_DONTNEED of its second half */
    expect(sys.reclaim(a, 0, 8)).toBe(8); /* split: no order-4 entries */
    expect(sum_vm_events(THP_SWPOUT_FALLBACK)).toBe(1);
    expect(nr_free_frames()).toBe(free); /* every frame back, the unmapped ones too */
    clean(sys);
  });

  it('keeps a large folio it cannot split (a reference besides the mappings: can_split_folio()) whole and mapped, and splits it once the reference is gone', () => {
    const sys = boot();
    sys.createSwapDevice('/dev/vdb', { sizePages: 512 }); /* one cluster */
    sys.swapon('/dev/vdb');
    const a = sys.mmCreate();
    expect(sys.write(a, 100, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(a, 100, 1)).toBe(1); /* the only cluster now serves order 0: an order-4 folio must split */
    for (let i = 0; i < 16; i++) expect(sys.write(a, i, { maxOrder: 4 })).toBe(0);
    const folio = sys.as(0, () => page_folio(pte_pfn(ptep_get(a, 0)))) as number;
    sys.as(0, () => folio_get(folio)); /* a pin: get_user_pages(), or a lookup racing with reclaim */
    expect(sys.reclaim(a, 0, 16)).toBe(0);
    expect(sum_vm_events(THP_SWPOUT_FALLBACK)).toBe(0);
    sys.as(0, () => {
      expect(folio_order(folio)).toBe(4);
      for (let i = 0; i < 16; i++) expect(pte_pfn(ptep_get(a, i))).toBe(folio + i);
    });
    expect(sys.touch(a, 3)).toBe(0); /* its page table is not left locked */
    sys.as(0, () => folio_put(folio));
    clean(sys);
    expect(sys.reclaim(a, 0, 16)).toBe(16);
    expect(sum_vm_events(THP_SWPOUT_FALLBACK)).toBe(1);
    clean(sys);
    for (let i = 0; i < 16; i++) expect(sys.touch(a, i)).toBe(0);
    clean(sys);
  });
});

/*
 * PMD-size THPs: do_huge_pmd_anonymous_page()'s folio (mapped by PTEs in
 * the model) swaps out whole into one free cluster (THP_SWPOUT, one bio);
 * swap-in never allocates PMD_ORDER again (alloc_swap_folio() takes the
 * orders below it), so on a SWP_SYNCHRONOUS_IO device it comes back as
 * two order-8 folios; with no free cluster it splits (THP_SWPOUT_FALLBACK).
 */
/*
 * thp_swpout / thp_swpin (mm/page_io.c count_swpout_vm_event(),
 * count_swpin_vm_event()): counted with pswpout / pswpin, once per large
 * folio the device writes or reads whole; a zero-filled large folio
 * (swap_writeout()'s is_folio_zero_filled() return, swap_read_folio_zeromap())
 * counts swpout_zero / swpin_zero only.  The quiescent checker holds both
 * to the block layer's large I/Os.
 */
describe('thp_swpout and thp_swpin: the device\'s whole large folio I/O', () => {
  it('counts a large folio the device writes and reads, not a zero-filled one, and the checker holds them to the block layer', () => {
    const sys = boot();
    expect(sys.createSwapDevice('/dev/zram0', { sizePages: 2048, synchronous: true })).toBe(0);
    expect(sys.swapon('/dev/zram0')).toBe(0);
    const a = sys.mmCreate();
    for (let i = 0; i < 16; i++) expect(sys.write(a, i, { maxOrder: 4 })).toBe(0);
    for (let i = 16; i < 32; i++) expect(sys.write(a, i, { zero: true, maxOrder: 4 })).toBe(0);
    expect(sys.reclaim(a, 0, 32)).toBe(32);
    expect(sum_vm_events(PSWPOUT)).toBe(16);
    expect(sum_vm_events(SWPOUT_ZERO)).toBe(16);
    expect(sum_vm_events(THP_SWPOUT)).toBe(1); /* the written folio only */
    clean(sys);
    for (let i = 0; i < 32; i++) expect(sys.touch(a, i, 4)).toBe(0);
    expect(sum_vm_events(PSWPIN)).toBe(16);
    expect(sum_vm_events(SWPIN_ZERO)).toBe(16);
    expect(sum_vm_events(THP_SWPIN)).toBe(1); /* read back whole: an order-4 folio from the device */
    clean(sys);
    /* A doubled or lost count shows against the block layer's I/Os. */
    sys.as(0, () => count_vm_events(THP_SWPOUT, 1));
    expect(sys.check().map((v) => v.message)).toEqual([expect.stringMatching(/^thp_swpout 2 but the block layer was asked to write 1 large folios/)]);
    sys.as(0, () => count_vm_events(THP_SWPOUT, -1));
    sys.as(0, () => count_vm_events(THP_SWPIN, -1));
    expect(sys.check().map((v) => v.message)).toEqual([expect.stringMatching(/^thp_swpin 0 but the block layer was asked to read 1 large folios/)]);
    sys.as(0, () => count_vm_events(THP_SWPIN, 1));
    sys.clearReports();
    clean(sys);
  });
});

describe('PMD-size THP swap-out and swap-in', () => {
  const folioOfPage = (sys: System, mm: number, i: number): { pfn: number; order: number } =>
    sys.as(0, () => {
      const pfn = page_folio(pte_pfn(ptep_get(mm, i)));
      return { pfn, order: folio_order(pfn) };
    }) as { pfn: number; order: number };
  const swapOffset = (sys: System, mm: number, i: number): number => sys.as(0, () => swp_offset(pte_to_swp_entry(ptep_get(mm, i)))) as number;

  it('swaps a PMD-size folio out into one whole cluster and back in as folios below PMD_ORDER', () => {
    const sys = boot({ mmPages: 1024, nrFrames: 4096 });
    expect(sys.createSwapDevice('/dev/zram0', { sizePages: 2048, synchronous: true })).toBe(0);
    expect(sys.swapon('/dev/zram0')).toBe(0);
    const a = sys.mmCreate();
    expect(sys.write(a, 700, { maxOrder: PMD_ORDER })).toBe(0);
    expect(folioOfPage(sys, a, 700)).toMatchObject({ order: PMD_ORDER });
    expect(folioOfPage(sys, a, 512).pfn).toBe(folioOfPage(sys, a, 1023).pfn); /* pages 512..1023: one folio */
    for (let i = 512; i < 1024; i += 37) expect(sys.write(a, i)).toBe(0); /* tokens to check on the way back */
    expect(sys.reclaim(a, 512, 512)).toBe(512);
    expect(sum_vm_events(THP_SWPOUT)).toBe(1);
    expect(sum_vm_events(THP_SWPOUT_FALLBACK)).toBe(0);
    const first = swapOffset(sys, a, 512);
    expect(first % SWAPFILE_CLUSTER).toBe(0); /* a whole cluster (offset 0 is the header: the second one) */
    for (let k = 0; k < 512; k++) expect(swapOffset(sys, a, 512 + k)).toBe(first + k);
    clean(sys);
    /* Every page reads back its token (touch checks it) through the largest order below PMD_ORDER. */
    expect(sys.touch(a, 1000, PMD_ORDER)).toBe(0);
    expect(folioOfPage(sys, a, 1000)).toMatchObject({ order: PMD_ORDER - 1 });
    for (let i = 512; i < 1024; i++) expect(sys.touch(a, i, PMD_ORDER)).toBe(0);
    expect(folioOfPage(sys, a, 512)).toMatchObject({ order: PMD_ORDER - 1 });
    clean(sys);
  });

  it('falls back to the next order when the allocator has no PMD-size block (THP_FAULT_FALLBACK)', () => {
    const sys = boot({ mmPages: 1024, nrFrames: 1024 }); /* two PMD-size blocks */
    const a = sys.mmCreate();
    expect(sys.write(a, 0, { maxOrder: PMD_ORDER })).toBe(0);
    expect(sys.write(a, 600, { maxOrder: 0 })).toBe(0); /* breaks up the other block */
    expect(sys.write(a, 1000, { maxOrder: PMD_ORDER })).toBe(0); /* pages 512..1023 not all none: at most order 8 */
    expect(folioOfPage(sys, a, 1000).order).toBe(PMD_ORDER - 1);
    const b = sys.mmCreate();
    expect(sys.write(b, 0, { maxOrder: PMD_ORDER })).toBe(0); /* all none, but no free block of 512 frames */
    expect(folioOfPage(sys, b, 0).order).toBeLessThan(PMD_ORDER);
    clean(sys);
  });

  it('splits a PMD-size folio when no cluster is free, and a page table without room gets a smaller folio', () => {
    const sys = boot({ mmPages: 1024, nrFrames: 4096 });
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024 })).toBe(0); /* two clusters, the first holds the header */
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const a = sys.mmCreate();
    expect(sys.write(a, 0, { maxOrder: PMD_ORDER - 1 })).toBe(0);
    expect(sys.reclaim(a, 0, 256)).toBe(256); /* an order-8 folio takes the only free cluster */
    expect(sum_vm_events(THP_SWPOUT)).toBe(1);
    expect(sys.write(a, 512, { maxOrder: PMD_ORDER })).toBe(0);
    expect(folioOfPage(sys, a, 512)).toMatchObject({ order: PMD_ORDER });
    expect(sys.write(a, 300, { maxOrder: PMD_ORDER })).toBe(0); /* pages 0..511 are not all none: a smaller folio */
    expect(folioOfPage(sys, a, 300).order).toBeLessThan(PMD_ORDER);
    expect(sys.reclaim(a, 512, 512)).toBe(512);
    expect(sum_vm_events(THP_SWPOUT_FALLBACK)).toBe(1);
    expect(sum_vm_events(THP_SWPOUT)).toBe(1);
    clean(sys);
    for (let i = 512; i < 1024; i += 31) expect(sys.touch(a, i)).toBe(0);
    clean(sys);
  });
});

/*
 * do_wp_page(): a write to a read-only PTE makes the page writable in
 * place when this process is its only user - an exclusive page, or a
 * folio only this PTE and maybe the swap cache hold (wp_can_reuse_anon_folio(), which drops the swap cache's
 * reference with folio_free_swap() once no swap PTE needs the slot) -
 * and copies it otherwise (wp_page_copy()).  Reuse keeps the frame; a
 * copy moves the page to a new one.
 */
describe('write faults: reuse in place or copy (do_wp_page)', () => {
  const SMALL = { maxOrder: 0 }; /* order-0 folios: the in-place reuse is for small folios */
  const frame = (mm: number, i: number): number => pte_pfn(ptep_get(mm, i));

  it('after fork the first writer copies, the last user reuses; a swap-cache folio is reused once no swap PTE needs its slot', () => {
    const sys = bootWithSwap();
    const a = sys.mmCreate();
    expect(sys.write(a, 0, SMALL)).toBe(0);
    expect(sys.write(a, 1, SMALL)).toBe(0);
    const b = sys.fork(a);
    expect(b).toBeGreaterThanOrEqual(0);
    const shared = frame(a, 0);
    expect(frame(b, 0)).toBe(shared);
    expect(sys.write(a, 0, SMALL)).toBe(0); /* shared: a copies */
    expect(frame(a, 0)).not.toBe(shared);
    expect(frame(b, 0)).toBe(shared);
    expect(sys.write(b, 0, SMALL)).toBe(0); /* b is the folio's last user: in place */
    expect(frame(b, 0)).toBe(shared);
    /* page 1: swapped out from both, swapped in by a (the slot still counts b's swap PTE), then b goes */
    expect(sys.reclaim(a, 1, 1)).toBe(1);
    expect(is_swap_pte(ptep_get(b, 1))).toBe(true);
    expect(sys.touch(a, 1, 0)).toBe(0);
    const cached = frame(a, 1);
    expect(sys.exit(b)).toBe(0);
    expect(sys.write(a, 1, SMALL)).toBe(0); /* only a's PTE and the swap cache hold it: the slot is freed, the folio reused */
    expect(frame(a, 1)).toBe(cached);
    clean(sys);
  });
});

/*
 * MADV_DONTNEED / exit's zap_page_range(): exactly the range goes - its
 * present pages and its swap PTEs, across a page-table border - and the
 * pages around it keep their PTEs and their data.
 */
describe('zap_page_range: the range and nothing else', () => {
  it('zaps present and swap PTEs of [start, start + nr), across a page-table border, and leaves the neighbours', () => {
    const sys = bootWithSwap({ mmPages: 2 * SWAPFILE_CLUSTER });
    const mm = sys.mmCreate();
    /* a range inside one page table, and one across a table border (SWAPFILE_CLUSTER PTEs a table) */
    const lo = 2, hi = SWAPFILE_CLUSTER;
    for (const i of [lo - 1, lo, lo + 1, lo + 2, hi - 1, hi, hi + 1]) expect(sys.write(mm, i, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(mm, lo + 1, 1)).toBe(1); /* a swap PTE inside the range */
    expect(sys.reclaim(mm, hi + 1, 1)).toBe(1); /* one just past the second range */
    sys.as(0, () => zap_page_range(mm, lo, 2));
    sys.as(0, () => zap_page_range(mm, hi - 1, 2));
    sys.as(0, () => {
      expect(pte_present(ptep_get(mm, lo - 1))).toBe(true);
      expect([ptep_get(mm, lo), ptep_get(mm, lo + 1), ptep_get(mm, hi - 1), ptep_get(mm, hi)]).toEqual([0, 0, 0, 0]);
      expect(pte_present(ptep_get(mm, lo + 2))).toBe(true);
      expect(is_swap_pte(ptep_get(mm, hi + 1))).toBe(true);
    });
    clean(sys);
    for (const i of [lo - 1, lo + 2, hi + 1]) expect(sys.touch(mm, i)).toBe(0); /* the neighbours' data intact */
    clean(sys);
  });
});

/*
 * A run of swap PTEs whose slots cross a cluster border is one batch, as
 * the kernel's swap_pte_batch() makes it (consecutive offsets, nothing
 * about clusters), and swap_put_entries_direct() puts it cluster by
 * cluster.  A rotational device hands out slots one after the other.
 */
describe('zap of swap PTEs whose slots cross a cluster border', () => {
  it('puts every slot of the batch, on both sides of the border', () => {
    const sys = boot({ mmPages: 2 * SWAPFILE_CLUSTER });
    expect(sys.createSwapDevice('/dev/hdd', { sizePages: 3 * SWAPFILE_CLUSTER, rotational: true })).toBe(0);
    expect(sys.swapon('/dev/hdd')).toBe(0);
    const mm = sys.mmCreate();
    const n = SWAPFILE_CLUSTER + 8;
    for (let i = 0; i < n; i++) expect(sys.write(mm, i, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(mm, 0, n)).toBe(n);
    const offsets = sys.as(0, () => Array.from({ length: n }, (_, i) => swp_offset(pte_to_swp_entry(ptep_get(mm, i)))));
    const border = offsets.indexOf(SWAPFILE_CLUSTER);
    expect(offsets[border - 1]).toBe(SWAPFILE_CLUSTER - 1); /* one run across the border */
    const free = nr_swap_pages();
    sys.as(0, () => zap_page_range(mm, border - 4, 8));
    expect(nr_swap_pages()).toBe(free + 8);
    clean(sys);
    for (let i = 0; i < n; i++) if (i < border - 4 || i >= border + 4) expect(sys.touch(mm, i)).toBe(0);
    clean(sys);
  });
});

/*
 * The zap of a swap PTE that puts a slot's last count reclaims its swap
 * cache folio only as free_swap_and_cache() asks, TTRS_UNMAPPED |
 * TTRS_FULL: when no PTE maps the folio any more, or when swap is getting
 * full.  A folio a process still maps keeps its cache (count 0): the
 * process's write fault drops it (wp_can_reuse_anon_folio), or reclaim.
 */
describe('zap of a slot\'s last swap PTE (swap_put_entries_direct: TTRS_UNMAPPED | TTRS_FULL)', () => {
  const SMALL = { maxOrder: 0 };
  /* Page @i of @a: written, shared with a child, swapped out from both, faulted back into @a alone; the child and the cached folio. */
  function cachedInParent(sys: System, a: number, i: number): { child: number; folio: number; entry: number } {
    expect(sys.write(a, i, SMALL)).toBe(0);
    const child = sys.fork(a);
    expect(child).toBeGreaterThanOrEqual(0);
    expect(sys.reclaim(a, i, 1)).toBe(1);
    const entry = sys.as(0, () => pte_to_swp_entry(ptep_get(child, i))) as number;
    expect(sys.touch(a, i, 0)).toBe(0);
    const folio = sys.as(0, () => page_folio(pte_pfn(ptep_get(a, i)))) as number;
    expect(sys.as(0, () => [folio_test_swapcache(folio), folio_swap(folio), swp_swapcount(entry)])).toEqual([true, entry, 1]);
    return { child, folio, entry };
  }

  it('keeps the cache of a folio a PTE maps (a swap PTE or a present one zapped), drops one no PTE maps, and drops it anyway when swap is getting full', () => {
    const sys = bootWithSwap({ mmPages: 1024 });
    const a = sys.mmCreate();
    /* mapped: the child's exit puts the last count, the folio stays cached (the slot too) until a's write reuses it */
    const m = cachedInParent(sys, a, 0);
    const used = nr_swap_pages();
    expect(sys.exit(m.child)).toBe(0);
    expect(sys.as(0, () => [folio_test_swapcache(m.folio), swp_swapcount(m.entry)])).toEqual([true, 0]);
    expect(nr_swap_pages()).toBe(used);
    expect(sys.write(a, 0, SMALL)).toBe(0);
    expect(sys.as(0, () => pte_pfn(ptep_get(a, 0)))).toBe(m.folio); /* reused in place */
    expect(sys.as(0, () => folio_test_swapcache(m.folio))).toBe(false);
    expect(nr_swap_pages()).toBe(used + 1);
    /* unmapped: a's PTE zapped first, so the child's exit drops the cache and frees the slot */
    const u = cachedInParent(sys, a, 1);
    sys.as(0, () => zap_page_range(a, 1, 1));
    const before = nr_swap_pages();
    expect(sys.exit(u.child)).toBe(0);
    expect(sys.as(0, () => swap_cache_get_folio(u.entry))).toBe(-1);
    expect(nr_swap_pages()).toBe(before + 1);
    /* a present PTE zapped while another still maps the folio: free_swap_cache() leaves its cache (only an unmapped folio's goes) */
    const p = cachedInParent(sys, a, 3);
    expect(sys.touch(p.child, 3, 0)).toBe(0); /* the child maps the cached folio too: no count left */
    expect(sys.as(0, () => [pte_pfn(ptep_get(p.child, 3)), swp_swapcount(p.entry), folio_test_swapcache(p.folio)])).toEqual([p.folio, 0, true]);
    expect(sys.exit(p.child)).toBe(0);
    expect(sys.as(0, () => folio_test_swapcache(p.folio))).toBe(true);
    clean(sys);
    /* full: more than half the device in use, a mapped folio's cache goes too */
    const hog = sys.mmCreate();
    for (let i = 0; i < 600; i++) expect(sys.write(hog, i, SMALL)).toBe(0);
    expect(sys.reclaim(hog, 0, 600)).toBe(600);
    const f = cachedInParent(sys, a, 2);
    expect(nr_swap_pages() * 2).toBeLessThan(total_swap_pages());
    expect(sys.exit(f.child)).toBe(0);
    expect(sys.as(0, () => [folio_test_swapcache(f.folio), pte_pfn(ptep_get(a, 2))])).toEqual([false, f.folio]);
    clean(sys);
    expect(sys.touch(a, 2)).toBe(0);
    expect(sys.exit(hog)).toBe(0);
    clean(sys);
  });
});

/*
 * fork's rmap duplication (folio_try_dup_anon_rmap_ptes): the pages it
 * shares are no longer exclusive and map once more; the folio's other
 * pages keep their PageAnonExclusive.
 */
describe('folio_try_dup_anon_rmap_ptes: the range and nothing else', () => {
  it('clears PageAnonExclusive of pages [page, page + nr) of a large folio, not of their neighbours', () => {
    const sys = boot();
    const mm = sys.mmCreate();
    expect(sys.write(mm, 0, { maxOrder: 2 })).toBe(0);
    sys.as(0, () => {
      const folio = page_folio(pte_pfn(ptep_get(mm, 0)));
      expect(folio_order(folio)).toBe(2);
      const exclusive = (): boolean[] => [0, 1, 2, 3].map((k) => PageAnonExclusive(folio + k));
      expect(exclusive()).toEqual([true, true, true, true]);
      const mapped = folio_mapcount(folio);
      folio_try_dup_anon_rmap_ptes(folio, folio + 1, 2);
      expect(exclusive()).toEqual([true, false, false, true]);
      expect(folio_mapcount(folio)).toBe(mapped + 2);
      folio_remove_rmap_ptes(folio, folio + 1, 2); /* no child PTE was written: the mappings go again */
      pte_lock(mm, 1);
      for (const i of [1, 2]) set_pte(mm, i, pte_wrprotect(ptep_get(mm, i))); /* as fork leaves the parent: a page no longer exclusive is mapped read-only */
      pte_unlock(mm, 1);
    });
    clean(sys);
  });
});

/*
 * non_swapcache_batch(), the large swap-in's lockless look: how many slots
 * from an entry on are not in the swap cache, stopping at the first that
 * is and at max_nr.  (Its caller re-checks under ci->lock, so a wrong count
 * only shows as a large swap-in given up or tried in vain: hence a test
 * of its own.)
 */
describe('non_swapcache_batch: the uncached slots before the first cached one', () => {
  it('counts up to the first slot in the swap cache, never past max_nr', () => {
    const sys = bootWithSwap();
    const a = sys.mmCreate();
    for (let i = 0; i < 8; i++) expect(sys.write(a, i, { maxOrder: 0 })).toBe(0);
    const b = sys.fork(a); /* b's swap PTEs keep a's swapped-in folio in the swap cache */
    expect(sys.reclaim(a, 0, 8)).toBe(8);
    const entry = (i: number): number => sys.as(0, () => pte_to_swp_entry(ptep_get(b, i))) as number;
    const byEntry = [0, 1, 2, 3, 4, 5, 6, 7].sort((x, y) => entry(x) - entry(y));
    const first = entry(byEntry[0]);
    const k = entry(byEntry[1]) - first; /* the slots between are free or other pages' swapped-out slots: none cached */
    expect(k).toBeGreaterThan(0);
    expect((first % SWAPFILE_CLUSTER) + k + 4).toBeLessThanOrEqual(SWAPFILE_CLUSTER); /* one cluster's table, as a large swap-in's batch */
    sys.as(0, () => {
      expect(non_swapcache_batch(first, k + 4)).toBe(k + 4); /* nothing cached yet */
    });
    expect(sys.touch(a, byEntry[1], 0)).toBe(0); /* swapped in: cached while b's PTE needs the slot */
    sys.as(0, () => {
      expect(non_swapcache_batch(first, k + 4)).toBe(k);
      expect(non_swapcache_batch(first, k)).toBe(k);
      expect(non_swapcache_batch(first, 1)).toBe(1);
      expect(non_swapcache_batch(first + k, 4)).toBe(0);
    });
    clean(sys);
  });
});

/*
 * A copy-on-write fault that finds no memory for its copy (and nothing to
 * reclaim: no swap device) fails with -ENOMEM and leaves both processes'
 * pages, references and data as they were.
 */
describe('copy on write without memory', () => {
  it('returns -ENOMEM, drops the reference it took on the shared folio, and the page stays shared', () => {
    const sys = boot({ nrFrames: 256 });
    const a = sys.mmCreate();
    expect(sys.write(a, 0, { maxOrder: 0 })).toBe(0);
    const b = sys.fork(a);
    expect(b).toBeGreaterThanOrEqual(0);
    const shared = pte_pfn(ptep_get(a, 0));
    const hog = sys.mmCreate();
    let i = 0;
    while (sys.write(hog, i, { maxOrder: 0 }) === 0) i++; /* every frame taken */
    expect(sys.write(a, 0, { maxOrder: 0 })).toBe(-ENOMEM);
    expect(pte_pfn(ptep_get(a, 0))).toBe(shared);
    expect(pte_pfn(ptep_get(b, 0))).toBe(shared);
    clean(sys);
    expect(sys.exit(hog)).toBe(0);
    expect(sys.write(a, 0, { maxOrder: 0 })).toBe(0); /* memory again: a copies */
    expect(pte_pfn(ptep_get(a, 0))).not.toBe(shared);
    clean(sys);
  });
});

/*
 * A large folio swapped in whole is mapped by all its PTEs in one fault
 * (do_swap_page(): the batch of PTEs naming its slots in order, within one
 * page table), also when it ends exactly at the page table's end.
 */
describe('large swap-in maps the whole folio', () => {
  it('one fault maps all 16 pages of an order-4 folio, in the middle of a page table, at its end and at the mapping\'s end', () => {
    const sys = boot({ mmPages: 1024 });
    expect(sys.createSwapDevice('/dev/zram0', { sizePages: 2048, synchronous: true })).toBe(0);
    expect(sys.swapon('/dev/zram0')).toBe(0);
    const a = sys.mmCreate();
    const end = SWAPFILE_CLUSTER - 16; /* the last 16 PTEs of the first page table */
    for (const base of [32, end, 1024 - 16 /* and the mapping's end */]) {
      expect(sys.write(a, base, { maxOrder: 4 })).toBe(0);
      expect(sys.as(0, () => folio_order(page_folio(pte_pfn(ptep_get(a, base)))))).toBe(4);
      expect(sys.reclaim(a, base, 16)).toBe(16);
      expect(sys.touch(a, base + 5, 4)).toBe(0);
      for (let k = 0; k < 16; k++) expect(pte_present(ptep_get(a, base + k)), `page ${base + k}`).toBe(true);
    }
    clean(sys);
  });
});

/*
 * A large swap-cache folio leaves the cache while only some of its slots
 * still have a count (__swap_cache_del_folio): those keep the folio's
 * shadow, the others are freed one by one.  Here a sibling process
 * dropped two of the four slots (MADV_DONTNEED) before reclaim found the
 * unmapped folio.
 */
describe('a large swap-cache folio deleted with some of its slots unreferenced', () => {
  it('frees the slots with no count left and keeps the others for the processes that map them', () => {
    const sys = boot({ mmPages: 64 });
    expect(sys.createSwapDevice('/dev/zram0', { sizePages: 1024, synchronous: true })).toBe(0);
    expect(sys.swapon('/dev/zram0')).toBe(0);
    const a = sys.mmCreate();
    expect(sys.write(a, 0, { maxOrder: 2 })).toBe(0);
    const b = sys.fork(a);
    expect(sys.reclaim(a, 0, 4)).toBe(4); /* a and b both map it: both get swap PTEs, each slot counts 2 */
    const entries = [0, 1, 2, 3].map((k) => sys.as(0, () => pte_to_swp_entry(ptep_get(b, k))) as number);
    expect(sys.touch(a, 0, 2)).toBe(0); /* a large swap-in through the swap cache (the slots are shared) */
    const folio = sys.as(0, () => page_folio(pte_pfn(ptep_get(a, 0)))) as number;
    expect(sys.as(0, () => [folio_order(folio), folio_swap(folio)])).toEqual([2, entries[0]]);
    sys.as(0, () => zap_page_range(b, 0, 2)); /* b drops slots 0 and 1: no count left, the folio still caches them */
    sys.as(0, () => zap_page_range(a, 0, 4)); /* unmapped; slots 2 and 3 still counted by b, so it stays cached */
    expect(sys.as(0, () => folio_swap(folio))).toBe(entries[0]);
    sys.as(0, () => try_to_free_pages(nr_free_frames() + 2048, 2048)); /* every frame scanned: reclaim deletes it from the cache */
    sys.as(0, () => {
      expect(entries.map((e) => swp_swapcount(e))).toEqual([0, 0, 1, 1]);
      for (const e of entries.slice(2)) expect(swap_cache_get_folio(e)).toBe(-1);
    });
    clean(sys);
    for (const k of [2, 3]) expect(sys.touch(b, k)).toBe(0); /* b's data, read back from the device */
    clean(sys);
  });
});

/*
 * Direct reclaim (try_to_free_pages) stops once it has freed what it was
 * asked for, however much more it could free.
 */
describe('try_to_free_pages: nr_to_reclaim and no more', () => {
  it('frees exactly the pages asked for when more are reclaimable', () => {
    const sys = bootWithSwap();
    const a = sys.mmCreate();
    for (let i = 0; i < 16; i++) expect(sys.write(a, i, { maxOrder: 0 })).toBe(0);
    const present = (): number => sys.as(0, () => [...Array(16).keys()].filter((i) => pte_present(ptep_get(a, i))).length) as number;
    for (const [want, left] of [[1, 15], [3, 12]]) {
      expect(sys.as(0, () => try_to_free_pages(want, 2048))).toBe(want); /* every frame in reach: 16 order-0 folios to take from */
      expect(present()).toBe(left);
    }
    clean(sys);
    for (let i = 0; i < 16; i++) expect(sys.touch(a, i)).toBe(0);
    clean(sys);
  });
});

/*
 * With no free swap slot anywhere the kernel does not scan the anon LRU
 * (can_reclaim_anon_pages()): direct reclaim frees nothing, not even a
 * clean swap cache folio, which it could drop without a write.  A
 * swapoff of the only device takes all its pages out of nr_swap_pages,
 * so what it has swapped in stays in memory, and when memory runs out
 * it fails with -ENOMEM.  Reclaim that dropped those folios undid the
 * swapoff's work: forked pages stay in the swap cache until their last
 * process is unused, so it read them in and dropped them again, pass
 * after pass.
 */
describe('direct reclaim with no swap space left', () => {
  it('frees no clean swap cache folio while the device is full, and does once a slot is free', () => {
    const sys = boot({ nrFrames: 256, mmPages: 128, nrMms: 16 });
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024 })).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const free0 = nr_swap_pages();
    const a = sys.mmCreate();
    for (let i = 0; i < 128; i++) expect(sys.write(a, i, { maxOrder: 0 })).toBe(0);
    const b = sys.fork(a);
    expect(sys.reclaim(a, 0, 128)).toBe(128); /* a and b map each page: each slot counts 2 */
    /* Fill the rest of the device, 128 pages a process. */
    for (let k = 0; k * 128 < free0 - 128; k++) {
      const n = Math.min(128, free0 - 128 - k * 128);
      const m = sys.mmCreate();
      for (let i = 0; i < n; i++) expect(sys.write(m, i, { maxOrder: 0 })).toBe(0);
      expect(sys.reclaim(m, 0, n)).toBe(n);
    }
    expect(nr_swap_pages()).toBe(0);
    expect(sys.touch(a, 0, 0)).toBe(0); /* b's PTE still counts the slot: the folio stays in the swap cache, clean */
    const folio = sys.as(0, () => page_folio(pte_pfn(ptep_get(a, 0)))) as number;
    expect(sys.as(0, () => folio_test_swapcache(folio))).toBe(true);
    expect(sys.as(0, () => try_to_free_pages(2048, 2048))).toBe(0);
    expect(sys.as(0, () => pte_present(ptep_get(a, 0)))).toBe(true);
    sys.as(0, () => {
      zap_page_range(a, 127, 1);
      zap_page_range(b, 127, 1); /* one slot free again */
    });
    expect(nr_swap_pages()).toBe(1);
    expect(sys.as(0, () => try_to_free_pages(2048, 2048))).toBeGreaterThanOrEqual(1);
    expect(sys.as(0, () => pte_present(ptep_get(a, 0)))).toBe(false);
    clean(sys);
  });

  it('a swapoff of the only device, with forked pages and too little memory, fails with -ENOMEM at once instead of reading the same pages again and again', () => {
    const sys = boot({ nrFrames: 256, mmPages: 128 });
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024 })).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const a = sys.mmCreate();
    for (let i = 0; i < 128; i++) expect(sys.write(a, i, { maxOrder: 0 })).toBe(0);
    const b = sys.fork(a);
    expect(sys.reclaim(a, 0, 128)).toBe(128);
    const [c, d] = [sys.mmCreate(), sys.mmCreate()];
    for (let i = 0; i < 128; i++) expect(sys.write(c, i, { maxOrder: 0 })).toBe(0);
    for (let i = 0; i < 100; i++) expect(sys.write(d, i, { maxOrder: 0 })).toBe(0); /* 228 resident, room for 28 */
    const in0 = sum_vm_events(PSWPIN);
    expect(sys.swapoff('/dev/vdb')).toBe(-ENOMEM);
    /* No page read twice: at most the 128, readahead included. */
    expect(sum_vm_events(PSWPIN) - in0).toBeLessThanOrEqual(128);
    clean(sys);
  });
});

/*
 * A swap count past what the swap table entry holds (p4: SWP_TB_COUNT_MAX
 * 15) continues in ci->extend_table; fork (copy_pte_range) meets the
 * first such count with no table yet, drops its locks, allocates one
 * sleeping (swap_retry_table_alloc) and resumes at that PTE.
 */
describe('fork past the swap table entry\'s count', () => {
  it('goes on in the extend table, allocated sleeping when GFP_ATOMIC fails: every child reads the page, and the counts come back down', () => {
    const sys = bootWithSwap({ nrMms: 24 });
    const a = sys.mmCreate();
    expect(sys.write(a, 0, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(a, 0, 1)).toBe(1);
    const entry = sys.as(0, () => pte_to_swp_entry(ptep_get(a, 0))) as number;
    const kids: number[] = [];
    sys.as(0, () => set_failslab(100, 0)); /* every GFP_ATOMIC allocation fails: the first extend table is the sleeping retry's */
    for (let i = 0; i < 20; i++) {
      const k = sys.fork(a);
      expect(k).toBeGreaterThanOrEqual(0);
      kids.push(k);
      expect(sys.as(0, () => swp_swapcount(entry))).toBe(i + 2);
    }
    sys.as(0, () => set_failslab(0, 0));
    expect(sum_vm_events(SWAP_COUNT_EXTEND)).toBe(1);
    clean(sys);
    for (const k of kids) expect(sys.touch(k, 0)).toBe(0);
    for (const k of kids) expect(sys.exit(k)).toBe(0);
    expect(sys.as(0, () => swp_swapcount(entry))).toBe(1);
    clean(sys);
  });

  it('reclaim that needs the extend table while GFP_ATOMIC fails stops unmapping (try_to_unmap_one); every page stays readable, and it goes out once the allocation works', () => {
    const sys = bootWithSwap({ nrMms: 24 });
    const a = sys.mmCreate();
    expect(sys.write(a, 0, { maxOrder: 0 })).toBe(0);
    const kids: number[] = [];
    for (let i = 0; i < 19; i++) kids.push(sys.fork(a)); /* 20 PTEs map the page */
    sys.as(0, () => set_failslab(100, 0));
    expect(sys.reclaim(a, 0, 1)).toBe(0);
    sys.as(0, () => set_failslab(0, 0));
    const all = [a, ...kids];
    const swapped = all.filter((m) => sys.as(0, () => is_swap_pte(ptep_get(m, 0))));
    expect(swapped.length).toBeGreaterThan(0); /* the unmap went as far as the table entry's count */
    expect(swapped.length).toBeLessThan(20);
    clean(sys);
    for (const m of all) expect(sys.touch(m, 0)).toBe(0); /* each page table unlocked, each page readable */
    expect(sys.reclaim(a, 0, 1)).toBe(1);
    clean(sys);
    for (const m of all) expect(sys.touch(m, 0)).toBe(0);
    clean(sys);
  });
});

/*
 * What reclaim's rmap walk costs in a fork family, where most processes no
 * longer map a given page: page_vma_mapped_walk()'s map_pte() looks at an
 * order-0 folio's PTE before it takes that PTL and passes over one that is
 * not present, and try_to_unmap()'s rwc->done ends the walk once no PTE
 * maps the folio.
 */
describe('the rmap walk in a fork family (map_pte, rwc->done)', () => {
  /* PTL acquisitions of every task so far (lock_stat). */
  function ptl_acquired(sys: System): number {
    let n = 0;
    for (let t = 0; t < 2; t++) n += sys.as(0, () => lockstat_read(t, LC_PTL).acquired);
    return n;
  }

  it('takes no PTL of a process whose PTE no longer maps the page: reclaim in a family of eight costs what it does in a process alone', () => {
    const sys = bootWithSwap({ nrMms: 16 });
    /* A process alone, its page 0 mapped. */
    const lone = sys.mmCreate();
    expect(sys.write(lone, 0, { maxOrder: 0 })).toBe(0);
    let before = ptl_acquired(sys);
    expect(sys.reclaim(lone, 0, 1)).toBe(1);
    const alone = ptl_acquired(sys) - before;
    /* A family of eight sharing page 0, swapped out from all, swapped back into the parent only: seven swap PTEs. */
    const a = sys.mmCreate();
    expect(sys.write(a, 0, { maxOrder: 0 })).toBe(0);
    const kids: number[] = [];
    for (let i = 0; i < 7; i++) kids.push(sys.fork(a));
    expect(sys.reclaim(a, 0, 1)).toBe(1);
    expect(sys.touch(a, 0)).toBe(0);
    for (const k of kids) expect(sys.as(0, () => is_swap_pte(ptep_get(k, 0)))).toBe(true);
    before = ptl_acquired(sys);
    expect(sys.reclaim(a, 0, 1)).toBe(1);
    expect(ptl_acquired(sys) - before).toBe(alone);
    expect(sys.as(0, () => is_swap_pte(ptep_get(a, 0)))).toBe(true);
    clean(sys);
    for (const m of [a, ...kids]) expect(sys.touch(m, 0)).toBe(0);
    clean(sys);
  });

  it("stops once no PTE maps the folio (try_to_unmap's rwc->done): a large folio, whose walk takes each PTL from its first PTE (TTU_SYNC), costs in a family of eight what it costs in a process alone", () => {
    const sys = bootWithSwap({ nrMms: 16 });
    const order = 2;
    const nr = 1 << order;
    const folioAt = (mm: number): number => sys.as(0, () => page_folio(pte_pfn(ptep_get(mm, 0)))) as number;
    const lone = sys.mmCreate();
    expect(sys.write(lone, 0, { maxOrder: order })).toBe(0);
    expect(sys.as(0, () => folio_order(folioAt(lone)))).toBe(order);
    let before = ptl_acquired(sys);
    expect(sys.reclaim(lone, 0, nr)).toBe(nr);
    const alone = ptl_acquired(sys) - before;
    /* A parent that forked seven children, then wrote the folio: its own anon_vma, which the children are linked to. */
    const a = sys.mmCreate();
    const kids: number[] = [];
    for (let i = 0; i < 7; i++) kids.push(sys.fork(a));
    expect(sys.write(a, 0, { maxOrder: order })).toBe(0);
    expect(sys.as(0, () => folio_order(folioAt(a)))).toBe(order);
    expect(kids.every((k) => k > a)).toBe(true); /* the walk meets the parent first */
    before = ptl_acquired(sys);
    expect(sys.reclaim(a, 0, nr)).toBe(nr);
    expect(ptl_acquired(sys) - before).toBe(alone);
    for (let i = 0; i < nr; i++) expect(sys.as(0, () => is_swap_pte(ptep_get(a, i)))).toBe(true);
    clean(sys);
    for (let i = 0; i < nr; i++) expect(sys.touch(a, i)).toBe(0);
    for (const k of kids) expect(sys.touch(k, 0)).toBe(0);
    clean(sys);
  });
});

/*
 * The anon_vma chain: each process has an anon_vma of its own and is
 * linked to its ancestors' (anon_vma_fork); a folio only one process may
 * map goes to that process's anon_vma, one the family may share to the
 * root's (__folio_set_anon), and the rmap walk visits the processes linked
 * to the folio's anon_vma.
 */
describe('the anon_vma chain (anon_vma_fork, __folio_set_anon)', () => {
  const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);
  /* The processes the rmap walk of the folio mapped at @mm's page @index visits, in order. */
  function walked(sys: System, mm: number, index: number): number[] {
    return sys.as(0, () => {
      const seen: number[] = [];
      rmap_walk_anon(page_folio(pte_pfn(ptep_get(mm, index))), (m) => {
        seen.push(m);
        return true;
      });
      return seen;
    }) as number[];
  }
  function booted(): System {
    return bootWithSwap({ nrMms: 16 });
  }

  it('a page written after a fork is walked in the process that wrote it and its descendants; a page from before the fork in both', () => {
    const sys = booted();
    const other = sys.mmCreate(); /* another family: never walked */
    expect(sys.write(other, 0, { maxOrder: 0 })).toBe(0);
    const a = sys.mmCreate();
    expect(sys.write(a, 0, { maxOrder: 0 })).toBe(0);
    const c = sys.fork(a);
    expect(sys.write(c, 1, { maxOrder: 0 })).toBe(0); /* new in the child */
    expect(sys.write(a, 2, { maxOrder: 0 })).toBe(0); /* new in the parent, after the fork */
    const g = sys.fork(c);
    expect(walked(sys, a, 0)).toEqual(sorted([a, c, g]));
    expect(walked(sys, c, 1)).toEqual(sorted([c, g]));
    expect(walked(sys, a, 2)).toEqual(sorted([a, c, g]));
    expect(walked(sys, other, 0)).toEqual([other]); /* the first anon_vma (id 0): no other process's words name it */
    /* A write fault's copy (do_wp_page) is the writer's alone: the grandchild's copy of page 1. */
    expect(sys.write(g, 1, { maxOrder: 0 })).toBe(0);
    expect(walked(sys, g, 1)).toEqual([g]);
    expect(walked(sys, c, 1)).toEqual(sorted([c, g]));
    for (const [m, i] of [[a, 0], [c, 1], [a, 2], [g, 1]]) expect(sys.reclaim(m, i, 1)).toBe(1);
    clean(sys);
    for (const [m, i] of [[a, 0], [c, 0], [g, 0], [c, 1], [g, 1], [a, 2]]) expect(sys.touch(m, i)).toBe(0);
    clean(sys);
  });

  it('a swap-in of an entry the family shares goes to the root: reclaim then unmaps it from every process that mapped it', () => {
    const sys = booted();
    const a = sys.mmCreate();
    const c = sys.fork(a);
    /* Written in the child after the fork, swapped out, then shared with the child's own child through the swap entry. */
    expect(sys.write(c, 3, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(c, 3, 1)).toBe(1);
    const g = sys.fork(c);
    expect(sys.touch(g, 3)).toBe(0); /* the grandchild swaps it in first: not exclusive, so the root's */
    expect(sys.touch(c, 3)).toBe(0); /* the same swap cache folio */
    expect(sys.as(0, () => pte_pfn(ptep_get(c, 3)) === pte_pfn(ptep_get(g, 3)))).toBe(true);
    expect(walked(sys, c, 3)).toEqual(sorted([a, c, g]));
    expect(sys.reclaim(g, 3, 1)).toBe(1);
    for (const m of [c, g]) expect(sys.as(0, () => is_swap_pte(ptep_get(m, 3)))).toBe(true);
    clean(sys);
    for (const m of [c, g]) expect(sys.touch(m, 3)).toBe(0);
    clean(sys);
  });

  it('a large folio a child wrote after the fork is unmapped under the child\'s PTL alone, as a process alone\'s', () => {
    const sys = booted();
    const ptl = (): number => sys.as(0, () => lockstat_read(0, LC_PTL).acquired) as number;
    const lone = sys.mmCreate();
    expect(sys.write(lone, 0, { maxOrder: 2 })).toBe(0);
    expect(sys.as(0, () => folio_order(page_folio(pte_pfn(ptep_get(lone, 0)))))).toBe(2);
    let before = ptl();
    expect(sys.reclaim(lone, 0, 4)).toBe(4);
    const alone = ptl() - before;
    const a = sys.mmCreate();
    const kids: number[] = [];
    for (let i = 0; i < 6; i++) kids.push(sys.fork(a));
    expect(sys.write(kids[2], 0, { maxOrder: 2 })).toBe(0);
    expect(sys.as(0, () => folio_order(page_folio(pte_pfn(ptep_get(kids[2], 0)))))).toBe(2);
    before = ptl();
    expect(sys.reclaim(kids[2], 0, 4)).toBe(4);
    expect(ptl() - before).toBe(alone);
    clean(sys);
  });

  it('forks deeper than the chain holds share their parent\'s anon_vma: every process that maps a page is still walked', () => {
    const sys = booted();
    const line = [sys.mmCreate()];
    expect(sys.write(line[0], 0, { maxOrder: 0 })).toBe(0);
    for (let gen = 1; gen < AV_CHAIN_MAX + 3; gen++) {
      line.push(sys.fork(line[gen - 1]));
      expect(sys.write(line[gen], gen, { maxOrder: 0 })).toBe(0);
    }
    /* Page 0 is every generation's; page g the g-th's and its descendants'. */
    expect(walked(sys, line[0], 0)).toEqual(sorted(line));
    for (let gen = 1; gen < line.length; gen++) {
      const mappers = line.slice(gen);
      const seen = walked(sys, line[gen], gen);
      expect(seen).toEqual(expect.arrayContaining(mappers));
      /* Within the chain exactly the writer and its descendants; past it, its parent's too at most. */
      if (gen < AV_CHAIN_MAX) expect(seen).toEqual(sorted(mappers));
      expect(sys.reclaim(line[gen], gen, 1)).toBe(1);
      for (const m of mappers) expect(sys.as(0, () => is_swap_pte(ptep_get(m, gen)))).toBe(true);
    }
    clean(sys);
    for (let gen = 1; gen < line.length; gen++) for (const m of line.slice(gen)) expect(sys.touch(m, gen)).toBe(0);
    clean(sys);
  });
});

/*
 * do_swap_page() on one page of a large folio in the swap cache whose
 * other pages no swap PTE of this process names: it maps that page alone
 * and puts only that page's slot (folio_put_swap(folio, idx)) - the
 * folio's other slots keep the counts of the PTEs that still name them.
 */
describe('a page of a large swap-cache folio mapped alone', () => {
  it('puts only its own slot, the first page\'s included', () => {
    const sys = boot({ mmPages: 1024 });
    expect(sys.createSwapDevice('/dev/zram0', { sizePages: 2048, synchronous: true })).toBe(0);
    expect(sys.swapon('/dev/zram0')).toBe(0);
    const a = sys.mmCreate();
    expect(sys.write(a, 32, { maxOrder: 4 })).toBe(0);
    const b = sys.fork(a);
    expect(sys.reclaim(a, 32, 16)).toBe(16); /* both processes' PTEs become swap PTEs */
    const c = sys.fork(b); /* a third set of swap PTEs on the 16 slots */
    expect(sys.touch(a, 32)).toBe(0); /* a large swap-in: the folio, in the swap cache, mapped whole in a */
    expect(sys.as(0, () => folio_order(page_folio(pte_pfn(ptep_get(a, 32)))))).toBe(4);
    sys.as(0, () => zap_page_range(b, 33, 15)); /* b keeps the swap PTE of the first page only */
    expect(sys.touch(b, 32)).toBe(0); /* the folio's first page alone: idx 0 */
    expect(pte_present(ptep_get(b, 32))).toBe(true);
    clean(sys); /* c's 16 swap PTEs still count on every slot */
    for (let k = 0; k < 16; k++) expect(sys.touch(c, 32 + k)).toBe(0);
    clean(sys);
  });
});

/*
 * swap_writeout(): a folio whose every page is zero is not written - the
 * zeromap records it (swpout_zero) - whatever the frames next to it hold;
 * any other goes to the device (pswpout).
 */
describe('zero-filled pages at swap-out', () => {
  it('each zero-filled page counts swpout_zero and no write, each other page pswpout, interleaved in memory', () => {
    const sys = bootWithSwap();
    const a = sys.mmCreate();
    for (let i = 0; i < 16; i++) expect(sys.write(a, i, { zero: i % 2 === 0, maxOrder: 0 })).toBe(0);
    const zero0 = sum_vm_events(SWPOUT_ZERO);
    const out0 = sum_vm_events(PSWPOUT);
    expect(sys.reclaim(a, 0, 16)).toBe(16);
    expect(sum_vm_events(SWPOUT_ZERO) - zero0).toBe(8);
    expect(sum_vm_events(PSWPOUT) - out0).toBe(8);
    clean(sys);
    for (let i = 0; i < 16; i++) expect(sys.touch(a, i)).toBe(0);
    clean(sys);
  });
});
