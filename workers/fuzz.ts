/*
 * The fuzzing campaign's job worker (`fuzz --jobs J`): piscina calls the
 * default export with a case; the execution runs on this thread's own CPU
 * pool (nested worker threads), so J jobs run J executions at once, each
 * on its own arena.  The pool is as wide as the widest case of the
 * campaign (workerData.cpus) and serves every execution of the job.
 * Context: a worker thread.
 */
import { workerData } from 'node:worker_threads';
import '../src/designs/index.js';
import { fuzz_exec, fuzz_exec_init, fuzz_shrink } from '../src/harness/fuzz_exec.js';
import type { FuzzJob, FuzzJobData, FuzzResult } from '../src/harness/fuzz_types.js';

const data = workerData as FuzzJobData | null;
if (data !== null) fuzz_exec_init(data.cpus);

/** One execution, or the shrinking of a failing one's schedule (the shrunk schedule, or null). */
export default async function run(m: FuzzJob): Promise<FuzzResult | string | null> {
  if (m.kind === 'exec') return fuzz_exec(m.c, undefined, m.turnSpins);
  return fuzz_shrink(m.c, m.r, m.traceFile, 20, m.deadline);
}
