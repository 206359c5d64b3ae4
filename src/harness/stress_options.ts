/*
 * The stress run's configuration: parsers for the flags whose values have
 * a syntax of their own (--devices, --mix), the zod schema every
 * configuration passes through (from the CLI or from a script), and what
 * is derived from it: the task layout and the arena sizing.
 *
 * A bad value is an OptionError naming the flag, the value and what was
 * expected: the CLI prints it as one line and exits 2.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { DESIGN_NAMES } from '../mm/swap_design.js';
import { implemented_designs } from '../designs/index.js';
import { BUG_SWITCHES } from '../shm/bugs.js';
import { computeLayout, DEFAULT_ARENA_CONFIG, MAX_SLOTS_PER_DEVICE, MAX_SWAPFILES, MAX_SWAPFILES_SHIFT, SWAPFILE_CLUSTER, type ArenaConfig } from '../shm/layout.js';
import { DEFAULT_MIX, WORKLOAD_OPS, type WorkloadOp } from './workload.js';
import { ghost_swap_pages } from '../mm/swapon.js';
import { SWAP_MIN_PAGES } from '../mm/swap_header.js';
import { BLOCK_DEVICE_KINDS, type BlockDeviceKind } from '../api/device_kind.js';
import { WINDOW_DELAY_MAX } from '../sync/window_delay.js';

export class OptionError extends Error {
  constructor(readonly flag: string, message: string) {
    super(`${flag}: ${message}`);
    this.name = 'OptionError';
  }
}

export interface DeviceSpec {
  /** ghost: /dev/ghostswap (seed 001 patch 14), eight times the RAM; its pages are set by the arena sizing. */
  kind: BlockDeviceKind | 'ghost';
  pages: number;
  /** As given, for reports and replay commands. */
  text: string;
}

/** Largest device the model holds (64 GiB: 2^24 slots, the offset bits of a swap PTE in the model). */
export const MAX_DEVICE_PAGES = MAX_SLOTS_PER_DEVICE;

const MIN_PAGES_WHY = `a swap area needs at least ${SWAP_MIN_PAGES} (the header page and one slot: swapon refuses less, "Empty swap-file")`;

const SIZE_RE = /^(\d+)([kKmMgG]|p)?$/;

/** "64M", "1000p", "16384K" -> pages. */
export function parseSize(flag: string, text: string): number {
  const m = SIZE_RE.exec(text);
  if (!m) throw new OptionError(flag, `bad size "${text}" (expected a number with K, M or G for bytes, or p for pages: 64M, 1000p)`);
  const n = Number(m[1]);
  const unit = m[2]?.toLowerCase();
  if (unit === 'p') return n;
  const bytes = n * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
  if (bytes % 4096 !== 0) throw new OptionError(flag, `size "${text}" is not a whole number of 4 KiB pages`);
  return bytes / 4096;
}

/** --devices ssd:64M,hdd:16M,zram:16M,ghost */
export function parseDevices(text: string): DeviceSpec[] {
  const flag = '--devices';
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) throw new OptionError(flag, `empty device in "${text}" (expected ssd:SIZE,hdd:SIZE,zram:SIZE,ghost,...)`);
  if (items.filter((s) => s === 'ghost').length > 1) throw new OptionError(flag, `"${text}" names ghost twice: there is one /dev/ghostswap`);
  const out = items.map((item) => {
    if (item === 'ghost') return { kind: 'ghost', pages: 0, text: item } as DeviceSpec;
    const [kind, size, ...rest] = item.split(':');
    if (kind === 'ghost') throw new OptionError(flag, `"${item}": a ghost device takes no size (it is eight times the RAM, seed 001 patch 15): write "ghost"`);
    if (!(BLOCK_DEVICE_KINDS as readonly string[]).includes(kind)) throw new OptionError(flag, `bad device kind "${kind}" in "${item}" (expected ${BLOCK_DEVICE_KINDS.join(', ')} or ghost)`);
    if (size === undefined || rest.length > 0) throw new OptionError(flag, `bad device "${item}" (expected ${kind}:SIZE, e.g. ${kind}:64M)`);
    const pages = parseSize(flag, size);
    if (pages < SWAP_MIN_PAGES) throw new OptionError(flag, `device "${item}" has ${pages} pages; ${MIN_PAGES_WHY}`);
    if (pages > MAX_DEVICE_PAGES) throw new OptionError(flag, `device "${item}" has ${pages} pages; the model holds at most ${MAX_DEVICE_PAGES} (64G) per device (a swap entry has 24 offset bits in the model)`);
    return { kind, pages, text: item } as DeviceSpec;
  });
  return out;
}

