/*
 * The node options a worker thread (a simulated CPU, a fuzzing job) is
 * started with.
 *
 *   worker_exec_argv(extra?)   the parent's options a worker accepts (or
 *                              @extra's), plus --no-experimental-require-module
 *
 * Why not simply the parent's process.execArgv: a worker given execArgv
 * refuses V8 options and options of the whole process
 * (`node --max-old-space-size=8192`, `--stack-trace-limit=50`,
 * `--expose-gc`, `--title=x`, ... are ERR_WORKER_INVALID_EXEC_ARGV, and
 * every command that starts a CPU died of it as an internal error).  Those
 * already hold for every thread of the process, so they are left out, not
 * lost.  Node has no list of them: each of the parent's options is tried
 * once on a Worker whose construction then fails before its thread starts
 * (workerData that cannot be cloned: the load message is posted before
 * the thread is started), which is the same check the real worker meets.
 * A command started without node options (the usual case) tries nothing.
 *
 * Context: any thread that starts workers; synchronous.
 */
import { Worker } from 'node:worker_threads';

/*
 * How a piscina worker thread loads its entry point: piscina tries
 * require() first, which on Node 20.19+ loads an ES module synchronously
 * (require(esm)); on Node 20 that path has been seen to abort the whole
 * process ("FATAL ERROR: v8::Module::IsGraphAsync must be used on an
 * instantiated module", in a fuzz campaign's job worker).  With
 * require(esm) off in the workers, piscina's require() of our ES modules
 * fails at once and it loads them with import(), the ordinary ESM loader.
 */
const REQUIRE_ESM_OFF = '--no-experimental-require-module';

/* Per option (with its values), whether a worker accepts it. */
const accepted = new Map<string, boolean>();

/* Does a worker accept the options @opt (flags, each with any separate values after it)? */
function worker_accepts(opt: readonly string[]): boolean {
  const key = opt.join('\0');
  let ok = accepted.get(key);
  if (ok === undefined) {
    try {
      /* Never started: cloning the function fails as the load message is posted, before startThread(). */
      new Worker('', { eval: true, execArgv: [...opt], workerData: worker_accepts });
      throw new Error(`worker_accepts: a probe worker for ${opt.join(' ')} was constructed`);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 'ERR_WORKER_INVALID_EXEC_ARGV') ok = false;
      else if ((e as { name?: unknown }).name === 'DataCloneError') ok = true;
      else throw e;
    }
    accepted.set(key, ok);
  }
  return ok;
}

/* @argv split into options: a flag and the values after it that are not flags themselves. */
function options_of(argv: readonly string[]): string[][] {
  const out: string[][] = [];
  for (const a of argv) {
    if (a.startsWith('-') || out.length === 0) out.push([a]);
    else out[out.length - 1].push(a);
  }
  return out;
}

/*
 * The options of @opts a worker accepts, in their order.  An option may be
 * refused alone and accepted beside another (`--cpu-prof-dir=DIR` and
 * `--cpu-prof-name` "must be used with --cpu-prof"): each is tried with
 * those kept so far, again after any pass that kept one, until a pass
 * keeps none - tried alone, the profiles of the CPUs went to the working
 * directory instead of DIR.
 */
function accepted_options(opts: readonly string[][]): string[][] {
  const keep = opts.map(() => false);
  const with_kept = (i: number): string[] => opts.flatMap((o, k) => (keep[k] || k === i ? o : []));
  for (let added = true; added;) {
    added = false;
    for (let i = 0; i < opts.length; i++) {
      if (!keep[i] && worker_accepts(with_kept(i))) keep[i] = added = true;
    }
  }
  return opts.filter((_, k) => keep[k]);
}

/** The execArgv of a worker thread: @extra or the parent's options, those a worker accepts, with require(esm) off. */
export function worker_exec_argv(extra?: readonly string[]): string[] {
  const keep = accepted_options(options_of(extra ?? process.execArgv)).flat();
  return [...keep, ...(process.allowedNodeEnvironmentFlags.has(REQUIRE_ESM_OFF) ? [REQUIRE_ESM_OFF] : [])];
}
