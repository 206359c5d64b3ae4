/*
 * `swaptorture mutate`: the operators on a small snippet (each finds its
 * sites, none in a bug switch's code), switching (each mutant id selects
 * its variant, 0 the original), selection (shards partition), the journal
 * (resume after a kill redoes nothing journalled), and one real campaign
 * on the instrumented copy: a known mutant killed, a known equivalent one
 * reported as such, mutant 0 clean under stress.
 *
 * Bounded by counts (mutants, runs, ops), never by time.  The CLI runs the
 * compiled dist/ (`npx tsc -p tsconfig.json` first).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { find_mutants, type MutantSite } from '../src/harness/mutate_operators.js';
import { DEFAULT_BUDGETS, type Operator } from '../src/harness/mutate_names.js';
import { apply_mutant, build_mutant_tree, instrument_file, mutant_list, tree_lock, tree_release, type Mutant } from '../src/harness/mutate_instrument.js';
import { JobSlots } from '../src/harness/job_slots.js';
import { changed_lines, select_mutants, glob_regexp } from '../src/harness/mutate_select.js';
import { read_mutate_journal, run_mutate, type MutantResult, type MutateParams } from '../src/harness/mutate_campaign.js';
import { make_portfolio, type MemberRun } from '../src/harness/mutate_portfolio.js';
import { parse_mutant_id } from '../src/shm/env.js';
import { read_hits } from '../src/harness/mutate_exec.js';
import { MutantTypeChecker } from '../src/harness/mutate_check.js';
import { equivalent_of, load_equivalents } from '../src/harness/mutate_equivalent.js';
import { interrupt } from './cli_interrupt.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/swaptorture.js');

function cli(args: string[], timeout = 900_000): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout, env: { ...process.env, CI: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const SNIPPET = `
import { bug_on, BUG_A, BUG_B, BUG_C } from '../shm/bugs.js';
export function alloc(ci: number, si: number, nr: number, folio: number): number {
  let used = 0;
  spin_lock(ci);
  if (!cluster_is_usable(ci, nr)) {
    spin_unlock(ci);
    return -1;
  }
  for (let k = 0; k < nr; k++) used++;
  swap_usage_add(si, nr);
  touch(ci);
  spin_unlock(ci);
  rcu_read_lock();
  const tb = lookup(ci);
  rcu_read_unlock();
  if (!percpu_ref_tryget_live(si)) return 0;
  put_swap_device(si);
  pte_lock(ci, 1);
  folio_lock(folio);
  if (bug_on(BUG_A)) {
    folio_unlock(folio);
    used += 7;
    legacy_unlock(ci);
  }
  if (!bug_on(BUG_B)) {
    folio_put(folio);
  } else {
    folio_get(folio);
  }
  const skipped = bug_on(BUG_C);
  if (skipped) spin_lock(ci);
  if (skipped && used > 2) spin_lock(ci);
  if (tb > 0 && used < SWAPFILE_CLUSTER) touch(ci);
  return used + tb;
}
/* called only by the switch's branch: the pre-fix code */
function legacy_unlock(ci: number): void {
  spin_unlock(ci);
}
`;

const of = (sites: MutantSite[], op: Operator): MutantSite[] => sites.filter((s) => s.operator === op);

describe('mutate operators (on a snippet)', () => {
  const sites = find_mutants('src/mm/snippet.ts', SNIPPET);

  it('deletes lock, RCU and reference calls; a tryget becomes true', () => {
    expect(of(sites, 'LockDelete').map((s) => s.original)).toEqual([
      'spin_lock(ci);', 'spin_unlock(ci);', 'spin_unlock(ci);', 'pte_lock(ci, 1);', 'folio_lock(folio);',
    ]);
    expect(of(sites, 'RcuDelete').map((s) => s.original)).toEqual(['rcu_read_lock();', 'rcu_read_unlock();']);
    expect(of(sites, 'RefDelete').map((s) => `${s.original} -> ${s.replacement}`)).toEqual([
      'percpu_ref_tryget_live(si) -> true', 'put_swap_device(si); -> ', 'folio_put(folio); -> ',
    ]);
  });

  it('moves unlocks earlier, drops the re-check after a lock, swaps consecutive locks', () => {
    expect(of(sites, 'EarlyUnlock').map((s) => s.replacement)).toEqual(['spin_unlock(ci); touch(ci);', 'rcu_read_unlock(); const tb = lookup(ci);']);
    /* an unlock after another one, conditional or not, only swaps the release order: not a mutant */
    const release = (body: string): string[] => of(find_mutants('src/mm/u.ts', `export function u(a: number, r: boolean, x: number[]) { ${body} }`), 'EarlyUnlock').map((s) => s.replacement);
    expect(release('spin_lock(a); local_lock(); x[0]++; if (r) spin_unlock(a); local_unlock();')).toEqual([]);
    expect(release('spin_lock(a); local_lock(); x[0]++; spin_unlock(a); local_unlock();')).toEqual(['spin_unlock(a); x[0]++;']);
    expect(of(sites, 'DropRecheck').map((s) => `${s.original} -> ${s.replacement}`)).toEqual([
      '!cluster_is_usable(ci, nr) -> false', '!cluster_is_usable(ci, nr) -> true',
    ]);
    expect(of(sites, 'SwapLocks').map((s) => s.replacement)).toEqual(['folio_lock(folio); pte_lock(ci, 1);']);
  });

  it('off-by-one only at borders; counts dropped and doubled', () => {
    expect(of(sites, 'BorderOffByOne').map((s) => s.replacement)).toEqual(['k <= nr', 'used <= SWAPFILE_CLUSTER']);
    expect(of(sites, 'CountDelete').map((s) => s.original)).toEqual(['used++;', 'swap_usage_add(si, nr);']);
    expect(of(sites, 'CountDouble').map((s) => s.replacement)).toEqual(['used++; used++;', 'swap_usage_add(si, nr); swap_usage_add(si, nr);']);
  });

  it('never mutates a bug switch or the code only a switch runs', () => {
    for (const s of sites) {
      expect(s.original).not.toMatch(/bug_on|skipped/);
      expect(s.original).not.toMatch(/used \+= 7|folio_get/);
      expect(s.replacement).not.toMatch(/bug_on|skipped/);
    }
    /* the fixed side of a negated switch is code like any other */
    expect(sites.some((s) => s.original === 'folio_put(folio);')).toBe(true);
    /* the only folio_unlock is in the switch's branch, the only call of legacy_unlock() too */
    expect(sites.filter((s) => s.original.startsWith('folio_unlock'))).toEqual([]);
    expect(sites.filter((s) => s.fn === 'legacy_unlock')).toEqual([]);
    expect(find_mutants('src/mm/y.ts', 'export function legacy_unlock(ci: number): void { spin_unlock(ci); }').length).toBe(1);
  });

  it('generic operators stay inside locking functions and are a minority of the model\'s mutants', () => {
    expect(of(sites, 'LogicalOperator').map((s) => s.replacement)).toEqual(['tb > 0 || used < SWAPFILE_CLUSTER']);
    expect(find_mutants('src/mm/plain.ts', 'export function f(a: number) { if (a > 1 && a < 3) return 1; return 0; }')
      .filter((s) => s.operator === 'NegateCondition' || s.operator === 'LogicalOperator')).toEqual([]);
    const all = mutant_list(ROOT);
    const generic = all.filter((m) => m.operator === 'NegateCondition' || m.operator === 'LogicalOperator').length;
    expect(generic).toBeLessThan(all.length / 2);
  });
});

/* @text (a snippet with g()) instrumented, transpiled and run with mutant @id. */
function run_switched(text: string, mutants: Mutant[], id: number): unknown {
  const inst = instrument_file(text, mutants, '../shm/mutant.js').replace(/^import .*$/m, '').replace(/^export /gm, '');
  const js = ts.transpileModule(inst, { compilerOptions: { module: ts.ModuleKind.None, target: ts.ScriptTarget.ES2022 } }).outputText;
  return new Function('__mutant', '__reached', `${js}; return g(3);`)(id, (x: number) => x);
}

describe('mutant switching', () => {
  const text = `
