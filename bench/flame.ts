/*
 * Flame graphs of V8 CPU profiles: `npm run flame -- DIR|FILE... [-o FILE.svg]
 * [--threads cpus|all] [--title TEXT] [--min PERCENT]`.
 *
 * Profile first:
 *   node --cpu-prof --cpu-prof-dir=prof bin/swaptorture.js stress --cpus 2 --seconds 20
 *   npm run flame -- prof -o stress.svg
 * Node writes one .cpuprofile per thread (the main thread, each CPU worker,
 * each fuzz job).  By default the graph merges the threads that ran the
 * model - those not asleep most of the time (SLEEPING) - so a 2-CPU run
 * shows both CPUs' time as one picture; --threads all keeps every thread.
 * Widths are sampled time; a frame is "function file:line".  Frames under
 * --min percent of the total (default 0.1) are left out.  The tooltip of
 * each frame gives its share.  A plain-text list of the widest frames
 * (self and total) goes to stdout.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { output_file_problem, write_atomic } from '../src/harness/write_atomic.js';
import { text_table } from '../src/harness/text_table.js';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/* A merged call tree: time in microseconds, children by frame name. */
interface Tree { name: string; self: number; total: number; kids: Map<string, Tree> }

/*
 * Leaf frames where a thread sleeps rather than runs: V8's idle, the
 * harness threads' timed sleeps (the swapoff and shuffle kthreads), an
 * idle worker's message loop.  A thread mostly in them did not run the model.
 */
const SLEEPING = new Set(['(idle)', 'torture_sleep', 'atomicsWaitLoop']);

function tree(name: string): Tree {
  return { name, self: 0, total: 0, kids: new Map() };
}

