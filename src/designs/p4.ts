/*
 * Phase IV (seed 001 patches 1-12): the swap table word holds everything.
 *   count      bits 60..63  (SWP_TB_COUNT_MAX = 15 saturates into ci->extend_table)
 *   zero flag  bit 59       (patch 12: "merge zeromap into swap table")
 *   memcg id   inside the shadow (patch 8: "store memcg info in the swap
 *              table"); a cached slot is charged to its folio's memcg.
 */
import type { SlotMeta } from '../mm/swap_design.js';
import { table_count_ops } from './table_count.js';
import {
  SWP_TB_P4, swp_tb_clear_zero, swp_tb_is_countable,
  swp_tb_is_shadow, swp_tb_set_zero, swp_tb_test_zero, swp_tb_to_shadow,
} from '../mm/swap_table.js';
import { __swap_table_get, __swap_table_set, swap_table_get } from '../mm/swap_table_arena.js';
import { shadow_to_memcgid } from '../mm/workingset.js';
import { report } from '../shm/report.js';

const l = SWP_TB_P4;

export const P4: SlotMeta = {
  name: 'p4',
  tb: l,
  ...table_count_ops(l),
  testZero(ci, off) {
    const tb = __swap_table_get(ci, off);
    return swp_tb_is_countable(tb) && swp_tb_test_zero(l, tb);
  },
  setZero(ci, off, zero) {
    const tb = __swap_table_get(ci, off);
    if (!swp_tb_is_countable(tb) || tb === 0n) {
      report('zero', `zero flag ${zero ? 'set' : 'cleared'} on a ${tb === 0n ? 'NULL' : 'non-countable'} entry`, [ci, off]);
      return;
    }
    __swap_table_set(ci, off, zero ? swp_tb_set_zero(l, tb) : swp_tb_clear_zero(l, tb));
  },
  testZeroLockless(ci, off) {
    const tb = swap_table_get(ci, off);
    return swp_tb_is_countable(tb) && swp_tb_test_zero(l, tb);
  },
  memcgInShadow: true,
  recordMemcg() {
    /* The shadow carries it (patch 8): nothing to record at allocation. */
  },
  slotMemcg(_ci, _off, tb) {
    return swp_tb_is_shadow(tb) ? shadow_to_memcgid(swp_tb_to_shadow(l, tb)) : 0;
  },
  freeSlot() {
    /* The entry itself goes NULL: count, zero flag and memcg id with it. */
  },
  swaponDevice() {
    /* No static per-slot metadata: the table holds it all (seed 001). */
  },
};
