/*
 * The one worker entry point: a simulated CPU.
 *
 * piscina calls the default export with a CpuTaskMessage: attach the arena,
 * become task @task on CPU @cpu (task_init unless told not to), run the registered
 * program with @args and hand back its result.  One task occupies the
 * worker from start to finish (programs are long, synchronous loops over
 * shared memory); the pool keeps the worker for the next run.
 *
 * Nothing is thrown back to piscina: an exception (a KernelBug included)
 * comes back as { ok: false, error } carrying the message, stack and
 * violation record, so the harness can name the task, CPU and program that
 * died (src/harness/cpus.ts turns it into a CpuError).
 *
 * Context: a worker thread; never the main thread.
 */
import { attach } from '../src/shm/arena.js';
import { KernelBug } from '../src/shm/report.js';
import { setCurrent, task_init } from '../src/shm/task.js';
import { lockdep_set_enabled } from '../src/sync/lockdep.js';
import { sched_enter, sched_exit } from '../src/sched/controlled.js';
import { trace_sync_enabled } from '../src/shm/trace.js';
import { getProgram, programNames, type CpuErrorInfo, type CpuOutcome, type CpuTaskMessage } from '../src/harness/programs.js';
import '../src/harness/all_programs.js';
import '../src/designs/index.js';

function errorInfo(e: unknown): CpuErrorInfo {
  if (e instanceof KernelBug) return { name: e.name, message: e.message, stack: e.stack, violation: e.violation };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

export default async function cpu(msg: CpuTaskMessage): Promise<CpuOutcome> {
  const { task, cpu, program } = msg;
  const t0 = performance.now();
  try {
    /* Every postMessage clones a new SharedArrayBuffer object over the same memory: re-bind the views (cheap). */
    attach(msg.arena);
    const fn = getProgram(program);
    if (fn === undefined) {
      throw new Error(`no program "${program}" registered in the worker (known: ${programNames().join(', ')}); add its module to src/harness/all_programs.ts`);
    }
    setCurrent(task);
    trace_sync_enabled(task);
    if (msg.init !== false) task_init(task, cpu);
    lockdep_set_enabled(msg.lockdep !== false);
    if (msg.controlled) sched_enter(task);
    let value: unknown;
    try {
      value = await fn(msg.args, { task, cpu, program });
    } finally {
      if (msg.controlled) sched_exit(task);
    }
    return { ok: true, task, cpu, program, ms: performance.now() - t0, value };
  } catch (e) {
    return { ok: false, task, cpu, program, ms: performance.now() - t0, error: errorInfo(e) };
  } finally {
    lockdep_set_enabled(true);
  }
}
