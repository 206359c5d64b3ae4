/*
 * Decoding a swap table entry for humans and tools: `swaptorture decode`,
 * the package API (decodeSwapTableEntry), reports.  Kept apart from the
 * encoding (swap_table.ts) because a shadow decodes through the anon
 * shadow packing of workingset.ts, which itself builds on the encoding.
 */
import {
  __swp_tb_get_count, hex64, isU64, SWP_RMAP_CACHE_ONLY, swp_tb_check, swp_tb_is_bad, swp_tb_is_folio, swp_tb_is_null, swp_tb_is_pointer,
  swp_tb_ptr_to_offset, swp_tb_test_zero, swp_tb_to_pfn, swp_tb_to_shadow, type SwpTbLayout,
} from './swap_table.js';
import { unpack_shadow } from './workingset.js';

export type SwpTbKind = 'null' | 'shadow' | 'pfn' | 'pointer' | 'bad' | 'invalid';

export interface DecodedSwpTb {
  kind: SwpTbKind;
  /*
   * Every field that does not apply to the kind is null (never 0 or
   * false), so a reader can tell "no such field" from a value.
   */
  /** swap count: shadow and PFN entries only (a NULL entry has no flags: it is a free slot) */
  count: number | null;
  /** zero flag: shadow and PFN entries of a layout with one (p4) */
  zero: boolean | null;
  /** PFN entries only */
  pfn: number | null;
  /** shadow only (unpacked as the anon shadow of workingset.c) */
  memcgId: number | null;
  node: number | null;
  workingset: boolean | null;
  eviction: number | null;
  /** pointer only: vswap offset and the SWP_RMAP_CACHE_ONLY bit */
  offset: number | null;
  cacheOnly: boolean | null;
  /** invalid only: why the value is no entry */
  reason: string | null;
  /** the entry as 0x%016x */
  raw: string;
}

/**
 * Decode one entry.  The kind is the value-level one: pointers decode as
 * 'pointer' (a vswap rmap) in both layouts; anything swp_tb_check() rejects
 * with vswapRmap set is 'invalid' with the reason.
 */
export function decode_swp_tb(l: SwpTbLayout, swp_tb: bigint): DecodedSwpTb {
  const d: DecodedSwpTb = {
    kind: 'invalid', count: null, zero: null, pfn: null, memcgId: null, node: null,
    workingset: null, eviction: null, offset: null, cacheOnly: null, reason: null,
    raw: typeof swp_tb === 'bigint' && isU64(swp_tb) ? hex64(swp_tb) : String(swp_tb),
  };
  const reason = swp_tb_check(l, swp_tb, { vswapRmap: true });
  if (reason !== null) {
    d.reason = reason;
    return d;
  }
  if (swp_tb_is_bad(swp_tb)) {
    d.kind = 'bad';
    return d;
  }
  if (swp_tb_is_pointer(swp_tb)) {
    d.kind = 'pointer';
    d.offset = swp_tb_ptr_to_offset(swp_tb);
    d.cacheOnly = (swp_tb & SWP_RMAP_CACHE_ONLY) !== 0n;
    return d;
  }
  if (swp_tb_is_null(swp_tb)) {
    d.kind = 'null';
    return d;
  }
  d.count = __swp_tb_get_count(l, swp_tb);
  d.zero = l.hasZeroFlag ? swp_tb_test_zero(l, swp_tb) : null;
  if (swp_tb_is_folio(swp_tb)) {
    d.kind = 'pfn';
    d.pfn = swp_tb_to_pfn(l, swp_tb);
  } else {
    d.kind = 'shadow';
    const u = unpack_shadow(l, swp_tb_to_shadow(l, swp_tb));
    d.memcgId = u.memcgId;
    d.node = u.node;
    d.workingset = u.workingset;
    d.eviction = u.eviction;
  }
  return d;
}

/**
 * One human line: `0x...: shadow count=15 zero=0 memcg=0 node=0
 * workingset=1 eviction=0`, or `0x...: invalid: <reason>`.  Fields that do
 * not apply are left out.
 */
export function format_decoded_swp_tb(d: DecodedSwpTb): string {
  if (d.kind === 'invalid') return `${d.raw}: invalid: ${d.reason ?? '?'}`;
  const parts: string[] = [`${d.raw}: ${d.kind}`];
  const b = (x: boolean): string => (x ? '1' : '0');
  if (d.count !== null) parts.push(`count=${d.count}`);
  if (d.zero !== null) parts.push(`zero=${b(d.zero)}`);
  if (d.pfn !== null) parts.push(`pfn=0x${d.pfn.toString(16)}`);
  if (d.memcgId !== null) parts.push(`memcg=${d.memcgId}`);
  if (d.node !== null) parts.push(`node=${d.node}`);
  if (d.workingset !== null) parts.push(`workingset=${b(d.workingset)}`);
  if (d.eviction !== null) parts.push(`eviction=${d.eviction}`);
  if (d.offset !== null) parts.push(`offset=${d.offset}`);
  if (d.cacheOnly !== null) parts.push(`cache_only=${b(d.cacheOnly)}`);
  return parts.join(' ');
}
