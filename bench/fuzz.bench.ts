/*
 * Suite "fuzz": fuzzing campaign speed (docs/fuzzing.md's calibration figures):
 *
 *   node dist/bench/run.js --suite fuzz        (npm run bench -- --suite fuzz)
 *   node dist/bench/run.js --suite fuzz-finds  (npm run bench -- --suite fuzz-finds)
 *
 *  - executions per second of a seeded campaign (the defaults: guided) of EXEC_S
 *    seconds with --jobs 1 and --jobs 2 (median of 3 campaigns each, one
 *    process; long enough that the job threads' start-up does not count);
 *  - coverage guidance on the synthetic target (a bug behind a rare pair of
 *    points, src/harness/fuzz_synthetic.ts): runs to the first find,
 *    guided and unguided, median over 5 seeds (--jobs 1, 3000-run budget);
 *  - suite "fuzz-finds" (its own: it takes about half an hour): time to
 *    the first find of each bug switch, guided and unguided: the median
 *    over 3 campaign seeds of a campaign bounded at BUDGET_S seconds (a
 *    switch not found in the budget counts as the budget and is flagged).
 * Every campaign writes to a temporary corpus.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run_fuzz } from '../src/harness/fuzz.js';
import type { FuzzOptions } from '../src/harness/fuzz_campaign.js';
import { fuzz_designs } from '../src/harness/fuzz_params.js';
import { implemented_designs } from '../src/designs/index.js';
import { BUG_SWITCHES } from '../src/shm/bugs.js';
import { median, type BenchOptions, type BenchRow, type BenchSuite } from './common.js';

const EXEC_S = 15;
const REPEATS = 3;
const BUDGET_S = 30;
const SYNTHETIC_BUDGET = 3000;

/** A seeded campaign on a temporary corpus: the defaults of `fuzz`, one job, 30 s, with @over. */
export async function campaign(over: Partial<FuzzOptions>): Promise<Awaited<ReturnType<typeof run_fuzz>>> {
  const corpus = mkdtempSync(join(tmpdir(), 'swt-bench-fuzz-'));
  try {
    return await run_fuzz({
      runs: 0, seconds: BUDGET_S, seed: 1, jobs: 1, corpus, resume: false, shard: { k: 1, n: 1 }, bug: null,
      designs: fuzz_designs(over.bug ?? null, implemented_designs()), maxCpus: 4, guide: true, statIntervalS: 0, ...over,
    }, { out: () => {}, err: () => {} });
  } finally {
    rmSync(corpus, { recursive: true, force: true });
  }
}

async function run(_opts: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const jobs of [1, 2]) {
    const rates: number[] = [];
    for (let k = 0; k < REPEATS; k++) rates.push((await campaign({ runs: 0, seconds: EXEC_S, seed: 3 + k, jobs })).execsPerSec);
    const rate = median(rates);
    process.stderr.write(`bench: fuzz --jobs ${jobs}: ${rates.map((r) => r.toFixed(1)).join(', ')} execs/s\n`);
    rows.push({
      suite: 'fuzz', name: `execs/s, --jobs ${jobs}, ${EXEC_S} s campaigns`, opsPerSec: rate, nsPerOp: 1e9 / rate, vsBaseline: null, baseline: null,
      samples: REPEATS, rme: (100 * (Math.max(...rates) - Math.min(...rates))) / 2 / rate,
    });
  }
  for (const guide of [true, false]) {
    const runs: number[] = [];
    for (let seed = 1; seed <= 5; seed++) runs.push((await campaign({ target: 'synthetic', runs: SYNTHETIC_BUDGET, seed, guide, stopOnFind: true })).firstFind?.runs ?? SYNTHETIC_BUDGET);
    const m = median(runs);
    process.stderr.write(`bench: fuzz synthetic target (${guide ? 'guided' : 'unguided'}): first find after ${runs.join(', ')} runs\n`);
    rows.push({
      suite: 'fuzz', name: `synthetic target, runs to first find, ${guide ? 'guided' : 'unguided'}`, opsPerSec: 1 / m, nsPerOp: m, vsBaseline: null, baseline: null,
      samples: runs.length, rme: 0, extra: { medianRuns: m },
    });
  }
  return rows;
}

export const suite: BenchSuite = {
  name: 'fuzz',
  description: 'fuzzing campaigns: execs/s with --jobs 1 and 2; runs to the first find on the synthetic target, guided and unguided',
  run,
};

/* Suite "fuzz-finds": the first finds, one row per bug switch and guidance (up to BUDGET_S x 3 seeds each: about half an hour). */
async function runFinds(_opts: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const b of BUG_SWITCHES) {
    for (const guide of [true, false]) {
      const times: number[] = [];
      let missed = 0;
      for (let k = 0; k < REPEATS; k++) {
        const r = await campaign({ bug: b.name, seed: 1 + k, jobs: 2, guide, stopOnFind: true });
        if (r.firstFind === null) missed++;
        times.push(r.firstFind?.seconds ?? BUDGET_S);
      }
      const t = median(times);
      process.stderr.write(`bench: fuzz first find ${b.name} (${guide ? 'guided' : 'unguided'}): ${times.map((x) => x.toFixed(1)).join(', ')} s${missed ? `, ${missed} not found in ${BUDGET_S} s` : ''}\n`);
      rows.push({
        suite: 'fuzz', name: `first find, ${b.name}, ${guide ? 'guided' : 'unguided'}${missed ? ` (${missed}/${REPEATS} not found in ${BUDGET_S} s)` : ''}`,
        opsPerSec: 1 / t, nsPerOp: t * 1e9, vsBaseline: null, baseline: null, samples: REPEATS, rme: 0, extra: { medianSeconds: t, missed },
      });
    }
  }
  return rows;
}

export const findsSuite: BenchSuite = {
  name: 'fuzz-finds',
  description: 'fuzzing campaigns: median time to the first find of each bug switch, guided and unguided (3 seeds, 30 s budget, --jobs 2)',
  run: runFinds,
};
