/*
 * mm/swapfile.c: the cluster allocator, swap counts, freeing and device
 * pinning.  (swapon/swapoff/try_to_unuse live in swapon.ts.)
 *
 * Follows the newest kernel (linux-mm, phase III + IV) unless a bug switch
 * restores a pre-fix path.  Function names are the kernel's; `type` is the
 * swap_info index, `ci` a cluster word, `folio` a head PFN, `entry` a
 * swp_entry_t number (see swap.ts).
 *
 * Lock order (outermost first): percpu_swap_cluster.lock (local lock) ->
 * si->global_cluster_lock (rotational devices) -> ci->lock -> si->lock
 * (move_cluster) / swap_avail_lock.  isolate_lock_cluster() holds si->lock
 * and so only trylocks ci->lock.
 */
import { EINVAL, ENOMEM } from '../include/errno.js';
import { A, gword } from '../shm/arena.js';
import { CI, G, SI, SWAPFILE_CLUSTER, SWAP_NR_ORDERS, PMD_ORDER } from '../shm/layout.js';
import { report, WARN_ON } from '../shm/report.js';
import { bug_on, BUG_GHOST_CLUSTER_RELOOKUP } from '../shm/bugs.js';
import { point, pointId } from '../sync/point.js';
import { local_lock, local_unlock } from '../sync/local_lock.js';
import { LC_GLOBAL_CLUSTER, LC_SWAP_AVAIL, lockdep_assert_held } from '../sync/lockdep.js';
import { rcu_read_lock, rcu_read_unlock } from '../sync/rcu.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { smp_processor_id } from '../shm/task.js';
import { swap_design } from './swap_design.js';
import { __swap_cache_add_folio, swap_cache_del_folio, swap_cache_get_folio } from './swap_state.js';
import { folio_assert_locked, folio_memcg, folio_nr_pages, folio_order, folio_put, folio_set, folio_swap, folio_test_swapcache, folio_test_writeback, folio_trylock, folio_unlock, PG_dirty } from './page_alloc.js';
import { mem_cgroup_try_charge_swap } from './memcontrol.js';
import { list_for_flags } from './cluster_list.js';
import { CLUSTER_FLAG_FRAG, CLUSTER_FLAG_NONE, CLUSTER_FLAG_NONFULL, SWP_PAGE_DISCARD, SWP_SOLIDSTATE, SWP_WRITEOK, SWAP_ENTRY_INVALID, ci_count, ci_flags, ci_lock, cluster_is_empty, cluster_offset, si_dynamic, si_flags, pcp_swap_offset, pcp_swap_si, si_global_cluster_next, si_max, siWord, __swap_offset_to_cluster, swap_cluster_lock, swap_cluster_unlock, swp_entry, swp_offset, swp_type } from './swap.js';
import { __swap_table_get, swap_table_get } from './swap_table_arena.js';
import { swp_tb_is_folio, swp_tb_is_null } from './swap_table.js';
import { swap_cluster_alloc_dynamic } from './swap_cluster_dynamic.js';
import { cluster_is_usable, isolate_lock_cluster, relocate_cluster } from './swap_cluster.js';
import { folio_maybe_swapped, swap_put_entries_cluster } from './swap_count.js';
import { folio_mapped } from './rmap.js';
import { get_swap_device, get_swap_device_info, put_swap_device, swap_usage_in_pages, swap_range_alloc, vm_swap_full } from './swap_device.js';
import { swap_sync_discard } from './swap_discard.js';
import { plist_first, plist_next, plist_node_empty, plist_requeue } from './plist.js';

const P_RECLAIM_RANGE = pointId('cluster_reclaim_range:unlocked');

const P_ALLOC_IN_FLIGHT = pointId('__swap_cluster_alloc_entries:writeok');

/* cluster_scan_range(): can [offset, offset+nr) be allocated?  Context: ci->lock held. */
function cluster_scan_range(ci: number, offset: number, nr: number, needReclaim: { v: boolean }): boolean {
  for (let k = 0; k < nr; k++) {
    const off = (offset + k) % SWAPFILE_CLUSTER;
    const tb = __swap_table_get(ci, off);
    if (swp_tb_is_null(tb) && swap_design().countOf(ci, off, tb) === 0) continue;
    if (swp_tb_is_folio(tb) && swap_design().countOf(ci, off, tb) === 0) {
      if (!vm_swap_full()) return false;
      needReclaim.v = true;
      continue;
    }
    return false;
  }
  return true;
}

