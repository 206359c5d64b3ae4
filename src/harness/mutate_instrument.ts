/*
 * Mutant switching for `swaptorture mutate`: every mutant of the model
 * compiled into one copy of the sources, one selected per run by
 * SWAPTORTURE_MUTANT (src/shm/mutant.ts).  Built once per campaign.
 *
 *   mutant_list()       the campaign's mutants, ids 1..N in file then
 *                       position order (src/mm/ and src/designs/, files
 *                       sorted): the same sources give the same ids
 *   instrument_file()   one file's text with its mutants switched in:
 *                         expression  (__mutant === __reached(ID) ? (mutated) : (original))
 *                         statements  { if (__mutant === __reached(ID)) { mutated } else { original } }
 *                         insertion   { if (__mutant === __reached(ID)) { inserted } }
 *                       (__reached(ID) is ID, and records that a run reached
 *                       the site when it is asked to: src/shm/mutant.ts)
 *                       spans nest (operators drop crossing ones), an inner
 *                       mutant switched inside the original side of an outer
 *   build_mutant_tree() the copy under <repo>/.mutants/: sources, tests,
 *                       scenarios and bin/ copied, the mutated files
 *                       switched, then src/ and workers/ transpiled to
 *                       .mutants/dist/ (bin/swaptorture.js and the CPU
 *                       workers run from there).  Instrumented files are
 *                       `@ts-nocheck`: a switched condition loses the
 *                       narrowing of the original, which is no error of
 *                       any mutant (mutate_check.ts type-checks each
 *                       mutant on its own).  Reused while the sources'
 *                       hash is the same.
 *
 * With SWAPTORTURE_MUTANT unset (0) every switch takes the original side:
 * the copy behaves as the sources do.
 *
 * Context: main thread; synchronous file system calls.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import ts from 'typescript';
import { find_mutants, type MutantEdit, type MutantSite } from './mutate_operators.js';
import { MUTATED_DIRS, ts_files, type Operator } from './mutate_names.js';

/** A mutant of the campaign: a site with its id and its id-independent key. */
export interface Mutant extends MutantSite {
  id: number;
  /** file|operator|function|original|replacement|#occurrence: survives ids shifting when other code changes. */
  key: string;
}


/*
 * What the copy holds besides src/: everything a member runs, and what its
 * tests read - docs/ and README.md (test/scenario_reference.test.ts,
 * races_doc, docs_commands compare the model with its documentation;
 * without them the unit member's baseline of such a file fails and it is
 * left out of the campaign).
 */
const COPIED = ['src', 'workers', 'test', 'scenarios', 'bin', 'docs', 'README.md', 'package.json', 'tsconfig.json', 'vitest.config.ts'];


/** Every mutant of the model in @repo, numbered from 1. */
export function mutant_list(repo: string, operators?: ReadonlySet<Operator>): Mutant[] {
  const out: Mutant[] = [];
  const seen = new Map<string, number>();
  for (const file of MUTATED_DIRS.flatMap((d) => ts_files(repo, d))) {
    for (const s of find_mutants(file, readFileSync(join(repo, file), 'utf8'), operators)) {
      const base = [s.file, s.operator, s.fn, s.original, s.replacement].join('|');
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.push({ ...s, id: out.length + 1, key: `${base}|#${n}` });
    }
  }
  return out;
}

interface Span {
  start: number;
  end: number;
  id: number;
  edit: MutantEdit;
  children: Span[];
}

const contains = (outer: Span, inner: Span): boolean =>
  outer.start !== outer.end && (inner.start === inner.end ? outer.start < inner.start && inner.start < outer.end : outer.start <= inner.start && inner.end <= outer.end);

/* The switched text of @span whose original side (children switched) is @inner. */
function switched(span: Span, inner: string): string {
  const { id, edit } = span;
  const at = `__mutant === __reached(${id})`;
  if (edit.kind === 'expr') return `(${at} ? (${edit.text}) : (${inner}))`;
  if (span.start === span.end) return `{ if (${at}) { ${edit.text} } } `;
  return `{ if (${at}) { ${edit.text} } else { ${inner} } }`;
}

