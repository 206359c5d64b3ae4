/*
 * Swap table entry encoding: mm/swap_table.h (with the constants it takes
 * from mm/swap.h), for an x86_64 kernel, in the two layouts the model runs:
 *
 *   'p3'  swap table phase III (seed 000): the swap count moved into the
 *         table, no zero flag (zeromap stays a bitmap).
 *   'p4'  phase IV RFC (seed 001 patch 12 "merge zeromap into swap table",
 *         and linux-mm's swap_table.h today): count + zero flag.
 *
 * Entries are 64-bit words, handled here as *unsigned* bigints in
 * [0, 2^64).  (A BigInt64Array view yields signed values: whoever loads an
 * entry from the arena must BigInt.asUintN(64, ...) it first; stores wrap
 * modulo 2^64 by themselves.)
 *
 *   NULL:    |---------------- 0 ---------------|      free slot
 *   Shadow:  |SWAP_COUNT|Z|---- SHADOW_VAL ---|1|      swapped out (xa value)
 *   PFN:     |SWAP_COUNT|Z|------ PFN -------|10|      cached slot
 *   Pointer: |C|------- vswap offset -------|100|      vswap rmap (C = bit 63)
 *   Bad:     |------------- 1 -------------|1000|      bad slot: (~0UL) << 3
 *
 *            bit 63..60   59    58 ........ 42 41 ...... 2  1 0
 *   p4 PFN   COUNT(4)     Z     0 (must be)     PFN (40)     1 0
 *   p3 PFN   COUNT(4)     0 (must be, 42..59)   PFN (40)     1 0
 *   p4 shad  COUNT(4)     Z     SHADOW_VAL bits 1..58         1
 *   p3 shad  COUNT(4)     SHADOW_VAL bits 1..59               1
 *
 * x86_64: BITS_PER_LONG 64, PAGE_SHIFT 12, MAX_POSSIBLE_PHYSMEM_BITS 52,
 * so SWAP_CACHE_PFN_BITS = 40 and SWP_TB_PFN_BITS = 42.
 *   p4: SWP_TB_FLAGS_BITS = min(5, 64 - 42) = 5, SWP_TB_COUNT_BITS =
 *       FLAGS_BITS - SWAP_TABLE_HAS_ZEROFLAG = 4, SWP_TB_ZERO_FLAG =
 *       BIT(64 - FLAGS_BITS) = bit 59, SWAP_COUNT_SHIFT = FLAGS_BITS = 5.
 *   p3: SWP_TB_COUNT_BITS = min(4, 64 - 42) = 4; phase III has no
 *       FLAGS_BITS: the "flags" are the count (FLAGS_BITS = COUNT_BITS = 4),
 *       SWP_TB_ZERO_FLAG = 0, SWAP_COUNT_SHIFT = COUNT_BITS = 4.
 *
 * Kernel name -> model name: the kernel's snake_case names are kept; where
 * the layout matters the first parameter is the layout `l` (the kernel
 * picks it at build time).  `pfn_to_swp_tb(l, pfn, flags)` is the kernel's
 * pfn_to_swp_tb(pfn, flags) (phase III: pfn_to_swp_tb(pfn, count));
 * `swp_tb_to_pfn()` is the PFN half of swp_tb_to_folio(); the swap_table.h
 * __swap_table_{test,set,clear}_zero() read-modify-write helpers are split:
 * swp_tb_{test,set,clear}_zero() here are the pure value transforms, the
 * arena section below does the locked read and write.
 * `swp_entry_to_swp_tb_ptr(offset)` / `swp_tb_ptr_to_offset()` take and
 * give the vswap offset (the kernel passes a swp_entry_t whose type is
 * always vswap_si->type).
 *
 * VM_WARN_ON: where the kernel warns (count > SWP_TB_COUNT_MAX, a PFN or
 * shadow reaching into the flag bits, reading a PFN from a non-PFN entry,
 * ...), these functions throw a RangeError whose message starts with the
 * kernel's function name and condition.  They do not return a best-effort
 * value: a caller that models a path where the kernel would only warn
 * catches it and reports the WARN.
 *
 * Well-formedness (swp_tb_check, used by the slot-format invariant): see
 * the comment above swp_tb_check() for which 64-bit values are not valid
 * entries.
 */

import { EINVAL } from '../include/errno.js';
import { U32, U64 } from '../shm/u64_halves.js';

