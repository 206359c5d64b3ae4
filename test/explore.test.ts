/*
 * `swaptorture explore`: iterative context bounding finds a planted bug at
 * exactly the preemptions it needs, counts a small tree as derived by
 * hand, never misses with dpor or sleep sets what full enumeration finds
 * (a fast-check property over generated programs), shards join to the
 * unsharded run, and a catalogued race is found with its bug switch and
 * exhausted without it.  Bounded by schedules, never by time.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { A } from '../src/shm/arena.js';
import { explore_synthetic, synthetic_run } from '../src/harness/explore_synthetic.js';
import { footprint_read } from '../src/sched/footprint_read.js';
import { decode_schedule } from '../src/sched/schedule.js';
import type { ExploreOp } from '../src/harness/explore_ops.js';
import type { Reduction } from '../src/sched/explore.js';
import { scenario_boot, scenario_restore } from '../src/harness/scenario_boot.js';
import { EXPLORE_LOG_WORDS, explore_observe } from '../src/harness/explore.js';
import { run_built } from '../src/harness/repro.js';
import { repro_build } from '../src/harness/scenario_build.js';
import { load_scenario } from '../src/scenario/load.js';
import { arena_state_hash } from '../src/shm/state_hash.js';
import { G, MAX_LOCK_CLASSES } from '../src/shm/layout.js';
import { STRATEGY_EXPLORE } from '../src/sched/strategy.js';
import { cli, file_cpu_pool } from './cpu_pool_fixture.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pool = file_cpu_pool(3);

const ALL = { k: 1, n: 1 };
const explore = (programs: ExploreOp[][], bound: number, reduction: Reduction = 'sleep', shard = ALL) =>
  explore_synthetic(pool(), programs, { bound, reduction, shard });

/*
 * A bug of depth 2: C sees A's and B's windows open at once.  A must be
 * preempted inside its window (1), then B inside its own (2), before C
 * runs; starting with B instead is symmetric, and C starting first sees
 * neither.
 */
const DEPTH2: ExploreOp[][] = [
  [['w', 0, 1], ['w', 0, 0]],
  [['w', 1, 1], ['w', 1, 0]],
  [['both', 0, 1]],
];

describe('explore: iterative context bounding', () => {
  it('finds a planted depth-2 bug at K=2 (minimal preemptions 2) and exhausts K=1 without it', async () => {
    for (const reduction of ['none', 'sleep'] as const) {
      const k1 = await explore(DEPTH2, 1, reduction);
      expect(k1.verdict, reduction).toBe('exhausted');
      expect(k1.violation).toBeNull();
      const k2 = await explore(DEPTH2, 2, reduction);
      expect(k2.verdict, reduction).toBe('violation');
      expect(k2.violation?.preemptions).toBe(2);
      expect(k2.failing).not.toBeNull();
    }
  });

  /*
   * Two tasks of two operations each: a task of m operations takes m + 1
   * steps (each operation ends at a point, then the exit), and is
   * runnable at its m points, where switching away is a preemption.
   *   0 preemptions: the first task (2 choices, free), run to its end,
   *     then the other (free): 2 schedules.
   *   exactly 1: first task X (2 ways), preempted at one of its m = 2
   *     points for Y, which runs to its end (returning to X while Y can
   *     go on would be a second preemption), then X: 2 * 2 = 4.
   *   exactly 2: as above, then Y preempted at one of its 2 points back
   *     to X, which runs to its end, then Y: 2 * 2 * 2 = 8.
   * So K=0: 2, K=1: 6, K=2: 14 schedules, every one ending in the same
   * state (both words written 1 then 0).
   */
  it('exhausts a clean two-task program in the number of schedules derived by hand', async () => {
    const clean: ExploreOp[][] = [[['w', 0, 1], ['w', 0, 0]], [['w', 1, 1], ['w', 1, 0]]];
    const counts = [];
    for (const K of [0, 1, 2]) {
      const st = await explore(clean, K, 'none');
      expect(st.verdict).toBe('exhausted');
      expect(st.terminals.size).toBe(1);
      counts.push(st.explored);
    }
    expect(counts).toEqual([2, 6, 14]);
    /* The two tasks touch different words: every preemption commutes, and sleep sets prune. */
    const sleep = await explore(clean, 2, 'sleep');
    expect(sleep.verdict).toBe('exhausted');
    expect(sleep.pruned).toBeGreaterThan(0);
    expect(sleep.explored).toBeLessThan(14);
  });
});

