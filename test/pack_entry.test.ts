/*
 * Workers and the command line start from their entry point's pack
 * (dist/bundle, the build's copy of the modules in one file or a few)
 * only while it holds the code the modules hold: a pack older than the
 * modules, a file of it or its manifest missing or broken, coverage,
 * profiling or SWAPTORTURE_PACKS=off mean the modules.  And a pack is the
 * same program: the races searched, fuzz executions and commands run
 * from either give the same results.  Seeds are fixed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import '../src/designs/index.js';
import { cli_entry, dist_dir, modules_file, modules_wanted, pack_file, pack_fresh, pack_hash, pack_stamp, worker_entry, type PackManifest, type PackName } from '../src/harness/pack.js';
import { CpuPool } from '../src/harness/cpus.js';
import { worker_exec_argv } from '../src/harness/worker_argv.js';
import { createArena } from '../src/shm/arena.js';
import { load_catalogue } from '../src/scenario/load.js';
import { primary_design, repro_search, type ReproResult } from '../src/harness/repro.js';
import { fresh_case } from '../src/harness/fuzz_case.js';
import { implemented_designs } from '../src/designs/index.js';
import type { FuzzJob, FuzzResult } from '../src/harness/fuzz_types.js';

describe('modules_wanted', () => {
  it('nothing set: a pack may be used', () => {
    expect(modules_wanted({}, [])).toBeNull();
    expect(modules_wanted({ SWAPTORTURE_PACKS: 'auto' }, ['--no-warnings'])).toBeNull();
    expect(modules_wanted({ SWAPTORTURE_PACKS: '' }, [])).toBeNull();
  });

  it('asked for, coverage, or a profiler: the modules', () => {
    expect(modules_wanted({ SWAPTORTURE_PACKS: 'off' }, [])).toBe('SWAPTORTURE_PACKS=off');
    expect(modules_wanted({ NODE_V8_COVERAGE: '/tmp/cov' }, [])).toBe('coverage');
    for (const flag of ['--cpu-prof', '--cpu-prof-dir=prof', '--prof', '--heap-prof', '--inspect', '--inspect-brk=0']) {
      expect(modules_wanted({}, ['--stack-size=2000', flag])).toBe(flag);
    }
  });

  it('any other SWAPTORTURE_PACKS is an error naming the variable and the value', () => {
    expect(() => modules_wanted({ SWAPTORTURE_PACKS: 'on' }, [])).toThrow(/^SWAPTORTURE_PACKS: "on" is neither "off" nor "auto"/);
  });
});

describe('pack_fresh', () => {
  let dist = '';
  const modules = ['src/a.js', 'workers/cpu.js'];
  const write = (rel: string, text: string): void => {
    mkdirSync(join(dist, rel, '..'), { recursive: true });
    writeFileSync(join(dist, rel), text);
  };
  const manifest = (m: Partial<PackManifest>): PackManifest => ({
    entry: 'workers/cpu.js', files: ['bundle/workers/cpu.js'], modules, stamps: modules.map((f) => pack_stamp(join(dist, f))), hash: pack_hash(dist, modules), ...m,
  });
  /* A build: two modules, the pack and a manifest that matches them; the command line's pack in two files. */
  const build = (): void => {
    rmSync(dist, { recursive: true, force: true });
    write('src/a.js', 'export const a = 1;\n');
    write('workers/cpu.js', "import { a } from '../src/a.js';\nexport default () => a;\n");
    write('bundle/workers/cpu.js', 'const a = 1;\nexport default () => a;\n');
    write('bundle/workers/cpu.json', JSON.stringify(manifest({})));
    write('src/cli/main.js', "export const main = async () => (await import('../a.js')).a;\n");
    write('bundle/cli/main.js', "export const main = async () => (await import('./cli-a-x.js')).a;\n");
    write('bundle/cli/cli-a-x.js', 'export const a = 1;\n');
    const cli = ['src/a.js', 'src/cli/main.js'];
    write('bundle/cli/main.json', JSON.stringify(manifest({ entry: 'src/cli/main.js', files: ['bundle/cli/main.js', 'bundle/cli/cli-a-x.js'], modules: cli, stamps: cli.map((f) => pack_stamp(join(dist, f))), hash: pack_hash(dist, cli) })));
  };
  beforeAll(() => {
    dist = mkdtempSync(join(tmpdir(), 'swt-pack-'));
  });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  it('a pack whose manifest matches the modules is fresh, also after they are written again unchanged (new times, same contents)', () => {
    build();
    expect(pack_fresh(dist, 'cpu')).toBe(true);
    expect(pack_fresh(dist, 'cli')).toBe(true);
    write('src/a.js', 'export const a = 1;\n');
    utimesSync(join(dist, 'src/a.js'), new Date(), new Date(Date.now() + 5000));
    expect(pack_fresh(dist, 'cpu')).toBe(true);
    expect(pack_fresh(dist, 'cli')).toBe(true);
    expect(pack_file(dist, 'cpu')).toBe(join(dist, 'bundle/workers/cpu.js'));
    expect(pack_file(dist, 'cli')).toBe(join(dist, 'bundle/cli/main.js'));
    expect(modules_file(dist, 'cli')).toBe(join(dist, 'src/cli/main.js'));
  });

  it('a module changed since the pack was made: stale', () => {
    build();
    write('src/a.js', 'export const a = 2;\n');
    expect(pack_fresh(dist, 'cpu')).toBe(false);
    expect(pack_fresh(dist, 'cli')).toBe(false);
  });

  it('a module gone, a file of the pack gone, no manifest, a manifest that is not JSON, names another entry, misses a module or its stamps: stale', () => {
    const spoil: ((d: string) => void)[] = [
      (d) => rmSync(join(d, 'src/a.js')),
      (d) => rmSync(join(d, 'bundle/workers/cpu.js')),
      (d) => rmSync(join(d, 'bundle/workers/cpu.json')),
      (d) => writeFileSync(join(d, 'bundle/workers/cpu.json'), '{ not json'),
      (d) => writeFileSync(join(d, 'bundle/workers/cpu.json'), JSON.stringify(manifest({ entry: 'workers/fuzz.js' }))),
      (d) => writeFileSync(join(d, 'bundle/workers/cpu.json'), JSON.stringify(manifest({ modules: ['src/a.js'], stamps: [pack_stamp(join(d, 'src/a.js'))], hash: pack_hash(d, ['src/a.js']) }))),
      (d) => writeFileSync(join(d, 'bundle/workers/cpu.json'), JSON.stringify(manifest({ stamps: [] }))),
      (d) => writeFileSync(join(d, 'bundle/workers/cpu.json'), JSON.stringify(manifest({ files: ['bundle/workers/other.js'] }))),
    ];
    for (const f of spoil) {
      build();
      f(dist);
      expect(pack_fresh(dist, 'cpu'), f.toString()).toBe(false);
    }
    build();
    rmSync(join(dist, 'bundle/cli/cli-a-x.js'));
    expect(pack_fresh(dist, 'cli')).toBe(false);
    /* The fuzz entry has no pack at all. */
    expect(pack_fresh(dist, 'fuzz')).toBe(false);
  });

  it('worker_entry and cli_entry pick the pack only when it is fresh and wanted', () => {
    build();
    const saved = process.env.SWAPTORTURE_PACKS;
    try {
      delete process.env.SWAPTORTURE_PACKS;
      expect(worker_entry('cpu', dist)).toBe(join(dist, 'bundle/workers/cpu.js'));
      expect(worker_entry('fuzz', dist)).toBe(join(dist, 'workers/fuzz.js'));
      expect(cli_entry(['stress', '--ops', '10'], dist)).toBe(join(dist, 'bundle/cli/main.js'));
      /* Coverage is counted by file. */
      expect(cli_entry(['stress', '--coverage', 'cov.json'], dist)).toBe(join(dist, 'src/cli/main.js'));
      expect(cli_entry(['fuzz', '--coverage=cov.json'], dist)).toBe(join(dist, 'src/cli/main.js'));
      process.env.SWAPTORTURE_PACKS = 'off';
      expect(worker_entry('cpu', dist)).toBe(join(dist, 'workers/cpu.js'));
      expect(cli_entry([], dist)).toBe(join(dist, 'src/cli/main.js'));
      /* A bad value: the command line starts from its modules and main() says what was wrong. */
      process.env.SWAPTORTURE_PACKS = 'on';
      expect(cli_entry([], dist)).toBe(join(dist, 'src/cli/main.js'));
    } finally {
      if (saved === undefined) delete process.env.SWAPTORTURE_PACKS;
      else process.env.SWAPTORTURE_PACKS = saved;
    }
  });
});

