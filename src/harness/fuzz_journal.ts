/*
 * A fuzzing campaign's journal (<corpus>/campaign.jsonl, or
 * campaign-KofN.jsonl for shard K of N): the campaign line first (its
 * parameters: what --resume goes on with), then one line per finished
 * run, appended as it finishes (src/harness/fuzz.ts).
 *
 * Context: main thread; synchronous file system calls.
 */
import { appendFileSync, closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import type { FuzzCase } from './fuzz_types.js';

export interface JournalLine {
  index: number;
  seed: number;
  design: string;
  sites: string[];
  newPairs: number[];
  abnormal: string | null;
  ms: number;
  case?: FuzzCase;
}

/** The parameters that make a campaign: the same ones draw the same runs. */
export interface CampaignParams {
  seed: number;
  bug: string | null;
  designs: string[];
  maxCpus: number;
  /** "k/n" */
  shard: string;
  /** Absent in journals written before it was recorded: 'model'. */
  target?: 'model' | 'synthetic';
  /** Absent in journals written before it was recorded: true. */
  guide?: boolean;
}

export interface JournalHeader {
  campaign: CampaignParams;
}

/** The journal's file name in the corpus directory for shard @k of @n. */
export function journal_name(shard: { k: number; n: number }): string {
  return shard.n > 1 ? `campaign-${shard.k}of${shard.n}.jsonl` : 'campaign.jsonl';
}

const JOURNAL_RE = /^campaign(?:-(\d+)of(\d+))?\.jsonl$/;

/** The shard ("k/n") whose journal is named @name, or null when @name is no journal's name. */
export function journal_shard(name: string): string | null {
  const m = JOURNAL_RE.exec(name);
  if (m === null) return null;
  return m[1] === undefined ? '1/1' : `${m[1]}/${m[2]}`;
}

/** The journals in corpus directory @dir (names, sorted); none when @dir does not exist. */
export function corpus_journals(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => journal_shard(f) !== null).sort();
}

/*
 * One journal line, durable before the run counts as done.  After a kill
 * tore the last line, the new one starts on a line of its own (appended
 * to the torn fragment it would be torn too, and its run lost).
 */
export function journal_append(file: string, line: object): void {
  appendFileSync(file, (ends_torn(file) ? '\n' : '') + JSON.stringify(line) + '\n');
}

/* Does @file end in the middle of a line (its last byte not a newline)?  False when it is empty or missing. */
function ends_torn(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const { size } = fstatSync(fd);
    if (size === 0) return false;
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}

/**
 * The JSON lines of an append-only journal (this one, or `mutate`'s) that
 * made it to disk whole: a line torn by a kill is skipped, and what it
 * recorded is done again.  None when @file does not exist.
 */
export function read_jsonl(file: string): unknown[] {
  if (!existsSync(file)) return [];
  const out: unknown[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (raw.trim() === '') continue;
    try {
      out.push(JSON.parse(raw));
    } catch {
      continue; /* torn by a kill */
    }
  }
  return out;
}

/** The lines of a journal that made it to disk whole. */
export function read_journal(file: string): { header: JournalHeader | null; lines: JournalLine[] } {
  const out: JournalLine[] = [];
  let header: JournalHeader | null = null;
  for (const v of read_jsonl(file)) {
    if (typeof v === 'object' && v !== null && 'campaign' in v) header = v as JournalHeader;
    else out.push(v as JournalLine);
  }
  return { header, lines: out };
}
