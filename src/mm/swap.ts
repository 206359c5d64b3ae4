/*
 * mm/swap.h (+ the swp_entry_t helpers of include/linux/swapops.h): swap
 * entries, swap_info_struct fields, clusters and their locks.
 *
 * Model encodings (the model's, not the kernel's PTE format, documented
 * because they show up in reports):
 *  - swp_entry_t is a number: type << SWP_OFFSET_BITS | offset, with 24
 *    offset bits (a 64 GiB device) and 32 types, so entry + i is the i-th
 *    next slot, like entry.val + i in the kernel, and an entry fits the 29
 *    bits a swap PTE has for it (pgtable.ts).
 *  - a device is swap_info[type]; its fields are arena words (SI.*), read
 *    with siWord(type, SI.field).
 *  - a cluster is the word index `ci` of its swap_cluster_info record;
 *    static devices keep cluster_info[] as one block of records; a ghost
 *    device (SWP_GHOST, seed 001 patch 15) keeps each cluster in a
 *    swap_cluster_info_dynamic slab object found through the device's
 *    xarray (si->cluster_info_pool), and 0 is NULL: no cluster there.
 *
 * Kernel mapping: swp_entry/swp_type/swp_offset, swp_cluster_offset,
 * __swap_offset_to_cluster, swap_cluster_lock, swap_cluster_get_and_lock,
 * swap_cluster_unlock, cluster_index/cluster_offset, enum
 * swap_cluster_flags, SWP_* device flags.
 */
