/*
 * `swaptorture mutate`: the mutation kill matrix - plant the mistakes a
 * port of a patch could make (deleted locks, RCU and reference calls,
 * early unlocks, dropped re-checks, border off-by-ones, lost or doubled
 * count updates, swapped lock order) in src/mm and src/designs, and see
 * which part of the testbed catches each (src/harness/mutate_*.ts).
 *
 * Exit status: 0 the campaign finished (survivors are findings in the
 * report, not failures), 2 bad usage (a flag, the journal, the
 * equivalents file), 3 the harness failed (an unmutated run failed, the
 * copy did not build), 130 interrupted (Ctrl-C: the summary of what
 * finished; --resume goes on).
 */
import { parse_shard } from './shard.js';
import type { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DESIGN_NAMES } from '../mm/swap_design.js';
import { implemented_designs } from '../designs/index.js';
import type { MutateParams } from '../harness/mutate_campaign.js';
import { DEFAULT_BUDGETS, DEFAULT_DESIGNS, MEMBER_NAMES, MUTATED_DIRS, OPERATORS, ts_files, type Operator } from '../harness/mutate_names.js';
import { changed_lines, glob_regexp, select_mutants } from '../harness/mutate_select.js';
import type { MutateSummary } from '../harness/mutate_report.js';
import { load_equivalents } from '../harness/mutate_equivalent.js';
import { text_table } from '../harness/text_table.js';
import { sigint_abort } from './sigint.js';
import { int, usage_error } from './usage.js';

interface MutateFlags {
  id?: string;
  changed?: string;
  files?: string;
  design: string;
  designs: string;
  jobs: number;
  shard: string;
  journal?: string;
  resume?: boolean;
  report: string;
  json?: boolean;
  operators?: string;
  members: string;
  limit?: number;
  seed: number;
  stressOps: number;
  fuzzRuns: number;
  schedules: number;
  exploreSchedules: number;
  races: number;
  unitFiles: number;
  unitTests?: string;
  equivalent: string;
  list?: boolean;
}


/* The package's root: two levels above this file in the sources (src/cli), three in the build (dist/src/cli). */
function package_root(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  return fileURLToPath(new URL(fromSource ? '../../' : '../../../', import.meta.url));
}

/* A comma list, each item one of @known (named @flag in the error). */
function list_of<T extends string>(text: string, known: readonly T[], flag: string, usage: (m: string) => never): T[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) usage(`${flag}: empty list`);
  for (const i of items) if (!(known as readonly string[]).includes(i)) usage(`${flag}: unknown "${i}" (known: ${known.join(', ')})`);
  return items as T[];
}

/* --id: a comma list of mutant ids. */
function ids_of(text: string, usage: (m: string) => never): number[] {
  const items = text.split(',').map((s) => s.trim());
  for (const i of items) if (!/^[1-9]\d{0,8}$/.test(i)) usage(`--id: "${i}" is not a mutant id (see --list)`);
  return items.map(Number);
}

/* --unit-tests: its globs, each matching a unit test file of the repository (undefined: not given). */
function unit_tests_of(text: string | undefined, usage: (m: string) => never): string[] | undefined {
  if (text === undefined) return undefined;
  const globs = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (globs.length === 0) usage('--unit-tests: no glob given');
  const tests = ts_files(package_root(), 'test').filter((t) => t.endsWith('.test.ts'));
  for (const g of globs) if (!tests.some((t) => glob_regexp(g).test(t))) usage(`--unit-tests: "${g}" matches no test file (test/*.test.ts)`);
  return globs;
}

/* The campaign's parameters from the flags (checked). */
function params_of(f: MutateFlags, usage: (m: string) => never): MutateParams {
  if (!(DESIGN_NAMES as readonly string[]).includes(f.design)) usage(`--design: unknown design "${f.design}" (known: ${DESIGN_NAMES.join(', ')})`);
  if (!(implemented_designs() as string[]).includes(f.design)) usage(`--design: design "${f.design}" is not built yet`);
  parse_shard(f.shard, usage);
  const others = list_of(f.designs, DESIGN_NAMES, '--designs', usage);
  for (const d of others) if (!(implemented_designs() as string[]).includes(d)) usage(`--designs: design "${d}" is not built yet`);
  return {
    design: f.design,
    designs: [...new Set([f.design, ...others])],
    seed: f.seed,
    members: list_of(f.members, MEMBER_NAMES, '--members', usage),
    budgets: { ...DEFAULT_BUDGETS, stressOps: f.stressOps, fuzzRuns: f.fuzzRuns, schedules: f.schedules, exploreSchedules: f.exploreSchedules, races: f.races, unitFiles: f.unitFiles, unitTests: unit_tests_of(f.unitTests, usage) },
    operators: f.operators === undefined ? null : list_of(f.operators, OPERATORS, '--operators', usage),
    ids: f.id === undefined ? null : ids_of(f.id, usage),
    files: f.files === undefined ? null : f.files.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    changed: f.changed ?? null,
    limit: f.limit ?? null,
    shard: f.shard,
  };
}

