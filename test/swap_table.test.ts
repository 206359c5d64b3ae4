/*
 * Swap table entry encoding (src/mm/swap_table.ts) and anon shadow packing
 * (src/mm/workingset.ts), both layouts, as properties.
 *
 * Replay a failure: FC_SEED=<seed printed below or by fast-check> npx vitest run test/swap_table.test.ts
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  SWP_TB_P3, SWP_TB_P4, swpTbLayout, type SwpTbLayout,
  SWP_TB_NULL, SWP_TB_BAD, SWP_TB_SHADOW_MARK, SWP_TB_PFN_MARK, SWP_TB_PFN_MARK_MASK, SWP_TB_PTR_MARK,
  SWP_RMAP_CACHE_ONLY, SWAP_CACHE_PFN_BITS, SWP_TB_PFN_BITS, MAX_SWP_OFFSET_BITS,
  null_to_swp_tb, pfn_to_swp_tb, shadow_to_swp_tb, __count_to_swp_tb, __flags_to_swp_tb,
  swp_tb_is_null, swp_tb_is_folio, swp_tb_is_shadow, swp_tb_is_bad, swp_tb_is_countable, swp_tb_is_pointer,
  swp_tb_to_pfn, swp_tb_to_shadow, __swp_tb_get_count, __swp_tb_get_flags, swp_tb_get_count, __swp_tb_mk_count,
  swp_tb_test_zero, swp_tb_set_zero, swp_tb_clear_zero, swp_entry_to_swp_tb_ptr, swp_tb_ptr_to_offset,
  swp_tb_check,
} from '../src/mm/swap_table.js';
import { decode_swp_tb, format_decoded_swp_tb, type DecodedSwpTb } from '../src/mm/swap_table_decode.js';
import {
  pack_shadow, unpack_shadow, shadow_to_memcgid, memcgid_to_shadow, EVICTION_MASK_ANON, EVICTION_SHIFT,
  EVICTION_SHIFT_ANON, MEM_CGROUP_ID_MAX, MAX_NUMNODES,
} from '../src/mm/workingset.js';

const seed = process.env.FC_SEED !== undefined && process.env.FC_SEED !== ''
  ? Number(process.env.FC_SEED)
  : (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
console.log(`[swap_table.test] fast-check seed ${seed} (replay: FC_SEED=${seed})`);
fc.configureGlobal({ seed });

const U64 = (1n << 64n) - 1n;
const LAYOUTS: [string, SwpTbLayout][] = [['p3', SWP_TB_P3], ['p4', SWP_TB_P4]];

/* ---- arbitraries ---- */

const arbPfn = fc.oneof(
  fc.constantFrom(0, 1, 2 ** SWAP_CACHE_PFN_BITS - 1),
  fc.bigInt(0n, (1n << BigInt(SWAP_CACHE_PFN_BITS)) - 1n).map(Number),
);
const arbFlags = (l: SwpTbLayout) => fc.integer({ min: 0, max: (1 << l.SWP_TB_FLAGS_BITS) - 1 });
const arbCount = (l: SwpTbLayout) => fc.integer({ min: 0, max: l.SWP_TB_COUNT_MAX });
interface ShadowFields { memcgid: number; node: number; eviction: bigint; workingset: boolean }
const arbShadowFields = (l: SwpTbLayout): fc.Arbitrary<ShadowFields> => fc.record({
  memcgid: fc.oneof(fc.constantFrom(0, MEM_CGROUP_ID_MAX), fc.integer({ min: 0, max: MEM_CGROUP_ID_MAX })),
  node: fc.integer({ min: 0, max: MAX_NUMNODES - 1 }),
  eviction: fc.oneof(fc.constantFrom(0n, EVICTION_MASK_ANON(l)), fc.bigInt(0n, EVICTION_MASK_ANON(l))),
  workingset: fc.boolean(),
});
const packF = (l: SwpTbLayout, f: ShadowFields): bigint => pack_shadow(l, f.memcgid, f.node, f.eviction, f.workingset);
const arbOffset = fc.oneof(fc.constantFrom(0, 2 ** MAX_SWP_OFFSET_BITS - 1), fc.bigInt(0n, (1n << BigInt(MAX_SWP_OFFSET_BITS)) - 1n).map(Number));

