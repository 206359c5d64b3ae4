/*
 * Benchmark runner: `npm run bench [-- --suite NAME ...] [--json] [--time MS] [--plot FILE.svg]`.
 *
 * Suites are modules (bench/NAME.bench.ts) exporting `suite: BenchSuite`
 * (bench/common.ts); add one line to SUITES for a new one.  Humans get a
 * table on stdout (progress on stderr); --json prints one JSON document
 * with the environment and every row; --plot FILE.svg draws the charts of
 * the suites that have some (scale) into one SVG.  Exit status 2 on bad
 * usage.
 */
import { cpus } from 'node:os';
import { output_file_problem, write_atomic } from '../src/harness/write_atomic.js';
import { stack_svg } from '../src/harness/plot.js';
import { formatRows, type BenchOptions, type BenchRow, type BenchSuite } from './common.js';

const SUITES: Record<string, () => Promise<{ suite: BenchSuite }>> = {
  sync: () => import('./sync.bench.js'),
  swap: () => import('./swap.bench.js'),
  stress: () => import('./stress.bench.js'),
  repro: () => import('./repro.bench.js'),
  fuzz: () => import('./fuzz.bench.js'),
  'fuzz-finds': async () => ({ suite: (await import('./fuzz.bench.js')).findsSuite }),
  scale: () => import('./scale.bench.js'),
};

interface Args {
  suites: string[];
  json: boolean;
  plot: string | null;
  opts: BenchOptions;
}

function usage(msg?: string): never {
  if (msg !== undefined) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write(
    `usage: node dist/bench/run.js [--suite NAME]... [--json] [--time MS] [--warmup MS] [--plot FILE.svg]\n  suites: ${Object.keys(SUITES).join(', ')} (default: all but scale and fuzz-finds)\n  --plot: the charts of the suites that have some (scale)\n`,
  );
  process.exit(msg === undefined ? 0 : 2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = { suites: [], json: false, plot: null, opts: { time: 500, warmupTime: 100 } };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${arg} needs a value`);
      return v;
    };
    if (arg === '--suite' || arg === '-s') a.suites.push(...value().split(','));
    else if (arg.startsWith('--suite=')) a.suites.push(...arg.slice(8).split(','));
    else if (arg === '--json') a.json = true;
    else if (arg === '--plot') a.plot = value();
    else if (arg.startsWith('--plot=')) a.plot = arg.slice(7);
    else if (arg === '--time') a.opts.time = Number(value());
    else if (arg === '--warmup') a.opts.warmupTime = Number(value());
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  }
  for (const s of a.suites) if (!(s in SUITES)) usage(`unknown suite "${s}"`);
  if (!(a.opts.time > 0) || !(a.opts.warmupTime >= 0)) usage('--time must be > 0 and --warmup >= 0');
  /* scale and fuzz-finds take many minutes: only when asked for. */
  if (a.suites.length === 0) a.suites = Object.keys(SUITES).filter((s) => s !== 'scale' && s !== 'fuzz-finds');
  if (a.plot !== null) {
    const problem = output_file_problem(a.plot);
    if (problem !== null) usage(`--plot: ${problem}`);
  }
  return a;
}

const args = parseArgs(process.argv.slice(2));
const rows: BenchRow[] = [];
const charts: string[] = [];
for (const name of args.suites) {
  const { suite } = await SUITES[name]();
  process.stderr.write(`bench: suite ${name}: ${suite.description}\n`);
  const mine = await suite.run(args.opts);
  rows.push(...mine);
  if (suite.charts !== undefined) charts.push(...suite.charts(mine));
}
if (args.plot !== null) {
  if (charts.length === 0) process.stderr.write(`bench: --plot: no chart in suites ${args.suites.join(', ')} (scale has charts); nothing written\n`);
  else {
    write_atomic(args.plot, stack_svg(charts));
    process.stderr.write(`bench: wrote ${charts.length} charts to ${args.plot}\n`);
  }
}
if (args.json) {
  const doc = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    date: new Date().toISOString(),
    options: args.opts,
    rows,
  };
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
} else {
  process.stdout.write(`${formatRows(rows)}\n`);
  process.stdout.write(`(node ${process.version}, ${cpus().length} CPUs; medians; "x baseline" = time per op relative to the suite's baseline)\n`);
}
