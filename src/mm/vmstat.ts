/*
 * include/linux/vm_event_item.h + mm/vmstat.c, the swap events only:
 * per-task event counters in the arena's stats region (each task writes
 * only its own words; readers sum over tasks, as all_vm_events() sums the
 * per-CPU vm_event_states).  The stress harness's "swap operations" are
 * these events.
 *
 * Kernel mapping: count_vm_event(PSWPOUT) in swap_writeout_finish /
 * __swap_writepage, SWPOUT_ZERO/SWPIN_ZERO in swap_zeromap handling,
 * PSWPIN in swap_read_folio, THP_SWPOUT/THP_SWPIN with PSWPOUT/PSWPIN
 * (count_swpout_vm_event / count_swpin_vm_event; here: any large folio).
 */
import { A } from '../shm/arena.js';
import { STATS_VM, STATS_WORDS_PER_TASK, STATS_VM_MAX } from '../shm/layout.js';
import { current } from '../shm/task.js';
import { kasan_check_index, kasan_enabled } from '../shm/kasan.js';

export const VM_EVENT_NAMES = ['pswpin', 'pswpout', 'swpin_zero', 'swpout_zero', 'thp_swpin', 'thp_swpout', 'swap_ra', 'swap_count_extend', 'zswpin', 'zswpout', 'swap_writeout_activate', 'zswpwb', 'thp_swpout_fallback', 'swap_ra_hit'] as const;
export type VmEvent = (typeof VM_EVENT_NAMES)[number];

export const PSWPIN = 0;
export const PSWPOUT = 1;
export const SWPIN_ZERO = 2;
export const SWPOUT_ZERO = 3;
export const THP_SWPIN = 4;
export const THP_SWPOUT = 5;
/** SWAP_RA: folios swap readahead read in besides the faulting one (src/mm/swap_readahead.ts). */
export const SWAP_RA = 6;
/** The model's own: a swap count went past SWP_TB_COUNT_MAX into ci->extend_table. */
export const SWAP_COUNT_EXTEND = 7;
/** ZSWPIN / ZSWPOUT: pages loaded from / stored in zswap. */
export const ZSWPIN = 8;
export const ZSWPOUT = 9;
/** The model's own: a folio with nowhere to go (a ghost device without zswap room, seed 001 patch 13; vswap without zswap room or a physical slot, seed 004), kept dirty: AOP_WRITEPAGE_ACTIVATE. */
export const SWAP_WRITEOUT_ACTIVATE = 10;
/** ZSWPWB: pages zswap wrote back to a swap device (zswap_writeback_entry). */
export const ZSWPWB = 11;
/** THP_SWPOUT_FALLBACK: a large folio got no entries of its order and was split to swap out (shrink_folio_list). */
export const THP_SWPOUT_FALLBACK = 12;
/** SWAP_RA_HIT: a swap fault found a folio swap readahead had brought in (swap_update_readahead). */
export const SWAP_RA_HIT = 13;

if (VM_EVENT_NAMES.length > STATS_VM_MAX) throw new Error('vmstat: stats region too small');

function eventWord(t: number, item: number): number {
  if (kasan_enabled) kasan_check_index('vm_event_states', t, A.L.config.nrTasks);
  return A.L.stats + t * STATS_WORDS_PER_TASK + STATS_VM + item;
}

/** count_vm_events(): Context: any; the current task's own counter. */
export function count_vm_events(item: number, delta: number): void {
  A.i32[eventWord(current(), item)] += delta;
}

/** all_vm_events() for @item over every task. */
export function sum_vm_events(item: number): number {
  let s = 0;
  for (let t = 0; t < A.L.config.nrTasks; t++) s += A.i32[eventWord(t, item)];
  return s;
}

/** Every event, summed over tasks, by name. */
export function all_vm_events(): Record<VmEvent, number> {
  const out = {} as Record<VmEvent, number>;
  VM_EVENT_NAMES.forEach((name, i) => (out[name] = sum_vm_events(i)));
  return out;
}