/* ---- architecture (x86_64) ---- */

export const BITS_PER_LONG = 64;
export const PAGE_SHIFT = 12;
export const MAX_POSSIBLE_PHYSMEM_BITS = 52;
/** mm/swap.h: SWAP_CACHE_PFN_BITS = MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT. */
export const SWAP_CACHE_PFN_BITS = MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT; /* 40 */
/** mm/swap.h: 0x1 means shadow, 0x2 means PFN. */
export const SWAP_CACHE_PFN_MARK_BITS = 2;
/** mm/swap.h: at least 2 count bits to tell 0, 1.. and SWP_TB_COUNT_MAX apart. */
export const SWAP_COUNT_MIN_BITS = 2;
/** include/linux/xarray.h on 64-bit: an xa value holds 63 bits. */
export const BITS_PER_XA_VALUE = BITS_PER_LONG - 1;
/**
 * Offset bits of an x86_64 swap PTE (arch/x86/include/asm/pgtable_64.h:
 * TYPE in bits 59-63, ~OFFSET in bits 9-58).  The generic swp_entry_t could
 * hold 58, but an offset must survive the trip through a swap PTE
 * (generic_max_swapfile_size() caps swap devices at that); the model
 * assumes the same of the vswap offsets pointer entries store.  Not a
 * kernel macro name.
 */
export const MAX_SWP_OFFSET_BITS = 50;

const U64_MASK = (1n << 64n) - 1n;
const U64_ALL_ONES = U64_MASK; /* ~0UL */

/* ---- layout-independent constants ---- */

/** NULL entry, all 0. */
export const SWP_TB_NULL = 0n;
/** Swapped out: shadow.  Equal to xa_mk_value(0). */
export const SWP_TB_SHADOW_MARK = 0b1n;
/** Cached: PFN. */
export const SWP_TB_PFN_BITS = SWAP_CACHE_PFN_BITS + SWAP_CACHE_PFN_MARK_BITS; /* 42 */
export const SWP_TB_PFN_MARK = 0b10n;
export const SWP_TB_PFN_MARK_MASK = (1n << BigInt(SWAP_CACHE_PFN_MARK_BITS)) - 1n;
/** Bad slot: ends with 0b1000 and the rest of the bits are all 1. */
export const SWP_TB_BAD = BigInt.asUintN(64, U64_ALL_ONES << 3n);
/** Pointer-tagged entry: the vswap rmap on a physical cluster. */
export const SWP_TB_PTR_MARK_BITS = 3;
export const SWP_TB_PTR_MARK = 0b100n;
export const SWP_TB_PTR_MARK_MASK = (1n << BigInt(SWP_TB_PTR_MARK_BITS)) - 1n;
/** The top bit of a pointer entry: vswap count dropped to 0, folio still cached. */
export const SWP_RMAP_CACHE_ONLY = 1n << BigInt(BITS_PER_LONG - 1);
export const SWP_RMAP_ENTRY_MASK = U64_MASK & ~(SWP_RMAP_CACHE_ONLY | SWP_TB_PTR_MARK_MASK);

/* ---- per-phase layout ---- */

export type SwapTablePhase = 'p3' | 'p4';

/**
 * The layout constants of one phase.  Bit counts are numbers; shifts and
 * masks that apply to entries are bigints, ready for `tb >> l.X`.
 */
export interface SwpTbLayout {
  readonly phase: SwapTablePhase;
  /** SWAP_TABLE_HAS_ZEROFLAG (p4 on 64-bit) */
  readonly hasZeroFlag: boolean;
  readonly SWP_TB_FLAGS_BITS: number;
  readonly SWP_TB_COUNT_BITS: number;
  readonly SWP_TB_COUNT_MAX: number;
  readonly SWP_TB_FLAGS_SHIFT: bigint;
  readonly SWP_TB_COUNT_SHIFT: bigint;
  readonly SWP_TB_FLAGS_MASK: bigint;
  readonly SWP_TB_COUNT_MASK: bigint;
  /** BIT(64 - SWP_TB_FLAGS_BITS) in p4; 0n in p3 (no zero flag) */
  readonly SWP_TB_ZERO_FLAG: bigint;
  /** Bits the anon shadow leaves free at the top (mm/workingset.c). */
  readonly SWAP_COUNT_SHIFT: number;
  /*
   * The same fields in the high 32-bit half of an entry (u64_halves.ts),
   * as int32 shifts and masks: the hot helpers below work on the halves.
   */
  /** SWP_TB_FLAGS_SHIFT - 32 */
  readonly hiFlagsShift: number;
  /** SWP_TB_COUNT_SHIFT - 32 */
  readonly hiCountShift: number;
  /** ~SWP_TB_FLAGS_MASK in the high half */
  readonly hiNoFlags: number;
  /** ~SWP_TB_COUNT_MASK in the high half */
  readonly hiCountClear: number;
  /** SWP_TB_ZERO_FLAG in the high half (0 in p3) */
  readonly hiZero: number;
}

