/*
 * A fuzzing corpus directory's failures: <corpus>/failures/<site>.json,
 * one per failure site (the invariant and the message with every number
 * blanked, so addresses and counts do not split one bug in many), and
 * `fuzz merge`, which gathers the failures and journals of several
 * corpora (shards, machines) into one.
 *
 * Context: main thread; synchronous file system calls.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { write_atomic } from './write_atomic.js';
import { corpus_journals, read_journal, type JournalHeader, type JournalLine } from './fuzz_journal.js';

/** A failure file: its path and its document. */
export interface FailureDoc {
  file: string;
  doc: Record<string, unknown>;
}

export interface FuzzFailure {
  file: string;
  invariant: string;
  site: string;
  design: string;
  schedule: string;
  replay: string;
  /** First seen in this campaign (not in the corpus before it started). */
  fresh: boolean;
}

/** The failure site: invariant and message with every number blanked (so addresses and counts do not split one bug in many). */
export function failure_site(invariant: string, message: string): string {
  const norm = message.replace(/0x[0-9a-f]+/gi, '#').replace(/\d+/g, '#').slice(0, 120);
  let h = 0x811c9dc5;
  for (let i = 0; i < norm.length; i++) h = Math.imul(h ^ norm.charCodeAt(i), 0x01000193) >>> 0;
  return `${invariant}-${h.toString(16).padStart(8, '0')}`;
}

/**
 * What kind of abnormal end @abnormal (a FuzzResult's) reports: a
 * controlled run's outcome (livelock, deadlock, diverged), a free-running
 * execution's "stall", a case whose system could not be set up
 * ("setup"), or "error" (a CPU threw).  A replay of an abnormal run
 * compares this.
 */
