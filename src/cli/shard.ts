/*
 * --shard k/n (fuzz, explore, mutate): which part of the work this invocation
 * does, for a CI matrix; the parts are joined with the command's merge.
 *
 * Context: a subcommand's action.
 */

/** @text as {k, n} with 1 <= k <= n, or @usage's exit 2 naming it. */
export function parse_shard(text: string, usage: (m: string) => never): { k: number; n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const k = m ? Number(m[1]) : 0;
  const n = m ? Number(m[2]) : 0;
  if (k < 1 || k > n) usage(`--shard: "${text}" is not k/n with 1 <= k <= n`);
  return { k, n };
}
