/*
 * mm/swapfile.c, device lifetime: sys_swapon, sys_swapoff, try_to_unuse
 * (unuse_mm / unuse_pte), setup of clusters and bad slots.
 *
 * si->swap_file is the mount indicator (seed 003): set under swapon_mutex
 * only once the device is fully enabled, cleared under it in swapoff.
 * swapoff order: clear SWP_WRITEOK, wait_for_allocation, try_to_unuse,
 * percpu_ref_kill(&si->users) + synchronize_rcu + wait for users to drain,
 * flush percpu clusters, then free cluster_info and tables (seed 002 moved
 * that free after si->lock is dropped).
 *
 * Errno behaviour (LTP swapon02/03, swapoff02): ENOENT for a missing path,
 * EINVAL for a file that is not a swap area or bad flags, EBUSY for an area
 * already active, EPERM without CAP_SYS_ADMIN and once MAX_SWAPFILES areas
 * are in use; swapoff: ENOENT missing path, EINVAL not an active area.
 */
import { EINTR, EINVAL, ENOENT, ENOMEM, EPERM } from '../include/errno.js';
import { A, gword } from '../shm/arena.js';
import { CI, G, MAX_SWAPFILES, PAGE_SIZE, SI, SWAPFILE_CLUSTER, SWAP_NR_ORDERS, swap_block_layout } from '../shm/layout.js';
import { kvfree_words, kvmalloc_words } from '../kmem/vmalloc.js';
import { report } from '../shm/report.js';
import { bug_on, BUG_GHOST_SWAPOFF_ALLOCATION } from '../shm/bugs.js';
import { LC_CI, LC_SI, LC_SWAP_LOCK, LC_SWAPON_MUTEX } from '../sync/lockdep.js';
import { might_sleep } from '../sync/might_sleep.js';
import { mutex_lock, mutex_unlock } from '../sync/mutex.js';
import { percpu_ref_init, percpu_ref_init_dead, percpu_ref_kill, REF_COMP } from '../sync/percpu_ref.js';
import { rcu_read_lock, rcu_read_unlock, synchronize_rcu } from '../sync/rcu.js';
import { wait_for_completion } from '../sync/completion.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { nr_cpu_ids } from '../shm/task.js';
import { GFP_KERNEL, kmem_cache_zalloc, swap_table_cachep } from '../kmem/slab.js';
import { rcu_assign_pointer } from '../sync/rcu.js';
import { file_kind, file_name, file_rotational, file_synchronous, inode_clear_swapfile, inode_set_swapfile, S_ISBLK, S_ISCHR, vfs_lookup } from '../fs/vfs.js';
import { read_swap_header, swapfile_maximum_size } from './swap_header.js';
import { free_ghost_clusters, setup_ghost_clusters } from './swap_cluster_dynamic.js';
import { phys_in_service, phys_setup, si_is_vswap_phys } from './vswap_phys.js';
import { VSWAP_TYPE } from './vswap.js';
import { vswap_unuse_phys } from './vswap_swapoff.js';
import { list_add_tail, list_init, list_for_flags, si_frag_list, si_nonfull_list } from './cluster_list.js';
import {
  CLUSTER_FLAG_FREE, CLUSTER_FLAG_FULL, CLUSTER_FLAG_NONFULL, SWP_BLKDEV, SWP_GHOST, SWP_VSWAP, SWP_VSWAP_PHYS, SWP_PAGE_DISCARD, SWP_SOLIDSTATE, SWP_SYNCHRONOUS_IO, SWP_USED,
  SWP_WRITEOK, clusterWord, pcp_swap_si, si_dynamic, si_flags, si_global_cluster_next, siWord, swap_cluster_lock, swap_cluster_unlock, swp_entry, swp_type, swp_offset, SWAP_ENTRY_INVALID,
} from './swap.js';
import { __swap_table_get, __swap_table_set, swap_table_get } from './swap_table_arena.js';
import { null_to_swp_tb, SWP_TB_BAD, swp_tb_is_bad, swp_tb_is_folio, swp_tb_is_null } from './swap_table.js';
import { add_to_avail_list, del_from_avail_list, swap_usage_in_pages, swap_usage_retry, SWAP_USAGE_OFFLIST_BIT } from './swap_device.js';
import { folio_free_swap } from './swapfile.js';
import { folio_put_swap } from './swap_count.js';
import { swap_cluster_free_table } from './swap_cluster_table.js';
import { swap_do_scheduled_discard } from './swap_discard.js';
import { folio_matches_swap_entry, swap_cache_get_folio } from './swap_state.js';
import { folio_wait_writeback } from './filemap.js';
import { swapin_readahead } from './swap_readahead.js';
import { folio_get, folio_lock, folio_put, folio_swap, folio_unlock } from './page_alloc.js';
import { is_swap_pte, mm_live, mm_pages, mk_pte, pte_lock, pte_swp_exclusive, pte_to_swp_entry, pte_unlock, ptep_get, set_pte } from './pgtable.js';
import { folio_add_anon_rmap_ptes, folio_add_new_anon_rmap, folio_anon_vma } from './rmap.js';
import { swap_design } from './swap_design.js';
import { try_to_free_pages } from './vmscan.js';
import { swap_meta_static } from './swap_meta.js';
import { SIZEOF_SWAP_CLUSTER_INFO, SWAP_CGROUP_BYTES_PER_SLOT, SWAP_MAP_BYTES_PER_SLOT, VSWAP_PHYS_BITS_PER_SLOT, ZEROMAP_BITS_PER_SLOT } from './kernel_sizes.js';
import { zswap_swapoff, zswap_swapon } from './zswap.js';