/*
 * Generated programs: 2 or 3 tasks of 1-3 operations on two words, some
 * inside a lock or two nested (lockdep records the order: the opposite
 * order in another task is a report, or a deadlock); four words of a
 * shared buffer outside the arena, by Atomics; and word 2, only ever -1 or 0, that 'until' waits on as
 * the I/O completion task waits for a bio (a wait nobody ends is a
 * deadlock: a failing run).
 */
const word = fc.integer({ min: 0, max: 1 });
const simple: fc.Arbitrary<ExploreOp[]> = fc.oneof(
  fc.tuple(word, fc.integer({ min: 0, max: 2 })).map(([x, v]) => [['w', x, v] as ExploreOp]),
  word.map((x) => [['add', x] as ExploreOp]),
  word.map((x) => [['r', x] as ExploreOp]),
  fc.tuple(word, fc.integer({ min: 1, max: 2 })).map(([x, v]) => [['assert', x, v] as ExploreOp]),
  fc.tuple(fc.integer({ min: 0, max: 1 }), word).map(([l, x]) => [['lock', l], ['add', x], ['unlock', l]] as ExploreOp[]),
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 2 }), word).map(([a, d, x]) => {
    const b = (a + d) % 3;
    return [['lock', a], ['lock', b], ['add', x], ['unlock', b], ['unlock', a]] as ExploreOp[];
  }),
  fc.integer({ min: -1, max: 0 }).map((v) => [['w', 2, v] as ExploreOp]),
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 2 })).map(([x, v]) => [['fw', x, v] as ExploreOp]),
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 2 })).map(([x, v]) => [['fassert', x, v] as ExploreOp]),
  fc.constant([['until', 2] as ExploreOp]),
);
const program = fc.array(fc.array(simple, { minLength: 1, maxLength: 2 }).map((b) => b.flat()), { minLength: 2, maxLength: 3 });

describe('explore: dpor and sleep sets never miss what full enumeration finds', () => {
  it('same verdict, same minimal preemptions, same terminal states, never more schedules (fast-check, seed printed)', async () => {
    const seed = 20261205;
    console.log(`explore property: fast-check seed ${seed}`);
    const prunedBy = { sleep: false, dpor: false };
    await fc.assert(
      fc.asyncProperty(program, fc.integer({ min: 0, max: 2 }), async (prog, K) => {
        const none = await explore(prog, K, 'none');
        for (const reduction of ['sleep', 'dpor'] as const) {
          const r = await explore(prog, K, reduction);
          expect(r.verdict, reduction).toBe(none.verdict);
          expect(r.violation?.preemptions, reduction).toBe(none.violation?.preemptions);
          if (none.verdict === 'exhausted') {
            expect([...r.terminals].sort(), reduction).toEqual([...none.terminals].sort());
            expect(r.explored, reduction).toBeLessThanOrEqual(none.explored);
          }
          /* Sleep sets keep none's depth-first order; dpor adds branches at earlier nodes later, so it may meet a violation later. */
          if (reduction === 'sleep') expect(r.explored, reduction).toBeLessThanOrEqual(none.explored);
          if (r.pruned > 0) prunedBy[reduction] = true;
        }
      }),
      { seed, numRuns: 30 },
    );
    expect(prunedBy).toEqual({ sleep: true, dpor: true });
  });
});

