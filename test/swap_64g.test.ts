/*
 * Real-size devices: a 64 GiB swap area (2^24 slots, the most a swap
 * entry of the model addresses) swapped on with its real cluster_info -
 * not scaled - its arrays taken from the arena's swap heap at swapon and
 * given back at swapoff; sizes the model cannot hold refused, naming what.
 * Bounded by operations (a few dozen pages), never by time.
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { System } from '../src/api/system.js';
import { A } from '../src/shm/arena.js';
import { MAX_SLOTS_PER_DEVICE, SI, SWAPFILE_CLUSTER, swap_block_layout } from '../src/shm/layout.js';
import { siWord } from '../src/mm/swap.js';
import { swap_meta_bytes } from '../src/mm/swap_meta.js';
import { swap_heap_used_words } from '../src/kmem/vmalloc.js';
import { SIZEOF_SWAP_CLUSTER_INFO, SIZEOF_SWAP_TABLE } from '../src/mm/kernel_sizes.js';
import { ENOMEM } from '../src/include/errno.js';

const SLOTS = MAX_SLOTS_PER_DEVICE; /* 64 GiB of 4 KiB pages */
const CLUSTERS = SLOTS / SWAPFILE_CLUSTER;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));

/* A system sized for one 64 GiB device: a table page per cluster, as stress sizes it (pages touched only when used). */
function boot(heapSlots = SLOTS): System {
  return System.create({ design: 'p4', nrCpus: 1, nrTasks: 1, nrFrames: 1024, nrPages: CLUSTERS + 64, nrMms: 2, mmPages: 256, maxSwapPages: SLOTS, swapHeapSlots: heapSlots });
}

describe('a 64 GiB device', () => {
  it('swaps on, swaps pages out and in, swaps off; its memory account holds', () => {
    const sys = boot();
    /* The arena holds the device's arrays, not MAX_SWAPFILES devices of 2^24 slots (which was over 10 GiB). */
    expect(A.sab.byteLength).toBeLessThan(2 ** 30);
    expect(sys.createSwapDevice('/dev/big', { sizePages: SLOTS })).toBe(0);
    expect(sys.swapon('/dev/big')).toBe(0);
    expect(sys.procSwaps()).toContain(`${SLOTS * 4 - 4}`); /* KiB, less the header page */
    /* The swap block: cluster_info for every cluster, contents and zswap copies for every slot; nothing else of p4. */
    const block = swap_block_layout(SLOTS, { clusters: true, backing: true, zeromap: false, swapCgroup: false, swapMap: false, phys: false });
    expect(A.i32[siWord(0, SI.block_words)]).toBe(block.SIZE);
    expect(A.i32[siWord(0, SI.nr_clusters)]).toBe(CLUSTERS);
    expect(swap_heap_used_words()).toBe(block.SIZE);
    const mm = sys.mmCreate();
    for (let i = 0; i < 200; i++) expect(sys.write(mm, i, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(mm, 0, 200)).toBe(200);
    expect(sys.check()).toEqual([]);
    /* The kernel's account: cluster_info static for all 32768 clusters, a swap table for each cluster in use. */
    const m = swap_meta_bytes(0);
    expect(m.static.cluster_info).toBe(CLUSTERS * SIZEOF_SWAP_CLUSTER_INFO.p4);
    expect(m.staticBytes).toBe(CLUSTERS * SIZEOF_SWAP_CLUSTER_INFO.p4);
    expect(m.dynamic.swap_table).toBe(1 * SIZEOF_SWAP_TABLE); /* slots 1..200 all in cluster 0 */
    for (let i = 0; i < 200; i += 7) expect(sys.touch(mm, i)).toBe(0);
    expect(sys.check()).toEqual([]);
    expect(sys.swapoff('/dev/big')).toBe(0);
    expect(sys.check()).toEqual([]);
    /* The block went back to the heap, and a device of the size swaps on again in it. */
    expect(swap_heap_used_words()).toBe(0);
    expect(sys.swapon('/dev/big')).toBe(0);
    expect(swap_heap_used_words()).toBe(block.SIZE);
    expect(sys.reclaim(mm, 0, 200)).toBeGreaterThan(0);
    expect(sys.check()).toEqual([]);
    expect(sys.swapoff('/dev/big')).toBe(0);
  });

  it('a second one the swap heap has no room for: swapon is -ENOMEM and changes nothing', () => {
    const sys = boot();
    expect(sys.createSwapDevice('/dev/a', { sizePages: SLOTS })).toBe(0);
    expect(sys.createSwapDevice('/dev/b', { sizePages: SLOTS })).toBe(0);
    expect(sys.swapon('/dev/a')).toBe(0);
    const before = sys.procSwaps();
    const used = swap_heap_used_words();
    expect(sys.swapon('/dev/b')).toBe(-ENOMEM);
    expect(sys.procSwaps()).toBe(before);
    expect(swap_heap_used_words()).toBe(used);
    expect(sys.swapoff('/dev/b')).toBe(-22); /* -EINVAL: not an active area */
    expect(sys.swapoff('/dev/a')).toBe(0);
    expect(sys.swapon('/dev/b')).toBe(0); /* its turn: the heap is free again */
    expect(sys.swapoff('/dev/b')).toBe(0);
  });

  it('arena sizes the model cannot hold are refused, the field named', () => {
    expect(() => System.create({ maxSwapPages: SLOTS + 1 })).toThrow(/maxSwapPages 16777217 > 2\^24/);
    expect(() => System.create({ maxSwapPages: SLOTS, swapHeapSlots: 64 * SLOTS })).toThrow(/swapHeapSlots 1073741824 .*too large/);
  });
});

describe('stress --devices at real size', () => {
  function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [BIN, 'stress', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: { ...process.env, CI: '1' } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('ssd:64G runs a bounded workload with its swapoff cycles, clean', () => {
    const seed = 7;
    console.log(`stress --devices ssd:64G --seed ${seed}`);
    const r = run('--devices', 'ssd:64G', '--cpus', '2', '--ops', '1500', '--swapoff-cycles', '2', '--seed', String(seed), '--stat-interval', '0');
    expect(r.stderr).not.toMatch(/--devices/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/End of test: SUCCESS/);
  }, 600_000);

  it.each([
    ['ssd:65G', /--devices: device "ssd:65G" has 17039360 pages; the model holds at most 16777216 \(64G\) per device/],
    ['ssd:16777217p', /--devices: device "ssd:16777217p" has 16777217 pages; the model holds at most 16777216 \(64G\)/],
    ['ssd:4097K', /--devices: size "4097K" is not a whole number of 4 KiB pages/],
  ])('%s exits 2 naming --devices', (dev, msg) => {
    const r = run('--devices', dev, '--ops', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
  });
});
