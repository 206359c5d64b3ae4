/*
 * The order the suite's files start in: longest first, so that the two
 * workers (vitest.config.ts maxWorkers) finish together instead of one
 * running a long file alone at the end.
 *
 * vitest orders by the durations of the last run on this machine (its
 * cache under node_modules/.vite); a fresh clone - CI - has none, and ran
 * the files in name order: test/pack.test.ts (~30 s) started last and ran
 * alone for the last 28 s of a 384-s suite.  Where the cache has no
 * duration for a file, the estimate below stands in: seconds the file
 * took alone on a quiet 2-core machine (`npx vitest run FILE`), for the
 * files over ~10 s; every other file counts as short.  Only the order
 * depends on these figures, never a result.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { basename, relative } from 'node:path';

const ESTIMATE_S: Record<string, number> = {
  'docs_commands.test.ts': 81,
  'fuzz.test.ts': 65,
  'mutate.test.ts': 45,
  'repro.test.ts': 38,
  'pack.test.ts': 28,
  'explore.test.ts': 20,
  'interleavings.test.ts': 19,
  'coverage.test.ts': 23,
  'stress_cli.test.ts': 22,
  'scenario_errors.test.ts': 21,
  'stress.test.ts': 17,
  'fuzz_reuse.test.ts': 15,
  'pack_entry.test.ts': 15,
  'cli_decode.test.ts': 14,
  'bench_cli.test.ts': 10,
};
const SHORT_S = 3;

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const seconds = (f: TestSpecification): number => {
      const key = `${f.project.name}:${relative(this.ctx.config.root, f.moduleId)}`;
      const last = cache.getFileTestResults(key);
      if (last !== undefined) return last.duration / 1000;
      return ESTIMATE_S[basename(f.moduleId)] ?? SHORT_S;
    };
    const s = new Map(files.map((f) => [f, seconds(f)]));
    return [...files].sort((a, b) => s.get(b)! - s.get(a)! || (a.moduleId < b.moduleId ? -1 : 1));
  }
}
