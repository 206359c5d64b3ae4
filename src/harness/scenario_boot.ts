/*
 * A scenario's system booted once, for many schedules: the system is
 * built and set up once (src/harness/scenario_build.ts: devices created
 * and swapped on, the setup operations run on task 0), its arena copied
 * aside, and every schedule starts from a copy of that snapshot instead
 * of a fresh boot.  explore runs every schedule from it; a repro search
 * too, each schedule with its own seed.
 *
 * Why this is the same run.  Everything a schedule's system is lies in
 * its arena (the model keeps no JavaScript-side state: designs, bug
 * switches, zswap, tasks, slabs, reports are arena words) and in the
 * scenario's label table (the ids of the processes and memcgs its
 * operations name: CPUs bind labels as they create them), and building
 * it is deterministic for a seed: so both are the same after every
 * repro_build(), and restoring them word for word gives the workers
 * exactly the system a fresh build would.  Left out of the copy are only
 * the regions a run writes before it reads them: the recorded schedule
 * (written step by step, the forced prefix by sched_init), the runnable
 * masks (written at every step) and the footprint log (its header reset
 * by sched_init).
 *
 * Another seed.  The seed of a build is in its arena only as each task's
 * random state (prandom_seed_tasks): when no task drew a random number
 * while the system was built and set up (prandom_tasks_unused), the
 * build of any other seed differs from this one in those words alone, and
 * the snapshot with them seeded again is that build.  A setup that drew
 * one (direct reclaim picks where to start scanning at random) shaped the
 * system by its seed: such a boot is not @reseedable, and a search of
 * many seeds builds each afresh.
 *
 * Cost (swapoff-vs-swapin, 4.4 MB arena, main-thread profile of 1,024
 * schedules): a fresh boot was 1.33 ms a schedule (0.76 ms allocating a
 * zeroed SharedArrayBuffer, 0.57 ms booting, swapon, setup); the restore,
 * one copy of 2.9 MB, is 0.14 ms.
 *
 * Context: main thread; the CPUs of the pool parked between runs.
 */
import { A, attach } from '../shm/arena.js';
import { prandom_seed_tasks, prandom_tasks_unused } from '../shm/task.js';
import type { DesignName } from '../mm/swap_design.js';
import type { Scenario } from '../scenario/fields.js';
import { repro_build, type Built } from './scenario_build.js';

/** A booted system and the words to put back before each schedule. */
export interface ScenarioBoot extends Built {
  /** The seed it was built with. */
  seed: number;
  /** Can it stand for the build of another seed (no task drew a random number while it was built)? */
  reseedable: boolean;
  /* [start, end) word ranges of the arena copied, and their contents, back to back. */
  ranges: [number, number][];
  words: Int32Array;
  /* The label table as setup left it. */
  labelsBooted: Int32Array;
}

/**
 * Boot @sc's system once (in @reuse, a spare buffer, if given) and keep its arena.
 * Context: main thread; throws ScenarioSetupError as repro_build does.
 */
export function scenario_boot(sc: Scenario, seed: number, fixed: boolean, design: DesignName, exploreLog: number, reuse?: SharedArrayBuffer): ScenarioBoot {
  const built = repro_build(sc, seed, fixed, design, exploreLog, reuse);
  const L = A.L;
  const ranges: [number, number][] = [
    [0, L.schedRecord],
    [L.trace, L.schedRunnable],
  ];
  const words = new Int32Array(ranges.reduce((n, [a, b]) => n + b - a, 0));
  let at = 0;
  for (const [a, b] of ranges) {
    words.set(A.i32.subarray(a, b), at);
    at += b - a;
  }
  return { ...built, seed, reseedable: prandom_tasks_unused(seed), ranges, words, labelsBooted: built.labels.slice() };
}

/**
 * Put @b's system back as scenario_boot() left it - as built with @seed
 * (default: its own) - for the next schedule.  Throws for another seed
 * when @b is not reseedable.  Context: main thread, no run in flight.
 */
export function scenario_restore(b: ScenarioBoot, seed = b.seed): void {
  if (seed !== b.seed && !b.reseedable) throw new Error(`scenario_restore: the boot of seed ${b.seed} drew random numbers, it cannot stand for seed ${seed}`);
  attach(b.sys.handle);
  b.labels.set(b.labelsBooted);
  let at = 0;
  for (const [lo, hi] of b.ranges) {
    A.i32.set(b.words.subarray(at, at + hi - lo), lo);
    at += hi - lo;
  }
  if (seed !== b.seed) prandom_seed_tasks(seed);
}
