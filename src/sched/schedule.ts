/*
 * Schedules as data: the task chosen at every step of a controlled run,
 * as a compact printable string, and back.
 *
 *   "1*1k.2*3.1*9"  = task 1 for 0x1k (56) steps, task 2 for 3, task 1 for 9
 *
 * Runs of one task are run-length encoded, numbers in base 36, runs joined
 * by '.'.  A whole run of thousands of points is a few dozen characters
 * when the strategy switches rarely (PCT).  The string holds only the
 * choices: what they apply to (scenario, seed, switches) travels beside it
 * (the repro command's replay string).
 */

/** Encode the per-step choices @record. */
export function encode_schedule(record: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < record.length; ) {
    let j = i + 1;
    while (j < record.length && record[j] === record[i]) j++;
    out.push(`${record[i].toString(36)}*${(j - i).toString(36)}`);
    i = j;
  }
  return out.join('.');
}

/** Decode a schedule string; throws a RangeError naming the bad part. */
export function decode_schedule(s: string): number[] {
  const out: number[] = [];
  if (s === '') return out;
  for (const part of s.split('.')) {
    const m = /^([0-9a-z]+)\*([0-9a-z]+)$/.exec(part);
    if (!m) throw new RangeError(`bad schedule run "${part}" (expected TASK*COUNT in base 36, e.g. 1*1k)`);
    const t = parseInt(m[1], 36);
    const n = parseInt(m[2], 36);
    if (n <= 0 || n > 1 << 24) throw new RangeError(`bad run length in "${part}"`);
    for (let k = 0; k < n; k++) out.push(t);
  }
  return out;
}

/** Context switches in @record (where consecutive choices differ). */
export function count_switches(record: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < record.length; i++) if (record[i] !== record[i - 1]) n++;
  return n;
}
