/*
 * The package entry (src/index.ts, `import ... from 'swaptorture'`): a
 * small system driven only through what it exports.
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { describe, expect, it } from 'vitest';
import {
  BUG_SWITCHES,
  decode_swp_tb,
  decodeSwapTableEntry,
  DESIGN_NAMES,
  errname,
  format_decoded_swp_tb,
  INVARIANTS,
  swpTbLayout,
  System,
  type SwapDeviceOptions,
  type SystemConfig,
  type Violation,
} from '../src/index.js';

describe('package entry', () => {
  it('builds a system, swaps a page out and in, and reports errnos by name', () => {
    const cfg: SystemConfig = { design: 'p4', nrCpus: 2, nrTasks: 2, nrFrames: 256, nrPages: 64, nrMms: 2, mmPages: 64, seed: 3 };
    const sys = System.create(cfg);
    const dev: SwapDeviceOptions = { sizePages: 1024, badPages: [9] };
    expect(sys.createSwapDevice('/dev/vdb', dev)).toBe(0);
    expect(errname(sys.swapon('/dev/vdb'))).toBe('OK');
    expect(errname(sys.swapon('/dev/vdb'))).toBe('EBUSY');
    expect(errname(sys.swapon('/dev/nope'))).toBe('ENOENT');
    const mm = sys.mmCreate();
    expect(sys.write(mm, 5, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(mm, 5, 1)).toBe(1);
    /* /proc/swaps: Size and Used in KiB, 1024 - header - 1 bad = 1022 pages, 1 used. */
    expect(sys.procSwaps().split('\n')[1]).toMatch(/^\/dev\/vdb +partition\t4088\t\t4\t\t-1$/);
    expect(sys.touch(mm, 5)).toBe(0);
    expect(errname(sys.swapoff('/dev/vdb'))).toBe('OK');
    const v: Violation[] = sys.check();
    expect(v).toEqual([]);
    expect(sys.reports()).toEqual([]);
  });

  it('exports the catalogues: designs, bug switches, invariants', () => {
    expect(DESIGN_NAMES).toContain('p4');
    expect(BUG_SWITCHES.map((b) => b.name)).toContain('rcu-lazy-table-free');
    expect(INVARIANTS).toContain('rcu');
    expect(() => System.create({ bugs: ['no-such-bug'] })).toThrow(/unknown bug switch 'no-such-bug'/);
  });

  it('decodes swap table entries as `swaptorture decode` does', () => {
    const d = decodeSwapTableEntry('p4', 0x1000000000001f03n);
    expect(d).toMatchObject({ kind: 'shadow', count: 1, zero: false, raw: '0x1000000000001f03' });
    expect(decode_swp_tb(swpTbLayout('p4'), 0n).kind).toBe('null');
    expect(decodeSwapTableEntry('p3', 0xfffffffffffffff8n).kind).toBe('bad');
    expect(format_decoded_swp_tb(decodeSwapTableEntry('p4', 0x8n))).toMatch(/^0x0000000000000008: invalid: /);
  });
});
