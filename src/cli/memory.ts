/*
 * `swaptorture memory`: swap metadata per design, measured on the model
 * (src/harness/memory.ts).  One design: one line (or --json).  --compare:
 * every built design at usage 0/25/50/75/100 % in MiB, and the static
 * metadata of mounting a 1 TB device.
 *
 * Exit status: 0, or 2 for bad usage.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DESIGN_NAMES, type DesignName } from '../mm/swap_design.js';
import { implemented_designs } from '../designs/index.js';
import { measure_memory, measure_memory_series, parse_bytes, type MemoryResult } from '../harness/memory.js';
import { line_chart_svg } from '../harness/plot.js';
import { text_table } from '../harness/text_table.js';
import { output_file_problem, write_atomic } from '../harness/write_atomic.js';
import { usage_error } from './usage.js';

interface MemoryFlags {
  design: DesignName;
  size: string;
  usage: number;
  backend: string;
  json?: boolean;
  compare?: boolean;
  plot?: string;
}

const MiB = 2 ** 20;

function usageArg(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a fraction from 0 to 1');
  return n;
}

/* After the options in --help: units and scaling. */
const MEMORY_HELP = `
Figures are MiB (2^20 bytes), as the seeds' "MB" are.  The model runs the
device scaled down by a power of two (--json: scale) and scales the
figures up: exact when the device and the slots each usage fills are
whole multiples of 512 slots times the scale - the model runs the
largest such scale, down to 8192 slots; for other sizes or usages, the
smallest scale that fits 2^18 slots, the nearest it gets.  Object sizes
are in src/mm/kernel_sizes.ts.`;

/* One design at one usage: a line (or --json). */
function memory_one(f: MemoryFlags, size: number, out: (s: string) => void, usage: (m: string) => never): number {
  if (!implemented_designs().includes(f.design)) usage(`--design: design "${f.design}" is not built yet (built: ${implemented_designs().join(', ')})`);
  if (f.design === 'ghost' && f.backend !== 'zswap') usage('--design ghost: a ghost device has no disk behind it (seed 001 patch 13): only --backend zswap');
  const r = measure_memory(f.design, size, f.usage, f.backend as 'disk' | 'zswap');
  if (f.json) out(JSON.stringify(r, null, 2) + '\n');
  else out(`${r.design}: ${f.size} (${r.slots} slots) at ${(100 * r.usage).toFixed(0)} %: static ${(r.staticBytes / MiB).toFixed(2)} MiB + dynamic ${(r.dynamicBytes / MiB).toFixed(2)} MiB = ${(r.totalBytes / MiB).toFixed(2)} MiB` +
    `${r.bytesPerUsedSlot === null ? '' : `, ${r.bytesPerUsedSlot.toFixed(3)} bytes per used slot`} [${Object.entries(r.breakdown).map(([k, v]) => `${k} ${(v / MiB).toFixed(3)}`).join(', ')}]\n`);
  return 0;
}

/* --compare: every built design at usage 0/25/50/75/100 % and a 1 TB device's static metadata; the table, --json, or (--plot) an SVG too. */
function memory_compare(f: MemoryFlags, size: number, cmd: Command): number {
  const out = cmd.configureOutput().writeOut!;
  /* A ghost has no disk: it only appears in the zswap comparison. */
  const designs = implemented_designs().filter((d) => d !== 'ghost' || f.backend === 'zswap');
  const usages = [0, 0.25, 0.5, 0.75, 1];
  const backend = f.backend as 'disk' | 'zswap';
  const rows: MemoryResult[][] = designs.map((d) => measure_memory_series(d, size, usages, backend));
  const tb = designs.map((d) => measure_memory(d, 2 ** 40, 0, backend));
  if (f.plot !== undefined) {
    const svg = line_chart_svg(`swap metadata, ${f.size} device, ${f.backend}`, 'usage (fraction of slots)', 'MiB',
      designs.map((d, i) => ({ name: d, points: rows[i].map((r) => [r.usage, r.totalBytes / MiB] as [number, number]) })));
    write_atomic(f.plot, svg);
    cmd.configureOutput().writeErr!(`swaptorture memory: wrote ${f.plot}\n`);
  }
  if (f.json) {
    out(JSON.stringify({ size, backend: f.backend, usages, designs: designs.map((d, i) => ({ design: d, results: rows[i], mount1T: tb[i] })) }, null, 2) + '\n');
    return 0;
  }
  const head = ['usage', ...designs.map((d) => `${d} (MiB)`)];
  const body = usages.map((u, j) => [`${(100 * u).toFixed(0)} %`, ...rows.map((r) => (r[j].totalBytes / MiB).toFixed(2))]);
  body.push(['1 TB static', ...tb.map((r) => (r.staticBytes / MiB).toFixed(2))]);
  out(`swap metadata of a ${f.size} device, ${f.backend} backend, measured on the model\n`);
  out(text_table(head, body) + '\n');
  return 0;
}

/* `swaptorture memory`: check --size and --plot, then one design or --compare.  Returns the exit status. */
function memory_action(f: MemoryFlags, cmd: Command): number {
  const usage = usage_error(cmd);
  let size: number;
  try {
    size = parse_bytes(f.size);
  } catch (e) {
    return usage(`--size: ${(e as Error).message}`);
  }
  if (f.plot !== undefined && !f.compare) usage('--plot draws the --compare table: add --compare');
  for (const o of ['design', 'usage']) if (f.compare && cmd.getOptionValueSource(o) === 'cli') usage(`--${o}: --compare measures every design at usage 0, 25, 50, 75 and 100 %; leave --${o} out`);
  const plotProblem = f.plot === undefined ? null : output_file_problem(f.plot);
  if (plotProblem !== null) usage(`--plot: ${plotProblem}`);
  return f.compare ? memory_compare(f, size, cmd) : memory_one(f, size, cmd.configureOutput().writeOut!, usage);
}

/** The `memory` subcommand: its flags and help; memory_action() runs it. */
export function registerMemory(program: Command): Command {
  return program
    .command('memory')
    .description('swap metadata memory of a device per design, measured on the model at the kernel\'s object sizes')
    .addOption(new Option('--design <name>', 'slot metadata design').choices([...DESIGN_NAMES]).default('p4'))
    .option('--size <size>', 'device size: 32G, 1T, ... (binary units)', '32G')
    .option('--usage <fraction>', 'fraction of the slots in use, 0..1', usageArg, 0)
    .addOption(new Option('--backend <backend>', 'where swapped pages live').choices(['disk', 'zswap']).default('disk'))
    .option('--compare', 'every built design at usage 0/25/50/75/100 % (MiB), and the static metadata of a 1 TB device')
    .option('--plot <file.svg>', 'with --compare: also draw metadata MiB against usage, one line per design, as SVG')
    .option('--json', 'one JSON document on stdout')
    .addHelpText('after', MEMORY_HELP)
    .action(memory_action);
}
