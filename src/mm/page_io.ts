/*
 * mm/page_io.c: writing a swap cache folio out and reading it back, against
 * a per-device backing store of 64-bit content tokens (one per slot), with
 * zero-page detection into the swap table's zero flag (seed 001 patch 12).
 *
 * Device I/O goes through bios (src/block/bio.ts): a write sets
 * PG_writeback and unlocks the folio, a read leaves it locked, and the
 * completion - end_swap_bio_write / end_swap_bio_read, in the I/O
 * completion task - ends it.  Zero-filled pages, zswap and
 * SWP_SYNCHRONOUS_IO (zram-like) devices complete before the call
 * returns.  Kernel mapping: swap_writeout, __swap_writepage,
 * swap_zeromap_folio_set/_clear, swap_read_folio, swap_zeromap_batch,
 * swap_read_folio_zeromap, end_swap_bio_read/_write.
 */
import { A } from '../shm/arena.js';
import { SI, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { BUG, report } from '../shm/report.js';
import { bug_on, BUG_ZERO_FLAG_UNLOCKED } from '../shm/bugs.js';
import { point, pointId } from '../sync/point.js';
import { bio_alloc, blk_account_io, bio_folio, bio_nr_pages, bio_sector, bio_set_sector, BIO_END_SWAP_READ, BIO_END_SWAP_WRITE, register_bio_end_io, REQ_OP_READ, REQ_OP_WRITE, submit_bio } from '../block/bio.js';
import { swap_design } from './swap_design.js';
import { folio_end_read, folio_end_writeback, folio_lock_to_io, folio_start_writeback } from './filemap.js';
import {
  folio_clear, folio_nr_pages, folio_unlock, folio_set, folio_swap, page_token, page_token_index, PG_dirty, set_page_token, token_copy,
  token_is_zero,
} from './page_alloc.js';
import { folio_free_swap } from './swapfile.js';
import { __swap_offset_to_cluster, si_flags, si_is_ghost, si_is_vswap, siWord, SWP_SOLIDSTATE, SWP_SYNCHRONOUS_IO, swap_cluster_lock, swap_cluster_unlock, swp_offset, swp_type } from './swap.js';
import { __vswap_release_backing, __vswap_set_phys, __vswap_set_zswap, __vtable_phys, __vtable_tag, VSWAP_SWAPFILE } from './vswap.js';
import { swap_slot_free, vswap_alloc_swap_slot } from './vswap_phys.js';
import { __swap_table_rmw_unlocked } from './swap_table_arena.js';
import { swap_heap_word_free } from '../kmem/vmalloc.js';
import { swp_tb_clear_zero, swp_tb_is_countable, swp_tb_set_zero } from './swap_table.js';
import { count_vm_events, SWAP_WRITEOUT_ACTIVATE, PSWPIN, PSWPOUT, SWPIN_ZERO, SWPOUT_ZERO, THP_SWPIN, THP_SWPOUT, ZSWPIN, ZSWPOUT } from './vmstat.js';
import { zswap_invalidate_stale, zswap_load, zswap_store } from './zswap.js';

const P_ZERO_RMW = pointId('swap_zeromap:rmw');

/** Index (in the u64 view) of the token slot @offset of @type holds on its backing store. */
export function swap_backing_index(type: number, offset: number): number {
  const base = A.i32[siWord(type, SI.backing_base)];
  /* A ghost device has no data section: reaching it is the invariant "nothing is written to (or read from) a ghost's backing store". */
  if (base === 0) BUG('data', `I/O to the backing store of ghost device ${type} at offset 0x${offset.toString(16)}: a ghost has none (SWP_GHOST, seed 001 patch 13)`, [type, offset]);
  return (base >> 1) + offset;
}

/** swap_writeout() results (the kernel's are 0 and AOP_WRITEPAGE_ACTIVATE; the model also says when the folio was dropped). */
export const WRITEOUT_DONE = 0;
export const WRITEOUT_DROPPED = 1;
export const AOP_WRITEPAGE_ACTIVATE = 0x80000;

/* swap_zeromap_folio_set/_clear(): set or clear the zero flag of every slot of @folio. */
function swap_zeromap_folio_update(folio: number, zero: boolean): void {
  const entry = folio_swap(folio);
  const type = swp_type(entry);
  const nr = folio_nr_pages(folio);
  const start = swp_offset(entry) % SWAPFILE_CLUSTER;
  if (bug_on(BUG_ZERO_FLAG_UNLOCKED) && swap_design().tb.hasZeroFlag) {
    /* Pre-fix: a read-modify-write of the table word with no ci->lock. */
    const ci = __swap_offset_to_cluster(type, swp_offset(entry));
    for (let off = start; off < start + nr; off++) {
      __swap_table_rmw_unlocked(ci, off, (old) => {
        if (!swp_tb_is_countable(old) || old === 0n) return old;
        return zero ? swp_tb_set_zero(swap_design().tb, old) : swp_tb_clear_zero(swap_design().tb, old);
      }, () => point(P_ZERO_RMW));
    }
    return;
  }
  const ci = swap_cluster_lock(type, swp_offset(entry));
  for (let off = start; off < start + nr; off++) swap_design().setZero(ci, off, zero);
  swap_cluster_unlock(ci);
}

/**
 * swap_writeout(): write @folio's pages to its slots.  A folio nobody
 * references any more is just dropped from the cache (WRITEOUT_DROPPED);
 * a zero-filled folio only sets the zero flags (no I/O).  zswap first;
 * what it does not take goes to the device - except on a ghost device,
 * which has nothing behind it: __swap_writepage() keeps the folio dirty
 * and returns AOP_WRITEPAGE_ACTIVATE, and reclaim puts it back (seed 001
 * patch 13).  Clears PG_dirty when the data went somewhere; a write to
 * the device leaves the folio under writeback (PG_writeback) until its
 * completion.
 * Context: folio locked, in the swap cache; returns with it unlocked,
 * except for AOP_WRITEPAGE_ACTIVATE (as the kernel's).
 */
export function swap_writeout(folio: number): number {
  if (folio_free_swap(folio)) {
    folio_unlock(folio);
    return WRITEOUT_DROPPED;
  }
  const entry = folio_swap(folio);
  const type = swp_type(entry);
  const nr = folio_nr_pages(folio);
  let zero = true;
  for (let k = 0; k < nr; k++) if (!token_is_zero(page_token_index(folio + k))) zero = false;
  const vswap = si_is_vswap(type);
  /* vswap_prepare_writeout(): a rewritten folio's old backend goes first. */
  if (vswap) vswap_update_backing(entry, nr, null);
  swap_zeromap_folio_update(folio, zero);
  folio_clear(folio, PG_dirty); /* folio_clear_dirty_for_io() */
  if (zero) {
    if (!vswap) zswap_invalidate_stale(type, swp_offset(entry), nr);
    return swap_writeout_done(folio, SWPOUT_ZERO);
  }
  /* As bigints only for zswap, and built once. */
  let list: bigint[] | null = null;
  const tokens = (): bigint[] => (list ??= Array.from({ length: nr }, (_, k) => page_token(folio + k)));
  if (zswap_store(type, swp_offset(entry), nr, tokens)) {
    if (vswap) vswap_update_backing(entry, nr, 'zswap');
    return swap_writeout_done(folio, ZSWPOUT);
  }
  /*
   * __swap_writepage() on a ghost: "Prevent the page from getting
   * reclaimed."  vswap allocates a physical slot only now; with none
   * free anywhere the folio has nowhere to go either.
   */
  const sectors = swap_writepage_sectors(entry, nr);
  if (sectors === null) {
    folio_set(folio, PG_dirty);
    count_vm_events(SWAP_WRITEOUT_ACTIVATE, nr);
    return AOP_WRITEPAGE_ACTIVATE;
  }
  __swap_writepage(folio, sectors);
  return WRITEOUT_DONE;
}

/**
 * Where the @nr pages from @entry are written: each page's backing token
 * index - its own slot, or under vswap a physical slot allocated now - or
 * null if there is nowhere (a ghost; vswap with no physical slot free).
 * Context: the slots' swap cache folio locked.
 */
export function swap_writepage_sectors(entry: number, nr: number): number[] | null {
  const type = swp_type(entry);
  if (si_is_ghost(type)) return null;
  if (si_is_vswap(type)) return vswap_alloc_backing(entry, nr);
  return Array.from({ length: nr }, (_, k) => swap_backing_index(type, swp_offset(entry) + k));
}

/*
 * No I/O was needed (zero-filled, or zswap took it): counted and
 * unlocked.  Only the device's writes count thp_swpout (the kernel's
 * swap_writeout() returns before __swap_writepage() in both cases).
 */
function swap_writeout_done(folio: number, event: number): number {
  count_vm_events(event, folio_nr_pages(folio));
  folio_unlock(folio);
  return WRITEOUT_DONE;
}

/* count_swpout_vm_event(): a write the device does: pswpout by its pages, thp_swpout once for a large folio. */
function count_swpout_vm_event(folio: number): void {
  const nr = folio_nr_pages(folio);
  if (nr > 1) count_vm_events(THP_SWPOUT, 1);
  count_vm_events(PSWPOUT, nr);
}

/* count_swpin_vm_event(): a read the device does: pswpin by its pages, thp_swpin once for a large folio. */
function count_swpin_vm_event(folio: number): void {
  const nr = folio_nr_pages(folio);
  if (nr > 1) count_vm_events(THP_SWPIN, 1);
  count_vm_events(PSWPIN, nr);
}

/*
 * __swap_writepage(): PG_writeback, the folio unlocked, the write
 * submitted to @sectors (each page's backing token).  A SWP_SYNCHRONOUS_IO
 * device (swap_writepage_bdev_sync) has written it when this returns;
 * others (swap_writepage_bdev_async) complete it later, in the I/O
 * completion task.  Context: folio locked, in the swap cache; returns
 * with it unlocked.
 */
export function __swap_writepage(folio: number, sectors: readonly number[]): void {
  const type = swp_type(folio_swap(folio));
  const nr = folio_nr_pages(folio);
  count_swpout_vm_event(folio);
  folio_start_writeback(folio);
  folio_unlock(folio);
  if (si_flags(type) & SWP_SYNCHRONOUS_IO) {
    blk_account_io(REQ_OP_WRITE, nr); /* swap_writepage_bdev_sync(): submit_bio_wait() */
    for (let k = 0; k < nr; k++) token_copy(sectors[k], page_token_index(folio + k));
    folio_end_writeback(folio);
    return;
  }
  const bio = bio_alloc(REQ_OP_WRITE, BIO_END_SWAP_WRITE, folio, nr);
  sectors.forEach((idx, k) => bio_set_sector(bio, k, idx));
  submit_bio(bio, swap_io_latency(type));
}

/*
 * The virtual slots [@entry, @entry + @nr) of a locked swap cache folio:
 * release their backends (@to null), or record that zswap now has them.
 * Context: folio locked (its virtual cluster is alive); takes ci->lock.
 */
function vswap_update_backing(entry: number, nr: number, to: 'zswap' | null): void {
  const ci = swap_cluster_lock(swp_type(entry), swp_offset(entry));
  const start = swp_offset(entry) % SWAPFILE_CLUSTER;
  if (to === null) __vswap_release_backing(ci, start, nr);
  else for (let k = 0; k < nr; k++) __vswap_set_zswap(ci, start + k);
  swap_cluster_unlock(ci);
}

/*
 * vswap: a physical slot for each of the @nr pages from @entry, the
 * descriptors pointing at them; their backing token indexes, or null if
 * some page found no slot (what was taken is given back).
 * Context: folio locked; takes ci->lock, then each physical device's si->lock.
 */
function vswap_alloc_backing(entry: number, nr: number): number[] | null {
  const ci = swap_cluster_lock(swp_type(entry), swp_offset(entry));
  const start = swp_offset(entry) % SWAPFILE_CLUSTER;
  const phys: number[] = [];
  for (let k = 0; k < nr; k++) {
    const p = vswap_alloc_swap_slot(entry + k);
    if (p === 0) {
      phys.forEach((q, j) => swap_slot_free(q, entry + j));
      swap_cluster_unlock(ci);
      return null;
    }
    phys.push(p);
  }
  phys.forEach((p, k) => __vswap_set_phys(ci, start + k, p));
  swap_cluster_unlock(ci);
  return phys.map((p) => swap_backing_index(swp_type(p), swp_offset(p)));
}

/*
 * Where slot @entry's data is, for a reader holding the swap cache folio
 * lock: zswap, a backing store slot, or nowhere (null: a ghost slot zswap
 * does not hold, a virtual slot with no backend).
 */
function swap_read_source(entry: number): { zswap: bigint } | { backing: number } | null {
  const type = swp_type(entry);
  const z = zswap_load(type, swp_offset(entry));
  if (z !== null) return { zswap: z };
  if (si_is_ghost(type)) return null;
  if (!si_is_vswap(type)) return { backing: swap_backing_index(type, swp_offset(entry)) };
  const ci = swap_cluster_lock(type, swp_offset(entry));
  const off = swp_offset(entry) % SWAPFILE_CLUSTER;
  const p = __vtable_tag(ci, off) === VSWAP_SWAPFILE ? __vtable_phys(ci, off) : 0;
  swap_cluster_unlock(ci);
  return p === 0 ? null : { backing: swap_backing_index(swp_type(p), swp_offset(p)) };
}

/**
 * swap_zeromap_batch(): how many slots from @entry share its zero state.
 * Context: the folio lock stabilises the range; reads are lockless.
 */
export function swap_zeromap_batch(entry: number, max_nr: number): { n: number; zero: boolean } {
  const ci = __swap_offset_to_cluster(swp_type(entry), swp_offset(entry));
  const start = swp_offset(entry) % SWAPFILE_CLUSTER;
  const zero = swap_design().testZeroLockless(ci, start);
  let n = 1;
  while (n < max_nr && swap_design().testZeroLockless(ci, start + n) === zero) n++;
  return { n, zero };
}

/**
 * swap_read_folio(): fill a new swap cache folio from its slots, mark it
 * uptodate and unlock it (folio_end_read()): the caller's reference keeps
 * it, and whoever needs its data takes the folio lock, which waits for
 * the read.  A batch of mixed zero state is a WARN and leaves the folio
 * !uptodate (the fault then fails with SIGBUS, as in the kernel); so does
 * a ghost slot zswap does not hold (seed 001 patch 13: nothing else could)
 * and a virtual slot with no backend (seed 004).
 * Context: folio locked, in the swap cache, not uptodate; returns with it
 * unlocked (or handed to the I/O that unlocks it).
 */
export function swap_read_folio(folio: number): void {
  folio_lock_to_io(folio);
  const entry = folio_swap(folio);
  const nr = folio_nr_pages(folio);
  const zb = swap_zeromap_batch(entry, nr);
  if (zb.n !== nr) {
    report('zero', `swap_read_folio: folio of ${nr} pages at ${entry} spans mixed zero flags (${zb.n} alike)`, [entry, nr]);
    folio_end_read(folio, false);
    return;
  }
  if (zb.zero) {
    /* swap_read_folio_zeromap() */
    for (let k = 0; k < nr; k++) set_page_token(folio + k, 0n);
    swap_read_done(folio, SWPIN_ZERO);
    return;
  }
  const srcs: ({ zswap: bigint } | { backing: number })[] = [];
  for (let k = 0; k < nr; k++) {
    const src = swap_read_source(entry + k);
    if (src === null) {
      folio_end_read(folio, false); /* nothing holds the data: the folio stays !uptodate */
      return;
    }
    srcs.push(src);
  }
  const type = swp_type(entry);
  if (srcs.some((src) => 'zswap' in src) || si_flags(type) & SWP_SYNCHRONOUS_IO) {
    /* zswap_load(), or swap_read_folio_bdev_sync(): done before the caller goes on. */
    blk_account_io(REQ_OP_READ, srcs.filter((src) => !('zswap' in src)).length);
    srcs.forEach((src, k) => ('zswap' in src ? set_page_token(folio + k, src.zswap) : token_copy(page_token_index(folio + k), src.backing)));
    if (srcs.every((src) => 'zswap' in src)) {
      swap_read_done(folio, ZSWPIN);
    } else {
      count_swpin_vm_event(folio);
      folio_end_read(folio, true);
    }
    return;
  }
  /* swap_read_folio_bdev_async(): the completion fills the folio and unlocks it. */
  count_swpin_vm_event(folio);
  const bio = bio_alloc(REQ_OP_READ, BIO_END_SWAP_READ, folio, nr);
  srcs.forEach((src, k) => bio_set_sector(bio, k, (src as { backing: number }).backing));
  submit_bio(bio, swap_io_latency(type));
}

/*
 * A read no device did (zero-filled, or zswap had it): counted,
 * uptodate, unlocked.  Not thp_swpin: the kernel counts that with pswpin
 * (count_swpin_vm_event()), not in swap_read_folio_zeromap() or zswap_load().
 */
function swap_read_done(folio: number, event: number): void {
  count_vm_events(event, folio_nr_pages(folio));
  folio_end_read(folio, true);
}

/*
 * end_swap_bio_read(): the device has the data in the folio: uptodate,
 * unlocked (folio_end_read), the faults waiting on its lock go on.
 * Context: the I/O completion, never sleeps.
 */
function end_swap_bio_read(bio: number): void {
  const folio = bio_folio(bio);
  kasan_check_bio(bio, 'read');
  for (let k = 0; k < bio_nr_pages(bio); k++) token_copy(page_token_index(folio + k), bio_sector(bio, k));
  folio_end_read(folio, true);
}

/*
 * KASAN on the device's side of a swap I/O: each sector the completion
 * copies is a backing store word of a swap block (src/kmem/vmalloc.ts),
 * which must still be allocated - a block freed by swapoff (or a failed
 * swapon) while the I/O was in flight is a use after kvfree(), and the
 * data would land in, or come from, whatever the heap gives those words
 * to next.
 * Context: the I/O completion.
 */
function kasan_check_bio(bio: number, op: 'read' | 'write'): void {
  for (let k = 0; k < bio_nr_pages(bio); k++) {
    const word = 2 * bio_sector(bio, k); /* a backing index counts 64-bit words */
    if (swap_heap_word_free(word)) {
      BUG('device-lifetime', `KASAN: use-after-free ${op} of the swap heap at word ${word}: the swap ${op} of folio ${bio_folio(bio)} (page ${k}) completed after its device's backing store was freed`, [bio_folio(bio), word]);
    }
  }
}

/*
 * end_swap_bio_write(): the device has written the folio's pages (the
 * model's device reads them at completion: PG_writeback kept them from
 * being freed meanwhile); writeback ends.
 * Context: the I/O completion, never sleeps.
 */
function end_swap_bio_write(bio: number): void {
  const folio = bio_folio(bio);
  kasan_check_bio(bio, 'write');
  for (let k = 0; k < bio_nr_pages(bio); k++) token_copy(bio_sector(bio, k), page_token_index(folio + k));
  folio_end_writeback(folio);
}

register_bio_end_io(BIO_END_SWAP_READ, end_swap_bio_read);
register_bio_end_io(BIO_END_SWAP_WRITE, end_swap_bio_write);

/*
 * The device's latency, in scheduler steps (controlled mode: how long
 * other tasks run before the completion may come): a rotational disk
 * seeks, a solid-state one does not.
 */
function swap_io_latency(type: number): number {
  return si_flags(type) & SWP_SOLIDSTATE ? 2 : 8;
}
