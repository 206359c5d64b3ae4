/*
 * A stress run's violations: printed as they appear (the first one stops
 * the run unless --keep-going), and read back in full for the result.
 *
 * Context: main thread; reads the report slots the CPUs fill.
 */
import { read_reports, type Violation } from '../shm/report.js';
import { pointLabel } from '../sync/point.js';
import { opName } from './workload.js';
import type { StressResult } from './stress_report.js';
import { stress_say, stress_stop, type StressRun } from './stress_run.js';

/* Violations printed in full; the rest are counted (all are in --json). */
const PRINT_VIOLATIONS = 10;

/** One violation, as a kernel developer reads it. */
function format_violation(v: Violation, replay: string): string {
  const where = v.task === 0
    ? 'found by the quiescent check'
    : `on cpu ${v.cpu} (task ${v.task}, op ${opName(v.op)}, at ${pointLabel(v.point)})`;
  return `swaptorture: VIOLATION [${v.invariant}] ${where}: ${v.message}\nswaptorture:   replay: ${replay}\n`;
}

/* Report violations as they appear; the first one stops the run unless --keep-going. */
export function stress_poll_violations(run: StressRun): void {
  for (const v of read_reports()) {
    if (run.printed.has(v.seq)) continue;
    run.printed.add(v.seq);
    if (run.printed.size <= PRINT_VIOLATIONS) stress_say(run, format_violation(v, run.replay));
    else if (run.printed.size === PRINT_VIOLATIONS + 1) stress_say(run, `swaptorture: (more violations: only the first ${PRINT_VIOLATIONS} are printed; --json has them all)\n`);
    if (!run.o.keepGoing) stress_stop(run, `violation [${v.invariant}]`);
  }
}

/* Every violation of the run, as the result document has them. */
export function stress_violations_out(): StressResult['violations'] {
  return read_reports().map((v) => ({
    invariant: v.invariant,
    message: v.message,
    cpu: v.cpu,
    task: v.task,
    op: opName(v.op),
    point: pointLabel(v.point),
    args: v.args,
  }));
}
