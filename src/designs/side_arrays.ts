/*
 * The static per-slot side arrays of phases II and III: si->swap_map
 * (phase II: one byte a slot holding the count), si->zeromap (one
 * bit a slot, set_bit/clear_bit/test_bit, no lock needed) and the
 * swap_cgroup array (mm/swap_cgroup.c: one memcg id a slot, recorded at
 * allocation, cleared on free).  Allocated for a whole device at swapon in
 * the kernel (vmalloc): that is the static metadata phase IV removes.
 *
 * Slots are addressed by cluster word + offset in the cluster, like every
 * SlotMeta method; the device and the slot number follow from the cluster
 * word (cluster_info arrays are laid out device by device).
 */
import { A } from '../shm/arena.js';
import { CI, SI, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { siWord } from '../mm/swap.js';

/*
 * The arrays live in the device's swap block (SI.zeromap_base, ...),
 * allocated at swapon for whole clusters: the tail of the last cluster
 * past si->max is checked too (bad slots must have no zero bit).
 */

/* [type, slot] of @off in cluster word @ci: a static cluster_info[] element knows its device (CI.si_type). */
function slot_of(ci: number, off: number): [number, number] {
  const type = A.i32[ci + CI.si_type];
  return [type, ((ci - A.i32[siWord(type, SI.cluster_base)]) / CI.SIZE) * SWAPFILE_CLUSTER + off];
}

function zeromapWord(type: number, slot: number): number {
  return A.i32[siWord(type, SI.zeromap_base)] + (slot >>> 5);
}

export function zeromap_test(ci: number, off: number): boolean {
  const [type, slot] = slot_of(ci, off);
  return (A.i32[zeromapWord(type, slot)] & (1 << (slot & 31))) !== 0;
}

export function zeromap_set(ci: number, off: number, zero: boolean): void {
  const [type, slot] = slot_of(ci, off);
  if (zero) Atomics.or(A.i32, zeromapWord(type, slot), 1 << (slot & 31));
  else Atomics.and(A.i32, zeromapWord(type, slot), ~(1 << (slot & 31)));
}

function cgroupWord(ci: number, off: number): number {
  const [type, slot] = slot_of(ci, off);
  return A.i32[siWord(type, SI.swap_cgroup_base)] + slot;
}

/** swap_cgroup_record() of one slot. */
export function swap_cgroup_set(ci: number, off: number, memcg: number): void {
  A.i32[cgroupWord(ci, off)] = memcg;
}

/** lookup_swap_cgroup_id(). */
export function swap_cgroup_get(ci: number, off: number): number {
  return A.i32[cgroupWord(ci, off)];
}

/* Byte index of si->swap_map[slot] of @ci/@off in the u8 view. */
function swapMapByte(ci: number, off: number): number {
  const [type, slot] = slot_of(ci, off);
  return A.i32[siWord(type, SI.swap_map_base)] * 4 + slot;
}

/** si->swap_map[slot]. */
export function swap_map_get(ci: number, off: number): number {
  return Atomics.load(A.u8, swapMapByte(ci, off));
}

export function swap_map_set(ci: number, off: number, v: number): void {
  Atomics.store(A.u8, swapMapByte(ci, off), v);
}

/** Clear device @type's side arrays (swapon): those its swap block has, each for whole clusters. */
export function side_arrays_reset(type: number): void {
  const i32 = A.i32;
  const slots = i32[siWord(type, SI.nr_clusters)] * SWAPFILE_CLUSTER;
  const clear = (base: number, words: number): void => {
    if (base !== 0) i32.fill(0, base, base + words);
  };
  clear(i32[siWord(type, SI.swap_map_base)], Math.ceil(slots / 4));
  clear(i32[siWord(type, SI.zeromap_base)], Math.ceil(slots / 32));
  clear(i32[siWord(type, SI.swap_cgroup_base)], slots);
}
