/*
 * Asynchronous swap I/O (src/block/bio.ts, src/mm/page_io.ts,
 * src/mm/filemap.ts), driven step by step on this thread: with
 * BLK_COMPLETION_TASK a bio stays in flight until blk_complete_one() - the
 * completion task's step - runs it, so every state in between can be
 * looked at.  The API's default (BLK_COMPLETION_INLINE) completes a bio as
 * it is submitted.  No randomness.
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { describe, expect, it } from 'vitest';
import { System } from '../src/api/system.js';
import { skipEndCheck } from './quiescent.js';
import '../src/designs/index.js';
import { BLK_COMPLETED, BLK_COMPLETION_INLINE, BLK_COMPLETION_SOFTIRQ, BLK_COMPLETION_TASK, BLK_IDLE, bio_nr_inflight, blk_complete_one, blk_set_completion } from '../src/block/bio.js';
import { folio_ref_count, folio_test_locked, folio_test_swapcache, folio_test_uptodate, folio_test_writeback, folio_set, PG_writeback } from '../src/mm/page_alloc.js';
import { pte_pfn, pte_present, ptep_get, pte_to_swp_entry, is_swap_pte } from '../src/mm/pgtable.js';
import { swap_cache_get_folio } from '../src/mm/swap_state.js';
import { swapin_entry } from '../src/mm/swapin.js';
import { ROOT_MEM_CGROUP } from '../src/mm/memcontrol.js';
import { folio_alloc, folio_lock, folio_put, folio_unlock } from '../src/mm/page_alloc.js';
import { try_to_free_pages } from '../src/mm/vmscan.js';
import { PSWPIN, PSWPOUT, sum_vm_events } from '../src/mm/vmstat.js';
import { kvfree_words } from '../src/kmem/vmalloc.js';
import { A } from '../src/shm/arena.js';
import { SI } from '../src/shm/layout.js';
import { siWord, swp_type } from '../src/mm/swap.js';

function boot(kind: 'ssd' | 'zram' = 'ssd'): { sys: System; mm: number } {
  const sys = System.create({ design: 'p4', nrFrames: 512, nrMms: 8, mmPages: 64, maxSwapPages: 2048 });
  expect(sys.createSwapDevice('/dev/vdb', { sizePages: 2048, kind: 'blk', synchronous: kind === 'zram' })).toBe(0);
  expect(sys.swapon('/dev/vdb')).toBe(0);
  const mm = sys.mmCreate();
  for (let i = 0; i < 4; i++) expect(sys.write(mm, i, { maxOrder: 0 })).toBe(0);
  return { sys, mm };
}

/* The completion task's work, all of it. */
function complete_all(sys: System): number {
  return sys.as(0, () => {
    let n = 0;
    while (blk_complete_one() === BLK_COMPLETED) n++;
    return n;
  });
}

describe('direct reclaim', () => {
  it('skips a locked folio and a folio on no LRU, giving back the reference it took on each', () => {
    const { sys, mm } = boot();
    sys.as(0, () => {
      const locked = pte_pfn(ptep_get(mm, 0));
      const loose = folio_alloc(0, ROOT_MEM_CGROUP); /* neither mapped nor in the swap cache: on no LRU */
      folio_lock(locked);
      const refs = [folio_ref_count(locked), folio_ref_count(loose)];
      expect(try_to_free_pages(512, 512)).toBe(3); /* every frame scanned: the three other pages go */
      expect([folio_ref_count(locked), folio_ref_count(loose)]).toEqual(refs);
      expect(pte_present(ptep_get(mm, 0))).toBe(true);
      folio_unlock(locked);
      folio_put(loose);
    });
    expect(sys.reports().map((v) => v.message)).toEqual([]);
    expect(sys.check().map((v) => v.message)).toEqual([]);
  });
});

