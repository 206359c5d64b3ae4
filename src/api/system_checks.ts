/*
 * The programmatic API's argument checks: what the kernel's syscall entry
 * does before any mm code runs (getname(), find_task_by_vpid(),
 * access_ok(), the flag and range checks), so that a bad argument gets
 * its errno and the model is never entered with it.  The model functions
 * themselves trust their callers, as kernel-internal functions do:
 * ptep_get() has no bounds check (but under SWAPTORTURE_KASAN=1, the
 * test suite's, src/shm/kasan.ts), a page index past the mapping is
 * another process's page table.
 *
 * Every check returns 0 or a negated errno; none changes anything.
 * Context: any; reads the arena only.
 */
import { A } from '../shm/arena.js';
import { MAX_FOLIO_ORDER } from '../shm/layout.js';
import { EBUSY, EFAULT, EINVAL, ENAMETOOLONG, ENOENT, ESRCH } from '../include/errno.js';
import { mm_live, mm_memcg, mm_pages } from '../mm/pgtable.js';
import { mem_cgroup_online, nr_memcg_ids, parent_mem_cgroup } from '../mm/memcontrol.js';
import { nr_tasks } from '../shm/task.js';

/** include/uapi/linux/limits.h: bytes in a path, its terminating NUL included. */
export const PATH_MAX = 4096;

/** An integer a C int or long could hold exactly (no NaN, fraction, Infinity, or non-number). */
export function is_int(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** An integer in [@min, @max]. */
export function int_in(v: unknown, min: number, max: number): v is number {
  return is_int(v) && v >= min && v <= max;
}

/** An optional boolean option: undefined, true or false. */
export function opt_bool(v: unknown): boolean {
  return v === undefined || typeof v === 'boolean';
}

/** An options argument: undefined or an object (not null, not an array). */
export function opt_object(o: unknown): boolean {
  return o === undefined || (typeof o === 'object' && o !== null && !Array.isArray(o));
}

/**
 * getname(): a path argument.  -EFAULT if it is not a string (the bad
 * user pointer strncpy_from_user() faults on), -ENOENT if empty,
 * -ENAMETOOLONG if it needs PATH_MAX bytes or more with its NUL.
 */
export function getname(path: unknown): number {
  if (typeof path !== 'string') return -EFAULT;
  if (path.length === 0) return -ENOENT;
  if (new TextEncoder().encode(path).length >= PATH_MAX) return -ENAMETOOLONG;
  return 0;
}

/**
 * find_task_by_vpid() + get_task_mm() for process @mm: -EINVAL if @mm is
 * not an integer, -ESRCH if no live process has that id.
 */
export function find_mm(mm: unknown): number {
  if (!is_int(mm)) return -EINVAL;
  if (mm < 0 || mm >= A.L.config.nrMms || !mm_live(mm)) return -ESRCH;
  return 0;
}

/**
 * access_ok() of pages [@index, @index + @nr) of a process's one VMA:
 * -EINVAL for a negative or non-integer index or count, -EFAULT when the
 * range runs past the mapping's mm_pages() pages.
 */
export function access_ok(index: unknown, nr: unknown): number {
  if (!is_int(index) || !is_int(nr) || index < 0 || nr < 0) return -EINVAL;
  if (index + nr > mm_pages()) return -EFAULT;
  return 0;
}

/** The largest folio order a fault may allocate: undefined (the default) or 0..MAX_FOLIO_ORDER. */
export function folio_order_ok(order: unknown): number {
  return order === undefined || int_in(order, 0, MAX_FOLIO_ORDER) ? 0 : -EINVAL;
}

/**
 * A memcg id an operation may name: an online memcg (the root or a
 * created, not offlined one), else -EINVAL, as mem_cgroup_create() and
 * mem_cgroup_offline() already answer.
 */
export function memcg_ok(id: unknown): number {
  return is_int(id) && mem_cgroup_online(id) ? 0 : -EINVAL;
}

/**
 * cgroup_destroy_locked()'s refusals: -EBUSY while a live process is in
 * memcg @id (cgroup_is_populated()) or one of its children is online
 * (css_has_online_children()).  Context: caller checked @id with memcg_ok().
 */
export function mem_cgroup_busy(id: number): number {
  for (let mm = 0; mm < A.L.config.nrMms; mm++) if (mm_live(mm) && mm_memcg(mm) === id) return -EBUSY;
  for (let m = 2; m < nr_memcg_ids(); m++) if (mem_cgroup_online(m) && parent_mem_cgroup(m) === id) return -EBUSY;
  return 0;
}

/** A task this arena has: -EINVAL if @t is not an integer, -ESRCH outside 0..nrTasks-1. */
export function find_task(t: unknown): number {
  if (!is_int(t)) return -EINVAL;
  return t >= 0 && t < nr_tasks() ? 0 : -ESRCH;
}

/**
 * swapon(2)'s int swap_flags: an integer a C int holds (or its unsigned
 * reading); which bits are valid is sys_swapon()'s own check.
 */
export function swap_flags_ok(flags: unknown): boolean {
  return flags === undefined || (is_int(flags) && (flags === (flags | 0) || flags === flags >>> 0));
}