export function abnormal_outcome(abnormal: string): string {
  const m = /^(livelock|deadlock|diverged)\b/.exec(abnormal);
  if (m !== null) return m[1];
  if (/\bstall: /.test(abnormal)) return 'stall';
  if (/^(setup|system)[.[]/.test(abnormal)) return 'setup'; /* ScenarioSetupError: the field, then why */
  return 'error';
}

/** The failure files of a corpus directory, by site. */
export function read_failures(dir: string): Map<string, FailureDoc> {
  const out = new Map<string, FailureDoc>();
  const fdir = join(dir, 'failures');
  if (!existsSync(fdir)) return out;
  for (const f of readdirSync(fdir).sort()) {
    if (!f.endsWith('.json') || f.includes('.tmp-') || f.endsWith('.trace.json')) continue;
    try {
      const doc = JSON.parse(readFileSync(join(fdir, f), 'utf8')) as Record<string, unknown>;
      out.set(String(doc.site), { file: join(fdir, f), doc });
    } catch {
      /* an unreadable file is not a failure record */
    }
  }
  return out;
}

/* The abnormal runs' record files in corpus @dir (abnormal/run-N.json; a write in progress is not one). */
function abnormal_records(dir: string): string[] {
  const d = join(dir, 'abnormal');
  return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json') && !f.includes('.tmp-')) : [];
}

/*
 * Copy the abnormal runs' records of corpus @from into @into's.  Within
 * one campaign a run index is one run: a record whose name is there
 * already is left alone (shards' run indices differ; a run repeated after
 * a kill is the same run).  With @campaigns (fuzz merge --failures-only:
 * corpora of different campaigns) the same index is another campaign's
 * run: unless its text is the same, it goes in beside the other as
 * run-N-2.json, run-N-3.json, ...
 */
function merge_abnormal(from: string, into: string, campaigns: boolean): void {
  const records = from === into ? [] : abnormal_records(from);
  if (records.length === 0) return;
  mkdirSync(join(into, 'abnormal'), { recursive: true });
  for (const f of records) {
    const text = readFileSync(join(from, 'abnormal', f), 'utf8');
    for (let k = 1; ; k++) {
      const target = join(into, 'abnormal', k === 1 ? f : f.replace(/\.json$/, `-${k}.json`));
      if (!existsSync(target)) {
        write_atomic(target, text);
        break;
      }
      if (!campaigns || readFileSync(target, 'utf8') === text) break;
    }
  }
}

/*
 * The journals of corpora @dirs, joined by name (a shard's name: the
 * campaign-KofN.jsonl of every input is one shard's): each run once, by
 * its index.  Journals of one name must be one campaign's (the same
 * campaign line); two campaigns' journals cannot be one file - an Error
 * naming both.
 */
function join_journals(dirs: readonly string[]): Map<string, { file: string; header: JournalHeader; lines: Map<number, JournalLine> }> {
  const out = new Map<string, { file: string; header: JournalHeader; lines: Map<number, JournalLine> }>();
  for (const d of dirs) {
    for (const j of corpus_journals(d)) {
      const file = join(d, j);
      const { header, lines } = read_journal(file);
      if (header === null) throw new Error(`${file} has no campaign line (a journal's first line): not a campaign journal, or damaged`);
      const have = out.get(j);
      if (have === undefined) {
        out.set(j, { file, header, lines: new Map(lines.map((l) => [l.index, l])) });
        continue;
      }
      /* Journals written before target and guidance were recorded have the defaults. */
      const params = (h: JournalHeader): string => JSON.stringify({ ...h.campaign, target: h.campaign.target ?? 'model', guide: h.campaign.guide ?? true });
      if (params(have.header) !== params(header)) {
        const c = (h: JournalHeader): string => `seed ${h.campaign.seed} shard ${h.campaign.shard}${h.campaign.bug === null ? '' : ` bug ${h.campaign.bug}`} designs ${h.campaign.designs.join(',')} max-cpus ${h.campaign.maxCpus}`;
        throw new Error(`${file} (${c(header)}) and ${have.file} (${c(have.header)}) journal different campaigns under one name: merge them into different directories, or only their failures and abnormal runs (--failures-only)`);
      }
      for (const l of lines) if (!have.lines.has(l.index)) have.lines.set(l.index, l);
    }
  }
  return out;
}

/**
 * fuzz merge: corpora from shards or machines into @into - failures
 * de-duplicated by site, journals joined (each run once; what @into held
 * already kept), abnormal runs' records gathered.  With @failuresOnly
 * (corpora of different campaigns, whose journals cannot be one) the
 * journals are neither read nor written: runs and coverage pairs are
 * null.  Returns the merged summary.  Throws an Error naming the input at
 * fault, before writing anything, when an input is missing or two
 * journals of one name are different campaigns'.
 */
export function merge_corpora(dirs: string[], into: string, failuresOnly = false): { runs: number | null; coveragePairs: number | null; uniqueFailures: number; failures: FuzzFailure[]; abnormal: number } {
  /* Every input first: --into may be one of them, and must not be created before it is checked. */
  for (const d of dirs) if (!existsSync(d)) throw new Error(`no corpus directory ${d}`);
  /* What --into already holds is part of the merge (and of its summary). */
  const sources = existsSync(into) && !dirs.includes(into) ? [into, ...dirs] : dirs;
  const journals = failuresOnly ? new Map<string, never>() : join_journals(sources);
  mkdirSync(join(into, 'failures'), { recursive: true });
  const sites = new Map<string, FailureDoc>();
  const runs = new Set<string>();
  const pairs = new Set<number>();
  for (const [name, { header, lines }] of journals) {
    const sorted = [...lines.values()].sort((a, b) => a.index - b.index);
    for (const l of sorted) {
      runs.add(`${header.campaign.seed}:${l.index}`);
      for (const p of l.newPairs) pairs.add(p);
    }
    write_atomic(join(into, name), [header, ...sorted].map((l) => JSON.stringify(l)).join('\n') + '\n');
  }
  for (const d of sources) {
    for (const [site, f] of read_failures(d)) if (!sites.has(site)) sites.set(site, f);
    merge_abnormal(d, into, failuresOnly);
  }
  const failures: FuzzFailure[] = [];
  for (const [site, { file, doc }] of sites) {
    const target = join(into, 'failures', `${site}.json`);
    if (file !== target) write_atomic(target, readFileSync(file, 'utf8'));
    failures.push({ file: target, invariant: String(doc.invariant), site, design: String(doc.design), schedule: String(doc.shrunkSchedule ?? doc.schedule ?? ''), replay: `npx swaptorture repro --replay ${target}`, fresh: false });
  }
  return { runs: failuresOnly ? null : runs.size, coveragePairs: failuresOnly ? null : pairs.size, uniqueFailures: failures.length, failures, abnormal: abnormal_records(into).length };
}
