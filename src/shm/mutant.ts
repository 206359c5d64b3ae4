/*
 * The mutant selected for this process: SWAPTORTURE_MUTANT=<id> (0 or
 * unset: none, the model as written).  `swaptorture mutate` compiles every
 * mutant of the model into one instrumented copy of the sources
 * (.mutants/, src/harness/mutate_instrument.ts) whose mutated sites read
 * __mutant:
 *   a statement mutant   if (__mutant === __reached(ID)) { mutated } else { original }
 *   an expression mutant (__mutant === __reached(ID) ? mutated : original)
 * The normal build has no such site: nothing but that copy reads it.
 *
 * __reached(ID) is ID.  With SWAPTORTURE_MUTANT_HITS=<dir> it also
 * records that the run reached site ID: the first time a thread reaches
 * it, one line "ID" appended to <dir>/hits-<pid>-<thread> (synchronous:
 * a run killed by a timeout keeps what it reached).  That is how
 * `mutate` knows which runs reach a mutant - the unit tests (vitest runs
 * the sources through its own transform), the CLI runs and every worker
 * thread alike, down to the line.
 *
 * Read once, when the module loads.  Worker threads (the simulated CPUs,
 * a fuzz job's thread) get a copy of the parent's environment when they
 * are created, so every thread of a run sees the same mutant.
 *
 * Context: any thread; module load time.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { parse_mutant_id } from './env.js';


function read_mutant(): number {
  const id = parse_mutant_id(process.env.SWAPTORTURE_MUTANT);
  if (id instanceof Error) throw id;
  return id;
}

/** The selected mutant's id; 0 when none is. */
export const __mutant: number = read_mutant();

/* The file a site reached is recorded in: one per thread, so no two threads append to one file. */
function hits_file(dir: string, pid: number, thread: number): string {
  return join(dir, `hits-${pid}-${thread}`);
}

/** The thread (its threadId: 0 a main thread) whose hits file is named @name, or null if it is not one. */
export function hits_file_thread(name: string): number | null {
  const m = /^hits-\d+-(\d+)$/.exec(name);
  return m === null ? null : Number(m[1]);
}

function recorder(dir: string): (id: number) => number {
  const seen = new Set<number>();
  const file = hits_file(dir, process.pid, threadId);
  return (id: number): number => {
    if (!seen.has(id)) {
      seen.add(id);
      appendFileSync(file, `${id}\n`);
    }
    return id;
  };
}

const HITS_DIR = process.env.SWAPTORTURE_MUTANT_HITS;

/** Site @id reached: returns @id (recorded when SWAPTORTURE_MUTANT_HITS names a directory). */
export const __reached: (id: number) => number = HITS_DIR !== undefined && HITS_DIR !== '' ? recorder(HITS_DIR) : (id: number): number => id;
