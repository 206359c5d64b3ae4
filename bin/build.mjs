#!/usr/bin/env node
/*
 * The build: dist/ from the sources - `tsc`, then the packs (`node
 * dist/workers/bundle.js`) - and, last, dist/.build-stamp: a hash of
 * everything the build read (every .ts it compiled, the tsconfigs,
 * package.json and package-lock.json: the compiler's and bundler's
 * versions), the tsconfig it compiled and whether the bundler was there.
 *
 *   node bin/build.mjs              (npm run build)  dist/ removed and built afresh
 *   node bin/build.mjs --if-stale   (prepare; npm test; npm run stress|repro|fuzz|bench|flame)
 *                                   built only when the stamp is not that of the
 *                                   sources and installed tools now, or an output is
 *                                   missing or older than its source
 *
 * With the development dependencies installed it compiles tsconfig.json
 * (src/, workers/ and bench/: what the tests and benchmarks run); without
 * them (`npm ci --omit=dev`: no bench harness, no bundler) it compiles
 * tsconfig.build.json (src/ and workers/) and the bundler says it packed
 * nothing.
 *
 * Why --if-stale: `prepare` runs on `npm ci` and `npm install`, and also
 * the first time `npx swaptorture` runs in a clone - npm installs a
 * package's own directory to run its bin, and that runs `prepare` - where
 * a full build cost 7-8 s and removed dist/ under any command running
 * from it at the time; and `npm test` right after `npm ci` (CI) compiled
 * everything a second time.  A build whose stamp matches is the build
 * these sources give.
 *
 * Everything it prints goes to stderr.  Exit status: 0, 2 for a bad
 * argument, or the failing step's (tsc's type errors are printed as tsc
 * prints them).  Context: a clone (the sources are needed).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stale_source, ts_sources } from './stale.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.build-stamp');
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];
const require = createRequire(join(ROOT, 'package.json'));

/** Is @pkg installed for the clone?  (A package whose exports leave out its package.json is there too.) */
function installed(pkg) {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch (e) {
    return e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
  }
}

/* What to compile: with the bench harness's dependency (a development one) there, the tests' and benchmarks' tsconfig. */
const CONFIG = installed('tinybench') ? { file: 'tsconfig.json', dirs: ['src', 'workers', 'bench'] } : { file: 'tsconfig.build.json', dirs: ['src', 'workers'] };

/** The hash of the build's inputs as they are on disk now. */
function inputs_hash(files) {
  const h = createHash('sha1');
  for (const f of [...files, ...INPUT_FILES]) {
    h.update(f).update('\0');
    h.update(existsSync(join(ROOT, f)) ? readFileSync(join(ROOT, f)) : '(none)').update('\0');
  }
  return h.digest('hex');
}

/** The stamp dist/ carries, or null (none, unreadable). */
function read_stamp() {
  try {
    const s = JSON.parse(readFileSync(STAMP, 'utf8'));
    return typeof s.inputs === 'string' && typeof s.config === 'string' && typeof s.packs === 'boolean' ? s : null;
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
  /* Their output to stderr: stdout is the command's that runs after the build (npm run -s repro -- all --json | jq). */
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['inherit', 2, 'inherit'] });
  if (r.status !== 0) {
    console.error(`build: ${what} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
    process.exit(r.status || 1);
  }
}

const tsc = () => step(`tsc -p ${CONFIG.file}`, [require.resolve('typescript/bin/tsc'), '-p', CONFIG.file]);
const bundle = () => step('node dist/workers/bundle.js', [join(DIST, 'workers', 'bundle.js')]);

const args = process.argv.slice(2);
const bad = args.filter((a) => a !== '--if-stale');
if (bad.length > 0) {
  console.error(`build: unknown argument ${JSON.stringify(bad[0])} (usage: node bin/build.mjs [--if-stale])`);
  process.exit(2);
}

const files = ts_sources(ROOT, CONFIG.dirs);
const stamp = { inputs: inputs_hash(files), config: CONFIG.file, packs: installed('rolldown') };

if (args.includes('--if-stale')) {
  const had = read_stamp();
  /*
   * Every source's output is there and no older than the source (a removed
   * or partly removed dist/ is stale whatever its stamp says; and so is a
   * source saved again unchanged, as test/global_setup.ts, which stops a
   * test run on a build older than its sources, would otherwise see it:
   * the same rule, bin/stale.mjs).
   */
  if (had !== null && had.inputs === stamp.inputs && had.config === stamp.config && had.packs === stamp.packs && stale_source(ROOT, files) === null) {
    console.error('build: dist/ is the build of these sources (dist/.build-stamp); not rebuilt (npm run build rebuilds)');
    process.exit(0);
  }
}

/*
 * npm run build: afresh, so no output of a removed source is left behind.
 * --if-stale compiles over dist/ in place, as tsc does, so a command
 * running from it meanwhile is not left without its modules.  Either way
 * the old stamp goes first: a failed build leaves none.
 */
if (args.includes('--if-stale')) rmSync(STAMP, { force: true });
else rmSync(DIST, { recursive: true, force: true });
tsc();
bundle();
write_stamp(stamp);