export const SWAP_FLAG_PREFER = 0x8000;
/*
 * The priority of a device swapped on without one (mm/swapfile.c,
 * linux-mm): every such device shares it, and swap_alloc_slow()'s
 * plist_requeue() takes them in turn.  (Before "mm/swapfile.c: select swap
 * devices of default priority round robin" each got its own, from -2
 * down, and they were used one after the other.)
 */
export const DEF_SWAP_PRIO = -1;
export const SWAP_FLAG_PRIO_MASK = 0x7fff;
export const SWAP_FLAG_DISCARD = 0x10000;
export const SWAP_FLAG_DISCARD_ONCE = 0x20000;
export const SWAP_FLAG_DISCARD_PAGES = 0x40000;
export const SWAP_FLAGS_VALID = SWAP_FLAG_PRIO_MASK | SWAP_FLAG_PREFER | SWAP_FLAG_DISCARD | SWAP_FLAG_DISCARD_ONCE | SWAP_FLAG_DISCARD_PAGES;

/* alloc_swap_info(): claim a free swap_info slot, or -EPERM past MAX_SWAPFILES. */
function alloc_swap_info(): number {
  spin_lock(gword(G.swap_lock), LC_SWAP_LOCK);
  let type = -EPERM;
  for (let t = 0; t < MAX_SWAPFILES; t++) {
    if (si_flags(t) & SWP_USED) continue;
    A.i32.fill(0, siWord(t, 0), siWord(t, SI.SIZE));
    /*
     * PERCPU_REF_INIT_DEAD: until enable_swap_info() brings the users ref to
     * life, get_swap_device() on an entry of this type must fail - a stale
     * swap PTE of the device swapped off before may be faulted meanwhile
     * (a zeroed ref read as live: the fuzzer found it).
     */
    percpu_ref_init_dead(siWord(t, SI.users));
    Atomics.store(A.i32, siWord(t, SI.inuse_pages), SWAP_USAGE_OFFLIST_BIT); /* off swap_avail_head until enabled */
    Atomics.store(A.i32, siWord(t, SI.flags), SWP_USED);
    A.i32[siWord(t, SI.type)] = t;
    type = t;
    break;
  }
  spin_unlock(gword(G.swap_lock));
  return type;
}

function release_swap_info(type: number): void {
  spin_lock(gword(G.swap_lock), LC_SWAP_LOCK);
  Atomics.store(A.i32, siWord(type, SI.flags), 0);
  spin_unlock(gword(G.swap_lock));
}

/* INIT_LIST_HEAD() of the device's cluster lists. */
function init_cluster_lists(type: number): void {
  for (const l of [SI.free_clusters, SI.full_clusters, SI.discard_clusters]) list_init(siWord(type, l));
  for (let o = 0; o < SWAP_NR_ORDERS; o++) {
    list_init(si_nonfull_list(type, o));
    list_init(si_frag_list(type, o));
  }
}

/*
 * setup_clusters(): cluster_info for @maxpages slots; the header slot, the
 * bad pages and the tail of the last cluster past maxpages are marked bad
 * in the table (phase III: no truncated scan border needed).  Clusters
 * with bad slots start on nonfull[0], others free with no table.
 * Returns the number of bad slots below maxpages, or -ENOMEM.
 */
