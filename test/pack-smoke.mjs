#!/usr/bin/env node
/*
 * The package as its users get it, end to end, in a scratch directory:
 *
 *  1. clone: the repository's files as a commit holds them (tracked, plus
 *     untracked ones .gitignore does not exclude; no dist/, no
 *     node_modules/) copied; `npm ci --omit=dev` there builds dist/ through
 *     `prepare` (typescript is a dependency), then `npx swaptorture
 *     --version` prints the version;
 *  2. pack: `npm pack` of that clone holds exactly what runs: package.json,
 *     README.md, LICENSE (the GPL v2 text), the command's bin/ file, dist/src/ (.js and .d.ts
 *     of every src/ file), dist/workers/ (.js, and the loader's .cjs), the packs of the workers
 *     and the command line (dist/bundle/, made with this repository's
 *     bundler as a development build makes them), scenarios/*.json,
 *     docs/ - no tests, bench, sources or source maps;
 *  3. install: in an empty directory `npm install <tarball>` (prepare does
 *     not run for a tarball, and nothing needs tsc), its command and
 *     workers start from their packs, then
 *     `npx swaptorture --version`, `npx swaptorture stress --ops 2000 --seed 1`,
 *     `npx swaptorture repro swapoff-vs-swapin`, an ESM script using the
 *     documented API (src/index.ts) and tsc type-checking a .mts file that
 *     imports from 'swaptorture' against the shipped declarations.
 *
 * Prints one line per step and "pack-smoke: ok"; exit 0, or 1 naming the
 * failed step with its command's output.  The dependencies come from npm's
 * cache or the registry (--prefer-offline).  Every command is bounded by a
 * generous timeout (a hang, not a slow machine, fails).
 *
 * Usage: node test/pack-smoke.mjs [--keep]   (--keep: leave the scratch dir)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const COMMAND_TIMEOUT_MS = 900_000;
const keep = process.argv.includes('--keep');

class StepFailed extends Error {}

/*
 * The environment of the npm commands: none of the npm_* variables an
 * outer `npm test` / `npm run` sets (they would act as config and package
 * context for the inner npm), except where npm's cache and registry are;
 * no node_modules/.bin on PATH, so `npx swaptorture` can only find the
 * installed package.
 */
function clean_env() {
  const keepNpm = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_globalconfig']);
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !keepNpm.has(k.toLowerCase())) continue;
    if (k === 'INIT_CWD') continue;
    /* The package's own choice of pack or modules is under test, not the caller's. */
    if (k === 'SWAPTORTURE_PACKS') continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? '').split(delimiter).filter((p) => !/node_modules[\\/]\.bin/.test(p)).join(delimiter);
  env.npm_config_prefer_offline = 'true';
  env.npm_config_audit = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_update_notifier = 'false';
  return env;
}
const ENV = clean_env();

