/*
 * mm/memcontrol.c, the swap parts, as the phase IV RFC (seed 001 patches
 * 6-11) has them:
 *  - folio_alloc_swap() charges memcg->swap of the folio's memcg
 *    (mem_cgroup_try_charge_swap), recording nothing yet (patch 7);
 *  - when a charged folio leaves the swap cache, the charge is moved to the
 *    nearest online ancestor if the folio's memcg died, and that memcg's id
 *    goes into the shadow (mem_cgroup_swap_free_folio, patches 7-8);
 *  - swap-in charges the folio to the memcg in the shadow, or, if that one
 *    is dead, to its nearest online ancestor, moving the swap charge there
 *    too (mem_cgroup_swapin_charge_folio, patch 6);
 *  - freeing slots uncharges each slot's memcg (patch 9: batches split
 *    where the id changes).
 *
 * memcg ids are never reused; an offline memcg stays resolvable while it
 * holds charges (a zombie), like mem_cgroup_from_private_id() in the kernel.
 * Memcg 1 is the root and never dies.  0 means "no memcg".
 *
 * Context: charges are atomic counters; creation and offlining take
 * memcg_lock.
 */
import { A, gword } from '../shm/arena.js';
import { G, MEMCG } from '../shm/layout.js';
import { report } from '../shm/report.js';
import { kasan_check_index, kasan_enabled } from '../shm/kasan.js';
import { bug_on, BUG_MEMCG_DEAD_REPARENT } from '../shm/bugs.js';
import { LC_MEMCG, lockdep_assert_held } from '../sync/lockdep.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';

export const MEMCG_UNUSED = 0;
export const MEMCG_ONLINE = 1;
export const MEMCG_OFFLINE = 2;
export const ROOT_MEM_CGROUP = 1;

export function mw(id: number, f: number): number {
  if (kasan_enabled) kasan_check_index('mem_cgroup', id, nr_memcg_ids());
  return A.L.memcg + id * MEMCG.SIZE + f;
}

/**
 * workingset_age_nonresident() of memcg @id's lruvec by one eviction,
 * returning the new age (what workingset_eviction() packs into the
 * shadow).  Context: any.
 */
export function lruvec_age_nonresident(id: number): number {
  return Atomics.add(A.i32, mw(id, MEMCG.nonresident_age), 1) + 1;
}

export function nr_memcg_ids(): number {
  return A.L.config.nrMemcgs;
}

export function mem_cgroup_state(id: number): number {
  return A.i32[mw(id, MEMCG.state)];
}

export function mem_cgroup_online(id: number): boolean {
  return id > 0 && id < nr_memcg_ids() && mem_cgroup_state(id) === MEMCG_ONLINE;
}

export function parent_mem_cgroup(id: number): number {
  return A.i32[mw(id, MEMCG.parent)];
}

/** Set up the root memcg.  Context: init. */
export function mem_cgroup_init(): void {
  A.i32.fill(0, A.L.memcg, A.L.memcg + nr_memcg_ids() * MEMCG.SIZE);
  A.i32[mw(ROOT_MEM_CGROUP, MEMCG.state)] = MEMCG_ONLINE;
  A.i32[mw(ROOT_MEM_CGROUP, MEMCG.parent)] = 0;
}

/**
 * mem_cgroup_css_alloc + online: a child of @parent, or -ENOSPC / -EINVAL.
 * The id is the lowest unused one, as xa_alloc(&mem_cgroup_ids) hands it
 * out in mem_cgroup_alloc(); memcg_lock is that xarray's xa_lock.
 * Context: process context; takes memcg_lock.
 */
export function mem_cgroup_create(parent: number): number {
  if (!mem_cgroup_online(parent)) return -22;
  spin_lock(gword(G.memcg_lock), LC_MEMCG);
  let id = -28;
  for (let m = 2; m < nr_memcg_ids(); m++) {
    if (A.i32[mw(m, MEMCG.state)] !== MEMCG_UNUSED) continue;
    __mem_cgroup_id_store(m, parent);
    id = m;
    break;
  }
  spin_unlock(gword(G.memcg_lock));
  return id;
}

/*
 * The store of xa_alloc(): id @m, found unused, becomes an online child of
 * @parent.  Context: caller holds memcg_lock (the ids' xa_lock: xas_store()
 * reads the tree through xa_head_locked(), rcu_dereference_protected(...,
 * lockdep_is_held(&xa->xa_lock)), a lockdep splat without it).
 */
function __mem_cgroup_id_store(m: number, parent: number): void {
  lockdep_assert_held(gword(G.memcg_lock), 'xa_lock of mem_cgroup_ids');
  const i32 = A.i32;
  i32.fill(0, mw(m, 0), mw(m, MEMCG.SIZE));
  i32[mw(m, MEMCG.parent)] = parent;
  i32[mw(m, MEMCG.state)] = MEMCG_ONLINE;
}

/**
 * mem_cgroup_css_offline(): the memcg dies.  Its charges stay where they
 * are (zombie) until they are moved or freed.  The root cannot die.
 */