/* --resume: the journal's parameters; a flag given on the command line must match them. */
async function resume_params(f: MutateFlags, cmd: Command, fromFlags: MutateParams, journal: string, usage: (m: string) => never): Promise<MutateParams> {
  const { read_mutate_journal, ResumeMismatch } = await import('../harness/mutate_campaign.js');
  const { mutant_list } = await import('../harness/mutate_instrument.js');
  let header: MutateParams | null;
  try {
    header = read_mutate_journal(journal, null, new Map(mutant_list(package_root()).map((m) => [m.id, m]))).params;
  } catch (e) {
    if (e instanceof ResumeMismatch) return usage(e.message);
    throw e;
  }
  if (header === null) return fromFlags; /* nothing journalled yet: a fresh start */
  const given = (o: string): boolean => cmd.getOptionValueSource(o) === 'cli';
  const flagOf: Record<keyof MutateParams, string[]> = {
    ids: ['id'], design: ['design'], designs: ['design', 'designs'], seed: ['seed'], members: ['members'], budgets: ['stressOps', 'fuzzRuns', 'schedules', 'exploreSchedules', 'races', 'unitFiles', 'unitTests'],
    operators: ['operators'], files: ['files'], changed: ['changed'], limit: ['limit'], shard: ['shard'],
  };
  for (const k of Object.keys(flagOf) as (keyof MutateParams)[]) {
    if (flagOf[k].some(given) && JSON.stringify(fromFlags[k]) !== JSON.stringify(header[k])) {
      usage(`--resume: ${journal} was started with ${k} ${JSON.stringify(header[k])}, not ${JSON.stringify(fromFlags[k])}`);
    }
  }
  return header;
}

function print_summary(s: MutateSummary, out: (t: string) => void, interrupted: boolean, reportDir: string): void {
  const pct = s.score === null ? '-' : `${s.score.toFixed(1)} %`;
  out(text_table(['mutate', 'value'], [
    ['mutants', String(s.mutants)],
    ['killed', `${s.killed} (${Object.entries(s.killedBy).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}${s.timeouts > 0 ? `; ${s.timeouts} by a stall` : ''})`],
    ['survived', String(s.survived)],
    ['no coverage (no run of any design reaches it)', String(s.noCoverage)],
    ['equivalent', String(s.equivalent)],
    ['compile errors', String(s.compileErrors)],
    ...(s.pending > 0 ? [['not run yet', String(s.pending)]] : []),
    ['score (killed / (mutants - equivalent - compile errors))', pct],
    ['covered score (killed / (the same - no coverage))', s.coveredScore === null ? '-' : `${s.coveredScore.toFixed(1)} %`],
    ['median time to kill', s.medianKillMs === null ? '-' : `${(s.medianKillMs / 1000).toFixed(1)} s`],
    ...(interrupted ? [['interrupted', 'Ctrl-C: the finished mutants are journalled; --resume goes on']] : []),
  ]) + '\n');
  out('\n' + text_table(['operator', 'mutants', 'killed', 'survived', 'no coverage'], Object.entries(s.byOperator).map(([op, v]) => [op, String(v.total), String(v.killed), String(v.survived), String(v.noCoverage)]), (c) => c === 0) + '\n');
  if (s.survivors.length > 0) {
    out('\nsurvivors (gaps: no member caught them, or no run reaches them; mark the equivalent ones in mutants/equivalent.json):\n');
    out(text_table(['id', 'where', 'operator', 'function', 'status', 'reached by', 'mutation'], s.survivors.map((v) => [
      String(v.id), `${v.file}:${v.line}`, v.operator, v.fn, v.status, v.reachedBy.join(',') || '-', `${one_line(v.original)} -> ${v.replacement === '' ? '(deleted)' : one_line(v.replacement)}`,
    ]), (c) => c > 0) + '\n');
  }
  out(`\nreport: ${join(reportDir, 'mutation.html')} (${join(reportDir, 'mutation.json')})\n`);
}

const one_line = (s: string): string => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 70 ? `${t.slice(0, 67)}...` : t;
};

