/*
 * A fuzz case read back from a file - a failure record, an abnormal run's
 * record (`repro --replay FILE`), a journal line (`fuzz --resume`) - is
 * checked before it runs, as a scenario file is: each field's type and
 * range (the scenario's own fields by the scenario file schema's field
 * checks, src/scenario/fields.ts), the design built, the bug switch known.
 * Not the scenario file's whole-file checks: a generated case may ask for
 * more processes than its system has room for (the fork fails, as it may
 * in the kernel), which a hand-written scenario may not.
 *
 * Context: main thread; no model state touched.
 */
import { z } from 'zod';
import { implemented_designs } from '../designs/index.js';
import { DESIGN_NAMES } from '../mm/swap_design.js';
import { json_path } from '../scenario/check.js';
import { ScenarioFields } from '../scenario/fields.js';
import { bug_switch } from '../shm/bugs.js';
import { MAX_PCT_DEPTH } from '../shm/layout.js';

const count = z.number().int().min(0);

const FuzzCaseSchema = z.object({
  index: count,
  seed: count.max(0xffffffff),
  design: z.enum(DESIGN_NAMES).refine((d) => implemented_designs().includes(d), { message: 'not a built design' }),
  sched: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('pct'), depth: z.number().int().min(1).max(MAX_PCT_DEPTH), at: z.array(z.object({ window: count, nth: z.number().int().min(1) }).nullable()).optional() }),
    z.object({ kind: z.literal('random') }),
    z.object({ kind: z.literal('free') }),
  ]),
  bug: z.string().refine((b) => bug_switch(b) !== undefined, { message: 'not a bug switch' }).nullable(),
  scenario: ScenarioFields,
  parent: count.nullable(),
  synthetic: z.object({ key: count }).optional(),
});

/* `--target synthetic`: the puzzle's input is the case; its scenario is not used (src/harness/fuzz_types.ts). */
const SyntheticCaseSchema = FuzzCaseSchema.extend({ scenario: z.unknown(), synthetic: z.object({ key: count }) });

/** What is wrong with @c as a fuzz case ("case.FIELD: REASON"), or null. */
export function fuzz_case_problem(c: unknown): string | null {
  const synthetic = typeof c === 'object' && c !== null && 'synthetic' in c && (c as { synthetic: unknown }).synthetic !== undefined;
  const r = (synthetic ? SyntheticCaseSchema : FuzzCaseSchema).safeParse(c);
  if (r.success) return null;
  const issue = r.error.issues[0];
  const at = json_path(issue.path);
  return `case${at === '' ? '' : at.startsWith('[') ? at : `.${at}`}: ${issue.message}`;
}
