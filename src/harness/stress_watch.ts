/*
 * The stress run's run-and-watch phase: this thread, every tick, while the
 * CPUs work - new violations, the watchdog, quiescent checks (stop the
 * world at the barrier), the shuffler (torture's shuffle: migrate tasks
 * between CPUs at their next sleep point), the statistics and the
 * progress bar - until the budget is spent or something stops the run.
 *
 * Context: main thread, task 0, async; the CPUs run meanwhile.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { request_migration, xorshift32 } from '../shm/task.js';
import { torture_nr_finished, torture_nr_quiet, torture_nr_started, torture_release, torture_request_park } from './torture_ctl.js';
import { task_dump, type Stall } from './watchdog.js';
import { mem_cgroup_reap_dead } from './memcg_reaper.js';
import { opName } from './workload.js';
import { format_stats } from './stress_report.js';
import { stress_poll_violations } from './stress_violations.js';
import { stress_counters, stress_elapsed, stress_say, stress_stop, type StressRun } from './stress_run.js';

const TICK_MS = 20;

/* A stall: which tasks, then every task's dump; the run ends (the stalled CPUs are terminated after the grace period). */
function stress_on_stall(run: StressRun, st: Stall[]): void {
  const { sys, o } = run;
  stress_say(run, `swaptorture: STALL: ${st.map((s) => `task ${s.task} on cpu ${s.cpu} in ${opName(s.op)} for ${Math.round(s.ms)} ms`).join('; ')} (limit ${o.stallMs} ms); every task:\n`);
  for (const t of run.tasks.all) stress_say(run, `swaptorture:   ${task_dump(sys.handle, t)}\n`);
  for (const s of st) run.stalls.push({ task: s.task, cpu: s.cpu, op: opName(s.op), dump: task_dump(sys.handle, s.task) });
  stress_stop(run, 'stall');
}

/* Stop the world, check, reap dead cgroups, go on.  False if the run ended meanwhile. */
async function stress_quiescent_check(run: StressRun): Promise<boolean> {
  const t0 = performance.now();
  torture_request_park();
  while (torture_nr_quiet() < run.specs.length) {
    if (run.stopReason !== '') return false;
    const st = run.watchdog.check();
    if (st.length) {
      stress_on_stall(run, st);
      return false;
    }
    stress_poll_violations(run);
    await sleep(1);
  }
  const found = run.sys.check();
  run.checks++;
  stress_poll_violations(run);
  if (found.length === 0) mem_cgroup_reap_dead();
  run.watchdog.reset();
  torture_release();
  run.checkMs += performance.now() - t0;
  return true;
}

/* The shuffler's next random number. */
function shuffle_next(run: StressRun): number {
  return (run.shuffleRand = xorshift32(run.shuffleRand)) >>> 0;
}

/*
 * torture_shuffle_tasks(): the CPU tasks get a random permutation of the
 * CPUs (each moves at its next sleep point; none share a CPU, so the
 * per-CPU caches keep one user each), the onoff task and the kworker a
 * random CPU.
 */
function torture_shuffle_tasks(run: StressRun): void {
  const { tasks, o } = run;
  const perm = Array.from({ length: o.cpus }, (_, k) => k);
  for (let k = perm.length - 1; k > 0; k--) {
    const j = shuffle_next(run) % (k + 1);
    [perm[k], perm[j]] = [perm[j], perm[k]];
  }
  tasks.workers.forEach((t, k) => request_migration(t, perm[k]));
  if (tasks.onoff !== null) request_migration(tasks.onoff, shuffle_next(run) % o.cpus);
  request_migration(tasks.kworker, shuffle_next(run) % o.cpus);
}

/* locktorture's periodic statistics block. */
function stress_print_stats(run: StressRun): void {
  const c = stress_counters(run);
  stress_say(run, format_stats(c, stress_elapsed(run), run.checks, run.printed.size, c.ops.swapoff));
}

/* The progress bar: the share of the budget done, and the run's figures so far. */
function stress_show_progress(run: StressRun): void {
  const { o } = run;
  const c = stress_counters(run);
  const t = stress_elapsed(run);
  const frac = o.ops > 0 ? c.opsTotal / (o.ops * o.cpus) : t / o.seconds;
  run.bar?.update(frac, `${t.toFixed(1)} s  ops ${c.opsTotal}  swap ${Math.round(c.swapOps / Math.max(t, 1e-3))}/s  checks ${run.checks}  violations ${run.printed.size}`);
}

/*
 * Before the clock starts (thread start and module loading take a second
 * or more on a busy 2-core machine): violations only, until every CPU is
 * in its workload loop; then the clock starts, so --seconds and every rate
 * are the workload's own.
 */
function stress_wait_started(run: StressRun): 'stop' | 'wait' | 'go' {
  stress_poll_violations(run);
  if (run.stopReason !== '') return 'stop';
  if (torture_nr_started() < run.tasks.workers.length) return 'wait';
  run.running = true;
  run.startupS = (performance.now() - run.t0) / 1000;
  run.t0 = performance.now();
  return 'go';
}

/* The budget is spent: --seconds on the clock, or with --ops every CPU (and a bounded onoff task) finished. */
function stress_budget_spent(run: StressRun, ms: number): boolean {
  const { o, tasks } = run;
  if (o.ops === 0) return ms >= o.seconds * 1000;
  return torture_nr_finished() >= tasks.workers.length + (tasks.onoff !== null && o.swapoffCycles > 0 ? 1 : 0);
}

/* One tick of the running workload and whatever periodic action is due.  False when the run is over. */
async function stress_tick(run: StressRun): Promise<boolean> {
  const { o, next } = run;
  const ms = performance.now() - run.t0;
  stress_poll_violations(run);
  if (run.stopReason !== '' || stress_budget_spent(run, ms)) return false;
  const st = run.watchdog.check();
  if (st.length) {
    stress_on_stall(run, st);
    return false;
  }
  if (o.checkIntervalMs > 0 && ms >= next.check) {
    if (!(await stress_quiescent_check(run))) return false;
    next.check = performance.now() - run.t0 + o.checkIntervalMs;
  }
  if (o.shuffleIntervalMs > 0 && ms >= next.shuffle) {
    torture_shuffle_tasks(run);
    next.shuffle = ms + o.shuffleIntervalMs;
  }
  if (o.statIntervalS > 0 && ms >= next.stat) {
    stress_print_stats(run);
    next.stat = ms + o.statIntervalS * 1000;
  }
  if (run.bar) stress_show_progress(run);
  return true;
}

/* Run and watch: a tick every TICK_MS until every CPU has returned or the run is over. */
export async function stress_watch(run: StressRun): Promise<void> {
  while (!run.done) {
    await sleep(TICK_MS);
    if (!run.running) {
      const started = stress_wait_started(run);
      if (started === 'stop') break;
      if (started === 'wait') continue;
    }
    if (!(await stress_tick(run))) break;
  }
}
