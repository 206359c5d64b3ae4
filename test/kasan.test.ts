/*
 * src/shm/kasan.ts: under SWAPTORTURE_KASAN=1 (vitest.config.ts sets it
 * for every test) the arena accessors refuse an index one past the end of
 * their array - the slab-out-of-bounds KASAN reports - instead of handing
 * out a word of the neighbouring structure; every index inside is fine.
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { describe, expect, it } from 'vitest';
import { System } from '../src/api/system.js';
import { A } from '../src/shm/arena.js';
import { MAX_SWAPFILES, SI, SWAP_NR_ORDERS, TASK, CPU, MM, MEMCG } from '../src/shm/layout.js';
import { si_frag_list, si_nonfull_list } from '../src/mm/cluster_list.js';
import { KernelBug } from '../src/shm/report.js';
import { kasan_enabled } from '../src/shm/kasan.js';
import { parse_kasan } from '../src/shm/env.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { clusterWord, pcp_swap_offset, pcp_swap_si, si_global_cluster_next, siWord } from '../src/mm/swap.js';
import { cpuWord, taskWord } from '../src/shm/task.js';
import { mmw, ptep_get } from '../src/mm/pgtable.js';
import { mw, nr_memcg_ids } from '../src/mm/memcontrol.js';
import { page_token, page_token_index, set_page_token, token_copy } from '../src/mm/page_alloc.js';

const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));

/* The message of the KernelBug @fn throws, or null. */
function bug(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof KernelBug) return e.message;
    throw e;
  }
}

describe('KASAN: out-of-bounds indexes of the arena arrays', () => {
  it('is on in the test suite', () => {
    expect(kasan_enabled).toBe(true);
  });

  it('reports an index one past the end of swap_info[], the CPUs, tasks, mms, page tables, memcgs and a device\'s per-order cluster lists, and one below 0', () => {
    const sys = System.create({ nrCpus: 2, nrTasks: 3, nrFrames: 512, nrMms: 4, mmPages: 64 });
    sys.as(0, () => {
      const c = A.L.config;
      const cases: [string, (i: number) => number, number, string][] = [
        ['swap_info', (i) => siWord(i, SI.flags), MAX_SWAPFILES, 'swap_info'],
        ['cpu', (i) => cpuWord(i, CPU.SIZE - 1), c.nrCpus, 'cpu'],
        ['task', (i) => taskWord(i, TASK.cpu), c.nrTasks, 'task'],
        ['mm', (i) => mmw(i, MM.SIZE - 1), c.nrMms, 'mm'],
        ['pte', (i) => ptep_get(0, i), c.mmPages, 'pte'],
        ['mem_cgroup', (i) => mw(i, MEMCG.SIZE - 1), nr_memcg_ids(), 'mem_cgroup'],
        /* Arrays inside swap_info, side by side: nonfull_clusters[SWAP_NR_ORDERS] would be frag_clusters[0]. */
        ['nonfull_clusters', (o) => si_nonfull_list(0, o), SWAP_NR_ORDERS, 'si->nonfull_clusters'],
        ['frag_clusters', (o) => si_frag_list(0, o), SWAP_NR_ORDERS, 'si->frag_clusters'],
        ['global_cluster_next', (o) => si_global_cluster_next(0, o), SWAP_NR_ORDERS, 'si->global_cluster_next'],
        /* And inside a CPU's percpu_swap_cluster: offset[SWAP_NR_ORDERS] would be si[0]. */
        ['percpu_swap_cluster.offset', (o) => pcp_swap_offset(0, o), SWAP_NR_ORDERS, 'percpu_swap_cluster.offset'],
        ['percpu_swap_cluster.si', (o) => pcp_swap_si(0, o), SWAP_NR_ORDERS, 'percpu_swap_cluster.si'],
      ];
      for (const [name, fn, nr, what] of cases) {
        expect(bug(() => fn(nr - 1)), name).toBeNull();
        expect(bug(() => fn(0)), name).toBeNull();
        expect(bug(() => fn(nr)), name).toBe(`bug: KASAN: out-of-bounds access to ${what}[${nr}] (${nr} of them)`);
        expect(bug(() => fn(-1)), name).toBe(`bug: KASAN: out-of-bounds access to ${what}[-1] (${nr} of them)`);
      }
    });
  });
});

describe('KASAN: a static device\'s cluster_info', () => {
  it('reports the cluster one past the device\'s last (the next array of its swap block)', () => {
    const sys = System.create({ design: 'p4', nrFrames: 512, nrMms: 4, mmPages: 64, maxSwapPages: 2048 });
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1100 })).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    sys.as(0, () => {
      const nr = A.i32[siWord(0, SI.nr_clusters)];
      expect(nr).toBe(3); /* 1100 slots: two whole clusters and a tail */
      expect(bug(() => clusterWord(0, nr - 1))).toBeNull();
      expect(bug(() => clusterWord(0, nr))).toBe(`bug: KASAN: out-of-bounds access to si->cluster_info[${nr}] (${nr} of them)`);
    });
  });
});

describe('KASAN: content tokens copied to or from no word of the arena', () => {
  it('token_copy() reports an index past the arena or none at all (an array read one past its end), and copies between real words', () => {
    const sys = System.create({ nrCpus: 1, nrTasks: 2, nrFrames: 64, nrMms: 2, mmPages: 16 });
    sys.as(0, () => {
      const nr = A.u64.length;
      const [a, b] = [page_token_index(1), page_token_index(2)];
      set_page_token(1, 0x1234n);
      expect(bug(() => token_copy(b, a))).toBeNull();
      expect(page_token(2)).toBe(0x1234n);
      const sectors: number[] = [b];
      expect(bug(() => token_copy(sectors[1], a))).toBe(`bug: KASAN: out-of-bounds access to content token[undefined] (${nr} of them)`);
      expect(bug(() => token_copy(b, nr))).toBe(`bug: KASAN: out-of-bounds access to content token[${nr}] (${nr} of them)`);
    });
  });
});

describe('SWAPTORTURE_KASAN and SWAPTORTURE_MUTANT values', () => {
  it('only 1, 0 or none for KASAN (another value meant "off" without a word); the command refuses the others, exit 2 naming the variable', () => {
    expect([undefined, '', '0', '1', 'yes', 'true', '2'].map(parse_kasan).map((v) => (v instanceof Error ? 'error' : v))).toEqual([false, false, false, true, 'error', 'error', 'error']);
    for (const [name, value] of [['SWAPTORTURE_KASAN', 'yes'], ['SWAPTORTURE_MUTANT', 'abc']]) {
      const r = spawnSync(process.execPath, [BIN, 'decode', '0'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, [name]: value } });
      expect(r.status, `${name}=${value}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(new RegExp(`^swaptorture: ${name}: "${value}" is `))]);
    }
  });
});
