/*
 * Swap metadata memory, measured from the model's own allocations at the
 * kernel's object sizes (src/mm/kernel_sizes.ts):
 *  - static: what swapon allocates for the whole device - the
 *    cluster_info array (setup_clusters) and, in phases II/III, the
 *    swap_cgroup array and the zeromap (side_arrays_reset) - recorded in
 *    the device's SI words by those allocation sites;
 *  - dynamic: the swap tables and extend tables the device's clusters hold
 *    right now (a walk of cluster_info: a published table is one struct
 *    swap_table, an extend table one extend table); for a ghost device also
 *    its clusters themselves and the xarray that indexes them.
 *
 * Context: quiescent, or any time for an estimate (plain reads).
 */
import { A } from '../shm/arena.js';
import { CI, SI, SWAPFILE_CLUSTER } from '../shm/layout.js';
import { cluster_pool, clusterWord, si_dynamic, si_is_vswap, siWord } from './swap.js';
import { phys_rmap_clusters, si_is_vswap_phys } from './vswap_phys.js';
import { xa_for_each } from '../kmem/xarray.js';
import { SIZEOF_EXTEND_TABLE, SIZEOF_SWAP_CLUSTER_INFO_DYNAMIC, SIZEOF_SWAP_TABLE, SIZEOF_SWP_DESC, SIZEOF_VSWAP_CLUSTER, SIZEOF_XA_NODE, XA_CHUNK_SHIFT, xa_nodes_for_leaves } from './kernel_sizes.js';
import { zswap_offsets } from './zswap.js';

export interface SwapMetaBytes {
  static: { cluster_info: number; swap_map: number; swap_cgroup: number; zeromap: number; bitmaps: number };
  dynamic: {
    swap_table: number; extend_table: number; zswap_tree: number; cluster_info: number; cluster_pool: number;
    swp_desc: number; vswap_cluster: number; rmap: number;
  };
  /** Leaf xa_nodes the zswap tree needs (entries grouped by 64 offsets), for scaling. */
  zswapLeaves: number;
  staticBytes: number;
  dynamicBytes: number;
}

/** Record static metadata device @type allocated at swapon (bytes).  Context: swapon. */
export function swap_meta_static(type: number, field: number, bytes: number): void {
  A.i32[siWord(type, field)] = bytes;
}

/** The metadata of device @type now. */
export function swap_meta_bytes(type: number): SwapMetaBytes {
  const i32 = A.i32;
  const st = {
    cluster_info: i32[siWord(type, SI.meta_cluster_info)],
    swap_map: i32[siWord(type, SI.meta_swap_map)],
    swap_cgroup: i32[siWord(type, SI.meta_swap_cgroup)],
    zeromap: i32[siWord(type, SI.meta_zeromap)],
    bitmaps: i32[siWord(type, SI.meta_bitmaps)],
  };
  const dyn = { swap_table: 0, extend_table: 0, zswap_tree: 0, cluster_info: 0, cluster_pool: 0, swp_desc: 0, vswap_cluster: 0, rmap: 0 };
  const done = (): SwapMetaBytes => ({
    static: st,
    dynamic: dyn,
    staticBytes: Object.values(st).reduce((a, b) => a + b, 0),
    dynamicBytes: Object.values(dyn).reduce((a, b) => a + b, 0),
    zswapLeaves: 0,
  });
  if (si_is_vswap_phys(type)) {
    /* A backing store of the virtual swap space: its reverse map, a swap table per cluster with a slot in use. */
    dyn.rmap = phys_rmap_clusters(type) * SIZEOF_SWAP_TABLE;
    return done();
  }
  if (si_is_vswap(type)) {
    /*
     * The virtual swap space: seed 004's descriptors, 24 bytes a slot in
     * clusters of 512, plus what the seed charges per cluster.  They take
     * the place of the swap table, the swap cgroup array, the zeromap and
     * the zswap tree; cluster 0, which only reserves entry 0, is the
     * model's and not charged.
     */
    let clusters = 0;
    xa_for_each(cluster_pool(type), (idx) => (clusters += idx === 0 ? 0 : 1));
    dyn.swp_desc = clusters * SWAPFILE_CLUSTER * SIZEOF_SWP_DESC;
    dyn.vswap_cluster = clusters * SIZEOF_VSWAP_CLUSTER;
    return done();
  }
  let tables = 0;
  let extend = 0;
  const dynamic: number[] = [];
  const nr = i32[siWord(type, SI.nr_clusters)];
  for (let idx = 0; idx < nr; idx++) {
    const ci = clusterWord(type, idx);
    if (ci === 0) continue; /* a ghost device has no cluster there */
    if (si_dynamic(type)) dynamic.push(idx);
    if (i32[ci + CI.table] !== 0) tables++;
    if (i32[ci + CI.extend_table] !== 0) extend++;
  }
  const leaves = new Set(zswap_offsets(type).map((o) => o >>> XA_CHUNK_SHIFT)).size;
  const poolLeaves = new Set(dynamic.map((idx) => idx >>> XA_CHUNK_SHIFT)).size;
  dyn.swap_table = tables * SIZEOF_SWAP_TABLE;
  dyn.extend_table = extend * SIZEOF_EXTEND_TABLE;
  dyn.zswap_tree = xa_nodes_for_leaves(leaves) * SIZEOF_XA_NODE;
  /* A ghost's clusters: kmalloc'ed swap_cluster_info_dynamic in an xarray (si->cluster_info_pool). */
  dyn.cluster_info = dynamic.length * SIZEOF_SWAP_CLUSTER_INFO_DYNAMIC;
  dyn.cluster_pool = xa_nodes_for_leaves(poolLeaves) * SIZEOF_XA_NODE;
  return { ...done(), zswapLeaves: leaves };
}
