/*
 * docs/races.md against the catalogue (BUG_SWITCHES): every switch has a
 * row in the table and a "## NAME" section, and both say the kind of its
 * provenance; every commit id, subject, series, title, author and quote
 * of the switch's provenance is in the section's provenance bullet, and
 * every commit id and every double-quoted text of the bullet is one of
 * them.  A switch without a scenario says so in its row.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUG_SWITCHES, type BugSwitch } from '../src/shm/bugs.js';
import { provenance_commits, type ReviewRef } from '../src/shm/bug_provenance.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MD = readFileSync(join(ROOT, 'docs', 'races.md'), 'utf8');
const COMMIT_ID = /\b[0-9a-f]{12}\b/g;

/* Line breaks, indents and double spaces of the Markdown source as one space. */
const flat = (t: string): string => t.replace(/\s+/g, ' ').trim();

/* The "## NAME" sections: name -> text up to the next "## ". */
function sections(md: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = md.split(/^## /m).slice(1);
  for (const p of parts) out.set(p.slice(0, p.indexOf('\n')).trim(), p.slice(p.indexOf('\n') + 1));
  return out;
}

/* The table rows: race name -> [the race cell, the provenance cell]. */
function rows(md: string): Map<string, [string, string]> {
  const out = new Map<string, [string, string]>();
  for (const line of md.split('\n')) {
    const m = /^\| \[([a-z0-9-]+)\]\(#\1\)([^|]*)\| ([^|]+) \|/.exec(line);
    if (m !== null) out.set(m[1], [m[2].trim(), m[3].trim()]);
  }
  return out;
}

/* A section's provenance bullet, flattened: from "- **provenance**:" to the next bullet. */
function provenance_bullet(section: string): string {
  const m = /^- \*\*provenance\*\*:([\s\S]*?)(?=^- \*\*|^\S|(?![\s\S]))/m.exec(section);
  return m === null ? '' : flat(m[1]);
}

/* Every text the switch's provenance cites word for word. */
function cited(b: BugSwitch): string[] {
  const p = b.provenance;
  const reviews: ReviewRef[] = p.kind === 'kernel-fix' ? [] : [...p.refs];
  const commits = [...(p.kind === 'kernel-fix' ? p.refs : []), ...(p.related ?? [])];
  return [
    ...commits.map((c) => c.subject),
    ...reviews.flatMap((r) => [r.series, r.title, r.by, r.quote].filter((t): t is string => t !== undefined)),
  ];
}

/* What the bullet puts in double quotes. */
function quoted(bullet: string): string[] {
  return [...bullet.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

const SECTIONS = sections(MD);
const ROWS = rows(MD);

describe('docs/races.md', () => {
  it('has a row and a section for every bug switch, and nothing else', () => {
    const names = BUG_SWITCHES.map((b) => b.name).sort();
    expect([...SECTIONS.keys()].sort()).toEqual(names);
    expect([...ROWS.keys()].sort()).toEqual(names);
  });

  it('names a switch without a scenario as such in its row', () => {
    for (const b of BUG_SWITCHES) {
      const scenario = existsSync(join(ROOT, 'scenarios', `${b.name}.json`));
      expect(ROWS.get(b.name)?.[0], b.name).toBe(scenario ? '' : '(switch only, no scenario)');
    }
  });

  describe.each(BUG_SWITCHES.map((b) => [b.name, b] as const))('%s', (name, b) => {
    const bullet = provenance_bullet(SECTIONS.get(name) ?? '');
    const cell = ROWS.get(name)?.[1] ?? '';
    const ids = provenance_commits(b.provenance).map((c) => c.commit);

    it('says the kind of its provenance in the table and in the section', () => {
      expect(cell.split(' ')[0]).toBe(b.provenance.kind);
      expect(bullet.split(' ')[0]).toBe(b.provenance.kind);
    });

    it('cites in the section every commit, subject, series, title, author and quote the switch has', () => {
      expect(bullet).not.toBe('');
      for (const id of ids) expect(bullet).toContain(`\`${id}\``);
      for (const t of cited(b)) expect(bullet, `${name}: "${t}"`).toContain(t);
    });

    it('cites no commit and quotes nothing the switch does not have', () => {
      expect([...new Set(bullet.match(COMMIT_ID) ?? [])].sort()).toEqual([...new Set(ids)].sort());
      const texts = new Set(cited(b));
      for (const q of quoted(bullet)) expect(texts.has(q), `${name}: "${q}" is not in its provenance`).toBe(true);
    });

    it('lists in the table the commits of a kernel fix', () => {
      const own = b.provenance.kind === 'kernel-fix' ? b.provenance.refs.map((c) => c.commit) : [];
      expect(cell.match(COMMIT_ID) ?? []).toEqual(own);
    });
  });
});
