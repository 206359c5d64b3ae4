/*
 * block/bio.c and block/blk-mq.c, the part swap needs: a bio is built for
 * one folio, submitted, and completed later in another context - the
 * device's interrupt and the block softirq - which calls its bi_end_io
 * (end_swap_bio_read / end_swap_bio_write, registered by
 * mm/page_io.ts).  Between submit_bio() and bio_endio() the folio is
 * under I/O: locked for a read, PG_writeback for a write.
 *
 * One queue for every device, completed in submission order.  Who
 * completes it (G.bio_completion):
 *  - BLK_COMPLETION_TASK: the I/O completion task of a controlled run
 *    (repro, fuzz), a daemon the scheduler runs like a CPU, no earlier
 *    than BIO.due - the device's latency in scheduler steps, which the
 *    caller gives - so interleavings inside an I/O are the scheduler's to
 *    choose;
 *  - BLK_COMPLETION_SOFTIRQ: free-running stress: whichever task passes an
 *    operation boundary next completes what is queued (blk_softirq(): the
 *    block softirq on the CPU the interrupt came to), and a task about to
 *    wait for an I/O completes the queue itself (blk_poll());
 *  - BLK_COMPLETION_INLINE: nobody (the API, a scenario's setup: one
 *    thread): submit_bio() completes the bio before it returns, as a
 *    synchronous device does.
 *
 * Kernel mapping: bio_alloc, submit_bio, bio_endio.  The model has no
 * plug, no request merging, no per-device queue, no I/O errors.
 * Context: submit_bio() any context that may sleep (bio_alloc waits for
 * a free bio); bio_endio() runs in the completion context: it must not
 * sleep, and takes no lock but bio_lock.
 */
import { A, gword } from '../shm/arena.js';
import { BIO, G, SCHED } from '../shm/layout.js';
import { BUG } from '../shm/report.js';
import { LC_BIO } from '../sync/lockdep.js';
import { point, pointId, sched_wait_event } from '../sync/point.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';

export const REQ_OP_READ = 0;
export const REQ_OP_WRITE = 1;

/** bi_end_io kinds (register_bio_end_io). */
export const BIO_END_SWAP_READ = 1;
export const BIO_END_SWAP_WRITE = 2;
const MAX_END_IO = 4;

export type BioEndIo = (bio: number) => void;
const end_io: (BioEndIo | undefined)[] = new Array(MAX_END_IO);

const P_BIO_COMPLETE = pointId('bio_endio');

/** Install the completion of kind @kind (module load, every thread: the registry is code, not state). */
export function register_bio_end_io(kind: number, fn: BioEndIo): void {
  end_io[kind] = fn;
}

export function bio_word(bio: number, f: number): number {
  return A.L.bio + bio * BIO.SIZE + f;
}

/** Every bio free, the queue empty, bios completed as they are submitted.  Context: boot. */
export function bio_init(): void {
  const i32 = A.i32;
  const n = A.L.config.nrBios;
  for (let b = 0; b < n; b++) i32[bio_word(b, BIO.next)] = b + 1 < n ? b + 1 : -1;
  i32[gword(G.bio_free)] = n > 0 ? 0 : -1;
  i32[gword(G.bio_nr_free)] = n;
  i32[gword(G.bio_head)] = -1;
  i32[gword(G.bio_tail)] = -1;
  i32[gword(G.bio_nr_inflight)] = 0;
  i32[gword(G.bio_completion)] = BLK_COMPLETION_INLINE;
  i32[gword(G.bio_next_due)] = -1;
  i32[gword(G.bio_alloc_waiters)] = 0;
}

/** G.bio_completion: who completes the bios (see the top of this file). */
export const BLK_COMPLETION_INLINE = 0;
export const BLK_COMPLETION_TASK = 1;
export const BLK_COMPLETION_SOFTIRQ = 2;

/** Who completes the bios from now on.  Context: no bio in flight, before the tasks start (tests: any time). */
export function blk_set_completion(mode: number): void {
  Atomics.store(A.i32, gword(G.bio_completion), mode);
}

function blk_completion(): number {
  return Atomics.load(A.i32, gword(G.bio_completion));
}

/* Complete every bio in flight, oldest first.  Context: no spinlock held. */
function blk_complete_all(): void {
  while (bio_nr_inflight() > 0 && blk_complete_one() === BLK_COMPLETED);
}

/**
 * blk_poll(): a task about to wait for an I/O completes what is in flight
 * itself (as a polled queue would) - unless a controlled run's completion
 * task is there to do it when the scheduler says.
 * Context: process context, no spinlock held.
 */
export function blk_poll(): void {
  if (blk_completion() !== BLK_COMPLETION_TASK) blk_complete_all();
}

