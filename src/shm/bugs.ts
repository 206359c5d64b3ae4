/*
 * Bug switches: each catalogued race has a named switch that restores the
 * pre-fix code path at the exact place the fix went in (docs/races.md).
 * The active set is a bitmask in the arena, so every CPU
 * sees the same switches.
 */
import { A, gword } from './arena.js';
import { G, SWAPFILE_CLUSTER } from './layout.js';

/**
 * How free-running `swaptorture stress` (the default mix and devices, a
 * design with the switch's code, 2 CPUs) finds a switch's bug, measured
 * (the figures are beside each entry: runs that found it / runs, with
 * their length and seeds):
 *   often   every run found it, within seconds;
 *   seldom  some runs found it;
 *   never   no run found it: the race needs a window the free-running
 *           CPUs do not hit, or a set-up stress does not make - the
 *           controlled scheduler finds it (`repro`, `fuzz --bug`).
 * A stress run that ends clean with a seldom or never switch on says so
 * and points at repro and fuzz (src/harness/bug_hints.ts).
 */
export type StressReach = 'often' | 'seldom' | 'never';

/** What a stress run was given, as far as reaching a switch's bug depends on it. */
export interface StressSetup {
  devicePages: readonly number[];
  swapoffIntervalMs: number;
}

export interface BugSwitch {
  name: string;
  seed: string;
  summary: string;
  /** With stress's default flags. */
  stress: StressReach;
  /**
   * Flags with which stress does reach it (measured: @reach is the figure
   * with them), and whether a run's set-up has what they give.
   */
  stressWith?: { flags: string; reach: StressReach; holds: (s: StressSetup) => boolean };
}

/**
 * The catalogue.  Index = bit in G.bug_flags.
 *
 * The stress figures: `swaptorture stress --bug NAME --design D --cpus 2
 * --seconds S --seed N` (D: p4, or ghost for the ghost switches), runs that
 * found the bug / runs, 10-s runs with seeds 1-3 and 30-s runs with seeds
 * 4-7, seconds to the find in brackets; then any flags tried on top (10-s
 * runs).  Measured on a 2-core machine shared with other work.
 */
export const BUG_SWITCHES: readonly BugSwitch[] = [
  /* 0/3 10 s, 0/4 30 s; --swapoff-interval 5: 0/2 */
  { name: 'swapoff-vs-swapin', seed: '001, 003', summary: 'swap-in without get_swap_device() pinning si->users', stress: 'never' },
  /* 0/3 10 s, 0/4 30 s; --shuffle-interval 1: 0/2 */
  { name: 'percpu-cluster-migration', seed: '002', summary: 'after the sleeping table allocation, abandon the isolated cluster for the new CPU\'s percpu cluster (seed 002 as posted)', stress: 'never' },
  /* 0/3 10 s, 0/4 30 s; --swapoff-interval 5 (tables freed and reused far more often): 3/5 (2.5-3.4 s) */
  {
    name: 'rcu-lazy-table-free', seed: '002', summary: 'hand a freed swap table page back to general use without waiting for a grace period', stress: 'never',
    stressWith: { flags: '--swapoff-interval 5', reach: 'seldom', holds: (s) => s.swapoffIntervalMs > 0 && s.swapoffIntervalMs <= 5 },
  },
  /* 3/3 10 s (1.1 s each) */
  { name: 'rcu-table-free-unfilled', seed: '002', summary: 'free a cluster\'s swap table without NULL-filling it first', stress: 'often' },
  /*
   * 0/3 10 s, 0/4 30 s with the default devices (sizes a multiple of a
   * cluster: the scan never reaches past si->max); --devices
   * ssd:600p,hdd:1100p: 5/5 (0.02-0.14 s)
   */
  {
    name: 'scan-border', seed: '000', summary: 'phase III patch 10 without updating the debug check (offset >= si->max)', stress: 'never',
    stressWith: { flags: '--devices ssd:600p,hdd:1100p', reach: 'often', holds: (s) => s.devicePages.some((p) => p % SWAPFILE_CLUSTER !== 0) },
  },
  /* ghost: 0/3 10 s, 0/4 30 s; --swapoff-interval 5: 0/2 */
  { name: 'ghost-cluster-relookup', seed: '001 p15', summary: 'keep using a ghost cluster pointer after the lock was dropped', stress: 'never' },
  /* 3/3 10 s (0.9-1.2 s) */
  { name: 'swapcache-large-folio', seed: '001 p4', summary: '__swap_cache_alloc without the second __swap_cache_check_batch', stress: 'often' },
  /* 2/3 10 s (1.1, 10.0 s), 3/4 30 s (1.3-2.4 s) */
  { name: 'memcg-dead-reparent', seed: '001 p6-7', summary: 'swap-in charged to a dead memcg, swap charge not moved', stress: 'seldom' },
  /* 3/3 10 s (0.3-0.6 s) */
  { name: 'batch-free-memcg', seed: '001 p9', summary: 'batch free uncharged to one memcg id across slots of several', stress: 'often' },
  /* 0/3 10 s, 0/4 30 s; --mix only,zero=1,touch=1,pageout=1,reclaim=1: 0/2 */
  { name: 'zero-flag-unlocked', seed: '001 p12', summary: 'zero flag set/cleared without the cluster lock', stress: 'never' },
  /* 3/3 10 s (0.3-0.7 s) */
  { name: 'count-overflow', seed: '000, 001', summary: 'swap_extend_table_alloc installs its extend table without re-checking under ci->lock that another CPU installed one meanwhile: the counts kept in that one are lost', stress: 'often' },
  /* 1/3 10 s (5.2 s), 4/4 30 s (2.7-18.4 s) */
  { name: 'swapin-no-pte-recheck', seed: '001, 003', summary: 'map a swapped-in folio without re-checking the PTE under the PTL', stress: 'seldom' },
  /* ghost: 0/3 10 s, 0/4 30 s (needs a ghost swapfile whose size is not a multiple of a cluster; stress's /dev/ghostswap is one) */
  { name: 'ghost-cluster-tail', seed: '001 p13, p15', summary: 'a dynamic ghost cluster past si->max (a ghost swapfile not a multiple of a cluster) hands out slots get_swap_device() refuses (the RFC as posted)', stress: 'never' },
  /* ghost: 0/3 10 s, 0/4 30 s; --swapoff-interval 5: 0/2 */
  { name: 'ghost-swapoff-allocation', seed: '001 p15', summary: 'swapoff of a ghost device skips wait_for_allocation (the RFC as posted): an allocation in flight under ci->lock outlives try_to_unuse', stress: 'never' },
];

