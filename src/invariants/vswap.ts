/*
 * The virtual swap design's own invariants (seed 004), checked at
 * quiescence beside the catalogue (src/harness/invariants.ts):
 *
 *  - every virtual slot in use has exactly the backend its descriptor
 *    names, and that backend has it: a physical slot whose allocated bit
 *    is set and whose reverse map names this virtual slot, a zswap entry
 *    zswap holds, the zero flag, or the swap cache folio; a slot swapped
 *    out with none of these has lost its data;
 *  - a free virtual slot names no backend and no memcg;
 *  - every allocated physical slot is named back by the virtual slot its
 *    reverse map gives (descriptor <-> physical slot <-> reverse map), no
 *    bad slot is allocated, and the device's in-use count is its bitmap's.
 *
 * Context: quiescent.
 */
import { A } from '../shm/arena.js';
import { MAX_SWAPFILES, SWAPFILE_CLUSTER } from '../shm/layout.js';
import type { Fail } from './fail.js';
import { si_inuse_pages } from './device.js';
import { xa_for_each } from '../kmem/xarray.js';
import { obj_word, swap_cluster_cachep } from '../kmem/slab.js';
import { cluster_pool, clusterWord, swp_entry, swp_offset, swp_type } from '../mm/swap.js';
import { __swap_table_get } from '../mm/swap_table_arena.js';
import { swp_tb_is_folio, swp_tb_is_null, swp_tb_is_bad } from '../mm/swap_table.js';
import { zswap_load } from '../mm/zswap.js';
import { swap_backing_index } from '../mm/page_io.js';
import {
  __vswap_check_backing, __vtable_phys, __vtable_tag, vswap_memcg_get, VSWAP_FOLIO, VSWAP_NONE, VSWAP_SWAPFILE, VSWAP_TYPE, VSWAP_TYPE_NAMES,
  VSWAP_ZERO, VSWAP_ZSWAP,
} from '../mm/vswap.js';
import { phys_allocated_slots, phys_rmap, phys_test_bad, si_phys_writeok } from '../mm/vswap_phys.js';

/**
 * The data a swapped-out virtual slot reads back: from its zswap entry or
 * physical slot.  null when it has neither (the caller handles zero and
 * cached slots first).  Context: quiescent.
 */
export function vswap_slot_data(entry: number): bigint | null {
  const ci = clusterWord(VSWAP_TYPE, Math.floor(swp_offset(entry) / SWAPFILE_CLUSTER));
  if (ci === 0) return null;
  const off = swp_offset(entry) % SWAPFILE_CLUSTER;
  const tag = __vtable_tag(ci, off);
  if (tag === VSWAP_ZSWAP) return zswap_load(VSWAP_TYPE, swp_offset(entry));
  if (tag !== VSWAP_SWAPFILE) return null;
  const p = __vtable_phys(ci, off);
  /* A device swapped off has no backing store left to read: check_vswap() reports the slot. */
  if (!si_phys_writeok(swp_type(p))) return null;
  return Atomics.load(A.u64, swap_backing_index(swp_type(p), swp_offset(p)));
}

export function check_vswap(fail: Fail): void {
  const named = new Map<number, number>(); /* physical entry -> virtual entry naming it */
  xa_for_each(cluster_pool(VSWAP_TYPE), (idx, id) => {
    const ci = obj_word(swap_cluster_cachep, id);
    for (let off = 0; off < SWAPFILE_CLUSTER; off++) {
      const v = swp_entry(VSWAP_TYPE, idx * SWAPFILE_CLUSTER + off);
      const tb = __swap_table_get(ci, off);
      const tag = __vtable_tag(ci, off);
      if (swp_tb_is_null(tb) || swp_tb_is_bad(tb)) {
        if (tag !== VSWAP_NONE || vswap_memcg_get(ci, off) !== 0) {
          fail('swap-count', `vswap: free virtual slot ${idx * SWAPFILE_CLUSTER + off} still names backend ${VSWAP_TYPE_NAMES[tag]} / memcg ${vswap_memcg_get(ci, off)}`, [v, tag]);
        }
        continue;
      }
      const eff = __vswap_check_backing(ci, off);
      if (eff === VSWAP_NONE) {
        fail('data', `vswap: virtual slot ${idx * SWAPFILE_CLUSTER + off} is swapped out with no backend: no physical slot, no zswap entry, not zero, no cached folio`, [v]);
      } else if (eff === VSWAP_ZSWAP && zswap_load(VSWAP_TYPE, idx * SWAPFILE_CLUSTER + off) === null) {
        fail('data', `vswap: virtual slot ${idx * SWAPFILE_CLUSTER + off} names a zswap entry zswap does not hold`, [v]);
      } else if (eff === VSWAP_SWAPFILE) {
        const p = __vtable_phys(ci, off);
        named.set(p, v);
        const pt = swp_type(p);
        if (!si_phys_writeok(pt)) {
          fail('device-lifetime', `vswap: virtual slot ${idx * SWAPFILE_CLUSTER + off} is backed by ${pt}:${swp_offset(p)}, not a physical device in service`, [v, p]);
        } else if (phys_rmap(pt, swp_offset(p)) !== v) {
          fail('swap-count', `vswap: virtual slot ${idx * SWAPFILE_CLUSTER + off} names physical slot ${pt}:${swp_offset(p)}, whose reverse map names ${phys_rmap(pt, swp_offset(p))}`, [v, p]);
        }
      } else if ((eff === VSWAP_ZERO || eff === VSWAP_FOLIO) && tag !== VSWAP_NONE) {
        fail('swap-count', `vswap: virtual slot ${idx * SWAPFILE_CLUSTER + off} is ${VSWAP_TYPE_NAMES[eff]} but its descriptor also names ${VSWAP_TYPE_NAMES[tag]}`, [v, tag]);
      }
      if (eff === VSWAP_FOLIO && !swp_tb_is_folio(tb)) fail('swap-cache', `vswap: virtual slot ${v} backed by a folio that is not in the swap cache`, [v]);
    }
  });
  for (let t = 0; t < MAX_SWAPFILES; t++) {
    if (!si_phys_writeok(t)) continue;
    const slots = phys_allocated_slots(t);
    const inuse = si_inuse_pages(t);
    if (inuse !== slots.length) fail('accounting', `vswap: physical device ${t}: inuse_pages ${inuse} but ${slots.length} slots allocated in its bitmap`, [t, inuse, slots.length]);
    for (const off of slots) {
      const p = swp_entry(t, off);
      if (phys_test_bad(t, off)) fail('slot-format', `vswap: physical slot ${t}:${off} is bad and allocated`, [p]);
      if (named.get(p) !== phys_rmap(t, off)) {
        fail('swap-count', `vswap: physical slot ${t}:${off} is allocated for virtual slot ${phys_rmap(t, off)}, which ${named.has(p) ? `is ${named.get(p)}` : 'does not name it'} (leaked)`, [p, phys_rmap(t, off)]);
      }
    }
  }
}
