/*
 * The fuzzing campaign's job worker (`fuzz --jobs J`): piscina calls the
 * default export with a case; the execution runs on this thread's own CPU
 * pool (nested worker threads), so J jobs run J executions at once, each
 * on its own arena.  Context: a worker thread.
 */
import { fuzz_exec, fuzz_shrink, type FuzzResult } from '../src/harness/fuzz_exec.js';
import type { FuzzCase } from '../src/harness/fuzz_case.js';

/** One execution; a failing one is shrunk (and its timeline written to @traceFile) on this thread too. */
export default async function run(m: { c: FuzzCase; traceDir: string | null; turnSpins?: number }): Promise<FuzzResult & { shrunk: string | null }> {
  const r = await fuzz_exec(m.c, undefined, m.turnSpins);
  const shrunk = r.findings.length > 0 ? await fuzz_shrink(m.c, r, m.traceDir === null ? null : `${m.traceDir}/run-${m.c.index}.trace.json`) : null;
  return { ...r, shrunk };
}
