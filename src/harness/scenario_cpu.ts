/*
 * The "scenario-cpu" program: one CPU of a race scenario.  First @filler
 * random touches/writes/reclaims on the CPU's first process (a seeded
 * stream: more interleavings to search), then the CPU's script.
 * Context: worker thread, usually under the controlled scheduler.
 */
import { prandom_u32 } from '../shm/task.js';
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

registerProgram('scenario-cpu', (a: ScenarioCpuArgs) => {
  const results: number[] = [];
  if (a.fillerMm !== undefined) {
    for (let i = 0; i < a.filler; i++) {
      const page = prandom_u32() % a.mmPages;
      const r = prandom_u32() % 3;
      exec_op(r === 0 ? { op: 'write', mm: a.fillerMm, page, nr: 1, order: 0, zero: false } : r === 1
        ? { op: 'touch', mm: a.fillerMm, page, nr: 1, order: 0 }
        : { op: 'reclaim', mm: a.fillerMm, page, nr: 1 }, a.env);
    }
  }
  for (const op of a.ops) results.push(exec_op(op, a.env));
  return results;
});
