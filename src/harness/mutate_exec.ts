/*
 * One run of a portfolio member (src/harness/mutate_portfolio.ts): a child
 * `node` process in the instrumented copy with SWAPTORTURE_MUTANT set, in
 * a process group of its own (so a terminal's Ctrl-C reaches only
 * `mutate`, which then ends its runs itself, and a stalled run is killed
 * with all it started).  With @coverageDir, NODE_V8_COVERAGE makes its
 * main thread and every worker thread write V8 coverage there
 * (src/harness/coverage_v8.ts explains the mechanism); v8_functions_run()
 * reads it back as "file:function" of the model's functions that ran.
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
  const env: NodeJS.ProcessEnv = { ...process.env, SWAPTORTURE_MUTANT: String(mutant), CI: '1' };
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

/**
 * The model functions that ran, from the coverage files in @dir written
 * by a run in the copy at @tree (its compiled dist/src/): "src/mm/x.ts:fn"
 * for every named function with a call.  @dir goes.
 */
export function v8_functions_run(dir: string, tree: string): string[] {
  const out = new Set<string>();
  const dist = join(tree, 'dist');
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
        const rel = relative(dist, fileURLToPath(script.url)).split(sep).join('/');
        if (!rel.startsWith('src/') || !rel.endsWith('.js')) continue;
        const file = rel.replace(/\.js$/, '.ts');
        for (const fn of script.functions) if (fn.functionName !== '' && fn.ranges[0]?.count > 0) out.add(`${file}:${fn.functionName}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [...out].sort();
}
