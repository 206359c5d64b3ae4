/*
 * Boot and the programmatic API: build a system (design, devices, CPUs,
 * processes, memcgs) in a fresh arena and drive it.  Every operation runs
 * as the calling thread's current task (setCurrent), and returns the
 * kernel's errno values negated, like the syscalls it models.
 *
 * Arguments are checked here, at the boundary, as the syscall entry code
 * checks them (src/system_checks.ts): a bad one gets its errno and the
 * model is not entered, so nothing changes.  The model functions below
 * trust their callers and stay unchecked on the paths stress runs.
 * Several systems may live in one thread: each call binds its own arena
 * (and design, and task) first.
 *
 * Context: every method runs in process context as the thread's current
 * task, with no locks held, and may sleep, as the syscalls it models.
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
import { bio_init } from '../block/bio.js';
import { A, attach, createArena, type ArenaHandle } from '../shm/arena.js';
import { DEFAULT_ARENA_CONFIG, type ArenaConfig } from '../shm/layout.js';
import { page_pool_init } from '../kmem/page_pool.js';
import { kmem_cache_init, swap_cluster_cachep, swap_table_cachep, set_failslab } from '../kmem/slab.js';
import { clear_reports, read_reports, type Violation } from '../shm/report.js';
import { set_bugs } from '../shm/bugs.js';
import { prandom_seed_tasks, setCurrent, task_init } from '../shm/task.js';
import { rcu_barrier } from '../sync/rcu.js';
import '../designs/index.js';
import { swap_design_init } from '../mm/swap_design.js';
import { DESIGN_NAMES, type DesignName } from '../mm/swap_design.js';
import { page_alloc_init } from '../mm/page_alloc.js';
import { swap_readahead_init } from '../mm/swap_readahead.js';
import { mem_cgroup_create, mem_cgroup_init, mem_cgroup_offline, ROOT_MEM_CGROUP } from '../mm/memcontrol.js';
import { vfs_create, vfs_init, vfs_unlink } from '../fs/vfs.js';
import { mkswap, mkswap_build_header, type MkswapOpts } from '../mm/mkswap.js';
import {
  sys_swapoff, sys_swapon, SWAP_FLAG_DISCARD, SWAP_FLAG_PREFER, SWAP_FLAG_PRIO_MASK, SWAP_FLAGS_VALID, proc_swaps, vswap_init,
} from '../mm/swapon.js';
import { copy_mm, mmput, handle_mm_fault, mm_alloc, mm_set_memcg } from '../mm/memory.js';
import { reclaim_pages } from '../mm/vmscan.js';
import { check_invariants } from '../invariants/quiescent.js';
import { EINVAL, ENOMEM, EPERM, errname } from '../include/errno.js';
import {
  access_ok, find_mm, find_task, folio_order_ok, getname, int_in, is_int, mem_cgroup_busy, memcg_ok, opt_bool, opt_object, swap_flags_ok,
} from './system_checks.js';
import { zswap_set_enabled } from '../mm/zswap.js';

export interface SystemConfig extends Partial<ArenaConfig> {
  design?: DesignName;
  /** Seeds every task's random stream. */
  seed?: number;
  bugs?: string[];
  /** zswap in front of every device (src/mm/zswap.ts). */
  zswap?: boolean;
  /** Empty swap tables the swap_table cache keeps before their pages go back (its min_partial; default 4). */
  slabMinPartial?: number;
  /** The buffer of an earlier system no thread uses any more, to boot this one in (zeroed: src/shm/arena.ts createArena's @reuse). */
  reuse?: SharedArrayBuffer;
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
  /**
   * A block device whose bdev is BLK_FEAT_SYNCHRONOUS (zram, pmem): swapon
   * sets SWP_SYNCHRONOUS_IO, swap-in reads it synchronously and may bring
   * it in as a large folio.  Only with kind 'blk'.
   */
  synchronous?: boolean;
  badPages?: number[];
}

/**
 * The arena fields given to System.create() (undefined ones left to their
 * defaults), or the first that is not a positive integer or not a field, named.
 */
function arena_config(given: Record<string, unknown>): Partial<ArenaConfig> | string {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    if (!(k in DEFAULT_ARENA_CONFIG)) return `unknown field '${k}'`;
    if (!is_int(v) || v < 1) return `${k} must be a positive integer, got ${String(v)}`;
    out[k] = v;
  }
  return out;
}

