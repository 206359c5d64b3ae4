/*
 * Which file a thread starts from: an entry point's modules as `tsc`
 * wrote them, or its pack - the same code in one file (or, for the
 * command line, one file per subcommand's part), written by
 * workers/bundle.ts at build time:
 *
 *   entry    modules                  pack
 *   cpu      dist/workers/cpu.js      dist/bundle/workers/cpu.js   (a simulated CPU's worker)
 *   fuzz     dist/workers/fuzz.js     dist/bundle/workers/fuzz.js  (a fuzzing job's worker)
 *   cli      dist/src/cli/main.js     dist/bundle/cli/main.js + chunks (bin/swaptorture.js)
 *
 * Loading ~100-200 modules one by one (resolve, read, compile each) is
 * most of what starting a worker or a short command costs; from a pack
 * the same code starts in about half the CPU time.
 *
 * The pack is used when, and only when:
 *  - its files and manifest (NAME.json beside it) are there, and the
 *    modules that went in are the ones on disk now: each one's size and
 *    time as the manifest recorded them, or else the hash of their
 *    contents (after a bare `tsc` rewrote them unchanged).  A pack older
 *    than the code is ignored until the next build, never run;
 *  - no one is collecting coverage (NODE_V8_COVERAGE, `--coverage`: V8
 *    reports it by file) or profiling (--cpu-prof, --prof, --heap-prof,
 *    --inspect in the process's options: a profile should name the
 *    model's own files);
 *  - SWAPTORTURE_PACKS is not `off` (the way to ask for the modules, e.g.
 *    for a stack trace naming the model's files; `auto`, the default,
 *    is the rule above, and anything else is an error).
 *
 * A worker thread does not load either file itself: piscina require()s
 * dist/workers/loader.cjs, which import()s the one worker_load() names
 * (workers/loader.cts says why).
 *
 * The packs sit as deep under dist/ as the modules (dist/src/harness/...),
 * so paths the code takes relative to its own file (the scenarios,
 * package.json, dist/ itself) resolve the same from either.
 *
 * Context: any thread (a fuzz job's thread picks its CPUs' entry too).
 * Freshness is checked once per thread and entry.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The entry points that have packs: their modules and the pack's directory, relative to dist/. */
export const PACKS = {
  cpu: { entry: 'workers/cpu.js', dir: 'bundle/workers' },
  fuzz: { entry: 'workers/fuzz.js', dir: 'bundle/workers' },
  cli: { entry: 'src/cli/main.js', dir: 'bundle/cli' },
} as const;
export type PackName = keyof typeof PACKS;
export type WorkerEntry = 'cpu' | 'fuzz';

/** A pack's manifest; every path is relative to dist/. */
export interface PackManifest {
  entry: string;
  /** The pack's own files, its entry first. */
  files: string[];
  /** The modules that went in, with the size and modification time each had. */
  modules: string[];
  stamps: [number, number][];
  /** Of the modules' names and contents (pack_hash). */
  hash: string;
}

/* Options that make the code the object of study: it should run from its own files. */
const PROFILING = /^--(cpu-prof|prof|heap-prof|inspect)/;

/**
 * The build's output directory.  From the compiled module (dist/src/harness)
 * and from a pack (dist/bundle/...) alike it is two levels up; from the
 * sources (src/harness, under vitest) it is ../../dist.
 */
export function dist_dir(): string {
  return fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../dist/' : '../../', import.meta.url));
}

/** The pack of @name in @dist: its entry file (and, beside it, NAME.json). */
export function pack_file(dist: string, name: PackName): string {
  return join(dist, PACKS[name].dir, basename(PACKS[name].entry));
}

/** The manifest of @name's pack in @dist. */
export function manifest_file(dist: string, name: PackName): string {
  return pack_file(dist, name).replace(/\.js$/, '.json');
}

/** The modules of @name in @dist (what runs without the pack). */
export function modules_file(dist: string, name: PackName): string {
  return join(dist, PACKS[name].entry);
}