function mkLayout(phase: SwapTablePhase): SwpTbLayout {
  const roomAbovePfn = BITS_PER_LONG - SWP_TB_PFN_BITS; /* 22 */
  let flagsBits: number;
  let countBits: number;
  let hasZeroFlag: boolean;
  if (phase === 'p4') {
    /* SWAP_TABLE_HAS_ZEROFLAG: (64 - 2 - 40) > SWAP_COUNT_MIN_BITS */
    hasZeroFlag = BITS_PER_LONG - SWAP_CACHE_PFN_MARK_BITS - SWAP_CACHE_PFN_BITS > SWAP_COUNT_MIN_BITS;
    flagsBits = Math.min(5, roomAbovePfn);
    countBits = flagsBits - (hasZeroFlag ? 1 : 0);
  } else {
    hasZeroFlag = false;
    countBits = Math.min(4, roomAbovePfn);
    flagsBits = countBits;
  }
  const flagsShift = BITS_PER_LONG - flagsBits;
  const countShift = BITS_PER_LONG - countBits;
  const l: SwpTbLayout = {
    phase,
    hasZeroFlag,
    SWP_TB_FLAGS_BITS: flagsBits,
    SWP_TB_COUNT_BITS: countBits,
    SWP_TB_COUNT_MAX: (1 << countBits) - 1,
    SWP_TB_FLAGS_SHIFT: BigInt(flagsShift),
    SWP_TB_COUNT_SHIFT: BigInt(countShift),
    SWP_TB_FLAGS_MASK: U64_MASK & ~(U64_ALL_ONES >> BigInt(flagsBits)),
    SWP_TB_COUNT_MASK: U64_MASK & ~(U64_ALL_ONES >> BigInt(countBits)),
    SWP_TB_ZERO_FLAG: hasZeroFlag ? 1n << BigInt(flagsShift) : 0n,
    SWAP_COUNT_SHIFT: flagsBits,
    hiFlagsShift: flagsShift - 32,
    hiCountShift: countShift - 32,
    hiNoFlags: (1 << (flagsShift - 32)) - 1,
    hiCountClear: (1 << (countShift - 32)) - 1,
    hiZero: hasZeroFlag ? 1 << (flagsShift - 32) : 0,
  };
  /* BUILD_BUG_ONs of swap_table.h */
  if (countBits < SWAP_COUNT_MIN_BITS) throw new Error('BUILD_BUG_ON(SWP_TB_COUNT_BITS < SWAP_COUNT_MIN_BITS)');
  if (flagsBits > 8) throw new Error('BUILD_BUG_ON(SWP_TB_FLAGS_BITS > BITS_PER_BYTE)');
  if (SWAP_CACHE_PFN_BITS > BITS_PER_LONG - SWAP_CACHE_PFN_MARK_BITS - flagsBits)
    throw new Error('BUILD_BUG_ON(SWAP_CACHE_PFN_BITS > room below the flags)');
  return Object.freeze(l);
}

export const SWP_TB_P3: SwpTbLayout = mkLayout('p3');
export const SWP_TB_P4: SwpTbLayout = mkLayout('p4');

export function swpTbLayout(phase: SwapTablePhase): SwpTbLayout {
  if (phase === 'p3') return SWP_TB_P3;
  if (phase === 'p4') return SWP_TB_P4;
  throw new RangeError(`swpTbLayout: unknown swap table phase '${String(phase)}'`);
}

/* ---- helpers ---- */

export function hex64(v: bigint): string {
  return '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');
}

export function isU64(v: bigint): boolean {
  return v >= 0n && v <= U64_MASK;
}

