/*
 * What a stress run tells its user: the counters read back from the arena
 * (operations, swap events, lock statistics, grace periods), the periodic
 * locktorture-style statistics lines, the final summary table, and the
 * --json document with its schema.
 *
 * locktorture's line (kernel/locking/locktorture.c, __torture_print_stats)
 * is "Writes:  Total: N  Max/Min: max/min ???  Fail: f !!!": "???" when
 * the busiest writer did more than twice the work of the idlest (one is
 * starving), "!!!" on any failure.  The same two flags are used here, per
 * lock class and for the operations, over the workload tasks (the
 * simulated CPUs' tasks; a task may migrate between CPUs).
 *
 * Context: main thread; reads only (Atomics.load), safe while CPUs run.
 */
import { z } from 'zod';
import { A, gword } from '../shm/arena.js';
import { G, MAX_LOCK_CLASSES, TASK } from '../shm/layout.js';
import { INVARIANTS } from '../shm/report.js';
import { LOCK_CLASSES } from '../sync/lockdep.js';
import { lockstat_read } from '../sync/lockstat.js';
import { taskWord } from '../shm/task.js';
import { all_vm_events, type VmEvent } from '../mm/vmstat.js';
import { ALL_COUNTERS, read_counter, WORKLOAD_OPS } from './workload.js';
import { text_table } from './text_table.js';
import { BugHintSchema } from './bug_hints.js';

export interface LockRow {
  class: string;
  acquired: number;
  contended: number;
  spins: number;
  /** Longest sampled hold, microseconds. */
  maxHoldUs: number;
  /** Estimated time spent holding locks of this class, all tasks, milliseconds (sampled mean x acquisitions). */
  heldMs: number;
  /** Acquisitions by the busiest / idlest workload task. */
  maxPerCpu: number;
  minPerCpu: number;
}

export interface StressCounters {
  ops: Record<string, number>;
  opsTotal: number;
  opsPerTask: number[];
  vm: Record<VmEvent, number>;
  /** Swap operations: pages swapped out or in (zero pages included). */
  swapOps: number;
  locks: LockRow[];
  gracePeriods: number;
  migrations: number;
}

/** The swap operations of the issue's definition, from the vm events. */
export function swap_ops(vm: Record<VmEvent, number>): number {
  return vm.pswpin + vm.pswpout + vm.swpin_zero + vm.swpout_zero + vm.zswpin + vm.zswpout;
}

/**
 * Read every counter.  @workers are the workload tasks (Max/Min columns);
 * @all every task of the run (totals).
 */
export function collect_counters(workers: number[], all: number[]): StressCounters {
  const ops: Record<string, number> = {};
  ALL_COUNTERS.forEach((name, i) => (ops[name] = all.reduce((s, t) => s + read_counter(t, i), 0)));
  const opsPerTask = workers.map((t) => WORKLOAD_OPS.reduce((s, _n, i) => s + read_counter(t, i), 0));
  const opsTotal = WORKLOAD_OPS.reduce((s, n) => s + ops[n], 0);
  const vm = all_vm_events();
  const locks: LockRow[] = [];
  for (let cls = 1; cls < LOCK_CLASSES.length && cls < MAX_LOCK_CLASSES; cls++) {
    const per = all.map((t) => lockstat_read(t, cls));
    const acquired = per.reduce((s, x) => s + x.acquired, 0);
    if (acquired === 0) continue;
    const wk = workers.map((t) => lockstat_read(t, cls).acquired);
    const samples = per.reduce((s, h) => s + h.holdSamples, 0);
    const sumUs = per.reduce((s, h) => s + h.sumHoldUs, 0);
    locks.push({
      class: LOCK_CLASSES[cls],
      acquired,
      contended: per.reduce((s, x) => s + x.contended, 0),
      spins: per.reduce((s, x) => s + x.spins, 0),
      maxHoldUs: Math.max(...per.map((h) => h.maxHoldUs)),
      heldMs: samples > 0 ? (sumUs / samples) * acquired / 1000 : 0,
      maxPerCpu: Math.max(...wk),
      minPerCpu: Math.min(...wk),
    });
  }
  locks.sort((a, b) => b.acquired - a.acquired);
  return {
    ops,
    opsTotal,
    opsPerTask,
    vm,
    swapOps: swap_ops(vm),
    locks,
    gracePeriods: Atomics.load(A.i32, gword(G.rcu_gp_completed)),
    migrations: all.reduce((s, t) => s + Atomics.load(A.i32, taskWord(t, TASK.nr_migrations)), 0),
  };
}

/** locktorture's imbalance flag: the busiest did more than twice the idlest. */
function starving(max: number, min: number): string {
  return max / 2 > min ? '???' : '';
}

