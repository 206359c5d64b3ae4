/*
 * The state of one fuzzing campaign (src/harness/fuzz.ts), opened once and
 * handed to every phase: the options, the journal, the runs done, the
 * coverage and the corpus of interesting cases, the failure sites seen,
 * the counters.  Here too the phases that work on it between the job
 * threads: opening (a fresh journal, or the state rebuilt from it on
 * --resume), drawing the next case, and recording a finished run.
 *
 * Context: main thread; synchronous file system calls.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DesignName } from '../mm/swap_design.js';
import { synthetic_fresh_case } from './fuzz_synthetic.js';
import { fresh_case, mutate_case, run_seed } from './fuzz_case.js';
import type { FuzzCase, FuzzFinding, FuzzLimits, FuzzResult } from './fuzz_types.js';
import { write_atomic } from './write_atomic.js';
import { journal_append, journal_name, read_journal, type JournalHeader, type JournalLine } from './fuzz_journal.js';
import { abnormal_outcome, failure_site, read_failures, type FailureDoc } from './fuzz_corpus.js';
import { ResumeError } from './fuzz_params.js';

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

export interface FuzzIO {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Called after every finished run (progress bars). */
  onRun?: (s: { runs: number; pairs: number; unique: number; elapsed: number }) => void;
}

/** An abnormal run's record: its file, run index, design and how it ended (abnormal_outcome()). */
export interface AbnormalRun {
  file: string;
  index: number;
  design: string;
  outcome: string;
}

/** A run whose failures were saved with the full schedule, waiting for a job to shrink it. */
export interface FuzzShrink {
  c: FuzzCase;
  r: FuzzResult;
  docs: FailureDoc[];
}

export interface FuzzCampaign {
  readonly o: FuzzOptions;
  readonly io: FuzzIO;
  /** performance.now() at the start. */
  readonly t0: number;
  /** "k/n" */
  readonly shardText: string;
  readonly journalFile: string;
  readonly limits: FuzzLimits;
  /** Run indices finished, journalled ones included. */
  readonly done: Set<number>;
  /** Interleaving pairs covered so far. */
  readonly covered: Set<number>;
  /** Cases that covered a pair first: the parents of mutations. */
  readonly interesting: FuzzCase[];
  /** Failure sites in the corpus before the campaign started. */
  readonly known: Set<string>;
  /** Every site with a failure file: the corpus's, and each one this campaign writes (de-duplication, the stats). */
  readonly saved: Set<string>;
  /** Those of @saved whose file holds a free-running find: a controlled find of the site replaces it (it replays exactly). */
  readonly savedFree: Set<string>;
  readonly shrinks: FuzzShrink[];
  /** The next run index to consider. */
  nextIndex: number;
  /** Runs this invocation executed. */
  executed: number;
  /** Runs that did not end normally. */
  abnormal: number;
  /** This invocation's abnormal runs, as saved (<corpus>/abnormal/run-N.json). */
  readonly abnormalRuns: AbnormalRun[];
  /** Seconds and runs until the first failure new to the corpus (calibration), or null. */
  firstFind: { seconds: number; runs: number } | null;
  /** performance.now() of the last stats line. */
  lastStat: number;
}

/* Seconds since the campaign started. */
export function fuzz_elapsed(camp: FuzzCampaign): number {
  return (performance.now() - camp.t0) / 1000;
}

/* The campaign is over by time (without --runs), or by its first find (--stop-on-find). */
export function fuzz_time_up(camp: FuzzCampaign): boolean {
  const { o } = camp;
  return (o.runs === 0 && fuzz_elapsed(camp) >= o.seconds) || (o.stopOnFind === true && camp.firstFind !== null);
}

/* The journal: on --resume the campaign's state rebuilt from its lines (a damaged header rewritten), else a fresh one. */
function fuzz_journal_open(camp: FuzzCampaign, header: JournalHeader): void {
  const { o, journalFile, shardText } = camp;
  if (!o.resume) {
    /* A new campaign in a corpus that journals another: say what it replaces (the corpus's failures stay). */
    const old = read_journal(journalFile);
    if (old.header !== null) {
      const c = old.header.campaign as Partial<JournalHeader['campaign']> | null;
      camp.io.err(`swaptorture fuzz: ${journalFile} journalled ${c === null ? 'a campaign' : `campaign seed ${c.seed} shard ${c.shard}`} (${old.lines.length} runs); this new campaign's journal replaces it (--resume goes on with a journalled campaign)\n`);
    }
    write_atomic(journalFile, JSON.stringify(header) + '\n');
    return;
  }
  const j = read_journal(journalFile);
  if (j.header !== null && (j.header.campaign.seed !== o.seed || j.header.campaign.shard !== shardText)) {
    throw new ResumeError('--resume', `${journalFile} is campaign seed ${j.header.campaign.seed} shard ${j.header.campaign.shard}, not seed ${o.seed} shard ${shardText}`);
  }
  for (const l of j.lines) {
    camp.done.add(l.index);
    for (const p of l.newPairs) camp.covered.add(p);
    if (l.case) camp.interesting.push(l.case);
  }
  if (j.header === null) journal_append(journalFile, header);
}