describe('asynchronous writeback', () => {
  it('a write stays in flight under PG_writeback; reclaim keeps the folio until the completion ends writeback, then frees it', () => {
    const { sys, mm } = boot();
    const folio = sys.as(0, () => pte_pfn(ptep_get(mm, 0)));
    sys.as(0, () => blk_set_completion(BLK_COMPLETION_TASK));
    /* The PTE gets the swap entry, the folio stays in the swap cache under writeback: nothing freed yet. */
    expect(sys.reclaim(mm, 0, 1)).toBe(0);
    sys.as(0, () => {
      expect(is_swap_pte(ptep_get(mm, 0))).toBe(true);
      expect(folio_test_writeback(folio)).toBe(true);
      expect(folio_test_locked(folio)).toBe(false); /* __swap_writepage() unlocks before it submits */
      expect(folio_test_swapcache(folio)).toBe(true);
      expect(bio_nr_inflight()).toBe(1);
      expect(sum_vm_events(PSWPOUT)).toBe(1);
      /* Direct reclaim skips it while its write is in flight (shrink_folio_list keeps it), and starts writes for the other three. */
      expect(try_to_free_pages(4, 512)).toBe(0);
      expect(bio_nr_inflight()).toBe(4);
      expect(folio_ref_count(folio)).toBeGreaterThan(0);
    });
    /* A quiescent check with the write in flight is clean: PG_writeback has its bio. */
    expect(sys.check().map((v) => v.message)).toEqual([]);
    expect(complete_all(sys)).toBe(4);
    sys.as(0, () => {
      expect(folio_test_writeback(folio)).toBe(false);
      expect(bio_nr_inflight()).toBe(0);
      expect(blk_complete_one()).toBe(BLK_IDLE);
      /* Clean, unmapped, in the swap cache: the next reclaim frees them. */
      expect(try_to_free_pages(4, 512)).toBe(4);
      expect(swap_cache_get_folio(pte_to_swp_entry(ptep_get(mm, 0)))).toBe(-1);
      blk_set_completion(BLK_COMPLETION_INLINE);
    });
    expect(sys.touch(mm, 0)).toBe(0); /* read back from the device: the data the completion wrote */
    expect(sys.reports().map((v) => v.message)).toEqual([]);
    expect(sys.check().map((v) => v.message)).toEqual([]);
  });

  it('a fault during writeback maps the folio under writeback from the swap cache, no read', () => {
    const { sys, mm } = boot();
    const folio = sys.as(0, () => pte_pfn(ptep_get(mm, 1)));
    sys.as(0, () => blk_set_completion(BLK_COMPLETION_TASK));
    expect(sys.reclaim(mm, 1, 1)).toBe(0);
    expect(sys.touch(mm, 1)).toBe(0);
    sys.as(0, () => {
      expect(pte_present(ptep_get(mm, 1)) && pte_pfn(ptep_get(mm, 1))).toBe(folio);
      expect(folio_test_writeback(folio)).toBe(true);
      expect(sum_vm_events(PSWPIN)).toBe(0);
    });
    expect(complete_all(sys)).toBe(1);
    sys.as(0, () => blk_set_completion(BLK_COMPLETION_INLINE));
    expect(sys.check().map((v) => v.message)).toEqual([]);
    expect(sys.reports().map((v) => v.message)).toEqual([]);
  });

  it('a SWP_SYNCHRONOUS_IO (zram-like) device has written the folio when swap_writeout returns: no bio, freed in the same reclaim', () => {
    const { sys, mm } = boot('zram');
    sys.as(0, () => blk_set_completion(BLK_COMPLETION_TASK));
    expect(sys.reclaim(mm, 0, 4)).toBe(4);
    sys.as(0, () => {
      expect(bio_nr_inflight()).toBe(0);
      expect(sum_vm_events(PSWPOUT)).toBe(4);
      blk_set_completion(BLK_COMPLETION_INLINE);
    });
    for (let i = 0; i < 4; i++) expect(sys.touch(mm, i)).toBe(0);
    expect(sys.reports().map((v) => v.message)).toEqual([]);
  });

  it('vswap: swapoff of the physical device waits for a write in flight to it before it frees the slot and the device', () => {
    const sys = System.create({ design: 'vswap', zswap: false, nrFrames: 512, nrMms: 8, mmPages: 64, maxSwapPages: 2048 });
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024, kind: 'blk' })).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const mm = sys.mmCreate();
    for (let i = 0; i < 2; i++) expect(sys.write(mm, i, { maxOrder: 0 })).toBe(0);
    const folio = sys.as(0, () => pte_pfn(ptep_get(mm, 0)));
    sys.as(0, () => blk_set_completion(BLK_COMPLETION_TASK));
    expect(sys.reclaim(mm, 0, 1)).toBe(0);
    /* The write to the physical slot is in flight; from here a task that waits for it completes the queue itself (blk_poll()). */
    sys.as(0, () => {
      expect(folio_test_writeback(folio)).toBe(true);
      expect(bio_nr_inflight()).toBe(1);
      blk_set_completion(BLK_COMPLETION_SOFTIRQ);
    });
    expect(sys.swapoff('/dev/vdb')).toBe(0);
    sys.as(0, () => {
      expect(bio_nr_inflight()).toBe(0); /* waited for before the slot went */
      blk_set_completion(BLK_COMPLETION_INLINE);
    });
    expect(sys.reports().map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
    expect(sys.check().map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
    for (let i = 0; i < 2; i++) expect(sys.touch(mm, i)).toBe(0); /* the data is the folio's, in the swap cache */
  });

  it('KASAN: a write completing into a backing store kvfree() has given back is reported, whatever freed it', () => {
    const { sys, mm } = boot();
    const folio = sys.as(0, () => pte_pfn(ptep_get(mm, 0)));
    sys.as(0, () => blk_set_completion(BLK_COMPLETION_TASK));
    expect(sys.reclaim(mm, 0, 1)).toBe(0);
    /* Give the device's swap block back to the heap under the write, as a swapoff that did not wait would. */
    const type = sys.as(0, () => swp_type(pte_to_swp_entry(ptep_get(mm, 0))));
    sys.as(0, () => kvfree_words(A.i32[siWord(type, SI.block_base)], A.i32[siWord(type, SI.block_words)]));
    expect(() => complete_all(sys)).toThrow(new RegExp(`KASAN: use-after-free write of the swap heap at word \\d+: the swap write of folio ${folio} \\(page 0\\) completed after its device's backing store was freed`));
    expect(sys.reports().map((v) => v.invariant)).toEqual(['device-lifetime']);
    skipEndCheck(sys, 'frees the swap block under a write in flight to assert the completion reports it');
  });

  it('a folio left under writeback with no write in flight is a violation at quiescence (its PG_writeback never clears)', () => {
    const { sys, mm } = boot();
    expect(sys.reclaim(mm, 0, 1)).toBe(1);
    expect(sys.touch(mm, 0)).toBe(0); /* back in the swap cache, mapped */
    const folio = sys.as(0, () => pte_pfn(ptep_get(mm, 0)));
    expect(sys.as(0, () => folio_test_swapcache(folio))).toBe(true);
    sys.as(0, () => folio_set(folio, PG_writeback));
    expect(sys.check().map((v) => v.invariant)).toEqual(['swap-cache']);
    skipEndCheck(sys, 'plants the stray PG_writeback it asserts check() reports');
  });
});

