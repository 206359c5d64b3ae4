/*
 * The designs (src/designs/*.ts), registered with the model
 * (register_swap_design()) when this module loads.  Import it once in every
 * thread that runs the model: the API (src/api/system.ts) and the worker
 * entry points do.
 */
import { register_swap_design, registered_swap_designs, type DesignName } from '../mm/swap_design.js';
import { P2 } from './p2.js';
import { P3 } from './p3.js';
import { P4 } from './p4.js';
import { GHOST } from './ghost.js';
import { VSWAP } from './vswap.js';

for (const d of [P4, P3, P2, GHOST, VSWAP]) register_swap_design(d);

/** Every design this build has. */
export function implemented_designs(): DesignName[] {
  return registered_swap_designs();
}
