/*
 * The quiescent invariant checker: the catalogue of docs/invariants.md, checked over the
 * whole arena while every CPU is parked (like a stop-the-world).  Each
 * finding is report()ed with its invariant id and returned.
 *
 * Context: quiescent (no task runs the model), after rcu_barrier().
 */
import { A, gword } from '../shm/arena.js';
import { CI, CI_DYN, G, MAX_SWAPFILES, SI, SWAPFILE_CLUSTER, TASK } from '../shm/layout.js';
import { report, type Invariant, type Violation } from '../shm/report.js';
import { taskWord } from '../shm/task.js';
import { swap_design } from '../mm/swap_design.js';
import { __swp_tb_get_count, swp_tb_check, swp_tb_is_countable, swp_tb_is_bad, swp_tb_is_folio, swp_tb_is_null, swp_tb_is_shadow, swp_tb_test_zero, swp_tb_to_pfn } from '../mm/swap_table.js';
import {
  CLUSTER_FLAG_DEAD, CLUSTER_FLAG_DISCARD, CLUSTER_FLAG_FREE, CLUSTER_FLAG_NAMES, CLUSTER_FLAG_NONE, SWP_WRITEOK, clusterWord, si_dynamic, si_is_ghost, si_is_vswap, siWord, swp_entry,
  swp_offset, swp_type,
} from '../mm/swap.js';
import { __swap_table_get } from '../mm/swap_table_arena.js';
import { __swap_count_exact } from '../mm/swap_count.js';
import { folio_charge_seq, folio_memcg, folio_nr_pages, folio_swap, folio_test_swapcache, nr_frames, page_token, fw } from '../mm/page_alloc.js';
import { FOLIO } from '../shm/layout.js';
import { kmem_cache_free_objects, swap_table_cachep } from '../kmem/slab.js';
import { pageDataWord } from '../kmem/page_pool.js';
import { expected_token, is_swap_pte, mm_live, mm_pages, pte_pfn, pte_present, pte_to_swp_entry, pte_write, ptep_get } from '../mm/pgtable.js';
import { PageAnonExclusive } from '../mm/rmap.js';
import { zswap_load } from '../mm/zswap.js';
import { swap_backing_index } from '../mm/page_io.js';
import { VSWAP_TYPE } from '../mm/vswap.js';
import { check_vswap, vswap_slot_data } from './vswap.js';
import { check_avail_list, check_device_users, check_discard_pending, check_swap_totals, si_has_clusters, si_inuse_pages } from './device.js';
import { check_dyn_cluster_objects, check_kmalloc_pages, check_swap_table_objects } from './kmemleak.js';
import { check_cluster_flags, cluster_list_code, cluster_list_membership } from './cluster_lists.js';
import { check_folios, frame_refs } from './folios.js';
import { check_swap_io_events } from './vmstat.js';
import { mem_cgroup_dead_at, mem_cgroup_state, mem_cgroup_swap_usage, mem_cgroup_nearest_online, nr_memcg_ids } from '../mm/memcontrol.js';

