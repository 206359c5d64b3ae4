/*
 * `swaptorture repro <race>|all [--list]`: reproduce the race catalogue
 * (scenarios/*.json) under the controlled scheduler, or show that the
 * fixed code stays clean under the same search (src/harness/repro.ts).
 * Without --design each race runs on its primary design (primary_design()).
 *
 * Exit status: 0 when every outcome is the expected one (reproduced with
 * the bug switch; clean with --fixed, which a run that ended abnormally is
 * not), 1 otherwise, 2 bad usage or a scenario file that cannot run (one
 * line each, FILE: FIELD: REASON; the other races still run), 3 the
 * harness failed.
 */
import { Option, type Command } from 'commander';
import { basename, dirname, join, resolve } from 'node:path';
import { CpuPool } from '../harness/cpus.js';
import { parse_replay_string, primary_design, workload_problem, repro_pool, repro_replay, repro_search, repro_shrink, type ReproMode, type ReproResult } from '../harness/repro.js';
import { output_file_problem } from '../harness/write_atomic.js';
import { fuzz_case_problem } from '../harness/fuzz_case_check.js';
import { MAX_PCT_DEPTH } from '../shm/layout.js';
import { scenario_fixed, ScenarioSetupError } from '../harness/scenario_build.js';
import { catalogue_files, load_catalogue_settled, load_scenario, ScenarioError, scenariosDir, type LoadedScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/fields.js';
import { DESIGN_NAMES, type DesignName } from '../mm/swap_design.js';
import { implemented_designs } from '../designs/index.js';
import { text_table } from '../harness/text_table.js';
import { existsSync, readFileSync } from 'node:fs';
import { fuzz_exec, fuzz_exec_teardown } from '../harness/fuzz_exec.js';
import { decode_schedule } from '../sched/schedule.js';
import type { FuzzCase } from '../harness/fuzz_types.js';
import { abnormal_outcome } from '../harness/fuzz_corpus.js';
import { int, usage_error } from './usage.js';
import { describe, replay_command } from './repro_text.js';
import { provenance_lines } from './provenance_text.js';
import { bug_switch } from '../shm/bugs.js';
import type { Provenance } from '../shm/bug_provenance.js';

/*
 * --replay FILE.json: a fuzzing campaign's failure record
 * (<corpus>/failures/*.json): its case re-executed under its schedule
 * (the shrunk one if there is one).  Exit 0 when the same invariant
 * breaks again, 1 when it does not.  Or an abnormal run's record
 * (<corpus>/abnormal/run-N.json): its case re-executed; exit 0 when it
 * ends the same way again (livelock, deadlock, ...), 1 when not.
 */
async function replay_corpus_file(file: string, out: (s: string) => void, usage: (m: string) => never, json: boolean): Promise<number> {
  let doc: { case: FuzzCase; invariant: string; schedule: string; shrunkSchedule: string | null; site: string; outcome?: string };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as typeof doc;
  } catch (e) {
    return usage(`--replay: ${file}: ${(e as Error).message}`);
  }
  const abnormal = typeof doc === 'object' && doc !== null && typeof doc.outcome === 'string';
  if (typeof doc !== 'object' || doc === null || typeof doc.case !== 'object' || doc.case === null || (!abnormal && typeof doc.invariant !== 'string')) {
    return usage(`--replay: ${file}: not a fuzz failure record (expected the fields case, invariant, schedule) nor an abnormal run's (case, outcome)`);
  }
  const caseProblem = fuzz_case_problem(doc.case);
  if (caseProblem !== null) return usage(`--replay: ${file}: ${caseProblem}`);
  if (abnormal) return replay_abnormal_file(file, doc.case, doc.outcome!, out, json);
  const schedule = doc.shrunkSchedule ?? doc.schedule;
  let record: number[] | undefined;
  try {
    if (schedule !== null && schedule !== undefined && typeof schedule !== 'string') throw new RangeError(`not a string: ${JSON.stringify(schedule)}`);
    record = schedule ? decode_schedule(schedule) : undefined;
  } catch (e) {
    return usage(`--replay: ${file}: ${doc.shrunkSchedule !== null && doc.shrunkSchedule !== undefined ? 'shrunkSchedule' : 'schedule'}: ${(e as Error).message}`);
  }
  try {
    const r = await fuzz_exec(doc.case, record);
    const hit = r.findings.find((x) => x.invariant === doc.invariant) ?? null;
    if (json) out(JSON.stringify({ file, reproduced: hit !== null, invariant: hit?.invariant ?? null, message: hit?.message ?? null, step: hit?.step ?? null, schedule: r.schedule }, null, 2) + '\n');
    else out(`${file}: ${hit !== null ? `reproduced: [${hit.invariant}] ${hit.message} (step ${hit.step})` : `not reproduced (${r.findings.length} other findings; ${r.abnormal ?? 'ran to the end'})`}\n`);
    return hit !== null ? 0 : 1;
  } finally {
    await fuzz_exec_teardown();
  }
}

