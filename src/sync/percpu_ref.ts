/*
 * struct percpu_ref, as swap devices use it for si->users.
 *
 * A ref is four consecutive arena words: [count, flags, release
 * completion, per-CPU slot + 1].  Like the kernel's, a ref starts in
 * per-CPU mode: get and put touch only this CPU's counter
 * (A.L.pcpuRefs[cpu][slot]), so the hot get_swap_device()/put_swap_device()
 * of every CPU bounce no shared line.  percpu_ref_kill() marks the ref
 * dead and switches it to atomic mode: after a grace period (every get
 * and put reads the mode inside an RCU read-side section, as
 * percpu_ref_get_many() does under rcu_read_lock()) nobody touches the
 * per-CPU counters any more, so their sum is folded into the atomic count
 * and the initial reference is dropped.  From then on it is the atomic
 * ref it always was:
 *  - percpu_ref_tryget_live() fails once the ref is dead;
 *  - the release (count reaching zero) completes the completion, which
 *    swapoff waits for before freeing the device's metadata.
 * A ref initialised without a slot (slot -1) is atomic from the start.
 *
 * While the ref is in per-CPU mode its atomic count carries
 * PERCPU_COUNT_BIAS, as the kernel's does: between the kill's mode switch
 * and the fold, a put of a reference taken in per-CPU mode already lands
 * on the atomic count, and without the bias it would drive the count
 * through zero (an early release - the torture test caught exactly that).
 * The fold removes the bias.
 *
 * A per-CPU counter can go negative (a get on one CPU, the put after a
 * migration on another); only the sum means anything.  Two tasks on one
 * simulated CPU run on two threads here, so even the per-CPU counter is
 * updated with an atomic add (this_cpu_inc is preemption-safe in the
 * kernel for the same reason).
 *
 * Kernel mapping: percpu_ref_init/reinit/resurrect, percpu_ref_tryget_live,
 * percpu_ref_get, percpu_ref_put, percpu_ref_kill (with
 * percpu_ref_switch_to_atomic_rcu done synchronously), percpu_ref_is_zero.
 */
import { A } from '../shm/arena.js';
import { PCPU_REF_SLOTS } from '../shm/layout.js';
import { report } from '../shm/report.js';
import { point, pointId } from './point.js';
import { complete, init_completion } from './completion.js';
import { rcu_read_lock, rcu_read_unlock, synchronize_rcu } from './rcu.js';
import { nr_cpu_ids, smp_processor_id } from '../shm/task.js';

export const REF_COUNT = 0;
export const REF_FLAGS = 1;
export const REF_COMP = 2;
export const REF_PCPU = 3;
/** Words a percpu_ref occupies. */
export const PERCPU_REF_WORDS = 4;
const __PERCPU_REF_DEAD = 1;
/** PERCPU_COUNT_BIAS (1 << (BITS_PER_LONG - 1) in the kernel; int32 words here). */
const PERCPU_COUNT_BIAS = 1 << 29;
const __PERCPU_REF_ATOMIC = 2;

const P_REF_TRYGET = pointId('percpu_ref_tryget_live');
const P_REF_KILL = pointId('percpu_ref_kill');

function pcpuWord(cpu: number, slot: number): number {
  return A.L.pcpuRefs + cpu * PCPU_REF_SLOTS + slot;
}

/*
 * percpu_ref_init()/percpu_ref_reinit(): one initial reference, live, in
 * per-CPU mode on per-CPU slot @slot (0 <= slot < PCPU_REF_SLOTS, one
 * slot per ref), or atomic from the start with slot -1.
 * Context: nobody else uses the ref.
 */
export function percpu_ref_init(ref: number, slot = -1): void {
  const i32 = A.i32;
  if (slot >= PCPU_REF_SLOTS) throw new RangeError(`percpu_ref_init: slot ${slot} >= PCPU_REF_SLOTS`);
  init_completion(ref + REF_COMP);
  if (slot >= 0) for (let cpu = 0; cpu < nr_cpu_ids(); cpu++) i32[pcpuWord(cpu, slot)] = 0;
  i32[ref + REF_PCPU] = slot + 1;
  i32[ref + REF_COUNT] = slot >= 0 ? 1 + PERCPU_COUNT_BIAS : 1;
  i32[ref + REF_FLAGS] = slot >= 0 ? 0 : __PERCPU_REF_ATOMIC;
}

/**
 * percpu_ref_init(..., PERCPU_REF_INIT_DEAD): a ref no tryget succeeds on
 * until percpu_ref_init() or percpu_ref_resurrect() brings it to life (a
 * zeroed ref would be live: words left from a freed owner must not be).
 */
export function percpu_ref_init_dead(ref: number): void {
  const i32 = A.i32;
  init_completion(ref + REF_COMP);
  i32[ref + REF_PCPU] = 0;
  i32[ref + REF_COUNT] = 0;
  i32[ref + REF_FLAGS] = __PERCPU_REF_DEAD | __PERCPU_REF_ATOMIC;
}

