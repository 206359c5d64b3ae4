/*
 * The programmatic API (System, src/system.ts) at its boundary: a bad
 * argument gets the kernel's errno and changes nothing - no write into a
 * neighbour's page table past mmPages, no success on a process that does
 * not exist, no half-created device - and /proc/swaps reads like the
 * kernel's swap_show().  Unit tests, then a fast-check fuzz of random call
 * sequences with random, often invalid, arguments (the seed is printed;
 * FC_SEED=<seed> replays).
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { System, type SystemConfig } from '../src/api/system.js';
import { EBUSY, EEXIST, EFAULT, EINVAL, ENAMETOOLONG, ENOENT, ENOMEM, EPERM, ESRCH, errname } from '../src/include/errno.js';
import { DESIGN_NAMES, type DesignName } from '../src/mm/swap_design.js';
import { expected_token, mm_live, ptep_get } from '../src/mm/pgtable.js';
import { MAX_FOLIO_ORDER } from '../src/shm/layout.js';
import { kmem_cache_stats, swap_table_cachep } from '../src/kmem/slab.js';

const MM_PAGES = 64;
const NR_MMS = 4;
const CFG: SystemConfig = {
  nrCpus: 2, nrTasks: 2, nrFrames: 512, nrPages: 64, nrMms: NR_MMS, mmPages: MM_PAGES, maxSwapPages: 2048, nrMemcgs: 8, nrFiles: 8,
  reportSlots: 64, schedSteps: 1024, traceEvents: 16, rcuCallbacks: 256,
};

function boot(cfg: SystemConfig = {}): System {
  return System.create({ ...CFG, ...cfg });
}

/** Every PTE and last-written token of process @mm. */
function pageTable(sys: System, mm: number): { ptes: number[]; tokens: bigint[] } {
  return sys.as(0, () => ({
    ptes: Array.from({ length: MM_PAGES }, (_, i) => ptep_get(mm, i)),
    tokens: Array.from({ length: MM_PAGES }, (_, i) => expected_token(mm, i)),
  })) as { ptes: number[]; tokens: bigint[] };
}

function clean(sys: System): void {
  expect(sys.check()).toEqual([]);
  expect(sys.reports()).toEqual([]);
}

/* The /proc/swaps header, as swap_show() prints it for SEQ_START_TOKEN. */
const HEADER = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n';

describe('System: a page index outside the mapping', () => {
  it('is -EFAULT (touch, write) or -ENOMEM (reclaim, as madvise) and leaves the neighbour process alone', () => {
    const sys = boot();
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024 })).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    const a = sys.mmCreate();
    const b = sys.mmCreate();
    expect(b).toBe(a + 1); /* b's page table follows a's in the arena */
    for (let i = 0; i < 8; i++) expect(sys.write(b, i, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(b, 4, 4)).toBe(4);
    const before = pageTable(sys, b);

    expect(sys.write(a, MM_PAGES)).toBe(-EFAULT); /* would be b's page 0 */
    expect(sys.write(a, MM_PAGES + 5, { zero: true })).toBe(-EFAULT);
    expect(sys.touch(a, MM_PAGES + 6)).toBe(-EFAULT);
    expect(sys.touch(b, 2 ** 31)).toBe(-EFAULT);
    expect(sys.reclaim(a, MM_PAGES - 2, 4)).toBe(-ENOMEM); /* would swap out b's pages 0 and 1 */
    expect(sys.reclaim(a, 0, MM_PAGES + 3)).toBe(-ENOMEM);
    expect(sys.reclaim(a, MM_PAGES, 0)).toBe(0); /* an empty range is a no-op, as madvise(len 0) */

    expect(pageTable(sys, b)).toEqual(before);
    for (let i = 0; i < 8; i++) expect(sys.touch(b, i)).toBe(0);
    clean(sys);
  });

  it('negative, fractional, NaN and out-of-range numbers are -EINVAL and change nothing', () => {
    const sys = boot();
    const a = sys.mmCreate();
    expect(sys.write(a, 3, { maxOrder: 0 })).toBe(0);
    const before = pageTable(sys, a);
    expect(sys.write(a, -1)).toBe(-EINVAL);
    expect(sys.write(a, 1.5)).toBe(-EINVAL);
    expect(sys.touch(a, NaN)).toBe(-EINVAL);
    expect(sys.touch(a, Infinity)).toBe(-EINVAL);
    expect(sys.touch(a, 3, MAX_FOLIO_ORDER + 1)).toBe(-EINVAL); /* above MAX_FOLIO_ORDER (PMD_ORDER) */
    expect(sys.write(a, 4, { maxOrder: -1 })).toBe(-EINVAL);
    expect(sys.write(a, 4, { zero: 1 as unknown as boolean })).toBe(-EINVAL);
    expect(sys.write(a, 4, null as unknown as object)).toBe(-EINVAL);
    expect(sys.reclaim(a, 0, -1)).toBe(-EINVAL);
    expect(sys.reclaim(a, -4, 8)).toBe(-EINVAL);
    expect(sys.reclaim(a, 0.5, 1)).toBe(-EINVAL);
    expect(sys.setFailslab(101, 0)).toBe(-EINVAL);
    expect(sys.setFailslab(0, -1)).toBe(-EINVAL);
    expect(sys.setFailslab(NaN, 0)).toBe(-EINVAL);
    expect(sys.setFailslab(0, 0)).toBe(0);
    expect(pageTable(sys, a)).toEqual(before);
    clean(sys);
  });
});