/** @text with @mutants (of this file) switched in; @mutantModule: the import path of src/shm/mutant.js from this file. */
export function instrument_file(text: string, mutants: readonly Mutant[], mutantModule: string): string {
  const spans: Span[] = mutants.flatMap((m) => m.edits.map((edit) => ({ start: edit.start, end: edit.end, id: m.id, edit, children: [] })));
  spans.sort((a, b) => a.start - b.start || (a.start === a.end ? 0 : 1) - (b.start === b.end ? 0 : 1) || b.end - a.end || a.id - b.id);
  const root: Span = { start: 0, end: text.length, id: 0, edit: { start: 0, end: text.length, text: '', kind: 'stmt' }, children: [] };
  const stack: Span[] = [root];
  for (const s of spans) {
    while (stack.length > 1 && !contains(stack[stack.length - 1], s)) stack.pop();
    stack[stack.length - 1].children.push(s);
    stack.push(s);
  }
  const render = (start: number, end: number, children: Span[]): string => {
    let out = '';
    let pos = start;
    for (const c of children) {
      out += text.slice(pos, c.start) + switched(c, render(c.start, c.end, c.children));
      pos = c.end;
    }
    return out + text.slice(pos, end);
  };
  return `// @ts-nocheck\nimport { __mutant, __reached } from '${mutantModule}';\n${render(0, text.length, root.children)}`;
}

/** @text with mutant @m applied alone (no switch): what the developer would have written. */
export function apply_mutant(text: string, m: MutantSite): string {
  let out = text;
  for (const e of [...m.edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + (e.kind === 'stmt' && e.start === e.end ? `${e.text} ` : e.text) + out.slice(e.end);
  return out;
}

/* The hash of everything the copy is made of (and of the mutants' switching). */
function sources_key(repo: string, mutants: readonly Mutant[]): string {
  const h = createHash('sha256');
  for (const top of COPIED) {
    const abs = join(repo, top);
    if (!existsSync(abs)) continue;
    const files = statSync(abs).isDirectory() ? all_files(repo, top) : [top];
    for (const f of files) h.update(f).update('\0').update(readFileSync(join(repo, f))).update('\0');
  }
  h.update(JSON.stringify(mutants.map((m) => [m.id, m.edits])));
  return h.digest('hex').slice(0, 16);
}

function all_files(repo: string, dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(repo, dir)).sort()) {
    const rel = `${dir}/${name}`;
    if (statSync(join(repo, rel)).isDirectory()) out.push(...all_files(repo, rel));
    else out.push(rel);
  }
  return out;
}

/* The compiler options of @repo's tsconfig.json, for transpiling to ES modules. */
function compiler_options(repo: string): ts.CompilerOptions {
  const cfg = ts.readConfigFile(join(repo, 'tsconfig.json'), ts.sys.readFile);
  if (cfg.error) throw new Error(`mutate: tsconfig.json: ${ts.flattenDiagnosticMessageText(cfg.error.messageText, '\n')}`);
  const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, repo);
  return { ...parsed.options, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, declaration: false, sourceMap: false, noEmit: false, rootDir: undefined, outDir: undefined };
}

export interface MutantTree {
  /** The copy's root (<repo>/.mutants unless given). */
  dir: string;
  /** The sources' hash it was built from. */
  key: string;
  /** Built now (false: reused). */
  built: boolean;
}

/**
 * The instrumented copy of @repo with @mutants (all of them: the build
 * does not depend on which are run) switched in, at @dir - reused when it
 * was built from the same sources - and registered as in use by this
 * process until tree_release().  null: @signal aborted while it waited
 * for another campaign's build (the build itself, a few seconds, runs to
 * its end).
 *
 * A copy a live campaign runs from is never rebuilt under it: mutant ids
 * are positions in the sources it was built from, so a copy of edited
 * sources swapped in mid-campaign (another campaign, or `npm test`'s own
 * mutate tests, after an edit) had the rest of the campaign run other
 * mutants under the ids it reports.  Other sources meanwhile get a copy of
 * their own beside it, @dir-KEY (KEY: the first 12 digits of their hash).
 */
export async function build_mutant_tree(repo: string, mutants: readonly Mutant[], dir = join(repo, '.mutants'), signal?: AbortSignal): Promise<MutantTree | null> {
  const key = sources_key(repo, mutants);
  /*
   * Two campaigns of one clone starting together: the first takes the
   * build lock and builds, the other waits for it and takes the copy it
   * built instead of building the same one beside it (4 s of CPU on a
   * 2-core machine).  Registering as a user of a copy happens under the
   * lock too, so a build never removes a copy a campaign just chose.
   */
  const lock = `${dir}.lock`;
  const got = await tree_lock(lock, signal);
  if (got === 'aborted') return null;
  try {
    const target = stamp_key(dir) === key || !tree_in_use(dir) ? dir : `${dir}-${key.slice(0, 12)}`;
    let built = false;
    if (stamp_key(target) !== key) {
      /* Built aside and renamed into place: nobody ever runs from a half-built copy. */
      const aside = `${target}.tmp-${process.pid}`;
      build_copy(repo, mutants, aside, key);
      rmSync(target, { recursive: true, force: true });
      renameSync(aside, target);
      built = true;
    }
    mkdirSync(`${target}.users`, { recursive: true });
    writeFileSync(join(`${target}.users`, String(process.pid)), '');
    return { dir: target, key, built };
  } finally {
    if (got === 'held') rmSync(lock, { force: true });
  }
}

