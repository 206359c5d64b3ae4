/*
 * Workers start from their entry point's pack (dist/bundle/workers, the
 * build's one-file copy of the modules) only while it holds the code the
 * modules hold: a pack older than the modules, a broken or missing
 * manifest, coverage, profiling or SWAPTORTURE_WORKERS=modules mean the
 * modules.  And the pack is the same program: the races searched and
 * fuzz executions run from either give the same results.  Seeds are fixed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import '../src/designs/index.js';
import { dist_dir, worker_entry, worker_modules_wanted, worker_pack_dir, worker_pack_fresh, worker_pack_hash, type WorkerManifest } from '../src/harness/worker_entry.js';
import { CpuPool, worker_exec_argv } from '../src/harness/cpus.js';
import { createArena } from '../src/shm/arena.js';
import { load_catalogue } from '../src/scenario/load.js';
import { primary_design, repro_search, type ReproResult } from '../src/harness/repro.js';
import { fresh_case } from '../src/harness/fuzz_case.js';
import { implemented_designs } from '../src/designs/index.js';
import type { FuzzJob, FuzzResult } from '../src/harness/fuzz_types.js';

describe('worker_modules_wanted', () => {
  it('nothing set: the pack may be used', () => {
    expect(worker_modules_wanted({}, [])).toBeNull();
    expect(worker_modules_wanted({ SWAPTORTURE_WORKERS: 'auto' }, ['--no-warnings'])).toBeNull();
    expect(worker_modules_wanted({ SWAPTORTURE_WORKERS: '' }, [])).toBeNull();
  });

  it('asked for, coverage, or a profiler: the modules', () => {
    expect(worker_modules_wanted({ SWAPTORTURE_WORKERS: 'modules' }, [])).toBe('SWAPTORTURE_WORKERS=modules');
    expect(worker_modules_wanted({ NODE_V8_COVERAGE: '/tmp/cov' }, [])).toBe('coverage');
    for (const flag of ['--cpu-prof', '--cpu-prof-dir=prof', '--prof', '--heap-prof', '--inspect', '--inspect-brk=0']) {
      expect(worker_modules_wanted({}, ['--stack-size=2000', flag])).toBe(flag);
    }
  });

  it('any other SWAPTORTURE_WORKERS is an error naming the variable and the value', () => {
    expect(() => worker_modules_wanted({ SWAPTORTURE_WORKERS: 'bundle' }, [])).toThrow(/^SWAPTORTURE_WORKERS: "bundle" is neither "modules" nor "auto"/);
  });
});

describe('worker_pack_fresh', () => {
  let dist = '';
  const modules = ['src/a.js', 'workers/cpu.js'];
  const write = (rel: string, text: string): void => {
    mkdirSync(join(dist, rel, '..'), { recursive: true });
    writeFileSync(join(dist, rel), text);
  };
  /* A build: two modules, the pack and a manifest that matches them. */
  const build = (): void => {
    rmSync(dist, { recursive: true, force: true });
    write('src/a.js', 'export const a = 1;\n');
    write('workers/cpu.js', "import { a } from '../src/a.js';\nexport default () => a;\n");
    write('bundle/workers/cpu.js', 'const a = 1;\nexport default () => a;\n');
    const m: WorkerManifest = { entry: 'workers/cpu.js', modules, hash: worker_pack_hash(dist, modules) };
    write('bundle/workers/cpu.json', JSON.stringify(m));
  };
  beforeAll(() => {
    dist = mkdtempSync(join(tmpdir(), 'swt-pack-'));
  });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  it('a pack whose manifest matches the modules is fresh, also after they are written again unchanged', () => {
    build();
    expect(worker_pack_fresh(dist, 'cpu')).toBe(true);
    write('src/a.js', 'export const a = 1;\n');
    expect(worker_pack_fresh(dist, 'cpu')).toBe(true);
    expect(worker_pack_dir(dist)).toBe(join(dist, 'bundle', 'workers'));
  });

  it('a module changed since the pack was made: stale', () => {
    build();
    write('src/a.js', 'export const a = 2;\n');
    expect(worker_pack_fresh(dist, 'cpu')).toBe(false);
  });

  it('a module gone, the pack gone, no manifest, a manifest that is not JSON or names another entry: stale', () => {
    const spoil: ((d: string) => void)[] = [
      (d) => rmSync(join(d, 'src/a.js')),
      (d) => rmSync(join(d, 'bundle/workers/cpu.js')),
      (d) => rmSync(join(d, 'bundle/workers/cpu.json')),
      (d) => writeFileSync(join(d, 'bundle/workers/cpu.json'), '{ not json'),
      (d) => writeFileSync(join(d, 'bundle/workers/cpu.json'), JSON.stringify({ entry: 'workers/fuzz.js', modules, hash: worker_pack_hash(d, modules) })),
      (d) => writeFileSync(join(d, 'bundle/workers/cpu.json'), JSON.stringify({ entry: 'workers/cpu.js', modules: ['src/a.js'], hash: worker_pack_hash(d, ['src/a.js']) })),
    ];
    for (const f of spoil) {
      build();
      f(dist);
      expect(worker_pack_fresh(dist, 'cpu'), f.toString()).toBe(false);
    }
    /* The other entry has no pack at all. */
    build();
    expect(worker_pack_fresh(dist, 'fuzz')).toBe(false);
  });

  it('worker_entry picks the pack only when it is fresh', () => {
    build();
    const saved = process.env.SWAPTORTURE_WORKERS;
    try {
      delete process.env.SWAPTORTURE_WORKERS;
      expect(worker_entry('cpu', dist)).toBe(join(dist, 'bundle/workers/cpu.js'));
      expect(worker_entry('fuzz', dist)).toBe(join(dist, 'workers/fuzz.js'));
      process.env.SWAPTORTURE_WORKERS = 'modules';
      expect(worker_entry('cpu', dist)).toBe(join(dist, 'workers/cpu.js'));
    } finally {
      if (saved === undefined) delete process.env.SWAPTORTURE_WORKERS;
      else process.env.SWAPTORTURE_WORKERS = saved;
    }
  });
});

