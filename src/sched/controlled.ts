/*
 * Controlled mode: the same worker threads and the same model code as
 * stress, but exactly one task runs at a time.  Every sched.point()
 * becomes a scheduling decision: the task at the point asks the strategy
 * (random.ts, pct.ts, replay.ts) which runnable task goes on, records the
 * choice (SCHED record: one word a step), and if it is another task hands
 * over - stores SCHED.current, wakes it, parks.  No scheduler thread: the
 * hand-off is one store, one notify and one wait (docs/architecture.md).
 *
 * Blocking: a task spinning on a lock (the spinlock's "spin" point, with
 * TASK.wait_lock naming the word) is blocked until that word changes; a
 * task in sched_wait_until(word) (the I/O completion task) until the run
 * reaches the step the word holds - a device's latency - or nothing else
 * can run; a
 * task in sched_wait(word, value) (futex waits: mutex, completion, folio
 * lock, grace periods; a retry loop's cond_resched_retry()) is blocked
 * until the word changes or, as a futex
 * wait with a timeout would, until some other task has taken a step - the
 * model's waits re-check a condition in a loop; a task in
 * sched_wait_event(word, value) (a bio allocation waiting for a free bio)
 * only until the word changes.  When no task can run,
 * the run ends as a DEADLOCK (every task's held locks and wait target are
 * in the arena for the report); past SCHED.max_steps it ends as a
 * LIVELOCK, never a hang.  Either way every task unwinds with SchedAbort.
 *
 * Kernel mapping: none - this is the harness's scheduler, the part Loom
 * and Shuttle call the runtime.  Context: worker threads (sched_enter /
 * sched_exit around a program); the main thread only sets up and reads.
 */
import { availableParallelism } from 'node:os';
import { A } from '../shm/arena.js';
import { EXPLORE_LOG, MAX_SCHED_TASKS, SCHED, SCHED_TASK, SCHED_TASK_STATE, TASK } from '../shm/layout.js';
import { current, taskWord } from '../shm/task.js';
import { pointId, setPointHook, setWaitHook, WAIT_TIMED, WAIT_UNTIL_STEP } from '../sync/point.js';
import { pct_init, pctStrategy, type PctLabelledPoint } from './pct.js';
import { randomStrategy } from './random.js';
import { replayStrategy } from './replay.js';
import { schedTaskWord, schedWord, STRATEGY_EXPLORE, STRATEGY_GUIDED, STRATEGY_PCT, STRATEGY_REPLAY, type Strategy } from './strategy.js';
import { prefixStrategy } from './prefix.js';
import { sched_i32, footprint_forget, footprint_install, footprint_note_read, footprint_step_begin, footprint_step_end, footprint_uninstall } from './footprint.js';
import { guidedStrategy } from './guided.js';
import { cover_pair } from './coverage.js';

export const SCHED_OUTCOME_RUNNING = 0;
export const SCHED_OUTCOME_DONE = 1;
export const SCHED_OUTCOME_DEADLOCK = 2;
export const SCHED_OUTCOME_LIVELOCK = 3;
export const SCHED_OUTCOME_DIVERGED = 4;
export const SCHED_OUTCOME_ABORTED = 5;
export const SCHED_OUTCOME_NAMES = ['running', 'done', 'deadlock', 'livelock', 'diverged', 'aborted'] as const;

export const SCHED_TASK_IDLE = SCHED_TASK_STATE.IDLE;
export const SCHED_TASK_RUNNABLE = SCHED_TASK_STATE.RUNNABLE;
export const SCHED_TASK_BLOCKED = SCHED_TASK_STATE.BLOCKED; /* until wait_word changes */
export const SCHED_TASK_WAITING = SCHED_TASK_STATE.WAITING; /* until wait_word changes or another task steps */
export const SCHED_TASK_DONE = SCHED_TASK_STATE.DONE;

/*
 * The scheduler's own atomics and views are the real ones (Atomics bound
 * when this module loads, the view from sched_i32()): footprint_install()
 * swaps globalThis.Atomics and A's views for recording ones in explore
 * runs, which the scheduler's words need not go through (they are not the
 * model's, and wait_turn spins on them).
 */
const Atomics = globalThis.Atomics;