export function bugIndex(name: string): number {
  return BUG_SWITCHES.findIndex((b) => b.name === name);
}

export const BUG_SWAPOFF_VS_SWAPIN = 1 << bugIndex('swapoff-vs-swapin');
export const BUG_PERCPU_CLUSTER_MIGRATION = 1 << bugIndex('percpu-cluster-migration');
export const BUG_RCU_LAZY_TABLE_FREE = 1 << bugIndex('rcu-lazy-table-free');
export const BUG_RCU_TABLE_FREE_UNFILLED = 1 << bugIndex('rcu-table-free-unfilled');
export const BUG_SCAN_BORDER = 1 << bugIndex('scan-border');
export const BUG_GHOST_CLUSTER_RELOOKUP = 1 << bugIndex('ghost-cluster-relookup');
export const BUG_SWAPCACHE_LARGE_FOLIO = 1 << bugIndex('swapcache-large-folio');
export const BUG_MEMCG_DEAD_REPARENT = 1 << bugIndex('memcg-dead-reparent');
export const BUG_BATCH_FREE_MEMCG = 1 << bugIndex('batch-free-memcg');
export const BUG_ZERO_FLAG_UNLOCKED = 1 << bugIndex('zero-flag-unlocked');
export const BUG_GHOST_CLUSTER_TAIL = 1 << bugIndex('ghost-cluster-tail');
export const BUG_GHOST_SWAPOFF_ALLOCATION = 1 << bugIndex('ghost-swapoff-allocation');
export const BUG_COUNT_OVERFLOW = 1 << bugIndex('count-overflow');
export const BUG_SWAPIN_NO_PTE_RECHECK = 1 << bugIndex('swapin-no-pte-recheck');

/**
 * Is bug switch @mask on?  One plain load: the switches are set before
 * the CPUs start and only read while they run.
 */
export function bug_on(mask: number): boolean {
  return (A.i32[gword(G.bug_flags)] & mask) !== 0;
}

/** Turn on the switches named in @names (unknown names throw). */
export function set_bugs(names: readonly string[]): void {
  let mask = 0;
  for (const n of names) {
    const i = bugIndex(n);
    if (i < 0) throw new Error(`unknown bug switch '${n}' (see --list-bugs)`);
    mask |= 1 << i;
  }
  Atomics.store(A.i32, gword(G.bug_flags), mask);
}

export function active_bugs(): string[] {
  const mask = Atomics.load(A.i32, gword(G.bug_flags));
  return BUG_SWITCHES.filter((_, i) => (mask & (1 << i)) !== 0).map((b) => b.name);
}