describe('asynchronous reads', () => {
  it('a read leaves the new swap cache folio locked and !uptodate until its completion fills and unlocks it', () => {
    const { sys, mm } = boot();
    expect(sys.reclaim(mm, 2, 1)).toBe(1);
    const entry = sys.as(0, () => pte_to_swp_entry(ptep_get(mm, 2)));
    sys.as(0, () => blk_set_completion(BLK_COMPLETION_TASK));
    const folio = sys.as(0, () => swapin_entry(entry, 1, ROOT_MEM_CGROUP));
    expect(folio).toBeGreaterThanOrEqual(0);
    sys.as(0, () => {
      expect(folio_test_locked(folio)).toBe(true);
      expect(folio_test_uptodate(folio)).toBe(false);
      expect(swap_cache_get_folio(entry)).toBe(folio); /* a second fault finds it there, and waits on its lock */
      folio_put(folio); /* swap_cache_get_folio()'s reference */
      folio_put(folio); /* swapin_entry()'s */
    });
    /* Locked with its read in flight: not a held lock at quiescence. */
    expect(sys.check().map((v) => v.message)).toEqual([]);
    expect(complete_all(sys)).toBe(1);
    sys.as(0, () => {
      expect(folio_test_locked(folio)).toBe(false);
      expect(folio_test_uptodate(folio)).toBe(true);
      expect(sum_vm_events(PSWPIN)).toBe(1);
      blk_set_completion(BLK_COMPLETION_INLINE);
    });
    expect(sys.touch(mm, 2)).toBe(0); /* maps the folio read, with the data written before */
    expect(sys.reports().map((v) => v.message)).toEqual([]);
    expect(sys.check().map((v) => v.message)).toEqual([]);
  });
});
