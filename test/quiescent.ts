/*
 * The end-of-test quiescent check (KUnit's end-of-test checks, lockdep's
 * "lock held when returning to user space"): every System a test boots
 * with System.create() is checked with System.check() when the test ends
 * (test/quiescent_setup.ts, a vitest setup file, does it for every test
 * file), and the test fails on any violation - a lock still held, an RCU
 * read section still open, a folio reference leaked, a swap count off,
 * a device total off ...  An error path that only a unit test runs is
 * thus checked as stress checks its runs.
 *
 * What a test tells the check, per system:
 *
 *   holdAtEnd(sys, [pfn, ...])      the test ends holding a reference on
 *                                   these folios on purpose (one per
 *                                   occurrence): System.check(held)
 *   skipEndCheck(sys, 'reason')     the test plants a violation on purpose
 *                                   (and asserts it), or leaves the system
 *                                   mid-operation: no end check; the
 *                                   reason says which and why
 *   skipEndCheckOfLast('reason')    the same for the system booted last,
 *                                   by a harness function the test called
 *
 * A system booted with a bug switch (System.create({ bugs: [...] }) with
 * any switch) is not checked: the test asserts the violations its bug
 * makes.  Systems booted outside a test (at module level, in beforeAll)
 * are shared by the file's tests and checked after each of them.
 */
import type { System } from '../src/api/system.js';

interface Tracked {
  sys: System;
  /** Booted with bug switches: never checked. */
  bugs: boolean;
  /** Folios the running test holds a reference on at its end. */
  held: number[];
  /** Why the running test does not check this system (null: checked). */
  skip: string | null;
}

/* The systems of the running test, and those booted outside any test (shared by the file). */
const ofTest: Tracked[] = [];
const shared: Tracked[] = [];
let inTest = false;

function tracked(sys: System): Tracked {
  const t = ofTest.find((x) => x.sys === sys) ?? shared.find((x) => x.sys === sys);
  if (t === undefined) throw new Error('quiescent: this System was not booted with System.create() in this test file');
  return t;
}

/** @sys was booted by System.create(@bugs): track it for the end of the running test (or of every test, outside one). */
export function track(sys: System, bugs: readonly string[] | undefined): void {
  (inTest ? ofTest : shared).push({ sys, bugs: bugs !== undefined && bugs.length > 0, held: [], skip: null });
}

/**
 * The test ends holding one reference on each folio of @pfns (one per
 * occurrence) of @sys on purpose; replaces an earlier declaration.  On a
 * shared system the declaration lasts until the end of the test.
 */
export function holdAtEnd(sys: System, pfns: readonly number[]): void {
  tracked(sys).held = [...pfns];
}

/**
 * No end check of @sys for this test: it plants violations on purpose (and
 * asserts them) or leaves @sys mid-operation.  @reason says which and why.
 */
export function skipEndCheck(sys: System, reason: string): void {
  if (typeof reason !== 'string' || reason.trim() === '') throw new Error('skipEndCheck: give the reason the system is not checked');
  tracked(sys).skip = reason;
}

/**
 * skipEndCheck() for the System booted last in the running test: one a
 * harness function booted (fuzz_exec), which the test has no handle on.
 */
export function skipEndCheckOfLast(reason: string): void {
  const t = ofTest[ofTest.length - 1];
  if (t === undefined) throw new Error('skipEndCheckOfLast: no System was booted in this test');
  skipEndCheck(t.sys, reason);
}

/** A test starts: the systems it boots are its own. */
export function test_started(): void {
  ofTest.length = 0;
  inTest = true;
}

/**
 * A test ended: with @check (it passed so far), check its systems and the
 * shared ones at quiescence, and throw (failing the test) on any
 * violation, naming each system by its boot order.  A test that failed on
 * its own is not checked: its failure is the report.  Declarations on
 * shared systems end with the test.
 */
export function test_ended(check: boolean): void {
  inTest = false;
  const failures: string[] = [];
  const all = [...shared.map((t, i) => ({ t, name: `shared system #${i + 1}` })), ...ofTest.map((t, i) => ({ t, name: `system #${i + 1} of the test` }))];
  for (const [k, { t, name }] of all.entries()) {
    if (!check || t.bugs || t.skip !== null) continue;
    /* A system whose buffer a later one was booted in (System.create's reuse) is gone: only the last in a buffer is checked. */
    if (all.slice(k + 1).some((u) => u.t.sys.handle.sab === t.sys.handle.sab)) continue;
    const vs = t.sys.check(t.held);
    if (vs.length > 0) {
      const held = t.held.length > 0 ? ` (held folios ${t.held.join(', ')})` : '';
      failures.push(`${name}: ${vs.length} violation(s)${held}\n${vs.map((v) => `  [${v.invariant}] ${v.message}`).join('\n')}`);
    }
  }
  for (const t of shared) {
    t.held = [];
    t.skip = null;
  }
  ofTest.length = 0;
  if (failures.length > 0) {
    throw new Error(
      `the end-of-test quiescent check (test/quiescent.ts) found violations:\n${failures.join('\n')}\n` +
        'Release what the test holds, declare folios it holds on purpose with holdAtEnd(sys, pfns), ' +
        'or, if it plants violations or stops mid-operation on purpose, skipEndCheck(sys, reason).',
    );
  }
}