describe('explore: footprints', () => {
  /*
   * The I/O completion task idle (no bio in flight: its word negative)
   * waits for a write of the word, not for a step: its step reads the
   * word and commutes with the steps that do not write it.  (It was
   * dependent with every step, as a wait for a step still is: in a
   * scenario the completion task's first step raced with every other
   * task's.)
   */
  it('a wait for a step while its word is negative reads the word and is not global', async () => {
    const prog: ExploreOp[][] = [[['w', 2, -1], ['w', 0, 1], ['w', 2, 0]], [['until', 2]]];
    /* Task 1 sets the word to -1; task 2 preempts it and waits; task 1 writes word 0, then word 2 = 0, which ends the wait. */
    const r = await synthetic_run(pool(), prog, [1, 2], true);
    expect(r.outcome).toBe('done');
    const record = decode_schedule(r.schedule);
    const fps = footprint_read(record.length);
    expect(record.slice(0, 4)).toEqual([1, 2, 1, 1]);
    const wrote = (s: number): number[] => fps[s].units.slice(0, fps[s].nw);
    const read = (s: number): number[] => fps[s].units.slice(fps[s].nw);
    /* Step 1, task 2 into the wait: not global; it reads what step 3 (word 2 = 0) writes, and nothing step 2 (word 0) writes. */
    expect(fps[1].global).toBe(false);
    expect(wrote(3).some((u) => read(1).includes(u))).toBe(true);
    expect(wrote(2).some((u) => fps[1].units.includes(u))).toBe(false);
  });
});

describe('explore: footprints outside the arena', () => {
  /* A shared buffer outside the arena (a scenario's label table): its 8-byte units, not one unit for the whole buffer. */
  it('atomics on different units of another shared buffer commute, on one unit they conflict', async () => {
    const prog: ExploreOp[][] = [[['fw', 0, 1], ['fw', 1, 1]], [['fw', 2, 1]]];
    const r = await synthetic_run(pool(), prog, [], true);
    expect(r.outcome).toBe('done');
    const record = decode_schedule(r.schedule);
    const fps = footprint_read(record.length);
    expect(record.slice(0, 4)).toEqual([1, 1, 1, 2]);
    /* The units past the arena's: the other buffer's.  Words 0 and 1 share an 8-byte unit; word 2 is in the next. */
    const past = (A.L.totalWords + 1) >> 1;
    const foreign = (s: number): number[] => fps[s].units.slice(0, fps[s].nw).filter((u) => u >= past);
    expect(foreign(0)).toHaveLength(1);
    expect(foreign(1)).toEqual(foreign(0));
    expect(foreign(3)).toHaveLength(1);
    expect(foreign(3)).not.toEqual(foreign(0));
  });
});

describe('explore: footprints leave out lockdep', () => {
  /*
   * Lockdep's dependency rows only gain bits, and the acquisition that
   * closes a cycle reports it whatever the order: steps that only meet
   * there commute.  (They conflicted: in ghost-cluster-relookup, lockdep
   * rows were the units of 625 of 1,047 races in 300 runs.)
   */
  it('a step that records a new lock order touches no lockdep row', async () => {
    const prog: ExploreOp[][] = [[['lock', 0], ['lock', 1], ['unlock', 1], ['unlock', 0]], [['r', 0]]];
    const r = await synthetic_run(pool(), prog, [], true);
    expect(r.outcome).toBe('done');
    const record = decode_schedule(r.schedule);
    const fps = footprint_read(record.length);
    const lo = (A.L.global + G.lockdep_deps) >> 1;
    const hi = (A.L.global + G.lockdep_deps + MAX_LOCK_CLASSES) >> 1;
    /* Task 1 takes lock 1 holding lock 0, the first time (a new edge): no step of the run meets the rows. */
    expect(record[0]).toBe(1);
    expect(fps.some((f) => f.global)).toBe(false);
    expect(fps.flatMap((f) => f.units.filter((u) => u >= lo && u < hi))).toEqual([]);
  });
});

