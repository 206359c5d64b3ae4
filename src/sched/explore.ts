/*
 * Bounded exhaustive schedule exploration: iterative context bounding
 * (Musuvathi & Qadeer, "Iterative context bounding for systematic testing
 * of multithreaded programs", PLDI 2007) with sleep sets (Godefroid,
 * "Partial-order methods for the verification of concurrent systems",
 * 1996) or dynamic partial-order reduction (src/sched/dpor.ts),
 * stateless: every schedule is a re-execution.
 *
 * The tree.  A node is a scheduler step; its children are the tasks
 * runnable there.  Choosing another task than the one at the point while
 * that one could go on is a preemption (cost 1); every other choice (the
 * first task, or after the running task blocked, waited or finished) is
 * free.  A schedule is a forced prefix of choices followed by the
 * non-preemptive continuation (src/sched/prefix.ts), so each run explores
 * one new branch and reveals, step by step, the alternatives below it.
 * Round k runs every schedule of exactly k preemptions (depth-first, in
 * task order); a branch that needs one more waits for round k + 1.  The
 * guarantee (CHESS's): when rounds 0..K are exhausted, no schedule with at
 * most K preemptions breaks an invariant - a bug found in round k needs k
 * preemptions, and none with fewer does.
 *
 * Sleep sets, made safe for the bound.  Plain sleep sets put every
 * explored sibling to sleep; under a preemption bound that is unsound
 * (the representative kept can need more preemptions than the schedule
 * pruned - Coons, Musuvathi & McKinley, "Bounded partial-order
 * reduction", OOPSLA 2013).  Here only one task sleeps: when a branch
 * preempts task t at node n, t sleeps below it while the steps taken
 * commute with t's pending step (footprints: src/sched/footprint.ts), and
 * a branch that would run t while asleep is pruned.  Its representative
 * runs t's step first, at n, without the preemption - t was the running
 * task - and the steps after it in the same order: moving t's step ahead
 * turns "preempt t, ..., switch back to t" into "t, switch, ...", never
 * more preemptions (switching to t was either a preemption or free, and so
 * is switching away from it).  So every schedule of at most K preemptions
 * has a representative of at most K that is explored, with the same
 * terminal state and the same violations.  Sibling alternatives (two
 * preemptions at one node, or free choices) are not put to sleep: that is
 * the unsound part.
 *
 * DPOR (--reduction dpor): instead of every alternative at every node of
 * a run, only the backtrack points its races demand, each node's run or
 * queued tasks kept so none runs twice; the argument, with the bound's
 * conservative points, is in src/sched/dpor.ts.
 *
 * Fairness (Musuvathi & Qadeer, "Fair stateless model checking", PLDI
 * 2008).  The model's waits re-check in a loop (a futex wait with a
 * timeout: a waiting task is runnable again once another steps), so the
 * tree holds endless unfair schedules - two waiters re-checking in turn
 * while the task they wait for never runs.  As CHESS does, a task that
 * yields (ends a step in a timed wait) gets a lower priority than every
 * task runnable then, until each of those has run: only such fair
 * choices are alternatives, and a continuation that makes an unfair one
 * is not followed further.  A schedule that ends (every task finished) is
 * reachable fairly whenever it is reachable at all, for programs whose
 * waits do terminate (the paper's fair-termination premise).
 *
 * Shards: the schedule all-continuation (no deviation) belongs to shard 1;
 * every other schedule to the shard of its first deviation from it, by the
 * deviation's index in the root run's (deterministic) order modulo n.
 * Every shard runs the root schedule to find its deviations; only shard 1
 * counts it.
 *
 * Kernel mapping: none (harness machinery).  Context: main thread.
 */
import { RUNNABLE_YIELDED } from '../shm/layout.js';
import { footprint_independent, type Footprint } from './footprint_read.js';
import { dpor_backtracks, DporNode } from './dpor.js';

export type Reduction = 'none' | 'sleep' | 'dpor';

