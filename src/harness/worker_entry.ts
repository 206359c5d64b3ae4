/*
 * Which file a worker thread starts from: the entry point's modules
 * (dist/workers/NAME.js) or its pack (dist/bundle/workers/NAME.js, the
 * same code in one file, written by workers/bundle.ts at build time).
 *
 * A worker starts from the pack when, and only when:
 *  - the pack and its manifest are there, and the manifest's hash of the
 *    modules that went in matches those modules as they are on disk now
 *    (after a bare `tsc` the pack is older than the code: it is ignored
 *    until the next build, never run against newer modules);
 *  - no one is collecting coverage (NODE_V8_COVERAGE: V8 reports it by
 *    file) or profiling (--cpu-prof, --prof, --heap-prof, --inspect in the
 *    process's options: a profile should name the model's own files);
 *  - SWAPTORTURE_WORKERS is not `modules` (the way to ask for them, e.g.
 *    for a stack trace that names the model's files; `auto`, the
 *    default, is the rule above, and anything else is an error).
 * Otherwise it starts from the modules.  The two run the same code; the
 * pack only starts faster.
 *
 * Context: any thread (a fuzz job's thread picks its CPUs' entry too).
 * The manifest check reads every module once per thread and entry.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The worker entry points (dist/workers/NAME.js). */
export const WORKER_ENTRIES = ['cpu', 'fuzz'] as const;
export type WorkerEntry = (typeof WORKER_ENTRIES)[number];

/** A pack's manifest (dist/bundle/workers/NAME.json); paths are relative to dist/. */
export interface WorkerManifest {
  entry: string;
  modules: string[];
  hash: string;
}

/* Options that make a worker's code the object of study: it should run from its own files. */
const PROFILING = /^--(cpu-prof|prof|heap-prof|inspect)/;

/**
 * The build's output directory.  From the compiled module (dist/src/harness)
 * and from a pack (dist/bundle/workers) alike it is two levels up; from
 * the sources (src/harness, under vitest) it is ../../dist.
 */
export function dist_dir(): string {
  return fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../dist/' : '../../', import.meta.url));
}

/** Where the packs of @dist are. */
export function worker_pack_dir(dist: string): string {
  return join(dist, 'bundle', 'workers');
}

/** The hash of @modules (relative to @dist) as they are on disk; throws if one is missing. */
export function worker_pack_hash(dist: string, modules: readonly string[]): string {
  const h = createHash('sha1');
  for (const m of modules) h.update(m).update('\0').update(readFileSync(join(dist, m))).update('\0');
  return h.digest('hex');
}

/** Does the pack of @name in @dist hold the code its modules hold now? */
export function worker_pack_fresh(dist: string, name: WorkerEntry): boolean {
  const dir = worker_pack_dir(dist);
  try {
    if (!existsSync(join(dir, `${name}.js`))) return false;
    const m = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as WorkerManifest;
    if (m.entry !== join('workers', `${name}.js`) || !Array.isArray(m.modules) || !m.modules.includes(m.entry)) return false;
    return worker_pack_hash(dist, m.modules) === m.hash;
  } catch {
    /* No manifest, a broken one, a module gone: not fresh. */
    return false;
  }
}

/** Why @env and @execArgv want the modules, or null. */
export function worker_modules_wanted(env: NodeJS.ProcessEnv, execArgv: readonly string[]): string | null {
  const w = env.SWAPTORTURE_WORKERS;
  if (w === 'modules') return 'SWAPTORTURE_WORKERS=modules';
  if (w !== undefined && w !== '' && w !== 'auto') throw new Error(`SWAPTORTURE_WORKERS: "${w}" is neither "modules" nor "auto" (the default: the pack when it is fresh)`);
  if (env.NODE_V8_COVERAGE) return 'coverage';
  const p = execArgv.find((a) => PROFILING.test(a));
  return p === undefined ? null : p;
}

/* Per thread: a pack's freshness, checked once. */
const fresh = new Map<string, boolean>();

/**
 * The file a worker running entry @name starts from: the pack of @dist
 * (default: this build's) when fresh and wanted, else the modules.
 */
export function worker_entry(name: WorkerEntry, dist = dist_dir()): string {
  const modules = join(dist, 'workers', `${name}.js`);
  if (worker_modules_wanted(process.env, process.execArgv) !== null) return modules;
  const key = `${dist}\0${name}`;
  let ok = fresh.get(key);
  if (ok === undefined) {
    ok = worker_pack_fresh(dist, name);
    fresh.set(key, ok);
  }
  return ok ? join(worker_pack_dir(dist), `${name}.js`) : modules;
}
