/*
 * One run of a portfolio member (src/harness/mutate_portfolio.ts): a child
 * `node` process in the instrumented copy with SWAPTORTURE_MUTANT set, in
 * a process group of its own (so a terminal's Ctrl-C reaches only
 * `mutate`, which then ends its runs itself, and a stalled run is killed
 * with all it started).  With @coverageDir, NODE_V8_COVERAGE makes its
 * main thread and every worker thread write V8 coverage there
 * (src/harness/coverage_v8.ts explains the mechanism); v8_mutants_run()
 * reads it back as the mutants whose switch the run executed (V8's block
 * counts at each switch of the transpiled copy) and the functions of the
 * TypeScript sources it called (vitest's in-memory transform of them).
 *
 * Context: main thread; async.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V8ScriptCoverage } from './coverage_v8.js';

export interface ChildResult {
  /** Exit status, or null when a signal ended it. */
  code: number | null;
  signal: string | null;
  ms: number;
  /** Killed after @timeoutMs: a stall. */
  timedOut: boolean;
  /** Killed because the campaign was interrupted (its verdict is void). */
  aborted: boolean;
  /** The last lines it printed (stdout and stderr). */
  tail: string;
}

const TAIL_BYTES = 16 * 1024;

/**
 * Run `node @argv` in @cwd with mutant @mutant; kill its process group
 * after @timeoutMs or when @signal aborts.  "{tmp}" in @argv is a fresh
 * temporary directory, removed afterwards.
 */
export function run_child(cwd: string, argv: string[], mutant: number, timeoutMs: number, signal: AbortSignal | null, coverageDir?: string): Promise<ChildResult> {
  const tmp = argv.includes('{tmp}') ? mkdtempSync(join(tmpdir(), 'swaptorture-mutate-')) : null;
  const args = argv.map((a) => (a === '{tmp}' ? tmp! : a));
  /* SWAPTORTURE_KASAN: an off-by-one index into the arena's arrays is a BUG in every member (src/shm/kasan.ts). */
  const env: NodeJS.ProcessEnv = { ...process.env, SWAPTORTURE_MUTANT: String(mutant), SWAPTORTURE_KASAN: '1', CI: '1' };
  delete env.NODE_V8_COVERAGE;
  if (coverageDir !== undefined) env.NODE_V8_COVERAGE = coverageDir;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (b: Buffer): void => {
      tail = (tail + b.toString('utf8')).slice(-TAIL_BYTES);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let timedOut = false;
    let aborted = false;
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch { /* already gone */ }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      killGroup();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
      resolve({ code, signal: sig, ms: Math.round(performance.now() - t0), timedOut, aborted, tail: last_lines(tail, 4) });
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
      resolve({ code: null, signal: null, ms: Math.round(performance.now() - t0), timedOut: false, aborted, tail: `cannot start node: ${e.message}` });
    });
  });
}

/*
 * What a run said, for the report: the first line naming a failure (a
 * failed test, an invariant's report, an error) if any, then its last @n
 * non-empty lines, without terminal escapes.
 */
function last_lines(text: string, n: number): string {
  // eslint-disable-next-line no-control-regex
  const lines = text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const first = lines.find((l) => /^(FAIL|×|✗)|AssertionError|violation|BUG|WARN|Error:/.test(l));
  const tail = lines.slice(-n);
  return [...(first !== undefined && !tail.includes(first) ? [first.slice(0, 300)] : []), ...tail].join(' | ').slice(-900);
}

/** A fresh directory for a run's V8 coverage. */
export function coverage_dir(): string {
  return mkdtempSync(join(tmpdir(), 'swaptorture-mutate-v8-'));
}

/*
 * Where each mutant's switch is in a compiled file of the copy: the
 * offsets of "__mutant === ID" (the instrumentation's own marker, as the
 * compiler printed it), by id.
 */
function switch_offsets(js: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const m of js.matchAll(/__mutant === (\d+)\b/g)) {
    const id = Number(m[1]);
    out.set(id, [...(out.get(id) ?? []), m.index!]);
  }
  return out;
}

/* The execution count V8 gives offset @at: that of the innermost range holding it (0 when none). */
function count_at(script: V8ScriptCoverage, at: number): number {
  let best: { len: number; count: number } | null = null;
  for (const fn of script.functions) {
    for (const r of fn.ranges) {
      if (r.startOffset <= at && at < r.endOffset && (best === null || r.endOffset - r.startOffset <= best.len)) best = { len: r.endOffset - r.startOffset, count: r.count };
    }
  }
  return best?.count ?? 0;
}

/** What a run executed in the copy. */
export interface RunCoverage {
  /** The mutants whose switch it executed (block counts of the transpiled dist/src/ files). */
  mutants: number[];
  /**
   * The functions of the TypeScript sources it called, "src/mm/file.ts|name"
   * (vitest runs the sources themselves, transformed in memory: no text to
   * find a switch in, so function counts; "name" as V8 names it, the
   * method's own name without its class).
   */
  functions: string[];
}

/**
 * What a run in the copy at @tree executed, from the V8 coverage in @dir
 * (any thread counts): a mutant no run of a member reaches cannot be
 * killed by it.  @dir goes.
 */
export function v8_mutants_run(dir: string, tree: string): RunCoverage {
  const out = new Set<number>();
  const fns = new Set<string>();
  const dist = join(tree, 'dist');
  const offsets = new Map<string, Map<number, number[]>>();
  try {
    for (const f of readdirSync(dir).filter((x) => /^coverage-.*\.json$/.test(x))) {
      let doc: { result?: V8ScriptCoverage[] };
      try {
        doc = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { result?: V8ScriptCoverage[] };
      } catch {
        continue; /* a thread killed while writing */
      }
      for (const script of doc.result ?? []) {
        if (!script.url.startsWith('file:')) continue;
        const path = fileURLToPath(script.url.replace(/[?#].*$/, ''));
        const src = relative(tree, path).split(sep).join('/');
        if (src.startsWith('src/') && src.endsWith('.ts')) {
          for (const fn of script.functions) if (fn.ranges[0].count > 0) fns.add(`${src}|${fn.functionName.replace(/^.*\./, '')}`);
          continue;
        }
        const rel = relative(dist, path).split(sep).join('/');
        if (!rel.startsWith('src/') || !rel.endsWith('.js')) continue;
        let sites = offsets.get(path);
        if (sites === undefined) offsets.set(path, (sites = switch_offsets(readFileSync(path, 'utf8'))));
        for (const [id, ats] of sites) if (!out.has(id) && ats.some((at) => count_at(script, at) > 0)) out.add(id);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { mutants: [...out].sort((a, b) => a - b), functions: [...fns].sort() };
}