const P_SPIN = pointId('spin');
/*
 * Spins before a parked task sleeps in Atomics.wait (timing only: the
 * schedule is the same).  A task handed the turn while it spins on a core
 * of its own costs no futex wake: swap-mix on 2 tasks, 2 cores, random
 * strategy, 209-216 k points/s with 4096 spins against 62-64 k with 256.
 * But a spinner holds a core: the tasks on a core - the runner and the
 * spinners, SCHED.active - are kept to the machine's cores
 * (SCHED.max_active).  A task that hands off keeps its core and spins
 * while the count allows (handed to a spinner, the count is unchanged);
 * one woken from its sleep counts itself again, and a spinner that finds
 * the count over the cores stops and sleeps.  So a fuzz case's CPUs and
 * I/O completion task on 2 cores have the runner and one spinner, where
 * they all spun (each taking the core the runner needed); 2 tasks on 2
 * cores both stay on their cores.
 * Which parked task spins: the one the strategy expects to run after the
 * runner (Strategy.next_switch(): the random stream's next draws, PCT's
 * next priority, the replayed record), named at each hand-off in
 * SCHED.spin_hint and woken to spin; the others sleep.  A fuzz campaign's
 * random-strategy cases switch at most points among 3-6 tasks, and a
 * hand-off to a sleeper costs a futex wake (tens of microseconds here):
 * with the hint, `fuzz --runs 120 --seed 5 --jobs 1 --no-guide` ran
 * 14.7-15.3 executions/s against 12.8-14.5 (three runs each,
 * alternating), and 88 % of a campaign's hand-offs went to the task
 * hinted.  A hinted task spinning 16 times longer than the others made
 * the random cases three times dearer (the woken runner waited for a
 * core); one spinning past the count of cores changed nothing this
 * machine's noise let show, so it keeps to the count.  A run given
 * fewer spins than TURN_SPINS shares the cores with others (fuzz --jobs
 * 2 and up: its spinners give up within microseconds) and names no hint:
 * there the kicks only added futex wakes (--jobs 2: 12.6 executions/s
 * against 14.1).
 * Budgets that adapt (halved when the turn did not come, doubled when it
 * did) were tried: on a quiet machine they lock both tasks of a 2-task
 * run into futex hand-offs (each spin fails because the other sleeps),
 * 57-104 k points/s against 588-673 k with 4096 every time.
 * An Atomics.load spin is about 9 ns: 4096 spins are about 40 us.
 */
const TURN_SPINS = 4096;

/* Frames a SchedAbort keeps: the model's whole call chain below the scheduler's (V8 keeps 10 by default). */
const SCHED_ABORT_FRAMES = 48;

/**
 * Thrown in every task when a controlled run ends early (deadlock,
 * livelock, divergence, abort), and in a daemon when it ends.  Its stack
 * says where the task was: the reports of a run that could not finish
 * print each task's model call chain from it (harness/call_chain.ts).
 */
export class SchedAbort extends Error {
  constructor(readonly outcome: number) {
    super(`controlled run ended: ${SCHED_OUTCOME_NAMES[outcome] ?? outcome}`);
    this.name = 'SchedAbort';
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = SCHED_ABORT_FRAMES;
    Error.captureStackTrace(this, SchedAbort);
    Error.stackTraceLimit = limit;
  }
}

const tw = schedTaskWord;

function strategyOf(kind: number): Strategy {
  if (kind === STRATEGY_PCT) return pctStrategy;
  if (kind === STRATEGY_REPLAY) return replayStrategy;
  if (kind === STRATEGY_GUIDED) return guidedStrategy;
  if (kind === STRATEGY_EXPLORE) return prefixStrategy;
  return randomStrategy;
}

/*
 * The runnable set handed to the strategy, without an allocation a step:
 * one array per size, filled in place (valid until this thread's next
 * decision; no strategy keeps it).
 */
const runnableOf: number[][] = Array.from({ length: MAX_SCHED_TASKS + 1 }, (_, n) => Array.from({ length: n }, () => 0));
const scratch = new Int32Array(MAX_SCHED_TASKS);

/* The @n runnable tasks in scratch, as an array for the strategy. */
function runnable_set(n: number): number[] {
  const out = runnableOf[n];
  for (let i = 0; i < n; i++) out[i] = scratch[i];
  return out;
}

/*
 * Wake what can run again: blocked tasks whose word changed, waiting
 * tasks whose word changed or that another task has stepped past.
 * Returns the runnable tasks, in task order.
 */