/* Open: the corpus directory, the journal (fresh, or read back on --resume), the failure sites already in the corpus. */
export function fuzz_campaign_open(o: FuzzOptions, io: FuzzIO): FuzzCampaign {
  const t0 = performance.now();
  const shardText = `${o.shard.k}/${o.shard.n}`;
  const journalFile = join(o.corpus, journal_name(o.shard));
  if (o.resume && !existsSync(journalFile)) throw new ResumeError('--resume', `no campaign journal ${journalFile}`);
  mkdirSync(join(o.corpus, 'failures'), { recursive: true });
  const camp: FuzzCampaign = {
    o, io, t0, shardText, journalFile, limits: { designs: o.designs, maxCpus: o.maxCpus },
    done: new Set(), covered: new Set(), interesting: [], known: new Set(), saved: new Set(), savedFree: new Set(), shrinks: [],
    nextIndex: 0, executed: 0, abnormal: 0, abnormalRuns: [], firstFind: null, lastStat: 0,
  };
  fuzz_journal_open(camp, {
    campaign: { seed: o.seed, bug: o.bug, designs: o.designs, maxCpus: o.maxCpus, shard: shardText, target: o.target ?? 'model', guide: o.guide },
  });
  for (const [site, { doc }] of read_failures(o.corpus)) {
    camp.known.add(site);
    camp.saved.add(site);
    if ((doc as { sched?: { kind?: string } }).sched?.kind === 'free') camp.savedFree.add(site);
  }
  camp.lastStat = performance.now();
  return camp;
}

/* The next run of this shard, in index order, skipping finished ones; null when --runs are all taken. */
export function fuzz_take(camp: FuzzCampaign): number | null {
  const { o } = camp;
  for (;;) {
    if (o.runs > 0 && camp.nextIndex >= o.runs) return null;
    const i = camp.nextIndex++;
    if (i % o.shard.n === o.shard.k - 1 && !camp.done.has(i)) return i;
  }
}

/*
 * The case of run @i.  A third of the runs mutate a corpus entry.  Entries
 * that reached new pairs late are the rare ones (the common pairs were
 * taken early), so the parent is drawn with a quadratic bias towards the
 * newest entries.
 */
export function fuzz_case_for(camp: FuzzCampaign, i: number): FuzzCase {
  const { o, interesting } = camp;
  const rs = run_seed(o.seed ^ 0x6a09e667, i);
  if (o.guide && interesting.length > 0 && rs % 3 === 0) {
    const u = ((rs >>> 2) % 1024) / 1024;
    const parent = interesting[interesting.length - 1 - Math.floor(interesting.length * u * u)];
    return mutate_case(parent, parent.index, o.seed, i);
  }
  return o.target === 'synthetic' ? synthetic_fresh_case(o.seed, i) : fresh_case(o.seed, i, camp.limits, o.bug);
}

/* A failure new to the corpus, saved at once with the full schedule (the shrunk one is added when a job has shrunk it). */
function fuzz_save_failure(camp: FuzzCampaign, c: FuzzCase, r: FuzzResult, f: FuzzFinding, site: string): FailureDoc {
  const { o } = camp;
  const file = join(o.corpus, 'failures', `${site}.json`);
  const replay = `npx swaptorture repro --replay ${file}`;
  const doc = {
    site, invariant: f.invariant, message: f.message, step: f.step, design: c.design, seed: c.seed, index: c.index,
    sched: c.sched, bug: c.bug, schedule: r.schedule, shrunkSchedule: null as string | null, trace: null as string | null,
    replay, campaign: { seed: o.seed, shard: camp.shardText }, case: c,
  };
  write_atomic(file, JSON.stringify(doc, null, 1) + '\n');
  camp.firstFind ??= { seconds: fuzz_elapsed(camp), runs: camp.done.size + 1 };
  camp.io.err(`swaptorture fuzz: FAILURE [${f.invariant}] run ${c.index} (${c.design}, ${c.sched.kind}): ${f.message}\n  saved: ${file}\n  replay: ${replay}\n`);
  return { file, doc };
}