describe('System: a process that does not exist', () => {
  it('is -ESRCH for every call naming it; exit twice is -ESRCH the second time', () => {
    const sys = boot();
    const a = sys.mmCreate();
    const gone = sys.mmCreate();
    expect(sys.exit(gone)).toBe(0);
    for (const mm of [gone, NR_MMS, NR_MMS + 7, -1]) {
      expect(errname(sys.touch(mm, 0))).toBe('ESRCH');
      expect(sys.write(mm, 0)).toBe(-ESRCH);
      expect(sys.reclaim(mm, 0, 1)).toBe(-ESRCH);
      expect(sys.fork(mm)).toBe(-ESRCH);
      expect(sys.exit(mm)).toBe(-ESRCH);
      expect(sys.mmMove(mm, 1)).toBe(-ESRCH);
    }
    for (const mm of [0.5, NaN, '0' as unknown as number]) {
      expect(sys.touch(mm, 0)).toBe(-EINVAL);
      expect(sys.exit(mm)).toBe(-EINVAL);
    }
    /* Nothing came to life: the only live process is a, and the freed id is the next one handed out. */
    sys.as(0, () => {
      for (let m = 0; m < NR_MMS; m++) expect(mm_live(m)).toBe(m === a);
    });
    expect(sys.mmCreate()).toBe(gone);
    clean(sys);
  });

  it('as() refuses a task the arena does not have and does not run the function', () => {
    const sys = boot();
    let ran = false;
    expect(sys.as(2, () => (ran = true))).toBe(-ESRCH);
    expect(sys.as(-1, () => (ran = true))).toBe(-ESRCH);
    expect(sys.as(0.5, () => (ran = true))).toBe(-EINVAL);
    expect(ran).toBe(false);
    expect(sys.as(1, () => 7)).toBe(7);
  });
});

describe('System: memcg ids', () => {
  it('a memcg that is not online is -EINVAL; removing a populated one is -EBUSY', () => {
    const sys = boot();
    const parent = sys.memcgCreate();
    const child = sys.memcgCreate(parent);
    expect(child).toBeGreaterThan(parent);
    const mm = sys.mmCreate(child);
    expect(sys.memcgOffline(parent)).toBe(-EBUSY); /* css_has_online_children() */
    expect(sys.memcgOffline(child)).toBe(-EBUSY); /* cgroup_is_populated() */
    expect(sys.mmMove(mm, parent)).toBe(0);
    expect(sys.memcgOffline(child)).toBe(0);
    expect(sys.memcgOffline(child)).toBe(-EINVAL);
    for (const bad of [child, 0, 99, -1, 1.5, NaN]) {
      expect(sys.mmCreate(bad)).toBe(-EINVAL);
      expect(sys.mmMove(mm, bad)).toBe(-EINVAL);
      expect(sys.memcgCreate(bad)).toBe(-EINVAL);
    }
    expect(sys.memcgOffline(1)).toBe(-EINVAL); /* the root */
    clean(sys);
  });
});

