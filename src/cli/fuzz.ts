/*
 * `swaptorture fuzz` and `swaptorture fuzz merge DIR...`: invariant
 * fuzzing campaigns (src/harness/fuzz.ts).
 *
 * Exit status: 1 when the campaign found a failure that was not in the
 * corpus before it, 0 when not, 2 bad usage, 3 the harness failed; 130
 * after Ctrl-C when nothing new was found (a new failure found before the
 * Ctrl-C is still 1; the finished runs are kept: --resume goes on; a
 * second Ctrl-C exits 130 at once).
 */
import type { Command } from 'commander';
import { randomInt } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DESIGN_NAMES, type DesignName } from '../mm/swap_design.js';
import { implemented_designs } from '../designs/index.js';
import { BUG_SWITCHES } from '../shm/bugs.js';
import { run_fuzz, type FuzzSummary } from '../harness/fuzz.js';
import { merge_corpora } from '../harness/fuzz_corpus.js';
import { corpus_journals } from '../harness/fuzz_journal.js';
import { fuzz_designs, resume_campaign, ResumeError } from '../harness/fuzz_params.js';
import { ProgressBar } from '../harness/progress.js';
import { text_table } from '../harness/text_table.js';
import { coverage_line, with_coverage_flag, type CoverageSummary, type ModelCoverageRun } from '../harness/coverage_report.js';
import { sigint_abort } from './sigint.js';
import { parse_shard } from './shard.js';
import { int, usage_error } from './usage.js';

interface FuzzFlags {
  runs?: number;
  seconds: number;
  seed?: number;
  jobs?: number;
  corpus: string;
  resume?: boolean;
  shard: string;
  bug?: string;
  design: string;
  maxCpus: number;
  guide: boolean;
  target: string;
  stopOnFind?: boolean;
  json?: boolean;
  statInterval: number;
  progress: boolean;
  coverage?: string;
}


/** "k/n" -> {k, n} (checked by the caller). */
function print_summary(r: FuzzSummary, out: (s: string) => void): void {
  out(text_table(['campaign', 'value'], [
    ['seed / shard', `${r.seed} / ${r.shard}`],
    ['runs (this invocation)', `${r.runs} (${r.executed})`],
    ['seconds', r.seconds.toFixed(1)],
    ['execs/s', r.execsPerSec.toFixed(2)],
    ['coverage pairs', String(r.coveragePairs)],
    ['abnormal runs (deadlock, livelock, crash)', String(r.abnormal)],
    ['unique failures (new)', `${r.uniqueFailures} (${r.newFailures})`],
    ...(r.interrupted ? [['interrupted', 'Ctrl-C: the runs in flight finished; --resume goes on']] : []),
  ]) + '\n');
  if (r.failures.length > 0) {
    out('\n' + text_table(['invariant', 'site', 'design', 'new', 'replay'], r.failures.map((f) => [f.invariant, f.site, f.design, f.fresh ? 'yes' : '', f.replay])) + '\n');
  }
}

/*
 * Default --jobs: one execution per core, as a fuzzer uses the machine it
 * is given (each job's CPU threads park while one runs, so a job is about
 * one core's worth); at most 4, past which the jobs' threads only queue.
 */
