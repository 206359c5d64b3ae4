/*
 * Virtual swap space (seed 004): page tables hold virtual slots; each has
 * a descriptor with its backend (physical slot, zswap entry, zero page or
 * just the swap cache folio), swap cache folio or shadow, swap count and
 * memcg id (src/mm/vswap.ts).  The slot questions the shared paths ask:
 *   count      in the swap table word, as p4 (the seed's unsigned int
 *              swap_count needs no continuation; the model's table word
 *              saturates into ci->extend_table like p4's)
 *   zero       the table's zero flag (the seed's VSWAP_ZERO backend)
 *   memcg id   in the descriptor, recorded when the slot is allocated
 *              ("swap: implement the swap_cgroup API using virtual swap")
 *   free       releases the backend: the physical slot, the zswap entry
 */
import type { SlotMeta } from '../mm/swap_design.js';
import { P4 } from './p4.js';
import { __swap_table_get } from '../mm/swap_table_arena.js';
import { __vswap_release_backing, vswap_memcg_get, vswap_memcg_set } from '../mm/vswap.js';
import { CI_DYN } from '../shm/layout.js';
import { A } from '../shm/arena.js';

/* Only the virtual swap space's clusters have a virtual table: a physical device has no slots of this kind. */
function has_vtable(ci: number): boolean {
  return A.i32[ci + CI_DYN.vtable] !== 0;
}

export const VSWAP: SlotMeta = {
  ...P4,
  name: 'vswap',
  memcgInShadow: false,
  recordMemcg(ci, off, nr, memcg) {
    for (let k = 0; k < nr; k++) vswap_memcg_set(ci, off + k, memcg);
  },
  slotMemcg(ci, off) {
    return has_vtable(ci) ? vswap_memcg_get(ci, off) : 0;
  },
  freeSlot(ci, off) {
    if (!has_vtable(ci)) return;
    __vswap_release_backing(ci, off, 1);
    vswap_memcg_set(ci, off, 0);
  },
};
