/*
 * Which of the model's functions a run executed: the functions of
 * src/mm, src/designs and src/kmem, each with its calls summed over every
 * thread of the run (V8's precise coverage, coverage_v8.ts), and the ones
 * that never ran.  `stress --coverage FILE`, `fuzz --coverage FILE`.
 *
 * The list of functions comes from the compiled files themselves
 * (dist/src/DIR/X.js, parsed with the TypeScript compiler: named
 * functions, methods, and function values bound to a name), not from
 * what V8 saw, so a function of a module no thread ever compiled is
 * still counted, as never run, and the total is the same for every run
 * of a build.  tsc keeps the names; dist/src/X.js is reported as
 * src/X.ts, with the line from its source map.  A function is matched to
 * V8's by its end offset in the script (the outermost one ending there).
 *
 * Context: main thread, after the run (synchronous file reads).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type TS from 'typescript';
import { v8_coverage_start, v8_coverage_stop, type V8ScriptCoverage } from './coverage_v8.js';
import { output_file_problem, write_atomic } from './write_atomic.js';
import { dist_dir } from './pack.js';

/** The directories of the model whose functions are reported. */
export const COVERAGE_DIRS = ['mm', 'designs', 'kmem'] as const;

export interface ModelFunction {
  /** src/DIR/X.ts */
  file: string;
  /** Line in the TypeScript source (1-based), or 0 when the build has no source map. */
  line: number;
  /** The function's name; a method or a nested function is qualified by what holds it (P4.testZero). */
  name: string;
  /** Calls, summed over every thread of the run. */
  calls: number;
}

/** The report `--coverage FILE` writes (JSON). */
export interface ModelCoverage {
  /** The source directories covered. */
  scope: string[];
  /** Functions that ran at least once. */
  ran: number;
  total: number;
  /** Every function, by file and line. */
  functions: ModelFunction[];
  neverRan: Omit<ModelFunction, 'calls'>[];
}

/** What --json carries (functionCoverage): the report's file and its summary. */
export interface CoverageSummary {
  file: string;
  ran: number;
  total: number;
  neverRan: Omit<ModelFunction, 'calls'>[];
}

/* A function of a compiled file: its qualified name and where it is in the script. */
interface ScriptFunction {
  name: string;
  start: number;
  end: number;
}

/* dist/src/ of this build (from the sources under vitest, as the workers always run the build). */
function dist_src(): string {
  return join(dist_dir(), 'src');
}

/* The name a function-like @node is known by, or null for an anonymous one (a callback: part of its caller). */
function function_name(ts: typeof TS, node: TS.Node): string | null {
  if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) {
    return node.name !== undefined && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name)) ? node.name.text : null;
  }
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
    const p = node.parent;
    if ((ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p)) && ts.isIdentifier(p.name)) return p.name.text;
    if (ts.isFunctionExpression(node) && node.name !== undefined) return node.name.text;
  }
  return null;
}

/* Every named function of @sf, qualified by the named functions and objects around it. */
function script_functions(ts: typeof TS, sf: TS.SourceFile): ScriptFunction[] {
  const out: ScriptFunction[] = [];
  const visit = (node: TS.Node, scope: string[]): void => {
    const name = function_name(ts, node);
    let inner = scope;
    if (name !== null) {
      inner = [...scope, name];
      out.push({ name: inner.join('.'), start: node.getStart(sf), end: node.end });
    } else if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer !== undefined && ts.isObjectLiteralExpression(node.initializer)) {
      inner = [...scope, node.name.text];
    }
    node.forEachChild((c) => visit(c, inner));
  };
  visit(sf, []);
  return out;
}

/* Calls per function end offset of one script, summed over the threads that loaded it (the outermost function ending there). */
function calls_by_end(scripts: readonly V8ScriptCoverage[]): Map<number, number> {
  const calls = new Map<number, number>();
  for (const s of scripts) {
    const outermost = new Map<number, { start: number; count: number }>();
    for (const f of s.functions) {
      const r = f.ranges[0];
      const seen = outermost.get(r.endOffset);
      if (seen === undefined || r.startOffset < seen.start) outermost.set(r.endOffset, { start: r.startOffset, count: r.count });
    }
    for (const [end, { count }] of outermost) calls.set(end, (calls.get(end) ?? 0) + count);
  }
  return calls;
}