/*
 * cluster_reclaim_range(): drop ci->lock, reclaim cache-only slots of the
 * range, retake the lock.  The cluster may have been freed or taken for
 * another order meanwhile: re-check usability, then re-scan.  A ghost
 * cluster may even be gone (seed 001 patch 15): the walk runs under
 * rcu_read_lock() and the cluster is looked up again, *@pci set to the
 * new pointer or to 0 when there is none.  Bug switch
 * ghost-cluster-relookup relocks the old pointer instead, with no RCU
 * section keeping it valid.
 */
function cluster_reclaim_range(type: number, pci: { v: number }, start: number, order: number, usable: { v: boolean }): boolean {
  const nr = 1 << order;
  let ci = pci.v;
  const relookup = si_dynamic(type) && !bug_on(BUG_GHOST_CLUSTER_RELOOKUP);
  swap_cluster_unlock(ci);
  if (relookup) rcu_read_lock();
  point(P_RECLAIM_RANGE);
  for (let offset = start; offset < start + nr; offset++) {
    const tb = swap_table_get(ci, offset % SWAPFILE_CLUSTER);
    if (swap_design().countOf(ci, offset % SWAPFILE_CLUSTER, tb) !== 0) break;
    if (swp_tb_is_folio(tb) && __try_to_reclaim_swap(type, offset, TTRS_ANYWAY) < 0) break;
  }
  if (relookup) {
    rcu_read_unlock();
    ci = pci.v = swap_cluster_lock(type, start);
    if (ci === 0) {
      usable.v = false;
      return false;
    }
  } else {
    ci_lock(ci);
  }
  if (!cluster_is_usable(ci, order)) {
    usable.v = false;
    return false;
  }
  usable.v = true;
  if (cluster_is_empty(ci)) return true;
  for (let offset = start; offset < start + nr; offset++) {
    if (!swp_tb_is_null(__swap_table_get(ci, offset % SWAPFILE_CLUSTER))) return false;
  }
  return true;
}

/* __try_to_reclaim_swap()'s @flags, as mm/swapfile.c defines them. */
/** Reclaim the swap entry anyway if possible (the allocator's scans). */
export const TTRS_ANYWAY = 0x1;
/** Reclaim it only if no PTE maps the folio any more. */
export const TTRS_UNMAPPED = 0x2;
/** Reclaim it if swap is getting full. */
export const TTRS_FULL = 0x4;

/**
 * __try_to_reclaim_swap(): drop a cache-only folio at @offset from the swap
 * cache, as @flags allow: always (TTRS_ANYWAY), when no PTE maps it
 * (TTRS_UNMAPPED), or when swap is getting full (TTRS_FULL:
 * mem_cgroup_swap_full(), which is vm_swap_full() here - the model's
 * memcgs have no swap limit).  A folio still mapped stays in the swap
 * cache after its last swap PTE is zapped: a later write fault's
 * wp_can_reuse_anon_folio(), reclaim or swapoff drops it.
 * Returns the number of slots freed, or minus the folio size if it
 * could not (0 if nothing cached).
 * Context: no ci->lock held; trylocks the folio.
 */
export function __try_to_reclaim_swap(type: number, offset: number, flags: number): number {
  const entry = swp_entry(type, offset);
  for (;;) {
    const folio = swap_cache_get_folio(entry);
    if (folio < 0) return 0;
    const nr = folio_nr_pages(folio);
    if (!folio_trylock(folio)) {
      folio_put(folio);
      return -nr;
    }
    const fentry = folio_swap(folio);
    if (!folio_test_swapcache(folio) || fentry !== entry - (entry % nr)) {
      folio_unlock(folio);
      folio_put(folio);
      continue; /* moved before we locked it */
    }
    const need_reclaim = (flags & TTRS_ANYWAY) !== 0 || ((flags & TTRS_UNMAPPED) !== 0 && !folio_mapped(folio)) || ((flags & TTRS_FULL) !== 0 && vm_swap_full());
    if (!need_reclaim || folio_test_writeback(folio) || folio_maybe_swapped(folio)) {
      folio_unlock(folio);
      folio_put(folio);
      return -nr;
    }
    swap_cache_del_folio(folio);
    folio_set(folio, PG_dirty);
    folio_unlock(folio);
    folio_put(folio);
    return nr;
  }
}

/*
 * __swap_cluster_alloc_entries(): claim [ci_off, ci_off + nr) for @folio:
 * the slots become the folio's swap cache entries with count 0.
 * Context: ci->lock held, folio locked.
 */
