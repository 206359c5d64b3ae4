/*
 * mm/swapfile.c, the tables of a cluster: its swap table (allocated when the
 * cluster is taken into use, NULL-filled and freed when it empties: seed
 * 002) and its extend table (ci->extend_table: counts past
 * SWP_TB_COUNT_MAX).
 */
import { ENOMEM } from '../include/errno.js';
import { A } from '../shm/arena.js';
import { CI, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { report } from '../shm/report.js';
import { bug_on, BUG_RCU_TABLE_FREE_UNFILLED } from '../shm/bugs.js';
import { page_pool_free, pageDataWord } from '../kmem/page_pool.js';
import { kmem_cache_free, kmem_cache_zalloc, swap_table_cachep } from '../kmem/slab.js';
import { rcu_assign_pointer } from '../sync/rcu.js';
import { __swap_table_get } from './swap_table_arena.js';
import { swp_tb_is_null } from './swap_table.js';

/**
 * swap_cluster_free_table(): only an empty cluster's table may be freed,
 * and only once it is all NULL, because lockless readers may still be
 * reading it: they must see NULL entries, and SLAB_TYPESAFE_BY_RCU keeps
 * the memory a swap table until a grace period ends (seed 002).
 * Bug switch rcu-table-free-unfilled frees without that check: the
 * table its last free left shadows in (__swap_cluster_free_entries) goes
 * to the slab as it is.
 *
 * Context: caller holds ci->lock (or owns the cluster exclusively).
 */
export function swap_cluster_free_table(ci: number): void {
  const tbl = A.i32[ci + CI.table];
  if (tbl === 0) return;
  if (!bug_on(BUG_RCU_TABLE_FREE_UNFILLED)) {
    for (let off = 0; off < SWAPFILE_CLUSTER; off++) {
      const tb = __swap_table_get(ci, off);
      if (!swp_tb_is_null(tb)) {
        report('table-lifetime', `swap_cluster_free_table: slot ${off} is 0x${tb.toString(16)}, not NULL, in a table being freed`, [ci, off]);
        break;
      }
    }
  }
  rcu_assign_pointer(ci + CI.table, 0);
  kmem_cache_free(swap_table_cachep, tbl - 1);
  swap_extend_table_free(ci);
}

/* The bare allocation: publish a zeroed table.  -ENOMEM on failure. */
export function swap_cluster_alloc_table(ci: number, gfp: number): number {
  const t = kmem_cache_zalloc(swap_table_cachep, gfp);
  if (t < 0) return -ENOMEM;
  rcu_assign_pointer(ci + CI.table, t + 1);
  return 0;
}

export function extendWord(ci: number, off: number): number {
  return pageDataWord(A.i32[ci + CI.extend_table] - 1) + off;
}

function swap_extend_table_free(ci: number): void {
  const e = A.i32[ci + CI.extend_table];
  if (e === 0) return;
  A.i32[ci + CI.extend_table] = 0;
  page_pool_free(e - 1);
}

/* swap_extend_table_try_free(): free the extend table once every count is inline again. */
export function swap_extend_table_try_free(ci: number): void {
  const e = A.i32[ci + CI.extend_table];
  if (e === 0) return;
  const base = pageDataWord(e - 1);
  for (let off = 0; off < SWAPFILE_CLUSTER; off++) if (A.i32[base + off] !== 0) return;
  swap_extend_table_free(ci);
}
