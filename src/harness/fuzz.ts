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
 *    campaign's parameters, which --resume goes on with (resume_campaign()
 *    in src/harness/fuzz_params.ts, the journal's format in
 *    src/harness/fuzz_journal.ts);
 *  - every failure goes to <corpus>/failures/<invariant>-<site>.json as
 *    soon as its run returns, written to a temporary name and renamed
 *    (atomic on one file system): the case, the seed, the schedule, the
 *    invariant and the message; a job then shrinks the schedule (while
 *    the campaign's time lasts) and the file is rewritten with the shrunk
 *    schedule and the timeline file.  Failures are de-duplicated by
 *    invariant and site (the message with numbers blanked;
 *    src/harness/fuzz_corpus.ts).
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
 * The phases, each over one FuzzCampaign (src/harness/fuzz_campaign.ts):
 * open, run the jobs (drawing cases and recording runs as they finish),
 * sum up.
 *
 * Context: main thread.
 */
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { FuzzJob, FuzzJobData, FuzzResult } from './fuzz_types.js';
import { fuzz_widest_case } from './fuzz_case.js';
import { SYNTHETIC_CPUS } from './fuzz_synthetic.js';
import { worker_exec_argv } from './worker_argv.js';
import { worker_entry, worker_load } from './pack.js';
import { read_failures, type FuzzFailure } from './fuzz_corpus.js';
import {
  fuzz_campaign_open, fuzz_case_for, fuzz_elapsed, fuzz_record, fuzz_record_shrunk, fuzz_take, fuzz_time_up,
  type AbnormalRun, type FuzzCampaign, type FuzzIO, type FuzzOptions, type FuzzShrink,
} from './fuzz_campaign.js';

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
  /** This invocation's abnormal runs, each saved with its case (`repro --replay FILE` runs it again). */
  abnormalRuns: AbnormalRun[];
  seed: number;
  shard: string;
  interrupted: boolean;
  /** Seconds and runs until the first failure new to the corpus (calibration), or null. */
  firstFind: { seconds: number; runs: number } | null;
}

function fuzzWorkerFile(): string {
  return worker_entry('fuzz');
}

/* The job threads and the jobs in flight on them. */
interface FuzzJobs {
  readonly pool: Piscina;
  readonly inflight: Set<Promise<void>>;
  /** Wall-clock end of the campaign (ms since the epoch) for shrinking jobs; Infinity with --runs. */
  readonly deadline: number;
  /** The first job that failed (the pool's fault, not a run's finding): the campaign ends with it. */
  error: Error | null;
}

/* @work in flight until it settles. */
function fuzz_track(jobs: FuzzJobs, work: Promise<void>): void {
  const p: Promise<void> = work.finally(() => jobs.inflight.delete(p));
  jobs.inflight.add(p);
}

/* A job failed: the first such error ends the campaign once the jobs in flight are done. */
function fuzz_job_failed(jobs: FuzzJobs, e: Error): void {
  jobs.error ??= e;
}

/* Shrink a saved failure's schedule on a job thread; its file is rewritten with the shrunk one and the timeline. */
function fuzz_start_shrink(camp: FuzzCampaign, jobs: FuzzJobs, job: FuzzShrink): void {
  const traceFile = join(camp.o.corpus, 'failures', `run-${job.c.index}.trace.json`);
  const m: FuzzJob = { kind: 'shrink', c: job.c, r: job.r, traceFile, deadline: jobs.deadline };
  fuzz_track(jobs, (jobs.pool.run(m) as Promise<string | null>).then((sch) => fuzz_record_shrunk(job, traceFile, sch), (e: Error) => fuzz_job_failed(jobs, e)));
}

/* Execute run @i on a job thread; it is recorded when it returns. */
function fuzz_start_exec(camp: FuzzCampaign, jobs: FuzzJobs, i: number): void {
  const c = fuzz_case_for(camp, i);
  /* Jobs share the cores: a parked CPU of one execution must not spin against the running one of another. */
  const m: FuzzJob = { kind: 'exec', c, turnSpins: camp.o.jobs > 1 ? 256 : undefined };
  fuzz_track(jobs, (jobs.pool.run(m) as Promise<FuzzResult>).then((r) => fuzz_record(camp, c, r), (e: Error) => fuzz_job_failed(jobs, e)));
}

/* Keep --jobs jobs in flight: shrinking saved failures first, then executions, while runs and time are left. */
function fuzz_dispatch(camp: FuzzCampaign, jobs: FuzzJobs, signal?: AbortSignal): void {
  while (jobs.inflight.size < camp.o.jobs && !signal?.aborted && !fuzz_time_up(camp) && jobs.error === null) {
    const job = camp.shrinks.shift();
    if (job !== undefined) {
      fuzz_start_shrink(camp, jobs, job);
      continue;
    }
    const i = fuzz_take(camp);
    if (i === null) break;
    fuzz_start_exec(camp, jobs, i);
  }
}

/* Run the jobs: until the runs or the time are used up, or Ctrl-C; every job in flight finishes, the job threads go. */
async function fuzz_run_jobs(camp: FuzzCampaign, signal?: AbortSignal): Promise<void> {
  const { o } = camp;
  const load = worker_load(fuzzWorkerFile());
  const workerData: FuzzJobData & typeof load.workerData = { ...load.workerData, cpus: o.target === 'synthetic' ? SYNTHETIC_CPUS : fuzz_widest_case(camp.limits) };
  const pool = new Piscina({
    filename: load.filename, minThreads: o.jobs, maxThreads: o.jobs, concurrentTasksPerWorker: 1, idleTimeout: 200, execArgv: worker_exec_argv(), workerData,
  });
  const jobs: FuzzJobs = { pool, inflight: new Set(), deadline: o.runs > 0 ? Infinity : Date.now() - fuzz_elapsed(camp) * 1000 + o.seconds * 1000, error: null };
  try {
    for (;;) {
      fuzz_dispatch(camp, jobs, signal);
      if (jobs.inflight.size === 0) break;
      await Promise.race(jobs.inflight);
    }
  } finally {
    await Promise.allSettled(jobs.inflight);
    await pool.destroy();
  }
  if (jobs.error !== null) throw jobs.error;
}

/* Sum up: every failure file of the corpus (new ones marked), the counters. */
function fuzz_summary(camp: FuzzCampaign, interrupted: boolean): FuzzSummary {
  const failures: FuzzFailure[] = [...read_failures(camp.o.corpus).values()].map(({ file, doc }) => ({
    file, invariant: String(doc.invariant), site: String(doc.site), design: String(doc.design), schedule: String(doc.shrunkSchedule ?? doc.schedule ?? ''),
    replay: String(doc.replay), fresh: !camp.known.has(String(doc.site)),
  }));
  const seconds = fuzz_elapsed(camp);
  return {
    runs: camp.done.size, executed: camp.executed, seconds, execsPerSec: camp.executed / Math.max(seconds, 1e-3), coveragePairs: camp.covered.size,
    failures, uniqueFailures: failures.length, newFailures: failures.filter((f) => f.fresh).length, abnormal: camp.abnormal, abnormalRuns: camp.abnormalRuns,
    seed: camp.o.seed, shard: camp.shardText, interrupted, firstFind: camp.firstFind,
  };
}

/** Run a campaign.  @signal stops it between runs (Ctrl-C): what finished is kept. */
export async function run_fuzz(o: FuzzOptions, io: FuzzIO, signal?: AbortSignal): Promise<FuzzSummary> {
  const camp = fuzz_campaign_open(o, io);
  await fuzz_run_jobs(camp, signal);
  return fuzz_summary(camp, signal?.aborted === true);
}