function refresh_runnable(step: number, me: number): number[] {
  const i32 = sched_i32();
  const base = schedWord(SCHED.tasks);
  const nr = i32[schedWord(SCHED.nr_tasks)];
  let n = 0;
  /*
   * A waiter's step is no progress: two tasks waiting for a grace period
   * would otherwise wake each other for ever while the reader that holds
   * it back never runs (a livelock of the model, not of the kernel, where
   * synchronize_rcu() sleeps).  Only a step by a task that is not itself
   * waiting times a wait out.
   */
  const meState = i32[tw(me, SCHED_TASK.state)];
  const progressed = meState !== SCHED_TASK_WAITING && meState !== SCHED_TASK_BLOCKED;
  for (let i = 0; i < nr; i++) {
    const t = i32[base + i];
    const st = i32[tw(t, SCHED_TASK.state)];
    if (st === SCHED_TASK_BLOCKED && i32[tw(t, SCHED_TASK.wait_until)]) {
      /* sched_wait_until(): until the run reaches the step the word holds (>= 0). */
      const until = Atomics.load(i32, i32[tw(t, SCHED_TASK.wait_word)]);
      if (until >= 0 && step >= until) i32[tw(t, SCHED_TASK.state)] = SCHED_TASK_RUNNABLE;
    } else if (st === SCHED_TASK_BLOCKED || st === SCHED_TASK_WAITING) {
      const changed = Atomics.load(i32, i32[tw(t, SCHED_TASK.wait_word)]) !== i32[tw(t, SCHED_TASK.wait_value)];
      const timedOut = st === SCHED_TASK_WAITING && t !== me && progressed && step > i32[tw(t, SCHED_TASK.blocked_at)];
      if (changed || timedOut) i32[tw(t, SCHED_TASK.state)] = SCHED_TASK_RUNNABLE;
    }
    if (i32[tw(t, SCHED_TASK.state)] === SCHED_TASK_RUNNABLE) scratch[n++] = t;
  }
  /* Only timed waiters left, none of them past its timeout: the oldest wait expires (a task waiting for a step first: nothing else can make time pass). */
  if (n === 0) {
    for (let i = 0; i < nr; i++) {
      const t = i32[base + i];
      if (i32[tw(t, SCHED_TASK.state)] === SCHED_TASK_BLOCKED && i32[tw(t, SCHED_TASK.wait_until)] && Atomics.load(i32, i32[tw(t, SCHED_TASK.wait_word)]) >= 0) {
        i32[tw(t, SCHED_TASK.state)] = SCHED_TASK_RUNNABLE;
        scratch[n++] = t;
        break;
      }
    }
  }
  if (n === 0) {
    for (let i = 0; i < nr; i++) {
      const t = i32[base + i];
      if (i32[tw(t, SCHED_TASK.state)] === SCHED_TASK_WAITING) {
        i32[tw(t, SCHED_TASK.state)] = SCHED_TASK_RUNNABLE;
        scratch[n++] = t;
        break;
      }
    }
  }
  return runnable_set(n);
}

/* Every participating task done, or a daemon (the I/O completion task idle in sched_wait_until() does not keep the run going). */
function all_done(): boolean {
  const i32 = sched_i32();
  const base = schedWord(SCHED.tasks);
  const nr = i32[schedWord(SCHED.nr_tasks)];
  for (let i = 0; i < nr; i++) {
    const t = i32[base + i];
    if (i32[tw(t, SCHED_TASK.state)] !== SCHED_TASK_DONE && i32[tw(t, SCHED_TASK.daemon)] === 0) return false;
  }
  return true;
}

/*
 * Give the turn to @next: SCHED.current says whose it is; @next's own
 * turn word is bumped and only @next is woken - the other parked tasks
 * sleep on (a wake of them all at every hand-off, each finding it is not
 * its turn and spinning before it sleeps again, took the cores the runner
 * needed when the tasks outnumber them).
 */
function turn_to(next: number): void {
  const i32 = sched_i32();
  Atomics.store(i32, schedWord(SCHED.current), next);
  const w = tw(next, SCHED_TASK.turn);
  Atomics.add(i32, w, 1);
  Atomics.notify(i32, w, 1);
}