function default_jobs(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/* After the options in --help: the exit statuses, --resume, replays, shards. */
const FUZZ_HELP = `
Exit status: 1 a new failure was found (even if interrupted after), 0 none,
2 bad usage, 130 interrupted (Ctrl-C) with no new failure.  --resume takes
the campaign's parameters from its journal in --corpus; a flag given with
it must match the journal (exit 2 naming the flag and both values).
Every failure is printed with the command that replays it
(npx swaptorture repro --replay <corpus>/failures/<site>.json); so is every
abnormal run - a deadlock, a livelock, a stall, a case that could not be
set up - saved as <corpus>/abnormal/run-N.json (not a failure).
Shards (--shard k/n) split a campaign by run index: run them as a CI
matrix or a Kubernetes Indexed Job, then 'swaptorture fuzz merge DIR...'.`;

/* Check the flags that need no journal: --shard, --design, --bug, --target.  Returns the designs asked for. */
function fuzz_check_flags(f: FuzzFlags, usage: (m: string) => never): DesignName[] {
  parse_shard(f.shard, usage);
  const built = implemented_designs();
  const designs = (f.design === 'all' ? built : f.design.split(',')) as DesignName[];
  for (const d of designs) {
    if (!(DESIGN_NAMES as readonly string[]).includes(d)) usage(`--design: unknown design "${d}" (known: ${DESIGN_NAMES.join(', ')})`);
    if (!built.includes(d)) usage(`--design: design "${d}" is not built yet`);
  }
  if (f.bug !== undefined && !BUG_SWITCHES.some((b) => b.name === f.bug)) usage(`--bug: unknown bug switch "${f.bug}" (see swaptorture stress --list-bugs)`);
  if (f.target !== 'model' && f.target !== 'synthetic') usage(`--target: "${f.target}" is not model or synthetic`);
  if (f.target === 'synthetic' && f.bug !== undefined) usage('--bug: the synthetic target has no bug switches (its bug is always there)');
  return designs;
}

/* What makes the campaign: from the flags, or on --resume from its journal. */
interface FuzzParams {
  seed: number;
  shard: string;
  bug: string | null;
  maxCpus: number;
  target: 'model' | 'synthetic';
  guide: boolean;
  /** The designs drawn from (fuzz_designs() of --design and --bug). */
  designs: DesignName[];
}

/* --resume: the journalled campaign's parameters; a flag given must match them (a ResumeError names it). */
function fuzz_resume_params(f: FuzzFlags, cmd: Command, designs: DesignName[], err: (s: string) => void): FuzzParams {
  /* Flags left at their default: --resume takes those from the journal. */
  const given = (name: string): boolean => cmd.getOptionValueSource(name) === 'cli';
  const c = resume_campaign(f.corpus, {
    seed: f.seed, shard: given('shard') ? f.shard : undefined, bug: f.bug, designs: given('design') ? designs : undefined,
    maxCpus: given('maxCpus') ? f.maxCpus : undefined, target: given('target') ? f.target as 'model' | 'synthetic' : undefined, guide: given('guide') ? f.guide : undefined,
  });
  const { seed, shard, bug, maxCpus, target, guide } = c.params;
  err(`swaptorture fuzz: resuming ${c.file}: seed ${seed}, shard ${shard}, ${c.runs} runs journalled\n`);
  return { seed, shard, bug, maxCpus, target, guide, designs: c.params.designs as DesignName[] };
}

/* The campaign's parameters: the flags (a seed drawn and printed when not given), or the journal's on --resume. */
function fuzz_params(f: FuzzFlags, cmd: Command, err: (s: string) => void): FuzzParams {
  const usage = usage_error(cmd);
  const designs = fuzz_check_flags(f, usage);
  const drawn = fuzz_designs(f.bug ?? null, designs);
  if (drawn.length === 0) usage(`--bug ${f.bug}: no design of --design ${f.design} has its code (the race applies to ${fuzz_designs(f.bug ?? null, DESIGN_NAMES).join(', ')})`);
  if (f.resume) {
    try {
      return fuzz_resume_params(f, cmd, designs, err);
    } catch (e) {
      if (e instanceof ResumeError) return usage(e.message);
      throw e;
    }
  }
  const seed = f.seed ?? randomInt(0, 2 ** 31);
  if (f.seed === undefined) err(`swaptorture fuzz: seed ${seed}\n`);
  return { seed, shard: f.shard, bug: f.bug ?? null, maxCpus: f.maxCpus, target: f.target as 'model' | 'synthetic', guide: f.guide, designs: drawn };
}

/* The campaign's summary: one JSON document, or the tables. */
function fuzz_print(r: FuzzSummary, json: boolean, out: (s: string) => void, coverage?: CoverageSummary): void {
  if (json) {
    out(JSON.stringify({ ...r, failures: r.failures.map(({ file, invariant, site, design, schedule }) => ({ file, invariant, site, design, schedule })), ...(coverage === undefined ? {} : { functionCoverage: coverage }) }, null, 2) + '\n');
    return;
  }
  print_summary(r, out);
  if (coverage !== undefined) out(`\nswaptorture fuzz: function coverage: ${coverage_line(coverage)} (report: ${coverage.file})\n`);
}

/* `swaptorture fuzz`: the parameters, the campaign (Ctrl-C ends it between runs), the summary.  Returns the exit status. */
async function fuzz_action(f: FuzzFlags, cmd: Command): Promise<number> {
  const corpusProblem = corpus_dir_problem(f.corpus);
  if (corpusProblem !== null) return usage_error(cmd)(`--corpus: ${corpusProblem}`);
  /* Collected from here: the flag checks run model code too (implemented_designs). */
  return with_coverage_flag(f.coverage, usage_error(cmd), (cov) => fuzz_campaign(f, cmd, cov));
}

/* What keeps @dir from being a corpus directory (an empty name, a file, a journal's name taken by a directory), or null. */
function corpus_dir_problem(dir: string): string | null {
  if (dir === '') return 'an empty directory name';
  if (!existsSync(dir)) return null;
  if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
  const taken = corpus_journals(dir).find((j) => existsSync(join(dir, j)) && statSync(join(dir, j)).isDirectory());
  return taken === undefined ? null : `${join(dir, taken)} is a directory, not a campaign journal`;
}

/* fuzz_action()'s campaign: the parameters, the runs, the summary (with @cov's).  Returns the exit status. */
async function fuzz_campaign(f: FuzzFlags, cmd: Command, cov: ModelCoverageRun | null): Promise<number> {
  const out = cmd.configureOutput().writeOut!;
  const err = cmd.configureOutput().writeErr!;
  const { seed, shard, bug, maxCpus, target, guide, designs } = fuzz_params(f, cmd, err);
  /* Every finished run is journalled as it finishes: quitting at once loses only the runs in flight. */
  const sigint = sigint_abort(err, '\nswaptorture fuzz: SIGINT: finishing the runs in flight (what finished is kept; --resume goes on; Ctrl-C again to quit at once)\n');
  const bar = f.progress && process.stderr.isTTY === true && !process.env.CI ? new ProgressBar(err) : null;
  try {
    const r = await run_fuzz({
      runs: f.runs ?? 0, seconds: f.seconds, seed, jobs: f.jobs ?? default_jobs(), corpus: f.corpus, resume: f.resume === true,
      shard: parse_shard(shard, usage_error(cmd)), bug, designs, maxCpus, guide, target, stopOnFind: f.stopOnFind === true, statIntervalS: f.statInterval,
    }, {
      out, err: (s) => { bar?.clear(); err(s); },
      onRun: bar === null ? undefined : (s) => bar.update(f.runs ? s.runs / f.runs : s.elapsed / f.seconds, `${s.runs} runs  ${s.pairs} pairs  ${s.unique} failures`),
    }, sigint.signal);
    bar?.clear();
    fuzz_print(r, f.json === true, out, await cov?.finish());
    /* A new failure is the news, interrupted or not. */
    if (r.newFailures > 0) return 1;
    return r.interrupted ? 130 : 0;
  } catch (e) {
    if (e instanceof ResumeError) return usage_error(cmd)(e.message);
    throw e;
  } finally {
    sigint.off();
  }
}

/* `swaptorture fuzz merge DIR...`: corpora into --into, failures de-duplicated by site, abnormal runs' records gathered. */
function fuzz_merge_action(dirs: string[], f: { into?: string; json?: boolean; failuresOnly?: boolean }, cmd: Command): number {
  const out = cmd.configureOutput().writeOut!;
  let r: ReturnType<typeof merge_corpora>;
  if (f.into === '') return usage_error(cmd)('--into: an empty directory name');
  try {
    r = merge_corpora(dirs, f.into ?? dirs[0], f.failuresOnly === true);
  } catch (e) {
    return usage_error(cmd)((e as Error).message);
  }
  /* --json after the directories may land on the parent command's option. */
  if (f.json || cmd.parent?.opts().json) out(JSON.stringify(r, null, 2) + '\n');
  else {
    const journals = r.runs === null ? 'journals not merged (--failures-only)' : `${r.runs} runs, ${r.coveragePairs} coverage pairs`;
    out(`merged ${dirs.length} corpora into ${f.into ?? dirs[0]}: ${journals}, ${r.uniqueFailures} unique failures, ${r.abnormal} abnormal runs\n`);
    for (const x of r.failures) out(`  [${x.invariant}] ${x.site} (${x.design}): ${x.replay}\n`);
  }
  return 0;
}

/** The `fuzz` and `fuzz merge` subcommands: their flags and help; fuzz_action() and fuzz_merge_action() run them. */
export function registerFuzz(program: Command): Command {
  const fuzz = program
    .command('fuzz')
    .description('invariant fuzzing campaign: generated configurations and schedules, coverage-guided; failures saved to a corpus')
    .option('--runs <n>', 'executions to run (default: as many as --seconds allows)', int(1))
    .option('--seconds <s>', 'stop after this long when --runs is not given', int(1), 60)
    .option('--seed <n>', 'campaign seed (printed when not given)', int(0, 0xffffffff))
    .option('--jobs <n>', 'executions at once, each on its own worker threads [default: the machine\'s cores, at most 4]', int(1, 16))
    .option('--corpus <dir>', 'where failures and the campaign journal go', '.swaptorture/corpus')
    .option('--resume', 'continue the campaign journalled in --corpus: its seed, shard, bug, designs, max CPUs, target and guidance come from the journal (a flag given must match it); finished runs are not repeated')
    .option('--shard <k/n>', 'run only run indices i with i mod n = k - 1', '1/1')
    .option('--bug <name>', 'turn a bug switch on (calibration: how fast is it found?)')
    .option('--design <list>', 'designs to draw from: all (every built one) or a comma list', 'all')
    .option('--target <name>', 'model (the swap model), or synthetic: the fuzzer\'s own calibration puzzle, a bug behind a rare pair of points', 'model')
    .option('--max-cpus <n>', 'simulated CPUs per execution, at most (2-8)', int(2, 8), 4)
    .option('--no-guide', 'no coverage guidance: every run a fresh draw')
    .option('--stop-on-find', 'end the campaign at the first failure new to the corpus (calibration)')
    .option('--stat-interval <s>', 'a stats line every S seconds (0: none)', int(0), 10)
    .option('--no-progress', 'no progress bar')
    .option('--coverage <file>', 'after the campaign, write which functions of the model (src/mm, src/designs, src/kmem) ran, with their call counts, to this JSON file, and print "N of M model functions ran; never ran: ..." (slower: V8 counts every call)')
    .option('--json', 'one JSON document on stdout: {runs, execsPerSec, coveragePairs, failures: [{file, invariant, site, design, schedule}], uniqueFailures, abnormal, abnormalRuns: [{file, index, design, outcome}], functionCoverage (with --coverage): {file, ran, total, neverRan: [{file, line, name}]}}')
    .addHelpText('after', FUZZ_HELP)
    .action(fuzz_action);
  fuzz
    .command('merge')
    .description('merge corpora (failures de-duplicated by site), campaign journals and abnormal runs\' records into --into')
    .argument('<dirs...>', 'corpus directories')
    .option('--into <dir>', 'where the merged corpus goes (default: the first directory)')
    .option('--failures-only', 'merge only the failures and abnormal runs\' records, not the journals: corpora of different campaigns (a corpus to triage; it cannot be --resume\'d as one campaign)')
    .option('--json', 'the merged summary as JSON ({runs, coveragePairs, uniqueFailures, failures, abnormal}; runs and coveragePairs null with --failures-only)')
    .action(fuzz_merge_action);
  return fuzz;
}
