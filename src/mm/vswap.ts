/*
 * mm/vswap.c (seed 004, "Virtual Swap Space"): the virtual swap space and
 * each virtual slot's backing.
 *
 * Page tables hold virtual swap entries of one always-present device,
 * vswap_si (type VSWAP_TYPE, SWP_VSWAP), whose clusters are dynamic: they
 * live in the sparse index (an xarray) and are allocated on demand, the
 * ghost device's machinery (src/mm/swap_cluster_dynamic.ts).  Per slot the
 * seed keeps a 24-byte descriptor (backing slot or zswap entry, swap cache
 * folio or shadow, swap count, memcg id, in-swapcache bit, backend type).
 * The model keeps the same facts in two places, as the later vswap on top
 * of the swap table does: the swap table word (folio or shadow, count,
 * zero flag) and a per-cluster virtual table (ci_dyn->virtual_table: the
 * backend tag and physical slot, and the memcg id).  Metadata memory is
 * charged at the seed's descriptor size (src/mm/kernel_sizes.ts).
 *
 * A slot's backend (enum vswap_backing_type):
 *   VSWAP_SWAPFILE  a physical slot on a swap device (src/mm/vswap_phys.ts)
 *   VSWAP_ZSWAP     a zswap entry
 *   VSWAP_ZERO      a zero-filled page (the table's zero flag)
 *   VSWAP_FOLIO     only the swap cache folio (after swapoff, or rejected)
 * Backends change only with the swap cache folio locked (writeout, zswap
 * writeback, swapoff) or when the slot is freed, and always under the
 * slot's ci->lock: a reader that holds the folio lock reads one backend.
 *
 * Kernel mapping: vswap_init, __vswap_release_backing, vswap_zswap_store,
 * vswap_check_backing, vswap_store_phys (vswap_prepare_writeout), the
 * virtual table accessors.
 */
import { A } from '../shm/arena.js';
import { CI, CI_DYN } from '../shm/layout.js';
import { pageDataWord } from '../kmem/page_pool.js';
import { lockdep_assert_held } from '../sync/lockdep.js';
import { cluster_offset, swp_entry } from './swap.js';
import { __swap_table_get } from './swap_table_arena.js';
import { swp_tb_is_folio, swp_tb_test_zero, SWP_TB_P4 } from './swap_table.js';
import { zswap_invalidate } from './zswap.js';
import { swap_slot_free } from './vswap_phys.js';

/** vswap_si: the virtual swap space is the first swap_info, made at boot. */
export const VSWAP_TYPE = 0;

export const VSWAP_NONE = 0;
export const VSWAP_SWAPFILE = 1;
export const VSWAP_ZSWAP = 2;
/* Synthesised from the swap table by vswap_check_backing(), never stored. */
export const VSWAP_ZERO = 3;
export const VSWAP_FOLIO = 4;
export const VSWAP_TYPE_NAMES = ['none', 'swapfile', 'zswap', 'zero', 'folio'];

const TAG_MASK = 7;
const MEMCG_SHIFT = 4;

/* Word of slot @off's [tag | memcg << 4, physical entry] pair. */
function vtableWord(ci: number, off: number): number {
  return pageDataWord(A.i32[ci + CI_DYN.vtable] - 1) + 2 * off;
}

/** The stored tag (NONE, SWAPFILE or ZSWAP).  Context: ci->lock held (or quiescent). */
export function __vtable_tag(ci: number, off: number): number {
  return Atomics.load(A.i32, vtableWord(ci, off)) & TAG_MASK;
}

/** The physical entry of a SWAPFILE slot.  Context: ci->lock held. */
export function __vtable_phys(ci: number, off: number): number {
  return Atomics.load(A.i32, vtableWord(ci, off) + 1);
}

function __vtable_set(ci: number, off: number, tag: number, phys: number): void {
  const w = vtableWord(ci, off);
  Atomics.store(A.i32, w, (Atomics.load(A.i32, w) & ~TAG_MASK) | tag);
  Atomics.store(A.i32, w + 1, phys);
}

/** swap_cgroup in the descriptor: the memcg id recorded for slot @off.  Context: ci->lock held. */
export function vswap_memcg_get(ci: number, off: number): number {
  return Atomics.load(A.i32, vtableWord(ci, off)) >>> MEMCG_SHIFT;
}

export function vswap_memcg_set(ci: number, off: number, memcg: number): void {
  const w = vtableWord(ci, off);
  Atomics.store(A.i32, w, (Atomics.load(A.i32, w) & TAG_MASK) | (memcg << MEMCG_SHIFT));
}

function ventry_of(ci: number, off: number): number {
  return swp_entry(VSWAP_TYPE, cluster_offset(VSWAP_TYPE, ci) + off);
}

/**
 * __vswap_release_backing(): drop the backends of [@off, @off + @nr): the
 * physical slot goes back to its device, the zswap entry is freed; the
 * zero flag is the table's and goes with the slot.
 * Context: caller holds ci->lock (of the virtual cluster).
 */
export function __vswap_release_backing(ci: number, off: number, nr: number): void {
  lockdep_assert_held(ci + CI.lock, 'ci->lock');
  for (let k = off; k < off + nr; k++) {
    const tag = __vtable_tag(ci, k);
    if (tag === VSWAP_SWAPFILE) swap_slot_free(__vtable_phys(ci, k), ventry_of(ci, k));
    else if (tag === VSWAP_ZSWAP) zswap_invalidate(VSWAP_TYPE, cluster_offset(VSWAP_TYPE, ci) + k);
    if (tag !== VSWAP_NONE) __vtable_set(ci, k, VSWAP_NONE, 0);
  }
}

/** vswap_zswap_store(): slot @off's page is now in zswap.  Context: ci->lock held, folio locked. */
export function __vswap_set_zswap(ci: number, off: number): void {
  lockdep_assert_held(ci + CI.lock, 'ci->lock');
  __vtable_set(ci, off, VSWAP_ZSWAP, 0);
}

/** Slot @off is backed by physical entry @phys (already allocated for it).  Context: ci->lock held, folio locked. */
export function __vswap_set_phys(ci: number, off: number, phys: number): void {
  lockdep_assert_held(ci + CI.lock, 'ci->lock');
  __vtable_set(ci, off, VSWAP_SWAPFILE, phys);
}

/**
 * __vswap_check_backing(): the effective backend of slot @off: the zero
 * flag first, then the stored tag, then a cached folio.
 * Context: ci->lock held.
 */
export function __vswap_check_backing(ci: number, off: number): number {
  const tb = __swap_table_get(ci, off);
  const tag = __vtable_tag(ci, off);
  if (tag === VSWAP_NONE && swp_tb_test_zero(SWP_TB_P4, tb)) return VSWAP_ZERO;
  if (tag !== VSWAP_NONE) return tag;
  return swp_tb_is_folio(tb) ? VSWAP_FOLIO : VSWAP_NONE;
}
