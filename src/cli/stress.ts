/*
 * `swaptorture stress`: the torture run (src/harness/stress.ts), its flags
 * and output.  Humans get the live statistics on stderr and the summary
 * plus the "End of test" line on stdout; with --json, stdout carries one
 * JSON document (src/harness/stress_report.ts StressResultSchema) and the
 * rest goes to stderr.
 *
 * Exit status: 0 clean, 1 an invariant broke, 2 bad usage, 3 the harness
 * failed (worker crash, stall), 130 interrupted (SIGINT) with nothing
 * found - a violation found before the Ctrl-C is still 1 (a second
 * Ctrl-C exits 130 at once).
 */
import { randomInt } from 'node:crypto';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { BUG_SWITCHES } from '../shm/bugs.js';
import { WINDOW_DELAY_MAX, WINDOW_DELAY_MAX_US } from '../sync/window_delay.js';
import { SWAP_MIN_PAGES } from '../mm/swap_header.js';
import { DESIGN_NAMES } from '../mm/swap_design.js';
import {
  DEFAULT_DEVICES, DEFAULT_GHOST_DEVICES, default_devices, defaultStressOptions, formatMix, max_stress_devices, OptionError, parseDevices, parseMix, validateStressOptions, type StressOptions,
} from '../harness/stress_options.js';
import { print_result, runStress } from '../harness/stress.js';
import { DEFAULT_MIX, WORKLOAD_OPS } from '../harness/workload.js';
import { output_file_problem } from '../harness/write_atomic.js';
import { coverage_line, with_coverage_flag, type ModelCoverageRun } from '../harness/coverage_report.js';
import { sigint_abort } from './sigint.js';
import { usage_error } from './usage.js';

