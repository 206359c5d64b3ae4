/*
 * Broken scenario files, run as users run them (the built bin): every file
 * that cannot run is an error - exit 2 and one line "FILE: FIELD: REASON"
 * on stderr, the field a JSON path - never a stack trace (exit 3) and never
 * "clean" under --fixed.  What the validator can see is rejected before any
 * worker starts; what only running shows (a setup step failing) is reported
 * the same way.  With --dir, a broken file does not stop the others, and
 * the replay commands printed for its races name the folder.  A label one
 * CPU's fork creates is usable by another CPU: -ESRCH until it exists.
 * Searches are bounded by schedule counts and start from fixed seeds.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUG_SWITCHES } from '../src/shm/bugs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));
const CHILD_TIMEOUT = 300_000;
const TEST_TIMEOUT = 600_000;

type Json = Record<string, any>;

function repro(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'repro', ...args], { cwd: ROOT, encoding: 'utf8', timeout: CHILD_TIMEOUT, env: { ...process.env, CI: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function catalogued(race: string): Json {
  return JSON.parse(readFileSync(join(ROOT, 'scenarios', `${race}.json`), 'utf8')) as Json;
}

/* A folder holding @files (name -> scenario or raw text). */
function folder(files: Record<string, Json | string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'swt-scerr-'));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), typeof body === 'string' ? body : JSON.stringify(body, null, 1));
  return dir;
}

/* swapoff-vs-swapin with @change applied: devices 1 (ssd), mmPages 16, mms 4, setup mm a / write a 0 / reclaim a 0, CPU 0 touches a 0, CPU 1 swaps device 0 off. */
function broken(change: (s: Json) => void): Json {
  const s = catalogued('swapoff-vs-swapin');
  change(s);
  return s;
}

/*
 * Each class of file that can never run, with the field at fault and the
 * reason.  Run with --fixed on a two-schedule budget: before validation
 * some of these ran and came out "clean, exit 0"; others ended in a stack
 * trace (exit 3).
 */
