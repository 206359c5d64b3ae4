/*
 * The virtual swap design (seed 004), single-threaded: the virtual swap
 * space from boot, zswap without any swapfile, physical slots allocated
 * only for pages that go to a device, swapoff without a page table walk,
 * zswap writeback that allocates the physical slot then, and the vswap
 * invariants catching a descriptor and a reverse map that disagree.
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { describe, expect, it } from 'vitest';
import { System } from '../src/api/system.js';
import { skipEndCheck } from './quiescent.js';
import { A, gword } from '../src/shm/arena.js';
import { G, SI, SWAPFILE_CLUSTER, vswapPhysWords } from '../src/shm/layout.js';
import { is_swap_pte, pte_to_swp_entry, ptep_get } from '../src/mm/pgtable.js';
import { clusterWord, si_flags, siWord, SWP_VSWAP, SWP_VSWAP_PHYS, swp_entry, swp_offset, swp_type } from '../src/mm/swap.js';
import { sum_vm_events, PSWPOUT, SWAP_WRITEOUT_ACTIVATE, ZSWPOUT, ZSWPWB } from '../src/mm/vmstat.js';
import { __vtable_phys, __vtable_tag, VSWAP_SWAPFILE, VSWAP_TYPE, VSWAP_ZSWAP } from '../src/mm/vswap.js';
import { phys_allocated_slots, phys_rmap, phys_test_bad, swap_slot_free } from '../src/mm/vswap_phys.js';
import { zswap_writeback_entry } from '../src/mm/zswap_writeback.js';
import { zswap_isolate } from '../src/mm/zswap.js';
import { ENOMEM } from '../src/include/errno.js';

function boot(zswap: boolean): System {
  return System.create({ design: 'vswap', zswap, nrCpus: 2, nrTasks: 2, nrFrames: 2048, nrMms: 8, mmPages: 1024, maxSwapPages: 8192 });
}

function clean(sys: System): void {
  expect(sys.check().map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
  expect(sys.reports().map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
}

/* The swap PTEs of @mm's first @n pages. */
function swap_ptes(mm: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => ptep_get(mm, i));
}

/* A system with /dev/vdb (1024 slots) backing the virtual swap space, and a process whose first @n pages are swapped out. */
function swapped_out(zswap: boolean, n: number): { sys: System; mm: number } {
  const sys = boot(zswap);
  sys.createSwapDevice('/dev/vdb', { sizePages: 1024 });
  sys.swapon('/dev/vdb');
  const mm = sys.mmCreate();
  for (let i = 0; i < n; i++) sys.write(mm, i, { maxOrder: 0 });
  expect(sys.reclaim(mm, 0, n)).toBe(n);
  return { sys, mm };
}

function vslot(entry: number): { ci: number; off: number } {
  return { ci: clusterWord(VSWAP_TYPE, Math.floor(swp_offset(entry) / SWAPFILE_CLUSTER)), off: swp_offset(entry) % SWAPFILE_CLUSTER };
}

