/*
 * Test helpers shared by the files that run scenarios on CPU workers in the test
 * process and run the built command beside it.
 *
 *   file_cpu_pool(threads)   a CpuPool on a fresh arena, made before the
 *                            file's tests and destroyed after them; call
 *                            the returned function inside a test
 *   cli(...args)             the built bin/swaptorture.js as a child
 *                            process in the package's root (CI=1)
 */
import { afterAll, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createArena } from '../src/shm/arena.js';
import { CpuPool } from '../src/harness/cpus.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));

/** A pool of @threads CPU workers for this file's tests. */
export function file_cpu_pool(threads: number): () => CpuPool {
  let pool: CpuPool | undefined;
  beforeAll(() => {
    pool = new CpuPool(createArena({}), threads);
  });
  afterAll(async () => {
    await pool?.destroy();
  });
  return () => {
    if (pool === undefined) throw new Error('file_cpu_pool: used outside a test');
    return pool;
  };
}

/** Run the command with @args; its exit status and output. */
export function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: { ...process.env, CI: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
