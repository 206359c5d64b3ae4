/*
 * The design in use.  Chosen once per arena (G.design) and bound per
 * thread at attach time, like a kernel built with one configuration.
 */
import { A, gword } from '../shm/arena.js';
import { G } from '../shm/layout.js';
import { DESIGN_NAMES, type DesignName, type SlotMeta } from './design.js';
import { P2 } from './p2.js';
import { P3 } from './p3.js';
import { P4 } from './p4.js';
import { GHOST } from './ghost.js';
import { VSWAP } from './vswap.js';

const IMPLEMENTED: Partial<Record<DesignName, SlotMeta>> = { p4: P4, p3: P3, p2: P2, ghost: GHOST, vswap: VSWAP };

/** The active design's slot metadata (bound by bind_design()). */
export let D: SlotMeta = P4;

export function implemented_designs(): DesignName[] {
  return DESIGN_NAMES.filter((n) => IMPLEMENTED[n] !== undefined);
}

/** Record @name in the arena.  Context: setup. */
export function set_design(name: DesignName): void {
  if (IMPLEMENTED[name] === undefined) {
    throw new Error(`design '${name}' is not implemented yet (implemented: ${implemented_designs().join(', ')})`);
  }
  A.i32[gword(G.design)] = DESIGN_NAMES.indexOf(name);
  bind_design();
}

/** Bind this thread to the arena's design.  Context: after attach(). */
export function bind_design(): void {
  const name = DESIGN_NAMES[A.i32[gword(G.design)]] ?? 'p4';
  D = IMPLEMENTED[name] ?? P4;
}
