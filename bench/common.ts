/*
 * Shared shape of the benchmark suites (bench/*.bench.ts) and their rows.
 *
 * A suite is a module exporting a BenchSuite: it builds its own tinybench
 * Bench, adds its tasks, runs them and returns rows.  bench/run.ts lists
 * the suites (one line each), filters them with --suite and prints a table
 * or, with --json, one JSON document.
 *
 * Figures are medians: tinybench's latency.p50 of one call, divided by the
 * operations the call performs (each task runs an inner loop, so the timer
 * cost is amortised over @opsPerCall operations).
 */
import type { Bench } from 'tinybench';
import { text_table } from '../src/harness/text_table.js';

export interface BenchOptions {
  /** Time budget per task, ms (tinybench `time`). */
  time: number;
  /** Warm-up budget per task, ms. */
  warmupTime: number;
}

export interface BenchRow {
  suite: string;
  name: string;
  /** Median operations per second. */
  opsPerSec: number;
  /** Median nanoseconds per operation. */
  nsPerOp: number;
  /** Cost relative to the suite's baseline row (nsPerOp / baseline nsPerOp); 1 for the baseline. */
  vsBaseline: number | null;
  baseline: string | null;
  /** tinybench samples (calls) measured. */
  samples: number;
  /** Relative margin of error of the latency mean, percent. */
  rme: number;
  /** Further measured figures of the row (e.g. the stress suite's share of time in cluster locks). */
  extra?: Record<string, number>;
}

export interface BenchSuite {
  name: string;
  description: string;
  run(opts: BenchOptions): Promise<BenchRow[]>;
  /** Charts of the suite's rows, as SVG documents (`--plot`); suites without charts leave it out. */
  charts?(rows: BenchRow[]): string[];
}

/** The median of @xs (the upper one of an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Per-task overrides of rowsFromBench()'s defaults. */
export interface TaskSpec {
  /** Operations one call performs (default: the suite's opsPerCall). */
  ops?: number;
  /** The row this one is compared with (default: the suite's baseline; null for none). */
  baseline?: string | null;
}

/**
 * Rows from a finished Bench whose tasks do @opsPerCall operations per
 * call; ratios against the task named @baseline.  @perTask overrides
 * either for single tasks (a suite with several baselines, or tasks too
 * slow for the common inner loop).
 */
export function rowsFromBench(
  suite: string, bench: Bench, opsPerCall: number, baseline: string | null, perTask: Record<string, TaskSpec> = {},
): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') {
      throw new Error(`bench ${suite}/${task.name}: ${r.state}${r.state === 'errored' ? `: ${r.error.message}` : ''}`);
    }
    const spec = perTask[task.name] ?? {};
    const nsPerOp = (r.latency.p50 * 1e6) / (spec.ops ?? opsPerCall);
    rows.push({
      suite,
      name: task.name,
      opsPerSec: 1e9 / nsPerOp,
      nsPerOp,
      vsBaseline: null,
      baseline: spec.baseline !== undefined ? spec.baseline : baseline,
      samples: r.latency.samplesCount,
      rme: r.latency.rme,
    });
  }
  for (const row of rows) {
    const base = rows.find((x) => x.name === row.baseline);
    row.vsBaseline = base !== undefined ? row.nsPerOp / base.nsPerOp : null;
  }
  return rows;
}

function fmtOps(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

/** A plain-text table of @rows. */
export function formatRows(rows: BenchRow[]): string {
  const head = ['suite', 'task', 'ops/s (median)', 'ns/op', 'x baseline', 'rme %', 'samples', 'baseline'];
  const body = rows.map((r) => [
    r.suite,
    r.extra ? `${r.name} (${Object.entries(r.extra).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(3)}`).join(', ')})` : r.name,
    fmtOps(r.opsPerSec),
    r.nsPerOp.toFixed(2),
    r.vsBaseline === null ? '-' : r.vsBaseline.toFixed(2),
    r.rme.toFixed(1),
    String(r.samples),
    r.vsBaseline === null || r.baseline === r.name ? '' : (r.baseline ?? ''),
  ]);
  return text_table(head, body, (i) => i < 2 || i === head.length - 1, true);
}