/* End the run with @outcome and wake every parked task so it unwinds. */
function sched_end(outcome: number): void {
  const i32 = sched_i32();
  Atomics.compareExchange(i32, schedWord(SCHED.outcome), SCHED_OUTCOME_RUNNING, outcome);
  Atomics.store(i32, schedWord(SCHED.current), -1);
  const base = schedWord(SCHED.tasks);
  const nr = i32[schedWord(SCHED.nr_tasks)];
  for (let i = 0; i < nr; i++) {
    const w = tw(i32[base + i], SCHED_TASK.turn);
    Atomics.add(i32, w, 1);
    Atomics.notify(i32, w);
  }
}

/* Sleep on turn word @turn while it holds @g (a hand-off bumps it; the 20 ms timeout re-checks the outcome). */
function turn_sleep(i32: Int32Array, turn: number, g: number): void {
  Atomics.wait(i32, turn, g, 20);
}

/*
 * Spin on turn word @turn while it holds @g, at most SCHED.turn_spins
 * loads, and while the tasks on a core (SCHED.active: the runner and the
 * spinners, this one counted) are no more than the cores
 * (SCHED.max_active).  True if the word changed (still counted); false,
 * no longer counted, if not.
 */
function turn_spin(i32: Int32Array, turn: number, g: number): boolean {
  const aw = schedWord(SCHED.active);
  const max = i32[schedWord(SCHED.max_active)];
  const limit = i32[schedWord(SCHED.turn_spins)];
  let spins = Atomics.load(i32, aw) > max ? limit : 0;
  while (spins < limit && Atomics.load(i32, turn) === g) {
    if ((++spins & 127) === 0 && Atomics.load(i32, aw) > max) break;
  }
  if (Atomics.load(i32, turn) !== g) return true;
  Atomics.sub(i32, aw, 1);
  return false;
}

/*
 * May parked task @me spin for its turn?  Not when spinning is off
 * (SCHED.turn_spins 0), nor when the strategy expects another task to
 * run after the runner (SCHED.spin_hint): that one spins, on the core
 * this one leaves.
 */
function may_spin(i32: Int32Array, me: number): boolean {
  if (i32[schedWord(SCHED.turn_spins)] === 0) return false;
  const hint = Atomics.load(i32, schedWord(SCHED.spin_hint));
  return hint < 0 || hint === me;
}

/*
 * Wake parked task @t, the spin hint, to spin for its turn (it is not
 * given the turn: it finds its turn word unchanged and spins on it).
 * The hand-off to it, when it comes, then needs no futex wake - on this
 * machine a wake costs tens of microseconds, a spinner's hand-off one.
 * @t -1: no hint (none told, or a run spinning less than TURN_SPINS).
 */
function spin_hint_kick(i32: Int32Array, t: number): void {
  if (t >= 0) Atomics.notify(i32, tw(t, SCHED_TASK.turn), 1);
}

/*
 * Park until it is @me's turn; throws SchedAbort when the run ended.
 * @onCore: @me is counted in SCHED.active (it ran until now).  Spins on
 * its own turn word if a core is left, then sleeps on it.  The word is
 * read before SCHED.current is checked, so a hand-off in between changes
 * it and the sleep returns at once: no wake-up is lost.
 */
function wait_turn(me: number, onCore: boolean): void {
  const i32 = sched_i32();
  const cw = schedWord(SCHED.current);
  const ow = schedWord(SCHED.outcome);
  const aw = schedWord(SCHED.active);
  const turn = tw(me, SCHED_TASK.turn);
  let g = Atomics.load(i32, turn);
  if (Atomics.load(i32, ow) !== SCHED_OUTCOME_RUNNING) throw new SchedAbort(Atomics.load(i32, ow));
  if (Atomics.load(i32, cw) === me) {
    if (!onCore) Atomics.add(i32, aw, 1);
    return;
  }
  if (onCore && !may_spin(i32, me)) {
    /* Handing off, not the task expected next: leave the core to it. */
    Atomics.sub(i32, aw, 1);
    onCore = false;
  } else if (!onCore && may_spin(i32, me)) {
    /* Coming from sched_enter: spin only on a core left over. */
    onCore = Atomics.add(i32, aw, 1) < i32[schedWord(SCHED.max_active)];
    if (!onCore) Atomics.sub(i32, aw, 1);
  }
  if (onCore && !turn_spin(i32, turn, g)) onCore = false;
  for (;;) {
    if (!onCore) turn_sleep(i32, turn, g);
    g = Atomics.load(i32, turn);
    if (Atomics.load(i32, ow) !== SCHED_OUTCOME_RUNNING) throw new SchedAbort(Atomics.load(i32, ow));
    if (Atomics.load(i32, cw) === me) {
      if (!onCore) Atomics.add(i32, aw, 1);
      return;
    }
    if (onCore) {
      /* The word changed while it spun, not for its turn (cannot happen but at the run's end): sleep. */
      Atomics.sub(i32, aw, 1);
      onCore = false;
    } else if (Atomics.load(i32, schedWord(SCHED.spin_hint)) === me && may_spin(i32, me)) {
      /* Kicked (spin_hint_kick), or timed out, as the task expected next: spin while a core is left. */
      Atomics.add(i32, aw, 1);
      onCore = turn_spin(i32, turn, g);
    }
  }
}

