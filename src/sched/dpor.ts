/*
 * Dynamic partial-order reduction for explore (--reduction dpor): which
 * alternatives a run makes necessary, from the races between its steps
 * (Flanagan & Godefroid, "Dynamic partial-order reduction for model
 * checking software", POPL 2005), made sound under the preemption bound
 * as Coons, Musuvathi & McKinley show ("Bounded partial-order reduction",
 * OOPSLA 2013).  The search that runs them is src/sched/explore.ts.
 *
 * Steps and dependence.  Step s of a run is the code task record[s] runs
 * from the interleaving point where it was chosen to its next one; its
 * footprint (src/sched/footprint.ts) is the set of 8-byte units it read
 * and wrote.  Two steps of different tasks are dependent when one writes
 * a unit the other reads or writes, or either is global (reads the step
 * clock, ends in a timed wait, overflowed the log): footprint_independent().
 * Independent steps commute - the same state either way - and neither
 * enables nor disables the other: a spin on a lock reads the lock word, so
 * the unlock that makes it runnable again is dependent with it; a timed
 * wait, whose end depends on who steps next, is global.
 *
 * Happens-before and races.  Walking the run, each step gets a vector
 * clock: its task's previous step joined with every earlier step it
 * depends on (per unit: its last writer, and for a write every reader
 * since; and the last global step; a global step depends on the latest
 * step of every task).  Steps j < i of different tasks race when they are
 * dependent and j does not happen before i through any other step (its
 * task's previous step or another dependency of i).  Then the order of j
 * and i may matter, and the other order must be tried: at the node before
 * j, task p = record[i] is a backtrack point - or, if p could not run
 * there, every task that could (FG05's rule).  Only races whose later
 * step is one the run added (i >= the branch's length) are new: the
 * prefix was analysed by the run that first took it, and runs are
 * deterministic.
 *
 * Why it is enough (FG05, Theorem 1): the tasks a node's runs and
 * backtrack points reach form a persistent set there - for every schedule
 * from the node, some explored first step of it commutes to the front
 * with everything it passes - so every terminal state, and every
 * violation, reachable from the node is reached by an explored schedule.
 *
 * The bound.  Plain DPOR under a preemption bound is unsound (CMM13,
 * section 3): the backtrack point at j may need a preemption (switching
 * away from record[j - 1] while it could go on) that the bound forbids,
 * while the schedule it stands for ran p at a point where switching was
 * free or already paid for.  Their fix, kept here: every backtrack point
 * for p at the node before j is also added at the node where the
 * preempted task's execution block began (the last context switch at or
 * before j - 1, or the root): running p there costs no more than the
 * switch that began the block.  With it, every schedule of at most K
 * preemptions has an equivalent explored one of at most K (CMM13,
 * Theorem 4.2), so the bounded search's guarantee - exhausted rounds
 * 0..K mean no violation with at most K preemptions, and the round that
 * finds one is the fewest - holds with dpor as without a reduction.
 *
 * Fairness.  The search only takes fair choices (a task that yielded
 * waits for the tasks runnable then, src/sched/explore.ts): a backtrack
 * point for a task that may not run at its node is treated as one for a
 * task that cannot (every fair choice there is added).
 *
 * The search's nodes are identified without a tree: a node before step k
 * of a run belongs to the run that first took it - the run itself for k
 * past the branch's length, else its parent's node (DporNode.owner) - and
 * keeps the mask of tasks run or queued there, so no schedule is run
 * twice.  Only the runs on the path of a queued branch stay reachable.
 *
 * Kernel mapping: none (harness machinery).  Context: main thread.
 */
import type { Footprint } from './footprint_read.js';

/* A node of the schedule tree as the search knows it: the run that first took it and its choices. */
export class DporNode {
  /* Position -> mask of the tasks run or queued at the node before that step (absent: only base[position]). */
  private readonly done = new Map<number, number>();

  /**
   * @parent owns the nodes before steps 0..@len (the run deviated from
   * it at @len); @base is this run's record.  The root has no parent and
   * owns every node of its run.
   */
  constructor(readonly parent: DporNode | null, readonly len: number, readonly base: Uint8Array) {}

  /** The run owning the node before step @k of this run. */
  owner(k: number): DporNode {
    let n: DporNode = this;
    while (n.parent !== null && k <= n.len) n = n.parent;
    return n;
  }

  /** Mark task @t run or queued at the node before step @k (this run owns it): false if it already was. */
  mark(k: number, t: number): boolean {
    const m = this.done.get(k) ?? 1 << this.base[k];
    if ((m >>> t) & 1) return false;
    this.done.set(k, m | (1 << t));
    return true;
  }
}

