/*
 * The stress harness, bounded by operation counts (not wall time): 2 and
 * 4 CPUs with swapoff cycles, shuffles and stop-the-world checks on run
 * clean; a known bug switch does not.  Seeds are printed.
 */
import { describe, expect, it } from 'vitest';
import { print_result, runStress } from '../src/harness/stress.js';
import type { StressIO } from '../src/harness/stress_run.js';
import { defaultStressOptions, parseDevices, validateStressOptions, type StressOptions } from '../src/harness/stress_options.js';
import { StressResultSchema } from '../src/harness/stress_report.js';
import { runOnCpus } from '../src/harness/cpus.js';
import { torture_ctl_init } from '../src/harness/torture_ctl.js';
import type { StressOnoffArgs, StressOnoffResult } from '../src/harness/stress_cpu.js';
import { swapoff_enomem_system } from './swapoff_enomem.js';

function quiet(): StressIO & { text: () => string } {
  let buf = '';
  return { out: (s) => (buf += s), err: (s) => (buf += s), text: () => buf };
}

function opts(over: Partial<StressOptions>): StressOptions {
  return validateStressOptions({
    ...defaultStressOptions(),
    statIntervalS: 0,
    swapoffIntervalMs: 5,
    swapoffCycles: 3,
    shuffleIntervalMs: 2,
    checkIntervalMs: 20,
    stallMs: 20_000,
    ...over,
  });
}