/*
 * One scheduling decision, by task @me (whose state is already set:
 * runnable, blocked, waiting or done).  Records the choice; hands off if
 * another task goes on; returns when it is @me's turn again (never, for
 * a done task: it just leaves).
 */
function schedule(me: number): void {
  const i32 = sched_i32();
  if (Atomics.load(i32, schedWord(SCHED.outcome)) !== SCHED_OUTCOME_RUNNING) {
    throw new SchedAbort(Atomics.load(i32, schedWord(SCHED.outcome)));
  }
  const step = i32[schedWord(SCHED.step)] + 1;
  i32[schedWord(SCHED.step)] = step;
  const done = i32[tw(me, SCHED_TASK.state)] === SCHED_TASK_DONE;
  if (step >= i32[schedWord(SCHED.max_steps)]) {
    sched_end(SCHED_OUTCOME_LIVELOCK);
    if (done) return;
    throw new SchedAbort(SCHED_OUTCOME_LIVELOCK);
  }
  const runnable = refresh_runnable(step, me);
  if (runnable.length === 0) {
    sched_end(all_done() ? SCHED_OUTCOME_DONE : SCHED_OUTCOME_DEADLOCK);
    if (done) return;
    throw new SchedAbort(Atomics.load(i32, schedWord(SCHED.outcome)));
  }
  const strategy = strategyOf(i32[schedWord(SCHED.strategy)]);
  const next = strategy.pick(step, me, runnable);
  if (next < 0) {
    sched_end(SCHED_OUTCOME_DIVERGED);
    if (done) return;
    throw new SchedAbort(SCHED_OUTCOME_DIVERGED);
  }
  i32[A.L.schedRecord + step] = next;
  if (next !== me && i32[tw(me, SCHED_TASK.state)] === SCHED_TASK_RUNNABLE) i32[schedWord(SCHED.preemptions)]++;
  if (next === me) return;
  cover_pair(i32[taskWord(me, TASK.last_point)], i32[taskWord(next, TASK.last_point)]);
  i32[schedWord(SCHED.last_runner)] = next;
  /* Who runs after @next, as far as the strategy can tell now: that task spins for its turn (timing only). */
  const hint = strategy.next_switch === undefined || i32[schedWord(SCHED.turn_spins)] < TURN_SPINS ? -1 : strategy.next_switch(step + 1, next, runnable);
  Atomics.store(i32, schedWord(SCHED.spin_hint), hint);
  turn_to(next);
  if (hint !== me) spin_hint_kick(i32, hint);
  if (done) {
    Atomics.sub(i32, schedWord(SCHED.active), 1);
    return;
  }
  wait_turn(me, true);
}

/* The point hook: every interleaving point is a decision; a spin point blocks on the lock word. */
function on_point(id: number): void {
  const me = current();
  if (id === P_SPIN) {
    const i32 = sched_i32();
    const lock = i32[taskWord(me, TASK.wait_lock)] - 1;
    footprint_note_read(lock);
    if (lock >= 0) {
      i32[tw(me, SCHED_TASK.wait_word)] = lock;
      i32[tw(me, SCHED_TASK.wait_value)] = Atomics.load(i32, lock);
      i32[tw(me, SCHED_TASK.state)] = SCHED_TASK_BLOCKED;
    }
  }
  footprint_step_end();
  schedule(me);
  footprint_step_begin();
}

/*
 * The wait hook: sched_wait(w, expected) waits for the word to change, or
 * another task's step (WAIT_TIMED); sched_wait_until() for the step the
 * word holds (WAIT_UNTIL_STEP); sched_wait_event() for the word to change
 * and nothing else (WAIT_EVENT: blocked, like a spin on a lock).
 */
