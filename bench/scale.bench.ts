/*
 * Suite "scale": how cost grows.
 *
 *   npm run bench -- --suite scale [--plot scale.svg]
 *
 * Rows (medians of RUNS runs each, taken in this one run so their ratios
 * travel between machines):
 *  - stress, default mix, swap operations/s against CPUs (1, 2, 4, 8; the
 *    last ones outnumber a 2-core machine's cores), as a ratio to the raw
 *    uncontended spin_lock+spin_unlock rate measured first;
 *  - stress, default mix on one SSD, 2 CPUs, swap operations/s against the
 *    device's size (64M to 64G), the same ratio, and the seconds swapon of
 *    the devices took (the run's CPU start-up);
 *  - the peak RSS of a whole `swaptorture stress` process against the
 *    device's size (a child process per size: 2 CPUs, RSS_S seconds), next
 *    to its prediction: the smallest device's RSS plus the swap metadata
 *    `swaptorture memory --size` says the larger device has more of
 *    (empty: a short run uses a few thousand of its slots);
 *  - fuzz executions/s against --jobs (1, 2, 4; the default campaign, seeded);
 *  - controlled-mode interleaving points/s against the length of the run
 *    (swap-mix on 2 CPUs, random strategy, 30 to 1000 operations per CPU),
 *    as a ratio to the raw futex round trips/s of the same machine.
 * A configuration this build cannot run (a device larger than the model
 * holds, say) is a row saying so, not an abort.
 * --plot FILE.svg draws the five series as line charts, one below the other.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { CpuPool } from '../src/harness/cpus.js';
import { createArena } from '../src/shm/arena.js';
import { lockClass } from '../src/sync/lockdep.js';
import { selftest_scratch } from '../src/harness/torture.js';
import { defaultStressOptions, parseDevices, validateStressOptions } from '../src/harness/stress_options.js';
import { measure_memory } from '../src/harness/memory.js';
import { line_chart_svg, type Series } from '../src/harness/plot.js';
import { STRATEGY_RANDOM } from '../src/sched/strategy.js';
import { median, rowsFromBench, type BenchOptions, type BenchRow, type BenchSuite } from './common.js';
import { addSpinLock, benchArena, futexRoundTripUs, SPIN_LOCKDEP_ON } from './raw.js';
import { controlledSpeed } from './controlled.js';
import { stressRuns } from './stress_runs.js';
import { campaign } from './fuzz.bench.js';

const RUNS = 3;
const STRESS_S = 10;
const RSS_S = 3;
const FUZZ_S = 10;
const CPU_COUNTS = [1, 2, 4, 8];
const SIZES = ['64M', '1G', '16G', '64G'];
const JOBS = [1, 2, 4];
const LENGTHS = [30, 100, 300, 1000];
const BIN = fileURLToPath(new URL('../../bin/swaptorture.js', import.meta.url));

const GIB = 2 ** 30;
const MIB = 2 ** 20;

/* A row of @perSec (median of @rates); with @base, its time per operation as a multiple of @base's (the same run's raw rate). */
function row(name: string, perSec: number, rates: number[], extra: Record<string, number>, base?: BenchRow): BenchRow {
  const spread = rates.length > 1 && perSec > 0 ? (100 * (Math.max(...rates) - Math.min(...rates))) / 2 / perSec : 0;
  const nsPerOp = perSec > 0 ? 1e9 / perSec : Infinity;
  return {
    suite: 'scale', name, opsPerSec: perSec, nsPerOp, vsBaseline: base === undefined ? null : nsPerOp / base.nsPerOp, baseline: base?.name ?? null,
    samples: rates.length, rme: spread, extra,
  };
}

/* A configuration not run: its row says why. */
function notRun(name: string, why: string): BenchRow {
  process.stderr.write(`bench: scale: ${name}: not run: ${why}\n`);
  return { ...row(`${name} (not run: ${why})`, 0, [], {}), nsPerOp: 0 };
}

