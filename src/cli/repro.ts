/*
 * `swaptorture repro <race>|all [--list]`: reproduce the race catalogue
 * (scenarios/*.json) under the controlled scheduler, or show that the
 * fixed code stays clean under the same search (src/harness/repro.ts).
 *
 * Exit status: 0 when every outcome is the expected one (reproduced with
 * the bug switch, clean with --fixed), 1 otherwise, 2 bad usage or a bad
 * scenario file (one line naming the file and the field), 3 the harness
 * failed.
 */
import { Option, InvalidArgumentError, type Command } from 'commander';
import { join } from 'node:path';
import { CpuPool } from '../harness/cpus.js';
import { createArena } from '../shm/arena.js';
import { parse_replay_string, repro_replay, repro_search, repro_shrink, type ReproMode, type ReproResult } from '../harness/repro.js';
import { load_catalogue, load_scenario, ScenarioError, scenariosDir } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { DESIGN_NAMES, type DesignName } from '../designs/design.js';
import { implemented_designs } from '../designs/active.js';
import { text_table } from '../harness/text_table.js';
import { readFileSync } from 'node:fs';
import { fuzz_exec, fuzz_exec_teardown } from '../harness/fuzz_exec.js';
import { decode_schedule } from '../sched/schedule.js';
import type { FuzzCase } from '../harness/fuzz_case.js';

/*
 * --replay FILE.json: a fuzzing campaign's failure record
 * (<corpus>/failures/*.json): its case re-executed under its schedule
 * (the shrunk one if there is one).  Exit 0 when the same invariant
 * breaks again, 1 when it does not.
 */