function on_wait(w: number, expected: number, mode = WAIT_TIMED): void {
  const me = current();
  const i32 = sched_i32();
  i32[tw(me, SCHED_TASK.wait_until)] = mode === WAIT_UNTIL_STEP ? 1 : 0;
  i32[tw(me, SCHED_TASK.wait_word)] = w;
  i32[tw(me, SCHED_TASK.wait_value)] = expected;
  i32[tw(me, SCHED_TASK.blocked_at)] = i32[schedWord(SCHED.step)] + 1;
  i32[tw(me, SCHED_TASK.state)] = mode === WAIT_TIMED ? SCHED_TASK_WAITING : SCHED_TASK_BLOCKED;
  /*
   * Whether a wait times out depends on who steps next, and when a wait
   * for a step ends depends on how many steps run before it: such a step
   * commutes with none.  A wait for a step while the word is negative
   * (the I/O completion task idle: no bio in flight) is neither: it ends
   * only once another task writes the word (a submit_bio(), which reads
   * the clock and so commutes with none itself), so it is a read of the
   * word, like a spin on a lock; so is a wait for the word's change alone.
   */
  footprint_note_read(w);
  footprint_step_end(mode === WAIT_TIMED || (mode === WAIT_UNTIL_STEP && Atomics.load(i32, w) >= 0));
  schedule(me);
  footprint_step_begin();
}

/* ---- worker side ---- */

/** A participating task starts: install the hooks, wait for the first turn.  Context: worker, before the program. */
export function sched_enter(me: number): void {
  setPointHook(on_point);
  setWaitHook(on_wait);
  /* explore with a reduction: record what each step touches (src/sched/footprint.ts). */
  if (A.i32[schedWord(SCHED.strategy)] === STRATEGY_EXPLORE && A.L.config.exploreLog > 0 && A.i32[A.L.exploreLog + EXPLORE_LOG.record] === 1) footprint_install();
  else footprint_forget();
  try {
    wait_turn(me, false);
  } catch (e) {
    /*
     * The run ended before this task's first turn (a deadlock or livelock
     * elsewhere): no sched_exit() follows, so unhook here - left in place,
     * the hooks made this worker's next program, free-running, throw this
     * run's SchedAbort at its first point.
     */
    sched_unhook();
    throw e;
  }
  footprint_step_begin();
}

/* This worker leaves the controlled run: its points and waits are its own again. */
function sched_unhook(): void {
  footprint_uninstall();
  setPointHook(null);
  setWaitHook(null);
}

/** The program returned (or threw): done; hand off; remove the hooks.  Context: worker, after the program. */
export function sched_exit(me: number): void {
  try {
    footprint_step_end();
    const i32 = sched_i32();
    i32[tw(me, SCHED_TASK.state)] = SCHED_TASK_DONE;
    if (Atomics.load(i32, schedWord(SCHED.outcome)) === SCHED_OUTCOME_RUNNING && Atomics.load(i32, schedWord(SCHED.current)) === me) {
      schedule(me);
    }
  } finally {
    sched_unhook();
  }
}

/* ---- main-thread side ---- */

export interface ControlledConfig {
  strategy: number;
  seed: number;
  tasks: number[];
  maxSteps: number;
  /** PCT: depth d and the expected run length k for the change points. */
  depth?: number;
  k?: number;
  /** PCT: change points given as the nth arrival at a point instead of a step (pct_init). */
  at?: readonly (PctLabelledPoint | null)[];
  /** Replay: the task chosen at each step (from a schedule string). */
  record?: readonly number[];
  /**
   * Daemons among @tasks (the I/O completion task): the run is done when
   * every other task is, and no daemon can run.
   */
  daemons?: readonly number[];
  /** explore: record every step's footprint (src/sched/footprint.ts; the arena needs config.exploreLog). */
  footprints?: boolean;
  /**
   * Spins a parked task makes before it sleeps (default TURN_SPINS), if
   * a core is left for it.  Spinning makes hand-offs fast while the run's
   * threads have the cores; when several runs share them (fuzz --jobs),
   * spinners only steal from the runner.
   */
  turnSpins?: number;
}

/**
 * Prepare a controlled run: every participating task runnable, the
 * strategy seeded, step 0's choice made (the first task to run).
 * Context: main thread, before the workers start.
 */