describe('the packs of this build', () => {
  const dist = dist_dir();
  const pack = (name: PackName): string => pack_file(dist, name);
  const modules = (name: PackName): string => modules_file(dist, name);
  const NAMES: PackName[] = ['cpu', 'fuzz', 'cli'];

  beforeAll(() => {
    /* `npm test` packs after compiling; after a bare tsc the packs are stale: make them as the build does. */
    if (NAMES.every((n) => pack_fresh(dist, n))) return;
    console.log('packs stale or missing: node dist/workers/bundle.js');
    const r = spawnSync(process.execPath, [join(dist, 'workers', 'bundle.js')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('the bundler packs every entry point, and the packs are fresh', () => {
    for (const n of NAMES) expect(pack_fresh(dist, n), n).toBe(true);
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

describe('the command line from its pack and from its modules', () => {
  const BIN = join(dist_dir(), '..', 'bin', 'swaptorture.js');
  /* What differs between two runs of the same thing: times, rates, memory, temporary paths. */
  const TIMING = /(^ms$|Ms$|seconds|Seconds|PerSec|perSec|PerSecond|Rss|rss|^file$|^replay$)/;
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !TIMING.test(k)).map(([k, x]) => [k, strip(x)]));
    return v;
  };
  const run = (packs: 'off' | 'auto', args: string[]): { code: number | null; doc: unknown } => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, SWAPTORTURE_PACKS: packs, CI: '1' }, timeout: 300_000 });
    return { code: r.status, doc: r.stdout.trim() === '' ? r.stderr : strip(JSON.parse(r.stdout)) };
  };

  it('repro, explore, fuzz and decode print the same documents and exit the same (fixed seeds)', () => {
    const corpus = mkdtempSync(join(tmpdir(), 'swt-pack-fuzz-'));
    try {
      const commands: string[][] = [
        ['repro', 'swapcache-large-folio', '--json', '--seed', '1'],
        ['explore', 'swapoff-vs-swapin', '--max-schedules', '40', '--json'],
        ['decode', '--json', '0x1000000000001f03'],
      ];
      for (const args of commands) {
        const a = run('off', args);
        const b = run('auto', args);
        expect(b, args.join(' ')).toEqual(a);
      }
      const fuzz = (packs: 'off' | 'auto'): ReturnType<typeof run> => run(packs, ['fuzz', '--runs', '4', '--seed', '2', '--jobs', '1', '--bug', 'memcg-dead-reparent', '--corpus', join(corpus, packs), '--json']);
      const a = fuzz('off');
      expect(a.code).toBe(1);
      expect(fuzz('auto')).toEqual(a);
    } finally {
      rmSync(corpus, { recursive: true, force: true });
    }
  }, 300_000);
});