async function mutate_action(f: MutateFlags, cmd: Command): Promise<number> {
  const out = cmd.configureOutput().writeOut!;
  const err = cmd.configureOutput().writeErr!;
  const usage = usage_error(cmd);
  const repo = package_root();
  if (!existsSync(join(repo, 'src/mm')) || !existsSync(join(repo, 'tsconfig.json'))) usage(`mutate needs the source tree (src/mm, tsconfig.json under ${repo}): run it in a clone of the repository`);
  const journal = resolve(f.journal ?? join('.swaptorture/mutate', f.shard === '1/1' ? 'journal.jsonl' : `journal-${f.shard.replace('/', 'of')}.jsonl`));
  let params = params_of(f, usage);
  let equivalents;
  try {
    equivalents = load_equivalents(resolve(repo, f.equivalent));
  } catch (e) {
    return usage(`--equivalent: ${(e as Error).message}`);
  }
  /* The flags are checked: now the modules that parse and instrument the model (the TypeScript compiler among them). */
  const { apply_equivalents, ResumeMismatch, run_mutate } = await import('../harness/mutate_campaign.js');
  const { mutant_list } = await import('../harness/mutate_instrument.js');
  const { mutate_summary, mutation_report, report_html } = await import('../harness/mutate_report.js');
  if (f.resume) params = await resume_params(f, cmd, params, journal, usage);
  const all = mutant_list(repo);
  let changed = null;
  if (params.changed !== null) {
    try {
      changed = changed_lines(repo, params.changed, MUTATED_DIRS);
    } catch (e) {
      return usage((e as Error).message);
    }
  }
  /* A selection that names what is not there is a mistake, not an empty campaign (--changed may well select nothing). */
  const missingId = params.ids?.find((id) => id > all.length);
  if (missingId !== undefined) return usage(`--id: no mutant ${missingId} (the model's are 1 to ${all.length}; see --list)`);
  const noFile = params.files?.find((g) => !all.some((m) => glob_regexp(g).test(m.file)));
  if (noFile !== undefined) return usage(`--files: "${noFile}" matches no file with mutants (see --list)`);
  const [k, n] = params.shard.split('/').map(Number);
  const selected = select_mutants(all, {
    ids: params.ids === null ? null : new Set(params.ids), files: params.files, operators: params.operators === null ? null : new Set(params.operators as Operator[]), changed, limit: params.limit, shard: { k, n },
  });
  if (f.list) {
    if (f.json) out(JSON.stringify(selected.map(({ id, key, file, line, column, operator, fn, original, replacement }) => ({ id, key, file, line, column, operator, function: fn, original, replacement })), null, 2) + '\n');
    else for (const m of selected) out(`${m.id}\t${m.file}:${m.line}\t${m.operator}\t${m.fn}\t${one_line(m.original)} -> ${m.replacement === '' ? '(deleted)' : one_line(m.replacement)}\n`);
    return 0;
  }
  const sigint = sigint_abort(err, '\nswaptorture mutate: SIGINT: stopping (finished mutants are journalled; --resume goes on; Ctrl-C again to quit at once)\n');
  const t0 = performance.now();
  try {
    const r = await run_mutate({ repo, params, all, selected, jobs: f.jobs, journal, resume: f.resume === true }, {
      err,
      onResult: (x, done, total) => {
        const m = all[x.id - 1];
        err(`[${done}/${total}] #${x.id} ${m.file}:${m.line} ${m.operator}: ${x.status}${x.killedBy ? ` by ${x.killedBy}` : ''} (${(x.ms / 1000).toFixed(1)} s)\n`);
      },
    }, sigint.signal);
    const byId = new Map(all.map((m) => [m.id, m]));
    const results = apply_equivalents(r.results, byId, equivalents);
    const summary = mutate_summary(selected, results);
    const reportDir = resolve(f.report);
    mkdirSync(reportDir, { recursive: true });
    const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
    const report = mutation_report(repo, selected, results, params, version);
    writeFileSync(join(reportDir, 'mutation.json'), JSON.stringify(report, null, 2) + '\n');
    try {
      writeFileSync(join(reportDir, 'mutation.html'), report_html(report));
    } catch (e) {
      err(`swaptorture mutate: no mutation.html: ${(e as Error).message}\n`);
    }
    const seconds = (performance.now() - t0) / 1000;
    if (f.json) out(JSON.stringify({ ...summary, executed: r.executed, seconds, interrupted: r.interrupted, journal, report: join(reportDir, 'mutation.json'), html: join(reportDir, 'mutation.html') }, null, 2) + '\n');
    else {
      print_summary(summary, out, r.interrupted, reportDir);
      err(`swaptorture mutate: ${r.executed} mutants run in ${seconds.toFixed(0)} s; journal ${journal}\n`);
    }
    return r.interrupted ? 130 : 0;
  } catch (e) {
    if (e instanceof ResumeMismatch) return usage(e.message);
    throw e;
  } finally {
    sigint.off();
  }
}

