/*
 * Loading scenario files: read, parse, validate.  Every problem is a
 * ScenarioError naming the file, the field (a JSON path) and what was
 * expected; the CLI prints it as one line and exits 2.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScenarioSchema } from './schema.js';
import type { Scenario } from './fields.js';
import { json_path } from './check.js';

export class ScenarioError extends Error {
  constructor(readonly file: string, readonly field: string, what: string) {
    super(`${file}: ${field ? `${field}: ` : ''}${what}`);
    this.name = 'ScenarioError';
  }
}

/** The scenarios/ folder of the package (the built module lives in dist/src/scenario). */
export function scenariosDir(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  return fileURLToPath(new URL(fromSource ? '../../scenarios/' : '../../../scenarios/', import.meta.url));
}

/** Parse and validate @text read from @file. */
export function parse_scenario(file: string, text: string): Scenario {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(file, '', `not JSON: ${(e as Error).message}`);
  }
  const r = ScenarioSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ScenarioError(file, json_path(issue.path), issue.message);
  }
  if (r.data.race !== basename(file, '.json')) {
    throw new ScenarioError(file, 'race', `"${r.data.race}" does not match the file name ${basename(file)}`);
  }
  return r.data;
}

export function load_scenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(file, '', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parse_scenario(file, text);
}

/** The scenario files of @dir (*.json), sorted. */
export function catalogue_files(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));
  } catch (e) {
    throw new ScenarioError(dir, '', `cannot read the folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export interface LoadedScenario {
  file: string;
  sc: Scenario;
}

/** Every scenario of @dir, sorted by race name, and apart the files that are not valid scenarios. */
export function load_catalogue_settled(dir: string): { loaded: LoadedScenario[]; errors: ScenarioError[] } {
  const loaded: LoadedScenario[] = [];
  const errors: ScenarioError[] = [];
  for (const file of catalogue_files(dir)) {
    try {
      loaded.push({ file, sc: load_scenario(file) });
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      errors.push(e);
    }
  }
  return { loaded, errors };
}

/** Every scenario of @dir, sorted by race name; the first bad file throws. */
export function load_catalogue(dir = scenariosDir()): Scenario[] {
  const { loaded, errors } = load_catalogue_settled(dir);
  if (errors.length) throw errors[0];
  return loaded.map((l) => l.sc);
}
