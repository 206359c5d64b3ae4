/*
 * Anon shadow packing: mm/workingset.c (pack_shadow/unpack_shadow and the
 * EVICTION_* macros), seed 000 patch 5 "mm/workingset: leave highest bits
 * empty for anon shadow", and seed 001 patch 8 (shadow_to_memcgid /
 * memcgid_to_shadow, mm/internal.h).
 *
 * A shadow is an xa value: xa_mk_value(v) = (v << 1) | 1, with
 *
 *   v = eviction | memcgid (MEM_CGROUP_ID_SHIFT) | node (NODES_SHIFT) | workingset (1)
 *
 *        63 .. 64-S | 63-S ............ 24 | 23 ..... 8 | 7 .. 2 | 1  | 0
 *        free (S)   | eviction             | memcg id   | node   | WS | 1
 *
 * S = SWAP_COUNT_SHIFT = the swap table's flag bits (p4: 5, count + zero;
 * p3: 4, count), left empty so the shadow fits under the flags.
 *
 * x86_64: BITS_PER_LONG 64, BITS_PER_XA_VALUE 63, NODES_SHIFT 6,
 * MEM_CGROUP_ID_SHIFT 16, WORKINGSET_SHIFT 1, so
 *   EVICTION_SHIFT      = (64 - 63) + 1 + 6 + 16 = 24
 *   EVICTION_SHIFT_ANON = EVICTION_SHIFT + SWAP_COUNT_SHIFT = 29 (p4), 28 (p3)
 *   EVICTION_MASK_ANON  = ~0UL >> EVICTION_SHIFT_ANON: 35 bits (p4), 36 (p3)
 * Checked against linux-mm's mm/workingset.c: the same macros (the file
 * EVICTION_MASK keeps the full 40 bits; file shadows never enter a swap
 * table).  pack_shadow() there takes a `file` flag; here it is the anon
 * variant only.
 *
 * Kernel name -> model: pack_shadow(memcgid, pgdat, eviction, workingset,
 * file) -> pack_shadow(l, memcgid, node, eviction, workingset);
 * unpack_shadow(shadow, &memcgid, &pgdat, &eviction, &workingset) ->
 * unpack_shadow(l, shadow) returning the fields.  The kernel does not mask
 * memcgid or node (they are in range by construction); the model throws a
 * RangeError for an out-of-range one, as it would corrupt a neighbour.
 */

import type { SwpTbLayout } from './swap_table.js';
import { U32, U64 } from '../shm/u64_halves.js';

export const WORKINGSET_SHIFT = 1;
export const NODES_SHIFT = 6;
export const MEM_CGROUP_ID_SHIFT = 16;
/** MAX_NUMNODES = 1 << NODES_SHIFT */
export const MAX_NUMNODES = 1 << NODES_SHIFT;
/** MEM_CGROUP_ID_MAX = USHRT_MAX: the memcg private id fits MEM_CGROUP_ID_SHIFT bits. */
export const MEM_CGROUP_ID_MAX = (1 << MEM_CGROUP_ID_SHIFT) - 1;
const BITS_PER_LONG = 64;
const BITS_PER_XA_VALUE = 63;

export const EVICTION_SHIFT =
  BITS_PER_LONG - BITS_PER_XA_VALUE + WORKINGSET_SHIFT + NODES_SHIFT + MEM_CGROUP_ID_SHIFT; /* 24 */
const U64_MASK = (1n << 64n) - 1n;
/** File shadows (not stored in swap tables): ~0UL >> EVICTION_SHIFT. */
export const EVICTION_MASK = U64_MASK >> BigInt(EVICTION_SHIFT);

export function EVICTION_SHIFT_ANON(l: SwpTbLayout): number {
  return EVICTION_SHIFT + l.SWAP_COUNT_SHIFT;
}

/** ~0UL >> EVICTION_SHIFT_ANON: 35 bits in p4, 36 in p3. */
export function EVICTION_MASK_ANON(l: SwpTbLayout): bigint {
  return U64_MASK >> BigInt(EVICTION_SHIFT_ANON(l));
}

/* include/linux/xarray.h */
export function xa_mk_value(v: bigint): bigint {
  return BigInt.asUintN(64, (v << 1n) | 1n);
}

export function xa_to_value(entry: bigint): bigint {
  return entry >> 1n;
}

export function xa_is_value(entry: bigint): boolean {
  return (entry & 1n) === 1n;
}

export interface UnpackedShadow {
  memcgId: number;
  node: number;
  eviction: number;
  workingset: boolean;
}

