/*
 * The "scenario-cpu" program: one CPU of a race scenario.  First @filler
 * random touches/writes/reclaims on the CPU's first process (a seeded
 * stream: more interleavings to search), then the CPU's script.  Each
 * operation finished bumps the task's heartbeat (TASK.progress), so a
 * dump of a run that could not finish names the operation under way
 * (scenario_cpu_doing).
 * Context: worker thread, usually under the controlled scheduler.
 */
import { A } from '../shm/arena.js';
import { TASK } from '../shm/layout.js';
import { curTaskWord, prandom_u32 } from '../shm/task.js';
import { exec_op, type ScenarioEnv } from '../scenario/exec.js';
import type { ScenarioOp } from '../scenario/fields.js';
import { registerProgram } from './programs.js';

export interface ScenarioCpuArgs {
  ops: ScenarioOp[];
  env: ScenarioEnv;
  filler: number;
  /** Label of the process the filler works on. */
  fillerMm?: string;
  mmPages: number;
}

/* The filler operations a CPU runs before its script. */
function filler_ops(a: ScenarioCpuArgs): number {
  return a.fillerMm === undefined ? 0 : a.filler;
}

/**
 * What a scenario CPU with @a is doing after @progress finished
 * operations: "filler (3 of 8)", "swapoff (2 of 5)" or "done".
 * Context: any (a pure function of the arguments).
 */
export function scenario_cpu_doing(a: ScenarioCpuArgs, progress: number): string {
  const f = filler_ops(a);
  if (progress < f) return `filler (${progress + 1} of ${f})`;
  const i = progress - f;
  return i < a.ops.length ? `${a.ops[i].op} (${i + 1} of ${a.ops.length})` : 'done';
}

registerProgram('scenario-cpu', (a: ScenarioCpuArgs) => {
  const results: number[] = [];
  const heartbeat = curTaskWord(TASK.progress);
  for (let i = 0; i < filler_ops(a); i++) {
    const page = prandom_u32() % a.mmPages;
    const r = prandom_u32() % 3;
    exec_op(r === 0 ? { op: 'write', mm: a.fillerMm!, page, nr: 1, order: 0, zero: false } : r === 1
      ? { op: 'touch', mm: a.fillerMm!, page, nr: 1, order: 0 }
      : { op: 'reclaim', mm: a.fillerMm!, page, nr: 1 }, a.env);
    Atomics.add(A.i32, heartbeat, 1);
  }
  for (const op of a.ops) {
    results.push(exec_op(op, a.env));
    Atomics.add(A.i32, heartbeat, 1);
  }
  return results;
});
