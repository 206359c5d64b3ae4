/*
 * Two processes of one fork family fault the same swapped-out page at
 * once, under the controlled scheduler with the I/O completion task (the
 * read is asynchronous): they meet in the swap cache - one allocates the
 * folio and reads it, the other finds it there and waits on its lock - so
 * the page is read once and both map the same folio.  And a zap of one
 * mapping (MADV_DONTNEED) during the other's swap-in leaves everything
 * consistent.  PCT schedules 1..N (seeds printed); each run must end
 * clean, and the state it leaves is checked.
 */
import { describe, expect, it } from 'vitest';
import { run_once } from '../src/harness/repro.js';
import { parse_scenario } from '../src/scenario/load.js';
import type { Scenario } from '../src/scenario/fields.js';
import { STRATEGY_PCT } from '../src/sched/strategy.js';
import { A } from '../src/shm/arena.js';
import { is_swap_pte, pte_none, pte_pfn, pte_present, pteWord } from '../src/mm/pgtable.js';
import { PSWPIN, sum_vm_events } from '../src/mm/vmstat.js';
import { setCurrent } from '../src/shm/task.js';
import { file_cpu_pool } from './cpu_pool_fixture.js';

const SCHEDULES = 40;
const pool = file_cpu_pool(3);

/* A scenario: a's page 0 swapped out to an ssd, shared with its child b by fork; then @cpus. */
function scenario(cpus: object[]): Scenario {
  return parse_scenario('shared-swapin.json', JSON.stringify({
    race: 'shared-swapin',
    title: 'two processes fault one shared swap entry',
    functions: ['do_swap_page'],
    bug: 'swapin-no-pte-recheck',
    invariant: 'data',
    designs: ['p4'],
    story: 'a and its child b share a swapped-out page; CPUs fault it, or zap it, at once.',
    system: { devices: [{ kind: 'ssd', pages: 1024 }], frames: 256, mmPages: 16, mms: 4 },
    setup: [
      { op: 'mm', as: 'a' },
      { op: 'write', mm: 'a', page: 0, nr: 1 },
      { op: 'reclaim', mm: 'a', page: 0, nr: 1 },
      { op: 'fork', mm: 'a', as: 'b' },
    ],
    cpus,
    depth: 3,
    maxSchedules: SCHEDULES,
  }));
}

/* PTE of page 0 of process @mm (a is mm 0, b mm 1: created in that order). */
function pte0(mm: number): number {
  return Atomics.load(A.i32, pteWord(mm, 0));
}

describe('two processes faulting one shared swap entry', () => {
  it('meet in the swap cache: one read, both map the same folio, in every schedule', async () => {
    const sc = scenario([
      { ops: [{ op: 'touch', mm: 'a', page: 0 }] },
      { ops: [{ op: 'touch', mm: 'b', page: 0 }] },
    ]);
    for (let seed = 1; seed <= SCHEDULES; seed++) {
      const run = await run_once(pool(), sc, seed, true, { strategy: STRATEGY_PCT, depth: 3 });
      expect(run.abnormal, `seed ${seed}`).toBeNull();
      expect(run.violations.map((v) => v.message), `seed ${seed}`).toEqual([]);
      setCurrent(0);
      expect(sum_vm_events(PSWPIN), `seed ${seed}: reads`).toBe(1);
      expect(pte_present(pte0(0)) && pte_present(pte0(1)), `seed ${seed}`).toBe(true);
      expect(pte_pfn(pte0(1)), `seed ${seed}: b maps a's folio`).toBe(pte_pfn(pte0(0)));
    }
  });

  it('a zap of one mapping during the other\'s swap-in: the swap-in maps the page, the zapped PTE is none, the checks hold', async () => {
    const sc = scenario([
      { ops: [{ op: 'touch', mm: 'a', page: 0 }] },
      { ops: [{ op: 'dontneed', mm: 'b', page: 0, nr: 1 }] },
    ]);
    for (let seed = 1; seed <= SCHEDULES; seed++) {
      const run = await run_once(pool(), sc, seed, true, { strategy: STRATEGY_PCT, depth: 3 });
      expect(run.abnormal, `seed ${seed}`).toBeNull();
      expect(run.violations.map((v) => v.message), `seed ${seed}`).toEqual([]);
      setCurrent(0);
      expect(pte_present(pte0(0)), `seed ${seed}`).toBe(true);
      expect(pte_none(pte0(1)) && !is_swap_pte(pte0(1)), `seed ${seed}`).toBe(true);
    }
  });
});
