/*
 * The mutation campaign's vocabulary, as the command line names it: the
 * operators, the portfolio's members and their default budgets, the
 * designs, the directories mutated - and the file walk the flags are
 * checked with.  Nothing here loads the TypeScript compiler, so `mutate`
 * checks its flags (and prints its help) before the modules that parse
 * and instrument the model are loaded.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const OPERATORS = [
  'LockDelete', 'RcuDelete', 'RefDelete', 'EarlyUnlock', 'DropRecheck', 'BorderOffByOne',
  'CountDelete', 'CountDouble', 'SwapLocks', 'NegateCondition', 'LogicalOperator',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** The directories whose files are mutated (relative to the repository). */
export const MUTATED_DIRS = ['src/mm', 'src/designs'];

export interface PortfolioBudgets {
  /** unit: test files at most per mutant. */
  unitFiles: number;
  /** unit: only the test files matching these globs (--unit-tests; unset: every unit test file, measured once each). */
  unitTests?: string[];
  /** race: races at most per mutant, and schedules per race. */
  races: number;
  schedules: number;
  /** explore: schedules per race (at most --races of them). */
  exploreSchedules: number;
  /** stress: operations per CPU. */
  stressOps: number;
  /** fuzz: executions. */
  fuzzRuns: number;
}

export const DEFAULT_DESIGNS = ['p4', 'ghost', 'vswap'] as const;

/*
 * races: 6, not 3 - a function many scenarios are written for (do_wp_page:
 * eight) kept only the three quickest, and the one opening the mutant's
 * window was often not among them.  src/mm/memory.ts's DropRecheck and
 * EarlyUnlock mutants with race, explore and stress (--jobs 2): 11 of 20
 * killed with 3, 14 with 6; a survivor took 15-24 s against 10-21.
 */
export const DEFAULT_BUDGETS: PortfolioBudgets = { unitFiles: 8, races: 6, schedules: 20, exploreSchedules: 200, stressOps: 3000, fuzzRuns: 4 };

export const MEMBER_NAMES = ['unit', 'race', 'explore', 'stress', 'fuzz'] as const;
export type MemberName = (typeof MEMBER_NAMES)[number];

/** The .ts files (not .d.ts) under @dir of @repo, and with @cts the .cts ones (CommonJS: workers/loader.cts), relative paths, sorted. */
export function ts_files(repo: string, dir: string, cts = false): string[] {
  const abs = join(repo, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  for (const name of readdirSync(abs).sort()) {
    const rel = `${dir}/${name}`;
    if (statSync(join(repo, rel)).isDirectory()) out.push(...ts_files(repo, rel, cts));
    else if ((name.endsWith('.ts') && !name.endsWith('.d.ts')) || (cts && name.endsWith('.cts') && !name.endsWith('.d.cts'))) out.push(rel);
  }
  return out;
}