describe('System: swap devices and paths', () => {
  it('bad paths, flags and priorities are refused before anything is switched on', () => {
    const sys = boot();
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024 })).toBe(0);
    expect(sys.swapon(42 as unknown as string)).toBe(-EFAULT);
    expect(sys.swapon('')).toBe(-ENOENT);
    expect(sys.swapon('/'.repeat(4096))).toBe(-ENAMETOOLONG);
    expect(sys.swapon('/dev/vdb', { flags: 1.5 })).toBe(-EINVAL);
    expect(sys.swapon('/dev/vdb', { flags: 2 ** 32 })).toBe(-EINVAL); /* not an int: would truncate to 0 */
    expect(sys.swapon('/dev/vdb', { flags: -1 })).toBe(-EINVAL);
    expect(sys.swapon('/dev/vdb', { prio: 0x8000 })).toBe(-EINVAL); /* would be masked to 0 */
    expect(sys.swapon('/dev/vdb', { prio: -1 })).toBe(-EINVAL);
    expect(sys.swapon('/dev/vdb', { discard: 'yes' as unknown as boolean })).toBe(-EINVAL);
    expect(sys.swapon('/dev/vdb', { capable: false })).toBe(-EPERM);
    expect(sys.procSwaps()).toBe(HEADER);
    expect(sys.swapoff('/dev/vdb')).toBe(-EINVAL);
    expect(sys.swapoff(undefined as unknown as string)).toBe(-EFAULT);
    expect(sys.swapon('/dev/vdb', { prio: 7 })).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(-EBUSY);
    expect(sys.swapoff('/dev/vdb', { capable: 0 as unknown as boolean })).toBe(-EINVAL);
    expect(sys.swapoff('/dev/vdb')).toBe(0);
    expect(sys.swapoff('/dev/vdb')).toBe(-EINVAL);
    clean(sys);
  });

  it('createSwapDevice with a bad size or bad page list is -EINVAL and leaves no file behind', () => {
    const sys = boot({ design: 'ghost', zswap: true });
    for (const sizePages of [0, -1, 1.5, NaN, 2 ** 32 + 1]) {
      expect(sys.createSwapDevice('/dev/vdb', { sizePages })).toBe(-EINVAL);
      expect(sys.createSwapDevice('/ghostfile', { kind: 'ghost', sizePages })).toBe(-EINVAL);
    }
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024, badPages: [1.5] })).toBe(-EINVAL);
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024, badPages: [-3] })).toBe(-EINVAL);
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024, kind: 'tape' as 'blk' })).toBe(-EINVAL);
    expect(sys.createSwapDevice('/dev/vdb', undefined as unknown as { sizePages: number })).toBe(-EINVAL);
    expect(sys.createSwapDevice(7 as unknown as string, { sizePages: 1024 })).toBe(-EFAULT);
    /* Nothing was created: the names are free, and swapon finds no file. */
    expect(sys.swapon('/ghostfile')).toBe(-ENOENT);
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024 })).toBe(0);
    expect(sys.createSwapDevice('/ghostfile', { kind: 'ghost', sizePages: 4096 })).toBe(0);
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024 })).toBe(-EEXIST);
    expect(sys.swapon('/ghostfile')).toBe(0);
    clean(sys);
  });

  /*
   * setup_clusters() gives each cluster holding a bad slot (the header's,
   * the bad pages, the tail past the last page) its swap table, one
   * kmem_cache_zalloc() each: an allocation failing after the first leaves
   * tables that the error path must free (free_swap_cluster_info()).
   * failslab fails half the sleeping allocations; the seeds are tried in
   * order until one fails a swapon after at least one table was allocated
   * (the table cache then holds a page: it started with none).
   */
  it.each(['p4', 'p3', 'p2', 'ghost'] as const)('%s: a swapon that runs out of memory after some clusters got their tables is -ENOMEM and leaves nothing behind', (design) => {
    const SIZE = 4 * 512 - 100;
    let hit = 0;
    for (let seed = 1; seed <= 32 && hit === 0; seed++) {
      const sys = boot({ design, seed, maxSwapPages: 4 * 512 });
      expect(sys.createSwapDevice('/dev/vdb', { sizePages: SIZE, badPages: [512 + 7, 1024 + 9] })).toBe(0);
      expect(sys.setFailslab(0, 50)).toBe(0);
      const r = sys.swapon('/dev/vdb');
      expect(sys.setFailslab(0, 0)).toBe(0);
      const tables = sys.as(0, () => kmem_cache_stats(swap_table_cachep)) as ReturnType<typeof kmem_cache_stats>;
      if (r === 0) {
        expect(sys.swapoff('/dev/vdb')).toBe(0);
      }
      /* kmemleak (sys.check()) sees a table left behind. */
      clean(sys);
      if (r !== 0) {
        expect(r).toBe(-ENOMEM);
        if (tables.nr_pages > 0) hit = seed;
        /* Nothing left: no table allocated, no device slot, the file unclaimed. */
        expect(tables.nr_inuse, `seed ${seed}`).toBe(0);
        expect(sys.procSwaps()).toBe(HEADER);
        expect(sys.swapon('/dev/vdb')).toBe(0);
        expect(sys.swapoff('/dev/vdb')).toBe(0);
        clean(sys);
      }
    }
    console.log(`${design}: the first seed whose swapon failed after allocating a table: ${hit}`);
    expect(hit, 'no seed up to 32 failed a swapon after a table was allocated').toBeGreaterThan(0);
  });
});

