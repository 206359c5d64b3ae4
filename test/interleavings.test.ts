/*
 * The interleavings (scenarios/interleavings/): operations on shared state
 * that no bug switch names, explored on the model as it is.  Every one is
 * clean for its first INTERLEAVING_SCHEDULES schedules of up to two
 * preemptions under dpor: what keeps a mistake planted in the fault,
 * reclaim, fork and unmap paths from passing the suite.  Bounded by
 * schedules, never by time.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explore_scenario } from '../src/harness/explore.js';
import { load_scenario } from '../src/scenario/load.js';
import { cli, file_cpu_pool } from './cpu_pool_fixture.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pool = file_cpu_pool(3);

const ALL = { k: 1, n: 1 };

/*
 * The budget, measured on the 21 EarlyUnlock and DropRecheck mutants of
 * src/mm/memory.ts (`swaptorture mutate --list --files src/mm/memory.ts
 * --operators EarlyUnlock,DropRecheck`), each explored on every
 * interleaving until one breaks: the first 40 schedules of up to one
 * preemption (sleep sets; this test before) caught 13; the first 150 of
 * up to two under dpor catch 15 - zap_page_range's PTL dropped before its
 * loop (dontneed-vs-reclaim, schedule 106) and free_pages_and_swap_cache
 * unlocking the folio before folio_free_swap (dontneed-vs-swapin, 28) -
 * and the 13 sooner (at most 5 schedules where the old order took up to
 * 23).  dpor's order puts a preemption before the steps that race first.
 * With swapin-vs-reswap, written after, 16: do_swap_page's folio re-check
 * dropped (schedule 12).
 */
const INTERLEAVING_SCHEDULES = 150;

describe('explore: a scenario without a bug switch (scenarios/interleavings)', () => {
  const DIR = join(ROOT, 'scenarios', 'interleavings');
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

  it(`each runs on the model as it is: clean for its first ${INTERLEAVING_SCHEDULES} schedules of up to two preemptions (dpor), and --max-schedules stops at exactly that many`, async () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) {
      const sc = load_scenario(join(DIR, f));
      expect(sc.bug, f).toBeUndefined();
      /* on its first design, as repro and explore run it (a ghost device's scenario only has ghost) */
      const r = await explore_scenario(pool(), sc, { design: sc.designs[0], fixed: true, bound: 2, reduction: 'dpor', shard: ALL, seconds: 0, maxSchedules: INTERLEAVING_SCHEDULES });
      expect(r.violation, `${f}: ${r.violation?.repro.message ?? ''}`).toBeNull();
      expect(r.explored, f).toBeLessThanOrEqual(INTERLEAVING_SCHEDULES);
      if (r.verdict === 'budget') {
        expect(r.explored, f).toBe(INTERLEAVING_SCHEDULES);
        expect(r.stoppedBy, f).toBe('schedules');
      } else {
        expect(r.verdict, f).toBe('exhausted');
      }
    }
  });

  it('swapoff waiting for an exiting process is no livelock once the preemptions are spent: try_to_unuse() retries yield (cond_resched), they do not spin to the step budget', async () => {
    /* Before: ghost, schedule 570 (one preemption, then swapoff alone for 262,144 steps while exit never ran again). */
    const sc = load_scenario(join(DIR, 'swapoff-vs-exit.json'));
    const r = await explore_scenario(pool(), sc, { design: 'ghost', fixed: true, bound: 2, reduction: 'sleep', shard: ALL, seconds: 0, maxSchedules: 640 });
    expect(r.violation?.repro.message ?? null).toBeNull();
    expect(r.explored).toBe(640);
  });

  it('the CLI implies --fixed for it, and stops at --max-schedules with "budget hit (--max-schedules)"', () => {
    const all = cli('explore', join(DIR, 'anon-fault-same-page.json'), '--preemptions', '1');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^explore anon-fault-same-page: design p4, fixed \(--fixed\)/m);
    expect(all.stdout).toMatch(/^exhausted: no violation with ≤1 preemptions$/m);
    const n = Number(/^schedules explored: (\d+)$/m.exec(all.stdout)![1]);
    expect(n).toBeGreaterThan(5);
    const cut = cli('explore', join(DIR, 'anon-fault-same-page.json'), '--preemptions', '1', '--max-schedules', '5', '--json');
    expect(cut.code, cut.stderr).toBe(0);
    expect(JSON.parse(cut.stdout)).toMatchObject({ explored: 5, verdict: 'budget', stoppedBy: 'schedules', fixed: true });
  });
});

