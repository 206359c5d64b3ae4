// Re-measure the pinned (seed, runs) of test/fuzz.test.ts: the first run index whose find was a controlled run.
import { fresh_case } from './dist/src/harness/fuzz_case.js';
import { fuzz_exec, fuzz_exec_teardown } from './dist/src/harness/fuzz_exec.js';
import { fuzz_designs } from './dist/src/harness/fuzz_params.js';
import { implemented_designs } from './dist/src/designs/index.js';
const [bug, seedsArg, maxArg, anyKind] = process.argv.slice(2);
const designs = fuzz_designs(bug, implemented_designs());
const seeds = seedsArg.split(',').map(Number);
for (const seed of seeds) {
  let found = null;
  for (let i = 0; i < Number(maxArg); i++) {
    const c = fresh_case(seed, i, { designs, maxCpus: 4 }, bug);
    if (c.sched.kind === 'free' && !anyKind) continue;
    const r = await fuzz_exec(c);
    if (r.findings.length > 0) { found = { i, kind: c.sched.kind, inv: r.findings[0].invariant, abnormal: r.abnormal }; break; }
  }
  console.log(JSON.stringify({ bug, seed, runs: found ? found.i + 1 : null, ...found }));
}
await fuzz_exec_teardown();