function setup_clusters(type: number, maxpages: number, badPages: number[], ghost: boolean): number {
  const i32 = A.i32;
  if (!alloc_swap_block(type, maxpages, ghost, false)) return -ENOMEM;
  const nrClusters = Math.ceil(maxpages / SWAPFILE_CLUSTER);
  if (ghost) {
    /* No static metadata at all: clusters come and go in the xarray (seed 001 patch 15). */
    for (const f of [SI.meta_cluster_info, SI.meta_swap_cgroup, SI.meta_zeromap, SI.meta_swap_map]) swap_meta_static(type, f, 0);
    init_cluster_lists(type);
    if (!zswap_swapon(type)) return -ENOMEM;
    return setup_ghost_clusters(type, maxpages);
  }
  const base = i32[siWord(type, SI.cluster_base)];
  i32.fill(0, base, base + nrClusters * CI.SIZE);
  i32[siWord(type, SI.nr_clusters)] = nrClusters;
  for (let idx = 0; idx < nrClusters; idx++) i32[clusterWord(type, idx) + CI.si_type] = type;
  swap_design().swaponDevice(type); /* p2/p3: si->swap_map, si->zeromap and the swap_cgroup array */
  if (!zswap_swapon(type)) return -ENOMEM;
  swap_meta_static(type, SI.meta_cluster_info, nrClusters * SIZEOF_SWAP_CLUSTER_INFO[swap_design().name]);
  swap_meta_static(type, SI.meta_swap_cgroup, swap_design().memcgInShadow ? 0 : maxpages * SWAP_CGROUP_BYTES_PER_SLOT);
  swap_meta_static(type, SI.meta_zeromap, swap_design().tb.hasZeroFlag ? 0 : Math.ceil((maxpages * ZEROMAP_BITS_PER_SLOT) / 8));
  swap_meta_static(type, SI.meta_swap_map, swap_design().countInTable ? 0 : maxpages * SWAP_MAP_BYTES_PER_SLOT);
  init_cluster_lists(type);
  const bad = new Set<number>([0, ...badPages.filter((p) => p < maxpages)]);
  for (let p = maxpages; p < nrClusters * SWAPFILE_CLUSTER; p++) bad.add(p);
  for (const p of bad) {
    const ci = clusterWord(type, Math.floor(p / SWAPFILE_CLUSTER));
    if (i32[ci + CI.table] === 0) {
      const t = kmem_cache_zalloc(swap_table_cachep, GFP_KERNEL);
      if (t < 0) return -ENOMEM;
      rcu_assign_pointer(ci + CI.table, t + 1);
    }
    spin_lock(ci + CI.lock, LC_CI);
    __swap_table_set(ci, p % SWAPFILE_CLUSTER, SWP_TB_BAD);
    spin_unlock(ci + CI.lock);
    i32[ci + CI.count]++;
  }
  for (let idx = 0; idx < nrClusters; idx++) {
    const ci = clusterWord(type, idx);
    i32[ci + CI.prev] = -1;
    i32[ci + CI.next] = -1;
    const count = i32[ci + CI.count];
    const flags = count === 0 ? CLUSTER_FLAG_FREE : count === SWAPFILE_CLUSTER ? CLUSTER_FLAG_FULL : CLUSTER_FLAG_NONFULL;
    list_add_tail(type, list_for_flags(type, flags, 0), idx);
    i32[ci + CI.flags] = flags;
  }
  let belowMax = 0;
  for (const p of bad) if (p < maxpages) belowMax++;
  return belowMax;
}

/*
 * The kvcalloc()s of swapon: the device's swap block (swap_block_layout())
 * from the swap heap, its arrays' bases in si.  O(1): the arrays are
 * initialised by their setup (O(clusters), or O(slots) for the side arrays
 * of phases II/III, which the kernel's vzalloc clears too).  False when the
 * heap has no room (-ENOMEM).  Context: swapon, before the device is visible.
 */
function alloc_swap_block(type: number, maxpages: number, ghost: boolean, phys: boolean): boolean {
  const d = swap_design();
  const stat = !ghost && !phys;
  const b = swap_block_layout(maxpages, {
    clusters: stat, backing: !ghost, phys,
    zeromap: stat && !d.tb.hasZeroFlag, swapCgroup: stat && !d.memcgInShadow, swapMap: stat && !d.countInTable,
  });
  const base = kvmalloc_words(b.SIZE);
  if (base < 0) return false;
  const i32 = A.i32;
  const at = (off: number): number => (off < 0 ? 0 : base + off);
  i32[siWord(type, SI.block_base)] = base;
  i32[siWord(type, SI.block_words)] = b.SIZE;
  i32[siWord(type, SI.cluster_base)] = at(b.clusters);
  i32[siWord(type, SI.backing_base)] = at(b.backing);
  i32[siWord(type, SI.zswap_base)] = at(b.zswap);
  i32[siWord(type, SI.zeromap_base)] = at(b.zeromap);
  i32[siWord(type, SI.swap_cgroup_base)] = at(b.swapCgroup);
  i32[siWord(type, SI.swap_map_base)] = at(b.swapMap);
  i32[siWord(type, SI.phys_base)] = at(b.phys);
  return true;
}

/* kvfree() of the device's swap block, if it has one.  Context: swapoff or a failed swapon, the device unused. */
function free_swap_block(type: number): void {
  const i32 = A.i32;
  const base = i32[siWord(type, SI.block_base)];
  if (base === 0) return;
  kvfree_words(base, i32[siWord(type, SI.block_words)]);
  for (const f of [SI.block_base, SI.block_words, SI.cluster_base, SI.backing_base, SI.zswap_base, SI.zeromap_base, SI.swap_cgroup_base, SI.swap_map_base, SI.phys_base]) i32[siWord(type, f)] = 0;
}

