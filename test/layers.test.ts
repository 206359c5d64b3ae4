/*
 * The import graph: every import points down the declared layers and no
 * module is on a cycle (test/dependency-cruiser.cjs, the rules; run by
 * dependency-cruiser).  Also shows the rules bite: a small tree with an
 * upward import and a cycle is rejected with both named.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(ROOT, 'test', 'dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const LAYERS = (createRequire(import.meta.url)(CONFIG) as { LAYERS: [string, string, string][] }).LAYERS;

function depcruise(cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [DEPCRUISE, 'src', 'workers', '--config', CONFIG, '--output-type', 'err'], { cwd, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('the layers', () => {
  it('every import of src/ and workers/ points down the declared layers, and there is no import cycle', () => {
    const r = depcruise(ROOT);
    expect(r.out).toMatch(/no dependency violations found/);
    expect(r.status).toBe(0);
  });

  it('every directory of src/ is a declared layer', () => {
    const dirs = readdirSync(join(ROOT, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `src/${e.name}/`);
    const declared = LAYERS.flatMap(([, p]) => p.split('|'));
    for (const d of dirs) expect(declared, d).toContain(d);
  });

  it('an upward import and a cycle are both reported (exit status non-zero)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'swt-layers-'));
    const put = (file: string, text: string): void => {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), text);
    };
    put('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
    put('src/harness/stress.ts', 'export const runStress = 1;\n');
    put('src/shm/arena.ts', "import { runStress } from '../harness/stress.js';\nexport const A = runStress;\n");
    put('src/mm/swapfile.ts', "import { b } from './swap_state.js';\nexport const a = () => b;\n");
    put('src/mm/swap_state.ts', "import { a } from './swapfile.js';\nexport const b = () => a;\n");
    put('workers/cpu.ts', "import { A } from '../src/shm/arena.js';\nexport default A;\n");
    const r = depcruise(dir);
    console.log(r.out);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/layer-shm: src\/shm\/arena\.ts → src\/harness\/stress\.ts/);
    expect(r.out).toMatch(/no-circular: src\/mm\/swap(file|_state)\.ts/);
  });
});
