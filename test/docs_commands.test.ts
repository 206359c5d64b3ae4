/*
 * The documentation is checked like code: every fenced `sh` block of
 * README.md and docs/*.md runs here, command by command, and must end with
 * the exit status it documents (a trailing `# exit N`; 0 when none).  A
 * `text` block right after an `sh` block is that block's output: each of
 * its lines (`…` matching anything) must appear, in order, in what the
 * commands printed - unless the line before the block says
 * "illustrative".  A `text` block anywhere else must say so too.  A `js`
 * block is run as an ES module from inside the package, so that
 * `import ... from 'swaptorture'` resolves to this package.  A block
 * introduced by "Save this as `PATH`" is written to PATH for the commands
 * after it.
 *
 * How commands run: `npx swaptorture` is this clone's bin/swaptorture.js;
 * `npm run NAME -- ARGS` is the script NAME with its build step dropped
 * (the suite has built: rebuilding dist/ under the other test files would
 * race them).  Each document's commands run in order in a fresh temporary
 * directory with a `scenarios` link to the catalogue, so a document's
 * later commands see the files its earlier ones wrote.  The few commands
 * that are what CI itself runs (npm ci, npm test, ...) are not re-run; the
 * list is below and a command missing from it cannot be skipped.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandsOf, fencedBlocks } from './docs_blocks.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'swaptorture.js');
/* The build step of a package script (bin/build.mjs, or compile and pack the workers): the suite has done it. */
const BUILD = /^(?:node bin\/build\.mjs --if-stale|tsc -p \S+(?: && node dist\/workers\/bundle\.js)?) && /;

/*
 * Commands that run for long by default, run here for a shorter time (the
 * flag is appended: the last value of a flag wins).  Only what they print
 * in that time is checked.  A timed stress run the documents show
 * (`stress ... --seconds N`) runs here for one second too when it is
 * documented to end clean: what it prints is the same, with smaller
 * counts (one documented to find a bug runs as long as it says).
 */
const SHORTER: Record<string, string> = {
  'npm run stress': '--seconds 1',
};
const TIMED_STRESS = /^npx swaptorture stress\b.*\s--seconds\s+\S+/;

