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
 * Exit status: 0 clean, 1 an invariant broke, 3 the harness failed (a
 * worker crashed or a CPU stalled), 130 interrupted with nothing found
 * (a violation or a harness failure found before the Ctrl-C is still 1
 * or 3: it is the news; `interrupted` says the run was cut short).
 *
 * Context: main thread, async; plays task 0 in the arena.
 */
import { System } from '../api/system.js';
import { read_reports, type Violation } from '../shm/report.js';
import { pointLabel } from '../sync/point.js';
import { request_migration, setCurrent, taskWord, xorshift32 } from '../shm/task.js';
import { A } from '../shm/arena.js';
import { TASK } from '../shm/layout.js';
import { SWAP_FLAG_DISCARD, SWAP_FLAG_PREFER } from '../mm/swapon.js';
import { CpuPool, type CpuError, type CpuSettled } from './cpus.js';
import type { CpuSpec } from './programs.js';
import { mm_set_owner, opName, WORKLOAD_OPS, type WorkloadShape } from './workload.js';
import type { StressCpuArgs, StressKworkerArgs, StressOnoffArgs, StressOnoffResult } from './stress_cpu.js';
import {
  torture_ctl_init, torture_nr_finished, torture_nr_quiet, torture_nr_started, torture_release, torture_request_park, torture_stop,
} from './torture_ctl.js';
import { Watchdog, task_dump } from './watchdog.js';
import { mem_cgroup_reap_dead } from './memcg_reaper.js';
import { collect_counters, format_stats, format_summary, type StressCounters, type StressResult } from './stress_report.js';
import { formatMix, stress_command_line, stressArenaConfig, type StressOptions } from './stress_options.js';
import { ProgressBar } from './progress.js';
import { trace_setup } from '../shm/trace.js';
import { write_trace } from './trace_writer.js';
import { bug_hints, format_bug_hint } from './bug_hints.js';
/* The CPU programs' own modules, so this thread knows their point labels for dumps. */
import './all_programs.js';

export interface StressIO {
  /** Human output (summary, stats) - stdout unless --json. */
  out(s: string): void;
  /** Diagnostics and the progress bar - stderr. */
  err(s: string): void;
}

const TICK_MS = 20;
/** How often the kworker runs pending work (discard). */
const KWORKER_INTERVAL_MS = 2;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One violation, as a kernel developer reads it. */
function format_violation(v: Violation, replay: string): string {
  const where = v.task === 0
    ? 'found by the quiescent check'
    : `on cpu ${v.cpu} (task ${v.task}, op ${opName(v.op)}, at ${pointLabel(v.point)})`;
  return `swaptorture: VIOLATION [${v.invariant}] ${where}: ${v.message}\nswaptorture:   replay: ${replay}\n`;
}

/* Violations printed in full; the rest are counted (all are in --json). */
const PRINT_VIOLATIONS = 10;

