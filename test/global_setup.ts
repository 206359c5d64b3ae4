/*
 * Before any test file: the tests run the compiled model (dist/src/, see
 * vitest.config.ts), so every source file must have been compiled since
 * it last changed.  A bare `npx vitest run` after editing src/ would
 * otherwise test the previous build without a word; it stops here instead,
 * naming the first file that is newer than its build.  `npm test` compiles
 * first.
 */
import { fileURLToPath } from 'node:url';
import { stale_source as first_stale, ts_sources } from '../bin/stale.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/* The first .ts file under src/ with no compiled .js in dist/src/, or one older than itself; null when the build is current (bin/build.mjs rebuilds by the same rule). */
export function stale_source(root: string): string | null {
  return first_stale(root, ts_sources(root, ['src'])) as string | null;
}

export default function setup(): void {
  const stale = stale_source(ROOT);
  if (stale !== null) {
    throw new Error(`${stale} is newer than its build in dist/ (or has none): the tests run the compiled model - compile first (npx tsc -p tsconfig.json), or run npm test, which does`);
  }
}