async function replay_corpus_file(file: string, out: (s: string) => void, usage: (m: string) => never, json: boolean): Promise<number> {
  let doc: { case: FuzzCase; invariant: string; schedule: string; shrunkSchedule: string | null; site: string };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as typeof doc;
  } catch (e) {
    return usage(`--replay: ${file}: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || typeof doc.invariant !== 'string' || typeof doc.case !== 'object' || doc.case === null) {
    return usage(`--replay: ${file}: not a fuzz failure record (expected the fields case, invariant, schedule)`);
  }
  const schedule = doc.shrunkSchedule ?? doc.schedule;
  try {
    const r = await fuzz_exec(doc.case, schedule ? decode_schedule(schedule) : undefined);
    const hit = r.findings.find((x) => x.invariant === doc.invariant) ?? null;
    if (json) out(JSON.stringify({ file, reproduced: hit !== null, invariant: hit?.invariant ?? null, message: hit?.message ?? null, step: hit?.step ?? null, schedule: r.schedule }, null, 2) + '\n');
    else out(`${file}: ${hit !== null ? `reproduced: [${hit.invariant}] ${hit.message} (step ${hit.step})` : `not reproduced (${r.findings.length} other findings; ${r.abnormal ?? 'ran to the end'})`}\n`);
    return hit !== null ? 0 : 1;
  } finally {
    await fuzz_exec_teardown();
  }
}

interface ReproFlags {
  list?: boolean;
  design: DesignName;
  mode: ReproMode;
  fixed?: boolean;
  seed: number;
  maxSchedules?: number;
  depth?: number;
  seconds: number;
  replay?: string;
  trace?: string;
  shrink: boolean;
  json?: boolean;
  dir: string;
}

function int(min: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min) throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    return Number(v);
  };
}

function table(rows: ReproResult[], fixed: boolean): string {
  const head = ['race', fixed ? 'clean' : 'reproduced', 'schedules', 'ms', 'invariant', 'step', 'switches', 'shrunk', 'ops', 'shrunk', 'replay (shrunk)'];
  const body = rows.map((r) => [
    r.race, !r.applies ? 'does not apply' : fixed ? (r.reproduced ? 'NO' : 'yes') : r.reproduced ? 'yes' : 'NO', String(r.schedules), String(r.ms), r.invariant ?? '-',
    r.step === null ? '-' : String(r.step), r.switches === null ? '-' : String(r.switches), r.shrunkSwitches === null ? '-' : String(r.shrunkSwitches),
    String(r.ops), r.shrunkOps === null ? '-' : String(r.shrunkOps),
    r.shrunk ?? r.schedule ?? (r.abnormal ? `(${r.abnormal.slice(0, 60)})` : '-'),
  ]);
  return text_table(head, body, () => true, true) + '\n';
}

export function registerRepro(program: Command): Command {
  return program
    .command('repro')
    .description('reproduce a catalogued race under the controlled scheduler (or show it stays clean with --fixed)')
    .argument('[race]', 'a race of scenarios/ (see --list), or "all"')
    .option('--list', 'list the races with their seed and one line each')
    .addOption(new Option('--design <name>', 'slot metadata design to run the races on (a race that needs another design "does not apply")').choices([...DESIGN_NAMES]).default('p4'))
    .addOption(new Option('--mode <mode>', 'pct (PCT priorities), random (uniform at every point) or stress (free-running)').choices(['pct', 'random', 'stress']).default('pct'))
    .option('--fixed', 'run without the bug switch: the search must stay clean')
    .option('--seed <n>', 'first seed of the search (schedule i uses seed + i)', int(0), 1)
    .option('--max-schedules <n>', 'schedules to try [default: the scenario\'s maxSchedules]', int(1))
    .option('--depth <d>', 'PCT depth: d - 1 priority change points [default: the scenario\'s]', int(1))
    .option('--seconds <s>', 'stop searching after s seconds (0: no limit)', int(0), 60)
    .option('--replay <string>', 're-execute a replay string (RACE@SEED[+fixed]:SCHEDULE) exactly, or a fuzz failure file (<corpus>/failures/*.json)')
    .option('--no-shrink', 'do not shrink a reproducing schedule (fewer context switches, same invariant)')
    .option('--trace <file>', 'write the timeline of the reproducing run (or of the replay) in the Chrome Trace Event Format (Perfetto, chrome://tracing)')
    .option('--json', 'one JSON document on stdout ({race, mode, fixed, reproduced, schedules, ms, seed, invariant, message, step, schedule, shrunk, switches, shrunkSwitches}; an array for "all")')
    .option('--dir <dir>', 'scenario folder', scenariosDir())
    .addHelpText('after', `
A replay string is printed for every reproduction; --replay runs it again
to the same violation at the same step.  --trace FILE draws that run: one
track per CPU, lock holds and RCU sections as spans, interleaving points and
the violation as instants (open it in https://ui.perfetto.dev); it draws
the shrunk schedule when there is one.  A reproducing schedule is shrunk:
context switches are removed while the same invariant still breaks, and
both the original and the shrunk replay strings are printed.

Exit status: 0 when every outcome is the expected one (reproduced with the
bug switch, clean with --fixed), 1 otherwise, 2 bad usage or a bad scenario
file, 3 the harness failed.`)
    .action(async (race: string | undefined, f: ReproFlags, cmd: Command): Promise<number> => {
      const out = cmd.configureOutput().writeOut!;
      const usage = (msg: string): never => cmd.error(msg, { exitCode: 2, code: 'swaptorture.usage' });
      if (!implemented_designs().includes(f.design)) usage(`--design: design "${f.design}" is not built yet (built: ${implemented_designs().join(', ')})`);
      let scenarios: Scenario[];
      try {
        if (f.list) {
          for (const sc of load_catalogue(f.dir)) out(`${sc.race.padEnd(26)} seed ${sc.seed.split(':')[0].slice(0, 40).padEnd(40)}  ${sc.title}\n`);
          return 0;
        }
        if (f.replay !== undefined && f.replay.endsWith('.json')) return await replay_corpus_file(f.replay, out, usage, f.json === true);
        if (f.replay !== undefined) {
          let name: string;
          try {
            name = parse_replay_string(f.replay).race;
          } catch (e) {
            return usage(`--replay: ${(e as Error).message}`);
          }
          if (race !== undefined && race !== name) usage(`--replay is for race "${name}", not "${race}"`);
          scenarios = [load_scenario(join(f.dir, `${name}.json`))];
        } else if (race === undefined) {
          return usage('name a race (see --list) or "all"');
        } else if (race === 'all') {
          scenarios = load_catalogue(f.dir);
        } else {
          const known = load_catalogue(f.dir).map((s) => s.race);
          if (!known.includes(race)) usage(`unknown race "${race}" (known: ${known.join(', ')})`);
          scenarios = [load_scenario(join(f.dir, `${race}.json`))];
        }
      } catch (e) {
        if (e instanceof ScenarioError) return usage(e.message);
        throw e;
      }
      const pool = new CpuPool(createArena({}), Math.max(2, ...scenarios.map((s) => s.cpus.length)));
      const results: ReproResult[] = [];
      try {
        for (const sc of scenarios) {
          let r = f.replay !== undefined
            ? await repro_replay(pool, sc, f.replay, f.trace)
            : await repro_search(pool, sc, {
              design: f.design, mode: f.mode, fixed: f.fixed ?? false, seed: f.seed, maxSchedules: f.maxSchedules ?? sc.maxSchedules, seconds: f.seconds, depth: f.depth,
            });
          if (f.replay === undefined && r.schedule !== null && f.shrink) r = await repro_shrink(pool, sc, r);
          /* The timeline of a search's reproducing run: replay it with recording on. */
          if (f.trace !== undefined && f.replay === undefined && r.schedule !== null) {
            const file = scenarios.length > 1 ? f.trace.replace(/(\.json)?$/, `.${sc.race}$1`) : f.trace;
            await repro_replay(pool, sc, r.shrunk ?? r.schedule, file);
            cmd.configureOutput().writeErr!(`swaptorture repro: timeline of ${sc.race} written to ${file}\n`);
          }
          results.push(r);
          if (!f.json && race !== 'all') {
            out(!r.applies
              ? `${r.race}: does not apply to design ${r.design} (the race is in: ${sc.designs.join(', ')})\n`
              : r.reproduced
              ? `${r.race}: reproduced after ${r.schedules} schedule(s), ${r.ms} ms: [${r.invariant}] ${r.message} (step ${r.step})\n` +
                `replay: npx swaptorture repro --replay '${r.schedule ?? ''}'` + (r.switches !== null ? `  (${r.switches} context switches, ${r.ops} operations)\n` : '\n') +
                (r.shrunk !== null ? `shrunk: npx swaptorture repro --replay '${r.shrunk}'  (${r.shrunkSwitches} context switches, ${r.shrunkOps} operations)\n` : '')
              : `${r.race}: not reproduced in ${r.schedules} schedule(s), ${r.ms} ms${r.fixed ? ' (clean, as expected with --fixed)' : ''}${r.abnormal ? `; a run ended abnormally: ${r.abnormal}` : ''}\n`);
          }
        }
      } finally {
        await pool.destroy();
      }
      if (f.json) out(JSON.stringify(race === 'all' ? results : results[0], null, 2) + '\n');
      else if (race === 'all') out(table(results, f.fixed ?? false));
      /* Expected: reproduced with the bug switch, clean without it (a replay string says which it ran). */
      const expected = results.every((r) => !r.applies || r.reproduced === !r.fixed);
      return expected ? 0 : 1;
    });
}
