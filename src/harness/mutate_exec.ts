/*
 * One run of a portfolio member (src/harness/mutate_portfolio.ts): a child
 * `node` process in the instrumented copy with SWAPTORTURE_MUTANT set, in
 * a process group of its own (so a terminal's Ctrl-C reaches only
 * `mutate`, which then ends its runs itself, and a stalled run is killed
 * with all it started).  With @hitsDir, SWAPTORTURE_MUTANT_HITS makes its
 * main thread, every worker thread and every process it starts record
 * the mutant sites they reach there (src/shm/mutant.ts); read_hits()
 * reads them back.  The same for the compiled CLI and for vitest, which
 * runs the instrumented sources through its own transform.
 *
 * Context: main thread; async.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hits_file_thread } from '../shm/mutant.js';

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
export function run_child(cwd: string, argv: string[], mutant: number, timeoutMs: number, signal: AbortSignal | null, hitsDir?: string): Promise<ChildResult> {
  const tmp = argv.includes('{tmp}') ? mkdtempSync(join(tmpdir(), 'swaptorture-mutate-')) : null;
  const args = argv.map((a) => (a === '{tmp}' ? tmp! : a));
  /* SWAPTORTURE_KASAN: an off-by-one index into the arena's arrays is a BUG in every member (src/shm/kasan.ts). */
  const env: NodeJS.ProcessEnv = { ...process.env, SWAPTORTURE_MUTANT: String(mutant), SWAPTORTURE_KASAN: '1', CI: '1' };
  delete env.SWAPTORTURE_MUTANT_HITS;
  if (hitsDir !== undefined) env.SWAPTORTURE_MUTANT_HITS = hitsDir;
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

/** A fresh directory for the sites a run reaches. */
export function hits_dir(): string {
  return mkdtempSync(join(tmpdir(), 'swaptorture-mutate-hits-'));
}

/**
 * The mutants whose site a run reached, from the files its threads wrote
 * in @dir (src/shm/mutant.ts: one id a line, each thread its own file);
 * with @workersOnly, only worker threads' (a main thread's threadId is
 * 0).  A line cut short by a kill is not a
 * site.  @dir goes.
 */
export function read_hits(dir: string, workersOnly = false): number[] {
  const out = new Set<number>();
  try {
    for (const f of readdirSync(dir)) {
      const thread = hits_file_thread(f);
      if (thread === null || (workersOnly && thread === 0)) continue;
      /* the last piece is '' after a whole line, or a line a kill cut short */
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n').slice(0, -1)) if (/^\d+$/.test(line)) out.add(Number(line));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [...out].sort((a, b) => a - b);
}