/** Run @cmd in @cwd; throw StepFailed with its output unless it exits 0. */
function run(cwd, cmd, args) {
  const r = spawnSync(cmd, args, { cwd, env: ENV, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 << 20 });
  const shown = `${cmd} ${args.join(' ')} (in ${cwd})`;
  if (r.error) throw new StepFailed(`${shown}: ${r.error.message}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (r.status !== 0)
    throw new StepFailed(`${shown}: exit ${r.status ?? r.signal}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`);
  return r;
}

function expect_match(what, text, re) {
  if (!re.test(text)) throw new StepFailed(`${what}: expected ${re}, got:\n${text}`);
}

/** Every file under @dir (relative paths, '/'-separated), [] if there is no @dir. */
function files_under(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath ?? d.path, d.name)).split('\\').join('/'));
}

/** Step 1: the repository as a clone would have it, without dev dependencies. */
function step_clone(work, version) {
  const clone = join(work, 'clone');
  const ls = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' });
  if (ls.status !== 0) throw new StepFailed(`git ls-files in ${REPO} failed (a git checkout is needed): ${ls.stderr ?? ls.error}`);
  for (const f of ls.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(REPO, f))) continue; /* deleted, not yet committed */
    /*
     * A symbolic link git does not ignore - a node_modules linked in from
     * another checkout ('node_modules/' in .gitignore matches directories
     * only) - is not copied: npm ci in the clone would empty the
     * directory it points to.
     */
    if (f.split('/')[0] === 'node_modules' || lstatSync(join(REPO, f)).isSymbolicLink()) continue;
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    cpSync(join(REPO, f), join(clone, f));
  }
  run(clone, 'npm', ['ci', '--omit=dev']);
  for (const dev of ['vitest', 'tinybench'])
    if (existsSync(join(clone, 'node_modules', dev))) throw new StepFailed(`npm ci --omit=dev installed the dev dependency ${dev}`);
  const r = run(clone, 'npx', ['--no', '--', 'swaptorture', '--version']);
  if (r.stdout !== `${version}\n`) throw new StepFailed(`clone: swaptorture --version printed ${JSON.stringify(r.stdout)}, expected ${version}`);
  /*
   * Without dev dependencies the build cannot pack the workers (it says so
   * and goes on).  A package published from a development tree has the
   * packs: make them here with this repository's bundler, so the tarball
   * below is that package.
   */
  for (const dep of ['rolldown', '@rolldown']) symlinkSync(join(REPO, 'node_modules', dep), join(clone, 'node_modules', dep));
  run(clone, process.execPath, ['dist/workers/bundle.js']);
  return clone;
}

/** The files the package must hold, derived from the clone's sources. */
function expected_files(clone) {
  const want = ['package.json', 'README.md', 'LICENSE'];
  /* The command's file (bin/build.mjs builds a clone and is not shipped). */
  const bins = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')).bin;
  for (const f of Object.values(bins)) want.push(f.replace(/^\.\//, ''));
  for (const f of files_under(join(clone, 'src')).filter((f) => f.endsWith('.ts'))) {
    want.push(`dist/src/${f.replace(/\.ts$/, '.js')}`, `dist/src/${f.replace(/\.ts$/, '.d.ts')}`);
  }
  /* The worker entry points and their CommonJS loader (workers/loader.cts -> .cjs). */
  for (const f of files_under(join(clone, 'workers')).filter((f) => /\.c?ts$/.test(f))) want.push(`dist/workers/${f.replace(/\.ts$/, '.js').replace(/\.cts$/, '.cjs')}`);
  /* The packs: every worker entry point's (the bundler itself is none) and the command line's, each its manifest and the files it names. */
  const packs = [...files_under(join(clone, 'workers')).filter((f) => f.endsWith('.ts') && f !== 'bundle.ts').map((f) => `bundle/workers/${f.replace(/\.ts$/, '.json')}`), 'bundle/cli/main.json'];
  for (const m of packs) {
    const file = join(clone, 'dist', m);
    if (!existsSync(file)) throw new StepFailed(`the build made no pack manifest dist/${m}`);
    want.push(`dist/${m}`, ...JSON.parse(readFileSync(file, 'utf8')).files.map((f) => `dist/${f}`));
  }
  for (const f of files_under(join(clone, 'scenarios')).filter((f) => f.endsWith('.json'))) want.push(`scenarios/${f}`);
  for (const f of files_under(join(clone, 'docs'))) want.push(`docs/${f}`);
  return want.sort();
}

/** Step 2: pack the clone (dist/ was just built from its sources) and check the file list. */
function step_pack(work, clone) {
  const r = run(clone, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work]);
  const [info] = JSON.parse(r.stdout);
  const got = info.files.map((f) => f.path).sort();
  const want = expected_files(clone);
  const missing = want.filter((f) => !got.includes(f));
  const extra = got.filter((f) => !want.includes(f));
  if (missing.length || extra.length)
    throw new StepFailed(`npm pack: missing ${JSON.stringify(missing)}, not wanted ${JSON.stringify(extra)}`);
  const license = readFileSync(join(clone, 'LICENSE'), 'utf8');
  expect_match('LICENSE', license, /GNU GENERAL PUBLIC LICENSE\s+Version 2, June 1991/);
  expect_match('LICENSE', license, /END OF TERMS AND CONDITIONS/);
  return join(work, info.filename);
}

const CONSUMER_MJS = `import { System, errname } from 'swaptorture';
const sys = System.create({ design: 'p4', nrCpus: 2, seed: 7 });
sys.createSwapDevice('/dev/vdb', { sizePages: 4096 });
console.log(errname(sys.swapon('/dev/vdb')), errname(sys.swapon('/dev/vdb')));
`;

const CONSUMER_MTS = `import { System, errname, decodeSwapTableEntry, type SystemConfig } from 'swaptorture';
const cfg: SystemConfig = { design: 'p4', nrCpus: 2, seed: 7 };
const sys: System = System.create(cfg);
const err: number = sys.swapon('/dev/vdb');
export const name: string = errname(err);
export const kind: string = decodeSwapTableEntry('p4', 0x1000000000001f03n).kind;
// @ts-expect-error 'p9' is not a design: the declarations are typed, not any
System.create({ design: 'p9', nrCpus: 2, seed: 7 });
`;

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext',
    strict: true, noEmit: true, skipLibCheck: false, types: [],
  },
  files: ['check.mts'],
};

/** Step 3: a project that only installs the tarball. */
function step_install(work, tarball, version) {
  const app = join(work, 'app');
  mkdirSync(app);
  run(app, 'npm', ['install', tarball]);
  const pkg = join(app, 'node_modules', 'swaptorture');
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'src', 'test', 'bench'])
    if (existsSync(join(pkg, f))) throw new StepFailed(`the installed package holds ${f}`);
  step_line(`install: npm install ${relative(work, tarball)} in an empty directory`);

  /* The installed command and workers start from their packs (fresh: the installed modules are the ones packed). */
  const entry = pathToFileURL(join(pkg, 'dist/src/harness/pack.js')).href;
  let r = run(app, process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(entry)}); console.log(m.cli_entry([])); console.log(m.worker_entry('cpu')); console.log(m.worker_entry('fuzz'));`]);
  const packs = ['bundle/cli/main.js', 'bundle/workers/cpu.js', 'bundle/workers/fuzz.js'].map((f) => join(pkg, 'dist', f));
  if (r.stdout !== packs.map((p) => `${p}\n`).join('')) throw new StepFailed(`the installed command and workers start from ${JSON.stringify(r.stdout)}, expected their packs ${packs.join(', ')}`);
  step_line('  the installed command and workers start from their packs');

  r = run(app, 'npx', ['--no', '--', 'swaptorture', '--version']);
  if (r.stdout !== `${version}\n`) throw new StepFailed(`swaptorture --version printed ${JSON.stringify(r.stdout)}, expected ${version}`);
  step_line('  npx swaptorture --version');

  r = run(app, 'npx', ['--no', '--', 'swaptorture', 'stress', '--ops', '2000', '--seed', '1']);
  expect_match('swaptorture stress --ops 2000 --seed 1', r.stdout + r.stderr, /violations=0/);
  step_line('  npx swaptorture stress --ops 2000 --seed 1');

  r = run(app, 'npx', ['--no', '--', 'swaptorture', 'repro', 'swapoff-vs-swapin']);
  expect_match('swaptorture repro swapoff-vs-swapin', r.stdout, /swapoff-vs-swapin: reproduced/);
  step_line('  npx swaptorture repro swapoff-vs-swapin');

  writeFileSync(join(app, 'use.mjs'), CONSUMER_MJS);
  r = run(app, process.execPath, ['use.mjs']);
  if (r.stdout !== 'OK EBUSY\n') throw new StepFailed(`use.mjs printed ${JSON.stringify(r.stdout)}, expected "OK EBUSY"`);
  step_line('  node use.mjs (import { System, errname } from \'swaptorture\')');

  writeFileSync(join(app, 'check.mts'), CONSUMER_MTS);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
  run(app, process.execPath, [TSC, '-p', 'tsconfig.json']);
  step_line('  tsc: check.mts type-checks against the shipped declarations');
}

let t0 = Date.now();
function step_line(text) {
  const now = Date.now();
  process.stdout.write(`pack-smoke: ${text} (${((now - t0) / 1000).toFixed(1)} s)\n`);
  t0 = now;
}

function main() {
  const version = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version;
  const work = mkdtempSync(join(tmpdir(), 'swaptorture-pack-'));
  try {
    const clone = step_clone(work, version);
    step_line('clone: npm ci --omit=dev built dist/, npx swaptorture --version');
    const tarball = step_pack(work, clone);
    step_line(`pack: ${relative(work, tarball)} holds exactly the run-time files`);
    step_install(work, tarball, version);
    process.stdout.write('pack-smoke: ok\n');
    return 0;
  } catch (err) {
    if (!(err instanceof StepFailed)) throw err;
    process.stderr.write(`pack-smoke: FAILED: ${err.message}\n`);
    return 1;
  } finally {
    if (keep) process.stdout.write(`pack-smoke: kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = main();
