/*
 * Torture programs for src/sync/: locktorture and rcutorture, as CPU
 * programs run by the harness on worker threads (src/harness/cpus.ts).
 *
 * Kernel analogue: kernel/locking/locktorture.c (writers take the lock,
 * check nobody else "holds" it, count n_lock_acquired / n_lock_fail;
 * "lock_busted" is a lock that does not lock, to show the check works) and
 * kernel/rcu/rcutorture.c (a writer replaces rcu_torture_current, sends
 * the old element down a pipeline of grace periods, and frees it at the
 * end of the pipe; readers record the pipe count they see - anything past
 * 1 means a grace period ended under a reader - and the mbtest flag;
 * "busted" skips the grace period).  Written fresh; the names, counters and
 * the stats lines follow those files so the output reads the same.
 *
 * Programs (registerProgram names):
 *   spinlock-exclusion, mutex-exclusion   { iters, cpus, hold?, seed?, busted? }
 *   rcu-reader                            { reads, cpus, loops?, maxReads?, seed? }
 *   rcu-updater                           { updates, cpus, modes?, seed?, busted? }
 *   percpu-ref-users                      { iters, cpus, uses? }
 *   percpu-ref-killer                     { rounds, cpus, killAfter?, nrUsers }
 * Each program first waits on a start barrier of @cpus tasks, so all CPUs
 * contend from the first iteration.  Everything is bounded by operation
 * counts, never by time.
 *
 * Setup (main thread, arena attached): lock_torture_init(),
 * rcu_torture_init(), ref_torture_init() before each run;
 * rcu_torture_check() / the *_stats() helpers after it.
 *
 * Scratch words for selftests: these programs keep their state in the
 * arena's `backing` region (slot contents of swap devices), which nothing
 * uses until a swap device is switched on.  Never run them on an arena with
 * an active swap device.  Layout: TORTURE below, one 64-byte line per hot
 * field group; selftest_scratch() checks it fits.
 */
import { A } from '../shm/arena.js';
import { PCPU_REF_SLOTS } from '../shm/layout.js';
import { BUG, report } from '../shm/report.js';
import { pointId, sched_wait, setPointHook, setWaitHook } from '../sync/point.js';
import { registerProgram, type ProgramContext } from './programs.js';
import { barrier_init, barrier_wait } from '../sync/barrier.js';
import { lockClass } from '../sync/lockdep.js';
import { lockstat_read } from '../sync/lockstat.js';
import { mutex_lock, mutex_owner, mutex_unlock } from '../sync/mutex.js';
import {
  percpu_ref_init,
  percpu_ref_is_zero,
  percpu_ref_kill,
  percpu_ref_put,
  percpu_ref_resurrect,
  percpu_ref_tryget_live,
  REF_COMP,
} from '../sync/percpu_ref.js';
import { wait_for_completion } from '../sync/completion.js';
import {
  call_rcu,
  poll_state_synchronize_rcu,
  rcu_assign_pointer,
  rcu_barrier,
  rcu_dereference,
  rcu_do_batch,
  rcu_read_lock,
  rcu_pending,
  rcu_read_lock_held,
  rcu_read_unlock,
  register_rcu_callback,
  start_poll_synchronize_rcu,
  synchronize_rcu,
} from '../sync/rcu.js';
import { spin_lock, spin_owner, spin_unlock, SPIN_WAITERS } from '../sync/spinlock.js';
import { smp_processor_id } from '../shm/task.js';

/* ---- scratch layout (word offsets from the scratch base) ---- */

/** Objects in the RCU torture pool (rcu_tortures[]). */
export const RCU_TORTURE_NOBJS = 16;
/** Grace periods an element goes through after removal before it is freed (RCU_TORTURE_PIPE_LEN). */
export const RCU_TORTURE_PIPE_LEN = 3;
export const RCU_TORTURE_PAYLOAD = 8;
const MAX_TORTURE_TASKS = 16;

/** struct rcu_torture, in words. */
export const RTORT = {
  state: 0, /* RT_FREE / RT_LIVE / RT_REMOVED */
  tag: 1, /* RT_MAGIC while allocated, POISON_FREE once freed */
  gen: 2, /* rcu_torture_current_version at publication */
  pipe: 3, /* rtort_pipe_count: 0 published, 1 removed, +1 per grace period */
  mbtest: 4, /* rtort_mbtest: 1 while allocated */
  payload: 8, /* [RCU_TORTURE_PAYLOAD], a function of gen */
  SIZE: 16,
} as const;

export const TORTURE = {
  barrier: 0, /* [2] start barrier */
  lock: 16, /* the torture spinlock / mutex word ... */
  counter: 17, /* ... and what it protects: a counter updated non-atomically */
  owner: 18, /* task + 1 of the writer that claims to hold the lock */
  write_held: 19, /* lock_is_write_held */
  done: 32, /* writer / users finished (count) */
  stop: 33, /* torture_must_stop(): a negative control caught its failure, every program ends */
  progress: 48, /* [MAX_TORTURE_TASKS] one line each */
  rcu_current: 48 + 16 * MAX_TORTURE_TASKS, /* rcu_torture_current: object index + 1, 0 = NULL */
  rcu_version: 49 + 16 * MAX_TORTURE_TASKS,
  rcu_nfree: 50 + 16 * MAX_TORTURE_TASKS, /* n_rcu_torture_free, whichever CPU ran the callback */
  rcu_objs: 64 + 16 * MAX_TORTURE_TASKS, /* [RCU_TORTURE_NOBJS] struct rcu_torture */
  ref: 64 + 16 * MAX_TORTURE_TASKS + RTORT.SIZE * RCU_TORTURE_NOBJS, /* [3] percpu_ref */
  device: 80 + 16 * MAX_TORTURE_TASKS + RTORT.SIZE * RCU_TORTURE_NOBJS, /* the "device" the ref protects */
  ref_state: 81 + 16 * MAX_TORTURE_TASKS + RTORT.SIZE * RCU_TORTURE_NOBJS, /* 2r: live in round r; 2r+1: killed and released */
  SIZE: 96 + 16 * MAX_TORTURE_TASKS + RTORT.SIZE * RCU_TORTURE_NOBJS,
} as const;

