/*
 * The quiescent checker's device-wide rules (docs/invariants.md):
 *
 *  - accounting: a device is on swap_avail_head iff it is SWP_WRITEOK
 *    and not full (mm/swapfile.c: swap_usage_add() takes a device that
 *    fills off the list, swap_usage_sub() puts it back, swapoff takes it
 *    off for good) - except a full device add_to_avail_list() put back,
 *    which the kernel leaves on the list; nr_real_swapfiles counts the non-dynamic devices on
 *    the list, plus under vswap the physical devices in service (seed
 *    001 patch 13, seed 004 patch 15); total_swap_pages is the pages of
 *    the devices in service (mm/swapfile.c: _enable_swap_info() adds
 *    si->pages, swapoff subtracts them: what si_swapinfo() reports as
 *    totalswap) and nr_rotate_swap the mounted rotational devices
 *    (swapon counts a device without SWP_SOLIDSTATE, swapoff uncounts it:
 *    the swap readahead policy reads it);
 *  - progress: a device with clusters on its discard list has its discard
 *    work pending (check_discard_pending);
 *  - device-lifetime: every device in service has a live si->users with
 *    only its initial reference: each get_swap_device() was paired with
 *    put_swap_device() (a reference left over keeps swapoff waiting for
 *    ever in wait_for_completion(&p->comp); one put too many releases
 *    the device under a user).
 *
 * Context: quiescent.
 */
import { A, gword } from '../shm/arena.js';
import { G, LIST, MAX_SWAPFILES, SI } from '../shm/layout.js';
import { percpu_ref_is_dying, percpu_ref_read } from '../sync/percpu_ref.js';
import { SWP_SOLIDSTATE, SWP_USED, SWP_VSWAP_PHYS, SWP_WRITEOK, si_dynamic, si_flags, si_users, siWord } from '../mm/swap.js';
import { swap_avail_on, swap_usage_in_pages, SWAP_USAGE_OFFLIST_BIT } from '../mm/swap_device.js';
import type { Fail } from './fail.js';

/*
 * The checker reads the avail list and the usage count of a device only
 * through the model's accessors, which know the kernel's scheme
 * (SWAP_USAGE_OFFLIST_BIT in si->inuse_pages, the plist node).
 */

/** Is swap_info[@type] on swap_avail_head? (!plist_node_empty(&si->avail_list)) */
export function si_on_avail_list(type: number): boolean {
  return swap_avail_on(type);
}

/** si->inuse_pages without SWAP_USAGE_OFFLIST_BIT: swap_usage_in_pages(). */
export function si_inuse_pages(type: number): number {
  return swap_usage_in_pages(type);
}

/** SWAP_USAGE_OFFLIST_BIT: set while the device is off swap_avail_head. */
export function si_offlist(type: number): boolean {
  return (Atomics.load(A.i32, siWord(type, SI.inuse_pages)) & SWAP_USAGE_OFFLIST_BIT) !== 0;
}

/**
 * A device whose clusters the checker can walk: swapon gave it
 * cluster_info (or, dynamic, its xarray) and swapoff has not freed it
 * yet - in service (SWP_WRITEOK) or not (under swapoff, or a failed
 * swapoff before reinsert_swap_info()).
 */
export function si_has_clusters(type: number): boolean {
  const flags = si_flags(type);
  if (!(flags & SWP_USED) || (flags & SWP_VSWAP_PHYS)) return false;
  return si_dynamic(type) || A.i32[siWord(type, SI.cluster_base)] !== 0;
}

