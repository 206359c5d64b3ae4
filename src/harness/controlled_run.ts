/*
 * One controlled run on a CpuPool: set the scheduler up in the arena
 * (src/sched/controlled.ts), run every spec under it, and collect what
 * happened - the outcome (done, deadlock, livelock, diverged), the
 * schedule as a string, the violations with the step each was reported
 * at, and for a deadlock every task's held locks and wait target.
 *
 * Context: main thread, arena attached; no other run on the pool.
 */
import { read_reports, type Violation } from '../shm/report.js';
import { sched_init, sched_reset, sched_result, SchedAbort, type ControlledConfig, type ControlledResult } from '../sched/controlled.js';
import { encode_schedule } from '../sched/schedule.js';
import type { CpuPool, CpuSettled } from './cpus.js';
import type { CpuSpec } from './programs.js';
import { task_dump, type TaskDoing } from './watchdog.js';
import { model_call_chain } from './call_chain.js';

export interface ControlledRun extends ControlledResult {
  schedule: string;
  violations: Violation[];
  /** Per-task dumps when the run deadlocked or livelocked. */
  dumps: string[];
  /** CPUs that failed for another reason than the scheduler ending the run. */
  errors: string[];
  outcomes: CpuSettled[];
}

/* The name a task's SchedAbort arrives with from its worker: the scheduler ended the run, the task did not fail. */
const SCHED_ABORT = new SchedAbort(0).name;

/* @dump, and where the task was when the run ended (its SchedAbort's model frames), if it was in model code. */
function task_dump_at(dump: string, o: CpuSettled | undefined): string {
  const chain = o?.status === 'rejected' && o.error.remoteName === SCHED_ABORT ? model_call_chain(o.error.remoteStack) : [];
  return chain.length > 0 ? `${dump}, at ${chain.join(' <- ')}` : dump;
}

/** Run @specs under the scheduler per @cfg; @doing names a task's operation in the dumps of a run that could not finish. */
export async function runControlled(pool: CpuPool, specs: CpuSpec[], cfg: Omit<ControlledConfig, 'tasks'>, doing?: TaskDoing): Promise<ControlledRun> {
  const tasks = specs.map((s) => s.task);
  sched_init({ ...cfg, tasks });
  try {
    const outcomes = await pool.runSettled(specs.map((s) => ({ ...s, controlled: true })), { timeoutMs: 120_000, graceMs: 2_000 });
    const r = sched_result();
    const errors = outcomes.flatMap((o) =>
      o.status === 'rejected' && o.error.remoteName !== SCHED_ABORT && o.error.violation === undefined ? [o.error.message] : [],
    );
    const dumps = r.outcome === 'deadlock' || r.outcome === 'livelock' ? tasks.map((t) => task_dump_at(task_dump(pool.arena, t, doing), outcomes.find((o) => o.spec.task === t))) : [];
    return { ...r, schedule: encode_schedule(r.record), violations: read_reports(), dumps, errors, outcomes };
  } finally {
    sched_reset();
  }
}