function warn(fn: string, cond: string, detail: string): never {
  throw new RangeError(`${fn}: VM_WARN_ON(${cond}): ${detail}`);
}

const PFN_LIMIT = 1n << BigInt(SWAP_CACHE_PFN_BITS);
const PTR_OFFSET_LIMIT = 1n << BigInt(MAX_SWP_OFFSET_BITS);
const PFN_LIMIT_NUM = 2 ** SWAP_CACHE_PFN_BITS;
/* 2^30: the PFN bits the low half holds above the 2-bit PFN mark; the rest go to the high half. */
const PFN_LO_LIMIT = 0x40000000;

/* ---- casting info into an entry ---- */

export function null_to_swp_tb(): bigint {
  return SWP_TB_NULL;
}

/* Does @count fit the count field (0..SWP_TB_COUNT_MAX)? */
function count_fits(l: SwpTbLayout, count: number): boolean {
  return Number.isInteger(count) && count >= 0 && count <= l.SWP_TB_COUNT_MAX;
}

/* Does @flags fit the flags field (SWP_TB_FLAGS_BITS wide)? */
function flags_fit(l: SwpTbLayout, flags: number): boolean {
  return Number.isInteger(flags) && flags >= 0 && !(flags >> l.SWP_TB_FLAGS_BITS);
}

/** Count field only.  VM_WARN_ON(count > SWP_TB_COUNT_MAX) throws. */
export function __count_to_swp_tb(l: SwpTbLayout, count: number): bigint {
  if (!count_fits(l, count))
    warn('__count_to_swp_tb', 'count > SWP_TB_COUNT_MAX', `count ${count}, SWP_TB_COUNT_MAX ${l.SWP_TB_COUNT_MAX} (${l.phase})`);
  return BigInt(count) << l.SWP_TB_COUNT_SHIFT;
}

/**
 * The whole flags field (p4: count << 1 | zero; p3: the count).
 * VM_WARN_ON(flags >> SWP_TB_FLAGS_BITS) throws.
 */
export function __flags_to_swp_tb(l: SwpTbLayout, flags: number): bigint {
  if (!flags_fit(l, flags))
    warn('__flags_to_swp_tb', 'flags >> SWP_TB_FLAGS_BITS', `flags ${flags} wider than ${l.SWP_TB_FLAGS_BITS} bits (${l.phase})`);
  return BigInt(flags) << l.SWP_TB_FLAGS_SHIFT;
}

/**
 * Cached slot.  The kernel warns (VM_WARN_ON_ONCE) when the shifted PFN
 * reaches the flags; the model also refuses a PFN of SWAP_CACHE_PFN_BITS
 * or more, which no x86_64 machine has (swp_tb_check() rejects it).
 */
export function pfn_to_swp_tb(l: SwpTbLayout, pfn: number, flags: number): bigint {
  if (!Number.isSafeInteger(pfn) || pfn < 0)
    warn('pfn_to_swp_tb', 'bad pfn', `pfn ${pfn} is not a non-negative integer`);
  if (pfn < PFN_LIMIT_NUM && flags_fit(l, flags)) {
    /* The common case, in halves: PFN bits 0..29 above the mark, 30..39 in the high half. */
    U32[0] = ((pfn % PFN_LO_LIMIT) << SWAP_CACHE_PFN_MARK_BITS) | 0b10;
    U32[1] = Math.floor(pfn / PFN_LO_LIMIT) | (flags << l.hiFlagsShift);
    return U64[0];
  }
  const p = BigInt(pfn);
  const swp_tb = (p << BigInt(SWAP_CACHE_PFN_MARK_BITS)) | SWP_TB_PFN_MARK;
  if (swp_tb & l.SWP_TB_FLAGS_MASK)
    warn('pfn_to_swp_tb', 'swp_tb & SWP_TB_FLAGS_MASK', `pfn 0x${p.toString(16)} overflows into the flags (${l.phase})`);
  if (p >= PFN_LIMIT)
    warn('pfn_to_swp_tb', 'pfn >> SWAP_CACHE_PFN_BITS', `pfn 0x${p.toString(16)} needs more than ${SWAP_CACHE_PFN_BITS} bits`);
  return swp_tb | __flags_to_swp_tb(l, flags);
}

