/*
 * Function coverage of a run, from V8's own precise coverage (no
 * instrumentation): `stress --coverage FILE` and `fuzz --coverage FILE`
 * collect it, coverage_report.ts maps it to the model's functions.
 *
 * The model runs on worker threads (a CPU each, nested under a fuzz job's
 * thread) as well as on the main thread (system set-up, the quiescent
 * checks).  Two collectors, one per kind of thread:
 *  - the main thread: an inspector session on this thread runs
 *    Profiler.startPreciseCoverage ({callCount, detailed}: the counts of
 *    every function from block counters, kept through optimisation) and
 *    takes it at the end;
 *  - every worker thread: NODE_V8_COVERAGE in process.env before the run.
 *    A worker reads the variable from its own copy of the environment
 *    (copied when it is created, and so passed on to the workers it
 *    creates) and starts the same precise coverage at its start; it
 *    writes coverage-PID-TIME-THREADID.json into that directory when it
 *    exits, terminated or not.  The directory is a fresh temporary one:
 *    only this run's workers write there.
 *
 * Context: main thread; one collection at a time.  Every worker of the
 * run must have exited before v8_coverage_stop() (the stress and fuzz
 * harnesses destroy their pools before they return).
 */
import { Session } from 'node:inspector/promises';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One function of a script as V8 reports it: ranges[0] is the whole function, its count the calls. */
export interface V8FunctionCoverage {
  functionName: string;
  ranges: { startOffset: number; endOffset: number; count: number }[];
  isBlockCoverage: boolean;
}

/** A script's coverage in one isolate (Profiler.ScriptCoverage). */
export interface V8ScriptCoverage {
  scriptId?: string;
  url: string;
  functions: V8FunctionCoverage[];
}

/** A collection in progress: the main thread's session and the workers' directory. */
export interface V8Coverage {
  readonly session: Session;
  readonly dir: string;
  /** NODE_V8_COVERAGE as it was before (restored by v8_coverage_stop()). */
  readonly saved: string | undefined;
}

/**
 * Start collecting: precise coverage on this thread, NODE_V8_COVERAGE for
 * every worker created from now on.
 */
export async function v8_coverage_start(): Promise<V8Coverage> {
  const dir = mkdtempSync(join(tmpdir(), 'swaptorture-v8-coverage-'));
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  const saved = process.env.NODE_V8_COVERAGE;
  process.env.NODE_V8_COVERAGE = dir;
  return { session, dir, saved };
}

/* The scripts of one coverage-*.json a worker wrote. */
function read_worker_file(file: string): V8ScriptCoverage[] {
  let doc: { result?: V8ScriptCoverage[] };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as { result?: V8ScriptCoverage[] };
  } catch (e) {
    throw new Error(`coverage: cannot read the worker coverage file ${file}: ${(e as Error).message}`);
  }
  if (!Array.isArray(doc.result)) throw new Error(`coverage: worker coverage file ${file} has no "result" array`);
  return doc.result;
}

/**
 * Stop collecting: the main thread's coverage and every worker's, one
 * entry per script per thread (a script loaded by several threads comes
 * once from each).  The temporary directory goes.
 */
export async function v8_coverage_stop(c: V8Coverage): Promise<V8ScriptCoverage[]> {
  if (c.saved === undefined) delete process.env.NODE_V8_COVERAGE;
  else process.env.NODE_V8_COVERAGE = c.saved;
  try {
    const main = (await c.session.post('Profiler.takePreciseCoverage')) as { result: V8ScriptCoverage[] };
    await c.session.post('Profiler.stopPreciseCoverage');
    c.session.disconnect();
    const files = readdirSync(c.dir).filter((f) => /^coverage-.*\.json$/.test(f)).sort();
    return [...main.result, ...files.flatMap((f) => read_worker_file(join(c.dir, f)))];
  } finally {
    rmSync(c.dir, { recursive: true, force: true });
  }
}