describe('System: /proc/swaps', () => {
  it('prints swap_show()\'s header and lines: path padded to 40, type, Size and Used in KiB, Priority', () => {
    const sys = boot();
    expect(sys.procSwaps()).toBe(HEADER);
    expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024, badPages: [9] })).toBe(0);
    expect(sys.createSwapDevice('/swap file', { kind: 'reg', sizePages: 2048 })).toBe(0);
    const long = `/${'l'.repeat(45)}`;
    expect(sys.createSwapDevice(long, { kind: 'reg', sizePages: 512 })).toBe(0);
    expect(sys.swapon('/dev/vdb')).toBe(0);
    expect(sys.swapon('/swap file', { prio: 5 })).toBe(0);
    expect(sys.swapon(long, { prio: 3 })).toBe(0);
    const mm = sys.mmCreate();
    expect(sys.write(mm, 5, { maxOrder: 0 })).toBe(0);
    expect(sys.reclaim(mm, 5, 1)).toBe(1); /* one page, to the highest priority: '/swap file' */
    expect(sys.procSwaps()).toBe(
      HEADER +
        `/dev/vdb${' '.repeat(32)}partition\t4088\t\t0\t\t-1\n` + /* 1024 - header - 1 bad = 1022 pages */
        `/swap\\040file${' '.repeat(27)}file\t\t8188\t\t4\t\t5\n` + /* the space escaped, as seq_file_path() */
        `${long} file\t\t2044\t\t0\t\t3\n`, /* 46 bytes: one space */
    );
    expect(sys.swapoff('/swap file')).toBe(0);
    expect(sys.procSwaps()).toBe(HEADER + `/dev/vdb${' '.repeat(32)}partition\t4088\t\t0\t\t-1\n` + `${long} file\t\t2044\t\t0\t\t3\n`);
    clean(sys);
  });

  it('a ghost device is listed with type ghost (seed 001 swap_type_str())', () => {
    const sys = boot({ design: 'ghost', zswap: true });
    expect(sys.createSwapDevice('/ghostfile', { kind: 'ghost', sizePages: 1024 })).toBe(0);
    expect(sys.swapon('/ghostfile')).toBe(0);
    expect(sys.procSwaps()).toBe(HEADER + `/ghostfile${' '.repeat(30)}ghost\t\t2048\t\t0\t\t-1\n`); /* 1024 slots - the header's cluster, which the allocator never uses */
  });
});