/* free_swap_cluster_info(): tables of a device being swapped off; only bad slots remain. */
function free_swap_cluster_info(base: number, maxpages: number): void {
  const nrClusters = Math.ceil(maxpages / SWAPFILE_CLUSTER);
  for (let idx = 0; idx < nrClusters; idx++) {
    const ci = base + idx * CI.SIZE;
    spin_lock(ci + CI.lock, LC_CI);
    if (A.i32[ci + CI.table] !== 0) {
      let bad = 0;
      for (let off = 0; off < SWAPFILE_CLUSTER; off++) {
        const tb = __swap_table_get(ci, off);
        if (swp_tb_is_bad(tb)) {
          bad++;
          __swap_table_set(ci, off, null_to_swp_tb());
        } else if (!swp_tb_is_null(tb)) {
          report('device-lifetime', `swapoff: unclean swap space: cluster ${idx} slot ${off} = 0x${tb.toString(16)}`, [idx, off]);
        }
      }
      if (bad !== A.i32[ci + CI.count]) report('cluster-count', `swapoff: cluster ${idx} count ${A.i32[ci + CI.count]} != ${bad} bad slots`, [idx]);
      A.i32[ci + CI.count] = 0;
      swap_cluster_free_table(ci);
    }
    A.i32[ci + CI.flags] = 0;
    spin_unlock(ci + CI.lock);
  }
}

export interface SwaponOptions {
  flags?: number;
  /** capable(CAP_SYS_ADMIN) of the caller. */
  capable?: boolean;
}

/**
 * sys_swapon(): 0 or -errno.  Context: process context, sleeps.
 */
export function sys_swapon(path: string, opts: SwaponOptions = {}): number {
  const flags = opts.flags ?? 0;
  if (flags & ~SWAP_FLAGS_VALID) return -EINVAL;
  if (opts.capable === false) return -EPERM;
  might_sleep('sys_swapon');
  const type = alloc_swap_info();
  if (type < 0) return type;
  const id = vfs_lookup(path);
  if (id < 0) {
    release_swap_info(type);
    return id;
  }
  const claimed = inode_set_swapfile(id, type);
  if (claimed < 0) {
    release_swap_info(type);
    return claimed;
  }
  /*
   * /dev/ghostswap (seed 001 patches 14-15): a ghost device eight times
   * the RAM, synthesised without a header; a one-page swapfile is a ghost
   * of the size its header says (patch 13).  Only the ghost design has them.
   */
  let maxpages: number;
  let badPages: number[];
  let ghost: boolean;
  if (S_ISCHR(file_kind(id)) && swap_design().name === 'ghost') {
    maxpages = Math.min(ghost_swap_pages(A.L.config.nrFrames), swapfile_maximum_size());
    badPages = [];
    ghost = true;
  } else {
    const hdr = read_swap_header(id);
    if (hdr.maxpages === 0 || !('badPages' in hdr)) {
      inode_clear_swapfile(id);
      release_swap_info(type);
      return -EINVAL;
    }
    maxpages = hdr.maxpages;
    badPages = hdr.badPages;
    ghost = hdr.ghost;
  }
  const i32 = A.i32;
  /* Under virtual swap (seed 004) a device is only a backing store: bitmaps and a reverse map, no clusters. */
  const phys = swap_design().name === 'vswap' && !ghost;
  i32[siWord(type, SI.max)] = maxpages;
  /* A ghost has no bdev and no data section (alloc_swap_block() gives it none): nothing to write to. */
  if (ghost) Atomics.store(i32, siWord(type, SI.flags), SWP_USED | SWP_GHOST);
  const nrBad = phys ? setup_phys(type, maxpages, badPages) : setup_clusters(type, maxpages, badPages, ghost);
  /*
   * Not one slot to hand out (every page bad, or a ghost swapfile of one
   * cluster: its cluster 0 is never used): the kernel's "Empty swap-file",
   * -EINVAL.  On swap_avail_head such a device would only fail every
   * allocation tried there (see the top of src/mm/swap_cluster_dynamic.ts).
   */
  const err = nrBad < 0 ? nrBad : nrBad === maxpages ? -EINVAL : 0;
  if (err) {
    /* The kernel's free_swap_zswap: label: an error after zswap_swapon() frees the tree (a no-op before it, or if it failed). */
    zswap_swapoff(type);
    if (ghost) free_ghost_clusters(type);
    else if (i32[siWord(type, SI.cluster_base)] !== 0) free_swap_cluster_info(i32[siWord(type, SI.cluster_base)], maxpages);
    i32[siWord(type, SI.cluster_base)] = 0;
    free_swap_block(type);
    inode_clear_swapfile(id);
    release_swap_info(type);
    return err;
  }
  const pages = maxpages - nrBad;
  i32[siWord(type, SI.pages)] = pages;
  i32[siWord(type, SI.nr_bad)] = nrBad;
  let f = SWP_USED;
  if (phys) f |= SWP_VSWAP_PHYS;
  if (ghost) f |= SWP_GHOST | SWP_SOLIDSTATE;
  else if (S_ISBLK(file_kind(id))) f |= SWP_BLKDEV | (file_synchronous(id) ? SWP_SYNCHRONOUS_IO : 0);
  if (ghost) {
    /* SSD-like: no rotation, no discard (si->bdev is NULL). */
  } else if (!file_rotational(id)) f |= SWP_SOLIDSTATE;
  else Atomics.add(i32, gword(G.nr_rotate_swap), 1);
  if ((flags & SWAP_FLAG_DISCARD) && (f & SWP_SOLIDSTATE) && !ghost) f |= SWP_PAGE_DISCARD;
  Atomics.store(i32, siWord(type, SI.flags), f);
  for (let o = 0; o < SWAP_NR_ORDERS; o++) i32[si_global_cluster_next(type, o)] = SWAP_ENTRY_INVALID;

  mutex_lock(gword(G.swapon_mutex), LC_SWAPON_MUTEX);
  i32[siWord(type, SI.prio)] = flags & SWAP_FLAG_PREFER ? flags & SWAP_FLAG_PRIO_MASK : DEF_SWAP_PRIO;
  i32[siWord(type, SI.swap_file)] = id + 1;
  /* enable_swap_info(): users live again, then WRITEOK and the counters. */
  percpu_ref_init(siWord(type, SI.users), type);
  if (phys) enable_phys(type);
  else _enable_swap_info(type);
  mutex_unlock(gword(G.swapon_mutex));
  return 0;
}