/*
 * The steps step @s depends on among the earlier ones, as the walk keeps
 * them: per unit the last writer and the readers since (one per task,
 * its latest), the last global step, the latest step of each task.
 * Context: main thread; one walk's scratch (the readers' arrays are
 * updated in place).
 */
class Accesses {
  readonly lastWrite = new Map<number, number>();
  readonly readers = new Map<number, number[]>();
  lastGlobal = -1;
  readonly latest: number[];
  /* seen[d] === s + 1: step d is already among step s's dependencies. */
  private readonly seen: Int32Array;

  constructor(tasks: number, steps: number) {
    this.latest = new Array<number>(tasks).fill(-1);
    this.seen = new Int32Array(steps);
  }

  /* The earlier steps step @s (footprint @fp, by task @p) depends on directly, other tasks' only. */
  deps(s: number, p: number, fp: Footprint, record: readonly number[]): number[] {
    const out: number[] = [];
    const add = (d: number): void => {
      if (d < s && record[d] !== p && this.seen[d] !== s + 1) {
        this.seen[d] = s + 1;
        out.push(d);
      }
    };
    if (fp.global) {
      for (let t = 0; t < this.latest.length; t++) if (this.latest[t] >= 0) add(this.latest[t]);
    } else {
      for (let k = 0; k < fp.units.length; k++) {
        const u = fp.units[k];
        const w = this.lastWrite.get(u);
        if (w !== undefined) add(w);
        if (k < fp.nw) {
          const rs = this.readers.get(u);
          if (rs !== undefined) for (const r of rs) add(r);
        }
      }
      if (this.lastGlobal >= 0) add(this.lastGlobal);
    }
    return out;
  }

  /* Step @s (by @p, footprint @fp) is done: it is the last access of its units. */
  done(s: number, p: number, fp: Footprint, record: readonly number[]): void {
    this.latest[p] = s;
    if (fp.global) {
      this.lastGlobal = s;
      return;
    }
    for (let k = 0; k < fp.units.length; k++) {
      const u = fp.units[k];
      if (k < fp.nw) {
        this.lastWrite.set(u, s);
        this.readers.delete(u);
        continue;
      }
      const rs = this.readers.get(u);
      if (rs === undefined) {
        this.readers.set(u, [s]);
        continue;
      }
      /* One reader per task: @p's earlier read of the unit is replaced (it happens before @s). */
      const i = rs.findIndex((r) => record[r] === p);
      if (i >= 0) rs.splice(i, 1);
      rs.push(s);
    }
  }
}

/**
 * The backtrack points run @record (footprints @fps) makes necessary, for
 * the races whose later step is at @from or after: node position -> mask
 * of the tasks to run there (a task that cannot run at its node stands
 * for every one that can: the caller's rule).  Each race's point at the
 * node before its first step, and the same task at the node where the
 * task preempted there began its execution block (CMM13).
 */
export function dpor_backtracks(record: readonly number[], fps: readonly Footprint[], from: number): Map<number, number> {
  const n = record.length;
  let T = 1;
  for (const t of record) T = Math.max(T, t + 1);
  /* vc[s * T + t]: 1 + the latest step of task t that happens before or is step s (0: none). */
  const vc = new Int32Array(n * T);
  const acc = new Accesses(T, n);
  const out = new Map<number, number>();
  const want = (k: number, p: number): void => {
    out.set(k, (out.get(k) ?? 0) | (1 << p));
  };
  for (let s = 0; s < n; s++) {
    const p = record[s];
    const fp = fps[s];
    const prev = acc.latest[p];
    const deps = acc.deps(s, p, fp, record);
    const clock = vc.subarray(s * T, s * T + T);
    if (prev >= 0) clock.set(vc.subarray(prev * T, prev * T + T));
    if (s >= from) {
      for (const j of deps) {
        const tj = record[j];
        /* j happens before s through p's previous step or another of s's dependencies: not a race. */
        if (clock[tj] > j || deps.some((d) => d !== j && vc[d * T + tj] > j)) continue;
        want(j, p);
        /* CMM13: also where the block of the task preempted at j began. */
        if (j > 0) {
          let k = j - 1;
          while (k > 0 && record[k - 1] === record[j - 1]) k--;
          if (k !== j) want(k, p);
        }
      }
    }
    for (const d of deps) for (let t = 0; t < T; t++) if (vc[d * T + t] > clock[t]) clock[t] = vc[d * T + t];
    clock[p] = s + 1;
    acc.done(s, p, fp, record);
  }
  return out;
}
