/*
 * Swap readahead (src/mm/swap_readahead.ts, mm/swap_state.c): cluster
 * readahead on a rotational device, VMA readahead otherwise, none on a
 * SWP_SYNCHRONOUS_IO device; the window rules of __swapin_nr_pages();
 * readahead folios stay reclaimable and swapoff finds them.
 * Single-threaded, through the System API; deterministic (seed 1).
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { describe, expect, it } from 'vitest';
import { System, type SwapDeviceOptions } from '../src/api/system.js';
import { block_device_options, type BlockDeviceKind } from '../src/api/device_kind.js';
import { is_swap_pte, pte_present, pte_to_swp_entry, ptep_get } from '../src/mm/pgtable.js';
import { folio_put, folio_test_readahead, folio_test_uptodate } from '../src/mm/page_alloc.js';
import { folio_mapped } from '../src/mm/rmap.js';
import { swap_cache_get_folio } from '../src/mm/swap_state.js';
import { swp_offset } from '../src/mm/swap.js';
import { SWAPFILE_CLUSTER } from '../src/shm/layout.js';
import { try_to_free_pages } from '../src/mm/vmscan.js';
import { PSWPIN, SWAP_RA, SWAP_RA_HIT, sum_vm_events } from '../src/mm/vmstat.js';
import { __swapin_nr_pages } from '../src/mm/swap_readahead.js';

const PAGES = 256;

function clean(sys: System): void {
  expect(sys.check().map((x) => `${x.invariant}: ${x.message}`)).toEqual([]);
  expect(sys.reports().map((x) => `${x.invariant}: ${x.message}`)).toEqual([]);
}

/* A system with one swapped-on @kind device and one process whose pages [0, PAGES) are all swapped out. */
function swapped_out(kind: BlockDeviceKind | SwapDeviceOptions): { sys: System; mm: number } {
  const sys = System.create({ nrCpus: 2, nrTasks: 2, nrFrames: 2048, nrMms: 4, mmPages: 512, seed: 1 });
  expect(sys.createSwapDevice('/dev/vdb', typeof kind === 'string' ? block_device_options(kind, 4096) : kind)).toBe(0);
  expect(sys.swapon('/dev/vdb')).toBe(0);
  const mm = sys.mmCreate();
  for (let i = 0; i < PAGES; i++) expect(sys.write(mm, i)).toBe(0);
  expect(sys.reclaim(mm, 0, PAGES)).toBe(PAGES);
  for (let i = 0; i < PAGES; i++) expect(is_swap_pte(ptep_get(mm, i))).toBe(true);
  return { sys, mm };
}

/*
 * The swap cache folio of the swap PTE at page @index, if any: -1 when
 * not cached; throws if it is mapped or not uptodate (a readahead folio
 * is neither).  Also whether it is marked PG_readahead.
 */
function cached_unmapped(mm: number, index: number): { folio: number; readahead: boolean } {
  const pte = ptep_get(mm, index);
  expect(is_swap_pte(pte)).toBe(true);
  const folio = swap_cache_get_folio(pte_to_swp_entry(pte));
  if (folio < 0) return { folio, readahead: false };
  const state = { folio, readahead: folio_test_readahead(folio), mapped: folio_mapped(folio), uptodate: folio_test_uptodate(folio) };
  folio_put(folio);
  expect(state).toMatchObject({ mapped: false, uptodate: true });
  return { folio, readahead: state.readahead };
}

/* The pages of [0, PAGES) other than @except whose swap entries are in the swap cache. */
function cached_pages(mm: number, except: number[] = []): number[] {
  const out: number[] = [];
  for (let i = 0; i < PAGES; i++) if (!except.includes(i) && is_swap_pte(ptep_get(mm, i)) && cached_unmapped(mm, i).folio >= 0) out.push(i);
  return out;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}