/* RUNS stress runs of @over's configuration: median swap ops/s, median start-up seconds. */
async function stressMedians(over: { cpus: number; devices?: string }): Promise<{ rate: number; rates: number[]; startup: number }> {
  const rs = await stressRuns({ ...over, seconds: STRESS_S }, RUNS,
    (r, k) => `scale: stress ${JSON.stringify(over)} run ${k + 1}/${RUNS}: ${Math.round(r.swapOpsPerSec)} swap ops/s, start-up ${r.startupSeconds.toFixed(2)} s`);
  const rates = rs.map((r) => r.swapOpsPerSec);
  return { rate: median(rates), rates, startup: median(rs.map((r) => r.startupSeconds)) };
}

/* Why this build cannot run a device of @size (null: it can). */
function deviceProblem(size: string): string | null {
  try {
    validateStressOptions({ ...defaultStressOptions(), devices: parseDevices(`ssd:${size}`) });
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/* Peak RSS of a child `swaptorture stress` on one SSD of @size (2 CPUs, RSS_S seconds). */
function childRssBytes(size: string): number {
  const out = execFileSync(process.execPath, [BIN, 'stress', '--cpus', '2', '--seconds', String(RSS_S), '--seed', '1', '--devices', `ssd:${size}`, '--stat-interval', '0', '--no-progress', '--json'], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * MIB,
  });
  return (JSON.parse(out) as { maxRssBytes: number }).maxRssBytes;
}

function sizeBytes(size: string): number {
  return Number(size.slice(0, -1)) * (size.endsWith('G') ? GIB : MIB);
}

async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  /* The raw limits first, in this process. */
  benchArena();
  const bench = new Bench({ name: 'scale', time: opts.time, warmupTime: opts.warmupTime, throws: true });
  addSpinLock(bench, 1000, selftest_scratch(32) + 16, lockClass('test_lock_a'));
  await bench.run();
  const spin = rowsFromBench('scale', bench, 1000, null).find((r) => r.name === SPIN_LOCKDEP_ON)!;
  const spinRow: BenchRow = { ...spin, suite: 'scale', name: `raw: ${SPIN_LOCKDEP_ON}`, vsBaseline: 1, baseline: null };
  rows.push(spinRow);

  for (const cpus of CPU_COUNTS) {
    const s = await stressMedians({ cpus });
    rows.push(row(`stress, default mix, ${cpus} CPU${cpus > 1 ? 's' : ''}: swap ops`, s.rate, s.rates, { cpus }, spinRow));
  }
  for (const size of SIZES) {
    const why = deviceProblem(size);
    if (why !== null) {
      rows.push(notRun(`stress, ssd:${size}, 2 CPUs: swap ops`, why));
      continue;
    }
    const s = await stressMedians({ cpus: 2, devices: `ssd:${size}` });
    rows.push(row(`stress, ssd:${size}, 2 CPUs: swap ops`, s.rate, s.rates, { sizeBytes: sizeBytes(size), startupSeconds: s.startup }, spinRow));
  }
  /*
   * What a device should cost: the smallest device's RSS plus the
   * metadata `memory --size` says the larger one has more of (empty: a
   * short run uses a few thousand slots of it).
   */
  let first: { rss: number; meta: number } | null = null;
  for (const size of SIZES) {
    const why = deviceProblem(size);
    if (why !== null) {
      rows.push(notRun(`peak RSS, stress on ssd:${size}`, why));
      continue;
    }
    const rss: number[] = [];
    for (let k = 0; k < RUNS; k++) rss.push(childRssBytes(size) / MIB);
    const r = median(rss);
    const empty = measure_memory('p4', sizeBytes(size), 0).totalBytes / MIB;
    const full = measure_memory('p4', sizeBytes(size), 1).totalBytes / MIB;
    first ??= { rss: r, meta: empty };
    const predicted = first.rss + empty - first.meta;
    process.stderr.write(`bench: scale: peak RSS on ssd:${size}: ${rss.map((x) => x.toFixed(0)).join(', ')} MiB; predicted ${predicted.toFixed(1)} (memory --size ${size}: ${empty.toFixed(2)} MiB empty, ${full.toFixed(2)} MiB full)\n`);
    rows.push({
      ...row(`peak RSS, stress on ssd:${size}, 2 CPUs, ${RSS_S} s: MiB`, r, rss, { sizeBytes: sizeBytes(size), rssMiB: r, predictedMiB: predicted, rssVsPredicted: r / predicted, memoryEmptyMiB: empty, memoryFullMiB: full }),
      nsPerOp: 0,
    });
  }
  for (const jobs of JOBS) {
    const rates: number[] = [];
    for (let k = 0; k < RUNS; k++) rates.push((await campaign({ runs: 0, seconds: FUZZ_S, seed: 3 + k, jobs })).execsPerSec);
    process.stderr.write(`bench: scale: fuzz --jobs ${jobs}: ${rates.map((r) => r.toFixed(1)).join(', ')} execs/s\n`);
    rows.push(row(`fuzz, --jobs ${jobs}, ${FUZZ_S} s campaigns: execs`, median(rates), rates, { jobs }));
  }
  const pool = new CpuPool(createArena({}), 2);
  try {
    const rt = await futexRoundTripUs(pool);
    const futexRow = { ...row('raw: Atomics.wait/notify ping-pong: round trips', 1e6 / rt, [], { roundTripUs: rt }), vsBaseline: 1 };
    rows.push(futexRow);
    /* The pool's workers are fresh: one warm-up run first, or the short runs would measure the JIT's warm-up, not their length. */
    await controlledSpeed(pool, STRATEGY_RANDOM, LENGTHS[LENGTHS.length - 1], 1);
    for (const ops of LENGTHS) {
      const c = await controlledSpeed(pool, STRATEGY_RANDOM, ops, RUNS);
      process.stderr.write(`bench: scale: controlled swap-mix ${ops} ops: ${Math.round(c.pointsPerSec)} points/s (${c.steps} steps)\n`);
      rows.push(row(`controlled, random, swap-mix ${ops} ops/CPU on 2 CPUs: interleaving points`, c.pointsPerSec, [], { opsPerCpu: ops, steps: c.steps, handoffs: c.handoffs }, futexRow));
    }
  } finally {
    await pool.destroy();
  }
  return rows;
}

