/*
 * `swaptorture bench --designs all`: the same seeded, operation-bounded
 * stress workload on every design, one after the other in this process,
 * with ops/s and swap ops/s as a ratio to p4 and the cluster-lock
 * contention of each (src/harness/stress.ts does the runs).  The
 * micro-benchmarks are `npm run bench` (bench/).
 *
 * Exit status: 0, 1 if a design's run broke an invariant, 2 bad usage,
 * 3 a harness failure.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { DESIGN_NAMES, type DesignName } from '../mm/swap_design.js';
import { implemented_designs } from '../designs/index.js';
import { runStress } from '../harness/stress.js';
import { default_devices, defaultStressOptions, OptionError, parseDevices, validateStressOptions } from '../harness/stress_options.js';
import type { StressResult } from '../harness/stress_report.js';
import { bar_chart_svg } from '../harness/plot.js';
import { text_table } from '../harness/text_table.js';
import { output_file_problem, write_atomic } from '../harness/write_atomic.js';
import { usage_error } from './usage.js';

interface BenchFlags {
  designs: string;
  cpus: number;
  ops: number;
  seed: number;
  json?: boolean;
  plot?: string;
}

function int(min: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min) throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    return Number(v);
  };
}

export interface DesignBenchRow {
  design: DesignName;
  seconds: number;
  opsPerSec: number;
  swapOpsPerSec: number;
  vsP4: number | null;
  ciAcquired: number;
  ciContended: number;
  ciContendedPct: number;
  exitStatus: number;
}

function row(r: StressResult): Omit<DesignBenchRow, 'vsP4'> {
  const ci = r.locks.find((l) => l.class === '&ci->lock');
  return {
    design: r.design as DesignName, seconds: r.seconds, opsPerSec: r.opsPerSec, swapOpsPerSec: r.swapOpsPerSec,
    ciAcquired: ci?.acquired ?? 0, ciContended: ci?.contended ?? 0, ciContendedPct: ci && ci.acquired ? (100 * ci.contended) / ci.acquired : 0,
    exitStatus: r.exitStatus,
  };
}

export function registerBench(program: Command): Command {
  return program
    .command('bench')
    .description('run the same seeded stress workload on every design and compare speed and lock contention')
    .option('--designs <list>', 'designs to compare: "all" (every built one) or a comma list', 'all')
    .option('--cpus <n>', 'simulated CPUs', int(1), 2)
    .option('--ops <n>', 'operations per CPU (the same seeded work on every design)', int(100), 20_000)
    .option('--seed <n>', 'workload seed', int(0), 1)
    .option('--plot <file.svg>', 'draw ops/s per design as SVG')
    .option('--json', 'one JSON document on stdout')
    .action(async (f: BenchFlags, cmd: Command): Promise<number> => {
      const out = cmd.configureOutput().writeOut!;
      const err = cmd.configureOutput().writeErr!;
      const usage = usage_error(cmd);
      const built = implemented_designs();
      const designs = (f.designs === 'all' ? built : f.designs.split(',')) as DesignName[];
      for (const d of designs) {
        if (!(DESIGN_NAMES as readonly string[]).includes(d)) usage(`--designs: unknown design "${d}" (known: ${DESIGN_NAMES.join(', ')})`);
        if (!built.includes(d)) usage(`--designs: design "${d}" is not built yet (built: ${built.join(', ')})`);
      }
      const plotProblem = f.plot === undefined ? null : output_file_problem(f.plot);
      if (plotProblem !== null) usage(`--plot: ${plotProblem}`);
      const quiet = { out: (): void => {}, err: (): void => {} };
      const rows: Omit<DesignBenchRow, 'vsP4'>[] = [];
      /* Each design on its own default devices: ghost runs /dev/ghostswap with zswap, the others ssd + hdd.  All checked before any runs. */
      const runs = designs.map((design) => {
        try {
          return validateStressOptions({
            ...defaultStressOptions(), design, devices: parseDevices(default_devices(design)), cpus: f.cpus, ops: f.ops, seed: f.seed,
            statIntervalS: 0, swapoffIntervalMs: 200, swapoffCycles: 2,
          });
        } catch (e) {
          if (e instanceof OptionError) return usage(e.message);
          throw e;
        }
      });
      for (const o of runs) {
        const design = o.design;
        const r = await runStress(o, quiet);
        rows.push(row(r));
        err(`swaptorture bench: ${design}: ${Math.round(r.swapOpsPerSec)} swap ops/s, ${Math.round(r.opsPerSec)} ops/s, ${r.result}\n`);
      }
      const p4 = rows.find((r) => r.design === 'p4');
      const full: DesignBenchRow[] = rows.map((r) => ({ ...r, vsP4: p4 ? r.swapOpsPerSec / p4.swapOpsPerSec : null }));
      if (f.plot !== undefined) {
        const svg = bar_chart_svg(`swaptorture bench: ${f.cpus} CPUs, ${f.ops} ops per CPU, seed ${f.seed}`, 'swap ops/s',
          full.map((r) => ({ name: r.design, value: r.swapOpsPerSec })));
        write_atomic(f.plot, svg);
        err(`swaptorture bench: wrote ${f.plot}\n`);
      }
      if (f.json) out(JSON.stringify({ cpus: f.cpus, ops: f.ops, seed: f.seed, designs: full }, null, 2) + '\n');
      else {
        const head = ['design', 'swap ops/s', 'x p4', 'ops/s', 'ci->lock acquired', 'contended %'];
        const body = full.map((r) => [r.design, String(Math.round(r.swapOpsPerSec)), r.vsP4 === null ? '-' : r.vsP4.toFixed(2), String(Math.round(r.opsPerSec)), String(r.ciAcquired), r.ciContendedPct.toFixed(2)]);
        out(`same workload on every design: ${f.cpus} CPUs x ${f.ops} operations, seed ${f.seed}, checks and swapoff cycles on\n`);
        out(text_table(head, body) + '\n');
      }
      if (full.some((r) => r.exitStatus === 3)) return 3;
      return full.some((r) => r.exitStatus !== 0) ? 1 : 0;
    });
}