describe('__swapin_nr_pages (the readahead window)', () => {
  it('grows with the hits to a power of two, at most max_pages, and shrinks by half at most', () => {
    /* No hits: 2 for a fault next to the previous one, else 1. */
    expect(__swapin_nr_pages(10, 11, 0, 8, 0)).toBe(2);
    expect(__swapin_nr_pages(10, 9, 0, 8, 0)).toBe(2);
    expect(__swapin_nr_pages(10, 12, 0, 8, 0)).toBe(1);
    expect(__swapin_nr_pages(10, 10, 0, 8, 0)).toBe(1);
    /* hits + 2 rounded up to a power of two, at least 4. */
    expect(__swapin_nr_pages(10, 500, 1, 8, 0)).toBe(4);
    expect(__swapin_nr_pages(10, 500, 2, 8, 0)).toBe(4);
    expect(__swapin_nr_pages(10, 500, 3, 8, 0)).toBe(8);
    expect(__swapin_nr_pages(10, 500, 6, 8, 0)).toBe(8);
    expect(__swapin_nr_pages(10, 500, 7, 32, 0)).toBe(16);
    expect(__swapin_nr_pages(10, 500, 31, 32, 0)).toBe(32);
    /* Clamped to max_pages. */
    expect(__swapin_nr_pages(10, 500, 4, 4, 0)).toBe(4);
    expect(__swapin_nr_pages(10, 500, 40, 8, 0)).toBe(8);
    /* "Don't shrink readahead too fast": never below half the previous window. */
    expect(__swapin_nr_pages(10, 500, 0, 8, 8)).toBe(4);
    expect(__swapin_nr_pages(10, 11, 0, 8, 8)).toBe(4);
    expect(__swapin_nr_pages(10, 500, 0, 8, 4)).toBe(2);
    expect(__swapin_nr_pages(10, 500, 0, 8, 3)).toBe(1);
    expect(__swapin_nr_pages(10, 500, 1, 32, 32)).toBe(16);
  });
});

describe('cluster readahead (a rotational device is on)', () => {
  it('reads the aligned block of slots around the fault, unmapped; a fault on one is a SWAP_RA_HIT with no read', () => {
    const { sys, mm } = swapped_out('hdd');
    const index = 100;
    const offset = swp_offset(pte_to_swp_entry(ptep_get(mm, index)));
    /* The block's slots, where our pages are. */
    const slotPage = new Map<number, number>();
    for (let i = 0; i < PAGES; i++) slotPage.set(swp_offset(pte_to_swp_entry(ptep_get(mm, i))), i);
    const block = range(offset & ~7, (offset | 7) + 1).filter((o) => o !== 0 && o !== offset);
    for (const o of block) expect(slotPage.has(o)).toBe(true);
    const ra0 = sum_vm_events(SWAP_RA);
    const in0 = sum_vm_events(PSWPIN);
    expect(sys.touch(mm, index)).toBe(0);
    expect(pte_present(ptep_get(mm, index))).toBe(true);
    /* Initial hits 4: a window of 8 (page_cluster 3), the faulting slot's aligned block. */
    const expected = block.map((o) => slotPage.get(o)!).sort((a, b) => a - b);
    expect(cached_pages(mm, [index])).toEqual(expected);
    for (const p of expected) expect(cached_unmapped(mm, p).readahead).toBe(true);
    expect(sum_vm_events(SWAP_RA) - ra0).toBe(block.length);
    expect(sum_vm_events(PSWPIN) - in0).toBe(block.length + 1);
    clean(sys);

    const hit0 = sum_vm_events(SWAP_RA_HIT);
    const in1 = sum_vm_events(PSWPIN);
    const neighbour = expected[0];
    expect(sys.touch(mm, neighbour)).toBe(0);
    expect(pte_present(ptep_get(mm, neighbour))).toBe(true);
    expect(sum_vm_events(SWAP_RA_HIT) - hit0).toBe(1);
    expect(sum_vm_events(PSWPIN) - in1).toBe(0);
    clean(sys);
  });
});

