/*
 * include/linux/plist.h, lib/plist.c, for the one priority-sorted list the
 * model has: swap_avail_head, the devices folio_alloc_swap() may allocate
 * from.
 *
 * A plist keeps its nodes in ascending node prio; a swap device's node is
 * keyed by -si->prio (setup_swap_info(): "the plist prio is negated
 * because plist ordering is low-to-high, while swap ordering is
 * high-to-low"), so the highest swap priority comes first.  Nodes of equal
 * prio keep the order they were added in: plist_add() puts a node behind
 * its equals, plist_requeue() moves one behind them.
 *
 * In the arena the head word holds the first device's type + 1 (0: empty)
 * and each device links to the next through SI.avail_next (type + 1, 0:
 * the end).  SI.avail is 1 while the device is on the list: the negation
 * of plist_node_empty(), which in the kernel is a self-linked node.  The
 * kernel's prio_list (a skip list over the distinct priorities) only
 * speeds up plist_add() and is left out: the order is the same.
 *
 * Context: the caller holds the list's lock (swap_avail_lock); the
 * functions that change the list check it (plist_assert_held()).
 */
import { A, gword } from '../shm/arena.js';
import { G, SI } from '../shm/layout.js';
import { lockdep_assert_held } from '../sync/lockdep.js';
import { siWord } from './swap.js';

/* The node's key: -si->prio, as setup_swap_info() sets si->avail_list.prio. */
function node_prio(type: number): number {
  return -A.i32[siWord(type, SI.prio)];
}

/** plist_node_empty(): @type is on no list. */
export function plist_node_empty(type: number): boolean {
  return A.i32[siWord(type, SI.avail)] === 0;
}

/** plist_first_entry(): the first device on @head, or -1 if it is empty. */
export function plist_first(head: number): number {
  return A.i32[head] - 1;
}

/** list_next_entry() along the list: the device after @type, or -1 at the end. */
export function plist_next(type: number): number {
  return A.i32[siWord(type, SI.avail_next)] - 1;
}

/* Link @type after @prev (-1: at the front). */
function link_after(head: number, prev: number, type: number): void {
  const i32 = A.i32;
  const at = prev < 0 ? head : siWord(prev, SI.avail_next);
  i32[siWord(type, SI.avail_next)] = i32[at];
  i32[at] = type + 1;
  i32[siWord(type, SI.avail)] = 1;
}

/* The device before @type on @head, -1 if it is the first. */
function plist_prev(head: number, type: number): number {
  let prev = -1;
  for (let t = plist_first(head); t !== type; t = plist_next(t)) prev = t;
  return prev;
}

/*
 * The list is __guarded_by(&swap_avail_lock), checked at run time as
 * lockdep_assert_held() checks (see si_lists_assert_held() for the cluster
 * lists): a change made outside the lock is reported on the spot.
 */
function plist_assert_held(): void {
  lockdep_assert_held(gword(G.swap_avail_lock), 'swap_avail_lock');
}

/**
 * plist_add(): add @type to @head behind every node of lower or equal
 * prio.  The node must be empty.
 */
export function plist_add(type: number, head: number): void {
  plist_assert_held();
  const prio = node_prio(type);
  let prev = -1;
  for (let t = plist_first(head); t >= 0 && node_prio(t) <= prio; t = plist_next(t)) prev = t;
  link_after(head, prev, type);
}

/** plist_del(): take @type off @head; an empty node is left as it is (list_del_init). */
export function plist_del(type: number, head: number): void {
  plist_assert_held();
  __plist_del(type, head);
}

function __plist_del(type: number, head: number): void {
  if (plist_node_empty(type)) return;
  const i32 = A.i32;
  const prev = plist_prev(head, type);
  i32[prev < 0 ? head : siWord(prev, SI.avail_next)] = i32[siWord(type, SI.avail_next)];
  i32[siWord(type, SI.avail_next)] = 0;
  i32[siWord(type, SI.avail)] = 0;
}

/**
 * plist_requeue(): move @type behind the last node of its prio; nothing
 * to do if it is the last one, or the next node's prio differs.
 */
export function plist_requeue(type: number, head: number): void {
  plist_assert_held();
  const next = plist_next(type);
  if (next < 0 || node_prio(next) !== node_prio(type)) return;
  __plist_del(type, head);
  let last = next;
  for (let t = plist_next(next); t >= 0 && node_prio(t) === node_prio(type); t = plist_next(t)) last = t;
  link_after(head, last, type);
}
