/*
 * Fuzzing campaigns, the inputs: one execution's configuration, drawn from
 * fast-check arbitraries seeded by the campaign seed and the run index (so
 * run i of a campaign is the same input on every machine and in every
 * shard), or mutated from a corpus entry that reached new coverage.
 *
 * An execution is a generated race scenario (src/scenario/schema.ts): a
 * design, devices (ssd/hdd of any size: not only whole clusters, now and
 * then one of a few slots or one slot either side of a cluster boundary;
 * some with bad pages; ssd ones with discard or not; a ghost swapfile
 * under the ghost design), zswap in front of them or not, 2-8 CPUs, a
 * memcg tree, processes with swapped-out pages, and per CPU a random
 * filler plus a short script (faults, pageouts of ranges and large
 * folios, MADV_DONTNEED, fork, exit, memcg move and death,
 * swapoff/swapon, migration), run under a scheduler: PCT with a depth,
 * random, or free-running threads.  When
 * there is scheduled work to do (zswap's writeback, discards), one more
 * CPU is the kworker that runs it, racing with the others.
 *
 * The scripts keep to what real tasks can do concurrently: several CPUs
 * fault and reclaim in one process (its threads), but only a process's own
 * CPU exits it or moves it between cgroups, and a cgroup dies only after
 * its one process moved out (cgroup.procs empty) - otherwise the model
 * would report harness nonsense as kernel bugs.
 */
import fc from 'fast-check';
import type { DesignName } from '../mm/swap_design.js';
import type { Scenario, ScenarioOp } from '../scenario/fields.js';
import type { FuzzCase, FuzzLimits, FuzzSched, FuzzWindow } from './fuzz_types.js';
import { BLOCK_DEVICE_KINDS, type BlockDeviceKind } from '../api/device_kind.js';
import { SWAP_MIN_PAGES } from '../mm/swap_header.js';
import { PMD_ORDER, SWAPFILE_CLUSTER } from '../shm/layout.js';

interface Shape {
  design: DesignName;
  cpus: number;
  devices: { kind: BlockDeviceKind; pages: number; discard: boolean; bad: number[] }[];
  /* zswap in front of the devices (the ghost design always has it). */
  zswap: boolean;
  /* The kworker's script, when it has work: @rounds times the discard work, then zswap's writeback of up to @nr pages a device. */
  kworker: { rounds: number; nr: number };
  /*
   * Swap space barely above what the processes swap out: vm_swap_full()
   * reclaim, allocation failures.  A ghost cannot be made small enough (its
   * header cluster's 511 slots always count free): under the ghost design
   * half the tight cases fill it instead, see ghost_fill().
   */
  tight: boolean;
  /* The swap_table slab's min_partial: how many empty tables it keeps before their pages go back. */
  slabMinPartial: number;
  frames: number;
  mmPages: number;
  memcgs: number;
  orders: number[];
  fillers: number[];
  scripts: { op: number; a: number; b: number; c: number }[][];
  sched: FuzzSched;
}

/* Half of PCT's change points preempt at a race window, mostly on one of its first arrivals. */
const WINDOW_ARB: fc.Arbitrary<FuzzWindow | null> = fc.oneof(
  fc.constant(null),
  fc.record({ window: fc.nat(), nth: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 64 })) }),
);

/*
 * A device's size: mostly 600-4096 pages; now and then a few slots (the
 * smallest swapon takes: full at once) or one page either side of a
 * cluster boundary (a last cluster of one slot, or one slot short).
 */
const DEVICE_PAGES_ARB: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 600, max: 4096 }) },
  { weight: 1, arbitrary: fc.integer({ min: SWAP_MIN_PAGES, max: 64 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: -1, max: 1 })).map(([k, d]) => k * SWAPFILE_CLUSTER + 1 + d) },
);

