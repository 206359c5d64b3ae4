/*
 * Simulated CPUs: worker threads from a piscina pool, one long task each.
 *
 *   const pool = new CpuPool(arena, 4);          // start 4 workers once (~33-72 ms)
 *   const res = await pool.run([                 // many runs on the same workers
 *     { task: 0, cpu: 0, program: 'rcu-updater', args: {...} },
 *     { task: 1, cpu: 1, program: 'rcu-reader', args: {...} },
 *   ]);
 *   await pool.destroy();                        // always: no worker left behind
 *
 *   await runOnCpus(arena, specs);               // one-shot: pool of specs.length, destroyed after
 *
 * Every spec of a run is dispatched at once, each to its own worker (the
 * pool has at least as many threads as the run has specs, and piscina puts
 * one task per worker), so programs may wait for each other (barriers,
 * locks, grace periods) without deadlocking on a queue.
 *
 * Failure handling: every CPU's outcome is awaited (allSettled), so one
 * CPU dying never loses the others' results.  A CPU that throws becomes a
 * CpuError naming its task, CPU and program (and the KernelBug violation,
 * if that is what killed it).  Because a dead CPU may have died holding a
 * lock the others spin on, the survivors get @graceMs to finish after the
 * first failure; then, and also when @timeoutMs passes with CPUs still
 * running (a stall), the stuck workers are terminated (piscina aborts the
 * task and replaces the worker) and reported with their last interleaving
 * point and held locks, read from the arena - the model's "progress"
 * invariant dump.  A terminated CPU's task is left dead and out of any RCU
 * read-side section (mark_task_dead()), so later runs' grace periods do
 * not wait for it.
 *
 * The worker runs the compiled dist/workers/cpu.js or its pack
 * (src/harness/pack.ts worker_entry), started through the CommonJS loader
 * dist/workers/loader.cjs (worker_load), so `tsc` must have run first
 * (`npm test` does).
 *
 * Context: main thread (or any thread that owns workers); async.
 */
import { existsSync } from 'node:fs';
import { Piscina } from 'piscina';
import type { ArenaHandle } from '../shm/arena.js';
import { computeLayout, TASK } from '../shm/layout.js';
import type { Violation } from '../shm/report.js';
import { TASK_DEAD } from '../shm/task.js';
import type { CpuOutcome, CpuSpec, CpuTaskMessage } from './programs.js';
import { task_dump, type TaskDoing } from './watchdog.js';
import { worker_entry, worker_load } from './pack.js';
import { worker_exec_argv } from './worker_argv.js';

export type { CpuSpec } from './programs.js';

/** Absolute path of the compiled CPU worker entry point (its pack when fresh: src/harness/pack.ts). */
export function cpuWorkerFile(): string {
  return worker_entry('cpu');
}

export interface RunOptions {
  /** Terminate CPUs still running after this long (a stall).  Default 120 s. */
  timeoutMs?: number;
  /** After the first CPU fails, how long the others get to finish.  Default 5 s. */
  graceMs?: number;
  /**
   * Called as soon as a CPU fails (before the others finish), e.g. to tell
   * long-running programs to stop.  Must not throw.
   */
  onCpuError?: (err: CpuError) => void;
  /** Names a task's operation in a stalled CPU's dump (src/harness/watchdog.ts task_dump). */
  doing?: TaskDoing;
}

export interface CpuPoolOptions {
  /**
   * Workers started with the pool (default: all @threads); the others
   * start when a run first needs them and stay (piscina's minThreads).
   */
  startThreads?: number;
  /** piscina idleTimeout (ms): how long a worker past startThreads stays idle before it exits. */
  idleTimeout?: number;
  /** Extra execArgv for the workers (e.g. --cpu-prof). */
  execArgv?: string[];
  /** Another worker entry point with the same task contract (default: cpuWorkerFile()). */
  filename?: string;
}

/** One CPU died: which task, CPU and program, and why. */
export class CpuError extends Error {
  readonly task: number;
  readonly cpu: number;
  readonly program: string;
  /** The KernelBug violation, when a BUG()/panic_on_warn report killed the CPU. */
  readonly violation?: Violation;
  /** The error's name in the worker (KernelBug, TypeError, AbortError ...). */
  readonly remoteName: string;
  /** Stack as seen in the worker. */
  readonly remoteStack?: string;

  constructor(spec: CpuSpec, remoteName: string, message: string, remoteStack?: string, violation?: Violation) {
    super(`cpu ${spec.cpu} task ${spec.task} program ${spec.program}: ${remoteName}: ${message}`);
    this.name = 'CpuError';
    this.task = spec.task;
    this.cpu = spec.cpu;
    this.program = spec.program;
    this.remoteName = remoteName;
    this.remoteStack = remoteStack;
    this.violation = violation;
  }
}