describe('System: several systems in one thread', () => {
  it('each call runs on its own system\'s arena, whichever was created last', () => {
    const one = boot();
    expect(one.createSwapDevice('/dev/vdb', { sizePages: 1024 })).toBe(0);
    expect(one.swapon('/dev/vdb')).toBe(0);
    const mm = one.mmCreate();
    expect(one.write(mm, 1, { maxOrder: 0 })).toBe(0);
    const two = boot({ design: 'p3' });
    expect(two.procSwaps()).toBe(HEADER);
    expect(one.reclaim(mm, 1, 1)).toBe(1);
    expect(one.procSwaps()).toMatch(/^Filename.*\n\/dev\/vdb +partition\t4092\t\t4\t\t-1\n$/);
    expect(two.touch(mm, 1)).toBe(-ESRCH);
    expect(one.touch(mm, 1)).toBe(0);
    expect(() => boot({ nrMms: 0 })).toThrow(/nrMms must be a positive integer/);
    expect(() => boot({ bugs: ['no-such-bug'] })).toThrow(/unknown bug switch/);
    expect(one.swapoff('/dev/vdb')).toBe(0);
    clean(one);
    clean(two);
  });
});

describe('System.create and System.attach', () => {
  it('throw on a bad configuration or task, naming it, before any arena is touched', () => {
    const sys = boot();
    const mm = sys.mmCreate();
    expect(() => boot({ nrCpus: 1.5 })).toThrow(/System.create: nrCpus must be a positive integer, got 1.5/);
    expect(() => boot({ mmPages: -64 })).toThrow(/mmPages must be a positive integer/);
    expect(() => System.create({ nrFrame: 64 } as unknown as SystemConfig)).toThrow(/unknown field 'nrFrame'/);
    expect(() => boot({ design: 'p5' as DesignName })).toThrow(/unknown design 'p5'/);
    expect(() => boot({ seed: NaN })).toThrow(/seed must be an integer/);
    expect(() => System.attach(sys.handle, 2)).toThrow(/System.attach: no task 2 \(the arena has tasks 0..1\)/);
    /* An undefined field keeps its default. */
    expect(System.create({ ...CFG, nrMms: undefined }).handle.config.nrMms).toBe(32);
    expect(sys.touch(mm, 0)).toBe(0);
    clean(sys);
  });
});

/* ---- the fuzz ---- */

type Op =
  | { op: 'create'; path: unknown; o: unknown }
  | { op: 'swapon'; path: unknown; o: unknown }
  | { op: 'swapoff'; path: unknown; o: unknown }
  | { op: 'mmCreate'; memcg: unknown }
  | { op: 'fork' | 'exit'; mm: unknown }
  | { op: 'mmMove'; mm: unknown; memcg: unknown }
  | { op: 'memcgCreate' | 'memcgOffline'; memcg: unknown }
  | { op: 'touch'; mm: unknown; index: unknown; order: unknown }
  | { op: 'write'; mm: unknown; index: unknown; o: unknown }
  | { op: 'reclaim'; mm: unknown; index: unknown; nr: unknown }
  | { op: 'failslab'; a: unknown; s: unknown }
  | { op: 'as'; t: unknown }
  | { op: 'procSwaps' };

