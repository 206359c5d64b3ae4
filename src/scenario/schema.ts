/*
 * The scenario file schema: every field (fields.ts), then the checks that
 * need the whole file - the bug switch exists, and what can never run
 * (check.ts) - each reported with the JSON path of the field at fault.
 */
import { BUG_SWITCHES } from '../shm/bugs.js';
import { scenario_check } from './check.js';
import { ScenarioFields } from './fields.js';
import { INVARIANTS } from '../shm/report.js';

export const ScenarioSchema = ScenarioFields.superRefine((s, ctx) => {
  if (s.bug !== undefined && !BUG_SWITCHES.some((b) => b.name === s.bug)) {
    ctx.addIssue({ code: 'custom', path: ['bug'], message: `unknown bug switch "${s.bug}" (known: ${BUG_SWITCHES.map((b) => b.name).join(', ')})` });
  }
  if (s.bug !== undefined && s.invariant === undefined) {
    ctx.addIssue({ code: 'custom', path: ['invariant'], message: `required with a bug switch: the invariant the race breaks (known: ${INVARIANTS.join(', ')})` });
  }
  if (s.bug === undefined && s.invariant !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['invariant'], message: 'only with a bug switch: without one, no invariant is expected to break (every one is checked)' });
  }
  scenario_check(s, ctx);
});
