/*
 * The race catalogue, run as users run it (the built bin): every race
 * reproduces with its bug switch and stays clean with --fixed under the
 * same number of schedules; each printed replay string re-executes to the
 * same violation at the same step, every time; bad scenario files exit 2
 * naming the file and the field.  Searches are bounded by schedule counts
 * and start from fixed seeds.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repro_pool, repro_replay } from '../src/harness/repro.js';
import { load_catalogue } from '../src/scenario/load.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));
/* A safety net only: these tests run many child processes. */
const TEST_TIMEOUT = 900_000;

function repro(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'repro', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: { ...process.env, CI: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Result {
  race: string;
  reproduced: boolean;
  fixed: boolean;
  schedules: number;
  invariant: string | null;
  message: string | null;
  step: number | null;
  schedule: string | null;
}

describe('repro all', () => {
  const bug = repro('all', '--json', '--seed', '1');
  /* Without --design each race runs on its primary design: p4 when its code is there, else the first its scenario lists. */
  const found = (JSON.parse(bug.stdout) as (Result & { applies: boolean; design: string })[]).filter((r) => r.applies);

  it('reproduces every race with its switch (exit 0), each on its primary design', () => {
    expect(bug.code).toBe(0);
    expect(found.length).toBeGreaterThanOrEqual(15);
    for (const r of found) {
      console.log(`${r.race} (${r.design}): ${r.schedules} schedule(s), [${r.invariant}] at step ${r.step}: ${r.schedule}`);
      expect(r.reproduced, r.race).toBe(true);
      expect(r.schedule, r.race).toMatch(new RegExp(`^${r.race}@\\d+${r.design === 'p4' ? '' : `/${r.design}`}:`));
    }
    /* The ghost design's races need no --design: they run there. */
    const ghost = found.filter((r) => r.race.startsWith('ghost-'));
    expect(ghost.map((r) => [r.race, r.design])).toEqual([['ghost-cluster-relookup', 'ghost'], ['ghost-cluster-tail', 'ghost'], ['ghost-swapoff-allocation', 'ghost']]);
    expect(found.filter((r) => !r.race.startsWith('ghost-')).every((r) => r.design === 'p4')).toBe(true);
  }, TEST_TIMEOUT);

  it('stays clean with --fixed under the same number of schedules (exit 0)', () => {
    const fixed = repro('all', '--json', '--fixed', '--seed', '1');
    expect(fixed.code).toBe(0);
    const rs = (JSON.parse(fixed.stdout) as (Result & { applies: boolean })[]).filter((r) => r.applies);
    expect(rs.map((r) => r.race)).toEqual(found.map((r) => r.race));
    for (const r of rs) expect(r.reproduced, r.race).toBe(false);
  }, TEST_TIMEOUT);

  it('every replay string re-executes to the same violation at the same step, every time', async () => {
    /* The CLI's --replay end to end once; then every string twice on one CPU pool in this process (what is tested is the schedule, not start-up). */
    const cli = repro('--replay', found[0].schedule!, '--json');
    expect(cli.code, found[0].race).toBe(0);
    const doc = JSON.parse(cli.stdout) as Result;
    expect([doc.reproduced, doc.invariant, doc.message, doc.step]).toEqual([true, found[0].invariant, found[0].message, found[0].step]);
    const scs = load_catalogue();
    const pool = repro_pool(scs);
    try {
      for (const r of found) {
        const sc = scs.find((x) => x.race === r.race)!;
        for (let i = 0; i < 2; i++) {
          const rr = await repro_replay(pool, sc, r.schedule!);
          expect([rr.reproduced, rr.invariant, rr.message, rr.step], r.race).toEqual([true, r.invariant, r.message, r.step]);
        }
      }
    } finally {
      await pool.destroy();
    }
  }, TEST_TIMEOUT);
});

describe('bad scenario files exit 2 naming the file and the field', () => {
  const good = JSON.parse(readFileSync(join(ROOT, 'scenarios', 'count-overflow.json'), 'utf8')) as Record<string, unknown>;
  const cases: [string, (s: Record<string, unknown>) => unknown, RegExp][] = [
    ['missing field', (s) => ({ ...s, story: undefined }), /count-overflow\.json: story: /],
    ['unknown bug switch', (s) => ({ ...s, bug: 'no-such-switch' }), /count-overflow\.json: bug: unknown bug switch "no-such-switch"/],
    ['wrong type', (s) => ({ ...s, depth: 'deep' }), /count-overflow\.json: depth: /],
    ['unknown operation', (s) => ({ ...s, setup: [{ op: 'teleport', mm: 'a' }] }), /count-overflow\.json: setup\[0\]\.op: /],
    ['race not matching the file', (s) => ({ ...s, race: 'other-race' }), /count-overflow\.json: race: "other-race" does not match/],
    ['unknown invariant', (s) => ({ ...s, invariant: 'vibes' }), /count-overflow\.json: invariant: /],
  ];
  for (const [what, mutate, msg] of cases) {
    it(what, () => {
      const dir = mkdtempSync(join(tmpdir(), 'swt-scn-'));
      writeFileSync(join(dir, 'count-overflow.json'), JSON.stringify(mutate(good)));
      const r = repro('count-overflow', '--dir', dir);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    });
  }

  it('not JSON at all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'swt-scn-'));
    writeFileSync(join(dir, 'count-overflow.json'), '{ nope');
    const r = repro('all', '--dir', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/count-overflow\.json: not JSON/);
  }, TEST_TIMEOUT);

  it('a --trace file that cannot be written is exit 2 before the search (after it, the search\'s find was lost)', () => {
    for (const [args, msg] of [
      [['repro', 'count-overflow', '--trace', '/no-such-dir/t.json'], /^swaptorture repro: --trace: cannot write \/no-such-dir\/t.json: no directory \/no-such-dir$/],
      [['repro', 'all', '--trace', ''], /^swaptorture repro: --trace: an empty file name$/],
      [['explore', 'count-overflow', '--trace', tmpdir()], /^swaptorture explore: --trace: cannot write .*: it is a directory$/],
    ] as [string[], RegExp][]) {
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd()).toMatch(msg);
    }
  }, TEST_TIMEOUT);

  it('a bad replay string', () => {
    const r = repro('--replay', 'garbage');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--replay: bad replay string "garbage" \(/);
    const seed = repro('--replay', 'count-overflow@99999999999999999999:2*9');
    expect(seed.code).toBe(2);
    expect(seed.stderr).toMatch(/--replay: bad seed 99999999999999999999 in replay string/);
    /* A search from --seed 4294967295 prints seeds past 2^32 - 1: they replay. */
    expect([0, 1]).toContain(repro('--replay', 'count-overflow@4294967296:2*9.1*f.3*1.2*6').code);
    /* A workload (~FILLER.KEEP per CPU) must fit the race: a filler past the scenario file's 1000 ran as a livelock (exit 1). */
    for (const [w, why] of [
      ['999999999.1,0.0', /CPU 0's filler \(26115417429021, written in base 36\) is not 0\.\.1000/],
      ['0.1', /1 CPU\(s\) in the workload, race "batch-free-memcg" has 2/],
      ['0.3,0.0', /CPU 0 keeps operations its script does not have \(1 scripted\)/],
      ['0.,0.0', /bad workload "0\.,0\.0" in replay string \(expected FILLER\.KEEP per CPU\)/],
    ] as const) {
      const bad = repro('--replay', `batch-free-memcg@1~${w}:1*c.2*1.3*1`);
      expect(bad.code, w).toBe(2);
      expect(bad.stderr, w).toMatch(why);
    }
    /* The string says the seed, design and switch: a flag that would choose otherwise is refused, not ignored. */
    for (const flag of [['--fixed'], ['--design', 'p3'], ['--seed', '3']]) {
      const clash = repro('--replay', 'count-overflow@4:2*9.1*f.3*1.2*6', ...flag);
      expect(clash.code, flag.join(' ')).toBe(2);
      expect(clash.stderr).toMatch(new RegExp(`^swaptorture repro: ${flag[0]}: a replay runs as its string says`));
    }
  }, TEST_TIMEOUT);

  it('a --seed or --depth out of range is exit 2 with one line (they reached System.create and pct_init)', () => {
    for (const args of [['--seed', '4294967296'], ['--depth', '17'], ['--depth', '0']]) {
      const r = repro('count-overflow', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`option '${args[0]} <[a-z]>' argument '${args[1]}' is invalid`));
    }
  }, TEST_TIMEOUT);

  it('a replay string whose first task is none of the race\'s CPUs diverges at step 0 (it hung: no task had the turn)', () => {
    /* count-overflow's CPUs are tasks 1 and 2 (3 is the I/O completion daemon); 0 set the system up. */
    for (const s of ['count-overflow@4:9*9', 'count-overflow@4:0*9']) {
      const r = spawnSync(process.execPath, [BIN, 'repro', '--replay', s], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, `${s}: ${r.signal ?? ''}\n${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/diverged at step 0/);
    }
  }, TEST_TIMEOUT);
});

describe('--trace', () => {
  it('writes the reproducing run as a Chrome Trace Event Format timeline (Perfetto loads this shape)', async () => {
    const { TraceFileSchema } = await import('../src/harness/trace_schema.js');
    const dir = mkdtempSync(join(tmpdir(), 'swt-trace-'));
    const file = join(dir, 'race.json');
    const r = repro('swapcache-large-folio', '--trace', file, '--json');
    expect(r.code).toBe(0);
    const doc = TraceFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    const res = JSON.parse(r.stdout) as Result;
    /* One named track per CPU. */
    const names = doc.traceEvents.filter((e) => e.ph === 'M').map((e) => e.args?.name);
    expect(names).toEqual(['CPU 0 (task 1)', 'CPU 1 (task 2)']);
    /* Spans balance on every track, and never end before they begin. */
    for (const tid of [1, 2]) {
      let open = 0;
      for (const e of doc.traceEvents.filter((x) => x.tid === tid)) {
        if (e.ph === 'B') open++;
        if (e.ph === 'E') open--;
        expect(open).toBeGreaterThanOrEqual(0);
      }
      expect(open).toBe(0);
    }
    expect(doc.traceEvents.some((e) => e.ph === 'B' && e.name === '&ci->lock')).toBe(true);
    expect(doc.traceEvents.some((e) => e.ph === 'i' && e.name === '__swap_cache_alloc:unlocked')).toBe(true);
    /* The violation is an instant at the step the replay reports. */
    const v = doc.traceEvents.filter((e) => e.cat === 'violation');
    expect(v).toHaveLength(1);
    expect(v[0].name).toBe('VIOLATION [swap-cache]');
    expect(v[0].ts).toBe(res.step);
  }, TEST_TIMEOUT);
});

describe('shrinking', () => {
  it('a random-mode reproduction shrinks to fewer context switches and still breaks the same invariant', () => {
    const r = repro('rcu-lazy-table-free', '--mode', 'random', '--seed', '1', '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as Result & { shrunk: string; switches: number; shrunkSwitches: number };
    console.log(`rcu-lazy-table-free, random: ${res.switches} context switches shrunk to ${res.shrunkSwitches}: ${res.shrunk}`);
    expect(res.reproduced).toBe(true);
    expect(res.shrunkSwitches).toBeLessThan(res.switches);
    const rr = repro('--replay', res.shrunk, '--json');
    expect(rr.code).toBe(0);
    expect((JSON.parse(rr.stdout) as Result).invariant).toBe(res.invariant);
  }, TEST_TIMEOUT);
});

describe('--mode stress', () => {
  it('runs the scenario free-running (a sequential bug shows up at once) and prints no replay string', () => {
    const r = repro('batch-free-memcg', '--mode', 'stress', '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as Result & { mode: string };
    expect(res.mode).toBe('stress');
    expect(res.reproduced).toBe(true);
    expect(res.invariant).toBe('memcg');
    expect(res.schedule).toBeNull();
  }, TEST_TIMEOUT);
});

describe('--design p2', () => {
  it('the phase II races reproduce; the phase III/IV ones do not apply', () => {
    const r = repro('all', '--design', 'p2', '--json');
    expect(r.code).toBe(0);
    const rs = JSON.parse(r.stdout) as (Result & { applies: boolean })[];
    expect(rs.filter((x) => x.applies).map((x) => x.race)).toEqual([
      'end-writeback-noref', 'percpu-cluster-migration', 'rcu-lazy-table-free', 'rcu-table-free-unfilled', 'readd-full-device', 'swapin-skip-swapcache', 'swapoff-vs-swapin', 'zswap-writeback-leak', 'zswap-writeback-stale',
    ]);
    for (const x of rs) expect(x.reproduced, x.race).toBe(x.applies);
  }, TEST_TIMEOUT);
});

describe('--design ghost', () => {
  it('every race applies but large swap-in\'s and the device writeback one (ghost is p4 plus the ghost device, with zswap on) and reproduces; ghost-cluster-relookup only here, clean with --fixed, and its replay string replays', () => {
    const r = repro('all', '--design', 'ghost', '--json');
    expect(r.code).toBe(0);
    const rs = JSON.parse(r.stdout) as (Result & { applies: boolean; design: string })[];
    expect(rs.length).toBeGreaterThanOrEqual(10);
    for (const x of rs) {
      /* zswap once enabled, the kernel swaps in order 0 only (zswap_never_enabled() in alloc_swap_folio); with zswap always on, reclaim never writes to a device. */
      expect(x.applies, x.race).toBe(x.race !== 'swapcache-large-folio' && x.race !== 'end-writeback-noref');
      if (!x.applies) continue;
      expect(x.reproduced, x.race).toBe(true);
      expect(x.schedule).toMatch(new RegExp(`^${x.race}@\\d+/ghost`));
    }
    const g = rs.find((x) => x.race === 'ghost-cluster-relookup')!;
    expect(g.invariant).toBe('device-lifetime');
    const again = JSON.parse(repro('--replay', g.schedule!, '--json').stdout) as Result;
    expect([again.reproduced, again.invariant, again.step]).toEqual([true, g.invariant, g.step]);
    const fixed = JSON.parse(repro('ghost-cluster-relookup', '--design', 'ghost', '--fixed', '--json').stdout) as Result[] | Result;
    for (const x of [fixed].flat()) expect(x.reproduced).toBe(false);
    const p4 = (JSON.parse(repro('ghost-cluster-relookup', '--design', 'p4', '--json').stdout) as (Result & { applies: boolean })[] | (Result & { applies: boolean }));
    for (const x of [p4].flat()) expect(x.applies).toBe(false);
  }, TEST_TIMEOUT);
});

describe('--design p3', () => {
  it('the races whose code p3 has reproduce; the phase IV ones do not apply (neither reproduced nor clean)', () => {
    const r = repro('all', '--design', 'p3', '--json');
    expect(r.code).toBe(0);
    const rs = JSON.parse(r.stdout) as (Result & { applies: boolean; design: string })[];
    const applies = rs.filter((x) => x.applies).map((x) => x.race);
    expect(applies).toEqual([
      'count-overflow', 'end-writeback-noref', 'percpu-cluster-migration', 'rcu-lazy-table-free', 'rcu-table-free-unfilled', 'readd-full-device', 'scan-border', 'swapin-skip-swapcache', 'swapoff-vs-swapin',
      'zswap-writeback-leak', 'zswap-writeback-stale',
    ]);
    for (const x of rs) {
      expect(x.design).toBe('p3');
      expect(x.reproduced, x.race).toBe(x.applies);
      if (x.applies) expect(x.schedule).toMatch(new RegExp(`^${x.race}@\\d+/p3:`));
    }
  }, TEST_TIMEOUT);
});

describe('workload shrinking', () => {
  it('drops the operations a race does not need, and the shortened replay string still breaks the invariant', () => {
    const r = repro('batch-free-memcg', '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as Result & { shrunk: string; ops: number; shrunkOps: number };
    console.log(`batch-free-memcg: ${res.ops} operations shrunk to ${res.shrunkOps}: ${res.shrunk}`);
    expect(res.shrunkOps).toBeLessThan(res.ops);
    expect(res.shrunk).toMatch(/^batch-free-memcg@\d+~[0-9a-z.,]+:/);
    const rr = repro('--replay', res.shrunk, '--json');
    expect(rr.code).toBe(0);
    expect((JSON.parse(rr.stdout) as Result).invariant).toBe('memcg');
  }, TEST_TIMEOUT);
});