/*
 * An abnormal run (a deadlock, a livelock, a free-running stall, a case
 * whose system could not be set up, a CPU that threw), saved with its case
 * as <corpus>/abnormal/run-<index>.json: `repro --replay FILE` runs it
 * again (a controlled run exactly: its case holds the scheduler's seed).
 * Not a failure - no invariant broke - but a run that tested less than it
 * should, or a hang of the model worth a look.
 */
function fuzz_save_abnormal(camp: FuzzCampaign, c: FuzzCase, r: FuzzResult, abnormal: string): void {
  const { o } = camp;
  mkdirSync(join(o.corpus, 'abnormal'), { recursive: true });
  const file = join(o.corpus, 'abnormal', `run-${c.index}.json`);
  const replay = `npx swaptorture repro --replay ${file}`;
  const outcome = abnormal_outcome(abnormal);
  const doc = {
    outcome, abnormal, steps: r.steps, design: c.design, seed: c.seed, index: c.index, sched: c.sched, bug: c.bug,
    replay, campaign: { seed: o.seed, shard: camp.shardText }, case: c,
  };
  write_atomic(file, JSON.stringify(doc, null, 1) + '\n');
  camp.abnormalRuns.push({ file, index: c.index, design: c.design, outcome });
  camp.io.err(`swaptorture fuzz: abnormal run ${c.index} (${c.design}, ${c.sched.kind}): ${outcome}\n  saved: ${file}\n  replay: ${replay}\n`);
}

/* The run's journal line (with the case when it covered a pair first: it joins the interesting ones), then the progress and stats. */
function fuzz_journal_run(camp: FuzzCampaign, c: FuzzCase, r: FuzzResult, sites: string[], newPairs: number[]): void {
  const { o, io } = camp;
  const line: JournalLine = { index: c.index, seed: c.seed, design: c.design, sites, newPairs, abnormal: r.abnormal, ms: r.ms };
  if (newPairs.length > 0 && o.guide) {
    line.case = c;
    camp.interesting.push(c);
  }
  journal_append(camp.journalFile, line);
  camp.done.add(c.index);
  camp.executed++;
  io.onRun?.({ runs: camp.done.size, pairs: camp.covered.size, unique: camp.saved.size, elapsed: fuzz_elapsed(camp) });
  if (o.statIntervalS > 0 && performance.now() - camp.lastStat >= o.statIntervalS * 1000) {
    camp.lastStat = performance.now();
    io.err(`swaptorture fuzz: ${camp.done.size} runs, ${(camp.executed / Math.max(fuzz_elapsed(camp), 1e-3)).toFixed(1)} execs/s, ${camp.covered.size} coverage pairs, ${camp.saved.size} unique failures\n`);
  }
}

/* A finished run: the pairs it covered first, its failures new to the corpus saved (and queued for shrinking), its journal line. */
export function fuzz_record(camp: FuzzCampaign, c: FuzzCase, r: FuzzResult): void {
  const newPairs = r.pairs.filter((p) => !camp.covered.has(p));
  for (const p of newPairs) camp.covered.add(p);
  const sites: string[] = [];
  const docs: FailureDoc[] = [];
  for (const f of r.findings) {
    const site = failure_site(f.invariant, f.message);
    sites.push(site);
    /* In the corpus already, or found earlier in this campaign: de-duplicated - but a controlled find replaces a free-running one, which cannot replay step by step. */
    const upgrade = camp.savedFree.has(site) && c.sched.kind !== 'free';
    if (camp.saved.has(site) && !upgrade) continue;
    camp.saved.add(site);
    if (c.sched.kind === 'free') camp.savedFree.add(site);
    else camp.savedFree.delete(site);
    docs.push(fuzz_save_failure(camp, c, r, f, site));
  }
  if (docs.length > 0 && r.schedule !== '') camp.shrinks.push({ c, r, docs });
  if (r.abnormal !== null) {
    camp.abnormal++;
    fuzz_save_abnormal(camp, c, r, r.abnormal);
  }
  fuzz_journal_run(camp, c, r, sites, newPairs);
}

/* The shrunk schedule of a saved failure joins its file (rewritten atomically), with its timeline. */
export function fuzz_record_shrunk(job: FuzzShrink, traceFile: string, schedule: string | null): void {
  if (schedule === null) return;
  for (const { file, doc } of job.docs) write_atomic(file, JSON.stringify({ ...doc, shrunkSchedule: schedule, trace: traceFile }, null, 1) + '\n');
}