/**
 * Swapped-out slot.  @shadow is an xa value (bit 0 set, as pack_shadow()
 * returns it) or 0n for "no shadow", which still yields the shadow format
 * (an empty xa value) as a placeholder.  The kernel's VM_WARN_ON_ONCE for a
 * shadow that is not an xa value or has bits in the flags throw.
 */
export function shadow_to_swp_tb(l: SwpTbLayout, shadow: bigint, flags: number): bigint {
  if (!isU64(shadow))
    warn('shadow_to_swp_tb', 'bad shadow', `shadow ${shadow} is not a 64-bit value`);
  U64[0] = shadow;
  if (shadow !== 0n && !(U32[0] & 1))
    warn('shadow_to_swp_tb', 'shadow && !xa_is_value(shadow)', `shadow ${hex64(shadow)}`);
  if (U32[1] & ~l.hiNoFlags)
    warn('shadow_to_swp_tb', 'shadow & SWP_TB_FLAGS_MASK', `shadow ${hex64(shadow)} has bits in the flags (${l.phase})`);
  if (!flags_fit(l, flags)) __flags_to_swp_tb(l, flags); /* warns */
  U32[0] |= 1; /* SWP_TB_SHADOW_MARK */
  U32[1] |= flags << l.hiFlagsShift;
  return U64[0];
}

/* ---- type checks (layout-independent, as in the kernel) ---- */

export function swp_tb_is_null(swp_tb: bigint): boolean {
  return swp_tb === 0n;
}

export function swp_tb_is_folio(swp_tb: bigint): boolean {
  U64[0] = swp_tb;
  return (U32[0] & 0b11) === 0b10; /* SWP_TB_PFN_MARK_MASK, SWP_TB_PFN_MARK */
}

/** xa_is_value() */
export function swp_tb_is_shadow(swp_tb: bigint): boolean {
  U64[0] = swp_tb;
  return (U32[0] & 1) === 1;
}

/* Is the entry whose halves are @lo, @hi countable (NULL, shadow or PFN)? */
function countable(lo: number, hi: number): boolean {
  return (lo & 1) === 1 || (lo & 0b11) === 0b10 || (lo === 0 && hi === 0);
}

export function swp_tb_is_bad(swp_tb: bigint): boolean {
  return swp_tb === SWP_TB_BAD;
}

/** NULL, shadow or PFN: the kinds that carry a count (NULL's is 0). */
export function swp_tb_is_countable(swp_tb: bigint): boolean {
  U64[0] = swp_tb;
  return countable(U32[0], U32[1]);
}

export function swp_tb_is_pointer(swp_tb: bigint): boolean {
  U64[0] = swp_tb;
  return (U32[0] & 0b111) === 0b100; /* SWP_TB_PTR_MARK_MASK, SWP_TB_PTR_MARK */
}

/* ---- retrieving info ---- */

/** The PFN of a cached slot (the kernel's swp_tb_to_folio() before pfn_folio()). */
export function swp_tb_to_pfn(l: SwpTbLayout, swp_tb: bigint): number {
  U64[0] = swp_tb;
  const lo = U32[0];
  if ((lo & 0b11) !== 0b10)
    warn('swp_tb_to_pfn', '!swp_tb_is_folio(swp_tb)', `${hex64(swp_tb)} is not a PFN entry`);
  return (lo >>> SWAP_CACHE_PFN_MARK_BITS) + (U32[1] & l.hiNoFlags) * PFN_LO_LIMIT;
}

/** The xa value stored as is in the low bits (bit 0 stays set). */
export function swp_tb_to_shadow(l: SwpTbLayout, swp_tb: bigint): bigint {
  U64[0] = swp_tb;
  if (!(U32[0] & 1))
    warn('swp_tb_to_shadow', '!swp_tb_is_shadow(swp_tb)', `${hex64(swp_tb)} is not a shadow entry`);
  U32[1] &= l.hiNoFlags;
  return U64[0];
}

export function __swp_tb_get_count(l: SwpTbLayout, swp_tb: bigint): number {
  U64[0] = swp_tb;
  const hi = U32[1];
  if (!countable(U32[0], hi))
    warn('__swp_tb_get_count', '!swp_tb_is_countable(swp_tb)', `${hex64(swp_tb)}`);
  /* The count is the top field: a shift alone extracts it. */
  return hi >>> l.hiCountShift;
}

