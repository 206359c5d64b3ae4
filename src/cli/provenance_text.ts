/*
 * A bug switch's provenance as text, one line per reference (repro --list):
 *   kernel-fix 2799e77529c2 "swap: fix do_swap_page() race with swapoff"
 *   review seed 001 patch 4 "mm, swap: ...": "Double check the range ..."
 *   hypothetical, against the rule: <rule>
 *   hypothetical, the rule in seed 002: "it's safe to use RCU slab here"
 *   related fix 1f47b61fb407 "mm: memcontrol: fix swap counter leak ..."
 * The notes are in the JSON (--json) and in docs/races.md.
 */
import type { Provenance, RelatedFix, ReviewRef } from '../shm/bug_provenance.js';

/* seed 000 patch 10 "title" (by): "quote" */
function review_ref_text(r: ReviewRef): string {
  return `${r.series}${r.title !== undefined ? ` "${r.title}"` : ''}${r.by !== undefined ? ` (${r.by})` : ''}${r.quote !== undefined ? `: "${r.quote}"` : ''}`;
}

/* 1f47b61fb407 "subject", or "subject" alone when no id is given. */
function commit_text(c: RelatedFix): string {
  return `${c.commit !== undefined ? `${c.commit} ` : ''}"${c.subject}"`;
}

/** @p as lines (no indent, no newline). */
export function provenance_lines(p: Provenance): string[] {
  let own: string[];
  if (p.kind === 'kernel-fix') own = p.refs.map((c) => `kernel-fix ${commit_text(c)}`);
  else if (p.kind === 'review') own = p.refs.map((r) => `review ${review_ref_text(r)}`);
  else own = [`hypothetical, against the rule: ${p.rule}`, ...p.refs.map((r) => `hypothetical, the rule in ${review_ref_text(r)}`)];
  return [...own, ...(p.related ?? []).map((c) => `related fix ${commit_text(c)}`)];
}
