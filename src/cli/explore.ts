/*
 * `swaptorture explore <race|scenario.json>` and `swaptorture explore
 * merge <result.json>...`: every schedule of a scenario up to K
 * preemptions, with partial-order reduction (src/harness/explore.ts,
 * src/sched/explore.ts), and the join of --shard results.
 *
 * Exit status: 0 exhausted, or the budget hit, without a violation;
 * 1 a violation; 2 bad usage (unknown race, bad K or shard, a scenario
 * file that does not load, results that do not belong together); 3 the
 * harness failed; 130 Ctrl-C.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { explore_scenario, ExploreHarnessError, reduction_text, type ExploreResult } from '../harness/explore.js';
import { explore_doc, explore_merge, ExploreMergeError, type ExploreDoc } from '../harness/explore_doc.js';
import { primary_design, repro_pool, repro_replay } from '../harness/repro.js';
import { output_file_problem } from '../harness/write_atomic.js';
import { scenario_fixed, ScenarioSetupError } from '../harness/scenario_build.js';
import { ProgressBar } from '../harness/progress.js';
import { catalogue_files, load_scenario, ScenarioError, scenariosDir } from '../scenario/load.js';
import type { Scenario } from '../scenario/fields.js';
import { DESIGN_NAMES, type DesignName } from '../mm/swap_design.js';
import { implemented_designs } from '../designs/index.js';
import { EXPLORE_MAX_PENDING, type Reduction } from '../sched/explore.js';
import { usage_error } from './usage.js';
import { describe, replay_command } from './repro_text.js';
import { parse_shard } from './shard.js';
import { sigint_abort } from './sigint.js';

interface ExploreFlags {
  preemptions: number;
  budgetSeconds: number;
  maxSchedules: number;
  shrink: boolean;
  design?: DesignName;
  fixed?: boolean;
  json?: boolean;
  shard: string;
  trace?: string;
  reduction: Reduction;
  dir: string;
}

function bound(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 16) throw new InvalidArgumentError('expected a whole number of preemptions, 0..16');
  return Number(v);
}

/* A budget flag's parser: a whole number of @unit, 0 for no limit. */
const budget = (unit: string) => (v: string): number => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a whole number of ${unit} (0: no limit)`);
  return Number(v);
};

/* The scenario: a path to a .json file, or a race of --dir; its folder (for the replay command). */
function explore_target(target: string, f: ExploreFlags, usage: (m: string) => never): { sc: Scenario; dir: string } {
  try {
    if (target.endsWith('.json')) return { sc: load_scenario(target), dir: dirname(target) };
    const files = catalogue_files(f.dir);
    const file = files.find((x) => basename(x, '.json') === target);
    if (file === undefined) return usage(`unknown race "${target}" in ${f.dir} (known: ${files.map((x) => basename(x, '.json')).join(', ') || 'none'}; or give a scenario .json file)`);
    return { sc: load_scenario(file), dir: f.dir };
  } catch (e) {
    if (e instanceof ScenarioError) return usage(e.message);
    throw e;
  }
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** A result (or a merge of shard results) as text. */
export function explore_text(d: ExploreDoc, reproText: string): string {
  const lines = [
    `explore ${d.race}: design ${d.design}, ${d.fixed ? 'fixed (--fixed)' : 'bug switch on'}, at most ${d.preemptions} preemption(s), shard ${d.shard}`,
    `reduction: ${reduction_text(d.reduction as Reduction)}`,
    `schedules explored: ${d.explored}`,
    `pruned (by the reduction): ${d.pruned}`,
    `beyond the bound (branches of more than ${d.preemptions} preemptions): ${d.beyondBound}`,
    `distinct terminal states: ${d.terminalStates}`,
    `elapsed: ${(d.ms / 1000).toFixed(1)} s (${d.schedulesPerSecond} schedules/s)`,
  ];
  if (d.verdict === 'violation') {
    lines.push(`violation: ${d.violation!.preemptions} preemption(s) expose it, and no schedule with fewer does (found in round ${d.violation!.preemptions})`);
  } else if (d.verdict === 'exhausted') {
    lines.push(`exhausted: no violation with ≤${d.preemptions} preemptions`);
  } else {
    const what = d.verdict === 'incomplete' ? 'incomplete (shards missing)' : d.verdict === 'interrupted' ? 'interrupted'
      : d.stoppedBy === 'memory' ? `budget hit (memory: more than ${EXPLORE_MAX_PENDING} branches queued)`
        : d.stoppedBy === 'schedules' ? 'budget hit (--max-schedules)' : 'budget hit';
    lines.push(`${what}: covered at most ${pct(d.coverageEstimate ?? 0)} of the tree up to ${d.preemptions} preemptions (an estimate: each of the ${d.pending} branches not run counted as one schedule, though its subtree may hold many)`);
  }
  return lines.join('\n') + '\n' + reproText;
}

/* `swaptorture explore`: the search, its violation shrunk and (--trace) drawn, the report.  Returns the exit status. */
async function explore_action(target: string, f: ExploreFlags, cmd: Command): Promise<number> {
  const out = cmd.configureOutput().writeOut!;
  const err = cmd.configureOutput().writeErr!;
  const usage = usage_error(cmd);
  const shard = parse_shard(f.shard, usage);
  /* Before the search: a timeline that cannot be written would lose what the search found. */
  const traceProblem = f.trace === undefined ? null : output_file_problem(f.trace);
  if (traceProblem !== null) usage(`--trace: ${traceProblem}`);
  const { sc, dir } = explore_target(target, f, usage);
  const design = f.design ?? primary_design(sc);
  if (design === null || !implemented_designs().includes(design)) usage(`--design: design "${design ?? sc.designs[0]}" is not built yet (built: ${implemented_designs().join(', ')})`);
  if (!sc.designs.includes(design!)) usage(`${sc.race} does not apply to design ${design} (the race is in: ${sc.designs.join(', ')})`);
  const sigint = sigint_abort(err, '\nswaptorture explore: SIGINT: stopping after the schedule in flight (Ctrl-C again to quit at once)\n');
  const bar = !f.json && process.stderr.isTTY === true && !process.env.CI ? new ProgressBar(err) : null;
  const pool = repro_pool([sc]);
  let r: ExploreResult;
  try {
    r = await explore_scenario(pool, sc, {
      design: design!, fixed: scenario_fixed(sc, f.fixed === true), bound: f.preemptions, reduction: f.reduction, shard, seconds: f.budgetSeconds, maxSchedules: f.maxSchedules, shrink: f.shrink, signal: sigint.signal,
      progress: bar === null ? undefined : (s, ms) => bar.update(
        f.maxSchedules > 0 ? s.explored / f.maxSchedules : f.budgetSeconds > 0 ? ms / 1000 / f.budgetSeconds : s.round / (f.preemptions + 1),
        `round ${s.round}/${f.preemptions}  ${s.explored} schedules  ${s.pruned} pruned  ${s.terminals.size} terminal states  ${(s.explored / (ms / 1000)).toFixed(1)}/s`),
    });
    bar?.clear();
    if (f.trace !== undefined && r.violation !== null) {
      await repro_replay(pool, sc, r.violation.repro.shrunk ?? r.violation.repro.schedule!, f.trace);
      err(`swaptorture explore: timeline of ${sc.race} written to ${f.trace}\n`);
    }
  } catch (e) {
    bar?.clear();
    if (e instanceof ScenarioSetupError) return usage(new ScenarioError(target, e.field, e.reason).message);
    if (e instanceof ExploreHarnessError) {
      err(`swaptorture explore: harness failure: ${e.message}\n`);
      return 3;
    }
    throw e;
  } finally {
    sigint.off();
    await pool.destroy();
  }
  const doc = explore_doc(r);
  if (f.json) out(JSON.stringify(doc, null, 2) + '\n');
  else out(explore_text(doc, r.violation === null ? '' : describe(r.violation.repro, sc, dir)));
  if (r.verdict === 'violation') return 1;
  return r.verdict === 'interrupted' ? 130 : 0;
}

/* `swaptorture explore merge FILE...`: shard results joined. */
function explore_merge_action(files: string[], f: { json?: boolean }, cmd: Command): number {
  const out = cmd.configureOutput().writeOut!;
  const usage = usage_error(cmd);
  const docs = files.map((file) => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as unknown;
    } catch (e) {
      return usage(`${file}: ${(e as Error).message}`);
    }
  });
  let d: ExploreDoc;
  try {
    d = explore_merge(docs, files);
  } catch (e) {
    if (e instanceof ExploreMergeError) return usage(e.message);
    throw e;
  }
  if (f.json || cmd.parent?.opts().json) out(JSON.stringify(d, null, 2) + '\n');
  else {
    const v = d.violation;
    out(explore_text(d, v === null ? '' : `[${v.invariant}] ${v.message} (step ${v.step})\n` +
      (v.replay !== null ? `replay: ${replay_command(scenariosDir(), v.replay)}\n` : '') +
      (v.shrunk !== null && v.shrunk !== v.replay ? `shrunk: ${replay_command(scenariosDir(), v.shrunk)}\n` : '')));
  }
  return d.verdict === 'violation' ? 1 : 0;
}

const EXPLORE_HELP = `
Round k runs every schedule of exactly k preemptions (a preemption: switching
away from a task that could go on; switching when it blocks, waits or ends is
free), k = 0..K, each on the system repro builds (booted once, its memory
restored for every schedule).  Schedules that differ only in the order of
independent steps are run once (--reduction sleep: sleep sets; dpor: only
the alternatives the races of a run demand); the output says which
reduction ran.