describe('the packs of this build', () => {
  const dist = dist_dir();
  const pack = (name: 'cpu' | 'fuzz'): string => join(worker_pack_dir(dist), `${name}.js`);
  const modules = (name: 'cpu' | 'fuzz'): string => join(dist, 'workers', `${name}.js`);

  beforeAll(() => {
    /* `npm test` packs after compiling; after a bare tsc the packs are stale: make them as the build does. */
    if (worker_pack_fresh(dist, 'cpu') && worker_pack_fresh(dist, 'fuzz')) return;
    console.log('packs stale or missing: node dist/workers/bundle.js');
    const r = spawnSync(process.execPath, [join(dist, 'workers', 'bundle.js')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('the bundler packs both entry points, and they are fresh', () => {
    expect(worker_pack_fresh(dist, 'cpu')).toBe(true);
    expect(worker_pack_fresh(dist, 'fuzz')).toBe(true);
  });

  it('every race searched from the CPU pack and from the modules: the same results (seed 1, up to 8 schedules)', async () => {
    const scs = load_catalogue();
    const threads = 1 + Math.max(2, ...scs.map((sc) => sc.cpus.length));
    const search = async (file: string): Promise<Partial<ReproResult>[]> => {
      const pool = new CpuPool(createArena({}), threads, { filename: file });
      try {
        const out: Partial<ReproResult>[] = [];
        for (const sc of scs) {
          const design = primary_design(sc) ?? 'p4';
          const r = await repro_search(pool, sc, { design, mode: 'pct', fixed: false, seed: 1, maxSchedules: 8, seconds: 0 });
          out.push({ race: r.race, reproduced: r.reproduced, schedules: r.schedules, invariant: r.invariant, step: r.step, schedule: r.schedule, abnormal: r.abnormal });
        }
        return out;
      } finally {
        await pool.destroy();
      }
    };
    const fromModules = await search(modules('cpu'));
    const fromPack = await search(pack('cpu'));
    expect(fromModules.filter((r) => r.reproduced).length).toBeGreaterThan(3);
    expect(fromPack).toEqual(fromModules);
  }, 300_000);

  it('fuzz executions on a job thread from the fuzz pack and from the modules: the same results (seed 7, runs 0-5)', async () => {
    const limits = { designs: implemented_designs(), maxCpus: 4 };
    const execs = async (file: string): Promise<Omit<FuzzResult, 'ms'>[]> => {
      const pool = new Piscina({ filename: file, minThreads: 1, maxThreads: 1, execArgv: worker_exec_argv(), workerData: { cpus: 4 } });
      try {
        const out: Omit<FuzzResult, 'ms'>[] = [];
        for (let i = 0; i < 6; i++) {
          const job: FuzzJob = { kind: 'exec', c: fresh_case(7, i, limits, null) };
          const { ms: _ms, ...r } = (await pool.run(job)) as FuzzResult;
          out.push(r);
        }
        return out;
      } finally {
        await pool.destroy();
      }
    };
    const fromModules = await execs(modules('fuzz'));
    const fromPack = await execs(pack('fuzz'));
    expect(fromModules.some((r) => r.steps > 0)).toBe(true);
    expect(fromPack).toEqual(fromModules);
  }, 300_000);
});
