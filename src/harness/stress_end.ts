/*
 * The stress run's last phases: stop every task at its next operation
 * boundary and collect the CPUs (a stalled one terminated after the grace
 * period), a last quiescent check, and the result with what was counted -
 * whatever ended the run (the budget, a violation, a crashed worker, a
 * stall or Ctrl-C).
 *
 * Context: main thread, task 0, async.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { A } from '../shm/arena.js';
import { window_delays_taken } from '../sync/window_delay.js';
import type { CpuSettled } from './cpus.js';
import { torture_stop } from './torture_ctl.js';
import { write_trace } from './trace_writer.js';
import { bug_hints } from './bug_hints.js';
import { WORKLOAD_OPS } from './workload.js';
import type { StressOnoffResult } from './stress_cpu.js';
import { formatMix } from './stress_options.js';
import type { StressCounters, StressResult } from './stress_report.js';
import { stress_poll_violations, stress_violations_out } from './stress_violations.js';
import { stress_counters, stress_elapsed, stress_say, type StressRun } from './stress_run.js';

/* Every CPU's outcome; a stalled CPU will not come back: the others get the grace period, then every worker is terminated. */
async function stress_collect(run: StressRun, settled: Promise<CpuSettled[]>): Promise<CpuSettled[]> {
  if (run.stalls.length === 0) return settled;
  const grace = sleep(Math.max(2000, run.o.stallMs)).then(() => null);
  const outcomes = await Promise.race([settled, grace]);
  if (outcomes !== null) return outcomes;
  await run.pool.destroy();
  return settled;
}

/* Stop: every task at its next operation boundary, the clock stopped; the CPUs' outcomes, crashes counted. */
export async function stress_stop_cpus(run: StressRun, settled: Promise<CpuSettled[]>): Promise<CpuSettled[]> {
  torture_stop();
  run.seconds = stress_elapsed(run);
  const outcomes = await stress_collect(run, settled);
  for (const oc of outcomes) {
    if (oc.status === 'rejected' && oc.error.violation === undefined && !run.harnessErrors.includes(oc.error.message) && run.stalls.length === 0) {
      run.harnessErrors.push(oc.error.message);
      run.crashed = true;
    }
  }
  const onoff = outcomes.find((x) => x.spec.task === run.tasks.onoff);
  if (onoff?.status === 'fulfilled' && (onoff.value as StressOnoffResult).gaveUp) {
    stress_say(run, `swaptorture: ${(onoff.value as StressOnoffResult).cycles} of ${run.o.swapoffCycles} swapoff cycles ran: swapoff failed (-ENOMEM) after the workload had ended, with nothing left to free memory\n`);
  }
  return outcomes;
}

/* Check: a last look at the whole system - unless a CPU died or stalled mid-operation (its locks are still held). */
export function stress_final_check(run: StressRun, outcomes: CpuSettled[]): void {
  if (!run.crashed && run.stalls.length === 0 && outcomes.every((x) => x.status === 'fulfilled')) {
    run.sys.check();
    run.checks++;
  }
  stress_poll_violations(run);
  run.bar?.clear();
}

/* The swap events of the result document. */
function stress_swap_ops(c: StressCounters): StressResult['swapOps'] {
  return {
    pswpin: c.vm.pswpin, pswpout: c.vm.pswpout, swpin_zero: c.vm.swpin_zero, swpout_zero: c.vm.swpout_zero,
    zswpin: c.vm.zswpin, zswpout: c.vm.zswpout, zswpwb: c.vm.zswpwb, thp_swpin: c.vm.thp_swpin, thp_swpout: c.vm.thp_swpout, total: c.swapOps,
  };
}

/* What was found outranks the interruption: a harness failure 3, a violation 1, then Ctrl-C 130. */
function stress_exit_status(run: StressRun, violations: number): number {
  return run.crashed || run.stalls.length > 0 ? 3 : violations > 0 ? 1 : run.interrupted ? 130 : 0;
}

/*
 * The process's peak resident set: VmHWM of /proc/self/status, the high
 * water mark of this process's own memory.  getrusage()'s ru_maxrss is
 * no good for a process started by another: Linux carries the parent's
 * maximum over fork and exec (signal->maxrss), so a small run started by
 * a large bench reported the bench's peak.  Elsewhere, ru_maxrss.
 */
function peak_rss_bytes(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m !== null) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return process.resourceUsage().maxRSS * 1024;
}

/* The result document: every counter, what was found, the verdict. */
export function stress_result(run: StressRun): StressResult {
  const { o, seconds } = run;
  const c = stress_counters(run);
  const violations = stress_violations_out();
  const exitStatus = stress_exit_status(run, violations.length);
  const ops = Object.fromEntries(WORKLOAD_OPS.map((k) => [k, c.ops[k]])) as Record<string, number>;
  return {
    design: o.design,
    cpus: o.cpus,
    seed: o.seed,
    seconds,
    startupSeconds: run.startupS,
    maxRssBytes: peak_rss_bytes(),
    devices: o.devices.map((d) => d.text),
    mix: formatMix(o.mix),
    bugs: o.bugs,
    ops: { ...ops, total: c.opsTotal },
    opsPerSec: c.opsTotal / Math.max(seconds, 1e-3),
    swapOps: stress_swap_ops(c),
    readahead: { swap_ra: c.vm.swap_ra, swap_ra_hit: c.vm.swap_ra_hit },
    writeoutActivate: c.vm.swap_writeout_activate,
    swapOpsPerSec: c.swapOps / Math.max(seconds, 1e-3),
    countOverflows: c.vm.swap_count_extend,
    clusterLockShare: (c.locks.find((l) => l.class === '&ci->lock')?.heldMs ?? 0) / 1000 / Math.max(seconds * o.cpus, 1e-3),
    swapoffCycles: c.ops.swapoff,
    swapoffFailed: c.ops['swapoff-failed'],
    swaponFailed: c.ops['swapon-failed'],
    enomem: c.ops.enomem,
    migrations: c.migrations,
    windowDelays: window_delays_taken(),
    gracePeriods: c.gracePeriods,
    checks: run.checks,
    checkSeconds: run.checkMs / 1000,
    locks: c.locks,
    violations,
    stalls: run.stalls,
    harnessErrors: run.harnessErrors,
    interrupted: run.interrupted,
    result: exitStatus === 0 ? 'SUCCESS' : exitStatus === 130 ? 'INTERRUPTED' : 'FAILURE',
    exitStatus,
    bugHints: exitStatus === 0 || exitStatus === 130
      ? bug_hints(o.design, o.bugs, { devicePages: o.devices.map((d) => d.pages), swapoffIntervalMs: o.swapoffIntervalMs })
      : [],
    replay: run.replay,
  };
}

/* Why the run stopped early, and with --trace the recent events of every task when a violation was found. */
export function stress_report_end(run: StressRun, r: StressResult): void {
  const { o, tasks } = run;
  if (run.stopReason !== '' && !run.interrupted && run.stopReason !== 'stall') stress_say(run, `swaptorture: run stopped: ${run.stopReason}\n`);
  if (o.trace === '' || r.violations.length === 0) return;
  const names = Object.fromEntries(tasks.all.map((t) => [t, t === tasks.onoff ? 'onoff (swapoff/swapon)' : t === tasks.kworker ? 'kworker' : `CPU task ${t}`]));
  const n = write_trace(o.trace, tasks.all, names, { seed: o.seed, replay: run.replay, timeUnit: 'microseconds of wall time' });
  stress_say(run, `swaptorture: the last ${A.L.config.traceEvents} events of each task (${n} in all) written to ${o.trace} (Chrome Trace Event Format)\n`);
}
