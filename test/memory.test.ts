/*
 * `swaptorture memory`: figures measured on the model, checked exactly
 * against the kernel's object sizes and the seeds' own numbers.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { measure_memory, parse_bytes, type MemoryResult } from '../src/harness/memory.js';

const MiB = 2 ** 20;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));

describe('memory, measured on the model', () => {
  it('p4: the cluster_info array (40 B a cluster) and one swap table when empty; 8 B a slot more when full', () => {
    const empty = measure_memory('p4', 32 * 2 ** 30, 0); /* a 1/32 model device, scaled */
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

  it('vswap, 32 GB: seed 004\'s vswap columns to the cent, measured on the model', () => {
    /* Through the CLI: the model runs several times slower inside a vitest worker, and a 32 GB point fills 2^18 slots. */
    const measure = (u: number, b: 'zswap' | 'disk'): MemoryResult => {
      const r = spawnSync(process.execPath, [BIN, 'memory', '--design', 'vswap', '--size', '32G', '--usage', String(u), '--backend', b, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as MemoryResult;
    };
    const total = (u: number, b: 'zswap' | 'disk'): number => measure(u, b).totalBytes / MiB;
    expect([total(0, 'zswap'), total(0.25, 'zswap'), total(1, 'zswap')]).toEqual([0, 48.25, 193]);
    expect([total(0, 'disk'), total(0.5, 'disk'), total(1, 'disk')]).toEqual([2, 130.5, 259]);
    const quarter = measure(0.25, 'disk');
    /* 2 bits a physical slot; 24-byte descriptors and a 64-byte bitmap per virtual cluster; an 8-byte reverse map entry per used physical slot */
    expect(quarter.breakdown).toEqual({ bitmaps: 2 * MiB, swp_desc: 48 * MiB, vswap_cluster: 0.25 * MiB, rmap: 16 * MiB });
  });

  it('sizes parse in binary units and must be whole clusters', () => {
    expect(parse_bytes('32G')).toBe(32 * 2 ** 30);
    expect(parse_bytes('1T')).toBe(2 ** 40);
    expect(() => parse_bytes('6000K')).toThrow(/not a whole number of 2M clusters/);
    expect(() => parse_bytes('big')).toThrow(/bad size/);
  });
});

describe('swaptorture memory (CLI)', () => {
  const run = (...a: string[]) => spawnSync(process.execPath, [BIN, 'memory', ...a], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

  it('--json prints the documented fields', () => {
    const r = run('--design', 'p3', '--size', '1T', '--json');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    for (const k of ['design', 'size', 'slots', 'usage', 'backend', 'staticBytes', 'dynamicBytes', 'totalBytes', 'bytesPerUsedSlot', 'breakdown']) expect(doc).toHaveProperty(k);
    expect(doc.slots).toBe(2 ** 28);
  });

  it('bad input exits 2 with one line', () => {
    for (const args of [['--size', '7'], ['--usage', '2'], ['--backend', 'nvme'], ['--design', 'p9'], ['--design', 'ghost', '--backend', 'disk']]) {
      const r = run(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});

describe('memory --compare --plot', () => {
  it('writes a valid SVG with one series per design', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const file = join(mkdtempSync(join(tmpdir(), 'swt-plot-')), 'm.svg');
    const r = spawnSync(process.execPath, [BIN, 'memory', '--compare', '--size', '64M', '--plot', file], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    const svg = readFileSync(file, 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    /* Well-formed: every element either self-closes or is closed, in order. */
    const stack: string[] = [];
    for (const m of svg.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
      if (m[1]) expect(stack.pop()).toBe(m[2]);
      else if (!m[3]) stack.push(m[2]);
    }
    expect(stack).toEqual([]);
    const series = [...svg.matchAll(/<polyline class="series" data-name="([a-z0-9]+)"[^>]*points="([^"]+)"/g)];
    expect(series.map((s) => s[1])).toEqual(['p4', 'p3', 'p2', 'vswap']);
    for (const s of series) expect(s[2].trim().split(' ')).toHaveLength(5);
  });
});
