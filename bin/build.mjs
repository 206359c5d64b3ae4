#!/usr/bin/env node
/*
 * The build: dist/ from the sources - `tsc -p tsconfig.build.json`, then
 * the packs (`node dist/workers/bundle.js`) - and, last, dist/.build-stamp:
 * a hash of everything the build read (every .ts under src/ and workers/,
 * the tsconfigs, package.json and package-lock.json: the compiler's and
 * bundler's versions) and whether the bundler was there.
 *
 *   node bin/build.mjs              (npm run build)  dist/ removed and built afresh
 *   node bin/build.mjs --if-stale   (prepare; npm run stress|repro|fuzz)
 *                                   built only when the stamp is not that of the
 *                                   sources now, or an output is missing
 *
 * Why --if-stale: `prepare` runs on `npm ci` and `npm install`, and also
 * the first time `npx swaptorture` runs in a clone - npm installs a
 * package's own directory to run its bin, and that runs `prepare` - where
 * a full build cost 7-8 s and removed dist/ under any command running
 * from it at the time.  A build whose stamp matches is the build these
 * sources give; when only the bundler has come since (an install without
 * development dependencies, then one with them), only the packs are made.
 *
 * Exit status: 0, or the failing step's (tsc's type errors are printed as
 * tsc prints them).  Context: a clone (the sources are needed).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.build-stamp');
const INPUT_DIRS = ['src', 'workers'];
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

/** Every .ts under the input directories, sorted ('/'-separated, relative to the root). */
function sources() {
  const out = [];
  const walk = (rel) => {
    for (const e of readdirSync(join(ROOT, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.ts')) out.push(r);
    }
  };
  for (const d of INPUT_DIRS) walk(d);
  return out.sort();
}

/** The hash of the build's inputs as they are on disk now. */
function inputs_hash(files) {
  const h = createHash('sha1');
  for (const f of [...files, ...INPUT_FILES]) {
    h.update(f).update('\0');
    h.update(existsSync(join(ROOT, f)) ? readFileSync(join(ROOT, f)) : '(none)').update('\0');
  }
  return h.digest('hex');
}

/** Can the bundler (a development dependency) be loaded here? */
function bundler_present() {
  try {
    createRequire(join(ROOT, 'package.json')).resolve('rolldown/package.json');
    return true;
  } catch {
    return false;
  }
}

/** The stamp dist/ carries, or null (none, unreadable). */
function read_stamp() {
  try {
    const s = JSON.parse(readFileSync(STAMP, 'utf8'));
    return typeof s.inputs === 'string' && typeof s.packs === 'boolean' ? s : null;
  } catch {
    return null;
  }
}

function write_stamp(stamp) {
  const tmp = `${STAMP}.${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(stamp)}\n`);
  renameSync(tmp, STAMP);
}

/** Run one build step; exit with its status if it fails. */
function step(what, args) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${what} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
    process.exit(r.status || 1);
  }
}

const tsc = () => step('tsc -p tsconfig.build.json', [createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
const bundle = () => step('node dist/workers/bundle.js', [join(DIST, 'workers', 'bundle.js')]);

const args = process.argv.slice(2);
const bad = args.filter((a) => a !== '--if-stale');
if (bad.length > 0) {
  console.error(`build: unknown argument ${JSON.stringify(bad[0])} (usage: node bin/build.mjs [--if-stale])`);
  process.exit(2);
}

const files = sources();
const inputs = inputs_hash(files);
const packs = bundler_present();

if (args.includes('--if-stale')) {
  const stamp = read_stamp();
  /* Every source's output is there (a removed or partly removed dist/ is stale whatever its stamp says). */
  const outputs = files.every((f) => existsSync(join(DIST, f.replace(/\.ts$/, '.js'))));
  if (stamp !== null && stamp.inputs === inputs && outputs) {
    if (stamp.packs || !packs) {
      console.log('build: dist/ is the build of these sources (dist/.build-stamp); not rebuilt (npm run build rebuilds)');
      process.exit(0);
    }
    bundle();
    write_stamp({ inputs, packs });
    process.exit(0);
  }
}

/* A fresh build: no output of a removed source is left behind; the stamp goes first, so a failed build leaves none. */
rmSync(DIST, { recursive: true, force: true });
tsc();
bundle();
write_stamp({ inputs, packs });
