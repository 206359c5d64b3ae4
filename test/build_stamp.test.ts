/*
 * bin/build.mjs, the build behind `npm run build`, `prepare`, `npm test`
 * and the run scripts: with --if-stale it builds only when dist/ is not
 * the build of the sources on disk.  Run here on a scratch project of
 * three small files (the repository's node_modules linked in for tsc and
 * the dependencies it looks for; no @types/node), so each build is a
 * small tsc.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NOT_REBUILT = /^build: dist\/ is the build of these sources/m;

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'swt-build-'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(ROOT, 'bin', 'build.mjs'), join(dir, 'bin', 'build.mjs'));
  copyFileSync(join(ROOT, 'bin', 'stale.mjs'), join(dir, 'bin', 'stale.mjs'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'scratch', type: 'module', version: '0.0.0' }),
    'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'dist', rootDir: '.', lib: ['ES2022'], types: [], skipLibCheck: true }, include: ['src/**/*.ts', 'workers/**/*.ts', 'bench/**/*.ts'] }),
    'tsconfig.build.json': JSON.stringify({ extends: './tsconfig.json', include: ['src/**/*.ts', 'workers/**/*.ts'] }),
    'src/a.ts': 'export const a: number = 1;\n',
    /* The bundler step: it says that it ran. */
    'workers/bundle.ts': "declare const console: { log(s: string): void };\nconsole.log('bundle: ran');\n",
    'bench/b.ts': 'export const b: number = 2;\n',
  };
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

/* A build's status and what it printed - all of it on stderr: stdout is the command's that npm runs after it. */
function build(dir: string, ...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(dir, 'bin', 'build.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  expect(r.stdout).toBe('');
  return { status: r.status, out: r.stderr };
}

describe('bin/build.mjs --if-stale', () => {
  it('builds a clone once; builds again when a source changes or is saved again, an output or the stamp is gone, or a build failed', () => {
    const dir = project();
    try {
      const first = build(dir, '--if-stale');
      expect(first.status, first.out).toBe(0);
      expect(first.out).not.toMatch(NOT_REBUILT);
      /* With the development dependencies (tinybench) there: tsconfig.json, bench/ included; then the packs. */
      expect(readFileSync(join(dir, 'dist/src/a.js'), 'utf8')).toMatch(/a = 1/);
      expect(existsSync(join(dir, 'dist/bench/b.js'))).toBe(true);
      expect(first.out).toMatch(/^bundle: ran$/m);
      expect(JSON.parse(readFileSync(join(dir, 'dist/.build-stamp'), 'utf8'))).toMatchObject({ config: 'tsconfig.json', packs: true });

      const mtime = statSync(join(dir, 'dist/src/a.js')).mtimeMs;
      const again = build(dir, '--if-stale');
      expect(again.status, again.out).toBe(0);
      expect(again.out).toMatch(NOT_REBUILT);
      expect(statSync(join(dir, 'dist/src/a.js')).mtimeMs).toBe(mtime);
      expect(again.out).not.toMatch(/bundle: ran/);

      /* A source changed (bench/ counts: it is compiled too): compiled over dist/ in place, not removed under a running command. */
      writeFileSync(join(dir, 'bench/b.ts'), 'export const b: number = 3;\n');
      writeFileSync(join(dir, 'dist/src/kept.js'), '');
      expect(build(dir, '--if-stale').out).not.toMatch(NOT_REBUILT);
      expect(existsSync(join(dir, 'dist/src/kept.js'))).toBe(true);
      expect(readFileSync(join(dir, 'dist/bench/b.js'), 'utf8')).toMatch(/b = 3/);
      expect(build(dir, '--if-stale').out).toMatch(NOT_REBUILT);

      /* A source saved again unchanged: newer than its output (test/global_setup.ts would stop the tests). */
      const before = new Date(statSync(join(dir, 'src/a.ts')).mtimeMs - 60_000);
      utimesSync(join(dir, 'dist/src/a.js'), before, before);
      expect(build(dir, '--if-stale').out).not.toMatch(NOT_REBUILT);
      expect(statSync(join(dir, 'dist/src/a.js')).mtimeMs).toBeGreaterThanOrEqual(statSync(join(dir, 'src/a.ts')).mtimeMs);

      /* An output gone. */
      unlinkSync(join(dir, 'dist/src/a.js'));
      expect(build(dir, '--if-stale').out).not.toMatch(NOT_REBUILT);
      expect(existsSync(join(dir, 'dist/src/a.js'))).toBe(true);

      /* A build that fails leaves no stamp: the next one builds again. */
      writeFileSync(join(dir, 'src/a.ts'), 'export const a: number = "one";\n');
      const bad = build(dir, '--if-stale');
      expect(bad.status).not.toBe(0);
      expect(bad.out).toMatch(/build: tsc -p tsconfig\.json failed/);
      expect(existsSync(join(dir, 'dist/.build-stamp'))).toBe(false);
      writeFileSync(join(dir, 'src/a.ts'), 'export const a: number = 4;\n');
      expect(build(dir, '--if-stale').out).not.toMatch(NOT_REBUILT);
      expect(readFileSync(join(dir, 'dist/src/a.js'), 'utf8')).toMatch(/a = 4/);

      /* Without --if-stale it always builds, afresh: an output of a removed source goes. */
      const full = build(dir);
      expect(full.out).not.toMatch(NOT_REBUILT);
      expect(existsSync(join(dir, 'dist/src/kept.js'))).toBe(false);
      expect(build(dir, '--if-stale').out).toMatch(NOT_REBUILT);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown argument is exit 2 naming it, and builds nothing', () => {
    const dir = project();
    try {
      const r = build(dir, '--if-stal');
      expect(r.status).toBe(2);
      expect(r.out.trimEnd().split('\n')).toEqual(['build: unknown argument "--if-stal" (usage: node bin/build.mjs [--if-stale])']);
      expect(existsSync(join(dir, 'dist'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