const CASES: [string, (s: Json) => void, string, RegExp][] = [
  ['a label setup never defines', (s) => { s.setup[1].mm = 'zz'; }, 'setup[1].mm', /no process labelled "zz": the process labels are "a"/],
  ['a label a CPU uses that nothing defines', (s) => { s.cpus[0].ops[0].mm = 'zz'; }, 'cpus[0].ops[0].mm', /no process labelled "zz"/],
  ['a label used before setup defines it', (s) => { s.setup = [s.setup[1], s.setup[0], s.setup[2]]; }, 'setup[0].mm', /"a" is used before setup\[1\] creates it/],
  ['a label a CPU creates used in setup', (s) => { s.setup.push({ op: 'touch', mm: 'k', page: 0 }); s.cpus[1].ops.unshift({ op: 'fork', mm: 'a', as: 'k' }); }, 'setup[3].mm', /"k" is created by cpus\[1\]\.ops\[0\], which runs after setup/],
  ['a label a CPU uses before its own fork creates it', (s) => { s.cpus[0].ops = [{ op: 'touch', mm: 'k', page: 0 }, { op: 'fork', mm: 'a', as: 'k' }]; }, 'cpus[0].ops[0].mm', /"k" is used before cpus\[0\]\.ops\[1\] creates it/],
  ['a process used after its own CPU exited it', (s) => { s.cpus[0].ops.unshift({ op: 'exit', mm: 'a' }); }, 'cpus[0].ops[1].mm', /"a" is used after cpus\[0\]\.ops\[0\] exits it/],
  ['a label created twice', (s) => { s.setup.push({ op: 'fork', mm: 'a', as: 'a' }); }, 'setup[3].as', /label "a" is already created by setup\[0\]/],
  ['a cgroup used as a process', (s) => { s.setup.unshift({ op: 'memcg', as: 'g' }); s.cpus[0].ops[0].mm = 'g'; }, 'cpus[0].ops[0].mm', /"g" is a cgroup \(setup\[0\] creates it\), not a process/],
  ['a process used as a cgroup', (s) => { s.setup.push({ op: 'memcg', as: 'g', parent: 'a' }); }, 'setup[3].parent', /"a" is a process \(setup\[0\] creates it\), not a cgroup/],
  ['a device index beyond system.devices (setup)', (s) => { s.setup.push({ op: 'swapoff', device: 2 }); }, 'setup[3].device', /no device 2: system.devices has 1 \(device 0\)/],
  ['a device index beyond system.devices (a CPU)', (s) => { s.cpus[1].ops[0].device = 1; }, 'cpus[1].ops[0].device', /no device 1: system.devices has 1/],
  ['a page beyond the mapping', (s) => { s.cpus[0].ops[0].page = 40; }, 'cpus[0].ops[0].page', /page 40 is beyond the process's mapping: system.mmPages is 16 \(pages 0-15\)/],
  ['page + nr beyond the mapping', (s) => { s.setup[1].nr = 20; }, 'setup[1].nr', /pages 0-19 run beyond the process's mapping: system.mmPages is 16/],
  ['a large folio whose aligned run passes the mapping', (s) => { s.system.mmPages = 20; s.cpus[0].ops[0] = { op: 'touch', mm: 'a', page: 17, order: 4 }; }, 'cpus[0].ops[0].order', /order-4 folio is 16 aligned pages: the one holding page 17 is pages 16-31, beyond the process's mapping: system.mmPages is 20/],
  ['migrate to a CPU that does not exist', (s) => { s.cpus[0].ops.unshift({ op: 'migrate', cpu: 5 }); }, 'cpus[0].ops[0].cpu', /no CPU 5: the system has 2 CPUs, 0-1/],
  ['more processes in setup than system.mms', (s) => { s.setup.push({ op: 'fork', mm: 'a', as: 'c', times: 4 }); }, 'setup[3]', /5 processes alive after this step, more than system.mms \(4\)/],
  ['more processes with the CPUs\' forks than system.mms', (s) => { s.setup.push({ op: 'fork', mm: 'a', as: 'c', times: 2 }); s.cpus[0].ops.push({ op: 'fork', mm: 'a', as: 'x' }); s.cpus[1].ops.push({ op: 'fork', mm: 'a', as: 'y' }); }, 'cpus[1].ops[1]', /up to 5 processes alive once this step returns .*more than system.mms \(4\)/],
  ['more cgroups than a scenario has', (s) => { for (let i = 0; i < 15; i++) s.setup.push({ op: 'memcg', as: `g${i}` }); }, 'setup[17]', /creates cgroup 15; a scenario has room for 14/],
  ['random filler with no process to work on', (s) => { s.setup = []; s.cpus[0] = { ops: [{ op: 'swapon', device: 0 }], filler: 5 }; }, 'cpus[0].filler', /random operations need a process: setup leaves none/],
  ['a ghost device under a design without ghost devices', (s) => { s.system.devices[0].kind = 'ghost'; }, 'system.devices[0].kind', /a ghost swapfile exists only under the ghost design .*designs also lists p2, p3, p4/],
  ['a ghost swapfile of one cluster (no slot to hand out)', (s) => { s.designs = ['ghost']; s.system.devices[0] = { kind: 'ghost', pages: 512 }; }, 'system.devices[0].pages', /a ghost swapfile of 512 pages has no slot to hand out: its first cluster \(512 slots\) holds the header .*give it more than 512/],
  ['no designs', (s) => { delete s.designs; }, 'designs', /required: the designs whose code has the race, e\.g\. \["p4"\]/],
  ['a bug switch without the invariant it breaks', (s) => { delete s.invariant; }, 'invariant', /required with a bug switch: the invariant the race breaks \(known: slot-format, /],
  ['an invariant without a bug switch', (s) => { delete s.bug; }, 'invariant', /only with a bug switch: without one, no invariant is expected to break/],
];

describe('a file that can never run is rejected before any worker starts: exit 2, FILE: FIELD: REASON', () => {
  for (const [what, change, field, reason] of CASES) {
    it(what, () => {
      const dir = folder({ 'swapoff-vs-swapin.json': broken(change) });
      const r = repro('swapoff-vs-swapin', '--dir', dir, '--fixed', '--max-schedules', '2');
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      const line = r.stderr.trimEnd();
      expect(line.startsWith(`swaptorture repro: ${join(dir, 'swapoff-vs-swapin.json')}: ${field}: `), line).toBe(true);
      expect(line).toMatch(reason);
      expect(r.stdout).toBe('');
      expect(r.code).toBe(2);
    }, TEST_TIMEOUT);
  }
});

describe('a setup that fails when it runs is the file\'s fault: exit 2 naming the step', () => {
  it('a write hitting ENOMEM (48 of 64 frames shared by fork, the child\'s copies need 48 more, one swap slot)', () => {
    const dir = folder({
      'swapoff-vs-swapin.json': broken((s) => {
        s.system.frames = 64;
        s.system.mmPages = 64;
        s.system.devices = [{ kind: 'ssd', pages: 2 }];
        s.setup = [{ op: 'mm', as: 'a' }, { op: 'write', mm: 'a', page: 0, nr: 48 }, { op: 'fork', mm: 'a', as: 'b' }, { op: 'write', mm: 'b', page: 0, nr: 48 }];
      }),
    });
    for (const fixed of [[], ['--fixed']]) {
      const r = repro('swapoff-vs-swapin', '--dir', dir, ...fixed);
      expect(r.stderr.trimEnd()).toBe(`swaptorture repro: ${join(dir, 'swapoff-vs-swapin.json')}: setup[3]: write failed with ENOMEM; every setup step must succeed`);
      expect(r.code).toBe(2);
    }
  }, TEST_TIMEOUT);

  it('a swapon of a device that is already on (every device is on before setup): EBUSY', () => {
    const dir = folder({ 'swapoff-vs-swapin.json': broken((s) => { s.setup.push({ op: 'swapon', device: 0 }); }) });
    const r = repro('swapoff-vs-swapin', '--dir', dir, '--fixed', '--max-schedules', '2');
    expect(r.stderr.trimEnd()).toMatch(/swapoff-vs-swapin\.json: setup\[3\]: swapon failed with E[A-Z]+; every setup step must succeed$/);
    expect(r.code).toBe(2);
  }, TEST_TIMEOUT);
});

describe('a run that does not end normally is never clean', () => {
  it('--fixed: a workload past the step budget ends as a livelock: exit 1, not "clean, exit 0"', () => {
    /*
     * One CPU, 32 passes of 1024-page writes, pageouts and faults: more
     * steps than a controlled run has (16 passes already are).  One CPU
     * makes the fewest hand-offs, so reaching the budget costs least.
     */
    const pass = (m: string) => [{ op: 'write', mm: m, page: 0, nr: 1024 }, { op: 'reclaim', mm: m, page: 0, nr: 1024 }, { op: 'touch', mm: m, page: 0, nr: 1024 }];
    const dir = folder({
      'swapoff-vs-swapin.json': broken((s) => {
        s.system = { devices: [{ kind: 'ssd', pages: 16384 }], frames: 8192, mmPages: 1024, mms: 8 };
        s.setup = [{ op: 'mm', as: 'p0' }];
        s.cpus = [{ ops: Array.from({ length: 32 }, () => pass('p0')).flat() }];
      }),
    });
    const r = repro('swapoff-vs-swapin', '--dir', dir, '--fixed', '--max-schedules', '1');
    expect(r.stdout).toMatch(/a run ended abnormally: livelock \(no end within \d+ scheduler steps/);
    expect(r.stdout).toMatch(/\(so not clean\)/);
    expect(r.stdout).not.toMatch(/clean, as expected/);
    expect(r.code).toBe(1);
  }, TEST_TIMEOUT);
});

describe('repro: a CPU script longer than 31 operations', () => {
  it('shrinks to the one operation that matters, named by its own bit (the 34th of CPU 0: no bit wraps), and the shrunk string replays', () => {
    /* batch-free-memcg with CPU 0's exit after 33 touches, and CPU 1's three operations twelve times over. */
    const s = catalogued('batch-free-memcg');
    s.race = 'long-script';
    s.cpus[0].ops = [...Array.from({ length: 33 }, (_, i) => ({ op: 'touch', mm: 'b', page: 5 + (i % 4) })), { op: 'exit', mm: 'a' }];
    s.cpus[1].ops = Array.from({ length: 12 }, () => s.cpus[1].ops).flat();
    const dir = folder({ 'long-script.json': s });
    const r = repro('long-script', '--dir', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { reproduced: boolean; ops: number; shrunkOps: number; shrunk: string };
    expect(doc.reproduced).toBe(true);
    expect(doc.ops).toBe(70);
    expect(doc.shrunkOps).toBe(1);
    /* 2^33 in base 36: operation 33 alone on CPU 0, nothing on CPU 1. */
    expect(doc.shrunk).toMatch(/^long-script@\d+~0\.3y283y8,0\.0:/);
    const again = repro('--dir', dir, '--replay', doc.shrunk, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ reproduced: true, ops: 1 });
  }, TEST_TIMEOUT);
});

describe('repro --dir', () => {
  /* A race of its own (not in the package's scenarios/): count-overflow's scenario under another name. */
  const mine = { ...catalogued('count-overflow'), race: 'my-count-overflow' };

  it('one broken file (bad JSON), one that fails validation, one good: both named with field and reason, the good one still runs and is in the table; exit 2', () => {
    const dir = folder({
      'a-broken.json': '{ nope',
      'my-count-overflow.json': mine,
      'swapoff-vs-swapin.json': broken((s) => { s.cpus[0].ops[0].page = 99; }),
    });
    const r = repro('all', '--dir', dir);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^swaptorture repro: ${join(dir, 'a-broken.json')}: not JSON: `)),
      `swaptorture repro: ${join(dir, 'swapoff-vs-swapin.json')}: cpus[0].ops[0].page: page 99 is beyond the process's mapping: system.mmPages is 16 (pages 0-15)`,
    ]);
    const row = r.stdout.split('\n').find((l) => l.startsWith('my-count-overflow '));
    expect(row, r.stdout).toMatch(/^my-count-overflow\s+p4\s+yes\s/);
    expect(r.code).toBe(2);
  }, TEST_TIMEOUT);

  it('a setup failing at run time in one file: named, the others run; exit 2', () => {
    const dir = folder({
      'my-count-overflow.json': mine,
      'swapoff-vs-swapin.json': broken((s) => { s.setup.push({ op: 'swapon', device: 0 }); }),
    });
    const r = repro('all', '--dir', dir, '--json');
    expect(r.stderr).toMatch(/swapoff-vs-swapin\.json: setup\[3\]: swapon failed with /);
    const rs = JSON.parse(r.stdout) as Json[];
    expect(rs.map((x) => [x.race, x.reproduced])).toEqual([['my-count-overflow', true]]);
    expect(r.code).toBe(2);
  }, TEST_TIMEOUT);

  it('the printed replay commands name the folder, and re-execute when pasted into a shell', () => {
    const dir = folder({ 'my-count-overflow.json': mine });
    const r = repro('my-count-overflow', '--dir', dir);
    expect(r.code).toBe(0);
    const cmds = r.stdout.split('\n').filter((l) => /^(replay|shrunk): /.test(l)).map((l) => l.replace(/^(replay|shrunk): /, '').replace(/ {2}\(.*\)$/, ''));
    expect(cmds.length).toBeGreaterThanOrEqual(1);
    for (const cmd of cmds) {
      expect(cmd).toContain(`--dir '${dir}'`);
      const sh = spawnSync('sh', ['-c', cmd.replace(/^npx swaptorture /, `'${process.execPath}' '${BIN}' `) + ' --json'], { cwd: tmpdir(), encoding: 'utf8', timeout: CHILD_TIMEOUT });
      expect(sh.status, sh.stderr).toBe(0);
      const doc = JSON.parse(sh.stdout) as Json;
      expect([doc.race, doc.reproduced, doc.invariant]).toEqual(['my-count-overflow', true, 'swap-count']);
    }
  }, TEST_TIMEOUT);
});

describe('repro FOLDER/RACE.json (a scenario file by its path, as explore takes one)', () => {
  const mine = { ...catalogued('count-overflow'), race: 'my-count-overflow' };

  it('runs the race of that folder; the replay command names the folder and re-executes', () => {
    const dir = folder({ 'my-count-overflow.json': mine });
    const r = repro(join(dir, 'my-count-overflow.json'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as Json;
    expect([doc.race, doc.reproduced, doc.invariant]).toEqual(['my-count-overflow', true, 'swap-count']);
    const again = repro('--dir', dir, '--replay', doc.shrunk as string ?? doc.schedule as string, '--json');
    expect(again.code, again.stderr).toBe(0);
  }, TEST_TIMEOUT);

  it('a file that is not there, or a file with --dir beside it, is exit 2 naming it', () => {
    const dir = folder({ 'my-count-overflow.json': mine });
    const none = repro(join(dir, 'nope.json'));
    expect([none.code, none.stderr.trimEnd()]).toEqual([2, `swaptorture repro: ${join(dir, 'nope.json')}: no such scenario file`]);
    const both = repro(join(dir, 'my-count-overflow.json'), '--dir', dir);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^swaptorture repro: --dir: a scenario file's folder is its --dir/);
  }, TEST_TIMEOUT);
});

describe('a label another CPU creates: bound when its fork returns, -ESRCH before', () => {
  /*
   * batch-free-memcg frees a's two swapped-out slots (recorded to m1 and
   * m2) in one batch when their last reference goes; the switch uncharges
   * both from m1.  Here a is forked into x first, so the batch free comes
   * with whichever of a and x exits last - and only if x existed to be
   * forked into: "exit x" needs the fork that creates x to have returned.
   * The empty replay schedule runs the lowest task (CPU 0) to its end,
   * then CPU 1.
   */
  const base = catalogued('batch-free-memcg');
  const chain = (first: Json[], second: Json[]) => folder({ 'batch-free-memcg.json': { ...base, cpus: [{ ops: first }, { ops: second }] } });
  const forkA = [{ op: 'fork', mm: 'a', as: 'x' }, { op: 'exit', mm: 'a' }];
  const exitX = [{ op: 'exit', mm: 'x' }];

  it('CPU 0 forks a into x and exits a, then CPU 1 exits x: x is bound, its exit frees the batch', () => {
    const r = repro('--replay', 'batch-free-memcg@1:', '--dir', chain(forkA, exitX), '--json');
    const doc = JSON.parse(r.stdout) as Json;
    expect([doc.reproduced, doc.invariant, doc.abnormal]).toEqual([true, 'memcg', null]);
    expect(r.code).toBe(0);
  }, TEST_TIMEOUT);

  it('CPU 0 exits x before CPU 1 created it: -ESRCH, a race outcome (the run ends normally, x still holding the slots)', () => {
    const r = repro('--replay', 'batch-free-memcg@1:', '--dir', chain(exitX, forkA), '--json');
    const doc = JSON.parse(r.stdout) as Json;
    expect([doc.reproduced, doc.abnormal]).toEqual([false, null]);
  }, TEST_TIMEOUT);

  it('a search finds the order that frees the batch, its replay string replays, and --fixed stays clean with no abnormal run', () => {
    const dir = chain(exitX, forkA);
    const r = repro('batch-free-memcg', '--dir', dir, '--json', '--no-shrink');
    const doc = JSON.parse(r.stdout) as Json;
    expect([doc.reproduced, doc.invariant]).toEqual([true, 'memcg']);
    const again = JSON.parse(repro('--replay', doc.schedule, '--dir', dir, '--json').stdout) as Json;
    expect([again.reproduced, again.step]).toEqual([true, doc.step]);
    const fixed = repro('batch-free-memcg', '--dir', dir, '--fixed', '--max-schedules', '50', '--json');
    const f = JSON.parse(fixed.stdout) as Json;
    expect([f.reproduced, f.abnormal]).toEqual([false, null]);
    expect(fixed.code).toBe(0);
  }, TEST_TIMEOUT);
});

describe('repro --list', () => {
  it('prints every race\'s full title, its designs, bug switch and invariant, and its switch\'s provenance one line per reference', () => {
    const r = repro('--list');
    expect(r.code).toBe(0);
    const races = r.stdout.split('\n').filter((l) => /^\S/.test(l)).map((l) => l.split(':')[0]);
    expect(races.length).toBeGreaterThanOrEqual(13);
    for (const race of races) {
      const sc = catalogued(race);
      const kind = BUG_SWITCHES.find((b) => b.name === sc.bug)!.provenance.kind;
      expect(r.stdout).toContain(`${race}: ${sc.title}\n    designs ${sc.designs.join(', ')}; bug switch ${sc.bug}; invariant ${sc.invariant}\n    provenance: ${kind}`);
    }
    expect(r.stdout).toContain('swapoff-vs-swapin: A swap-in that does not pin the device races with swapoff freeing it\n' +
      '    designs p2, p3, p4, ghost; bug switch swapoff-vs-swapin; invariant device-lifetime\n' +
      '    provenance: kernel-fix 2799e77529c2 "swap: fix do_swap_page() race with swapoff"\n' +
      '    provenance: kernel-fix 63d8620ecf93 "mm/swapfile: use percpu_ref to serialize against concurrent swapoff"\n');
    expect(r.stdout).toContain('    provenance: review seed 001 patch 4 "mm, swap: add support for large order folios in swap cache directly": "Double check the range is still not in conflict"\n');
    expect(r.stdout).toContain('    provenance: related fix 1f47b61fb407 "mm: memcontrol: fix swap counter leak on swapout from offline cgroup"\n');
    const doc = JSON.parse(repro('--list', '--json').stdout) as Json[];
    expect(doc.map((d) => d.race)).toEqual(races);
    for (const d of doc) {
      expect(d.provenance, d.race).toEqual(BUG_SWITCHES.find((b) => b.name === d.bug)!.provenance);
      expect(d).not.toHaveProperty('seed');
    }
  }, TEST_TIMEOUT);
});

describe('a race\'s provenance is its bug switch\'s', () => {
  it('a scenario without "seed" loads, one with the deprecated "seed" still does, and --json results carry the switch\'s provenance', () => {
    const bare = catalogued('batch-free-memcg');
    expect(bare).not.toHaveProperty('seed');
    const old = { ...catalogued('count-overflow'), seed: 'hypothetical: a line of free text, as files had before' };
    const dir = folder({ 'batch-free-memcg.json': bare, 'count-overflow.json': old });
    expect(repro('--list', '--dir', dir).code).toBe(0);
    const r = repro('all', '--dir', dir, '--json', '--max-schedules', '50');
    expect(r.code).toBe(0);
    const docs = JSON.parse(r.stdout) as Json[];
    expect(docs.map((d) => [d.race, d.bug, d.reproduced])).toEqual([['batch-free-memcg', 'batch-free-memcg', true], ['count-overflow', 'count-overflow', true]]);
    expect(docs[0].provenance).toEqual(BUG_SWITCHES.find((b) => b.name === 'batch-free-memcg')!.provenance);
    expect(docs[1].provenance.kind).toBe('hypothetical');
    expect(docs[1].provenance.rule).toMatch(/SWP_TB_COUNT_MAX/);
  }, TEST_TIMEOUT);
});

describe('the table of repro all', () => {
  it('has a design column and one "shrunk" heading', () => {
    const dir = folder({ 'batch-free-memcg.json': catalogued('batch-free-memcg') });
    const r = repro('all', '--dir', dir);
    expect(r.code).toBe(0);
    const head = r.stdout.split('\n')[0].trim().split(/\s{2,}/);
    expect(head.slice(0, 3)).toEqual(['race', 'design', 'reproduced']);
    expect(head.filter((h) => h.includes('shrunk'))).toEqual(['replay (shrunk)']);
    /* The workload shrinks 4 operations to 1 (test/repro.test.ts): the ops cell says both. */
    expect(r.stdout.split('\n')[2]).toMatch(/^batch-free-memcg\s+p4\s+yes\s.*\s4 -> 1\s/);
  }, TEST_TIMEOUT);
});
