/*
 * lock_stat-lite: per lock class acquisitions, contended acquisitions and
 * spin iterations, counted per task in the arena's stats region (each task
 * writes only its own counters; the harness sums them), and hold times.
 *
 * Hold times are sampled: one acquisition in HOLD_SAMPLE_EVERY per thread
 * is timed from acquisition to release (performance.now() costs more than
 * the lock itself, so timing every hold would measure the timer).  The
 * longest sampled hold, the sum and the number of samples per class let
 * the harness estimate the time spent inside each lock class
 * (sum / samples x acquisitions).
 *
 * Kernel mapping: CONFIG_LOCK_STAT's /proc/lock_stat columns
 * acquisitions / contentions / holdtime-max / holdtime-total; locktorture's
 * per-CPU "Writes" counts.
 */
import { A } from '../shm/arena.js';
import { MAX_LOCK_CLASSES, STATS_HOLD_MAX, STATS_HOLD_N, STATS_HOLD_SUM, STATS_OPS, STATS_WORDS_PER_TASK } from '../shm/layout.js';
import { current } from '../shm/task.js';

export const LOCKSTAT_ACQUIRED = 0;
export const LOCKSTAT_CONTENDED = 1;
export const LOCKSTAT_SPINS = 2;

/* Offset of counter @what of class @cls in a task's stats. */
function statOffset(cls: number, what: number): number {
  return cls * 3 + what;
}

function statWord(t: number, cls: number, what: number): number {
  return A.L.stats + t * STATS_WORDS_PER_TASK + statOffset(cls, what);
}

/** One acquisition in this many is timed until its release. */
export const HOLD_SAMPLE_EVERY = 64;

/* This thread's sampling state (instrumentation of this thread only). */
let sampleTick = 0;
let sampleLock = -1;
let sampleCls = 0;
let sampleT0 = 0;

function holdWord(t: number, base: number, cls: number): number {
  return A.L.stats + t * STATS_WORDS_PER_TASK + base + cls;
}

/**
 * Count one acquisition of lock word @lock, class @cls, after @spins
 * failed attempts (@i32: A.i32, as the caller read it).  The contended
 * count and the hold sample are out of line: the uncontended fast path is
 * one increment and one tick.
 */
export function lockstat_acquired(i32: Int32Array, cls: number, spins: number, lock = -1): void {
  const w = A.cur_stats + statOffset(cls, LOCKSTAT_ACQUIRED);
  i32[w]++;
  if (spins > 0) lockstat_contended(w, spins);
  if (++sampleTick >= HOLD_SAMPLE_EVERY) lockstat_sample(cls, lock);
}

function lockstat_contended(w: number, spins: number): void {
  const i32 = A.i32;
  i32[w + LOCKSTAT_CONTENDED]++;
  i32[w + LOCKSTAT_SPINS] += spins;
}

/* Time this acquisition's hold, unless one is being timed (or @lock is not a lock word). */
function lockstat_sample(cls: number, lock: number): void {
  if (sampleLock >= 0 || lock < 0) return;
  sampleTick = 0;
  sampleLock = lock;
  sampleCls = cls;
  sampleT0 = performance.now();
}

/** Lock word @lock is being released: close its hold sample, if it has one. */
export function lockstat_released(lock: number): void {
  if (lock === sampleLock) lockstat_sample_end();
}

function lockstat_sample_end(): void {
  const us = (performance.now() - sampleT0) * 1000;
  sampleLock = -1;
  const i32 = A.i32;
  const t = current();
  const mw = holdWord(t, STATS_HOLD_MAX, sampleCls);
  if (us > i32[mw]) i32[mw] = Math.ceil(us);
  i32[holdWord(t, STATS_HOLD_SUM, sampleCls)] += Math.round(us * 10);
  i32[holdWord(t, STATS_HOLD_N, sampleCls)]++;
}

export interface LockStat {
  acquired: number;
  contended: number;
  spins: number;
  /** Longest sampled hold, microseconds. */
  maxHoldUs: number;
  /** Sum of the sampled holds, microseconds. */
  sumHoldUs: number;
  /** Holds sampled. */
  holdSamples: number;
}

/** Lock stats of class @cls for task @t. */
export function lockstat_read(t: number, cls: number): LockStat {
  const i32 = A.i32;
  return {
    acquired: Atomics.load(i32, statWord(t, cls, LOCKSTAT_ACQUIRED)),
    contended: Atomics.load(i32, statWord(t, cls, LOCKSTAT_CONTENDED)),
    spins: Atomics.load(i32, statWord(t, cls, LOCKSTAT_SPINS)),
    maxHoldUs: Atomics.load(i32, holdWord(t, STATS_HOLD_MAX, cls)),
    sumHoldUs: Atomics.load(i32, holdWord(t, STATS_HOLD_SUM, cls)) / 10,
    holdSamples: Atomics.load(i32, holdWord(t, STATS_HOLD_N, cls)),
  };
}

if (MAX_LOCK_CLASSES * 3 > STATS_OPS) throw new Error('lockstat: stats region too small');
