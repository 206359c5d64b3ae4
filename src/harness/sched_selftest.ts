/*
 * Synthetic programs for testing the controlled scheduler itself (not the
 * swap model): bugs of a known depth, a lock-order deadlock, a livelock.
 * Their state is in the selftest scratch words (src/sync/torture.ts).
 *
 *   sched-av-writer { steps }  x = 1; @steps points; x = 0
 *   sched-av-reader { steps }  @steps times: point; if x == 1 report it
 *       An atomicity violation of depth 2: the reader must read between
 *       the writer's two stores.
 *   sched-abba { first, second }  lock @first, point, lock @second
 *   sched-spin-forever           points, forever
 *   sched-busy-wait              points until the flag is set (no sleep:
 *       a retry loop waiting for another CPU's progress)
 *   sched-set-flag { steps }     @steps points, then sets the flag
 *   sched-wait-flag { event }    sleeps until the flag is set: in
 *       sched_wait_event() (@event 1) or the timed sched_wait() (0);
 *       returns the wake-ups
 */
import { A } from '../shm/arena.js';
import { report } from '../shm/report.js';
import { point, pointId, sched_wait, sched_wait_event } from '../sync/point.js';
import { lockClass } from '../sync/lockdep.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { selftest_scratch } from './torture.js';
import { registerProgram } from './programs.js';

const P_AV = pointId('selftest_av');
const P_LOOP = pointId('selftest_loop');
const X = 0; /* scratch word offsets, each on its own line */
const LOCK_A = 16;
const LOCK_B = 32;
const FLAG = 80;
/* 48: sched-pingpong's word; 64: the puzzle's; 80: the busy-wait flag; each on a line of its own. */
const SCRATCH_WORDS = 96;

/** Scratch word @off (also the AB-BA test's lock words: LOCK_A, LOCK_B). */
export function sched_selftest_word(off: number): number {
  return selftest_scratch(SCRATCH_WORDS) + off;
}

export function sched_selftest_init(): void {
  const base = selftest_scratch(SCRATCH_WORDS);
  A.i32.fill(0, base, base + SCRATCH_WORDS);
}

export const SELFTEST_LOCK_A = LOCK_A;
export const SELFTEST_LOCK_B = LOCK_B;

registerProgram('sched-av-writer', (a: { steps: number }) => {
  const x = sched_selftest_word(X);
  Atomics.store(A.i32, x, 1);
  for (let i = 0; i < a.steps; i++) point(P_AV);
  Atomics.store(A.i32, x, 0);
  return 0;
});

registerProgram('sched-av-reader', (a: { steps: number }) => {
  const x = sched_selftest_word(X);
  for (let i = 0; i < a.steps; i++) {
    point(P_AV);
    if (Atomics.load(A.i32, x) === 1) {
      report('data', 'selftest: reader saw the writer\'s intermediate state (atomicity violation)', [i]);
      return 1;
    }
  }
  return 0;
});

registerProgram('sched-abba', (a: { first: number; second: number }) => {
  const la = sched_selftest_word(a.first);
  const lb = sched_selftest_word(a.second);
  spin_lock(la, lockClass(a.first === LOCK_A ? 'test_lock_a' : 'test_lock_b'));
  point(P_LOOP);
  spin_lock(lb, lockClass(a.second === LOCK_A ? 'test_lock_a' : 'test_lock_b'));
  spin_unlock(lb);
  spin_unlock(la);
  return 0;
});

registerProgram('sched-spin-forever', () => {
  for (;;) point(P_LOOP);
});

registerProgram('sched-busy-wait', () => {
  const flag = sched_selftest_word(FLAG);
  let spins = 0;
  while (Atomics.load(A.i32, flag) === 0) {
    point(P_LOOP);
    spins++;
  }
  return spins;
});

registerProgram('sched-set-flag', (a: { steps: number }) => {
  for (let i = 0; i < a.steps; i++) point(P_AV);
  Atomics.store(A.i32, sched_selftest_word(FLAG), 1);
  return 0;
});

registerProgram('sched-wait-flag', (a: { event: number }) => {
  const flag = sched_selftest_word(FLAG);
  let wakes = 0;
  while (Atomics.load(A.i32, flag) === 0) {
    if (a.event) sched_wait_event(A.i32, flag, 0);
    else sched_wait(A.i32, flag, 0);
    wakes++;
  }
  return wakes;
});

/*
 * sched-pingpong { role, rounds }: the raw futex hand-off the controlled
 * scheduler is measured against - two tasks take turns on one word with
 * Atomics.wait/notify (role 0 serves odd values, role 1 even ones).
 */
registerProgram('sched-pingpong', (a: { role: number; rounds: number }) => {
  const i32 = A.i32;
  const w = sched_selftest_word(48);
  for (let i = 0; i < a.rounds; i++) {
    const mine = 2 * i + 1 + a.role;
    for (let v = Atomics.load(i32, w); v !== mine - 1; v = Atomics.load(i32, w)) Atomics.wait(i32, w, v, 100);
    Atomics.store(i32, w, mine);
    Atomics.notify(i32, w);
  }
  return a.rounds;
});

/*
 * The fuzzer's synthetic target (src/harness/fuzz_synthetic.ts): a bug
 * that needs a rare pair of interleaving points and then a run of luck.
 *
 *   sched-puzzle-a { key, work }  @work points; if key % PUZZLE_KEYS == 0:
 *       y = 1; point selftest_puzzle_a; y = 0; then @work points.
 *   sched-puzzle-b { steps, need }  @steps times: point selftest_puzzle_b;
 *       count the consecutive steps that saw y == 1; @need in a row is
 *       the "bug" (reported as 'data').
 *
 * Only inputs with the right key can reach the pair (selftest_puzzle_a ->
 * selftest_puzzle_b) at all, and the bug needs that pair plus @need - 1
 * more turns of B before A resumes.  Coverage guidance keeps the inputs
 * that reached the pair and tries new schedules on them; unguided draws
 * must find the key again every time.
 */
export const PUZZLE_KEYS = 64;
const P_PUZZLE_A = pointId('selftest_puzzle_a');
const P_PUZZLE_B = pointId('selftest_puzzle_b');
const P_PUZZLE_WORK = pointId('selftest_puzzle_work');
const Y = 64;

registerProgram('sched-puzzle-a', (a: { key: number; work: number }) => {
  const y = sched_selftest_word(Y);
  for (let i = 0; i < a.work; i++) point(P_PUZZLE_WORK);
  if (a.key % PUZZLE_KEYS === 0) {
    Atomics.store(A.i32, y, 1);
    point(P_PUZZLE_A);
    Atomics.store(A.i32, y, 0);
  }
  for (let i = 0; i < a.work; i++) point(P_PUZZLE_WORK);
  return 0;
});

registerProgram('sched-puzzle-b', (a: { steps: number; need: number }) => {
  const y = sched_selftest_word(Y);
  let run = 0;
  for (let i = 0; i < a.steps; i++) {
    point(P_PUZZLE_B);
    run = Atomics.load(A.i32, y) === 1 ? run + 1 : 0;
    if (run === a.need) {
      report('data', `selftest puzzle: B saw A inside its window ${a.need} turns in a row`, [i]);
      return 1;
    }
  }
  return 0;
});
