/*
 * The stress workload: the operations a simulated CPU performs, each one
 * a short sequence of the model's kernel paths, picked by weight from the
 * task's own random stream (prandom_u32), so a seed fixes every choice.
 *
 * Ownership (what keeps the workload itself race-free, so that every race
 * found is the model's): a process (mm) is operated on and exited only by
 * its owner task (MM.owner = task + 1).  fork() hands the child to a
 * random task - the parent's and the child's swap entries are then shared
 * across CPUs, so their swap-ins race in the swap cache - after moving it
 * into that task's own cgroup.  Each task's cgroups form its own subtree
 * under TASK.memcg (which never dies): moves and deaths stay inside it,
 * as a cgroup cannot be removed while tasks are in it.  swapoff/swapon
 * (the onoff task) and the shuffler cut across everything.
 *
 * Kernel mapping: touch/write -> handle_mm_fault; reclaim/pageout ->
 * reclaim_pages (MADV_PAGEOUT); fork -> copy_mm; exit -> exit_mmap;
 * memcg-move -> cgroup migration (mm->memcg changes, old charges stay);
 * memcg-death -> rmdir (css_offline: charges stay with the zombie until
 * reparented); zswap-toggle -> a write to
 * /sys/module/zswap/parameters/enabled (zswap goes off or on while pages
 * are stored in it: they are still loaded and written back, and new ones
 * go to the device meanwhile).
 */
import { ENOMEM } from '../include/errno.js';
import { A } from '../shm/arena.js';
import { ANON_FAULT_MAX_ORDER, MAX_FOLIO_ORDER, MEMCG, MM, STATS_OPS, STATS_OPS_MAX, STATS_WORDS_PER_TASK, TASK } from '../shm/layout.js';
import { current, curTaskWord, prandom_u32, taskWord } from '../shm/task.js';
import { copy_mm, mmput, handle_mm_fault, mm_set_memcg } from '../mm/memory.js';
import { mm_live, mm_memcg, mm_pages, mmw } from '../mm/pgtable.js';
import { reclaim_pages, try_to_free_pages } from '../mm/vmscan.js';
import { mem_cgroup_create, mem_cgroup_offline, mem_cgroup_online, mw, nr_memcg_ids } from '../mm/memcontrol.js';
import { zswap_enabled, zswap_set_enabled } from '../mm/zswap.js';

/** The operations, in counter order (op id = index + 1 in TASK.op and reports). */
export const WORKLOAD_OPS = [
  'touch', 'write', 'zero', 'reclaim', 'pageout', 'thp', 'fork', 'exit', 'memcg-move', 'memcg-death', 'zswap-toggle',
] as const;
export type WorkloadOp = (typeof WORKLOAD_OPS)[number];

/** Counters kept beside the operations (same stats area, after them). */
export const EXTRA_COUNTERS = ['enomem', 'swapoff', 'swapon', 'swapoff-failed', 'swapon-failed', 'discard-work'] as const;
export type ExtraCounter = (typeof EXTRA_COUNTERS)[number];
export const ALL_COUNTERS = [...WORKLOAD_OPS, ...EXTRA_COUNTERS] as const;
/** Operation ids of the onoff task (TASK.op while it works). */
export const OP_SWAPOFF = ALL_COUNTERS.indexOf('swapoff') + 1;
export const OP_SWAPON = ALL_COUNTERS.indexOf('swapon') + 1;
export const OP_DISCARD_WORK = ALL_COUNTERS.indexOf('discard-work') + 1;

if (ALL_COUNTERS.length > STATS_OPS_MAX) throw new Error('workload: too many counters for the stats area');

/** The documented default mix (README): weights, not percentages. */
export const DEFAULT_MIX: Record<WorkloadOp, number> = {
  touch: 280,
  write: 250,
  zero: 20,
  reclaim: 30,
  pageout: 250,
  thp: 150,
  fork: 4,
  exit: 12,
  'memcg-move': 5,
  'memcg-death': 2,
  'zswap-toggle': 1,
};

/** Pages direct reclaim tries to free after an operation met -ENOMEM. */
export const DIRECT_RECLAIM_PAGES = 64;

/** Pages one pageout (MADV_PAGEOUT) covers. */
export const PAGEOUT_PAGES = 32;
/** Children one fork operation makes at most. */
const FORK_BURST = 6;
/** Child cgroups a task keeps at most under its own. */
const MAX_CHILD_MEMCGS = 3;

/** Name of counter/operation id @op (1-based, 0 = idle). */
export function opName(op: number): string {
  return op === 0 ? 'idle' : (ALL_COUNTERS[op - 1] ?? `op#${op}`);
}

