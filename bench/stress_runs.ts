/*
 * Seeded `swaptorture stress` runs in this process, shared by the stress
 * and scale suites: @runs runs of the default mix (seeds 1..@runs) with
 * @over applied, each a result; a run that does not exit 0 aborts the
 * bench, naming the configuration, the seed and what broke.
 */
import { runStress } from '../src/harness/stress.js';
import { defaultStressOptions, parseDevices, validateStressOptions } from '../src/harness/stress_options.js';
import type { StressResult } from '../src/harness/stress_report.js';

export interface StressOver {
  cpus: number;
  seconds: number;
  /** --devices (default: the default devices). */
  devices?: string;
}

/** The results of @runs runs of @over, each announced on stderr by @say.  Context: main thread, nothing else running the model. */
export async function stressRuns(over: StressOver, runs: number, say: (r: StressResult, k: number) => string): Promise<StressResult[]> {
  const quiet = { out: (): void => {}, err: (): void => {} };
  const out: StressResult[] = [];
  for (let k = 0; k < runs; k++) {
    const base = defaultStressOptions();
    const o = validateStressOptions({
      ...base, cpus: over.cpus, seconds: over.seconds, seed: 1 + k, statIntervalS: 0, devices: over.devices === undefined ? base.devices : parseDevices(over.devices),
    });
    const r = await runStress(o, quiet);
    if (r.exitStatus !== 0) throw new Error(`bench: stress ${JSON.stringify(over)}, seed ${o.seed}: exit ${r.exitStatus} (${r.violations[0]?.message ?? r.harnessErrors[0] ?? ''})`);
    out.push(r);
    process.stderr.write(`bench: ${say(r, k)}\n`);
  }
  return out;
}
