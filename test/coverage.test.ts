/*
 * --coverage FILE (stress and fuzz, the built bin): which of the model's
 * functions (src/mm, src/designs, src/kmem) a run executed, with their
 * calls summed over every thread, and the summary "N of M model functions
 * ran; never ran: ...".  A bounded default campaign and a short default
 * stress run must reach zswap's writeback and the discard work: the
 * defaults run every path the model has.  Runs are bounded by --runs and
 * --ops, with fixed, printed seeds.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));
const CHILD_TIMEOUT = 300_000;
const TEST_TIMEOUT = 600_000;
const swaptorture = (...a: string[]) => spawnSync(process.execPath, [BIN, ...a], { cwd: ROOT, encoding: 'utf8', timeout: CHILD_TIMEOUT, env: { ...process.env, CI: '1' } });
const tmp = (): string => mkdtempSync(join(tmpdir(), 'swt-cov-'));

interface Fn {
  file: string;
  line: number;
  name: string;
  calls: number;
}
interface Report {
  scope: string[];
  ran: number;
  total: number;
  functions: Fn[];
  neverRan: Omit<Fn, 'calls'>[];
}

/* The report at @file, checked against itself and the sources: the counts, the never-run list, every model source file with a function in it. */
function read_report(file: string): Report {
  const r = JSON.parse(readFileSync(file, 'utf8')) as Report;
  expect(r.scope).toEqual(['src/mm', 'src/designs', 'src/kmem']);
  expect(r.total).toBe(r.functions.length);
  expect(r.ran).toBe(r.functions.filter((f) => f.calls > 0).length);
  expect(r.neverRan).toEqual(r.functions.filter((f) => f.calls === 0).map(({ file: f, line, name }) => ({ file: f, line, name })));
  for (const f of r.functions) {
    expect(f.file).toMatch(/^src\/(mm|designs|kmem)\/\w+\.ts$/);
    expect(f.line, `${f.name} (${f.file})`).toBeGreaterThan(0);
    expect(f.name).toMatch(/^[\w$.]+$/);
    expect(Number.isInteger(f.calls) && f.calls >= 0).toBe(true);
  }
  /* Every source file that has a function (declared, an arrow, or a method), and only those. */
  const fnLike = /\bfunction\b|=>|^\s+\w+\(.*\)\s*\{/m;
  const withFunctions = r.scope.flatMap((d) => readdirSync(join(ROOT, d)).filter((f) => f.endsWith('.ts') && fnLike.test(readFileSync(join(ROOT, d, f), 'utf8'))).map((f) => `${d}/${f}`));
  expect([...new Set(r.functions.map((f) => f.file))].sort()).toEqual(withFunctions.sort());
  return r;
}

const calls = (r: Report, name: string): number => {
  const f = r.functions.find((x) => x.name === name);
  expect(f, name).toBeDefined();
  return f!.calls;
};

describe('fuzz --coverage', () => {
  it('a bounded default campaign reports every model function with its calls, and reaches zswap writeback and the discard work', () => {
    const dir = tmp();
    const file = join(dir, 'coverage.json');
    console.log('fuzz --runs 12 --seed 2 --coverage');
    const r = swaptorture('fuzz', '--runs', '12', '--seed', '2', '--jobs', '2', '--corpus', join(dir, 'corpus'), '--coverage', file, '--json');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { runs: number; functionCoverage: { file: string; ran: number; total: number; neverRan: unknown[] } };
    expect(doc.runs).toBe(12);
    const rep = read_report(file);
    expect(doc.functionCoverage).toEqual({ file, ran: rep.ran, total: rep.total, neverRan: rep.neverRan });
    console.log(`fuzz: ${rep.ran} of ${rep.total} model functions ran`);
    /* Paths only the defaults' zswap, kworker and discard reach, and the everyday ones. */
    for (const name of ['zswap_writeback_entry', 'zswap_shrink_work', 'zswap_store', 'swap_discard_work', 'do_swap_page', 'folio_alloc_swap', 'try_to_unuse']) {
      expect(calls(rep, name), name).toBeGreaterThan(0);
    }
    /* Without --json: the summary line names the report. */
    const human = swaptorture('fuzz', '--runs', '2', '--seed', '2', '--jobs', '1', '--corpus', join(dir, 'corpus2'), '--coverage', file);
    expect(human.status, human.stderr).toBe(0);
    const m = /^swaptorture fuzz: function coverage: (\d+) of (\d+) model functions ran; never ran: (.+) \(report: (.+)\)$/m.exec(human.stdout);
    expect(m, human.stdout).not.toBeNull();
    const again = read_report(file);
    expect([Number(m![1]), Number(m![2]), m![4]]).toEqual([again.ran, again.total, file]);
    expect(m![3].split(', ')[0]).toBe(`${again.neverRan[0].name} (${again.neverRan[0].file}:${again.neverRan[0].line})`);
  }, TEST_TIMEOUT);

  it('a --coverage file that cannot be written is exit 2 before any run', () => {
    const dir = tmp();
    const bad = join(dir, 'no-such-dir', 'c.json');
    const r = swaptorture('fuzz', '--runs', '1', '--seed', '1', '--corpus', join(dir, 'corpus'), '--coverage', bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`swaptorture fuzz: --coverage: cannot write ${bad}: no directory ${join(dir, 'no-such-dir')}\n`);
    expect(existsSync(join(dir, 'corpus'))).toBe(false);
  });
});

describe('stress --coverage', () => {
  it('a short default stress run reaches zswap writeback; with --no-zswap zswap never runs', () => {
    const dir = tmp();
    const on = join(dir, 'on.json');
    console.log('stress --ops 4000 --cpus 2 --seed 11 --coverage');
    const r = swaptorture('stress', '--ops', '4000', '--cpus', '2', '--seed', '11', '--stall-ms', '60000', '--coverage', on, '--json');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { result: string; swapOps: { zswpout: number; zswpwb: number; pswpout: number }; functionCoverage: { file: string; ran: number } };
    expect(doc.result).toBe('SUCCESS');
    const rep = read_report(on);
    expect(doc.functionCoverage.file).toBe(on);
    expect(doc.functionCoverage.ran).toBe(rep.ran);
    console.log(`stress: ${rep.ran} of ${rep.total} model functions ran; zswpout ${doc.swapOps.zswpout}, zswpwb ${doc.swapOps.zswpwb}, pswpout ${doc.swapOps.pswpout}`);
    /* The kworker's writeback ran, and zswap off now and then sent pages straight to the devices too. */
    expect(calls(rep, 'zswap_writeback_entry')).toBeGreaterThan(0);
    expect(calls(rep, 'zswap_store_pages')).toBeGreaterThan(0);
    expect(doc.swapOps.pswpout).toBeGreaterThan(doc.swapOps.zswpwb);
    const off = join(dir, 'off.json');
    const r2 = swaptorture('stress', '--ops', '1000', '--cpus', '2', '--seed', '11', '--no-zswap', '--coverage', off);
    expect(r2.status, r2.stderr).toBe(0);
    expect(r2.stdout).toMatch(/^swaptorture: function coverage: \d+ of \d+ model functions ran; never ran: .*zswap_writeback_entry \(src\/mm\/zswap_writeback\.ts:\d+\).* \(report: .+\)$/m);
    const offRep = read_report(off);
    expect(calls(offRep, 'zswap_writeback_entry')).toBe(0);
    expect(calls(offRep, 'zswap_store_pages')).toBe(0);
  }, TEST_TIMEOUT);

  it('a --coverage file that cannot be written is exit 2 before any run', () => {
    const r = swaptorture('stress', '--ops', '10', '--coverage', '/proc/no-such-dir/c.json');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('swaptorture stress: --coverage: cannot write /proc/no-such-dir/c.json: no directory /proc/no-such-dir\n');
  });
});
