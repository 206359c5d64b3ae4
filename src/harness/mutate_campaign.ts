/*
 * A `swaptorture mutate` campaign: the mutants selected
 * (mutate_select.ts), the instrumented copy built once
 * (mutate_instrument.ts), the portfolio's baselines taken once on the
 * unmutated copy (mutate_portfolio.ts), then each mutant: type-checked
 * alone (mutate_check.ts), then the portfolio's runs in order until one
 * kills it.  --jobs mutants at once.
 *
 * The journal (append-only JSON lines, the rules of fuzz_journal.ts):
 * the campaign line first ({"mutate": params}), then one line per
 * finished mutant, appended as it finishes.  After kill -9, --resume
 * reads it and runs only the mutants without a line; a mutant in flight
 * when the campaign was interrupted (Ctrl-C) is not journalled.
 *
 * Statuses (the mutation-testing report schema's): Killed (a run failed:
 * an invariant, a test, a crash), Timeout (a run stalled past its
 * timeout), Survived, NoCoverage (no run of any member, on any design,
 * executes it: no unit test reaches its line, no race, explore, stress or fuzz
 * run reaches its switch),
 * CompileError (a type error: tsc refuses it), Ignored (a survivor marked
 * equivalent, mutate_equivalent.ts; applied when reporting, not
 * journalled).
 *
 * Context: main thread; async.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { journal_append, read_jsonl } from './fuzz_journal.js';
import { MutantTypeChecker } from './mutate_check.js';
import { equivalent_of, type Equivalent } from './mutate_equivalent.js';
import { hits_dir, read_hits, run_child } from './mutate_exec.js';
import { JobSlots } from './job_slots.js';
import { build_mutant_tree, tree_release, type Mutant, type MutantTree } from './mutate_instrument.js';
import { make_portfolio, type Baseline, type MemberRun, type PortfolioContext } from './mutate_portfolio.js';
import type { MemberName, PortfolioBudgets } from './mutate_names.js';

export type MutantStatus = 'Killed' | 'Timeout' | 'Survived' | 'NoCoverage' | 'CompileError' | 'Ignored';

/** One finished mutant (a journal line). */
export interface MutantResult {
  id: number;
  key: string;
  status: MutantStatus;
  /** The member whose run killed it ("stress", "race", ...), or null. */
  killedBy: string | null;
  /** Which run, and what it said (the last lines it printed), or the type error, or why it survived. */
  statusReason: string;
  /** The members that had runs for it. */
  coveredBy: string[];
  /** Milliseconds from its start to its verdict. */
  ms: number;
}

/** What makes a campaign: the same parameters select and run the same mutants the same way. */
export interface MutateParams {
  /** The primary design (--design). */
  design: string;
  /** Every design the race, stress and fuzz members run on, the primary first (--designs). */
  designs: string[];
  seed: number;
  members: MemberName[];
  budgets: PortfolioBudgets;
  operators: string[] | null;
  ids: number[] | null;
  files: string[] | null;
  changed: string | null;
  limit: number | null;
  shard: string;
}

export class ResumeMismatch extends Error {}

export interface CampaignIo {
  err: (s: string) => void;
  /** After each mutant finished in this invocation. */
  onResult?: (r: MutantResult, done: number, total: number) => void;
}

export interface CampaignResult {
  /** The selected mutants' results so far (journalled earlier, then this invocation's). */
  results: MutantResult[];
  /** Mutants finished by this invocation. */
  executed: number;
  interrupted: boolean;
  /** Whether the instrumented copy was built (false: reused). */
  built: boolean;
}

/**
 * The finished mutants journalled in @file, checked against @params and
 * the mutants of the sources now (@byId).  Throws ResumeMismatch naming
 * what differs.
 */
export function read_mutate_journal(file: string, params: MutateParams | null, byId: Map<number, Mutant>): { params: MutateParams | null; done: Map<number, MutantResult> } {
  let header: MutateParams | null = null;
  const done = new Map<number, MutantResult>();
  for (const v of read_jsonl(file)) {
    if (typeof v !== 'object' || v === null) continue;
    if ('mutate' in v) {
      header = (v as { mutate: MutateParams }).mutate;
      /* a journal from before --designs: its race, stress and fuzz runs were on the primary design only */
      header.designs ??= [header.design];
      continue;
    }
    const r = v as MutantResult;
    const m = byId.get(r.id);
    if (m === undefined || m.key !== r.key) {
      throw new ResumeMismatch(`${file}: mutant ${r.id} was ${r.key} and is now ${m?.key ?? 'gone'}: the sources changed since the campaign started (start a new journal)`);
    }
    done.set(r.id, r);
  }
  if (params !== null && header !== null) {
    for (const k of Object.keys(params) as (keyof MutateParams)[]) {
      if (JSON.stringify(params[k]) !== JSON.stringify(header[k])) {
        throw new ResumeMismatch(`--resume: ${file} was started with ${k} ${JSON.stringify(header[k])}, not ${JSON.stringify(params[k])}`);
      }
    }
  }
  return { params: header, done };
}