/* A quarter of the devices have a few bad pages (mkswap -c): slots swapon marks bad, the allocator skips. */
const BAD_PAGES_ARB: fc.Arbitrary<number[]> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<number[]>([]) },
  { weight: 1, arbitrary: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }) },
);

/* Bad pages @bad (drawn anywhere) placed on a device of @pages: distinct, past the header; none on one of a few slots. */
function bad_pages(bad: readonly number[], pages: number): number[] {
  return pages <= 64 ? [] : [...new Set(bad.map((b) => 1 + (b % (pages - 1))))].sort((a, b) => a - b);
}

function shapeArb(l: FuzzLimits): fc.Arbitrary<Shape> {
  return fc.integer({ min: 2, max: l.maxCpus }).chain((cpus) =>
    fc.record({
      design: fc.constantFrom(...l.designs),
      cpus: fc.constant(cpus),
      devices: fc.array(fc.record({ kind: fc.constantFrom(...BLOCK_DEVICE_KINDS), pages: DEVICE_PAGES_ARB, discard: fc.boolean(), bad: BAD_PAGES_ARB }), { minLength: 1, maxLength: 3 }),
      zswap: fc.boolean(),
      kworker: fc.record({ rounds: fc.integer({ min: 1, max: 3 }), nr: fc.integer({ min: 1, max: 32 }) }),
      tight: fc.integer({ min: 0, max: 2 }).map((x) => x === 0),
      slabMinPartial: fc.oneof(fc.constant(4), fc.integer({ min: 0, max: 2 })),
      frames: fc.constantFrom(512, 1024, 2048),
      mmPages: fc.constantFrom(64, 128, 256),
      memcgs: fc.integer({ min: 0, max: 3 }),
      orders: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: cpus, maxLength: cpus }),
      fillers: fc.array(fc.integer({ min: 0, max: 48 }), { minLength: cpus, maxLength: cpus }),
      scripts: fc.array(fc.array(fc.record({ op: fc.integer({ min: 0, max: OPS - 1 }), a: fc.nat(), b: fc.nat(), c: fc.nat() }), { minLength: 1, maxLength: 6 }), { minLength: cpus, maxLength: cpus }),
      sched: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }).chain((depth) => fc.array(WINDOW_ARB, { minLength: depth - 1, maxLength: depth - 1 }).map((at): FuzzSched => ({ kind: 'pct', depth, at }))) },
        { weight: 3, arbitrary: fc.constant<FuzzSched>({ kind: 'random' }) },
        { weight: 1, arbitrary: fc.constant<FuzzSched>({ kind: 'free' }) },
      ),
    }),
  );
}

/*
 * One CPU's scripted operation from a drawn tuple.  @own is the CPU's
 * process; the others' are shared (their threads on this CPU).  Half the
 * operations that name another process or a device go to the hot spot -
 * process p0, pages 0-3, swapped out at setup, and device 0 (the ghost,
 * under that design) - so CPUs meet on one page, one slot, one cluster
 * and one device far more often than uniform draws would make them.
 */
