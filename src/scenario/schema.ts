/*
 * Scenario files (scenarios/*.json): one catalogued race each, or a user's
 * own.  A scenario names where the race comes from (seed file and patch,
 * kernel functions), the bug switch that restores the pre-fix path, the
 * invariant expected to break and the story of the interleaving; then the
 * system to build, the setup run on one CPU before the race, and each
 * CPU's scripted operations (with optional random filler).
 *
 * Operations name processes and cgroups by label: "mm"/"fork" create
 * processes ("mm": "a", "fork": "a" -> "as": "b"), "memcg" cgroups; every
 * CPU sees every label.  check.ts has the rules of where a label may be
 * used, exec.ts what a label not bound yet does at run time (-ESRCH).
 */
import { z } from 'zod';
import { BUG_SWITCHES } from '../shm/bugs.js';
import { INVARIANTS } from '../shm/report.js';
import { DESIGN_NAMES } from '../designs/design.js';
import { scenario_check } from './check.js';

const label = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a lower-case label such as "a" or "child1"');
const page = z.number().int().min(0);
const order = z.number().int().min(0).max(4);

export const OpSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('mm'), as: label, memcg: label.optional() }).strict(),
  z.object({ op: z.literal('memcg'), as: label, parent: label.optional() }).strict(),
  z.object({ op: z.literal('write'), mm: label, page, nr: z.number().int().min(1).default(1), order: order.default(0), zero: z.boolean().default(false) }).strict(),
  z.object({ op: z.literal('touch'), mm: label, page, nr: z.number().int().min(1).default(1), order: order.default(0) }).strict(),
  z.object({ op: z.literal('reclaim'), mm: label, page, nr: z.number().int().min(1).default(1) }).strict(),
  z.object({ op: z.literal('fork'), mm: label, as: label, times: z.number().int().min(1).max(64).default(1) }).strict(),
  z.object({ op: z.literal('exit'), mm: label }).strict(),
  /** madvise(MADV_DONTNEED) of pages [page, page + nr): zap_page_range(), as a sibling thread may while others fault there. */
  z.object({ op: z.literal('dontneed'), mm: label, page, nr: z.number().int().min(1).default(1) }).strict(),
  z.object({ op: z.literal('move'), mm: label, memcg: label }).strict(),
  z.object({ op: z.literal('offline'), memcg: label }).strict(),
  z.object({ op: z.literal('swapoff'), device: z.number().int().min(0) }).strict(),
  z.object({ op: z.literal('swapon'), device: z.number().int().min(0) }).strict(),
  /** Ask the shuffler to move this CPU's task to @cpu at its next sleep point. */
  z.object({ op: z.literal('migrate'), cpu: z.number().int().min(0).max(7) }).strict(),
  /** Fail this percentage of atomic / sleeping kernel allocations (failslab) from now on. */
  z.object({ op: z.literal('failslab'), atomic: z.number().int().min(0).max(100), sleep: z.number().int().min(0).max(100) }).strict(),
]);
export type ScenarioOp = z.infer<typeof OpSchema>;

export const ScenarioSchema = z
  .object({
    race: z.string().regex(/^[a-z0-9-]+$/, 'a kebab-case race name'),
    title: z.string().min(1),
    seed: z.string().min(1).describe('seed file and patch the race comes from'),
    functions: z.array(z.string()).min(1),
    bug: z.string(),
    invariant: z.enum(INVARIANTS),
    /**
     * The designs whose code has the hazard (the fix went into a phase the
     * others do not share).  Required: only the author knows, and a race run
     * where its code is not would come out "clean" for nothing.
     */
    designs: z.array(z.enum(DESIGN_NAMES), {
      error: (iss) => (iss.input === undefined ? `required: the designs whose code has the race, e.g. ["p4"] (known: ${DESIGN_NAMES.join(', ')})` : undefined),
    }).min(1),
    story: z.string().min(40),
    system: z
      .object({
        /** ghost: a one-page ghost swapfile (seed 001 patch 13) of @pages slots; ghost design only. */
        devices: z.array(z.object({ kind: z.enum(['ssd', 'hdd', 'ghost']), pages: z.number().int().min(10).max(65536) }).strict()).min(1).max(4),
        frames: z.number().int().min(64).max(65536).default(1024),
        mmPages: z.number().int().min(16).max(1024).default(64),
        mms: z.number().int().min(2).max(64).default(8),
        /** Empty swap tables the swap_table slab keeps before it frees their pages (min_partial; default 4). */
        slabMinPartial: z.number().int().min(0).max(64).optional(),
      })
      .strict(),
    setup: z.array(OpSchema).default([]),
    cpus: z
      .array(
        z
          .object({
            ops: z.array(OpSchema).min(1),
            /** Random operations on the CPU's own process before its script (widens the search). */
            filler: z.number().int().min(0).max(1000).default(0),
          })
          .strict(),
      )
      .min(1)
      .max(8),
    /** PCT depth to search with (the bug's depth + 1 is a good start). */
    depth: z.number().int().min(1).max(8).default(3),
    /** Schedules `repro` tries by default. */
    maxSchedules: z.number().int().min(1).max(100000).default(500),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (!BUG_SWITCHES.some((b) => b.name === s.bug)) {
      ctx.addIssue({ code: 'custom', path: ['bug'], message: `unknown bug switch "${s.bug}" (known: ${BUG_SWITCHES.map((b) => b.name).join(', ')})` });
    }
    scenario_check(s, ctx);
  });
export type Scenario = z.infer<typeof ScenarioSchema>;