function counterWord(t: number, i: number): number {
  return A.L.stats + t * STATS_WORDS_PER_TASK + STATS_OPS + i;
}

/** Bump the current task's counter @name.  Context: any. */
export function count_op(name: (typeof ALL_COUNTERS)[number]): void {
  A.i32[counterWord(current(), ALL_COUNTERS.indexOf(name))]++;
}

/** Counter @i of task @t. */
export function read_counter(t: number, i: number): number {
  return A.i32[counterWord(t, i)];
}

/* ---- ownership ---- */

export function mm_owner(mm: number): number {
  return A.i32[mmw(mm, MM.owner)] - 1;
}

export function mm_set_owner(mm: number, t: number): void {
  A.i32[mmw(mm, MM.owner)] = t + 1;
}

/** Operations a task stays with one process, on average, before switching (a time slice). */
const MM_SWITCH_EVERY = 64;

/*
 * The process the current task runs now, or -1: like a CPU running one
 * process for a time slice, the task stays with it (so a pageout finds
 * the pages its writes just dirtied) and switches to a random one of its
 * own now and then.
 */
function pick_my_mm(): number {
  const me = current();
  const w = taskWord(me, TASK.cur_mm);
  const cur = A.i32[w] - 1;
  if (cur >= 0 && prandom_u32() % MM_SWITCH_EVERY !== 0 && mm_live(cur) && mm_owner(cur) === me) return cur;
  const n = A.L.config.nrMms;
  const start = prandom_u32() % n;
  for (let k = 0; k < n; k++) {
    const mm = (start + k) % n;
    if (mm_live(mm) && mm_owner(mm) === me) {
      A.i32[w] = mm + 1;
      return mm;
    }
  }
  return -1;
}

function nr_mms_of(t: number): number {
  let c = 0;
  for (let mm = 0; mm < A.L.config.nrMms; mm++) if (mm_live(mm) && mm_owner(mm) === t) c++;
  return c;
}

function nr_my_mms(): number {
  return nr_mms_of(current());
}

/** Workload tasks: 1..nrWorkers (task 0 is the harness, the last the onoff task). */
export interface WorkloadShape {
  firstTask: number;
  nrWorkers: number;
  maxMmsPerTask: number;
  /*
   * zswap-toggle may turn zswap off and on: the run has zswap, and not on
   * the ghost design (a ghost has nothing but zswap to keep pages in).
   */
  zswapToggle: boolean;
}

/* ---- cgroups of the current task ---- */

function my_memcg(): number {
  return A.i32[curTaskWord(TASK.memcg)];
}

/** Online children of the current task's cgroup. */
function my_child_memcgs(): number[] {
  const base = my_memcg();
  const out: number[] = [];
  for (let m = 2; m < nr_memcg_ids(); m++) {
    if (mem_cgroup_online(m) && A.i32[mw(m, MEMCG.parent)] === base) out.push(m);
  }
  return out;
}

/* ---- the operations ---- */

type OpFn = (shape: WorkloadShape) => number;

function random_index(): number {
  return prandom_u32() % mm_pages();
}

function op_fault(write: boolean, zero: boolean): number {
  const mm = pick_my_mm();
  if (mm < 0) return 0;
  return handle_mm_fault(mm, random_index(), write, zero, ANON_FAULT_MAX_ORDER);
}

function op_pageout(nr: number): number {
  const mm = pick_my_mm();
  if (mm < 0) return 0;
  const i = random_index();
  reclaim_pages(mm, i - (i % nr), Math.min(nr, mm_pages() - (i - (i % nr))));
  return 0;
}

/*
 * A large folio written, swapped out and faulted back: mostly an mTHP up
 * to the default fault order (1..ANON_FAULT_MAX_ORDER), one in eight a
 * larger one, up to a PMD-size THP as far as a process holds one (512
 * pages) - a folio of 128 pages costs eight of 16, and would crowd out
 * the rest of the mix.
 */
function op_thp(): number {
  const mm = pick_my_mm();
  if (mm < 0) return 0;
  const largest = Math.min(MAX_FOLIO_ORDER, 31 - Math.clz32(mm_pages()));
  const order = largest > ANON_FAULT_MAX_ORDER && prandom_u32() % 8 === 0
    ? ANON_FAULT_MAX_ORDER + 1 + (prandom_u32() % (largest - ANON_FAULT_MAX_ORDER))
    : 1 + (prandom_u32() % Math.min(ANON_FAULT_MAX_ORDER, largest));
  const nr = 1 << order;
  const i = random_index();
  const base = i - (i % nr);
  if (base + nr > mm_pages()) return 0;
  for (let k = 0; k < nr; k++) if (handle_mm_fault(mm, base + k, true, false, order) === -ENOMEM) return -ENOMEM;
  reclaim_pages(mm, base, nr);
  for (let k = 0; k < nr; k++) if (handle_mm_fault(mm, base + k, false, false, order) === -ENOMEM) return -ENOMEM;
  return 0;
}

