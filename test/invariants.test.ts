/*
 * Every invariant of docs/invariants.md, broken on purpose: a small
 * system is built and quiesced clean, then one piece of state is
 * corrupted the way the bug that invariant guards against would leave it,
 * and the checker must report exactly that invariant (and nothing else).
 * "progress" is the watchdog's: a task stuck inside an operation.
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { beforeEach, describe, expect, it } from 'vitest';
import { System } from '../src/api/system.js';
import { skipEndCheck } from './quiescent.js';
import { A, gword } from '../src/shm/arena.js';
import { CI, FOLIO, G, MEMCG, SI, SWAPFILE_CLUSTER, TASK } from '../src/shm/layout.js';
import type { Invariant, Violation } from '../src/shm/report.js';
import { swap_design } from '../src/mm/swap_design.js';
import {
  CLUSTER_FLAG_FREE, CLUSTER_FLAG_FULL, CLUSTER_FLAG_NONE, SWP_WRITEOK, ci_count, clusterWord, siWord, swap_cluster_lock, swap_cluster_unlock, swp_entry, swp_offset,
} from '../src/mm/swap.js';
import { __swap_table_get, __swap_table_set } from '../src/mm/swap_table_arena.js';
import { swp_tb_is_folio, swp_tb_is_shadow, swp_tb_set_zero, swp_tb_to_pfn, __swp_tb_get_count } from '../src/mm/swap_table.js';
import { expected_token, is_swap_pte, pte_to_swp_entry, pteWord, ptep_get, swp_entry_to_pte } from '../src/mm/pgtable.js';
import {
  __folio_set_locked, folio_alloc, folio_get, folio_put, folio_lock, folio_set, folio_set_swap, folio_swap, folio_trylock, folio_unlock, fw, page_folio, PG_head, PG_swapcache,
  PG_waiters, PG_writeback,
} from '../src/mm/page_alloc.js';
import { mk_pte, pte_lock, pte_pfn, pte_unlock, pte_write, set_expected, set_pte } from '../src/mm/pgtable.js';
import { folio_alloc_swap, folio_free_swap } from '../src/mm/swapfile.js';
import { swap_cache_del_folio } from '../src/mm/swap_state.js';
import { folio_dup_swap, folio_put_swap } from '../src/mm/swap_count.js';
import { ClearPageAnonExclusive, folio_add_anon_rmap_ptes, folio_anon_vma, folio_move_anon_rmap, SetPageAnonExclusive } from '../src/mm/rmap.js';
import { get_swap_device, SWAP_USAGE_OFFLIST_BIT } from '../src/mm/swap_device.js';
import { plist_del } from '../src/mm/plist.js';
import { list_entries, list_for_flags, move_cluster } from '../src/mm/cluster_list.js';
import { LC_SWAP_AVAIL, lockdep_set_enabled } from '../src/sync/lockdep.js';
import { pointId, setPointHook } from '../src/sync/point.js';
import { ENOMEM } from '../src/include/errno.js';
import { spin_lock, spin_unlock } from '../src/sync/spinlock.js';
import { ROOT_MEM_CGROUP } from '../src/mm/memcontrol.js';
import { si_on_avail_list } from '../src/invariants/device.js';
import { swapoff_enomem_system } from './swapoff_enomem.js';
import { mw } from '../src/mm/memcontrol.js';
import { page_pool_alloc, pageDataWord, PG_KMALLOC } from '../src/kmem/page_pool.js';
import { GFP_ATOMIC, GFP_KERNEL, kmem_cache_free, kmem_cache_zalloc, swap_cluster_cachep, swap_table_cachep } from '../src/kmem/slab.js';
import { setCurrent, taskWord } from '../src/shm/task.js';
import { lock_acquire, lock_release, LC_SWAP_LOCK } from '../src/sync/lockdep.js';
import { Watchdog } from '../src/harness/watchdog.js';
import { count_vm_events, PSWPIN, PSWPOUT, sum_vm_events } from '../src/mm/vmstat.js';

let sys: System;
let mm: number;

/* Invariant ids of a check, de-duplicated. */
function ids(v: Violation[]): Invariant[] {
  return [...new Set(v.map((x) => x.invariant))];
}

interface Slot {
  ci: number;
  off: number;
  entry: number;
}

/* Every used slot of device 0 whose entry satisfies @pred. */
function slots(pred: (tb: bigint) => boolean): Slot[] {
  const out: Slot[] = [];
  const nr = A.i32[siWord(0, SI.nr_clusters)];
  for (let idx = 0; idx < nr; idx++) {
    const ci = clusterWord(0, idx);
    if (A.i32[ci + CI.table] === 0) continue;
    for (let off = 0; off < SWAPFILE_CLUSTER; off++) {
      if (pred(__swap_table_get(ci, off))) out.push({ ci, off, entry: swp_entry(0, idx * SWAPFILE_CLUSTER + off) });
    }
  }
  return out;
}

