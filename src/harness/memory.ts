/*
 * `swaptorture memory`: swap metadata of a device of --size at --usage,
 * measured on the model (src/mm/swap_meta.ts), for one design or all.
 *
 * A 1 TB device has 2^28 slots - far more than an arena holds - so the
 * model runs a device 1/SCALE the size (SCALE a power of two), fills it
 * to the usage with order-0 swap-outs (the allocator fills clusters one
 * after another, the seeds' "full clusters" assumption), measures, and
 * multiplies by SCALE.  Every structure measured is per slot or per
 * cluster, and a cluster is 512 slots in both the model and the device,
 * so the scaling is exact when the device and the slots each usage fills
 * are whole multiples of 512 * SCALE slots.  SCALE is the largest power
 * of two for which they are, while the model keeps MODEL_SLOTS_MIN slots
 * (a 32G device at 0/25/50/75/100 %: 1/1024); when no scale that fits
 * MODEL_SLOTS is exact (an odd size or usage), the smallest that fits -
 * the nearest the model gets.
 *
 * Context: main thread; builds its own system per measurement.
 */
import { System } from '../api/system.js';
import { setCurrent } from '../shm/task.js';
import type { DesignName } from '../mm/swap_design.js';
import { swap_meta_bytes, type SwapMetaBytes } from '../mm/swap_meta.js';
import { SWAPFILE_CLUSTER } from '../shm/layout.js';
import { SIZEOF_SWAP_CLUSTER_INFO_DYNAMIC, SIZEOF_SWAP_TABLE, SIZEOF_XA_NODE, XA_CHUNK_SHIFT, xa_nodes_for_leaves } from '../mm/kernel_sizes.js';

/* The largest and (scaling exactly) the smallest model device. */
export const MODEL_SLOTS = 1 << 18;
export const MODEL_SLOTS_MIN = 1 << 13;
const MM_PAGES = 8192;

/**
 * The scale of a model of a @slots-slot device filled to @usages: exact
 * as large as it can be, at least @min model slots; else the smallest
 * that fits @max (see above).
 */
export function model_scale(slots: number, usages: readonly number[], min = MODEL_SLOTS_MIN, max = MODEL_SLOTS): number {
  let scale = 1;
  while (slots / scale > max) scale *= 2;
  const exact = (k: number): boolean => [1, ...usages].every((u) => Math.round(u * slots) % (SWAPFILE_CLUSTER * k) === 0);
  if (!exact(scale)) return scale;
  while (slots / (2 * scale) >= min && exact(2 * scale)) scale *= 2;
  return scale;
}

export interface MemoryResult {
  design: DesignName;
  size: number;
  slots: number;
  usage: number;
  backend: 'disk' | 'zswap';
  /** Model device = 1/scale of the real one. */
  scale: number;
  staticBytes: number;
  dynamicBytes: number;
  totalBytes: number;
  /** Metadata bytes per slot in use (static included), null at usage 0. */
  bytesPerUsedSlot: number | null;
  breakdown: Record<string, number>;
}

/** "32G", "1T", "512M", "4096K" or bytes -> bytes (binary units, as the seeds' MB are MiB). */
export function parse_bytes(text: string): number {
  const m = /^(\d+)([KMGT]?)$/i.exec(text);
  if (!m) throw new RangeError(`bad size "${text}" (expected a number with K, M, G or T: 32G, 1T)`);
  const unit = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  const bytes = Number(m[1]) * unit;
  if (bytes < 4096 * 1024) throw new RangeError(`size "${text}" is below 4M (1024 slots)`);
  /* union swap_header's info.last_page is a __u32 (include/linux/swap.h): a swap area has at most 2^32 pages. */
  if (bytes > 4096 * 2 ** 32) throw new RangeError(`size "${text}" is above 16T: a swap area has at most 2^32 pages (its header's last_page is a __u32)`);
  if (bytes % (4096 * 512) !== 0) throw new RangeError(`size "${text}" is not a whole number of 2M clusters`);
  return bytes;
}

