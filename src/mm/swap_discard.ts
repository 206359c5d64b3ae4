/*
 * mm/swapfile.c, discard: the clusters free_cluster() queued on a device's
 * discard list are discarded and freed by the kworker (swap_discard_work,
 * si->discard_work) or synchronously by an allocation that found no space
 * (swap_sync_discard).
 */
import { A } from '../shm/arena.js';
import { CI, SI, MAX_SWAPFILES } from '../shm/layout.js';
import { LC_SI } from '../sync/lockdep.js';
import { might_sleep } from '../sync/might_sleep.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { list_del, list_empty } from './cluster_list.js';
import { CLUSTER_FLAG_NONE, ci_lock, clusterWord, siWord, swap_cluster_unlock } from './swap.js';
import { __free_cluster } from './swap_cluster.js';
import { get_swap_device_info, put_swap_device } from './swap_device.js';

/**
 * swap_do_scheduled_discard(): issue the discards queued on @type's
 * discard list, then free those clusters.
 * Context: process context, may sleep; takes si->lock then ci->lock.
 */
export function swap_do_scheduled_discard(type: number): boolean {
  let ret = false;
  const list = siWord(type, SI.discard_clusters);
  spin_lock(siWord(type, SI.lock), LC_SI);
  while (!list_empty(list)) {
    const idx = A.i32[list];
    const ci = clusterWord(type, idx);
    /*
     * list_del(&ci->list) only: off the list but still DISCARD, so
     * relocate_cluster and every ci->lock holder leave it alone.  (Not
     * __isolate_cluster(), which wants ci->lock: it set the flags NONE -
     * "usable" - for a moment without it, and a CPU whose per-CPU cluster
     * this was allocated from a cluster being discarded.  A 4-CPU stress
     * run found it.)
     */
    list_del(type, list, idx);
    spin_unlock(siWord(type, SI.lock));
    might_sleep('discard_swap_cluster');
    ci_lock(ci);
    A.i32[ci + CI.flags] = CLUSTER_FLAG_NONE;
    __free_cluster(type, ci);
    swap_cluster_unlock(ci);
    ret = true;
    spin_lock(siWord(type, SI.lock), LC_SI);
  }
  A.i32[siWord(type, SI.discard_pending)] = 0;
  spin_unlock(siWord(type, SI.lock));
  return ret;
}

/**
 * swap_discard_work(): the si->discard_work items the free path scheduled
 * (schedule_work() when it queued a cluster for discard), for every
 * device; run by a kworker (the stress harness's "stress-kworker" task).
 * The device is pinned for the work, as swapoff's flush_work() after
 * percpu_ref_kill() would wait for it.  Returns the devices worked on.
 * Context: process context (a kworker), may sleep.
 */
export function swap_discard_work(): number {
  let n = 0;
  for (let t = 0; t < MAX_SWAPFILES; t++) {
    if (!A.i32[siWord(t, SI.discard_pending)]) continue;
    if (!get_swap_device_info(t)) continue;
    if (swap_do_scheduled_discard(t)) n++;
    put_swap_device(t);
  }
  return n;
}

/* swap_sync_discard(): run pending discards on the first device that has some. */
export function swap_sync_discard(): boolean {
  for (let t = 0; t < MAX_SWAPFILES; t++) {
    if (!A.i32[siWord(t, SI.discard_pending)]) continue;
    if (!get_swap_device_info(t)) continue;
    const did = swap_do_scheduled_discard(t);
    put_swap_device(t);
    if (did) return true;
  }
  return false;
}