/**
 * blk_softirq(): free-running, the block softirq on this CPU: complete
 * what is queued.  Called at operation boundaries, and before a task parks
 * at stress's stop-the-world barrier or leaves (so a check never sees I/O
 * in flight).  Context: process context, no lock held.
 */
export function blk_softirq(): void {
  if (blk_completion() === BLK_COMPLETION_SOFTIRQ && bio_nr_inflight() > 0) blk_complete_all();
}

/** Bios submitted and not yet through bio_endio(). */
export function bio_nr_inflight(): number {
  return Atomics.load(A.i32, gword(G.bio_nr_inflight));
}

/*
 * A free bio, or -1.  Context: takes bio_lock.
 */
function bio_get_free(): number {
  const i32 = A.i32;
  spin_lock(gword(G.bio_lock), LC_BIO);
  const bio = i32[gword(G.bio_free)];
  if (bio >= 0) {
    i32[gword(G.bio_free)] = i32[bio_word(bio, BIO.next)];
    Atomics.sub(i32, gword(G.bio_nr_free), 1);
  }
  spin_unlock(gword(G.bio_lock));
  return bio;
}

/**
 * bio_alloc(): a bio for @nr pages of @folio, completed by @endIo.  Waits
 * for a free one as the kernel's mempool-backed bio_alloc(GFP_NOIO) does.
 * Context: process context, may sleep.
 */
export function bio_alloc(op: number, endIo: number, folio: number, nr: number): number {
  if (end_io[endIo] === undefined) BUG('lock-discipline', `bio_alloc: no bi_end_io of kind ${endIo} registered`, [endIo]);
  for (;;) {
    const bio = bio_get_free();
    if (bio >= 0) {
      const i32 = A.i32;
      i32[bio_word(bio, BIO.next)] = -1;
      i32[bio_word(bio, BIO.op)] = op;
      i32[bio_word(bio, BIO.end_io)] = endIo;
      i32[bio_word(bio, BIO.folio)] = folio;
      i32[bio_word(bio, BIO.nr)] = nr;
      return bio;
    }
    /* Every bio in flight: the completion task frees them (or, with none, this task). */
    blk_poll();
    Atomics.add(A.i32, gword(G.bio_alloc_waiters), 1);
    if (Atomics.load(A.i32, gword(G.bio_nr_free)) === 0) sched_wait_event(A.i32, gword(G.bio_nr_free), 0);
    Atomics.sub(A.i32, gword(G.bio_alloc_waiters), 1);
  }
}

/** The backing token index page @k of @bio reads or writes. */
export function bio_sector(bio: number, k: number): number {
  return A.i32[bio_word(bio, BIO.sector + k)];
}

export function bio_set_sector(bio: number, k: number, index: number): void {
  A.i32[bio_word(bio, BIO.sector + k)] = index;
}

export function bio_folio(bio: number): number {
  return A.i32[bio_word(bio, BIO.folio)];
}

export function bio_nr_pages(bio: number): number {
  return A.i32[bio_word(bio, BIO.nr)];
}

/*
 * bio_endio(): the bio's completion, then the bio is free again.
 * Context: the completion context (or the submitter, with no completion task).
 */
function bio_endio(bio: number): void {
  const i32 = A.i32;
  end_io[i32[bio_word(bio, BIO.end_io)]]!(bio);
  /*
   * Counted under bio_lock, as bio_get_free() counts down: a task
   * preempted between the unlock and the count would leave bio_nr_free
   * one short of the free list (-1 after an allocation took this bio),
   * and a bio_alloc() waiting for it to leave 0 would spin instead.
   */
  spin_lock(gword(G.bio_lock), LC_BIO);
  i32[bio_word(bio, BIO.next)] = i32[gword(G.bio_free)];
  i32[gword(G.bio_free)] = bio;
  Atomics.add(i32, gword(G.bio_nr_free), 1);
  spin_unlock(gword(G.bio_lock));
  /* Atomics.notify() takes a process-wide lock: only when someone sleeps for a bio. */
  if (Atomics.load(i32, gword(G.bio_alloc_waiters)) > 0) Atomics.notify(i32, gword(G.bio_nr_free));
}

/**
 * blk_account_io(): the block layer's own count of the swap pages asked
 * of the devices, @nr in direction @op - what /proc/diskstats' sectors
 * read and written count (blk_account_io_start()), taken as an I/O is
 * issued, by submit_bio() or by the synchronous device paths
 * (submit_bio_wait()) - and of the I/Os of more than one page among them
 * (the model builds one I/O per folio: a large folio's, whole).  The
 * quiescent checker holds pswpin and pswpout to the pages, thp_swpin and
 * thp_swpout to the large I/Os.  Context: any.
 */
