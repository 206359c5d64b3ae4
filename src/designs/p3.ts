/*
 * Phase III (seeds 000 and 003): the swap table word holds the count and
 * the bad-slot marker (SWP_TB_COUNT_MAX saturating into ci->extend_table,
 * as in p4), but no zero flag and no memcg: the zero state stays in the
 * static si->zeromap bitmap and the swap charge's owner in the static
 * swap_cgroup array (src/designs/side_arrays.ts), recorded when the slots
 * are allocated.  Shadows still carry the memcg id for workingset refault
 * detection, as mm/workingset.c packs it.
 */
import type { SlotMeta } from '../mm/swap_design.js';
import { table_count_ops } from './table_count.js';
import { SWP_TB_P3 } from '../mm/swap_table.js';
import { __swap_table_get } from '../mm/swap_table_arena.js';
import { side_arrays_reset, swap_cgroup_get, swap_cgroup_set, zeromap_set, zeromap_test } from './side_arrays.js';

const l = SWP_TB_P3;

export const P3: SlotMeta = {
  name: 'p3',
  tb: l,
  ...table_count_ops(l),
  testZero: zeromap_test,
  setZero: zeromap_set,
  testZeroLockless: zeromap_test,
  memcgInShadow: false,
  recordMemcg(ci, off, nr, memcg) {
    for (let k = 0; k < nr; k++) swap_cgroup_set(ci, off + k, memcg);
  },
  slotMemcg(ci, off) {
    return swap_cgroup_get(ci, off);
  },
  freeSlot(ci, off) {
    swap_cgroup_set(ci, off, 0);
    zeromap_set(ci, off, false);
  },
  swaponDevice: side_arrays_reset,
};
