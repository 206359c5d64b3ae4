/*
 * How repro (and explore, for the violation it finds) prints a
 * reproduction: the outcome line, the replay command and the shrunk one.
 *
 * Context: a subcommand's action.
 */
import { resolve } from 'node:path';
import type { ReproResult } from '../harness/repro.js';
import type { Scenario } from '../scenario/fields.js';
import { scenariosDir } from '../scenario/load.js';

/* @s as one shell word. */
function shell_quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/* The command that re-executes @replay: it names the scenario folder unless it is the package's own. */
export function replay_command(dir: string, replay: string): string {
  const own = resolve(dir) === resolve(scenariosDir());
  return `npx swaptorture repro${own ? '' : ` --dir ${shell_quote(resolve(dir))}`} --replay ${shell_quote(replay)}`;
}

/* One race's outcome as text. */
export function describe(r: ReproResult, sc: Scenario, dir: string): string {
  if (!r.applies) return `${r.race}: does not apply to design ${r.design} (the race is in: ${sc.designs.join(', ')})\n`;
  const ctx = (n: number | null, ops: number | null): string => (n === null ? '' : `  (${n} context switches, ${ops} operations)`);
  if (r.reproduced) {
    return `${r.race}: reproduced on design ${r.design} after ${r.schedules} schedule(s), ${r.ms} ms: [${r.invariant}] ${r.message} (step ${r.step})\n` +
      (r.schedule !== null ? `replay: ${replay_command(dir, r.schedule)}${ctx(r.switches, r.ops)}\n` : '') +
      (r.shrunk !== null && r.shrunk !== r.schedule ? `shrunk: ${replay_command(dir, r.shrunk)}${ctx(r.shrunkSwitches, r.shrunkOps)}\n` : '');
  }
  const how = r.abnormal !== null
    ? `; a run ended abnormally: ${r.abnormal}${r.fixed ? ' (so not clean)' : ''}`
    : r.fixed ? ' (clean, as expected with --fixed)' : '';
  return `${r.race}: not reproduced on design ${r.design} in ${r.schedules} schedule(s), ${r.ms} ms${how}\n`;
}