/* A baseline cut short by Ctrl-C: not cached (the next campaign takes it again); the campaign stops. */
class BaselineAborted extends Error {}

/*
 * Baselines on the unmutated copy, cached in the copy (rebuilt with it when
 * the sources change), @jobs at a time (--jobs: a fresh copy's baseline
 * phase is minutes; the members ask for all of theirs at once).  Ctrl-C
 * (@signal) kills the ones running: the race member's take about half a
 * minute, the unit member's about a minute, and a campaign interrupted
 * there stops at once.
 */
class Baselines {
  #file: string;
  #cache: Record<string, Baseline>;
  #pending = new Map<string, Promise<Baseline>>();
  #slots: JobSlots;
  constructor(private readonly tree: string, private readonly err: (s: string) => void, private readonly signal: AbortSignal, jobs: number) {
    this.#slots = new JobSlots(jobs);
    this.#file = join(tree, 'baselines.json');
    this.#cache = existsSync(this.#file) ? JSON.parse(readFileSync(this.#file, 'utf8')) as Record<string, Baseline> : {};
  }

  get(run: MemberRun): Promise<Baseline> {
    const key = JSON.stringify([run.argv, run.coverage ?? false]);
    const hit = this.#cache[key];
    if (hit !== undefined) return Promise.resolve(hit);
    let p = this.#pending.get(key);
    if (p === undefined) {
      p = this.#slots.run(() => this.#take(run, key));
      this.#pending.set(key, p);
    }
    return p;
  }

  async #take(run: MemberRun, key: string): Promise<Baseline> {
    if (this.signal.aborted) throw new BaselineAborted(run.label);
    this.err(`swaptorture mutate: baseline: ${run.label}\n`);
    const dir = run.coverage ? hits_dir() : undefined;
    const r = await run_child(this.tree, run.argv, 0, 600_000, this.signal, dir);
    if (r.aborted) {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      throw new BaselineAborted(run.label);
    }
    const covered = dir === undefined ? [] : read_hits(dir, run.coverage === 'workers');
    const ok = r.code === 0;
    const b: Baseline = { ok, ms: r.ms, covered, ...(ok ? {} : { why: `exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''}: ${r.tail}` }) };
    if (!ok) this.err(`swaptorture mutate: the unmutated run failed, left out: ${run.label}: ${b.why}\n`);
    this.#cache[key] = b;
    writeFileSync(this.#file, JSON.stringify(this.#cache));
    return b;
  }
}

/** A run's stall limit: several times its quiet duration. */
export function run_timeout_ms(quietMs: number): number {
  return Math.max(5 * quietMs, quietMs + 30_000);
}

export interface CampaignOptions {
  repo: string;
  /** The instrumented copy (default <repo>/.mutants). */
  tree?: string;
  params: MutateParams;
  /** Every mutant of the sources (ids), and the selected ones. */
  all: readonly Mutant[];
  selected: readonly Mutant[];
  jobs: number;
  journal: string;
  resume: boolean;
}

/** Run the campaign; stops taking mutants when @signal aborts (the ones in flight are dropped, not journalled). */
export async function run_mutate(o: CampaignOptions, io: CampaignIo, signal: AbortSignal): Promise<CampaignResult> {
  const byId = new Map(o.all.map((m) => [m.id, m]));
  if (!o.resume && read_jsonl(o.journal).length > 0) {
    throw new ResumeMismatch(`--journal: ${o.journal} already holds a campaign: --resume to go on with it, or remove it`);
  }
  const { done } = read_mutate_journal(o.journal, o.params, byId);
  mkdirSync(dirname(o.journal), { recursive: true });
  if (!existsSync(o.journal) || read_jsonl(o.journal).length === 0) journal_append(o.journal, { mutate: o.params });

  const todo = o.selected.filter((m) => !done.has(m.id));
  io.err(`swaptorture mutate: ${o.selected.length} mutants selected (of ${o.all.length}), ${done.size} already journalled\n`);
  const results: MutantResult[] = o.selected.filter((m) => done.has(m.id)).map((m) => done.get(m.id)!);
  /* The sources as the mutants were listed and the copy is built: checks read this snapshot, not files edited later. */
  const checker = new MutantTypeChecker(o.repo);
  const tree = await build_mutant_tree(o.repo, o.all, o.tree, signal);
  if (tree === null) return { results, executed: 0, interrupted: true, built: false };
  io.err(`swaptorture mutate: instrumented copy ${tree.built ? 'built' : 'reused'}: ${tree.dir}\n`);
  try {
    return await run_in_tree(o, io, signal, tree, todo, results, checker);
  } finally {
    tree_release(tree.dir);
  }
}