export function blk_account_io(op: number, nr: number): void {
  const write = op === REQ_OP_WRITE;
  Atomics.add(A.i32, gword(write ? G.blk_pages_written : G.blk_pages_read), nr);
  if (nr > 1) Atomics.add(A.i32, gword(write ? G.blk_large_written : G.blk_large_read), 1);
}

/**
 * submit_bio(): queue @bio for its device, which may complete it
 * @latency scheduler steps from now at the earliest (controlled mode).
 * With no completion task it completes here.
 * Context: process context; the caller must not touch the folio's data
 * until the completion (a read: the folio lock; a write: PG_writeback).
 */
export function submit_bio(bio: number, latency: number): void {
  const i32 = A.i32;
  blk_account_io(i32[bio_word(bio, BIO.op)], bio_nr_pages(bio));
  if (blk_completion() === BLK_COMPLETION_INLINE) {
    bio_endio(bio);
    return;
  }
  i32[bio_word(bio, BIO.due)] = i32[A.L.sched + SCHED.step] + latency;
  spin_lock(gword(G.bio_lock), LC_BIO);
  Atomics.add(i32, gword(G.bio_nr_inflight), 1);
  const tail = i32[gword(G.bio_tail)];
  if (tail < 0) {
    Atomics.store(i32, gword(G.bio_head), bio);
    Atomics.store(i32, gword(G.bio_next_due), i32[bio_word(bio, BIO.due)]);
  } else i32[bio_word(tail, BIO.next)] = bio;
  i32[gword(G.bio_tail)] = bio;
  spin_unlock(gword(G.bio_lock));
}

/*
 * Take the first bio in flight that @pick accepts off the queue (under
 * bio_lock: in softirq mode several tasks complete at once, each bio
 * once), or -1.
 * Context: takes bio_lock.
 */
function blk_dequeue(pick: (bio: number) => boolean): number {
  const i32 = A.i32;
  spin_lock(gword(G.bio_lock), LC_BIO);
  let prev = -1;
  let bio = i32[gword(G.bio_head)];
  while (bio >= 0 && !pick(bio)) {
    prev = bio;
    bio = i32[bio_word(bio, BIO.next)];
  }
  if (bio >= 0) {
    const next = i32[bio_word(bio, BIO.next)];
    if (prev < 0) {
      i32[gword(G.bio_head)] = next;
      Atomics.store(i32, gword(G.bio_next_due), next < 0 ? -1 : i32[bio_word(next, BIO.due)]);
    } else i32[bio_word(prev, BIO.next)] = next;
    if (next < 0) i32[gword(G.bio_tail)] = prev;
  }
  spin_unlock(gword(G.bio_lock));
  return bio;
}

/* Complete @bio, taken off the queue.  Context: the completion context, no lock held. */
function blk_complete(bio: number): void {
  bio_endio(bio);
  /* Counted down only once its completion ran: no bio in flight means no folio under I/O. */
  Atomics.sub(A.i32, gword(G.bio_nr_inflight), 1);
}

/**
 * blk_complete_folio(): the device completes the I/O in flight for
 * @folio now, ahead of older bios (a device completes in any order; the
 * completion task takes them oldest first).  False if none is in flight.
 * Context: the completion context (tests drive it step by step).
 */
export function blk_complete_folio(folio: number): boolean {
  const bio = blk_dequeue((b) => A.i32[bio_word(b, BIO.folio)] === folio);
  if (bio < 0) return false;
  blk_complete(bio);
  return true;
}

/** blk_complete_one() results. */
export const BLK_IDLE = 0; /* nothing in flight */
export const BLK_NOT_DUE = 1; /* the oldest bio's device latency has not passed */
export const BLK_COMPLETED = 2;

/**
 * blk_complete_one(): the device completes the oldest bio in flight, if
 * its latency has passed (controlled mode; free-running always).
 * Context: the completion task.
 */
export function blk_complete_one(): number {
  const i32 = A.i32;
  if (bio_nr_inflight() === 0) return BLK_IDLE;
  const controlled = i32[A.L.sched + SCHED.mode] !== 0;
  const due = Atomics.load(i32, gword(G.bio_next_due));
  if (due < 0) return BLK_IDLE; /* the last ones are completing */
  if (controlled && i32[A.L.sched + SCHED.step] < due) return BLK_NOT_DUE;
  point(P_BIO_COMPLETE);
  const bio = blk_dequeue(() => true);
  if (bio < 0) return BLK_IDLE; /* another task completed it meanwhile */
  blk_complete(bio);
  return BLK_COMPLETED;
}
