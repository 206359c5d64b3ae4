/*
 * bench/flame.ts (`npm run flame`): V8 CPU profiles of every thread merged
 * into one flame graph, sleeping threads left out, bad input refused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const FLAME = join(__dirname, '..', 'dist', 'bench', 'flame.js');

/* A profile: root -> cpu -> {a (self @a), b (self @b)}, and @idle of (idle); times in microseconds. */
function profile(a: number, b: number, idle: number): object {
  const f = (functionName: string, lineNumber = 0): object => ({ functionName, url: functionName.startsWith('(') ? '' : 'file:///x/dist/src/mm/m.js', lineNumber });
  return {
    nodes: [
      { id: 1, callFrame: f('(root)'), children: [2, 5] },
      { id: 2, callFrame: f('cpu', 1), children: [3, 4] },
      { id: 3, callFrame: f('do_swap_page', 10) },
      { id: 4, callFrame: f('try_to_unmap', 20) },
      { id: 5, callFrame: f('(idle)') },
    ],
    samples: [3, 4, 5],
    timeDeltas: [a, b, idle],
  };
}

describe('npm run flame', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swt-flame-'));
  writeFileSync(join(dir, 'CPU.1.cpuprofile'), JSON.stringify(profile(3000, 1000, 0)));
  writeFileSync(join(dir, 'CPU.2.cpuprofile'), JSON.stringify(profile(1000, 3000, 0)));
  /* The main thread: asleep (idle) most of the time. */
  writeFileSync(join(dir, 'CPU.0.cpuprofile'), JSON.stringify(profile(10, 10, 100_000)));

  it('merges the busy threads: widths are their summed time; the sleeping thread is left out', () => {
    const svgFile = join(dir, 'out.svg');
    const r = spawnSync(process.execPath, [FLAME, dir, '-o', svgFile, '--title', 'two CPUs'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/flame: 2 of 3 threads \(0\.0 s of samples\): CPU\.1\.cpuprofile, CPU\.2\.cpuprofile/);
    /* 4000 of 8000 us each: do_swap_page and try_to_unmap are 50 % self, cpu 100 % total. */
    expect(r.stdout).toMatch(/50\.0 %\s+do_swap_page mm\/m\.js:11/);
    expect(r.stdout).toMatch(/50\.0 %\s+try_to_unmap mm\/m\.js:21/);
    expect(r.stdout).toMatch(/100\.0 %\s+cpu mm\/m\.js:2/);
    const svg = readFileSync(svgFile, 'utf8');
    expect(svg).toContain('<title>two CPUs</title>');
    const width = (name: string): number => Number(new RegExp(`<title>${name} [^<]*</title><rect x="[\\d.]+" y="\\d+" width="([\\d.]+)"`).exec(svg)![1]);
    expect(width('do_swap_page')).toBeCloseTo(600, 0);
    expect(width('try_to_unmap')).toBeCloseTo(600, 0);
    expect(width('cpu')).toBeCloseTo(1200, 0);
    expect(svg).not.toContain('(idle)');
  });

  it('--threads all keeps the sleeping thread too', () => {
    const out = execFileSync(process.execPath, [FLAME, dir, '--threads', 'all'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toMatch(/\(idle\)/);
  });

  it('bad input: exit 2 naming what was wrong', () => {
    const bad = join(dir, 'bad.cpuprofile');
    writeFileSync(bad, '{"nodes": 1}');
    const cases: [string[], RegExp][] = [
      [[], /no profile given/],
      [[join(dir, 'missing')], /missing: no such file or directory/],
      [[bad], /bad\.cpuprofile: not a V8 CPU profile/],
      [[dir, '--threads', 'some'], /--threads: "some" is not cpus or all/],
      [[dir, '-o', join(dir, 'no', 'x.svg')], /-o: cannot write .*no directory/],
      [[dir, '--bogus'], /unknown option --bogus/],
    ];
    for (const [args, msg] of cases) {
      const r = spawnSync(process.execPath, [FLAME, ...args], { encoding: 'utf8' });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });
});
