/*
 * A hash of the model's state in the arena: every region but the
 * scheduler's and the harness's bookkeeping (scheduler state, recorded
 * schedule and runnable sets, footprint log, trace rings, coverage
 * bitmap, per-task statistics with their wall-clock hold times, and the
 * violation reports, which carry step numbers).  Two runs that end in the
 * same model state - however their steps were ordered - hash alike:
 * explore counts distinct terminal states with it.
 *
 * FNV-1a over (word index, value) of the non-zero words, two 32-bit
 * lanes with different offsets: a 64-bit hex string.
 *
 * Context: main thread, the run's arena attached, no run in flight.
 */
import { A } from './arena.js';
import type { Layout } from './layout.js';

/* [start, end) word ranges left out of the hash. */
function bookkeeping(L: Layout): [number, number][] {
  return [
    [L.report, L.rcuCb],
    [L.stats, L.pcpuRefs],
    [L.sched, L.vmap], /* SCHED, SCHED_TASK, the record, the trace rings */
    [L.coverage, L.totalWords], /* coverage, runnable masks, footprint log */
  ];
}

export function arena_state_hash(): string {
  const i32 = A.i32;
  /* Two words at a time: a float64 compares equal to 0 only when both are 0, or for -0 (checked). */
  const f64 = new Float64Array(A.sab, 0, A.L.totalWords >> 1);
  const skip = bookkeeping(A.L).sort((a, b) => a[0] - b[0]);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  /* The ranges between the skipped ones (region starts are even words), each scanned in a tight loop. */
  let from = 0;
  for (let k = 0; k <= skip.length; k++) {
    const to = k < skip.length ? Math.max(from, skip[k][0]) : A.L.totalWords;
    for (let d = from >> 1; d < to >> 1; d++) {
      if (f64[d] === 0 && i32[2 * d + 1] === 0) continue;
      for (let w = 2 * d; w < 2 * d + 2; w++) {
        const v = i32[w];
        if (v === 0) continue;
        h1 = Math.imul(h1 ^ w, 0x01000193);
        h1 = Math.imul(h1 ^ v, 0x01000193);
        h2 = Math.imul(h2 ^ v, 0x85ebca6b);
        h2 = Math.imul(h2 ^ w, 0xc2b2ae35);
      }
    }
    if (k < skip.length) from = Math.max(from, skip[k][1]);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
