/*
 * `swaptorture stress` as users run it (the built bin, a child process):
 * bad flags, the --json schema, Ctrl-C, a crashed worker, a stalled CPU.
 * Runs are bounded by --ops (or stopped by the test); seeds are fixed.
 */
import './quiescent_setup.js'; /* every System a test boots is checked when it ends */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StressResultSchema } from '../src/harness/stress_report.js';
import { interrupt } from './cli_interrupt.js';
import { System } from '../src/api/system.js';
import { SWAP_MIN_PAGES } from '../src/mm/swap_header.js';
import { MAX_SWAPFILES } from '../src/shm/layout.js';
import { BUG_SWITCHES } from '../src/shm/bugs.js';
import { worker_exec_argv } from '../src/harness/worker_argv.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/swaptorture.js', import.meta.url));
const ENV = { ...process.env, CI: '1' };

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'stress', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: ENV });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('stress: bad usage exits 2 with one line naming the problem', () => {
  const cases: [string[], RegExp][] = [
    [['--cpus', '0'], /--cpus.*'0' is invalid/],
    [['--devices', 'ssd:abc'], /--devices: bad size "abc"/],
    [['--devices', 'floppy:1M'], /--devices: bad device kind "floppy"/],
    [['--devices', 'ssd:1p'], /--devices: device "ssd:1p" has 1 pages; a swap area needs at least 2 /],
    [['--mix', 'foo=1'], /--mix: unknown operation "foo"/],
    [['--mix', 'touch=x'], /--mix: bad weight in "touch=x"/],
    [['--mix', 'only,touch=0'], /--mix: every weight is 0/],
    [['--mix', 'only,zero=2147483648'], /--mix: the weights add up to 2147483648; at most 1000000$/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--bug', 'no-such-bug'], /--bug: unknown bug switch "no-such-bug"/],
    [['--devices', 'ghost'], /--devices: a ghost device needs --design ghost/],
    [['--devices', 'ghost:64M', '--design', 'ghost'], /--devices: "ghost:64M": a ghost device takes no size/],
    [['--seconds', '-1'], /--seconds.*'-1' is invalid/],
    [['--trace', '/no-such-dir/t.json'], /--trace: cannot write \/no-such-dir\/t.json: no directory \/no-such-dir$/],
    [['--trace', ''], /--trace: an empty file name$/],
    [['--ops', '10', '--seconds', '2'], /--seconds: the run is bounded by --ops; give one of them$/],
    [['--ops', '100', '--swapoff-cycles', '2', '--swapoff-interval', '0'], /--swapoff-cycles: 2 cycles asked for, but --swapoff-interval 0 turns swapoff off$/],
    [['--devices', Array(8).fill('ssd:64G').join(',')], /--devices: (ssd:64G,){7}ssd:64G: too large together for the model's memory \(arena of \d+ words > 2\^30/],
    [['--coverage', ''], /--coverage: an empty file name$/],
    [['--window-delay', '-1'], /--window-delay.*'-1' is invalid/],
    [['--window-delay', '1.5'], /--window-delay.*'1.5' is invalid/],
    [['--window-delay', '1000001'], /--window-delay.*'1000001' is invalid. expected a whole number from 0 to 1000000/],
  ];
  for (const [args, msg] of cases) {
    it(args.join(' '), () => {
      const r = run(...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^swaptorture stress: /);
      expect(lines[0]).toMatch(msg);
    });
  }
});

describe('stress: output', () => {
  it('--list-bugs lists every switch with the kind of its provenance', () => {
    const r = run('--list-bugs');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^count-overflow\s+provenance hypothetical\s+stress /m);
    expect(r.stdout).toMatch(/^swapoff-vs-swapin\s+provenance kernel-fix\s+stress /m);
    expect(r.stdout).toMatch(/^batch-free-memcg\s+provenance review\s+stress /m);
  });

  it('--json prints one document matching the schema; the verdict line goes to stderr', () => {
    const r = run('--cpus', '2', '--ops', '800', '--seed', '11', '--swapoff-interval', '5', '--swapoff-cycles', '1', '--json');
    expect(r.code).toBe(0);
    const doc = StressResultSchema.parse(JSON.parse(r.stdout));
    expect(doc).toMatchObject({ design: 'p4', cpus: 2, seed: 11, result: 'SUCCESS', exitStatus: 0, violations: [], stalls: [] });
    expect(doc.ops.total).toBe(1600);
    expect(doc.swapoffCycles + doc.swapoffFailed).toBe(1);
    /* The whole process's peak RSS: at least the arena the run shares with its CPUs, below anything absurd. */
    expect(doc.maxRssBytes).toBeGreaterThan(32 * 2 ** 20);
    expect(doc.maxRssBytes).toBeLessThan(4 * 2 ** 30);
    /* The world stood stopped for the periodic checks for part of the run, and only while one ran. */
    expect(doc.checkSeconds).toBeLessThanOrEqual(doc.seconds);
    if (doc.checks === 0) expect(doc.checkSeconds).toBe(0);
    expect(r.stderr).toMatch(/End of test: SUCCESS/);
  });

  it('maxRssBytes is the run\'s own peak, not the peak of the process that started it', () => {
    /* A parent that touched 512 MiB, then starts a small run: the run's peak is far below the parent's (getrusage() would carry it over). */
    const script = `
      const big = new Uint8Array(512 * 2 ** 20).fill(1);
      const r = require('node:child_process').spawnSync(process.execPath, [${JSON.stringify(BIN)}, 'stress', '--cpus', '2', '--ops', '200', '--seed', '3', '--json'], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
      process.stdout.write(JSON.stringify({ big: big[7], status: r.status, rss: JSON.parse(r.stdout).maxRssBytes }));`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { big: number; status: number; rss: number };
    expect(out.status).toBe(0);
    expect(out.rss).toBeGreaterThan(32 * 2 ** 20);
    expect(out.rss).toBeLessThan(400 * 2 ** 20);
  });

  it('--no-pv-spinlocks and --no-lockdep: said on the start line, the run clean', () => {
    const r = run('--cpus', '2', '--ops', '300', '--seed', '5', '--no-pv-spinlocks', '--no-lockdep');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^swaptorture: --- Start of test: .* stall=5000ms lockdep=off pv_spinlocks=off$/m);
    expect(r.stdout).toMatch(/End of test: SUCCESS/);
  });

  it('--window-delay: said on the start line and in the replay command; the CPUs delay at race windows and the run stays clean', () => {
    const r = run('--cpus', '2', '--ops', '300', '--seed', '9', '--window-delay', '50', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^swaptorture: --- Start of test: .* stall=5000ms window_delay=1\/50$/m);
    const d = StressResultSchema.parse(JSON.parse(r.stdout));
    expect(d.replay).toMatch(/ --window-delay 50$/);
    expect(d.violations).toEqual([]);
    /* One window point in 50 delays: 600 operations pass tens of thousands of points. */
    expect(d.windowDelays).toBeGreaterThan(50);
    const off = StressResultSchema.parse(JSON.parse(run('--cpus', '2', '--ops', '300', '--seed', '9', '--json').stdout));
    expect(off.windowDelays).toBe(0);
    expect(off.replay).not.toMatch(/--window-delay/);
  });

  it('without --json: the summary and "End of test: SUCCESS" on stdout', () => {
    const r = run('--cpus', '2', '--ops', '500', '--seed', '12');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^operation\s+count\s+per s$/m);
    expect(r.stdout).toMatch(/^lock class\s+acquired/m);
    expect(r.stdout).toMatch(/^peak RSS of the process\s+\d+ MiB$/m);
    expect(r.stdout).toMatch(/^world stopped for checks\s+\d+ ms \(\d+\.\d % of the run; --check-interval\)$/m);
    expect(r.stdout).toMatch(/^swaptorture: End of test: SUCCESS: design=p4 cpus=2 seed=12 /m);
  });
});

