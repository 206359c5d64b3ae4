/*
 * Freeing dead cgroups for good, at stop-the-world: the model's
 * css_release/css_free.  A dead (offline) memcg keeps its id while
 * anything can still name it - a swap charge (shadows record the id), a
 * charged folio, a process, a child cgroup whose nearest-online walk goes
 * through it.  Once nothing does, its id goes back to the free pool, as
 * mem_cgroup_id_remove() does when the last reference is put.  Without
 * this, a long stress run with cgroup deaths would run out of ids.
 *
 * Only after a clean quiescent check: with the memcg invariant holding, a
 * zero swap charge proves no slot records the id.  If the check found
 * anything, nothing is reaped (the evidence stays).
 *
 * Context: quiescent (every CPU parked); main thread.
 */
import { A } from '../shm/arena.js';
import { FOLIO, MEMCG } from '../shm/layout.js';
import { fw, nr_frames, PG_head } from '../mm/page_alloc.js';
import { mm_live, mm_memcg } from '../mm/pgtable.js';
import { MEMCG_OFFLINE, MEMCG_UNUSED, mem_cgroup_state, mem_cgroup_swap_usage, mw, nr_memcg_ids } from '../mm/memcontrol.js';

/** Free every dead memcg nothing names any more; returns how many. */
export function mem_cgroup_reap_dead(): number {
  const i32 = A.i32;
  const named = new Set<number>();
  for (let mm = 0; mm < A.L.config.nrMms; mm++) if (mm_live(mm)) named.add(mm_memcg(mm));
  for (let pfn = 0; pfn < nr_frames(); pfn++) {
    if (i32[fw(pfn, FOLIO.flags)] & PG_head) named.add(i32[fw(pfn, FOLIO.memcg)]);
  }
  for (let m = 2; m < nr_memcg_ids(); m++) {
    if (mem_cgroup_state(m) !== MEMCG_UNUSED) named.add(i32[mw(m, MEMCG.parent)]);
  }
  let reaped = 0;
  for (let m = 2; m < nr_memcg_ids(); m++) {
    if (mem_cgroup_state(m) !== MEMCG_OFFLINE || named.has(m) || mem_cgroup_swap_usage(m) !== 0) continue;
    Atomics.store(i32, mw(m, MEMCG.state), MEMCG_UNUSED);
    reaped++;
  }
  return reaped;
}
