/*
 * Fuzzing campaigns' abnormal runs.  Generated cases that once never
 * ended now end: a swapoff that did not wait for a zswap writeback in
 * flight, a bio_alloc() spinning on a free count one short, an allocator
 * retry loop starving the CPU swapoff waited for under PCT.  And an
 * abnormal run is saved with its case (<corpus>/abnormal/run-N.json) and
 * `repro --replay` runs it again: exit 0 when it ends the same way, 1
 * when not.  Seeds are fixed and printed.
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { skipEndCheckOfLast } from './quiescent.js';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/designs/index.js';
import { implemented_designs } from '../src/designs/index.js';
import { fresh_case } from '../src/harness/fuzz_case.js';
import { fuzz_exec, fuzz_exec_teardown } from '../src/harness/fuzz_exec.js';
import { fuzz_campaign_open, fuzz_record } from '../src/harness/fuzz_campaign.js';
import { abnormal_outcome, merge_corpora } from '../src/harness/fuzz_corpus.js';
import { repro_pool, run_once } from '../src/harness/repro.js';
import { load_catalogue } from '../src/scenario/load.js';
import { STRATEGY_PCT } from '../src/sched/strategy.js';
import type { DesignName } from '../src/mm/swap_design.js';
import type { FuzzCase } from '../src/harness/fuzz_types.js';
import { MAX_STEPS } from '../src/harness/scenario_build.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));
const FIVE: DesignName[] = ['p4', 'p3', 'p2', 'ghost', 'vswap'];

afterAll(async () => {
  await fuzz_exec_teardown();
});

describe('generated cases that once never ended', () => {
  const cases: { seed: number; index: number; designs: DesignName[]; why: string }[] = [
    { seed: 5, index: 383, designs: FIVE, why: 'try_to_unuse() waits for the writeback of a zswap writeback folio before folio_free_swap()' },
    { seed: 5, index: 336, designs: FIVE, why: 'bio_endio() counts the free bio under bio_lock: bio_alloc() never sees -1 free' },
    { seed: 2718, index: 94, designs: implemented_designs(), why: 'PCT runs a CPU starved by an allocator rescanning its lists while swapoff waits for that CPU' },
  ];
  for (const k of cases) {
    it(`end: fresh case ${k.index} of seed ${k.seed} (${k.why})`, async () => {
      const c = fresh_case(k.seed, k.index, { designs: k.designs, maxCpus: 4 }, null);
      console.log(`fresh_case(${k.seed}, ${k.index}): ${c.design}, ${c.sched.kind}`);
      const r = await fuzz_exec(c);
      expect(r.abnormal).toBeNull();
      expect(r.findings).toEqual([]);
      expect(r.steps).toBeGreaterThan(0);
    });
  }
});

describe('a long generated case runs to its end', () => {
  it('a ghost swapoff of a 29-process case, 270,707 steps under PCT, ends and passes its checks (past the budget of 262,144 it was a livelock)', async () => {
    /* Run 2679 of `fuzz --design vswap,ghost --max-cpus 5 --seconds 240 --seed 404 --jobs 2` (a mutated case), saved as it was drawn. */
    const c = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fuzz-404-2679-ghost-swapoff.json'), 'utf8')) as FuzzCase;
    const r = await fuzz_exec(c);
    expect(r.abnormal).toBeNull();
    expect(r.findings).toEqual([]);
    expect(r.steps).toBeGreaterThan(262_144);
    expect(r.steps).toBeLessThanOrEqual(MAX_STEPS);
  });
});

