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
import { CI, SWAPFILE_CLUSTER } from '../shm/layout.js';

/*
 * Slots a device's side arrays hold: whole clusters, because the tail of
 * the last cluster past si->max is checked too (bad slots must have no zero
 * bit).  Sized by maxSwapPages alone, a device's tail overlapped the next
 * device's array - the first thing the fuzzer found.
 */
function side_slots(): number {
  return A.L.maxClustersPerDevice * SWAPFILE_CLUSTER;
}

/* [type, slot] of @off in cluster word @ci. */
function slot_of(ci: number, off: number): [number, number] {
  const perDevice = A.L.maxClustersPerDevice * CI.SIZE;
  const rel = ci - A.L.clusters;
  const type = Math.floor(rel / perDevice);
  return [type, ((rel % perDevice) / CI.SIZE) * SWAPFILE_CLUSTER + off];
}

function zeromapWord(type: number, slot: number): number {
  return A.L.zeromap + type * Math.ceil(side_slots() / 32) + (slot >>> 5);
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
  return A.L.swapCgroup + type * side_slots() + slot;
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
  return A.L.swapMap * 4 + type * Math.ceil(side_slots() / 4) * 4 + slot;
}

/** si->swap_map[slot]. */
export function swap_map_get(ci: number, off: number): number {
  return Atomics.load(A.u8, swapMapByte(ci, off));
}

export function swap_map_set(ci: number, off: number, v: number): void {
  Atomics.store(A.u8, swapMapByte(ci, off), v);
}

/** Clear device @type's side arrays (swapon). */
export function side_arrays_reset(type: number): void {
  const mw = Math.ceil(side_slots() / 4);
  A.i32.fill(0, A.L.swapMap + type * mw, A.L.swapMap + (type + 1) * mw);
  const zw = Math.ceil(side_slots() / 32);
  A.i32.fill(0, A.L.zeromap + type * zw, A.L.zeromap + (type + 1) * zw);
  A.i32.fill(0, A.L.swapCgroup + type * side_slots(), A.L.swapCgroup + (type + 1) * side_slots());
}