function frameName(f: CallFrame): string {
  const file = f.url === '' ? '' : ` ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
  return `${f.functionName || '(anonymous)'}${file}`;
}

/* Add profile @p's samples into @root if @keep(the share of its time asleep) says so; returns whether it did. */
function addProfile(root: Tree, p: CpuProfile, keep: (idleShare: number) => boolean): boolean {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = new Map<number, number>();
  let total = 0;
  let idle = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    time.set(id, (time.get(id) ?? 0) + dt);
    total += dt;
    if (SLEEPING.has(byId.get(id)!.callFrame.functionName)) idle += dt;
  });
  if (!keep(total > 0 ? idle / total : 1)) return false;
  for (const [id, dt] of time) {
    const stack: string[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = frameName(byId.get(cur)!.callFrame);
      if (name !== '(root)') stack.push(name);
    }
    let t = root;
    t.total += dt;
    for (let k = stack.length - 1; k >= 0; k--) {
      let c = t.kids.get(stack[k]);
      if (c === undefined) t.kids.set(stack[k], (c = tree(stack[k])));
      c.total += dt;
      t = c;
    }
    t.self += dt;
  }
  return true;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const W = 1200;
const ROW = 16;

/* A flame graph of @root: callers at the bottom, widths proportional to time. */
function svg(root: Tree, title: string, minShare: number): string {
  let depth = 0;
  const rects: string[] = [];
  const walk = (t: Tree, x: number, d: number): void => {
    depth = Math.max(depth, d);
    const w = (t.total / root.total) * W;
    rects.push(`${x.toFixed(2)}|${d}|${w.toFixed(2)}|${t.name}|${((100 * t.total) / root.total).toFixed(2)}`);
    let cx = x;
    for (const c of [...t.kids.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (c.total / root.total >= minShare) walk(c, cx, d + 1);
      cx += (c.total / root.total) * W;
    }
  };
  walk(root, 0, 0);
  const H = (depth + 1) * ROW + 40;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="monospace" font-size="11">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-family="sans-serif">${esc(title)}</text>`,
  ];
  for (const r of rects) {
    const [x, d, w, name, pct] = r.split('|');
    const y = H - (Number(d) + 1) * ROW;
    const hue = 10 + ((name.length * 37) % 50);
    const label = Number(w) > 40 ? `<text x="${Number(x) + 3}" y="${y + 12}">${esc(name.slice(0, Math.floor(Number(w) / 7)))}</text>` : '';
    out.push(`<g><title>${esc(name)} (${pct} %)</title><rect x="${x}" y="${y}" width="${w}" height="${ROW - 1}" fill="hsl(${hue},80%,60%)"/>${label}</g>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/* The widest frames of @root, by self time and by total time (a frame counted once per stack). */
function topFrames(root: Tree, n: number): string {
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const walk = (t: Tree, on: Set<string>): void => {
    self.set(t.name, (self.get(t.name) ?? 0) + t.self);
    if (!on.has(t.name)) total.set(t.name, (total.get(t.name) ?? 0) + t.total);
    const next = new Set(on).add(t.name);
    for (const c of t.kids.values()) walk(c, next);
  };
  for (const c of root.kids.values()) walk(c, new Set());
  const pct = (x: number): string => `${((100 * x) / root.total).toFixed(1)} %`;
  const top = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  const s = top(self);
  const t = top(total);
  return text_table(['self', 'frame (self)', 'total', 'frame (total)'], s.map((r, i) => [pct(r[1]), r[0], t[i] ? pct(t[i][1]) : '', t[i]?.[0] ?? '']), (i) => i === 1 || i === 3, true);
}

function usage(msg?: string): never {
  if (msg !== undefined) process.stderr.write(`flame: ${msg}\n`);
  process.stderr.write('usage: npm run flame -- DIR|FILE.cpuprofile... [-o FILE.svg] [--threads cpus|all] [--title TEXT] [--min PERCENT]\n');
  process.exit(msg === undefined ? 0 : 2);
}

function main(argv: string[]): void {
  const inputs: string[] = [];
  let out: string | null = null;
  let threads: 'cpus' | 'all' = 'cpus';
  let title: string | null = null;
  let minPct = 0.1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '-o' || a === '--output') out = value();
    else if (a === '--threads') {
      const v = value();
      if (v !== 'cpus' && v !== 'all') usage(`--threads: "${v}" is not cpus or all`);
      threads = v;
    } else if (a === '--title') title = value();
    else if (a === '--min') {
      minPct = Number(value());
      if (!(minPct >= 0 && minPct < 100)) usage('--min: a percentage in [0, 100)');
    } else if (a === '--help' || a === '-h') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else inputs.push(a);
  }
  if (inputs.length === 0) usage('no profile given');
  if (out !== null) {
    const problem = output_file_problem(out);
    if (problem !== null) usage(`-o: ${problem}`);
  }
  const files: string[] = [];
  for (const p of inputs) {
    let st;
    try {
      st = statSync(p);
    } catch {
      usage(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) files.push(...readdirSync(p).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => join(p, f)));
    else files.push(p);
  }
  if (files.length === 0) usage(`no .cpuprofile in ${inputs.join(', ')}`);
  const root = tree('all');
  const used: string[] = [];
  for (const f of files) {
    let p: CpuProfile;
    try {
      p = JSON.parse(readFileSync(f, 'utf8')) as CpuProfile;
      if (!Array.isArray(p.nodes) || !Array.isArray(p.samples) || !Array.isArray(p.timeDeltas)) throw new Error('not a V8 CPU profile (nodes, samples, timeDeltas)');
    } catch (e) {
      usage(`${f}: ${(e as Error).message}`);
    }
    /* A thread that ran the model is busy: the main thread and idle pools are mostly (idle). */
    if (addProfile(root, p, (idle) => threads === 'all' || idle < 0.5)) used.push(basename(f));
  }
  if (root.total === 0) usage(`no busy thread in ${files.length} profiles (--threads all keeps them all)`);
  process.stderr.write(`flame: ${used.length} of ${files.length} threads (${(root.total / 1e6).toFixed(1)} s of samples): ${used.join(', ')}\n`);
  process.stdout.write(topFrames(root, 25) + '\n');
  if (out !== null) {
    write_atomic(out, svg(root, title ?? `${used.length} threads, ${(root.total / 1e6).toFixed(1)} s of samples`, minPct / 100));
    process.stderr.write(`flame: wrote ${out}\n`);
  }
}

main(process.argv.slice(2));