import { A } from '../shm/arena.js';
import { CI, CI_DYN, CPU, MAX_SWAPFILES, SI, SWAP_NR_ORDERS, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { BUG, report } from '../shm/report.js';
import { kasan_check_index, kasan_enabled } from '../shm/kasan.js';
import { bug_on, BUG_SCAN_BORDER } from '../shm/bugs.js';
import { xa_load, type XArray } from '../kmem/xarray.js';
import { obj_gen, obj_id_of_word, obj_tag, obj_word, swap_cluster_cachep } from '../kmem/slab.js';
import { cpuWord, thisCpuWord } from '../shm/task.js';
import { percpu_ref_is_zero } from '../sync/percpu_ref.js';
import { LC_CI } from '../sync/lockdep.js';
import { rcu_read_lock, rcu_read_unlock } from '../sync/rcu.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';

/* swap_info_struct->flags */
export const SWP_USED = 1 << 0;
export const SWP_WRITEOK = 1 << 1;
export const SWP_DISCARDABLE = 1 << 2;
export const SWP_DISCARDING = 1 << 3;
export const SWP_SOLIDSTATE = 1 << 4;
export const SWP_BLKDEV = 1 << 6;
export const SWP_ACTIVATED = 1 << 7;
export const SWP_PAGE_DISCARD = 1 << 10;
export const SWP_SYNCHRONOUS_IO = 1 << 12;
export const SWP_GHOST = 1 << 13; /* seed 001 patch 13 */
export const SWP_VSWAP = 1 << 14; /* seed 004: the virtual swap space (vswap_si) */
export const SWP_VSWAP_PHYS = 1 << 15; /* the model's: a physical device backing the virtual swap space (seed 004) */

/* enum swap_cluster_flags: every on-list cluster has a non-zero flag */
export const CLUSTER_FLAG_NONE = 0; /* isolated, off every list */
export const CLUSTER_FLAG_FREE = 1;
export const CLUSTER_FLAG_NONFULL = 2;
export const CLUSTER_FLAG_FRAG = 3;
export const CLUSTER_FLAG_USABLE = CLUSTER_FLAG_FRAG;
export const CLUSTER_FLAG_FULL = 4;
export const CLUSTER_FLAG_DISCARD = 5;
export const CLUSTER_FLAG_DEAD = 6; /* ghost: waiting for kfree_rcu (seed 001 patch 15) */
export const CLUSTER_FLAG_NAMES = ['NONE', 'FREE', 'NONFULL', 'FRAG', 'FULL', 'DISCARD', 'DEAD'];

export const SWAP_ENTRY_INVALID = 0;

/* ---- swp_entry_t ---- */

export const SWP_OFFSET_BITS = 24;
export const SWP_OFFSET_MASK = (1 << SWP_OFFSET_BITS) - 1;

export function swp_entry(type: number, offset: number): number {
  return type * (1 << SWP_OFFSET_BITS) + offset;
}

export function swp_type(entry: number): number {
  return Math.floor(entry / (1 << SWP_OFFSET_BITS));
}

export function swp_offset(entry: number): number {
  return entry & SWP_OFFSET_MASK;
}

/* ---- swap_info_struct ---- */

/** Word index of field @f of swap_info[@type]. */
export function siWord(type: number, f: number): number {
  if (kasan_enabled) kasan_check_index('swap_info', type, MAX_SWAPFILES);
  return A.L.si + type * SI.SIZE + f;
}

export function si_flags(type: number): number {
  return A.i32[siWord(type, SI.flags)];
}

export function si_max(type: number): number {
  return A.i32[siWord(type, SI.max)];
}

/** The users percpu_ref of swap_info[@type]. */
export function si_users(type: number): number {
  return siWord(type, SI.users);
}

export function valid_type(type: number): boolean {
  return Number.isInteger(type) && type >= 0 && type < MAX_SWAPFILES;
}

/* ---- clusters ---- */

/** The device's xarray of dynamic clusters (si->cluster_info_pool). */
export function cluster_pool(type: number): XArray {
  return { root: siWord(type, SI.xa_root), lock: siWord(type, SI.xa_lock) };
}

export function si_is_ghost(type: number): boolean {
  return (si_flags(type) & SWP_GHOST) !== 0;
}

/** Clusters in an xarray, allocated on demand (a ghost device, or the virtual swap space). */
export function si_dynamic(type: number): boolean {
  return (si_flags(type) & (SWP_GHOST | SWP_VSWAP)) !== 0;
}

export function si_is_vswap(type: number): boolean {
  return (si_flags(type) & SWP_VSWAP) !== 0;
}

/** si->global_cluster_next[@order]: its word (an order past the last would be si->avail_next). */
export function si_global_cluster_next(type: number, order: number): number {
  if (kasan_enabled) kasan_check_index('si->global_cluster_next', order, SWAP_NR_ORDERS);
  return siWord(type, SI.global_cluster_next + order);
}

/*
 * percpu_swap_cluster of CPU @cpu: the words of .si[@order] (type + 1, 0
 * for NULL) and .offset[@order] (an order past the last would be the
 * next field).  Context: the CPU's local lock, or swapoff flushing it.
 */
export function pcp_swap_si(cpu: number, order: number): number {
  if (kasan_enabled) kasan_check_index('percpu_swap_cluster.si', order, SWAP_NR_ORDERS);
  return cpuWord(cpu, CPU.pcp_si + order);
}
export function pcp_swap_offset(cpu: number, order: number): number {
  if (kasan_enabled) kasan_check_index('percpu_swap_cluster.offset', order, SWAP_NR_ORDERS);
  return cpuWord(cpu, CPU.pcp_offset + order);
}

/**
 * Word index of cluster @idx: cluster_info[idx] of a static device, or
 * the ghost device's dynamic cluster at @idx (0 if there is none).
 * Context: for a ghost device, rcu_read_lock(), si->lock (listed clusters
 * are in the xarray) or the cluster otherwise pinned.
 */
export function clusterWord(type: number, idx: number): number {
  if (si_dynamic(type)) {
    if (si_is_vswap(type)) return vswap_cluster_lookup(type, idx);
    const id = xa_load(cluster_pool(type), idx);
    return id < 0 ? 0 : obj_word(swap_cluster_cachep, id);
  }
  /* si->cluster_info[idx]: one past the array is the next array of the device's swap block. */
  if (kasan_enabled) kasan_check_index('si->cluster_info', idx, A.i32[siWord(type, SI.nr_clusters)]);
  return A.i32[siWord(type, SI.cluster_base)] + idx * CI.SIZE;
}

/*
 * The virtual swap space's cluster lookup with seed 004's per-CPU cache
 * (patch 22, "vswap: cache cluster lookup"): this CPU's last cluster is
 * used again if its slab object has not been freed since (its generation
 * is unchanged), still has the index and is not DEAD (erased, its index
 * maybe taken by a new cluster); else the xarray, and the cache is
 * refilled.  A freed object's memory stays a cluster object (the slab keeps
 * its pages), so the check itself reads no foreign memory.
 * Context: as clusterWord(): RCU or the cluster otherwise pinned.
 */
function vswap_cluster_lookup(type: number, idx: number): number {
  const i32 = A.i32;
  const w = thisCpuWord(0);
  const ci = i32[w + CPU.vswap_cache_ci];
  if (i32[w + CPU.vswap_cache_idx] === idx + 1) {
    const id = obj_id_of_word(swap_cluster_cachep, ci);
    if (obj_gen(swap_cluster_cachep, id) === i32[w + CPU.vswap_cache_gen] && obj_tag(swap_cluster_cachep, id) === swap_cluster_cachep.liveTag &&
      i32[ci + CI_DYN.index] === idx && ci_flags(ci) !== CLUSTER_FLAG_DEAD) return ci;
  }
  const id = xa_load(cluster_pool(type), idx);
  if (id < 0) return 0;
  i32[w + CPU.vswap_cache_idx] = idx + 1;
  i32[w + CPU.vswap_cache_ci] = obj_word(swap_cluster_cachep, id);
  i32[w + CPU.vswap_cache_gen] = obj_gen(swap_cluster_cachep, id);
  return obj_word(swap_cluster_cachep, id);
}

/** cluster_index(): container_of(ci, ...)->index for a dynamic cluster. */
export function cluster_index(type: number, ci: number): number {
  if (si_dynamic(type)) return A.i32[ci + CI_DYN.index];
  return (ci - A.i32[siWord(type, SI.cluster_base)]) / CI.SIZE;
}

/** Is @ci a dynamic (slab) cluster rather than an element of a static cluster_info[]? */
export function ci_is_dynamic(ci: number): boolean {
  /* Static cluster_info[] arrays live in the devices' swap blocks, dynamic clusters in slab pages. */
  return ci < A.L.swapHeap || ci >= A.L.swapHeap + A.L.swapHeapWords;
}

/**
 * KASAN for dynamic clusters: @ci must still be a live slab object.  A
 * ghost cluster is freed with kfree_rcu(), so a pointer is only good
 * inside the RCU read-side section it was looked up in, or under its lock.
 */
export function ci_check_live(ci: number, what: string): void {
  if (!ci_is_dynamic(ci)) return;
  const id = obj_id_of_word(swap_cluster_cachep, ci);
  if (id < 0 || obj_tag(swap_cluster_cachep, id) !== swap_cluster_cachep.liveTag) {
    BUG('rcu', `BUG: KASAN: slab-use-after-free in ${what}: dynamic swap_cluster_info ${ci} was freed by kfree_rcu() (a ghost cluster used past the RCU section it was looked up in)`, [ci]);
  }
}

/** cluster_offset(): the first slot of cluster @ci. */
export function cluster_offset(type: number, ci: number): number {
  return cluster_index(type, ci) * SWAPFILE_CLUSTER;
}

export function ci_count(ci: number): number {
  return A.i32[ci + CI.count];
}

export function ci_flags(ci: number): number {
  return A.i32[ci + CI.flags];
}

export function ci_order(ci: number): number {
  return A.i32[ci + CI.order];
}

export function cluster_is_empty(ci: number): boolean {
  return ci_count(ci) === 0;
}

export function cluster_is_discard(ci: number): boolean {
  return ci_flags(ci) === CLUSTER_FLAG_DISCARD;
}

/** cluster_table_is_alloced(): is a swap table published for @ci? */
export function cluster_table_is_alloced(ci: number): boolean {
  return A.i32[ci + CI.table] !== 0;
}

/**
 * __swap_offset_to_cluster(): the cluster of slot @offset.
 *
 * The debug check is seed 000's: phase III patch 10 stopped truncating the
 * scan at si->max (the tail of the last cluster is marked bad instead), so a
 * cached next offset may legally point past si->max, up to the cluster
 * border.  Bug switch scan-border restores the check as the patch left it,
 * `offset >= si->max`, which is the WARN syzbot hit.
 *
 * Context: the caller pins the device (get_swap_device() reference, a
 * locked swap cache folio, the PTL over a swap PTE, or RCU/spinlock with
 * swapoff's synchronize_rcu()).  A device whose users already dropped to
 * zero is the swapoff race: reported as device-lifetime, and the cluster
 * memory is gone, so this BUG()s rather than touch it.
 */
export function __swap_offset_to_cluster(type: number, offset: number): number {
  const i32 = A.i32;
  if (percpu_ref_is_zero(si_users(type))) {
    report('device-lifetime', `VM_WARN_ON_ONCE(percpu_ref_is_zero(&si->users)): swap device ${type} used after swapoff (race with swapoff), offset 0x${offset.toString(16)}`, [type, offset]);
  }
  const max = i32[siWord(type, SI.max)];
  if (bug_on(BUG_SCAN_BORDER)) {
    if (offset >= max) report('warn', `offset >= si->max: WARNING at __swap_offset_to_cluster (mm/swap.h), device ${type} offset 0x${offset.toString(16)} max 0x${max.toString(16)}`, [type, offset, max]);
  } else if (offset >= Math.ceil(max / SWAPFILE_CLUSTER) * SWAPFILE_CLUSTER) {
    report('warn', `offset >= roundup(si->max, SWAPFILE_CLUSTER): device ${type} offset 0x${offset.toString(16)} max 0x${max.toString(16)}`, [type, offset, max]);
  }
  if (si_dynamic(type)) {
    rcu_read_lock();
    const ci = clusterWord(type, Math.floor(offset / SWAPFILE_CLUSTER));
    rcu_read_unlock();
    return ci;
  }
  const base = i32[siWord(type, SI.cluster_base)];
  if (base === 0) BUG('device-lifetime', `swap device ${type}: cluster_info already freed by swapoff, offset 0x${offset.toString(16)}`, [type, offset]);
  return base + Math.floor(offset / SWAPFILE_CLUSTER) * CI.SIZE;
}

/**
 * swap_cluster_lock(): lock and return the cluster of @offset.  For a
 * ghost device the cluster may not exist (0 is returned), or be DEAD by
 * the time its lock is taken (seed 001 patch 15: looked up and locked
 * under rcu_read_lock(), DEAD re-checked under the lock): also 0.
 * Context: as __swap_offset_to_cluster(); takes ci->lock.
 */
export function swap_cluster_lock(type: number, offset: number): number {
  if (!si_dynamic(type)) {
    const ci = __swap_offset_to_cluster(type, offset);
    spin_lock(ci + CI.lock, LC_CI);
    return ci;
  }
  rcu_read_lock();
  const ci = __swap_offset_to_cluster(type, offset);
  if (ci !== 0) {
    spin_lock(ci + CI.lock, LC_CI);
    if (ci_flags(ci) === CLUSTER_FLAG_DEAD) {
      spin_unlock(ci + CI.lock);
      rcu_read_unlock();
      return 0;
    }
  }
  rcu_read_unlock();
  return ci;
}

/** swap_cluster_unlock().  Context: caller holds ci->lock. */
export function swap_cluster_unlock(ci: number): void {
  spin_unlock(ci + CI.lock);
}

/** ci_lock(): spin_lock(&ci->lock) on a cluster already resolved. */
export function ci_lock(ci: number): void {
  ci_check_live(ci, 'ci_lock');
  spin_lock(ci + CI.lock, LC_CI);
}
