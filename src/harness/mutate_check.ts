/*
 * Type-checking one mutant on its own (the instrumented copy is
 * @ts-nocheck, src/harness/mutate_instrument.ts): the mutated file as the
 * developer would have written it, checked against the rest of the
 * sources with the project's tsconfig.json.  A type error makes the
 * mutant a CompileError: `tsc` would have refused it, no test needed.
 * Unused names (noUnusedLocals) are not errors here: deleting the only
 * call of an imported rcu_read_lock() is a mutant to run, not a build
 * failure.
 *
 * Only operators that can break types are checked (a moved or swapped
 * statement, a forced, negated or rewritten condition, which changes
 * narrowing); deleting or doubling a call statement, `<` <-> `<=` and
 * `true` for a trylock cannot.
 *
 * The sources are read once, when the checker is made - at the start of
 * the campaign, with the list of mutants and the instrumented copy - and
 * never again: a file edited while a campaign runs (a developer goes on
 * working; the campaign runs from its copy) does not move the mutants'
 * positions under the check, which made every checked mutant of the
 * edited file a bogus CompileError.
 *
 * Context: main thread; a TypeScript language service kept for the
 * campaign (the program is re-checked incrementally, one file at a time).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { apply_mutant } from './mutate_instrument.js';
import type { MutantSite } from './mutate_operators.js';
import type { Operator } from './mutate_names.js';

const MAY_NOT_COMPILE: ReadonlySet<Operator> = new Set<Operator>(['EarlyUnlock', 'SwapLocks', 'DropRecheck', 'NegateCondition', 'LogicalOperator']);

export class MutantTypeChecker {
  readonly #repo: string;
  readonly #service: ts.LanguageService;
  readonly #text = new Map<string, string>();
  readonly #version = new Map<string, number>();

  constructor(repo: string) {
    this.#repo = repo;
    const cfg = ts.readConfigFile(join(repo, 'tsconfig.json'), ts.sys.readFile);
    if (cfg.error) throw new Error(`mutate: tsconfig.json: ${ts.flattenDiagnosticMessageText(cfg.error.messageText, '\n')}`);
    const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, repo);
    const options: ts.CompilerOptions = { ...parsed.options, noUnusedLocals: false, noUnusedParameters: false, noEmit: true };
    const names = parsed.fileNames.filter((f) => f.startsWith(join(repo, 'src')) || f.startsWith(join(repo, 'workers')));
    for (const f of names) this.#text.set(f, readFileSync(f, 'utf8'));
    const host: ts.LanguageServiceHost = {
      getScriptFileNames: () => names,
      getScriptVersion: (f) => String(this.#version.get(f) ?? 0),
      getScriptSnapshot: (f) => {
        const t = this.#text.get(f) ?? (ts.sys.fileExists(f) ? ts.sys.readFile(f) : undefined);
        return t === undefined ? undefined : ts.ScriptSnapshot.fromString(t);
      },
      getCurrentDirectory: () => repo,
      getCompilationSettings: () => options,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: ts.sys.fileExists,
      readFile: ts.sys.readFile,
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
    };
    this.#service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  /** Does @m's operator need a check at all? */
  static needs_check(m: MutantSite): boolean {
    return MAY_NOT_COMPILE.has(m.operator);
  }

  /** The first type error of @m applied alone, or null when it compiles. */
  check(m: MutantSite): string | null {
    if (!MutantTypeChecker.needs_check(m)) return null;
    const file = join(this.#repo, m.file);
    const original = this.#text.get(file);
    if (original === undefined) throw new Error(`mutate: ${m.file} is not one of tsconfig.json's sources`);
    this.#set(file, apply_mutant(original, m));
    try {
      const diags = [...this.#service.getSyntacticDiagnostics(file), ...this.#service.getSemanticDiagnostics(file)]
        .filter((d) => d.category === ts.DiagnosticCategory.Error);
      if (diags.length === 0) return null;
      const d = diags[0];
      const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null;
      return `${m.file}${pos ? `:${pos.line + 1}:${pos.character + 1}` : ''}: TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    } finally {
      this.#set(file, original);
    }
  }

  #set(file: string, text: string): void {
    this.#text.set(file, text);
    this.#version.set(file, (this.#version.get(file) ?? 0) + 1);
  }
}