/**
 * --mix touch=30,pageout=20,...: named weights.  Operations not named keep
 * their default weight; "only" as the first item (only,touch=1,pageout=1)
 * zeroes every other one.
 */
export function parseMix(text: string): Record<WorkloadOp, number> {
  const flag = '--mix';
  const mix: Record<WorkloadOp, number> = { ...DEFAULT_MIX };
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items[0] === 'only') {
    items.shift();
    for (const k of WORKLOAD_OPS) mix[k] = 0;
  }
  for (const item of items) {
    const [name, w] = item.split('=');
    if (!(WORKLOAD_OPS as readonly string[]).includes(name)) {
      throw new OptionError(flag, `unknown operation "${name}" (known: ${WORKLOAD_OPS.join(', ')})`);
    }
    if (w === undefined || !/^\d+$/.test(w)) throw new OptionError(flag, `bad weight in "${item}" (expected ${name}=N, N a whole number >= 0)`);
    mix[name as WorkloadOp] = Number(w);
  }
  if (WORKLOAD_OPS.every((k) => mix[k] === 0)) throw new OptionError(flag, 'every weight is 0: nothing to run');
  return mix;
}

/** The most the --mix weights may add up to. */
export const MIX_TOTAL_MAX = 1_000_000;

export function formatMix(mix: Record<WorkloadOp, number>): string {
  return WORKLOAD_OPS.map((k) => `${k}=${mix[k]}`).join(',');
}

/** Default CPU count: the machine's cores, at least 2. */
export function defaultCpus(): number {
  return Math.max(2, availableParallelism());
}

export const StressOptionsSchema = z
  .object({
    design: z.enum(DESIGN_NAMES),
    cpus: z.number().int().min(1).max(64),
    seconds: z.number().positive().max(24 * 3600),
    /** Per-CPU operation budget; 0 = run for @seconds. */
    ops: z.number().int().min(0),
    mix: z.record(z.enum(WORKLOAD_OPS), z.number().int().min(0)),
    devices: z.array(z.object({ kind: z.enum([...BLOCK_DEVICE_KINDS, 'ghost']), pages: z.number().int().min(0).max(MAX_DEVICE_PAGES), text: z.string() })).min(1),
    swapoffIntervalMs: z.number().min(0),
    shuffleIntervalMs: z.number().min(0),
    checkIntervalMs: z.number().min(0),
    statIntervalS: z.number().min(0),
    stallMs: z.number().positive(),
    keepGoing: z.boolean(),
    seed: z.number().int().min(0).max(0xffffffff),
    bugs: z.array(z.string()),
    lockdep: z.boolean(),
    /** Contended spinlocks sleep until kicked after a bounded spin (the default), or only spin. */
    pvSpinlocks: z.boolean(),
    /** Delay at one race-window point in this many, free-running (src/sync/window_delay.ts); 0 = never. */
    windowDelay: z.number().int().min(0).max(WINDOW_DELAY_MAX),
    /** With --ops: swapoff/swapon cycles to run (the run also waits for them); 0 = as time allows. */
    swapoffCycles: z.number().int().min(0),
    /** Harness self-test: CPU 0 throws after this many operations. */
    injectCrash: z.number().int().min(0),
    /** Harness self-test: CPU 0 hangs holding swap_lock after this many operations. */
    injectStall: z.number().int().min(0),
    /** Progress bar on stderr. */
    progress: z.boolean(),
    /** zswap in front of the devices (the workload's zswap-toggle turns it off and on; the ghost design always has it). */
    zswap: z.boolean(),
    /** Write the recent events of every CPU here (Chrome Trace Event Format) when a violation stops the run ('' = off). */
    trace: z.string(),
  })
  .superRefine((o, ctx) => {
    if (!implemented_designs().includes(o.design)) {
      ctx.addIssue({ code: 'custom', path: ['design'], message: `design "${o.design}" is not built yet (built: ${implemented_designs().join(', ')})` });
    }
    const most = max_stress_devices(o.design);
    if (o.devices.length > most) {
      ctx.addIssue({
        code: 'custom', path: ['devices'],
        message: `${o.devices.length} devices; at most ${most}: MAX_SWAPFILES is ${MAX_SWAPFILES} (the ${1 << MAX_SWAPFILES_SHIFT} swap types of a swap entry less those borrowed for special entries, include/linux/swap.h)` +
          (o.design === 'vswap' ? ', and under vswap swap_info 0 is the virtual swap space' : ''),
      });
    }
    for (const d of o.devices) {
      if (d.kind !== 'ghost' && d.pages < SWAP_MIN_PAGES) {
        ctx.addIssue({ code: 'custom', path: ['devices'], message: `device "${d.text}" has ${d.pages} pages; ${MIN_PAGES_WHY}` });
      }
      if (d.kind === 'ghost' && o.design !== 'ghost') {
        ctx.addIssue({ code: 'custom', path: ['devices'], message: `a ghost device needs --design ghost (SWP_GHOST is seed 001 patches 13-15; design ${o.design} has no such device)` });
      }
    }
    if (o.swapoffCycles > 0 && o.swapoffIntervalMs === 0) {
      ctx.addIssue({ code: 'custom', path: ['swapoffCycles'], message: `${o.swapoffCycles} cycles asked for, but --swapoff-interval 0 turns swapoff off` });
    }
    /* The workload draws from the weights' running totals, kept in an Int32Array (src/harness/workload.ts cumulative()). */
    const total = WORKLOAD_OPS.reduce((s, k) => s + (o.mix[k] ?? 0), 0);
    if (total > MIX_TOTAL_MAX) ctx.addIssue({ code: 'custom', path: ['mix'], message: `the weights add up to ${total}; at most ${MIX_TOTAL_MAX}` });
    /* What the devices' per-slot arrays and tables need must fit the arena (eight 64G devices do not). */
    if (o.devices.length > 0 && o.devices.length <= most) {
      try {
        computeLayout({ ...DEFAULT_ARENA_CONFIG, ...stressArenaConfig(o) });
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
        ctx.addIssue({ code: 'custom', path: ['devices'], message: `${o.devices.map((d) => d.text).join(',')}: too large together for the model's memory (${e.message}): fewer or smaller devices` });
      }
    }
    if (!o.zswap && o.design === 'ghost') {
      ctx.addIssue({ code: 'custom', path: ['zswap'], message: 'the ghost design always has zswap (a ghost device has nothing else to keep pages in, seed 001 patch 13): drop --no-zswap' });
    }
    for (const b of o.bugs) {
      if (!BUG_SWITCHES.some((s) => s.name === b)) {
        ctx.addIssue({ code: 'custom', path: ['bug'], message: `unknown bug switch "${b}" (see --list-bugs)` });
      }
    }
  });