export function sched_init(c: ControlledConfig): void {
  const i32 = sched_i32();
  if (c.tasks.length === 0 || c.tasks.length > 16) throw new RangeError(`controlled run: ${c.tasks.length} tasks (1..16)`);
  if (c.maxSteps > A.L.config.schedSteps) throw new RangeError(`controlled run: maxSteps ${c.maxSteps} > arena schedSteps ${A.L.config.schedSteps}`);
  i32.fill(0, A.L.sched, A.L.sched + SCHED.SIZE);
  i32.fill(0, A.L.schedTasks, A.L.schedTasks + A.L.config.nrTasks * SCHED_TASK.SIZE);
  i32[schedWord(SCHED.mode)] = 1;
  i32[schedWord(SCHED.strategy)] = c.strategy;
  i32[schedWord(SCHED.rng)] = c.seed | 0 || 1;
  i32[schedWord(SCHED.max_steps)] = c.maxSteps;
  i32[schedWord(SCHED.turn_spins)] = c.turnSpins ?? TURN_SPINS;
  i32[schedWord(SCHED.max_active)] = availableParallelism();
  i32[schedWord(SCHED.spin_hint)] = -1;
  i32[schedWord(SCHED.nr_tasks)] = c.tasks.length;
  c.tasks.forEach((t, i) => {
    i32[schedWord(SCHED.tasks + i)] = t;
    i32[tw(t, SCHED_TASK.state)] = SCHED_TASK_RUNNABLE;
    i32[tw(t, SCHED_TASK.daemon)] = c.daemons?.includes(t) ? 1 : 0;
  });
  if (A.L.config.exploreLog > 0) {
    i32.fill(0, A.L.exploreLog, A.L.exploreLog + EXPLORE_LOG.HEADER);
    i32[A.L.exploreLog + EXPLORE_LOG.record] = c.footprints === true ? 1 : 0;
  }
  if (c.strategy === STRATEGY_PCT) pct_init(c.tasks, c.depth ?? 2, c.k ?? c.maxSteps, c.at);
  if (c.record) {
    const n = Math.min(c.record.length, A.L.config.schedSteps);
    for (let s = 0; s < n; s++) i32[A.L.schedRecord + s] = c.record[s];
    i32[schedWord(SCHED.replay_len)] = n;
  }
  const first = (c.strategy === STRATEGY_REPLAY || c.strategy === STRATEGY_GUIDED) && c.record && c.record.length > 0 && c.tasks.includes(c.record[0])
    ? c.record[0]
    : strategyOf(c.strategy).pick(0, c.tasks[0], [...c.tasks].sort((a, b) => a - b));
  i32[A.L.schedRecord] = first;
  /*
   * A replayed record whose first task is none of the run's (a replay
   * string naming a task the race does not have) diverges at step 0: no
   * task gets the turn, and each one's first wait_turn() ends the run.
   */
  if (first < 0) Atomics.store(i32, schedWord(SCHED.outcome), SCHED_OUTCOME_DIVERGED);
  Atomics.store(i32, schedWord(SCHED.current), first);
}

export interface ControlledResult {
  outcome: (typeof SCHED_OUTCOME_NAMES)[number];
  steps: number;
  preemptions: number;
  /** The task chosen at each step 0..steps. */
  record: number[];
  divergedStep: number;
}

/** What a finished controlled run did.  Context: main thread, after the workers returned. */
export function sched_result(): ControlledResult {
  const i32 = sched_i32();
  let outcome = Atomics.load(i32, schedWord(SCHED.outcome));
  if (outcome === SCHED_OUTCOME_RUNNING) outcome = SCHED_OUTCOME_DONE;
  const steps = i32[schedWord(SCHED.step)];
  /* Steps 0..steps-1 made a choice; the last one (steps) found nothing left to run.  A plain loop: Array.from() over a typed array costs 3x (2.5 ms for a generated fuzz case's 18 k steps). */
  const n = Math.min(steps, A.L.config.schedSteps);
  const record = new Array<number>(n);
  for (let s = 0; s < n; s++) record[s] = i32[A.L.schedRecord + s];
  return {
    outcome: SCHED_OUTCOME_NAMES[outcome],
    steps,
    preemptions: i32[schedWord(SCHED.preemptions)],
    record,
    divergedStep: i32[schedWord(SCHED.diverged_step)],
  };
}

/** Leave controlled mode (free-running again).  Context: main thread, no run in flight. */
export function sched_reset(): void {
  sched_i32().fill(0, A.L.sched, A.L.sched + SCHED.SIZE);
}