/* The metadata of the virtual swap space and its physical device, together. */
function sum_meta(a: SwapMetaBytes, b: SwapMetaBytes): SwapMetaBytes {
  const add = <T extends Record<string, number>>(x: T, y: T): T => Object.fromEntries(Object.keys(x).map((k) => [k, x[k] + y[k]])) as T;
  return {
    static: add(a.static, b.static), dynamic: add(a.dynamic, b.dynamic), zswapLeaves: a.zswapLeaves + b.zswapLeaves,
    staticBytes: a.staticBytes + b.staticBytes, dynamicBytes: a.dynamicBytes + b.dynamicBytes,
  };
}

/*
 * One model device of the size, for one design and backend, filled step by
 * step: measure() at increasing usages fills only what the last one did
 * not, so a --compare row of five usages costs one fill, not five.
 */
class MemoryRun {
  readonly slots: number;
  readonly scale: number;
  readonly modelSlots: number;
  readonly sys: System;
  readonly vswap: boolean;
  readonly withDevice: boolean;
  filled = 0;

  constructor(readonly design: DesignName, readonly sizeBytes: number, readonly backend: 'disk' | 'zswap', usages: readonly number[], scale: number) {
    this.slots = sizeBytes / 4096;
    this.scale = scale;
    const modelSlots = this.slots / scale;
    this.modelSlots = modelSlots;
    /* Each step may leave one process part-filled. */
    const nrMms = Math.max(2, Math.ceil(this.used(Math.max(...usages)) / MM_PAGES) + usages.length + 1);
    /*
     * vswap (seed 004): the virtual swap space takes every entry (its own
     * cluster 0 reserving entry 0); a physical device of the size backs it
     * with the disk backend, and there is none with zswap alone.
     */
    const vswap = design === 'vswap';
    this.vswap = vswap;
    this.sys = System.create({
      design, seed: 1, nrCpus: 1, nrTasks: 1, nrFrames: 2 * MM_PAGES + 64,
      nrPages: (vswap ? 3 : 1) * Math.ceil(modelSlots / 512) + Math.ceil(modelSlots / 1024) + 64,
      maxSwapPages: modelSlots + (vswap ? 512 : 0), nrMms, mmPages: MM_PAGES, nrMemcgs: 16, reportSlots: 16, schedSteps: 16, traceEvents: 1,
      zswap: backend === 'zswap',
    });
    setCurrent(0);
    /* A ghost design measures a ghost swapfile of the size (seed 001 patch 13): no static metadata at all. */
    const kind = design === 'ghost' ? 'ghost' : 'blk';
    this.withDevice = !(vswap && backend === 'zswap');
    if (this.withDevice && (this.sys.createSwapDevice('/dev/mem', { sizePages: modelSlots, kind }) !== 0 || this.sys.swapon('/dev/mem') !== 0)) {
      throw new Error(`memory: swapon of a ${modelSlots}-slot model device failed`);
    }
  }

  /* Slot 0 (the header) is in use from the start: usage counts it, so u * slots fill whole clusters. */
  used(usage: number): number {
    return Math.max(0, Math.round(usage * this.modelSlots) - 1);
  }

