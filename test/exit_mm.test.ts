/*
 * A process's exit while a thread of it faults in its address space: the
 * fault holds an mm_users reference (mmget_not_zero), so exit's mmput()
 * leaves the teardown (exit_mmap) to the last user, as the kernel does.
 * Before, the exit zapped the page table under the fault, which then
 * mapped its folio into a freed mm: a folio mapped by no PTE
 * (folio-accounting).  Checked through `repro --fixed` on a scenario
 * written here, under PCT and random schedules (seeds fixed by the
 * scenario search: 1..300).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));

const SCENARIO = {
  race: 'exit-vs-sibling-fault',
  title: 'A process exits while a thread of it faults its pages in',
  seed: 'test',
  functions: ['exit_mmap', 'mmput', 'do_swap_page'],
  bug: 'rcu-lazy-table-free',
  invariant: 'folio-accounting',
  designs: ['p4'],
  story: 'CPU 0 (a thread of a) swaps a\'s pages in while CPU 1 exits a.',
  system: { devices: [{ kind: 'ssd', pages: 1024 }], frames: 256, mmPages: 64, mms: 4 },
  setup: [{ op: 'mm', as: 'a' }, { op: 'write', mm: 'a', page: 0, nr: 8, order: 0 }, { op: 'reclaim', mm: 'a', page: 0, nr: 8 }],
  cpus: [{ ops: [{ op: 'touch', mm: 'a', page: 0, nr: 8 }] }, { ops: [{ op: 'exit', mm: 'a' }] }],
  depth: 3,
  maxSchedules: 300,
};

describe('exit while a sibling thread faults', () => {
  for (const mode of ['pct', 'random']) {
    it(`leaves the teardown to the last mm user: clean in 300 ${mode} schedules`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'swt-exit-'));
      writeFileSync(join(dir, `${SCENARIO.race}.json`), JSON.stringify(SCENARIO));
      const r = spawnSync(process.execPath, [BIN, 'repro', SCENARIO.race, '--dir', dir, '--fixed', '--mode', mode, '--json'], { encoding: 'utf8', timeout: 300_000 });
      const doc = JSON.parse(r.stdout) as { reproduced: boolean; abnormal: string | null; schedules: number; message: string | null };
      expect(doc.message).toBeNull();
      expect(doc.abnormal).toBeNull();
      expect(doc.reproduced).toBe(false);
      expect(doc.schedules).toBe(300);
      expect(r.status).toBe(0);
    });
  }
});
