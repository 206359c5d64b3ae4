/*
 * Suite "stress": total swap operations per second of `swaptorture stress`
 * on the default mix with 1, 2 and 4 CPUs (checks, lockdep, swapoff cycles
 * and shuffles on: the run as users run it), the share of the CPUs' time
 * spent holding a cluster lock, and the ratio to the raw uncontended
 * spinlock lock+unlock rate measured in the same process.
 *
 *   npm run bench -- --suite stress            (3 runs of 20 s per CPU count)
 *
 * A swap operation is one page swapped out or in (zero pages included:
 * vmstat's pswpout + swpout_zero + pswpin + swpin_zero); every swap-out is
 * one slot allocation, freed again when the page comes back or dies.  Each
 * row is the median of RUNS runs (these machines are shared and noisy);
 * "x baseline" is the time per swap operation over the time per
 * uncontended spin_lock+spin_unlock pair.
 */
import { Bench } from 'tinybench';
import { lockClass } from '../src/sync/lockdep.js';
import { selftest_scratch } from '../src/harness/torture.js';
import { stressRuns } from './stress_runs.js';
import { rowsFromBench, type BenchOptions, type BenchRow, type BenchSuite, median } from './common.js';
import { addSpinLock, benchArena, SPIN_LOCKDEP_ON } from './raw.js';

const OPS = 1000;
const RUNS = 3;
/*
 * 20 s, not 5: the first ~2 s of a run go at half speed (each worker's
 * JIT warming up, tables and clusters being populated for the first
 * time); `--stat-interval 2` shows ops per 2 s of 105 k, then 176-208 k.
 * A 5-s run measured mostly the warm-up, not what the mix sustains.
 */
const SECONDS = 20;
const CPU_COUNTS = [1, 2, 4];

async function run(opts: BenchOptions): Promise<BenchRow[]> {
  /* The raw rate first, in this process. */
  benchArena();
  const bench = new Bench({ name: 'stress', time: opts.time, warmupTime: opts.warmupTime, throws: true });
  addSpinLock(bench, OPS, selftest_scratch(32) + 16, lockClass('test_lock_a'));
  await bench.run();
  const rows = rowsFromBench('stress', bench, OPS, null).filter((r) => r.name === SPIN_LOCKDEP_ON);
  const spin = rows[0];

  for (const cpus of CPU_COUNTS) {
    const rs = await stressRuns({ cpus, seconds: SECONDS }, RUNS,
      (r, k) => `stress ${cpus} CPUs run ${k + 1}/${RUNS}: ${Math.round(r.swapOpsPerSec)} swap ops/s, ${(100 * r.clusterLockShare).toFixed(1)} % in &ci->lock`);
    const rates = rs.map((r) => r.swapOpsPerSec);
    const shares = rs.map((r) => r.clusterLockShare);
    const rate = median(rates);
    rows.push({
      suite: 'stress',
      name: `default mix, ${cpus} CPU${cpus > 1 ? 's' : ''}: swap ops`,
      opsPerSec: rate,
      nsPerOp: 1e9 / rate,
      vsBaseline: 1e9 / rate / spin.nsPerOp,
      baseline: SPIN_LOCKDEP_ON,
      samples: RUNS,
      rme: (100 * (Math.max(...rates) - Math.min(...rates))) / 2 / rate,
      extra: { clusterLockShare: median(shares), swapOpsPerSpinlockPair: rate / spin.opsPerSec },
    });
  }
  return rows;
}

export const suite: BenchSuite = {
  name: 'stress',
  description: 'swaptorture stress, default mix, 1/2/4 CPUs: swap operations per second (median of 3 x 20 s), share of time in &ci->lock, vs the raw spinlock rate',
  run,
};
