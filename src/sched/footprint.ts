/*
 * Footprints for explore's partial-order reduction: what each step (the
 * code one task runs between two interleaving points) read and wrote in
 * the arena, at 8-byte granularity.
 *
 * Worker side, explore runs only (footprint_install() from sched_enter):
 * the thread's arena views A.i32 / A.i64 / A.u64 / A.u8 become Proxies
 * that note every indexed read and write, and globalThis.Atomics a shim
 * that notes the word of every atomic operation (a read-modify-write is a
 * write) before calling the real one.  Recording is on only while the
 * model runs, off inside the scheduler's own hooks.  At each hook the
 * step's accesses are appended to the arena's footprint log
 * (EXPLORE_LOG in src/shm/layout.ts).  Conservative where it cannot be
 * exact, so the independence relation stays sound:
 *  - a read of the scheduler's words (SCHED.step: bio due times, report
 *    steps) or a write to them marks the step EXPLORE_GLOBAL: dependent
 *    with every step (they all advance the clock);
 *  - a typed-array method other than fill/set/slice on an arena view,
 *    a step ending in a futex-style wait (whether it times out depends on
 *    who steps next) or in a wait for a step (the I/O completion task
 *    waiting for a bio's due step), and a footprint the log cannot hold
 *    are global too - but not the completion task's wait while no bio is
 *    in flight, a read of the word it waits on (on_wait in controlled.ts);
 *  - an atomic on any other shared buffer (the scenario's label table) is
 *    a pseudo-unit past the arena's end, by its byte offset in its
 *    buffer: two buffers' units may coincide (a conflict too many, never
 *    one too few).
 * Not recorded at all: lockdep's dependency rows (G.lockdep_deps).  They
 * only ever gain bits (Atomics.or of a new edge), so any order of the
 * steps that add edges leaves the same rows; and a circular dependency is
 * reported in every order, by whichever acquisition adds the edge that
 * closes the cycle (the rest of it is recorded by then, and each step
 * adds its edges at once).  The terminal state and the verdict do not
 * depend on their order, which is all a reduction needs.
 * Every thread's A views are restored, and Atomics with them, by
 * footprint_uninstall() (sched_exit): pooled workers run other modes next.
 *
 * The scheduler's own words never go through the recording: it uses the
 * real Atomics and sched_i32() (the real view).  The Atomics wrapper is
 * one function of fixed arity per operation: a rest-argument wrapper, with
 * the scheduler spinning through it, cost more than the Proxies (worker
 * profiles: 1.4-2.0 s of 5 s in the wrapper, 0.05-0.13 s in the Proxy).
 *
 * Cost, paid with --reduction sleep or dpor: swapoff-vs-swapin --fixed at
 * K=1 (1,024 schedules) took 3.1 s without footprints and 4.0 s with them
 * (5.6 s and 9.4 s before the wrapper and the scheduler were changed).
 *
 * The main thread reads the log back: src/sched/footprint_read.ts.
 *
 * Kernel mapping: none (harness machinery, like Loom's access tracking).
 */
import { A } from '../shm/arena.js';
import { EXPLORE_GLOBAL, EXPLORE_LOG, G, MAX_LOCK_CLASSES, SCHED } from '../shm/layout.js';

type View = Int32Array | BigInt64Array | BigUint64Array | Uint8Array;

/* ---- worker side ---- */

const realAtomics = Atomics;
/* The recording views of this run, the real views they wrap and log2(element bytes) - 3 (units are 8 bytes); identity tests, cheaper than a map lookup on every atomic. */
let proxies: { p: View; t: View; shift: number }[] = [];
let saved: { i32: Int32Array; i64: BigInt64Array; u64: BigUint64Array; u8: Uint8Array } | null = null;
let recording = false;
let global = false;
const reads = new Set<number>();
const writes = new Set<number>();
/* Units of the scheduler's words (SCHED..schedRecord) and SCHED.mode's (a constant for the run). */
let schedLo = 0;
let schedHi = 0;
let modeUnit = -1;
let foreignUnit = 0;
/* Units of lockdep's dependency rows: not recorded (see above). */
let depLo = 0;
let depHi = 0;

