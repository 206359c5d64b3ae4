/*
 * Multi-worker model test: 2 and 4 CPUs (worker threads) run the seeded
 * swap-mix on one arena, bounded by operation counts; afterwards every
 * quiescent invariant must hold and no CPU may have reported anything.
 */
import { describe, expect, it } from 'vitest';
import { System } from '../src/api/system.js';
import { runOnCpus } from '../src/harness/cpus.js';

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
