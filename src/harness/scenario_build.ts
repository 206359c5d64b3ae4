/*
 * A scenario's system for one schedule: the arena booted with the
 * scenario's configuration, its devices created and swapped on, its setup
 * operations run on task 0, and the specs of its CPUs (repro, explore and
 * the fuzzer's executions all start from here).
 *
 * Context: main thread (it becomes task 0 of the new arena).
 */
import { System } from '../api/system.js';
import type { DesignName } from '../mm/swap_design.js';
import { bound_mms, exec_op, scenario_env } from '../scenario/exec.js';
import { SCENARIO_MEMCG_IDS } from '../scenario/check.js';
import type { Scenario } from '../scenario/fields.js';
import { errname } from '../include/errno.js';
import { SWAP_FLAG_DISCARD } from '../mm/swapon.js';
import type { CpuSpec } from './programs.js';
import type { ScenarioCpuArgs } from './scenario_cpu.js';
import { block_device_options } from '../api/device_kind.js';

/*
 * The arena's schedule record: a controlled run of more steps ends as a
 * livelock.  Generated fuzz cases with a swapoff of a large fork family
 * run long: at 262,144 steps, 8 of 9,027 runs of two campaigns ended
 * as livelocks that, given more, ended at 270 k-470 k steps with every
 * check run.  The record costs a word a step (4 MiB), zeroed when an
 * arena is reused (about 0.5 ms more than at 262,144, against tens of
 * milliseconds a case); a real livelock takes this many steps to call.
 */
export const MAX_STEPS = 1 << 20;

/**
 * A scenario's system could not be set up (creating or swapping on a
 * device, or a setup step, failed): the file's fault, not the model's.
 * @field is the JSON path of what failed (system.devices[0], setup[2]).
 */
export class ScenarioSetupError extends Error {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
    this.name = 'ScenarioSetupError';
  }
}

/** A scenario's system, booted and set up, the specs of its CPUs, and its label table (shared by the CPUs, outside the arena). */
export interface Built {
  sys: System;
  specs: CpuSpec[];
  labels: Int32Array;
}

/** Does a run of @sc go without its bug switch: asked to (--fixed), or the scenario has none (an interleaving)? */
export function scenario_fixed(sc: Scenario, fixed: boolean): boolean {
  return fixed || sc.bug === undefined;
}

/**
 * A fresh system for one schedule of @sc: devices on, setup run, the CPUs'
 * specs; booted in @reuse, an earlier system's buffer, if given (zeroed:
 * the same system).  Context: main thread (becomes task 0 of the new arena).
 */
export function repro_build(sc: Scenario, seed: number, fixed: boolean, design: DesignName, exploreLog = 0, reuse?: SharedArrayBuffer): Built {
  const cpus = sc.cpus.length;
  const maxPages = Math.max(...sc.system.devices.map((d) => d.pages));
  const sys = System.create({
    design, seed, bugs: scenario_fixed(sc, fixed) ? [] : [sc.bug!], zswap: sc.system.zswap === true || design === 'ghost' /* a ghost keeps its pages nowhere else */,
    nrCpus: Math.max(2, cpus + 1), nrTasks: cpus + 2, nrFrames: sc.system.frames, nrMms: sc.system.mms, mmPages: sc.system.mmPages,
    maxSwapPages: maxPages, nrPages: 64 + sc.system.devices.reduce((s, d) => s + Math.ceil(d.pages / 512), 0),
    nrMemcgs: SCENARIO_MEMCG_IDS, reportSlots: 64, schedSteps: MAX_STEPS, slabMinPartial: sc.system.slabMinPartial, exploreLog: exploreLog || undefined, reuse,
  });
  const env = scenario_env([...sc.setup, ...sc.cpus.flatMap((c) => c.ops)]);
  sc.system.devices.forEach((d, i) => {
    const path = `/dev/${d.kind}${i}`;
    const made = sys.createSwapDevice(path, d.kind === 'ghost' ? { sizePages: d.pages, kind: 'ghost', badPages: d.badPages } : { ...block_device_options(d.kind, d.pages), badPages: d.badPages });
    if (made < 0) throw new ScenarioSetupError(`system.devices[${i}]`, `creating ${path} failed: ${errname(made)}`);
    const err = sys.swapon(path, { prio: 0, discard: d.discard === true });
    if (err < 0) throw new ScenarioSetupError(`system.devices[${i}]`, `swapon ${path} failed: ${errname(err)}`);
    env.devices.push({ path, flags: d.discard === true ? SWAP_FLAG_DISCARD : 0 });
  });
  sys.as(0, () => {
    sc.setup.forEach((op, i) => {
      const r = exec_op(op, env);
      if (r < 0) throw new ScenarioSetupError(`setup[${i}]`, `${op.op} failed with ${errname(r)}; every setup step must succeed`);
    });
  });
  /* Each CPU's filler works on one of the processes setup left. */
  const fillerMms = bound_mms(env);
  const specs: CpuSpec[] = sc.cpus.map((c, i) => ({
    task: i + 1,
    cpu: i,
    program: 'scenario-cpu',
    args: { ops: c.ops, env, filler: c.filler, fillerMm: fillerMms[i % Math.max(1, fillerMms.length)], mmPages: sc.system.mmPages } satisfies ScenarioCpuArgs,
  }));
  return { sys, specs, labels: env.ids };
}

