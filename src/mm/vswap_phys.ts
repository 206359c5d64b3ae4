/*
 * mm/swapfile.c under virtual swap (seed 004): a physical swap device is
 * only a backing store for the virtual swap space.  Its slots are two
 * bitmaps - allocated and bad ("swapfile: replace the swap map with
 * bitmaps") - and a reverse map from each allocated slot to the virtual
 * slot it backs (seed 004 re-uses a swap table for it: 8 bytes a slot,
 * allocated per cluster).  Physical slots are allocated only when a page
 * really goes to the device (writeout, zswap writeback), never for zswap
 * or zero pages.
 *
 * Locking: a device's bitmaps, reverse map and next-fit hint are under
 * its si->lock; callers hold the virtual slot's ci->lock outside it
 * (ci->lock -> si->lock, as move_cluster() nests).
 *
 * Kernel mapping: vswap_alloc_swap_slot, swap_slot_free_nr, the
 * swap_rmap helpers; swapon/swapoff of a physical device.
 */
import { A, gword } from '../shm/arena.js';
import { G, SI, vswapPhysWords, MAX_SWAPFILES } from '../shm/layout.js';
import { report } from '../shm/report.js';
import { LC_SI, lockdep_assert_held } from '../sync/lockdep.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { SWP_VSWAP_PHYS, SWP_WRITEOK, si_flags, siWord, swp_entry, swp_offset, swp_type } from './swap.js';

/* The device's VSWAP_PHYS block (its swap block's, SI.phys_base) and its layout for si->max slots. */
function physBase(type: number): number {
  return A.i32[siWord(type, SI.phys_base)];
}

/* Words of one bitmap of the device (vswapPhysWords(si->max): alloc at 0, bad next, then the reverse map). */
function bitmapWords(type: number): number {
  return Math.ceil(A.i32[siWord(type, SI.max)] / 32);
}

function bitWord(type: number, which: 'alloc' | 'bad', off: number): number {
  return physBase(type) + (which === 'bad' ? bitmapWords(type) : 0) + (off >>> 5);
}

function rmapWord(type: number, off: number): number {
  return physBase(type) + 2 * bitmapWords(type) + off;
}

function test_bit(w: number, off: number): boolean {
  return (Atomics.load(A.i32, w) & (1 << (off & 31))) !== 0;
}

export function phys_test_allocated(type: number, off: number): boolean {
  return test_bit(bitWord(type, 'alloc', off), off);
}

export function phys_test_bad(type: number, off: number): boolean {
  return test_bit(bitWord(type, 'bad', off), off);
}

/** The virtual entry physical slot @off of @type backs (0: none).  Context: si->lock, or quiescent. */
export function phys_rmap(type: number, off: number): number {
  return Atomics.load(A.i32, rmapWord(type, off));
}

export function si_is_vswap_phys(type: number): boolean {
  return (si_flags(type) & SWP_VSWAP_PHYS) !== 0;
}

/** Whether @type is a physical device in service (SWP_WRITEOK): the only kind a virtual slot may be backed by. */
export function si_phys_writeok(type: number): boolean {
  return type < MAX_SWAPFILES && (si_flags(type) & (SWP_VSWAP_PHYS | SWP_WRITEOK)) === (SWP_VSWAP_PHYS | SWP_WRITEOK);
}

/**
 * setup_swap_map() for a physical device: clear bitmaps and reverse map,
 * mark the header slot and the header's bad pages bad.  Returns the
 * number of bad slots.  Context: swapon, before the device is visible.
 */
export function phys_setup(type: number, maxpages: number, badPages: readonly number[]): number {
  const w = vswapPhysWords(maxpages);
  A.i32.fill(0, physBase(type), physBase(type) + w.SIZE);
  const bad = new Set<number>([0, ...badPages.filter((p) => p < maxpages)]);
  for (const p of bad) Atomics.or(A.i32, bitWord(type, 'bad', p), 1 << (p & 31));
  Atomics.store(A.i32, siWord(type, SI.phys_next), 1);
  Atomics.store(A.i32, siWord(type, SI.inuse_pages), 0);
  return bad.size;
}

