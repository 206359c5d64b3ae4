/*
 * `swaptorture --version` / `-V`: the version of the package.json next to
 * the code that runs (read at run time, not compiled in), exit 0.  Run as
 * the user runs it (bin/ -> dist/, `npm test` runs tsc first) and from the
 * source tree (main() imported here).
 */
import { describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('swaptorture --version', () => {
  it('the built command prints the package version and exits 0', () => {
    for (const flag of ['--version', '-V']) {
      const r = spawnSync(process.execPath, [BIN, flag], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`${VERSION}\n`);
      expect(r.status).toBe(0);
    }
  });

  it('main() from the source tree prints the same version and returns 0', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    let code: number;
    try {
      code = await main(['--version']);
    } finally {
      spy.mockRestore();
    }
    expect(out.join('')).toBe(`${VERSION}\n`);
    expect(code).toBe(0);
  });
});
