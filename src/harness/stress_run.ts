/*
 * The state of one stress run (src/harness/stress.ts), made once by the
 * boot phase and handed to every phase after it: the options, the system
 * and its task layout, the CPU pool, what was found (violations seen,
 * stalls, crashed workers, checks run), why the run is stopping, and the
 * clock.  Nothing of it is derived again elsewhere.
 *
 * Context: main thread (task 0); the CPUs never see this object, only the
 * arena.
 */
import type { System } from '../api/system.js';
import type { CpuPool } from './cpus.js';
import type { CpuSpec } from './programs.js';
import type { ProgressBar } from './progress.js';
import { torture_stop } from './torture_ctl.js';
import type { Watchdog } from './watchdog.js';
import { collect_counters, type StressCounters, type StressResult } from './stress_report.js';
import type { StressOptions, StressTasks } from './stress_options.js';

export interface StressIO {
  /** Human output (summary, stats) - stdout unless --json. */
  out(s: string): void;
  /** Diagnostics and the progress bar - stderr. */
  err(s: string): void;
}

export interface StressRun {
  readonly o: StressOptions;
  readonly io: StressIO;
  /** The command that runs it again (same inputs, same seed): printed with every violation. */
  readonly replay: string;
  readonly sys: System;
  readonly tasks: StressTasks;
  /** One per worker thread, in tasks.all order. */
  readonly specs: CpuSpec[];
  readonly pool: CpuPool;
  readonly watchdog: Watchdog;
  readonly bar: ProgressBar | null;
  /** Every CPU has returned (or was terminated): nothing is left to watch. */
  done: boolean;

  /* What was found. */
  /** Violations already printed or counted, by report sequence number. */
  readonly printed: Set<number>;
  /** Worker crashes (not a BUG() violation). */
  readonly harnessErrors: string[];
  readonly stalls: StressResult['stalls'];
  /** Quiescent checks run. */
  checks: number;
  /** Time the world stood stopped for the periodic checks (park requested to release), ms. */
  checkMs: number;
  /** A worker died of something other than a violation. */
  crashed: boolean;
  /** Stopped by Ctrl-C. */
  interrupted: boolean;
  /** Why the run is stopping: '' while it runs; the first reason given wins. */
  stopReason: string;

  /* The clock. */
  /** performance.now() when the clock started: the CPUs' start, then again once every CPU is in its workload loop. */
  t0: number;
  /** Every CPU is in its workload loop: the clock runs. */
  running: boolean;
  /** Worker start-up before the clock started, seconds. */
  startupS: number;
  /** The workload's run time, seconds (set by the stop phase). */
  seconds: number;
  /** When each periodic action is next due, ms on the clock. */
  readonly next: { check: number; shuffle: number; stat: number };
  /** The shuffler's xorshift32 state. */
  shuffleRand: number;
}

/* A diagnostic line on stderr, the progress bar cleared first. */
export function stress_say(run: StressRun, s: string): void {
  run.bar?.clear();
  run.io.err(s);
}

/* End the run: every task stops at its next operation boundary.  The first @why is the one reported. */
export function stress_stop(run: StressRun, why: string): void {
  if (run.stopReason === '') run.stopReason = why;
  torture_stop();
}

/* Seconds on the clock. */
export function stress_elapsed(run: StressRun): number {
  return (performance.now() - run.t0) / 1000;
}

/* Every counter of the run: the workers' for Max/Min, the harness's and every CPU task's for the totals. */
export function stress_counters(run: StressRun): StressCounters {
  return collect_counters(run.tasks.workers, [0, ...run.tasks.all]);
}