/* An abnormal run's record re-executed: exit 0 when it ends as @outcome again, 1 when not. */
async function replay_abnormal_file(file: string, c: FuzzCase, outcome: string, out: (s: string) => void, json: boolean): Promise<number> {
  try {
    const r = await fuzz_exec(c);
    const again = r.abnormal !== null && abnormal_outcome(r.abnormal) === outcome;
    const how = r.abnormal ?? (r.findings.length > 0 ? `[${r.findings[0].invariant}] ${r.findings[0].message}` : 'ran to the end');
    if (json) out(JSON.stringify({ file, reproduced: again, outcome: r.abnormal === null ? null : abnormal_outcome(r.abnormal), abnormal: r.abnormal, steps: r.steps, findings: r.findings }, null, 2) + '\n');
    else out(`${file}: ${again ? `reproduced: ${how}` : `not reproduced (expected ${outcome}): ${how}`}${c.sched.kind === 'free' ? ' (a free-running run: it need not end the same way twice)' : ''}\n`);
    return again ? 0 : 1;
  } finally {
    await fuzz_exec_teardown();
  }
}

interface ReproFlags {
  list?: boolean;
  design?: DesignName;
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

/*
 * The outcome each result should have: reproduced with the bug switch;
 * clean with --fixed, which a run that did not end normally (deadlock,
 * livelock, a CPU that threw) is not.  A race that does not apply is neither.
 */
function as_expected(r: ReproResult): boolean {
  if (!r.applies) return true;
  return r.fixed ? !r.reproduced && r.abnormal === null : r.reproduced;
}

/* "12 -> 3" when shrinking changed @before, else "12". */
function shrunk_cell(before: number | null, after: number | null): string {
  if (before === null) return '-';
  return after === null || after === before ? String(before) : `${before} -> ${after}`;
}

function table(rows: ReproResult[], fixed: boolean): string {
  const head = ['race', 'design', fixed ? 'clean' : 'reproduced', 'schedules', 'ms', 'invariant', 'step', 'switches', 'ops', 'replay (shrunk)'];
  const body = rows.map((r) => [
    r.race, r.design, !r.applies ? 'does not apply' : as_expected(r) ? 'yes' : 'NO', String(r.schedules), String(r.ms), r.invariant ?? '-',
    r.step === null ? '-' : String(r.step), shrunk_cell(r.switches, r.shrunkSwitches), shrunk_cell(r.ops, r.shrunkOps),
    r.shrunk ?? r.schedule ?? (r.abnormal ? `(${r.abnormal.slice(0, 60)})` : '-'),
  ]);
  return text_table(head, body, () => true, true) + '\n';
}

/* The provenance of @sc's race: its bug switch's (the schema accepts known switches only); none without one. */
function provenance_of(sc: Scenario): Provenance | null {
  return sc.bug === undefined ? null : bug_switch(sc.bug)!.provenance;
}

/* --list: every race with its title, designs, bug switch, invariant and provenance, in full. */
function list(loaded: LoadedScenario[], json: boolean): string {
  if (json) {
    return JSON.stringify(loaded.map(({ file, sc }) => ({ race: sc.race, title: sc.title, designs: sc.designs, bug: sc.bug ?? null, invariant: sc.invariant ?? null, provenance: provenance_of(sc), file })), null, 2) + '\n';
  }
  return loaded.map(({ sc }) => {
    const p = provenance_of(sc);
    return `${sc.race}: ${sc.title}\n    designs ${sc.designs.join(', ')}; ` +
      (p === null ? 'no bug switch (runs as --fixed; every invariant checked)\n' : `bug switch ${sc.bug}; invariant ${sc.invariant}\n${provenance_lines(p).map((l) => `    provenance: ${l}\n`).join('')}`);
  }).join('');
}

/* After the options in --help: replay strings, timelines, bad scenario files, the exit statuses. */
const REPRO_HELP = `
A replay string is printed for every reproduction; --replay runs it again
to the same violation at the same step (with the same --dir for a race of
another folder).  --trace FILE draws that run: one
track per CPU, lock holds and RCU sections as spans, interleaving points and
the violation as instants (open it in https://ui.perfetto.dev); it draws
the shrunk schedule when there is one.  A reproducing schedule is shrunk:
context switches are removed while the same invariant still breaks, and
both the original and the shrunk replay strings are printed.

A scenario file that is not valid, or whose system or setup cannot be
built, is reported as "FILE: FIELD: REASON" on stderr; the other races
still run, and the exit status is then 2.

Exit status: 0 when every outcome is the expected one (reproduced with the
bug switch, clean with --fixed), 1 otherwise, 2 bad usage or a bad scenario
file, 3 the harness failed.`;

/* Scenario files that could not run: each reported as it is found (FILE: FIELD: REASON); the command then exits 2. */
class BrokenScenarios {
  n = 0;
  constructor(private readonly err: (s: string) => void) {}

