/*
 * local_lock_t: a real lock on the current CPU's slot in the arena.
 *
 * On a !PREEMPT_RT kernel local_lock() disables preemption, so two tasks
 * that share a CPU serialise and a task cannot migrate while holding it.
 * The model gets both from a spinlock on the CPU's word: a second task on
 * the same CPU spins, and the held spinlock pins the task (might_sleep()
 * neither sleeps nor migrates it).
 *
 * Kernel mapping: local_lock(&percpu_swap_cluster.lock) ->
 * local_lock(CPU.local_lock); local_unlock likewise.  Returns the CPU whose
 * lock was taken, which must be the CPU unlocked.
 */
import { CPU } from '../shm/layout.js';
import { LC_LOCAL, lockdep_assert_held } from './lockdep.js';
import { spin_lock, spin_unlock } from './spinlock.js';
import { cpuWord, smp_processor_id } from '../shm/task.js';

/** local_lock(&pcp->@field): returns the locked CPU. */
export function local_lock(field: number = CPU.local_lock): number {
  const cpu = smp_processor_id();
  spin_lock(cpuWord(cpu, field), LC_LOCAL);
  return cpu;
}

/** local_unlock(&pcp->@field).  Context: caller holds this CPU's local lock. */
export function local_unlock(field: number = CPU.local_lock): void {
  const cpu = smp_processor_id();
  spin_unlock(cpuWord(cpu, field));
}

/** lockdep_assert_held(this_cpu_ptr(&pcp->lock)). */
export function local_lock_assert_held(field: number = CPU.local_lock): void {
  lockdep_assert_held(cpuWord(smp_processor_id(), field), 'this_cpu_ptr(&percpu_swap_cluster)->lock');
}