for (const cpus of [2, 4]) {
  describe(`stress, ${cpus} CPUs, bounded`, () => {
    it('runs clean with swapoff cycles, shuffles and quiescent checks', async () => {
      const seed = 0x5157 + cpus;
      console.log(`stress seed ${seed}`);
      const io = quiet();
      const r = await runStress(opts({ cpus, seed, ops: 4000 }), io);
      expect(StressResultSchema.parse(r)).toBeTruthy();
      expect(r.violations.map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
      expect(r.harnessErrors).toEqual([]);
      expect(r.exitStatus).toBe(0);
      expect(r.result).toBe('SUCCESS');
      expect(r.ops.total).toBe(4000 * cpus);
      /* The onoff task ran its bounded cycles (a swapoff may fail with -ENOMEM and count as failed). */
      expect(r.swapoffCycles + r.swapoffFailed).toBe(3);
      expect(r.swapOps.total).toBeGreaterThan(0);
      expect(r.checks).toBeGreaterThanOrEqual(1);
      print_result(r, io);
      expect(io.text()).toMatch(/End of test: SUCCESS/);
    });
  });
}

for (const design of ['p3', 'p2'] as const) {
  describe(`stress on design ${design} (side arrays: ${design === 'p2' ? 'swap_map, ' : ''}zeromap, swap_cgroup)`, () => {
    it('runs clean on 2 CPUs, bounded', async () => {
      const seed = design === 'p3' ? 0x9303 : 0x9202;
      console.log(`stress ${design} seed ${seed}`);
      const r = await runStress(opts({ design, cpus: 2, seed, ops: 4000 }), quiet());
      expect(r.design).toBe(design);
      expect(r.violations.map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
      expect(r.exitStatus).toBe(0);
      expect(r.swapOps.total).toBeGreaterThan(0);
    });
  });
}

describe('stress on design ghost (seed 001 patches 13-15)', () => {
  it('runs clean on /dev/ghostswap alone: everything in zswap, nothing written to a backing store, clusters come and go', async () => {
    for (const cpus of [2, 4]) {
      const seed = 0x6057 + cpus;
      console.log(`stress ghost ${cpus} CPUs seed ${seed}`);
      const r = await runStress(opts({ design: 'ghost', devices: parseDevices('ghost'), cpus, seed, ops: 3000 }), quiet());
      expect(r.violations.map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
      expect(r.exitStatus).toBe(0);
      expect(r.swapoffCycles).toBeGreaterThan(0);
      expect(r.swapOps.zswpout).toBeGreaterThan(0);
      expect(r.swapOps.pswpout).toBe(0);
      expect(r.swapOps.pswpin).toBe(0);
    }
  });

  it('runs clean with a ghost beside ordinary devices', async () => {
    const seed = 0x6058;
    console.log(`stress ghost+ssd seed ${seed}`);
    const r = await runStress(opts({ design: 'ghost', devices: parseDevices('ghost,ssd:8M,hdd:4M'), cpus: 2, seed, ops: 3000 }), quiet());
    expect(r.violations.map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
    expect(r.exitStatus).toBe(0);
  });

  it('a ghost device needs the ghost design', () => {
    expect(() => opts({ design: 'p4', devices: parseDevices('ghost') })).toThrow(/--devices: a ghost device needs --design ghost/);
  });
});

describe('stress on design vswap (seed 004)', () => {
  it('runs clean with physical devices only, and with zswap writing back to them; small devices fill up', async () => {
    for (const zswap of [false, true]) {
      const seed = zswap ? 0x4005 : 0x4004;
      console.log(`stress vswap zswap=${zswap} seed ${seed}`);
      const r = await runStress(opts({ design: 'vswap', devices: parseDevices('ssd:2M,hdd:1M'), cpus: 2, seed, ops: 3000, zswap }), quiet());
      expect(r.violations.map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
      expect(r.exitStatus).toBe(0);
      expect(r.swapoffCycles).toBeGreaterThan(0);
      expect(r.swapOps.total).toBeGreaterThan(0);
      if (zswap) expect(r.swapOps.zswpout).toBeGreaterThan(0);
      else expect(r.swapOps.pswpout).toBeGreaterThan(0);
    }
  });
});

describe('stress with zswap in front of the devices', () => {
  it('runs clean, every non-zero page going to zswap and coming back from it', async () => {
    const seed = 0x2a5;
    console.log(`stress zswap seed ${seed}`);
    /* zswap-toggle 0: zswap stays on throughout (the default mix turns it off now and then). */
    const r = await runStress(opts({ cpus: 2, seed, ops: 3000, zswap: true, mix: { ...defaultStressOptions().mix, 'zswap-toggle': 0 } }), quiet());
    expect(r.violations.map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
    expect(r.exitStatus).toBe(0);
    expect(r.swapOps.zswpout).toBeGreaterThan(0);
    expect(r.swapOps.zswpin).toBeGreaterThan(0);
    /* Only zswap's writeback (the kworker's shrink work) writes to the devices. */
    expect(r.swapOps.pswpout).toBe(r.swapOps.zswpwb);
  });
});

describe('stress with a bug switch', () => {
  /*
   * count-overflow is a race: two CPUs duplicating slots of one cluster past
   * SWP_TB_COUNT_MAX at once, each allocating ci->extend_table with the
   * lock dropped.  A fork-heavy mix (fork hands each child to a random
   * task, so a parent and its child are forked on both CPUs) finds it in
   * about half the runs of 20,000 operations per CPU; the run stops at the
   * first violation, so the generous bound costs only the unlucky runs.
   */
  it('batch-free-memcg breaks memcg and the run says how to replay it', async () => {
    /*
     * A switch whose mistake is sequential (a batch free across processes
     * of several cgroups uncharges one), so any interleaving of a bounded
     * run meets it: the test is about what stress reports, not about
     * winning a race.
     */
    const seed = 77;
    console.log(`stress seed ${seed}`);
    const io = quiet();
    const r = await runStress(
      opts({ cpus: 2, seed, ops: 200_000, bugs: ['batch-free-memcg'], mix: { ...defaultStressOptions().mix, exit: 100, 'memcg-move': 50 } }),
      io,
    );
    expect(r.exitStatus).toBe(1);
    expect(r.result).toBe('FAILURE');
    expect(r.violations.length).toBeGreaterThan(0);
    expect(r.violations[0].invariant).toBe('memcg');
    expect(r.replay).toContain('--bug batch-free-memcg');
    expect(r.replay).toContain(`--seed ${seed}`);
    expect(io.text()).toMatch(/VIOLATION \[memcg\]/);
    print_result(r, io);
    expect(io.text()).toMatch(/End of test: FAILURE/);
    /* The first violation is repeated beside the verdict, so a log cut to its end still names it. */
    const tail = io.text().slice(io.text().lastIndexOf('\nfirst violation: '));
    expect(tail).toContain(`first violation: [memcg] ${r.violations[0].message}`);
    expect(tail).toMatch(/\nreplay: .*\n\nswaptorture: End of test: FAILURE/);
  });
});

describe('the onoff task of a bounded run', () => {
  it('stops waiting for --swapoff-cycles once the workload has ended and swapoff still fails (-ENOMEM), instead of retrying for ever', async () => {
    /* Every swapoff fails with -ENOMEM. */
    const sys = swapoff_enomem_system();
    torture_ctl_init();
    /* No workload CPU at all (workers 0): the workload has ended before the first swapoff. */
    const args: StressOnoffArgs = { devices: [{ path: '/dev/vdb', flags: 0 }], intervalMs: 1, maxCycles: 2, workers: 0 };
    const [res] = (await runOnCpus(sys.handle, [{ task: 1, cpu: 1, program: 'stress-onoff', args }], { timeoutMs: 600_000 })) as StressOnoffResult[];
    expect(res).toEqual({ cycles: 0, gaveUp: true });
    expect(sys.check()).toEqual([]);
  });
});