const MUTATE_HELP = `
Operators: ${OPERATORS.join(', ')}.
Portfolio, per mutant, until one kills it: unit (vitest on the test files
whose unmutated runs reach the mutated line, --unit-files of them: first
those reaching most of the function's other sites), race
(repro RACE --fixed of the races whose unmutated runs execute the mutant's
site), explore (explore RACE --fixed --preemptions 2 of the same races, the
first --explore-schedules schedules, fewest preemptions first), stress (--stress-ops, --seed) and fuzz (--fuzz-runs, --seed), each if
its unmutated run executes the site; race, explore, stress and fuzz on --design and
then on each of --designs (killedBy "stress[ghost]").
Killed: a run exits non-zero or by a signal (an invariant broke, a test
failed, a crash).  Timeout: a run past max(5 x its quiet duration, quiet +
30 s), a stall.  NoCoverage: no run of any design reaches the site (the
covered score leaves these out).  CompileError: the
mutant alone does not type-check.  Survivors listed in --equivalent are
reported Ignored (equivalent).
Exit status: 0 the campaign finished, 2 bad usage, 3 harness failure,
130 interrupted (Ctrl-C; --resume goes on).`;

export function registerMutate(program: Command): Command {
  return program
    .command('mutate')
    .description('mutation kill matrix: plant concurrency mistakes in src/mm and src/designs and report what catches each')
    .option('--id <list>', 'only these mutants, comma separated ids (as --list shows them)')
    .option('--changed <git-ref>', 'only mutants on lines changed since this git revision (git diff REF: committed and uncommitted)')
    .option('--files <globs>', 'only files matching these globs, comma separated (src/mm/swapfile.ts, src/mm/swap_*.ts, src/**)')
    .option('--operators <list>', `only these operators, comma separated (${OPERATORS.join(', ')})`)
    .option('--limit <n>', 'at most n mutants, spread evenly over the selection', int(1))
    .option('--design <name>', 'the primary design: the race, explore, stress and fuzz members run on it first', 'p4')
    .option('--designs <list>', 'the other designs they run on, each where its unmutated run executes the site', DEFAULT_DESIGNS.join(','))
    .option('--members <list>', `portfolio members, in this order (${MEMBER_NAMES.join(', ')})`, MEMBER_NAMES.join(','))
    .option('--seed <n>', 'seed of the stress and fuzz runs and the first repro schedule', int(0, 0xffffffff), 1)
    .option('--stress-ops <n>', 'stress member: operations per CPU', int(1), DEFAULT_BUDGETS.stressOps)
    .option('--fuzz-runs <n>', 'fuzz member: executions', int(1), DEFAULT_BUDGETS.fuzzRuns)
    .option('--schedules <n>', 'race member: schedules per race', int(1), DEFAULT_BUDGETS.schedules)
    .option('--explore-schedules <n>', 'explore member: schedules per race', int(1), DEFAULT_BUDGETS.exploreSchedules)
    .option('--races <n>', 'race and explore members: races per mutant, at most', int(1), DEFAULT_BUDGETS.races)
    .option('--unit-files <n>', 'unit member: test files per mutant, at most', int(1), DEFAULT_BUDGETS.unitFiles)
    .option('--unit-tests <globs>', 'unit member: pick only among these test files, comma separated (test/allocator.test.ts, test/swap_*.test.ts) [default: every unit test file, each measured once]')
    .option('--jobs <n>', 'mutants at once (and baselines, in the baseline phase)', int(1, 16), 1)
    .option('--shard <k/n>', 'run only the selected mutants i (0-based, id order) with i mod n = k - 1', '1/1')
    .option('--journal <file>', 'the campaign journal (default .swaptorture/mutate/journal.jsonl, journal-KofN.jsonl for a shard)')
    .option('--resume', 'go on with the campaign of --journal: its parameters; finished mutants are not run again')
    .option('--report <dir>', 'where mutation.json (mutation-testing-report-schema) and mutation.html go', '.swaptorture/mutate')
    .option('--equivalent <file>', 'survivors judged equivalent (relative to the repository)', 'mutants/equivalent.json')
    .option('--list', 'list the selected mutants (id, file:line, operator, function, mutation) and exit')
    .option('--json', 'one JSON document on stdout: the summary (mutants, killed, killedBy, timeouts, survived, equivalent, noCoverage, compileErrors, pending, score, coveredScore, medianKillMs, byOperator, survivors: [{id, file, line, operator, fn, original, replacement, status, reachedBy}], executed, seconds, interrupted, journal, report, html); with --list, the mutants')
    .addHelpText('after', MUTATE_HELP)
    .action(mutate_action);
}
