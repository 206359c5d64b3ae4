/*
 * explore's result as a document (`explore --json`), and the join of
 * shard documents (`explore merge`): sums, the union of terminal states,
 * the first violation in a deterministic order (fewest preemptions, then
 * lowest shard).
 *
 * Context: main thread.
 */
import type { ExploreResult } from './explore.js';

export type ExploreVerdict = ExploreResult['verdict'] | 'incomplete';

/** One `explore --json` document (docs/explore.md lists the fields). */
export interface ExploreDoc {
  race: string;
  design: string;
  fixed: boolean;
  /** K. */
  preemptions: number;
  reduction: string;
  /** "k/n", or "k1,k2,.../n" for a merge. */
  shard: string;
  explored: number;
  pruned: number;
  beyondBound: number;
  terminalStates: number;
  terminals: string[];
  ms: number;
  schedulesPerSecond: number;
  verdict: ExploreVerdict;
  /** verdict "budget": the time (--budget-seconds) or the memory (too many branches queued) ran out. */
  stoppedBy: 'time' | 'schedules' | 'memory' | null;
  /** Budget hit or interrupted: branches not run, and the covered fraction (an upper estimate). */
  pending: number;
  coverageEstimate: number | null;
  violation: null | {
    /** The fewest preemptions that expose it (the ICB round that found it). */
    preemptions: number;
    invariant: string | null;
    message: string | null;
    step: number | null;
    replay: string | null;
    shrunk: string | null;
    switches: number | null;
    shrunkSwitches: number | null;
  };
}

/** Covered fraction, estimated: every branch not run counted as one schedule (its subtree is at least that): an upper bound. */
export function coverage_estimate(explored: number, pending: number): number {
  return explored + pending === 0 ? 1 : explored / (explored + pending);
}

export function explore_doc(r: ExploreResult): ExploreDoc {
  const v = r.violation;
  const stopped = r.verdict === 'budget' || r.verdict === 'interrupted';
  return {
    race: r.race, design: r.design, fixed: r.fixed, preemptions: r.bound, reduction: r.reduction, shard: `${r.shard.k}/${r.shard.n}`,
    explored: r.explored, pruned: r.pruned, beyondBound: r.beyond, terminalStates: r.terminals.length, terminals: r.terminals,
    ms: r.ms, schedulesPerSecond: r.ms > 0 ? Math.round((r.explored / r.ms) * 10000) / 10 : 0, verdict: r.verdict, stoppedBy: r.stoppedBy,
    pending: r.pending, coverageEstimate: stopped ? coverage_estimate(r.explored, r.pending) : null,
    violation: v === null ? null : {
      preemptions: v.preemptions, invariant: v.repro.invariant, message: v.repro.message, step: v.repro.step,
      replay: v.repro.schedule, shrunk: v.repro.shrunk, switches: v.repro.switches, shrunkSwitches: v.repro.shrunkSwitches,
    },
  };
}

/** Shard documents that cannot be joined: the reason names the file. */
export class ExploreMergeError extends Error {}

const SAME = ['race', 'preemptions', 'design', 'fixed', 'reduction'] as const;

/*
 * The shards @d covers, each k of 1..n once: a shard outside them would
 * count towards "every shard merged" (seen.size === n) for one that never
 * ran, and make an incomplete exploration "exhausted".
 */
function shard_of(d: ExploreDoc, file: string): { ks: number[]; n: number } {
  const m = /^(\d+(?:,\d+)*)\/(\d+)$/.exec(String(d.shard));
  if (m === null) throw new ExploreMergeError(`${file}: shard "${String(d.shard)}" is not k/n`);
  const ks = m[1].split(',').map(Number);
  const n = Number(m[2]);
  if (!Number.isSafeInteger(n) || n < 1 || ks.some((k) => k < 1 || k > n) || new Set(ks).size !== ks.length) {
    throw new ExploreMergeError(`${file}: shard "${String(d.shard)}" is not k/n with each k once in 1..n`);
  }
  return { ks, n };
}

/* Is @d an explore document at all (the fields merge reads)? */
function check_doc(d: unknown, file: string): ExploreDoc {
  const x = d as Record<string, unknown>;
  if (typeof x !== 'object' || x === null || typeof x.race !== 'string' || typeof x.explored !== 'number' || !Array.isArray(x.terminals) || typeof x.verdict !== 'string') {
    throw new ExploreMergeError(`${file}: not an explore --json document (expected the fields race, explored, terminals, verdict)`);
  }
  return d as ExploreDoc;
}

/** Join shard documents @docs (read from @files).  Throws ExploreMergeError when they do not belong together. */
export function explore_merge(docs: unknown[], files: string[]): ExploreDoc {
  const ds = docs.map((d, i) => check_doc(d, files[i]));
  const first = ds[0];
  const shards = ds.map((d, i) => shard_of(d, files[i]));
  const n = shards[0].n;
  const seen = new Set<number>();
  ds.forEach((d, i) => {
    for (const f of SAME) if (d[f] !== first[f]) throw new ExploreMergeError(`${files[i]}: ${f} ${JSON.stringify(d[f])} differs from ${files[0]}'s ${JSON.stringify(first[f])}`);
    if (shards[i].n !== n) throw new ExploreMergeError(`${files[i]}: shard ${d.shard} is not of /${n} like ${files[0]}`);
    for (const k of shards[i].ks) {
      if (seen.has(k)) throw new ExploreMergeError(`${files[i]}: shard ${k}/${n} given twice`);
      seen.add(k);
    }
  });
  const order = ds.map((d, i) => ({ d, k: Math.min(...shards[i].ks) })).sort((a, b) => a.k - b.k);
  const viol = order.filter((o) => o.d.violation !== null).sort((a, b) => a.d.violation!.preemptions - b.d.violation!.preemptions || a.k - b.k)[0];
  const terminals = [...new Set(ds.flatMap((d) => d.terminals))].sort();
  const sum = (f: 'explored' | 'pruned' | 'beyondBound' | 'pending' | 'ms'): number => ds.reduce((s, d) => s + d[f], 0);
  const complete = seen.size === n && ds.every((d) => d.verdict === 'exhausted');
  const verdict: ExploreVerdict = viol !== undefined ? 'violation' : complete ? 'exhausted' : ds.some((d) => d.verdict === 'interrupted') ? 'interrupted' : ds.some((d) => d.verdict === 'budget') ? 'budget' : 'incomplete';
  const explored = sum('explored');
  const ms = sum('ms');
  return {
    ...first, shard: `${[...seen].sort((a, b) => a - b).join(',')}/${n}`, explored, pruned: sum('pruned'), beyondBound: sum('beyondBound'),
    terminalStates: terminals.length, terminals, ms, schedulesPerSecond: ms > 0 ? Math.round((explored / ms) * 10000) / 10 : 0,
    verdict, stoppedBy: verdict !== 'budget' ? null : ds.some((d) => d.stoppedBy === 'memory') ? 'memory' : ds.some((d) => d.stoppedBy === 'schedules') ? 'schedules' : 'time', pending: sum('pending'), coverageEstimate: verdict === 'budget' || verdict === 'interrupted' ? coverage_estimate(explored, sum('pending')) : null,
    violation: viol?.d.violation ?? null,
  };
}