/** Any well-formed entry of @l (pointers included: a vswap rmap). */
const arbEntry = (l: SwpTbLayout): fc.Arbitrary<bigint> => fc.oneof(
  fc.constant(SWP_TB_NULL),
  fc.constant(SWP_TB_BAD),
  fc.tuple(arbPfn, arbFlags(l)).map(([p, f]) => pfn_to_swp_tb(l, p, f)),
  fc.tuple(arbShadowFields(l), arbFlags(l)).map(([s, f]) => shadow_to_swp_tb(l, packF(l, s), f)),
  fc.tuple(arbOffset, fc.boolean()).map(([o, c]) => swp_entry_to_swp_tb_ptr(o) | (c ? SWP_RMAP_CACHE_ONLY : 0n)),
);
/** Any 64-bit value, biased towards entries and their one-bit neighbours. */
const arbU64 = (l: SwpTbLayout): fc.Arbitrary<bigint> => fc.oneof(
  fc.bigInt(0n, U64),
  arbEntry(l),
  fc.tuple(arbEntry(l), fc.integer({ min: 0, max: 63 })).map(([tb, b]) => tb ^ (1n << BigInt(b))),
  fc.bigInt(0n, 15n).map((low) => (SWP_TB_BAD & ~15n) | low),
);

const flagsOf = (l: SwpTbLayout, count: number, zero: boolean): number =>
  l.hasZeroFlag ? (count << 1) | (zero ? 1 : 0) : count;

/** Re-encode a decoded entry from its fields only. */
function encode(l: SwpTbLayout, d: DecodedSwpTb): bigint {
  switch (d.kind) {
    case 'null': return null_to_swp_tb();
    case 'bad': return SWP_TB_BAD;
    case 'pointer': return swp_entry_to_swp_tb_ptr(d.offset!) | (d.cacheOnly ? SWP_RMAP_CACHE_ONLY : 0n);
    case 'pfn': return pfn_to_swp_tb(l, d.pfn!, flagsOf(l, d.count!, d.zero ?? false));
    case 'shadow':
      return shadow_to_swp_tb(l, pack_shadow(l, d.memcgId!, d.node!, d.eviction!, d.workingset!),
        flagsOf(l, d.count!, d.zero ?? false));
    case 'invalid': throw new Error(`cannot encode invalid ${d.raw}`);
  }
}

const kinds = (tb: bigint): string[] => {
  const k: string[] = [];
  if (swp_tb_is_null(tb)) k.push('null');
  if (swp_tb_is_folio(tb)) k.push('pfn');
  if (swp_tb_is_shadow(tb)) k.push('shadow');
  if (swp_tb_is_bad(tb)) k.push('bad');
  if (swp_tb_is_pointer(tb)) k.push('pointer');
  return k;
};

/* ---- constants ---- */

describe('layout constants (x86_64)', () => {
  it('p4: 5 flag bits = zero flag (bit 59) + 4-bit count (60..63)', () => {
    const l = SWP_TB_P4;
    expect(l.hasZeroFlag).toBe(true);
    expect([l.SWP_TB_FLAGS_BITS, l.SWP_TB_COUNT_BITS, l.SWP_TB_COUNT_MAX, l.SWAP_COUNT_SHIFT]).toEqual([5, 4, 15, 5]);
    expect([l.SWP_TB_FLAGS_SHIFT, l.SWP_TB_COUNT_SHIFT]).toEqual([59n, 60n]);
    expect(l.SWP_TB_FLAGS_MASK).toBe(0xf800000000000000n);
    expect(l.SWP_TB_COUNT_MASK).toBe(0xf000000000000000n);
    expect(l.SWP_TB_ZERO_FLAG).toBe(1n << 59n);
    expect(swpTbLayout('p4')).toBe(l);
  });

  it('p3: 4-bit count (60..63), no zero flag', () => {
    const l = SWP_TB_P3;
    expect(l.hasZeroFlag).toBe(false);
    expect([l.SWP_TB_FLAGS_BITS, l.SWP_TB_COUNT_BITS, l.SWP_TB_COUNT_MAX, l.SWAP_COUNT_SHIFT]).toEqual([4, 4, 15, 4]);
    expect(l.SWP_TB_FLAGS_MASK).toBe(0xf000000000000000n);
    expect(l.SWP_TB_COUNT_MASK).toBe(0xf000000000000000n);
    expect(l.SWP_TB_ZERO_FLAG).toBe(0n);
    expect(swpTbLayout('p3')).toBe(l);
    expect(() => swpTbLayout('p9' as never)).toThrow(RangeError);
  });

  it('shared marks and the anon eviction widths', () => {
    expect([SWP_TB_NULL, SWP_TB_SHADOW_MARK, SWP_TB_PFN_MARK, SWP_TB_PFN_MARK_MASK, SWP_TB_PTR_MARK])
      .toEqual([0n, 1n, 2n, 3n, 4n]);
    expect(SWP_TB_BAD).toBe(0xfffffffffffffff8n);
    expect([SWAP_CACHE_PFN_BITS, SWP_TB_PFN_BITS]).toEqual([40, 42]);
    expect(EVICTION_SHIFT).toBe(24);
    expect([EVICTION_SHIFT_ANON(SWP_TB_P4), EVICTION_SHIFT_ANON(SWP_TB_P3)]).toEqual([29, 28]);
    expect(EVICTION_MASK_ANON(SWP_TB_P4)).toBe((1n << 35n) - 1n);
    expect(EVICTION_MASK_ANON(SWP_TB_P3)).toBe((1n << 36n) - 1n);
  });
});

