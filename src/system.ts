/*
 * Boot and the programmatic API: build a system (design, devices, CPUs,
 * processes, memcgs) in a fresh arena and drive it.  Every operation runs
 * as the calling thread's current task (setCurrent), and returns the
 * kernel's errno values negated, like the syscalls it models.
 *
 *   const sys = System.create({ design: 'p4', nrCpus: 2 });
 *   sys.createSwapDevice('/dev/vdb', { sizePages: 4096 });
 *   sys.swapon('/dev/vdb');           // 0
 *   const mm = sys.mmCreate();
 *   sys.write(mm, 3); sys.reclaim(mm, 0, 16); sys.touch(mm, 3);
 *   sys.check();                      // quiescent invariant violations
 *
 * A worker attaches the same arena with System.attach(handle, task).
 */
import { attach, createArena, type ArenaHandle } from './shm/arena.js';
import { type ArenaConfig } from './shm/layout.js';
import { page_pool_init } from './shm/page_pool.js';
import { kmem_cache_init, swap_cluster_cachep, swap_table_cachep, set_failslab } from './shm/slab.js';
import { clear_reports, read_reports, type Violation } from './shm/report.js';
import { set_bugs } from './shm/bugs.js';
import { prandom_seed_task, setCurrent, task_init } from './sync/task.js';
import { rcu_barrier } from './sync/rcu.js';
import { bind_design, set_design } from './designs/active.js';
import type { DesignName } from './designs/design.js';
import { page_alloc_init } from './mm/page_alloc.js';
import { mem_cgroup_create, mem_cgroup_init, mem_cgroup_offline, ROOT_MEM_CGROUP } from './mm/memcontrol.js';
import { vfs_create, vfs_init } from './fs/vfs.js';
import { mkswap } from './mm/mkswap.js';
import { sys_swapoff, sys_swapon, SWAP_FLAG_DISCARD, SWAP_FLAG_PREFER, proc_swaps, vswap_init } from './mm/swapon.js';
import { copy_mm, exit_mmap, handle_mm_fault, mm_alloc, mm_set_memcg } from './mm/memory.js';
import { reclaim_pages } from './mm/vmscan.js';
import { check_invariants } from './harness/invariants.js';
import { errname } from './errno.js';
import { zswap_set_enabled } from './mm/zswap.js';

export interface SystemConfig extends Partial<ArenaConfig> {
  design?: DesignName;
  /** Seeds every task's random stream. */
  seed?: number;
  bugs?: string[];
  /** zswap in front of every device (src/mm/zswap.ts). */
  zswap?: boolean;
  /** Empty swap tables the swap_table cache keeps before their pages go back (its min_partial; default 4). */
  slabMinPartial?: number;
}

export interface SwapDeviceOptions {
  sizePages: number;
  /**
   * 'chr' is /dev/ghostswap (seed 001 patch 14: eight times the RAM, no
   * header, sizePages ignored); 'ghost' a ghost swapfile (patch 13): a
   * one-page file whose header says @sizePages slots.  Both need the ghost
   * design.
   */
  kind?: 'blk' | 'reg' | 'chr' | 'ghost';
  rotational?: boolean;
  badPages?: number[];
}

export class System {
  private constructor(readonly handle: ArenaHandle) {}

  /** Allocate and boot a new system; this thread plays task 0 on CPU 0. */
  static create(cfg: SystemConfig = {}): System {
    const { design = 'p4', seed = 1, bugs = [], zswap = false, slabMinPartial, ...arena } = cfg;
    const handle = createArena(arena);
    attach(handle);
    set_design(design);
    const c = handle.config;
    for (let t = 0; t < c.nrTasks; t++) {
      task_init(t, t % c.nrCpus);
      prandom_seed_task(t, (seed * 2654435761 + t * 40503) | 0);
    }
    setCurrent(0);
    page_pool_init();
    kmem_cache_init(swap_table_cachep, slabMinPartial);
    kmem_cache_init(swap_cluster_cachep);
    page_alloc_init();
    mem_cgroup_init();
    vfs_init();
    set_bugs(bugs);
    zswap_set_enabled(zswap);
    /* Virtual swap (seed 004): the virtual swap space exists from boot, devices only back it. */
    if (design === 'vswap') vswap_init();
    return new System(handle);
  }

  /** Attach an existing system from another thread, playing @task. */
  static attach(handle: ArenaHandle, task: number): System {
    attach(handle);
    bind_design();
    setCurrent(task);
    return new System(handle);
  }

  /** Run @fn as task @t (several CPUs played from one thread). */
  as<T>(t: number, fn: () => T): T {
    setCurrent(t);
    return fn();
  }

  createSwapDevice(path: string, o: SwapDeviceOptions): number {
    const kind = o.kind ?? 'blk';
    if (kind === 'chr') {
      const id = vfs_create(path, { kind: 'chr', sizePages: 1 });
      return id < 0 ? id : 0;
    }
    if (kind === 'ghost') {
      const id = vfs_create(path, { kind: 'reg', sizePages: 1 });
      return id < 0 ? id : mkswap(id, { lastPage: o.sizePages - 1 });
    }
    const id = vfs_create(path, { kind, rotational: o.rotational ?? false, sizePages: o.sizePages });
    if (id < 0) return id;
    return mkswap(id, { badPages: o.badPages ?? [] });
  }

  swapon(path: string, o: { prio?: number; discard?: boolean; capable?: boolean; flags?: number } = {}): number {
    let flags = o.flags ?? 0;
    if (o.prio !== undefined) flags |= SWAP_FLAG_PREFER | (o.prio & 0x7fff);
    if (o.discard) flags |= SWAP_FLAG_DISCARD;
    return sys_swapon(path, { flags, capable: o.capable });
  }

  swapoff(path: string, o: { capable?: boolean } = {}): number {
    return sys_swapoff(path, o);
  }

  procSwaps() {
    return proc_swaps();
  }

  memcgCreate(parent = ROOT_MEM_CGROUP): number {
    return mem_cgroup_create(parent);
  }

  memcgOffline(id: number): number {
    return mem_cgroup_offline(id);
  }

  mmCreate(memcg = ROOT_MEM_CGROUP): number {
    return mm_alloc(memcg);
  }

  mmMove(mm: number, memcg: number): void {
    mm_set_memcg(mm, memcg);
  }

  fork(mm: number): number {
    return copy_mm(mm);
  }

  exit(mm: number): void {
    exit_mmap(mm);
  }

  /** Read page @index (faulting it in); the content is checked against the last write. */
  touch(mm: number, index: number, maxOrder?: number): number {
    return handle_mm_fault(mm, index, false, false, maxOrder);
  }

  /** Write a new content token (or a zero page) to page @index. */
  write(mm: number, index: number, o: { zero?: boolean; maxOrder?: number } = {}): number {
    return handle_mm_fault(mm, index, true, o.zero ?? false, o.maxOrder);
  }

  /** MADV_PAGEOUT-like reclaim; returns pages freed. */
  reclaim(mm: number, index: number, nr: number): number {
    return reclaim_pages(mm, index, nr);
  }

  setFailslab(atomicPct: number, sleepPct: number): void {
    set_failslab(atomicPct, sleepPct);
  }

  /** Quiescent invariant check (call with every CPU parked). */
  check(): Violation[] {
    rcu_barrier();
    return check_invariants();
  }

  reports(): Violation[] {
    return read_reports();
  }

  clearReports(): void {
    clear_reports();
  }
}

export { errname };