describe('explore: dpor under the preemption bound', () => {
  /*
   * Plain DPOR with a bound misses states (Coons, Musuvathi & McKinley,
   * OOPSLA 2013): a backtrack point it needs may cost a preemption the
   * bound forbids.  On this program, without the conservative backtrack
   * point at the start of the preempted task's block, dpor at K=0 reached
   * one of the three terminal states full enumeration reaches.  (Found by
   * a wider run of the property above: 3 tasks, K 0-3.)
   */
  it('reaches every terminal state none reaches, thanks to the backtrack point at the preempted block\'s start', async () => {
    const prog: ExploreOp[][] = [[['w', 0, 0], ['add', 0]], [['add', 0]], [['lock', 0], ['add', 0], ['unlock', 0]]];
    for (const K of [0, 1]) {
      const none = await explore(prog, K, 'none');
      const dpor = await explore(prog, K, 'dpor');
      expect(none.verdict).toBe('exhausted');
      expect(dpor.verdict).toBe('exhausted');
      expect([...dpor.terminals].sort(), `K=${K}`).toEqual([...none.terminals].sort());
      expect(dpor.explored).toBeLessThanOrEqual(none.explored);
    }
  });
});

describe('explore: shards', () => {
  it('shards 1/2 and 2/2 together are the unsharded search', async () => {
    const prog: ExploreOp[][] = [[['add', 0], ['w', 1, 1]], [['r', 1], ['add', 0]], [['assert', 0, 3]]];
    for (const K of [1, 2]) {
      const whole = await explore(prog, K);
      const a = await explore(prog, K, 'sleep', { k: 1, n: 2 });
      const b = await explore(prog, K, 'sleep', { k: 2, n: 2 });
      expect(a.explored + b.explored).toBe(whole.explored);
      expect(a.pruned + b.pruned).toBe(whole.pruned);
      expect([...new Set([...a.terminals, ...b.terminals])].sort()).toEqual([...whole.terminals].sort());
      expect(a.explored).toBeGreaterThan(0);
      expect(b.explored).toBeGreaterThan(0);
      expect(whole.verdict).toBe('exhausted');
      expect([a.verdict, b.verdict]).toEqual(['exhausted', 'exhausted']);
      /* dpor: a backtrack point one shard's run adds at a node of the root run is run there too - shards may overlap, never miss. */
      const dw = await explore(prog, K, 'dpor');
      const da = await explore(prog, K, 'dpor', { k: 1, n: 2 });
      const db = await explore(prog, K, 'dpor', { k: 2, n: 2 });
      expect(da.explored + db.explored).toBeGreaterThanOrEqual(dw.explored);
      expect([...new Set([...da.terminals, ...db.terminals])].sort()).toEqual([...dw.terminals].sort());
      expect([dw.verdict, da.verdict, db.verdict]).toEqual(['exhausted', 'exhausted', 'exhausted']);
    }
  });

  it('explore merge joins --json shard results of a race to the unsharded result, and refuses mixed ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'explore-merge-'));
    const args = ['explore', 'swapoff-vs-swapin', '--fixed', '--preemptions', '0', '--json'];
    const whole = cli(...args);
    expect(whole.code, whole.stderr).toBe(0);
    const files = ['1/2', '2/2'].map((sh, i) => {
      const r = cli(...args, '--shard', sh);
      expect(r.code, r.stderr).toBe(0);
      const f = join(dir, `s${i + 1}.json`);
      writeFileSync(f, r.stdout);
      return f;
    });
    const merged = cli('explore', 'merge', ...files, '--json');
    expect(merged.code, merged.stderr).toBe(0);
    const m = JSON.parse(merged.stdout) as { explored: number; terminals: string[]; verdict: string; shard: string };
    const w = JSON.parse(whole.stdout) as typeof m;
    expect(m.explored).toBe(w.explored);
    expect(m.terminals).toEqual(w.terminals);
    expect(m.verdict).toBe(w.verdict);
    expect(m.shard).toBe('1,2/2');
    /* A result of another K does not belong. */
    const other = join(dir, 'k1.json');
    writeFileSync(other, JSON.stringify({ ...JSON.parse(whole.stdout), preemptions: 1, shard: '2/2' }));
    const bad = cli('explore', 'merge', files[0], other);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/preemptions 1 differs/);
    /* A shard outside 1..n (or one twice) is refused: it counted for shard 2/2, which never ran, and the merge said "exhausted". */
    for (const shard of ['3/2', '0/2', '1,1/2']) {
      const f = join(dir, 'odd.json');
      writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(files[0], 'utf8')), shard }));
      const odd = cli('explore', 'merge', files[0], f);
      expect(odd.code, `${shard}: ${odd.stdout}`).toBe(2);
      expect(odd.stderr).toContain(`shard "${shard}" is not k/n with each k once in 1..n`);
    }
  });
});

