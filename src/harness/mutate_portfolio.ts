/*
 * The portfolio of `swaptorture mutate`: what is run against a mutant,
 * cheapest and most pointed first, each with a fixed budget; the first
 * run that fails kills the mutant.
 *
 *   unit    vitest on the test files whose unmutated run reaches the
 *           mutant's site (the line, not just its function: each
 *           instrumented site records that a run reached it,
 *           src/shm/mutant.ts, in vitest's transform of the sources and
 *           in the worker threads alike), those reaching the most of its
 *           function first, capped
 *   race    `repro <race> --fixed --design D` of each catalogued race on
 *           each of the campaign's designs it carries, whose racing
 *           CPUs execute the mutant's site (the sites their worker
 *           threads reached in the unmutated run, taken once per
 *           campaign: a site only the scenario's setup reaches, on the
 *           main thread, is no window the race opens); the primary design
 *           first
 *   explore `explore <race> --fixed --design D --preemptions 2
 *           --max-schedules N` of the same races and of the
 *           interleavings (scenarios/interleavings/: operations on
 *           shared state no bug switch names) whose racing CPUs execute
 *           the site in the unmutated exploration: every schedule of 0,
 *           then 1, then 2 preemptions, until N
 *   stress  `stress --ops N --seed S --swapoff-cycles 2` on each design
 *           whose unmutated run executes the site, the primary design
 *           first
 *   fuzz    `fuzz --runs N --seed S` on each design, into a fresh corpus,
 *           whose unmutated run executes the site
 *
 * The designs: the primary one (--design) and the others the campaign
 * names (--designs): code only the ghost or vswap design runs is tested
 * by their runs, not "unreachable".  A run on a design is named
 * member[design] in the report (killedBy "stress[ghost]").
 *
 * A member is one object behind PortfolioMember: its name, its set-up
 * (the runs whose coverage it needs, taken on the unmutated copy) and the
 * runs it has for a mutant.  Adding a member is one more entry in
 * make_portfolio().
 *
 * Every run is a child process in the instrumented copy, the mutant
 * selected by SWAPTORTURE_MUTANT; its verdict (mutate_exec.ts): exit 0
 * survived it; any other status or a signal killed the mutant (an
 * invariant broke, a test failed, the harness crashed); past its timeout
 * (several times the run's quiet duration on the unmutated copy) it is a
 * stall: status Timeout.
 *
 * Context: main thread.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';
import { load_catalogue } from '../scenario/load.js';
import type { Scenario } from '../scenario/fields.js';
import type { Mutant } from './mutate_instrument.js';
import { MEMBER_NAMES, ts_files, type MemberName, type PortfolioBudgets } from './mutate_names.js';
import { glob_regexp } from './mutate_select.js';

/** One run of a member: a node command line in the instrumented copy. */
export interface MemberRun {
  /** What the report shows (killedBy names it with the member). */
  label: string;
  /** Arguments of `node`, relative to the copy; "{tmp}" becomes a fresh temporary directory. */
  argv: string[];
  /**
   * Record the sites its unmutated run reaches (members that choose runs
   * by them): in every thread (true), or only in worker threads
   * ('workers': a scenario's CPUs, not its setup on the main thread).
   */
  coverage?: boolean | 'workers';
  /** The name the report gives the run (killedBy, coveredBy): member[design]; default the member's name. */
  by?: string;
  /** Its unmutated run's verdict and time when the member knows them (a run of files each run alone before); else the campaign takes them. */
  baseline?: Baseline;
}

/** What a run did on the unmutated copy. */
export interface Baseline {
  ok: boolean;
  ms: number;
  /** The ids of the mutants whose site it reached (with coverage). */
  covered: number[];
  /** Why it is not ok. */
  why?: string;
}

/** What a member may ask of the campaign. */
export interface PortfolioContext {
  /** The instrumented copy's root. */
  tree: string;
  /** The primary design (--design). */
  design: string;
  /** Every design the race, explore, stress and fuzz members run on, the primary first. */
  designs: readonly string[];
  seed: number;
  /** Every mutant of the copy (not only the campaign's selection). */
  all: readonly Mutant[];
  /** The run on the unmutated copy (done once per campaign, cached). */
  baseline(run: MemberRun): Promise<Baseline>;
}

export interface PortfolioMember {
  readonly name: string;
  /** Once per campaign, before any mutant: take the baselines its runs() needs for @mutants. */
  prepare(ctx: PortfolioContext, mutants: readonly Mutant[]): Promise<void>;
  /** The runs that may kill @m, in order (none: the member does not reach it: NoCoverage if no member does). */
  runs(m: Mutant): MemberRun[];
}


/** The designs the race, explore, stress and fuzz members run on besides the primary one (--designs). */

const CLI = 'bin/swaptorture.js';