export async function runStress(o: StressOptions, io: StressIO, signal?: AbortSignal): Promise<StressResult> {
  const replay = stress_command_line(o);
  /* The ghost design always has zswap: a ghost device has nothing else to keep pages in. */
  const sys = System.create({ design: o.design, seed: o.seed, bugs: o.bugs, zswap: o.zswap || o.design === 'ghost', ...stressArenaConfig(o) });
  setCurrent(0);

  /* Devices: ssd ones with discard; all at one priority so they take turns. */
  const devices: StressOnoffArgs['devices'] = [];
  o.devices.forEach((d, i) => {
    const path = d.kind === 'ghost' ? '/dev/ghostswap' : `/dev/${d.kind}${i}`;
    const err = sys.createSwapDevice(path, d.kind === 'ghost' ? { kind: 'chr', sizePages: 1 } : { sizePages: d.pages, rotational: d.kind === 'hdd' });
    if (err < 0) throw new Error(`mkswap ${path} (${d.text}): errno ${-err}`);
    const flags = (d.kind === 'ssd' ? SWAP_FLAG_DISCARD : 0);
    const on = sys.swapon(path, { flags, prio: 0 });
    if (on < 0) throw new Error(`swapon ${path} (${d.text}): errno ${-on}`);
    devices.push({ path, flags: flags | SWAP_FLAG_PREFER });
  });

  /* Tasks: 1..cpus the CPUs (each with its own cgroup and process), cpus+1 the onoff task. */
  const shape: WorkloadShape = { firstTask: 1, nrWorkers: o.cpus, maxMmsPerTask: Math.max(1, Math.floor(A.L.config.nrMms / o.cpus)) };
  const workers = Array.from({ length: o.cpus }, (_, k) => k + 1);
  const onoffTask = o.cpus + 1;
  for (const t of workers) {
    const memcg = sys.memcgCreate();
    if (memcg < 0) throw new Error(`memcg for task ${t}: errno ${-memcg}`);
    A.i32[taskWord(t, TASK.memcg)] = memcg;
    const mm = sys.mmCreate(memcg);
    if (mm < 0) throw new Error(`process for task ${t}: errno ${-mm}`);
    mm_set_owner(mm, t);
  }
  torture_ctl_init();
  trace_setup(o.trace !== '');

  const weights = WORKLOAD_OPS.map((k) => o.mix[k]);
  const specs: CpuSpec[] = workers.map((t, k) => ({
    task: t,
    cpu: k,
    program: 'stress-cpu',
    lockdep: o.lockdep,
    args: {
      shape, weights, maxOps: o.ops, crashAfter: k === 0 ? o.injectCrash : 0, stallAfter: k === 0 ? o.injectStall : 0,
    } satisfies StressCpuArgs,
  }));
  const withOnoff = o.swapoffIntervalMs > 0;
  if (withOnoff) {
    specs.push({
      task: onoffTask,
      cpu: 0,
      program: 'stress-onoff',
      lockdep: o.lockdep,
      args: { devices, intervalMs: o.swapoffIntervalMs, maxCycles: o.swapoffCycles, workers: o.cpus } satisfies StressOnoffArgs,
    });
  }
  /* The kworker: runs scheduled work (discard) for the whole run. */
  const kworkerTask = o.cpus + 2;
  specs.push({ task: kworkerTask, cpu: 0, program: 'stress-kworker', lockdep: o.lockdep, args: { intervalMs: KWORKER_INTERVAL_MS } satisfies StressKworkerArgs });
  const allTasks = specs.map((s) => s.task);
  const runTasks = [0, ...allTasks];

  const harnessErrors: string[] = [];
  const stalls: StressResult['stalls'] = [];
  const printed = new Set<number>();
  let checks = 0;
  let interrupted = false;
  let crashed = false;
  let stopReason = '';
  const bar = o.progress ? new ProgressBar((s) => io.err(s)) : null;
  const say = (s: string): void => {
    bar?.clear();
    io.err(s);
  };

  const pool = new CpuPool(sys.handle, specs.length);
  const watchdog = new Watchdog(sys.handle, allTasks, o.stallMs);
  const stop = (why: string): void => {
    if (stopReason === '') stopReason = why;
    torture_stop();
  };
  const onAbort = (): void => {
    interrupted = true;
    stop('interrupted (SIGINT)');
  };
  signal?.addEventListener('abort', onAbort);
  if (signal?.aborted) onAbort();

  say(`swaptorture: --- Start of test: design=${o.design} cpus=${o.cpus} seed=${o.seed} devices=${o.devices.map((d) => d.text).join(',')} ` +
    `mix=${formatMix(o.mix)} ${o.ops > 0 ? `ops=${o.ops}/cpu` : `seconds=${o.seconds}`} swapoff_interval=${o.swapoffIntervalMs}ms ` +
    `shuffle_interval=${o.shuffleIntervalMs}ms check_interval=${o.checkIntervalMs}ms stall=${o.stallMs}ms` +
    `${o.bugs.length ? ` bugs=${o.bugs.join(',')}` : ''}\n`);

  /* Report violations as they appear; the first one stops the run unless --keep-going. */
  const pollViolations = (): void => {
    for (const v of read_reports()) {
      if (printed.has(v.seq)) continue;
      printed.add(v.seq);
      if (printed.size <= PRINT_VIOLATIONS) say(format_violation(v, replay));
      else if (printed.size === PRINT_VIOLATIONS + 1) say(`swaptorture: (more violations: only the first ${PRINT_VIOLATIONS} are printed; --json has them all)\n`);
      if (!o.keepGoing) stop(`violation [${v.invariant}]`);
    }
  };

  const onStall = (st: { task: number; cpu: number; op: number; ms: number }[]): void => {
    say(`swaptorture: STALL: ${st.map((s) => `task ${s.task} on cpu ${s.cpu} in ${opName(s.op)} for ${Math.round(s.ms)} ms`).join('; ')} (limit ${o.stallMs} ms); every task:\n`);
    for (const t of allTasks) say(`swaptorture:   ${task_dump(sys.handle, t)}\n`);
    for (const s of st) stalls.push({ task: s.task, cpu: s.cpu, op: opName(s.op), dump: task_dump(sys.handle, s.task) });
    stop('stall');
  };

  /* Stop the world, check, reap dead cgroups, go on.  False if the run ended meanwhile. */
  const quiescentCheck = async (): Promise<boolean> => {
    torture_request_park();
    while (torture_nr_quiet() < specs.length) {
      if (stopReason !== '') return false;
      const st = watchdog.check();
      if (st.length) {
        onStall(st);
        return false;
      }
      pollViolations();
      await sleep(1);
    }
    const found = sys.check();
    checks++;
    pollViolations();
    if (found.length === 0) mem_cgroup_reap_dead();
    watchdog.reset();
    torture_release();
    return true;
  };

  const counters = (): StressCounters => collect_counters(workers, runTasks);
  /*
   * The clock starts when every CPU's worker is up and in its workload
   * loop (thread start and module loading take a second or more on a busy
   * 2-core machine): --seconds and every rate are the workload's own.
   */
  let t0 = performance.now();
  let running = false;
  let startupS = 0;
  const elapsed = (): number => (performance.now() - t0) / 1000;
  const fails = (): number => printed.size;

  const settled: Promise<CpuSettled[]> = pool.runSettled(specs, {
    timeoutMs: (o.ops > 0 ? 24 * 3600 : o.seconds) * 1000 + 10 * o.stallMs + 60_000,
    graceMs: Math.max(2000, o.stallMs),
    onCpuError: (e: CpuError) => {
      if (stalls.length > 0) {
        say(`swaptorture: terminated the stalled CPUs: task ${e.task}\n`);
        return;
      }
      crashed ||= e.violation === undefined;
      if (e.violation === undefined) harnessErrors.push(e.message);
      const op = opName(Atomics.load(A.i32, taskWord(e.task, TASK.op)));
      say(`swaptorture: ${e.violation ? 'CPU stopped by BUG()' : 'CPU CRASHED'} in operation ${op}: ${e.message}\n`);
      stop(`cpu ${e.cpu} failed`);
    },
  });
  let done = false;
  void settled.then(() => (done = true), () => (done = true));

  let nextCheck = o.checkIntervalMs;
  let nextShuffle = o.shuffleIntervalMs;
  let nextStat = o.statIntervalS * 1000;
  let shuffleRand = (o.seed ^ 0x5f3759df) >>> 0 || 1;
  const shuffleNext = (): number => (shuffleRand = xorshift32(shuffleRand)) >>> 0;

  try {
    while (!done) {
      await sleep(TICK_MS);
      if (!running) {
        pollViolations();
        if (stopReason !== '') break;
        if (torture_nr_started() < workers.length) continue;
        running = true;
        startupS = (performance.now() - t0) / 1000;
        t0 = performance.now();
      }
      const ms = performance.now() - t0;
      pollViolations();
      if (stopReason !== '') break;
      if (o.ops === 0 && ms >= o.seconds * 1000) break;
      /* Bounded by operations: done when every CPU (and a bounded onoff task) has finished. */
      if (o.ops > 0 && torture_nr_finished() >= workers.length + (withOnoff && o.swapoffCycles > 0 ? 1 : 0)) break;
      const st = watchdog.check();
      if (st.length) {
        onStall(st);
        break;
      }
      if (o.checkIntervalMs > 0 && ms >= nextCheck) {
        if (!(await quiescentCheck())) break;
        nextCheck = performance.now() - t0 + o.checkIntervalMs;
      }
      if (o.shuffleIntervalMs > 0 && ms >= nextShuffle) {
        /*
         * torture_shuffle_tasks(): the CPU tasks get a random permutation
         * of the CPUs (each moves at its next sleep point; none share a
         * CPU, so the per-CPU caches keep one user each), the onoff task
         * a random CPU.
         */
        const perm = Array.from({ length: o.cpus }, (_, k) => k);
        for (let k = perm.length - 1; k > 0; k--) {
          const j = shuffleNext() % (k + 1);
          [perm[k], perm[j]] = [perm[j], perm[k]];
        }
        workers.forEach((t, k) => request_migration(t, perm[k]));
        if (withOnoff) request_migration(onoffTask, shuffleNext() % o.cpus);
        request_migration(kworkerTask, shuffleNext() % o.cpus);
        nextShuffle = ms + o.shuffleIntervalMs;
      }
      if (o.statIntervalS > 0 && ms >= nextStat) {
        const c = counters();
        say(format_stats(c, elapsed(), checks, fails(), c.ops.swapoff));
        nextStat = ms + o.statIntervalS * 1000;
      }
      if (bar) {
        const c = counters();
        const frac = o.ops > 0 ? c.opsTotal / (o.ops * o.cpus) : elapsed() / o.seconds;
        bar.update(frac, `${elapsed().toFixed(1)} s  ops ${c.opsTotal}  swap ${Math.round(c.swapOps / Math.max(elapsed(), 1e-3))}/s  checks ${checks}  violations ${fails()}`);
      }
    }
    /* Stop every task at its next operation boundary and collect them. */
    torture_stop();
    const seconds = elapsed();
    let outcomes: CpuSettled[] | null = null;
    if (stalls.length > 0) {
      /* A stalled CPU will not come back: give the others the grace period, then terminate. */
      const grace = sleep(Math.max(2000, o.stallMs)).then(() => null);
      outcomes = await Promise.race([settled, grace]);
      if (outcomes === null) {
        await pool.destroy();
        outcomes = await settled;
      }
    } else {
      outcomes = await settled;
    }
    for (const oc of outcomes) {
      if (oc.status === 'rejected' && oc.error.violation === undefined && !harnessErrors.includes(oc.error.message) && stalls.length === 0) {
        harnessErrors.push(oc.error.message);
        crashed = true;
      }
    }
    const onoff = outcomes.find((x) => x.spec.task === onoffTask);
    if (onoff?.status === 'fulfilled' && (onoff.value as StressOnoffResult).gaveUp) {
      say(`swaptorture: ${(onoff.value as StressOnoffResult).cycles} of ${o.swapoffCycles} swapoff cycles ran: swapoff failed (-ENOMEM) after the workload had ended, with nothing left to free memory\n`);
    }
    /* A last look at the whole system - unless a CPU died or stalled mid-operation (its locks are still held). */
    if (!crashed && stalls.length === 0 && outcomes.every((x) => x.status === 'fulfilled')) {
      sys.check();
      checks++;
    }
    pollViolations();
    bar?.clear();

    const c = counters();
    const violations = read_reports().map((v) => ({
      invariant: v.invariant,
      message: v.message,
      cpu: v.cpu,
      task: v.task,
      op: opName(v.op),
      point: pointLabel(v.point),
      args: v.args,
    }));
    /* What was found outranks the interruption: a harness failure 3, a violation 1, then Ctrl-C 130. */
    const exitStatus = crashed || stalls.length > 0 ? 3 : violations.length > 0 ? 1 : interrupted ? 130 : 0;
    const ops = Object.fromEntries(WORKLOAD_OPS.map((k) => [k, c.ops[k]])) as Record<string, number>;
    const result: StressResult = {
      design: o.design,
      cpus: o.cpus,
      seed: o.seed,
      seconds,
      startupSeconds: startupS,
      devices: o.devices.map((d) => d.text),
      mix: formatMix(o.mix),
      bugs: o.bugs,
      ops: { ...ops, total: c.opsTotal },
      opsPerSec: c.opsTotal / Math.max(seconds, 1e-3),
      swapOps: {
        pswpin: c.vm.pswpin, pswpout: c.vm.pswpout, swpin_zero: c.vm.swpin_zero, swpout_zero: c.vm.swpout_zero,
        zswpin: c.vm.zswpin, zswpout: c.vm.zswpout, zswpwb: c.vm.zswpwb, thp_swpin: c.vm.thp_swpin, thp_swpout: c.vm.thp_swpout, total: c.swapOps,
      },
      writeoutActivate: c.vm.swap_writeout_activate,
      swapOpsPerSec: c.swapOps / Math.max(seconds, 1e-3),
      countOverflows: c.vm.swap_count_extend,
      clusterLockShare: (c.locks.find((l) => l.class === '&ci->lock')?.heldMs ?? 0) / 1000 / Math.max(seconds * o.cpus, 1e-3),
      swapoffCycles: c.ops.swapoff,
      swapoffFailed: c.ops['swapoff-failed'],
      swaponFailed: c.ops['swapon-failed'],
      enomem: c.ops.enomem,
      migrations: c.migrations,
      gracePeriods: c.gracePeriods,
      checks,
      locks: c.locks,
      violations,
      stalls,
      harnessErrors,
      interrupted,
      result: exitStatus === 0 ? 'SUCCESS' : exitStatus === 130 ? 'INTERRUPTED' : 'FAILURE',
      exitStatus,
      bugHints: exitStatus === 0 || exitStatus === 130
        ? bug_hints(o.design, o.bugs, { devicePages: o.devices.map((d) => d.pages), swapoffIntervalMs: o.swapoffIntervalMs })
        : [],
      replay,
    };
    if (stopReason !== '' && !interrupted && stopReason !== 'stall') say(`swaptorture: run stopped: ${stopReason}\n`);
    if (o.trace !== '' && violations.length > 0) {
      const names = Object.fromEntries(allTasks.map((t) => [t, t === onoffTask ? 'onoff (swapoff/swapon)' : t === kworkerTask ? 'kworker' : `CPU task ${t}`]));
      const n = write_trace(o.trace, allTasks, names, { seed: o.seed, replay, timeUnit: 'microseconds of wall time' });
      say(`swaptorture: the last ${A.L.config.traceEvents} events of each task (${n} in all) written to ${o.trace} (Chrome Trace Event Format)\n`);
    }
    return result;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    torture_stop();
    await pool.destroy();
  }
}

/** Print @r for humans: the final stats block, the summary, the verdict line. */
export function print_result(r: StressResult, io: StressIO, c?: string): void {
  io.out(format_summary(r));
  if (c) io.out(c);
  if (r.result === 'FAILURE') io.out(`\nreplay: ${r.replay}\n`);
  const notes = [r.interrupted && r.result !== 'INTERRUPTED' ? 'interrupted' : '', ...r.bugHints.map(format_bug_hint)].filter((s) => s !== '');
  io.out(`\nswaptorture: End of test: ${r.result}: design=${r.design} cpus=${r.cpus} seed=${r.seed} ops=${r.ops.total} swap_ops=${r.swapOps.total} checks=${r.checks} violations=${r.violations.length} stalls=${r.stalls.length}${notes.map((n) => ` (${n})`).join('')}\n`);
}