const sizeTick = (x: number): string => (x >= GIB ? `${x / GIB}G` : `${x / MIB}M`);

/* The series of @rows with extra field @x as x and @y (default: ops/s) as y. */
function series(name: string, rows: BenchRow[], match: RegExp, x: string, y?: string): Series {
  return { name, points: rows.filter((r) => match.test(r.name) && r.extra?.[x] !== undefined).map((r) => [r.extra![x], y === undefined ? r.opsPerSec : r.extra![y]]) };
}

/** The suite's charts, as SVG documents, from its rows.  Context: after run(). */
function charts(rows: BenchRow[]): string[] {
  return [
    line_chart_svg('stress, default mix: swap operations/s against CPUs', 'simulated CPUs (worker threads)', 'swap ops/s',
      [series('swap ops/s', rows, /^stress, default mix/, 'cpus')]),
    line_chart_svg('stress on one SSD, 2 CPUs: swap operations/s against device size', 'device size', 'swap ops/s',
      [series('swap ops/s', rows, /^stress, ssd:/, 'sizeBytes')], { logX: true, xTick: sizeTick }),
    line_chart_svg('peak RSS of a stress process against device size', 'device size', 'MiB',
      [series('peak RSS', rows, /^peak RSS/, 'sizeBytes', 'rssMiB'), series('predicted', rows, /^peak RSS/, 'sizeBytes', 'predictedMiB')], { logX: true, xTick: sizeTick }),
    line_chart_svg('fuzz: executions/s against --jobs', '--jobs', 'execs/s', [series('execs/s', rows, /^fuzz, --jobs/, 'jobs')]),
    line_chart_svg('controlled mode, random: interleaving points/s against run length', 'swap-mix operations per CPU', 'points/s',
      [series('points/s', rows, /^controlled, random/, 'opsPerCpu')], { logX: true }),
  ];
}

export const suite: BenchSuite = {
  name: 'scale',
  description: 'how cost grows: stress swap ops/s against CPUs and device size, peak RSS against device size, fuzz execs/s against --jobs, controlled points/s against run length',
  run,
  charts,
};