  /* Report @e on stderr and count it. */
  report(e: ScenarioError): void {
    this.n++;
    this.err(`swaptorture repro: ${e.message}\n`);
  }
}

/* --list: every race of --dir (files that do not load reported). */
function repro_list(f: ReproFlags, out: (s: string) => void, broken: BrokenScenarios): number {
  const { loaded, errors } = load_catalogue_settled(f.dir);
  errors.forEach((e) => broken.report(e));
  out(list(loaded, f.json === true));
  return broken.n ? 2 : 0;
}

/* The races to run: the one a replay string names, "all" (files that do not load reported), or one by name. */
function repro_scenarios(race: string | undefined, f: ReproFlags, usage: (m: string) => never, broken: BrokenScenarios): LoadedScenario[] {
  const one = (file: string): LoadedScenario[] => [{ file, sc: load_scenario(file) }];
  if (f.replay !== undefined) {
    let name: string;
    try {
      name = parse_replay_string(f.replay).race;
    } catch (e) {
      return usage(`--replay: ${(e as Error).message}`);
    }
    if (race !== undefined && race !== name) usage(`--replay is for race "${name}", not "${race}"`);
    return one(join(f.dir, `${name}.json`));
  }
  if (race === undefined) return usage('name a race (see --list) or "all"');
  if (race === 'all') {
    const { loaded, errors } = load_catalogue_settled(f.dir);
    errors.forEach((e) => broken.report(e));
    return loaded;
  }
  const files = catalogue_files(f.dir);
  const file = files.find((x) => basename(x, '.json') === race);
  if (file === undefined) usage(`unknown race "${race}" in ${f.dir} (known: ${files.map((x) => basename(x, '.json')).join(', ') || 'none'})`);
  return one(file!);
}

/* One race: the replay, or the search, the shrink of a reproduction and (--trace) its timeline. */
async function repro_one(pool: CpuPool, sc: Scenario, f: ReproFlags, many: boolean, err: (s: string) => void): Promise<ReproResult> {
  if (f.replay !== undefined) return repro_replay(pool, sc, f.replay, f.trace);
  const design = f.design ?? primary_design(sc);
  let r = await repro_search(pool, sc, {
    design: design ?? sc.designs[0] /* none built: does not apply */, mode: f.mode, fixed: scenario_fixed(sc, f.fixed ?? false), seed: f.seed, maxSchedules: f.maxSchedules ?? sc.maxSchedules, seconds: f.seconds, depth: f.depth,
  });
  if (r.schedule !== null && f.shrink) r = await repro_shrink(pool, sc, r);
  /* The timeline of a search's reproducing run: replay it with recording on. */
  if (f.trace !== undefined && r.schedule !== null) {
    const trace = many ? f.trace.replace(/(\.json)?$/, `.${sc.race}$1`) : f.trace;
    await repro_replay(pool, sc, r.shrunk ?? r.schedule, trace);
    err(`swaptorture repro: timeline of ${sc.race} written to ${trace}\n`);
  }
  return r;
}

/* Every race on one CPU pool, each outcome described as it comes (one race); a system that cannot be set up is reported and skipped. */
async function repro_run(scenarios: LoadedScenario[], race: string | undefined, f: ReproFlags, cmd: Command, broken: BrokenScenarios): Promise<ReproResult[]> {
  const out = cmd.configureOutput().writeOut!;
  const pool = repro_pool(scenarios.map((l) => l.sc));
  const results: ReproResult[] = [];
  try {
    for (const { file, sc } of scenarios) {
      let r: ReproResult;
      try {
        r = await repro_one(pool, sc, f, scenarios.length > 1, cmd.configureOutput().writeErr!);
      } catch (e) {
        if (!(e instanceof ScenarioSetupError)) throw e;
        broken.report(new ScenarioError(file, e.field, e.reason));
        continue;
      }
      results.push(r);
      if (!f.json && race !== 'all') out(describe(r, sc, f.dir));
    }
  } finally {
    await pool.destroy();
  }
  return results;
}

/* A result as --json prints it: with its race's bug switch and the switch's provenance. */
function result_doc(r: ReproResult, scenarios: LoadedScenario[]): ReproResult & { bug: string | null; provenance: Provenance | null } {
  const sc = scenarios.find((l) => l.sc.race === r.race)!.sc;
  const { race, ...rest } = r;
  return { race, bug: sc.bug ?? null, provenance: provenance_of(sc), ...rest };
}

/* The outcome: one JSON document (an array for "all"), or the table for "all"; the exit status. */
function repro_report(results: ReproResult[], scenarios: LoadedScenario[], race: string | undefined, f: ReproFlags, out: (s: string) => void, broken: BrokenScenarios): number {
  /* A single race that could not run has no document (its error is on stderr). */
  if (f.json && (race === 'all' || results.length > 0)) {
    const docs = results.map((r) => result_doc(r, scenarios));
    out(JSON.stringify(race === 'all' ? docs : docs[0], null, 2) + '\n');
  } else if (race === 'all') {
    out(table(results, f.fixed ?? false));
    if (resolve(f.dir) !== resolve(scenariosDir()) && results.some((r) => r.schedule !== null)) out(`replay one: ${replay_command(f.dir, '<replay string>')}\n`);
  }
  if (broken.n) return 2;
  return results.every(as_expected) ? 0 : 1;
}

/* `swaptorture repro`: --list, a fuzz failure file, or the races to run; run them; report.  Returns the exit status. */
async function repro_action(race: string | undefined, f: ReproFlags, cmd: Command): Promise<number> {
  const out = cmd.configureOutput().writeOut!;
  const usage = usage_error(cmd);
  /* A scenario file by its path (as explore takes one): the race of that name in its folder, which the replay commands then name with --dir. */
  if (race !== undefined && race.endsWith('.json')) {
    if (cmd.getOptionValueSource('dir') === 'cli') usage(`--dir: a scenario file's folder is its --dir; give the race by name with --dir, or its file without it`);
    if (!existsSync(race)) usage(`${race}: no such scenario file`);
    f = { ...f, dir: dirname(race) };
    race = basename(race, '.json');
  }
  if (f.design !== undefined && !implemented_designs().includes(f.design)) usage(`--design: design "${f.design}" is not built yet (built: ${implemented_designs().join(', ')})`);
  /* Before the search: a timeline that cannot be written would lose what the search found. */
  const traceProblem = f.trace === undefined ? null : output_file_problem(f.trace);
  if (traceProblem !== null) usage(`--trace: ${traceProblem}`);
  /* A replay re-executes what its string or file says: a flag that would choose otherwise is not taken silently. */
  if (f.replay !== undefined) {
    const clash = ['fixed', 'design', 'mode', 'seed', 'depth', 'maxSchedules', 'seconds'].find((o) => cmd.getOptionValueSource(o) === 'cli');
    if (clash !== undefined) usage(`--${clash.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: a replay runs as its ${f.replay.endsWith('.json') ? 'file' : 'string'} says (seed, design, +fixed, schedule); leave it out`);
    if (f.replay.endsWith('.json') && f.trace !== undefined) usage('--trace: a fuzz record\'s replay draws no timeline (repro --replay of its replay string does)');
  }
  const broken = new BrokenScenarios(cmd.configureOutput().writeErr!);
  let scenarios: LoadedScenario[];
  try {
    if (f.list) return repro_list(f, out, broken);
    if (f.replay !== undefined && f.replay.endsWith('.json')) return await replay_corpus_file(f.replay, out, usage, f.json === true);
    scenarios = repro_scenarios(race, f, usage, broken);
    /* A replay string's workload must fit its race before anything runs. */
    const w = f.replay === undefined ? null : parse_replay_string(f.replay).workload;
    const bad = w === null ? null : workload_problem(scenarios[0].sc, w);
    if (bad !== null) usage(`--replay: bad workload in replay string: ${bad}`);
  } catch (e) {
    if (e instanceof ScenarioError) return usage(e.message);
    throw e;
  }
  const results = await repro_run(scenarios, race, f, cmd, broken);
  return repro_report(results, scenarios, race, f, out, broken);
}

/** The `repro` subcommand: its flags and help; repro_action() runs it. */
export function registerRepro(program: Command): Command {
  return program
    .command('repro')
    .description('reproduce a catalogued race under the controlled scheduler (or show it stays clean with --fixed)')
    .argument('[race]', 'a race of scenarios/ (see --list), "all", or a scenario file (FOLDER/RACE.json: the race RACE of --dir FOLDER)')
    .option('--list', 'list the races: title, designs, bug switch, invariant and provenance (its bug switch\'s: kernel-fix, review or hypothetical, one line per commit or quote) of each')
    .addOption(new Option('--design <name>', 'slot metadata design to run the races on (a race that needs another design "does not apply") [default: each race on the first of p4, p3, p2, ghost, vswap its scenario lists]').choices([...DESIGN_NAMES]))
    .addOption(new Option('--mode <mode>', 'pct (PCT priorities), random (uniform at every point) or stress (free-running)').choices(['pct', 'random', 'stress']).default('pct'))
    .option('--fixed', 'run without the bug switch: the search must stay clean')
    .option('--seed <n>', 'first seed of the search (schedule i uses seed + i)', int(0, 0xffffffff), 1)
    .option('--max-schedules <n>', 'schedules to try [default: the scenario\'s maxSchedules]', int(1))
    .option('--depth <d>', 'PCT depth: d - 1 priority change points [default: the scenario\'s]', int(1, MAX_PCT_DEPTH))
    .option('--seconds <s>', 'stop searching after s seconds (0: no limit)', int(0), 60)
    .option('--replay <string>', 're-execute a replay string (RACE@SEED[+fixed]:SCHEDULE) exactly, or a fuzz failure file (<corpus>/failures/*.json) or abnormal run (<corpus>/abnormal/*.json)')
    .option('--no-shrink', 'do not shrink a reproducing schedule (fewer context switches, same invariant)')
    .option('--trace <file>', 'write the timeline of the reproducing run (or of the replay) in the Chrome Trace Event Format (Perfetto, chrome://tracing)')
    .option('--json', 'one JSON document on stdout ({race, bug, provenance: {kind, refs, ...}, design, mode, fixed, reproduced, schedules, ms, seed, invariant, message, step, schedule, shrunk, switches, shrunkSwitches}; an array for "all")')
    .option('--dir <dir>', 'scenario folder (a replay string of its races needs the same --dir)', scenariosDir())
    .addHelpText('after', REPRO_HELP)
    .action(repro_action);
}