/** At least one CPU of a run failed; every CPU's outcome is attached. */
export class CpuRunError extends Error {
  constructor(
    readonly failures: CpuError[],
    readonly outcomes: CpuSettled[],
  ) {
    super(
      failures.length === 1
        ? failures[0].message
        : `${failures.length} CPUs failed:\n  ${failures.map((f) => f.message).join('\n  ')}`,
    );
    this.name = 'CpuRunError';
  }
}

export type CpuSettled =
  | { status: 'fulfilled'; spec: CpuSpec; value: unknown; ms: number }
  | { status: 'rejected'; spec: CpuSpec; error: CpuError; ms: number };

/*
 * A CPU whose worker was terminated leaves its task dead, as exit does in
 * the kernel: not in an RCU read-side section (else every later grace
 * period would wait for it forever; the kernel's exit_rcu() does the
 * same), state TASK_DEAD.  Locks it held stay held - that is a real leak,
 * already named in the stall report - until the next *_init() of the test.
 */
function mark_task_dead(arena: ArenaHandle, t: number): void {
  const L = computeLayout(arena.config);
  const i32 = new Int32Array(arena.sab);
  const base = L.task + t * TASK.SIZE;
  Atomics.store(i32, base + TASK.rcu_read_lock_nesting, 0);
  Atomics.store(i32, base + TASK.rcu_reader_gp, 0);
  Atomics.store(i32, base + TASK.state, TASK_DEAD);
}

function validateSpecs(arena: ArenaHandle, specs: CpuSpec[], threads: number): void {
  if (specs.length === 0) throw new Error('runOnCpus: no CPUs to run');
  if (specs.length > threads) {
    throw new Error(`runOnCpus: ${specs.length} CPUs requested but the pool has ${threads} threads (a queued CPU could deadlock the others)`);
  }
  const seen = new Set<number>();
  for (const s of specs) {
    if (!Number.isInteger(s.task) || s.task < 0 || s.task >= arena.config.nrTasks) {
      throw new Error(`runOnCpus: task ${s.task} out of range (arena has ${arena.config.nrTasks} tasks)`);
    }
    if (!Number.isInteger(s.cpu) || s.cpu < 0 || s.cpu >= arena.config.nrCpus) {
      throw new Error(`runOnCpus: cpu ${s.cpu} out of range (arena has ${arena.config.nrCpus} CPUs)`);
    }
    if (seen.has(s.task)) throw new Error(`runOnCpus: task ${s.task} appears twice`);
    seen.add(s.task);
  }
}

/*
 * One run's way out for stuck CPUs: the stall timer (@timeoutMs), the
 * grace period the others get after the first failure (@graceMs), the
 * reason the run was aborted, and the tasks whose workers were terminated.
 */
