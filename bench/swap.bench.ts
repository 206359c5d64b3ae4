/*
 * Suite "swap": the swap table and the allocator on one CPU, as ratios to
 * the raw Atomics limits measured in the same run (docs/performance.md's figures):
 *
 *   node dist/bench/run.js --suite swap,sync     (npm run bench -- --suite swap)
 *
 *  - swap table entry get (swap_table_get under RCU, __swap_table_get under
 *    ci->lock) vs a bare BigInt64 Atomics.load of the same word;
 *  - entry set (__swap_table_set with ci->lock held across the loop, and
 *    with the lock taken per set as a lone update would) vs a bare
 *    BigInt64 Atomics.store;
 *  - uncontended spin_lock+spin_unlock vs a bare compareExchange + store;
 *  - allocate + free of one slot (folio_alloc_swap + folio_free_swap on a
 *    locked order-0 folio), in a cluster that stays in use (another of its
 *    slots is held), and in one that empties every time (its swap table
 *    freed, and allocated again by the next allocation): absolute figures,
 *    no ratio.
 *
 * The system is one System.create() with an SSD swap device (percpu
 * clusters); everything runs as task 0 on CPU 0, lockdep on unless a row
 * says otherwise.  Figures are medians per operation (bench/common.ts).
 */
import { Bench } from 'tinybench';
import { System } from '../src/api/system.js';
import { SWAPFILE_CLUSTER } from '../src/shm/layout.js';
import { lockClass, lockdep_set_enabled } from '../src/sync/lockdep.js';
import { __folio_set_locked, folio_alloc, folio_put, folio_swap, folio_unlock } from '../src/mm/page_alloc.js';
import { folio_alloc_swap, folio_free_swap } from '../src/mm/swapfile.js';
import { swap_cluster_lock, swap_cluster_unlock, swp_offset } from '../src/mm/swap.js';
import { __swap_table_get, __swap_table_set, cluster_table_page, swap_table_get } from '../src/mm/swap_table_arena.js';
import { ROOT_MEM_CGROUP } from '../src/mm/memcontrol.js';
import { page_pool_alloc, page_pool_free, pageDataWord, PG_KMALLOC } from '../src/kmem/page_pool.js';
import { rowsFromBench, type BenchOptions, type BenchRow, type BenchSuite, type TaskSpec } from './common.js';
import { addRawAtomics, addSpinLock, consume, RAW_CMPXCHG_STORE, RAW_LOAD64, RAW_STORE64, SPIN_LOCKDEP_OFF, SPIN_LOCKDEP_ON } from './raw.js';

const OPS = 1000;
const OPS_ALLOC = 100;
const TYPE = 0;

const GET_RCU = 'swap_table_get (RCU, lockless)';
const GET_LOCKED = '__swap_table_get (ci->lock held)';
const SET_LOCKED = '__swap_table_set (ci->lock held)';
const SET_LOCKED_NOLOCKDEP = '__swap_table_set (ci->lock held), lockdep off';
const SET_LOCK_EACH = 'swap_cluster_lock+__swap_table_set+unlock';
const ALLOC_FREE = 'folio_alloc_swap+folio_free_swap, order 0, cluster stays in use';
const ALLOC_FREE_EMPTIES = 'folio_alloc_swap+folio_free_swap, order 0, cluster empties';

/** Order-0 folio @folio, locked, given a slot and dropped from the swap cache again @ops times. */
function allocFreeLoop(folio: number, ops: number): void {
  __folio_set_locked(folio);
  for (let i = 0; i < ops; i++) {
    if (folio_alloc_swap(folio) !== 0) throw new Error('bench swap: folio_alloc_swap failed');
    if (!folio_free_swap(folio)) throw new Error('bench swap: folio_free_swap refused the folio');
  }
  folio_unlock(folio);
}

function newFolio(): number {
  const folio = folio_alloc(0, ROOT_MEM_CGROUP);
  if (folio < 0) throw new Error('bench swap: no folio');
  return folio;
}

/** Drop @folio's slot (folio_free_swap under the folio lock); the folio stays ours. */
function dropSlot(folio: number): void {
  __folio_set_locked(folio);
  if (!folio_free_swap(folio)) throw new Error('bench swap: folio_free_swap refused the folio');
  folio_unlock(folio);
}

/** An order-0 folio with a slot (in the swap cache, count 0, unlocked). */
function slotFolio(): number {
  const folio = newFolio();
  __folio_set_locked(folio);
  if (folio_alloc_swap(folio) !== 0) throw new Error('bench swap: folio_alloc_swap failed');
  folio_unlock(folio);
  return folio;
}