/** The periodic statistics block (locktorture's lock_torture_stats_print). */
export function format_stats(c: StressCounters, seconds: number, checks: number, fails: number, swapoffs: number): string {
  const p = 'swaptorture:';
  const bang = fails ? '!!!' : '';
  const maxOps = Math.max(...c.opsPerTask);
  const minOps = Math.min(...c.opsPerTask);
  const lines = [
    `${p} --- t=${seconds.toFixed(1)}s Ops:  Total: ${c.opsTotal}  Max/Min: ${maxOps}/${minOps} ${starving(maxOps, minOps)}  Fail: ${fails} ${bang}`.trimEnd(),
    `${p} Swap:  Out: ${c.vm.pswpout + c.vm.swpout_zero}  In: ${c.vm.pswpin + c.vm.swpin_zero}  Zero: ${c.vm.swpout_zero}  THP out/in: ${c.vm.thp_swpout}/${c.vm.thp_swpin}  swapoff: ${swapoffs}  GPs: ${c.gracePeriods}  checks: ${checks}`,
  ];
  for (const l of c.locks.slice(0, 8)) {
    lines.push(`${p} ${l.class.padEnd(26)} Total: ${l.acquired}  Max/Min: ${l.maxPerCpu}/${l.minPerCpu} ${starving(l.maxPerCpu, l.minPerCpu)}  Contended: ${l.contended}  Fail: ${fails} ${bang}`.trimEnd());
  }
  return lines.join('\n') + '\n';
}

/* ---- the result document ---- */

export const ViolationOutSchema = z.object({
  invariant: z.enum(INVARIANTS),
  message: z.string(),
  cpu: z.number().int(),
  task: z.number().int(),
  op: z.string(),
  point: z.string(),
  args: z.array(z.number()),
});

export const StressResultSchema = z.object({
  design: z.string(),
  cpus: z.number().int().positive(),
  seed: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
  /** Worker start-up before the clock started (threads, module loading): not in `seconds` nor in any rate. */
  startupSeconds: z.number().nonnegative(),
  /** Peak resident set of the whole process (main thread, CPU workers, the arena): VmHWM of /proc/self/status (elsewhere getrusage's ru_maxrss). */
  maxRssBytes: z.number().int().nonnegative(),
  devices: z.array(z.string()),
  mix: z.string(),
  bugs: z.array(z.string()),
  ops: z.record(z.string(), z.number().int().nonnegative()).and(z.object({ total: z.number().int().nonnegative() })),
  opsPerSec: z.number().nonnegative(),
  swapOps: z.object({
    pswpin: z.number(), pswpout: z.number(), swpin_zero: z.number(), swpout_zero: z.number(), zswpin: z.number(), zswpout: z.number(), zswpwb: z.number(),
    thp_swpin: z.number(), thp_swpout: z.number(), total: z.number(),
  }),
  /** Swap readahead (src/mm/swap_readahead.ts): folios read ahead (SWAP_RA) and faults that found one (SWAP_RA_HIT). */
  readahead: z.object({ swap_ra: z.number().int().nonnegative(), swap_ra_hit: z.number().int().nonnegative() }),
  /** Swap counts that went past SWP_TB_COUNT_MAX into the extend table. */
  countOverflows: z.number().int().nonnegative(),
  /** Pages whose writeout had nowhere to go and stayed dirty (AOP_WRITEPAGE_ACTIVATE: ghost or vswap without room). */
  writeoutActivate: z.number().int().nonnegative(),
  swapOpsPerSec: z.number().nonnegative(),
  swapoffCycles: z.number().int().nonnegative(),
  swapoffFailed: z.number().int().nonnegative(),
  swaponFailed: z.number().int().nonnegative(),
  /** Operations that met -ENOMEM (no free frame: the fault fails, as an OOM would). */
  enomem: z.number().int().nonnegative(),
  migrations: z.number().int().nonnegative(),
  /** --window-delay: delays taken at race windows (0 without it). */
  windowDelays: z.number().int().nonnegative(),
  gracePeriods: z.number().int().nonnegative(),
  checks: z.number().int().nonnegative(),
  /** Wall time the world stood stopped for the periodic checks (--check-interval), seconds: part of `seconds`. */
  checkSeconds: z.number().nonnegative(),
  locks: z.array(z.object({
    class: z.string(), acquired: z.number(), contended: z.number(), spins: z.number(), maxHoldUs: z.number(), heldMs: z.number(),
    maxPerCpu: z.number(), minPerCpu: z.number(),
  })),
  /** Share of the CPUs' time spent holding a cluster lock (&ci->lock), estimated from sampled holds. */
  clusterLockShare: z.number().nonnegative(),
  violations: z.array(ViolationOutSchema),
  stalls: z.array(z.object({ task: z.number().int(), cpu: z.number().int(), op: z.string(), dump: z.string() })),
  harnessErrors: z.array(z.string()),
  /** Stopped by Ctrl-C (SIGINT) before its --seconds or --ops were done. */
  interrupted: z.boolean(),
  /**
   * FAILURE: a violation, a crashed worker or a stall (found before or after
   * a Ctrl-C: what was found is the news); INTERRUPTED: Ctrl-C and nothing
   * found so far; SUCCESS: the whole run, nothing found.
   */
  result: z.enum(['SUCCESS', 'FAILURE', 'INTERRUPTED']),
  exitStatus: z.number().int(),
  /**
   * A run that found nothing (SUCCESS or INTERRUPTED) with a bug switch on
   * that free-running stress seldom or never hits with the run's flags:
   * why, and the commands that find it (src/harness/bug_hints.ts).  Empty
   * otherwise.
   */
  bugHints: z.array(BugHintSchema),
  replay: z.string(),
});
export type StressResult = z.infer<typeof StressResultSchema>;