function script_op(t: { op: number; a: number; b: number; c: number }, cpu: number, s: Shape, devices: number): ScenarioOp[] {
  const own = `p${cpu}`;
  const hot = ((t.a >>> 8) & 1) === 0;
  const other = hot ? 'p0' : `p${t.a % s.cpus}`;
  const page = hot ? t.b % 4 : t.b % s.mmPages;
  const dev = hot ? 0 : t.a % devices;
  const order = s.orders[cpu];
  const nr = Math.min(1 << order, s.mmPages - (page - (page % (1 << order))));
  const base = page - (page % (1 << order));
  switch (t.op) {
    case 0: return [{ op: 'touch', mm: other, page, nr: 1, order: 0 }];
    case 1: return [{ op: 'write', mm: other, page: base, nr, order, zero: t.c % 5 === 0 }];
    case 2: return [{ op: 'reclaim', mm: other, page: base, nr: Math.min(s.mmPages - base, 1 + (t.c % 32)) }];
    case 3: return [{ op: 'fork', mm: other, as: `c${cpu}_${t.c % 1000}`, times: 1 + (t.a % 3) }];
    case 4: return [{ op: 'touch', mm: own, page: base, nr, order }];
    /* swapoff, and half the time swapon again at once; otherwise the device stays off (a fault that slept through the swapoff then meets a dead device, not a new one). */
    case 5: return t.c % 2 === 0 ? [{ op: 'swapoff', device: dev }, { op: 'swapon', device: dev }] : [{ op: 'swapoff', device: dev }];
    case 6: return [{ op: 'migrate', cpu: t.a % s.cpus }];
    case 7: return s.memcgs > 0 ? [{ op: 'move', mm: own, memcg: `m${t.a % s.memcgs}` }] : [{ op: 'touch', mm: own, page, nr: 1, order: 0 }];
    case 8: return [{ op: 'reclaim', mm: own, page: 0, nr: s.mmPages }];
    /* Kernel allocations failing (failslab): the sleeping fallbacks of table and extend-table allocation. */
    case 9: return [{ op: 'failslab', atomic: 50 + (t.a % 51), sleep: t.b % 20 }];
    /* A fork burst after a pageout: counts past SWP_TB_COUNT_MAX. */
    case 10: return [{ op: 'reclaim', mm: own, page: 0, nr: s.mmPages }, { op: 'fork', mm: own, as: `b${cpu}_${t.c % 1000}`, times: 8 + (t.a % 9) }];
    /* Two threads on one page: a fault and a zero-page write, then a pageout of it. */
    case 11: return [{ op: 'write', mm: other, page, nr: 1, order: 0, zero: true }, { op: 'reclaim', mm: other, page, nr: 1 }];
    /* swapoff of a device while its pages are faulted back elsewhere. */
    case 12: return [{ op: 'swapoff', device: dev }, { op: 'touch', mm: other, page, nr: 1, order: 0 }, { op: 'swapon', device: dev }];
    /* Swap out under one cgroup, move, swap out the next pages under another: neighbouring slots of different memcgs. */
    case 13: {
      if (s.memcgs === 0) return [{ op: 'reclaim', mm: own, page: 0, nr: s.mmPages }];
      const half = Math.min(8, s.mmPages - base);
      return [
        { op: 'write', mm: own, page: base, nr: half, order: 0, zero: false }, { op: 'reclaim', mm: own, page: base, nr: half },
        { op: 'move', mm: own, memcg: `m${t.a % s.memcgs}` },
        { op: 'write', mm: own, page: (base + half) % s.mmPages, nr: 1, order: 0, zero: false }, { op: 'reclaim', mm: own, page: (base + half) % s.mmPages, nr: 1 },
        { op: 'move', mm: own, memcg: `own${cpu}` },
      ];
    }
    /* madvise(MADV_DONTNEED) by a thread of a process others fault in: the swap entries go under their lockless lookups. */
    case 14: return t.c % 2 === 0 ? [{ op: 'dontneed', mm: other, page: 0, nr: s.mmPages }] : [{ op: 'dontneed', mm: other, page: base, nr: Math.min(s.mmPages - base, 1 + (t.c % 32)) }];
    default: return [{ op: 'write', mm: own, page, nr: 1, order: 0, zero: false }];
  }
}

/* The kinds of scripted operation script_op() draws from. */
const OPS = 16;

/* A filled ghost: four clusters, the header's and three that come and go. */
const GHOST_FILL_PAGES = 2048;
const GHOST_FILL_ORDER0_SLOTS = 2 * 512;
const GHOST_FILL_CHUNK = 64;