/** /dev/ghostswap's size for a RAM of @nrFrames (seed 001 patch 15: round_up(totalram_pages, SWAPFILE_CLUSTER) * 8). */
export function ghost_swap_pages(nrFrames: number): number {
  return Math.ceil(nrFrames / SWAPFILE_CLUSTER) * SWAPFILE_CLUSTER * 8;
}

/* A physical device under vswap: its bitmaps, and their static size. */
function setup_phys(type: number, maxpages: number, badPages: number[]): number {
  if (!alloc_swap_block(type, maxpages, false, true)) return -ENOMEM;
  for (const f of [SI.meta_cluster_info, SI.meta_swap_cgroup, SI.meta_zeromap, SI.meta_swap_map]) swap_meta_static(type, f, 0);
  swap_meta_static(type, SI.meta_bitmaps, Math.ceil((maxpages * VSWAP_PHYS_BITS_PER_SLOT) / 8));
  init_cluster_lists(type); /* empty: no clusters, so nothing to discard either */
  return phys_setup(type, maxpages, badPages);
}

/*
 * A physical device goes into (or back into) service under vswap: its
 * slots are for vswap_alloc_swap_slot(), not the swap space's size - the
 * virtual space is - so it is not on swap_avail_head and not in
 * nr_swap_pages.  Context: takes si->lock.
 */
function enable_phys(type: number): void {
  spin_lock(siWord(type, SI.lock), LC_SI);
  Atomics.or(A.i32, siWord(type, SI.flags), SWP_WRITEOK);
  phys_in_service(type, true);
  spin_unlock(siWord(type, SI.lock));
}

/**
 * vswap_init(): the virtual swap space, vswap_si (seed 004): swap_info 0,
 * dynamic clusters in an xarray, as large as the arena allows, always on.
 * Context: boot, before any swapon.
 */
export function vswap_init(): void {
  const type = alloc_swap_info();
  if (type !== VSWAP_TYPE) throw new Error(`vswap_init: the virtual swap space must be swap_info ${VSWAP_TYPE}, got ${type}`);
  const i32 = A.i32;
  const maxpages = A.L.config.maxSwapPages;
  i32[siWord(type, SI.max)] = maxpages;
  Atomics.store(i32, siWord(type, SI.flags), SWP_USED | SWP_VSWAP);
  const nrBad = setup_clusters(type, maxpages, [], true);
  if (nrBad < 0) throw new Error('vswap_init: no memory for the virtual swap space');
  i32[siWord(type, SI.pages)] = maxpages - nrBad;
  i32[siWord(type, SI.nr_bad)] = nrBad;
  Atomics.store(i32, siWord(type, SI.flags), SWP_USED | SWP_VSWAP | SWP_SOLIDSTATE);
  i32[siWord(type, SI.prio)] = 0x7fff;
  percpu_ref_init(siWord(type, SI.users), type);
  _enable_swap_info(type);
}