const weird = fc.constantFrom<unknown>(NaN, Infinity, -Infinity, 0.5, -1.5, 2 ** 31, 2 ** 32, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER + 2, '1', null, undefined, {}, []);
const num = (min: number, max: number) => fc.oneof({ weight: 4, arbitrary: fc.integer({ min, max }) }, { weight: 1, arbitrary: weird });
const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>('/dev/a', '/dev/b', '/swapfile') },
  { weight: 2, arbitrary: fc.constantFrom<unknown>('/ghost', '/dev/ghostswap', '/nope', '', 'x'.repeat(4100)) },
  { weight: 1, arbitrary: weird },
);
const opts = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.oneof({ weight: 6, arbitrary: fc.record(fields, { requiredKeys: [] }) }, { weight: 1, arbitrary: weird });
/* Mostly ids and pages that exist (the first processes and memcgs), so that the valid calls swap for real. */
const mmId = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 1 }) }, { weight: 1, arbitrary: num(-1, NR_MMS + 1) });
const memcgId = fc.oneof({ weight: 2, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: num(-1, 9) });
const index = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: MM_PAGES - 1 }) }, { weight: 1, arbitrary: num(-2, MM_PAGES + 20) });
const bool = fc.oneof({ weight: 6, arbitrary: fc.boolean() }, { weight: 1, arbitrary: weird });
const capable = fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: weird });
const swapFlags = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>(undefined, 0, 0x10000, 0x8005) },
  { weight: 1, arbitrary: num(-1, 0x80000) },
);
const order = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: MAX_FOLIO_ORDER }) }, { weight: 1, arbitrary: num(-1, MAX_FOLIO_ORDER + 1) });
const nrPages = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 16 }) }, { weight: 1, arbitrary: num(-2, MM_PAGES + 4) });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('create' as const),
    path,
    o: opts({
      sizePages: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 16, max: 2100 }) }, { weight: 1, arbitrary: num(-2, 2100) }),
      kind: fc.oneof({ weight: 4, arbitrary: fc.constantFrom<unknown>('blk', 'reg', undefined) }, { weight: 1, arbitrary: fc.constantFrom<unknown>('chr', 'ghost', 'tape') }),
      rotational: bool,
      badPages: fc.array(num(-1, 2100), { maxLength: 3 }),
    }),
  }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('swapon' as const), path, o: opts({ prio: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 20 }) }, { weight: 1, arbitrary: num(-2, 0x8001) }), flags: swapFlags, discard: bool, capable }) }) },
  fc.record({ op: fc.constant('swapoff' as const), path, o: opts({ capable }) }),
  fc.record({ op: fc.constant('mmCreate' as const), memcg: memcgId }),
  fc.record({ op: fc.constantFrom('fork' as const, 'exit' as const), mm: mmId }),
  fc.record({ op: fc.constant('mmMove' as const), mm: mmId, memcg: memcgId }),
  fc.record({ op: fc.constantFrom('memcgCreate' as const, 'memcgOffline' as const), memcg: memcgId }),
  fc.record({ op: fc.constant('touch' as const), mm: mmId, index, order: fc.option(order, { nil: undefined }) }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('write' as const), mm: mmId, index, o: opts({ zero: bool, maxOrder: order }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('reclaim' as const), mm: mmId, index, nr: nrPages }) },
  fc.record({ op: fc.constant('failslab' as const), a: num(-1, 101), s: num(-1, 101) }),
  fc.record({ op: fc.constant('as' as const), t: num(-1, 3) }),
  fc.record({ op: fc.constant('procSwaps' as const) }),
);

/* A page content oracle kept outside the model: the last token of every page of every live process. */
type Shadow = Map<number, bigint[]>;

const LINE = /^(\S+) +(partition|file\t|ghost\t)\t(\d+)\t\t?(\d+)\t\t?(-?\d+)$/;

function isErrno(r: unknown): boolean {
  return typeof r === 'number' && Number.isInteger(r) && r < 0 && r >= -4095;
}

/* Run @op on @sys; returns what the call returned.  Keeps @shadow and the set of active devices. */
function run(sys: System, op: Op, shadow: Shadow, active: Set<string>): unknown {
  const any = sys as unknown as Record<string, (...a: unknown[]) => unknown>;
  switch (op.op) {
    case 'create':
      return any.createSwapDevice(op.path, op.o);
    case 'swapon': {
      const r = any.swapon(op.path, op.o);
      if (r === 0) active.add(op.path as string);
      return r;
    }
    case 'swapoff': {
      const r = any.swapoff(op.path, op.o);
      if (r === 0) active.delete(op.path as string);
      return r;
    }
    case 'mmCreate': {
      const r = any.mmCreate(op.memcg) as number;
      if (r >= 0) shadow.set(r, new Array<bigint>(MM_PAGES).fill(0n));
      return r;
    }
    case 'fork': {
      const r = any.fork(op.mm) as number;
      if (r >= 0) shadow.set(r, [...shadow.get(op.mm as number)!]);
      return r;
    }
    case 'exit': {
      const r = any.exit(op.mm);
      if (r === 0) shadow.delete(op.mm as number);
      return r;
    }
    case 'mmMove':
      return any.mmMove(op.mm, op.memcg);
    case 'memcgCreate':
      return any.memcgCreate(op.memcg);
    case 'memcgOffline':
      return any.memcgOffline(op.memcg);
    case 'touch':
      return any.touch(op.mm, op.index, op.order);
    case 'write': {
      const r = any.write(op.mm, op.index, op.o);
      /* The one page a write that was not refused addresses may change; nothing else. */
      const s = shadow.get(op.mm as number);
      if (s !== undefined && (r === 0 || r === -ENOMEM) && Number.isInteger(op.index) && (op.index as number) >= 0 && (op.index as number) < MM_PAGES) {
        s[op.index as number] = expected_token(op.mm as number, op.index as number);
      }
      return r;
    }
    case 'reclaim':
      return any.reclaim(op.mm, op.index, op.nr);
    case 'failslab':
      return any.setFailslab(op.a, op.s);
    case 'as':
      return any.as(op.t, () => 0);
    case 'procSwaps':
      return any.procSwaps();
  }
}

