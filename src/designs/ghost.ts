/*
 * Ghost swap (seed 001 patches 13-15): phase IV's slot metadata - the
 * swap table word holds everything - on a device with no backing store
 * and no static cluster_info.  What differs lives in the shared paths,
 * keyed on SWP_GHOST: dynamic clusters (src/mm/swap_cluster_dynamic.ts),
 * writeout refused without zswap (src/mm/page_io.ts), /dev/ghostswap and
 * one-page ghost swapfiles at swapon (src/mm/swapon.ts).  With this
 * design the ghost devices exist; the slot questions are p4's.
 */
import type { SlotMeta } from '../mm/swap_design.js';
import { P4 } from './p4.js';

export const GHOST: SlotMeta = { ...P4, name: 'ghost' };