function note(unit: number, write: boolean): void {
  if (unit >= schedLo && unit < schedHi) {
    if (write || unit !== modeUnit) global = true;
    return;
  }
  if (unit >= depLo && unit < depHi) return;
  (write ? writes : reads).add(unit);
}

function note_range(shift: number, from: number, to: number, write: boolean): void {
  const lo = shift >= 0 ? from << shift : from >> -shift;
  const hi = shift >= 0 ? to << shift : (to + (1 << -shift) - 1) >> -shift;
  for (let u = lo; u < hi; u++) note(u, write);
}

function is_index(p: string | symbol): boolean {
  if (typeof p !== 'string') return false;
  const c = p.charCodeAt(0);
  return c >= 48 && c <= 57;
}

function unit_of(shift: number, i: number): number {
  return shift >= 0 ? i << shift : i >> -shift;
}

/* The recording Proxy over view @t (elements of 2^(3 + @shift) bytes). */
function recording_view<T extends View>(t: T, shift: number): T {
  const p = new Proxy(t, {
    get(target, prop) {
      if (is_index(prop)) {
        const i = +(prop as string);
        if (recording) note(unit_of(shift, i), false);
        return (target as unknown as Record<number, unknown>)[i];
      }
      if (prop === 'length') return target.length;
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]): unknown => {
        if (recording) {
          const n = target.length;
          if (prop === 'fill') note_range(shift, (args[1] as number | undefined) ?? 0, (args[2] as number | undefined) ?? n, true);
          else if (prop === 'set') note_range(shift, (args[1] as number | undefined) ?? 0, ((args[1] as number | undefined) ?? 0) + (args[0] as ArrayLike<unknown>).length, true);
          else if (prop === 'slice') note_range(shift, (args[0] as number | undefined) ?? 0, (args[1] as number | undefined) ?? n, false);
          else global = true;
        }
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        return r === target ? p : r;
      };
    },
    set(target, prop, value) {
      if (is_index(prop)) {
        const i = +(prop as string);
        if (recording) note(unit_of(shift, i), true);
        (target as unknown as Record<number, unknown>)[i] = value;
        return true;
      }
      return Reflect.set(target, prop, value, target);
    },
  });
  proxies.push({ p, t, shift });
  return p;
}


/* Note an atomic access of element @i of @ta (a recording view, or another shared buffer), return the real view. */
function atomic_note(ta: View, i: number, write: boolean): View {
  for (let k = 0; k < proxies.length; k++) {
    const x = proxies[k];
    if (x.p === ta) {
      if (recording) note(unit_of(x.shift, i), write);
      return x.t;
    }
  }
  if (recording && ta.buffer instanceof SharedArrayBuffer) note(foreignUnit + ((ta.byteOffset + i * ta.BYTES_PER_ELEMENT) >> 3), write);
  return ta;
}

/*
 * Atomics with every access noted: the real operation on the real view.
 * One wrapper per operation, of its own arity (a rest-argument wrapper
 * allocated on every call, and the lock words are hot).
 */
function atomics_shim(): typeof Atomics {
  type T = any; // eslint-disable-line @typescript-eslint/no-explicit-any
  const R = realAtomics as T;
  const rmw = (op: (ta: T, i: number, v: T) => T) => (ta: View, i: number, v: T): T => op(atomic_note(ta, i, true), i, v);
  const shim: T = {
    load: (ta: View, i: number): T => R.load(atomic_note(ta, i, false), i),
    store: rmw(R.store), add: rmw(R.add), sub: rmw(R.sub), and: rmw(R.and), or: rmw(R.or), xor: rmw(R.xor), exchange: rmw(R.exchange),
    compareExchange: (ta: View, i: number, e: T, r: T): T => R.compareExchange(atomic_note(ta, i, true), i, e, r),
    wait: (ta: View, i: number, v: T, t?: number): T => R.wait(atomic_note(ta, i, false), i, v, t),
    waitAsync: (ta: View, i: number, v: T, t?: number): T => R.waitAsync(atomic_note(ta, i, false), i, v, t),
    notify: (ta: View, i: number, c?: number): T => {
      const saved = recording;
      recording = false;
      const real = atomic_note(ta, i, false);
      recording = saved;
      return R.notify(real, i, c);
    },
    isLockFree: (n: number): boolean => R.isLockFree(n),
  };
  shim[Symbol.toStringTag] = 'Atomics';
  return shim as typeof Atomics;
}