/*
 * A filled ghost (half the tight cases under the ghost design): one ghost
 * device of GHOST_FILL_PAGES, past vm_swap_full() once set up, so allocations
 * reclaim the cache-only slots they meet.  p0 swaps out one large folio
 * (order 1-4: a ghost cluster of that order, its own) and reads it back,
 * which leaves its slots cache-only; the other processes are order 0,
 * and filler processes swap out order-0 pages until the order-0 clusters
 * are exactly full.  An order-0 swap-out then finds no order-0 room and
 * steals from p0's cluster, whose first slots it must reclaim - with the
 * cluster's lock dropped, while the cluster may empty and die under it
 * (seed 001 patch 15).  Returns the shape with the orders it used and the
 * setup's fill operations.
 */
function ghost_fill(s: Shape): { shape: Shape; fill: ScenarioOp[]; mms: number } {
  const orders = s.orders.map((o, c) => (c === 0 ? 1 + (o % 4) : 0));
  const fill: ScenarioOp[] = [];
  let left = GHOST_FILL_ORDER0_SLOTS - (s.cpus - 1) * (s.mmPages / 4);
  let mms = 0;
  /* In chunks a small machine holds besides the processes' resident halves. */
  for (; left > 0; mms++) {
    fill.push({ op: 'mm', as: `fill${mms}` });
    for (let page = 0; page < s.mmPages && left > 0; page += GHOST_FILL_CHUNK) {
      const nr = Math.min(GHOST_FILL_CHUNK, left);
      fill.push({ op: 'write', mm: `fill${mms}`, page, nr, order: 0, zero: false }, { op: 'reclaim', mm: `fill${mms}`, page, nr });
      left -= nr;
    }
  }
  return { shape: { ...s, orders }, fill, mms };
}

/* CPUs a scenario has at most (src/scenario/fields.ts). */
const MAX_CPUS = 8;

/** The most CPUs a case drawn under @l has: its scripted CPUs and the kworker (see scenario_of). */
export function fuzz_widest_case(l: FuzzLimits): number {
  return Math.min(l.maxCpus + 1, MAX_CPUS);
}

/*
 * The kworker's CPU: the system workqueue running the work the others
 * schedule - discards of freed clusters, zswap's writeback of stored
 * pages to their devices - while they fault, reclaim and swap off.
 */
function kworker_cpu(k: Shape['kworker']): { ops: ScenarioOp[]; filler: number } {
  const ops: ScenarioOp[] = [];
  for (let r = 0; r < k.rounds; r++) ops.push({ op: 'discard' }, { op: 'writeback', nr: k.nr });
  return { ops, filler: 0 };
}

/*
 * RAM for the setup: each CPU's process writes half its pages before half
 * of those are reclaimed, and when the devices take little or nothing (a
 * 60-page zram, or full) they all stay resident.  A write in folios
 * larger than that half takes a whole folio: a PMD-size case's CPU 0
 * writes 256 pages of a 512-page process in one 512-page folio.  The
 * drawn size when it holds them, else the next power of two that does:
 * up to four CPUs every draw holds them (4 x 256 / 2 = 512 frames; a
 * PMD-size case 5 x 256 on at least 2048); five to eight CPUs of 256
 * pages on 512 frames failed their setup with ENOMEM (fuzz --max-cpus 8:
 * 7 of 1,034 runs), which tested nothing, and so did eight CPUs of a
 * PMD-size case on 2048 (fuzz --max-cpus 8 --seed 505: runs 5, 365, 2767).
 */
function setup_frames(s: Shape): number {
  const half = s.mmPages / 2;
  const resident = s.orders.reduce((sum, o) => sum + Math.max(half, Math.min(1 << o, s.mmPages)), 0);
  let frames = s.frames;
  while (frames < resident) frames *= 2;
  return frames;
}

