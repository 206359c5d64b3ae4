/*
 * The "swap-mix" CPU program: a bounded, seeded mix of swap work on one
 * shared arena — write, read (swap in), reclaim (swap out), fork + exit —
 * used by the multi-worker model tests (and the base of the stress
 * workload).  Each CPU owns one process but every CPU shares the devices,
 * clusters, percpu caches, swap cache and memcgs.
 */
import { registerProgram } from './programs.js';
import { prandom_u32 } from '../shm/task.js';
import { copy_mm, mmput, handle_mm_fault } from '../mm/memory.js';
import { mm_pages } from '../mm/pgtable.js';
import { reclaim_pages } from '../mm/vmscan.js';

export interface SwapMixArgs {
  mm: number;
  ops: number;
}

registerProgram('swap-mix', (args: SwapMixArgs) => {
  const counts = { write: 0, touch: 0, reclaim: 0, fork: 0, enomem: 0 };
  const n = mm_pages();
  for (let i = 0; i < args.ops; i++) {
    const r = prandom_u32() % 100;
    const index = prandom_u32() % n;
    if (r < 40) {
      if (handle_mm_fault(args.mm, index, true, prandom_u32() % 8 === 0) < 0) counts.enomem++;
      counts.write++;
    } else if (r < 70) {
      if (handle_mm_fault(args.mm, index, false) < 0) counts.enomem++;
      counts.touch++;
    } else if (r < 98) {
      reclaim_pages(args.mm, index - (index % 16), 16);
      counts.reclaim++;
    } else {
      const child = copy_mm(args.mm);
      if (child >= 0) {
        for (let k = 0; k < 4; k++) handle_mm_fault(child, prandom_u32() % n, true);
        reclaim_pages(child, 0, n);
        mmput(child);
      }
      counts.fork++;
    }
  }
  return counts;
});
