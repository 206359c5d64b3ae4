/*
 * zswap turned off while it holds pages; writeback of an isolated entry
 * (the shrinker's local reference) whose slot was freed and reused, or
 * got a new entry, meanwhile (04fc7816089c, e3b63e966cac), with and
 * without the bug switches that restore the pre-fix paths; and the kworker's work as
 * scenario operations: a folio written to the device while zswap is off
 * must not be shadowed by the copy zswap kept from before (the kernel's
 * check_old in zswap_store); a scenario's writeback and discard
 * operations run zswap's writeback and the discard work; swapon again
 * keeps a device's discard flag; bad pages must lie on their device.
 * Everything runs on this thread, step by step (no randomness).
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { describe, expect, it } from 'vitest';
import { System } from '../src/api/system.js';
import '../src/designs/index.js';
import { zswap_enabled, zswap_isolate, zswap_load, zswap_set_enabled, type ZswapEntry } from '../src/mm/zswap.js';
import { zswap_shrink_work, zswap_writeback_entry } from '../src/mm/zswap_writeback.js';
import { expected_token, is_swap_pte, pte_to_swp_entry, ptep_get } from '../src/mm/pgtable.js';
import { swap_backing_index } from '../src/mm/page_io.js';
import { swp_offset } from '../src/mm/swap.js';
import { EEXIST, ENOMEM } from '../src/include/errno.js';
import { exec_op, scenario_env } from '../src/scenario/exec.js';
import type { ScenarioOp } from '../src/scenario/fields.js';
import { ScenarioSchema } from '../src/scenario/schema.js';
import { SWAP_FLAG_DISCARD } from '../src/mm/swapon.js';
import { si_flags, siWord, SWP_PAGE_DISCARD } from '../src/mm/swap.js';
import { list_empty } from '../src/mm/cluster_list.js';
import { sum_vm_events, ZSWPOUT, ZSWPWB } from '../src/mm/vmstat.js';
import { G, SI } from '../src/shm/layout.js';
import { A, gword } from '../src/shm/arena.js';

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

describe('a page rewritten as zeroes', () => {
  it('swapped out to zswap, read back (its slot kept), rewritten with zeroes and swapped out again: the zero flag, not zswap\'s old copy, answers the next read', () => {
    const sys = boot();
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const mm = sys.mmCreate();
    for (let i = 0; i < 4; i++) expect(sys.write(mm, i, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(mm, 0, 4)).toBe(4); /* to zswap */
    for (let i = 0; i < 4; i++) expect(sys.touch(mm, i, 0)).toBe(0); /* back: in the swap cache, slots kept */
    for (let i = 0; i < 4; i++) expect(sys.write(mm, i, { zero: true, maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(mm, 0, 4)).toBe(4); /* zero-filled: the zeromap, and zswap's copies are stale */
    expect(sys.check().map((v) => v.message)).toEqual([]);
    for (let i = 0; i < 4; i++) expect(sys.touch(mm, i, 0)).toBe(0);
    expect(sys.reports().map((v) => v.message)).toEqual([]);
    expect(sys.check().map((v) => v.message)).toEqual([]);
  });
});

/* Where page @index of @mm is swapped out (its slot offset on device 0), or -1 if it is not. */
function slot_of(mm: number, index: number): number {
  const pte = ptep_get(mm, index);
  return is_swap_pte(pte) ? swp_offset(pte_to_swp_entry(pte)) : -1;
}

/*
 * zswap_isolate() looks at @scan slots from @start on, wrapping at
 * si->max, and takes at most @n entries, each once: the writeback
 * shrinker's catch.
 */
describe('zswap_isolate: the slots it was asked to look at', () => {
  it('takes the entries of [start, start + scan) only, at most n, and none twice when the scan wraps', () => {
    const sys = System.create({ design: 'p4', zswap: true, nrFrames: 512, nrMms: 8, mmPages: 64, maxSwapPages: 2048 });
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 9 })).toBe(0); /* slots 1-8 (the header is page 0) */
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const mm = sys.mmCreate();
    for (let i = 0; i < 8; i++) expect(sys.write(mm, i, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(mm, 0, 8)).toBe(8);
    const slots = (scan: number[]): number[] => sys.as(0, () => zswap_isolate(0, scan[0], scan[1], scan[2]).map((e) => e.offset)) as number[];
    const max = sys.as(0, () => A.i32[siWord(0, SI.max)]) as number;
    expect(max).toBe(9);
    expect(slots([2, 100, 3])).toEqual([2, 3, 4]);
    expect(slots([2, 2, 8])).toEqual([2, 3]);
    expect(slots([7, 100, 4])).toEqual([7, 8, 1]); /* slot 0 is the header's: no entry */
    const all = slots([3, 100, 100]);
    expect([...all].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(sys.check().map((v) => v.message)).toEqual([]);
  });
});

