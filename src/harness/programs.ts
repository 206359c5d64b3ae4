/*
 * The program registry and the wire format of a CPU task.
 *
 * A *program* is what one simulated CPU runs for one task: a plain,
 * synchronous (or async) function of JSON-able arguments returning a
 * JSON-able result.  Closures cannot cross threads, so programs are
 * registered by name at module load, in every thread that imports the
 * registering module; workers/cpu.ts imports src/harness/all_programs.ts,
 * which imports every such module.
 *
 * The worker never lets an exception escape: it returns a CpuOutcome, so a
 * KernelBug's violation record survives the trip (structured clone would
 * keep only an Error's message and stack), and the harness rebuilds an
 * Error naming the task, CPU and program (src/harness/cpus.ts).
 */
import type { ArenaHandle } from '../shm/arena.js';
import type { Violation } from '../shm/report.js';

/** Context a program is called with (also available as current()/smp_processor_id()). */
export interface ProgramContext {
  task: number;
  cpu: number;
  program: string;
}

export type Program = (args: any, ctx: ProgramContext) => unknown;

const programs = new Map<string, Program>();

/**
 * Register @fn as program @name.  Registering the same name twice is a bug
 * (two modules would silently race for the name).
 */
export function registerProgram(name: string, fn: Program): void {
  const had = programs.get(name);
  if (had !== undefined && had !== fn) throw new Error(`registerProgram: program "${name}" registered twice`);
  programs.set(name, fn);
}

export function getProgram(name: string): Program | undefined {
  return programs.get(name);
}

/** Names of every registered program in this thread, sorted. */
export function programNames(): string[] {
  return [...programs.keys()].sort();
}

/** What the harness asks one CPU to run. */
export interface CpuSpec {
  /** Task id (index into the arena's task area). */
  task: number;
  /** CPU the task starts on. */
  cpu: number;
  /** Registered program name. */
  program: string;
  /** JSON-able (or structured-cloneable) arguments. */
  args?: unknown;
  /** task_init(task, cpu) before running (default true). */
  init?: boolean;
  /** lockdep-lite checks in this worker for this run (default true). */
  lockdep?: boolean;
  /** Run under the controlled scheduler (src/sched/controlled.ts; main thread called sched_init). */
  controlled?: boolean;
}

/** The message a worker receives: a spec plus the arena to attach. */
export interface CpuTaskMessage extends CpuSpec {
  arena: ArenaHandle;
}

/** An error as it crosses back from a worker. */
export interface CpuErrorInfo {
  name: string;
  message: string;
  stack?: string;
  /** Set when the program died of a KernelBug (BUG(), or a report under panic_on_warn). */
  violation?: Violation;
}

/** What a worker returns: never a thrown error. */
export type CpuOutcome =
  | { ok: true; task: number; cpu: number; program: string; ms: number; value: unknown }
  | { ok: false; task: number; cpu: number; program: string; ms: number; error: CpuErrorInfo };
