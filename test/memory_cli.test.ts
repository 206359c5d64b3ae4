/*
 * `swaptorture memory` through the CLI: the vswap figures of a 32 GB
 * device (too slow inside a vitest worker), --json, bad input, --plot.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemoryResult } from '../src/harness/memory.js';

const MiB = 2 ** 20;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));

describe('memory, measured on the model, through the CLI', () => {
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
    for (const args of [['--size', '7'], ['--usage', '2'], ['--backend', 'nvme'], ['--design', 'p9'], ['--design', 'ghost', '--backend', 'disk'], ['--size', '17T'], ['--size', '99999999T'], ['--compare', '--design', 'p3']]) {
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