/* A swapped-out, uncached slot referenced by exactly one swap PTE, and that PTE. */
function swappedOut(): Slot & { index: number } {
  for (const s of slots((tb) => swp_tb_is_shadow(tb) && __swp_tb_get_count(swap_design().tb, tb) === 1)) {
    for (let index = 0; index < 256; index++) {
      const pte = ptep_get(mm, index);
      if (is_swap_pte(pte) && pte_to_swp_entry(pte) === s.entry) return { ...s, index };
    }
  }
  throw new Error('test setup: no swapped-out page');
}

/* The folio mapped at page @index of the test's process. */
function mappedFolio(index: number): number {
  return page_folio(pte_pfn(ptep_get(mm, index)));
}

function setEntry(s: Slot, tb: bigint): void {
  const ci = swap_cluster_lock(0, s.entry % (1 << 26));
  __swap_table_set(ci, s.off, tb);
  swap_cluster_unlock(ci);
}

/*
 * The test leaves the violation it planted in place (it asserts check()
 * reports it): no end-of-test check of the system it planted it in.
 */
function planted(): void {
  skipEndCheck(sys, 'the test plants the violation it asserts check() reports, and leaves it');
}

beforeEach(() => {
  sys = System.create({ nrCpus: 2, nrTasks: 3, nrFrames: 2048, nrPages: 256, nrMms: 4, mmPages: 256, seed: 42 });
  sys.createSwapDevice('/dev/vdb', { sizePages: 4096 });
  expect(sys.swapon('/dev/vdb')).toBe(0);
  mm = sys.mmCreate(sys.memcgCreate());
  /* Pages 0..127 written (non-zero), swapped out, half of them read back in. */
  for (let i = 0; i < 128; i++) sys.write(mm, i, { maxOrder: 0 });
  sys.reclaim(mm, 0, 128);
  for (let i = 0; i < 64; i++) sys.touch(mm, i, 0);
  expect(sys.check().map((v) => v.message)).toEqual([]);
  sys.clearReports();
});

