/*
 * The ghost design (seed 001 patches 13-15), single-threaded: the two ways
 * to get a ghost device and their sizes, dynamic clusters that appear on
 * demand and are freed (DEAD + kfree_rcu) when empty, zswap as the only
 * home of the data, writeout refused when zswap does not take a folio,
 * and the KASAN-style check of a stale cluster pointer.
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { describe, expect, it } from 'vitest';
import { System } from '../src/api/system.js';
import { EINVAL, ENOMEM } from '../src/include/errno.js';
import { A } from '../src/shm/arena.js';
import { CI, SI, SWAPFILE_CLUSTER, TASK } from '../src/shm/layout.js';
import { KernelBug } from '../src/shm/report.js';
import { kmem_cache_stats, swap_cluster_cachep, swap_table_cachep } from '../src/kmem/slab.js';
import { swap_cluster_alloc_dynamic } from '../src/mm/swap_cluster_dynamic.js';
import { prandom_seed_task, taskWord, xorshift32 } from '../src/shm/task.js';
import { xa_for_each } from '../src/kmem/xarray.js';
import { rcu_barrier } from '../src/sync/rcu.js';
import { ci_lock, cluster_pool, clusterWord, si_flags, siWord, SWP_GHOST, SWP_SOLIDSTATE } from '../src/mm/swap.js';
import { nr_swap_pages } from '../src/mm/swap_device.js';
import { plist_node_empty } from '../src/mm/plist.js';
import { swap_meta_bytes } from '../src/mm/swap_meta.js';
import { sum_vm_events, SWAP_WRITEOUT_ACTIVATE, PSWPOUT, ZSWPOUT } from '../src/mm/vmstat.js';
import { zswap_set_enabled } from '../src/mm/zswap.js';
import { is_swap_pte, pte_to_swp_entry, ptep_get } from '../src/mm/pgtable.js';
import { folio_put, folio_test_dirty, folio_test_swapcache } from '../src/mm/page_alloc.js';
import { swap_cache_get_folio } from '../src/mm/swap_state.js';
import { measure_memory } from '../src/harness/memory.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));

const FRAMES = 2048;

function boot(design: 'ghost' | 'p4' = 'ghost', zswap = true): System {
  return System.create({ design, zswap, nrCpus: 2, nrTasks: 2, nrFrames: FRAMES, nrMms: 8, mmPages: 1024, maxSwapPages: 8 * FRAMES });
}

function clean(sys: System): void {
  expect(sys.check().map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
  expect(sys.reports().map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
}

function clusters(type = 0): number[] {
  const out: number[] = [];
  xa_for_each(cluster_pool(type), (idx) => out.push(idx));
  return out;
}

describe('ghost devices', () => {
  it('/dev/ghostswap is eight times the RAM (rounded up to a cluster), SWP_GHOST | SWP_SOLIDSTATE, with no backing store', () => {
    const sys = boot();
    expect(sys.createSwapDevice('/dev/ghostswap', { kind: 'chr', sizePages: 1 })).toBe(0);
    expect(sys.swapon('/dev/ghostswap')).toBe(0);
    expect(A.i32[siWord(0, SI.max)]).toBe(8 * Math.ceil(FRAMES / SWAPFILE_CLUSTER) * SWAPFILE_CLUSTER);
    /* Every slot but the header's cluster, which the allocator never uses. */
    expect(nr_swap_pages()).toBe(8 * FRAMES - SWAPFILE_CLUSTER);
    expect(si_flags(0) & (SWP_GHOST | SWP_SOLIDSTATE)).toBe(SWP_GHOST | SWP_SOLIDSTATE);
    expect(A.i32[siWord(0, SI.backing_base)]).toBe(0);
    expect(A.i32[siWord(0, SI.cluster_base)]).toBe(0);
    /* Only cluster 0, for the header slot, exists at swapon. */
    expect(clusters()).toEqual([0]);
    expect(swap_meta_bytes(0).staticBytes).toBe(0);
    clean(sys);
  });

  it('a one-page swapfile is a ghost of the size its header says (patch 13); without the ghost design it is refused', () => {
    const sys = boot();
    expect(sys.createSwapDevice('/ghostfile', { kind: 'ghost', sizePages: 3000 })).toBe(0);
    expect(sys.swapon('/ghostfile')).toBe(0);
    expect(A.i32[siWord(0, SI.max)]).toBe(3000);
    expect(si_flags(0) & SWP_GHOST).toBe(SWP_GHOST);
    const p4 = boot('p4');
    expect(p4.createSwapDevice('/ghostfile', { kind: 'ghost', sizePages: 3000 })).toBe(0);
    expect(p4.swapon('/ghostfile')).toBe(-EINVAL);
    expect(p4.createSwapDevice('/dev/ghostswap', { kind: 'chr', sizePages: 1 })).toBe(0);
    expect(p4.swapon('/dev/ghostswap')).toBe(-EINVAL);
  });

  it('swapon of a ghost device with no memory for its first cluster is -ENOMEM and leaves nothing behind; with memory it works', () => {
    const sys = boot();
    expect(sys.createSwapDevice('/dev/ghostswap', { kind: 'chr', sizePages: 1 })).toBe(0);
    sys.setFailslab(100, 100);
    expect(sys.swapon('/dev/ghostswap')).toBe(-ENOMEM);
    sys.setFailslab(0, 0);
    expect(si_flags(0) & SWP_GHOST).toBe(0);
    clean(sys);
    expect(sys.swapon('/dev/ghostswap')).toBe(0);
    expect(si_flags(0) & SWP_GHOST).toBe(SWP_GHOST);
    clean(sys);
  });

  /*
   * swap_cluster_alloc_dynamic() allocates the cluster, then its swap
   * table (GFP_ATOMIC both: failslab's atomic percentage).  The table
   * failing after the cluster was allocated must give the cluster back and
   * nothing else.  Which allocation fails is set by the task's random
   * stream (one draw each): a state is picked whose first draw passes and
   * second fails, and the test checks that exactly those two were drawn.
   */
  it('a new cluster whose swap table cannot be allocated is given back, and nothing else is freed', () => {
    const sys = boot();
    sys.createSwapDevice('/dev/ghostswap', { kind: 'chr', sizePages: 1 });
    expect(sys.swapon('/dev/ghostswap')).toBe(0);
    const PCT = 50;
    let state = 1;
    while (!((xorshift32(state) >>> 0) % 100 >= PCT && (xorshift32(xorshift32(state)) >>> 0) % 100 < PCT)) state++;
    const before = [kmem_cache_stats(swap_cluster_cachep).nr_inuse, kmem_cache_stats(swap_table_cachep).nr_inuse];
    expect(sys.setFailslab(PCT, 0)).toBe(0);
    const ci = sys.as(0, () => {
      prandom_seed_task(0, state);
      const r = swap_cluster_alloc_dynamic(0);
      expect(A.i32[taskWord(0, TASK.rand)], 'two draws: the cluster passed, its table failed').toBe(xorshift32(xorshift32(state)));
      return r;
    });
    expect(sys.setFailslab(0, 0)).toBe(0);
    expect(ci).toBe(0);
    expect([kmem_cache_stats(swap_cluster_cachep).nr_inuse, kmem_cache_stats(swap_table_cachep).nr_inuse]).toEqual(before);
    expect(clusters()).toEqual([0]);
    clean(sys);
  });

  it('clusters are allocated on demand and freed (DEAD, kfree_rcu) when they empty; the data lives in zswap only', () => {
    const sys = boot();
    sys.createSwapDevice('/dev/ghostswap', { kind: 'chr', sizePages: 1 });
    sys.swapon('/dev/ghostswap');
    const mm = sys.mmCreate();
    for (let i = 0; i < 1024; i++) sys.write(mm, i, { maxOrder: 0 });
    expect(sys.reclaim(mm, 0, 1024)).toBe(1024);
    expect(clusters()).toEqual([0, 1, 2]);
    expect(sum_vm_events(ZSWPOUT)).toBe(1024);
    expect(sum_vm_events(PSWPOUT)).toBe(0);
    const inuse = kmem_cache_stats(swap_cluster_cachep).nr_inuse;
    expect(inuse).toBe(3);
    for (let i = 0; i < 1024; i += 7) sys.touch(mm, i);
    clean(sys);
    sys.exit(mm);
    /* Every slot freed: clusters 1 and 2 left the xarray at once; their memory after a grace period. */
    expect(clusters()).toEqual([0]);
    rcu_barrier();
    expect(kmem_cache_stats(swap_cluster_cachep).nr_inuse).toBe(1);
    expect(nr_swap_pages()).toBe(8 * FRAMES - SWAPFILE_CLUSTER);
    clean(sys);
    expect(sys.swapoff('/dev/ghostswap')).toBe(0);
    rcu_barrier();
    expect(kmem_cache_stats(swap_cluster_cachep).nr_inuse).toBe(0);
    clean(sys);
  });

  it('writeout is refused when zswap does not take the folio (AOP_WRITEPAGE_ACTIVATE): it stays dirty in the swap cache, and readable', () => {
    const sys = boot('ghost', false);
    sys.createSwapDevice('/dev/ghostswap', { kind: 'chr', sizePages: 1 });
    sys.swapon('/dev/ghostswap');
    const mm = sys.mmCreate();
    for (let i = 0; i < 16; i++) sys.write(mm, i, { maxOrder: 0 });
    expect(sys.reclaim(mm, 0, 16)).toBe(0);
    expect(sum_vm_events(SWAP_WRITEOUT_ACTIVATE)).toBe(16);
    expect(sum_vm_events(PSWPOUT)).toBe(0);
    for (let i = 0; i < 16; i++) {
      expect(is_swap_pte(ptep_get(mm, i))).toBe(true);
    }
    const folio = swap_cache_get_folio(pte_to_swp_entry(ptep_get(mm, 0)));
    expect(folio).toBeGreaterThanOrEqual(0);
    expect(folio_test_swapcache(folio)).toBe(true);
    expect(folio_test_dirty(folio)).toBe(true);
    folio_put(folio);
    clean(sys);
    /* Faulting back finds the folio in the swap cache: the content was never lost. */
    for (let i = 0; i < 16; i++) expect(sys.touch(mm, i)).toBe(0);
    clean(sys);
    /* With zswap back, the same folios go out. */
    zswap_set_enabled(true);
    expect(sys.reclaim(mm, 0, 16)).toBe(0); /* zswap's tree for the device is made at swapon */
    sys.swapoff('/dev/ghostswap');
    sys.swapon('/dev/ghostswap');
    expect(sys.reclaim(mm, 0, 16)).toBe(16);
    expect(sum_vm_events(ZSWPOUT)).toBe(16);
    clean(sys);
  });

  /*
   * The RFC counts cluster 0's 511 unused slots in si->pages: a device
   * whose dynamic clusters are full stayed on swap_avail_head, failing
   * every allocation tried there, and two such devices of one priority
   * livelocked swap_alloc_slow() (each plist_requeue() put the device just
   * tried behind the other).  The model does not count them.
   */
  it('the header cluster is never allocated from, and its slots are not counted: a device with its dynamic clusters full is full', () => {
    const sys = boot();
    sys.createSwapDevice('/ghostfile', { kind: 'ghost', sizePages: 3 * SWAPFILE_CLUSTER });
    sys.swapon('/ghostfile');
    expect(nr_swap_pages()).toBe(2 * SWAPFILE_CLUSTER);
    const mm = sys.mmCreate();
    for (let i = 0; i < 1024; i++) sys.write(mm, i, { maxOrder: 0 });
    expect(sys.reclaim(mm, 0, 1024)).toBe(1024);
    expect(clusters()).toEqual([0, 1, 2]);
    expect(nr_swap_pages()).toBe(0);
    expect(plist_node_empty(0), 'full: off swap_avail_head').toBe(true);
    const other = sys.mmCreate();
    sys.write(other, 0, { maxOrder: 0 });
    expect(sys.reclaim(other, 0, 1)).toBe(0);
    clean(sys);
  });

  it('two ghost swapfiles of one priority, their dynamic clusters full: a pageout finds no slot and returns', () => {
    const sys = boot();
    for (const f of ['/ghost0', '/ghost1']) {
      expect(sys.createSwapDevice(f, { kind: 'ghost', sizePages: 2 * SWAPFILE_CLUSTER })).toBe(0);
      expect(sys.swapon(f, { prio: 5 })).toBe(0);
    }
    const mm = sys.mmCreate();
    for (let i = 0; i < 2 * SWAPFILE_CLUSTER; i++) sys.write(mm, i, { maxOrder: 0 });
    expect(sys.reclaim(mm, 0, 2 * SWAPFILE_CLUSTER)).toBe(2 * SWAPFILE_CLUSTER);
    expect([clusters(0), clusters(1)]).toEqual([[0, 1], [0, 1]]);
    expect([plist_node_empty(0), plist_node_empty(1)], 'both full: off swap_avail_head').toEqual([true, true]);
    /* The RFC's accounting kept both on the list, and this pageout spun in swap_alloc_slow() for ever. */
    const other = sys.mmCreate();
    for (let i = 0; i < 8; i++) sys.write(other, i, { maxOrder: 0 });
    expect(sys.reclaim(other, 0, 8)).toBe(0);
    clean(sys);
  });

  /*
   * Bug ghost-cluster-tail hands out the slots of the last cluster past
   * si->max.  zswap keeps them (its xarray takes any offset); the model's
   * pool of compressed copies covers whole clusters so that it can, where
   * it covered si->max slots and the stores ran over the next device's
   * swap block (a THP of fuzz --bug ghost-cluster-tail --seed 1, run 1).
   */
  it('with the RFC\'s tail, a THP stored past si->max stays in the ghost\'s own zswap pool: the next device is untouched', () => {
    const sys = System.create({ design: 'ghost', zswap: true, nrCpus: 2, nrTasks: 2, nrFrames: FRAMES, nrMms: 8, mmPages: 1024, maxSwapPages: 8 * FRAMES, bugs: ['ghost-cluster-tail'] });
    expect(sys.createSwapDevice('/ghostfile', { kind: 'ghost', sizePages: SWAPFILE_CLUSTER + 62 })).toBe(0);
    expect(sys.swapon('/ghostfile')).toBe(0);
    expect(sys.createSwapDevice('/dev/sdb', { sizePages: 2048, rotational: true })).toBe(0);
    expect(sys.swapon('/dev/sdb')).toBe(0);
    const thp = sys.mmCreate();
    expect(sys.write(thp, 0, { maxOrder: 9 })).toBe(0);
    expect(sys.reclaim(thp, 0, SWAPFILE_CLUSTER)).toBe(SWAPFILE_CLUSTER);
    const mm = sys.mmCreate();
    for (let i = 0; i < 64; i++) sys.write(mm, i, { maxOrder: 0 });
    expect(sys.reclaim(mm, 0, 64), 'the hdd takes these: its clusters are intact').toBe(64);
    for (let i = 0; i < 64; i++) expect(sys.touch(mm, i)).toBe(0);
    const found = new Set(sys.check().map((v) => v.invariant));
    expect([...found]).toEqual(['device-lifetime']);
    expect(sys.reports().filter((v) => v.invariant !== 'device-lifetime')).toEqual([]);
  });

  it('a ghost swapfile of one cluster has no slot to hand out: swapon is -EINVAL (the kernel\'s "Empty swap-file") and leaves nothing on', () => {
    const sys = boot();
    expect(sys.createSwapDevice('/ghostfile', { kind: 'ghost', sizePages: SWAPFILE_CLUSTER })).toBe(0);
    const before = kmem_cache_stats(swap_cluster_cachep).nr_inuse;
    expect(sys.swapon('/ghostfile')).toBe(-EINVAL);
    expect(sys.procSwaps().split('\n').length, 'only the header line').toBe(2);
    expect(kmem_cache_stats(swap_cluster_cachep).nr_inuse).toBe(before);
    expect(sys.createSwapDevice('/ghostfile2', { kind: 'ghost', sizePages: SWAPFILE_CLUSTER + 1 })).toBe(0);
    expect(sys.swapon('/ghostfile2')).toBe(0);
    expect(nr_swap_pages()).toBe(1);
    clean(sys);
  });

  /*
   * The last cluster of a swapfile that is not a multiple of a cluster
   * has its tail past si->max marked bad when it is made, so it never
   * empties.  It must keep order 0, as a static device's last cluster
   * does: made for a large folio and given that order, it stayed on that
   * order's lists for good, where the order-0 "steal" loop found it again
   * and again once swapoff had cleared SWP_WRITEOK (a livelock:
   * scenarios/interleavings/ghost-tail-alloc-vs-swapoff.json).
   */
  it('the last cluster, its tail past si->max bad, keeps order 0 whatever it was made for: a large folio falls back to order 0', () => {
    const sys = boot();
    sys.createSwapDevice('/ghostfile', { kind: 'ghost', sizePages: SWAPFILE_CLUSTER + 8 });
    expect(sys.swapon('/ghostfile')).toBe(0);
    const mm = sys.mmCreate();
    expect(sys.write(mm, 0, { maxOrder: 2 })).toBe(0);
    expect(sys.reclaim(mm, 0, 4)).toBe(4);
    expect(clusters()).toEqual([0, 1]);
    const tail = clusterWord(0, 1);
    expect(A.i32[tail + CI.order], 'the last cluster\'s order').toBe(0);
    expect(A.i32[tail + CI.count], '504 bad slots past si->max and the 4 pages').toBe(SWAPFILE_CLUSTER - 8 + 4);
    for (let i = 0; i < 4; i++) expect(is_swap_pte(ptep_get(mm, i)), `page ${i} swapped out`).toBe(true);
    clean(sys);
    sys.exit(mm);
    expect(sys.swapoff('/ghostfile')).toBe(0);
    clean(sys);
  });

  it('locking a freed ghost cluster through a stale pointer is a KASAN slab-use-after-free (rcu)', () => {
    const sys = boot();
    sys.createSwapDevice('/dev/ghostswap', { kind: 'chr', sizePages: 1 });
    sys.swapon('/dev/ghostswap');
    const mm = sys.mmCreate();
    sys.write(mm, 0, { maxOrder: 0 });
    sys.reclaim(mm, 0, 1);
    const stale = clusterWord(0, 1);
    expect(stale).not.toBe(0);
    sys.exit(mm);
    rcu_barrier();
    expect(clusterWord(0, 1)).toBe(0);
    expect(() => ci_lock(stale)).toThrow(KernelBug);
    expect(sys.reports().map((v) => v.invariant)).toEqual(['rcu']);
  });
});

