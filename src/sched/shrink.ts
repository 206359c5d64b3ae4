/*
 * Shrinking a failing schedule: fewer context switches, same invariant
 * broken.  A schedule is a list of segments (a task and how many points
 * it ran); removing a segment - giving its steps to the task before it, or
 * to the task after it - removes a preemption.  Each candidate runs under
 * the guided strategy (guided.ts), and a candidate that still breaks the
 * invariant is replaced by that run's own exact recording, so the result
 * replays with plain replay.  Greedy and bounded: it stops at a fixpoint,
 * after @maxRuns runs, or once Date.now() passes @deadline (Shuttle and QuickCheck-style shrinkers do the
 * same kind of search; the result is minimal per removal, not globally).
 */
import { count_switches } from './schedule.js';

/** A run of an edited schedule: did the same invariant break, and what did it really record? */
export type TryRun = (record: number[]) => Promise<{ failed: boolean; record: number[] }>;

interface Segment {
  task: number;
  len: number;
}

function segments(record: readonly number[]): Segment[] {
  const out: Segment[] = [];
  for (const t of record) {
    const last = out[out.length - 1];
    if (last !== undefined && last.task === t) last.len++;
    else out.push({ task: t, len: 1 });
  }
  return out;
}

function expand(segs: readonly Segment[]): number[] {
  return segs.flatMap((s) => new Array<number>(s.len).fill(s.task));
}

export interface ShrinkResult {
  record: number[];
  runs: number;
  switchesBefore: number;
  switchesAfter: number;
}

/*
 * The step budget of a candidate run: a few times the run being shrunk.
 * An edited schedule can leave its guided continuation in a livelock (two
 * timed waiters taking turns while the task they wait for is never
 * picked); such a candidate is rejected either way, and without a budget
 * of its own it would run to the arena's whole step record first - 2^18
 * steps, most of a shrink's time.
 */
export function shrink_max_steps(steps: number): number {
  return 4 * steps + 1024;
}

export async function shrink_schedule(record: number[], tryRun: TryRun, maxRuns = 200, deadline = Infinity): Promise<ShrinkResult> {
  let cur = record;
  let runs = 0;
  const before = count_switches(record);
  const more = (): boolean => runs < maxRuns && Date.now() < deadline;
  for (let improved = true; improved && more(); ) {
    improved = false;
    const segs = segments(cur);
    for (let j = segs.length - 1; j >= 1 && !improved && more(); j--) {
      for (const into of [j - 1, j + 1]) {
        if (into >= segs.length || !more()) continue;
        const cand = segs.map((s, i) => (i === j ? { task: segs[into].task, len: s.len } : s));
        runs++;
        const r = await tryRun(expand(cand));
        if (r.failed && count_switches(r.record) < count_switches(cur)) {
          cur = r.record;
          improved = true;
          break;
        }
      }
    }
  }
  return { record: cur, runs, switchesBefore: before, switchesAfter: count_switches(cur) };
}
