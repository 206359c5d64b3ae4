/*
 * Designs: how slot metadata is kept - the interface the model calls, and
 * the design a system was built with.  Everything else (allocator, swap
 * cache, faults, reclaim, swapoff) is shared; a design only answers the
 * questions the paths ask about one slot.  Phase IV keeps all of it in the
 * swap table word; phase II/III keep counts, zero bits or memcg ids in
 * side arrays, behind this same interface.
 *
 * Context for every method: caller holds the slot's ci->lock, unless the
 * method says otherwise.
 */
import type { SwpTbLayout } from './swap_table.js';
import { A, gword } from '../shm/arena.js';
import { G } from '../shm/layout.js';

export const DESIGN_NAMES = ['p4', 'p3', 'p2', 'ghost', 'vswap'] as const;
export type DesignName = (typeof DESIGN_NAMES)[number];

export interface SlotMeta {
  readonly name: DesignName;
  /** Bit layout of the design's swap table entries. */
  readonly tb: SwpTbLayout;
  /** The slot's inline swap count (saturated at SWP_TB_COUNT_MAX). */
  count(ci: number, off: number): number;
  /** Set the inline count, keeping the entry's kind and other flags. */
  setCount(ci: number, off: number, count: number): void;
  /**
   * The count of slot @off whose table entry @tb the caller just read
   * (locked or not): 0 for a free slot, -EINVAL for a bad one.  p3/p4 take
   * it from @tb; p2 from its swap_map byte.
   */
  countOf(ci: number, off: number, tb: bigint): number;
  /** The largest count kept inline; past it the count lives in ci->extend_table. */
  readonly countMax: number;
  /** Is the count in the table word (p3, p4), or in the static swap_map (p2)? */
  readonly countInTable: boolean;
  /** The zero-page flag of the slot. */
  testZero(ci: number, off: number): boolean;
  /** Set or clear the zero-page flag (a read-modify-write: needs ci->lock). */
  setZero(ci: number, off: number, zero: boolean): void;
  /** Lockless read of the zero flag (swap_zeromap_batch). Context: RCU or folio lock. */
  testZeroLockless(ci: number, off: number): boolean;
  /**
   * Where the swap charge's owner is recorded.  true (p4, seed 001 patches
   * 7-8): in the shadow, written when the folio leaves the swap cache;
   * false (p2/p3): in the static swap_cgroup array, written when the slots
   * are allocated (swap_cgroup_record) and read back on free and swap-in.
   */
  readonly memcgInShadow: boolean;
  /** swap_cgroup_record(): the @nr slots from @ci/@off are charged to @memcg (no-op when memcgInShadow).  Context: ci->lock held. */
  recordMemcg(ci: number, off: number, nr: number, memcg: number): void;
  /** The memcg id recorded for a slot whose entry is @tb (uncharge, swap-in).  Context: ci->lock held, or the folio lock. */
  slotMemcg(ci: number, off: number, tb: bigint): number;
  /** The slot is freed: forget its record and zero state (swap_cgroup_clear, zeromap bit). Context: ci->lock held. */
  freeSlot(ci: number, off: number): void;
  /**
   * swapon of device @type: set up the design's static per-slot metadata
   * (p2/p3: si->swap_map, si->zeromap, the swap_cgroup array, vmalloc'ed
   * at swapon); nothing for the designs that keep it all in the table.
   * Context: swapon_mutex held, the device not yet in use.
   */
  swaponDevice(type: number): void;
}

/*
 * The designs this thread knows, registered from above by src/designs/ when
 * its modules load (register_swap_design(), as a filesystem registers
 * itself with the VFS): the model never imports a concrete design.
 */
const registered: (SlotMeta | undefined)[] = [];

/** Make design @d available.  Context: module load. */
export function register_swap_design(d: SlotMeta): void {
  registered[DESIGN_NAMES.indexOf(d.name)] = d;
}

/** The designs registered in this thread. */
export function registered_swap_designs(): DesignName[] {
  return DESIGN_NAMES.filter((_, i) => registered[i] !== undefined);
}

/**
 * Build the system with design @name: recorded once in the arena
 * (G.design), where every thread that attaches it reads it.  Context: boot.
 */
export function swap_design_init(name: DesignName): void {
  if (registered[DESIGN_NAMES.indexOf(name)] === undefined) {
    throw new Error(`design '${name}' is not registered (registered: ${registered_swap_designs().join(', ') || 'none: import src/designs/index.js'})`);
  }
  A.i32[gword(G.design)] = DESIGN_NAMES.indexOf(name);
}

/**
 * The design of the system this thread is attached to: read from the
 * arena on every call, so it is always the arena's own (no per-thread copy
 * to go stale when a thread attaches another system).  Context: any.
 */
export function swap_design(): SlotMeta {
  const d = registered[A.i32[A.L.global + G.design]];
  if (d === undefined) throw new Error(`the arena's design ${A.i32[A.L.global + G.design]} is not registered in this thread: import src/designs/index.js`);
  return d;
}
