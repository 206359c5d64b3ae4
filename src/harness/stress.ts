/*
 * `swaptorture stress`: the torture run (kernel/locking/locktorture.c and
 * kernel/torture.c, with the swap model as the thing tortured).
 *
 *   boot      one arena; devices made and swapped on; per CPU task its
 *             own cgroup and process; task 0 is this (main) thread
 *   run       one piscina worker per simulated CPU running "stress-cpu",
 *             one more running "stress-onoff" (swapoff + swapon cycles);
 *             this thread, every tick: new violations, the watchdog,
 *             quiescent checks (stop-the-world at the barrier), the
 *             shuffler (torture's shuffle: migrate tasks between CPUs at
 *             their next sleep point), statistics, the progress bar
 *   end       stop every task at its next operation boundary, a last
 *             quiescent check, the summary and "End of test: SUCCESS",
 *             "End of test: FAILURE" or "End of test: INTERRUPTED"
 *
 * Nothing computed is lost on the way out: a violation, a crashed worker,
 * a stall or Ctrl-C all end in the same summary with what was counted.
 * No worker survives the run (the pool is destroyed in every case).
 *
 * The phases, in order, each a function of its own over one StressRun
 * (src/harness/stress_run.ts): stress_boot (stress_boot.ts), the start
 * line and stress_start_cpus (here), stress_watch (stress_watch.ts),
 * stress_stop_cpus, stress_final_check, stress_result and
 * stress_report_end (stress_end.ts).
 *
 * Exit status: 0 clean, 1 an invariant broke, 3 the harness failed (a
 * worker crashed or a CPU stalled), 130 interrupted with nothing found
 * (a violation or a harness failure found before the Ctrl-C is still 1
 * or 3: it is the news; `interrupted` says the run was cut short).
 *
 * Context: main thread, async; plays task 0 in the arena.
 */
import { opName } from './workload.js';
import { torture_stop } from './torture_ctl.js';
import type { CpuError, CpuSettled } from './cpus.js';
import { format_summary, type StressResult } from './stress_report.js';
import { formatMix, type StressOptions } from './stress_options.js';
import { format_bug_hint } from './bug_hints.js';
import { A } from '../shm/arena.js';
import { TASK } from '../shm/layout.js';
import { taskWord } from '../shm/task.js';
import { stress_boot } from './stress_boot.js';
import { stress_watch } from './stress_watch.js';
import { stress_final_check, stress_report_end, stress_result, stress_stop_cpus } from './stress_end.js';
import { stress_say, stress_stop, type StressIO, type StressRun } from './stress_run.js';
/* The CPU programs' own modules, so this thread knows their point labels for dumps. */
import './all_programs.js';

/* Ctrl-C: the run ends at the CPUs' next operation boundaries, with what was counted. */
function stress_interrupt(run: StressRun): void {
  run.interrupted = true;
  stress_stop(run, 'interrupted (SIGINT)');
}

/* The start line: everything that makes the run, on stderr. */
function stress_announce(run: StressRun): void {
  const { o } = run;
  stress_say(run, `swaptorture: --- Start of test: design=${o.design} cpus=${o.cpus} seed=${o.seed} devices=${o.devices.map((d) => d.text).join(',')} ` +
    `mix=${formatMix(o.mix)} ${o.ops > 0 ? `ops=${o.ops}/cpu` : `seconds=${o.seconds}`} swapoff_interval=${o.swapoffIntervalMs}ms ` +
    `shuffle_interval=${o.shuffleIntervalMs}ms check_interval=${o.checkIntervalMs}ms stall=${o.stallMs}ms` +
    `${o.lockdep ? '' : ' lockdep=off'}${o.pvSpinlocks ? '' : ' pv_spinlocks=off'}${o.windowDelay ? ` window_delay=1/${o.windowDelay}` : ''}` +
    `${o.bugs.length ? ` bugs=${o.bugs.join(',')}` : ''}\n`);
}

/* A CPU died: a BUG() (the violation is the news) or a crash (a harness failure); the run ends either way. */
function stress_on_cpu_error(run: StressRun, e: CpuError): void {
  if (run.stalls.length > 0) {
    stress_say(run, `swaptorture: terminated the stalled CPUs: task ${e.task}\n`);
    return;
  }
  run.crashed ||= e.violation === undefined;
  if (e.violation === undefined) run.harnessErrors.push(e.message);
  const op = opName(Atomics.load(A.i32, taskWord(e.task, TASK.op)));
  stress_say(run, `swaptorture: ${e.violation ? 'CPU stopped by BUG()' : 'CPU CRASHED'} in operation ${op}: ${e.message}\n`);
  stress_stop(run, `cpu ${e.cpu} failed`);
}

/*
 * Start the CPUs: one worker thread per program, all at once.  The clock
 * starts now and again when every CPU is in its workload loop
 * (stress_watch).  Returns every CPU's outcome, once all have returned.
 */
function stress_start_cpus(run: StressRun): Promise<CpuSettled[]> {
  const { o } = run;
  run.t0 = performance.now();
  const settled = run.pool.runSettled(run.specs, {
    timeoutMs: (o.ops > 0 ? 24 * 3600 : o.seconds) * 1000 + 10 * o.stallMs + 60_000,
    graceMs: Math.max(2000, o.stallMs),
    onCpuError: (e: CpuError) => stress_on_cpu_error(run, e),
  });
  void settled.then(() => (run.done = true), () => (run.done = true));
  return settled;
}

/*
 * The torture run: boot, start the CPUs, run and watch, stop, check,
 * report.  Nothing computed is lost on the way out; no worker survives.
 */
export async function runStress(o: StressOptions, io: StressIO, signal?: AbortSignal): Promise<StressResult> {
  const run = stress_boot(o, io);
  const onAbort = (): void => stress_interrupt(run);
  signal?.addEventListener('abort', onAbort);
  if (signal?.aborted) onAbort();
  try {
    stress_announce(run);
    const settled = stress_start_cpus(run);
    await stress_watch(run);
    const outcomes = await stress_stop_cpus(run, settled);
    stress_final_check(run, outcomes);
    const result = stress_result(run);
    stress_report_end(run, result);
    return result;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    torture_stop();
    await run.pool.destroy();
  }
}

/** Print @r for humans: the final stats block, the summary, the verdict line. */
export function print_result(r: StressResult, io: StressIO, c?: string): void {
  io.out(format_summary(r));
  if (c) io.out(c);
  if (r.result === 'FAILURE') {
    /* Repeated beside the verdict: a log cut to its last lines still says what went wrong first. */
    const v = r.violations[0];
    if (v !== undefined) io.out(`\nfirst violation: [${v.invariant}] ${v.message}${r.violations.length > 1 ? ` (and ${r.violations.length - 1} more above)` : ''}\n`);
    io.out(`\nreplay: ${r.replay}\n`);
  }
  const notes = [r.interrupted && r.result !== 'INTERRUPTED' ? 'interrupted' : '', ...r.bugHints.map(format_bug_hint)].filter((s) => s !== '');
  io.out(`\nswaptorture: End of test: ${r.result}: design=${r.design} cpus=${r.cpus} seed=${r.seed} ops=${r.ops.total} swap_ops=${r.swapOps.total} checks=${r.checks} violations=${r.violations.length} stalls=${r.stalls.length}${notes.map((n) => ` (${n})`).join('')}\n`);
}
