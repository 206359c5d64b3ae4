/*
 * Fuzzing campaigns (`swaptorture fuzz`): many executions of generated
 * configurations (src/harness/fuzz_case.ts), --jobs at a time on piscina
 * job threads (workers/fuzz.ts), each on its own arena and CPU workers.
 *
 * Nothing is lost:
 *  - every finished run is one line appended to <corpus>/campaign.jsonl
 *    (index, seed, what it found, the pairs it covered first, and the
 *    case itself when it reached new pairs), so --resume after any kill,
 *    kill -9 included, rebuilds the campaign's state from the lines that
 *    made it to the file and repeats none of those runs (a torn last line
 *    is ignored: that run is simply done again); its first line holds the
 *    campaign's parameters, which --resume goes on with (resume_campaign(),
 *    the journal's format in src/harness/fuzz_journal.ts);
 *  - every failure goes to <corpus>/failures/<invariant>-<site>.json as
 *    soon as its run returns, written to a temporary name and renamed
 *    (atomic on one file system): the case, the seed, the schedule, the
 *    invariant and the message; a job then shrinks the schedule (while
 *    the campaign's time lasts) and the file is rewritten with the shrunk
 *    schedule and the timeline file.  Failures are de-duplicated by
 *    invariant and site (the message with numbers blanked).
 *
 * Coverage guidance: the union of interleaving pairs (src/sched/coverage.ts)
 * grows as runs finish; a run that covered a pair first joins the corpus of
 * interesting cases, and a third of new runs mutate one of them (another
 * scheduler seed, depth, window arrival or filler; newer entries first)
 * instead of drawing a fresh case.
 *
 * Shards: run i of the campaign belongs to shard (i mod n) + 1, so
 * --shard k/n over k = 1..n covers exactly the unsharded campaign's runs.
 *
 * Context: main thread.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { DesignName } from '../mm/swap_design.js';
import { load_catalogue } from '../scenario/load.js';
import { synthetic_fresh_case } from './fuzz_synthetic.js';
import { fresh_case, mutate_case, run_seed } from './fuzz_case.js';
import type { FuzzCase, FuzzJob, FuzzLimits, FuzzResult } from './fuzz_types.js';
import { write_atomic } from './write_atomic.js';
import { worker_exec_argv } from './cpus.js';
import { corpus_journals, journal_append, journal_name, journal_shard, read_journal, type CampaignParams, type JournalHeader, type JournalLine } from './fuzz_journal.js';

export interface FuzzOptions {
  runs: number; /* 0 = until @seconds */
  seconds: number;
  seed: number;
  jobs: number;
  corpus: string;
  resume: boolean;
  shard: { k: number; n: number };
  bug: string | null;
  designs: DesignName[];
  maxCpus: number;
  guide: boolean;
  /** Stop at the first failure new to the corpus (calibration: time to first find). */
  stopOnFind?: boolean;
  /** 'synthetic': the fuzzer's own calibration target (src/harness/fuzz_synthetic.ts) instead of the model. */
  target?: 'model' | 'synthetic';
  /** Every @statIntervalS seconds a stats line; 0 = none. */
  statIntervalS: number;
}

export interface FuzzFailure {
  file: string;
  invariant: string;
  site: string;
  design: string;
  schedule: string;
  replay: string;
  /** First seen in this campaign (not in the corpus before it started). */
  fresh: boolean;
}

export interface FuzzSummary {
  runs: number;
  /** Runs this invocation executed (a resumed campaign's earlier ones excluded). */
  executed: number;
  seconds: number;
  execsPerSec: number;
  coveragePairs: number;
  failures: FuzzFailure[];
  uniqueFailures: number;
  newFailures: number;
  abnormal: number;
  seed: number;
  shard: string;
  interrupted: boolean;
  /** Seconds and runs until the first failure new to the corpus (calibration), or null. */
  firstFind: { seconds: number; runs: number } | null;
}

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

/** The failure site: invariant and message with every number blanked (so addresses and counts do not split one bug in many). */
export function failure_site(invariant: string, message: string): string {
  const norm = message.replace(/0x[0-9a-f]+/gi, '#').replace(/\d+/g, '#').slice(0, 120);
  let h = 0x811c9dc5;
  for (let i = 0; i < norm.length; i++) h = Math.imul(h ^ norm.charCodeAt(i), 0x01000193) >>> 0;
  return `${invariant}-${h.toString(16).padStart(8, '0')}`;
}

