/*
 * The zswap writeback races as users run them (the built bin): a
 * writeback of an entry isolated before its slot got a new entry
 * (04fc7816089c: stale data over the new page; e3b63e966cac: the aborting
 * writeback strands its folio) reproduces with its bug switch, on a
 * swap-table design and under virtual swap, and stays clean with --fixed
 * under the same number of schedules.  Searches are bounded by schedule
 * counts and start from fixed seeds.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));
/* A safety net only: each case runs child processes. */
const TEST_TIMEOUT = 900_000;

interface Result {
  race: string;
  design: string;
  applies: boolean;
  reproduced: boolean;
  schedules: number;
  invariant: string | null;
  message: string | null;
}

function repro(...args: string[]): Result {
  const r = spawnSync(process.execPath, [BIN, 'repro', ...args, '--json', '--seed', '1'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: { ...process.env, CI: '1' } });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Result;
}

const CASES: [string, string, RegExp][] = [
  ['zswap-writeback-stale', 'data', /^data mismatch: mm \d+ page 0 swapped out at 0:\d+ holds 0x[0-9a-f]+, last write 0x[0-9a-f]+$/],
  ['zswap-writeback-leak', 'folio-accounting', /^folio \d+ \(1 page\) leaked: allocated with refcount 1, but no PTE maps it, it is not in the swap cache and no I\/O is pending$/],
];

describe.each(CASES)('%s', (race, invariant, message) => {
  it.each(['p4', 'vswap'])('reproduces on %s with its switch, and --fixed stays clean', (design) => {
    const bug = repro(race, '--design', design);
    console.log(`${race} (${design}): ${bug.schedules} schedule(s), [${bug.invariant}] ${bug.message}`);
    expect([bug.applies, bug.reproduced, bug.invariant]).toEqual([true, true, invariant]);
    expect(bug.message).toMatch(message);
    const fixed = repro(race, '--design', design, '--fixed');
    expect([fixed.applies, fixed.reproduced]).toEqual([true, false]);
    expect(fixed.schedules).toBeGreaterThanOrEqual(bug.schedules);
  }, TEST_TIMEOUT);
});
