/*
 * Lockless swap cache readers under RCU, racing swap table freeing
 * (seed 002: swap tables are allocated when a cluster is taken into use and
 * freed when it empties, NULL-filled first, from a SLAB_TYPESAFE_BY_RCU
 * cache).  the 'rcu' invariant (docs/invariants.md): a reader acts only on what it
 * validated - it sees a NULL table, a NULL(-filled) entry, or an entry it
 * re-checks; freed table memory may become another cluster's table at once
 * but nothing else before a grace period.
 *
 * Programs (registerProgram names):
 *   swapcache-rcu-writer { ctl, rounds, orders, cpus }
 *       per round, on each simulated CPU of @cpus in turn (it migrates at
 *       a sleep point, so each CPU's percpu clusters are used), one folio
 *       of each order in @orders gets swap slots (folio_alloc_swap) and a
 *       content token per page; the entries are published; then every
 *       folio is dropped from the swap cache (folio_free_swap), which
 *       empties its cluster and frees the cluster's table.  Each round
 *       frees more tables than the slab keeps, so pages also leave the
 *       slab (after a grace period; at once with bug switch
 *       rcu-lazy-table-free).  Stops early once every reader is done.
 *   swapcache-rcu-reader { ctl, reads, hold }
 *       @reads lookups of recently published entries, the kernel's way
 *       (swap_cache_get_folio + the caller's checks): rcu_read_lock, the
 *       cluster's table pointer, @hold loads of delay (a reader preempted
 *       with the pointer in hand), the entry, folio_try_get, the slot
 *       re-read; after rcu_read_unlock, folio_trylock and
 *       folio_matches_swap_entry; only then is the page "used": its token
 *       must be the entry's, else 'swap-cache' is reported (a stale entry
 *       acted on).  A table freed to general use under the reader is
 *       reported by __swap_table_get_rcu() (KASAN, 'rcu').
 * Both wait at a start line; everything is bounded by operation counts.
 *
 * Setup (main thread, after swapon): swapcache_rcu_torture_init(nrReaders)
 * returns the control block (a kmalloc page of the arena) to pass as
 * @ctl; swapcache_rcu_torture_exit(ctl) frees it.
 */
