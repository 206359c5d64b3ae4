/*
 * A KASAN for the arena's arrays of structures: swap_info[], the per-CPU
 * and per-task areas, the mm_structs, the memcgs, the per-task event
 * counters.  Each is a stretch of one SharedArrayBuffer, so an index one
 * past the end (a loop bound off by one: t <= MAX_SWAPFILES) silently
 * reads or writes the neighbouring structure - what KASAN reports in the
 * kernel as slab-out-of-bounds.  With SWAPTORTURE_KASAN=1 in the
 * environment (the test suite's setting; worker threads inherit it) the
 * accessors check their index and an access out of bounds is a BUG
 * ('bug': "KASAN: out-of-bounds"); unset, the check is one test of a
 * constant per access.
 *
 * Context: any; read once at module load.
 */
import { parse_kasan } from './env.js';
import { BUG } from './report.js';

/** SWAPTORTURE_KASAN=1: the accessors check their index (a value other than 1, 0 or none: the command refuses it, src/shm/env.ts). */
export const kasan_enabled: boolean = parse_kasan(process.env.SWAPTORTURE_KASAN) === true;

/** Report @what[@idx] outside [0, @nr).  Context: any; called only when kasan_enabled. */
export function kasan_check_index(what: string, idx: number, nr: number): void {
  if (idx >= 0 && idx < nr) return;
  BUG('bug', `KASAN: out-of-bounds access to ${what}[${idx}] (${nr} of them)`, [idx, nr]);
}