function __swap_cluster_alloc_entries(type: number, ci: number, folio: number, ci_off: number): boolean {
  if (!(si_flags(type) & SWP_WRITEOK)) return false; /* swapoff began: see wait_for_allocation */
  /* The allocation is in flight: swapoff may clear WRITEOK now, and must wait for us (wait_for_allocation). */
  point(P_ALLOC_IN_FLIGHT);
  const order = folio_order(folio);
  const nr = 1 << order;
  const entry = swp_entry(type, cluster_offset(type, ci) + ci_off);
  __swap_cache_add_folio(ci, folio, entry);
  if (cluster_is_empty(ci)) A.i32[ci + CI.order] = order;
  Atomics.add(A.i32, ci + CI.count, nr);
  swap_range_alloc(type, nr);
  return true;
}

/**
 * alloc_swap_scan_cluster(): allocate for @folio in @ci from @offset on.
 * Phase III patch 10: the scan is not truncated at si->max (the last
 * cluster's tail is marked bad), so `next` may land past si->max: see
 * __swap_offset_to_cluster() for the debug check that had to follow.
 * Context: entered with ci->lock held; always unlocks.  Returns the offset
 * or SWAP_ENTRY_INVALID.
 */
function alloc_swap_scan_cluster(type: number, ci: number, folio: number, offset: number): number {
  const order = folio_order(folio);
  const nr = 1 << order;
  const start = offset - (offset % SWAPFILE_CLUSTER);
  let end = start + SWAPFILE_CLUSTER;
  let next = SWAP_ENTRY_INVALID;
  let found = SWAP_ENTRY_INVALID;
  let cur = ci;
  lockdep_assert_held(cur + CI.lock, 'ci->lock');
  WARN_ON(!cluster_is_usable(cur, order), 'cluster-lists', 'alloc_swap_scan_cluster on an unusable cluster', [cur, order]);
  if (ci_count(cur) + nr <= SWAPFILE_CLUSTER) {
    for (end -= nr; offset <= end; offset += nr) {
      const needReclaim = { v: false };
      if (!cluster_scan_range(cur, offset, nr, needReclaim)) continue;
      if (needReclaim.v) {
        const usable = { v: false };
        const pci = { v: cur };
        const ok = cluster_reclaim_range(type, pci, offset, order, usable);
        cur = pci.v;
        if (!usable.v) break;
        if (cluster_is_empty(cur)) offset = start;
        if (!ok) continue;
      }
      if (!__swap_cluster_alloc_entries(type, cur, folio, offset % SWAPFILE_CLUSTER)) break;
      found = offset;
      offset += nr;
      if (ci_count(cur) < SWAPFILE_CLUSTER && offset <= end) next = offset;
      break;
    }
  }
  if (cur !== 0) {
    relocate_cluster(type, cur);
    swap_cluster_unlock(cur);
  }
  if (si_flags(type) & SWP_SOLIDSTATE) {
    const cpu = smp_processor_id();
    A.i32[pcp_swap_offset(cpu, order)] = next;
    A.i32[pcp_swap_si(cpu, order)] = type + 1;
  } else {
    A.i32[si_global_cluster_next(type, order)] = next;
  }
  return found;
}

/* alloc_swap_scan_list(): isolate clusters off @list and try each. */
function alloc_swap_scan_list(type: number, list: number, folio: number, scan_all: boolean): number {
  let found = SWAP_ENTRY_INVALID;
  const order = folio_order(folio);
  do {
    const ci = isolate_lock_cluster(type, list, order);
    if (ci < 0) break;
    found = alloc_swap_scan_cluster(type, ci, folio, cluster_offset(type, ci));
    if (found) break;
  } while (scan_all);
  return found;
}

/**
 * alloc_swap_scan_dynamic(): a ghost device grows: a new cluster in its
 * xarray, and the allocation from it (seed 001 patch 15).
 * Context: local lock held.
 */
function alloc_swap_scan_dynamic(type: number, folio: number): number {
  const ci = swap_cluster_alloc_dynamic(type);
  if (ci === 0) return SWAP_ENTRY_INVALID;
  /* The last cluster comes with its tail past si->max bad, order 0: no large folio there. */
  if (!cluster_is_usable(ci, folio_order(folio))) {
    relocate_cluster(type, ci);
    swap_cluster_unlock(ci);
    return SWAP_ENTRY_INVALID;
  }
  return alloc_swap_scan_cluster(type, ci, folio, cluster_offset(type, ci));
}

/**
 * swap_reclaim_full_clusters(): walk full clusters and drop cache-only
 * folios so their slots can be reused.
 * Context: local lock may be held; takes si->lock and ci->lock.
 */