export function g(nr: number): number {
  let c = 0;
  spin_lock(1);
  for (let k = 0; k < nr; k++) c++;
  c += 10;
  spin_unlock(1);
  return c;
}
function spin_lock(_x: number): void { held.push(1); }
function spin_unlock(_x: number): void { if (held.pop() === undefined) throw new Error('unlock of an unheld lock'); }
const held: number[] = [];
`;
  const mutants: Mutant[] = find_mutants('src/mm/g.ts', text).filter((s) => s.fn === 'g').map((s, i) => ({ ...s, id: i + 1, key: String(i + 1) }));

  it('mutant 0 is the original; each id runs exactly its own mutation', () => {
    expect(run_switched(text, mutants, 0)).toBe(13);
    const byOp = (op: Operator, orig: string): number => mutants.find((m) => m.operator === op && m.original === orig)!.id;
    expect(run_switched(text, mutants, byOp('BorderOffByOne', 'k < nr'))).toBe(14);
    expect(run_switched(text, mutants, byOp('CountDelete', 'c++;'))).toBe(10);
    expect(run_switched(text, mutants, byOp('CountDouble', 'c++;'))).toBe(16);
    expect(run_switched(text, mutants, byOp('CountDelete', 'c += 10;'))).toBe(3);
    expect(run_switched(text, mutants, byOp('EarlyUnlock', 'c += 10; spin_unlock(1);'))).toBe(13);
    expect(() => run_switched(text, mutants, byOp('LockDelete', 'spin_lock(1);'))).toThrow(/unheld/);
    /* every mutant, applied alone, is the text the switched copy runs */
    for (const m of mutants) expect(apply_mutant(text, m)).not.toBe(text);
  });

  it('with SWAPTORTURE_MUTANT_HITS each thread records the sites it reaches once, in a file of its own; the main thread\'s can be left out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swaptorture-hits-'));
    const mutant = join(ROOT, 'dist/src/shm/mutant.js');
    const reach = (ids: number[]): Promise<void> => new Promise((resolve, reject) => {
      const w = new Worker(`import('${pathToFileURL(mutant).href}').then((m) => { for (const id of ${JSON.stringify(ids)}) if (m.__reached(id) !== id) throw new Error('not the id'); })`,
        { eval: true, env: { ...process.env, SWAPTORTURE_MUTANT_HITS: dir } });
      w.on('error', reject);
      w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
    });
    await reach([5, 7, 5, 5]);
    await reach([7, 9]);
    /* what a main thread (threadId 0) of another process wrote, its last line cut short by a kill */
    writeFileSync(join(dir, 'hits-1-0'), '11\n12\n1');
    const files = readdirSync(dir).filter((f) => f !== 'hits-1-0');
    expect(files.length).toBe(2);
    expect(files.map((f) => readFileSync(join(dir, f), 'utf8')).sort()).toEqual(['5\n7\n', '7\n9\n']);
    const copy = mkdtempSync(join(tmpdir(), 'swaptorture-hits-'));
    cpSync(dir, copy, { recursive: true });
    expect(read_hits(dir)).toEqual([5, 7, 9, 11, 12]);
    expect(read_hits(copy, true)).toEqual([5, 7, 9]);
    expect(existsSync(dir) || existsSync(copy)).toBe(false); /* read_hits() removes what it read */
  });

  it('SWAPTORTURE_MUTANT is a whole number; anything else is an error naming it', () => {
    expect(parse_mutant_id(undefined)).toBe(0);
    expect(parse_mutant_id('17')).toBe(17);
    expect(parse_mutant_id('x1')).toBeInstanceOf(Error);
    expect(String(parse_mutant_id('-3'))).toMatch(/SWAPTORTURE_MUTANT: "-3"/);
  });
});

/*
 * The instrumented copy's build lock: two campaigns of one clone starting
 * together build it once - the second waits for the first's build.
 */
describe('the build lock (tree_lock)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swt-lock-'));
  const lock = join(dir, '.mutants.lock');

  it('is taken when free, and again once let go', async () => {
    expect(await tree_lock(lock)).toBe('held');
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(process.pid));
    rmSync(lock);
    expect(await tree_lock(lock)).toBe('held');
    rmSync(lock);
  });

  it('held by a live process, waits until its holder lets it go, then takes it', async () => {
    writeFileSync(lock, `${process.ppid}\n`); /* the parent: alive */
    const taking = tree_lock(lock);
    await new Promise((r) => setTimeout(r, 500));
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(process.ppid)); /* not taken from its holder */
    rmSync(lock); /* the holder's build is done */
    expect(await taking).toBe('held');
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(process.pid));
    rmSync(lock);
  });

  it('left behind by a process that died, is taken over', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(lock, `${dead.stdout}\n`);
    expect(await tree_lock(lock)).toBe('held');
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(process.pid));
    rmSync(lock);
  });

  it('held by a live process, the wait ends as soon as the campaign is interrupted; the lock stays its holder\'s', async () => {
    writeFileSync(lock, `${process.ppid}\n`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    expect(await tree_lock(lock, ac.signal)).toBe('aborted');
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(process.ppid));
    rmSync(lock);
  });
});

/* The baselines' --jobs bound (src/harness/job_slots.ts). */
describe('JobSlots', () => {
  it('runs at most N jobs at once, starts them in call order, and a job that throws hands its slot on', async () => {
    const slots = new JobSlots(2);
    let now = 0;
    let most = 0;
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, () => { let open!: () => void; const p = new Promise<void>((r) => (open = r)); return { p, open }; });
    const all = gates.map((g, i) => slots.run(async () => {
      started.push(i);
      most = Math.max(most, ++now);
      await g.p;
      now--;
      if (i === 1) throw new Error('job 1 failed');
      return i;
    }));
    const settled = Promise.allSettled(all); /* handled from the start: job 1's rejection is expected */
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
    await tick();
    expect(started).toEqual([0, 1]);
    gates[1].open(); /* throws: its slot goes to job 2 */
    await tick();
    expect(started).toEqual([0, 1, 2]);
    /* one arriving now waits behind 3 and 4 */
    const late = slots.run(async () => { started.push(5); return 5; });
    gates[0].open();
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const g of gates) g.open();
    expect([...await settled, { status: 'fulfilled', value: await late }]).toEqual([
      { status: 'fulfilled', value: 0 }, { status: 'rejected', reason: new Error('job 1 failed') }, { status: 'fulfilled', value: 2 },
      { status: 'fulfilled', value: 3 }, { status: 'fulfilled', value: 4 }, { status: 'fulfilled', value: 5 },
    ]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(() => new JobSlots(0)).toThrow(RangeError);
  });
});

/*
 * The type check of a mutant reads the sources once, at the start of the
 * campaign: a developer editing a file while a campaign runs (from its
 * copy) must not shift the mutants' positions under the check.  Before,
 * 12 of the 14 checked mutants of a file edited mid-campaign came out as
 * CompileErrors (TS2364 and the like: the edit applied at stale offsets).
 */
describe('the type check of a mutant (MutantTypeChecker)', () => {
  it('checks the sources as they were when it was made, not a file edited since', () => {
    /* A repository of one small model file: the check builds its program quickly. */
    const dir = mkdtempSync(join(tmpdir(), 'swaptorture-mutcheck-'));
    try {
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { target: 'ES2022', lib: ['ES2022'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: [], noEmit: true },
        include: ['src/**/*.ts'],
      }));
      mkdirSync(join(dir, 'src/mm'), { recursive: true });
      const file = join(dir, 'src/mm/take.ts');
      writeFileSync(file, [
        'let held = 0;',
        'function spin_lock(l: number): void { held = l; }',
        'function spin_unlock(l: number): void { held -= l; }',
        'export function take(ci: number, nr: number): number {',
        '  spin_lock(ci);',
        '  if (ci !== 0 && nr > held) {',
        '    spin_unlock(ci);',
        '    return -1;',
        '  }',
        '  spin_unlock(ci);',
        '  return nr;',
        '}',
        '',
      ].join('\n'));
      const checked = mutant_list(dir).filter((m) => MutantTypeChecker.needs_check(m));
      expect(checked.length).toBeGreaterThan(2);
      const checker = new MutantTypeChecker(dir);
      const before = checked.map((m) => checker.check(m));
      expect(before).toEqual(checked.map(() => null));
      writeFileSync(file, `/* a comment the developer added */\n${readFileSync(file, 'utf8')}`);
      expect(checked.map((m) => checker.check(m))).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('equivalent mutants (mutants/equivalent.json)', () => {
  it('an entry with "occurrence" names that one site of its text in the function, not the others', () => {
    const eqs = load_equivalents(join(ROOT, 'mutants/equivalent.json'));
    /* folio_dup_swap(): "idx < 0" twice - the count of slots (a mutant that matters) and the entry (at idx 0 the same either way). */
    const sites = mutant_list(ROOT).filter((m) => m.fn === 'folio_dup_swap' && m.operator === 'BorderOffByOne' && m.original === 'idx < 0');
    expect(sites).toHaveLength(2);
    expect(sites.map((m) => equivalent_of(m, eqs) !== null)).toEqual([false, true]);
    const [first] = sites;
    const entry = { file: first.file, operator: first.operator, function: first.fn, original: first.original, replacement: first.replacement, reason: 'r' };
    expect(sites.map((m) => equivalent_of(m, [entry]) !== null)).toEqual([true, true]);
    const dir = mkdtempSync(join(tmpdir(), 'swaptorture-eq-'));
    try {
      writeFileSync(join(dir, 'eq.json'), JSON.stringify([{ ...entry, occurrence: -1 }]));
      expect(() => load_equivalents(join(dir, 'eq.json'))).toThrow(/entry 0: "occurrence" must be a whole number/);
      writeFileSync(join(dir, 'eq.json'), JSON.stringify([{ ...entry, occurrence: 1 }, entry, { ...entry, reason: 'again' }]));
      expect(() => load_equivalents(join(dir, 'eq.json'))).toThrow(/entry 2: names the same mutant as entry 1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the instrumented copy (build_mutant_tree)', () => {
  it('holds the documentation the tests read, is built again when it changes, and never under a live campaign that runs from it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swaptorture-mutcopy-'));
    try {
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext' }, include: ['src/**/*.ts'] }));
      mkdirSync(join(dir, 'src/mm'), { recursive: true });
      writeFileSync(join(dir, 'src/mm/take.ts'), 'export function take(ci: number): number {\n  spin_lock(ci);\n  spin_unlock(ci);\n  return ci;\n}\n');
      mkdirSync(join(dir, 'docs'));
      writeFileSync(join(dir, 'docs/scenarios.md'), '# one\n');
      writeFileSync(join(dir, 'README.md'), '# readme\n');
      const mutants = mutant_list(dir);
      const copy = join(dir, '.mutants');
      const first = await build_mutant_tree(dir, mutants, copy);
      expect(first?.built).toBe(true);
      expect(readFileSync(join(copy, 'docs/scenarios.md'), 'utf8')).toBe('# one\n');
      expect(readFileSync(join(copy, 'README.md'), 'utf8')).toBe('# readme\n');
      expect((await build_mutant_tree(dir, mutants, copy))?.built).toBe(false);
      writeFileSync(join(dir, 'docs/scenarios.md'), '# two\n');
      const again = await build_mutant_tree(dir, mutants, copy);
      expect(again?.built).toBe(true);
      expect(again?.key).not.toBe(first?.key);
      expect(readFileSync(join(copy, 'docs/scenarios.md'), 'utf8')).toBe('# two\n');
      /*
       * A live campaign of another process runs from the copy (its pid in
       * .mutants.users): edited sources get a copy of their own beside it,
       * and the one in use stays as it is; once no one uses it, it is
       * rebuilt in place.
       */
      tree_release(copy);
      writeFileSync(join(`${copy}.users`, String(process.ppid)), '');
      writeFileSync(join(dir, 'docs/scenarios.md'), '# three\n');
      const beside = await build_mutant_tree(dir, mutants, copy);
      expect(beside).toMatchObject({ dir: `${copy}-${beside!.key.slice(0, 12)}`, built: true });
      expect(readFileSync(join(beside!.dir, 'docs/scenarios.md'), 'utf8')).toBe('# three\n');
      expect(readFileSync(join(copy, 'docs/scenarios.md'), 'utf8')).toBe('# two\n');
      tree_release(beside!.dir);
      rmSync(join(`${copy}.users`, String(process.ppid)));
      expect(await build_mutant_tree(dir, mutants, copy)).toMatchObject({ dir: copy, built: true });
      expect(readFileSync(join(copy, 'docs/scenarios.md'), 'utf8')).toBe('# three\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('selection and journal', () => {
  const all = mutant_list(ROOT);

  it('the model has mutants of every concurrency operator, numbered from 1 in a stable order', () => {
    expect(all.map((m) => m.id)).toEqual(all.map((_, i) => i + 1));
    for (const op of ['LockDelete', 'RcuDelete', 'RefDelete', 'EarlyUnlock', 'DropRecheck', 'BorderOffByOne', 'CountDelete', 'CountDouble', 'SwapLocks'] as Operator[]) {
      expect(all.some((m) => m.operator === op), op).toBe(true);
    }
    expect(mutant_list(ROOT).map((m) => m.key)).toEqual(all.map((m) => m.key));
    expect(new Set(all.map((m) => m.key)).size).toBe(all.length);
  });

  it('shards partition the selection', () => {
    const base = { ids: null, files: ['src/mm/swap*.ts'], operators: null, changed: null, limit: 150 };
    const whole = select_mutants(all, { ...base, shard: { k: 1, n: 1 } });
    expect(whole.length).toBe(150);
    const parts = [1, 2, 3].map((k) => select_mutants(all, { ...base, shard: { k, n: 3 } }).map((m) => m.id));
    const union = parts.flat().sort((a, b) => a - b);
    expect(union).toEqual(whole.map((m) => m.id));
    expect(new Set(union).size).toBe(union.length);
    expect(glob_regexp('src/mm/swap*.ts').test('src/mm/swap_state.ts')).toBe(true);
    expect(glob_regexp('src/**').test('src/designs/p4.ts')).toBe(true);
    expect(glob_regexp('src/mm/*.ts').test('src/designs/p4.ts')).toBe(false);
  });

  it('--changed: only the mutants on lines changed since a revision (committed or not)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'swaptorture-mutate-git-'));
    try {
      const git = (...a: string[]): void => {
        const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: dir, encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
      };
      git('init', '-q');
      const file = 'src/mm/x.ts';
      const body = (unlockLine: string): string => `export function f(ci: number): void {\n  spin_lock(ci);\n  touch(ci);\n${unlockLine}\n}\n`;
      spawnSync('mkdir', ['-p', join(dir, 'src/mm')]);
      writeFileSync(join(dir, file), body('  spin_unlock(ci);'));
      git('add', '.');
      git('commit', '-qm', 'one');
      writeFileSync(join(dir, file), body('  spin_unlock(ci); /* changed */'));
      const changed = changed_lines(dir, 'HEAD', ['src/mm']);
      expect([...changed.get(file)!]).toEqual([4]);
      const ms = find_mutants(file, readFileSync(join(dir, file), 'utf8')).map((m, i) => ({ ...m, id: i + 1, key: String(i) }));
      const picked = select_mutants(ms, { ids: null, files: null, operators: null, changed, limit: null, shard: { k: 1, n: 1 } });
      /* the unlock's deletion and its move above touch(); not the lock on line 2 */
      expect(picked.map((m) => `${m.operator} ${m.line}-${m.endLine}`)).toEqual(['EarlyUnlock 3-4', 'LockDelete 4-4']);
      expect(ms.some((m) => m.original === 'spin_lock(ci);')).toBe(true);
      expect(() => changed_lines(dir, 'no-such-rev', ['src/mm'])).toThrow(/--changed: git diff no-such-rev failed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resume after a kill runs only the mutants without a journal line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swaptorture-mutate-test-'));
    try {
      const journal = join(dir, 'journal.jsonl');
      const selected = select_mutants(all, { ids: null, files: ['src/mm/swap_device.ts'], operators: new Set<Operator>(['LockDelete', 'RefDelete']), changed: null, limit: 5, shard: { k: 1, n: 1 } });
      expect(selected.length).toBe(5);
      /* no members: every mutant is NoCoverage at once, so the journal's bookkeeping is all that is tested */
      const params: MutateParams = { design: 'p4', designs: ['p4'], seed: 1, members: [], budgets: DEFAULT_BUDGETS, operators: null, ids: null, files: null, changed: null, limit: 5, shard: '1/1' };
      const opts = { repo: ROOT, params, all, selected, jobs: 2, journal, resume: false };
      const first = await run_mutate(opts, { err: () => {} }, new AbortController().signal);
      expect(first.executed).toBe(5);
      /* kill -9 after two mutants: their lines, then a torn one */
      const lines = readFileSync(journal, 'utf8').split('\n');
      writeFileSync(journal, lines.slice(0, 3).join('\n') + '\n');
      appendFileSync(journal, lines[3].slice(0, 20));
      const journalled = lines.slice(1, 3).map((l) => (JSON.parse(l) as MutantResult).id);
      const rerun: number[] = [];
      const second = await run_mutate({ ...opts, resume: true }, { err: () => {}, onResult: (r) => rerun.push(r.id) }, new AbortController().signal);
      expect(second.executed).toBe(3);
      expect(rerun.sort()).toEqual(selected.map((m) => m.id).filter((id) => !journalled.includes(id)).sort());
      expect(second.results.map((r) => r.id)).toEqual(selected.map((m) => m.id));
      /* without --resume the journal is not overwritten */
      await expect(run_mutate(opts, { err: () => {} }, new AbortController().signal)).rejects.toThrow(/already holds a campaign/);
      /* a journal from before --designs ran race, stress and fuzz on its primary design only */
      const old = join(dir, 'old.jsonl');
      const { designs: _, ...before } = params;
      writeFileSync(old, JSON.stringify({ mutate: { ...before, design: 'ghost' } }) + '\n');
      expect(read_mutate_journal(old, null, new Map()).params).toMatchObject({ design: 'ghost', designs: ['ghost'] });
      /* other parameters than the journal's: refused */
      await expect(run_mutate({ ...opts, resume: true, params: { ...params, seed: 2 } }, { err: () => {} }, new AbortController().signal)).rejects.toThrow(/seed 1, not 2/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('swaptorture mutate (CLI)', () => {
  it('the explore member explores the races and the interleavings whose unmutated exploration reaches the site: the scenarios written for the mutated function first, then the primary design, at most --races, K=2 under dpor, --explore-schedules', async () => {
    const seen: string[][] = [];
    /* a fake campaign: mutant 7 is reached by one interleaving on p4 and ghost and by one race on ghost; mutant 8 by no exploration */
    const reach = (argv: string[]): number[] => {
      if (argv[2].endsWith('anon-fault-same-page.json') && argv[5] !== 'vswap') return [7, 9];
      if (argv[2] === 'swapoff-vs-swapin' && argv[5] === 'ghost') return [7, 9, 10];
      return argv[2].endsWith('read-vs-reclaim.json') && argv[5] === 'p4' ? [10] : [];
    };
    const [member] = make_portfolio(['explore'], { ...DEFAULT_BUDGETS, races: 2, exploreSchedules: 50 });
    await member.prepare({ tree: ROOT, design: 'p4', designs: ['p4', 'ghost', 'vswap'], seed: 1, baseline: async (r: MemberRun) => { seen.push(r.argv); return { ok: true, ms: r.argv[5] === 'ghost' ? 5 : 10, covered: reach(r.argv) }; } }, []);
    const targets = new Set(seen.map((a) => a[2]));
    expect(targets.has('swapoff-vs-swapin')).toBe(true);
    expect(targets.has('scenarios/interleavings/anon-fault-same-page.json')).toBe(true);
    for (const a of seen) expect(a.slice(3)).toEqual(['--fixed', '--design', a[5], '--preemptions', '2', '--reduction', 'dpor', '--max-schedules', '50', '--no-shrink']);
    const m = (id: number): Mutant => ({ id }) as Mutant;
    expect(member.runs(m(7)).map((r) => `${r.by} ${r.argv[2]}`)).toEqual(['explore[p4] scenarios/interleavings/anon-fault-same-page.json', 'explore[ghost] swapoff-vs-swapin']);
    expect(member.runs(m(8))).toEqual([]);
    /* Mutant 9 reaches the same runs, in get_swap_device(): the race written for that function (its "functions" name it) goes first. */
    expect(member.runs({ id: 9, fn: 'get_swap_device' } as Mutant).map((r) => `${r.by} ${r.argv[2]}`)).toEqual(['explore[ghost] swapoff-vs-swapin', 'explore[p4] scenarios/interleavings/anon-fault-same-page.json']);
    /* Mutant 10, in do_swap_page: swapoff-vs-swapin names it first, read-vs-reclaim fifth - the first goes first, though the other is the primary design's and quicker. */
    expect(member.runs({ id: 10, fn: 'do_swap_page' } as Mutant).map((r) => `${r.by} ${r.argv[2]}`)).toEqual(['explore[ghost] swapoff-vs-swapin', 'explore[p4] scenarios/interleavings/read-vs-reclaim.json']);
  });

  it('bad flags exit 2 naming the flag', () => {
    for (const [args, msg] of [
      [['--shard', '0/2'], /--shard: "0\/2"/],
      [['--operators', 'LockDelete,Nope'], /--operators: unknown "Nope"/],
      [['--members', 'stress,explorer'], /--members: unknown "explorer"/],
      [['--design', 'p9'], /--design: unknown design "p9"/],
      [['--id', '3,x'], /--id: "x"/],
      [['--id', '3,999999'], /--id: no mutant 999999 \(the model's are 1 to \d+; see --list\)/],
      [['--files', 'src/mm/swap_device.ts,nomatch/**'], /--files: "nomatch\/\*\*" matches no file with mutants/],
      [['--changed', 'no-such-revision-xyz'], /--changed: git diff no-such-revision-xyz failed/],
      [['--jobs', '0'], /--jobs/],
      [['--unit-tests', 'test/allocator.test.ts,test/nope*.test.ts'], /--unit-tests: "test\/nope\*\.test\.ts" matches no test file/],
    ] as const) {
      const r = cli(['mutate', ...args, '--list']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });

  it('kills the si->users get deleted from get_swap_device_info, reports a marked equivalent one (a clamp at its own value), one on a line no unit test reaches as NoCoverage, and mutant 0 is clean', () => {
    const listed = JSON.parse(cli(['mutate', '--files', 'src/mm/swap_device.ts', '--list', '--json']).out) as { id: number; function: string; operator: string; original: string }[];
    const tryget = listed.find((m) => m.function === 'get_swap_device_info' && m.operator === 'RefDelete')!;
    const clampPath = 'src/mm/swap_readahead.ts';
    const clamp = (JSON.parse(cli(['mutate', '--files', clampPath, '--list', '--json']).out) as typeof listed)
      .find((m) => m.function === '__swapin_nr_pages' && m.operator === 'BorderOffByOne' && m.original === 'pages > max_pages')!;
    /*
     * do_swap_page()'s unlock on a folio that is not uptodate: only a
     * read that failed leads there (the model's I/O never fails), after
     * a data report; unit tests run do_swap_page all the same
     */
    const memoryTs = readFileSync(join(ROOT, 'src/mm/memory.ts'), 'utf8').split('\n');
    const sigbus = memoryTs.findIndex((l) => l.includes('not uptodate (SIGBUS)')) + 1;
    expect(sigbus).toBeGreaterThan(0);
    const meta = (JSON.parse(cli(['mutate', '--files', 'src/mm/memory.ts', '--list', '--json']).out) as (typeof listed[number] & { line: number })[])
      .find((m) => m.function === 'do_swap_page' && m.operator === 'LockDelete' && m.line === sigbus + 1)!;
    expect(meta.original).toBe('pte_unlock(mm, index);');
    expect(tryget.original).toBe('percpu_ref_tryget_live(si_users(type))');
    const eq = JSON.parse(readFileSync(join(ROOT, 'mutants/equivalent.json'), 'utf8')) as { function: string; operator: string }[];
    expect(eq.some((e) => e.function === '__swapin_nr_pages' && e.operator === 'BorderOffByOne')).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'swaptorture-mutate-cli-'));
    let tree = '';
    try {
      /*
       * The unit member's baselines: the test files it may pick, each run
       * once alone.  --unit-tests keeps them to the two that drive
       * get_swap_device() (every unit file would be about two minutes).
       */
      const r = cli(['mutate', '--id', `${tryget.id},${clamp.id},${meta.id}`, '--members', 'unit', '--unit-tests', 'test/allocator.test.ts,test/invariants.test.ts', '--journal', join(dir, 'j.jsonl'), '--report', dir, '--json'], 1_800_000);
      expect(r.code, r.err).toBe(0);
      tree = /instrumented copy (?:built|reused): (\S+)/.exec(r.err)![1];
      expect(tree.startsWith(join(ROOT, '.mutants'))).toBe(true);
      const s = JSON.parse(r.out) as { mutants: number; killed: number; killedBy: Record<string, number>; equivalent: number; noCoverage: number; score: number; coveredScore: number };
      expect(s).toMatchObject({ mutants: 3, killed: 1, killedBy: { unit: 1 }, equivalent: 1, noCoverage: 1, score: 50, coveredScore: 100 });
      const report = JSON.parse(readFileSync(join(dir, 'mutation.json'), 'utf8')) as { schemaVersion: string; files: Record<string, { mutants: { id: string; status: string; killedBy?: string[]; mutatorName: string }[] }> };
      expect(report.schemaVersion).toBe('2');
      const ms = report.files['src/mm/swap_device.ts'].mutants;
      expect(ms.find((m) => m.id === String(tryget.id))).toMatchObject({ status: 'Killed', killedBy: ['unit'], mutatorName: 'RefDelete' });
      expect(report.files[clampPath].mutants.find((m) => m.id === String(clamp.id))).toMatchObject({ status: 'Ignored', mutatorName: 'BorderOffByOne' });
      expect(report.files['src/mm/memory.ts'].mutants.find((m) => m.id === String(meta.id))).toMatchObject({ status: 'NoCoverage', mutatorName: 'LockDelete' });
      const html = readFileSync(join(dir, 'mutation.html'), 'utf8');
      expect(html).toContain('<mutation-test-report-app');
      expect(html).toContain('customElements.define');
      expect(html).not.toMatch(/<script[^>]+src=/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    /* the instrumented copy (.mutants, or one beside it while another campaign runs from that), with no mutant selected, is the model: a stress run is clean */
    expect(readFileSync(join(tree, 'src/mm/swap_device.ts'), 'utf8')).toContain(`__mutant === __reached(${tryget.id})`);
    expect(existsSync(join(tree, 'dist/workers/cpu.js'))).toBe(true);
    const seed = 7;
    console.log(`mutate test: stress of mutant 0, seed ${seed}`);
    const s = spawnSync(process.execPath, [join(tree, 'bin/swaptorture.js'), 'stress', '--ops', '1500', '--seed', String(seed), '--cpus', '2', '--no-progress'], {
      cwd: tree, encoding: 'utf8', timeout: 600_000, env: { ...process.env, SWAPTORTURE_MUTANT: '0', CI: '1' },
    });
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout + s.stderr).toMatch(/SUCCESS/);
  }, 2_400_000);

  it('runs stress on every design whose unmutated run reaches the site; what none reaches is NoCoverage, left out of the covered score', () => {
    type Listed = { id: number; function: string; operator: string; original: string };
    const list = (files: string): Listed[] => JSON.parse(cli(['mutate', '--files', files, '--list', '--json']).out) as Listed[];
    /* ghost-only code: the dynamic cluster free takes si->lock; p4 never frees a dynamic cluster */
    const ghost = list('src/mm/swap_cluster_dynamic.ts').find((m) => m.function === 'swap_cluster_free_dynamic' && m.operator === 'LockDelete' && m.original.startsWith('spin_lock('))!;
    /* vswap-only code, and vswap is not among the campaign's designs */
    const vswap = list('src/mm/vswap_phys.ts').find((m) => m.function === 'vswap_alloc_swap_slot' && m.operator === 'LockDelete')!;
    const dir = mkdtempSync(join(tmpdir(), 'swaptorture-mutate-designs-'));
    try {
      const r = cli(['mutate', '--id', `${ghost.id},${vswap.id}`, '--members', 'stress', '--designs', 'ghost', '--stress-ops', '300', '--journal', join(dir, 'j.jsonl'), '--report', dir, '--json']);
      expect(r.code, r.err).toBe(0);
      const s = JSON.parse(r.out) as { killed: number; killedBy: Record<string, number>; noCoverage: number; score: number; coveredScore: number; survivors: { id: number; status: string }[] };
      expect(s).toMatchObject({ killed: 1, killedBy: { 'stress[ghost]': 1 }, noCoverage: 1, score: 50, coveredScore: 100 });
      expect(s.survivors).toEqual([expect.objectContaining({ id: vswap.id, status: 'NoCoverage' })]);
      const report = JSON.parse(readFileSync(join(dir, 'mutation.json'), 'utf8')) as { files: Record<string, { mutants: { id: string; status: string; killedBy?: string[]; coveredBy: string[] }[] }> };
      /* the p4 stress run never reaches it: only the ghost one covers it */
      expect(report.files['src/mm/swap_cluster_dynamic.ts'].mutants[0]).toMatchObject({ id: String(ghost.id), status: 'Killed', killedBy: ['stress[ghost]'], coveredBy: ['stress[ghost]'] });
      expect(report.files['src/mm/vswap_phys.ts'].mutants[0]).toMatchObject({ status: 'NoCoverage', coveredBy: [] });
      const bad = cli(['mutate', '--designs', 'ghost,p9', '--list']);
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/--designs: unknown "p9"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Ctrl-C while the baselines run (half a minute for the race member): the one running is killed, none after it starts, exit 130', async () => {
    /*
     * Baselines are cached in the instrumented copy by their command line;
     * a seed of this run's own (printed) makes sure they are not cached yet.
     */
    const seed = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
    console.log(`mutate Ctrl-C in the baselines: --seed ${seed}`);
    const dir = mkdtempSync(join(tmpdir(), 'swaptorture-mutate-int-'));
    try {
      const r = await interrupt(['mutate', '--files', 'src/mm/swap_device.ts', '--operators', 'RefDelete', '--limit', '1', '--members', 'race', '--seed', String(seed),
        '--journal', join(dir, 'j.jsonl'), '--report', dir], /baseline: repro /);
      expect(r.code, r.stderr).toBe(130);
      expect(r.stdout).toMatch(/interrupted/);
      /* The race member takes one baseline per race and design (over 30); the interrupt stops it at the one running. */
      expect(r.stderr.match(/baseline: repro /g)!.length, r.stderr).toBeLessThanOrEqual(2);
      expect(readFileSync(join(dir, 'j.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1); /* the campaign's header, no mutant */
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Ctrl-C: the summary of what finished, exit 130, and --resume goes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swaptorture-mutate-int-'));
    try {
      const args = ['mutate', '--files', 'src/mm/swap_device.ts', '--operators', 'CountDelete', '--limit', '3', '--members', 'stress', '--stress-ops', '200',
        '--journal', join(dir, 'j.jsonl'), '--report', dir];
      const r = await interrupt(args, /\[1\/3\] #\d+/);
      expect(r.code, r.stderr).toBe(130);
      expect(r.stdout).toMatch(/interrupted/);
      const finished = readFileSync(join(dir, 'j.jsonl'), 'utf8').trim().split('\n').length - 1;
      expect(finished).toBeGreaterThanOrEqual(1);
      const again = cli([...args, '--resume', '--json']);
      expect(again.code, again.err).toBe(0);
      expect((JSON.parse(again.out) as { executed: number }).executed).toBe(3 - finished);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
