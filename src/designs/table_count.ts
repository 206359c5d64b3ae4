/*
 * The swap count kept in the table word (phases III and IV): the top
 * SWP_TB_COUNT_BITS of a countable entry, saturating into ci->extend_table
 * (src/mm/swapfile.ts handles the overflow).  Shared by p3 and p4, whose
 * layouts differ only below the count (p4 has the zero flag).
 */
import type { SlotMeta } from '../mm/swap_design.js';
import { __swp_tb_get_count, __swp_tb_mk_count, swp_tb_get_count, swp_tb_is_countable, type SwpTbLayout } from '../mm/swap_table.js';
import { __swap_table_get, __swap_table_set } from '../mm/swap_table_arena.js';
import { report } from '../shm/report.js';

/** count()/setCount() for table layout @l.  Context: caller holds ci->lock. */
export function table_count_ops(l: SwpTbLayout): Pick<SlotMeta, 'count' | 'setCount' | 'countOf' | 'countMax' | 'countInTable'> {
  return {
    countMax: l.SWP_TB_COUNT_MAX,
    countInTable: true,
    countOf(_ci, _off, tb) {
      return swp_tb_get_count(l, tb);
    },
    count(ci, off) {
      const tb = __swap_table_get(ci, off);
      return swp_tb_is_countable(tb) ? __swp_tb_get_count(l, tb) : 0;
    },
    setCount(ci, off, count) {
      const tb = __swap_table_get(ci, off);
      if (!swp_tb_is_countable(tb)) {
        report('slot-format', `setCount(${count}) on a non-countable entry 0x${tb.toString(16)}`, [ci, off]);
        return;
      }
      __swap_table_set(ci, off, __swp_tb_mk_count(l, tb, count));
    },
  };
}
