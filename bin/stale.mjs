/*
 * When a compiled file is older than its source: the one rule the build
 * (bin/build.mjs --if-stale: rebuild) and the test run
 * (test/global_setup.ts: stop, naming the file) both apply.  A .ts file's
 * output is dist/<same path>.js, a .cts file's (CommonJS: workers/loader.cts)
 * dist/<same path>.cjs; declaration files (.d.ts, .d.cts) have none.
 *
 *   ts_sources(root, dirs)     every .ts and .cts under @dirs, sorted
 *   stale_source(root, files)  the first of @files whose output is missing
 *                              or older than itself, or null
 *
 * Context: a clone; synchronous file system calls.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every .ts and .cts under @dirs of @root, sorted ('/'-separated, relative to @root). */
export function ts_sources(root, dirs) {
  const out = [];
  const walk = (rel) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (/\.c?ts$/.test(e.name)) out.push(r);
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}

/** The first of @files (relative to @root) with no compiled .js in dist/, or one older than itself; null when every output is current. */
export function stale_source(root, files) {
  for (const f of files) {
    if (/\.d\.c?ts$/.test(f)) continue;
    const out = join(root, 'dist', f.replace(/\.ts$/, '.js').replace(/\.cts$/, '.cjs'));
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(join(root, f)).mtimeMs) return f;
  }
  return null;
}
