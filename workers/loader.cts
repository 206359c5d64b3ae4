/*
 * The file piscina loads in every worker thread of ours (a simulated CPU,
 * a fuzzing job): a CommonJS module that import()s the ES module
 * workerData.entry names (src/harness/pack.ts worker_entry: the pack or
 * the modules) and hands each task to that module's default export.
 *
 * Why not the ES module itself: piscina loads its file with require()
 * first and with import() only when that fails, and require() of an ES
 * module fails (the workers run with require(esm) off:
 * src/harness/worker_argv.ts) only after Node has built an error for it
 * (measured: four CPU workers started and given a task, 568-580 ms of the
 * process's CPU against 519-547 through this file - about 11 ms a
 * worker).  A CommonJS file is require()d at once; the import starts as
 * the worker loads, before its first task.
 *
 * A module that does not load fails the worker's first task with the
 * loader's error (src/harness/cpus.ts reports it as that CPU's failure).
 *
 * Context: a worker thread, as its first module.
 */
import { workerData } from 'node:worker_threads';

type Handler = (task: unknown) => unknown;

const data = workerData as { entry?: unknown } | null;
if (data === null || typeof data.entry !== 'string') {
  throw new Error(`workers/loader: workerData.entry must name the ES module to run (got ${JSON.stringify(data)})`);
}
const entry: Promise<{ default: Handler }> = import(data.entry);
/* Awaited by every task; a failed load is reported there, not as an unhandled rejection first. */
entry.catch(() => undefined);

export = async function loader_task(task: unknown): Promise<unknown> {
  return (await entry).default(task);
};