/* Take one reference in atomic mode, unless the count already dropped to zero. */
function atomic_tryget(ref: number): boolean {
  const i32 = A.i32;
  for (;;) {
    const c = i32[ref + REF_COUNT];
    if (c <= 0) return false;
    if (Atomics.compareExchange(i32, ref + REF_COUNT, c, c + 1) === c) return true;
  }
}

/*
 * this_cpu_add(*percpu_count, @delta) if the ref is in per-CPU mode:
 * true if done, false if the caller must use the atomic count.
 * Context: inside rcu_read_lock(), so the kill's switch waits for us.
 */
function __ref_is_percpu_add(ref: number, delta: number): boolean {
  const i32 = A.i32;
  if (i32[ref + REF_FLAGS] & __PERCPU_REF_ATOMIC) return false;
  Atomics.add(i32, pcpuWord(smp_processor_id(), i32[ref + REF_PCPU] - 1), delta);
  return true;
}

/** percpu_ref_tryget_live(): take a reference unless the ref was killed. */
export function percpu_ref_tryget_live(ref: number): boolean {
  point(P_REF_TRYGET);
  rcu_read_lock();
  const ok = !(A.i32[ref + REF_FLAGS] & __PERCPU_REF_DEAD) && (__ref_is_percpu_add(ref, 1) || atomic_tryget(ref));
  rcu_read_unlock();
  return ok;
}

/** percpu_ref_get(): caller already holds a reference. */
export function percpu_ref_get(ref: number): void {
  rcu_read_lock();
  if (!__ref_is_percpu_add(ref, 1)) {
    const c = Atomics.add(A.i32, ref + REF_COUNT, 1);
    if (c <= 0) report('device-lifetime', `percpu_ref_get on a ref with count ${c} (use after release)`, [ref, c]);
  }
  rcu_read_unlock();
}

/* Atomic-mode put: the last one completes the release. */
function atomic_put(ref: number): void {
  const c = Atomics.sub(A.i32, ref + REF_COUNT, 1) - 1;
  if (c < 0) report('device-lifetime', `percpu_ref_put underflow: count ${c}`, [ref, c]);
  if (c === 0) complete(ref + REF_COMP);
}

/** percpu_ref_put(): drop a reference. */
export function percpu_ref_put(ref: number): void {
  rcu_read_lock();
  if (!__ref_is_percpu_add(ref, -1)) atomic_put(ref);
  rcu_read_unlock();
}

/**
 * percpu_ref_kill(): mark dead, switch to atomic mode, drop the initial
 * reference.  Context: process context; sleeps (a grace period) when the
 * ref was in per-CPU mode.
 */
export function percpu_ref_kill(ref: number): void {
  const i32 = A.i32;
  point(P_REF_KILL);
  const old = Atomics.or(i32, ref + REF_FLAGS, __PERCPU_REF_DEAD | __PERCPU_REF_ATOMIC);
  if (old & __PERCPU_REF_DEAD) {
    report('device-lifetime', 'percpu_ref_kill() called more than once', [ref]);
    return;
  }
  if (!(old & __PERCPU_REF_ATOMIC)) {
    /* percpu_ref_switch_to_atomic_rcu(): every get/put that saw per-CPU mode is done. */
    synchronize_rcu();
    const slot = i32[ref + REF_PCPU] - 1;
    let sum = 0;
    for (let cpu = 0; cpu < nr_cpu_ids(); cpu++) sum += Atomics.exchange(i32, pcpuWord(cpu, slot), 0);
    Atomics.add(i32, ref + REF_COUNT, sum - PERCPU_COUNT_BIAS);
  }
  atomic_put(ref);
}

/** percpu_ref_is_zero(): dead, switched, and no reference left. */
export function percpu_ref_is_zero(ref: number): boolean {
  const i32 = A.i32;
  const flags = i32[ref + REF_FLAGS];
  return (flags & __PERCPU_REF_DEAD) !== 0 && (flags & __PERCPU_REF_ATOMIC) !== 0 && i32[ref + REF_COUNT] === 0;
}

/**
 * The references @ref holds: its atomic count, and in per-CPU mode the
 * per-CPU counters' sum without the bias (what percpu_ref_switch_to_atomic
 * would fold).  The initial reference counts: a live ref nobody holds
 * reads 1.  Context: quiescent (no get or put in flight), else a racy
 * snapshot.
 */
export function percpu_ref_read(ref: number): number {
  const i32 = A.i32;
  let n = i32[ref + REF_COUNT];
  if (!(i32[ref + REF_FLAGS] & __PERCPU_REF_ATOMIC)) {
    n -= PERCPU_COUNT_BIAS;
    const slot = i32[ref + REF_PCPU] - 1;
    for (let cpu = 0; cpu < nr_cpu_ids(); cpu++) n += i32[pcpuWord(cpu, slot)];
  }
  return n;
}

/** percpu_ref_is_dying(). */
export function percpu_ref_is_dying(ref: number): boolean {
  return (A.i32[ref + REF_FLAGS] & __PERCPU_REF_DEAD) !== 0;
}

/** percpu_ref_resurrect(): back to live with one reference, in its original mode. */
export function percpu_ref_resurrect(ref: number): void {
  percpu_ref_init(ref, A.i32[ref + REF_PCPU] - 1);
}
