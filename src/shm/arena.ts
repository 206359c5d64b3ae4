/*
 * The shared-memory arena: one SharedArrayBuffer holding every structure
 * of the model, laid out by src/shm/layout.ts.
 *
 * Each thread (the main thread, and every worker playing a CPU) attaches
 * the same buffer once; `A` then holds this thread's views over it, and
 * which task the thread plays (current) with that task's place in them.
 * That is the only per-thread state: whatever one CPU writes, every other
 * CPU reads through its own view of the same memory.
 *
 * Which accesses are atomic (the kernel's plain access / READ_ONCE /
 * atomic_t split, and the JavaScript memory model's data-race-free rule):
 *  - Atomics (load/store/RMW) for the words of a cross-thread protocol:
 *    lock words, RCU counters and published pointers (rcu_dereference /
 *    rcu_assign_pointer), refcounts, the run control words, every word a
 *    loop waits on, and swap table entries written under ci->lock while
 *    lockless readers load them (one 64-bit store, never torn).
 *  - Plain `A.i32[w]` for a word read or written under the lock that
 *    protects it, a task's own words, statistics, and lockless hints the
 *    code re-checks under a lock (i32 accesses never tear).  Atomics cost
 *    4-9 ns each here against ~1 ns for a plain access; converting the
 *    model's locked and owned accesses made the default stress mix 1.25x
 *    faster (stress --cpus 1 --seconds 5, 87 k -> 109 k swap ops/s).
 *
 * Context: attach() before any other model call in a thread.
 */
import { computeLayout, DEFAULT_ARENA_CONFIG, G, STATS_WORDS_PER_TASK, TASK, type ArenaConfig, type Layout } from './layout.js';

export const ARENA_MAGIC = 0x53575054; /* "SWPT" */

export interface ArenaViews {
  sab: SharedArrayBuffer;
  i32: Int32Array;
  i64: BigInt64Array;
  /** Unsigned view of the same words: swap table entries are unsigned longs. */
  u64: BigUint64Array;
  u8: Uint8Array;
  L: Layout;
  /** The task this thread plays (current(), src/shm/current.ts). */
  cur: number;
  /** Word index of that task's area, and of its statistics: set with it and re-based by attach(), so the hot paths add a field offset instead of computing them. */
  cur_task: number;
  cur_stats: number;
}

/** This thread's views over the attached arena. */
export const A: ArenaViews = {
  sab: undefined as unknown as SharedArrayBuffer,
  i32: new Int32Array(0),
  i64: new BigInt64Array(0),
  u64: new BigUint64Array(0),
  u8: new Uint8Array(0),
  L: undefined as unknown as Layout,
  cur: 0,
  cur_task: 0,
  cur_stats: 0,
};

/** Place A.cur's task area and statistics in the attached layout (none attached: nothing to place).  Context: this thread. */
export function rebase_current(): void {
  const L = A.L;
  if (L === undefined) return;
  A.cur_task = L.task + A.cur * TASK.SIZE;
  A.cur_stats = L.stats + A.cur * STATS_WORDS_PER_TASK;
}

/** What a worker needs to attach the same arena: the buffer and its config. */
export interface ArenaHandle {
  sab: SharedArrayBuffer;
  config: ArenaConfig;
}

/**
 * A zeroed arena for @config: a fresh buffer, or @reuse - the buffer of an
 * earlier arena that no thread uses any more (its run over, no worker of
 * it still running), at least as large - zeroed whole.  Either way every
 * word is zero but the magic, and the views attach() makes cover exactly
 * @config's layout at the buffer's start: a reused arena is word for word
 * a fresh one, without allocating and faulting in a new buffer.
 */
export function createArena(config: Partial<ArenaConfig> = {}, reuse?: SharedArrayBuffer): ArenaHandle {
  const full: ArenaConfig = { ...DEFAULT_ARENA_CONFIG, ...config };
  const layout = computeLayout(full);
  const bytes = layout.totalWords * 4;
  const sab = reuse !== undefined && reuse.byteLength >= bytes ? reuse : new SharedArrayBuffer(bytes);
  const i32 = new Int32Array(sab);
  if (sab === reuse) i32.fill(0);
  i32[layout.global + G.magic] = ARENA_MAGIC;
  return { sab, config: full };
}

/** Bind this thread's views to @h: its layout's words, at the start of its buffer (which may be larger: createArena's @reuse).  Idempotent for the same buffer. */
export function attach(h: ArenaHandle): void {
  const layout = computeLayout(h.config);
  const words = layout.totalWords;
  if (h.sab.byteLength < words * 4) {
    throw new Error(`arena: buffer is ${h.sab.byteLength} bytes, layout needs ${words * 4}`);
  }
  A.sab = h.sab;
  A.i32 = new Int32Array(h.sab, 0, words);
  A.i64 = new BigInt64Array(h.sab, 0, words >> 1);
  A.u64 = new BigUint64Array(h.sab, 0, words >> 1);
  A.u8 = new Uint8Array(h.sab, 0, words * 4);
  A.L = layout;
  rebase_current();
  if (A.i32[layout.global + G.magic] !== ARENA_MAGIC) throw new Error('arena: bad magic, not a swaptorture arena');
}

/** Word index of global field @f. */
export function gword(f: number): number {
  return A.L.global + f;
}

/** Atomic read of a 64-bit word at (even) word index @w. */
export function load64(w: number): bigint {
  return Atomics.load(A.i64, w >> 1);
}

/** Atomic write of a 64-bit word at (even) word index @w. */
export function store64(w: number, v: bigint): void {
  Atomics.store(A.i64, w >> 1, v);
}

/** Atomic exchange of a 64-bit word; returns the old value. */
export function xchg64(w: number, v: bigint): bigint {
  return Atomics.exchange(A.i64, w >> 1, v);
}

/** Atomic compare-and-exchange of a 64-bit word; returns the old value. */
export function cmpxchg64(w: number, old: bigint, v: bigint): bigint {
  return Atomics.compareExchange(A.i64, w >> 1, old, v);
}

/** Write @s as UTF-8 at byte offset @byteOff, at most @max bytes; returns bytes written. */
export function writeString(byteOff: number, s: string, max: number): number {
  const enc = new TextEncoder().encode(s);
  const n = Math.min(enc.length, max);
  A.u8.set(enc.subarray(0, n), byteOff);
  return n;
}

/** Read @len bytes of UTF-8 at byte offset @byteOff. */
export function readString(byteOff: number, len: number): string {
  /* TextDecoder refuses views of shared memory: copy out first. */
  return new TextDecoder().decode(A.u8.slice(byteOff, byteOff + len));
}