/** One re-execution: the schedule taken, what was runnable at each step, each step's footprint. */
export interface ExploreRun {
  /** Task chosen at each step 0..n-1 (the forced prefix is its start). */
  record: number[];
  /** Bitmask of the runnable tasks at each step. */
  runnable: number[];
  /** Footprint of each step (the step chosen there); null without a reduction. */
  footprints: Footprint[] | null;
  /** Hash of the model state at the end (src/shm/state_hash.ts). */
  terminal: string;
  /** The run broke an invariant (or did not end normally): the search stops. */
  failed: boolean;
}

export type ExploreExec = (prefix: number[]) => Promise<ExploreRun>;

export interface ExploreSearchOptions {
  /** K: the most preemptions a schedule may have. */
  bound: number;
  reduction: Reduction;
  /** Shard k of n (1-based). */
  shard: { k: number; n: number };
  /** Called before each run: true stops the search (budget, Ctrl-C). */
  stop?: () => boolean;
  /** Called after each run. */
  progress?: (s: ExploreStats) => void;
}

export interface ExploreStats {
  /** Schedules run (and counted by this shard). */
  explored: number;
  /** Alternatives not run because the reduction proved them redundant. */
  pruned: number;
  /** Alternatives past the preemption bound. */
  beyond: number;
  /** Distinct terminal-state hashes. */
  terminals: Set<string>;
  /** The ICB round running (its preemptions). */
  round: number;
  /** Branches queued and not yet run when the search stopped. */
  pending: number;
  verdict: 'exhausted' | 'violation' | 'stopped';
  /** Stopped because EXPLORE_MAX_PENDING branches were queued (not the caller's stop()). */
  memoryFull: boolean;
  /** The failing run's record and the round (minimal preemptions) that found it. */
  violation: { record: number[]; preemptions: number } | null;
}

interface SleepEntry {
  task: number;
  fp: Footprint;
}

/*
 * A branch to run: the first @len choices of the run @base that found it,
 * then @choice (-1: the root, no prefix); the sleep set before that
 * choice; the preemptions it uses.  The run's record is shared by all its
 * branches (one byte a step): a long queue of branches of long runs would
 * otherwise hold a copy of the prefix each.
 */
interface Branch {
  base: Uint8Array;
  len: number;
  choice: number;
  sleep: SleepEntry[];
  cost: number;
  root: boolean;
  /* dpor: the run owning the node the branch deviates at (null: the root branch, or another reduction). */
  node: DporNode | null;
}

const NO_SLEEP: SleepEntry[] = [];

/*
 * Branches queued at most (some 100-200 bytes each, with the footprints
 * they keep): past it the search stops
 * as if its budget ran out.  A long scenario at K=2 queues a branch for
 * every step of every round-1 schedule.
 */
export const EXPLORE_MAX_PENDING = 1_000_000;

function prefix_of(b: Branch): number[] {
  if (b.choice < 0) return [];
  const p = Array.from(b.base.subarray(0, b.len));
  p.push(b.choice);
  return p;
}

function asleep(sleep: readonly SleepEntry[], t: number): boolean {
  return sleep.some((e) => e.task === t);
}

/* The sleep set after a step with footprint @fp: the entries that commute with it. */
function wake(sleep: readonly SleepEntry[], fp: Footprint | undefined): SleepEntry[] {
  if (sleep.length === 0) return [];
  if (fp === undefined) return [];
  return sleep.filter((e) => footprint_independent(e.fp, fp));
}

function tasks_of(mask: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < 30; t++) if ((mask >>> t) & 1) out.push(t);
  return out;
}

/*
 * CHESS's fair scheduler state along one run: for each task, the tasks
 * that must run before it may run again (bitmasks).  Context: main thread.
 */
class Fairness {
  private readonly before = new Map<number, number>();