export function swap_reclaim_full_clusters(type: number, force: boolean): void {
  let to_scan = force ? Math.ceil(swap_usage_in_pages(type) / SWAPFILE_CLUSTER) : 1;
  const list = siWord(type, SI.full_clusters);
  let ci: number;
  while ((ci = isolate_lock_cluster(type, list, 0)) >= 0) {
    let offset = cluster_offset(type, ci);
    const end = Math.min(si_max(type), offset + SWAPFILE_CLUSTER);
    to_scan--;
    while (offset < end) {
      const tb = __swap_table_get(ci, offset % SWAPFILE_CLUSTER);
      if (swp_tb_is_folio(tb) && swap_design().countOf(ci, offset % SWAPFILE_CLUSTER, tb) === 0) {
        swap_cluster_unlock(ci);
        const n = __try_to_reclaim_swap(type, offset, TTRS_ANYWAY);
        /* A ghost cluster may have emptied and gone meanwhile: look it up again. */
        if (si_dynamic(type)) ci = swap_cluster_lock(type, offset);
        else ci_lock(ci);
        if (ci === 0) break;
        if (n) {
          offset += Math.abs(n);
          continue;
        }
      }
      offset++;
    }
    if (ci !== 0) {
      if (ci_flags(ci) === CLUSTER_FLAG_NONE) relocate_cluster(type, ci);
      swap_cluster_unlock(ci);
    }
    if (to_scan <= 0) break;
  }
}

/**
 * cluster_alloc_swap_entry(): the slow path on one device.
 * Context: local lock held.  Returns an offset or SWAP_ENTRY_INVALID.
 */
function cluster_alloc_swap_entry(type: number, folio: number): number {
  const order = folio_order(folio);
  const rotational = (si_flags(type) & SWP_SOLIDSTATE) === 0;
  let found = SWAP_ENTRY_INVALID;
  const done = (): number => {
    if (rotational) spin_unlock(siWord(type, SI.global_cluster_lock));
    return found;
  };
  if (rotational) {
    spin_lock(siWord(type, SI.global_cluster_lock), LC_GLOBAL_CLUSTER);
    let offset = A.i32[si_global_cluster_next(type, order)];
    if (offset) {
      const ci = swap_cluster_lock(type, offset);
      if (cluster_is_usable(ci, order)) {
        if (cluster_is_empty(ci)) offset = cluster_offset(type, ci);
        found = alloc_swap_scan_cluster(type, ci, folio, offset);
      } else {
        swap_cluster_unlock(ci);
      }
      if (found) return done();
    }
  }
  const discard = (si_flags(type) & SWP_PAGE_DISCARD) !== 0;
  const free = siWord(type, SI.free_clusters);
  if (discard && (found = alloc_swap_scan_list(type, free, folio, false))) return done();
  if (order < PMD_ORDER && (found = alloc_swap_scan_list(type, list_for_flags(type, CLUSTER_FLAG_NONFULL, order), folio, true))) return done();
  if (si_dynamic(type) && (found = alloc_swap_scan_dynamic(type, folio))) return done();
  if (!discard && (found = alloc_swap_scan_list(type, free, folio, false))) return done();
  if (vm_swap_full()) swap_reclaim_full_clusters(type, false);
  if (order < PMD_ORDER && (found = alloc_swap_scan_list(type, list_for_flags(type, CLUSTER_FLAG_FRAG, order), folio, false))) return done();
  if (order) return done();
  /* Order 0 steals from clusters of higher orders */
  for (let o = 1; o < SWAP_NR_ORDERS; o++) {
    if ((found = alloc_swap_scan_list(type, list_for_flags(type, CLUSTER_FLAG_FRAG, o), folio, true))) return done();
    if ((found = alloc_swap_scan_list(type, list_for_flags(type, CLUSTER_FLAG_NONFULL, o), folio, true))) return done();
  }
  return done();
}

/** swap_alloc_fast(): this CPU's cached cluster.  Context: local lock held. */
function swap_alloc_fast(folio: number): boolean {
  const order = folio_order(folio);
  const cpu = smp_processor_id();
  const type = A.i32[pcp_swap_si(cpu, order)] - 1;
  let offset = A.i32[pcp_swap_offset(cpu, order)];
  if (type < 0 || !offset || !get_swap_device_info(type)) return false;
  const ci = swap_cluster_lock(type, offset);
  if (ci === 0) {
    /* A ghost cluster freed since this CPU cached it. */
  } else if (cluster_is_usable(ci, order)) {
    if (cluster_is_empty(ci)) offset = cluster_offset(type, ci);
    alloc_swap_scan_cluster(type, ci, folio, offset);
  } else {
    swap_cluster_unlock(ci);
  }
  put_swap_device(type);
  return folio_test_swapcache(folio);
}