describe('each invariant, broken the way its bug breaks it, is reported alone', () => {
  it('slot-format: an entry that decodes to no kind', () => {
    setEntry(swappedOut(), 0x10n);
    expect(ids(sys.check())).toEqual(['slot-format']);
    planted();
  });

  it('cluster-count: ci->count off by one', () => {
    const s = swappedOut();
    A.i32[s.ci + CI.count]++;
    expect(ids(sys.check())).toEqual(['cluster-count']);
    planted();
  });

  it('table-lifetime: a free, empty cluster still holding a table', () => {
    const nr = A.i32[siWord(0, SI.nr_clusters)];
    let free = -1;
    for (let idx = 0; idx < nr && free < 0; idx++) {
      const ci = clusterWord(0, idx);
      if (A.i32[ci + CI.flags] === CLUSTER_FLAG_FREE && A.i32[ci + CI.table] === 0) free = ci;
    }
    expect(free).toBeGreaterThan(0);
    A.i32[free + CI.table] = page_pool_alloc(PG_KMALLOC, true) + 1;
    expect(ids(sys.check())).toEqual(['table-lifetime']);
    planted();
  });

  it('cluster-lists: a cluster left isolated (flags NONE) at quiescence', () => {
    A.i32[swappedOut().ci + CI.flags] = CLUSTER_FLAG_NONE;
    expect(ids(sys.check())).toEqual(['cluster-lists']);
    planted();
  });

  it('swap-count: a count that does not match the swap PTEs', () => {
    const s = swappedOut();
    const ci = swap_cluster_lock(0, s.entry % (1 << 26));
    swap_design().setCount(ci, s.off, 2);
    swap_cluster_unlock(ci);
    expect(ids(sys.check())).toEqual(['swap-count']);
    planted();
  });

  it('swap-cache: a slot naming a folio that is not in the swap cache', () => {
    const cached = slots((tb) => swp_tb_is_folio(tb));
    expect(cached.length).toBeGreaterThan(0);
    const folio = swp_tb_to_pfn(swap_design().tb, __swap_table_get(cached[0].ci, cached[0].off));
    Atomics.and(A.i32, fw(folio, FOLIO.flags), ~PG_swapcache);
    expect(ids(sys.check())).toEqual(['swap-cache']);
    planted();
  });

  it('accounting: total_swap_pages that disagrees with the pages of the devices in service (a swapon or swapoff counted twice)', () => {
    Atomics.add(A.i32, gword(G.total_swap_pages), 1);
    expect(sys.check().map((v) => v.message)).toEqual([expect.stringMatching(/^total_swap_pages \d+ but the devices in service have \d+ pages/)]);
    planted();
  });

  it('accounting: nr_rotate_swap that disagrees with the rotational devices swapped on', () => {
    Atomics.sub(A.i32, gword(G.nr_rotate_swap), 1);
    expect(sys.check().map((v) => v.message)).toEqual([expect.stringMatching(/^nr_rotate_swap -?\d+ but \d+ rotational devices are swapped on/)]);
    planted();
  });

  it('lock-discipline: folio_free_swap() on a folio not locked (folio_swapcache_freeable()\'s VM_BUG_ON_FOLIO), even one it would leave alone', () => {
    const folio = folio_alloc(0, ROOT_MEM_CGROUP);
    sys.clearReports();
    expect(folio_free_swap(folio)).toBe(false); /* not in the swap cache */
    expect(sys.reports().map((v) => v.message)).toEqual([expect.stringMatching(/^folio_free_swap: VM_BUG_ON_FOLIO\(!folio_test_locked\(folio\)\): folio \d+ is not locked/)]);
    sys.clearReports();
    folio_lock(folio);
    expect(folio_free_swap(folio)).toBe(false);
    folio_unlock(folio);
    folio_put(folio);
    expect(sys.reports()).toEqual([]);
  });

  it('lock-discipline: folio_alloc_swap() on a folio not locked (mm/swapfile.c: VM_BUG_ON_FOLIO)', () => {
    const folio = folio_alloc(0, ROOT_MEM_CGROUP);
    sys.clearReports();
    expect(folio_alloc_swap(folio)).toBe(0);
    /* Caught on entry, before the allocator's __swap_cache_add_folio() finds it too. */
    expect(sys.reports().map((v) => v.message)).toEqual([
      expect.stringMatching(/^folio_alloc_swap: VM_BUG_ON_FOLIO\(!folio_test_locked\(folio\)\): folio \d+ is not locked/),
      expect.stringMatching(/^__swap_cache_add_folio: VM_WARN_ON_ONCE_FOLIO\(!folio_test_locked\(folio\)\): folio \d+ is not locked/),
    ]);
    sys.clearReports();
    folio_lock(folio);
    swap_cache_del_folio(folio);
    expect(folio_alloc_swap(folio)).toBe(0);
    swap_cache_del_folio(folio);
    folio_unlock(folio);
    folio_put(folio);
    expect(sys.reports()).toEqual([]);
    expect(sys.check()).toEqual([]);
  });

  it('lock-discipline: folio_dup_swap() and folio_put_swap() on a swap cache folio not locked (mm/swapfile.c: VM_WARN_ON_FOLIO)', () => {
    const cached = slots((tb) => swp_tb_is_folio(tb));
    expect(cached.length).toBeGreaterThan(0);
    const folio = swp_tb_to_pfn(swap_design().tb, __swap_table_get(cached[0].ci, cached[0].off));
    const idx = cached[0].entry - folio_swap(folio);
    expect(folio_dup_swap(folio, idx)).toBe(0);
    folio_put_swap(folio, idx);
    expect(sys.reports().map((v) => v.message)).toEqual([
      expect.stringMatching(/^folio_dup_swap: VM_WARN_ON_FOLIO\(!folio_test_locked\(folio\)\): folio \d+ is not locked/),
      expect.stringMatching(/^folio_put_swap: VM_WARN_ON_FOLIO\(!folio_test_locked\(folio\)\): folio \d+ is not locked/),
    ]);
    sys.clearReports();
    folio_lock(folio);
    expect(folio_dup_swap(folio, idx)).toBe(0);
    folio_put_swap(folio, idx);
    folio_unlock(folio);
    expect(sys.reports()).toEqual([]);
    expect(sys.check()).toEqual([]);
  });

  it('lock-discipline: folio_move_anon_rmap() (a COW fault reusing the page) on a folio not locked (mm/rmap.c: VM_BUG_ON_FOLIO)', () => {
    const folio = mappedFolio(0);
    const anon_vma = folio_anon_vma(folio);
    folio_move_anon_rmap(folio, mm);
    expect(sys.reports().map((v) => v.message)).toEqual([expect.stringMatching(/^folio_move_anon_rmap: VM_BUG_ON_FOLIO\(!folio_test_locked\(folio\)\): folio \d+ is not locked/)]);
    sys.clearReports();
    folio_lock(folio);
    folio_move_anon_rmap(folio, mm);
    folio_unlock(folio);
    expect(folio_anon_vma(folio)).toBe(anon_vma); /* the model's anon_vma is the fork family's: already there */
    expect(sys.reports()).toEqual([]);
    expect(sys.check()).toEqual([]);
  });

  it('accounting: pswpout and pswpin that disagree with the pages the block layer was asked to write and read (a lost or doubled count_vm_events())', () => {
    expect(A.i32[gword(G.blk_pages_written)]).toBeGreaterThan(0);
    expect(sum_vm_events(PSWPOUT)).toBe(A.i32[gword(G.blk_pages_written)]);
    count_vm_events(PSWPOUT, 1);
    expect(sys.check().map((v) => v.message)).toEqual([expect.stringMatching(/^pswpout \d+ but the block layer was asked to write \d+ swap pages/)]);
    count_vm_events(PSWPOUT, -1);
    count_vm_events(PSWPIN, 2);
    expect(sys.check().map((v) => v.message)).toEqual([expect.stringMatching(/^pswpin \d+ but the block layer was asked to read \d+ swap pages/)]);
    count_vm_events(PSWPIN, -2);
    expect(sys.check()).toEqual([]);
  });

  it('accounting: inuse_pages that disagrees with the slots in use', () => {
    Atomics.add(A.i32, siWord(0, SI.inuse_pages), 1);
    expect(ids(sys.check())).toEqual(['accounting']);
    planted();
  });

  it('memcg: a swap charge that disagrees with the slots recorded to the memcg', () => {
    const memcg = A.i32[A.L.mm + mm * 16 + 1];
    Atomics.add(A.i32, mw(memcg, MEMCG.swap_charge), 1);
    expect(ids(sys.check())).toEqual(['memcg']);
    planted();
  });

  it('zero: a zero flag on a slot whose page was last written non-zero', () => {
    const s = swappedOut();
    expect(expected_token(mm, s.index)).not.toBe(0n);
    setEntry(s, swp_tb_set_zero(swap_design().tb, __swap_table_get(s.ci, s.off)));
    expect(ids(sys.check())).toEqual(['zero']);
    planted();
  });

  it('data: a swapped-out page whose slot holds other content', () => {
    const s = swappedOut();
    const w = (A.i32[siWord(0, SI.backing_base)] >> 1) + (s.entry % (1 << 26));
    Atomics.store(A.u64, w, Atomics.load(A.u64, w) ^ 0xdeadn);
    expect(ids(sys.check())).toEqual(['data']);
    planted();
  });

  it('rcu: a task left inside an RCU read-side section', () => {
    A.i32[taskWord(1, TASK.rcu_read_lock_nesting)] = 1;
    const v = sys.check();
    A.i32[taskWord(1, TASK.rcu_read_lock_nesting)] = 0;
    expect(ids(v)).toEqual(['rcu']);
  });

  it('rcu: a swap table freed to the slab without being NULL-filled', () => {
    /* What rcu-table-free-unfilled leaves: a table on the slab free list that still holds a shadow. */
    const t = kmem_cache_zalloc(swap_table_cachep, GFP_ATOMIC);
    expect(t).toBeGreaterThanOrEqual(0);
    Atomics.store(A.u64, (pageDataWord(t) >> 1) + 7, __swap_table_get(swappedOut().ci, swappedOut().off));
    kmem_cache_free(swap_table_cachep, t);
    expect(ids(sys.check())).toEqual(['rcu']);
    planted();
  });

  it('device-lifetime: a swap PTE into a device that is not active', () => {
    Atomics.store(A.i32, pteWord(mm, 200), swp_entry_to_pte(swp_entry(5, 7)));
    expect(ids(sys.check())).toEqual(['device-lifetime']);
    planted();
  });

  it('lock-discipline: a lock still held at quiescence', () => {
    setCurrent(1);
    lock_acquire(gword(G.swap_lock), LC_SWAP_LOCK, false);
    setCurrent(0);
    const v = sys.check();
    setCurrent(1);
    lock_release(gword(G.swap_lock));
    setCurrent(0);
    expect(ids(v)).toEqual(['lock-discipline']);
  });

  it('accounting: a device taken off the avail list while it still has free slots', () => {
    /* A del_from_avail_list() without its cmpxchg on a full counter: the device unlinked and marked off-list while not full. */
    expect(si_on_avail_list(0)).toBe(true);
    spin_lock(gword(G.swap_avail_lock), LC_SWAP_AVAIL);
    plist_del(0, gword(G.swap_avail_head));
    Atomics.or(A.i32, siWord(0, SI.inuse_pages), SWAP_USAGE_OFFLIST_BIT);
    Atomics.sub(A.i32, gword(G.nr_real_swapfiles), 1);
    spin_unlock(gword(G.swap_avail_lock));
    expect(si_on_avail_list(0)).toBe(false);
    expect(ids(sys.check())).toEqual(['accounting']);
    planted();
  });

  it('accounting: SWAP_USAGE_OFFLIST_BIT set on a device that is still on the avail list', () => {
    Atomics.or(A.i32, siWord(0, SI.inuse_pages), SWAP_USAGE_OFFLIST_BIT);
    expect(ids(sys.check())).toEqual(['accounting']);
    planted();
  });

  it('accounting: nr_real_swapfiles that disagrees with the devices on the avail list', () => {
    Atomics.add(A.i32, gword(G.nr_real_swapfiles), 1);
    expect(ids(sys.check())).toEqual(['accounting']);
    planted();
  });

  it('cluster-lists: a cluster with free slots moved to the full list', () => {
    const s = swappedOut();
    const ci = swap_cluster_lock(0, s.entry % (1 << 26));
    expect(ci_count(ci)).toBeLessThan(SWAPFILE_CLUSTER);
    move_cluster(0, ci, CLUSTER_FLAG_FULL);
    swap_cluster_unlock(ci);
    expect(ids(sys.check())).toEqual(['cluster-lists']);
    planted();
  });

  it('cluster-lists: a list whose links are corrupted (a cluster whose prev is not the one before it)', () => {
    const free = list_entries(0, list_for_flags(0, CLUSTER_FLAG_FREE, 0));
    expect(free.length).toBeGreaterThan(2);
    A.i32[clusterWord(0, free[2]) + CI.prev] = free[0];
    expect(ids(sys.check())).toEqual(['cluster-lists']);
    planted();
  });

  it('swap-cache: a folio that left the swap cache still flagged PG_swapcache, naming its old slot', () => {
    const cached = slots((tb) => swp_tb_is_folio(tb));
    const folio = swp_tb_to_pfn(swap_design().tb, __swap_table_get(cached[0].ci, cached[0].off));
    const entry = folio_swap(folio);
    folio_lock(folio);
    swap_cache_del_folio(folio);
    folio_unlock(folio);
    folio_set(folio, PG_swapcache);
    folio_set_swap(folio, entry);
    expect(ids(sys.check())).toEqual(['swap-cache']);
    planted();
  });

  it('swap-cache: a large folio cached at an entry not aligned to its size', () => {
    const folio = folio_alloc(1, ROOT_MEM_CGROUP);
    __folio_set_locked(folio);
    expect(folio_alloc_swap(folio)).toBe(0);
    folio_unlock(folio);
    folio_put(folio); /* the swap cache's references keep it */
    expect(sys.check().map((v) => v.message)).toEqual([]);
    /* The same two slots' worth, one slot on: what an allocator handing out an unaligned range would leave. */
    const e = folio_swap(folio);
    const ci = swap_cluster_lock(0, swp_offset(e));
    const off = swp_offset(e) % SWAPFILE_CLUSTER;
    expect(off + 2).toBeLessThan(SWAPFILE_CLUSTER);
    expect(__swap_table_get(ci, off + 2)).toBe(0n);
    const tb = __swap_table_get(ci, off);
    __swap_table_set(ci, off, 0n);
    __swap_table_set(ci, off + 2, tb);
    swap_cluster_unlock(ci);
    folio_set_swap(folio, e + 1);
    expect(ids(sys.check())).toEqual(['swap-cache']);
    planted();
  });

  it('swap-cache: a folio under writeback that is not in the swap cache', () => {
    expect(sys.write(mm, 200, { maxOrder: 0 })).toBe(0);
    folio_set(mappedFolio(200), PG_writeback);
    expect(ids(sys.check())).toEqual(['swap-cache']);
    planted();
  });

  it('device-lifetime: a get_swap_device() never paired with put_swap_device()', () => {
    expect(get_swap_device(swappedOut().entry)).toBe(0);
    expect(ids(sys.check())).toEqual(['device-lifetime']);
    planted();
  });

  it('folio-accounting: a mapcount that disagrees with the PTEs mapping the folio', () => {
    Atomics.add(A.i32, fw(mappedFolio(0), FOLIO.mapcount), 1);
    expect(ids(sys.check())).toEqual(['folio-accounting']);
    planted();
  });

  it('folio-accounting: a mapped folio with a reference nobody holds (a folio_get() without folio_put()), and one too few', () => {
    expect(sys.write(mm, 201, { maxOrder: 0 })).toBe(0); /* a new anonymous page: mapped once, not in the swap cache */
    const folio = mappedFolio(201);
    folio_get(folio);
    expect(sys.check().map((v) => v.message).join('\n')).toMatch(/above the 1 PTEs and 0 swap cache slots that are all that hold it/);
    folio_put(folio);
    expect(sys.check()).toEqual([]);
    Atomics.sub(A.i32, fw(folio, FOLIO.refcount), 1);
    expect(ids(sys.check())).toEqual(['folio-accounting']);
    Atomics.add(A.i32, fw(folio, FOLIO.refcount), 1);
  });

  it('folio-accounting: a swap cache folio with a reference nobody holds (the folio_put() __try_to_reclaim_swap or try_to_unuse would leak), unless the caller says it holds it', () => {
    const cached = slots((tb) => swp_tb_is_folio(tb));
    expect(cached.length).toBeGreaterThan(0);
    const folio = swp_tb_to_pfn(swap_design().tb, __swap_table_get(cached[0].ci, cached[0].off));
    folio_get(folio);
    expect(sys.check().map((v) => v.message).join('\n')).toMatch(new RegExp(`folio ${folio}: refcount \\d+, above the \\d+ PTEs and 1 swap cache slots that are all`));
    expect(sys.check([folio])).toEqual([]);
    folio_put(folio);
    expect(sys.check()).toEqual([]);
  });

  it('folio-accounting: a page mapped writable that is not PageAnonExclusive (wp_page_reuse()\'s VM_BUG_ON), and one mapped writable by two PTEs (page_table_check)', () => {
    expect(sys.write(mm, 202, { maxOrder: 0 })).toBe(0); /* mapped writable, exclusive */
    const page = pte_pfn(ptep_get(mm, 202));
    expect(pte_write(ptep_get(mm, 202))).toBe(true);
    expect(sys.check()).toEqual([]);
    ClearPageAnonExclusive(page);
    expect(sys.check().map((v) => `${v.invariant}: ${v.message}`)).toEqual([`folio-accounting: mm ${mm} page 202: PTE maps page ${page} writable, but the page is not PageAnonExclusive (a page that may be shared is mapped read-only: wp_page_reuse()'s and do_swap_page()'s VM_BUG_ON)`]);
    SetPageAnonExclusive(page);
    /* a second PTE, read-only, on the page mapped writable: the rmap and the reference as map_pages() would take them */
    const other = sys.mmCreate(sys.memcgCreate());
    sys.as(0, () => {
      pte_lock(other, 7);
      set_pte(other, 7, mk_pte(page));
      set_expected(other, 7, expected_token(mm, 202));
      pte_unlock(other, 7);
      folio_add_anon_rmap_ptes(page, page, 1, false);
      folio_get(page);
    });
    expect(sys.check().map((v) => `${v.invariant}: ${v.message}`)).toEqual([`folio-accounting: page ${page} is mapped writable and by 2 PTEs in all: an anonymous page mapped writable more than once (page_table_check_set()'s BUG)`]);
    planted();
  });

  it('folio-accounting: a folio allocated and dropped on the floor (do_anonymous_page losing its race without folio_put)', () => {
    expect(folio_alloc(0, ROOT_MEM_CGROUP)).toBeGreaterThanOrEqual(0);
    expect(ids(sys.check())).toEqual(['folio-accounting']);
    planted();
  });

  it('folio-accounting: a frame neither allocated nor on a free list', () => {
    const f = folio_alloc(0, ROOT_MEM_CGROUP);
    Atomics.and(A.i32, fw(f, FOLIO.flags), ~PG_head);
    expect(ids(sys.check())).toEqual(['folio-accounting']);
    planted();
  });

  it('table-lifetime: a dynamic swap_cluster_info in no device\'s xarray and not waiting for kfree_rcu() (kmemleak)', () => {
    expect(kmem_cache_zalloc(swap_cluster_cachep, GFP_KERNEL)).toBeGreaterThanOrEqual(0);
    expect(sys.check().map((v) => `${v.invariant}: ${v.message}`)).toEqual([
      "table-lifetime: kmemleak: 1 dynamic swap_cluster_info objects allocated, 0 in the devices' xarrays and 0 waiting for kfree_rcu(): 1 unreferenced",
    ]);
    planted();
  });

  it('table-lifetime: a swap table object no cluster points at, and one two clusters point at (kmemleak)', () => {
    const t = kmem_cache_zalloc(swap_table_cachep, GFP_KERNEL);
    expect(t).toBeGreaterThanOrEqual(0);
    const msgs = (): string[] => sys.check().map((v) => `${v.invariant}: ${v.message}`);
    const leak = /^table-lifetime: kmemleak: (\d+) swap table objects allocated, (\d+) of them a cluster's table: 1 unreferenced$/;
    expect(msgs()).toEqual([expect.stringMatching(leak)]);
    const [, inuse, owned] = leak.exec(msgs()[0])!;
    expect(Number(inuse)).toBe(Number(owned) + 1);
    kmem_cache_free(swap_table_cachep, t);
    expect(msgs()).toEqual([]);
    /* A table on two empty clusters at once: each would free it. */
    const empty: number[] = [];
    for (let idx = 0; idx < A.i32[siWord(0, SI.nr_clusters)] && empty.length < 2; idx++) if (A.i32[clusterWord(0, idx) + CI.table] === 0) empty.push(idx);
    expect(empty.length).toBe(2);
    const shared = kmem_cache_zalloc(swap_table_cachep, GFP_KERNEL);
    for (const idx of empty) A.i32[clusterWord(0, idx) + CI.table] = shared + 1;
    expect(msgs()).toEqual([
      ...empty.map((idx) => `table-lifetime: device 0 cluster ${idx} is free and empty but still has a table`),
      `table-lifetime: swap table object ${shared} is the table of device 0 cluster ${empty[0]} and the table of device 0 cluster ${empty[1]}`,
    ]);
    planted();
  });

  it('table-lifetime: a kmalloc\'ed page no xarray, extend table or virtual table owns, and one two of them own (kmemleak)', () => {
    const msgs = (): string[] => sys.check().map((v) => `${v.invariant}: ${v.message}`);
    const page = page_pool_alloc(PG_KMALLOC, true);
    expect(page).toBeGreaterThanOrEqual(0);
    expect(msgs()).toEqual([`table-lifetime: kmemleak: 1 kmalloc'ed pages no xarray, extend table or virtual table owns (pages ${page})`]);
    /* Now a cluster's extend table: owned, and nothing reported. */
    const ci = swappedOut().ci;
    const idx = (ci - clusterWord(0, 0)) / CI.SIZE;
    expect(A.i32[ci + CI.extend_table]).toBe(0);
    A.i32[ci + CI.extend_table] = page + 1;
    expect(msgs()).toEqual([]);
    /* The same page as the extend table of the next cluster too: two owners. */
    A.i32[clusterWord(0, idx + 1) + CI.extend_table] = page + 1;
    expect(msgs()).toEqual([`table-lifetime: kmalloc page ${page} is the extend table of device 0 cluster ${idx} and the extend table of device 0 cluster ${idx + 1}`]);
    planted();
  });

  it('folio-accounting: two free buddies left unmerged (a merge __free_one_page() skipped)', () => {
    sys = System.create({ nrCpus: 1, nrTasks: 1, nrFrames: 1024, nrPages: 64, nrMms: 1, mmPages: 64, seed: 42 });
    /* Order 4 is no pcp order: the lowest max-order block splits, and frame 16 is the folio's free order-4 buddy. */
    const f = folio_alloc(4, ROOT_MEM_CGROUP);
    expect([f, A.i32[fw(16, FOLIO.order)]]).toEqual([0, 4]);
    expect(sys.check([f])).toEqual([]);
    /* page_is_buddy() fails while the folio is freed: no merge. */
    A.i32[fw(16, FOLIO.order)] = 3;
    folio_put(f);
    A.i32[fw(16, FOLIO.order)] = 4;
    expect(sys.check().map((v) => `${v.invariant}: ${v.message}`)).toEqual([
      'folio-accounting: free_area[4]: blocks at frames 0 and 16 are free buddies left unmerged (__free_one_page() merges them into one of order 5)',
    ]);
    planted();
  });

  it('lock-discipline: a folio left locked, or with PG_waiters, at quiescence (lockdep off: the flags alone)', () => {
    const folio = mappedFolio(0);
    lockdep_set_enabled(false);
    try {
      expect(folio_trylock(folio)).toBe(true);
      expect(ids(sys.check())).toEqual(['lock-discipline']);
      folio_unlock(folio);
      expect(sys.check()).toEqual([]);
      Atomics.or(A.i32, fw(folio, FOLIO.flags), PG_waiters);
      expect(ids(sys.check())).toEqual(['lock-discipline']);
    } finally {
      lockdep_set_enabled(true);
    }
    planted();
  });

  it('progress: a fault that can never complete (get_swap_device() fails for its swap PTE every time) is reported, not an access that quietly did nothing', () => {
    Atomics.store(A.i32, pteWord(mm, 200), swp_entry_to_pte(swp_entry(5, 7)));
    expect(sys.touch(mm, 200)).toBe(0);
    expect(ids(sys.reports())).toEqual(['progress']);
    expect(sys.reports()[0].message).toMatch(/^handle_mm_fault: a read of mm \d+ page 200 faulted 256 times without completing/);
    planted();
  });

  it('progress: a task inside an operation whose heartbeat stops is a stall', () => {
    const wd = new Watchdog(sys.handle, [1, 2], 1000);
    A.i32[taskWord(1, TASK.op)] = 3;
    A.i32[taskWord(2, TASK.op)] = 3;
    expect(wd.check(0)).toEqual([]);
    A.i32[taskWord(2, TASK.progress)]++; /* task 2 made progress, task 1 did not */
    expect(wd.check(999)).toEqual([]);
    const st = wd.check(1000);
    expect(st.map((s) => s.task)).toEqual([1]);
    expect(st[0].op).toBe(3);
    /* Between operations (op 0) a task cannot stall. */
    A.i32[taskWord(1, TASK.op)] = 0;
    A.i32[taskWord(2, TASK.op)] = 0;
    expect(wd.check(5000)).toEqual([]);
  });
});