  /** Fill the device to @usage (at least what it holds already) and measure. */
  measure(usage: number): MemoryResult {
    const { sys, scale, design } = this;
    const used = this.used(usage);
    if (used < this.filled) throw new Error(`memory: usage ${usage} below what the device already holds`);
    for (let left = used - this.filled; left > 0; ) {
      const mm = sys.mmCreate();
      const n = Math.min(left, MM_PAGES);
      for (let i = 0; i < n; i++) sys.write(mm, i, { maxOrder: 0 });
      sys.reclaim(mm, 0, n);
      left -= n;
    }
    this.filled = used;
    const m = this.vswap && this.withDevice ? sum_meta(swap_meta_bytes(0), swap_meta_bytes(1)) : swap_meta_bytes(0);
    /*
     * An empty device still holds one table: the header's cluster (its bad
     * slot) - one in the real device too, not @scale of them.  Once slots are
     * used, the allocator fills cluster 0 first, and every model cluster
     * stands for @scale real ones.
     */
    /*
     * A ghost never allocates from cluster 0 (it holds the header and stays
     * off every list), so that cluster is one real cluster, not @scale; and
     * its other clusters, once all full, are the real device's all full: a
     * usage past what a ghost holds (100 %: every slot but the header's
     * cluster, which si->pages does not count either) fills
     * the model's M - 1 clusters and the real one's R - 1, not (M - 1) *
     * @scale.  Each model cluster in use stands for @mult real ones.
     */
    const apart = design === 'ghost' ? 1 : 0;
    const clusters = m.dynamic.cluster_info / SIZEOF_SWAP_CLUSTER_INFO_DYNAMIC;
    const dataClusters = clusters - apart;
    const full = apart === 1 && used > 0 && dataClusters < Math.ceil(used / SWAPFILE_CLUSTER);
    const mult = full ? (this.slots / SWAPFILE_CLUSTER - 1) / dataClusters : scale;
    m.dynamic.swap_table = used === 0 ? Math.min(m.dynamic.swap_table, SIZEOF_SWAP_TABLE) : (m.dynamic.swap_table - apart * SIZEOF_SWAP_TABLE) * mult + apart * SIZEOF_SWAP_TABLE;
    const realUsed = used === 0 ? 0 : full ? (this.slots / SWAPFILE_CLUSTER - 1) * SWAPFILE_CLUSTER : (used + 1) * scale - 1;
    m.dynamic.extend_table *= scale;
    m.dynamic.swp_desc *= scale;
    m.dynamic.vswap_cluster *= scale;
    m.dynamic.rmap *= scale;
    m.dynamic.zswap_tree = xa_nodes_for_leaves(Math.round(m.zswapLeaves * mult)) * SIZEOF_XA_NODE;
    /* Ghost clusters: like tables, one for the header's cluster when empty, else @mult per model cluster, indexed from 0 up. */
    const realClusters = used === 0 ? Math.min(clusters, 1) : dataClusters * mult + apart;
    m.dynamic.cluster_info = realClusters * SIZEOF_SWAP_CLUSTER_INFO_DYNAMIC;
    m.dynamic.cluster_pool = xa_nodes_for_leaves(Math.ceil(realClusters / (1 << XA_CHUNK_SHIFT))) * SIZEOF_XA_NODE;
    const breakdown: Record<string, number> = {};
    for (const [k, v] of Object.entries(m.static)) if (v > 0) breakdown[k] = v * scale;
    for (const [k, v] of Object.entries(m.dynamic)) if (v > 0) breakdown[k] = v;
    const staticBytes = m.staticBytes * scale;
    const dynamicBytes = Object.values(m.dynamic).reduce((a, b) => a + b, 0);
    return {
      design, size: this.sizeBytes, slots: this.slots, usage, backend: this.backend, scale, staticBytes, dynamicBytes, totalBytes: staticBytes + dynamicBytes,
      bytesPerUsedSlot: realUsed > 0 ? (staticBytes + dynamicBytes) / realUsed : null, breakdown,
    };
  }
}

export function measure_memory(design: DesignName, sizeBytes: number, usage: number, backend: 'disk' | 'zswap' = 'disk'): MemoryResult {
  return measure_memory_series(design, sizeBytes, [usage], backend)[0];
}

/** measure_memory() at each of @usages (increasing), on one device filled step by step, run at @scale (default: model_scale's). */
export function measure_memory_series(design: DesignName, sizeBytes: number, usages: number[], backend: 'disk' | 'zswap' = 'disk', scale = model_scale(sizeBytes / 4096, usages)): MemoryResult[] {
  const run = new MemoryRun(design, sizeBytes, backend, usages, scale);
  return usages.map((u) => run.measure(u));
}