/* run_mutate() from the copy @tree it holds: @todo's mutants, added to @results. */
async function run_in_tree(o: CampaignOptions, io: CampaignIo, signal: AbortSignal, tree: MutantTree, todo: readonly Mutant[], results: MutantResult[], checker: MutantTypeChecker): Promise<CampaignResult> {
  if (todo.length === 0 || signal.aborted) return { results, executed: 0, interrupted: signal.aborted, built: tree.built };

  const baselines = new Baselines(tree.dir, io.err, signal, o.jobs);
  const ctx: PortfolioContext = { tree: tree.dir, design: o.params.design, designs: o.params.designs, seed: o.params.seed, all: o.all, baseline: (r) => baselines.get(r) };
  const members = make_portfolio(o.params.members, o.params.budgets);
  try {
    for (const m of members) await m.prepare(ctx, todo);
  } catch (e) {
    if (e instanceof BaselineAborted) return { results, executed: 0, interrupted: true, built: tree.built };
    throw e;
  }

  let executed = 0;
  let next = 0;
  const one = async (m: Mutant): Promise<MutantResult | null> => {
    const t0 = performance.now();
    const ms = (): number => Math.round(performance.now() - t0);
    const base = { id: m.id, key: m.key };
    const typeError = checker.check(m);
    if (typeError !== null) return { ...base, status: 'CompileError', killedBy: null, statusReason: typeError, coveredBy: [], ms: ms() };
    const plan = members.flatMap((member) => member.runs(m).map((run) => ({ member: run.by ?? member.name, run })));
    const coveredBy = [...new Set(plan.map((p) => p.member))];
    if (plan.length === 0) {
      const statusReason = `no run of the portfolio (${members.map((x) => x.name).join(', ')}; designs ${o.params.designs.join(', ')}) executes it: no unit test, race, explore, stress or fuzz run reaches the site (${m.fn} in ${m.file})`;
      return { ...base, status: 'NoCoverage', killedBy: null, statusReason, coveredBy, ms: ms() };
    }
    for (const { member, run } of plan) {
      let b: Baseline;
      try {
        b = run.baseline ?? (await baselines.get(run));
      } catch (e) {
        if (e instanceof BaselineAborted) return null;
        throw e;
      }
      if (!b.ok) continue;
      const r = await run_child(tree.dir, run.argv, m.id, run_timeout_ms(b.ms), signal);
      if (r.aborted) return null;
      if (r.timedOut) return { ...base, status: 'Timeout', killedBy: member, statusReason: `${run.label}: no end after ${Math.round(run_timeout_ms(b.ms) / 1000)} s (quiet: ${(b.ms / 1000).toFixed(1)} s): a stall`, coveredBy, ms: ms() };
      if (r.code !== 0) {
        return { ...base, status: 'Killed', killedBy: member, statusReason: `${run.label}: ${r.code === null ? `signal ${r.signal}` : `exit ${r.code}`}: ${r.tail}`, coveredBy, ms: ms() };
      }
    }
    return { ...base, status: 'Survived', killedBy: null, statusReason: `survived ${plan.map((p) => p.run.label).join('; ')}`, coveredBy, ms: ms() };
  };
  const worker = async (): Promise<void> => {
    while (!signal.aborted && next < todo.length) {
      const m = todo[next++];
      const r = await one(m);
      if (r === null || signal.aborted) return;
      journal_append(o.journal, r);
      results.push(r);
      executed++;
      io.onResult?.(r, results.length, o.selected.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, todo.length) }, worker));
  results.sort((a, b) => a.id - b.id);
  return { results, executed, interrupted: signal.aborted, built: tree.built };
}

/** @results with the survivors that @eqs names marked Ignored (equivalent). */
export function apply_equivalents(results: readonly MutantResult[], byId: Map<number, Mutant>, eqs: readonly Equivalent[]): MutantResult[] {
  return results.map((r) => {
    if (r.status !== 'Survived') return r;
    const e = equivalent_of(byId.get(r.id)!, eqs);
    return e === null ? r : { ...r, status: 'Ignored', statusReason: `equivalent: ${e.reason}` };
  });
}