describe('property: random API call sequences', () => {
  const seed = Number(process.env.FC_SEED ?? (Date.now() ^ (process.pid << 8)) | 0);

  it('every call returns a result or an errno, no exception escapes, pages keep their content, the system checks clean', () => {
    console.log(`api property seed: ${seed} (rerun with FC_SEED=${seed})`);
    const rss0 = process.memoryUsage().rss;
    let calls = 0;
    let errnos = 0;
    let swappedOut = 0;
    const stats: Record<string, { ok: number; err: Record<string, number> }> = {};
    fc.assert(
      fc.property(fc.constantFrom<DesignName>(...DESIGN_NAMES), fc.array(opArb, { minLength: 20, maxLength: 100 }), (design, ops) => {
        const sys = boot({ design, zswap: design === 'ghost', seed: 5 });
        const shadow: Shadow = new Map();
        const active = new Set<string>();
        /* A device on, a memcg and two processes (ids 0 and 1), then the random calls. */
        const start: Op[] = [
          { op: 'create', path: '/dev/a', o: { sizePages: 1024 } },
          { op: 'swapon', path: '/dev/a', o: {} },
          { op: 'memcgCreate', memcg: 1 },
          { op: 'mmCreate', memcg: 1 },
          { op: 'mmCreate', memcg: 2 },
        ];
        for (const op of start) expect(run(sys, op, shadow, active)).toBeGreaterThanOrEqual(0);
        for (const op of ops) {
          const r = run(sys, op, shadow, active);
          calls++;
          if (op.op === 'procSwaps') {
            expect(typeof r).toBe('string');
          } else if (op.op === 'reclaim' || op.op === 'mmCreate' || op.op === 'fork' || op.op === 'memcgCreate') {
            expect(r === 0 || (typeof r === 'number' && Number.isInteger(r) && r > 0) || isErrno(r)).toBe(true);
          } else {
            expect(r === 0 || isErrno(r)).toBe(true);
          }
          if (isErrno(r)) errnos++;
          const st = (stats[op.op] ??= { ok: 0, err: {} });
          if (isErrno(r)) st.err[errname(r as number)] = (st.err[errname(r as number)] ?? 0) + 1; else st.ok++;
          if (op.op === 'reclaim' && typeof r === 'number' && r > 0) swappedOut += r;
        }
        expect(sys.setFailslab(0, 0)).toBe(0);
        /* The processes alive are those the calls created and did not end. */
        sys.as(0, () => {
          for (let m = 0; m < NR_MMS; m++) expect(mm_live(m)).toBe(shadow.has(m));
        });
        /* No page changed but those written through a valid call, and every page reads back what was written. */
        for (const [mm, tokens] of shadow) {
          for (let i = 0; i < MM_PAGES; i++) expect(expected_token(mm, i)).toBe(tokens[i]);
          for (let i = 0; i < MM_PAGES; i++) expect([0, -ENOMEM]).toContain(sys.touch(mm, i));
        }
        /* /proc/swaps lists exactly the devices switched on and not off. */
        const lines = sys.procSwaps().split('\n');
        expect(lines.shift()).toBe(HEADER.slice(0, -1));
        expect(lines.pop()).toBe('');
        expect(lines.map((l) => LINE.exec(l)?.[1]).sort()).toEqual([...active].sort());
        clean(sys);
      }),
      { seed, numRuns: 150 },
    );
    const rss1 = process.memoryUsage().rss;
    console.log(JSON.stringify(stats));
    console.log(`api property: ${calls} calls, ${errnos} errnos, ${swappedOut} pages swapped out, rss ${Math.round(rss0 / 2 ** 20)} -> ${Math.round(rss1 / 2 ** 20)} MiB`);
  });
});
