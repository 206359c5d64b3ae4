/*
 * mm/filemap.c and mm/page-writeback.c, the folio's I/O bits: a write
 * sets PG_writeback (folio_start_writeback) and its completion clears it
 * and wakes the waiters (folio_end_writeback); a read's completion marks
 * the folio uptodate and unlocks it (folio_end_read).  Waiting for either
 * sleeps on the folio's flags word, as folio_lock() does (PG_waiters).
 *
 * Kernel mapping: __folio_start_writeback, folio_end_writeback,
 * folio_wake_bit, folio_wait_writeback, folio_end_read.
 */
import { A } from '../shm/arena.js';
import { FOLIO } from '../shm/layout.js';
import { BUG } from '../shm/report.js';
import { bug_on, BUG_END_WRITEBACK_NOREF } from '../shm/bugs.js';
import { lock_release } from '../sync/lockdep.js';
import { blk_poll } from '../block/bio.js';
import { point, pointId, sched_wait } from '../sync/point.js';
import { folio_get, folio_put, fw, PG_locked, PG_tail, PG_uptodate, PG_waiters, PG_writeback } from './page_alloc.js';

const P_END_WB_CLEARED = pointId('folio_end_writeback:cleared');
const P_WAIT_WB = pointId('folio_wait_writeback');

/**
 * folio_start_writeback(): the folio's data goes to the device.
 * Context: folio locked, in the swap cache.
 */
export function folio_start_writeback(folio: number): void {
  const old = Atomics.or(A.i32, fw(folio, FOLIO.flags), PG_writeback);
  if (old & PG_writeback) BUG('swap-cache', `folio_start_writeback: VM_BUG_ON_FOLIO(folio_test_writeback(folio)): folio ${folio} is already under writeback`, [folio]);
}

/*
 * folio_wake_bit(): wake whoever sleeps on the folio's flags word.  Waking
 * clears PG_waiters; a waiter that must go on waiting sets it again.
 * PageWaiters() is PF_ONLY_HEAD: VM_BUG_ON_PGFLAGS(PageTail(page)) - the
 * check that caught a folio freed and reused as a tail page under a late
 * wake-up (073861ed77b6).
 * Context: any, never sleeps.
 */
function folio_wake_bit(folio: number): void {
  const w = fw(folio, FOLIO.flags);
  if (A.i32[w] & PG_tail) {
    BUG('swap-cache', `folio_wake_bit: VM_BUG_ON_PGFLAGS(PageTail(page)): page ${folio} is a tail page of folio ${A.i32[fw(folio, FOLIO.head)]} (PF_ONLY_HEAD): the folio was freed and reused under the wake-up`, [folio]);
  }
  if (Atomics.and(A.i32, w, ~PG_waiters) & PG_waiters) Atomics.notify(A.i32, w);
}

/**
 * folio_end_writeback(): the write is done.  "Writeback does not hold a
 * folio reference of its own ... here we must make sure that the folio
 * is not freed and reused before the folio_wake_bit()": the reference
 * taken around the clear and the wake (073861ed77b6; bug switch
 * end-writeback-noref leaves it out).
 * Context: the I/O completion, never sleeps.
 */
export function folio_end_writeback(folio: number): void {
  const w = fw(folio, FOLIO.flags);
  if (!(A.i32[w] & PG_writeback)) BUG('swap-cache', `folio_end_writeback: VM_BUG_ON_FOLIO(!folio_test_writeback(folio)): folio ${folio}`, [folio]);
  const ref = !bug_on(BUG_END_WRITEBACK_NOREF);
  if (ref) folio_get(folio);
  Atomics.and(A.i32, w, ~PG_writeback);
  point(P_END_WB_CLEARED);
  folio_wake_bit(folio);
  if (ref) folio_put(folio);
}

/**
 * folio_wait_writeback(): sleep until the folio is not under writeback.
 * Context: process context, may sleep; the caller holds a reference.
 */
export function folio_wait_writeback(folio: number): void {
  const w = fw(folio, FOLIO.flags);
  for (;;) {
    if (!(Atomics.load(A.i32, w) & PG_writeback)) return;
    blk_poll();
    if (!(Atomics.load(A.i32, w) & PG_writeback)) return;
    point(P_WAIT_WB);
    const seen = Atomics.or(A.i32, w, PG_waiters) | PG_waiters;
    if (seen & PG_writeback) sched_wait(A.i32, w, seen);
  }
}

/**
 * The folio lock of a read passes to its I/O: the completion unlocks it,
 * in another context.  lockdep forgets it here (the kernel does not track
 * folio locks at all).  Context: folio locked by the caller.
 */
export function folio_lock_to_io(folio: number): void {
  lock_release(fw(folio, FOLIO.flags));
}

/**
 * folio_end_read(): the read is done - uptodate if it succeeded - and the
 * folio unlocked, waking who waits for it.
 * Context: the I/O completion (or the reader itself), never sleeps.
 */
export function folio_end_read(folio: number, success: boolean): void {
  const w = fw(folio, FOLIO.flags);
  if (success) Atomics.or(A.i32, w, PG_uptodate);
  if (Atomics.and(A.i32, w, ~(PG_locked | PG_waiters)) & PG_waiters) Atomics.notify(A.i32, w);
}
