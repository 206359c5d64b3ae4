/*
 * Running a scenario's operations against the model: the same kernel
 * paths stress uses (handle_mm_fault, reclaim_pages, copy_mm, exit_mmap,
 * sys_swapoff/sys_swapon, the memcg calls), on processes and cgroups
 * named by labels.  The main thread runs `setup` with it; each CPU runs
 * its script with it in the "scenario-cpu" program.
 *
 * Context: process context of the current task; no locks held.
 */
import { copy_mm, exit_mmap, handle_mm_fault, mm_alloc, mm_set_memcg, zap_page_range } from '../mm/memory.js';
import { reclaim_pages } from '../mm/vmscan.js';
import { mem_cgroup_create, mem_cgroup_offline, ROOT_MEM_CGROUP } from '../mm/memcontrol.js';
import { sys_swapoff, sys_swapon } from '../mm/swapon.js';
import { set_failslab } from '../shm/slab.js';
import { current, request_migration } from '../sync/task.js';
import type { ScenarioOp } from './schema.js';

/** Labels to ids, and the device paths. */
export interface ScenarioEnv {
  mms: Record<string, number>;
  memcgs: Record<string, number>;
  devices: string[];
}

function mmOf(env: ScenarioEnv, label: string): number {
  const mm = env.mms[label];
  if (mm === undefined) throw new Error(`scenario: no process labelled "${label}" here (labels: ${Object.keys(env.mms).join(', ') || 'none'})`);
  return mm;
}

function memcgOf(env: ScenarioEnv, label: string): number {
  const m = env.memcgs[label];
  if (m === undefined) throw new Error(`scenario: no cgroup labelled "${label}" here`);
  return m;
}

function deviceOf(env: ScenarioEnv, i: number): string {
  const d = env.devices[i];
  if (d === undefined) throw new Error(`scenario: no device ${i}`);
  return d;
}

/** Run @op; returns 0 or the negative errno the kernel path returned. */
export function exec_op(op: ScenarioOp, env: ScenarioEnv): number {
  switch (op.op) {
    case 'mm': {
      const mm = mm_alloc(op.memcg === undefined ? ROOT_MEM_CGROUP : memcgOf(env, op.memcg));
      if (mm >= 0) env.mms[op.as] = mm;
      return mm < 0 ? mm : 0;
    }
    case 'memcg': {
      const m = mem_cgroup_create(op.parent === undefined ? ROOT_MEM_CGROUP : memcgOf(env, op.parent));
      if (m >= 0) env.memcgs[op.as] = m;
      return m < 0 ? m : 0;
    }
    case 'write':
    case 'touch': {
      const mm = mmOf(env, op.mm);
      for (let i = op.page; i < op.page + op.nr; i++) {
        const r = handle_mm_fault(mm, i, op.op === 'write', op.op === 'write' && op.zero, op.order);
        if (r < 0) return r;
      }
      return 0;
    }
    case 'reclaim':
      reclaim_pages(mmOf(env, op.mm), op.page, op.nr);
      return 0;
    case 'fork': {
      const parent = mmOf(env, op.mm);
      for (let k = 1; k <= op.times; k++) {
        const child = copy_mm(parent);
        if (child < 0) return child;
        env.mms[op.times === 1 ? op.as : `${op.as}_${k}`] = child;
      }
      return 0;
    }
    case 'exit': {
      const mm = mmOf(env, op.mm);
      exit_mmap(mm);
      delete env.mms[op.mm];
      return 0;
    }
    case 'dontneed':
      zap_page_range(mmOf(env, op.mm), op.page, op.nr);
      return 0;
    case 'move':
      mm_set_memcg(mmOf(env, op.mm), memcgOf(env, op.memcg));
      return 0;
    case 'offline':
      return mem_cgroup_offline(memcgOf(env, op.memcg));
    case 'swapoff':
      return sys_swapoff(deviceOf(env, op.device));
    case 'swapon':
      return sys_swapon(deviceOf(env, op.device));
    case 'migrate':
      request_migration(current(), op.cpu);
      return 0;
    case 'failslab':
      set_failslab(op.atomic, op.sleep);
      return 0;
  }
}
