/*
 * zswap turned off while it holds pages, and the kworker's work as
 * scenario operations: a folio written to the device while zswap is off
 * must not be shadowed by the copy zswap kept from before (the kernel's
 * check_old in zswap_store); a scenario's writeback and discard
 * operations run zswap's writeback and the discard work; swapon again
 * keeps a device's discard flag; bad pages must lie on their device.
 * Everything runs on this thread, step by step (no randomness).
 */
import { describe, expect, it } from 'vitest';
import { System } from '../src/api/system.js';
import '../src/designs/index.js';
import { zswap_enabled, zswap_load, zswap_set_enabled } from '../src/mm/zswap.js';
import { exec_op, scenario_env } from '../src/scenario/exec.js';
import type { ScenarioOp } from '../src/scenario/fields.js';
import { ScenarioSchema } from '../src/scenario/schema.js';
import { SWAP_FLAG_DISCARD } from '../src/mm/swapon.js';
import { si_flags, siWord, SWP_PAGE_DISCARD } from '../src/mm/swap.js';
import { list_empty } from '../src/mm/cluster_list.js';
import { sum_vm_events, ZSWPOUT, ZSWPWB } from '../src/mm/vmstat.js';
import { SI } from '../src/shm/layout.js';
import { A } from '../src/shm/arena.js';

function boot(): System {
  const sys = System.create({ design: 'p4', zswap: true, nrFrames: 512, nrMms: 8, mmPages: 64, maxSwapPages: 2048 });
  expect(sys.createSwapDevice('/dev/vdb', { sizePages: 2048 })).toBe(0);
  return sys;
}

describe('zswap off while it holds pages', () => {
  it('a large folio rewritten and swapped out with zswap off reads back its new data, not zswap\'s old copy', () => {
    const sys = boot();
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const mm = sys.mmCreate();
    /* An order-2 folio to zswap, read back (it stays in the swap cache with its slots), then rewritten. */
    for (let i = 0; i < 4; i++) expect(sys.write(mm, i, { maxOrder: 2 })).toBe(0);
    expect(sys.reclaim(mm, 0, 4)).toBe(4);
    for (let i = 0; i < 4; i++) expect(sys.touch(mm, i, 2)).toBe(0);
    sys.as(0, () => zswap_set_enabled(false));
    for (let i = 0; i < 4; i++) expect(sys.write(mm, i, { maxOrder: 2 })).toBe(0);
    /* zswap is off: the new data goes to the device, and zswap's copies of those slots are stale. */
    expect(sys.reclaim(mm, 0, 4)).toBe(4);
    expect(sys.check().map((v) => v.message)).toEqual([]);
    for (let i = 0; i < 4; i++) expect(sys.touch(mm, i, 2)).toBe(0);
    expect(sys.reports().map((v) => v.message)).toEqual([]);
  });
});

describe('the kworker\'s work as scenario operations', () => {
  const run = (sys: System, env: ReturnType<typeof scenario_env>, op: ScenarioOp): number => sys.as(0, () => exec_op(op, env)) as number;

  it('writeback writes stored pages back to the device; discard frees the clusters queued for discard; swapon again keeps discard', () => {
    const sys = boot();
    expect(sys.swapon('/dev/vdb', { prio: 0, discard: true })).toBe(0);
    const ops: ScenarioOp[] = [
      { op: 'mm', as: 'a' }, { op: 'write', mm: 'a', page: 0, nr: 64, order: 0, zero: false }, { op: 'reclaim', mm: 'a', page: 0, nr: 64 },
      { op: 'writeback', nr: 16 }, { op: 'exit', mm: 'a' }, { op: 'discard' }, { op: 'swapoff', device: 0 }, { op: 'swapon', device: 0 },
    ];
    const env = scenario_env(ops, [{ path: '/dev/vdb', flags: SWAP_FLAG_DISCARD }]);
    for (const op of ops.slice(0, 3)) expect(run(sys, env, op)).toBe(0);
    const stored = sys.as(0, () => sum_vm_events(ZSWPOUT)) as number;
    expect(stored).toBe(64);
    expect(run(sys, env, ops[3])).toBe(0);
    const written = sys.as(0, () => sum_vm_events(ZSWPWB)) as number;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThanOrEqual(16);
    /* The written-back slots are no longer in zswap. */
    expect(sys.as(0, () => Array.from({ length: 2048 }, (_, off) => zswap_load(0, off)).filter((t) => t !== null).length)).toBe(64 - written);
    /* The exit frees the cluster; discard is on, so it waits on the discard list for the discard work. */
    expect(run(sys, env, ops[4])).toBe(0);
    expect(A.i32[siWord(0, SI.discard_pending)]).toBe(1);
    expect(list_empty(siWord(0, SI.discard_clusters))).toBe(false);
    expect(run(sys, env, ops[5])).toBe(0);
    expect(list_empty(siWord(0, SI.discard_clusters))).toBe(true);
    /* swapoff and swapon again: the device keeps its discard flag. */
    expect(run(sys, env, ops[6])).toBe(0);
    expect(run(sys, env, ops[7])).toBe(0);
    expect(sys.as(0, () => si_flags(0) & SWP_PAGE_DISCARD)).toBe(SWP_PAGE_DISCARD);
    expect(sys.as(0, () => zswap_enabled())).toBe(true);
    expect(sys.check().map((v) => v.message)).toEqual([]);
  });

  it('a scenario\'s bad pages must lie on their device, and a ghost has none', () => {
    const base = {
      race: 'bad-pages', title: 't', seed: 'hypothetical', functions: ['sys_swapon'], bug: 'scan-border', invariant: 'data', designs: ['ghost'],
      story: 'A device with bad pages past its end, and a ghost swapfile with a bad-page list.',
      cpus: [{ ops: [{ op: 'discard' }, { op: 'writeback' }] }],
    };
    const bad = ScenarioSchema.safeParse({ ...base, system: { zswap: true, devices: [{ kind: 'ssd', pages: 600, badPages: [5, 600] }, { kind: 'ghost', pages: 1024, badPages: [3] }] } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'system.devices.0.badPages.1: bad page 600 is past the device\'s last page (599): swapon refuses it',
      'system.devices.1.badPages.0: a ghost swapfile has no bad-page list (it has no data pages)',
    ]);
    const good = ScenarioSchema.safeParse({ ...base, system: { zswap: true, devices: [{ kind: 'ssd', pages: 600, badPages: [5, 599], discard: true }] } });
    expect(good.success, JSON.stringify(good.error?.issues)).toBe(true);
    expect(good.data?.cpus[0].ops[1]).toEqual({ op: 'writeback', nr: 16 });
  });
});