The verdict is one of: "exhausted: no violation with ≤K preemptions";
"violation" (the fewest preemptions that expose it, and the replay string as
repro prints it, shrunk; it replays with 'swaptorture repro --replay'); or
"budget hit" (--budget-seconds, --max-schedules) with the covered fraction
(an estimate).  --shard k/n runs a
part of the tree; 'swaptorture explore merge a.json b.json ...' joins the
--json results.

Exit status: 0 exhausted or budget hit without a violation, 1 a violation,
2 bad usage, 3 harness failure, 130 interrupted (Ctrl-C; what was covered is
printed).`;

/** The `explore` and `explore merge` subcommands. */
export function registerExplore(program: Command): Command {
  const explore = program
    .command('explore')
    .description('every schedule of a scenario up to K preemptions (iterative context bounding, partial-order reduction): exhausted, a violation, or the budget hit')
    .argument('<race|scenario.json>', 'a race of --dir (see repro --list), or a scenario file')
    .option('--preemptions <k>', 'K: explore schedules of at most K preemptions', bound, 2)
    .option('--budget-seconds <s>', 'stop after s seconds (0: no limit)', budget('seconds'), 0)
    .option('--max-schedules <n>', 'stop after n schedules (0: no limit): a budget that does not depend on the machine', budget('schedules'), 0)
    .option('--no-shrink', 'report a violation\'s schedule as found, not shrunk')
    .addOption(new Option('--design <name>', 'slot metadata design [default: the race\'s first of p4, p3, p2, ghost, vswap]').choices([...DESIGN_NAMES]))
    .option('--fixed', 'without the bug switch: is the fix correct for every schedule up to K?')
    .addOption(new Option('--reduction <r>', 'partial-order reduction: dpor (dynamic partial-order reduction over recorded footprints), sleep (sleep sets over them) or none (every schedule)').choices(['dpor', 'sleep', 'none']).default('sleep'))
    .option('--shard <k/n>', 'explore only shard k of n of the schedule tree (by the first deviation from the non-preemptive schedule)', '1/1')
    .option('--trace <file>', 'write the timeline of the violating run (shrunk) in the Chrome Trace Event Format')
    .option('--json', 'one JSON document on stdout: {race, design, fixed, preemptions, reduction, shard, explored, pruned, beyondBound, terminalStates, terminals, ms, schedulesPerSecond, verdict, stoppedBy, pending, coverageEstimate, violation: {preemptions, invariant, message, step, replay, shrunk, switches, shrunkSwitches} | null}')
    .option('--dir <dir>', 'scenario folder of the races', scenariosDir())
    .addHelpText('after', EXPLORE_HELP)
    .action(explore_action);
  explore
    .command('merge')
    .description('join explore --json results of shards of one exploration (same race, K, design, --fixed and reduction)')
    .argument('<results...>', 'explore --json output files')
    .option('--json', 'the joined result as JSON')
    .action(explore_merge_action);
  return explore;
}
