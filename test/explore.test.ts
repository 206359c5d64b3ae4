import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArena } from '../src/shm/arena.js';
import { CpuPool } from '../src/harness/cpus.js';
import { explore_synthetic } from '../src/harness/explore_synthetic.js';
import type { ExploreOp } from '../src/harness/explore_ops.js';

let pool: CpuPool;
beforeAll(() => {
  pool = new CpuPool(createArena({}), 3);
});
afterAll(async () => {
  await pool.destroy();
});

const DEPTH2: ExploreOp[][] = [
  [['w', 0, 1], ['w', 0, 0]],
  [['w', 1, 1], ['w', 1, 0]],
  [['both', 0, 1]],
];

describe('explore', () => {
  it('smoke', async () => {
    for (const K of [0, 1, 2]) {
      for (const reduction of ['none', 'sleep'] as const) {
        const st = await explore_synthetic(pool, DEPTH2, { bound: K, reduction, shard: { k: 1, n: 1 } });
        console.log(K, reduction, st.verdict, st.explored, st.pruned, st.beyond, st.terminals.size, st.violation?.preemptions, st.failing);
      }
    }
  });
});