/* Scenarios of operations on shared state that no bug switch names: the explore member runs them as well as the races. */
export const INTERLEAVINGS_DIR = 'scenarios/interleavings';

/* explore: the preemption bound (rounds 0..K, as many as --explore-schedules reaches). */
const EXPLORE_PREEMPTIONS = 2;

/* stress: swapoff/swapon cycles per run. */
const STRESS_SWAPOFF_CYCLES = 2;

/* ---- unit ---- */

/* The relative imports of a .ts file (the compiler's pre-processor: no regexes on the text). */
function imports_of(tree: string, file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(tree, file), 'utf8'), true, true);
  const out: string[] = [];
  for (const r of info.importedFiles) {
    if (!r.fileName.startsWith('.')) {
      if (r.fileName === 'node:child_process' || r.fileName === 'child_process') out.push('node:child_process');
      continue;
    }
    out.push(normalize(join(dirname(file), r.fileName)).replace(/\.js$/, '.ts').split('\\').join('/'));
  }
  return out;
}

/* A test file's unmutated run and the mutant sites it reached. */
interface UnitFile {
  base: Baseline;
  covered: Set<number>;
}

/*
 * vitest on the unit tests that run the mutant's code.  A test file that
 * starts processes (imports node:child_process) tests the CLI: stress,
 * repro and fuzz are members of their own.  Each test file whose imports
 * reach a selected mutant's file is run once unmutated, alone, as the
 * suite runs it, recording the sites it reaches (its worker threads
 * too).  A mutant gets the files that reach its site, at most
 * --unit-files, run together: first those that reach the most of the
 * mutated function's other sites (they exercise its branches, not just
 * pass through it), then the nearest by imports, then the quickest.  A
 * file whose unmutated run fails is left out.  (Ranking by the function
 * needs every candidate measured: about a minute for the whole unit
 * suite, once, cached with the copy.)
 */
class UnitMember implements PortfolioMember {
  readonly name = 'unit';
  #distance = new Map<string, Map<string, number>>();
  #vitest: string | null = null;
  /* Per test file: its unmutated run and the sites it reaches (null: its unmutated run failed). */
  #files = new Map<string, UnitFile | null>();
  /* Per mutant id: the test files picked for it, in rank order. */
  #picked = new Map<number, string[]>();
  constructor(private readonly b: PortfolioBudgets) {}

