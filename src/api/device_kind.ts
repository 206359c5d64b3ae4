/*
 * The kinds of swap device the command line and scenario files name, and
 * what each is to createSwapDevice(): the block device's queue flags as
 * swapon reads them.
 *
 *   ssd   non-rotational, discard: SWP_SOLIDSTATE, per-CPU clusters
 *   hdd   rotational: the global cluster
 *   zram  non-rotational and BLK_FEAT_SYNCHRONOUS: SWP_SYNCHRONOUS_IO
 *         (swap-in reads synchronously and may bring in a large folio)
 */
import type { SwapDeviceOptions } from './system.js';

export const BLOCK_DEVICE_KINDS = ['ssd', 'hdd', 'zram'] as const;
export type BlockDeviceKind = (typeof BLOCK_DEVICE_KINDS)[number];

/** createSwapDevice() options for a @kind block device of @pages pages. */
export function block_device_options(kind: BlockDeviceKind, pages: number): SwapDeviceOptions {
  return { sizePages: pages, kind: 'blk', rotational: kind === 'hdd', synchronous: kind === 'zram' };
}
