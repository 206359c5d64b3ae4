/*
 * The mutant selected for this process: SWAPTORTURE_MUTANT=<id> (0 or
 * unset: none, the model as written).  `swaptorture mutate` compiles every
 * mutant of the model into one instrumented copy of the sources
 * (.mutants/, src/harness/mutate_instrument.ts) whose mutated sites read
 * __mutant:
 *   a statement mutant   if (__mutant === ID) { mutated } else { original }
 *   an expression mutant (__mutant === ID ? mutated : original)
 * The normal build has no such site: nothing but that copy reads it.
 *
 * Read once, when the module loads.  Worker threads (the simulated CPUs,
 * a fuzz job's thread) get a copy of the parent's environment when they
 * are created, so every thread of a run sees the same mutant.
 *
 * Context: any thread; module load time.
 */

/** The id in @text, or an Error naming what was wrong. */
export function parse_mutant_id(text: string | undefined): number | Error {
  if (text === undefined || text === '') return 0;
  if (!/^\d{1,9}$/.test(text)) return new Error(`SWAPTORTURE_MUTANT: "${text}" is not a mutant id (a whole number, 0 for none)`);
  return Number(text);
}

function read_mutant(): number {
  const id = parse_mutant_id(process.env.SWAPTORTURE_MUTANT);
  if (id instanceof Error) throw id;
  return id;
}

/** The selected mutant's id; 0 when none is. */
export const __mutant: number = read_mutant();
