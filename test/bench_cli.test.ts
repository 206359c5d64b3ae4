/*
 * `swaptorture bench --designs`: the same bounded, seeded workload on each
 * design; JSON fields and the SVG (one bar per design).  Bounded by
 * operation counts; the figures themselves are not asserted (a test is
 * not a benchmark).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));

describe('swaptorture bench --designs', () => {
  it('runs every built design, reports the ratio to p4 and contention, and draws one bar per design', () => {
    const svgFile = join(mkdtempSync(join(tmpdir(), 'swt-bench-')), 'b.svg');
    const r = spawnSync(process.execPath, [BIN, 'bench', '--designs', 'all', '--ops', '400', '--json', '--plot', svgFile], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: '1' } });
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { designs: { design: string; vsP4: number; ciAcquired: number; exitStatus: number }[] };
    expect(doc.designs.map((d) => d.design)).toEqual(['p4', 'p3', 'p2', 'ghost', 'vswap']);
    expect(doc.designs[0].vsP4).toBe(1);
    for (const d of doc.designs) {
      expect(d.exitStatus).toBe(0);
      expect(d.ciAcquired).toBeGreaterThan(0);
    }
    const svg = readFileSync(svgFile, 'utf8');
    expect([...svg.matchAll(/class="series" data-name="([a-z0-9]+)"/g)].map((m) => m[1])).toEqual(['p4', 'p3', 'p2', 'ghost', 'vswap']);
  });

  it('--plot says where it wrote (bench and memory), and a path that cannot be written is exit 2 before any run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'swt-plot-'));
    const opts = { cwd: ROOT, encoding: 'utf8' as const, timeout: 300_000, env: { ...process.env, CI: '1' } };
    const b = join(dir, 'bench.svg');
    const r = spawnSync(process.execPath, [BIN, 'bench', '--designs', 'p4', '--ops', '100', '--plot', b], opts);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.split('\n')).toContain(`swaptorture bench: wrote ${b}`);
    expect(readFileSync(b, 'utf8')).toMatch(/<\/svg>\s*$/);
    const m = join(dir, 'memory.svg');
    const rm = spawnSync(process.execPath, [BIN, 'memory', '--compare', '--size', '64M', '--plot', m], opts);
    expect(rm.status, rm.stderr).toBe(0);
    expect(rm.stderr).toBe(`swaptorture memory: wrote ${m}\n`);
    expect(readFileSync(m, 'utf8')).toMatch(/<\/svg>\s*$/);
    const missing = join(dir, 'no-such-dir', 'x.svg');
    for (const args of [['bench', '--designs', 'p4', '--ops', '100'], ['memory', '--compare']]) {
      const bad = spawnSync(process.execPath, [BIN, ...args, '--plot', missing], opts);
      expect(bad.status, args[0]).toBe(2);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toBe(`swaptorture ${args[0]}: --plot: cannot write ${missing}: no directory ${join(dir, 'no-such-dir')}\n`);
    }
  }, 300_000);

  it('an unknown design exits 2', () => {
    for (const d of ['p9', 'p5']) {
      const r = spawnSync(process.execPath, [BIN, 'bench', '--designs', d], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--designs: /);
    }
  });

  it('a --cpus or --ops the stress options refuse exits 2 naming the flag, before any run', () => {
    for (const [args, msg] of [[['--cpus', '65'], /^swaptorture bench: --cpus: /], [['--ops', '99999999999999999999'], /^swaptorture bench: --ops: /]] as [string[], RegExp][]) {
      const r = spawnSync(process.execPath, [BIN, 'bench', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    }
  });
});

/*
 * `npm run bench`'s single-thread suites, run for a few milliseconds a
 * row: they end with the system they measured consistent (the swap suite
 * checks it) and give every row.  The figures are not asserted.
 */
describe('npm run bench -- --suite sync,swap', () => {
  it('runs every row and leaves the measured system consistent (the swap suite gives back what it allocated)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/bench/run.js'), '--suite', 'sync,swap', '--time', '5', '--warmup', '1', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).not.toMatch(/inconsistent|Error/);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { rows: { suite: string; name: string; opsPerSec: number }[] };
    const names = (suite: string): string[] => doc.rows.filter((x) => x.suite === suite).map((x) => x.name);
    expect(names('sync')).toEqual(expect.arrayContaining(['bare cmpxchg+store (Int32)', 'spin_lock+spin_unlock, lockdep off', 'rcu_read_lock+rcu_read_unlock']));
    expect(names('swap')).toEqual(expect.arrayContaining(['swap_table_get (RCU, lockless)', 'folio_alloc_swap+folio_free_swap, order 0, cluster stays in use', 'folio_alloc_swap+folio_free_swap, order 0, cluster empties']));
    for (const row of doc.rows) expect(row.opsPerSec).toBeGreaterThan(0);
  });
});
