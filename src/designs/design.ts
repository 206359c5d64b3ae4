/*
 * Designs: how slot metadata is kept.  Everything else (allocator, swap
 * cache, faults, reclaim, swapoff) is shared; a design only answers the
 * questions the paths ask about one slot.  Phase IV keeps all of it in the
 * swap table word; phase II/III keep counts, zero bits or memcg ids in
 * side arrays, behind this same interface.
 *
 * Context for every method: caller holds the slot's ci->lock, unless the
 * method says otherwise.
 */
import type { SwpTbLayout } from '../mm/swap_table.js';

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
  /** The memcg id the slot is charged to (0 = none), given the folio's memcg for cached slots. */
  memcgId(ci: number, off: number, folioMemcg: (pfn: number) => number): number;
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
}