/* 1234567 -> "1,234,567"; an integer without Intl (whose first use costs a short run ~20 ms of CPU), anything else as en-US prints it. */
function fmtInt(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ',');
  return n < 0 ? `-${digits}` : digits;
}

function table(head: string[], rows: (string | number)[][]): string {
  return text_table(head, rows.map((r) => r.map((x) => (typeof x === 'number' ? fmtInt(x) : x)))) + '\n';
}

/** The final human summary (stdout). */
export function format_summary(r: StressResult): string {
  const s = r.seconds || 1;
  let out = `\nswaptorture stress: design ${r.design}, ${r.cpus} CPUs, seed ${r.seed}, ${r.seconds.toFixed(1)} s (after ${r.startupSeconds.toFixed(1)} s of CPU start-up), devices ${r.devices.join(',')}${r.bugs.length ? `, bugs ${r.bugs.join(',')}` : ''}\n\n`;
  const opRows = Object.entries(r.ops).filter(([k]) => k !== 'total').map(([k, v]) => [k, v, Math.round(v / s)]);
  out += table(['operation', 'count', 'per s'], [...opRows, ['total', r.ops.total, Math.round(r.opsPerSec)]]);
  out += '\n' + table(['swap event', 'pages', 'per s'], [
    ['swap out (pswpout)', r.swapOps.pswpout, Math.round(r.swapOps.pswpout / s)],
    ['swap out, zero page', r.swapOps.swpout_zero, Math.round(r.swapOps.swpout_zero / s)],
    ['swap in (pswpin)', r.swapOps.pswpin, Math.round(r.swapOps.pswpin / s)],
    ['swap in, zero page', r.swapOps.swpin_zero, Math.round(r.swapOps.swpin_zero / s)],
    ['zswap store / load / writeback', `${fmtInt(r.swapOps.zswpout)} / ${fmtInt(r.swapOps.zswpin)} / ${fmtInt(r.swapOps.zswpwb)}`, ''],
    ['large folios out / in', `${fmtInt(r.swapOps.thp_swpout)} / ${fmtInt(r.swapOps.thp_swpin)}`, ''],
    ['readahead: read / hit', `${fmtInt(r.readahead.swap_ra)} / ${fmtInt(r.readahead.swap_ra_hit)}`, ''],
    ['counts past SWP_TB_COUNT_MAX', r.countOverflows, ''],
    ['writeout refused (activate)', r.writeoutActivate, ''],
    ['swap operations', r.swapOps.total, Math.round(r.swapOpsPerSec)],
  ]);
  out += '\n' + table(['lock class', 'acquired', 'contended', 'spins', 'max hold us', 'held ms (est.)', 'max/min per CPU'],
    r.locks.map((l) => [l.class, l.acquired, l.contended, l.spins, l.maxHoldUs, l.heldMs.toFixed(1), `${fmtInt(l.maxPerCpu)}/${fmtInt(l.minPerCpu)}`]));
  out += '\n' + table(['run', 'value'], [
    ['swapoff cycles', r.swapoffCycles],
    ['swapoff failed (-ENOMEM)', r.swapoffFailed],
    ['swapon failed', r.swaponFailed],
    ['operations meeting -ENOMEM', r.enomem],
    ['task migrations (shuffle)', r.migrations],
    ['RCU grace periods', r.gracePeriods],
    ['window delays (--window-delay)', r.windowDelays],
    ['time in &ci->lock (est.)', `${(100 * r.clusterLockShare).toFixed(1)} %`],
    ['peak RSS of the process', `${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB`],
    ['invariant checks run', r.checks],
    ['world stopped for checks', `${(1000 * r.checkSeconds).toFixed(0)} ms (${((100 * r.checkSeconds) / s).toFixed(1)} % of the run; --check-interval)`],
    ['violations', r.violations.length],
    ['stalls', r.stalls.length],
  ]);
  return out;
}
