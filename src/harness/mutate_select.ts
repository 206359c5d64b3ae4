/*
 * Which mutants a `swaptorture mutate` invocation runs: the campaign's
 * mutants (ids over all of src/mm and src/designs, so every selection
 * names a mutant by the same id) narrowed by --id, --files, --operators,
 * --changed, then --limit (spread evenly), then --shard.
 *
 * Context: main thread; changed_lines() runs git.
 */
import { execFileSync } from 'node:child_process';
import type { Mutant } from './mutate_instrument.js';
import type { Operator } from './mutate_names.js';

export interface Selection {
  /** Only these mutant ids. */
  ids: ReadonlySet<number> | null;
  /** Globs on the file path (src/mm/swapfile.ts): * within a directory, ** across, ? one character. */
  files: string[] | null;
  operators: ReadonlySet<Operator> | null;
  /** file -> changed line numbers (new side), from changed_lines(). */
  changed: Map<string, Set<number>> | null;
  limit: number | null;
  shard: { k: number; n: number };
}

/** A glob as a RegExp over the whole path. */
export function glob_regexp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The mutants of @all that @s selects, in id order. */
export function select_mutants(all: readonly Mutant[], s: Selection): Mutant[] {
  const globs = s.files?.map(glob_regexp) ?? null;
  let out = all.filter((m) => {
    if (s.ids !== null && !s.ids.has(m.id)) return false;
    if (globs !== null && !globs.some((g) => g.test(m.file))) return false;
    if (s.operators !== null && !s.operators.has(m.operator)) return false;
    if (s.changed !== null) {
      const lines = s.changed.get(m.file);
      if (lines === undefined) return false;
      let hit = false;
      for (let l = m.line; l <= m.endLine && !hit; l++) hit = lines.has(l);
      if (!hit) return false;
    }
    return true;
  });
  if (s.limit !== null && out.length > s.limit) {
    /* every (length / limit)-th: a sample over every file, not the first file's */
    const step = out.length / s.limit;
    out = Array.from({ length: s.limit }, (_, i) => out[Math.floor(i * step)]);
  }
  return out.filter((_, i) => i % s.shard.n === s.shard.k - 1);
}

/**
 * The lines changed since git revision @ref in the working tree of @repo
 * (`git diff --unified=0 REF`), new-side line numbers per file.  Throws an
 * Error naming the revision when git refuses it.
 */
export function changed_lines(repo: string, ref: string, dirs: readonly string[]): Map<string, Set<number>> {
  let diff: string;
  try {
    diff = execFileSync('git', ['diff', '--unified=0', '--no-color', '--no-ext-diff', ref, '--', ...dirs], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const msg = ((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n')[0];
    throw new Error(`--changed: git diff ${ref} failed: ${msg}`);
  }
  const out = new Map<string, Set<number>>();
  let file: string | null = null;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++ ')) {
      file = line === '+++ /dev/null' ? null : line.slice(4).replace(/^b\//, '');
      continue;
    }
    const h = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (h === null || file === null) continue;
    const start = Number(h[1]);
    const count = h[2] === undefined ? 1 : Number(h[2]);
    const set = out.get(file) ?? new Set<number>();
    /* a pure deletion (count 0) changed the lines around it */
    if (count === 0) set.add(start).add(start + 1);
    for (let l = start; l < start + count; l++) set.add(l);
    out.set(file, set);
  }
  return out;
}
