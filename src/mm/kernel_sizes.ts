/*
 * The kernel's object sizes for swap metadata (x86_64, 4 KiB pages,
 * SWAPFILE_CLUSTER = 512, spinlock_t = 4 bytes, no lock debugging): stated
 * once, here.  The model's allocation sites charge these sizes
 * (src/mm/swap_meta.ts); nothing else multiplies slots by a constant.
 *
 * Sources: struct swap_cluster_info in mm/swap.h of each phase (seed 002
 * for phase II: lock, count, flags, order, table pointer, list = 32 bytes;
 * phases III and IV add the extend_table pointer = 40 bytes); struct
 * swap_table (seed 002: SWAPFILE_CLUSTER atomic_long_t = 4096 bytes); the
 * extend table (SWAPFILE_CLUSTER unsigned int = 2048 bytes); the static
 * swap_cgroup array (mm/swap_cgroup.c: two 16-bit ids per atomic_t, 2 bytes
 * a slot); si->zeromap (one bit a slot); si->swap_map (one byte a slot).
 */
import type { DesignName } from './swap_design.js';

export const SIZEOF_SWAP_CLUSTER_INFO: Record<DesignName, number> = { p2: 32, p3: 40, p4: 40, ghost: 40, vswap: 40 };
/**
 * struct swap_cluster_info_dynamic (seed 001 patch 15): the 40-byte
 * cluster, its unsigned int index (padded to 8) and a 16-byte rcu_head =
 * 64 bytes, a kmalloc-64 object each.
 */
export const SIZEOF_SWAP_CLUSTER_INFO_DYNAMIC = 64;

/*
 * Virtual swap (seed 004's cover letter): struct swp_desc is 24 bytes a
 * virtual slot (pahole in the cover letter), allocated per cluster of
 * SWAPFILE_CLUSTER descriptors; per cluster the seed's figures also charge
 * one bit a slot - the cluster's DECLARE_BITMAP(bitmap, 512), 64 bytes -
 * and nothing else of struct vswap_cluster (about 112 bytes in all) or of
 * the xarray that indexes the clusters: the model charges what the seed
 * does.  A physical device keeps two bitmaps (allocated, bad) and a
 * reverse map that re-uses a swap table (8 bytes a slot, per cluster).
 */
export const SIZEOF_SWP_DESC = 24;
export const SIZEOF_VSWAP_CLUSTER = 64;
export const VSWAP_PHYS_BITS_PER_SLOT = 2;
export const SIZEOF_SWAP_TABLE = 4096;
export const SIZEOF_EXTEND_TABLE = 2048;
export const SWAP_MAP_BYTES_PER_SLOT = 1;
export const SWAP_CGROUP_BYTES_PER_SLOT = 2;
export const ZEROMAP_BITS_PER_SLOT = 1;
/** struct xa_node (64 slots) - the zswap tree's and the ghost cluster pool's nodes. */
export const SIZEOF_XA_NODE = 576;
export const XA_CHUNK_SHIFT = 6;

/** xa_nodes a radix tree needs above @leaves leaf nodes (XA_CHUNK_SIZE = 64), the leaves included. */
export function xa_nodes_for_leaves(leaves: number): number {
  let total = 0;
  for (let n = leaves; n > 0; n = n > 1 ? Math.ceil(n / (1 << XA_CHUNK_SHIFT)) : 0) total += n;
  return total;
}