import { A } from '../shm/arena.js';
import { PAGE_WORDS, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { page_pool_alloc, page_pool_free, pageDataWord, PG_KMALLOC } from '../kmem/page_pool.js';
import { report } from '../shm/report.js';
import { point, pointId } from '../sync/point.js';
import { barrier_init, barrier_wait } from '../sync/barrier.js';
import { might_sleep } from '../sync/might_sleep.js';
import { rcu_read_lock, rcu_read_unlock } from '../sync/rcu.js';
import { current, prandom_u32, request_migration } from '../shm/task.js';
import { swap_design } from '../mm/swap_design.js';
import {
  __folio_set_locked, folio_alloc, folio_lock, folio_put, folio_swap, folio_trylock, folio_try_get, folio_unlock,
  page_token, set_page_token,
} from '../mm/page_alloc.js';
import { folio_alloc_swap, folio_free_swap } from '../mm/swapfile.js';
import { get_swap_device, put_swap_device } from '../mm/swap_device.js';
import { folio_matches_swap_entry } from '../mm/swap_state.js';
import { __swap_offset_to_cluster, swp_offset, swp_type } from '../mm/swap.js';
import { __swap_table_get_rcu, swap_table_rcu_dereference } from '../mm/swap_table_arena.js';
import { swp_tb_is_folio, swp_tb_to_pfn } from '../mm/swap_table.js';
import { ROOT_MEM_CGROUP } from '../mm/memcontrol.js';
import { registerProgram } from './programs.js';

/** Control block, in words from its base (one 64-byte line per hot group). */
const CTL = {
  barrier: 0, /* [2] start line */
  readers_done: 16,
  nr_readers: 17,
  writers_done: 18,
  head: 32, /* entries published so far */
  ring: 48, /* [RING] (entry << 4 | order) of the latest publications */
} as const;
const RING = 64;
if (CTL.ring + RING > PAGE_WORDS) throw new Error('swapcache_rcu_torture: control block larger than a page');

const P_READER_DEREF = pointId('swapcache_rcu_reader_deref');

/** The content token the writer gives page @entry (a reader that used a stale entry sees another). */
export function swapcache_rcu_token(entry: number): bigint {
  return (BigInt(entry) << 20n) | 0x5ca7en;
}

/** Allocate and reset the control block for a run with @nrReaders readers.  Context: main thread, setup. */
export function swapcache_rcu_torture_init(nrReaders: number): number {
  const page = page_pool_alloc(PG_KMALLOC, true);
  if (page < 0) throw new Error('swapcache_rcu_torture_init: no free page for the control block');
  const ctl = pageDataWord(page);
  barrier_init(ctl + CTL.barrier);
  Atomics.store(A.i32, ctl + CTL.nr_readers, nrReaders);
  return ctl;
}

/** Free the control block.  Context: main thread, after the run. */
export function swapcache_rcu_torture_exit(ctl: number): void {
  page_pool_free((ctl - A.L.pageData) / PAGE_WORDS);
}

function nr_tasks_in_run(ctl: number, writers: number): number {
  return Atomics.load(A.i32, ctl + CTL.nr_readers) + writers;
}

export interface SwapcacheRcuWriterArgs {
  ctl: number;
  rounds: number;
  /** Folio orders allocated on each CPU per round (each order has its own percpu cluster). */
  orders: number[];
  /** Simulated CPUs to allocate on in turn. */
  cpus: number[];
  /** Writers in the run (start line). */
  writers: number;
}

export interface SwapcacheRcuWriterResult {
  rounds: number;
  published: number;
  enomem: number;
  /** folio_free_swap() refused a folio nobody else may hold: must stay 0. */
  free_failed: number;
}

function swapcache_rcu_writer(a: SwapcacheRcuWriterArgs): SwapcacheRcuWriterResult {
  const i32 = A.i32;
  const readers = Atomics.load(i32, a.ctl + CTL.nr_readers);
  const res: SwapcacheRcuWriterResult = { rounds: 0, published: 0, enomem: 0, free_failed: 0 };
  barrier_wait(a.ctl + CTL.barrier, nr_tasks_in_run(a.ctl, a.writers));
  const readersLeft = (): boolean => readers === 0 || Atomics.load(i32, a.ctl + CTL.readers_done) < readers;
  for (let r = 0; r < a.rounds && readersLeft(); r++) {
    const folios: number[] = [];
    for (const cpu of a.cpus) {
      request_migration(current(), cpu);
      might_sleep('swapcache_rcu_writer');
      for (const order of a.orders) {
        const folio = folio_alloc(order, ROOT_MEM_CGROUP);
        if (folio < 0) {
          res.enomem++;
          continue;
        }
        __folio_set_locked(folio);
        if (folio_alloc_swap(folio) !== 0) {
          folio_unlock(folio);
          folio_put(folio);
          res.enomem++;
          continue;
        }
        const entry = folio_swap(folio);
        if (entry >= 1 << 27) throw new Error(`swapcache_rcu_writer: entry ${entry} does not fit the publication ring (use swap type 0 or 1)`);
        for (let k = 0; k < 1 << order; k++) set_page_token(folio + k, swapcache_rcu_token(entry + k));
        const n = Atomics.add(i32, a.ctl + CTL.head, 1);
        Atomics.store(i32, a.ctl + CTL.ring + (n % RING), (entry << 4) | order);
        res.published++;
        folio_unlock(folio);
        folios.push(folio);
      }
    }
    for (const folio of folios) {
      folio_lock(folio);
      if (!folio_free_swap(folio)) res.free_failed++;
      folio_unlock(folio);
      folio_put(folio);
    }
    res.rounds++;
  }
  Atomics.add(i32, a.ctl + CTL.writers_done, 1);
  return res;
}

export interface SwapcacheRcuReaderArgs {
  ctl: number;
  reads: number;
  /** Loads of delay between dereferencing the table and reading the entry. */
  hold: number;
  /** Pick among the @window latest publications (default and at most RING). */
  window?: number;
  writers: number;
}

export interface SwapcacheRcuReaderResult {
  reads: number;
  /** Polls that found nothing published yet, or a ring slot not yet written (not counted as reads). */
  idle: number;
  /** get_swap_device() failed (swapoff). */
  nodev: number;
  /** The cluster had no table (freed, not yet reallocated). */
  null_table: number;
  /** The entry was not a folio: NULL(-filled), or a shadow. */
  no_folio: number;
  /** folio_try_get() failed: the folio was being freed. */
  frozen: number;
  /** Pinned, but the slot no longer named the folio on the re-read. */
  recheck_failed: number;
  /** Someone else held the folio lock. */
  busy: number;
  /** Locked, but folio_matches_swap_entry() said no: the kernel's re-check before use. */
  mismatch: number;
  /** Validated and used. */
  hits: number;
}

/*
 * A recently published entry, at random among the last @window published
 * (the head of the ring is @head); -1 for a slot not written yet.  A
 * writer takes its slot (head) before it stores the entry there: a reader
 * between the two finds the slot as the last lap left it - an older
 * entry, which it validates like any other - or, on the first lap, empty.
 */
function swapcache_rcu_pick(a: SwapcacheRcuReaderArgs, head: number, window: number): number {
  const pub = Atomics.load(A.i32, a.ctl + CTL.ring + ((head - 1 - (prandom_u32() % Math.min(head, window))) % RING));
  if (pub === 0) return -1;
  return (pub >>> 4) + (prandom_u32() % (1 << (pub & 15)));
}

/*
 * swap_cache_get_folio(), lockless: under RCU the cluster's table, @hold
 * loads of delay (a reader preempted with the pointer in hand), the entry,
 * a reference, the slot again.  Returns the referenced folio, or -1 (what
 * stopped it counted in @res).
 */
function swap_cache_get_folio_rcu(a: SwapcacheRcuReaderArgs, res: SwapcacheRcuReaderResult, ci: number, off: number): number {
  let folio = -1;
  rcu_read_lock();
  const tbl = swap_table_rcu_dereference(ci);
  if (tbl === 0) {
    res.null_table++;
  } else {
    point(P_READER_DEREF);
    for (let k = 0; k < a.hold; k++) Atomics.load(A.i32, a.ctl + CTL.nr_readers);
    const tb = __swap_table_get_rcu(tbl, ci, off);
    if (!swp_tb_is_folio(tb)) {
      res.no_folio++;
    } else if (!folio_try_get(swp_tb_to_pfn(swap_design().tb, tb))) {
      res.frozen++;
    } else if (__swap_table_get_rcu(tbl, ci, off) !== tb) {
      folio_put(swp_tb_to_pfn(swap_design().tb, tb));
      res.recheck_failed++;
    } else {
      folio = swp_tb_to_pfn(swap_design().tb, tb);
    }
  }
  rcu_read_unlock();
  return folio;
}

/*
 * The caller: lock, and check the folio still is @entry's before using
 * it; a page used must hold the entry's token, else 'swap-cache' is
 * reported (once: @stale says it was).  Drops the reference.  Returns @stale.
 */
function swapcache_rcu_use(folio: number, entry: number, res: SwapcacheRcuReaderResult, stale: boolean): boolean {
  if (!folio_trylock(folio)) {
    res.busy++;
  } else {
    if (!folio_matches_swap_entry(folio, entry)) {
      res.mismatch++;
    } else {
      res.hits++;
      const got = page_token(folio + (entry - folio_swap(folio)));
      if (got !== swapcache_rcu_token(entry) && !stale) {
        stale = true;
        report('swap-cache', `swapcache_rcu_reader: acted on a stale entry: ${swp_type(entry)}:${swp_offset(entry)} gave folio ${folio} holding 0x${got.toString(16)}`, [entry, folio]);
      }
    }
    folio_unlock(folio);
  }
  folio_put(folio);
  return stale;
}

/* swapcache-rcu-reader: @reads lookups of recently published entries, each validated before use. */
function swapcache_rcu_reader(a: SwapcacheRcuReaderArgs): SwapcacheRcuReaderResult {
  const i32 = A.i32;
  const res: SwapcacheRcuReaderResult = {
    reads: 0, idle: 0, nodev: 0, null_table: 0, no_folio: 0, frozen: 0, recheck_failed: 0, busy: 0, mismatch: 0, hits: 0,
  };
  const window = Math.min(a.window ?? RING, RING);
  let stale = false;
  barrier_wait(a.ctl + CTL.barrier, nr_tasks_in_run(a.ctl, a.writers));
  while (res.reads < a.reads) {
    const head = Atomics.load(i32, a.ctl + CTL.head);
    if (head === 0) {
      /* Nothing published yet: wait for the first entry, unless every writer gave up. */
      if (Atomics.load(i32, a.ctl + CTL.writers_done) === a.writers) break;
      res.idle++;
      continue;
    }
    const entry = swapcache_rcu_pick(a, head, window);
    if (entry < 0) {
      res.idle++;
      continue;
    }
    res.reads++;
    const type = get_swap_device(entry);
    if (type < 0) {
      res.nodev++;
      continue;
    }
    const folio = swap_cache_get_folio_rcu(a, res, __swap_offset_to_cluster(type, swp_offset(entry)), swp_offset(entry) % SWAPFILE_CLUSTER);
    if (folio >= 0) stale = swapcache_rcu_use(folio, entry, res, stale);
    put_swap_device(type);
  }
  Atomics.add(i32, a.ctl + CTL.readers_done, 1);
  return res;
}

registerProgram('swapcache-rcu-writer', (a: SwapcacheRcuWriterArgs) => swapcache_rcu_writer(a));
registerProgram('swapcache-rcu-reader', (a: SwapcacheRcuReaderArgs) => swapcache_rcu_reader(a));