export type StressOptions = z.infer<typeof StressOptionsSchema>;

/** Devices a run of @design can swap on at once: every swap type, less the virtual swap space's under vswap (seed 004). */
export function max_stress_devices(design: string): number {
  return design === 'vswap' ? MAX_SWAPFILES - 1 : MAX_SWAPFILES;
}

export const DEFAULT_DEVICES = 'ssd:64M,hdd:16M,zram:16M';
/** The ghost design's default: /dev/ghostswap alone (zswap holds everything). */
export const DEFAULT_GHOST_DEVICES = 'ghost';

/** --devices when not given: the design's default. */
export function default_devices(design: string): string {
  return design === 'ghost' ? DEFAULT_GHOST_DEVICES : DEFAULT_DEVICES;
}


/** Every default, for scripts that override a few fields. */
export function defaultStressOptions(): StressOptions {
  return {
    design: 'p4',
    cpus: defaultCpus(),
    seconds: 15,
    ops: 0,
    mix: { ...DEFAULT_MIX },
    devices: parseDevices(DEFAULT_DEVICES),
    swapoffIntervalMs: 1000,
    shuffleIntervalMs: 250,
    checkIntervalMs: 1000,
    statIntervalS: 5,
    stallMs: 5000,
    keepGoing: false,
    seed: 0,
    bugs: [],
    lockdep: true,
    pvSpinlocks: true,
    windowDelay: 0,
    swapoffCycles: 0,
    injectCrash: 0,
    injectStall: 0,
    progress: false,
    trace: '',
    zswap: true,
  };
}

/** Validate a whole configuration; the first problem becomes an OptionError naming its field. */
export function validateStressOptions(o: unknown): StressOptions {
  const r = StressOptionsSchema.safeParse(o);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.map(String).join('.');
  throw new OptionError(`--${field.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`, issue.message);
}

