/*
 * What a `swaptorture mutate` campaign reports:
 *   mutation_report()  the mutation-testing-report-schema document (the
 *                      format Stryker and its dashboard read): files ->
 *                      source and mutants (id, mutatorName, replacement,
 *                      location, status, killedBy, coveredBy,
 *                      statusReason, duration); the portfolio members are
 *                      its "tests" (testFiles)
 *   report_html()      one self-contained page rendering it with
 *                      mutation-testing-elements (the package's script
 *                      inlined: no network needed)
 *   mutate_summary()   the figures: mutants, killed per member, survived
 *                      (with file:line and operator), no coverage,
 *                      equivalent, score = killed / (total - equivalent -
 *                      compile errors), the covered score (StrykerJS's
 *                      "of covered": no-coverage mutants left out too),
 *                      median time to kill
 *
 * Context: main thread.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Mutant } from './mutate_instrument.js';
import type { MutantResult, MutateParams } from './mutate_campaign.js';

export interface MutateSummary {
  mutants: number;
  killed: number;
  /** Killed (and Timeout) per member. */
  killedBy: Record<string, number>;
  timeouts: number;
  survived: number;
  equivalent: number;
  noCoverage: number;
  compileErrors: number;
  /** Selected but not finished (an interrupted campaign). */
  pending: number;
  /** killed / (mutants - equivalent - compile errors - pending), in percent; null with nothing to score. */
  score: number | null;
  /** killed / (mutants - equivalent - compile errors - pending - no coverage), in percent; null with nothing to score. */
  coveredScore: number | null;
  medianKillMs: number | null;
  byOperator: Record<string, { total: number; killed: number; survived: number; noCoverage: number }>;
  /** Survivors not marked equivalent, and the mutants no run reaches: the gaps (reachedBy: the runs it had, member[design]; none: NoCoverage). */
  survivors: { id: number; file: string; line: number; operator: string; fn: string; original: string; replacement: string; status: 'Survived' | 'NoCoverage'; reachedBy: string[] }[];
}

const killed = (r: MutantResult): boolean => r.status === 'Killed' || r.status === 'Timeout';

export function mutate_summary(selected: readonly Mutant[], results: readonly MutantResult[]): MutateSummary {
  const byId = new Map(selected.map((m) => [m.id, m]));
  const killedBy: Record<string, number> = {};
  const byOperator: MutateSummary['byOperator'] = {};
  for (const m of selected) byOperator[m.operator] ??= { total: 0, killed: 0, survived: 0, noCoverage: 0 };
  for (const m of selected) byOperator[m.operator].total++;
  const count = (s: MutantResult['status']): number => results.filter((r) => r.status === s).length;
  const kills = results.filter(killed);
  for (const r of kills) killedBy[r.killedBy ?? '?'] = (killedBy[r.killedBy ?? '?'] ?? 0) + 1;
  for (const r of results) {
    const op = byId.get(r.id)!.operator;
    if (killed(r)) byOperator[op].killed++;
    if (r.status === 'Survived') byOperator[op].survived++;
    if (r.status === 'NoCoverage') byOperator[op].noCoverage++;
  }
  const times = kills.map((r) => r.ms).sort((a, b) => a - b);
  const equivalent = count('Ignored');
  const compileErrors = count('CompileError');
  const pending = selected.length - results.length;
  const scored = selected.length - equivalent - compileErrors - pending;
  const noCoverage = count('NoCoverage');
  return {
    mutants: selected.length, killed: kills.length, killedBy, timeouts: count('Timeout'), survived: count('Survived'), equivalent,
    noCoverage, compileErrors, pending,
    score: scored > 0 ? (100 * kills.length) / scored : null,
    coveredScore: scored - noCoverage > 0 ? (100 * kills.length) / (scored - noCoverage) : null,
    medianKillMs: times.length === 0 ? null : times[Math.floor((times.length - 1) / 2)],
    byOperator,
    survivors: results.filter((r) => r.status === 'Survived' || r.status === 'NoCoverage').map((r) => {
      const m = byId.get(r.id)!;
      return { id: m.id, file: m.file, line: m.line, operator: m.operator, fn: m.fn, original: m.original, replacement: m.replacement, status: r.status as 'Survived' | 'NoCoverage', reachedBy: r.coveredBy };
    }),
  };
}

/** The mutation-testing-report-schema (version 2) document of a campaign. */
export function mutation_report(repo: string, selected: readonly Mutant[], results: readonly MutantResult[], params: MutateParams, version: string): object {
  const byId = new Map(results.map((r) => [r.id, r]));
  const files: Record<string, { language: string; source: string; mutants: object[] }> = {};
  const tests = new Map<string, string>();
  for (const m of selected) {
    const r = byId.get(m.id);
    if (r === undefined) continue; /* not run yet */
    files[m.file] ??= { language: 'typescript', source: readFileSync(join(repo, m.file), 'utf8'), mutants: [] };
    for (const c of r.coveredBy) tests.set(c, c);
    files[m.file].mutants.push({
      id: String(m.id),
      mutatorName: m.operator,
      replacement: m.replacement,
      description: `${m.operator} in ${m.fn}: ${m.original} -> ${m.replacement === '' ? '(deleted)' : m.replacement}`,
      location: { start: { line: m.line, column: m.column }, end: { line: m.endLine, column: m.endColumn } },
      status: r.status,
      statusReason: r.statusReason,
      ...(r.killedBy === null ? {} : { killedBy: [r.killedBy] }),
      coveredBy: r.coveredBy,
      duration: r.ms,
    });
  }
  return {
    schemaVersion: '2',
    thresholds: { high: 80, low: 60 },
    projectRoot: repo,
    files,
    testFiles: { portfolio: { tests: [...tests.keys()].sort().map((t) => ({ id: t, name: t })) } },
    framework: { name: 'swaptorture mutate', version },
    config: params,
  };
}

/* Text safe inside a <script> element. */
const script_safe = (s: string): string => s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

/** One HTML page showing @report with mutation-testing-elements, its script inlined. */
export function report_html(report: object): string {
  const require = createRequire(import.meta.url);
  let js: string;
  try {
    js = readFileSync(require.resolve('mutation-testing-elements/dist/mutation-test-elements.js'), 'utf8');
  } catch {
    throw new Error('the HTML report needs the development dependency mutation-testing-elements (npm ci in the clone)');
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>swaptorture mutate</title>
<script>${script_safe(js)}</script>
</head>
<body>
<mutation-test-report-app title-postfix="swaptorture mutate"></mutation-test-report-app>
<script>
document.querySelector('mutation-test-report-app').report = ${script_safe(JSON.stringify(report))};
</script>
</body>
</html>
`;
}