export class System {
  /* The task this system's calls run as when it re-binds its arena (enter()). */
  private task: number;

  private constructor(readonly handle: ArenaHandle, task: number) {
    this.task = task;
  }

  /**
   * Allocate and boot a new system; this thread plays task 0 on CPU 0.
   * Throws on a bad configuration (the field is named): there is no
   * system yet to return an errno from.
   */
  static create(cfg: SystemConfig = {}): System {
    const { design = 'p4', seed = 1, bugs = [], zswap = false, slabMinPartial, reuse, ...given } = cfg;
    const arena = arena_config(given);
    if (typeof arena === 'string') throw new RangeError(`System.create: ${arena}`);
    if (!(DESIGN_NAMES as readonly string[]).includes(design)) throw new RangeError(`System.create: unknown design '${String(design)}' (${DESIGN_NAMES.join(', ')})`);
    if (!is_int(seed)) throw new RangeError(`System.create: seed must be an integer, got ${String(seed)}`);
    if (slabMinPartial !== undefined && !(is_int(slabMinPartial) && slabMinPartial >= 0)) {
      throw new RangeError(`System.create: slabMinPartial must be an integer >= 0, got ${String(slabMinPartial)}`);
    }
    if (reuse !== undefined && !(reuse instanceof SharedArrayBuffer)) throw new RangeError(`System.create: reuse must be a SharedArrayBuffer, got ${Object.prototype.toString.call(reuse)}`);
    const handle = createArena(arena, reuse);
    attach(handle);
    swap_design_init(design);
    const c = handle.config;
    for (let t = 0; t < c.nrTasks; t++) task_init(t, t % c.nrCpus);
    prandom_seed_tasks(seed);
    setCurrent(0);
    page_pool_init();
    kmem_cache_init(swap_table_cachep, slabMinPartial);
    kmem_cache_init(swap_cluster_cachep);
    page_alloc_init();
    bio_init();
    swap_readahead_init();
    mem_cgroup_init();
    vfs_init();
    set_bugs(bugs);
    zswap_set_enabled(zswap);
    /* Virtual swap (seed 004): the virtual swap space exists from boot, devices only back it. */
    if (design === 'vswap') vswap_init();
    return new System(handle, 0);
  }

  /** Attach an existing system from another thread, playing @task.  Throws on a task the arena does not have. */
  static attach(handle: ArenaHandle, task: number): System {
    if (!int_in(task, 0, handle.config.nrTasks - 1)) {
      throw new RangeError(`System.attach: no task ${String(task)} (the arena has tasks 0..${handle.config.nrTasks - 1})`);
    }
    attach(handle);
    setCurrent(task);
    return new System(handle, task);
  }

  /*
   * Bind this thread to this system's arena again if another System was
   * created or attached in this thread since: the model's views (A, the
   * design) are per thread, and a call must never land in another
   * system's arena.
   */
  private enter(): void {
    if (A.sab === this.handle.sab) return;
    attach(this.handle);
    setCurrent(this.task);
  }

  /**
   * Run @fn as task @t (several CPUs played from one thread); the thread
   * keeps playing @t afterwards.  -ESRCH for a task the arena does not
   * have, -EINVAL for a @t that is not an integer or an @fn that is not a
   * function (@fn is not run).
   */
  as<T>(t: number, fn: () => T): T | number {
    this.enter();
    const err = find_task(t);
    if (err) return err;
    if (typeof fn !== 'function') return -EINVAL;
    setCurrent(t);
    this.task = t;
    return fn();
  }

