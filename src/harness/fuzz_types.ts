/*
 * Fuzzing campaigns, the shared vocabulary: a case (one execution's
 * configuration, src/harness/fuzz_case.ts draws them), what executing one
 * returns (src/harness/fuzz_exec.ts), and what the campaign hands a job
 * thread (workers/fuzz.ts).  Types only: every fuzz module sits above
 * this one, so the arrows between them point one way.
 */
import type { DesignName } from '../mm/swap_design.js';
import type { Scenario } from '../scenario/fields.js';

/**
 * A labelled PCT change point: the @nth arrival at race-window point number
 * @window (an index into window_points(), taken modulo their number).
 */
export interface FuzzWindow {
  window: number;
  nth: number;
}

/* PCT's change points: @at[i] labels change point i (null: a uniformly drawn step). */
export type FuzzSched = { kind: 'pct'; depth: number; at?: (FuzzWindow | null)[] } | { kind: 'random' } | { kind: 'free' };

/** The synthetic target's input (src/harness/fuzz_synthetic.ts): the key (only multiples of PUZZLE_KEYS open the window). */
export interface SyntheticInput {
  key: number;
}

export interface FuzzCase {
  /** Run index in the campaign (the shard and resume unit). */
  index: number;
  /** Seeds the scheduler and every task's random stream. */
  seed: number;
  design: DesignName;
  sched: FuzzSched;
  /** A bug switch turned on for calibration, or null. */
  bug: string | null;
  scenario: Scenario;
  /** Index of the corpus entry this case was mutated from, or null (fresh). */
  parent: number | null;
  /** `--target synthetic`: the puzzle's input (src/harness/fuzz_synthetic.ts); the scenario is then unused. */
  synthetic?: SyntheticInput;
}

export interface FuzzLimits {
  designs: readonly DesignName[];
  maxCpus: number;
}

export interface FuzzFinding {
  invariant: string;
  message: string;
  step: number;
}

export interface FuzzResult {
  index: number;
  seed: number;
  design: string;
  /** Violations reported, in order. */
  findings: FuzzFinding[];
  /** The controlled schedule (empty when free-running). */
  schedule: string;
  steps: number;
  /** A run that did not end normally (deadlock, livelock, a crashed CPU) and why. */
  abnormal: string | null;
  /** Interleaving-pair bits this execution covered. */
  pairs: number[];
  ms: number;
}

/** What a job thread (workers/fuzz.ts) is started with: the most CPUs a case of the campaign has. */
export interface FuzzJobData {
  cpus: number;
}

/** What the campaign hands a job thread (workers/fuzz.ts). */
export type FuzzJob =
  | { kind: 'exec'; c: FuzzCase; turnSpins?: number }
  /* A failure already saved: shrink its schedule and write its timeline to @traceFile. */
  | { kind: 'shrink'; c: FuzzCase; r: FuzzResult; traceFile: string; deadline: number };
