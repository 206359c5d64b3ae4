/*
 * explore's footprints on the main thread: the log the workers wrote
 * (src/sched/footprint.ts records it) read back per step, and the
 * independence relation the sleep sets use - two steps commute when
 * neither writes an 8-byte unit the other reads or writes.
 *
 * Context: main thread, the run's arena attached, no run in flight.
 */
import { A } from '../shm/arena.js';
import { EXPLORE_GLOBAL, EXPLORE_LOG } from '../shm/layout.js';

/**
 * One step's footprint: the 8-byte units it wrote (units[0..nw)) and
 * read (units[nw..)), each part sorted - one small array, as a search at
 * K=2 keeps one for every step of every queued branch - or global
 * (dependent with everything).
 */
export interface Footprint {
  global: boolean;
  nw: number;
  units: number[];
}

const GLOBAL_FP: Footprint = { global: true, nw: 0, units: [] };

/** The footprints of steps 0..@steps-1 of the run just ended; a step missing from the log is global.  Context: main thread, arena of the run attached. */
export function footprint_read(steps: number): Footprint[] {
  const i32 = A.i32;
  const base = A.L.exploreLog;
  const used = i32[base + EXPLORE_LOG.used];
  const out: Footprint[] = new Array<Footprint>(steps).fill(GLOBAL_FP);
  let at = EXPLORE_LOG.HEADER;
  while (at < used) {
    const s = -i32[base + at++] - 1;
    const r: number[] = [];
    const w: number[] = [];
    let global = false;
    for (; at < used && i32[base + at] >= 0; at++) {
      const v = i32[base + at];
      if (v === EXPLORE_GLOBAL) global = true;
      else ((v & 1) ? w : r).push(v >>> 1);
    }
    const up = (x: number, y: number): number => x - y;
    if (s >= 0 && s < steps) out[s] = global ? GLOBAL_FP : { global: false, nw: w.length, units: [...w.sort(up), ...r.sort(up)] };
  }
  return out;
}

/* Do the sorted runs @a[alo..ahi) and @b[blo..bhi) share an element? */
function meets(a: number[], alo: number, ahi: number, b: number[], blo: number, bhi: number): boolean {
  let i = alo;
  let j = blo;
  while (i < ahi && j < bhi) {
    if (a[i] === b[j]) return true;
    if (a[i] < b[j]) i++;
    else j++;
  }
  return false;
}

/** Steps @a and @b commute: neither writes what the other reads or writes, and neither is global. */
export function footprint_independent(a: Footprint, b: Footprint): boolean {
  if (a.global || b.global) return false;
  const na = a.units.length;
  const nb = b.units.length;
  return !meets(a.units, 0, a.nw, b.units, 0, b.nw) && !meets(a.units, 0, a.nw, b.units, b.nw, nb) && !meets(b.units, 0, b.nw, a.units, a.nw, na);
}
