/*
 * struct percpu_ref, as swap devices use it for si->users.
 *
 * A ref is three consecutive arena words: [count, flags, release
 * completion].  The kernel's per-CPU fast mode is an optimisation of the
 * same semantics; the model keeps the ref in atomic mode throughout, which
 * is what the kernel switches to at kill time anyway, so every ordering
 * question swapoff raises is still asked:
 *  - percpu_ref_tryget_live() fails once the ref is dead;
 *  - percpu_ref_kill() marks it dead and drops the initial reference;
 *  - the release (count reaching zero) completes the completion, which
 *    swapoff waits for before freeing the device's metadata.
 *
 * Kernel mapping: percpu_ref_init/reinit/resurrect, percpu_ref_tryget_live,
 * percpu_ref_get, percpu_ref_put, percpu_ref_kill, percpu_ref_is_zero.
 */
import { A } from '../shm/arena.js';
import { report } from '../shm/report.js';
import { point, pointId } from '../sched/point.js';
import { complete, init_completion } from './completion.js';

export const REF_COUNT = 0;
export const REF_FLAGS = 1;
export const REF_COMP = 2;
const __PERCPU_REF_DEAD = 1;

const P_REF_TRYGET = pointId('percpu_ref_tryget_live');
const P_REF_KILL = pointId('percpu_ref_kill');

/** percpu_ref_init()/percpu_ref_reinit(): one initial reference, live. */
export function percpu_ref_init(ref: number): void {
  const i32 = A.i32;
  init_completion(ref + REF_COMP);
  Atomics.store(i32, ref + REF_FLAGS, 0);
  Atomics.store(i32, ref + REF_COUNT, 1);
}

/** percpu_ref_tryget_live(): take a reference unless the ref was killed. */
export function percpu_ref_tryget_live(ref: number): boolean {
  const i32 = A.i32;
  point(P_REF_TRYGET);
  for (;;) {
    if (Atomics.load(i32, ref + REF_FLAGS) & __PERCPU_REF_DEAD) return false;
    const c = Atomics.load(i32, ref + REF_COUNT);
    if (c <= 0) return false;
    if (Atomics.compareExchange(i32, ref + REF_COUNT, c, c + 1) === c) return true;
  }
}

/** percpu_ref_get(): caller already holds a reference. */
export function percpu_ref_get(ref: number): void {
  const c = Atomics.add(A.i32, ref + REF_COUNT, 1);
  if (c <= 0) report('device-lifetime', `percpu_ref_get on a ref with count ${c} (use after release)`, [ref, c]);
}

/** percpu_ref_put(): drop a reference; the last one completes the release. */
export function percpu_ref_put(ref: number): void {
  const c = Atomics.sub(A.i32, ref + REF_COUNT, 1) - 1;
  if (c < 0) report('device-lifetime', `percpu_ref_put underflow: count ${c}`, [ref, c]);
  if (c === 0) complete(ref + REF_COMP);
}

/** percpu_ref_kill(): mark dead, drop the initial reference. */
export function percpu_ref_kill(ref: number): void {
  const i32 = A.i32;
  point(P_REF_KILL);
  const old = Atomics.or(i32, ref + REF_FLAGS, __PERCPU_REF_DEAD);
  if (old & __PERCPU_REF_DEAD) {
    report('device-lifetime', 'percpu_ref_kill() called more than once', [ref]);
    return;
  }
  percpu_ref_put(ref);
}

/** percpu_ref_is_zero(). */
export function percpu_ref_is_zero(ref: number): boolean {
  const i32 = A.i32;
  return (Atomics.load(i32, ref + REF_FLAGS) & __PERCPU_REF_DEAD) !== 0 && Atomics.load(i32, ref + REF_COUNT) === 0;
}

/** percpu_ref_is_dying(). */
export function percpu_ref_is_dying(ref: number): boolean {
  return (Atomics.load(A.i32, ref + REF_FLAGS) & __PERCPU_REF_DEAD) !== 0;
}

/** percpu_ref_resurrect(): back to live with one reference (after a kill). */
export function percpu_ref_resurrect(ref: number): void {
  percpu_ref_init(ref);
}