/* ---- per layout ---- */

describe.each(LAYOUTS)('layout %s', (_name, l) => {
  const maxFlags = (1 << l.SWP_TB_FLAGS_BITS) - 1;
  const PAYLOAD = U64 & ~l.SWP_TB_FLAGS_MASK;

  it('PFN round trip: every pfn < 2^40 with every flags value', () => {
    fc.assert(fc.property(arbPfn, (pfn) => {
      for (let flags = 0; flags <= maxFlags; flags++) {
        const tb = pfn_to_swp_tb(l, pfn, flags);
        expect(kinds(tb)).toEqual(['pfn']);
        expect(swp_tb_is_countable(tb)).toBe(true);
        expect(swp_tb_to_pfn(l, tb)).toBe(pfn);
        expect(__swp_tb_get_flags(l, tb)).toBe(flags);
        const count = l.hasZeroFlag ? flags >> 1 : flags;
        expect(__swp_tb_get_count(l, tb)).toBe(count);
        expect(swp_tb_get_count(l, tb)).toBe(count);
        if (l.hasZeroFlag) expect(swp_tb_test_zero(l, tb)).toBe((flags & 1) === 1);
        expect(swp_tb_check(l, tb)).toBeNull();
        const d = decode_swp_tb(l, tb);
        expect(d).toMatchObject({ kind: 'pfn', pfn, count, memcgId: null, node: null, workingset: null, reason: null });
        expect(d.zero).toBe(l.hasZeroFlag ? (flags & 1) === 1 : null);
      }
    }));
  });

  it('shadow round trip: pack_shadow fields survive the table with every flags value', () => {
    fc.assert(fc.property(arbShadowFields(l), (f) => {
      const shadow = packF(l, f);
      expect(shadow & 1n).toBe(1n); /* xa value */
      expect(shadow & l.SWP_TB_FLAGS_MASK).toBe(0n); /* highest bits left empty */
      for (let flags = 0; flags <= maxFlags; flags++) {
        const tb = shadow_to_swp_tb(l, shadow, flags);
        expect(kinds(tb)).toEqual(['shadow']);
        expect(swp_tb_to_shadow(l, tb)).toBe(shadow);
        expect(__swp_tb_get_flags(l, tb)).toBe(flags);
        expect(swp_tb_check(l, tb)).toBeNull();
        const u = unpack_shadow(l, swp_tb_to_shadow(l, tb));
        expect(u).toEqual({ memcgId: f.memcgid, node: f.node, eviction: Number(f.eviction), workingset: f.workingset });
        expect(shadow_to_memcgid(swp_tb_to_shadow(l, tb))).toBe(f.memcgid);
        const d = decode_swp_tb(l, tb);
        expect(d).toMatchObject({
          kind: 'shadow', count: l.hasZeroFlag ? flags >> 1 : flags, pfn: null,
          memcgId: f.memcgid, node: f.node, eviction: Number(f.eviction), workingset: f.workingset,
        });
      }
    }));
  });

  it('every memcg id 0..65535 and every node 0..63 round-trips through the shadow', () => {
    const mask = EVICTION_MASK_ANON(l);
    for (let id = 0; id <= MEM_CGROUP_ID_MAX; id++) {
      const s = pack_shadow(l, id, id & 63, BigInt(id) * 0x9e3779b1n & mask, (id & 1) === 1);
      if (shadow_to_memcgid(s) !== id) expect(shadow_to_memcgid(s)).toBe(id);
      const m = memcgid_to_shadow(id);
      if (shadow_to_memcgid(m) !== id) expect(shadow_to_memcgid(m)).toBe(id);
      if (m & l.SWP_TB_FLAGS_MASK) expect(m & l.SWP_TB_FLAGS_MASK).toBe(0n);
    }
    for (let node = 0; node < MAX_NUMNODES; node++) {
      for (const ws of [false, true]) {
        const u = unpack_shadow(l, pack_shadow(l, MEM_CGROUP_ID_MAX, node, mask, ws));
        expect(u).toEqual({ memcgId: MEM_CGROUP_ID_MAX, node, eviction: Number(mask), workingset: ws });
      }
    }
    expect(unpack_shadow(l, memcgid_to_shadow(1234))).toEqual({ memcgId: 1234, node: 0, eviction: 0, workingset: false });
  });

  it('eviction is truncated to EVICTION_MASK_ANON; the fullest shadow fills exactly the bits below the flags', () => {
    const mask = EVICTION_MASK_ANON(l);
    expect(pack_shadow(l, MEM_CGROUP_ID_MAX, MAX_NUMNODES - 1, mask, true)).toBe(PAYLOAD);
    fc.assert(fc.property(arbShadowFields(l), fc.bigInt(0n, (1n << 60n) - 1n), (f, high) => {
      const ev = f.eviction | ((high << BigInt(64 - EVICTION_SHIFT_ANON(l))) & ((1n << 64n) - 1n));
      expect(pack_shadow(l, f.memcgid, f.node, ev, f.workingset)).toBe(packF(l, f));
    }));
  });

  it('count and flags never leak into the payload, and the payload never into the flags', () => {
    const arbCountable = fc.oneof(
      fc.tuple(arbPfn, arbFlags(l)).map(([p, f]) => pfn_to_swp_tb(l, p, f)),
      fc.tuple(arbShadowFields(l), arbFlags(l)).map(([s, f]) => shadow_to_swp_tb(l, packF(l, s), f)),
    );
    fc.assert(fc.property(arbCountable, arbCount(l), (tb, count) => {
      const t2 = __swp_tb_mk_count(l, tb, count);
      expect(__swp_tb_get_count(l, t2)).toBe(count);
      expect(t2 & PAYLOAD).toBe(tb & PAYLOAD);
      expect(t2 & l.SWP_TB_ZERO_FLAG).toBe(tb & l.SWP_TB_ZERO_FLAG);
      expect(kinds(t2)).toEqual(kinds(tb));
      if (swp_tb_is_folio(tb)) expect(swp_tb_to_pfn(l, t2)).toBe(swp_tb_to_pfn(l, tb));
      else expect(swp_tb_to_shadow(l, t2)).toBe(swp_tb_to_shadow(l, tb));
    }));
    fc.assert(fc.property(arbPfn, arbPfn, arbFlags(l), arbFlags(l), (p1, p2, f1, f2) => {
      const a = pfn_to_swp_tb(l, p1, f1);
      expect((a ^ pfn_to_swp_tb(l, p1, f2)) & PAYLOAD).toBe(0n);
      expect((a ^ pfn_to_swp_tb(l, p2, f1)) & l.SWP_TB_FLAGS_MASK).toBe(0n);
      expect(__swp_tb_get_flags(l, pfn_to_swp_tb(l, p2, f1))).toBe(f1);
    }));
    fc.assert(fc.property(arbShadowFields(l), arbShadowFields(l), arbFlags(l), arbFlags(l), (s1, s2, f1, f2) => {
      const a = shadow_to_swp_tb(l, packF(l, s1), f1);
      expect((a ^ shadow_to_swp_tb(l, packF(l, s1), f2)) & PAYLOAD).toBe(0n);
      expect((a ^ shadow_to_swp_tb(l, packF(l, s2), f1)) & l.SWP_TB_FLAGS_MASK).toBe(0n);
    }));
  });

  it('predicates are mutually exclusive on valid entries; countable = NULL, shadow or PFN', () => {
    fc.assert(fc.property(arbEntry(l), (tb) => {
      const k = kinds(tb);
      expect(k).toHaveLength(1);
      expect(swp_tb_is_countable(tb)).toBe(['null', 'pfn', 'shadow'].includes(k[0]!));
      expect(swp_tb_check(l, tb, { vswapRmap: true })).toBeNull();
      expect(decode_swp_tb(l, tb).kind).toBe(k[0]);
    }));
  });

  it('any 64-bit value decodes to exactly one kind, and a valid one re-encodes to itself', () => {
    fc.assert(fc.property(arbU64(l), (tb) => {
      const d = decode_swp_tb(l, tb);
      expect(d.raw).toBe('0x' + tb.toString(16).padStart(16, '0'));
      const why = swp_tb_check(l, tb, { vswapRmap: true });
      if (why !== null) {
        expect(d.kind).toBe('invalid');
        expect(d.reason).toBe(why);
        expect([d.count, d.zero, d.pfn, d.memcgId, d.node, d.workingset, d.eviction, d.offset]).toEqual(
          [null, null, null, null, null, null, null, null]);
        return;
      }
      expect(d.reason).toBeNull();
      expect(kinds(tb)).toEqual([d.kind]);
      expect(encode(l, d)).toBe(tb);
      if (!l.hasZeroFlag || !swp_tb_is_countable(tb)) expect(d.zero).toBeNull();
      expect(format_decoded_swp_tb(d).startsWith(`${d.raw}: ${d.kind}`)).toBe(true);
    }));
  });

  it('count 0..SWP_TB_COUNT_MAX on NULL-shadow placeholders; beyond it is a VM_WARN', () => {
    for (let c = 0; c <= l.SWP_TB_COUNT_MAX; c++) {
      const tb = __swp_tb_mk_count(l, shadow_to_swp_tb(l, 0n, 0), c);
      expect(decode_swp_tb(l, tb)).toMatchObject({ kind: 'shadow', count: c, memcgId: 0, eviction: 0 });
      expect(__count_to_swp_tb(l, c)).toBe(BigInt(c) << l.SWP_TB_COUNT_SHIFT);
    }
    expect(() => __count_to_swp_tb(l, l.SWP_TB_COUNT_MAX + 1)).toThrow(/__count_to_swp_tb: VM_WARN_ON\(count > SWP_TB_COUNT_MAX\)/);
    expect(() => __count_to_swp_tb(l, -1)).toThrow(RangeError);
    expect(() => __swp_tb_mk_count(l, SWP_TB_SHADOW_MARK, 16)).toThrow(RangeError);
    expect(() => __flags_to_swp_tb(l, maxFlags + 1)).toThrow(/VM_WARN_ON\(flags >> SWP_TB_FLAGS_BITS\)/);
  });

  it('VM_WARN_ON conditions throw RangeError; swp_tb_get_count gives -EINVAL for bad and pointer', () => {
    expect(() => pfn_to_swp_tb(l, 2 ** SWAP_CACHE_PFN_BITS, 0)).toThrow(RangeError);
    expect(() => pfn_to_swp_tb(l, -1, 0)).toThrow(RangeError);
    expect(() => pfn_to_swp_tb(l, 1.5, 0)).toThrow(RangeError);
    expect(() => shadow_to_swp_tb(l, 2n, 0)).toThrow(/xa_is_value/);
    expect(() => shadow_to_swp_tb(l, (1n << 63n) | 1n, 0)).toThrow(/SWP_TB_FLAGS_MASK/);
    expect(() => swp_tb_to_pfn(l, SWP_TB_SHADOW_MARK)).toThrow(/swp_tb_is_folio/);
    expect(() => swp_tb_to_shadow(l, pfn_to_swp_tb(l, 1, 0))).toThrow(/swp_tb_is_shadow/);
    expect(() => __swp_tb_get_count(l, SWP_TB_BAD)).toThrow(/swp_tb_is_countable/);
    expect(() => __swp_tb_get_flags(l, SWP_TB_PTR_MARK)).toThrow(/swp_tb_is_countable/);
    expect(swp_tb_get_count(l, SWP_TB_BAD)).toBe(-22);
    expect(swp_tb_get_count(l, swp_entry_to_swp_tb_ptr(7))).toBe(-22);
    expect(swp_tb_get_count(l, SWP_TB_NULL)).toBe(0);
    expect(() => unpack_shadow(l, shadow_to_swp_tb(l, 1n, maxFlags))).toThrow(/swap table flags/);
    expect(() => pack_shadow(l, MEM_CGROUP_ID_MAX + 1, 0, 0, false)).toThrow(RangeError);
    expect(() => pack_shadow(l, 0, MAX_NUMNODES, 0, false)).toThrow(RangeError);
  });

  it('boundary values decode as expected', () => {
    const z = l.hasZeroFlag ? false : null;
    expect(decode_swp_tb(l, 0n)).toMatchObject({ kind: 'null', count: null, zero: null, pfn: null, raw: '0x0000000000000000' });
    expect(decode_swp_tb(l, SWP_TB_BAD)).toMatchObject({ kind: 'bad', count: null, zero: null, raw: '0xfffffffffffffff8' });
    const maxPfn = 2 ** SWAP_CACHE_PFN_BITS - 1;
    expect(decode_swp_tb(l, pfn_to_swp_tb(l, maxPfn, 0))).toMatchObject({ kind: 'pfn', pfn: maxPfn, count: 0, zero: z, raw: '0x000003fffffffffe' });
    const full = pfn_to_swp_tb(l, maxPfn, maxFlags);
    expect(decode_swp_tb(l, full)).toMatchObject({ kind: 'pfn', pfn: maxPfn, count: l.SWP_TB_COUNT_MAX, zero: l.hasZeroFlag ? true : null });
    expect(decode_swp_tb(l, 0xf000000000000003n)).toMatchObject({
      kind: 'shadow', count: 15, zero: z, memcgId: 0, node: 0, workingset: true, eviction: 0,
    });
    /* all ones: a shadow with everything set, not a bad slot */
    expect(decode_swp_tb(l, U64)).toMatchObject({
      kind: 'shadow', count: 15, zero: l.hasZeroFlag ? true : null, memcgId: 65535, node: 63, workingset: true,
      eviction: Number(EVICTION_MASK_ANON(l)),
    });
    expect(decode_swp_tb(l, 0x8n)).toMatchObject({ kind: 'invalid', count: null, zero: null });
    expect(decode_swp_tb(l, 0x8n).reason).toMatch(/bad-slot marker/);
    expect(decode_swp_tb(l, 0x4n)).toMatchObject({ kind: 'pointer', offset: 0, cacheOnly: false, count: null, zero: null });
    expect(format_decoded_swp_tb(decode_swp_tb(SWP_TB_P4, 0xf000000000000003n)))
      .toBe('0xf000000000000003: shadow count=15 zero=0 memcg=0 node=0 workingset=1 eviction=0');
  });

  it('malformed values name what is wrong', () => {
    expect(swp_tb_check(l, 0x10n)).toMatch(/untagged/);
    expect(swp_tb_check(l, SWP_TB_BAD & ~(1n << 40n))).toMatch(/bad-slot marker/);
    expect(swp_tb_check(l, pfn_to_swp_tb(l, 5, 0) | (1n << BigInt(SWP_TB_PFN_BITS)))).toMatch(/SWAP_CACHE_PFN_BITS/);
    expect(swp_tb_check(l, 1n << 60n)).toMatch(/on a NULL entry/);
    expect(swp_tb_check(l, -1n)).toMatch(/unsigned 64-bit/);
    expect(swp_tb_check(l, 1n << 64n)).toMatch(/unsigned 64-bit/);
    /* p4's zero flag on NULL (what __swap_table_set_zero on a free slot would make) */
    expect(swp_tb_check(l, 1n << 59n)).toMatch(l.hasZeroFlag ? /on a NULL entry/ : /untagged/);
  });

  it('pointer entries at the offset limit: 2^MAX_SWP_OFFSET_BITS - 1 encodes and checks, 2^MAX_SWP_OFFSET_BITS does neither', () => {
    const last = 2 ** MAX_SWP_OFFSET_BITS - 1;
    const ptr = (off: bigint): bigint => (off << 3n) | SWP_TB_PTR_MARK;
    expect(swp_entry_to_swp_tb_ptr(last)).toBe(ptr(BigInt(last)));
    expect(() => swp_entry_to_swp_tb_ptr(last + 1)).toThrow(/is not a swap offset/);
    expect(swp_tb_check(l, ptr(BigInt(last)), { vswapRmap: true })).toBeNull();
    expect(swp_tb_check(l, ptr(BigInt(last) + 1n), { vswapRmap: true })).toMatch(/beyond the 50 offset bits/);
    expect(swp_tb_ptr_to_offset(ptr(BigInt(last)))).toBe(last);
    expect(() => swp_tb_ptr_to_offset(ptr(BigInt(last) + 1n))).toThrow(/exceeds 50 bits/);
  });

  it('pointer entries: offset round trip, cache-only bit; legal only as a vswap rmap', () => {
    fc.assert(fc.property(arbOffset, fc.boolean(), (off, c) => {
      const tb = swp_entry_to_swp_tb_ptr(off) | (c ? SWP_RMAP_CACHE_ONLY : 0n);
      expect(kinds(tb)).toEqual(['pointer']);
      expect(swp_tb_is_countable(tb)).toBe(false);
      expect(swp_tb_ptr_to_offset(tb)).toBe(off);
      expect(swp_tb_check(l, tb)).toMatch(/vswap/);
      expect(swp_tb_check(l, tb, { vswapRmap: true })).toBeNull();
      expect(decode_swp_tb(l, tb)).toMatchObject({ kind: 'pointer', offset: off, cacheOnly: c });
    }));
    expect(() => swp_entry_to_swp_tb_ptr(2 ** MAX_SWP_OFFSET_BITS)).toThrow(RangeError);
    expect(swp_tb_check(l, (1n << BigInt(MAX_SWP_OFFSET_BITS + 3)) | SWP_TB_PTR_MARK, { vswapRmap: true })).toMatch(/offset/);
    expect(() => swp_tb_ptr_to_offset(SWP_TB_SHADOW_MARK)).toThrow(/swp_tb_is_pointer/);
  });
});