describe('ghost metadata (memory model)', () => {
  it('no static metadata even for 1 TB; per used slot, its swap table, its zswap tree and its dynamic clusters', () => {
    const tb = measure_memory('ghost', 2 ** 40, 0, 'zswap');
    expect(tb.staticBytes).toBe(0);
    /* Through the CLI: the model runs several times slower inside a vitest worker, and a 32 GB point fills 2^17 slots. */
    const r = spawnSync(process.execPath, [BIN, 'memory', '--design', 'ghost', '--size', '32G', '--usage', '0.5', '--backend', 'zswap', '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const half = JSON.parse(r.stdout) as ReturnType<typeof measure_memory>;
    expect(half.staticBytes).toBe(0);
    expect(Object.keys(half.breakdown).sort()).toEqual(['cluster_info', 'cluster_pool', 'swap_table', 'zswap_tree']);
    /* Half the slots in whole clusters, plus the header's cluster 0 (never allocated from): a 4 KiB table and a 64-byte cluster each. */
    const nr = half.slots / 2 / SWAPFILE_CLUSTER + 1;
    expect(half.breakdown.swap_table).toBe(nr * 4096);
    expect(half.breakdown.cluster_info).toBe(nr * 64);
    expect(half.bytesPerUsedSlot!).toBeGreaterThan(17);
    expect(half.bytesPerUsedSlot!).toBeLessThan(18);
  });
});