/* Commands CI runs itself, which the documents show but this test does not repeat. */
const RUN_BY_CI: Record<string, string> = {
  'npm ci': '.ci/run installs with it',
  'npm test': 'this suite is what it runs',
  'npm run test:load': 'the suite again, with two busy neighbours (run by hand before a release)',
  'npm run build': 'npm ci builds (the prepare script) and the suite needs the build',
  'npm pack': 'npm test packs and installs the tarball (test/pack.test.ts)',
  'npm run test:pack': 'npm test runs the same smoke test (test/pack.test.ts)',
};

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** The shell text that runs @cmd here, or a reason it is not run. */
export function translate(cmd: string, exit = 0): { run: string } | { skip: string } {
  for (const part of cmd.split(/\s*&&\s*/)) if (!(part in RUN_BY_CI) && part.startsWith('npm ') && !/^npm run \S+/.test(part)) throw new Error(`unknown npm command "${part}"`);
  const parts = cmd.split(/\s*&&\s*/).filter((p) => !(p in RUN_BY_CI));
  if (parts.length === 0) return { skip: RUN_BY_CI[cmd.split(/\s*&&\s*/)[0]] };
  const run = parts.map((p) => {
    const npmRun = /^npm run (\S+)(?:\s+--\s+(.*))?$/.exec(p);
    if (npmRun !== null) {
      const script = pkg.scripts[npmRun[1]];
      if (script === undefined) throw new Error(`"${p}": package.json has no script "${npmRun[1]}"`);
      if (!BUILD.test(script)) throw new Error(`"${p}": script "${script}" does not start with the build step`);
      return [script.replace(BUILD, '').replace(/(^|\s)(bin|dist)\//g, `$1${ROOT}$2/`), npmRun[2], SHORTER[p]].filter((x) => x !== undefined).join(' ');
    }
    const shorter = exit === 0 && TIMED_STRESS.test(p) ? ' --seconds 1' : '';
    return p.replace(/(^|\s)npx swaptorture(?=\s|$)/g, `$1${process.execPath} ${BIN}`) + shorter;
  });
  return { run: run.join(' && ') };
}

/** Each line of @excerpt ("…" matches anything) is found in @output, in order. */
export function excerptMissing(excerpt: string[], output: string): string | null {
  const have = output.split('\n').map((l) => l.trimEnd());
  let at = 0;
  for (const want of excerpt.map((l) => l.trimEnd()).filter((l) => l !== '')) {
    const re = new RegExp(`^${want.split('…').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    while (at < have.length && !re.test(have[at])) at++;
    if (at === have.length) return want;
    at++;
  }
  return null;
}

/*
 * A failed command's output for the assertion message: its beginning
 * (where stress prints each VIOLATION as it is found) and its end (the
 * verdict), as CI keeps only so much of a log.
 */
function headAndTail(out: string, keep = 2500): string {
  return out.length <= 2 * keep ? out : `${out.slice(0, keep)}\n[... ${out.length - 2 * keep} characters ...]\n${out.slice(-keep)}`;
}

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

describe.each(DOCS)('%s', (doc) => {
  const md = readFileSync(join(ROOT, doc), 'utf8');
  const blocks = fencedBlocks(md);

  it('every shell command runs and exits as documented; every output excerpt is checked or marked illustrative', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'swt-docs-'));
    symlinkSync(join(ROOT, 'scenarios'), join(cwd, 'scenarios'));
    let lastOutput: string | null = null;
    for (const b of blocks) {
      const where = `${doc}:${b.line}`;
      if (b.lang === 'sh') {
        lastOutput = '';
        for (const c of commandsOf(b)) {
          const t = translate(c.text, c.exit);
          if ('skip' in t) continue;
          const t0 = performance.now();
          const r = spawnSync('bash', ['-c', `${t.run} 2>&1`], { cwd, encoding: 'utf8', timeout: 600_000, env: { ...process.env, CI: '1', NO_COLOR: '1' } });
          console.log(`${where}: ${c.text}: exit ${r.status}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
          lastOutput += r.stdout;
          expect(r.status, `${where}: \`${c.text}\` exited ${r.status}${r.signal ? ` (${r.signal})` : ''}, documented ${c.exit}\n${headAndTail(r.stdout)}`).toBe(c.exit);
        }
        continue;
      }
      if (b.lang === 'text') {
        if (/illustrative/i.test(b.before)) continue;
        expect(lastOutput, `${where}: an output excerpt that follows no sh block must be marked illustrative`).not.toBeNull();
        const missing = excerptMissing(b.body, lastOutput ?? '');
        expect(missing, `${where}: the commands above did not print this line (mark the excerpt illustrative, or regenerate it):\n${missing}\n--- they printed:\n${(lastOutput ?? '').slice(-4000)}`).toBeNull();
      }
      const save = /Save (?:this|it) as `([^`]+)`/.exec(b.before);
      if (save !== null) {
        mkdirSync(join(cwd, save[1], '..'), { recursive: true });
        writeFileSync(join(cwd, save[1]), `${b.body.join('\n')}\n`);
      }
      if (b.lang === 'js') {
        const dir = join(ROOT, '.swaptorture', 'doc-examples');
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `${doc.replace(/[/.]/g, '_')}_${b.line}.mjs`);
        writeFileSync(file, b.body.join('\n'));
        const r = spawnSync(process.execPath, [file], { cwd, encoding: 'utf8', timeout: 600_000 });
        expect(r.status, `${where}: the example exited ${r.status}\n${r.stdout}${r.stderr}`).toBe(0);
        lastOutput = r.stdout + r.stderr;
        continue;
      }
      lastOutput = null;
    }
  });
});

describe('the documentation itself', () => {
  it('no file of the repository refers to what a clone does not have', () => {
    const files: string[] = [];
    const walk = (rel: string): void => {
      for (const e of readdirSync(join(ROOT, rel), { withFileTypes: true })) {
        const r = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) {
          if (!['node_modules', 'dist', '.git', '.swaptorture'].includes(e.name) && !e.name.startsWith('.mutants')) walk(r);
        } else if (r !== 'package-lock.json' && r !== 'test/docs_commands.test.ts' && r !== 'LICENSE') files.push(r);
      }
    };
    walk('');
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) expect(readFileSync(join(ROOT, f), 'utf8'), f).not.toMatch(/\.\.\/shared|DESIGN\.md|issue \d+|the registry here/i);
  });

  it('every relative link of the documentation resolves inside the repository, and every source path it names exists', () => {
    for (const doc of DOCS) {
      const md = readFileSync(join(ROOT, doc), 'utf8');
      for (const m of md.matchAll(/\b((?:src|test|bench|workers)\/[\w/.-]+\.(?:ts|cjs|mjs|sh))\b/g)) {
        expect(() => readFileSync(join(ROOT, m[1])), `${doc} names ${m[1]}`).not.toThrow();
      }
      /* Relative links resolve inside the repository. */
      for (const m of md.matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)) {
        const target = join(ROOT, doc.includes('/') ? 'docs' : '', m[1]);
        expect(() => readFileSync(target), `${doc}: link to ${m[1]}`).not.toThrow();
      }
    }
  });

  it('README stays short: the two commands first, at most 200 lines', () => {
    const md = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(md.split('\n').length).toBeLessThanOrEqual(200);
    const first = fencedBlocks(md)[0];
    expect(first.lang).toBe('sh');
    expect(commandsOf(first).map((c) => c.text)).toEqual(['npm ci && npm run stress', 'npm test']);
  });

  it('the parser: commands, exit statuses, excerpts with wildcards', () => {
    const [b] = fencedBlocks('x\n```sh\nnpx swaptorture stress \\\n  --seconds 1   # exit 1\n# a comment\n\nnpm test\n```\n');
    expect(commandsOf(b)).toEqual([{ text: 'npx swaptorture stress --seconds 1', exit: 1 }, { text: 'npm test', exit: 0 }]);
    expect(translate('npm test')).toHaveProperty('skip');
    expect(translate('npm ci && npm run stress')).toEqual({ run: `node ${BIN} stress --seconds 1` });
    expect(translate('npx swaptorture stress --cpus 2 --seconds 3 --seed 1')).toEqual({ run: `${process.execPath} ${BIN} stress --cpus 2 --seconds 3 --seed 1 --seconds 1` });
    expect(translate('npx swaptorture stress --bug zero-flag-unlocked --seconds 5', 1)).toEqual({ run: `${process.execPath} ${BIN} stress --bug zero-flag-unlocked --seconds 5` });
    expect(translate('npx swaptorture stress --ops 2000 --seed 7')).toEqual({ run: `${process.execPath} ${BIN} stress --ops 2000 --seed 7` });
    expect(translate('npx swaptorture repro all')).toEqual({ run: `${process.execPath} ${BIN} repro all` });
    expect(() => translate('npm install left-pad')).toThrow(/unknown npm command/);
    expect(excerptMissing(['a …ms', 'c'], 'a 12 ms\nb\nc')).toBeNull();
    expect(excerptMissing(['c', 'a …'], 'a 1\nc')).toBe('a …');
  });
});