describe('cluster readahead: the window follows the hits (swapin_readahead_hits)', () => {
  it('two hits give the next fault a window of 4, three give one of 8; with no hit it shrinks to half the last, no further', () => {
    const { sys, mm } = swapped_out('hdd');
    const slots = range(0, PAGES).map((i) => swp_offset(pte_to_swp_entry(ptep_get(mm, i)))); /* before any is mapped */
    const slot = (page: number): number => slots[page];
    /* Fault on @page: how many slots it read ahead, and the pages it read. */
    const fault = (page: number): number[] => {
      const ra0 = sum_vm_events(SWAP_RA);
      const before = cached_pages(mm);
      expect(sys.touch(mm, page)).toBe(0);
      const read = cached_pages(mm).filter((p) => !before.includes(p));
      expect(read.length).toBe(sum_vm_events(SWAP_RA) - ra0);
      return read;
    };
    const hit = (pages: number[]): void => {
      const h0 = sum_vm_events(SWAP_RA_HIT);
      for (const p of pages) expect(sys.touch(mm, p)).toBe(0);
      expect(sum_vm_events(SWAP_RA_HIT) - h0).toBe(pages.length);
    };
    /* Initial hits 4: a window of 8. */
    const first = fault(100);
    expect(first.length).toBe(7);
    hit(first.slice(0, 2));
    /* 2 hits: 2 + 2 = 4 pages, the aligned block of 4 around the fault. */
    const second = fault(200);
    expect(second.map((p) => slot(p) >> 2)).toEqual([slot(200) >> 2, slot(200) >> 2, slot(200) >> 2]);
    hit(second);
    /* 3 hits: 5, rounded up to 8. */
    expect(fault(150).length).toBe(7);
    /* No hit, and not next to the last fault: 1 page, but never below half the last window (4). */
    expect(fault(50).length).toBe(3);
    expect(fault(20).length).toBe(1);
    clean(sys);
  });
});

describe('cluster readahead at the device\'s first block', () => {
  it('reads every slot of the block but the header (slot 0) and the fault\'s', () => {
    const { sys, mm } = swapped_out(block_device_options('hdd', SWAPFILE_CLUSTER)); /* one cluster: every page's slot is in it */
    const slotPage = new Map<number, number>();
    for (let i = 0; i < PAGES; i++) slotPage.set(swp_offset(pte_to_swp_entry(ptep_get(mm, i))), i);
    const index = slotPage.get(3)!;
    expect(index).toBeDefined();
    const ra0 = sum_vm_events(SWAP_RA);
    expect(sys.touch(mm, index)).toBe(0);
    const expected = [1, 2, 4, 5, 6, 7].map((o) => slotPage.get(o)!).sort((a, b) => a - b);
    expect(cached_pages(mm, [index])).toEqual(expected);
    expect(sum_vm_events(SWAP_RA) - ra0).toBe(6);
    clean(sys);
  });
});

describe('VMA readahead (no rotational device)', () => {
  it('follows sequential faults forward: the window starts at the fault after a hit on the page before', () => {
    const { sys, mm } = swapped_out('ssd');
    const ra0 = sum_vm_events(SWAP_RA);
    /* First fault: no history, centred window of 8: [37, 45). */
    expect(sys.touch(mm, 40)).toBe(0);
    expect(cached_pages(mm, [40])).toEqual([37, 38, 39, 41, 42, 43, 44]);
    expect(sum_vm_events(SWAP_RA) - ra0).toBe(7);
    const in0 = sum_vm_events(PSWPIN);
    const hit0 = sum_vm_events(SWAP_RA_HIT);
    for (const p of [41, 42, 43, 44]) expect(sys.touch(mm, p)).toBe(0);
    expect(sum_vm_events(SWAP_RA_HIT) - hit0).toBe(4);
    expect(sum_vm_events(PSWPIN) - in0).toBe(0);
    /* 45 misses right after 44: the window goes forward, [45, 53). */
    expect(sys.touch(mm, 45)).toBe(0);
    expect(cached_pages(mm, range(37, 46))).toEqual(range(46, 53));
    expect(sum_vm_events(PSWPIN) - in0).toBe(8);
    clean(sys);
  });

  it('follows descending faults backward, and keeps to the page table of the fault', () => {
    const { sys, mm } = swapped_out('ssd');
    expect(sys.touch(mm, 200)).toBe(0);
    expect(cached_pages(mm, [200])).toEqual([197, 198, 199, 201, 202, 203, 204]);
    for (const p of [199, 198, 197]) expect(sys.touch(mm, p)).toBe(0);
    /* 196 misses right after 197: backward, [189, 197). */
    expect(sys.touch(mm, 196)).toBe(0);
    expect(cached_pages(mm, range(196, 205))).toEqual(range(189, 196));
    clean(sys);
  });

  it('clips the window to the start of the mapping', () => {
    const { sys, mm } = swapped_out('ssd');
    expect(sys.touch(mm, 2)).toBe(0);
    /* Centred [-1, 7) clipped to [0, 7). */
    expect(cached_pages(mm, [2])).toEqual([0, 1, 3, 4, 5, 6]);
    clean(sys);
  });
});