describe('a device under swapoff is checked too, and a failed swapoff leaves it whole', () => {
  it('mid-swapoff (not SWP_WRITEOK) it is consistent and a broken cluster count is reported; after swapoff fails (-ENOMEM) it is back in service, clean', () => {
    sys = swapoff_enomem_system();
    expect(sys.check().map((v) => v.message)).toEqual([]);
    const used = clusterWord(0, 0);
    /*
     * Stop swapoff where it holds nothing: its first lock after clearing
     * SWP_WRITEOK (wait_for_allocation()'s first ci->lock), and check there.
     */
    const SPIN_LOCK = pointId('spin_lock');
    let mid: { clean: string[]; broken: Invariant[] } | null = null;
    setPointHook((id) => {
      if (mid !== null || id !== SPIN_LOCK || A.i32[siWord(0, SI.flags)] & SWP_WRITEOK || A.i32[taskWord(0, TASK.lockdep_depth)] !== 0) return;
      mid = { clean: [], broken: [] };
      mid.clean = sys.check().map((v) => v.message);
      A.i32[used + CI.count]++;
      mid.broken = ids(sys.check());
      A.i32[used + CI.count]--;
    });
    try {
      expect(sys.swapoff('/dev/vdb')).toBe(-ENOMEM);
    } finally {
      setPointHook(null);
    }
    expect(mid).toEqual({ clean: [], broken: ['cluster-count'] });
    expect(A.i32[siWord(0, SI.flags)] & SWP_WRITEOK).toBe(SWP_WRITEOK);
    expect(si_on_avail_list(0)).toBe(true);
    expect(sys.check().map((v) => v.message)).toEqual([]);
  });
});

