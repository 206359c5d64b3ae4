/*
 * The model's settings that come from the environment, parsed without
 * loading the model: the command checks them before any work (a bad one
 * is exit 2 naming the variable), and the modules that read them at load
 * (src/shm/kasan.ts, src/shm/mutant.ts) use the same parsers.
 *
 * Context: any thread; no imports, so `swaptorture --version` stays cheap.
 */

/** SWAPTORTURE_KASAN: "1" on; unset, "" or "0" off; anything else an Error naming it. */
export function parse_kasan(text: string | undefined): boolean | Error {
  if (text === undefined || text === '' || text === '0') return false;
  if (text === '1') return true;
  return new Error(`SWAPTORTURE_KASAN: "${text}" is neither "1" (check the arena's indexes) nor "0" (do not)`);
}

/** SWAPTORTURE_MUTANT: the mutant id (0 or unset: none), or an Error naming what was wrong. */
export function parse_mutant_id(text: string | undefined): number | Error {
  if (text === undefined || text === '') return 0;
  if (!/^\d{1,9}$/.test(text)) return new Error(`SWAPTORTURE_MUTANT: "${text}" is not a mutant id (a whole number, 0 for none)`);
  return Number(text);
}

/** The first problem with the model's environment settings in @env, or null. */
export function model_env_problem(env: NodeJS.ProcessEnv): string | null {
  for (const v of [parse_kasan(env.SWAPTORTURE_KASAN), parse_mutant_id(env.SWAPTORTURE_MUTANT)]) if (v instanceof Error) return v.message;
  return null;
}