/*
 * Forget an instrumentation a run left behind without footprint_uninstall()
 * (its task never got a turn: sched_exit did not run).  The views were
 * re-bound by attach() since: only Atomics and the state are reset.
 */
export function footprint_forget(): void {
  if (saved === null) return;
  (globalThis as { Atomics: typeof Atomics }).Atomics = realAtomics;
  recording = false;
  saved = null;
  proxies = [];
}

/**
 * Explore run starting in this worker: instrument its arena views (as
 * attach() just bound them) and Atomics.
 * Context: worker, sched_enter, before the first turn.
 */
export function footprint_install(): void {
  footprint_forget();
  saved = { i32: A.i32, i64: A.i64, u64: A.u64, u8: A.u8 };
  proxies = [];
  const L = A.L;
  schedLo = L.sched >> 1;
  schedHi = (L.schedRecord + L.config.schedSteps + 1) >> 1;
  modeUnit = (L.sched + SCHED.mode) >> 1;
  foreignUnit = (L.totalWords + 1) >> 1;
  /* Only the units wholly inside the rows. */
  depLo = (L.global + G.lockdep_deps + 1) >> 1;
  depHi = (L.global + G.lockdep_deps + MAX_LOCK_CLASSES) >> 1;
  A.i32 = recording_view(saved.i32, -1);
  A.i64 = recording_view(saved.i64, 0);
  A.u64 = recording_view(saved.u64, 0);
  A.u8 = recording_view(saved.u8, -3);
  (globalThis as { Atomics: typeof Atomics }).Atomics = atomics_shim();
  recording = false;
}

/** The run is over in this worker: the real views and Atomics back.  Context: worker, sched_exit. */
export function footprint_uninstall(): void {
  if (saved === null) return;
  recording = false;
  A.i32 = saved.i32;
  A.i64 = saved.i64;
  A.u64 = saved.u64;
  A.u8 = saved.u8;
  (globalThis as { Atomics: typeof Atomics }).Atomics = realAtomics;
  saved = null;
  proxies = [];
}

/**
 * This thread's real Int32Array view of the arena (the recording one's
 * target while footprints are installed): for the scheduler's own words,
 * which are not the model's and go with the real Atomics.
 */
export function sched_i32(): Int32Array {
  return saved === null ? A.i32 : saved.i32;
}

/** Is this worker recording footprints (an explore run with reduction)? */
export function footprint_active(): boolean {
  return saved !== null;
}

/** The task got its turn: its step (the one chosen at the current scheduler step) starts.  Context: worker, footprint_install()ed. */
export function footprint_step_begin(): void {
  if (saved === null) return;
  reads.clear();
  writes.clear();
  global = false;
  recording = true;
}

/** Also note a read of word @w (the lock word a spin point waits on). */
export function footprint_note_read(w: number): void {
  if (recording) note(w >> 1, false);
}

/*
 * The step ends at a hook: append it to the log as -(step + 1) and its
 * units (@mustGlobal: the step ends in a wait whose wake-up depends on
 * who runs next).  Context: worker, before the scheduler decides.
 */
export function footprint_step_end(mustGlobal = false): void {
  if (saved === null || !recording) return;
  recording = false;
  const i32 = saved.i32;
  const L = A.L;
  const base = L.exploreLog;
  const cap = L.config.exploreLog;
  const step = i32[L.sched + SCHED.step];
  const used = i32[base + EXPLORE_LOG.used] || EXPLORE_LOG.HEADER;
  const g = global || mustGlobal;
  const need = 1 + (g ? 1 : reads.size + writes.size);
  if (used + need > cap) {
    i32[base + EXPLORE_LOG.overflow] = 1;
    return;
  }
  let at = base + used;
  i32[at++] = -(step + 1);
  if (g) i32[at++] = EXPLORE_GLOBAL;
  else {
    for (const u of writes) i32[at++] = (u << 1) | 1;
    for (const u of reads) if (!writes.has(u)) i32[at++] = u << 1;
  }
  i32[base + EXPLORE_LOG.used] = at - base;
}