describe('zswap shrink work', () => {
  it('writes back up to its batch of stored pages and returns how many it wrote (each one ZSWPWB)', () => {
    const sys = System.create({ design: 'p4', zswap: true, nrFrames: 512, nrMms: 8, mmPages: 64, maxSwapPages: 2048 });
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024 })).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const mm = sys.mmCreate();
    for (let i = 0; i < 32; i++) expect(sys.write(mm, i, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(mm, 0, 32)).toBe(32);
    expect(sum_vm_events(ZSWPOUT)).toBe(32);
    const n = sys.as(0, () => zswap_shrink_work(8)) as number;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(8);
    expect(sum_vm_events(ZSWPWB)).toBe(n);
    expect(sys.check().map((v) => v.message)).toEqual([]);
    for (let i = 0; i < 32; i++) expect(sys.touch(mm, i)).toBe(0);
    expect(sys.reports().map((v) => v.message)).toEqual([]);
  });
});

describe('zswap shrink work and the real devices in service (nr_real_swapfiles)', () => {
  /*
   * Seed 001 patch 13 queues the shrink work only while a real (non-ghost)
   * device is on swap_avail_head (atomic_read(&nr_real_swapfiles) in
   * zswap_store()); a full device leaves that list.  The model's work
   * checks the same count when it runs.
   */
  it('writes nothing back while no real device is on the avail list (the only one is full), and writes back once another is swapped on', () => {
    const sys = System.create({ design: 'p4', zswap: true, nrFrames: 512, nrMms: 8, mmPages: 64, maxSwapPages: 2048 });
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 2 })).toBe(0); /* one usable slot: the header is page 0 */
    expect(sys.createSwapDevice('/dev/vdc', { sizePages: 1024 })).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const real = (): number => Atomics.load(A.i32, gword(G.nr_real_swapfiles));
    expect(real()).toBe(1);
    const mm = sys.mmCreate();
    expect(sys.write(mm, 0)).toBe(0);
    expect(sys.reclaim(mm, 0, 1)).toBe(1);
    expect(slot_of(mm, 0)).toBe(1);
    expect(zswap_load(0, 1)).toBe(expected_token(mm, 0));
    expect(real()).toBe(0); /* full: off swap_avail_head */
    expect(sys.as(0, () => zswap_shrink_work(8))).toBe(0);
    expect(sum_vm_events(ZSWPWB)).toBe(0);
    expect(sys.swapon('/dev/vdc')).toBe(0);
    expect(real()).toBe(1);
    expect(sys.as(0, () => zswap_shrink_work(8))).toBe(1); /* the full device's entry, to its own slot */
    expect(sum_vm_events(ZSWPWB)).toBe(1);
    expect(zswap_load(0, 1)).toBeNull();
    expect(sys.check().map((v) => v.message)).toEqual([]);
    expect(sys.touch(mm, 0)).toBe(0);
    expect(sys.reports().map((v) => v.message)).toEqual([]);
  });
});

