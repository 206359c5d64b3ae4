/*
 * Bug switches: each catalogued race has a named switch that restores the
 * pre-fix code path at the exact place the fix went in (docs/races.md).
 * The active set is a bitmask in the arena, so every CPU
 * sees the same switches.
 */
import { A, gword } from './arena.js';
import { G, SWAPFILE_CLUSTER } from './layout.js';
import type { Provenance } from './bug_provenance.js';

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
  summary: string;
  /** Where the race comes from (docs/races.md, checked against it by test/races_doc.test.ts). */
  provenance: Provenance;
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
  {
    name: 'swapoff-vs-swapin', summary: 'swap-in without get_swap_device() pinning si->users', stress: 'never',
    provenance: {
      kind: 'kernel-fix',
      refs: [
        { commit: '2799e77529c2', subject: 'swap: fix do_swap_page() race with swapoff', note: 'the fix: the swap-in wrapped in get_swap_device() / put_swap_device()' },
        { commit: '63d8620ecf93', subject: 'mm/swapfile: use percpu_ref to serialize against concurrent swapoff', note: 'what the fix is on top of: the same series, which added the si->users percpu_ref' },
      ],
      note: 'in the kernel the oops was on the swap-cache bypass of SWP_SYNCHRONOUS_IO devices (reading si->swap_file after swapoff cleared it); the model has no bypass, so the unpinned fault meets the device in the cluster lookup instead',
    },
  },
  /* 0/3 10 s, 0/4 30 s; --shuffle-interval 1: 0/2 */
  {
    name: 'percpu-cluster-migration', summary: 'after the sleeping table allocation, abandon the isolated cluster for the new CPU\'s percpu cluster (seed 002 as posted)', stress: 'never',
    provenance: {
      kind: 'review',
      refs: [
        {
          series: 'seed 002', title: '[PATCH 8/9] mm, swap: implement dynamic allocation of swap table',
          quote: 'Back to atomic context. First, check if we migrated to a new CPU with a usable percpu cluster. If so, try using that instead',
          note: 'as posted: after it the isolated cluster was never put back',
        },
        {
          series: 'seed 002', by: 'Chris Mason',
          quote: 'ci came from the caller, and in the case of isolate_lock_cluster() they had just removed it from a list. We overwrite ci and return something different',
          note: 'the review of the same patch in v3 (14/15) found it',
        },
        { series: 'seed 002', by: 'Kairui Song', quote: 'I need to add the ci back to the list, or it will be leaked', note: 'agreed; v4 keeps using the isolated cluster' },
      ],
    },
  },
  /* 0/3 10 s, 0/4 30 s; --swapoff-interval 5 (tables freed and reused far more often): 3/5 (2.5-3.4 s) */
  {
    name: 'rcu-lazy-table-free', summary: 'hand a freed swap table page back to general use without waiting for a grace period', stress: 'never',
    stressWith: { flags: '--swapoff-interval 5', reach: 'seldom', holds: (s) => s.swapoffIntervalMs > 0 && s.swapoffIntervalMs <= 5 },
    provenance: {
      kind: 'hypothetical',
      rule: 'tables come from a SLAB_TYPESAFE_BY_RCU cache: freed table memory may become another cluster\'s table at once but nothing else before a grace period',
      refs: [{ series: 'seed 002', quote: 'it\'s safe to use RCU slab here' }],
      note: 'no posted version did it',
    },
  },
  /* 3/3 10 s (1.1 s each) */
  {
    name: 'rcu-table-free-unfilled', summary: 'free a cluster\'s swap table without NULL-filling it first', stress: 'often',
    provenance: {
      kind: 'hypothetical',
      rule: 'a swap table is NULL-filled before it is freed, which the kernel enforces with a VM_WARN_ON_ONCE in swap_cluster_free_table',
      refs: [{ series: 'seed 002', quote: 'All swap table should be filled with null entries before free, so such readers will either see a NULL pointer or a null filled table being lazy freed' }],
    },
  },
  /*
   * 0/3 10 s, 0/4 30 s with the default devices (sizes a multiple of a
   * cluster: the scan never reaches past si->max); --devices
   * ssd:600p,hdd:1100p: 5/5 (0.02-0.14 s)
   */
  {
    name: 'scan-border', summary: 'phase III patch 10 without updating the debug check (offset >= si->max)', stress: 'never',
    stressWith: { flags: '--devices ssd:600p,hdd:1100p', reach: 'often', holds: (s) => s.devicePages.some((p) => p % SWAPFILE_CLUSTER !== 0) },
    provenance: {
      kind: 'review',
      refs: [
        {
          series: 'seed 000', title: 'WARNING in swap_cluster_lock', by: 'syzbot ci',
          note: 'offset >= si->max in __swap_offset_to_cluster, from cluster_alloc_swap_entry in madvise_pageout, on the series\' first posting',
        },
        {
          series: 'seed 000 patch 10', title: 'mm, swap: no need to truncate the scan border', by: 'Kairui Song',
          quote: 'that patch is not wrong, it just have to update the debug check too',
          note: 'the next version changes the check to offset >= roundup(si->max, SWAPFILE_CLUSTER)',
        },
      ],
      note: 'a too-strict debug check, not data corruption',
    },
  },
  /* ghost: 0/3 10 s, 0/4 30 s; --swapoff-interval 5: 0/2 */
  {
    name: 'ghost-cluster-relookup', summary: 'keep using a ghost cluster pointer after the lock was dropped', stress: 'never',
    provenance: {
      kind: 'review',
      refs: [{
        series: 'seed 001 patch 15', quote: 'Re-lookup: ghost cluster may have been freed while lock was dropped',
        note: 'the patch makes ghost clusters dynamic (freed with CLUSTER_FLAG_DEAD and kfree_rcu when they empty) and looks the cluster up again after every dropped lock',
      }],
      note: 'the switch is the hazard that comment names; no posted code lacked it',
    },
  },
  /* 3/3 10 s (0.9-1.2 s) */
  {
    name: 'swapcache-large-folio', summary: '__swap_cache_alloc without the second __swap_cache_check_batch', stress: 'often',
    provenance: {
      kind: 'review',
      refs: [{
        series: 'seed 001 patch 4', title: 'mm, swap: add support for large order folios in swap cache directly', quote: 'Double check the range is still not in conflict',
        note: 'after the sleeping folio allocation, __swap_cache_alloc re-takes the cluster lock and checks the batch again (falling back with -EAGAIN/-EBUSY)',
      }],
      note: 'the switch is that hunk\'s absence: the hazard it guards',
    },
  },
  /* 2/3 10 s (1.1, 10.0 s), 3/4 30 s (1.3-2.4 s) */
  {
    name: 'memcg-dead-reparent', summary: 'swap-in charged to a dead memcg, swap charge not moved', stress: 'seldom',
    provenance: {
      kind: 'hypothetical',
      rule: 'no kernel charged a swap-in to a dead memcg',
      refs: [{
        series: 'seed 001 patch 6',
        note: 'before it the charge went to the faulting process\'s memcg (css_tryget_online failing); it moves the charge to the nearest online ancestor',
      }],
      related: [{
        commit: '1f47b61fb407', subject: 'mm: memcontrol: fix swap counter leak on swapout from offline cgroup',
        note: 'a swap-out recording an offline memcg whose id was released, so its swap counter was never uncharged; the model does not have that path yet',
      }],
    },
  },
  /* 3/3 10 s (0.3-0.6 s) */
  {
    name: 'batch-free-memcg', summary: 'batch free uncharged to one memcg id across slots of several', stress: 'often',
    provenance: {
      kind: 'review',
      refs: [{
        series: 'seed 001 patch 9', title: 'mm, swap: support flexible batch freeing of slots in different memcg', quote: 'Instead of let the caller ensures all slots are in the same memcg...',
        note: 'phase IV keeps the memcg id in each slot\'s shadow, so a batch free must uncharge per id',
      }],
      note: 'the switch is the hazard that patch removes',
    },
  },
  /* 0/3 10 s, 0/4 30 s; --mix only,zero=1,touch=1,pageout=1,reclaim=1: 0/2 */
  {
    name: 'zero-flag-unlocked', summary: 'zero flag set/cleared without the cluster lock', stress: 'never',
    provenance: {
      kind: 'hypothetical',
      rule: 'the zero flag is changed under the cluster lock: its setter is a plain read-modify-write of the whole table word',
      refs: [{ series: 'seed 001 patch 12', quote: 'The zero mark is protected by the cluster lock', note: 'the zero map merged into the table' }],
    },
  },
  /* 0/3 10 s (default mix; its window needs two forks of processes sharing a slot at SWP_TB_COUNT_MAX - 1 at once) */
  {
    name: 'count-overflow', summary: 'swap_extend_table_alloc installs its extend table without re-checking under ci->lock that another CPU installed one meanwhile: the counts kept in that one are lost', stress: 'never',
    provenance: {
      kind: 'hypothetical',
      rule: 'a swap count never wraps or goes missing: past SWP_TB_COUNT_MAX it continues in ci->extend_table, and swap_extend_table_alloc re-checks under ci->lock whether a concurrent allocation installed one before installing its own',
      refs: [{ series: 'seed 000' }, { series: 'seed 001' }],
      note: 'a plausible mistake on the kernel\'s own path; no posted version made it',
    },
  },
  /* 1/3 10 s (5.2 s), 4/4 30 s (2.7-18.4 s) */
  {
    name: 'swapin-no-pte-recheck', summary: 'map a swapped-in folio without re-checking the PTE under the PTL', stress: 'seldom',
    provenance: {
      kind: 'hypothetical',
      rule: 'do_swap_page re-checks the PTE with pte_same() under the PTL, as it has for as long as it has read the PTE without it',
      refs: [],
      related: [{
        commit: '13ddaf26be32', subject: 'mm/swap: fix race when skipping swapcache',
        note: 'a real race the check alone misses - an ABA where the PTE value returns to the same swap entry; the model does not have the swap-cache bypass it needs yet',
      }],
    },
  },
  /* ghost: 0/3 10 s, 0/4 30 s (needs a ghost swapfile whose size is not a multiple of a cluster; stress's /dev/ghostswap is one) */
  {
    name: 'ghost-cluster-tail', summary: 'a dynamic ghost cluster past si->max (a ghost swapfile not a multiple of a cluster) hands out slots get_swap_device() refuses (the RFC as posted)', stress: 'never',
    provenance: {
      kind: 'review',
      refs: [{
        series: 'seed 001 patches 13 and 15', by: 'this project',
        note: 'a static device marks the tail of its last cluster bad at swapon; a ghost swapfile sized by its header (patch 13) gets its clusters later (patch 15), and nothing marks that tail',
      }],
      note: 'this project\'s reading, found by its own multi-worker test; not raised on the list',
    },
  },
  /* ghost: 0/3 10 s, 0/4 30 s; --swapoff-interval 5: 0/2 */
  {
    name: 'ghost-swapoff-allocation', summary: 'swapoff of a ghost device skips wait_for_allocation (the RFC as posted): an allocation in flight under ci->lock outlives try_to_unuse', stress: 'never',
    provenance: {
      kind: 'review',
      refs: [{
        series: 'seed 001 patch 15', by: 'this project', quote: 'if (si->flags & SWP_GHOST) return;',
        note: 'wait_for_allocation() gains it before the loop that takes every cluster\'s lock',
      }],
      related: [{
        subject: 'mm: swap: use correct step in loop to wait all clusters in wait_for_allocation()',
        note: 'a kernel fix in the same function: an allocator that passed the SWP_WRITEOK check in a cluster the loop skipped',
      }],
      note: 'this project\'s reading, found by its stress runs',
    },
  },
  /* 2/3 10 s (5.6, 10.0 s), 2/4 30 s (0.9, 27.8 s); a second round: 1/3 10 s, 2/4 30 s */
  {
    name: 'zswap-writeback-stale', summary: 'zswap writeback without re-checking, once the swap cache folio is allocated, that the tree still maps the slot to the isolated entry: a slot freed and reused meanwhile gets the old entry\'s data', stress: 'seldom',
    provenance: {
      kind: 'kernel-fix',
      refs: [{
        commit: '04fc7816089c', subject: 'mm: fix zswap writeback race condition',
        note: 'the fix: with the new swap cache folio locked, abort the writeback (-ENOMEM) unless the tree still maps the offset to this entry; before it a slot invalidated and reused while the shrink work held the entry got the old data, and a swap-in brought it back (silent data corruption)',
      }],
      note: 'the switch skips the re-check in today\'s zswap_writeback_entry, which then also erases the new entry from the tree; the stale folio stays in the swap cache under writeback, as in the kernel, and the swap-in finds it there or reads the stale data back from the device',
    },
  },
  /* 1/3 10 s (1.1 s), 4/4 30 s (1.1-28.3 s); a second round: 2/3 10 s, 4/4 30 s */
  {
    name: 'zswap-writeback-leak', summary: 'zswap writeback\'s abort of a recycled entry deletes the folio from the swap cache but neither unlocks nor puts it', stress: 'seldom',
    provenance: {
      kind: 'kernel-fix',
      refs: [
        {
          commit: 'e3b63e966cac', subject: 'mm: zswap: fix missing folio cleanup in writeback race path',
          note: 'the fix: folio_unlock() and folio_put() after delete_from_swap_cache(); before it the folio was stranded, locked, indefinitely (found by code inspection, nothing warned)',
        },
        { commit: '04fc7816089c', subject: 'mm: fix zswap writeback race condition', note: 'the commit it fixes (its Fixes: tag): the re-check\'s abort path as it added it' },
      ],
    },
  },
  /* 0/3 10 s (its reuse of the freed slot needs a device with no other free slot) */
  {
    name: 'swapin-skip-swapcache', summary: 'SWP_SYNCHRONOUS_IO swap-in bypasses the swap cache without pinning the entry (swapcache_prepare): two faults read the entry into private folios, the later one installs a stale page', stress: 'never',
    provenance: {
      kind: 'kernel-fix',
      refs: [
        {
          commit: '13ddaf26be32', subject: 'mm/swap: fix race when skipping swapcache',
          note: 'the fix: swapcache_prepare() pins the entry for the one fault that bypasses the swap cache, swapcache_clear() after the PTL is dropped; racers back off',
        },
        { commit: '0bcac06f27d7', subject: 'mm, swap: skip swapcache for swapin of synchronous device', note: 'what it fixes: the bypass itself' },
      ],
      note: 'the kernel the seeds target has no bypass (the swap table series swaps every SWP_SYNCHRONOUS_IO fault in through the swap cache); the switch restores the pre-fix bypass on the model\'s zram-like devices',
    },
  },
  /* 0/3 10 s (the freed folio must become a tail page before the wake-up) */
  {
    name: 'end-writeback-noref', summary: 'folio_end_writeback() clears PG_writeback and wakes the waiters without a reference of its own: the folio can be freed and reused in between', stress: 'never',
    provenance: {
      kind: 'kernel-fix',
      refs: [{
        commit: '073861ed77b6', subject: 'mm: fix VM_BUG_ON(PageTail) and BUG_ON(PageWriteback)',
        note: 'its message: "as soon as TestClearPageWriteback has been done, that page could be removed from page cache, freed, and reused for something else by the time that wake_up_page() is reached"; the fix: get_page() before test_clear_page_writeback(), put_page() after wake_up_page()',
      }],
      note: 'the kernel crashed on the PF_ONLY_HEAD check in PageWaiters() when the page was reused as a tail page; the model has the same check in folio_wake_bit()',
    },
  },
  /* 0/3 10 s (no swapoff failed); --devices ssd:600p,ssd:600p 0/2 10 s (2 swapoffs failed, neither on a full device) */
  {
    name: 'readd-full-device', summary: 'add_to_avail_list() compares the counter with SWAP_USAGE_OFFLIST_BIT still in it against si->pages: a full device a failed swapoff puts back goes on swap_avail_head (the mm tree as it stands)', stress: 'never',
    provenance: {
      kind: 'review',
      refs: [{
        series: 'the mm tree, mm/swapfile.c', title: '[PATCH 06/13] mm, swap: clean up plist removal and adding', by: 'this project',
        quote: 'When device is full and device is on the plist, only one updater will see (inuse_pages == si->pages) and will call del_from_avail_list. If that updater happen to be here, just skip adding.',
        note: 'the patch (Kairui Song, 2024-10-22) made the off-list bit part of inuse_pages and dropped get_swap_pages()\'s check that took a full device it met off the list; val, from atomic_long_fetch_and_relaxed(), still holds the bit, so a full device is added; linux-mm\'s add_to_avail_list() reads the same today',
      }],
      note: 'this project\'s reading, found by an API call sequence (a MADV_PAGEOUT that never returned once linux-mm\'s DEF_SWAP_PRIO gave two full devices one priority); not raised on the list',
    },
  },
];

export function bugIndex(name: string): number {
  return BUG_SWITCHES.findIndex((b) => b.name === name);
}

/** The switch called @name, or undefined. */
export function bug_switch(name: string): BugSwitch | undefined {
  return BUG_SWITCHES.find((b) => b.name === name);
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
export const BUG_ZSWAP_WRITEBACK_STALE = 1 << bugIndex('zswap-writeback-stale');
export const BUG_ZSWAP_WRITEBACK_LEAK = 1 << bugIndex('zswap-writeback-leak');
export const BUG_SWAPIN_SKIP_SWAPCACHE = 1 << bugIndex('swapin-skip-swapcache');
export const BUG_END_WRITEBACK_NOREF = 1 << bugIndex('end-writeback-noref');
export const BUG_READD_FULL_DEVICE = 1 << bugIndex('readd-full-device');

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