async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const sys = System.create({ nrCpus: 1, nrTasks: 1, nrFrames: 1024, nrPages: 64, nrMms: 1, mmPages: 64, maxSwapPages: 4 * SWAPFILE_CLUSTER });
  if (sys.createSwapDevice('/dev/bench', { sizePages: 4 * SWAPFILE_CLUSTER }) !== 0 || sys.swapon('/dev/bench') !== 0) {
    throw new Error('bench swap: swapon failed');
  }
  /*
   * Cluster 0 never empties (the header's bad slot stays in it): fill it
   * up first, so the slots below come from clusters that hold nothing else.
   */
  const filler: number[] = [];
  for (let i = 1; i < SWAPFILE_CLUSTER; i++) filler.push(slotFolio());
  /* One slot in use (in the swap cache): its entry is the word every get/set row touches. */
  const pinned = slotFolio();
  const offset = swp_offset(folio_swap(pinned));
  const off = offset % SWAPFILE_CLUSTER;
  const ci = swap_cluster_lock(TYPE, offset);
  const entry = __swap_table_get(ci, off);
  const entryWord = pageDataWord(cluster_table_page(ci)) + 2 * off;
  swap_cluster_unlock(ci);
  /* Words for the cmpxchg row and the spinlock, on lines of their own: a kmalloc'd page. */
  const scratchPage = page_pool_alloc(PG_KMALLOC, true);
  if (scratchPage < 0) throw new Error('bench swap: no page');
  const scratch = pageDataWord(scratchPage);
  const LA = lockClass('test_lock_a');

  const bench = new Bench({ name: 'swap', time: opts.time, warmupTime: opts.warmupTime, throws: true });
  addRawAtomics(bench, OPS, scratch, entryWord, entry);
  addSpinLock(bench, OPS, scratch + 16, LA);
  bench
    .add(GET_RCU, () => {
      let x = 0n;
      for (let i = 0; i < OPS; i++) x ^= swap_table_get(ci, off);
      consume(x);
    })
    .add(GET_LOCKED, () => {
      let x = 0n;
      swap_cluster_lock(TYPE, offset);
      for (let i = 0; i < OPS; i++) x ^= __swap_table_get(ci, off);
      swap_cluster_unlock(ci);
      consume(x);
    })
    .add(SET_LOCKED, () => {
      swap_cluster_lock(TYPE, offset);
      for (let i = 0; i < OPS; i++) __swap_table_set(ci, off, entry);
      swap_cluster_unlock(ci);
    })
    .add(SET_LOCKED_NOLOCKDEP, () => {
      lockdep_set_enabled(false);
      swap_cluster_lock(TYPE, offset);
      for (let i = 0; i < OPS; i++) __swap_table_set(ci, off, entry);
      swap_cluster_unlock(ci);
      lockdep_set_enabled(true);
    })
    .add(SET_LOCK_EACH, () => {
      for (let i = 0; i < OPS; i++) {
        swap_cluster_lock(TYPE, offset);
        __swap_table_set(ci, off, entry);
        swap_cluster_unlock(ci);
      }
    });

  /* Allocate + free: the pinned slot keeps its cluster in use, so no table is freed. */
  const folio = newFolio();
  bench.add(ALLOC_FREE, () => allocFreeLoop(folio, OPS_ALLOC));
  /* Then the same with the pinned slot gone: every free empties the cluster and frees its table. */
  const empties = new Bench({ name: 'swap', time: opts.time, warmupTime: opts.warmupTime, throws: true });
  empties.add(ALLOC_FREE_EMPTIES, () => allocFreeLoop(folio, OPS_ALLOC));
  await bench.run();
  dropSlot(pinned);
  await empties.run();
  for (const f of filler) dropSlot(f);
  /* The folios are the bench's own (no PTE maps them): their last references go, or the check reports them leaked. */
  for (const f of [...filler, pinned, folio]) folio_put(f);
  page_pool_free(scratchPage);

  const violations = sys.check();
  if (violations.length > 0) throw new Error(`bench swap: the system is inconsistent afterwards: ${violations[0].message}`);

  const perTask: Record<string, TaskSpec> = {
    [SPIN_LOCKDEP_ON]: { baseline: RAW_CMPXCHG_STORE },
    [SPIN_LOCKDEP_OFF]: { baseline: RAW_CMPXCHG_STORE },
    [RAW_STORE64]: { baseline: RAW_STORE64 },
    [SET_LOCKED]: { baseline: RAW_STORE64 },
    [SET_LOCKED_NOLOCKDEP]: { baseline: RAW_STORE64 },
    [SET_LOCK_EACH]: { baseline: RAW_STORE64 },
    [RAW_CMPXCHG_STORE]: { baseline: RAW_CMPXCHG_STORE },
    [ALLOC_FREE]: { ops: OPS_ALLOC, baseline: null },
    [ALLOC_FREE_EMPTIES]: { ops: OPS_ALLOC, baseline: null },
  };
  const rows = rowsFromBench('swap', bench, OPS, RAW_LOAD64, perTask);
  return [...rows, ...rowsFromBench('swap', empties, OPS, null, perTask)];
}

export const suite: BenchSuite = {
  name: 'swap',
  description: 'swap table get/set vs bare 64-bit Atomics load/store, spinlock vs cmpxchg+store, allocate+free of one slot',
  run,
};