/** The hash of @modules (relative to @dist) as they are on disk; throws if one is missing. */
export function pack_hash(dist: string, modules: readonly string[]): string {
  const h = createHash('sha1');
  for (const m of modules) h.update(m).update('\0').update(readFileSync(join(dist, m))).update('\0');
  return h.digest('hex');
}

/** The size and modification time of @file. */
export function pack_stamp(file: string): [number, number] {
  const s = statSync(file);
  return [s.size, s.mtimeMs];
}

/** Does the pack of @name in @dist hold the code its modules hold now? */
export function pack_fresh(dist: string, name: PackName): boolean {
  try {
    const m = JSON.parse(readFileSync(manifest_file(dist, name), 'utf8')) as PackManifest;
    const entry = PACKS[name].entry;
    if (m.entry !== entry || !Array.isArray(m.modules) || !m.modules.includes(entry) || !Array.isArray(m.stamps) || m.stamps.length !== m.modules.length) return false;
    if (!Array.isArray(m.files) || m.files[0] !== relative(dist, pack_file(dist, name))) return false;
    for (const f of m.files) statSync(join(dist, f));
    const same = m.modules.every((mod, i) => {
      const [size, mtime] = pack_stamp(join(dist, mod));
      return size === m.stamps[i][0] && mtime === m.stamps[i][1];
    });
    return same || pack_hash(dist, m.modules) === m.hash;
  } catch {
    /* No manifest, a broken one, a file gone: not fresh. */
    return false;
  }
}

/** Why @env and @execArgv want the modules, or null; throws on a bad SWAPTORTURE_PACKS. */
export function modules_wanted(env: NodeJS.ProcessEnv, execArgv: readonly string[]): string | null {
  const w = env.SWAPTORTURE_PACKS;
  if (w === 'off') return 'SWAPTORTURE_PACKS=off';
  if (w !== undefined && w !== '' && w !== 'auto') throw new Error(`SWAPTORTURE_PACKS: "${w}" is neither "off" nor "auto" (the default: a pack when it is fresh)`);
  if (env.NODE_V8_COVERAGE) return 'coverage';
  const p = execArgv.find((a) => PROFILING.test(a));
  return p === undefined ? null : p;
}

/* Per thread: a pack's freshness, checked once. */
const fresh = new Map<string, boolean>();

function pack_or_modules(name: PackName, dist: string, modules: boolean): string {
  if (modules) return modules_file(dist, name);
  const key = `${dist}\0${name}`;
  let ok = fresh.get(key);
  if (ok === undefined) {
    ok = pack_fresh(dist, name);
    fresh.set(key, ok);
  }
  return ok ? pack_file(dist, name) : modules_file(dist, name);
}

/**
 * The file a worker running entry @name starts from: the pack of @dist
 * (default: this build's) when fresh and wanted, else the modules.
 */
export function worker_entry(name: WorkerEntry, dist = dist_dir()): string {
  return pack_or_modules(name, dist, modules_wanted(process.env, process.execArgv) !== null);
}

/** What a worker thread is started with: workers/loader.cts, told by its workerData which ES module to run. */
export interface WorkerLoad {
  /** The file piscina loads (dist/workers/loader.cjs). */
  filename: string;
  workerData: { entry: string };
}

/**
 * How to start a worker thread running the ES module @file (an entry of
 * worker_entry(), or another with the same task contract): through the
 * CommonJS loader of @dist, which piscina require()s at once.
 */
export function worker_load(file: string, dist = dist_dir()): WorkerLoad {
  return { filename: join(dist, 'workers', 'loader.cjs'), workerData: { entry: pathToFileURL(file).href } };
}

/**
 * The module the command line @argv runs from (bin/swaptorture.js): as
 * worker_entry(), and the modules when it asks for coverage.  A bad
 * SWAPTORTURE_PACKS is main()'s to report (exit 2): the modules then.
 */
export function cli_entry(argv: readonly string[], dist = dist_dir()): string {
  let modules: boolean;
  try {
    modules = modules_wanted(process.env, process.execArgv) !== null || argv.some((a) => a === '--coverage' || a.startsWith('--coverage='));
  } catch {
    modules = true;
  }
  return pack_or_modules('cli', dist, modules);
}