/*
 * unuse_pte(): replace the swap PTE at @index with the swap cache folio's
 * page: mapped read-only (a private mapping's vm_page_prot), exclusive if
 * the swap PTE was (a later write fault reuses it), the swap count put.
 * Returns 1 done, 0 skipped (the PTE changed).
 * Context: folio locked, in the swap cache, uptodate.
 */
function unuse_pte(mm: number, index: number, entry: number, folio: number): number {
  if (!folio_matches_swap_entry(folio, entry)) return 0;
  pte_lock(mm, index);
  const pte = ptep_get(mm, index);
  if (!is_swap_pte(pte) || pte_to_swp_entry(pte) !== entry) {
    pte_unlock(mm, index);
    return 0;
  }
  const idx = entry - folio_swap(folio);
  if (folio_anon_vma(folio) < 0) folio_add_new_anon_rmap(folio, mm, index - idx, pte_swp_exclusive(pte));
  set_pte(mm, index, mk_pte(folio + idx));
  folio_add_anon_rmap_ptes(folio, folio + idx, 1, pte_swp_exclusive(pte));
  folio_get(folio);
  folio_put_swap(folio, idx);
  pte_unlock(mm, index);
  return 1;
}

/* unuse_one(): swap in the PTE at @index if it still points into @type: 0, or -ENOMEM. */
function unuse_one(mm: number, index: number, type: number): number {
  const pte = ptep_get(mm, index);
  if (!is_swap_pte(pte) || swp_type(pte_to_swp_entry(pte)) !== type) return 0;
  const entry = pte_to_swp_entry(pte);
  let folio = swap_cache_get_folio(entry);
  if (folio < 0) folio = swapin_readahead(entry, mm, index);
  if (folio < 0) {
    if (ptep_get(mm, index) !== pte) return 0;
    if (swap_slot_peek(type, swp_offset(entry)).count <= 0) return 0;
    return -ENOMEM;
  }
  folio_lock(folio);
  folio_wait_writeback(folio);
  const r = unuse_pte(mm, index, entry, folio);
  if (r >= 0) folio_free_swap(folio);
  folio_unlock(folio);
  folio_put(folio);
  return r < 0 ? r : 0;
}

/*
 * find_next_to_unuse()'s lockless look at slot @offset: its table entry,
 * read in one RCU section with the cluster lookup (a ghost cluster may
 * be freed as soon as the section ends, seed 001 patch 15); NULL where a
 * ghost device has no cluster.  @count also gives the swap count.
 * Context: swapoff: the device's users are still live.
 */
function swap_slot_peek(type: number, offset: number): { tb: bigint; count: number } {
  rcu_read_lock();
  const ci = clusterWord(type, Math.floor(offset / SWAPFILE_CLUSTER));
  const off = offset % SWAPFILE_CLUSTER;
  const tb = swap_table_get(ci, off);
  const count = ci === 0 ? 0 : swap_design().countOf(ci, off, tb);
  rcu_read_unlock();
  return { tb, count };
}

/* Direct reclaim rounds unuse_mm() tries before it gives up with -ENOMEM. */
const UNUSE_RECLAIM_RETRIES = 8;
const UNUSE_RECLAIM_PAGES = 64;

/*
 * unuse_mm(): swap in every PTE of @mm that points into @type.  A failed
 * allocation enters direct reclaim (which swaps other pages out to the
 * devices still in service) and retries, as the swap-in's GFP_HIGHUSER
 * allocation would; only when that frees nothing is it -ENOMEM.
 */
function unuse_mm(mm: number, type: number): number {
  for (let index = 0; index < mm_pages(); index++) {
    let err = unuse_one(mm, index, type);
    for (let retry = 0; err === -ENOMEM && retry < UNUSE_RECLAIM_RETRIES; retry++) {
      if (try_to_free_pages(UNUSE_RECLAIM_PAGES) === 0) break;
      err = unuse_one(mm, index, type);
    }
    if (err) return err;
  }
  return 0;
}

/**
 * try_to_unuse(): bring every entry of @type back into memory and empty
 * its swap cache.  Loops until the device is unused (reclaim racing with
 * us can re-insert entries), with a bound so a leak shows as -EINTR
 * rather than a hang.
 */
