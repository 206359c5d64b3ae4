/*
 * Mutants judged equivalent (mutants/equivalent.json, checked in): a
 * survivor that no test could kill because it does not change what the
 * model does.  Each entry names the mutant without its id (ids shift as
 * the sources change):
 *   { "file": "src/mm/swapfile.ts", "operator": "BorderOffByOne",
 *     "function": "scan_swap_map_slots", "original": "a < b",
 *     "replacement": "a <= b", "reason": "why it cannot change behaviour" }
 * and, when the function has the same text at several sites that are not
 * all equivalent, "occurrence": which of them (0 the first in the source;
 * the key's "#n").  Without it every such site matches.
 * A survivor that matches one is reported Ignored ("equivalent: REASON"),
 * out of the score; a killed one that matches is reported Killed, and the
 * summary says the entry is wrong.
 *
 * Context: main thread.
 */
import { existsSync, readFileSync } from 'node:fs';
import { OPERATORS } from './mutate_names.js';
import type { Mutant } from './mutate_instrument.js';

export interface Equivalent {
  file: string;
  operator: string;
  function: string;
  original: string;
  replacement: string;
  reason: string;
  /** Which site of that text in the function (from 0); undefined: every one. */
  occurrence?: number;
}

const FIELDS = ['file', 'operator', 'function', 'original', 'replacement', 'reason'] as const;

/** The entries of @file (none when it does not exist); an Error names the entry and field that is wrong. */
export function load_equivalents(file: string): Equivalent[] {
  if (!existsSync(file)) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(doc)) throw new Error(`${file}: expected an array of entries`);
  const named = new Map<string, number>();
  return doc.map((v: unknown, i) => {
    if (typeof v !== 'object' || v === null) throw new Error(`${file}: entry ${i}: not an object`);
    const o = v as Record<string, unknown>;
    for (const f of FIELDS) if (typeof o[f] !== 'string' || (f === 'reason' && (o[f] as string).trim() === '')) throw new Error(`${file}: entry ${i}: "${f}" must be a ${f === 'reason' ? 'non-empty ' : ''}string`);
    if (!(OPERATORS as readonly string[]).includes(o.operator as string)) throw new Error(`${file}: entry ${i}: "operator": unknown operator "${o.operator as string}" (known: ${OPERATORS.join(', ')})`);
    if (o.occurrence !== undefined && !(Number.isInteger(o.occurrence) && (o.occurrence as number) >= 0)) throw new Error(`${file}: entry ${i}: "occurrence" must be a whole number >= 0 (which site of that text in the function, from 0)`);
    /* Two entries for one site: the second's reason would never be read. */
    const site = JSON.stringify([o.file, o.operator, o.function, o.original, o.replacement, o.occurrence ?? null]);
    const earlier = named.get(site);
    if (earlier !== undefined) throw new Error(`${file}: entry ${i}: names the same mutant as entry ${earlier}`);
    named.set(site, i);
    return o as unknown as Equivalent;
  });
}

/** The entry of @eqs that names @m, or null. */
export function equivalent_of(m: Mutant, eqs: readonly Equivalent[]): Equivalent | null {
  return eqs.find((e) => e.file === m.file && e.operator === m.operator && e.function === m.fn && e.original === m.original && e.replacement === m.replacement &&
    (e.occurrence === undefined || m.key.endsWith(`|#${e.occurrence}`))) ?? null;
}
