/*
 * Phase II (seed 002 and the 6.18 kernel before phase III): swap tables
 * are dynamic, but hold only the swap cache folio or the shadow; the
 * count lives in the static si->swap_map, one byte a slot (SWAP_MAP_MAX =
 * 0x3e, then the count continues - here in ci->extend_table, the model's
 * stand-in for the continuation pages of add_swap_count_continuation()),
 * the zero state in si->zeromap and the swap charge's owner in the
 * swap_cgroup array, as in phase III (src/designs/side_arrays.ts).
 *
 * Table entries carry no count bits (they stay 0 in the p3 layout the
 * model reuses for PFN and shadow entries); bad slots keep the table's bad
 * marker, which the shared allocator skips (the kernel marks them
 * SWAP_MAP_BAD in swap_map: same effect).
 */
import { EINVAL } from '../include/errno.js';
import type { SlotMeta } from '../mm/swap_design.js';
import { SWP_TB_P3, swp_tb_is_bad, swp_tb_is_countable } from '../mm/swap_table.js';
import { __swap_table_get } from '../mm/swap_table_arena.js';
import { report } from '../shm/report.js';
import { P3 } from './p3.js';
import { swap_map_get, swap_map_set } from './side_arrays.js';

/** SWAP_MAP_MAX (include/linux/swap.h). */
export const SWAP_MAP_MAX = 0x3e;

export const P2: SlotMeta = {
  ...P3,
  name: 'p2',
  tb: SWP_TB_P3,
  countMax: SWAP_MAP_MAX,
  countInTable: false,
  count(ci, off) {
    return swap_map_get(ci, off);
  },
  setCount(ci, off, count) {
    const tb = __swap_table_get(ci, off);
    if (!swp_tb_is_countable(tb)) {
      report('slot-format', `setCount(${count}) on a non-countable slot 0x${tb.toString(16)}`, [ci, off]);
      return;
    }
    if (count > SWAP_MAP_MAX) report('swap-count', `swap_map count ${count} > SWAP_MAP_MAX`, [ci, off, count]);
    swap_map_set(ci, off, count);
  },
  countOf(ci, off, tb) {
    return swp_tb_is_bad(tb) ? -EINVAL : swap_map_get(ci, off);
  },
  freeSlot(ci, off) {
    P3.freeSlot(ci, off);
    swap_map_set(ci, off, 0);
  },
};