  /* Step @s is decided: @me (the task at the point) yielded if the mask says so. */
  at(me: number, mask: number): void {
    if (me >= 0 && (mask & RUNNABLE_YIELDED) !== 0) this.before.set(me, mask & ~RUNNABLE_YIELDED & ~(1 << me));
  }

  /* May @t run at a step whose runnable tasks are @mask? (Yes when no runnable task may: never stuck.) */
  allowed(t: number, mask: number): boolean {
    const enabled = mask & ~RUNNABLE_YIELDED;
    if (((this.before.get(t) ?? 0) & enabled) === 0) return true;
    return tasks_of(enabled).every((u) => ((this.before.get(u) ?? 0) & enabled) !== 0);
  }

  /* @t ran: nobody waits for it any more, and it waits for nobody. */
  ran(t: number): void {
    this.before.delete(t);
    for (const [u, m] of this.before) this.before.set(u, m & ~(1 << t));
  }
}

/*
 * dpor: the branches run @run (of branch @b, its record @base) makes
 * necessary - its races' backtrack points (src/sched/dpor.ts), at its own
 * nodes or its ancestors', each once - in depth-first order for this
 * round; those of more preemptions go to @next.  The alternatives at the
 * run's own nodes that no branch takes are counted as pruned (a branch
 * taken later at one of them, found by another run, un-counts one).
 * Shards: the root run's backtrack points are dealt out by @deal(); one
 * a later run adds at a node of the root run is run by that shard (it
 * may run in another shard too: shards can overlap, never miss).
 */
function dpor_children(
  run: ExploreRun, b: Branch, base: Uint8Array, round: number, o: ExploreSearchOptions, mine: boolean, st: ExploreStats, next: Branch[], deal: () => number,
): Branch[] {
  const node = new DporNode(b.node, b.choice < 0 ? -1 : b.len, base);
  const j = b.choice < 0 ? -1 : b.len;
  const want = dpor_backtracks(run.record, run.footprints!, Math.max(0, j));
  let root = node;
  while (root.parent !== null) root = root.parent;
  const children: Branch[] = [];
  const fair = new Fairness();
  let cost = 0;
  for (let s = 0; s < run.record.length; s++) {
    const me = s > 0 ? run.record[s - 1] : -1;
    const mask = run.runnable[s] ?? 0;
    const meRunnable = me >= 0 && ((mask >>> me) & 1) === 1;
    const chosen = run.record[s];
    fair.at(me, mask);
    const costOf = (c: number): number => cost + (meRunnable && c !== me ? 1 : 0);
    const fairTasks = tasks_of(mask).filter((c) => fair.allowed(c, mask));
    if (s > j && mine) {
      for (const c of fairTasks) {
        if (c === chosen) continue;
        if (costOf(c) > o.bound) st.beyond++;
        else st.pruned++;
      }
    }
    const w = want.get(s);
    if (w !== undefined) {
      /* A task that may not run here stands for every one that may (FG05). */
      const targets = tasks_of(w).some((t) => !fairTasks.includes(t)) ? fairTasks : tasks_of(w);
      const owner = node.owner(s);
      for (const c of targets) {
        const cc = costOf(c);
        if (cc > o.bound || !owner.mark(s, c)) continue;
        if (b.root && deal() % o.shard.n !== o.shard.k - 1) continue;
        if (owner !== root || o.shard.k === 1) st.pruned--;
        const branch: Branch = { base, len: s, choice: c, sleep: NO_SLEEP, cost: cc, root: false, node: owner };
        if (cc > round) next.push(branch);
        else children.push(branch);
      }
    }
    /* An unfair continuation: what follows is not explored (its fair siblings are). */
    if (s > j && !fair.allowed(chosen, mask)) break;
    fair.ran(chosen);
    cost = costOf(chosen);
  }
  return children;
}

