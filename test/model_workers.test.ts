/*
 * Multi-worker model test: 2 and 4 CPUs (worker threads) run the seeded
 * swap-mix on one arena, bounded by operation counts; afterwards every
 * quiescent invariant must hold and no CPU may have reported anything.
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { describe, expect, it } from 'vitest';
import { System } from '../src/api/system.js';
import { runOnCpus } from '../src/harness/cpus.js';
import { A, gword } from '../src/shm/arena.js';
import { G, SI } from '../src/shm/layout.js';
import { siWord } from '../src/mm/swap.js';
import { swap_avail_on, SWAP_USAGE_OFFLIST_BIT } from '../src/mm/swap_device.js';

const DESIGN_SEED = { p4: 0, p3: 100, p2: 200, ghost: 300, vswap: 400 } as const;

for (const [design, cpus] of [['p4', 2], ['p4', 4], ['p3', 2], ['p2', 2], ['ghost', 2], ['vswap', 2]] as const) {
  describe(`design ${design}, ${cpus} CPUs`, () => {
    it('allocate/free/swap out/swap in/fork across workers keeps every invariant', async () => {
      const seed = 0x5eed + cpus + DESIGN_SEED[design];
      console.log(`swap-mix seed ${seed}`);
      /* ghost: two ghost swapfiles, zswap holding the data; vswap: the two devices back the virtual swap space. */
      const ghost = design === 'ghost';
      const sys = System.create({
        design, nrCpus: cpus, nrTasks: cpus + 1, nrFrames: 8192, nrPages: 1024, nrMms: 4 * cpus, mmPages: 256, seed,
        zswap: ghost, maxSwapPages: design === 'vswap' ? 8192 : 16384,
      });
      sys.createSwapDevice('/dev/ssd', { sizePages: 3000, kind: ghost ? 'ghost' : 'blk' });
      sys.createSwapDevice('/dev/hdd', { sizePages: 1100, rotational: true, kind: ghost ? 'ghost' : 'blk' });
      expect(sys.swapon('/dev/ssd', { prio: 10 })).toBe(0);
      expect(sys.swapon('/dev/hdd', { prio: 5 })).toBe(0);
      const mms = Array.from({ length: cpus }, () => sys.mmCreate());
      const specs = mms.map((mm, i) => ({ task: i + 1, cpu: i, program: 'swap-mix', args: { mm, ops: 3000 } }));
      const results = await runOnCpus(sys.handle, specs);
      expect(results.length).toBe(cpus);
      const v = sys.check();
      expect(v.map((x) => `${x.invariant}: ${x.message}`)).toEqual([]);
      expect(sys.reports().map((x) => `${x.invariant}: ${x.message}`)).toEqual([]);
      expect(sys.swapoff('/dev/hdd')).toBe(0);
      expect(sys.swapoff('/dev/ssd')).toBe(0);
      expect(sys.check().map((x) => x.message)).toEqual([]);
    });
  });
}

/*
 * The avail list under two workers: two small devices of one priority
 * (plist_requeue takes them in turns) fill up and empty again while both
 * CPUs allocate and free; si->inuse_pages carries SWAP_USAGE_OFFLIST_BIT
 * exactly while a device is off swap_avail_head, and a device that is not
 * full is never left off it.
 */
describe('the avail list across workers', () => {
  const state = (t: number) => {
    const raw = Atomics.load(A.i32, siWord(t, SI.inuse_pages));
    return { off: (raw & SWAP_USAGE_OFFLIST_BIT) !== 0, on: swap_avail_on(t), used: raw & ~SWAP_USAGE_OFFLIST_BIT, pages: A.i32[siWord(t, SI.pages)] };
  };
  const consistent = (types: number[]) => {
    for (const t of types) {
      const s = state(t);
      expect(s.off, `device ${t}: off-list bit vs. list`).toBe(!s.on);
      if (s.used < s.pages) expect(s.on, `device ${t}: ${s.used} of ${s.pages} used, off the list`).toBe(true);
    }
    expect(A.i32[gword(G.nr_real_swapfiles)]).toBe(types.filter((t) => state(t).on).length);
  };

  it('devices going full and coming back keep the off-list bit and the list in step', async () => {
    const seed = 0xa7a1;
    console.log(`swap-mix seed ${seed}`);
    const sys = System.create({ nrCpus: 2, nrTasks: 3, nrFrames: 4096, nrPages: 256, nrMms: 8, mmPages: 256, seed });
    for (const d of ['/dev/vdb', '/dev/vdc']) {
      expect(sys.createSwapDevice(d, { sizePages: 300 })).toBe(0);
      expect(sys.swapon(d, { prio: 0 })).toBe(0);
    }
    const types = [0, 1];
    const mms = [sys.mmCreate(), sys.mmCreate()];
    const results = await runOnCpus(sys.handle, mms.map((mm, i) => ({ task: i + 1, cpu: i, program: 'swap-mix', args: { mm, ops: 3000 } })));
    expect(results.length).toBe(2);
    expect(sys.check().map((x) => `${x.invariant}: ${x.message}`)).toEqual([]);
    expect(sys.reports().map((x) => `${x.invariant}: ${x.message}`)).toEqual([]);
    consistent(types);
    /* Fill both: every page of a fresh process swapped out until no slot is left. */
    const mm = sys.mmCreate();
    for (let i = 0; i < 256; i++) expect(sys.write(mm, i, { maxOrder: 0 })).toBe(0);
    sys.reclaim(mm, 0, 256);
    for (const t of types) expect(state(t)).toMatchObject({ off: true, on: false });
    consistent(types);
    /* Frees bring them back. */
    expect(sys.exit(mm)).toBe(0);
    for (const m of mms) expect(sys.exit(m)).toBe(0);
    for (const t of types) expect(state(t)).toMatchObject({ off: false, on: true, used: 0 });
    consistent(types);
    for (const d of ['/dev/vdb', '/dev/vdc']) expect(sys.swapoff(d)).toBe(0);
    expect(A.i32[gword(G.nr_real_swapfiles)]).toBe(0);
    expect(sys.check().map((x) => x.message)).toEqual([]);
  });
});