describe('stress: node options the command was started with', () => {
  it('V8 and whole-process options (which a worker refuses) hold for the CPUs too; the run is clean', () => {
    const r = spawnSync(process.execPath, ['--stack-trace-limit=50', '--max-old-space-size=4096', '--expose-gc', BIN, 'stress', '--cpus', '2', '--ops', '300', '--seed', '5'],
      { cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: ENV });
    expect(r.stderr).not.toMatch(/internal error|ERR_WORKER_INVALID_EXEC_ARGV/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^swaptorture: End of test: SUCCESS: design=p4 cpus=2 seed=5 /m);
  });

  it('worker_exec_argv keeps what a worker accepts, with the values after a flag, and turns require(esm) off', () => {
    const got = worker_exec_argv(['--stack-trace-limit=5', '--enable-source-maps', '--conditions', 'dev', '--jitless', '--max-old-space-size=100', '--no-warnings']);
    expect(got.filter((a) => a !== '--no-experimental-require-module')).toEqual(['--enable-source-maps', '--conditions', 'dev', '--no-warnings']);
    expect(got.includes('--no-experimental-require-module')).toBe(process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module'));
    /* Refused alone ("must be used with --cpu-prof"), accepted beside it, whichever comes first. */
    const prof = worker_exec_argv(['--cpu-prof-dir=/p', '--jitless', '--cpu-prof', '--cpu-prof-name', 'x.cpuprofile']);
    expect(prof.filter((a) => a !== '--no-experimental-require-module')).toEqual(['--cpu-prof-dir=/p', '--cpu-prof', '--cpu-prof-name', 'x.cpuprofile']);
  });

  it('node --cpu-prof --cpu-prof-dir=DIR: every thread\'s profile goes to DIR (the flame graph workflow), none to the working directory', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swt-prof-'));
    const dir = join(cwd, 'prof');
    const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, BIN, 'stress', '--cpus', '2', '--ops', '200', '--seed', '5'], { cwd, encoding: 'utf8', timeout: 300_000, env: ENV });
    expect(r.status, r.stderr).toBe(0);
    /* The main thread and at least the two CPUs. */
    expect(readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).length).toBeGreaterThanOrEqual(3);
    expect(readdirSync(cwd)).toEqual(['prof']);
  });
});

