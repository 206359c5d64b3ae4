/*
 * Running a scenario's operations against the model: the same kernel
 * paths stress uses (handle_mm_fault, reclaim_pages, copy_mm, exit_mmap,
 * sys_swapoff/sys_swapon, the memcg calls), on processes and cgroups
 * named by labels.  The main thread runs `setup` with it; each CPU runs
 * its script with it in the "scenario-cpu" program.
 *
 * Labels live in one table every CPU shares (a SharedArrayBuffer): a
 * label is bound when the operation creating it returns (mm, memcg, fork)
 * and a process's label is unbound when its exit returns.  An operation
 * naming a label that is not bound at that moment - a process another
 * CPU has not forked yet, or has already exited - fails with -ESRCH, as
 * a system call on a pid that does not exist: a race outcome, like any
 * other errno.  Under the controlled scheduler one task runs at a time,
 * so which of the two happens is decided by the schedule and replays
 * exactly.  (The validator, check.ts, rejects the labels a file can never
 * bind before any of this runs.)
 *
 * Context: process context of the current task; no locks held.
 */
import { copy_mm, handle_mm_fault, mm_alloc, mm_set_memcg, mmget_not_zero, mmput, zap_page_range } from '../mm/memory.js';
import { reclaim_pages } from '../mm/vmscan.js';
import { mem_cgroup_create, mem_cgroup_offline, ROOT_MEM_CGROUP } from '../mm/memcontrol.js';
import { sys_swapoff, sys_swapon } from '../mm/swapon.js';
import { swap_discard_work } from '../mm/swap_discard.js';
import { zswap_shrink_work } from '../mm/zswap_writeback.js';
import { set_failslab } from '../kmem/slab.js';
import { ESRCH } from '../include/errno.js';
import { current, request_migration } from '../shm/task.js';
import { fork_labels, op_creates, op_uses, type LabelKind } from './labels.js';
import type { ScenarioOp } from './fields.js';

/* A label no operation has bound yet, or whose process exited. */
const UNBOUND = -1;

/** A device of the scenario's system: its path and the swap flags it was first swapped on with (swapon again uses them). */
export interface ScenarioDevice {
  path: string;
  flags: number;
}

/** Labels to slots of the shared id table, and the devices. */
export interface ScenarioEnv {
  mms: Record<string, number>;
  memcgs: Record<string, number>;
  /** ids[slot]: the mm or memcg id the slot's label is bound to, or UNBOUND.  Shared by every CPU. */
  ids: Int32Array;
  devices: ScenarioDevice[];
}

/**
 * The label table of a scenario whose operations (setup and every CPU's
 * script) are @ops: one slot for each label any of them names, unbound.
 */
export function scenario_env(ops: readonly ScenarioOp[], devices: ScenarioDevice[] = []): ScenarioEnv {
  const env: ScenarioEnv = { mms: {}, memcgs: {}, ids: new Int32Array(0), devices };
  let slots = 0;
  for (const op of ops) {
    for (const r of [...op_uses(op), ...op_creates(op)]) {
      const table = r.kind === 'mm' ? env.mms : env.memcgs;
      if (table[r.label] === undefined) table[r.label] = slots++;
    }
  }
  env.ids = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, slots))).fill(UNBOUND);
  return env;
}

function slotOf(env: ScenarioEnv, kind: LabelKind, label: string): number {
  const slot = (kind === 'mm' ? env.mms : env.memcgs)[label];
  if (slot === undefined) throw new Error(`scenario: label "${label}" is not in the scenario's label table`);
  return slot;
}

/* The id @label is bound to, or -ESRCH. */
function lookup(env: ScenarioEnv, kind: LabelKind, label: string): number {
  const id = Atomics.load(env.ids, slotOf(env, kind, label));
  return id === UNBOUND ? -ESRCH : id;
}

function bind(env: ScenarioEnv, kind: LabelKind, label: string, id: number): void {
  Atomics.store(env.ids, slotOf(env, kind, label), id);
}

/** The processes' labels bound now, in the order the scenario first names them. */
export function bound_mms(env: ScenarioEnv): string[] {
  return Object.keys(env.mms).filter((l) => Atomics.load(env.ids, env.mms[l]) !== UNBOUND);
}

function deviceOf(env: ScenarioEnv, i: number): ScenarioDevice {
  const d = env.devices[i];
  if (d === undefined) throw new Error(`scenario: no device ${i}`);
  return d;
}

/* Operations on a process that run in its address space, as a thread of it does: they hold an mm_users reference. */
const IN_MM: ReadonlySet<ScenarioOp['op']> = new Set(['write', 'touch', 'reclaim', 'fork', 'dontneed', 'move']);

/**
 * Run @op; returns 0 or the negative errno the kernel path returned
 * (-ESRCH: a label not bound now, or a process whose last user is gone).
 * An operation in a process's address space holds a user reference on it
 * (mmget_not_zero) throughout, so the process's exit on another CPU
 * leaves the teardown to the last mmput().
 */
export function exec_op(op: ScenarioOp, env: ScenarioEnv): number {
  const ids: number[] = [];
  for (const u of op_uses(op)) {
    const id = lookup(env, u.kind, u.label);
    if (id < 0) return id;
    ids.push(id);
  }
  if (!IN_MM.has(op.op)) return exec_op_ids(op, env, ids);
  if (!mmget_not_zero(ids[0])) return -ESRCH;
  try {
    return exec_op_ids(op, env, ids);
  } finally {
    mmput(ids[0]);
  }
}

function exec_op_ids(op: ScenarioOp, env: ScenarioEnv, ids: number[]): number {
  switch (op.op) {
    case 'mm': {
      const mm = mm_alloc(op.memcg === undefined ? ROOT_MEM_CGROUP : ids[0]);
      if (mm < 0) return mm;
      bind(env, 'mm', op.as, mm);
      return 0;
    }
    case 'memcg': {
      const m = mem_cgroup_create(op.parent === undefined ? ROOT_MEM_CGROUP : ids[0]);
      if (m < 0) return m;
      bind(env, 'memcg', op.as, m);
      return 0;
    }
    case 'write':
    case 'touch': {
      for (let i = op.page; i < op.page + op.nr; i++) {
        const r = handle_mm_fault(ids[0], i, op.op === 'write', op.op === 'write' && op.zero, op.order);
        if (r < 0) return r;
      }
      return 0;
    }
    case 'reclaim':
      reclaim_pages(ids[0], op.page, op.nr);
      return 0;
    case 'fork':
      for (const label of fork_labels(op.as, op.times)) {
        const child = copy_mm(ids[0]);
        if (child < 0) return child;
        bind(env, 'mm', label, child);
      }
      return 0;
    case 'exit':
      bind(env, 'mm', op.mm, UNBOUND);
      mmput(ids[0]);
      return 0;
    case 'dontneed':
      zap_page_range(ids[0], op.page, op.nr);
      return 0;
    case 'move':
      mm_set_memcg(ids[0], ids[1]);
      return 0;
    case 'offline':
      return mem_cgroup_offline(ids[0]);
    case 'swapoff':
      return sys_swapoff(deviceOf(env, op.device).path);
    case 'swapon': {
      const d = deviceOf(env, op.device);
      return sys_swapon(d.path, { flags: d.flags });
    }
    case 'migrate':
      request_migration(current(), op.cpu);
      return 0;
    case 'failslab':
      set_failslab(op.atomic, op.sleep);
      return 0;
    case 'writeback':
      zswap_shrink_work(op.nr);
      return 0;
    case 'discard':
      swap_discard_work();
      return 0;
  }
}
