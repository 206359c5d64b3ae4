/*
 * The stress run's boot phase: one arena, the devices made and swapped
 * on, each workload task its own cgroup and process, the programs of the
 * worker threads, and the CPU pool that will run them - everything the
 * later phases work on, in one StressRun.
 *
 * Context: main thread, task 0; before any CPU runs.
 */
import { BLK_COMPLETION_SOFTIRQ, blk_set_completion } from '../block/bio.js';
import { pv_spinlocks_set } from '../sync/spinlock.js';
import { window_delay_set } from '../sync/window_delay.js';
import { System } from '../api/system.js';
import { setCurrent, taskWord } from '../shm/task.js';
import { A } from '../shm/arena.js';
import { TASK } from '../shm/layout.js';
import { trace_setup } from '../shm/trace.js';
import { SWAP_FLAG_DISCARD, SWAP_FLAG_PREFER } from '../mm/swapon.js';
import { CpuPool } from './cpus.js';
import type { CpuSpec } from './programs.js';
import { ProgressBar } from './progress.js';
import { torture_ctl_init } from './torture_ctl.js';
import { Watchdog } from './watchdog.js';
import { mm_set_owner, WORKLOAD_OPS, type WorkloadShape } from './workload.js';
import type { StressCpuArgs, StressKworkerArgs, StressOnoffArgs } from './stress_cpu.js';
import { stress_command_line, stress_tasks, stressArenaConfig, type StressOptions, type StressTasks } from './stress_options.js';
import type { StressIO, StressRun } from './stress_run.js';
import { block_device_options } from '../api/device_kind.js';

/** How often the kworker runs pending work (discard). */
const KWORKER_INTERVAL_MS = 2;

/*
 * mkswap and swapon of every --devices entry: ssd ones with discard, all
 * at one priority so they take turns.  Returns what the onoff task cycles.
 */
function stress_swapon_devices(sys: System, o: StressOptions): StressOnoffArgs['devices'] {
  const devices: StressOnoffArgs['devices'] = [];
  o.devices.forEach((d, i) => {
    const path = d.kind === 'ghost' ? '/dev/ghostswap' : `/dev/${d.kind}${i}`;
    const err = sys.createSwapDevice(path, d.kind === 'ghost' ? { kind: 'chr', sizePages: 1 } : block_device_options(d.kind, d.pages));
    if (err < 0) throw new Error(`mkswap ${path} (${d.text}): errno ${-err}`);
    const flags = (d.kind === 'ssd' ? SWAP_FLAG_DISCARD : 0);
    const on = sys.swapon(path, { flags, prio: 0 });
    if (on < 0) throw new Error(`swapon ${path} (${d.text}): errno ${-on}`);
    devices.push({ path, flags: flags | SWAP_FLAG_PREFER });
  });
  return devices;
}

/* Each workload task its own cgroup and process.  Returns the workload's shape (whose processes are whose). */
function stress_init_tasks(sys: System, o: StressOptions, tasks: StressTasks): WorkloadShape {
  const shape: WorkloadShape = {
    firstTask: 1, nrWorkers: o.cpus, maxMmsPerTask: Math.max(1, Math.floor(A.L.config.nrMms / o.cpus)), zswapToggle: o.zswap && o.design !== 'ghost',
  };
  for (const t of tasks.workers) {
    const memcg = sys.memcgCreate();
    if (memcg < 0) throw new Error(`memcg for task ${t}: errno ${-memcg}`);
    A.i32[taskWord(t, TASK.memcg)] = memcg;
    const mm = sys.mmCreate(memcg);
    if (mm < 0) throw new Error(`process for task ${t}: errno ${-mm}`);
    mm_set_owner(mm, t);
  }
  return shape;
}

/* The worker threads' programs, in tasks.all order: the CPUs' workload, the onoff task, the kworker. */
function stress_cpu_specs(o: StressOptions, tasks: StressTasks, shape: WorkloadShape, devices: StressOnoffArgs['devices']): CpuSpec[] {
  const weights = WORKLOAD_OPS.map((k) => o.mix[k]);
  const specs: CpuSpec[] = tasks.workers.map((t, k) => ({
    task: t,
    cpu: k,
    program: 'stress-cpu',
    lockdep: o.lockdep,
    args: {
      shape, weights, maxOps: o.ops, crashAfter: k === 0 ? o.injectCrash : 0, stallAfter: k === 0 ? o.injectStall : 0,
    } satisfies StressCpuArgs,
  }));
  if (tasks.onoff !== null) {
    specs.push({
      task: tasks.onoff,
      cpu: 0,
      program: 'stress-onoff',
      lockdep: o.lockdep,
      args: { devices, intervalMs: o.swapoffIntervalMs, maxCycles: o.swapoffCycles, workers: o.cpus } satisfies StressOnoffArgs,
    });
  }
  /* The kworker: runs scheduled work (discard) for the whole run. */
  specs.push({ task: tasks.kworker, cpu: 0, program: 'stress-kworker', lockdep: o.lockdep, args: { intervalMs: KWORKER_INTERVAL_MS } satisfies StressKworkerArgs });
  return specs;
}

/* Boot: the system, its devices and tasks, the CPUs' programs and their pool (workers start loading now). */
export function stress_boot(o: StressOptions, io: StressIO): StressRun {
  const replay = stress_command_line(o);
  /* The ghost design always has zswap: a ghost device has nothing else to keep pages in. */
  const sys = System.create({ design: o.design, seed: o.seed, bugs: o.bugs, zswap: o.zswap || o.design === 'ghost', ...stressArenaConfig(o) });
  setCurrent(0);
  pv_spinlocks_set(o.pvSpinlocks);
  window_delay_set(o.windowDelay);
  const devices = stress_swapon_devices(sys, o);
  const tasks = stress_tasks(o);
  const shape = stress_init_tasks(sys, o, tasks);
  torture_ctl_init();
  /* Bios complete later: at the next operation boundary of any task, or when someone waits for one. */
  blk_set_completion(BLK_COMPLETION_SOFTIRQ);
  trace_setup(o.trace !== '');
  const specs = stress_cpu_specs(o, tasks, shape, devices);
  const bar = o.progress ? new ProgressBar((s) => io.err(s)) : null;
  return {
    o, io, replay, sys, tasks, specs, bar,
    pool: new CpuPool(sys.handle, specs.length),
    watchdog: new Watchdog(sys.handle, tasks.all, o.stallMs),
    done: false,
    printed: new Set<number>(), harnessErrors: [], stalls: [], checks: 0, checkMs: 0, crashed: false, interrupted: false, stopReason: '',
    t0: performance.now(), running: false, startupS: 0, seconds: 0,
    next: { check: o.checkIntervalMs, shuffle: o.shuffleIntervalMs, stat: o.statIntervalS * 1000 },
    shuffleRand: (o.seed ^ 0x5f3759df) >>> 0 || 1,
  };
}
