/*
 * A fuzzing campaign's parameters: the designs it draws from, and what
 * `fuzz --resume` goes on with - the parameters journalled with the
 * campaign, each one the user gave checked against them (the journal's
 * format is in src/harness/fuzz_journal.ts).
 *
 * Context: main thread; synchronous file system calls.
 */
import { join } from 'node:path';
import type { DesignName } from '../mm/swap_design.js';
import { load_catalogue } from '../scenario/load.js';
import { corpus_journals, journal_shard, read_journal, type CampaignParams, type JournalHeader, type JournalLine } from './fuzz_journal.js';
import { fuzz_case_problem } from './fuzz_case_check.js';
import { bug_switch } from '../shm/bugs.js';
import { implemented_designs } from '../designs/index.js';

/**
 * The designs a calibration campaign with bug switch @bug draws from: those
 * of @designs whose code has the switch's pre-fix path - the designs of
 * the catalogued race scenarios that use it (every one of @designs when
 * no scenario does).  Drawing a design without that code only wastes runs.
 */
export function fuzz_designs(bug: string | null, designs: readonly DesignName[]): DesignName[] {
  if (bug === null) return [...designs];
  const races = load_catalogue().filter((sc) => sc.bug === bug);
  if (races.length === 0) return [...designs];
  const has = new Set(races.flatMap((sc) => sc.designs));
  return designs.filter((d) => has.has(d));
}

/** A --resume that cannot go on; the message starts with the flag at fault. */
export class ResumeError extends Error {
  constructor(readonly flag: string, message: string) {
    super(`${flag}: ${message}`);
    this.name = 'ResumeError';
  }
}

/* What is wrong with a journal read back whole, line by line (the campaign line, then each run's), or null. */
function journal_problem(header: JournalHeader, lines: readonly JournalLine[]): string | null {
  const c = header.campaign as Partial<CampaignParams> | null;
  if (typeof c !== 'object' || c === null || !Number.isSafeInteger(c.seed) || typeof c.shard !== 'string' || !Array.isArray(c.designs) || !Number.isSafeInteger(c.maxCpus)) return 'the campaign line lacks seed, shard, designs or maxCpus';
  if (c.bug !== null && bug_switch(String(c.bug)) === undefined) return `the campaign line's bug ${JSON.stringify(c.bug)} is not a bug switch`;
  const built = implemented_designs() as readonly string[];
  const design = c.designs.find((d) => !built.includes(d));
  if (design !== undefined) return `the campaign line's design ${JSON.stringify(design)} is not a built design`;
  for (const l of lines) {
    if (typeof l !== 'object' || l === null || !Number.isSafeInteger(l.index) || l.index < 0) return `a run line without a run index (${JSON.stringify(l).slice(0, 60)})`;
    if (!Array.isArray(l.newPairs) || !l.newPairs.every((p) => Number.isSafeInteger(p))) return `run ${l.index}'s line: newPairs is not a list of pair ids`;
    const p = l.case === undefined ? null : fuzz_case_problem(l.case);
    if (p !== null) return `run ${l.index}'s line: ${p}`;
  }
  return null;
}

/** The campaign parameters a user gave on the command line (undefined: not given). */
export interface ResumeGiven {
  seed?: number;
  shard?: string;
  bug?: string;
  designs?: DesignName[];
  maxCpus?: number;
  target?: 'model' | 'synthetic';
  guide?: boolean;
}

/**
 * What `fuzz --resume` goes on with: the campaign journalled in corpus
 * @dir - the one journal there, or shard @given.shard's - with its
 * parameters.  A parameter the user gave must be the journal's (a
 * different seed, shard, bug, design list, CPU limit, target or guidance
 * would be another campaign); one not given is taken from the journal.
 * Throws a ResumeError naming the flag and both values, or "no campaign
 * journal in DIR".
 */
export function resume_campaign(dir: string, given: ResumeGiven): { file: string; params: Required<CampaignParams>; runs: number } {
  const journals = corpus_journals(dir);
  if (journals.length === 0) throw new ResumeError('--resume', `no campaign journal in ${dir}`);
  const shards = journals.map((f) => journal_shard(f)!);
  let name = journals[0];
  if (given.shard !== undefined) {
    const i = shards.indexOf(given.shard);
    if (i < 0) {
      throw new ResumeError('--shard', journals.length === 1
        ? `${given.shard} given, but the campaign journalled in ${dir} is shard ${shards[0]} (leave --shard out to go on with it)`
        : `${given.shard} given, but the campaigns journalled in ${dir} are shards ${shards.join(', ')}`);
    }
    name = journals[i];
  } else if (journals.length > 1) {
    throw new ResumeError('--shard', `${dir} holds the journals of shards ${shards.join(', ')}: name the one to resume with --shard`);
  }
  const file = join(dir, name);
  let journal: ReturnType<typeof read_journal>;
  try {
    journal = read_journal(file);
  } catch (e) {
    throw new ResumeError('--resume', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { header, lines } = journal;
  if (header === null) throw new ResumeError('--resume', `${file} has no campaign line (a journal's first line): not a campaign journal, or damaged`);
  const damaged = journal_problem(header, lines);
  if (damaged !== null) throw new ResumeError('--resume', `${file}: ${damaged}: the journal is damaged`);
  const c = header.campaign;
  const params: Required<CampaignParams> = {
    seed: c.seed, bug: c.bug, designs: c.designs, maxCpus: c.maxCpus, shard: c.shard, target: c.target ?? 'model', guide: c.guide ?? true,
  };
  const show = (v: string | number | null | string[]): string => (v === null ? 'none' : Array.isArray(v) ? v.join(',') : String(v));
  const check = (flag: string, mine: string | number | string[] | undefined, theirs: string | number | null | string[], what: string): void => {
    if (mine !== undefined && show(mine) !== show(theirs)) {
      throw new ResumeError(flag, `${show(mine)} given, but the campaign journalled in ${file} has ${what} ${show(theirs)} (leave ${flag} out to go on with it)`);
    }
  };
  check('--seed', given.seed, params.seed, 'seed');
  check('--bug', given.bug, params.bug, 'bug');
  check('--design', given.designs === undefined ? undefined : fuzz_designs(params.bug, given.designs), params.designs, 'designs');
  check('--max-cpus', given.maxCpus, params.maxCpus, 'max-cpus');
  check('--target', given.target, params.target, 'target');
  if (given.guide === false && params.guide) throw new ResumeError('--no-guide', `given, but the campaign journalled in ${file} is coverage-guided (leave --no-guide out to go on with it)`);
  return { file, params, runs: lines.length };
}