/* accounting: avail list membership and nr_real_swapfiles. */
export function check_avail_list(fail: Fail): void {
  let real = 0;
  for (let type = 0; type < MAX_SWAPFILES; type++) {
    const flags = si_flags(type);
    const on = si_on_avail_list(type);
    const inuse = si_inuse_pages(type);
    const pages = A.i32[siWord(type, SI.pages)];
    /*
     * On the list exactly when the allocator can take a slot there: a
     * full device on it fails every allocation tried, and two of one
     * priority livelock swap_alloc_slow() (bug readd-full-device: the
     * kernel's add_to_avail_list() puts a device back full).
     */
    const want = (flags & SWP_WRITEOK) !== 0 && !(flags & SWP_VSWAP_PHYS) && inuse < pages;
    if (on !== want) {
      const why = !(flags & SWP_WRITEOK) ? 'not SWP_WRITEOK' : flags & SWP_VSWAP_PHYS ? 'a physical device of the virtual swap space' : inuse < pages ? 'not full' : 'full';
      fail('accounting', `device ${type} is ${on ? 'on' : 'off'} the avail list but ${why} (inuse_pages ${inuse} of ${pages}): ${on ? 'the allocator tries a device it cannot allocate from' : 'the allocator never tries it'}`, [type, inuse, pages]);
    }
    if ((flags & SWP_USED) && !(flags & SWP_VSWAP_PHYS) && si_offlist(type) === on) {
      fail('accounting', `device ${type} is ${on ? 'on' : 'off'} the avail list but SWAP_USAGE_OFFLIST_BIT is ${on ? 'set' : 'clear'}: swap_usage_sub() and the list disagree on whether it must be put back`, [type, inuse, pages]);
    }
    if (on && !si_dynamic(type)) real++;
    if ((flags & (SWP_VSWAP_PHYS | SWP_WRITEOK)) === (SWP_VSWAP_PHYS | SWP_WRITEOK)) real++;
  }
  const nr = Atomics.load(A.i32, gword(G.nr_real_swapfiles));
  if (nr !== real) fail('accounting', `nr_real_swapfiles ${nr} but ${real} real (non-ghost) devices can take a page`, [nr, real]);
}

/* device-lifetime: si->users balanced. */
export function check_device_users(fail: Fail): void {
  for (let type = 0; type < MAX_SWAPFILES; type++) {
    const flags = si_flags(type);
    if (!(flags & SWP_USED)) continue;
    const ref = si_users(type);
    if (percpu_ref_is_dying(ref)) {
      /* Killed by swapoff, or not yet brought to life by swapon: get_swap_device() fails, as it must unless in service. */
      if (flags & SWP_WRITEOK) fail('device-lifetime', `device ${type} is in service but its si->users is dead: get_swap_device() fails on every entry of it`, [type]);
      continue;
    }
    const n = percpu_ref_read(ref) - 1;
    if (n > 0) fail('device-lifetime', `device ${type}: si->users holds ${n} reference${n > 1 ? 's' : ''} besides the initial one at quiescence: get_swap_device() without put_swap_device() (swapoff would wait for ever)`, [type, n]);
    else if (n < 0) fail('device-lifetime', `device ${type}: si->users is ${-n} below its initial reference at quiescence: put_swap_device() without get_swap_device() (the device can be freed under a user)`, [type, n]);
  }
}

/*
 * accounting: total_swap_pages against @inService, the pages of the
 * devices in service the checker walked (SWP_WRITEOK, with clusters), and
 * nr_rotate_swap against the mounted devices without SWP_SOLIDSTATE.
 */
export function check_swap_totals(fail: Fail, inService: number): void {
  const total = Atomics.load(A.i32, gword(G.total_swap_pages));
  if (total !== inService) fail('accounting', `total_swap_pages ${total} but the devices in service have ${inService} pages`, [total, inService]);
  let rotational = 0;
  for (let type = 0; type < MAX_SWAPFILES; type++) {
    if ((si_flags(type) & (SWP_USED | SWP_SOLIDSTATE)) === SWP_USED && A.i32[siWord(type, SI.swap_file)] !== 0) rotational++;
  }
  const nr = Atomics.load(A.i32, gword(G.nr_rotate_swap));
  if (nr !== rotational) fail('accounting', `nr_rotate_swap ${nr} but ${rotational} rotational devices are swapped on`, [nr, rotational]);
}

/*
 * progress: a cluster queued for discard gets discarded.  free_cluster()
 * puts it on si->discard_clusters and schedules the discard work (the
 * model's si->discard_pending stands for schedule_work(&si->discard_work)
 * having queued it); the work clears the flag only under si->lock, once it
 * found the list empty.  Clusters on the list with no work pending were
 * lost with a schedule_work(): nothing discards them, and the allocator
 * never takes a cluster from the discard list.
 */
export function check_discard_pending(fail: Fail): void {
  const i32 = A.i32;
  for (let type = 0; type < MAX_SWAPFILES; type++) {
    if (!si_has_clusters(type) || si_dynamic(type)) continue;
    const queued = i32[siWord(type, SI.discard_clusters) + LIST.nr];
    if (queued > 0 && i32[siWord(type, SI.discard_pending)] === 0) {
      fail('progress', `device ${type}: ${queued} clusters wait on the discard list with no discard work pending (a lost schedule_work(): nothing discards them, and no allocation takes them)`, [type, queued]);
    }
  }
}

