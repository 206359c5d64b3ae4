/*
 * Where a bug switch's race comes from (docs/races.md, "provenance"):
 *   kernel-fix    a kernel commit fixed it: the commits, by their 12-digit
 *                 id and exact subject as `git log --oneline` prints them
 *                 in Linus' tree or the mm tree;
 *   review        a posted patch or its review shows the hazard: the series
 *                 and patch as docs/sources.md cites them ("seed 001 patch
 *                 4"), the hunk or message quoted;
 *   hypothetical  a mistake the model invents to show a detector works:
 *                 the rule it breaks, where that rule is stated, and any
 *                 real fix nearby.
 * Pure data: test/races_doc.test.ts checks docs/races.md against it.
 */

/** A kernel commit: 12-digit id and exact subject. */
export interface KernelCommit {
  commit: string;
  subject: string;
  /** What the commit has to do with the race (the fix itself, or what it builds on). */
  note?: string;
}

/** A real fix near the race; cited by subject alone where the catalogue gives no id. */
export interface RelatedFix {
  commit?: string;
  subject: string;
  note?: string;
}

/** A posted patch, a report on it, or a message of its review. */
export interface ReviewRef {
  /** The series (and patch) as docs/sources.md cites it: "seed 002", "seed 001 patch 4". */
  series: string;
  /** The patch's subject, or the report's title. */
  title?: string;
  /** Who wrote what is quoted, when it is a message rather than the patch. */
  by?: string;
  /** The hunk or message, word for word. */
  quote?: string;
  note?: string;
}

interface ProvenanceCommon {
  /** What the refs do not say. */
  note?: string;
  /** Real fixes nearby. */
  related?: readonly RelatedFix[];
}

export type Provenance =
  | (ProvenanceCommon & { kind: 'kernel-fix'; refs: readonly KernelCommit[] })
  | (ProvenanceCommon & { kind: 'review'; refs: readonly ReviewRef[] })
  | (ProvenanceCommon & {
    kind: 'hypothetical';
    /** The rule the kernel states that the switch breaks. */
    rule: string;
    /** Where the rule is stated (may be none: the rule is the kernel's code). */
    refs: readonly ReviewRef[];
  });

/** Every kernel commit @p cites, its refs' and its related fixes' (those with an id). */
export function provenance_commits(p: Provenance): KernelCommit[] {
  const own = p.kind === 'kernel-fix' ? [...p.refs] : [];
  const related = (p.related ?? []).filter((r): r is KernelCommit => r.commit !== undefined);
  return [...own, ...related];
}
