/*
 * The package entry: `import { System } from 'swaptorture'`.
 *
 *   import { System, errname, decodeSwapTableEntry } from 'swaptorture';
 *   const sys = System.create({ design: 'p4', nrCpus: 2, seed: 7 });
 *   sys.createSwapDevice('/dev/vdb', { sizePages: 4096 });
 *   errname(sys.swapon('/dev/vdb'));          // 'OK', or 'EBUSY', 'EINVAL' ...
 *   decodeSwapTableEntry('p4', 0x1000000000001f03n).kind;   // 'shadow'
 *
 * Only what scripts and scenario files need is exported here; the model's
 * internals stay reachable by path (dist/src/...) for tests and tools.
 * The entry decoders keep their kernel-style names (decode_swp_tb(layout,
 * value), swp_tb_check, format_decoded_swp_tb); decodeSwapTableEntry() is
 * the one-call form taking the layout by name.
 */
export { System, type SystemConfig, type SwapDeviceOptions } from './api/system.js';
export { errname } from './include/errno.js';
export { type Violation, type Invariant, INVARIANTS } from './shm/report.js';
export { BUG_SWITCHES, type BugSwitch } from './shm/bugs.js';
export { DESIGN_NAMES, type DesignName } from './mm/swap_design.js';
export { swp_tb_check, swpTbLayout, type SwapTablePhase, type SwpTbLayout } from './mm/swap_table.js';
export { decode_swp_tb, format_decoded_swp_tb, type DecodedSwpTb, type SwpTbKind } from './mm/swap_table_decode.js';

import { swpTbLayout, type SwapTablePhase } from './mm/swap_table.js';
import { decode_swp_tb, type DecodedSwpTb } from './mm/swap_table_decode.js';

/**
 * Decode one swap table entry of layout @phase ('p4' or 'p3'), as
 * `swaptorture decode` does: kind (null/shadow/pfn/pointer/bad, or invalid
 * with a reason), count, zero flag, pfn, and the shadow's memcg id, node
 * and workingset bit.
 */
export function decodeSwapTableEntry(phase: SwapTablePhase, value: bigint): DecodedSwpTb {
  return decode_swp_tb(swpTbLayout(phase), value);
}