export function __swp_tb_get_flags(l: SwpTbLayout, swp_tb: bigint): number {
  U64[0] = swp_tb;
  const hi = U32[1];
  if (!countable(U32[0], hi))
    warn('__swp_tb_get_flags', '!swp_tb_is_countable(swp_tb)', `${hex64(swp_tb)}`);
  return hi >>> l.hiFlagsShift;
}

/** The count, or -EINVAL for a bad slot or a pointer. */
export function swp_tb_get_count(l: SwpTbLayout, swp_tb: bigint): number {
  if (swp_tb_is_countable(swp_tb)) return __swp_tb_get_count(l, swp_tb);
  return -EINVAL;
}

/**
 * @swp_tb with its count replaced.  Like the kernel, no kind check: on a
 * NULL entry it makes a flags-only word that is no valid kind (callers
 * build shadow_to_swp_tb(l, 0n, 0) first).
 */
export function __swp_tb_mk_count(l: SwpTbLayout, swp_tb: bigint, count: number): bigint {
  if (!count_fits(l, count)) __count_to_swp_tb(l, count); /* warns */
  U64[0] = swp_tb;
  U32[1] = (U32[1] & l.hiCountClear) | (count << l.hiCountShift);
  return U64[0];
}

/*
 * Check that @swp_tb may carry the zero flag; leaves it in U64 (halves
 * in U32) for the caller.
 */
function zeroFlagOf(fn: string, l: SwpTbLayout, swp_tb: bigint): void {
  if (!l.hasZeroFlag)
    throw new RangeError(`${fn}: layout ${l.phase} has no SWP_TB_ZERO_FLAG (SWAP_TABLE_HAS_ZEROFLAG is 0: the zero state lives in a bitmap)`);
  U64[0] = swp_tb;
  if (!countable(U32[0], U32[1]))
    warn(fn, '!swp_tb_is_countable(swp_tb)', `${hex64(swp_tb)}`);
}

/**
 * Zero flag of an entry (value half of __swap_table_test_zero()).  Throws
 * on a non-countable entry (VM_WARN_ON) and on a layout without the flag.
 * Note: NULL is countable, so set_zero on NULL does not warn in the kernel
 * either; the result is no valid kind and swp_tb_check() reports it.
 */
export function swp_tb_test_zero(l: SwpTbLayout, swp_tb: bigint): boolean {
  zeroFlagOf('swp_tb_test_zero', l, swp_tb);
  return (U32[1] & l.hiZero) !== 0;
}

export function swp_tb_set_zero(l: SwpTbLayout, swp_tb: bigint): bigint {
  zeroFlagOf('swp_tb_set_zero', l, swp_tb);
  U32[1] |= l.hiZero;
  return U64[0];
}

export function swp_tb_clear_zero(l: SwpTbLayout, swp_tb: bigint): bigint {
  zeroFlagOf('swp_tb_clear_zero', l, swp_tb);
  U32[1] &= ~l.hiZero;
  return U64[0];
}

/* ---- pointer (vswap rmap) ---- */

/** Rmap entry naming vswap slot @offset (C bit clear: SWP_RMAP_CACHE_ONLY is OR-ed in by the caller). */
export function swp_entry_to_swp_tb_ptr(offset: number): bigint {
  if (!Number.isSafeInteger(offset) || offset < 0 || BigInt(offset) >= PTR_OFFSET_LIMIT)
    throw new RangeError(`swp_entry_to_swp_tb_ptr: offset ${offset} is not a swap offset (0 .. 2^${MAX_SWP_OFFSET_BITS}-1)`);
  return (BigInt(offset) << BigInt(SWP_TB_PTR_MARK_BITS)) | SWP_TB_PTR_MARK;
}

/** The vswap offset of a pointer entry (swp_tb_ptr_to_swp_entry() without the type). */
export function swp_tb_ptr_to_offset(swp_tb: bigint): number {
  if (!swp_tb_is_pointer(swp_tb))
    warn('swp_tb_ptr_to_offset', '!swp_tb_is_pointer(swp_tb)', `${hex64(swp_tb)} is not a pointer entry`);
  const off = (swp_tb & SWP_RMAP_ENTRY_MASK) >> BigInt(SWP_TB_PTR_MARK_BITS);
  if (off >= PTR_OFFSET_LIMIT)
    throw new RangeError(`swp_tb_ptr_to_offset: ${hex64(swp_tb)}: offset 0x${off.toString(16)} exceeds ${MAX_SWP_OFFSET_BITS} bits`);
  return Number(off);
}