export function try_to_unuse(type: number): number {
  for (let pass = 0; pass < 1000; pass++) {
    if (swap_usage_in_pages(type) === 0) return 0;
    for (let mm = 0; mm < A.L.config.nrMms; mm++) {
      if (!mm_live(mm)) continue;
      const err = unuse_mm(mm, type);
      if (err) return err;
    }
    const max = A.i32[siWord(type, SI.max)];
    for (let i = 1; i < max && swap_usage_in_pages(type) > 0; i++) {
      if (!swp_tb_is_folio(swap_slot_peek(type, i).tb)) continue;
      const folio = swap_cache_get_folio(swp_entry(type, i));
      if (folio < 0) continue;
      /*
       * It is conceivable that a racing task removed this folio from swap
       * cache just before we acquired the page lock; folio_free_swap()
       * only removes stale folios.  A folio under writeback (reclaim's, or
       * zswap writeback's, which leaves it clean in the swap cache) is
       * waited for: folio_free_swap() keeps it while the write is in
       * flight, and the next pass would find it again.
       */
      folio_lock(folio);
      folio_wait_writeback(folio);
      folio_free_swap(folio);
      folio_unlock(folio);
      folio_put(folio);
    }
    might_sleep('try_to_unuse');
    swap_usage_retry(type);
  }
  return swap_usage_in_pages(type) === 0 ? 0 : -EINTR;
}

/*
 * _enable_swap_info(): put the device (back) in service: its pages count
 * again, and add_to_avail_list() sets SWP_WRITEOK and puts it on
 * swap_avail_head.  Used by
 * swapon (after the users ref is live) and by a failed swapoff
 * (reinsert_swap_info, where the ref never died).
 * Context: takes swap_lock, si->lock, swap_avail_lock.
 */
function _enable_swap_info(type: number): void {
  const i32 = A.i32;
  const pages = i32[siWord(type, SI.pages)];
  spin_lock(gword(G.swap_lock), LC_SWAP_LOCK);
  spin_lock(siWord(type, SI.lock), LC_SI);
  Atomics.add(i32, gword(G.nr_swap_pages), pages);
  Atomics.add(i32, gword(G.total_swap_pages), pages);
  add_to_avail_list(type, true);
  spin_unlock(siWord(type, SI.lock));
  spin_unlock(gword(G.swap_lock));
}

/*
 * wait_for_allocation(): WRITEOK is clear, so no allocation starts any
 * more; one that saw WRITEOK under a cluster lock may still be in flight,
 * and try_to_unuse() could see inuse_pages at 0 before it lands.  Taking
 * every cluster's lock once waits for them.
 *
 * Seed 001 patch 15 returns early for a ghost device ("its clusters come
 * and go").  The model found that this lets an allocation in flight on a
 * ghost cluster land after try_to_unuse() finished: swapoff frees the
 * clusters under slots that PTEs still name.  Every cluster that can hold
 * such an allocation is in the xarray at that moment (the check is made
 * under its lock, and a cluster published later sees WRITEOK clear), so
 * the model waits on each of them; bug switch ghost-swapoff-allocation
 * keeps the RFC's early return.
 * Context: process context; takes each ci->lock in turn.
 */
function wait_for_allocation(type: number): void {
  if (si_dynamic(type) && bug_on(BUG_GHOST_SWAPOFF_ALLOCATION)) return;
  const end = A.i32[siWord(type, SI.nr_clusters)] * SWAPFILE_CLUSTER; /* ALIGN(si->max, SWAPFILE_CLUSTER) */
  for (let offset = 0; offset < end; offset += SWAPFILE_CLUSTER) {
    /* A ghost device's cluster may be absent or DEAD: nothing in flight there. */
    const ci = swap_cluster_lock(type, offset);
    if (ci !== 0) swap_cluster_unlock(ci);
  }
}

/**
 * sys_swapoff(): 0 or -errno.  Context: process context, sleeps.
 */