/* The TypeScript line of offset @pos of compiled file @js, parsed as @sf (0 without a source map). */
function source_line(js: string, sf: TS.SourceFile): (pos: number) => number {
  const mapFile = `${js}.map`;
  if (!existsSync(mapFile)) return () => 0;
  const map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));
  return (pos) => {
    const { line, character } = sf.getLineAndCharacterOfPosition(pos);
    const e = map.findEntry(line, character) as { originalLine?: number };
    return e.originalLine === undefined ? 0 : e.originalLine + 1;
  };
}

/**
 * Map a run's V8 coverage (every thread's scripts) to the model's
 * functions.  Throws if the build has no dist/src/DIR (nothing to report).
 */
export async function model_coverage(scripts: readonly V8ScriptCoverage[]): Promise<ModelCoverage> {
  const ts = (await import('typescript')).default;
  const byUrl = new Map<string, V8ScriptCoverage[]>();
  for (const s of scripts) byUrl.set(s.url, [...(byUrl.get(s.url) ?? []), s]);
  const functions: ModelFunction[] = [];
  for (const dir of COVERAGE_DIRS) {
    const abs = join(dist_src(), dir);
    if (!existsSync(abs)) throw new Error(`coverage: no compiled model in ${abs} (build first: npx tsc -p tsconfig.json)`);
    for (const f of readdirSync(abs).filter((x) => x.endsWith('.js')).sort()) {
      const js = join(abs, f);
      const sf = ts.createSourceFile(js, readFileSync(js, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
      const calls = calls_by_end(byUrl.get(pathToFileURL(js).href) ?? []);
      const line = source_line(js, sf);
      const file = `src/${dir}/${f.replace(/\.js$/, '.ts')}`;
      for (const fn of script_functions(ts, sf)) functions.push({ file, line: line(fn.start), name: fn.name, calls: calls.get(fn.end) ?? 0 });
    }
  }
  const never = functions.filter((f) => f.calls === 0).map(({ file, line, name }) => ({ file, line, name }));
  return { scope: COVERAGE_DIRS.map((d) => `src/${d}`), ran: functions.length - never.length, total: functions.length, functions, neverRan: never };
}

/** "N of M model functions ran; never ran: f (file:line), ..." */
export function coverage_line(c: ModelCoverage | CoverageSummary): string {
  const never = c.neverRan.map((f) => `${f.name} (${f.file}${f.line > 0 ? `:${f.line}` : ''})`).join(', ');
  return `${c.ran} of ${c.total} model functions ran; never ran: ${never === '' ? 'none' : never}`;
}

/** A collection in progress for `--coverage FILE`: finish() writes the report, abort() drops it. */
export interface ModelCoverageRun {
  /** Stop collecting, write the report to the file, return its summary.  Once. */
  finish(): Promise<CoverageSummary>;
  /** Stop collecting and write nothing (the command failed); a no-op after finish(). */
  abort(): Promise<void>;
}

/**
 * Start collecting V8 coverage on this thread and every worker created
 * from now on, for a report to @file (checked writable by the caller).
 */
export async function model_coverage_start(file: string): Promise<ModelCoverageRun> {
  const c = await v8_coverage_start();
  let stopped = false;
  const stop = (): Promise<V8ScriptCoverage[]> => {
    stopped = true;
    return v8_coverage_stop(c);
  };
  return {
    async finish() {
      if (stopped) throw new Error('coverage: the collection was already stopped');
      const cov = await model_coverage(await stop());
      write_atomic(file, JSON.stringify(cov, null, 2) + '\n');
      return { file, ran: cov.ran, total: cov.total, neverRan: cov.neverRan };
    },
    async abort() {
      if (!stopped) await stop();
    },
  };
}

/**
 * `--coverage FILE` of a command: run @body with a collection for @file,
 * or with none when @file is undefined.  A file that cannot be written is
 * @usage's error before anything runs (the report comes at the end).  If
 * @body does not finish the collection (it failed), it is stopped and
 * nothing is written.
 */
export async function with_coverage_flag<T>(file: string | undefined, usage: (message: string) => never, body: (cov: ModelCoverageRun | null) => Promise<T>): Promise<T> {
  const problem = file === undefined ? null : output_file_problem(file);
  if (problem !== null) usage(`--coverage: ${problem}`);
  const cov = file === undefined ? null : await model_coverage_start(file);
  try {
    return await body(cov);
  } finally {
    await cov?.abort();
  }
}
