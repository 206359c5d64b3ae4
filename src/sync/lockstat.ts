/*
 * lock_stat-lite: per lock class acquisitions, contended acquisitions and
 * spin iterations, counted per task in the arena's stats region (each task
 * writes only its own counters; the harness sums them).
 *
 * Kernel mapping: CONFIG_LOCK_STAT's /proc/lock_stat columns
 * acquisitions / contentions; locktorture's per-CPU "Writes" counts.
 */
import { A } from '../shm/arena.js';
import { MAX_LOCK_CLASSES, STATS_WORDS_PER_TASK } from '../shm/layout.js';
import { current } from './task.js';

export const LOCKSTAT_ACQUIRED = 0;
export const LOCKSTAT_CONTENDED = 1;
export const LOCKSTAT_SPINS = 2;

function statWord(t: number, cls: number, what: number): number {
  return A.L.stats + t * STATS_WORDS_PER_TASK + cls * 3 + what;
}

/** Count one acquisition of class @cls after @spins failed attempts. */
export function lockstat_acquired(cls: number, spins: number): void {
  const i32 = A.i32;
  const t = current();
  i32[statWord(t, cls, LOCKSTAT_ACQUIRED)]++;
  if (spins > 0) {
    i32[statWord(t, cls, LOCKSTAT_CONTENDED)]++;
    i32[statWord(t, cls, LOCKSTAT_SPINS)] += spins;
  }
}

export interface LockStat {
  acquired: number;
  contended: number;
  spins: number;
}

/** Lock stats of class @cls for task @t. */
export function lockstat_read(t: number, cls: number): LockStat {
  const i32 = A.i32;
  return {
    acquired: Atomics.load(i32, statWord(t, cls, LOCKSTAT_ACQUIRED)),
    contended: Atomics.load(i32, statWord(t, cls, LOCKSTAT_CONTENDED)),
    spins: Atomics.load(i32, statWord(t, cls, LOCKSTAT_SPINS)),
  };
}

if (MAX_LOCK_CLASSES * 3 > 128) throw new Error('lockstat: stats region too small');
