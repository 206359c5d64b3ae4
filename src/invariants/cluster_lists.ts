/*
 * The quiescent checker's half of cluster-lists (docs/invariants.md):
 * the device's cluster lists are well-formed (CONFIG_DEBUG_LIST's
 * __list_add_valid / __list_del_entry_valid: each entry's prev is the
 * one before it, the head's tail is the last, no cycle), which list each
 * cluster is on, and whether its flags fit its count (mm/swapfile.c's
 * relocate_cluster(), partial_free_cluster(), free_cluster(): FREE and
 * DISCARD clusters are empty, FULL ones have every slot used, NONFULL
 * and FRAG ones some but not all).
 *
 * Context: quiescent.
 */
import { A } from '../shm/arena.js';
import { CI, LIST, SI, SWAPFILE_CLUSTER, SWAP_NR_ORDERS } from '../shm/layout.js';
import {
  CLUSTER_FLAG_DISCARD, CLUSTER_FLAG_FRAG, CLUSTER_FLAG_FREE, CLUSTER_FLAG_FULL, CLUSTER_FLAG_NAMES, CLUSTER_FLAG_NONFULL, clusterWord, siWord,
} from '../mm/swap.js';
import { list_for_flags } from '../mm/cluster_list.js';
import type { Fail } from './fail.js';

/** A list's code: its flags, plus ten times the order for NONFULL / FRAG. */
export function cluster_list_code(flags: number, order: number): number {
  return flags === CLUSTER_FLAG_NONFULL || flags === CLUSTER_FLAG_FRAG ? flags + order * 10 : flags;
}

function list_name(code: number): string {
  const flags = code % 10;
  return flags === CLUSTER_FLAG_NONFULL || flags === CLUSTER_FLAG_FRAG ? `${CLUSTER_FLAG_NAMES[flags]}[${Math.floor(code / 10)}]` : CLUSTER_FLAG_NAMES[flags];
}

/** The lists a membership code of cluster_list_membership() names, for a message. */
export function cluster_lists_named(code: number | undefined): string {
  if (code === undefined) return 'no list';
  const names: string[] = [];
  for (let c = code; c > 0; c = Math.floor(c / 100)) names.unshift(list_name(c % 100));
  return names.join(' and ');
}

/*
 * Walk list @code of device @type from its head, checking its links as
 * CONFIG_DEBUG_LIST would; returns the cluster indices on it.
 */
function walk_list(fail: Fail, type: number, code: number): number[] {
  const i32 = A.i32;
  const head = list_for_flags(type, code % 10, Math.floor(code / 10));
  const nrClusters = i32[siWord(type, SI.nr_clusters)];
  const out: number[] = [];
  let prev = -1;
  for (let idx = i32[head + LIST.head]; idx >= 0;) {
    const ci = idx < nrClusters ? clusterWord(type, idx) : 0;
    if (ci === 0 || out.length >= nrClusters) {
      fail('cluster-lists', `device ${type} list ${list_name(code)} corrupted: after cluster ${prev} comes ${out.length >= nrClusters ? 'a cycle' : `cluster ${idx}, which does not exist`}`, [type, code, idx]);
      return out;
    }
    if (i32[ci + CI.prev] !== prev) {
      fail('cluster-lists', `device ${type} list ${list_name(code)} corrupted: cluster ${idx}'s prev is ${i32[ci + CI.prev]}, but ${prev < 0 ? 'it is the first' : `cluster ${prev} comes before it`}`, [type, code, idx]);
    }
    out.push(idx);
    prev = idx;
    idx = i32[ci + CI.next];
  }
  if (i32[head + LIST.tail] !== prev) fail('cluster-lists', `device ${type} list ${list_name(code)} corrupted: its tail is ${i32[head + LIST.tail]}, its last cluster ${prev}`, [type, code]);
  if (i32[head + LIST.nr] !== out.length) fail('cluster-lists', `device ${type} list ${list_name(code)} says ${i32[head + LIST.nr]} clusters, holds ${out.length}`, [type, code]);
  return out;
}

/**
 * Every list of device @type, checked: cluster index -> the code of the
 * list it is on (codes of several lists concatenated base 100, so a
 * cluster on two lists matches no single list).
 */
export function cluster_list_membership(fail: Fail, type: number): Map<number, number> {
  const onList = new Map<number, number>();
  const codes = [CLUSTER_FLAG_FREE, CLUSTER_FLAG_FULL, CLUSTER_FLAG_DISCARD];
  for (let o = 0; o < SWAP_NR_ORDERS; o++) codes.push(cluster_list_code(CLUSTER_FLAG_NONFULL, o), cluster_list_code(CLUSTER_FLAG_FRAG, o));
  for (const code of codes) for (const idx of walk_list(fail, type, code)) onList.set(idx, (onList.get(idx) ?? 0) * 100 + code);
  return onList;
}

/**
 * cluster-lists: flags @cflags fit the cluster's @count (judged only when
 * the count is the table's: a wrong count is cluster-count's to report).
 */
export function check_cluster_flags(fail: Fail, type: number, idx: number, cflags: number, count: number): void {
  let want: string | null = null;
  if ((cflags === CLUSTER_FLAG_FREE || cflags === CLUSTER_FLAG_DISCARD) && count !== 0) want = 'none';
  else if (cflags === CLUSTER_FLAG_FULL && count !== SWAPFILE_CLUSTER) want = `all ${SWAPFILE_CLUSTER}`;
  else if ((cflags === CLUSTER_FLAG_NONFULL || cflags === CLUSTER_FLAG_FRAG) && (count === 0 || count === SWAPFILE_CLUSTER)) want = `between 1 and ${SWAPFILE_CLUSTER - 1}`;
  if (want !== null) fail('cluster-lists', `device ${type} cluster ${idx} is ${CLUSTER_FLAG_NAMES[cflags]} with ${count} slots used, where ${CLUSTER_FLAG_NAMES[cflags]} means ${want} (relocate_cluster() put it on the wrong list)`, [type, idx, cflags, count]);
}