/** The preemption-bounded search.  Context: main thread; @exec runs one schedule at a time. */
export async function explore_search(exec: ExploreExec, o: ExploreSearchOptions): Promise<ExploreStats> {
  const st: ExploreStats = { explored: 0, pruned: 0, beyond: 0, terminals: new Set(), round: 0, pending: 0, verdict: 'exhausted', memoryFull: false, violation: null };
  let stack: Branch[] = [{ base: new Uint8Array(0), len: 0, choice: -1, sleep: [], cost: 0, root: true, node: null }];
  let next: Branch[] = [];
  let firstDeviation = 0;
  for (let round = 0; round <= o.bound; round++) {
    st.round = round;
    if (round > 0) {
      stack = next.reverse();
      next = [];
    }
    while (stack.length > 0) {
      const full = stack.length + next.length > EXPLORE_MAX_PENDING;
      if (full || o.stop?.()) {
        st.pending = stack.length + next.length;
        st.verdict = 'stopped';
        st.memoryFull = full;
        return st;
      }
      const b = stack.pop()!;
      const run = await exec(prefix_of(b));
      const base = Uint8Array.from(run.record);
      const mine = !b.root || o.shard.k === 1;
      if (mine) {
        st.explored++;
        st.terminals.add(run.terminal);
        if (run.failed) {
          st.verdict = 'violation';
          st.violation = { record: run.record, preemptions: b.cost };
          st.pending = stack.length + next.length;
          o.progress?.(st);
          return st;
        }
      }
      const children: Branch[] = [];
      const j = b.choice < 0 ? -1 : b.len;
      if (o.reduction === 'dpor') {
        const c = dpor_children(run, b, base, round, o, mine, st, next, () => firstDeviation++);
        for (let i = c.length - 1; i >= 0; i--) stack.push(c[i]);
        o.progress?.(st);
        continue;
      }
      const fps = run.footprints;
      let sleep = o.reduction === 'sleep' && j >= 0 ? wake(b.sleep, fps?.[j]) : [];
      const fair = new Fairness();
      for (let s = 0; s <= j; s++) {
        fair.at(s > 0 ? run.record[s - 1] : -1, run.runnable[s] ?? 0);
        fair.ran(run.record[s]);
      }
      for (let s = j + 1; s < run.record.length; s++) {
        const me = s > 0 ? run.record[s - 1] : -1;
        const mask = run.runnable[s] ?? 0;
        const meRunnable = me >= 0 && ((mask >>> me) & 1) === 1;
        const chosen = run.record[s];
        fair.at(me, mask);
        for (const c of tasks_of(mask)) {
          if (c === chosen || !fair.allowed(c, mask)) continue;
          const preempts = meRunnable && c !== me;
          const cost = b.cost + (preempts ? 1 : 0);
          if (cost > o.bound) {
            if (mine) st.beyond++;
            continue;
          }
          if (o.reduction === 'sleep' && asleep(sleep, c)) {
            if (mine) st.pruned++;
            continue;
          }
          if (b.root && firstDeviation++ % o.shard.n !== o.shard.k - 1) continue;
          const added = o.reduction === 'sleep' && preempts && chosen === me && fps !== null ? [{ task: me, fp: fps[s] }] : [];
          const kept = added.length === 0 ? sleep : sleep.filter((e) => e.task !== me);
          const branch = { base, len: s, choice: c, sleep: kept.length + added.length === 0 ? NO_SLEEP : [...kept, ...added], cost, root: false, node: null };
          if (cost > round) next.push(branch);
          else children.push(branch);
        }
        /* The continuation ran a sleeping task: the rest of this run is a representative's, explored elsewhere. */
        if (o.reduction === 'sleep' && asleep(sleep, chosen)) break;
        /* An unfair continuation: what follows is not explored (its fair siblings are). */
        if (!fair.allowed(chosen, mask)) break;
        fair.ran(chosen);
        if (o.reduction === 'sleep') sleep = wake(sleep, fps?.[s]);
      }
      /* Depth-first, lowest step and task first. */
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
      o.progress?.(st);
    }
  }
  return st;
}