/** This process no longer runs from the copy at @dir (build_mutant_tree()'s registration goes). */
export function tree_release(dir: string): void {
  rmSync(join(`${dir}.users`, String(process.pid)), { force: true });
}

/* Does a live process other than this one run from the copy at @dir? */
function tree_in_use(dir: string): boolean {
  let pids: string[];
  try {
    pids = readdirSync(`${dir}.users`);
  } catch {
    return false;
  }
  return pids.some((p) => /^\d+$/.test(p) && Number(p) !== process.pid && pid_alive(Number(p)));
}

/* How often a campaign waiting for another's build looks again, and how long it waits at most before building anyway. */
const TREE_LOCK_POLL_MS = 200;
const TREE_LOCK_WAIT_MS = 15 * 60_000;

/* Is process @pid alive (a lock holder that died leaves its lock behind)? */
function pid_alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the build lock at @lock (a file holding the builder's pid, created
 * exclusively): 'held' when this process holds it.  While a live process
 * holds it, wait until it goes; a lock whose holder died is taken over
 * (one still empty after a few polls: its holder died writing it); after
 * TREE_LOCK_WAIT_MS, 'timeout': build anyway, the lock not held;
 * 'aborted' as soon as @signal aborts (Ctrl-C: the wait may be minutes).
 * Context: main thread; async (the event loop runs while it waits).
 */
export async function tree_lock(lock: string, signal?: AbortSignal): Promise<'held' | 'timeout' | 'aborted'> {
  const end = Date.now() + TREE_LOCK_WAIT_MS;
  let empty = 0;
  for (;;) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      return 'held';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let text: string;
    try {
      text = readFileSync(lock, 'utf8').trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; /* let go meanwhile */
      throw e;
    }
    const holder = /^\d+$/.test(text) ? Number(text) : -1;
    if ((holder > 0 && !pid_alive(holder)) || (holder < 0 && ++empty > 10)) {
      rmSync(lock, { force: true });
      empty = 0;
      continue;
    }
    if (Date.now() >= end) return 'timeout';
    try {
      await sleep(TREE_LOCK_POLL_MS, undefined, { signal });
    } catch {
      return 'aborted';
    }
  }
}

/* The sources' hash the copy at @dir was built from, or null. */
function stamp_key(dir: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8')) as { key?: string }).key ?? null;
  } catch {
    return null;
  }
}

/* Write the instrumented, transpiled copy of @repo to @dir, stamped @key last. */
function build_copy(repo: string, mutants: readonly Mutant[], dir: string, key: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const top of COPIED) if (existsSync(join(repo, top))) cpSync(join(repo, top), join(dir, top), { recursive: true });
  const byFile = new Map<string, Mutant[]>();
  for (const m of mutants) byFile.set(m.file, [...(byFile.get(m.file) ?? []), m]);
  for (const [file, ms] of byFile) {
    let rel = relative(dirname(join(repo, file)), join(repo, 'src/shm/mutant.js')).split('\\').join('/');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    writeFileSync(join(dir, file), instrument_file(readFileSync(join(repo, file), 'utf8'), ms, rel));
  }
  const options = compiler_options(repo);
  /* A .cts file (the workers' loader) stays CommonJS, its import() an import(), as tsc emits it. */
  const cjs_options = { ...options, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
  for (const file of [...ts_files(dir, 'src'), ...ts_files(dir, 'workers', true)]) {
    const cjs = file.endsWith('.cts');
    const r = ts.transpileModule(readFileSync(join(dir, file), 'utf8'), { compilerOptions: cjs ? cjs_options : options, fileName: file, reportDiagnostics: true });
    const bad = (r.diagnostics ?? []).filter((d) => d.file !== undefined && d.category === ts.DiagnosticCategory.Error);
    if (bad.length > 0) throw new Error(`mutate: the instrumented ${file} does not parse: ${ts.flattenDiagnosticMessageText(bad[0].messageText, '\n')}`);
    const out = join(dir, 'dist', cjs ? file.replace(/\.cts$/, '.cjs') : file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, r.outputText);
  }
  /*
   * Packed as the build packs (workers/bundle.ts): a member run starts its
   * command and its CPUs from packs of the instrumented code, not ~200
   * modules each (a race baseline 1.6 -> 1.0 CPU-seconds).  Packs are an
   * optimisation only: without the bundler, or if it fails, every run
   * starts from the copy's modules.
   */
  spawnSync(process.execPath, [join(dir, 'dist', 'workers', 'bundle.js')], { cwd: dir, stdio: 'ignore', timeout: 300_000 });
  writeFileSync(join(dir, 'build.json'), JSON.stringify({ key, mutants: mutants.length }) + '\n');
}
