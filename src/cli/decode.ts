/*
 * `swaptorture decode [--design p4|p3] [--json] <value>`: decode one swap
 * table entry (src/mm/swap_table.ts decode_swp_tb()), the way a kernel
 * developer reads a word out of a crash dump or a failure report.
 *
 * Exit status: 0 for any 64-bit value, including one that is no valid
 * entry (kind "invalid" with a reason); 2 when the value is not a 64-bit
 * hex/decimal number or the design is unknown.
 */

import type { Command } from 'commander';
import { swpTbLayout, type SwapTablePhase } from '../mm/swap_table.js';
import { decode_swp_tb, format_decoded_swp_tb } from '../mm/swap_table_decode.js';

const DESIGNS: readonly SwapTablePhase[] = ['p4', 'p3'];
const U64_MAX = (1n << 64n) - 1n;

/**
 * Parse a 64-bit unsigned number: `0x` + 1..16 hex digits (any case) or
 * decimal digits up to 2^64-1.  Returns the value, or why @text is not one.
 */
export function parseU64(text: string): { value: bigint } | { why: string } {
  if (text === '') return { why: 'empty' };
  if (/^0x/i.test(text)) {
    const digits = text.slice(2);
    if (digits === '') return { why: 'no hex digits after 0x' };
    if (!/^[0-9a-f]+$/i.test(digits)) return { why: `bad hex digit '${digits.match(/[^0-9a-f]/i)![0]}'` };
    if (digits.length > 16) return { why: `${digits.length} hex digits, at most 16` };
    return { value: BigInt('0x' + digits) };
  }
  if (text.startsWith('-')) return { why: 'negative' };
  if (!/^[0-9]+$/.test(text)) {
    const bad = text.match(/[^0-9]/)![0];
    return { why: `bad decimal digit '${bad}'; hex needs a 0x prefix` };
  }
  const value = BigInt(text);
  if (value > U64_MAX) return { why: `larger than 2^64-1 = ${U64_MAX}` };
  return { value };
}

interface DecodeOpts {
  design: string;
  json?: boolean;
}

export function registerDecode(program: Command): Command {
  return program
    .command('decode')
    .description('decode one 64-bit swap table entry (NULL, shadow, PFN, pointer, bad)')
    .argument('<value>', 'the entry: 0x-prefixed hex (1-16 digits, any case) or decimal (0 .. 2^64-1)')
    .option('--design <design>', `swap table layout: ${DESIGNS.join(' or ')} (ghost devices use p4)`, 'p4')
    .option('--json', 'print one JSON object on stdout instead of a line')
    .addHelpText('after', `
Layouts (bit 63 on the left):
  NULL    |------------ 0 ------------|        free slot
  Shadow  |COUNT|Z|--- SHADOW_VAL ---|1|       swapped out; memcg id, node, workingset, eviction
  PFN     |COUNT|Z|------ PFN ------|10|       in the swap cache
  Pointer |C|----- vswap offset ----|100|      vswap rmap (legal only on a device backing vswap)
  Bad     |------------ 1 ----------|1000|     bad slot
  p4: COUNT bits 60-63, Z (zero flag) bit 59; p3: COUNT bits 60-63, no Z.

--json prints every field for every kind: design, raw, kind, count, zero,
pfn, memcgId, node, workingset, eviction, offset, cacheOnly, reason; a
field that does not apply to the kind is null (a NULL entry has no count
and no zero flag: it is a free slot).

A number that is no valid entry (e.g. 0x8, or a PFN entry with a pfn of
2^40 or more) still exits 0 and decodes as kind "invalid" with a reason.
Exit 2: the value is not a 64-bit hex/decimal number, or the design is unknown.

Examples:
  swaptorture decode 0xf000000000000003
  swaptorture decode --design p3 --json 18446744073709551608`)
    .action((value: string, opts: DecodeOpts, cmd: Command): number => {
      if (!(DESIGNS as readonly string[]).includes(opts.design))
        cmd.error(`unknown design '${opts.design}': decode knows the swap table layouts ${DESIGNS.join(' and ')} (a ghost device uses p4)`,
          { exitCode: 2, code: 'swaptorture.usage' });
      const parsed = parseU64(value);
      if ('why' in parsed)
        cmd.error(`'${value}' is not a 64-bit hex or decimal number (${parsed.why})`,
          { exitCode: 2, code: 'swaptorture.usage' });
      const design = opts.design as SwapTablePhase;
      const d = decode_swp_tb(swpTbLayout(design), parsed.value);
      const out = cmd.configureOutput().writeOut!;
      if (opts.json) {
        /* Every field for every kind, null where it does not apply. */
        const o = {
          design, raw: d.raw, kind: d.kind, count: d.count, zero: d.zero, pfn: d.pfn,
          memcgId: d.memcgId, node: d.node, workingset: d.workingset, eviction: d.eviction,
          offset: d.offset, cacheOnly: d.cacheOnly, reason: d.reason,
        };
        out(JSON.stringify(o) + '\n');
      } else {
        out(`${format_decoded_swp_tb(d)} (${design})\n`);
      }
      return 0;
    });
}