describe('vswap', () => {
  it('the virtual swap space exists from boot; with zswap, swapping needs no swapfile and takes no physical slot', () => {
    const sys = boot(true);
    expect(si_flags(VSWAP_TYPE) & SWP_VSWAP).toBe(SWP_VSWAP);
    const mm = sys.mmCreate();
    for (let i = 0; i < 64; i++) sys.write(mm, i, { maxOrder: 0 });
    expect(sys.reclaim(mm, 0, 64)).toBe(64);
    expect(sum_vm_events(ZSWPOUT)).toBe(64);
    expect(sum_vm_events(PSWPOUT)).toBe(0);
    for (const pte of swap_ptes(mm, 64)) {
      expect(is_swap_pte(pte)).toBe(true);
      expect(swp_type(pte_to_swp_entry(pte))).toBe(VSWAP_TYPE);
      const { ci, off } = vslot(pte_to_swp_entry(pte));
      expect(__vtable_tag(ci, off)).toBe(VSWAP_ZSWAP);
    }
    clean(sys);
    for (let i = 0; i < 64; i++) expect(sys.touch(mm, i)).toBe(0);
    clean(sys);
  });

  it('without zswap or a device the folio has nowhere to go: it stays, dirty (AOP_WRITEPAGE_ACTIVATE)', () => {
    const sys = boot(false);
    const mm = sys.mmCreate();
    for (let i = 0; i < 16; i++) sys.write(mm, i, { maxOrder: 0 });
    expect(sys.reclaim(mm, 0, 16)).toBe(0);
    expect(sum_vm_events(SWAP_WRITEOUT_ACTIVATE)).toBe(16);
    clean(sys);
  });

  it('a physical slot is allocated only for a page that goes to the device, never a bad one; the reverse map names the virtual slot', () => {
    const sys = boot(false);
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024, badPages: [1, 2, 3] })).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    expect(si_flags(1) & SWP_VSWAP_PHYS).toBe(SWP_VSWAP_PHYS);
    const mm = sys.mmCreate();
    for (let i = 0; i < 32; i++) sys.write(mm, i, { maxOrder: 0, zero: i % 4 === 0 });
    expect(sys.reclaim(mm, 0, 32)).toBe(32);
    const slots = phys_allocated_slots(1);
    expect(slots.length).toBe(24); /* the 8 zero pages need none */
    for (const off of slots) expect(phys_test_bad(1, off)).toBe(false);
    for (const pte of swap_ptes(mm, 32)) {
      const e = pte_to_swp_entry(pte);
      const { ci, off } = vslot(e);
      if (__vtable_tag(ci, off) !== VSWAP_SWAPFILE) continue;
      expect(phys_rmap(1, swp_offset(__vtable_phys(ci, off)))).toBe(e);
    }
    clean(sys);
  });

  it('swapoff of the physical device walks no page table: every PTE keeps its virtual entry, the data moves into the swap cache', () => {
    const { sys, mm } = swapped_out(false, 64);
    const before = swap_ptes(mm, 64);
    expect(A.i32[siWord(1, SI.inuse_pages)]).toBe(64);
    expect(sys.swapoff('/dev/vdb')).toBe(0);
    expect(swap_ptes(mm, 64)).toEqual(before);
    clean(sys);
    for (let i = 0; i < 64; i++) expect(sys.touch(mm, i)).toBe(0);
    clean(sys);
  });

  it('zswap writeback allocates the physical slot only then, and the page tables do not change', () => {
    const { sys, mm } = swapped_out(true, 8);
    expect(phys_allocated_slots(1)).toEqual([]);
    const before = swap_ptes(mm, 8);
    const e = pte_to_swp_entry(before[3]);
    const [z] = zswap_isolate(VSWAP_TYPE, swp_offset(e), 1, 1);
    expect(zswap_writeback_entry(VSWAP_TYPE, z.offset, z.id, z.data)).toBe(0);
    expect(sum_vm_events(ZSWPWB)).toBe(1);
    const { ci, off } = vslot(e);
    expect(__vtable_tag(ci, off)).toBe(VSWAP_SWAPFILE);
    expect(phys_allocated_slots(1).length).toBe(1);
    expect(swap_ptes(mm, 8)).toEqual(before);
    clean(sys);
    for (let i = 0; i < 8; i++) expect(sys.touch(mm, i)).toBe(0);
    clean(sys);
  });

  it('zswap writeback finding no free physical slot fails: the swap-cache folio goes, zswap keeps the entry, the data stays', () => {
    const sys = boot(true);
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 9 })).toBe(0); /* 8 physical slots */
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const mm = sys.mmCreate();
    for (let i = 0; i < 12; i++) sys.write(mm, i, { maxOrder: 0 });
    expect(sys.reclaim(mm, 0, 12)).toBe(12);
    const before = swap_ptes(mm, 12);
    const entries = before.map((pte) => zswap_isolate(VSWAP_TYPE, swp_offset(pte_to_swp_entry(pte)), 1, 1)[0]);
    const r = sys.as(0, () => entries.map((z) => zswap_writeback_entry(VSWAP_TYPE, z.offset, z.id, z.data))) as number[];
    expect(r.filter((x) => x === 0).length).toBe(8);
    expect(r.filter((x) => x === -ENOMEM).length).toBe(4);
    expect(phys_allocated_slots(1).length).toBe(8);
    /* the four left in zswap: still there, no folio of theirs in the swap cache */
    for (const [i, z] of entries.entries()) {
      if (r[i] !== 0) expect(zswap_isolate(VSWAP_TYPE, z.offset, 1, 1)).toEqual([z]);
    }
    expect(swap_ptes(mm, 12)).toEqual(before);
    clean(sys);
    for (let i = 0; i < 12; i++) expect(sys.touch(mm, i)).toBe(0);
    clean(sys);
  });

  it('a descriptor and a reverse map that disagree are reported', () => {
    const { sys } = swapped_out(false, 4);
    const [first] = phys_allocated_slots(1);
    /* The reverse map of the first physical slot (device 1) now names another virtual slot. */
    const w = vswapPhysWords(A.i32[siWord(1, SI.max)]);
    Atomics.add(A.i32, A.i32[siWord(1, SI.phys_base)] + w.rmap + first, 1);
    const found = sys.check().map((v) => v.invariant);
    expect(found).toContain('swap-count');
    expect(sys.check().some((v) => /reverse map/.test(v.message))).toBe(true);
    skipEndCheck(sys, 'plants the reverse-map disagreement it asserts check() reports');
  });

  it('a virtual slot backed by a device that is gone is reported as such, by check_vswap(), and the data check does not read the device', () => {
    const { sys, mm } = swapped_out(false, 4);
    /*
     * What physical slots that escaped swapoff leave: the device out of
     * service, its swap block gone (free_swap_block()) and its swap_info
     * released (release_swap_info()), virtual slots still naming it.
     */
    Atomics.sub(A.i32, gword(G.nr_real_swapfiles), 1);
    A.i32[siWord(1, SI.backing_base)] = 0;
    Atomics.store(A.i32, siWord(1, SI.flags), 0);
    const found = sys.check();
    expect(found.length).toBe(4);
    for (const v of found) {
      expect(v.invariant).toBe('device-lifetime');
      expect(v.message).toMatch(/is backed by 1:\d+, not a physical device in service/);
    }
    expect(swap_ptes(mm, 4).every((pte) => is_swap_pte(pte))).toBe(true);
    skipEndCheck(sys, 'plants the released device it asserts check() reports');
  });

  it('freeing a physical slot for an entry it does not back, or one that is free, is reported and changes nothing', () => {
    const { sys } = swapped_out(false, 4);
    const [a, b] = phys_allocated_slots(1);
    const backs = phys_rmap(1, a);
    sys.as(0, () => swap_slot_free(swp_entry(1, a), phys_rmap(1, b))); /* allocated, but it backs another entry */
    expect(phys_allocated_slots(1)).toContain(a);
    expect(phys_rmap(1, a)).toBe(backs);
    const free = [...Array(64).keys()].find((off) => off > 0 && !phys_allocated_slots(1).includes(off) && !phys_test_bad(1, off))!;
    sys.as(0, () => swap_slot_free(swp_entry(1, free), backs)); /* not allocated at all */
    expect(phys_allocated_slots(1)).not.toContain(free);
    expect(sys.reports().map((v) => v.invariant)).toEqual(['swap-count', 'swap-count']);
    expect(sys.reports()[0].message).toMatch(/but it is backing/);
    expect(sys.reports()[1].message).toMatch(/but it is free/);
    skipEndCheck(sys, 'makes the two reports it asserts');
  });
});