/* The scenario of a drawn shape: setup, then per CPU its filler and script; the CPU's last act may kill its cgroup or exit. */
function scenario_of(drawn: Shape, tail: number[]): Scenario {
  const ghost = drawn.design === 'ghost';
  /* Half the tight ghosts are filled, half small (a last cluster cut short: the scan borders). */
  const filled = ghost && drawn.tight && drawn.devices[0].pages % 2 === 0 ? ghost_fill(drawn) : null;
  const s = filled?.shape ?? drawn;
  const sized = s.devices.map((d) => {
    const pages = s.tight ? 520 + (d.pages % 600) : d.pages;
    const bad = bad_pages(d.bad, pages);
    return { kind: d.kind, pages, ...(bad.length > 0 ? { badPages: bad } : {}), ...(d.kind === 'ssd' && d.discard ? { discard: true } : {}) };
  });
  /* A ghost's first cluster holds the header and is never allocated from: the drawn size is what its other clusters get. */
  const devices = filled ? [{ kind: 'ghost' as const, pages: GHOST_FILL_PAGES }] : sized.map((d, i) => (ghost && i === 0 ? { kind: 'ghost' as const, pages: d.pages + (d.pages <= SWAPFILE_CLUSTER ? SWAPFILE_CLUSTER : 0) } : d));
  const zswap = s.zswap || ghost;
  const setup: ScenarioOp[] = [];
  for (let m = 0; m < s.memcgs; m++) setup.push({ op: 'memcg', as: `m${m}` });
  /* Each CPU's process lives in a cgroup of its own when there are any (so it alone can empty and kill it). */
  for (let c = 0; c < s.cpus; c++) {
    if (s.memcgs > 0) setup.push({ op: 'memcg', as: `own${c}`, parent: `m${c % s.memcgs}` });
    setup.push({ op: 'mm', as: `p${c}`, memcg: s.memcgs > 0 ? `own${c}` : undefined });
    const half = s.mmPages / 2;
    setup.push({ op: 'write', mm: `p${c}`, page: 0, nr: half, order: s.orders[c], zero: false });
    if (filled && c === 0) {
      /* One folio out and read back: cache-only slots, before the device is half full (a fault then would free them). */
      setup.push({ op: 'reclaim', mm: 'p0', page: 0, nr: 1 << s.orders[0] }, { op: 'touch', mm: 'p0', page: 0, nr: 1, order: s.orders[0] });
    } else {
      setup.push({ op: 'reclaim', mm: `p${c}`, page: 0, nr: half / 2 });
    }
  }
  if (filled) setup.push(...filled.fill);
  const cpus = s.scripts.map((script, c) => {
    const ops = script.flatMap((t) => script_op(t, c, s, devices.length));
    /* The end: cgroup death after moving the process out, or the process's exit, or nothing. */
    if (tail[c] === 1 && s.memcgs > 0) ops.push({ op: 'move', mm: `p${c}`, memcg: `m${c % s.memcgs}` }, { op: 'offline', memcg: `own${c}` });
    return { ops, filler: s.fillers[c] };
  });
  /* Exits last, each by its own CPU, once nobody else will touch the process: only processes no other script names. */
  cpus.forEach((cpu, c) => {
    const named = cpus.some((o, k) => k !== c && o.ops.some((op) => 'mm' in op && op.mm === `p${c}`));
    if (tail[c] === 2 && !named) cpu.ops.push({ op: 'exit', mm: `p${c}` });
  });
  /* The kworker, when there is work for it (and a CPU left for it). */
  if ((zswap || devices.some((d) => 'discard' in d)) && cpus.length < MAX_CPUS) cpus.push(kworker_cpu(s.kworker));
  return {
    race: 'fuzz',
    title: 'a generated execution',
    seed: 'fuzz',
    functions: ['(generated)'],
    bug: 'fuzz',
    invariant: 'data',
    designs: [s.design],
    story: 'A configuration drawn by the fuzzing campaign; any violated invariant is a finding.',
    system: { devices, zswap, frames: setup_frames(s), mmPages: s.mmPages, mms: 4 * s.cpus + 8 + (filled?.mms ?? 0), slabMinPartial: s.slabMinPartial },
    setup,
    cpus,
    depth: s.sched.kind === 'pct' ? s.sched.depth : 3,
    maxSchedules: 1,
  };
}

