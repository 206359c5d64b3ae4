/*
 * The quiescent checker's kmemleak: every kernel object the model
 * allocated is reachable from where the kernel keeps it (docs/invariants.md,
 * table-lifetime).  kmemleak scans memory for pointers to each allocated
 * object; the model knows where its pointers live, so it counts:
 *
 *  - dynamic swap_cluster_info objects (ghost devices, the virtual swap
 *    space): each is in a device's xarray, or waits for its kfree_rcu();
 *  - swap tables: each is the ci->table of exactly one cluster;
 *  - kmalloc'ed pool pages: each is an xarray's root or node (a device's
 *    zswap tree, a dynamic device's cluster xarray), a cluster's extend
 *    table (ci->extend_table) or a virtual swap cluster's virtual table,
 *    and only one of them.
 *
 * An object nothing points at can never be freed; one two owners point at
 * is freed under the other.
 *
 * Context: quiescent.
 */
import { A } from '../shm/arena.js';
import { CI, CI_DYN, MAX_SWAPFILES, SI } from '../shm/layout.js';
import { rcu_pending_kind } from '../sync/rcu.js';
import { page_type, PG_KMALLOC } from '../kmem/page_pool.js';
import { kmem_cache_stats, obj_word, swap_cluster_cachep, swap_table_cachep } from '../kmem/slab.js';
import { xa_for_each, xa_pages, type XArray } from '../kmem/xarray.js';
import { cluster_pool, clusterWord, si_dynamic, siWord } from '../mm/swap.js';
import { RCU_CB_DYN_CLUSTER } from '../mm/swap_cluster_dynamic.js';
import { zswap_tree } from '../mm/zswap.js';
import { si_has_clusters } from './device.js';
import type { Fail } from './fail.js';

/** Visit every cluster of every device that has clusters: (type, index, cluster word). */
function for_each_cluster(fn: (type: number, idx: number, ci: number) => void): void {
  const i32 = A.i32;
  for (let type = 0; type < MAX_SWAPFILES; type++) {
    if (!si_has_clusters(type)) continue;
    if (si_dynamic(type)) {
      xa_for_each(cluster_pool(type), (idx, id) => fn(type, idx, obj_word(swap_cluster_cachep, id)));
      continue;
    }
    const nr = i32[siWord(type, SI.nr_clusters)];
    for (let idx = 0; idx < nr; idx++) fn(type, idx, clusterWord(type, idx));
  }
}

/*
 * Owners of objects, keyed by object: a second owner is reported at once.
 * Returns the recorder.
 */
function owners(fail: Fail, what: string): { map: Map<number, string>; own: (obj: number, owner: string) => void } {
  const map = new Map<number, string>();
  const own = (obj: number, owner: string): void => {
    const other = map.get(obj);
    if (other !== undefined) fail('table-lifetime', `${what} ${obj} is the ${other} and the ${owner}`, [obj]);
    else map.set(obj, owner);
  };
  return { map, own };
}

/** The dynamic clusters' swap_cluster_info objects: in an xarray, or waiting for kfree_rcu(). */
export function check_dyn_cluster_objects(fail: Fail): void {
  let published = 0;
  for_each_cluster((type) => {
    if (si_dynamic(type)) published++;
  });
  const pending = rcu_pending_kind(RCU_CB_DYN_CLUSTER);
  const inuse = kmem_cache_stats(swap_cluster_cachep).nr_inuse;
  if (inuse !== published + pending) {
    fail('table-lifetime', `kmemleak: ${inuse} dynamic swap_cluster_info objects allocated, ${published} in the devices' xarrays and ${pending} waiting for kfree_rcu(): ${inuse - published - pending} unreferenced`, [inuse, published, pending]);
  }
}

/**
 * The swap table slab: each object is one cluster's ci->table (a dynamic
 * cluster waiting for kfree_rcu() freed its table first:
 * swap_cluster_free_dynamic).  A cluster pointing at a freed table is the
 * rcu check's: a freed table must read NULL.
 */
export function check_swap_table_objects(fail: Fail): void {
  const { map, own } = owners(fail, 'swap table object');
  for_each_cluster((type, idx, ci) => {
    const tbl = A.i32[ci + CI.table];
    if (tbl !== 0) own(tbl - 1, `table of device ${type} cluster ${idx}`);
  });
  const inuse = kmem_cache_stats(swap_table_cachep).nr_inuse;
  if (inuse !== map.size) {
    fail('table-lifetime', `kmemleak: ${inuse} swap table objects allocated, ${map.size} of them a cluster's table: ${inuse - map.size} unreferenced`, [inuse, map.size]);
  }
}

/**
 * The pool pages kmalloc'ed (PG_KMALLOC): xarray roots and nodes, extend
 * tables, virtual tables.  Each has one owner; one with none leaked.
 */
export function check_kmalloc_pages(fail: Fail): void {
  const { map, own } = owners(fail, 'kmalloc page');
  const tree = (xa: XArray, name: string): void => {
    for (const page of xa_pages(xa)) own(page, name);
  };
  for (let type = 0; type < MAX_SWAPFILES; type++) {
    tree(zswap_tree(type), `zswap tree of device ${type}`);
    tree(cluster_pool(type), `cluster xarray of device ${type}`);
  }
  for_each_cluster((type, idx, ci) => {
    const ext = A.i32[ci + CI.extend_table];
    if (ext !== 0) own(ext - 1, `extend table of device ${type} cluster ${idx}`);
    if (si_dynamic(type) && A.i32[ci + CI_DYN.vtable] !== 0) own(A.i32[ci + CI_DYN.vtable] - 1, `virtual table of device ${type} cluster ${idx}`);
  });
  const leaked: number[] = [];
  for (let page = 0; page < A.L.config.nrPages; page++) {
    if (page_type(page) === PG_KMALLOC && !map.has(page)) leaked.push(page);
  }
  if (leaked.length > 0) {
    const shown = leaked.slice(0, 5).join(', ') + (leaked.length > 5 ? ', ...' : '');
    fail('table-lifetime', `kmemleak: ${leaked.length} kmalloc'ed pages no xarray, extend table or virtual table owns (pages ${shown})`, [leaked.length, leaked[0]]);
  }
}