describe('explore: a schedule starts from the booted system restored', () => {
  it('the restored arena hashes as a fresh boot does, and a schedule run on it twice ends alike', async () => {
    /* batch-free-memcg's CPU 0 binds a label as it runs (the label table is restored too). */
    const sc = load_scenario(join(ROOT, 'scenarios', 'batch-free-memcg.json'));
    repro_build(sc, 1, true, 'p4', EXPLORE_LOG_WORDS);
    const booted = arena_state_hash();
    const boot = scenario_boot(sc, 1, true, 'p4', EXPLORE_LOG_WORDS);
    expect(arena_state_hash()).toBe(booted);
    const how = { strategy: STRATEGY_EXPLORE, record: [], exploreLog: EXPLORE_LOG_WORDS, footprints: false };
    const ends: string[] = [];
    for (let i = 0; i < 2; i++) {
      if (i > 0) scenario_restore(boot);
      const run = await run_built(pool(), sc, boot, 1, true, how);
      expect(run.abnormal).toBeNull();
      ends.push(`${run.schedule} ${explore_observe(run.schedule, false, 'none').terminal}`);
      expect(arena_state_hash()).not.toBe(booted);
    }
    expect(ends[1]).toBe(ends[0]);
    scenario_restore(boot);
    expect(arena_state_hash()).toBe(booted);
  });
});

describe('explore: a catalogued race', () => {
  it('swapoff-vs-swapin: found with its switch (replayable by repro), exhausted at K=1 with --fixed', () => {
    const found = cli('explore', 'swapoff-vs-swapin', '--json');
    expect(found.code, found.stderr).toBe(1);
    const d = JSON.parse(found.stdout) as { verdict: string; violation: { preemptions: number; invariant: string; replay: string; shrunk: string } };
    expect(d.verdict).toBe('violation');
    expect(d.violation.invariant).toBe('device-lifetime');
    expect(d.violation.preemptions).toBeGreaterThanOrEqual(1);
    for (const replay of [d.violation.replay, d.violation.shrunk]) {
      const r = cli('repro', '--replay', replay, '--json');
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { invariant: string }).invariant).toBe('device-lifetime');
    }
    const fixed = cli('explore', 'swapoff-vs-swapin', '--fixed', '--preemptions', '1', '--reduction', 'none');
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(/^exhausted: no violation with ≤1 preemptions$/m);
    expect(fixed.stdout).toMatch(/^reduction: none$/m);
    expect(fixed.stdout).toMatch(/^schedules explored: \d+$/m);
  });
});

describe('explore: bad usage exits 2 with one line naming the problem', () => {
  const cases: [string[], RegExp][] = [
    [['explore', 'swapoff-vs-swapin', '--preemptions', 'x'], /--preemptions.*expected a whole number of preemptions/],
    [['explore', 'swapoff-vs-swapin', '--preemptions', '17'], /--preemptions.*0\.\.16/],
    [['explore', 'swapoff-vs-swapin', '--shard', '3/2'], /--shard: "3\/2" is not k\/n with 1 <= k <= n/],
    [['explore', 'swapoff-vs-swapin', '--shard', 'a'], /--shard: "a" is not k\/n/],
    [['explore', 'no-such-race'], /unknown race "no-such-race"/],
    [['explore', 'swapoff-vs-swapin', '--max-schedules', 'x'], /--max-schedules.*expected a whole number of schedules/],
    [['explore', '/no/such/file.json'], /\/no\/such\/file\.json: .*cannot read|ENOENT/],
    [['explore', 'merge', '/no/such/result.json'], /\/no\/such\/result\.json/],
  ];
  it.each(cases)('%j', (args, msg) => {
    const r = cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });
});