export function sys_swapoff(path: string, opts: { capable?: boolean } = {}): number {
  if (opts.capable === false) return -EPERM;
  might_sleep('sys_swapoff');
  const id = vfs_lookup(path);
  if (id < 0) return id === -ENOENT ? -ENOENT : id;
  const i32 = A.i32;
  spin_lock(gword(G.swap_lock), LC_SWAP_LOCK);
  let type = -1;
  for (let t = 0; t < MAX_SWAPFILES; t++) {
    if ((si_flags(t) & SWP_WRITEOK) && i32[siWord(t, SI.swap_file)] === id + 1) type = t;
  }
  if (type < 0) {
    spin_unlock(gword(G.swap_lock));
    return -EINVAL;
  }
  const pages = i32[siWord(type, SI.pages)];
  const phys = si_is_vswap_phys(type);
  spin_lock(siWord(type, SI.lock), LC_SI);
  if (phys) {
    /* vswap_alloc_swap_slot() re-checks WRITEOK under this lock: no new physical slots from here on. */
    Atomics.and(i32, siWord(type, SI.flags), ~SWP_WRITEOK);
    phys_in_service(type, false);
  } else {
    del_from_avail_list(type, true);
    /* The kernel subtracts all of p->pages: freeing the in-use slots adds them back. */
    Atomics.sub(i32, gword(G.nr_swap_pages), pages);
    Atomics.sub(i32, gword(G.total_swap_pages), pages);
  }
  spin_unlock(siWord(type, SI.lock));
  spin_unlock(gword(G.swap_lock));

  const ghost = si_dynamic(type);
  const base = i32[siWord(type, SI.cluster_base)];
  if (!phys) wait_for_allocation(type);

  /* Under vswap no page table is walked: each slot's data moves into its virtual slot's swap cache. */
  const err = phys ? vswap_unuse_phys(type) : try_to_unuse(type);
  if (err) {
    if (phys) enable_phys(type);
    else _enable_swap_info(type); /* reinsert_swap_info() */
    return err;
  }
  /* Wait for swap operations protected by get/put_swap_device() to complete. */
  percpu_ref_kill(siWord(type, SI.users));
  synchronize_rcu();
  wait_for_completion(siWord(type, SI.users) + REF_COMP);
  swap_do_scheduled_discard(type);
  /* flush_percpu_swap_cluster() */
  for (let cpu = 0; cpu < nr_cpu_ids(); cpu++) {
    for (let o = 0; o < SWAP_NR_ORDERS; o++) Atomics.compareExchange(i32, pcp_swap_si(cpu, o), type + 1, 0);
  }
  if (!(si_flags(type) & SWP_SOLIDSTATE)) Atomics.sub(i32, gword(G.nr_rotate_swap), 1);

  mutex_lock(gword(G.swapon_mutex), LC_SWAPON_MUTEX);
  spin_lock(gword(G.swap_lock), LC_SWAP_LOCK);
  spin_lock(siWord(type, SI.lock), LC_SI);
  i32[siWord(type, SI.swap_file)] = 0;
  const maxpages = i32[siWord(type, SI.max)];
  i32[siWord(type, SI.max)] = 0;
  i32[siWord(type, SI.cluster_base)] = 0;
  for (const f of [SI.meta_cluster_info, SI.meta_swap_cgroup, SI.meta_zeromap, SI.meta_swap_map, SI.meta_bitmaps]) swap_meta_static(type, f, 0); /* freed with them */
  spin_unlock(siWord(type, SI.lock));
  spin_unlock(gword(G.swap_lock));
  mutex_unlock(gword(G.swapon_mutex));
  if (ghost) free_ghost_clusters(type);
  else if (!phys) free_swap_cluster_info(base, maxpages);
  zswap_swapoff(type);
  free_swap_block(type);

  inode_clear_swapfile(id);
  release_swap_info(type);
  return 0;
}

/*
 * mangle_path() as seq_file_path(m, file, " \t\n\\") applies it: each
 * byte of @esc in the path becomes a backslash and three octal digits.
 * Returns the text and its length in bytes (what seq_file_path returns).
 */
function seq_file_path(path: string, esc: string): { text: string; len: number } {
  let text = '';
  for (const ch of path) text += esc.includes(ch) ? `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}` : ch;
  return { text, len: new TextEncoder().encode(text).length };
}

/* K(x): pages to KiB, x << (PAGE_SHIFT - 10). */
function K(pages: number): number {
  return pages * (PAGE_SIZE / 1024);
}

/* swap_type_str() (seed 001 patch 13): a ghost device, else partition (S_ISBLK) or file. */
function swap_type_str(type: number, file: number): string {
  if (si_flags(type) & SWP_GHOST) return 'ghost\t';
  return S_ISBLK(file_kind(file)) ? 'partition' : 'file\t';
}

/* swap_show(): one device's line.  Context: swapon_mutex held. */
function swap_show(type: number, file: number): string {
  const bytes = K(A.i32[siWord(type, SI.pages)]);
  const inuse = K(swap_usage_in_pages(type));
  const { text, len } = seq_file_path(file_name(file), ' \t\n\\');
  /* "%*s%s\t%lu\t%s%lu\t%s%d\n" */
  return `${text}${' '.repeat(len < 40 ? 40 - len : 1)}${swap_type_str(type, file)}\t${bytes}\t${bytes < 10000000 ? '\t' : ''}` +
    `${inuse}\t${inuse < 10000000 ? '\t' : ''}${A.i32[siWord(type, SI.prio)]}\n`;
}

/**
 * /proc/swaps, as swap_start/swap_show print it: the header, then one line
 * per device whose swap_file is set (seed 003's mount indicator, so a
 * device under swapoff is still listed), Size and Used in KiB.  The
 * virtual swap space of seed 004 has no swap_file and is not listed, as
 * in the series; its physical devices are listed like any device.
 * Context: process context; takes swapon_mutex.
 */
export function proc_swaps(): string {
  mutex_lock(gword(G.swapon_mutex), LC_SWAPON_MUTEX);
  let out = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n';
  for (let t = 0; t < MAX_SWAPFILES; t++) {
    const f = A.i32[siWord(t, SI.swap_file)];
    if (f !== 0) out += swap_show(t, f - 1);
  }
  mutex_unlock(gword(G.swapon_mutex));
  return out;
}