describe('stress: a bug switch stress seldom or never hits', () => {
  it('a clean run says so on the End of test line and in bugHints, pointing at repro and fuzz (and at the flags that reach it)', () => {
    /* zero-flag-unlocked: never found by free-running stress (src/shm/bugs.ts, measured); 300 operations per CPU. */
    expect(BUG_SWITCHES.find((b) => b.name === 'zero-flag-unlocked')?.stress).toBe('never');
    const r = run('--cpus', '2', '--ops', '300', '--seed', '15', '--bug', 'zero-flag-unlocked');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^swaptorture: End of test: SUCCESS: design=p4 cpus=2 seed=15 .* stalls=0 \(but --bug zero-flag-unlocked is not hit by free-running stress: try `swaptorture repro zero-flag-unlocked` or `swaptorture fuzz --bug zero-flag-unlocked`\)$/m);
    /* scan-border is reached once a device is not a multiple of a cluster: the hint gives those flags first. */
    const j = run('--cpus', '2', '--ops', '300', '--seed', '15', '--bug', 'scan-border', '--json');
    expect(j.code, j.stderr).toBe(0);
    expect(StressResultSchema.parse(JSON.parse(j.stdout)).bugHints).toEqual([{
      bug: 'scan-border', stress: 'never', reason: '--bug scan-border is not hit by free-running stress with these flags',
      try: ['swaptorture stress --bug scan-border --devices ssd:600p,hdd:1100p', 'swaptorture repro scan-border', 'swaptorture fuzz --bug scan-border'],
    }]);
    /* Without a switch: no hint. */
    const plain = run('--cpus', '2', '--ops', '300', '--seed', '15', '--json');
    expect(StressResultSchema.parse(JSON.parse(plain.stdout)).bugHints).toEqual([]);
  }, 300_000);
});

describe('stress: device limits are the model\'s', () => {
  it('the smallest device is swapon\'s: SWAP_MIN_PAGES runs, one page less is exit 2', () => {
    const sys = System.create({ design: 'p4', nrCpus: 1, seed: 1 });
    expect(sys.createSwapDevice('/dev/small', { sizePages: SWAP_MIN_PAGES - 1 })).toBe(0);
    expect(sys.swapon('/dev/small')).toBe(-22);
    expect(sys.createSwapDevice('/dev/smallest', { sizePages: SWAP_MIN_PAGES })).toBe(0);
    expect(sys.swapon('/dev/smallest')).toBe(0);
    const ok = run('--cpus', '2', '--ops', '500', '--seed', '13', '--devices', `ssd:${SWAP_MIN_PAGES}p,hdd:${SWAP_MIN_PAGES}p`);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/End of test: SUCCESS/);
    const bad = run('--devices', `ssd:${SWAP_MIN_PAGES - 1}p`);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`^swaptorture stress: --devices: device "ssd:${SWAP_MIN_PAGES - 1}p" has ${SWAP_MIN_PAGES - 1} pages; a swap area needs at least ${SWAP_MIN_PAGES} `));
  }, 300_000);

  it('as many devices as MAX_SWAPFILES (one less under vswap); one more is exit 2 naming the limit and why', () => {
    const devs = (n: number): string => Array.from({ length: n }, (_, i) => (i % 2 ? 'hdd:1M' : 'ssd:1M')).join(',');
    const ok = run('--cpus', '2', '--ops', '300', '--seed', '14', '--devices', devs(MAX_SWAPFILES), '--swapoff-interval', '5', '--swapoff-cycles', '2', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(StressResultSchema.parse(JSON.parse(ok.stdout)).devices).toHaveLength(MAX_SWAPFILES);
    const over = run('--devices', devs(MAX_SWAPFILES + 1));
    expect(over.code).toBe(2);
    expect(over.stderr).toBe(`swaptorture stress: --devices: ${MAX_SWAPFILES + 1} devices; at most ${MAX_SWAPFILES}: MAX_SWAPFILES is ${MAX_SWAPFILES} (the 32 swap types of a swap entry less those borrowed for special entries, include/linux/swap.h)\n`);
    const vswap = run('--design', 'vswap', '--devices', devs(MAX_SWAPFILES));
    expect(vswap.code).toBe(2);
    expect(vswap.stderr).toMatch(new RegExp(`at most ${MAX_SWAPFILES - 1}: .*under vswap swap_info 0 is the virtual swap space\n$`));
  }, 300_000);
});

