/*
 * Before any test file: the tests run the compiled model (dist/src/, see
 * vitest.config.ts), so every source file must have been compiled since
 * it last changed.  A bare `npx vitest run` after editing src/ would
 * otherwise test the previous build without a word; it stops here instead,
 * naming the first file that is newer than its build.  `npm test` compiles
 * first.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/* The first .ts file under src/ with no compiled .js in dist/src/, or one older than itself; null when the build is current. */
export function stale_source(root: string): string | null {
  const walk = (rel: string): string | null => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        const s = walk(r);
        if (s !== null) return s;
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const out = join(root, 'dist', r.replace(/\.ts$/, '.js'));
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(join(root, r)).mtimeMs) return r;
      }
    }
    return null;
  };
  return walk('src');
}

export default function setup(): void {
  const stale = stale_source(ROOT);
  if (stale !== null) {
    throw new Error(`${stale} is newer than its build in dist/ (or has none): the tests run the compiled model - compile first (npx tsc -p tsconfig.json), or run npm test, which does`);
  }
}