/* ---- well-formedness and decoding ---- */

export interface SwpTbCheckOptions {
  /**
   * The table belongs to a physical device backing a vswap device, so
   * pointer entries (the vswap rmap) are legal.  Default false: neither the
   * phase III nor the phase IV RFC table uses the pointer tag ("unused",
   * reserved for 8-byte aligned pointers); only linux-mm's vswap does.
   */
  vswapRmap?: boolean;
}

/**
 * Which 64-bit values are not entries (null = well-formed, else the reason).
 *
 *  - shadow (bit 0 set): every value is well-formed in both layouts: the
 *    anon shadow packs eviction/memcg/node/workingset into exactly the bits
 *    below the flags (see workingset.ts), every pattern of them is
 *    reachable, and every count 0..SWP_TB_COUNT_MAX and zero flag is legal
 *    (count 0 exists briefly under the cluster lock before the slot is
 *    freed).  So all-ones is a shadow, not a bad slot.
 *  - PFN (low bits 0b10): the bits between the 40-bit PFN and the flags
 *    (42..58 in p4, 42..59 in p3) must be clear: a PFN of 2^40 or more
 *    cannot exist on x86_64 and pfn_to_swp_tb() cannot build it.
 *  - pointer (low bits 0b100): legal only as a vswap rmap (@opts.vswapRmap)
 *    and only with an offset below 2^MAX_SWP_OFFSET_BITS; the top bit is the
 *    cache-only flag, not a count.  Pointers carry no count and no zero flag.
 *  - low bits 0b000: only NULL (0) and SWP_TB_BAD are entries.  Anything
 *    else is rejected, with the likely story: a bad marker with a hole in
 *    its ones, or count/zero flags set on a NULL entry (the kernel's
 *    __swp_tb_mk_count() / zero-flag helpers treat NULL as countable and
 *    would make exactly that), or garbage.
 */
export function swp_tb_check(l: SwpTbLayout, swp_tb: bigint, opts: SwpTbCheckOptions = {}): string | null {
  if (typeof swp_tb !== 'bigint' || !isU64(swp_tb))
    return `${String(swp_tb)} is not an unsigned 64-bit value`;
  if (swp_tb === SWP_TB_NULL || swp_tb === SWP_TB_BAD) return null;
  if (swp_tb_is_shadow(swp_tb)) return null;
  if (swp_tb_is_folio(swp_tb)) {
    const pfn = (swp_tb & ~l.SWP_TB_FLAGS_MASK) >> BigInt(SWAP_CACHE_PFN_MARK_BITS);
    if (pfn >= PFN_LIMIT)
      return `PFN entry with pfn 0x${pfn.toString(16)} beyond SWAP_CACHE_PFN_BITS (${SWAP_CACHE_PFN_BITS}): bits ${SWP_TB_PFN_BITS}..${63 - l.SWP_TB_FLAGS_BITS} must be clear in ${l.phase}`;
    return null;
  }
  if (swp_tb_is_pointer(swp_tb)) {
    const off = (swp_tb & SWP_RMAP_ENTRY_MASK) >> BigInt(SWP_TB_PTR_MARK_BITS);
    if (off >= PTR_OFFSET_LIMIT)
      return `pointer entry with vswap offset 0x${off.toString(16)} beyond the ${MAX_SWP_OFFSET_BITS} offset bits of a swap entry`;
    if (!opts.vswapRmap)
      return 'pointer-tagged entry (0b100): only a vswap rmap holds one, and this table does not back a vswap device';
    return null;
  }
  /* low bits 0b000, neither NULL nor bad */
  if ((swp_tb & 0xfn) === 0b1000n)
    return 'bad-slot marker 0b1000 but the bits above are not all ones (SWP_TB_BAD is ~0UL << 3)';
  if ((swp_tb & ~l.SWP_TB_FLAGS_MASK) === 0n)
    return `flags 0x${((swp_tb & l.SWP_TB_FLAGS_MASK) >> l.SWP_TB_FLAGS_SHIFT).toString(16)} on a NULL entry (count and zero flag belong to shadow and PFN entries only)`;
  return 'untagged value: low bits 0b000 but neither NULL (0) nor SWP_TB_BAD';
}

/* ---- table access (arena) ---- */
