/*
 * Lockless swap cache readers under RCU racing swap table freeing, on
 * worker threads (2 and 4 CPUs): src/harness/swapcache_rcu_torture.ts.
 * Writers give folios swap slots and drop them again, so every round
 * empties clusters and frees their tables (NULL-filled, to a
 * SLAB_TYPESAFE_BY_RCU cache that releases pages after a grace period);
 * readers look the entries up the kernel's way and must never act on a
 * stale one, and nothing may be reported.  With bug switch
 * rcu-lazy-table-free (table pages released without a grace period) the
 * same run must be caught: KASAN use-after-free in the reader.
 *
 * Bounded by operation counts.  Seeds are printed; rerun one with
 * SWAPCACHE_RCU_SEED=<n>.
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { describe, expect, it } from 'vitest';
import { System } from '../src/api/system.js';
import { runOnCpus, type CpuSpec } from '../src/harness/cpus.js';
import {
  swapcache_rcu_torture_exit,
  swapcache_rcu_torture_init,
  type SwapcacheRcuReaderResult,
  type SwapcacheRcuWriterResult,
} from '../src/harness/swapcache_rcu_torture.js';

const SEED = process.env.SWAPCACHE_RCU_SEED !== undefined ? Number(process.env.SWAPCACHE_RCU_SEED) : (Date.now() % 1_000_000) | 0;
/* A reader preempted with the table pointer in hand: widens the window the bug needs. */
const HOLD = 4000;
const ORDERS = [1, 2, 3, 4];
const SIM_CPUS = [0, 1, 2, 3];

interface Run {
  sys: System;
  writers: SwapcacheRcuWriterResult[];
  readers: SwapcacheRcuReaderResult[];
}

async function run(cpus: number, reads: number, seed: number, bugs: string[] = []): Promise<Run> {
  const sys = System.create({ nrCpus: 4, nrTasks: 5, nrFrames: 2048, nrPages: 256, nrMms: 2, mmPages: 64, seed, bugs });
  /* 24 clusters: each writer round uses up to 16 (one per order per simulated CPU). */
  expect(sys.createSwapDevice('/dev/vdb', { sizePages: 24 * 512 })).toBe(0);
  expect(sys.swapon('/dev/vdb')).toBe(0);
  const nw = cpus === 2 ? 1 : 2;
  const nr = cpus - nw;
  const ctl = swapcache_rcu_torture_init(nr);
  const specs: CpuSpec[] = [
    ...Array.from({ length: nw }, (_, i) => ({
      task: i, cpu: i, program: 'swapcache-rcu-writer', args: { ctl, rounds: 100_000, orders: ORDERS, cpus: SIM_CPUS, writers: nw },
    })),
    ...Array.from({ length: nr }, (_, i) => ({
      task: nw + i, cpu: nw + i, program: 'swapcache-rcu-reader', args: { ctl, reads, hold: HOLD, window: 16, writers: nw },
    })),
  ];
  const res = await runOnCpus(sys.handle, specs);
  swapcache_rcu_torture_exit(ctl);
  return { sys, writers: res.slice(0, nw) as SwapcacheRcuWriterResult[], readers: res.slice(nw) as SwapcacheRcuReaderResult[] };
}

function lines(sys: System): string[] {
  return sys.reports().map((v) => `${v.invariant}: ${v.message}`);
}

describe.each([
  [2, 5000],
  [4, 3000],
])('swap cache lookups under RCU vs table freeing on %i CPUs', (cpus, reads) => {
  it('readers see NULL, a NULL-filled table or an entry they re-check; nothing is reported', async () => {
    const seed = SEED + cpus;
    console.log(`swapcache-rcu x${cpus}: seed ${seed} (rerun with SWAPCACHE_RCU_SEED=${SEED})`);
    const { sys, writers, readers } = await run(cpus, reads, seed);
    for (const w of writers) console.log(`  writer: ${JSON.stringify(w)}`);
    for (const r of readers) console.log(`  reader: ${JSON.stringify(r)}`);
    expect(lines(sys)).toEqual([]);
    for (const w of writers) {
      expect(w.rounds).toBeGreaterThan(0);
      expect([w.enomem, w.free_failed]).toEqual([0, 0]);
    }
    for (const r of readers) {
      expect(r.reads).toBe(reads);
      /* Every lookup ended in exactly one of the validated outcomes. */
      expect(r.nodev + r.null_table + r.no_folio + r.frozen + r.recheck_failed + r.busy + r.mismatch + r.hits).toBe(reads);
      expect(r.nodev).toBe(0);
      /* The race was there: lookups found freed tables and freed entries, and live folios too. */
      expect(r.null_table + r.no_folio).toBeGreaterThan(0);
      expect(r.hits).toBeGreaterThan(0);
    }
    expect(sys.check().map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
    expect(sys.swapoff('/dev/vdb')).toBe(0);
    expect(sys.check()).toEqual([]);
  });
});

describe('bug switch rcu-lazy-table-free (the test must fail)', () => {
  it('a table page handed back without a grace period is caught under a reader', async () => {
    const TRIES = 3;
    let caught: string | undefined;
    for (let t = 0; t < TRIES && caught === undefined; t++) {
      const seed = SEED + 100 + t;
      const { sys, readers } = await run(2, 5000, seed, ['rcu-lazy-table-free']);
      const found = lines(sys);
      console.log(`rcu-lazy-table-free (seed ${seed}, try ${t + 1}): ${found.length} reports; reader ${JSON.stringify(readers[0])}`);
      caught = found.find((l) => l.startsWith('rcu: BUG: KASAN: use-after-free in swap_table_get'));
    }
    expect(caught).toMatch(/which is now 'free' \(freed to general use inside an RCU read-side section\)/);
  });
});