  /**
   * mknod/truncate @path and mkswap it.  0, or -EINVAL (bad options: kind,
   * sizePages not an integer 1..2^31-1 (a ghost's: 1..2^32, its header's
   * __u32 last_page + 1), badPages not u32s or too many, rotational or
   * synchronous not a boolean, synchronous on anything but a 'blk'),
   * -EFAULT/-ENOENT/-ENAMETOOLONG (the path, as getname()), -EEXIST,
   * -ENOSPC (file table full).  Nothing is created on an error.
   */
  createSwapDevice(path: string, o: SwapDeviceOptions): number {
    this.enter();
    const name = getname(path);
    if (name) return name;
    if (!opt_object(o) || o === undefined) return -EINVAL;
    const kind = o.kind ?? 'blk';
    if (kind !== 'blk' && kind !== 'reg' && kind !== 'chr' && kind !== 'ghost') return -EINVAL;
    if (!opt_bool(o.rotational) || !opt_bool(o.synchronous)) return -EINVAL;
    if (o.synchronous && kind !== 'blk') return -EINVAL;
    if (kind === 'chr') {
      const id = vfs_create(path, { kind: 'chr', sizePages: 1 });
      return id < 0 ? id : 0;
    }
    if (!is_int(o.sizePages) || o.sizePages < 1) return -EINVAL; /* the upper bounds: mkswap's __u32 last_page, vfs_create() */
    const fileKind = kind === 'ghost' ? 'reg' : kind;
    const filePages = kind === 'ghost' ? 1 : o.sizePages;
    const header: MkswapOpts = kind === 'ghost' ? { lastPage: o.sizePages - 1 } : { badPages: o.badPages ?? [] };
    /* mkswap's option checks before the file exists: an error leaves no file behind. */
    if (mkswap_build_header(filePages, path, header) === null) return -EINVAL;
    const id = vfs_create(path, { kind: fileKind, rotational: o.rotational ?? false, synchronous: o.synchronous ?? false, sizePages: filePages });
    if (id < 0) return id;
    const err = mkswap(id, header);
    if (err) vfs_unlink(path);
    return err;
  }

  /**
   * swapon(2) with swap_flags @o.flags, @o.prio setting SWAP_FLAG_PREFER
   * and the priority bits (in place of any in @o.flags), @o.discard
   * SWAP_FLAG_DISCARD.  0 or -errno: -EINVAL (flags not an int or with
   * unknown bits, prio not 0..32767, a non-boolean option, not a swap area),
   * -EPERM, -EFAULT/-ENOENT/-ENAMETOOLONG (the path), -EBUSY (already on).
   */
  swapon(path: string, o: { prio?: number; discard?: boolean; capable?: boolean; flags?: number } = {}): number {
    this.enter();
    if (!opt_object(o) || !swap_flags_ok(o.flags) || !opt_bool(o.discard) || !opt_bool(o.capable)) return -EINVAL;
    if (o.prio !== undefined && !int_in(o.prio, 0, SWAP_FLAG_PRIO_MASK)) return -EINVAL;
    let flags = o.flags ?? 0;
    if (o.prio !== undefined) flags = (flags & ~SWAP_FLAG_PRIO_MASK) | SWAP_FLAG_PREFER | o.prio;
    if (o.discard) flags |= SWAP_FLAG_DISCARD;
    /* sys_swapon's order: the flags, capable(CAP_SYS_ADMIN), then getname(). */
    if (flags & ~SWAP_FLAGS_VALID) return -EINVAL;
    if (o.capable === false) return -EPERM;
    const name = getname(path);
    if (name) return name;
    return sys_swapon(path, { flags, capable: o.capable });
  }

  /** swapoff(2): 0 or -errno (-EPERM, the path's errnos, -EINVAL not an active area, -ENOMEM, -EINTR). */
  swapoff(path: string, o: { capable?: boolean } = {}): number {
    this.enter();
    if (!opt_object(o) || !opt_bool(o.capable)) return -EINVAL;
    if (o.capable === false) return -EPERM;
    const name = getname(path);
    if (name) return name;
    return sys_swapoff(path, o);
  }

  /** The text of /proc/swaps (swap_show()): a header line, then one line per device. */
  procSwaps(): string {
    this.enter();
    return proc_swaps();
  }

  /** mkdir of a child of memcg @parent: its id, -EINVAL (@parent not online), -ENOSPC (no free id). */
  memcgCreate(parent = ROOT_MEM_CGROUP): number {
    this.enter();
    const err = memcg_ok(parent);
    if (err) return err;
    return mem_cgroup_create(parent);
  }

  /**
   * rmdir of memcg @id: 0, -EINVAL (not an online memcg, or the root),
   * -EBUSY (a live process is in it, or a child memcg is online).
   */
  memcgOffline(id: number): number {
    this.enter();
    const err = memcg_ok(id);
    if (err) return err;
    if (id === ROOT_MEM_CGROUP) return -EINVAL;
    const busy = mem_cgroup_busy(id);
    if (busy) return busy;
    return mem_cgroup_offline(id);
  }

