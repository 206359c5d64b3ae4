/*
 * Fuzzing campaigns through the CLI (child processes, bounded by --runs):
 * bad usage, a failure saved to the corpus and replayed, --resume after
 * SIGKILL losing and repeating no finished run, and shards covering
 * exactly the unsharded campaign's runs.  Seeds are fixed and printed.
 * The pinned finds of every bug switch run the campaign's executions in
 * this process (fuzz_exec, as a job thread runs them): the CLI around
 * them is tested once, not once a switch.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failure_site } from '../src/harness/fuzz_corpus.js';
import { read_journal } from '../src/harness/fuzz_journal.js';
import { interrupt } from './cli_interrupt.js';
import { fresh_case } from '../src/harness/fuzz_case.js';
import { fuzz_exec, fuzz_exec_teardown } from '../src/harness/fuzz_exec.js';
import { load_catalogue } from '../src/scenario/load.js';
import { fuzz_designs } from '../src/harness/fuzz_params.js';
import { implemented_designs } from '../src/designs/index.js';
import { decode_schedule } from '../src/sched/schedule.js';
import type { FuzzCase, FuzzResult } from '../src/harness/fuzz_types.js';
import type { DesignName } from '../src/mm/swap_design.js';
import { PMD_ORDER } from '../src/shm/layout.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));
const run = (...a: string[]) => spawnSync(process.execPath, [BIN, 'fuzz', ...a], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: '1' } });
const tmp = (): string => mkdtempSync(join(tmpdir(), 'swt-fuzz-'));
const indices = (dir: string, file = 'campaign.jsonl'): number[] => read_journal(join(dir, file)).lines.map((l) => l.index).sort((a, b) => a - b);

describe('swaptorture fuzz', () => {
  it('bad usage exits 2 with one line', () => {
    for (const args of [['--shard', '3/2'], ['--jobs', '0'], ['--bug', 'no-such'], ['--design', 'p9'], ['--max-cpus', '9'], ['--runs', 'x'], ['--target', 'kernel'], ['--target', 'synthetic', '--bug', 'count-overflow'], ['--corpus', ''], ['--coverage', ''], ['merge', 'x', '--into', '']]) {
      const r = run(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('a short seeded campaign on the clean model finds nothing and reports its coverage', () => {
    const dir = tmp();
    console.log('fuzz clean seed 123');
    const r = run('--runs', '40', '--seed', '123', '--corpus', dir, '--jobs', '2', '--json');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { runs: number; uniqueFailures: number; coveragePairs: number; execsPerSec: number };
    expect(doc.runs).toBe(40);
    expect(doc.uniqueFailures).toBe(0);
    expect(doc.coveragePairs).toBeGreaterThan(50);
  });

  it('the same run index draws the same case everywhere; the failure site ignores numbers', () => {
    const l = { designs: ['p4', 'p3'] as const, maxCpus: 4 };
    expect(JSON.stringify(fresh_case(42, 7, { ...l, designs: [...l.designs] }, null))).toBe(JSON.stringify(fresh_case(42, 7, { ...l, designs: [...l.designs] }, null)));
    expect(JSON.stringify(fresh_case(42, 7, { ...l, designs: [...l.designs] }, null))).not.toBe(JSON.stringify(fresh_case(42, 8, { ...l, designs: [...l.designs] }, null)));
    expect(failure_site('data', 'mm 3 page 17 reads 0x1f')).toBe(failure_site('data', 'mm 4 page 99 reads 0xabc'));
    expect(failure_site('data', 'mm 3 page 17')).not.toBe(failure_site('swap-count', 'mm 3 page 17'));
  });

  it('with a bug switch on, the campaign finds it, saves it atomically, exits 1, and the saved file replays to the same invariant', () => {
    const dir = tmp();
    const seed = 2;
    console.log(`fuzz memcg-dead-reparent seed ${seed}`);
    /*
     * Seed 2's run 0 (random scheduler) finds nothing, its run 1 (PCT, p4)
     * swaps a page in charged to a dead memcg (measured: a controlled run,
     * the only find of runs 0-1; clean without the switch).  Both runs are
     * fresh draws whatever the guidance and jobs: two jobs start together,
     * and one job's guided run 1 draws no mutation for this seed.
     */
    const r = run('--runs', '2', '--seed', String(seed), '--corpus', dir, '--bug', 'memcg-dead-reparent', '--jobs', '2', '--json');
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as { runs: number; failures: { file: string; invariant: string; site: string }[]; uniqueFailures: number; coveragePairs: number };
    expect(doc.runs).toBe(2);
    expect(doc.uniqueFailures).toBeGreaterThan(0);
    expect(doc.coveragePairs).toBeGreaterThan(0);
    const files = readdirSync(join(dir, 'failures')).filter((f) => f.endsWith('.json') && !f.endsWith('.trace.json'));
    expect(files.some((f) => f.includes('.tmp-'))).toBe(false);
    expect(files.length).toBe(doc.uniqueFailures);
    for (const f of doc.failures) {
      const saved = JSON.parse(readFileSync(f.file, 'utf8')) as { invariant: string; case: unknown; schedule: string; sched: { kind: string } };
      expect(saved.invariant).toBe(f.invariant);
      /* A controlled run replays exactly; a free-running one has no schedule to replay. */
      if (saved.sched.kind === 'free') continue;
      const rr = spawnSync(process.execPath, [BIN, 'repro', '--replay', f.file, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      expect(rr.status, rr.stderr).toBe(0);
      expect((JSON.parse(rr.stdout) as { invariant: string }).invariant).toBe(f.invariant);
    }
    /* --stop-on-find ends a fresh campaign at its first find: run 1, so after 2 runs. */
    const stop = run('--runs', '50', '--seed', String(seed), '--corpus', tmp(), '--bug', 'memcg-dead-reparent', '--jobs', '1', '--no-guide', '--stop-on-find', '--json');
    expect(stop.status).toBe(1);
    expect((JSON.parse(stop.stdout) as { runs: number }).runs).toBe(2);
    /* The same campaign again finds nothing new: exit 0. */
    expect(run('--runs', '2', '--seed', String(seed), '--corpus', dir, '--bug', 'memcg-dead-reparent', '--jobs', '2').status).toBe(0);
  });

  /*
   * Every bug switch, a short unguided campaign: run i of a seed is the
   * same case on every machine, and a controlled run is deterministic, so
   * a fixed (seed, runs) finds the switch every time.  (A guided campaign
   * with --jobs 1 is deterministic too - only controlled runs cover pairs -
   * but not one with --jobs 2: which runs finished when run i is drawn
   * varies.)
   * Measured with `fuzz --bug B --seed S --runs 150 --jobs 2
   * --no-guide` for seeds 1-3, and where that found nothing or only late,
   * up to 500 runs on seeds 1-5, 150 on seeds 6-10 and 60 on seeds 11-20:
   * @runs is one past the first run index whose find was a controlled run
   * (the journal's per-run sites; every pinned run's case, run again
   * without the switch, is clean).  The first controlled find per seed,
   * '-' none:
   *   swapoff-vs-swapin         -, 33, 22            scan-border             69, 2, 28
   *   percpu-cluster-migration  31, 32, -            swapcache-large-folio   0, 3, 6
   *   memcg-dead-reparent       0, 1, 3              batch-free-memcg        122, 28, -
   *   zero-flag-unlocked        21, 1, -             swapin-no-pte-recheck   40, 19, 4 (*)
   *   ghost-cluster-tail        3, 19, 14            rcu-table-free-unfilled 7, 3, 6
   *   zswap-writeback-stale     -, 130, -, 45, 53    zswap-writeback-leak    -, 130, -, 45, 53
   *   swapin-skip-swapcache     429, -, -, -, - (500 runs); -, 142, -, 6, - (seeds 6-10)
   *   ghost-cluster-relookup    270, 390, -, -, 191 (500 runs); -, -, -, -, 114 (seeds 6-10);
   *                             -, -, -, 14, -, 27, -, -, 56, - (seeds 11-20)
   *   ghost-swapoff-allocation  -, -, -, -, 79 (500 runs); -, -, -, -, 89 (seeds 6-10); none in 11-20
   *   rcu-lazy-table-free       -, -, -, 118, 132 (500 runs); -, -, 134, -, - (seeds 6-10); none in 11-20
   * (*) seeds 2 and 3 measured again when one case in six became a PMD-size THP case
   * (seed 2's first find moved from run 7 to 19; the other pins held).
   * Seed 3's moved from run 12 to 4 when PCT became fair (src/sched/pct.ts):
   * in run 4 a CPU left runnable and unchosen for 41 k steps now runs after
   * 32 k, and the window opens; the other pins held.
   * The last two are not pinned: their first finds (seed 5 run 79, seed 4
   * run 118) would cost the suite some 20 s; test/repro.test.ts
   * reproduces both races.
   * Not pinned either: count-overflow and end-writeback-noref, found by no
   * controlled run of seeds 1-5 in 500 runs (nor 6-10 in 150) unguided,
   * nor of seeds 1-5 in 500 runs guided (--jobs 2); the finds those
   * campaigns made (seed 4 run 329 and seed 5 run 281: data; seed 9 run
   * 41: accounting; seed 18 run 3: data) were the model's own bugs, since
   * fixed (zswap entry ids reset at swapon; a full device on the avail
   * list, which the kernel too leaves there).
   * `repro count-overflow` and `repro end-writeback-noref` reproduce them.
   * Any change to the case generator (src/harness/fuzz_case.ts) or to
   * the model's scheduling points redraws every case: measure again.
   */
  const SWITCHES: [bug: string, seed: number, runs: number][] = [
    ['swapoff-vs-swapin', 3, 23],
    ['percpu-cluster-migration', 1, 32],
    ['scan-border', 2, 3],
    ['swapcache-large-folio', 1, 1],
    ['memcg-dead-reparent', 1, 1],
    ['batch-free-memcg', 2, 29],
    ['zero-flag-unlocked', 2, 2],
    ['swapin-no-pte-recheck', 3, 5],
    ['ghost-cluster-tail', 1, 4],
    ['ghost-cluster-relookup', 14, 15],
    ['rcu-table-free-unfilled', 2, 4],
    ['zswap-writeback-stale', 4, 46],
    ['zswap-writeback-leak', 4, 46],
    ['swapin-skip-swapcache', 9, 7],
  ];
  /*
   * The campaign's own execution path, in this process: run i of the
   * campaign `fuzz --bug B --seed S --no-guide` is fresh_case(S, i) on the
   * designs that have B's code, executed by fuzz_exec() as a job thread
   * executes it (its CPU pool kept from one test to the next).  What the
   * CLI adds around it - saving a find, shrinking it, the saved file
   * replayed by `repro --replay` - is the bug-switch campaign's test
   * above; here every pin costs only its runs.
   */
  for (const [bug, seed, runs] of SWITCHES) {
    it(`finds ${bug} (seed ${seed}, ${runs} runs), only in designs with its code, and its schedule replays to the same invariant`, async () => {
      console.log(`fuzz --bug ${bug} --seed ${seed} --runs ${runs} --no-guide`);
      const limits = { designs: fuzz_designs(bug, implemented_designs()), maxCpus: 4 };
      const races = load_catalogue().filter((sc) => sc.bug === bug);
      let first: { c: FuzzCase; r: FuzzResult } | null = null;
      for (let i = 0; i < runs; i++) {
        const c = fresh_case(seed, i, limits, bug);
        const r = await fuzz_exec(c);
        if (r.findings.length === 0) continue;
        if (races.length > 0) expect(races.flatMap((sc) => sc.designs), `run ${i} found it on ${c.design}`).toContain(c.design);
        if (c.sched.kind !== 'free') first ??= { c, r };
      }
      expect(first, 'a controlled run found it').not.toBeNull();
      expect(first!.c.index).toBe(runs - 1);
      const again = await fuzz_exec(first!.c, decode_schedule(first!.r.schedule));
      expect(again.findings[0]?.invariant).toBe(first!.r.findings[0].invariant);
      expect(again.steps).toBe(first!.r.steps);
    });
  }
  /*
   * `fuzz --max-cpus 8 --seed 53` drew runs 72 and 863 with eight CPUs
   * of 256 pages on 512 frames: their setup writes 8 x 128 pages before
   * any reclaim, and both failed it with ENOMEM (abnormal runs, nothing
   * tested).  The machine now gets the RAM the setup needs.
   */
  it('eight CPUs of 256 pages get the frames their setup writes (fuzz --max-cpus 8 --seed 53 runs 72 and 863 failed it with ENOMEM): both set up and run', async () => {
    const limits = { designs: fuzz_designs(null, implemented_designs()), maxCpus: 8 };
    for (const index of [72, 863]) {
      const c = fresh_case(53, index, limits, null);
      const procs = c.scenario.setup.filter((op) => op.op === 'mm' && /^p\d+$/.test(op.as)).length;
      expect(procs, `run ${index}`).toBe(8);
      expect(c.scenario.system.frames, `run ${index}`).toBeGreaterThanOrEqual((procs * c.scenario.system.mmPages) / 2);
      const r = await fuzz_exec(c);
      expect(r.abnormal, `run ${index}`).toBeNull();
    }
  });
  /*
   * `fuzz --design p2,p3,p4 --max-cpus 8 --seed 505` drew runs 5 and 365:
   * PMD-size cases of eight CPUs on 2048 frames, whose CPU 0 writes its
   * 256 pages in one 512-page folio - 2,304 frames to set up, with two
   * devices of 4 and 3 pages taking none of it.  Both failed the setup
   * with ENOMEM; the RAM now counts the whole folio.
   */
  it('a PMD-size case of eight CPUs gets the frames of CPU 0\'s whole 512-page folio (fuzz --max-cpus 8 --seed 505 runs 5 and 365 failed their setup with ENOMEM): both set up and run', async () => {
    const limits = { designs: ['p2', 'p3', 'p4'] as DesignName[], maxCpus: 8 };
    for (const index of [5, 365]) {
      const c = fresh_case(505, index, limits, null);
      const writes = c.scenario.setup.filter((op) => op.op === 'write');
      expect(writes.map((w) => 'order' in w && w.order).filter((o) => o === PMD_ORDER), `run ${index}`).toHaveLength(1);
      expect(writes, `run ${index}`).toHaveLength(8);
      expect(c.scenario.system.frames, `run ${index}`).toBeGreaterThanOrEqual(7 * 256 + 512);
      const r = await fuzz_exec(c);
      expect(r.abnormal, `run ${index}`).toBeNull();
    }
  });
  afterAll(fuzz_exec_teardown);

  it('coverage guidance: on the synthetic target (a bug behind a rare pair of points) guided campaigns need fewer runs than unguided ones', () => {
    /*
     * Three seeds each way, one job (deterministic); the first find's run
     * count, or the budget when not found.  Measured over seeds 1-5,
     * guided: 712, 297, 672, 1152, 24 runs; unguided: 1255, -, 1503, -, 52.
     * Seeds 1, 3, 5 are the ones where unguided campaigns find it at all.
     */
    const BUDGET = 3000;
    const firstFind = (seed: number, guide: boolean): number => {
      const r = run('--target', 'synthetic', '--runs', String(BUDGET), '--seed', String(seed), '--corpus', tmp(), '--jobs', '1', '--stop-on-find', ...(guide ? [] : ['--no-guide']), '--json');
      expect([0, 1], r.stderr).toContain(r.status);
      const doc = JSON.parse(r.stdout) as { firstFind: { runs: number } | null; failures: { invariant: string }[] };
      for (const f of doc.failures) expect(f.invariant).toBe('data');
      return doc.firstFind?.runs ?? BUDGET;
    };
    const seeds = [1, 3, 5];
    const guided = seeds.map((s) => firstFind(s, true));
    const unguided = seeds.map((s) => firstFind(s, false));
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`synthetic target, seeds ${seeds.join(',')}: first find guided ${guided.join(', ')} runs (median ${median(guided)}), unguided ${unguided.join(', ')} (median ${median(unguided)})`);
    expect(median(guided)).toBeLessThan(median(unguided));
    expect(guided.filter((x) => x < BUDGET).length).toBe(seeds.length);
  });

  it('a generated case whose set-up fails is an abnormal run, not the end of the campaign', async () => {
    const c = fresh_case(5, 0, { designs: ['p4'], maxCpus: 2 }, null);
    /* More pages written at set-up than the machine has frames, with nowhere to swap them. */
    const sc = { ...c.scenario, system: { ...c.scenario.system, devices: [{ kind: 'ssd' as const, pages: 16 }], frames: 64, mmPages: 1024 }, setup: [{ op: 'mm' as const, as: 'p0' }, { op: 'write' as const, mm: 'p0', page: 0, nr: 1024, order: 0, zero: false }] };
    const r = await fuzz_exec({ ...c, scenario: sc });
    expect(r.abnormal).toMatch(/setup\[1\]: write failed with ENOMEM/);
    expect(r.findings).toEqual([]);
  });

  it('--shard 1/2 and --shard 2/2 run exactly the unsharded campaign\'s runs', () => {
    const all = tmp();
    const a = tmp();
    const b = tmp();
    const common = ['--runs', '10', '--seed', '5', '--design', 'p4', '--no-guide', '--max-cpus', '2'];
    expect([0, 1]).toContain(run(...common, '--corpus', all).status);
    expect([0, 1]).toContain(run(...common, '--corpus', a, '--shard', '1/2').status);
    expect([0, 1]).toContain(run(...common, '--corpus', b, '--shard', '2/2').status);
    const sa = indices(a, 'campaign-1of2.jsonl');
    const sb = indices(b, 'campaign-2of2.jsonl');
    expect(sa.filter((i) => sb.includes(i))).toEqual([]);
    expect([...sa, ...sb].sort((x, y) => x - y)).toEqual(indices(all));
    const seeds = (d: string, f: string) => Object.fromEntries(read_journal(join(d, f)).lines.map((l) => [l.index, l.seed]));
    expect({ ...seeds(a, 'campaign-1of2.jsonl'), ...seeds(b, 'campaign-2of2.jsonl') }).toEqual(seeds(all, 'campaign.jsonl'));
    const m = spawnSync(process.execPath, [BIN, 'fuzz', 'merge', a, b, '--into', tmp(), '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(m.status).toBe(0);
    /* A missing input is bad usage, and is not created by the merge. */
    const missing = join(tmp(), 'no-such-corpus');
    const bad = spawnSync(process.execPath, [BIN, 'fuzz', 'merge', missing, a], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/no corpus directory/);
    expect(existsSync(missing)).toBe(false);
    expect((JSON.parse(m.stdout) as { runs: number }).runs).toBe(10);
    /*
     * Journals are joined, not copied when the name is free: merging a
     * shard into a corpus that holds an earlier merge of it keeps every
     * run of both (the earlier copy was kept whole, and the new runs
     * lost); two campaigns' journals of one name are refused.
     */
    const into = tmp();
    const part = tmp();
    writeFileSync(join(part, 'campaign-1of2.jsonl'), readFileSync(join(a, 'campaign-1of2.jsonl'), 'utf8').split('\n').slice(0, 3).join('\n') + '\n');
    const merge = (...dirs: string[]) => spawnSync(process.execPath, [BIN, 'fuzz', 'merge', ...dirs, '--into', into, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(merge(part).status).toBe(0);
    expect(indices(into, 'campaign-1of2.jsonl')).toEqual(indices(part, 'campaign-1of2.jsonl'));
    expect(merge(a).status).toBe(0);
    expect(indices(into, 'campaign-1of2.jsonl')).toEqual(sa);
    const other = tmp();
    expect([0, 1]).toContain(run('--runs', '2', '--seed', '6', '--design', 'p4', '--no-guide', '--max-cpus', '2', '--corpus', other).status);
    const clash = spawnSync(process.execPath, [BIN, 'fuzz', 'merge', all, other, '--into', tmp()], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(clash.status).toBe(2);
    expect(clash.stderr).toMatch(/\(seed 6 shard 1\/1 designs p4 max-cpus 2\) and .* \(seed 5 shard 1\/1 designs p4 max-cpus 2\) journal different campaigns under one name.*--failures-only/);
    /* --failures-only: the two campaigns' failures (none here) and abnormal records in one corpus, no journal. */
    const triage = tmp();
    const both = spawnSync(process.execPath, [BIN, 'fuzz', 'merge', all, other, '--into', triage, '--failures-only', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(both.status, both.stderr).toBe(0);
    expect(JSON.parse(both.stdout)).toMatchObject({ runs: null, coveragePairs: null });
    expect(readdirSync(triage).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  });

  it('--resume takes seed and shard from the journal; a flag that differs from it, or no journal, is exit 2 with one line', () => {
    const dir = tmp();
    const common = ['--corpus', dir, '--design', 'p4', '--max-cpus', '2', '--no-progress'];
    expect([0, 1]).toContain(run('--runs', '6', '--seed', '9', '--shard', '2/2', ...common).status);
    const journal = 'campaign-2of2.jsonl';
    expect(indices(dir, journal)).toEqual([1, 3, 5]);
    /* No --seed, no --shard: the journal's; the campaign goes on where it stopped. */
    const r = run('--runs', '10', '--resume', '--corpus', dir);
    expect([0, 1], r.stderr).toContain(r.status);
    expect(r.stderr).toContain(`swaptorture fuzz: resuming ${join(dir, journal)}: seed 9, shard 2/2, 3 runs journalled`);
    expect(indices(dir, journal)).toEqual([1, 3, 5, 7, 9]);
    expect(read_journal(join(dir, journal)).header?.campaign).toMatchObject({ seed: 9, shard: '2/2', designs: ['p4'], maxCpus: 2 });
    /* A flag given with --resume must be the journal's. */
    const bad: [string[], string][] = [
      [['--seed', '10'], `--seed: 10 given, but the campaign journalled in ${join(dir, journal)} has seed 9`],
      [['--shard', '1/2'], `--shard: 1/2 given, but the campaign journalled in ${dir} is shard 2/2`],
      [['--max-cpus', '3'], `--max-cpus: 3 given, but the campaign journalled in ${join(dir, journal)} has max-cpus 2`],
      [['--bug', 'count-overflow'], `--bug: count-overflow given, but the campaign journalled in ${join(dir, journal)} has bug none`],
    ];
    for (const [args, msg] of bad) {
      const b = run('--runs', '12', '--resume', '--corpus', dir, ...args);
      expect(b.status, args.join(' ')).toBe(2);
      expect(b.stderr).toBe(`swaptorture fuzz: ${msg} (leave ${args[0]} out to go on with it)\n`);
    }
    /* The matching flags are fine. */
    expect([0, 1]).toContain(run('--runs', '12', '--resume', '--seed', '9', '--shard', '2/2', ...common).status);
    expect(indices(dir, journal)).toEqual([1, 3, 5, 7, 9, 11]);
    /* No journal: an error, not a new campaign. */
    const empty = tmp();
    const none = run('--runs', '2', '--resume', '--corpus', empty);
    expect(none.status).toBe(2);
    expect(none.stderr).toBe(`swaptorture fuzz: --resume: no campaign journal in ${empty}\n`);
    expect(readdirSync(empty)).toEqual([]);
    const missing = join(empty, 'no-such-dir');
    expect(run('--resume', '--corpus', missing).stderr).toBe(`swaptorture fuzz: --resume: no campaign journal in ${missing}\n`);
    expect(existsSync(missing)).toBe(false);
  }, 300_000);

  it('Ctrl-C: nothing new found is exit 130 with the summary so far; a new failure found before it is still exit 1', async () => {
    console.log('fuzz Ctrl-C seeds 3 (clean) and 2 (memcg-dead-reparent)');
    /* Interrupted once the campaign printed its first statistics line. */
    const clean = await interrupt(['fuzz', '--runs', '100000', '--seed', '3', '--corpus', tmp(), '--design', 'p4', '--max-cpus', '2', '--jobs', '1', '--stat-interval', '1'], /fuzz: \d+ runs, /);
    expect(clean.code).toBe(130);
    expect(clean.stderr).toMatch(/SIGINT: finishing the runs in flight/);
    expect(clean.stdout).toMatch(/^interrupted\s+Ctrl-C: the runs in flight finished; --resume goes on$/m);
    expect(clean.stdout).toMatch(/^unique failures \(new\)\s+0 \(0\)$/m);
    /* memcg-dead-reparent is found in run 1 of seed 2 (the first test): interrupted once it is reported. */
    const found = await interrupt(['fuzz', '--runs', '100000', '--seed', '2', '--corpus', tmp(), '--bug', 'memcg-dead-reparent', '--jobs', '1', '--json'], /FAILURE \[/);
    expect(found.code).toBe(1);
    const doc = JSON.parse(found.stdout) as { interrupted: boolean; newFailures: number };
    expect(doc.interrupted).toBe(true);
    expect(doc.newFailures).toBeGreaterThan(0);
  }, 300_000);

  it('--resume after SIGKILL (its last journal line torn) repeats no finished run and loses none', async () => {
    const dir = tmp();
    const args = [BIN, 'fuzz', '--runs', '30', '--seed', '9', '--corpus', dir, '--design', 'p4', '--max-cpus', '2', '--no-progress'];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
    /* Kill it once a few runs are journalled. */
    for (let t = 0; t < 600; t++) {
      await new Promise((r) => setTimeout(r, 50));
      if (existsSync(join(dir, 'campaign.jsonl')) && read_journal(join(dir, 'campaign.jsonl')).lines.length >= 4) break;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    /* A kill in the middle of a write: the last line torn (the resumed campaign's first line was appended to it, and lost). */
    const journal = join(dir, 'campaign.jsonl');
    truncateSync(journal, statSync(journal).size - 15);
    const before = indices(dir);
    console.log(`killed after ${before.length} runs`);
    expect(before.length).toBeGreaterThanOrEqual(3);
    const r = spawnSync(process.execPath, [...args, '--resume'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect([0, 1]).toContain(r.status);
    const after = indices(dir);
    expect(after).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(new Set(after).size).toBe(after.length);
  });
});

describe('damaged corpus files', () => {
  it('a failure record, journal or corpus directory that does not hold what fuzz wrote is exit 2 naming the field, never run', () => {
    const dir = tmp();
    expect(run('--runs', '2', '--seed', '2', '--corpus', dir, '--bug', 'memcg-dead-reparent', '--jobs', '1').status).toBe(1);
    const failure = join(dir, 'failures', readdirSync(join(dir, 'failures')).find((f) => f.endsWith('.json') && !f.includes('trace'))!);
    const good = JSON.parse(readFileSync(failure, 'utf8')) as { case: { design: string; seed: unknown; scenario: { system: { mms: number } } }; schedule: unknown; shrunkSchedule: unknown };
    const broken: [string, (d: typeof good) => void, RegExp][] = [
      ['design', (d) => { d.case.design = 'p9'; }, /case\.design: /],
      ['seed', (d) => { d.case.seed = 'x'; }, /case\.seed: /],
      ['mms', (d) => { d.case.scenario.system.mms = 100000; }, /case\.scenario\.system\.mms: Too big/],
      ['schedule', (d) => { d.schedule = 5; d.shrunkSchedule = null; }, /schedule: not a string: 5/],
    ];
    for (const [what, mutate, msg] of broken) {
      const d = JSON.parse(JSON.stringify(good)) as typeof good;
      mutate(d);
      const f = join(tmp(), 'failure.json');
      writeFileSync(f, JSON.stringify(d));
      const r = spawnSync(process.execPath, [BIN, 'repro', '--replay', f], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, what).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), what).toHaveLength(1);
      expect(r.stderr, what).toMatch(msg);
    }
    /* The journal: a run line without its pairs, a campaign line naming no bug switch. */
    const journal = join(dir, 'campaign.jsonl');
    const lines = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const [what, edit, msg] of [
      ['newPairs', (ls: Record<string, unknown>[]) => { delete ls[1].newPairs; }, /run \d's line: newPairs is not a list of pair ids/],
      ['bug', (ls: Record<string, unknown>[]) => { (ls[0].campaign as { bug: string }).bug = 'bogus'; }, /the campaign line's bug "bogus" is not a bug switch/],
    ] as [string, (ls: Record<string, unknown>[]) => void, RegExp][]) {
      const copy = tmp();
      const ls = JSON.parse(JSON.stringify(lines)) as Record<string, unknown>[];
      edit(ls);
      writeFileSync(join(copy, 'campaign.jsonl'), ls.map((l) => JSON.stringify(l)).join('\n') + '\n');
      const r = run('--runs', '4', '--resume', '--corpus', copy);
      expect(r.status, what).toBe(2);
      expect(r.stderr, what).toMatch(msg);
    }
    /* A fuzz record's replay draws no timeline: --trace is refused, not ignored. */
    const traced = spawnSync(process.execPath, [BIN, 'repro', '--replay', failure, '--trace', join(tmp(), 't.json')], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(traced.status).toBe(2);
    expect(traced.stderr).toMatch(/--trace: a fuzz record's replay draws no timeline/);
    /* fuzz merge's summary is the merged corpus's: what --into held counts too. */
    const into = tmp();
    const mergeInto = (d: string) => JSON.parse(spawnSync(process.execPath, [BIN, 'fuzz', 'merge', d, '--into', into, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }).stdout) as { runs: number; uniqueFailures: number };
    const first = mergeInto(dir);
    expect(first.uniqueFailures).toBe(1);
    expect(mergeInto(tmp())).toEqual({ ...first, failures: expect.anything() as unknown });
    /* A file where the corpus directory goes. */
    const r = run('--runs', '1', '--corpus', journal);
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd()).toBe(`swaptorture fuzz: --corpus: ${journal} is not a directory`);
  });
});
