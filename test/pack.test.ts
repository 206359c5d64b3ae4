/*
 * The package installs as a package: test/pack-smoke.mjs packs a clean
 * copy of the repository (after `npm ci --omit=dev` built it), installs
 * the tarball in an empty directory and runs the CLI, an ESM script on the
 * documented API and tsc on a .mts importing 'swaptorture' (its header has
 * the steps).  `npm run test:pack` runs the script alone.
 *
 * The dependencies come from npm's cache or the registry.  No timing is
 * asserted; the timeouts only catch a hang (the script takes ~30 s quiet).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./pack-smoke.mjs', import.meta.url));

describe('npm pack', () => {
  it('the tarball installs in an empty directory: CLI (--version, stress, repro), ESM API and type declarations work', () => {
    const r = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8', timeout: 1_500_000 });
    expect(r.error).toBeUndefined();
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^pack-smoke: pack: swaptorture-.*\.tgz holds exactly the run-time files/m);
    expect(r.stdout).toMatch(/^pack-smoke: ok$/m);
  }, 1_800_000);
});