/** @held: folios the caller holds a reference on (one per occurrence), besides those of PTEs and the swap cache. */
export function check_invariants(held: readonly number[] = []): Violation[] {
  const out: Violation[] = [];
  const fail = (inv: Invariant, msg: string, args: number[] = []): void => {
    if (out.length < 64) out.push(report(inv, msg, args));
  };
  const i32 = A.i32;

  /* lock-discipline: nothing held at quiescence */
  for (let t = 0; t < A.L.config.nrTasks; t++) {
    const depth = Atomics.load(i32, taskWord(t, TASK.lockdep_depth));
    if (depth !== 0) fail('lock-discipline', `task ${t} holds ${depth} locks at quiescence`, [t, depth]);
    if (Atomics.load(i32, taskWord(t, TASK.rcu_read_lock_nesting)) !== 0) fail('rcu', `task ${t} inside an RCU read-side section at quiescence`, [t]);
  }

  /* PTE references per swap entry, and data of swap PTEs; present PTEs and swap cache slots per frame */
  const refs = new Map<number, number>();
  const frames = frame_refs(held);
  /* Writable present PTEs per frame (page_table_check's anon_map_count, rw) */
  const writable = new Int32Array(nr_frames());
  for (let mm = 0; mm < A.L.config.nrMms; mm++) {
    if (!mm_live(mm)) continue;
    for (let index = 0; index < mm_pages(); index++) {
      const pte = ptep_get(mm, index);
      if (pte_present(pte)) {
        const pfn = pte_pfn(pte);
        if (pfn >= nr_frames()) {
          fail('folio-accounting', `mm ${mm} page ${index}: present PTE maps frame ${pfn}, past the ${nr_frames()} frames of memory`, [mm, index, pfn]);
          continue;
        }
        frames.ptes[pfn]++;
        if (pte_write(pte)) {
          writable[pfn]++;
          if (!PageAnonExclusive(pfn)) fail('folio-accounting', `mm ${mm} page ${index}: PTE maps page ${pfn} writable, but the page is not PageAnonExclusive (a page that may be shared is mapped read-only: wp_page_reuse()'s and do_swap_page()'s VM_BUG_ON)`, [mm, index, pfn]);
        }
        const got = page_token(pfn);
        const want = expected_token(mm, index);
        if (got !== want) fail('data', `data mismatch: mm ${mm} page ${index} holds 0x${got.toString(16)}, last write 0x${want.toString(16)}`, [mm, index, pfn]);
      } else if (is_swap_pte(pte)) {
        const e = pte_to_swp_entry(pte);
        refs.set(e, (refs.get(e) ?? 0) + 1);
        const type = swp_type(e);
        if (type >= MAX_SWAPFILES || !si_has_clusters(type)) {
          fail('device-lifetime', `mm ${mm} page ${index}: swap PTE for ${type}:${swp_offset(e)} on a device that is not active`, [mm, index, e]);
          continue;
        }
        if (swp_offset(e) >= i32[siWord(type, SI.max)]) {
          fail('device-lifetime', `mm ${mm} page ${index}: swap PTE for ${type}:${swp_offset(e)}, past si->max ${i32[siWord(type, SI.max)]}: get_swap_device() refuses it (the page cannot be swapped in)`, [mm, index, e]);
        }
        const ci = clusterWord(type, Math.floor(swp_offset(e) / SWAPFILE_CLUSTER));
        if (ci === 0) {
          fail('device-lifetime', `mm ${mm} page ${index}: swap PTE for ${type}:${swp_offset(e)}, but ghost device ${type} has no cluster ${Math.floor(swp_offset(e) / SWAPFILE_CLUSTER)} (freed while in use)`, [mm, index, e]);
          refs.delete(e);
          continue;
        }
        const tb = __swap_table_get(ci, swp_offset(e) % SWAPFILE_CLUSTER);
        /* An undecodable or non-countable entry is slot-format's (or swap-count's) to report. */
        if (swp_tb_check(swap_design().tb, tb) !== null || !swp_tb_is_countable(tb)) continue;
        const zeroFlag = swap_design().testZero(ci, swp_offset(e) % SWAPFILE_CLUSTER);
        let data: bigint;
        if (swp_tb_is_folio(tb)) data = page_token(swp_tb_to_pfn(swap_design().tb, tb) + (e - folio_swap(swp_tb_to_pfn(swap_design().tb, tb))));
        else if (zeroFlag) data = 0n;
        else if (si_is_ghost(type)) {
          /* Ghost: zswap is the only place the data can be (seed 001 patch 13). */
          const z = zswap_load(type, swp_offset(e));
          if (z === null) {
            fail('data', `mm ${mm} page ${index} swapped out at ghost slot ${type}:${swp_offset(e)}, which zswap does not hold: nothing backs a ghost device, the data is lost`, [mm, index, e]);
            continue;
          }
          data = z;
        } else if (si_is_vswap(type)) {
          const d = vswap_slot_data(e);
          if (d === null) continue; /* no backend: check_vswap() reports it */
          data = d;
        } else data = zswap_load(type, swp_offset(e)) ?? Atomics.load(A.u64, swap_backing_index(type, swp_offset(e)));
        /*
         * A swapped-out slot's data is in one place: the zero flag, zswap
         * or the device.  A zero-flagged slot zswap still holds a copy of
         * (one swap_writeout() should have dropped) keeps stale data a
         * writeback or a load could bring back.
         */
        if (zeroFlag && !swp_tb_is_folio(tb) && !si_is_ghost(type) && !si_is_vswap(type) && zswap_load(type, swp_offset(e)) !== null) {
          fail('zero', `slot ${type}:${swp_offset(e)} (mm ${mm} page ${index}) is zero-flagged and zswap still holds a copy of it: its data in two places`, [mm, index, e]);
        }
        const want = expected_token(mm, index);
        if (data !== want && !swp_tb_is_folio(tb) && zeroFlag) {
          fail('zero', `slot ${type}:${swp_offset(e)} is zero-flagged but mm ${mm} page ${index} last wrote 0x${want.toString(16)} there: it would read back as a zero page`, [mm, index, e]);
        } else if (data !== want) fail('data', `data mismatch: mm ${mm} page ${index} swapped out at ${type}:${swp_offset(e)} holds 0x${data.toString(16)}, last write 0x${want.toString(16)}`, [mm, index, e]);
      }
    }
  }

  let totalFree = 0;
  let totalPages = 0;
  const memcgSlots = new Map<number, number>();
  let memcgUnknown = false;
  for (let type = 0; type < MAX_SWAPFILES; type++) {
    /*
     * Every device with clusters, in service or not (under swapoff, or
     * back from a failed one); a physical device of the virtual swap
     * space has none (check_vswap()).
     */
    if (!si_has_clusters(type)) continue;
    const nrClusters = i32[siWord(type, SI.nr_clusters)];
    const onList = cluster_list_membership(fail, type);
    let used = 0;
    const ghost = si_dynamic(type); /* a ghost device or the virtual swap space: dynamic clusters */
    for (let idx = 0; idx < nrClusters; idx++) {
      const ci = clusterWord(type, idx);
      if (ci === 0) continue; /* a ghost device has no cluster there */
      const cflags = i32[ci + CI.flags];
      const count = i32[ci + CI.count];
      const tbl = i32[ci + CI.table];
      /* cluster-lists */
      const l = onList.get(idx);
      const wantList = cluster_list_code(cflags, i32[ci + CI.order]);
      if (ghost) {
        /* A ghost cluster is freed the moment it empties: never FREE, DISCARD or (still in the xarray) DEAD. */
        if (cflags === CLUSTER_FLAG_FREE || cflags === CLUSTER_FLAG_DISCARD || cflags === CLUSTER_FLAG_DEAD) {
          fail('cluster-lists', `ghost device ${type} cluster ${idx} has flags ${CLUSTER_FLAG_NAMES[cflags]}: an empty ghost cluster must be gone from the xarray`, [type, idx, cflags]);
        }
        if (count === 0) fail('cluster-count', `ghost device ${type} cluster ${idx} is empty but still in the xarray (not freed)`, [type, idx]);
        if (A.i32[ci + CI_DYN.index] !== idx) fail('cluster-lists', `ghost device ${type}: xarray index ${idx} holds a cluster whose index says ${A.i32[ci + CI_DYN.index]}`, [type, idx]);
      }
      if (ghost && idx === 0 && cflags === CLUSTER_FLAG_NONE) {
        /* Cluster 0 holds the header slot and is never listed (setup_swap_clusters_info for SWP_GHOST). */
      } else if (cflags === CLUSTER_FLAG_NONE) fail('cluster-lists', `device ${type} cluster ${idx} isolated (flags NONE) at quiescence: off every list`, [type, idx]);
      else if (l !== wantList) fail('cluster-lists', `device ${type} cluster ${idx} flags ${CLUSTER_FLAG_NAMES[cflags]} order ${i32[ci + CI.order]} but list code ${l ?? 'none'}`, [type, idx, cflags]);
      /* table-lifetime */
      if (count > 0 && tbl === 0) fail('table-lifetime', `device ${type} cluster ${idx} count ${count} but no swap table`, [type, idx]);
      if (count === 0 && cflags === 1 && tbl !== 0) fail('table-lifetime', `device ${type} cluster ${idx} is free and empty but still has a table`, [type, idx]);
      if (tbl === 0) {
        if (count === 0 && !ghost) check_cluster_flags(fail, type, idx, cflags, 0);
        continue;
      }
      let nonNull = 0;
      let bad = 0;
      for (let off = 0; off < SWAPFILE_CLUSTER; off++) {
        const tb = __swap_table_get(ci, off);
        const why = swp_tb_check(swap_design().tb, tb);
        if (why) {
          /* Undecodable: report it, count it as used, check nothing else about it. */
          if (swap_design().tb.hasZeroFlag && (tb & ~swap_design().tb.SWP_TB_FLAGS_MASK) === 0n && swp_tb_test_zero(swap_design().tb, tb)) {
            fail('zero', `device ${type} slot ${idx * SWAPFILE_CLUSTER + off}: zero flag on a NULL entry (0x${tb.toString(16)})`, [type, idx, off]);
          } else {
            fail('slot-format', `device ${type} slot ${idx * SWAPFILE_CLUSTER + off}: ${why} (0x${tb.toString(16)})`, [type, idx, off]);
          }
          nonNull++;
          used++;
          refs.delete(swp_entry(type, idx * SWAPFILE_CLUSTER + off));
          memcgUnknown = true; /* its memcg record is lost with it: per-memcg tallies cannot be judged */
          continue;
        }
        if (swp_tb_is_null(tb) || swp_tb_is_bad(tb)) {
          /* A zero state in a side array (p2/p3 zeromap) must be gone with the slot. */
          if (!swap_design().tb.hasZeroFlag && swap_design().testZero(ci, off)) {
            fail('zero', `device ${type} slot ${idx * SWAPFILE_CLUSTER + off}: zeromap bit set on a ${swp_tb_is_null(tb) ? 'free' : 'bad'} slot`, [type, idx, off]);
          }
          if (!swap_design().countInTable && swp_tb_is_null(tb) && swap_design().count(ci, off) !== 0) {
            fail('swap-count', `device ${type} slot ${idx * SWAPFILE_CLUSTER + off}: free slot with swap_map count ${swap_design().count(ci, off)}`, [type, idx, off]);
          }
          if (swp_tb_is_null(tb)) continue;
          nonNull++;
          bad++;
          continue;
        }
        nonNull++;
        used++;
        const e = swp_entry(type, idx * SWAPFILE_CLUSTER + off);
        const count = __swap_count_exact(ci, off);
        const r = refs.get(e) ?? 0;
        if (count !== r) fail('swap-count', `slot ${type}:${idx * SWAPFILE_CLUSTER + off} count ${count} but ${r} swap PTEs reference it`, [type, e, count, r]);
        refs.delete(e);
        let memcg = 0;
        if (swp_tb_is_folio(tb)) {
          const folio = swp_tb_to_pfn(swap_design().tb, tb);
          if (folio < nr_frames()) frames.cached[folio]++;
          const fe = folio_swap(folio);
          const nr = folio_nr_pages(folio);
          if (!folio_test_swapcache(folio) || fe < 0 || e < fe || e >= fe + nr) {
            fail('swap-cache', `slot ${type}:${idx * SWAPFILE_CLUSTER + off} names folio ${folio}, whose swap is ${fe} (x${nr}, swapcache=${folio_test_swapcache(folio)})`, [type, e, folio]);
          }
          if (i32[fw(folio, FOLIO.refcount)] < nr) fail('swap-cache', `folio ${folio} in the swap cache with refcount ${i32[fw(folio, FOLIO.refcount)]} < ${nr}`, [folio]);
          memcg = swap_design().memcgInShadow ? folio_memcg(folio) : swap_design().slotMemcg(ci, off, tb);
          /* Patch 6 (p4): a folio is never charged to a memcg that was already dead. */
          if (swap_design().memcgInShadow && memcg > 0 && mem_cgroup_dead_at(memcg, folio_charge_seq(folio))) {
            fail('memcg', `folio ${folio} in the swap cache was charged to memcg ${memcg} after it died, not to its nearest online ancestor ${mem_cgroup_nearest_online(memcg)}`, [folio, memcg]);
          }
        } else if (swp_tb_is_shadow(tb)) {
          memcg = swap_design().slotMemcg(ci, off, tb);
          if (swap_design().countOf(ci, off, tb) === 0) fail('swap-count', `slot ${type}:${idx * SWAPFILE_CLUSTER + off} is an uncached shadow with count 0 (leaked)`, [type, e]);
        }
        if (memcg > 0) memcgSlots.set(memcg, (memcgSlots.get(memcg) ?? 0) + 1);
      }
      /*
       * cluster-lists: a cluster's order is set only while it is empty (its
       * first allocation), and one holding a bad slot has not been empty
       * since swapon: it keeps order 0, off every list of a large order.
       */
      if (bad > 0 && i32[ci + CI.order] !== 0) {
        fail('cluster-lists', `device ${type} cluster ${idx} holds ${bad} bad slot(s), so it never emptied, yet has order ${i32[ci + CI.order]}: it sits on that order's lists for good`, [type, idx, i32[ci + CI.order]]);
      }
      /* cluster-count */
      if (nonNull !== count) fail('cluster-count', `device ${type} cluster ${idx}: count ${count} but ${nonNull} used slots`, [type, idx, count, nonNull]);
      else if (!(ghost && count === 0)) check_cluster_flags(fail, type, idx, cflags, count); /* an empty ghost cluster: reported above */
    }
    /* accounting */
    const inuse = si_inuse_pages(type);
    if (inuse !== used) fail('accounting', `device ${type}: inuse_pages ${inuse} but ${used} slots in use`, [type, inuse, used]);
    /* Swapoff took all of a device's pages out of nr_swap_pages; each slot it frees puts one back. */
    totalFree += Atomics.load(i32, siWord(type, SI.flags)) & SWP_WRITEOK ? i32[siWord(type, SI.pages)] - inuse : -inuse;
    if (Atomics.load(i32, siWord(type, SI.flags)) & SWP_WRITEOK) totalPages += i32[siWord(type, SI.pages)];
  }
  for (const [e, r] of refs) {
    const type = swp_type(e);
    if (type < MAX_SWAPFILES && si_has_clusters(type)) {
      fail('swap-count', `${r} swap PTEs reference free slot ${type}:${swp_offset(e)}`, [e, r]);
    }
  }
  if (si_is_vswap(VSWAP_TYPE)) check_vswap(fail);
  /* rcu: a freed swap table is NULL-filled (seed 002): what a lockless reader holding it would read */
  for (const page of kmem_cache_free_objects(swap_table_cachep)) {
    const base = pageDataWord(page) >> 1;
    for (let off = 0; off < SWAPFILE_CLUSTER; off++) {
      const tb = Atomics.load(A.u64, base + off);
      if (!swp_tb_is_null(tb)) {
        fail('rcu', `swap table page ${page} is free in the slab but slot ${off} holds 0x${tb.toString(16)}: it was freed without being NULL-filled`, [page, off]);
        break;
      }
    }
  }
  const nrSwap = Atomics.load(i32, gword(G.nr_swap_pages));
  if (nrSwap !== totalFree) fail('accounting', `nr_swap_pages ${nrSwap} but the active devices have ${totalFree} free slots`, [nrSwap, totalFree]);
  check_swap_totals(fail, totalPages);
  check_swap_io_events(fail);
  check_avail_list(fail);
  check_device_users(fail);
  check_discard_pending(fail);
  check_dyn_cluster_objects(fail);
  check_swap_table_objects(fail);
  check_kmalloc_pages(fail);
  /* memcg: each memcg's swap charge equals the slots recorded to it */
  for (let m = 1; m < nr_memcg_ids() && !memcgUnknown; m++) {
    if (mem_cgroup_state(m) === 0) continue;
    const charged = mem_cgroup_swap_usage(m);
    const slots = memcgSlots.get(m) ?? 0;
    if (charged !== slots) fail('memcg', `memcg ${m}: swap charge ${charged} but ${slots} slots recorded to it`, [m, charged, slots]);
  }
  check_folios(fail, frames);
  /* An anonymous page mapped writable is mapped once (page_table_check_set(): BUG_ON(anon_map_count > 1 && rw)) */
  for (let pfn = 0; pfn < writable.length; pfn++) {
    if (writable[pfn] > 0 && frames.ptes[pfn] > 1) fail('folio-accounting', `page ${pfn} is mapped writable and by ${frames.ptes[pfn]} PTEs in all: an anonymous page mapped writable more than once (page_table_check_set()'s BUG)`, [pfn, frames.ptes[pfn]]);
  }
  return out;
}
