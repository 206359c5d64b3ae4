/*
 * `swaptorture decode`, run as the user runs it: the built bin
 * (bin/swaptorture.js -> dist/src/cli/main.js; `npm test` runs tsc first).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SWP_RMAP_CACHE_ONLY, SWP_TB_P3, SWP_TB_P4, SWP_TB_BAD, pfn_to_swp_tb, shadow_to_swp_tb, swp_entry_to_swp_tb_ptr } from '../src/mm/swap_table.js';
import { pack_shadow } from '../src/mm/workingset.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function decodeJson(...args: string[]): Record<string, unknown> {
  const r = run('decode', '--json', ...args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

const hex = (v: bigint): string => '0x' + v.toString(16);

beforeAll(() => {
  if (!existsSync(fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url))))
    throw new Error('dist/src/cli/main.js is missing: run `npx tsc -p tsconfig.json` (npm test does) first');
});

describe('swaptorture decode --json', () => {
  it('a PFN entry (p4): pfn, count and zero flag', () => {
    const tb = pfn_to_swp_tb(SWP_TB_P4, 0x12345, (3 << 1) | 1);
    const o = decodeJson(hex(tb));
    expect(o).toMatchObject({
      design: 'p4', kind: 'pfn', pfn: 0x12345, count: 3, zero: true,
      memcgId: null, node: null, workingset: null, raw: '0x' + tb.toString(16).padStart(16, '0'),
    });
    /* the same number in decimal and in upper case hex */
    expect(decodeJson(tb.toString(10))).toEqual(o);
    expect(decodeJson('0X' + tb.toString(16).toUpperCase())).toEqual(o);
  });

  it('a shadow entry carries the memcg id, node and workingset bit', () => {
    const tb = shadow_to_swp_tb(SWP_TB_P4, pack_shadow(SWP_TB_P4, 4242, 3, 777, false), 2 << 1);
    expect(decodeJson(hex(tb))).toMatchObject({
      kind: 'shadow', count: 2, zero: false, pfn: null, memcgId: 4242, node: 3, workingset: false, eviction: 777,
    });
  });

  it('a bad slot has no count and no zero flag', () => {
    expect(decodeJson(hex(SWP_TB_BAD))).toMatchObject({
      kind: 'bad', count: null, zero: null, pfn: null, memcgId: null, node: null, workingset: null,
    });
  });

  it('--design p3: zero is null (no zero flag in phase III)', () => {
    const tb = shadow_to_swp_tb(SWP_TB_P3, pack_shadow(SWP_TB_P3, 9, 1, 5, true), 7);
    expect(decodeJson('--design', 'p3', hex(tb))).toMatchObject({
      design: 'p3', kind: 'shadow', count: 7, zero: null, memcgId: 9, node: 1, workingset: true, eviction: 5,
    });
    expect(decodeJson('--design', 'p3', '0')).toMatchObject({ kind: 'null', count: null, zero: null });
    expect(decodeJson('0')).toMatchObject({ kind: 'null', count: null, zero: null });
  });

  it('every kind prints every field, null exactly where the field does not apply to the kind', () => {
    const FIELDS = ['design', 'raw', 'kind', 'count', 'zero', 'pfn', 'memcgId', 'node', 'workingset', 'eviction', 'offset', 'cacheOnly', 'reason'];
    const SHADOW = ['count', 'zero', 'memcgId', 'node', 'workingset', 'eviction'];
    /* [design, value, kind, the fields that apply (besides design, raw, kind)] */
    const cases: [string, bigint, string, string[]][] = [
      ['p4', 0n, 'null', []],
      ['p3', 0n, 'null', []],
      ['p4', shadow_to_swp_tb(SWP_TB_P4, pack_shadow(SWP_TB_P4, 5, 1, 9, true), (1 << 1) | 1), 'shadow', SHADOW],
      ['p3', shadow_to_swp_tb(SWP_TB_P3, pack_shadow(SWP_TB_P3, 5, 1, 9, true), 1), 'shadow', SHADOW.filter((f) => f !== 'zero')],
      ['p4', pfn_to_swp_tb(SWP_TB_P4, 0x77, 2 << 1), 'pfn', ['count', 'zero', 'pfn']],
      ['p3', pfn_to_swp_tb(SWP_TB_P3, 0x77, 2), 'pfn', ['count', 'pfn']],
      ['p4', swp_entry_to_swp_tb_ptr(7) | SWP_RMAP_CACHE_ONLY, 'pointer', ['offset', 'cacheOnly']],
      ['p4', SWP_TB_BAD, 'bad', []],
      ['p3', SWP_TB_BAD, 'bad', []],
      ['p4', 0x8n, 'invalid', ['reason']],
    ];
    for (const [design, v, kind, applies] of cases) {
      const o = decodeJson('--design', design, hex(v));
      const what = `${design} ${hex(v)}`;
      expect(Object.keys(o), what).toEqual(FIELDS);
      expect(o.kind, what).toBe(kind);
      const nulls = FIELDS.filter((f) => o[f] === null);
      expect(nulls, what).toEqual(FIELDS.filter((f) => !['design', 'raw', 'kind', ...applies].includes(f)));
      /* The human line names exactly the fields that apply. */
      const line = run('decode', '--design', design, hex(v)).stdout;
      const named = [...line.matchAll(/ ([a-z_]+)=/g)].map((m) => m[1]);
      const human: Record<string, string> = { memcgId: 'memcg', cacheOnly: 'cache_only' };
      expect(named, what).toEqual(applies.filter((f) => f !== 'reason').map((f) => human[f] ?? f));
    }
  }, 300_000);

  it('a number that is no entry decodes as "invalid" with a reason, exit 0', () => {
    const o = decodeJson('0x8');
    expect(o).toMatchObject({ kind: 'invalid', count: null, zero: null });
    expect(o.reason).toMatch(/bad-slot marker/);
  });
});

describe('swaptorture decode (human line)', () => {
  it('prints one line', () => {
    const r = run('decode', '0xf000000000000003');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('0xf000000000000003: shadow count=15 zero=0 memcg=0 node=0 workingset=1 eviction=0 (p4)\n');
    expect(r.stderr).toBe('');
  });

  it('--help exits 0 and documents the invalid kind', () => {
    const r = run('decode', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: swaptorture decode/);
    expect(r.stdout).toMatch(/invalid/);
  });
});

describe('swaptorture decode: bad usage exits 2 with one line on stderr', () => {
  const notANumber = ['', '0x', '-1', '12abc', '18446744073709551616', '0x' + '1'.repeat(17), '0x1g', '1.5'];
  it.each(notANumber)('value %j', (v) => {
    const r = run('decode', v);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`swaptorture decode: '${v}' is not a 64-bit hex or decimal number`);
  });

  it('the largest values still decode', () => {
    expect(run('decode', '18446744073709551615').code).toBe(0);
    expect(run('decode', '0xffffffffffffffff').code).toBe(0);
    expect(run('decode', '0x0000000000000001').code).toBe(0);
  });

  it('unknown design', () => {
    const r = run('decode', '--design', 'p5', '0x1');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^swaptorture decode: unknown design 'p5'/);
  });

  it('commander usage errors (unknown option, missing value) are exit 2 too', () => {
    for (const args of [['decode', '--frob', '0x1'], ['decode'], ['decode', '1', '2'], ['nosuchcommand']]) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^swaptorture( decode)?: /);
    }
  });
});