describe('SWP_SYNCHRONOUS_IO (zram-like)', () => {
  it('never reads ahead, where an ssd with the same pages does', () => {
    const counts: Record<string, { ra: number; pswpin: number; cached: number[] }> = {};
    for (const kind of ['ssd', 'zram'] as const) {
      const { sys, mm } = swapped_out(kind);
      const ra0 = sum_vm_events(SWAP_RA);
      const in0 = sum_vm_events(PSWPIN);
      /* Order 0: zram's swap-in would otherwise bring in a whole mTHP. */
      for (const p of [40, 41, 100]) expect(sys.touch(mm, p, 0)).toBe(0);
      counts[kind] = { ra: sum_vm_events(SWAP_RA) - ra0, pswpin: sum_vm_events(PSWPIN) - in0, cached: cached_pages(mm, [40, 41, 100]) };
      clean(sys);
    }
    expect(counts.zram).toEqual({ ra: 0, pswpin: 3, cached: [] });
    expect(counts.ssd.ra).toBeGreaterThan(0);
    expect(counts.ssd.cached.length).toBeGreaterThan(0);
  });
});

describe('readahead folios and reclaim, swapoff', () => {
  it('leaves clean unmapped folios that try_to_free_pages frees; read again on a later fault', () => {
    const { sys, mm } = swapped_out('ssd');
    expect(sys.touch(mm, 40)).toBe(0);
    const ra = cached_pages(mm, [40]);
    expect(ra).toEqual([37, 38, 39, 41, 42, 43, 44]);
    clean(sys);
    /* Scan every frame: the readahead folios are freed (the faulted page may be swapped out again too). */
    expect(try_to_free_pages(2048, 2048)).toBeGreaterThanOrEqual(ra.length);
    expect(cached_pages(mm)).toEqual([]);
    clean(sys);
    const in0 = sum_vm_events(PSWPIN);
    const hit0 = sum_vm_events(SWAP_RA_HIT);
    expect(sys.touch(mm, 42)).toBe(0);
    expect(sum_vm_events(SWAP_RA_HIT) - hit0).toBe(0);
    expect(sum_vm_events(PSWPIN) - in0).toBeGreaterThanOrEqual(1);
    clean(sys);
  });

  it('swapoff maps the readahead folios without reading them again, and reads ahead itself', () => {
    const { sys, mm } = swapped_out('ssd');
    expect(sys.touch(mm, 40)).toBe(0);
    expect(cached_pages(mm, [40])).toHaveLength(7);
    const in0 = sum_vm_events(PSWPIN);
    const ra0 = sum_vm_events(SWAP_RA);
    expect(sys.swapoff('/dev/vdb')).toBe(0);
    /* Every page not yet in memory is read once: 256 minus the fault's 8. */
    expect(sum_vm_events(PSWPIN) - in0).toBe(PAGES - 8);
    /* unuse_pte_range() swaps in through swapin_readahead() too. */
    expect(sum_vm_events(SWAP_RA) - ra0).toBeGreaterThan(0);
    for (let i = 0; i < PAGES; i++) expect(pte_present(ptep_get(mm, i))).toBe(true);
    for (let i = 0; i < PAGES; i++) expect(sys.touch(mm, i)).toBe(0);
    clean(sys);
  });

  it('reads ahead under the cluster rule in swapoff on a rotational device too, and stays clean', () => {
    const { sys, mm } = swapped_out('hdd');
    const ra0 = sum_vm_events(SWAP_RA);
    expect(sys.swapoff('/dev/vdb')).toBe(0);
    expect(sum_vm_events(SWAP_RA) - ra0).toBeGreaterThan(0);
    for (let i = 0; i < PAGES; i++) expect(sys.touch(mm, i)).toBe(0);
    clean(sys);
  });
});