describe('design p3: the side arrays are checked too', () => {
  it('zero: a zeromap bit left on a freed slot', async () => {
    const { zeromap_set } = await import('../src/designs/side_arrays.js');
    sys = System.create({ design: 'p3', nrCpus: 2, nrTasks: 3, nrFrames: 2048, nrPages: 256, nrMms: 4, mmPages: 256, seed: 43 });
    sys.createSwapDevice('/dev/vdb', { sizePages: 4096 });
    expect(sys.swapon('/dev/vdb')).toBe(0);
    mm = sys.mmCreate(sys.memcgCreate());
    for (let i = 0; i < 16; i++) sys.write(mm, i, { maxOrder: 0 });
    sys.reclaim(mm, 0, 16);
    expect(sys.check().map((v) => v.message)).toEqual([]);
    const free = slots(() => true).find((s) => __swap_table_get(s.ci, s.off) === 0n)!;
    zeromap_set(free.ci, free.off, true);
    expect(ids(sys.check())).toEqual(['zero']);
    planted();
  });

  it('memcg: a swap_cgroup record that disagrees with the charge', async () => {
    const { swap_cgroup_set } = await import('../src/designs/side_arrays.js');
    sys = System.create({ design: 'p3', nrCpus: 2, nrTasks: 3, nrFrames: 2048, nrPages: 256, nrMms: 4, mmPages: 256, seed: 44 });
    sys.createSwapDevice('/dev/vdb', { sizePages: 4096 });
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const m = sys.memcgCreate();
    mm = sys.mmCreate(m);
    for (let i = 0; i < 16; i++) sys.write(mm, i, { maxOrder: 0 });
    sys.reclaim(mm, 0, 16);
    expect(sys.check().map((v) => v.message)).toEqual([]);
    const s = swappedOut();
    swap_cgroup_set(s.ci, s.off, 1); /* recorded to the root instead */
    expect(ids(sys.check())).toEqual(['memcg']);
    planted();
  });
});

describe('zswap: the data invariant reads the compressed copy', () => {
  it('data: a zswap copy that differs from the last write', async () => {
    const { zswap_offsets } = await import('../src/mm/zswap.js');
    sys = System.create({ nrCpus: 2, nrTasks: 3, nrFrames: 2048, nrPages: 256, nrMms: 4, mmPages: 256, seed: 45, zswap: true });
    sys.createSwapDevice('/dev/vdb', { sizePages: 4096 });
    expect(sys.swapon('/dev/vdb')).toBe(0);
    mm = sys.mmCreate();
    for (let i = 0; i < 16; i++) sys.write(mm, i, { maxOrder: 0 });
    sys.reclaim(mm, 0, 16);
    expect(sys.check().map((v) => v.message)).toEqual([]);
    const offs = zswap_offsets(0);
    expect(offs.length).toBe(16);
    const w = (A.i32[siWord(0, SI.zswap_base)] >> 1) + offs[3];
    Atomics.store(A.u64, w, Atomics.load(A.u64, w) ^ 0xbeefn);
    expect(ids(sys.check())).toEqual(['data']);
    planted();
  });
});