function int(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

function num(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
    return n;
  };
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

interface StressFlags {
  design: string;
  cpus?: number;
  seconds: number;
  ops: number;
  mix?: string;
  devices?: string;
  swapoffInterval: number;
  shuffleInterval: number;
  checkInterval: number;
  statInterval: number;
  stallMs: number;
  keepGoing?: boolean;
  json?: boolean;
  seed?: number;
  bug: string[];
  listBugs?: boolean;
  lockdep: boolean;
  pvSpinlocks: boolean;
  windowDelay: number;
  swapoffCycles: number;
  injectCrash: number;
  injectStall: number;
  progress: boolean;
  trace?: string;
  zswap?: boolean;
  coverage?: string;
}

function list_bugs(): string {
  const w = Math.max(...BUG_SWITCHES.map((b) => b.name.length));
  const wk = Math.max(...BUG_SWITCHES.map((b) => b.provenance.kind.length));
  return BUG_SWITCHES.map((b) => `${b.name.padEnd(w)}  provenance ${b.provenance.kind.padEnd(wk)}  stress ${b.stress.padEnd(6)}  ${b.summary}`).join('\n') + '\n';
}

/* After the options in --help: the defaults, the output, the exit statuses. */
const STRESS_HELP = `
Default mix: ${formatMix(DEFAULT_MIX)}
Default devices: ${DEFAULT_DEVICES} (design ghost: ${DEFAULT_GHOST_DEVICES}, with zswap always on)
zswap: on (--no-zswap: off); the zswap-toggle operation turns it off and on

Output: live statistics on stderr (every --stat-interval), then a summary
table and a line "swaptorture: End of test: SUCCESS: ..." (or FAILURE,
or INTERRUPTED after Ctrl-C with nothing found) on stdout; every
violation is printed with the command that replays the run.
With --json, stdout is one JSON document: design, cpus, seed, seconds
(counted from when every CPU is up), startupSeconds, ops (by kind and
total), opsPerSec, swapOps, readahead {swap_ra, swap_ra_hit},
swapOpsPerSec, swapoffCycles, migrations, gracePeriods, checks, locks,
violations [{invariant, message, cpu, task, op, point, args}], stalls,
harnessErrors, interrupted, result,
exitStatus, bugHints [{bug, stress, reason, try}], replay.  result is
SUCCESS, FAILURE or INTERRUPTED.

A clean run with a --bug switch that free-running stress seldom or never
hits with its flags (--list-bugs: the stress column) says so on the End of
test line - "SUCCESS: ... (but --bug X is seldom hit by free-running
stress: try \`swaptorture repro X\` or \`swaptorture fuzz --bug X\`)" -
and in bugHints.

Exit status: 0 clean, 1 an invariant broke, 2 bad usage, 3 harness failure
(worker crash, stall), 130 interrupted (Ctrl-C) with nothing found; a
violation found before the Ctrl-C is still FAILURE and 1 (interrupted:
true in --json, "(interrupted)" on the End of test line).`;

/* The flags as a validated configuration (an OptionError names the flag at fault). */
function stress_options_of(f: StressFlags, d: StressOptions): StressOptions {
  return validateStressOptions({
    ...d,
    design: f.design,
    cpus: f.cpus ?? d.cpus,
    seconds: f.seconds,
    ops: f.ops,
    mix: f.mix === undefined ? d.mix : parseMix(f.mix),
    devices: parseDevices(f.devices ?? default_devices(f.design)),
    swapoffIntervalMs: f.swapoffInterval,
    shuffleIntervalMs: f.shuffleInterval,
    checkIntervalMs: f.checkInterval,
    statIntervalS: f.statInterval,
    stallMs: f.stallMs,
    keepGoing: f.keepGoing ?? false,
    seed: f.seed ?? randomInt(0, 2 ** 31),
    bugs: f.bug,
    lockdep: f.lockdep,
    pvSpinlocks: f.pvSpinlocks,
    windowDelay: f.windowDelay,
    swapoffCycles: f.swapoffCycles,
    injectCrash: f.injectCrash,
    injectStall: f.injectStall,
    progress: f.progress && process.stderr.isTTY === true && !process.env.CI,
    trace: f.trace ?? '',
    zswap: f.zswap ?? d.zswap,
  });
}

/* `swaptorture stress`: --list-bugs, or check the flags, run, print the result.  Returns the exit status. */
async function stress_action(f: StressFlags, cmd: Command): Promise<number> {
  if (f.listBugs) {
    cmd.configureOutput().writeOut!(list_bugs());
    return 0;
  }
  /* Collected from here: the flag checks run model code too (implemented_designs). */
  return with_coverage_flag(f.coverage, usage_error(cmd), (cov) => stress_run(f, cmd, cov));
}

/* stress_action() past --list-bugs: check the flags, run, print the result (and @cov's summary).  Returns the exit status. */
async function stress_run(f: StressFlags, cmd: Command, cov: ModelCoverageRun | null): Promise<number> {
  const out = cmd.configureOutput().writeOut!;
  const err = cmd.configureOutput().writeErr!;
  /* A run is bounded by operations or by time: both given, one would be ignored. */
  if (f.ops > 0 && cmd.getOptionValueSource('seconds') === 'cli') usage_error(cmd)('--seconds: the run is bounded by --ops; give one of them');
  let o: StressOptions;
  try {
    o = stress_options_of(f, defaultStressOptions());
  } catch (e) {
    if (e instanceof OptionError) usage_error(cmd)(e.message);
    throw e;
  }
  /* The timeline is written at the end of the run: a path that cannot take it is bad usage now. */
  const traceProblem = f.trace === undefined ? null : output_file_problem(f.trace);
  if (traceProblem !== null) usage_error(cmd)(`--trace: ${traceProblem}`);
  const sigint = sigint_abort(err, '\nswaptorture: SIGINT: stopping every CPU at its next operation boundary (Ctrl-C again to quit at once)\n');
  try {
    const io = f.json ? { out: err, err } : { out, err };
    const r = await runStress(o, io, sigint.signal);
    const coverage = await cov?.finish();
    print_result(r, io);
    if (coverage !== undefined) io.out(`swaptorture: function coverage: ${coverage_line(coverage)} (report: ${coverage.file})\n`);
    if (f.json) out(JSON.stringify(coverage === undefined ? r : { ...r, functionCoverage: coverage }, null, 2) + '\n');
    return r.exitStatus;
  } finally {
    sigint.off();
  }
}

/** The `stress` subcommand: its flags and help; stress_action() runs it. */
export function registerStress(program: Command): Command {
  const d = defaultStressOptions();
  return program
    .command('stress')
    .description('torture the swap model: simulated CPUs as worker threads, a weighted workload, invariant checks')
    .addOption(new Option('--design <name>', 'slot metadata design').choices([...DESIGN_NAMES]).default(d.design))
    .option('--cpus <n>', 'simulated CPUs (worker threads; more than cores raises contention) [default: cores, at least 2]', int(1, 64))
    .option('--seconds <s>', 'run time', num(0.001, 86400), d.seconds)
    .option('--ops <n>', 'instead of --seconds: operations per CPU (a bounded, reproducible amount of work)', int(0), 0)
    .option('--mix <list>', `operation weights, name=weight,... (unnamed keep their default; start with "only," to zero the rest); operations: ${WORKLOAD_OPS.join(', ')}`)
    .option('--devices <list>', `swap devices kind:size,...: kind ssd (solid state, discard), hdd (rotational) or zram (synchronous I/O: large swap-in); size in K/M/G bytes or p pages, ${SWAP_MIN_PAGES} pages to 64G; "ghost" is /dev/ghostswap (design ghost only, 8x RAM); at most ${max_stress_devices('p4')} devices (MAX_SWAPFILES; ${max_stress_devices('vswap')} under vswap) (default: ${DEFAULT_DEVICES}; ghost design: ${DEFAULT_GHOST_DEVICES})`)
    .option('--swapoff-interval <ms>', 'swapoff then swapon of a random device every ms (0: never)', num(0), d.swapoffIntervalMs)
    .option('--shuffle-interval <ms>', 'migrate every task to a random CPU every ms, at its next sleep point (0: never)', num(0), d.shuffleIntervalMs)
    .option('--check-interval <ms>', 'stop the world and check every invariant every ms (0: only at the end)', num(0), d.checkIntervalMs)
    .option('--stat-interval <s>', 'print locktorture-style statistics every s (0: only at the end)', num(0), d.statIntervalS)
    .option('--stall-ms <ms>', 'a CPU with no progress for this long is a stall (exit 3)', num(1), d.stallMs)
    .option('--keep-going', 'do not stop at the first violation')
    .option('--json', 'print one JSON document on stdout')
    .option('--seed <n>', 'seed of every random choice of the workload [default: random, printed]', int(0, 0xffffffff))
    .option('--bug <name>', 'enable a pre-fix code path (repeatable; see --list-bugs)', collect, [] as string[])
    .option('--list-bugs', 'list the bug switches (name; provenance: kernel-fix, review or hypothetical - repro --list has its commits and quotes; how often free-running stress finds it: often, seldom or never; what it does) and exit')
    .option('--no-lockdep', 'turn lockdep-lite off in the CPUs (faster; lock-discipline and suspicious RCU usage unchecked)')
    .option('--no-pv-spinlocks', 'contended spinlocks only spin, never sleep until the unlock wakes them (the spin-only lock; the default parks a spinner after a bounded spin, as paravirtual spinlocks do)')
    .option('--window-delay <n>', `at one race-window point in n (where the kernel code dropped a lock, sleeps or reads under RCU), a CPU stops for a random 0-${WINDOW_DELAY_MAX_US} us, as a preempted vCPU would: widens the windows another CPU must hit (0: never; timing only: the delays draw no number from the workload's random stream)`, int(0, WINDOW_DELAY_MAX), 0)
    .option('--trace <file>', 'record each CPU\'s recent events and, when a violation stops the run, write them as a Chrome Trace Event Format timeline')
    .option('--zswap', 'zswap in front of every device (the default): writeout stores the page compressed, swap-in loads it, the kworker writes stored pages back to the device; the CPUs turn it off and on now and then (the zswap-toggle operation)')
    .option('--no-zswap', 'no zswap: every page goes to the device (not with --design ghost, which always has zswap)')
    .option('--no-progress', 'no progress bar (it is shown only on a terminal outside CI anyway)')
    .option('--coverage <file>', 'after the run, write which functions of the model (src/mm, src/designs, src/kmem) ran, with their call counts, to this JSON file, and print "N of M model functions ran; never ran: ..." (slower: V8 counts every call)')
    .option('--swapoff-cycles <n>', 'with --ops: run exactly n swapoff/swapon cycles (the run waits for them)', int(0), 0)
    .addOption(new Option('--inject-crash <n>', 'harness self-test: CPU 0 throws after n operations (exit 3)').argParser(int(1)).default(0))
    .addOption(new Option('--inject-stall <n>', 'harness self-test: CPU 0 hangs holding swap_lock after n operations (stall, exit 3)').argParser(int(1)).default(0))
    .addHelpText('after', STRESS_HELP)
    .action(stress_action);
}