/*
 * fork: like a zygote, a parent often pages itself out (MADV_PAGEOUT)
 * and then forks a burst of children, so every child shares its swap
 * entries: enough bursts in one family push a slot's count past
 * SWP_TB_COUNT_MAX into the extend table.  Each child goes to a random
 * workload task (a task's quota permitting).
 */
function op_fork(shape: WorkloadShape): number {
  const parent = pick_my_mm();
  if (parent < 0) return 0;
  if (prandom_u32() % 2 === 0) reclaim_pages(parent, 0, mm_pages());
  const burst = 1 + (prandom_u32() % FORK_BURST);
  for (let k = 0; k < burst; k++) {
    const to = shape.firstTask + (prandom_u32() % shape.nrWorkers);
    if (nr_mms_of(to) >= shape.maxMmsPerTask) continue;
    const child = copy_mm(parent);
    if (child < 0) return child;
    /* Hand the child over inside the new owner's own cgroup. */
    mm_set_memcg(child, A.i32[taskWord(to, TASK.memcg)]);
    mm_set_owner(child, to);
  }
  return 0;
}

function op_exit(): number {
  if (nr_my_mms() <= 1) return 0;
  const mm = pick_my_mm();
  if (mm < 0) return 0;
  mm_set_owner(mm, -1);
  mmput(mm);
  return 0;
}

function op_memcg_move(): number {
  const mm = pick_my_mm();
  if (mm < 0) return 0;
  const kids = my_child_memcgs();
  let to = my_memcg();
  const r = prandom_u32() % (kids.length + 2);
  if (r < kids.length) to = kids[r];
  else if (r === kids.length && kids.length < MAX_CHILD_MEMCGS) {
    const m = mem_cgroup_create(my_memcg());
    if (m > 0) to = m;
  }
  if (to !== mm_memcg(mm)) mm_set_memcg(mm, to);
  return 0;
}

function op_memcg_death(): number {
  const kids = my_child_memcgs();
  if (kids.length === 0) return 0;
  const victim = kids[prandom_u32() % kids.length];
  /* cgroup.procs must be empty before rmdir: move our processes out first. */
  const me = current();
  for (let mm = 0; mm < A.L.config.nrMms; mm++) {
    if (mm_live(mm) && mm_owner(mm) === me && mm_memcg(mm) === victim) mm_set_memcg(mm, my_memcg());
  }
  return mem_cgroup_offline(victim);
}

/*
 * echo N > /sys/module/zswap/parameters/enabled, or Y: from now on
 * swap_writeout() stores in zswap or writes to the device; what zswap
 * holds stays there, to be loaded or written back.  A plain store, as the
 * module parameter is: two CPUs toggling at once leave either value.
 */
function op_zswap_toggle(shape: WorkloadShape): number {
  if (shape.zswapToggle) zswap_set_enabled(!zswap_enabled());
  return 0;
}

/** The operations' bodies, in WORKLOAD_OPS order. */
export const WORKLOAD_FNS: readonly OpFn[] = [
  () => op_fault(false, false),
  () => op_fault(true, false),
  () => op_fault(true, true),
  () => op_pageout(1),
  () => op_pageout(PAGEOUT_PAGES),
  op_thp,
  op_fork,
  op_exit,
  op_memcg_move,
  op_memcg_death,
  op_zswap_toggle,
];

/**
 * An operation met -ENOMEM (no free frame): reclaim, as the page
 * allocator's slow path would before the fault is retried.
 */
export function direct_reclaim(): number {
  return try_to_free_pages(DIRECT_RECLAIM_PAGES);
}

/** Cumulative weight table for @weights (WORKLOAD_OPS order). */
export function cumulative(weights: readonly number[]): Int32Array {
  const cum = new Int32Array(weights.length);
  let s = 0;
  weights.forEach((w, i) => (cum[i] = s += w));
  return cum;
}

/** Pick an operation index by weight from the task's random stream. */
export function pick_op(cum: Int32Array): number {
  const r = prandom_u32() % cum[cum.length - 1];
  let i = 0;
  while (cum[i] <= r) i++;
  return i;
}

