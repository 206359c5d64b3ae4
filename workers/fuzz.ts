/*
 * The fuzzing campaign's job worker (`fuzz --jobs J`): piscina calls the
 * default export with a case; the execution runs on this thread's own CPU
 * pool (nested worker threads), so J jobs run J executions at once, each
 * on its own arena.  Context: a worker thread.
 */
import '../src/designs/index.js';
import { fuzz_exec, fuzz_shrink } from '../src/harness/fuzz_exec.js';
import type { FuzzJob, FuzzResult } from '../src/harness/fuzz_types.js';

/** One execution, or the shrinking of a failing one's schedule (the shrunk schedule, or null). */
export default async function run(m: FuzzJob): Promise<FuzzResult | string | null> {
  if (m.kind === 'exec') return fuzz_exec(m.c, undefined, m.turnSpins);
  return fuzz_shrink(m.c, m.r, m.traceFile, 20, m.deadline);
}