/**
 * vswap_alloc_swap_slot(): a physical slot for virtual entry @ventry, on
 * the highest-priority physical device that is in service and has room
 * (next-fit over its allocated bitmap).  Returns the physical swp_entry,
 * or 0 when every device is full (the caller keeps the folio:
 * AOP_WRITEPAGE_ACTIVATE).
 * Context: caller holds @ventry's ci->lock; takes si->lock of each device tried.
 */
export function vswap_alloc_swap_slot(ventry: number): number {
  const devs: number[] = [];
  for (let t = 0; t < MAX_SWAPFILES; t++) if (si_phys_writeok(t)) devs.push(t);
  devs.sort((a, b) => Atomics.load(A.i32, siWord(b, SI.prio)) - Atomics.load(A.i32, siWord(a, SI.prio)));
  for (const type of devs) {
    spin_lock(siWord(type, SI.lock), LC_SI);
    /* Re-checked under the lock: swapoff clears WRITEOK under it before it drains the device. */
    const max = A.i32[siWord(type, SI.max)];
    if ((si_flags(type) & SWP_WRITEOK) && A.i32[siWord(type, SI.inuse_pages)] < A.i32[siWord(type, SI.pages)]) {
      const start = A.i32[siWord(type, SI.phys_next)];
      for (let k = 0; k < max; k++) {
        const off = (start + k) % max;
        if (phys_test_allocated(type, off) || phys_test_bad(type, off)) continue;
        Atomics.or(A.i32, bitWord(type, 'alloc', off), 1 << (off & 31));
        Atomics.store(A.i32, rmapWord(type, off), ventry);
        A.i32[siWord(type, SI.phys_next)] = off + 1;
        Atomics.add(A.i32, siWord(type, SI.inuse_pages), 1);
        spin_unlock(siWord(type, SI.lock));
        return swp_entry(type, off);
      }
    }
    spin_unlock(siWord(type, SI.lock));
  }
  return 0;
}

/**
 * swap_slot_free_nr() of one slot: physical slot @phys no longer backs
 * virtual entry @ventry.  A slot that is not allocated, or backs another
 * entry, is the descriptor/reverse-map disagreement the vswap invariant
 * is about: reported, and left alone.
 * Context: takes si->lock of the device (callers hold the virtual ci->lock).
 */
export function swap_slot_free(phys: number, ventry: number): void {
  const type = swp_type(phys);
  const off = swp_offset(phys);
  spin_lock(siWord(type, SI.lock), LC_SI);
  if (!phys_test_allocated(type, off) || phys_rmap(type, off) !== ventry) {
    report('swap-count', `vswap: freeing physical slot ${type}:${off} for virtual entry ${ventry}, but it is ${phys_test_allocated(type, off) ? `backing ${phys_rmap(type, off)}` : 'free'}`, [phys, ventry]);
    spin_unlock(siWord(type, SI.lock));
    return;
  }
  Atomics.and(A.i32, bitWord(type, 'alloc', off), ~(1 << (off & 31)));
  Atomics.store(A.i32, rmapWord(type, off), 0);
  Atomics.sub(A.i32, siWord(type, SI.inuse_pages), 1);
  spin_unlock(siWord(type, SI.lock));
}

/** The allocated slots of @type.  Context: si->lock held, or the device out of service. */
export function phys_allocated_slots(type: number): number[] {
  const out: number[] = [];
  const max = A.i32[siWord(type, SI.max)];
  for (let off = 0; off < max; off++) if (phys_test_allocated(type, off)) out.push(off);
  return out;
}

/** Clusters (512 slots) of @type with an allocated slot: each holds a reverse-map table. */
export function phys_rmap_clusters(type: number): number {
  const seen = new Set<number>();
  for (const off of phys_allocated_slots(type)) seen.add(off >>> 9);
  return seen.size;
}

/** nr_real_swapfiles: physical devices in service (zswap writeback needs one, seed 004 patch 15). */
export function phys_in_service(type: number, on: boolean): void {
  lockdep_assert_held(siWord(type, SI.lock), 'si->lock');
  Atomics.add(A.i32, gword(G.nr_real_swapfiles), on ? 1 : -1);
}
