/*
 * A repro search boots a scenario's system once and restores it before
 * every schedule with that schedule's seed (src/harness/scenario_boot.ts).
 * That must be the system a fresh build of the seed gives - word for word,
 * and in what a search finds - and a setup that draws random numbers must
 * be built afresh for every seed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { A, ARENA_MAGIC } from '../src/shm/arena.js';
import { G } from '../src/shm/layout.js';
import type { CpuPool } from '../src/harness/cpus.js';
import { repro_pool, repro_search, run_once } from '../src/harness/repro.js';
import { repro_build } from '../src/harness/scenario_build.js';
import { scenario_boot, scenario_restore, type ScenarioBoot } from '../src/harness/scenario_boot.js';
import { load_scenario, parse_scenario } from '../src/scenario/load.js';
import type { Scenario } from '../src/scenario/fields.js';
import { STRATEGY_PCT } from '../src/sched/strategy.js';
import { decode_schedule } from '../src/sched/schedule.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CATALOGUE = ['scenarios', 'scenarios/interleavings'].flatMap((d) =>
  readdirSync(join(ROOT, d)).filter((f) => f.endsWith('.json')).map((f) => load_scenario(join(ROOT, d, f))),
);

/*
 * The words a restore puts back, and the label table, as they are now -
 * but for the per-task statistics: lock hold times in wall-clock time,
 * which differ between two builds of one seed (arena_state_hash leaves
 * them out too).
 */
function restored_words(b: Pick<ScenarioBoot, 'labels'>): { words: Int32Array; labels: Int32Array } {
  const L = A.L;
  const words = new Int32Array(L.schedRecord + L.schedRunnable - L.trace);
  words.set(A.i32.subarray(0, L.schedRecord));
  words.fill(0, L.stats, L.pcpuRefs);
  words.set(A.i32.subarray(L.trace, L.schedRunnable), L.schedRecord);
  return { words, labels: b.labels.slice() };
}

/* The first word index at which @a and @b differ, or -1. */
function first_difference(a: Int32Array, b: Int32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/* zswap-writeback-leak with a writeback in its setup: the shrinker picks where to start at random, on task 0. */
function setup_draws(): Scenario {
  const base = CATALOGUE.find((s) => s.race === 'zswap-writeback-leak')!;
  const text = JSON.stringify({ ...JSON.parse(JSON.stringify(base)), race: 'setup-draws', setup: [...base.setup, { op: 'writeback', nr: 1 }] });
  return parse_scenario('setup-draws.json', text);
}

describe('a boot restored with another seed', () => {
  it('is, for every catalogued scenario whose setup drew no random number, the fresh build of that seed word for word', () => {
    let reseedable = 0;
    for (const sc of CATALOGUE) {
      const design = sc.designs[0];
      const fresh = repro_build(sc, 9, false, design);
      const want = restored_words(fresh);
      const boot = scenario_boot(sc, 1, false, design, 0);
      if (!boot.reseedable) continue;
      reseedable++;
      /* Run nothing, but dirty the words a schedule would: the restore must put every one back. */
      A.i32.fill(-1, 0, A.L.schedRecord);
      A.i32[A.L.global + G.magic] = ARENA_MAGIC;
      boot.labels.fill(-1);
      scenario_restore(boot, 9);
      const got = restored_words(boot);
      expect(first_difference(got.words, want.words), `${sc.race}: first differing word`).toBe(-1);
      expect([...got.labels], sc.race).toEqual([...want.labels]);
      /* And back to its own seed. */
      scenario_restore(boot);
      const own = restored_words(boot);
      scenario_boot(sc, 1, false, design, 0);
      expect(first_difference(own.words, restored_words(boot).words), sc.race).toBe(-1);
    }
    expect(reseedable).toBeGreaterThanOrEqual(CATALOGUE.length / 2);
  });

  it('is refused when the setup drew a random number: the seed shaped the system', () => {
    const sc = setup_draws();
    const boot = scenario_boot(sc, 1, false, 'p4', 0);
    expect(boot.reseedable).toBe(false);
    expect(() => scenario_restore(boot, 2)).toThrow(/drew random numbers, it cannot stand for seed 2/);
    expect(() => scenario_restore(boot)).not.toThrow();
    /* The catalogued scenario it is made from did not draw. */
    expect(scenario_boot(CATALOGUE.find((s) => s.race === 'zswap-writeback-leak')!, 1, false, 'p4', 0).reseedable).toBe(true);
  });
});

describe('a search on the restored boot finds what a search of fresh builds finds', () => {
  let pool: CpuPool;
  beforeAll(() => {
    pool = repro_pool(CATALOGUE);
  });
  afterAll(async () => {
    await pool.destroy();
  });

  /* The search as repro_search runs it, every schedule on a fresh build (run_once): the seed that reproduced, and its schedule. */
  async function fresh_search(sc: Scenario, seed: number, max: number): Promise<{ schedules: number; schedule: string | null }> {
    let k = 2000;
    for (let n = 0; n < max; n++) {
      const run = await run_once(pool, sc, seed + n, false, { strategy: STRATEGY_PCT, k, depth: sc.depth }, undefined, sc.designs[0]);
      if (run.abnormal !== null) throw new Error(`${sc.race}: seed ${seed + n}: ${run.abnormal}`);
      if (run.steps > 0) k = run.steps;
      if (run.violations.some((v) => v.invariant === sc.invariant)) return { schedules: n + 1, schedule: run.schedule };
    }
    return { schedules: max, schedule: null };
  }

  it.each(['zswap-writeback-leak', 'swapcache-large-folio', 'ghost-swapoff-allocation', 'setup-draws'])('%s', async (race) => {
    const sc = race === 'setup-draws' ? setup_draws() : CATALOGUE.find((s) => s.race === race)!;
    const max = 120;
    const want = await fresh_search(sc, 1, max);
    const got = await repro_search(pool, sc, { design: sc.designs[0], mode: 'pct', fixed: false, seed: 1, maxSchedules: max, seconds: 0 });
    expect(got.abnormal).toBeNull();
    expect(got.schedules).toBe(want.schedules);
    expect(got.schedule === null ? null : decode_schedule(got.schedule.slice(got.schedule.indexOf(':') + 1)).join(',')).toBe(
      want.schedule === null ? null : decode_schedule(want.schedule).join(','),
    );
    /* The catalogued races reproduce within the budget (the comparison is of a found schedule, not of two empty searches). */
    if (race !== 'setup-draws') expect(got.reproduced).toBe(true);
  });
});