  /** A new process in memcg @memcg: its id, -EINVAL (@memcg not online), -ENOMEM (no free process). */
  mmCreate(memcg = ROOT_MEM_CGROUP): number {
    this.enter();
    const err = memcg_ok(memcg);
    if (err) return err;
    return mm_alloc(memcg);
  }

  /** Move process @mm to memcg @memcg (cgroup.procs): 0, -EINVAL (bad id, @memcg not online), -ESRCH. */
  mmMove(mm: number, memcg: number): number {
    this.enter();
    const err = find_mm(mm) || memcg_ok(memcg);
    if (err) return err;
    mm_set_memcg(mm, memcg);
    return 0;
  }

  /** fork(): the child's id, -EINVAL (@mm not an integer), -ESRCH (no such process), -ENOMEM. */
  fork(mm: number): number {
    this.enter();
    const err = find_mm(mm);
    if (err) return err;
    return copy_mm(mm);
  }

  /** exit(): 0, -EINVAL (@mm not an integer), -ESRCH (no such process: never created, or exited). */
  exit(mm: number): number {
    this.enter();
    const err = find_mm(mm);
    if (err) return err;
    mmput(mm);
    return 0;
  }

  /*
   * The checks of a fault at page @index of @mm allocating folios up to
   * @maxOrder: malformed arguments first (-EINVAL), then the process
   * (-ESRCH), then the address (-EFAULT).
   */
  private fault_ok(mm: number, index: number, maxOrder: unknown): number {
    if (folio_order_ok(maxOrder) || !is_int(index) || index < 0) return -EINVAL;
    return find_mm(mm) || access_ok(index, 1);
  }

  /**
   * Read page @index (faulting it in); the content is checked against the
   * last write.  0, -ENOMEM, or -EINVAL/-ESRCH/-EFAULT (fault_ok()).
   */
  touch(mm: number, index: number, maxOrder?: number): number {
    this.enter();
    const err = this.fault_ok(mm, index, maxOrder);
    if (err) return err;
    return handle_mm_fault(mm, index, false, false, maxOrder);
  }

  /** Write a new content token (or a zero page) to page @index.  0, -ENOMEM, or as touch(). */
  write(mm: number, index: number, o: { zero?: boolean; maxOrder?: number } = {}): number {
    this.enter();
    if (!opt_object(o) || !opt_bool(o.zero)) return -EINVAL;
    const err = this.fault_ok(mm, index, o.maxOrder);
    if (err) return err;
    return handle_mm_fault(mm, index, true, o.zero ?? false, o.maxOrder);
  }

  /**
   * MADV_PAGEOUT-like reclaim of pages [@index, @index + @nr); returns the
   * pages freed, or madvise(2)'s errnos: -EINVAL (negative or non-integer
   * index or nr), -ENOMEM (the range runs past the mapping), and -ESRCH
   * (no such process, as process_madvise(2)).  @nr 0 is a no-op.
   */
  reclaim(mm: number, index: number, nr: number): number {
    this.enter();
    const range = access_ok(index, nr);
    if (range === -EINVAL) return range;
    const err = find_mm(mm);
    if (err) return err;
    if (nr === 0) return 0;
    if (range) return -ENOMEM;
    return reclaim_pages(mm, index, nr);
  }

  /** Fail this percentage (integers 0..100) of atomic and of sleeping slab allocations: 0 or -EINVAL. */
  setFailslab(atomicPct: number, sleepPct: number): number {
    this.enter();
    if (!int_in(atomicPct, 0, 100) || !int_in(sleepPct, 0, 100)) return -EINVAL;
    set_failslab(atomicPct, sleepPct);
    return 0;
  }

  /**
   * Quiescent invariant check (call with every CPU parked).  @held: the
   * folios the caller holds a reference on (one per occurrence, as a task
   * in the middle of reclaim or a fault would): any other reference than
   * the PTEs' and the swap cache's is a leak.
   */
  check(held: readonly number[] = []): Violation[] {
    this.enter();
    rcu_barrier();
    return check_invariants(held);
  }

  reports(): Violation[] {
    this.enter();
    return read_reports();
  }

  clearReports(): void {
    this.enter();
    clear_reports();
  }
}

export { errname };
