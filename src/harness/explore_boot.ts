/*
 * explore's systems: a scenario's system is booted and set up once
 * (repro_build: devices created and swapped on, the setup operations run
 * on task 0), its arena copied aside, and every schedule starts from a
 * copy of that snapshot instead of a fresh boot.
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
 * Cost (swapoff-vs-swapin, 4.4 MB arena, main-thread profile of 1,024
 * schedules): a fresh boot was 1.33 ms a schedule (0.76 ms allocating a
 * zeroed SharedArrayBuffer, 0.57 ms booting, swapon, setup); the restore,
 * one copy of 2.9 MB, is 0.14 ms.
 *
 * Context: main thread; the CPUs of the pool parked between runs.
 */
import { A, attach } from '../shm/arena.js';
import type { DesignName } from '../mm/swap_design.js';
import type { Scenario } from '../scenario/fields.js';
import { repro_build, type Built } from './repro.js';

/** A booted system and the words to put back before each schedule. */
export interface ExploreBoot extends Built {
  /* [start, end) word ranges of the arena copied, and their contents, back to back. */
  ranges: [number, number][];
  words: Int32Array;
  /* The label table as setup left it. */
  labelsBooted: Int32Array;
}

/** Boot @sc's system once and keep its arena.  Context: main thread; throws ScenarioSetupError as repro_build does. */
export function explore_boot(sc: Scenario, seed: number, fixed: boolean, design: DesignName, exploreLog: number): ExploreBoot {
  const built = repro_build(sc, seed, fixed, design, exploreLog);
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
  return { ...built, ranges, words, labelsBooted: built.labels.slice() };
}

/** Put @b's system back as explore_boot() left it, for the next schedule.  Context: main thread, no run in flight. */
export function explore_restore(b: ExploreBoot): void {
  attach(b.sys.handle);
  b.labels.set(b.labelsBooted);
  let at = 0;
  for (const [lo, hi] of b.ranges) {
    A.i32.set(b.words.subarray(at, at + hi - lo), lo);
    at += hi - lo;
  }
}