/** The run seed of run @index of a campaign seeded @seed (splitmix-like: well spread, same everywhere). */
export function run_seed(seed: number, index: number): number {
  let z = (seed + Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

const TAIL_ARB = (cpus: number): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 0, max: 2 }), { minLength: cpus, maxLength: cpus });

/*
 * One case in six is a PMD-size THP case: CPU 0's process is 512 pages,
 * written as one PMD-size folio, on a machine of at least 2048 frames.
 * Drawn from a stream of its own, so that the rest of a case is what the
 * same run index drew before PMD-size folios existed.
 */
const PMD_CASE_ARB = fc.integer({ min: 0, max: 5 }).map((x) => x === 0);

function with_pmd_thp(s: Shape): Shape {
  return { ...s, mmPages: 1 << PMD_ORDER, frames: Math.max(s.frames, 2048), orders: s.orders.map((o, c) => (c === 0 ? PMD_ORDER : o)) };
}

/** Fresh case @index of the campaign seeded @seed. */
export function fresh_case(seed: number, index: number, l: FuzzLimits, bug: string | null): FuzzCase {
  const rs = run_seed(seed, index);
  const [shape] = fc.sample(shapeArb(l), { seed: rs | 0, numRuns: 1 });
  const [tail] = fc.sample(TAIL_ARB(shape.cpus), { seed: (rs ^ 0x5bd1e995) | 0, numRuns: 1 });
  const [pmd] = fc.sample(PMD_CASE_ARB, { seed: (rs ^ 0x27d4eb2f) | 0, numRuns: 1 });
  /*
   * PCT of depth 1 (no change point) only runs the CPUs one after the
   * other by priority, which any other draw covers too: give it one
   * change point at an early arrival at a race window instead.
   */
  const sched: FuzzSched = shape.sched.kind === 'pct' && shape.sched.depth === 1
    ? { kind: 'pct', depth: 2, at: [{ window: rs >>> 8, nth: 1 + ((rs >>> 4) % 4) }] }
    : shape.sched;
  return { index, seed: rs, design: shape.design, sched, bug, scenario: scenario_of({ ...(pmd ? with_pmd_thp(shape) : shape), sched }, tail), parent: null };
}

/**
 * Mutate @parent (a corpus entry that reached new pairs) into case @index:
 * same configuration, another scheduler seed, and now and then another
 * depth, another arrival at one of its race windows, or a longer filler -
 * new schedules around an input known to reach rare interleavings.
 */
export function mutate_case(parent: FuzzCase, parentId: number, seed: number, index: number): FuzzCase {
  const rs = run_seed(seed, index);
  const p = parent.sched;
  let sched = p;
  if (p.kind === 'pct' && rs % 3 === 0) {
    const depth = 1 + ((rs >>> 2) % 4);
    sched = { kind: 'pct', depth, at: Array.from({ length: depth - 1 }, (_, i) => p.at?.[i] ?? null) };
  } else if (p.kind === 'pct' && rs % 3 === 1 && p.at !== undefined && p.at.some((a) => a !== null)) {
    const k = (rs >>> 2) % p.at.length;
    sched = { ...p, at: p.at.map((a, i) => (a !== null && i === k ? { window: a.window, nth: 1 + ((rs >>> 8) % 16) } : a)) };
  }
  const grow = rs % 5 === 0;
  const scenario: Scenario = {
    ...parent.scenario,
    depth: sched.kind === 'pct' ? sched.depth : parent.scenario.depth,
    cpus: parent.scenario.cpus.map((c) => ({ ...c, filler: grow ? Math.min(1000, c.filler + 8) : c.filler })),
  };
  return { ...parent, index, seed: rs, sched, scenario, parent: parentId };
}