describe('the dump of a run that could not finish', () => {
  it('names what each CPU was doing: its script\'s operation and its index, its filler, done, or the I/O completion task', async () => {
    const sc = load_catalogue().find((x) => x.race === 'swapoff-vs-swapin')!;
    const pool = repro_pool([sc]);
    try {
      console.log('swapoff-vs-swapin, seed 1, pct, cut at 40 steps');
      const r = await run_once(pool, sc, 1, true, { strategy: STRATEGY_PCT, k: 40, maxSteps: 40 }, undefined, 'p4');
      expect(r.abnormal).toMatch(/^livelock \(no end within 40 scheduler steps/);
      const dumps = r.abnormal!.slice(r.abnormal!.indexOf(': task ') + 2).split('; ');
      expect(dumps).toHaveLength(sc.cpus.length + 1);
      sc.cpus.forEach((c, i) => {
        const ops = c.ops.map((o) => o.op).join('|');
        expect(dumps[i]).toMatch(new RegExp(`^task ${i + 1} on cpu \\d+: op (filler \\(\\d+ of ${c.filler}\\)|(${ops}) \\(\\d+ of ${c.ops.length}\\)|done), .*progress \\d+`));
      });
      expect(dumps[sc.cpus.length]).toMatch(new RegExp(`^task ${sc.cpus.length + 1} on cpu \\d+: op I/O completion, `));
      /* Cut this early, some CPU is still inside an operation. */
      expect(dumps.some((d) => !/: op done, /.test(d))).toBe(true);
      /* Where each CPU inside an operation was: model functions only, innermost first, down to the operation's entry point. */
      for (const d of dumps.filter((x) => !/: op (done|I\/O completion), /.test(x))) {
        const chain = /, at ([\w$]+(?: <- [\w$]+)*)$/.exec(d)?.[1].split(' <- ');
        expect(chain, d).toBeDefined();
        expect(chain!.filter((f) => /^(wait_turn|schedule|on_point|on_wait|__point|point|exec_op|exec_op_ids)$/.test(f)), d).toEqual([]);
        if (/: op swapoff /.test(d)) expect(chain!.at(-1)).toBe('sys_swapoff');
        if (/: op (touch|write|read) /.test(d)) expect(chain!.at(-1)).toBe('handle_mm_fault');
      }
    } finally {
      skipEndCheckOfLast('cut at 40 steps: its CPUs stopped mid-operation');
      await pool.destroy();
    }
  });
});

describe('an abnormal run is saved with its case and replays', () => {
  it('names its outcome', () => {
    expect(abnormal_outcome('livelock (no end within 262144 scheduler steps: ...): task 1 on cpu 0: ...')).toBe('livelock');
    expect(abnormal_outcome('deadlock: task 1 on cpu 0: ...')).toBe('deadlock');
    expect(abnormal_outcome('cpu 2 task 3 program scenario-cpu: AbortError: stall: CPUs still running after 10000 ms')).toBe('stall');
    expect(abnormal_outcome('system.devices[0]: swapon /dev/sd0 failed: EINVAL')).toBe('setup');
    expect(abnormal_outcome('setup[3]: write failed with ENOMEM; every setup step must succeed')).toBe('setup');
    expect(abnormal_outcome('cpu 1 task 2 program scenario-cpu: TypeError: x is undefined')).toBe('error');
  });

  it('<corpus>/abnormal/run-N.json, printed with its replay command, gathered by fuzz merge; repro --replay exits 0 when it ends the same way, 1 when not', async () => {
    const corpus = mkdtempSync(join(tmpdir(), 'swt-abnormal-'));
    const err: string[] = [];
    const camp = fuzz_campaign_open({
      runs: 1, seconds: 0, seed: 7, jobs: 1, corpus, resume: false, shard: { k: 1, n: 1 }, bug: null, designs: ['p4'], maxCpus: 2, guide: false, statIntervalS: 0,
    }, { out: () => {}, err: (s) => err.push(s) });
    /* A case whose set-up runs out of memory (1024 pages written with 64 frames and 15 swap slots): it fails the same way every time. */
    const base = fresh_case(7, 0, { designs: ['p4'], maxCpus: 2 }, null);
    const c = {
      ...base,
      scenario: {
        ...base.scenario, system: { ...base.scenario.system, devices: [{ kind: 'ssd' as const, pages: 16 }], frames: 64, mmPages: 1024 },
        setup: [{ op: 'mm' as const, as: 'p0' }, { op: 'write' as const, mm: 'p0', page: 0, nr: 1024, order: 0, zero: false }],
      },
    };
    const r = await fuzz_exec(c);
    expect(r.abnormal).toMatch(/^setup\[1\]: /);
    fuzz_record(camp, c, r);
    expect(readdirSync(join(corpus, 'abnormal'))).toEqual(['run-0.json']);
    const file = join(corpus, 'abnormal', 'run-0.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { outcome: string; abnormal: string; case: unknown; replay: string };
    expect(doc.outcome).toBe('setup');
    expect(doc.abnormal).toBe(r.abnormal);
    expect(doc.case).toEqual(JSON.parse(JSON.stringify(c)));
    expect(err.join('')).toContain(`swaptorture fuzz: abnormal run 0 (${c.design}, ${c.sched.kind}): setup\n  saved: ${file}\n  replay: npx swaptorture repro --replay ${file}\n`);
    /* Counted as before, and listed for the summary (--json's abnormalRuns). */
    expect(camp.abnormal).toBe(1);
    expect(camp.abnormalRuns).toEqual([{ file, index: 0, design: c.design, outcome: 'setup' }]);

    const again = spawnSync(process.execPath, [BIN, 'repro', '--replay', file, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ file, reproduced: true, outcome: 'setup', abnormal: r.abnormal });

    /* fuzz merge gathers the records of every corpus (shards' run indices differ), leaving one already there alone. */
    const shard2 = mkdtempSync(join(tmpdir(), 'swt-abnormal-'));
    mkdirSync(join(shard2, 'abnormal'));
    writeFileSync(join(shard2, 'abnormal', 'run-1.json'), JSON.stringify({ ...doc, index: 1 }));
    writeFileSync(join(shard2, 'abnormal', 'run-0.json'), '{"not": "the same run 0"}');
    const into = mkdtempSync(join(tmpdir(), 'swt-abnormal-merged-'));
    expect(merge_corpora([corpus, shard2], into).abnormal).toBe(2);
    expect(readdirSync(join(into, 'abnormal')).sort()).toEqual(['run-0.json', 'run-1.json']);
    expect(readFileSync(join(into, 'abnormal', 'run-0.json'), 'utf8')).toBe(readFileSync(file, 'utf8'));
    /* Corpora of different campaigns (--failures-only): their run 0s are different runs, both kept; one merged again is not doubled. */
    const triage = mkdtempSync(join(tmpdir(), 'swt-abnormal-triage-'));
    expect(merge_corpora([corpus, shard2], triage, true)).toMatchObject({ runs: null, coveragePairs: null, abnormal: 3 });
    expect(merge_corpora([shard2], triage, true).abnormal).toBe(3);
    expect(readdirSync(join(triage, 'abnormal')).sort()).toEqual(['run-0-2.json', 'run-0.json', 'run-1.json']);
    expect(readFileSync(join(triage, 'abnormal', 'run-0-2.json'), 'utf8')).toBe('{"not": "the same run 0"}');

    /* A record whose run no longer ends so: not reproduced, exit 1, saying what happened instead. */
    const other = join(corpus, 'abnormal', 'run-1.json');
    writeFileSync(other, JSON.stringify({ ...doc, outcome: 'livelock' }));
    const not = spawnSync(process.execPath, [BIN, 'repro', '--replay', other], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(not.status, not.stderr).toBe(1);
    expect(not.stdout).toContain(`${other}: not reproduced (expected livelock): setup[1]: write failed with ENOMEM`);
  });
});
