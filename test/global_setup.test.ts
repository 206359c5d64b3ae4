/* test/global_setup.ts: a source newer than its build, or never built, stops the suite; a current build does not. */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stale_source } from './global_setup.js';

describe('the build the tests run is current', () => {
  it('names the first source newer than its compiled file, or with none', () => {
    const root = mkdtempSync(join(tmpdir(), 'swt-stale-'));
    const put = (rel: string, t: number): void => {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), '');
      utimesSync(join(root, rel), t, t);
    };
    put('src/mm/a.ts', 1000);
    put('dist/src/mm/a.js', 2000);
    put('src/shm/b.d.ts', 3000); /* declarations are not compiled */
    expect(stale_source(root)).toBeNull();
    put('src/mm/a.ts', 3000);
    expect(stale_source(root)).toBe('src/mm/a.ts');
    put('dist/src/mm/a.js', 3000);
    expect(stale_source(root)).toBeNull();
    put('src/mm/new.ts', 1000);
    expect(stale_source(root)).toBe('src/mm/new.ts');
  });
});
