/*
 * Tasks and CPUs.
 *
 * Each worker thread runs one task; a task starts on its own simulated CPU
 * and may be migrated to another CPU at a sleep point with no spinlock and
 * no RCU read lock held (the shuffle).  Per-CPU state (percpu_swap_cluster,
 * its local lock) is indexed by the task's *current* CPU, read from the
 * arena, never cached: that is how seed 002's "after the sleeping allocation
 * we may be on another CPU" happens for real.
 *
 * Read-side RCU nesting and lockdep's held-lock stack are per task, as the
 * kernel keeps them (current->rcu_read_lock_nesting with PREEMPT_RCU,
 * current->held_locks).
 *
 * A thread may drive several tasks one after the other (single-threaded
 * tests play two CPUs from one thread): switch with setCurrent().
 *
 * Kernel mapping: current -> current(), smp_processor_id() ->
 * smp_processor_id(), this_cpu_ptr(&percpu_swap_cluster) -> thisCpuBase().
 */
import { A } from './arena.js';
import { CPU, TASK } from './layout.js';
import { kasan_check_index, kasan_enabled } from './kasan.js';
import { __curTaskWord, __taskWord, current, setCurrent } from './current.js';

export const TASK_RUNNING = 0;
export const TASK_PARKED = 1;
export const TASK_DEAD = 2;

export { current, setCurrent };

/** Word index of field @f of task @t. */
export function taskWord(t: number, f: number): number {
  if (kasan_enabled) kasan_check_index('task', t, A.L.config.nrTasks);
  return __taskWord(t, f);
}

/** Word index of field @f of the current task: taskWord(current(), @f) from the task's place, found when it became current. */
export function curTaskWord(f: number): number {
  if (kasan_enabled) kasan_check_index('task', current(), A.L.config.nrTasks);
  return __curTaskWord(f);
}

/** Word index of field @f of CPU @cpu. */
export function cpuWord(cpu: number, f: number): number {
  if (kasan_enabled) kasan_check_index('cpu', cpu, A.L.config.nrCpus);
  return A.L.cpu + cpu * CPU.SIZE + f;
}

/** smp_processor_id(): the CPU the current task runs on now. */
export function smp_processor_id(): number {
  return A.i32[curTaskWord(TASK.cpu)];
}

/** this_cpu_ptr(): word index of field @f of the current CPU. */
export function thisCpuWord(f: number): number {
  return cpuWord(smp_processor_id(), f);
}

/** Initialise task @t on CPU @cpu (setup, before it runs). */
export function task_init(t: number, cpu: number): void {
  const i32 = A.i32;
  i32[taskWord(t, TASK.cpu)] = cpu;
  i32[taskWord(t, TASK.rcu_read_lock_nesting)] = 0;
  i32[taskWord(t, TASK.rcu_reader_gp)] = 0;
  i32[taskWord(t, TASK.lockdep_depth)] = 0;
  i32[taskWord(t, TASK.migrate_to)] = -1;
  i32[taskWord(t, TASK.spin_depth)] = 0;
  i32[taskWord(t, TASK.wait_lock)] = 0;
  i32[taskWord(t, TASK.pid)] = t;
  i32[taskWord(t, TASK.state)] = TASK_RUNNING;
}

/** Number of tasks and CPUs the arena was laid out for. */
export function nr_tasks(): number {
  return A.L.config.nrTasks;
}

export function nr_cpu_ids(): number {
  return A.L.config.nrCpus;
}

/** Ask task @t to move to @cpu at its next migration point (the shuffler). */
export function request_migration(t: number, cpu: number): void {
  A.i32[taskWord(t, TASK.migrate_to)] = cpu;
}

/**
 * Take a pending migration request.  Only the task itself changes its CPU,
 * and only where nothing pins it (no spinlock, no local lock, no RCU read
 * section): the caller, might_sleep(), checks that.
 *
 * Context: process context, preemptible, current task only.
 */
export function migrate_if_requested(): void {
  const w = curTaskWord(TASK.migrate_to);
  const to = A.i32[w];
  if (to < 0) return;
  A.i32[w] = -1;
  if (to >= A.L.config.nrCpus) return;
  A.i32[curTaskWord(TASK.cpu)] = to;
  Atomics.add(A.i32, curTaskWord(TASK.nr_migrations), 1);
}

/**
 * prandom_u32(): the current task's deterministic random stream (xorshift32
 * in TASK.rand), so a seed fixes every random choice a CPU makes.
 */
export function prandom_u32(): number {
  const w = curTaskWord(TASK.rand);
  const x = xorshift32(A.i32[w] | 0 || 0x9e3779b9 | 0);
  A.i32[w] = x;
  return x >>> 0;
}

/** One xorshift32 step (Marsaglia 2003): the next int32 state after @x (non-zero stays non-zero). */
export function xorshift32(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x;
}

/** Seed task @t's random stream. */
export function prandom_seed_task(t: number, seed: number): void {
  A.i32[taskWord(t, TASK.rand)] = (seed | 0) || 1;
}

/* Task @t's first random state in a system booted with @seed. */
function prandom_boot_state(seed: number, t: number): number {
  return ((seed * 2654435761 + t * 40503) | 0) || 1;
}

/** Seed every task's random stream from the system's @seed, as at boot (System.create). */
export function prandom_seed_tasks(seed: number): void {
  for (let t = 0; t < nr_tasks(); t++) prandom_seed_task(t, prandom_boot_state(seed, t));
}

/** Is every task's random stream still where prandom_seed_tasks(@seed) left it (no task drew a number since)? */
export function prandom_tasks_unused(seed: number): boolean {
  for (let t = 0; t < nr_tasks(); t++) if (A.i32[taskWord(t, TASK.rand)] !== prandom_boot_state(seed, t)) return false;
  return true;
}