export function mem_cgroup_offline(id: number): number {
  if (id === ROOT_MEM_CGROUP || !mem_cgroup_online(id)) return -22;
  spin_lock(gword(G.memcg_lock), LC_MEMCG);
  A.i32[mw(id, MEMCG.offline_seq)] = Atomics.add(A.i32, gword(G.memcg_offline_seq), 1) + 1;
  A.i32[mw(id, MEMCG.state)] = MEMCG_OFFLINE;
  spin_unlock(gword(G.memcg_lock));
  return 0;
}

/**
 * The death sequence now.  A charge records it (FOLIO.charge_seq) *before*
 * choosing its memcg, so the checker can tell a folio charged to a memcg
 * that died later (legal: the folio belongs to a zombie) from one charged
 * to a memcg already dead when it was chosen (what patch 6 forbids).
 */
export function mem_cgroup_offline_seq(): number {
  return A.i32[gword(G.memcg_offline_seq)];
}

/** Was @id already dead when a charge that recorded @seq chose it? */
export function mem_cgroup_dead_at(id: number, seq: number): boolean {
  if (mem_cgroup_online(id)) return false;
  const died = A.i32[mw(id, MEMCG.offline_seq)];
  return died !== 0 && ((seq - died) | 0) >= 0;
}

/** The nearest online memcg at or above @id (the root at worst). */
export function mem_cgroup_nearest_online(id: number): number {
  let m = id;
  while (m > 0 && !mem_cgroup_online(m)) m = parent_mem_cgroup(m);
  return m > 0 ? m : ROOT_MEM_CGROUP;
}

export function mem_cgroup_swap_usage(id: number): number {
  return A.i32[mw(id, MEMCG.swap_charge)];
}

function swap_charge(id: number, nr: number): void {
  if (id <= 0) return;
  Atomics.add(A.i32, mw(id, MEMCG.swap_charge), nr);
}

function swap_uncharge(id: number, nr: number): void {
  if (id <= 0) return;
  const left = Atomics.sub(A.i32, mw(id, MEMCG.swap_charge), nr) - nr;
  if (left < 0) report('memcg', `memcg ${id}: swap page_counter underflow (${left}) uncharging ${nr}`, [id, left, nr]);
}

/**
 * mem_cgroup_try_charge_swap(): charge @nr slots to @memcg's swap counter.
 * (Patch 7: no record yet; the id is written when the folio leaves the
 * swap cache.)  Always succeeds: the model sets no swap.max.
 */
export function mem_cgroup_try_charge_swap(memcg: number, nr: number): number {
  swap_charge(memcg, nr);
  return 0;
}

/**
 * mem_cgroup_swap_free_folio(): a charged folio leaves the swap cache with
 * its slots swapped out.  If the folio's memcg is offline, move the swap
 * charge to its nearest online ancestor.  Returns the memcg whose id the
 * shadow records.
 */
export function mem_cgroup_swap_free_folio(memcg: number, nr: number): number {
  const swap_memcg = mem_cgroup_nearest_online(memcg);
  if (swap_memcg !== memcg) {
    swap_uncharge(memcg, nr);
    swap_charge(swap_memcg, nr);
  }
  return swap_memcg;
}

/**
 * mem_cgroup_swapin_charge_folio(): charge a folio swapped in from slots
 * recorded to @id.  If that memcg is dead, walk to its nearest online
 * ancestor and move the swap charge of the @nr slots there (patch 6).
 * Returns the memcg the folio is charged to.
 *
 * Bug switch memcg-dead-reparent: charge the dead memcg and leave the swap
 * charge behind, as before patch 6.
 */
export function mem_cgroup_swapin_charge_folio(id: number, fallback: number, nr: number): number {
  /*
   * No record: the faulting mm's memcg.  The caller read it before this
   * charge; if it has died since (its tasks moved out, then rmdir), the
   * charge goes where an offlined memcg's charges go, up to its nearest
   * online ancestor, as for a recorded one (patch 6).
   */
  if (id <= 0) return mem_cgroup_online(fallback) ? fallback : mem_cgroup_nearest_online(fallback);
  if (!mem_cgroup_online(id) && !bug_on(BUG_MEMCG_DEAD_REPARENT)) {
    const parent = mem_cgroup_nearest_online(id);
    swap_uncharge(id, nr);
    swap_charge(parent, nr);
    return parent;
  }
  return id;
}

/**
 * mem_cgroup_swapin_charge_folio() before phase IV (p2/p3): the memcg
 * recorded in swap_cgroup if it is still online, else the faulting mm's
 * (get_mem_cgroup_from_mm); the swap charge stays where swap_cgroup
 * recorded it until the slots are freed.
 */
export function mem_cgroup_swapin_charge_folio_swap_cgroup(id: number, fallback: number): number {
  return id > 0 && mem_cgroup_online(id) ? id : fallback;
}

/** mem_cgroup_uncharge_swap(): @nr slots recorded to @id are freed. */
export function mem_cgroup_uncharge_swap(id: number, nr: number): void {
  swap_uncharge(id, nr);
}