function checkField(fn: string, what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max)
    throw new RangeError(`${fn}: ${what} ${v} out of range 0..${max}`);
}

/**
 * The anon shadow for a folio evicted at @eviction (the lruvec's
 * nonresident_age >> bucket_order; truncated to EVICTION_MASK_ANON like the
 * kernel does) from memcg @memcgid on @node.  Returns the xa value, no
 * swap table flag bits (shadow_to_swp_tb() adds them).
 */
export function pack_shadow(
  l: SwpTbLayout, memcgid: number, node: number, eviction: number | bigint, workingset: boolean,
): bigint {
  checkField('pack_shadow', 'memcgid', memcgid, MEM_CGROUP_ID_MAX);
  checkField('pack_shadow', 'node', node, MAX_NUMNODES - 1);
  if (typeof eviction === 'number' && Number.isSafeInteger(eviction) && eviction >= 0) {
    /*
     * In halves (u64_halves.ts): eviction starts at bit EVICTION_SHIFT
     * (24) of the word, so its low 8 bits end the low half and the rest
     * begin the high half.
     */
    const ev = eviction % 2 ** (BITS_PER_LONG - EVICTION_SHIFT_ANON(l));
    U32[0] = ((ev % 256) << EVICTION_SHIFT) | (memcgid << (NODES_SHIFT + WORKINGSET_SHIFT + 1)) |
      (node << (WORKINGSET_SHIFT + 1)) | (workingset ? 2 : 0) | 1;
    U32[1] = Math.floor(ev / 256);
    return U64[0];
  }
  const ev = typeof eviction === 'bigint' ? eviction : BigInt(eviction);
  if (ev < 0n) throw new RangeError(`pack_shadow: eviction ${ev} is negative`);
  let v = ev & EVICTION_MASK_ANON(l);
  v = (v << BigInt(MEM_CGROUP_ID_SHIFT)) | BigInt(memcgid);
  v = (v << BigInt(NODES_SHIFT)) | BigInt(node);
  v = (v << BigInt(WORKINGSET_SHIFT)) | (workingset ? 1n : 0n);
  return xa_mk_value(v);
}

/**
 * Fields of an anon shadow (an xa value as swp_tb_to_shadow() returns it,
 * or 0n for none).  A value with bits in the swap table flags is a raw
 * entry passed by mistake: RangeError.
 */
export function unpack_shadow(l: SwpTbLayout, shadow: bigint): UnpackedShadow {
  if (shadow < 0n || shadow > U64_MASK || (shadow !== 0n && !xa_is_value(shadow)))
    throw new RangeError(`unpack_shadow: 0x${shadow.toString(16)} is not an xa value`);
  if (shadow & l.SWP_TB_FLAGS_MASK)
    throw new RangeError(
      `unpack_shadow: 0x${shadow.toString(16)} has bits in the swap table flags (${l.phase}); use swp_tb_to_shadow() first`);
  let entry = xa_to_value(shadow);
  const workingset = (entry & ((1n << BigInt(WORKINGSET_SHIFT)) - 1n)) !== 0n;
  entry >>= BigInt(WORKINGSET_SHIFT);
  const node = Number(entry & ((1n << BigInt(NODES_SHIFT)) - 1n));
  entry >>= BigInt(NODES_SHIFT);
  const memcgId = Number(entry & ((1n << BigInt(MEM_CGROUP_ID_SHIFT)) - 1n));
  entry >>= BigInt(MEM_CGROUP_ID_SHIFT);
  return { memcgId, node, eviction: Number(entry), workingset };
}

/** Seed 001 patch 8: the memcg private id recorded in a shadow. */
export function shadow_to_memcgid(shadow: bigint): number {
  U64[0] = shadow; /* the id sits in the low half: bits 8..23 of the word */
  return (U32[0] >>> (1 + WORKINGSET_SHIFT + NODES_SHIFT)) & MEM_CGROUP_ID_MAX;
}

/**
 * Seed 001 patch 8: a shadow carrying only @memcgid (node 0, eviction 0,
 * workingset 0), used where a slot needs its owner recorded but no
 * workingset information exists.
 */
export function memcgid_to_shadow(memcgid: number): bigint {
  checkField('memcgid_to_shadow', 'memcgid', memcgid, MEM_CGROUP_ID_MAX);
  return xa_mk_value(BigInt(memcgid) << BigInt(NODES_SHIFT + WORKINGSET_SHIFT));
}