/** Which task of a run's arena is which. */
export interface StressTasks {
  /** 1..cpus: the workload's tasks, one per simulated CPU (each with its own cgroup and process). */
  workers: number[];
  /** cpus + 1: the onoff task (swapoff/swapon cycles), or null when --swapoff-interval is 0. */
  onoff: number | null;
  /** cpus + 2: the kworker (scheduled work: discard, zswap writeback). */
  kworker: number;
  /** Every task a worker thread plays, in the order the CPUs are started: the workers, onoff, the kworker. */
  all: number[];
  /** Tasks in the arena: 0 is the harness (the main thread), then the above (onoff's slot kept when unused). */
  nrTasks: number;
}

/** The task layout of a run of @o. */
export function stress_tasks(o: StressOptions): StressTasks {
  const workers = Array.from({ length: o.cpus }, (_, k) => k + 1);
  const onoff = o.swapoffIntervalMs > 0 ? o.cpus + 1 : null;
  const kworker = o.cpus + 2;
  return { workers, onoff, kworker, all: [...workers, ...(onoff === null ? [] : [onoff]), kworker], nrTasks: o.cpus + 3 };
}

/**
 * Arena size for a run: the tasks (stress_tasks()), up to sixteen processes per CPU of 128 pages (enough
 * forks of one family share a swap entry past SWP_TB_COUNT_MAX), RAM for half of
 * them (so faults meet -ENOMEM now and then), the largest device, a swap
 * heap for every device at once (each swapped on at most once at a time: a
 * device swapped on again takes back a block of its size), one swap-table
 * page per cluster of every device plus room for extend tables (pages
 * only touched when used).
 */
export function stressArenaConfig(o: StressOptions): Partial<ArenaConfig> {
  const nrMms = Math.min(512, 16 * o.cpus);
  const mmPages = 128;
  const nrFrames = Math.max(2048, (nrMms * mmPages) / 2);
  const pages = o.devices.map((d) => (d.kind === 'ghost' ? ghost_swap_pages(nrFrames) : d.pages));
  /* vswap: the virtual swap space is swap_info 0, as large as the arena's device: at least eight times the RAM, like a ghost. */
  const maxPages = Math.max(...pages, o.design === 'vswap' ? ghost_swap_pages(nrFrames) : 0);
  const clusters = pages.reduce((s, p) => s + Math.ceil(p / SWAPFILE_CLUSTER), 0);
  return {
    nrCpus: o.cpus,
    nrTasks: stress_tasks(o).nrTasks,
    nrMms,
    mmPages,
    nrFrames,
    nrPages: clusters + 256,
    maxSwapPages: maxPages,
    swapHeapSlots: pages.reduce((s, p) => s + p, 0) + (o.design === 'vswap' ? maxPages : 0),
    nrMemcgs: Math.max(16, 4 * o.cpus + 8),
    nrFiles: Math.max(16, o.devices.length),
    reportSlots: 64,
    rcuCallbacks: 2048,
  };
}

/** The command that runs @o again (same inputs, same seed): printed with every failure. */
export function stress_command_line(o: StressOptions): string {
  const d = defaultStressOptions();
  const a = ['npx swaptorture stress', `--design ${o.design}`, `--cpus ${o.cpus}`, `--seed ${o.seed}`];
  a.push(o.ops > 0 ? `--ops ${o.ops}` : `--seconds ${o.seconds}`);
  const devs = o.devices.map((x) => x.text).join(',');
  if (devs !== default_devices(o.design)) a.push(`--devices ${devs}`);
  if (formatMix(o.mix) !== formatMix(d.mix)) a.push(`--mix ${formatMix(o.mix)}`);
  if (o.swapoffIntervalMs !== d.swapoffIntervalMs) a.push(`--swapoff-interval ${o.swapoffIntervalMs}`);
  if (o.shuffleIntervalMs !== d.shuffleIntervalMs) a.push(`--shuffle-interval ${o.shuffleIntervalMs}`);
  if (o.checkIntervalMs !== d.checkIntervalMs) a.push(`--check-interval ${o.checkIntervalMs}`);
  if (!o.lockdep) a.push('--no-lockdep');
  if (!o.pvSpinlocks) a.push('--no-pv-spinlocks');
  if (o.windowDelay) a.push(`--window-delay ${o.windowDelay}`);
  if (!o.zswap && o.design !== 'ghost') a.push('--no-zswap');
  for (const b of o.bugs) a.push(`--bug ${b}`);
  if (o.swapoffCycles) a.push(`--swapoff-cycles ${o.swapoffCycles}`);
  if (o.injectCrash) a.push(`--inject-crash ${o.injectCrash}`);
  if (o.injectStall) a.push(`--inject-stall ${o.injectStall}`);
  return a.join(' ');
}