/** A --resume that cannot go on; the message starts with the flag at fault. */
export class ResumeError extends Error {
  constructor(readonly flag: string, message: string) {
    super(`${flag}: ${message}`);
    this.name = 'ResumeError';
  }
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
  const { header, lines } = read_journal(file);
  if (header === null) throw new ResumeError('--resume', `${file} has no campaign line (a journal's first line): not a campaign journal, or damaged`);
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

/** The failure files of a corpus directory, by site. */
export function read_failures(dir: string): Map<string, { file: string; doc: Record<string, unknown> }> {
  const out = new Map<string, { file: string; doc: Record<string, unknown> }>();
  const fdir = join(dir, 'failures');
  if (!existsSync(fdir)) return out;
  for (const f of readdirSync(fdir).sort()) {
    if (!f.endsWith('.json') || f.includes('.tmp-') || f.endsWith('.trace.json')) continue;
    try {
      const doc = JSON.parse(readFileSync(join(fdir, f), 'utf8')) as Record<string, unknown>;
      out.set(String(doc.site), { file: join(fdir, f), doc });
    } catch {
      /* an unreadable file is not a failure record */
    }
  }
  return out;
}

function fuzzWorkerFile(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  return fileURLToPath(new URL(fromSource ? '../../dist/workers/fuzz.js' : '../../workers/fuzz.js', import.meta.url));
}

export interface FuzzIO {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Called after every finished run (progress bars). */
  onRun?: (s: { runs: number; pairs: number; unique: number; elapsed: number }) => void;
}

/** Run a campaign.  @signal stops it between runs (Ctrl-C): what finished is kept. */
export async function run_fuzz(o: FuzzOptions, io: FuzzIO, signal?: AbortSignal): Promise<FuzzSummary> {
  const t0 = performance.now();
  const shardText = `${o.shard.k}/${o.shard.n}`;
  const journalFile = join(o.corpus, journal_name(o.shard));
  if (o.resume && !existsSync(journalFile)) throw new ResumeError('--resume', `no campaign journal ${journalFile}`);
  mkdirSync(join(o.corpus, 'failures'), { recursive: true });
  const limits: FuzzLimits = { designs: o.designs, maxCpus: o.maxCpus };

  const header: JournalHeader = {
    campaign: { seed: o.seed, bug: o.bug, designs: o.designs, maxCpus: o.maxCpus, shard: shardText, target: o.target ?? 'model', guide: o.guide },
  };
  /* State: from the journal on --resume, else a fresh journal. */
  const done = new Set<number>();
  const covered = new Set<number>();
  const interesting: FuzzCase[] = [];
  if (o.resume) {
    const j = read_journal(journalFile);
    if (j.header !== null && (j.header.campaign.seed !== o.seed || j.header.campaign.shard !== shardText)) {
      throw new ResumeError('--resume', `${journalFile} is campaign seed ${j.header.campaign.seed} shard ${j.header.campaign.shard}, not seed ${o.seed} shard ${shardText}`);
    }
    for (const l of j.lines) {
      done.add(l.index);
      for (const p of l.newPairs) covered.add(p);
      if (l.case) interesting.push(l.case);
    }
    if (j.header === null) journal_append(journalFile, header);
  } else {
    write_atomic(journalFile, JSON.stringify(header) + '\n');
  }
  const before = read_failures(o.corpus);
  const known = new Set(before.keys());
  /* Every site with a failure file: the corpus's, and each one this campaign writes (de-duplication, the stats). */
  const saved = new Set(known);

  /* The runs of this shard, in index order, skipping finished ones. */
  let nextIndex = 0;
  const mine = (i: number): boolean => i % o.shard.n === o.shard.k - 1;
  const take = (): number | null => {
    for (;;) {
      if (o.runs > 0 && nextIndex >= o.runs) return null;
      const i = nextIndex++;
      if (mine(i) && !done.has(i)) return i;
    }
  };
  /*
   * A third of the runs mutate a corpus entry.  Entries that reached new
   * pairs late are the rare ones (the common pairs were taken early), so
   * the parent is drawn with a quadratic bias towards the newest entries.
   */
  const case_for = (i: number): FuzzCase => {
    const rs = run_seed(o.seed ^ 0x6a09e667, i);
    if (o.guide && interesting.length > 0 && rs % 3 === 0) {
      const u = ((rs >>> 2) % 1024) / 1024;
      const parent = interesting[interesting.length - 1 - Math.floor(interesting.length * u * u)];
      return mutate_case(parent, parent.index, o.seed, i);
    }
    return o.target === 'synthetic' ? synthetic_fresh_case(o.seed, i) : fresh_case(o.seed, i, limits, o.bug);
  };

  const pool = new Piscina({ filename: fuzzWorkerFile(), minThreads: o.jobs, maxThreads: o.jobs, concurrentTasksPerWorker: 1, idleTimeout: 200, execArgv: worker_exec_argv() });
  const traceDir = join(o.corpus, 'failures');
  let executed = 0;
  let abnormal = 0;
  let firstFind: FuzzSummary['firstFind'] = null;
  let lastStat = performance.now();
  const elapsed = (): number => (performance.now() - t0) / 1000;
  const timeUp = (): boolean => (o.runs === 0 && elapsed() >= o.seconds) || (o.stopOnFind === true && firstFind !== null);

  /* Failures saved with their full schedule, waiting for a job to shrink it. */
  const shrinks: { c: FuzzCase; r: FuzzResult; docs: { file: string; doc: Record<string, unknown> }[] }[] = [];
  const record = (c: FuzzCase, r: FuzzResult): void => {
    const newPairs = r.pairs.filter((p) => !covered.has(p));
    for (const p of newPairs) covered.add(p);
    const sites: string[] = [];
    const docs: { file: string; doc: Record<string, unknown> }[] = [];
    for (const f of r.findings) {
      const site = failure_site(f.invariant, f.message);
      sites.push(site);
      if (saved.has(site)) continue; /* in the corpus already, or found earlier in this campaign: de-duplicated */
      saved.add(site);
      const file = join(o.corpus, 'failures', `${site}.json`);
      const replay = `npx swaptorture repro --replay ${file}`;
      /* Saved at once with the full schedule; the shrunk one is added when a job has shrunk it. */
      const doc = {
        site, invariant: f.invariant, message: f.message, step: f.step, design: c.design, seed: c.seed, index: c.index,
        sched: c.sched, bug: c.bug, schedule: r.schedule, shrunkSchedule: null as string | null, trace: null as string | null,
        replay, campaign: { seed: o.seed, shard: shardText }, case: c,
      };
      write_atomic(file, JSON.stringify(doc, null, 1) + '\n');
      docs.push({ file, doc });
      firstFind ??= { seconds: elapsed(), runs: done.size + 1 };
      io.err(`swaptorture fuzz: FAILURE [${f.invariant}] run ${c.index} (${c.design}, ${c.sched.kind}): ${f.message}\n  saved: ${file}\n  replay: ${replay}\n`);
    }
    if (docs.length > 0 && r.schedule !== '') shrinks.push({ c, r, docs });
    if (r.abnormal !== null) abnormal++;
    const line: JournalLine = { index: c.index, seed: c.seed, design: c.design, sites, newPairs, abnormal: r.abnormal, ms: r.ms };
    if (newPairs.length > 0 && o.guide) {
      line.case = c;
      interesting.push(c);
    }
    journal_append(journalFile, line);
    done.add(c.index);
    executed++;
    io.onRun?.({ runs: done.size, pairs: covered.size, unique: saved.size, elapsed: elapsed() });
    if (o.statIntervalS > 0 && performance.now() - lastStat >= o.statIntervalS * 1000) {
      lastStat = performance.now();
      io.err(`swaptorture fuzz: ${done.size} runs, ${(executed / Math.max(elapsed(), 1e-3)).toFixed(1)} execs/s, ${covered.size} coverage pairs, ${saved.size} unique failures\n`);
    }
  };

  /* The shrunk schedule of a saved failure joins its file (rewritten atomically), with its timeline. */
  const shrunk = (job: (typeof shrinks)[number], traceFile: string, schedule: string | null): void => {
    if (schedule === null) return;
    for (const { file, doc } of job.docs) write_atomic(file, JSON.stringify({ ...doc, shrunkSchedule: schedule, trace: traceFile }, null, 1) + '\n');
  };

  /* Keep @jobs jobs in flight: shrinking saved failures first, then executions. */
  const inflight = new Set<Promise<void>>();
  let poolError: Error | null = null;
  const fail = (e: Error): void => {
    poolError ??= e;
  };
  const deadline = o.runs > 0 ? Infinity : Date.now() - elapsed() * 1000 + o.seconds * 1000;
  try {
    for (;;) {
      while (inflight.size < o.jobs && !signal?.aborted && !timeUp() && poolError === null) {
        let p: Promise<void>;
        const job = shrinks.shift();
        if (job !== undefined) {
          const traceFile = join(traceDir, `run-${job.c.index}.trace.json`);
          const m: FuzzJob = { kind: 'shrink', c: job.c, r: job.r, traceFile, deadline };
          p = (pool.run(m) as Promise<string | null>).then((sch) => shrunk(job, traceFile, sch), fail).finally(() => inflight.delete(p));
        } else {
          const i = take();
          if (i === null) break;
          const c = case_for(i);
          /* Jobs share the cores: a parked CPU of one execution must not spin against the running one of another. */
          const m: FuzzJob = { kind: 'exec', c, turnSpins: o.jobs > 1 ? 256 : undefined };
          p = (pool.run(m) as Promise<FuzzResult>).then((r) => record(c, r), fail).finally(() => inflight.delete(p));
        }
        inflight.add(p);
      }
      if (inflight.size === 0) break;
      await Promise.race(inflight);
    }
  } finally {
    await Promise.allSettled(inflight);
    await pool.destroy();
  }
  if (poolError !== null) throw poolError;

  const after = read_failures(o.corpus);
  const failures: FuzzFailure[] = [...after.values()].map(({ file, doc }) => ({
    file, invariant: String(doc.invariant), site: String(doc.site), design: String(doc.design), schedule: String(doc.shrunkSchedule ?? doc.schedule ?? ''),
    replay: String(doc.replay), fresh: !known.has(String(doc.site)),
  }));
  const seconds = elapsed();
  return {
    runs: done.size, executed, seconds, execsPerSec: executed / Math.max(seconds, 1e-3), coveragePairs: covered.size,
    failures, uniqueFailures: failures.length, newFailures: failures.filter((f) => f.fresh).length, abnormal,
    seed: o.seed, shard: shardText, interrupted: signal?.aborted === true, firstFind,
  };
}

/**
 * fuzz merge: corpora from shards or machines into @into - failures
 * de-duplicated by site, journals concatenated.  Returns the merged summary.
 */
export function merge_corpora(dirs: string[], into: string): { runs: number; coveragePairs: number; uniqueFailures: number; failures: FuzzFailure[] } {
  /* Every input first: --into may be one of them, and must not be created before it is checked. */
  for (const d of dirs) if (!existsSync(d)) throw new Error(`no corpus directory ${d}`);
  mkdirSync(join(into, 'failures'), { recursive: true });
  const sites = new Map<string, { file: string; doc: Record<string, unknown> }>();
  const runs = new Set<string>();
  const pairs = new Set<number>();
  for (const d of dirs) {
    for (const [site, f] of read_failures(d)) if (!sites.has(site)) sites.set(site, f);
    for (const j of corpus_journals(d)) {
      const { header, lines } = read_journal(join(d, j));
      for (const l of lines) {
        runs.add(`${header?.campaign.seed ?? '?'}:${l.index}`);
        for (const p of l.newPairs) pairs.add(p);
      }
      if (d !== into) {
        const target = join(into, j);
        if (!existsSync(target)) write_atomic(target, readFileSync(join(d, j), 'utf8'));
      }
    }
  }
  const failures: FuzzFailure[] = [];
  for (const [site, { file, doc }] of sites) {
    const target = join(into, 'failures', `${site}.json`);
    if (file !== target) write_atomic(target, readFileSync(file, 'utf8'));
    failures.push({ file: target, invariant: String(doc.invariant), site, design: String(doc.design), schedule: String(doc.shrunkSchedule ?? doc.schedule ?? ''), replay: `npx swaptorture repro --replay ${target}`, fresh: false });
  }
  return { runs: runs.size, coveragePairs: pairs.size, uniqueFailures: failures.length, failures };
}
