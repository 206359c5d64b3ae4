/*
 * The end-of-test quiescent check itself (test/quiescent.ts, wired in by
 * importing test/quiescent_setup.ts first): a test that leaves a lock held or leaks a
 * folio reference fails after its body passed; declared references,
 * explicit opt-outs with a reason and systems booted with a bug switch
 * pass.  The failing cases are it.fails tests whose errors are recorded
 * (onTestFinished) and asserted by the test after each: they must fail
 * with the end check's message, not any other way.
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { System } from '../src/api/system.js';
import { gword } from '../src/shm/arena.js';
import { G } from '../src/shm/layout.js';
import { LC_SWAP_LOCK } from '../src/sync/lockdep.js';
import { spin_lock } from '../src/sync/spinlock.js';
import { folio_get, page_folio } from '../src/mm/page_alloc.js';
import { pte_pfn, ptep_get } from '../src/mm/pgtable.js';
import { holdAtEnd, skipEndCheck } from './quiescent.js';

function boot(bugs: string[] = []): { sys: System; mm: number } {
  const sys = System.create({ nrCpus: 1, nrTasks: 1, nrFrames: 256, nrMms: 2, mmPages: 64, maxSwapPages: 1024, bugs });
  expect(sys.createSwapDevice('/dev/vdb', { sizePages: 512 })).toBe(0);
  expect(sys.swapon('/dev/vdb')).toBe(0);
  const mm = sys.mmCreate();
  expect(sys.write(mm, 0, { maxOrder: 0 })).toBe(0);
  return { sys, mm };
}

/* Take a reference on the folio mapped at page 0 of @mm, as a caller that keeps it would. */
function getMapped(sys: System, mm: number): number {
  return sys.as(0, () => {
    const folio = page_folio(pte_pfn(ptep_get(mm, 0)));
    folio_get(folio);
    return folio;
  }) as number;
}

/* The errors each it.fails test below ended with, by its name. */
const ended = new Map<string, string[]>();

describe('the end-of-test quiescent check', () => {
  it.fails('(fails on purpose) a test that leaves a spinlock held', ({ task, onTestFinished }) => {
    onTestFinished(() => void ended.set('lock', (task.result?.errors ?? []).map((e) => String(e.message))));
    boot();
    spin_lock(gword(G.swap_lock), LC_SWAP_LOCK);
  });

  it('fails that test after its body passed, naming the lock left held', () => {
    expect(ended.get('lock')).toEqual([expect.stringMatching(/end-of-test quiescent check.*\n.*system #1 of the test: 1 violation\(s\)\n {2}\[lock-discipline\] task 0 holds 1 locks at quiescence/)]);
  });

  it.fails('(fails on purpose) a test that ends holding a folio reference it did not declare', ({ task, onTestFinished }) => {
    onTestFinished(() => void ended.set('ref', (task.result?.errors ?? []).map((e) => String(e.message))));
    const { sys, mm } = boot();
    getMapped(sys, mm);
  });

  it('fails that test, naming the folio and its extra reference', () => {
    expect(ended.get('ref')).toEqual([expect.stringMatching(/\[folio-accounting\] folio \d+: refcount 2, above the 1 PTEs and 0 swap cache slots/)]);
  });

  it.fails('(fails on purpose) a test whose own assertion fails, with a lock left held', ({ task, onTestFinished }) => {
    onTestFinished(() => void ended.set('own', (task.result?.errors ?? []).map((e) => String(e.message))));
    const { sys } = boot();
    holdAtEnd(sys, []); /* tracked: it would be checked */
    spin_lock(gword(G.swap_lock), LC_SWAP_LOCK);
    expect('its own failure').toBe('the report');
  });

  it('does not check a test that failed on its own: its failure is the report', () => {
    expect(ended.get('own')).toEqual([expect.stringMatching(/expected 'its own failure' to be 'the report'/)]);
  });

  it('passes a test that declares the folio reference it holds (holdAtEnd)', () => {
    const { sys, mm } = boot();
    holdAtEnd(sys, [getMapped(sys, mm)]);
  });

  it('passes a test that opts out with a reason (skipEndCheck), and refuses an opt-out without one', () => {
    const { sys } = boot();
    expect(() => skipEndCheck(sys, ' ')).toThrow(/give the reason/);
    spin_lock(gword(G.swap_lock), LC_SWAP_LOCK);
    skipEndCheck(sys, 'this test leaves a lock held on purpose: it tests the opt-out');
  });

  it('does not check a system booted with a bug switch (the test asserts what its bug breaks)', () => {
    const { sys } = boot(['percpu-cluster-migration']);
    holdAtEnd(sys, []); /* tracked, but not checked */
    spin_lock(gword(G.swap_lock), LC_SWAP_LOCK);
  });

  it('refuses a declaration on a system it does not know', () => {
    const { sys } = boot();
    expect(() => holdAtEnd(sys, [])).not.toThrow();
    const other = System.attach(sys.handle, 0);
    expect(() => holdAtEnd(other, [])).toThrow(/not booted with System.create\(\) in this test file/);
  });
});

describe('the end check is wired into every test file that uses the API', () => {
  it('each test file importing src/api/system.js or src/index.js imports ./quiescent_setup.js first', () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const users = readdirSync(dir).filter((f) => f.endsWith('.test.ts')).filter((f) => /from '\.\.\/src\/(api\/system|index)\.js'/.test(readFileSync(`${dir}/${f}`, 'utf8')));
    expect(users.length).toBeGreaterThan(10);
    for (const f of users) {
      const first = readFileSync(`${dir}/${f}`, 'utf8').split('\n').find((l) => l.startsWith('import '));
      expect(first, f).toBe("import './quiescent_setup.js'; /* every System a test boots is checked when it ends */");
    }
  });
});
