/*
 * Scenario files (scenarios/*.json), field by field: each operation and
 * each field of a file as a zod object (the whole-file checks that need
 * every field at once are schema.ts's).  One catalogued race each, or a
 * user's own.  A scenario names the kernel functions the race runs through,
 * the bug switch that restores the pre-fix path (whose provenance is the
 * race's: src/shm/bugs.ts), the invariant expected to break and the story
 * of the interleaving; then the
 * system to build, the setup run on one CPU before the race, and each
 * CPU's scripted operations (with optional random filler).
 *
 * Operations name processes and cgroups by label: "mm"/"fork" create
 * processes ("mm": "a", "fork": "a" -> "as": "b"), "memcg" cgroups; every
 * CPU sees every label.  check.ts has the rules of where a label may be
 * used, exec.ts what a label not bound yet does at run time (-ESRCH).
 */
import { z } from 'zod';
import { INVARIANTS } from '../shm/report.js';
import { DESIGN_NAMES } from '../mm/swap_design.js';
import { SWAP_MIN_PAGES } from '../mm/swap_header.js';
import { MAX_FOLIO_ORDER } from '../shm/layout.js';
import { BLOCK_DEVICE_KINDS } from '../api/device_kind.js';
import { FILLER_MAX } from './limits.js';

const label = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a lower-case label such as "a" or "child1"');
const mm = label.describe('a process label');
const memcg = label.describe('a cgroup label');
const page = z.number().int().min(0).describe('first page index in the process\'s mapping');
const nr = z.number().int().min(1).default(1).describe('pages, from page on');
const order = z.number().int().min(0).max(MAX_FOLIO_ORDER).default(0).describe('folio order for a fault that allocates (large folios: 2^order pages, naturally aligned; 9 is a PMD-size THP)');
const device = z.number().int().min(0).describe('index into system.devices');

export const OpSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('mm'), as: label.describe('the new process\'s label'), memcg: memcg.optional().describe('its cgroup (default: the root)') }).strict()
    .describe('create a process (mm_alloc) with one anonymous mapping of system.mmPages pages'),
  z.object({ op: z.literal('memcg'), as: label.describe('the new cgroup\'s label'), parent: memcg.optional().describe('its parent (default: the root)') }).strict()
    .describe('create a cgroup (mem_cgroup_create)'),
  z.object({ op: z.literal('write'), mm, page, nr, order, zero: z.boolean().default(false).describe('write a zero-filled page (the zero flag on swap-out)') }).strict()
    .describe('write a new content to each page (handle_mm_fault, write): a fault swaps in or allocates'),
  z.object({ op: z.literal('touch'), mm, page, nr, order }).strict()
    .describe('read each page (handle_mm_fault, read): a fault on a swap PTE is do_swap_page; the content is checked against the last write'),
  z.object({ op: z.literal('reclaim'), mm, page, nr }).strict()
    .describe('swap the pages out (reclaim_pages: MADV_PAGEOUT, shrink_folio_list)'),
  z.object({ op: z.literal('fork'), mm: mm.describe('the parent'), as: label.describe('the child\'s label (times > 1: as_1 ... as_N)'), times: z.number().int().min(1).max(64).default(1).describe('children to fork') }).strict()
    .describe('fork the process (copy_mm: swap entries shared, swap counts raised)'),
  z.object({ op: z.literal('exit'), mm }).strict()
    .describe('the process exits (exit_mmap: zap_pte_range puts its swap entries)'),
  z.object({ op: z.literal('dontneed'), mm, page, nr }).strict()
    .describe('madvise(MADV_DONTNEED) of the pages (zap_page_range), as a sibling thread may while others fault there'),
  z.object({ op: z.literal('move'), mm, memcg }).strict()
    .describe('move the process to the cgroup (its charges stay: cgroup v2)'),
  z.object({ op: z.literal('offline'), memcg }).strict()
    .describe('remove the cgroup (css offline)'),
  z.object({ op: z.literal('swapoff'), device }).strict()
    .describe('sys_swapoff of the device (try_to_unuse)'),
  z.object({ op: z.literal('swapon'), device }).strict()
    .describe('sys_swapon of the device again'),
  z.object({ op: z.literal('migrate'), cpu: z.number().int().min(0).max(7).describe('the target CPU') }).strict()
    .describe('move this CPU\'s task to another CPU at its next sleep point (what stress\'s shuffle does at random)'),
  z.object({ op: z.literal('writeback'), nr: z.number().int().min(1).max(512).default(16).describe('pages to write back per device, at most') }).strict()
    .describe('zswap\'s shrink work, as a kworker runs it: write up to nr pages zswap holds back to each device behind it (zswap_shrink_work, zswap_writeback_entry); nothing without system.zswap'),
  z.object({ op: z.literal('discard') }).strict()
    .describe('the discard work, as a kworker runs it: discard and free the clusters queued for discard (swap_discard_work); nothing without a device with discard'),
  z.object({
    op: z.literal('failslab'),
    atomic: z.number().int().min(0).max(100).describe('percentage of atomic (GFP_ATOMIC) allocations that fail'),
    sleep: z.number().int().min(0).max(100).describe('percentage of sleeping (GFP_KERNEL) allocations that fail'),
  }).strict()
    .describe('from now on, fail a share of kernel object allocations (failslab)'),
]);
export type ScenarioOp = z.infer<typeof OpSchema>;