describe('stress: faults', () => {
  it('a worker that throws ends the run with 3, naming the CPU and operation, with the summary', () => {
    const r = run('--cpus', '2', '--ops', '100000', '--seed', '5', '--inject-crash', '300');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/CPU CRASHED in operation [a-z-]+: cpu 0 task 1 program stress-cpu: Error: injected crash after 300 operations/);
    expect(r.stdout).toMatch(/^operation\s+count/m);
    expect(r.stdout).toMatch(/End of test: FAILURE/);
  });

  it('a stalled CPU ends the run with 3 after dumping every task', () => {
    /*
     * No swapoff cycles: a swapoff under way when task 1 stalls waits in
     * synchronize_rcu() for it (task 1 holds swap_lock, preemption off)
     * and, started earlier, could be the first task the watchdog names.
     */
    const r = run('--cpus', '2', '--ops', '1000000', '--seed', '6', '--inject-stall', '300', '--stall-ms', '500', '--swapoff-interval', '0', '--json');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/STALL: task 1 on cpu \d in \S+ for \d+ ms/);
    expect(r.stderr).toMatch(/task 1 on cpu \d: op \S+, last point inject_stall, .*held locks \[swap_lock@\d+\]/);
    const doc = StressResultSchema.parse(JSON.parse(r.stdout));
    expect(doc.stalls).toHaveLength(1);
    expect(doc.stalls[0].task).toBe(1);
    expect(doc.exitStatus).toBe(3);
  });

  it('SIGINT on a clean run stops the CPUs, prints the summary so far, "End of test: INTERRUPTED" and exits 130', async () => {
    /* Interrupted once the CPUs are in their workload loop: the first statistics line. */
    const r = await interrupt(['stress', '--cpus', '2', '--seconds', '600', '--seed', '9', '--stat-interval', '0.1'], /Ops: {2}Total:/);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: stopping every CPU/);
    expect(r.stdout).toMatch(/^operation\s+count/m);
    expect(r.stdout).toMatch(/^swaptorture: End of test: INTERRUPTED: design=p4 cpus=2 seed=9 .* violations=0 stalls=0$/m);
    expect(r.stdout).not.toMatch(/FAILURE|replay:/);
    const j = await interrupt(['stress', '--cpus', '2', '--seconds', '600', '--seed', '9', '--stat-interval', '0.1', '--json'], /Ops: {2}Total:/);
    expect(j.code).toBe(130);
    expect(StressResultSchema.parse(JSON.parse(j.stdout))).toMatchObject({ result: 'INTERRUPTED', exitStatus: 130, interrupted: true, violations: [] });
  }, 300_000);

  it('SIGINT after a violation: still FAILURE and exit 1 (what was found is the news), marked interrupted', async () => {
    /* batch-free-memcg is found within the first second (seed 1) and, with --keep-going, the run goes on until the Ctrl-C. */
    const r = await interrupt(['stress', '--cpus', '2', '--seconds', '600', '--seed', '1', '--bug', 'batch-free-memcg', '--keep-going', '--json'], /VIOLATION \[memcg\]/);
    expect(r.code).toBe(1);
    const doc = StressResultSchema.parse(JSON.parse(r.stdout));
    expect(doc).toMatchObject({ result: 'FAILURE', exitStatus: 1, interrupted: true });
    expect(doc.violations.length).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/^swaptorture: End of test: FAILURE: .* \(interrupted\)$/m);
  }, 300_000);
});