class CpuRunAbort {
  readonly ac = new AbortController();
  readonly t0 = performance.now();
  readonly terminated: number[] = [];
  #why = '';
  readonly #timer: ReturnType<typeof setTimeout>;
  #grace: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly timeoutMs: number, readonly graceMs: number) {
    this.#timer = setTimeout(() => this.abort(`stall: CPUs still running after ${timeoutMs} ms`), timeoutMs);
  }

  /* Terminate every CPU still running (piscina aborts its task and replaces the worker).  The first @why stays. */
  abort(why: string): void {
    if (this.ac.signal.aborted) return;
    this.#why = why;
    this.ac.abort(new Error(why));
  }

  /* @spec's CPU failed: the others get the grace period, once, then are terminated (it may have died holding a lock). */
  start_grace(spec: CpuSpec): void {
    if (this.#grace !== undefined || this.ac.signal.aborted) return;
    this.#grace = setTimeout(
      () => this.abort(`terminated ${this.graceMs} ms after cpu ${spec.cpu} task ${spec.task} failed (it may have died holding a lock)`),
      this.graceMs,
    );
  }

  /* Why the run was aborted ('' if it was not). */
  reason(): string {
    const signal = this.ac.signal;
    return signal.aborted ? this.#why || String((signal.reason as Error)?.message ?? signal.reason) : '';
  }

  /* The run is over: no timer left. */
  dispose(): void {
    clearTimeout(this.#timer);
    if (this.#grace !== undefined) clearTimeout(this.#grace);
  }
}

/**
 * A reusable set of worker threads playing CPUs.  Create once, run many
 * times, destroy() at the end (also on failure: use try/finally).
 */
export class CpuPool {
  readonly threads: number;
  #arena: ArenaHandle;
  #pool: Piscina;
  #destroyed = false;
  /* Runs in flight, so a pool-level error (a worker failing to load) can abort them. */
  #inflight = new Set<AbortController>();
  #poolErrors: Error[] = [];
  /* A worker that fails to load makes piscina stop starting workers: the pool is unusable. */
  #broken: Error | null = null;

  constructor(arena: ArenaHandle, threads: number, opts: CpuPoolOptions = {}) {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`CpuPool: bad thread count ${threads}`);
    const filename = opts.filename ?? cpuWorkerFile();
    if (!existsSync(filename)) {
      throw new Error(`CpuPool: worker ${filename} not found: build first (npx tsc -p tsconfig.json)`);
    }
    this.threads = threads;
    this.#arena = arena;
    this.#pool = new Piscina({
      ...worker_load(filename),
      minThreads: Math.min(threads, Math.max(1, opts.startThreads ?? threads)),
      maxThreads: threads,
      idleTimeout: opts.idleTimeout ?? 200,
      concurrentTasksPerWorker: 1,
      execArgv: worker_exec_argv(opts.execArgv),
    });
    /* Without a listener, a worker that fails to load kills the process. */
    this.#pool.on('error', (err: Error) => {
      this.#poolErrors.push(err);
      this.#broken ??= err;
      for (const ac of this.#inflight) ac.abort(new Error(`worker failed outside any task: ${err.message}`));
    });
  }

  /** The arena the next run() attaches. */
  get arena(): ArenaHandle {
    return this.#arena;
  }

  /** Point the pool's CPUs at another arena (workers re-attach on their next task). */
  setArena(arena: ArenaHandle): void {
    this.#arena = arena;
  }

  /** Errors the pool itself reported (workers failing outside any task). */
  get poolErrors(): readonly Error[] {
    return this.#poolErrors;
  }

  /* One CPU of a run: its program on a worker; a failure becomes a CpuError (and starts the others' grace period). */
  async #run_one(spec: CpuSpec, arena: ArenaHandle, run: CpuRunAbort, opts: RunOptions): Promise<CpuSettled> {
    const msg: CpuTaskMessage = { ...spec, arena };
    try {
      const out = (await this.#pool.run(msg, { signal: run.ac.signal })) as CpuOutcome;
      if (out.ok) return { status: 'fulfilled', spec, value: out.value, ms: out.ms };
      run.start_grace(spec);
      const e = out.error;
      const error = new CpuError(spec, e.name, e.message, e.stack, e.violation);
      opts.onCpuError?.(error);
      return { status: 'rejected', spec, ms: out.ms, error };
    } catch (err) {
      /* Aborted (stall, grace expired, pool error) or the worker itself died (then the others get the grace period). */
      run.start_grace(spec);
      const ms = performance.now() - run.t0;
      const base = err instanceof Error ? err : new Error(String(err));
      const message = run.ac.signal.aborted ? `${run.reason()}; ${task_dump(arena, spec.task, opts.doing)}` : base.message;
      run.terminated.push(spec.task);
      const error = new CpuError(spec, base.name, message, base.stack);
      opts.onCpuError?.(error);
      return { status: 'rejected', spec, ms, error };
    }
  }

  /**
   * Run @specs, one per worker, all at once; resolve with every CPU's
   * outcome (never rejects for a CPU's failure; rejects only on bad specs,
   * a destroyed pool, or a pool whose workers failed to load).
   */
  async runSettled(specs: CpuSpec[], opts: RunOptions = {}): Promise<CpuSettled[]> {
    if (this.#destroyed) throw new Error('CpuPool: run after destroy()');
    if (this.#broken !== null) throw new Error(`CpuPool: unusable, a worker failed outside any task: ${this.#broken.message}`);
    const arena = this.#arena;
    validateSpecs(arena, specs, this.threads);
    const run = new CpuRunAbort(opts.timeoutMs ?? 120_000, opts.graceMs ?? 5_000);
    this.#inflight.add(run.ac);
    try {
      /* #run_one() never rejects: allSettled semantics with typed outcomes. */
      const outcomes = await Promise.all(specs.map((spec) => this.#run_one(spec, arena, run, opts)));
      for (const t of run.terminated) mark_task_dead(arena, t);
      return outcomes;
    } finally {
      run.dispose();
      this.#inflight.delete(run.ac);
    }
  }

  /**
   * Run @specs and resolve with their results, in spec order; if any CPU
   * failed, reject with a CpuRunError carrying every failure and outcome.
   */
  async run(specs: CpuSpec[], opts: RunOptions = {}): Promise<unknown[]> {
    const outcomes = await this.runSettled(specs, opts);
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.error] : []));
    if (failures.length > 0) throw new CpuRunError(failures, outcomes);
    return outcomes.map((o) => (o.status === 'fulfilled' ? o.value : undefined));
  }

  /** Terminate every worker.  Idempotent. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const ac of this.#inflight) ac.abort(new Error('CpuPool destroyed'));
    await this.#pool.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }
}

/**
 * One-shot: run @specs on a fresh pool of specs.length workers and destroy
 * it (always).  Resolves with the results in spec order; rejects with a
 * CpuRunError if any CPU failed, after every CPU finished or was stopped.
 * Tests and fuzz loops should keep a CpuPool instead (worker start-up is
 * ~33-72 ms).
 */
export async function runOnCpus(arena: ArenaHandle, specs: CpuSpec[], opts: RunOptions & CpuPoolOptions = {}): Promise<unknown[]> {
  const pool = new CpuPool(arena, Math.max(1, specs.length), opts);
  try {
    return await pool.run(specs, opts);
  } finally {
    await pool.destroy();
  }
}