describe('zero flag', () => {
  it('p4: set/clear/test touch only bit 59, never count or payload', () => {
    const l = SWP_TB_P4;
    fc.assert(fc.property(arbEntry(l).filter((tb) => swp_tb_is_countable(tb) && tb !== 0n), (tb) => {
      const set = swp_tb_set_zero(l, tb);
      const clr = swp_tb_clear_zero(l, tb);
      expect(swp_tb_test_zero(l, set)).toBe(true);
      expect(swp_tb_test_zero(l, clr)).toBe(false);
      expect(set ^ clr).toBe(1n << 59n);
      expect(__swp_tb_get_count(l, set)).toBe(__swp_tb_get_count(l, tb));
      expect(__swp_tb_get_count(l, clr)).toBe(__swp_tb_get_count(l, tb));
      expect(kinds(set)).toEqual(kinds(tb));
      expect(swp_tb_check(l, set)).toBeNull();
      expect(swp_tb_clear_zero(l, set)).toBe(clr);
    }));
    expect(() => swp_tb_set_zero(l, SWP_TB_BAD)).toThrow(/swp_tb_is_countable/);
    /* NULL is countable: the kernel does not warn, but the result is no entry */
    expect(swp_tb_check(l, swp_tb_set_zero(l, SWP_TB_NULL))).toMatch(/on a NULL entry/);
  });

  it('p3 has no zero flag: the helpers refuse', () => {
    expect(() => swp_tb_test_zero(SWP_TB_P3, SWP_TB_SHADOW_MARK)).toThrow(/no SWP_TB_ZERO_FLAG/);
    expect(() => swp_tb_set_zero(SWP_TB_P3, SWP_TB_SHADOW_MARK)).toThrow(/no SWP_TB_ZERO_FLAG/);
    expect(() => swp_tb_clear_zero(SWP_TB_P3, SWP_TB_SHADOW_MARK)).toThrow(/no SWP_TB_ZERO_FLAG/);
  });

  it('bit 59 is the zero flag in p4 but shadow payload (eviction) in p3', () => {
    const tb = SWP_TB_SHADOW_MARK | (1n << 59n);
    expect(decode_swp_tb(SWP_TB_P4, tb)).toMatchObject({ kind: 'shadow', zero: true, eviction: 0 });
    expect(decode_swp_tb(SWP_TB_P3, tb)).toMatchObject({ kind: 'shadow', zero: null, eviction: 2 ** 35 });
  });
});