describe('zswap writeback of an isolated entry', () => {
  /*
   * A device of one usable slot (the header is page 0; @pages 2): a freed
   * slot is the next one allocated, as in the kernel's race, and a swap-in
   * frees it (swap is full).  Page 0 of a process
   * goes to zswap at slot 1; the shrink work's isolation is taken as it.
   */
  function isolated(bugs: string[] = [], pages = 2): { sys: System; mm: number; a: ZswapEntry } {
    const sys = System.create({ design: 'p4', zswap: true, bugs, nrFrames: 512, nrMms: 8, mmPages: 64, maxSwapPages: 2048 });
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: pages })).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const mm = sys.mmCreate();
    expect(sys.write(mm, 0)).toBe(0);
    expect(sys.reclaim(mm, 0, 1)).toBe(1);
    expect(slot_of(mm, 0)).toBe(1);
    const got = zswap_isolate(0, 1, 1, 1);
    expect(got.map((e) => [e.offset, e.data])).toEqual([[1, expected_token(mm, 0)]]);
    return { sys, mm, a: got[0] };
  }

  /* Page 0 faulted in for a write (the slot is freed: swap is full), rewritten, reclaimed into the same slot: a new entry there. */
  function reuse_slot(sys: System, mm: number): bigint {
    expect(sys.write(mm, 0)).toBe(0);
    expect(slot_of(mm, 0)).toBe(-1);
    expect(zswap_load(0, 1)).toBeNull();
    expect(sys.reclaim(mm, 0, 1)).toBe(1);
    expect(slot_of(mm, 0)).toBe(1);
    const b = expected_token(mm, 0);
    expect(zswap_load(0, 1)).toBe(b);
    return b;
  }

  it('an unchanged slot is written back: the entry leaves zswap, the device holds its data, the page reads back', () => {
    const { sys, mm, a } = isolated();
    expect(zswap_writeback_entry(0, a.offset, a.id, a.data)).toBe(0);
    expect(sum_vm_events(ZSWPWB)).toBe(1);
    expect(zswap_load(0, 1)).toBeNull();
    expect(Atomics.load(A.u64, swap_backing_index(0, 1))).toBe(a.data);
    expect(sys.check().map((v) => v.message)).toEqual([]);
    expect(sys.touch(mm, 0)).toBe(0);
    expect(sys.reports().map((v) => v.message)).toEqual([]);
  });

  it('a slot freed and reused since the isolation: the writeback aborts (-ENOMEM) and the new entry stays, its data intact', () => {
    const { sys, mm, a } = isolated();
    const b = reuse_slot(sys, mm);
    expect(b).not.toBe(a.data);
    expect(zswap_writeback_entry(0, a.offset, a.id, a.data)).toBe(-ENOMEM);
    expect(sum_vm_events(ZSWPWB)).toBe(0);
    expect(zswap_load(0, 1)).toBe(b);
    expect(Atomics.load(A.u64, swap_backing_index(0, 1))).not.toBe(a.data);
    expect(sys.check().map((v) => v.message)).toEqual([]);
    expect(sys.touch(mm, 0)).toBe(0);
    expect(sys.reports().map((v) => v.message)).toEqual([]);
  });

  it('a slot with a swap cache folio (swapped in since, the slot kept: swap is not full): the writeback skips it (-EEXIST)', () => {
    const { sys, mm, a } = isolated([], 16);
    expect(sys.touch(mm, 0)).toBe(0);
    expect(zswap_writeback_entry(0, a.offset, a.id, a.data)).toBe(-EEXIST);
    expect(zswap_load(0, 1)).toBe(a.data);
    expect(sys.check().map((v) => v.message)).toEqual([]);
  });

  it('bug switch zswap-writeback-stale: the old data goes over the new entry\'s slot, which the data invariant reports', () => {
    const { sys, mm, a } = isolated(['zswap-writeback-stale']);
    const b = reuse_slot(sys, mm);
    expect(zswap_writeback_entry(0, a.offset, a.id, a.data)).toBe(0);
    expect(zswap_load(0, 1)).toBeNull();
    expect(sys.check().map((v) => `${v.invariant}: ${v.message}`)).toEqual([
      `data: data mismatch: mm ${mm} page 0 swapped out at 0:1 holds 0x${a.data.toString(16)}, last write 0x${b.toString(16)}`,
    ]);
  });

  it('bug switch zswap-writeback-leak: the aborted writeback strands its folio, locked and referenced, which the folio checks report', () => {
    const { sys, mm, a } = isolated(['zswap-writeback-leak']);
    const b = reuse_slot(sys, mm);
    expect(zswap_writeback_entry(0, a.offset, a.id, a.data)).toBe(-ENOMEM);
    expect(zswap_load(0, 1)).toBe(b);
    const found = sys.check().map((v) => `${v.invariant}: ${v.message}`);
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/^lock-discipline: folio \d+ locked \(PG_locked\) at quiescence with no read in flight: a folio_lock\(\) without folio_unlock\(\)$/),
      expect.stringMatching(/^folio-accounting: folio \d+ \(1 page\) leaked: allocated with refcount 1, but no PTE maps it, it is not in the swap cache and no I\/O is pending$/),
    ]));
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