  async prepare(ctx: PortfolioContext, mutants: readonly Mutant[]): Promise<void> {
    try {
      this.#vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
    } catch {
      this.#vitest = null; /* a production install: no vitest, no unit member */
      return;
    }
    const graph = new Map<string, string[]>();
    for (const f of [...ts_files(ctx.tree, 'src'), ...ts_files(ctx.tree, 'test')]) graph.set(f, imports_of(ctx.tree, f));
    const only = this.b.unitTests?.map(glob_regexp);
    for (const t of ts_files(ctx.tree, 'test').filter((f) => f.endsWith('.test.ts') && f !== 'test/mutate.test.ts' && (only === undefined || only.some((re) => re.test(f))))) {
      if (graph.get(t)!.includes('node:child_process')) continue;
      /* breadth first from the test: each module's import distance */
      const dist = new Map<string, number>([[t, 0]]);
      const queue = [t];
      while (queue.length > 0) {
        const f = queue.shift()!;
        for (const g of graph.get(f) ?? []) {
          if (!dist.has(g) && graph.has(g)) {
            dist.set(g, dist.get(f)! + 1);
            queue.push(g);
          }
        }
      }
      this.#distance.set(t, dist);
    }
    /* the sites of each function: a file that reaches more of the mutant's function tests it more closely */
    const fnKey = (m: Mutant): string => `${m.file}|${m.fn}`;
    const fnSites = new Map<string, number[]>();
    for (const m of ctx.all) fnSites.set(fnKey(m), [...(fnSites.get(fnKey(m)) ?? []), m.id]);
    const nearOf = (m: Mutant): { t: string; distance: number }[] => [...this.#distance].filter(([, d]) => d.has(m.file)).map(([t, d]) => ({ t, distance: d.get(m.file)! }));
    /* Every candidate measured first, --jobs at a time (ctx.baseline bounds them). */
    await Promise.all([...new Set(mutants.flatMap((m) => nearOf(m).map((c) => c.t)))].map((t) => this.#measure(ctx, t)));
    for (const m of mutants) {
      const near = nearOf(m);
      const reach: { t: string; distance: number; f: UnitFile; inFn: number }[] = [];
      for (const c of near) {
        const f = await this.#measure(ctx, c.t);
        if (f === null || !f.covered.has(m.id)) continue;
        reach.push({ ...c, f, inFn: fnSites.get(fnKey(m))!.filter((id) => f.covered.has(id)).length });
      }
      reach.sort((a, b) => b.inFn - a.inFn || a.distance - b.distance || a.f.base.ms - b.f.base.ms || (a.t < b.t ? -1 : 1));
      this.#picked.set(m.id, reach.slice(0, this.b.unitFiles).map((r) => r.t));
    }
  }

  /* Test file @t's unmutated run, with the sites it reaches (taken once); null if it fails. */
  async #measure(ctx: PortfolioContext, t: string): Promise<UnitFile | null> {
    const known = this.#files.get(t);
    if (known !== undefined) return known;
    const measured = await ctx.baseline(this.#run([t]));
    const f = measured.ok ? { base: measured, covered: new Set(measured.covered) } : null;
    this.#files.set(t, f);
    return f;
  }

  /* vitest on @files, as the suite runs them; recording the sites reached when no @base is known (a baseline). */
  #run(files: string[], base?: Baseline): MemberRun {
    return {
      label: `vitest ${files.join(' ')}`,
      argv: [this.#vitest!, 'run', '--root', '.', '--bail', '1', ...files],
      ...(base === undefined ? { coverage: true } : { baseline: base }),
    };
  }

  runs(m: Mutant): MemberRun[] {
    if (this.#vitest === null) return [];
    const picked = (this.#picked.get(m.id) ?? []).map((t) => [t, this.#files.get(t)!] as const);
    if (picked.length === 0) return [];
    const ms = picked.reduce((sum, [, f]) => sum + f.base.ms, 0);
    return [this.#run(picked.map(([t]) => t).sort(), { ok: true, ms, covered: [] })];
  }
}

/* ---- race and explore: the catalogued races whose unmutated run executes the site ---- */

/*
 * The functions a scenario says its race runs through ("functions":
 * "copy_mm (copy_pte_range)" names both), by name.
 */
function scenario_functions(sc: Scenario): Map<string, number> {
  const at = new Map<string, number>();
  sc.functions.forEach((f, i) => {
    for (const name of f.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) if (!at.has(name)) at.set(name, i);
  });
  return at;
}

/*
 * One run per (race, design) of the campaign's designs the race carries,
 * those whose unmutated run executes the mutant's site, at most --races a
 * mutant: first the scenarios written for the mutant's function (their
 * "functions" name it: the window the scenario opens is that function's),
 * those that name it first before those that name it later (a scenario
 * lists the function whose window it opens first, those it runs through
 * after), then the primary design's, then the quickest.  A function many
 * scenarios reach (wp_page_copy: every write after a fork) was otherwise
 * given the three quickest, none of them the one racing its re-check;
 * do_swap_page, named by 14 scenarios, lost the one racing its folio
 * re-check (swapin-vs-reswap, where it comes first) to quicker ones that
 * name it fourth.
 */
class ScenarioMember implements PortfolioMember {
  #races: { run: MemberRun; covered: Set<number>; ms: number; primary: boolean; functions: Map<string, number> }[] = [];
  constructor(
    readonly name: string,
    private readonly b: PortfolioBudgets,
    private readonly scenarios: (tree: string) => { target: string; sc: Scenario }[],
    private readonly argv: (target: string, design: string, ctx: PortfolioContext) => { label: string; argv: string[] },
  ) {}

  async prepare(ctx: PortfolioContext): Promise<void> {
    const runs = this.scenarios(ctx.tree).flatMap(({ target, sc: s }) => ctx.designs.filter((d) => (s.designs as readonly string[]).includes(d)).map((design) => ({
      run: { ...this.argv(target, design, ctx), coverage: 'workers', by: `${this.name}[${design}]` } as MemberRun, primary: design === ctx.design, functions: scenario_functions(s),
    })));
    /* All at once: ctx.baseline runs --jobs of them at a time. */
    const bases = await Promise.all(runs.map((r) => ctx.baseline(r.run)));
    runs.forEach((r, i) => {
      if (bases[i].ok) this.#races.push({ ...r, covered: new Set(bases[i].covered), ms: bases[i].ms });
    });
    this.#races.sort((a, b) => Number(b.primary) - Number(a.primary) || a.ms - b.ms);
  }

  runs(m: Mutant): MemberRun[] {
    const reaching = this.#races.filter((r) => r.covered.has(m.id));
    /* A stable sort: within each group the order above (primary design first, then the quickest). */
    const written = (r: (typeof reaching)[number]): number => r.functions.get(m.fn) ?? Number.MAX_SAFE_INTEGER;
    return reaching.sort((a, b) => written(a) - written(b)).slice(0, this.b.races).map((r) => r.run);
  }
}

/* ---- stress and fuzz: one run per design whose unmutated run executes the site ---- */

class CoveredRunMember implements PortfolioMember {
  #runs: { run: MemberRun; covered: Set<number> }[] = [];
  constructor(readonly name: string, private readonly run: (ctx: PortfolioContext, design: string) => MemberRun) {}

  async prepare(ctx: PortfolioContext): Promise<void> {
    const runs = ctx.designs.map((design) => ({ ...this.run(ctx, design), coverage: true, by: `${this.name}[${design}]` }));
    const bases = await Promise.all(runs.map((run) => ctx.baseline(run)));
    runs.forEach((run, i) => {
      if (!bases[i].ok) throw new Error(`mutate: the unmutated ${run.label} failed: ${bases[i].why ?? ''}`);
      this.#runs.push({ run, covered: new Set(bases[i].covered) });
    });
  }

  runs(m: Mutant): MemberRun[] {
    return this.#runs.filter((r) => r.covered.has(m.id)).map((r) => r.run);
  }
}

/* The catalogued races of the copy at @tree, by name. */
function races(tree: string): { target: string; sc: Scenario }[] {
  return load_catalogue(join(tree, 'scenarios')).map((sc) => ({ target: sc.race, sc }));
}

/* The interleavings of the copy at @tree (scenarios/interleavings/: no bug switch), by path. */
function interleavings(tree: string): { target: string; sc: Scenario }[] {
  return load_catalogue(join(tree, INTERLEAVINGS_DIR)).map((sc) => ({ target: join(INTERLEAVINGS_DIR, `${sc.race}.json`), sc }));
}

/** The members named in @names, in the portfolio's order. */
export function make_portfolio(names: readonly MemberName[], b: PortfolioBudgets): PortfolioMember[] {
  const all: Record<MemberName, () => PortfolioMember> = {
    unit: () => new UnitMember(b),
    /* --schedules PCT schedules of the fixed race, not shrunk */
    race: () => new ScenarioMember('race', b, races, (race, design, ctx) => ({
      label: `repro ${race} --fixed --design ${design}`,
      argv: [CLI, 'repro', race, '--fixed', '--design', design, '--max-schedules', String(b.schedules), '--seed', String(ctx.seed), '--no-shrink', '--seconds', '0'],
    })),
    /*
     * Every schedule of the fixed race with at most EXPLORE_PREEMPTIONS
     * preemptions, fewest first (iterative context bounding), up to
     * --explore-schedules: the interleavings PCT's random priorities may
     * miss, such as a preemption between a lookup and its re-check under
     * the lock.  Under dpor, whose order reverses the steps that race
     * first: within a budget it finds more than sleep sets (each
     * catalogued race with its switch in 1-255 schedules, sleep sets 1-683).
     */
    explore: () => new ScenarioMember('explore', b, (tree) => [...races(tree), ...interleavings(tree)], (race, design) => ({
      label: `explore ${race} --fixed --design ${design} --preemptions ${EXPLORE_PREEMPTIONS} --reduction dpor --max-schedules ${b.exploreSchedules}`,
      argv: [CLI, 'explore', race, '--fixed', '--design', design, '--preemptions', String(EXPLORE_PREEMPTIONS), '--reduction', 'dpor', '--max-schedules', String(b.exploreSchedules), '--no-shrink'],
    })),
    /*
     * Two swapoff/swapon cycles while the workload runs (counted, not
     * timed: a run of a few seconds would otherwise see none), so that
     * swapoff's paths race with faults, reclaim and frees in every run.
     */
    stress: () => new CoveredRunMember('stress', (ctx, design) => ({
      label: `stress --design ${design} --ops ${b.stressOps} --seed ${ctx.seed} --swapoff-cycles ${STRESS_SWAPOFF_CYCLES}`,
      argv: [CLI, 'stress', '--design', design, '--ops', String(b.stressOps), '--seed', String(ctx.seed), '--cpus', '2', '--no-progress', '--stat-interval', '0',
        '--swapoff-cycles', String(STRESS_SWAPOFF_CYCLES), '--swapoff-interval', '100'],
    })),
    fuzz: () => new CoveredRunMember('fuzz', (ctx, design) => ({
      label: `fuzz --design ${design} --runs ${b.fuzzRuns} --seed ${ctx.seed}`,
      argv: [CLI, 'fuzz', '--design', design, '--runs', String(b.fuzzRuns), '--seed', String(ctx.seed), '--jobs', '1', '--corpus', '{tmp}', '--no-progress', '--stat-interval', '0'],
    })),
  };
  return MEMBER_NAMES.filter((n) => names.includes(n)).map((n) => all[n]());
}

/** Does the copy at @tree have what the members run (bin/ and the compiled CLI)? */
export function tree_runnable(tree: string): boolean {
  return existsSync(join(tree, CLI)) && existsSync(join(tree, 'dist/src/cli/main.js'));
}