/**
 * swap_alloc_slow(): walk swap_avail_head, highest priority first, and
 * allocate from the first device that has room.  Each device tried is
 * requeued behind its equal-priority peers first (plist_requeue), so
 * devices of one priority take turns.  swap_avail_lock is dropped for the
 * allocation; the device after the one tried was noted before, and if it
 * left the list meanwhile (it went full, or swapoff) the walk starts over.
 * Context: local lock held; takes swap_avail_lock.
 */
function swap_alloc_slow(folio: number): void {
  const head = gword(G.swap_avail_head);
  spin_lock(gword(G.swap_avail_lock), LC_SWAP_AVAIL);
  start_over: for (;;) {
    /* plist_for_each_entry_safe(si, next, &swap_avail_head, avail_list) */
    for (let si = plist_first(head), next = si < 0 ? -1 : plist_next(si); si >= 0; si = next, next = si < 0 ? -1 : plist_next(si)) {
      plist_requeue(si, head);
      spin_unlock(gword(G.swap_avail_lock));
      if (get_swap_device_info(si)) {
        cluster_alloc_swap_entry(si, folio);
        put_swap_device(si);
        if (folio_test_swapcache(folio) || folio_order(folio) > 0) return;
      }
      spin_lock(gword(G.swap_avail_lock), LC_SWAP_AVAIL);
      if (next >= 0 && plist_node_empty(next)) continue start_over;
    }
    break;
  }
  spin_unlock(gword(G.swap_avail_lock));
}

/**
 * folio_alloc_swap(): allocate swap slots for @folio and add it to the swap
 * cache, then charge the swap to its memcg.  0, or -ENOMEM (no space: the
 * caller may split a large folio and retry), -EINVAL.
 * Context: folio locked; may sleep (table allocation, discard).
 */
export function folio_alloc_swap(folio: number): number {
  /* mm/swapfile.c folio_alloc_swap(): VM_BUG_ON_FOLIO(!folio_test_locked(folio), folio) */
  folio_assert_locked(folio, 'folio_alloc_swap', 'VM_BUG_ON_FOLIO');
  const order = folio_order(folio);
  if ((1 << order) > SWAPFILE_CLUSTER) return -EINVAL;
  for (let attempt = 0; attempt < 2; attempt++) {
    local_lock();
    if (!swap_alloc_fast(folio)) swap_alloc_slow(folio);
    local_unlock();
    if (folio_test_swapcache(folio) || order > 0 || !swap_sync_discard()) break;
  }
  if (!folio_test_swapcache(folio)) return -ENOMEM;
  mem_cgroup_try_charge_swap(folio_memcg(folio), 1 << order);
  /* p2/p3: swap_cgroup_record() (p4 records the owner in the shadow later). */
  if (!swap_design().memcgInShadow) {
    const entry = folio_swap(folio);
    swap_design().recordMemcg(__swap_offset_to_cluster(swp_type(entry), swp_offset(entry)), swp_offset(entry) % SWAPFILE_CLUSTER, 1 << order, folio_memcg(folio));
  }
  return 0;
}

/**
 * swap_put_entries_direct(): zap/exit dropping @nr swap PTEs.
 * Context: caller holds the PTL over them.
 */
export function swap_put_entries_direct(entry: number, nr: number): void {
  const type = get_swap_device(entry);
  if (type < 0) {
    report('swap-count', `swap_put_entries_direct: bad swap entry ${entry}`, [entry]);
    return;
  }
  let offset = swp_offset(entry);
  const end = offset + nr;
  while (offset < end) {
    const n = Math.min(end - offset, SWAPFILE_CLUSTER - (offset % SWAPFILE_CLUSTER));
    if (swap_put_entries_cluster(type, offset, n)) {
      for (let o = offset; o < offset + n; o++) {
        const r = __try_to_reclaim_swap(type, o, TTRS_UNMAPPED | TTRS_FULL);
        if (r > 0) o += r - 1;
      }
    }
    offset += n;
  }
  put_swap_device(type);
}

/**
 * folio_free_swap(): drop a folio's swap cache if no slot is referenced.
 * Context: folio locked.
 */
export function folio_free_swap(folio: number): boolean {
  /* mm/swapfile.c folio_swapcache_freeable(): VM_BUG_ON_FOLIO(!folio_test_locked(folio), folio) */
  folio_assert_locked(folio, 'folio_free_swap', 'VM_BUG_ON_FOLIO');
  if (!folio_test_swapcache(folio) || folio_test_writeback(folio)) return false;
  if (folio_maybe_swapped(folio)) return false;
  swap_cache_del_folio(folio);
  folio_set(folio, PG_dirty);
  return true;
}