/** Freed memory pattern (POISON_FREE, 0x6b repeated). */
export const POISON_FREE = 0x6b6b6b6b;
/** Tag of an allocated rcu_torture element. */
export const RT_MAGIC = 0x72746f72; /* "rtor" */
export const RT_FREE = 0;
export const RT_LIVE = 1;
export const RT_REMOVED = 2;
/** The call_rcu() callback kind of rcu_torture_cb. */
export const RCU_TORTURE_CB_KIND = 240;

/**
 * Scratch words for selftests: base word index of the torture area in the
 * swap heap (a selftest's arena swaps nothing on), after checking the
 * heap is large enough.
 */
export function selftest_scratch(words: number = TORTURE.SIZE): number {
  const have = A.L.swapHeapWords;
  if (words > have) throw new Error(`selftest scratch: need ${words} words, the swap heap has ${have}`);
  return A.L.swapHeap;
}

function w(field: number): number {
  return A.L.swapHeap + field;
}

function obj(k: number): number {
  return w(TORTURE.rcu_objs) + k * RTORT.SIZE;
}

function payloadOf(gen: number, j: number): number {
  return (Math.imul(gen, 0x9e3779b1) + j) | 0;
}

/* torture_random(): a 32-bit LCG as in kernel/torture.c's, seeded per task. */
export class TortureRandom {
  #s: number;
  constructor(seed: number) {
    this.#s = seed | 0;
  }
  next(): number {
    this.#s = (Math.imul(this.#s, 39916801) + 479001701) | 0;
    /* swap half-words: the low bits of an LCG are weak */
    return ((this.#s >>> 16) | (this.#s << 16)) >>> 0;
  }
}

function taskSeed(seed: number | undefined, task: number): number {
  return ((seed ?? 1) ^ Math.imul(task + 1, 0x9e3779b9)) | 0;
}

function setProgress(task: number, v: number): void {
  Atomics.store(A.i32, w(TORTURE.progress + 16 * (task % MAX_TORTURE_TASKS)), v);
}

function progressOf(task: number): number {
  return Atomics.load(A.i32, w(TORTURE.progress + 16 * (task % MAX_TORTURE_TASKS)));
}

/* The start line: all @cpus tasks leave it together (barrier_wait() spins first). */
function startBarrier(cpus: number): void {
  barrier_wait(w(TORTURE.barrier), cpus);
}

/* ======================= locktorture ======================= */

export interface LockTortureArgs {
  iters: number;
  /** CPUs in the run (start barrier). */
  cpus: number;
  /** Loads of the owner word inside the critical section (write_delay). */
  hold?: number;
  /** Loads of a CPU-private word between releases and the next acquisition. */
  outside?: number;
  seed?: number;
  /** lock_busted: take no lock at all (negative control: the check must fire). */
  busted?: boolean;
  /** End every writer at the first failure (a negative control run "until caught", bounded by @iters). */
  stopOnFail?: boolean;
}

export interface LockTortureResult {
  type: string;
  task: number;
  cpu: number;
  n_lock_acquired: number;
  n_lock_fail: number;
  /** Acquisitions that had to spin or sleep (lock_stat contentions). */
  contended: number;
}

interface LockTortureOps {
  name: string;
  cls: number;
  writelock(lock: number, cls: number): void;
  writeunlock(lock: number): void;
  owner(lock: number): number;
}

const spin_lock_ops: LockTortureOps = {
  name: 'spin_lock',
  cls: lockClass('test_lock_a'),
  writelock: (l, c) => spin_lock(l, c),
  writeunlock: (l) => spin_unlock(l),
  owner: (l) => spin_owner(l),
};

const mutex_lock_ops: LockTortureOps = {
  name: 'mutex_lock',
  cls: lockClass('test_lock_b'),
  writelock: (l, c) => mutex_lock(l, c),
  writeunlock: (l) => mutex_unlock(l),
  owner: (l) => mutex_owner(l),
};

/*
 * torture_must_stop(): a program that caught what it was run to catch (a
 * negative control with stopOnFail) has asked every program to end.  The
 * controls are bounded by their operation counts, not by time: on a busy
 * machine two CPUs may overlap only late in a run, so they run long bounds
 * and end early once caught.
 */
function torture_must_stop(): boolean {
  return Atomics.load(A.i32, w(TORTURE.stop)) !== 0;
}

function torture_stop(): void {
  Atomics.store(A.i32, w(TORTURE.stop), 1);
}

/** Reset the lock torture state (main thread, before a run). */
export function lock_torture_init(): void {
  const base = selftest_scratch();
  A.i32.fill(0, base, base + TORTURE.SIZE);
  barrier_init(w(TORTURE.barrier));
}

/*
 * lock_torture_writer(): @iters times take the lock, check nobody else
 * holds it (write_held, the owner word re-read @hold times, the lock word's
 * own holder), do a non-atomic read-modify-write of the counter, release.
 * Mutual exclusion holds iff the final counter is the sum of every
 * writer's n_lock_acquired and no writer counted a failure.
 */
function lock_torture_writer(ops: LockTortureOps, a: LockTortureArgs, ctx: ProgramContext): LockTortureResult {
  const i32 = A.i32;
  const lock = w(TORTURE.lock);
  const counter = w(TORTURE.counter);
  const owner = w(TORTURE.owner);
  const held = w(TORTURE.write_held);
  const me = ctx.task + 1;
  const hold = a.hold ?? 4;
  const outside = a.outside ?? 16;
  const mine = w(TORTURE.progress + 16 * (ctx.task % MAX_TORTURE_TASKS)) + 1;
  const busted = a.busted === true;
  const rand = new TortureRandom(taskSeed(a.seed, ctx.task));
  const type = busted ? 'lock_busted' : ops.name;
  const before = lockstat_read(ctx.task, ops.cls);
  let acquired = 0;
  let fail = 0;
  let reported = false;
  const fails = (what: string): void => {
    fail++;
    if (!reported) {
      reported = true; /* WARN_ON_ONCE */
      report('lock-discipline', `lock_torture_writer: ${type}: ${what} (task ${ctx.task}, cpu ${ctx.cpu})`, [lock, ctx.task]);
    }
    if (a.stopOnFail === true) torture_stop();
  };

  startBarrier(a.cpus);
  for (let i = 0; i < a.iters && !torture_must_stop(); i++) {
    if (!busted) ops.writelock(lock, ops.cls);
    if (i32[held] !== 0) fails(`lock_is_write_held already set by task ${i32[held] - 1}`);
    i32[held] = me;
    if (!busted && ops.owner(lock) !== ctx.task) fails(`lock word names task ${ops.owner(lock)}`);
    const c = i32[counter]; /* plain load: the lock is what makes this safe */
    Atomics.store(i32, owner, me);
    /* write_delay: mostly short, occasionally long, to force contention */
    const loads = rand.next() % 256 === 0 ? hold * 16 : hold;
    for (let k = 0; k < loads; k++) {
      const o = Atomics.load(i32, owner);
      if (o !== me) {
        fails(`owner word changed to task ${o - 1} inside the critical section`);
        break;
      }
    }
    i32[counter] = c + 1; /* plain store */
    acquired++;
    i32[held] = 0;
    if (!busted) ops.writeunlock(lock);
    /* Work outside the lock, so the other CPUs get their turn (a TTAS lock re-taken at once stays local). */
    for (let k = 0; k < outside; k++) Atomics.load(i32, mine);
    if ((i & 255) === 0) setProgress(ctx.task, i);
  }
  setProgress(ctx.task, acquired);
  const after = lockstat_read(ctx.task, ops.cls);
  return { type, task: ctx.task, cpu: ctx.cpu, n_lock_acquired: acquired, n_lock_fail: fail, contended: after.contended - before.contended };
}

/** The counter every writer incremented (main thread, after a run). */
export function lock_torture_counter(): number {
  return Atomics.load(A.i32, w(TORTURE.counter));
}

/**
 * __torture_print_stats() for writers: "Writes:  Total: N  Max/Min: a/b ???  Fail: f !!!",
 * "???" when the busiest writer did more than twice the least busy one.
 */
export function lock_torture_stats(results: LockTortureResult[]): { line: string; total: number; fail: number } {
  let total = 0;
  let fail = 0;
  let max = 0;
  let min = results.length > 0 ? results[0].n_lock_acquired : 0;
  for (const r of results) {
    total += r.n_lock_acquired;
    fail += r.n_lock_fail;
    max = Math.max(max, r.n_lock_acquired);
    min = Math.min(min, r.n_lock_acquired);
  }
  const type = results[0]?.type ?? '?';
  const contended = results.reduce((s, r) => s + r.contended, 0);
  const line =
    `${type}-torture: Writes:  Total: ${total}  Max/Min: ${max}/${min} ${max / 2 > min ? '???' : ''}  ` +
    `Fail: ${fail > 0 ? 1 : 0} ${fail > 0 ? '!!!' : ''} (contended ${contended})`;
  return { line, total, fail };
}

registerProgram('spinlock-exclusion', (a: LockTortureArgs, ctx) => lock_torture_writer(spin_lock_ops, a, ctx));
registerProgram('mutex-exclusion', (a: LockTortureArgs, ctx) => lock_torture_writer(mutex_lock_ops, a, ctx));

/* ======================= rcutorture ======================= */

export type RcuGpMode = 'sync' | 'async' | 'poll';

export interface RcuUpdaterArgs {
  updates: number;
  cpus: number;
  /** Grace-period primitives to pick from at random (default all three). */
  modes?: RcuGpMode[];
  seed?: number;
  /** "busted": free the old element with no grace period (negative control). */
  busted?: boolean;
}

export interface RcuReaderArgs {
  /** Minimum read-side sections; the reader goes on while the writer runs ... */
  reads: number;
  /** ... up to this many (default 50 * reads). */
  maxReads?: number;
  cpus: number;
  /** Re-reads of the element inside one section (read_delay). */
  loops?: number;
  seed?: number;
  /** End every program at the first failure this reader sees (a negative control run "until caught"). */
  stopOnFail?: boolean;
}

export interface RcuWriterResult {
  task: number;
  cpu: number;
  /** Elements published by this writer (rcu_torture_current_version advances). */
  ver: number;
  n_rcu_torture_alloc: number;
  n_rcu_torture_alloc_fail: number;
  /** Elements freed at the end of their pipe, by any CPU (callbacks run wherever rcu_do_batch() runs). */
  n_rcu_torture_free: number;
  gp_sync: number;
  gp_async: number;
  gp_poll: number;
}

export interface RcuReaderResult {
  task: number;
  cpu: number;
  reads: number;
  /** Reader Pipe histogram: [0..RCU_TORTURE_PIPE_LEN]; any count past index 1 is a failure. */
  pipe: number[];
  /** n_rcu_torture_mberror: saw mbtest == 0 (a freed element). */
  mberror: number;
  /** Saw POISON_FREE / a bad tag: a use after free. */
  poison: number;
  /** Payload not matching its generation (torn or reused element). */
  torn: number;
  /** rcu_torture_current was NULL. */
  nulls: number;
}

/** Reset the RCU torture state and publish element 0 (main thread, before a run). */
export function rcu_torture_init(): void {
  const i32 = A.i32;
  const base = selftest_scratch();
  i32.fill(0, base, base + TORTURE.SIZE);
  barrier_init(w(TORTURE.barrier));
  for (let k = 0; k < RCU_TORTURE_NOBJS; k++) {
    const o = obj(k);
    i32[o + RTORT.state] = RT_FREE;
    i32[o + RTORT.tag] = POISON_FREE;
    for (let j = 0; j < RCU_TORTURE_PAYLOAD; j++) i32[o + RTORT.payload + j] = POISON_FREE;
  }
  const o = obj(0);
  i32[o + RTORT.gen] = 1;
  for (let j = 0; j < RCU_TORTURE_PAYLOAD; j++) i32[o + RTORT.payload + j] = payloadOf(1, j);
  i32[o + RTORT.pipe] = 0;
  i32[o + RTORT.mbtest] = 1;
  i32[o + RTORT.tag] = RT_MAGIC;
  i32[o + RTORT.state] = RT_LIVE;
  Atomics.store(i32, w(TORTURE.rcu_version), 1);
  rcu_assign_pointer(w(TORTURE.rcu_current), 1);
}

/* rcu_torture_alloc(): claim a free element. */
function rcu_torture_alloc(): number {
  const i32 = A.i32;
  for (let k = 0; k < RCU_TORTURE_NOBJS; k++) {
    if (Atomics.compareExchange(i32, obj(k) + RTORT.state, RT_FREE, RT_LIVE) === RT_FREE) return k;
  }
  return -1;
}

/* rcu_torture_free(): poison the element and put it back on the free list. */
function rcu_torture_free(k: number): void {
  const i32 = A.i32;
  const o = obj(k);
  Atomics.store(i32, o + RTORT.mbtest, 0);
  Atomics.store(i32, o + RTORT.tag, POISON_FREE);
  for (let j = 0; j < RCU_TORTURE_PAYLOAD; j++) Atomics.store(i32, o + RTORT.payload + j, POISON_FREE);
  Atomics.store(i32, o + RTORT.gen, POISON_FREE);
  Atomics.store(i32, o + RTORT.state, RT_FREE);
  Atomics.add(i32, w(TORTURE.rcu_nfree), 1);
}

/*
 * rcu_torture_pipe_update_one(): a grace period elapsed since @k's last
 * step down the pipe.  Returns true when it reached the end (freed).
 */
function rcu_torture_pipe_update_one(k: number): boolean {
  const o = obj(k);
  const p = Atomics.add(A.i32, o + RTORT.pipe, 1) + 1;
  if (p >= RCU_TORTURE_PIPE_LEN) {
    rcu_torture_free(k);
    return true;
  }
  return false;
}

/* rcu_torture_cb(): the call_rcu() handler; same kind in every thread. */
function rcu_torture_cb(k: number): void {
  if (!rcu_torture_pipe_update_one(k)) call_rcu(RCU_TORTURE_CB_KIND, k);
}
register_rcu_callback(RCU_TORTURE_CB_KIND, rcu_torture_cb);

/*
 * rcu_torture_pipe_update(): a grace period elapsed: every element on the
 * writer's rcu_torture_removed list goes one step down its pipe; those
 * that reached the end are freed and leave the list.
 */
function rcu_torture_pipe_update(removed: number[]): void {
  const keep = removed.filter((k) => !rcu_torture_pipe_update_one(k));
  removed.length = 0;
  removed.push(...keep);
}

/*
 * The writer's next element (rcu_torture_alloc()); when every element is
 * in flight, push the pipes along one grace period per step until one is
 * free.  Returns -1 (reported) when none ever is: elements leaked.
 */
function rcu_torture_writer_alloc(removed: number[], res: RcuWriterResult, u: number): number {
  let k = rcu_torture_alloc();
  if (k >= 0) return k;
  res.n_rcu_torture_alloc_fail++;
  for (let t = 0; k < 0 && t <= RCU_TORTURE_PIPE_LEN + 1; t++) {
    if (removed.length > 0) {
      synchronize_rcu();
      rcu_torture_pipe_update(removed);
    }
    rcu_barrier();
    k = rcu_torture_alloc();
  }
  if (k < 0) report('rcu', `rcu_torture_writer: no free element after ${RCU_TORTURE_PIPE_LEN + 2} grace periods (leaked elements)`, [u]);
  return k;
}

/*
 * Fill element @k with a fresh generation and publish it in place of
 * rcu_torture_current; the old one is removed (pipe count 1).  Returns the
 * old element, or -1 when there was none.
 */
function rcu_torture_publish(k: number): number {
  const i32 = A.i32;
  const gen = Atomics.add(i32, w(TORTURE.rcu_version), 1) + 1;
  const o = obj(k);
  Atomics.store(i32, o + RTORT.gen, gen);
  for (let j = 0; j < RCU_TORTURE_PAYLOAD; j++) Atomics.store(i32, o + RTORT.payload + j, payloadOf(gen, j));
  Atomics.store(i32, o + RTORT.pipe, 0);
  Atomics.store(i32, o + RTORT.mbtest, 1);
  Atomics.store(i32, o + RTORT.tag, RT_MAGIC);

  const oldp = rcu_dereference(w(TORTURE.rcu_current));
  rcu_assign_pointer(w(TORTURE.rcu_current), k + 1);
  if (oldp === 0) return -1;
  const old = oldp - 1;
  Atomics.store(i32, obj(old) + RTORT.state, RT_REMOVED);
  Atomics.add(i32, obj(old) + RTORT.pipe, 1); /* removed: pipe count 1 */
  return old;
}

/*
 * Send the removed element @old down its pipe with grace-period primitive
 * @mode: call_rcu() (the callback steps it on), synchronize_rcu(), or
 * start_poll_synchronize_rcu() + poll_state_synchronize_rcu().
 */
function rcu_torture_retire(old: number, mode: RcuGpMode, removed: number[], res: RcuWriterResult, u: number): void {
  const i32 = A.i32;
  if (mode === 'async') {
    res.gp_async++;
    call_rcu(RCU_TORTURE_CB_KIND, old);
    if ((u & 15) === 15) rcu_do_batch();
  } else if (mode === 'sync') {
    res.gp_sync++;
    removed.push(old);
    synchronize_rcu();
    rcu_torture_pipe_update(removed);
  } else {
    res.gp_poll++;
    removed.push(old);
    const cookie = start_poll_synchronize_rcu();
    let polls = 0;
    while (!poll_state_synchronize_rcu(cookie)) {
      if (++polls % 64 === 0) sched_wait(i32, w(TORTURE.done), Atomics.load(i32, w(TORTURE.done)));
    }
    rcu_torture_pipe_update(removed);
  }
}

/*
 * Drain: everything removed reaches the end of its pipe.  rcu_barrier()
 * waits only for callbacks queued before it, and rcu_torture_cb()
 * re-queues an element until its pipe is full: repeat until none is left.
 */
function rcu_torture_writer_drain(removed: number[]): void {
  while (removed.length > 0) {
    synchronize_rcu();
    rcu_torture_pipe_update(removed);
  }
  for (let t = 0; rcu_pending() > 0 && t <= RCU_TORTURE_PIPE_LEN + 1; t++) rcu_barrier();
}

/*
 * rcu_torture_writer(): @updates times publish a fresh element in place of
 * rcu_torture_current and send the old one down the pipe with a randomly
 * chosen grace-period primitive: synchronize_rcu(), call_rcu(), or
 * start_poll_synchronize_rcu() + poll_state_synchronize_rcu().
 */
function rcu_torture_writer(a: RcuUpdaterArgs, ctx: ProgramContext): RcuWriterResult {
  const i32 = A.i32;
  const modes = a.modes ?? ['sync', 'async', 'poll'];
  const rand = new TortureRandom(taskSeed(a.seed, ctx.task));
  const res: RcuWriterResult = {
    task: ctx.task, cpu: ctx.cpu, ver: 0,
    n_rcu_torture_alloc: 0, n_rcu_torture_alloc_fail: 0, n_rcu_torture_free: 0,
    gp_sync: 0, gp_async: 0, gp_poll: 0,
  };
  /* rcu_torture_removed: elements going down the pipe by synchronous GPs. */
  const removed: number[] = [];

  startBarrier(a.cpus);
  try {
    for (let u = 0; u < a.updates && !torture_must_stop(); u++) {
      const k = rcu_torture_writer_alloc(removed, res, u);
      if (k < 0) break;
      res.n_rcu_torture_alloc++;
      const old = rcu_torture_publish(k);
      res.ver++;
      if (old < 0) continue;
      if (a.busted === true) {
        /* rcu_busted: "grace period" of zero length. */
        rcu_torture_free(old);
        continue;
      }
      rcu_torture_retire(old, modes[rand.next() % modes.length], removed, res, u);
      if ((u & 255) === 0) setProgress(ctx.task, u);
    }
    rcu_torture_writer_drain(removed);
  } finally {
    res.n_rcu_torture_free = Atomics.load(i32, w(TORTURE.rcu_nfree));
    setProgress(ctx.task, a.updates);
    Atomics.add(i32, w(TORTURE.done), 1);
    Atomics.notify(i32, w(TORTURE.done));
  }
  return res;
}

/* One reader's state: its arguments and counts, and whether it has reported (once per reader). */
interface RcuTortureReader {
  readonly a: RcuReaderArgs;
  readonly ctx: ProgramContext;
  readonly res: RcuReaderResult;
  reported: boolean;
}

/* The reader's first failure is reported (and with @stopOnFail ends every program); later ones are only counted. */
function rcu_torture_reader_fail(rd: RcuTortureReader, what: string, k: number): void {
  if (rd.reported) return;
  rd.reported = true;
  report('rcu', `rcu_torture_reader: ${what} (element ${k}, task ${rd.ctx.task}, cpu ${rd.ctx.cpu})`, [k, rd.ctx.task]);
  if (rd.a.stopOnFail === true) torture_stop();
}

/*
 * Check element @k @loops times under rcu_read_lock() (read_delay):
 * allocated (tag, mbtest), payload matching its generation - up to the
 * first failure; then record its pipe count (past 1: a grace period ended
 * under the reader).
 */
function rcu_torture_reader_check(rd: RcuTortureReader, k: number, loops: number): void {
  const i32 = A.i32;
  const { res } = rd;
  const o = obj(k);
  for (let l = 0; l < loops; l++) {
    const tag = Atomics.load(i32, o + RTORT.tag);
    if (tag !== RT_MAGIC) {
      res.poison++;
      rcu_torture_reader_fail(rd, `use after free: tag 0x${(tag >>> 0).toString(16)}${tag === POISON_FREE ? ' (POISON_FREE)' : ''} under rcu_read_lock()`, k);
      break;
    }
    if (Atomics.load(i32, o + RTORT.mbtest) === 0) {
      res.mberror++;
      rcu_torture_reader_fail(rd, 'rtort_mbtest == 0: element freed under rcu_read_lock()', k);
      break;
    }
    const gen = Atomics.load(i32, o + RTORT.gen);
    let torn = false;
    for (let j = 0; j < RCU_TORTURE_PAYLOAD; j++) {
      if (Atomics.load(i32, o + RTORT.payload + j) !== payloadOf(gen, j)) torn = true;
    }
    if (torn) {
      res.torn++;
      rcu_torture_reader_fail(rd, `payload does not match generation ${gen}: element reused under rcu_read_lock()`, k);
      break;
    }
  }
  let pc = Atomics.load(i32, o + RTORT.pipe);
  if (pc > RCU_TORTURE_PIPE_LEN || pc < 0) pc = RCU_TORTURE_PIPE_LEN;
  res.pipe[pc]++;
  if (pc > 1) rcu_torture_reader_fail(rd, `rtort_pipe_count ${pc}: a grace period ended under rcu_read_lock()`, k);
}

/*
 * rcu_torture_reader(): under rcu_read_lock(), dereference
 * rcu_torture_current and check the element @loops times: allocated
 * (tag, mbtest), payload matching its generation; record its pipe count.
 * Occasionally nests a second rcu_read_lock() (PREEMPT_RCU nesting).
 */
function rcu_torture_reader(a: RcuReaderArgs, ctx: ProgramContext): RcuReaderResult {
  const i32 = A.i32;
  const loops = a.loops ?? 4;
  const maxReads = a.maxReads ?? a.reads * 50;
  const rand = new TortureRandom(taskSeed(a.seed, ctx.task));
  const res: RcuReaderResult = {
    task: ctx.task, cpu: ctx.cpu, reads: 0,
    pipe: new Array<number>(RCU_TORTURE_PIPE_LEN + 1).fill(0),
    mberror: 0, poison: 0, torn: 0, nulls: 0,
  };
  const rd: RcuTortureReader = { a, ctx, res, reported: false };

  startBarrier(a.cpus);
  try {
    while (res.reads < maxReads && (res.reads < a.reads || Atomics.load(i32, w(TORTURE.done)) === 0) && !torture_must_stop()) {
      rcu_read_lock();
      const nest = rand.next() % 16 === 0;
      if (nest) rcu_read_lock();
      const p = rcu_dereference(w(TORTURE.rcu_current));
      if (p === 0) res.nulls++;
      else rcu_torture_reader_check(rd, p - 1, loops);
      if (nest) rcu_read_unlock();
      rcu_read_unlock();
      res.reads++;
      if ((res.reads & 255) === 0) setProgress(ctx.task, res.reads);
    }
  } finally {
    /* A reader that dies (panic_on_warn) must not block grace periods forever. */
    while (rcu_read_lock_held()) rcu_read_unlock();
    setProgress(ctx.task, res.reads);
  }
  return res;
}

registerProgram('rcu-updater', (a: RcuUpdaterArgs, ctx) => rcu_torture_writer(a, ctx));
registerProgram('rcu-reader', (a: RcuReaderArgs, ctx) => rcu_torture_reader(a, ctx));

/**
 * After a run (main thread): every element is either the published one or
 * free (none leaked in a pipe), and the published one is intact.
 */
export function rcu_torture_check(): { live: number; free: number; inflight: number; ok: boolean } {
  const i32 = A.i32;
  const cur = Atomics.load(i32, w(TORTURE.rcu_current)) - 1;
  let live = 0;
  let free = 0;
  let inflight = 0;
  for (let k = 0; k < RCU_TORTURE_NOBJS; k++) {
    const s = Atomics.load(i32, obj(k) + RTORT.state);
    if (s === RT_FREE) free++;
    else if (s === RT_LIVE) live++;
    else inflight++;
  }
  const o = obj(cur);
  const intact = cur >= 0 && Atomics.load(i32, o + RTORT.tag) === RT_MAGIC && Atomics.load(i32, o + RTORT.state) === RT_LIVE;
  return { live, free, inflight, ok: intact && live === 1 && inflight === 0 && free === RCU_TORTURE_NOBJS - 1 };
}

/** rcu_torture_stats_print(), abridged: the "ver:" line and the Reader Pipe histogram. */
export function rcu_torture_stats(wr: RcuWriterResult, readers: RcuReaderResult[]): { lines: string[]; fail: boolean } {
  const pipe = new Array<number>(RCU_TORTURE_PIPE_LEN + 1).fill(0);
  let mberror = 0;
  let poison = 0;
  let torn = 0;
  let reads = 0;
  for (const r of readers) {
    r.pipe.forEach((n, i) => (pipe[i] += n));
    mberror += r.mberror;
    poison += r.poison;
    torn += r.torn;
    reads += r.reads;
  }
  const pipeFail = pipe.slice(2).some((n) => n > 0);
  const fail = pipeFail || mberror > 0 || poison > 0 || torn > 0;
  const lines = [
    `rcu-torture: rtc: ver: ${wr.ver} tfle: 0 rta: ${wr.n_rcu_torture_alloc} rtaf: ${wr.n_rcu_torture_alloc_fail} rtf: ${wr.n_rcu_torture_free} ` +
      `rtmbe: ${mberror} poison: ${poison} torn: ${torn} nreads: ${reads} gp: sync ${wr.gp_sync} async ${wr.gp_async} poll ${wr.gp_poll}`,
    `rcu-torture: ${fail ? '!!! ' : ''}Reader Pipe: ${pipe.join(' ')}`,
    `rcu-torture: --- End of test: ${fail ? 'FAILURE' : 'SUCCESS'}`,
  ];
  return { lines, fail };
}

/* ======================= percpu_ref torture ======================= */

export interface RefUsersArgs {
  iters: number;
  cpus: number;
  /** Loads of the device word per reference held. */
  uses?: number;
}

export interface RefKillerArgs {
  /** kill / wait / poison / resurrect rounds. */
  rounds: number;
  cpus: number;
  /** Users' iterations (summed) between rounds; default 1000. */
  killAfter?: number;
  /** Users in the run (to stop waiting when they are all done). */
  nrUsers: number;
}

export interface RefUsersResult {
  task: number;
  cpu: number;
  got: number;
  tryget_failed: number;
  /** Saw the poisoned device while holding a reference. */
  use_after_free: number;
  /** tryget_live() succeeded after a kill had completed (and before any resurrect). */
  live_after_kill: number;
}

export interface RefKillerResult {
  task: number;
  cpu: number;
  rounds: number;
  /** Release completed with the ref not at zero, or tryget succeeded on a released ref. */
  fail: number;
}

export const DEVICE_POISON = POISON_FREE;

/** Reset: a live ref with its initial reference, a live device (main thread, before a run). */
export function ref_torture_init(): void {
  const base = selftest_scratch();
  A.i32.fill(0, base, base + TORTURE.SIZE);
  barrier_init(w(TORTURE.barrier));
  percpu_ref_init(w(TORTURE.ref), PCPU_REF_SLOTS - 1); /* per-CPU mode, as si->users */
  Atomics.store(A.i32, w(TORTURE.device), 1);
  Atomics.store(A.i32, w(TORTURE.ref_state), 0);
}

/*
 * The get_swap_device()/put_swap_device() pattern: tryget_live, use the
 * device, put.  The device must never be poisoned while we hold a
 * reference; tryget_live must fail once a kill has completed.
 */
function ref_torture_user(a: RefUsersArgs, ctx: ProgramContext): RefUsersResult {
  const i32 = A.i32;
  const ref = w(TORTURE.ref);
  const dev = w(TORTURE.device);
  const state = w(TORTURE.ref_state);
  const uses = a.uses ?? 4;
  const res: RefUsersResult = { task: ctx.task, cpu: ctx.cpu, got: 0, tryget_failed: 0, use_after_free: 0, live_after_kill: 0 };
  let reported = false;
  const fails = (what: string): void => {
    if (reported) return;
    reported = true;
    report('device-lifetime', `percpu_ref torture user: ${what} (task ${ctx.task}, cpu ${ctx.cpu})`, [ref, ctx.task]);
  };

  startBarrier(a.cpus);
  try {
    for (let i = 0; i < a.iters; i++) {
      const s1 = Atomics.load(i32, state);
      if (percpu_ref_tryget_live(ref)) {
        res.got++;
        /* The killer moves state to even *before* resurrecting: equal odd states mean no resurrect in between. */
        const s2 = Atomics.load(i32, state);
        if (s1 === s2 && (s1 & 1) === 1) {
          res.live_after_kill++;
          fails(`percpu_ref_tryget_live() succeeded after the kill of round ${s1 >> 1} completed`);
        }
        for (let u = 0; u < uses; u++) {
          if (Atomics.load(i32, dev) === DEVICE_POISON) {
            res.use_after_free++;
            fails('device used after free: poisoned while a reference is held');
            break;
          }
        }
        percpu_ref_put(ref);
      } else {
        res.tryget_failed++;
      }
      if ((i & 63) === 0) setProgress(ctx.task, i);
    }
  } finally {
    setProgress(ctx.task, a.iters);
    Atomics.add(i32, w(TORTURE.done), 1);
  }
  return res;
}

/*
 * The swapoff side: percpu_ref_kill(), wait_for_completion() on the
 * release, then free (poison) the device; check tryget_live() fails; then
 * bring it back (swapon again) for the next round.
 */
function ref_torture_killer(a: RefKillerArgs, ctx: ProgramContext): RefKillerResult {
  const i32 = A.i32;
  const ref = w(TORTURE.ref);
  const dev = w(TORTURE.device);
  const state = w(TORTURE.ref_state);
  const done = w(TORTURE.done);
  const killAfter = a.killAfter ?? 1000;
  const res: RefKillerResult = { task: ctx.task, cpu: ctx.cpu, rounds: 0, fail: 0 };
  const usersProgress = (): number => {
    let s = 0;
    for (let t = 0; t < MAX_TORTURE_TASKS; t++) if (t !== ctx.task) s += progressOf(t);
    return s;
  };
  const waitUsers = (target: number): void => {
    while (usersProgress() < target && Atomics.load(i32, done) < a.nrUsers) {
      sched_wait(i32, done, Atomics.load(i32, done));
    }
  };

  startBarrier(a.cpus);
  for (let r = 0; r < a.rounds; r++) {
    waitUsers(usersProgress() + killAfter);
    percpu_ref_kill(ref);
    wait_for_completion(ref + REF_COMP);
    if (!percpu_ref_is_zero(ref)) {
      res.fail++;
      report('device-lifetime', `percpu_ref torture killer: release completed but the ref is not zero (round ${r})`, [ref, r]);
    }
    Atomics.store(i32, dev, DEVICE_POISON); /* free the device */
    Atomics.store(i32, state, 2 * r + 1);
    if (percpu_ref_tryget_live(ref)) {
      res.fail++;
      report('device-lifetime', `percpu_ref torture killer: tryget_live() succeeded on a released ref (round ${r})`, [ref, r]);
    }
    /* Let the users hit the dead ref for a while. */
    waitUsers(usersProgress() + (killAfter >> 2));
    /* swapon again: a live device first, then the state, then the ref. */
    Atomics.store(i32, dev, r + 2);
    Atomics.store(i32, state, 2 * r + 2);
    percpu_ref_resurrect(ref);
    res.rounds++;
  }
  return res;
}

registerProgram('percpu-ref-users', (a: RefUsersArgs, ctx) => ref_torture_user(a, ctx));
registerProgram('percpu-ref-killer', (a: RefKillerArgs, ctx) => ref_torture_killer(a, ctx));

/* ======================= harness self-test programs ======================= */

/*
 * Deterministic programs for testing the CPU harness itself (error
 * propagation, the grace period after a failure, stall termination):
 *   selftest-echo  { ... }            returns its task, CPU and args
 *   selftest-bug   { cpus, lock? }    takes the torture lock (if @lock), passes the
 *                                     start barrier, then BUG()s: dies holding the lock
 *   selftest-spin  { cpus }           passes the start barrier, then spins on the torture
 *                                     lock: never returns while a dead CPU holds it
 *   selftest-spin-recursion {}        takes the torture lock twice: spinlock recursion
 *   selftest-start-line { rounds, waiter }  barrier_wait() as a start line (below)
 *   selftest-pv-park { role, spins }  a spinner kept waiting: does it park? (below)
 * Run lock_torture_init() first.
 */
registerProgram('selftest-echo', (a: unknown, ctx) => ({ task: ctx.task, cpu: smp_processor_id(), args: a }));

registerProgram('selftest-bug', (a: { cpus: number; lock?: boolean }) => {
  if (a.lock === true) spin_lock(w(TORTURE.lock), lockClass('test_lock_c'));
  startBarrier(a.cpus);
  BUG('bug', 'selftest: BUG() on purpose');
});

registerProgram('selftest-spin', (a: { cpus: number }) => {
  startBarrier(a.cpus);
  spin_lock(w(TORTURE.lock), lockClass('test_lock_c'));
  spin_unlock(w(TORTURE.lock));
  return 'unreachable while the lock holder is dead';
});

registerProgram('selftest-spin-recursion', () => {
  spin_lock(w(TORTURE.lock), lockClass('test_lock_c'));
  spin_lock(w(TORTURE.lock), lockClass('test_lock_c'));
  return 'unreachable: a task spinning on its own lock never gets it';
});

/*
 * selftest-start-line { rounds, waiter }: barrier_wait() as a start line
 * for two tasks, @rounds times.  Task @waiter arrives first; the other
 * arrives as soon as it sees the waiter at the line, so every release is
 * prompt.  The waiter counts how often it went to sleep in the barrier
 * (sched_wait, through a wait hook): a start line whose waiters sleep
 * hands the core to whoever wakes them and the two tasks run one after
 * the other instead of side by side.  Returns the sleeps (0 for the other).
 */
registerProgram('selftest-start-line', (a: { rounds: number; waiter: number }, ctx) => {
  const i32 = A.i32;
  const b = w(TORTURE.barrier);
  if (ctx.task !== a.waiter) {
    for (let r = 0; r < a.rounds; r++) {
      while (Atomics.load(i32, b) === 0);
      barrier_wait(b, 2);
    }
    return 0;
  }
  let sleeps = 0;
  setWaitHook((word, expected) => {
    sleeps++;
    Atomics.wait(i32, word, expected, 1);
  });
  try {
    for (let r = 0; r < a.rounds; r++) barrier_wait(b, 2);
  } finally {
    setWaitHook(null);
  }
  return sleeps;
});

/*
 * selftest-pv-park { role, spins }: the torture lock held (role "holder")
 * while another task (role "spinner") spins on it, until the spinner has
 * passed @spins spin points - several times the spins after which a
 * paravirtual spinlock parks.  The holder returns whether the lock word
 * carried SPIN_WAITERS at its unlock (a spinner parked on it: the flag
 * stays until the unlock); the spinner the spin points it counted.  How
 * long anything takes plays no part: the holder waits for the count.
 */
registerProgram('selftest-pv-park', (a: { role: 'holder' | 'spinner'; spins: number }) => {
  const i32 = A.i32;
  const lock = w(TORTURE.lock);
  const held = w(TORTURE.write_held);
  const count = w(TORTURE.counter);
  const cls = lockClass('test_lock_c');
  if (a.role === 'holder') {
    spin_lock(lock, cls);
    Atomics.store(i32, held, 1);
    while (Atomics.load(i32, count) < a.spins) Atomics.wait(i32, count, Atomics.load(i32, count), 1);
    const parked = (Atomics.load(i32, lock) & SPIN_WAITERS) !== 0;
    spin_unlock(lock);
    return parked;
  }
  while (Atomics.load(i32, held) === 0) Atomics.wait(i32, held, 0, 1);
  const P_SPIN = pointId('spin');
  setPointHook((id) => {
    if (id === P_SPIN) {
      Atomics.add(i32, count, 1);
      Atomics.notify(i32, count);
    }
  });
  try {
    spin_lock(lock, cls);
    spin_unlock(lock);
  } finally {
    setPointHook(null);
  }
  return Atomics.load(i32, count);
});