export const ScenarioFields = z
  .object({
    race: z.string().regex(/^[a-z0-9-]+$/, 'a kebab-case race name').describe('the race\'s name: the file is RACE.json'),
    title: z.string().min(1).describe('one line'),
    /*
     * Before the bug switches carried their provenance, a scenario said
     * where its race came from in a line of free text here.  Still
     * accepted so that such files load; nothing reads it.
     */
    seed: z.string().optional().describe('deprecated and ignored: where the race comes from is its bug switch\'s provenance (repro --list)'),
    functions: z.array(z.string()).min(1).describe('the kernel functions the race runs through, the one whose window it opens first'),
    bug: z.string().optional().describe('the bug switch that restores the pre-fix path (swaptorture stress --list-bugs); the race\'s provenance is the switch\'s.  Without one the file is an interleaving no known bug names (a patch being ported, a pair of operations on shared state): repro and explore run it on the model as it is, as with --fixed'),
    invariant: z.enum(INVARIANTS).optional().describe('the invariant the race breaks: reported during the run or by the quiescent check after it; required with a bug switch, not allowed without one'),
    /**
     * The designs whose code has the hazard (the fix went into a phase the
     * others do not share).  Required: only the author knows, and a race run
     * where its code is not would come out "clean" for nothing.
     */
    designs: z.array(z.enum(DESIGN_NAMES), {
      error: (iss) => (iss.input === undefined ? `required: the designs whose code has the race, e.g. ["p4"] (known: ${DESIGN_NAMES.join(', ')})` : undefined),
    }).min(1).describe('the designs whose code has the race; repro runs it in the first'),
    story: z.string().min(40).describe('the interleaving, in a paragraph'),
    system: z
      .object({
        /** ghost: a one-page ghost swapfile (seed 001 patch 13) of @pages slots; ghost design only. */
        devices: z.array(z.object({
          kind: z.enum([...BLOCK_DEVICE_KINDS, 'ghost']).describe('ssd: solid state; hdd: rotational (the global cluster); zram: synchronous I/O (SWP_SYNCHRONOUS_IO: large swap-in); ghost: a one-page ghost swapfile (seed 001 patch 13) of more than 512 pages (its first cluster holds the header and is never allocated from), ghost design only'),
          pages: z.number().int().min(SWAP_MIN_PAGES).max(65536).describe('the device\'s size in pages (slots), header page included'),
          badPages: z.array(z.number().int().min(1)).max(16).optional().describe('pages mkswap lists as bad (each 1..pages-1; not on a ghost): swapon marks their slots bad and the allocator skips them'),
          discard: z.boolean().optional().describe('swapon with SWAP_FLAG_DISCARD (solid-state devices only honour it): a freed cluster waits on the discard list for the discard work (the discard operation) or an allocation that finds no room (swap_sync_discard)'),
        }).strict()).min(1).max(4).describe('swap devices, swapped on before setup runs'),
        frames: z.number().int().min(64).max(65536).default(1024).describe('page frames of memory'),
        mmPages: z.number().int().min(16).max(1024).default(64).describe('pages in each process\'s mapping'),
        mms: z.number().int().min(2).max(64).default(8).describe('processes the system has room for'),
        zswap: z.boolean().optional().describe('zswap in front of every device: swap-out stores the page in zswap, swap-in loads it, the writeback operation writes it back to the device (the ghost design always has zswap)'),
        slabMinPartial: z.number().int().min(0).max(64).optional().describe('empty swap tables the swap_table slab keeps before it frees their pages (min_partial; default 4)'),
      })
      .strict().describe('the system to build'),
    setup: z.array(OpSchema).default([]).describe('operations run in order on one CPU before the race; every one must succeed'),
    cpus: z
      .array(
        z
          .object({
            ops: z.array(OpSchema).min(1).describe('this CPU\'s script'),
            filler: z.number().int().min(0).max(FILLER_MAX).default(0).describe('random operations on the CPU\'s first process before its script (widens the search)'),
          })
          .strict(),
      )
      .min(1)
      .max(8).describe('one entry per simulated CPU'),
    depth: z.number().int().min(1).max(8).default(3).describe('PCT depth to search with (the bug\'s depth + 1 is a good start)'),
    maxSchedules: z.number().int().min(1).max(100000).default(500).describe('schedules repro tries by default'),
  })
  .strict();
export type Scenario = z.infer<typeof ScenarioFields>;
