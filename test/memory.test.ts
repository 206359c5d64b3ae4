/*
 * `swaptorture memory`: figures measured on the model in this process,
 * checked exactly against the kernel's object sizes and the seeds' own
 * numbers (the CLI's: memory_cli.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { measure_memory, measure_memory_series, model_scale, MODEL_SLOTS, MODEL_SLOTS_MIN, parse_bytes } from '../src/harness/memory.js';
import { implemented_designs } from '../src/designs/index.js';

const MiB = 2 ** 20;

describe('memory, measured on the model', () => {
  it('p4: the cluster_info array (40 B a cluster) and one swap table when empty; 8 B a slot more when full', () => {
    const empty = measure_memory('p4', 32 * 2 ** 30, 0); /* a 1/32768 model device, scaled */
    expect(empty.breakdown).toEqual({ cluster_info: 16384 * 40, swap_table: 4096 });
    const full = measure_memory('p4', 128 * MiB, 1); /* 32768 slots, 64 clusters */
    expect(full.breakdown).toEqual({ cluster_info: 64 * 40, swap_table: 64 * 4096 });
    expect(full.bytesPerUsedSlot).toBeCloseTo(((64 * 40 + 64 * 4096) / 32767), 6);
  });

  it('p3: adds the static swap_cgroup (2 B a slot) and zeromap (1 bit a slot)', () => {
    const r = measure_memory('p3', 128 * MiB, 0.5);
    expect(r.breakdown).toEqual({ cluster_info: 64 * 40, swap_cgroup: 64 * 1024, zeromap: 4096, swap_table: 32 * 4096 });
    const big = measure_memory('p3', 32 * 2 ** 30, 0);
    expect(big.breakdown).toEqual({ cluster_info: 16384 * 40, swap_cgroup: 16 * MiB, zeromap: 1 * MiB, swap_table: 4096 });
  });

  it('mounting 1 TB: phase IV drops 512 MiB of swap_cgroup (seed 001: "saves about 512MB") and 32 MiB of zeromap', () => {
    const p3 = measure_memory('p3', 2 ** 40, 0);
    const p4 = measure_memory('p4', 2 ** 40, 0);
    expect(p3.breakdown.swap_cgroup).toBe(512 * MiB);
    expect(p3.breakdown.zeromap).toBe(32 * MiB);
    expect(p3.staticBytes - p4.staticBytes).toBe(544 * MiB);
    expect(p4.staticBytes).toBe(20 * MiB); /* 2^19 clusters x 40 B */
  });

  it('p2, 32 GB: seed 004\'s "old, disk" column (25 MiB static + 8 B a used slot) plus the 0.5 MiB cluster_info array it leaves out', () => {
    const empty = measure_memory('p2', 32 * 2 ** 30, 0);
    expect(empty.breakdown).toEqual({ cluster_info: 16384 * 32, swap_map: 8 * MiB, swap_cgroup: 16 * MiB, zeromap: 1 * MiB, swap_table: 4096 });
    expect(empty.staticBytes - 16384 * 32).toBe(25 * MiB);
  });

  it('mounting 1 TB: phase III drops the 256 MiB swap_map (seed 000: "saves 256MB") and grows cluster_info by 8 B a cluster', () => {
    const p2 = measure_memory('p2', 2 ** 40, 0);
    const p3 = measure_memory('p3', 2 ** 40, 0);
    expect(p2.breakdown.swap_map).toBe(256 * MiB);
    expect(p2.staticBytes - p3.staticBytes).toBe(256 * MiB - 2 ** 19 * 8);
  });

  it('zswap backend: the zswap tree in 576-byte xa_nodes of 64 slots (about 9 B an entry; seed 004 counts 8)', () => {
    const r = measure_memory('p4', 128 * MiB, 1, 'zswap'); /* 32768 slots: 512 leaves + 8 + 1 nodes */
    expect(r.breakdown.zswap_tree).toBe((512 + 8 + 1) * 576);
    expect(r.breakdown.swap_table).toBe(64 * 4096);
  });

  it('sizes parse in binary units and must be whole clusters', () => {
    expect(parse_bytes('32G')).toBe(32 * 2 ** 30);
    expect(parse_bytes('1T')).toBe(2 ** 40);
    expect(() => parse_bytes('6000K')).toThrow(/not a whole number of 2M clusters/);
    expect(() => parse_bytes('big')).toThrow(/bad size/);
  });
});

describe('memory: the scale of the model device', () => {
  it('the largest exact scale (the device and each usage whole model clusters) keeping MODEL_SLOTS_MIN slots; else the smallest that fits', () => {
    expect(model_scale(2 ** 23, [0, 0.25, 0.5, 0.75, 1])).toBe(2 ** 23 / MODEL_SLOTS_MIN); /* 32G */
    expect(model_scale(2 ** 28, [0])).toBe(2 ** 28 / MODEL_SLOTS_MIN); /* 1T */
    expect(model_scale(3 * 2 ** 18, [0.96875])).toBe(16); /* 3G: 761,856 slots = 1,488 clusters, a multiple of 16 */
    expect(model_scale(2 ** 23, [0.3])).toBe(2 ** 23 / MODEL_SLOTS); /* no exact scale fits: the smallest that does */
    expect(model_scale(2048, [0, 1])).toBe(1); /* a 4-cluster device runs as it is */
  });

  /*
   * A device run scaled down as far as it scales exactly measures what the
   * device run as it is does, figure for figure: for every design, both
   * backends, every usage (the whole 0/25/50/75/100 % series on a 4-cluster
   * model; 48M at 75 %, a usage that only a 12-cluster model fills in whole
   * clusters).
   */
  it.each([
    ['32M', 32 * 2 ** 20, [0, 0.25, 0.5, 0.75, 1], 4],
    ['48M', 48 * 2 ** 20, [0.5, 0.75, 1], 2],
  ] as const)('%s: scaled as far as it is exact, the same figures as the device itself', (_name, size, usages, expected) => {
    const scale = model_scale(size / 4096, usages, 1);
    expect(scale).toBe(expected);
    for (const backend of ['disk', 'zswap'] as const) {
      for (const d of implemented_designs().filter((x) => x !== 'ghost' || backend === 'zswap')) {
        const scaled = measure_memory_series(d, size, [...usages], backend, scale);
        const real = measure_memory_series(d, size, [...usages], backend, 1);
        usages.forEach((u, i) => expect({ ...scaled[i], scale: 0 }, `${d} ${backend} ${u}`).toEqual({ ...real[i], scale: 0 }));
      }
    }
  });

  it('a ghost filled past what it holds is full: every cluster but the header\'s in use, in the real device as in the model', () => {
    const clusters = 2 ** 23 / 512; /* 32G */
    const r = measure_memory('ghost', 32 * 2 ** 30, 1, 'zswap');
    expect(r.breakdown.swap_table).toBe(clusters * 4096);
    expect(r.bytesPerUsedSlot).toBeCloseTo(r.totalBytes / ((clusters - 1) * 512), 9);
  });
});
