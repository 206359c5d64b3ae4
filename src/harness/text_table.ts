/*
 * Plain-text tables for the commands' human output: a header, a line of
 * dashes, the rows; columns two spaces apart, each as wide as its widest
 * cell.  Left-aligned columns by @left (default: the first only), the rest
 * right-aligned; @trim drops trailing blanks from each row.  No trailing
 * newline.
 */
export function text_table(head: string[], rows: string[][], left: (col: number) => boolean = (c) => c === 0, trim = false): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => {
    const s = cells.map((c, i) => (left(i) ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
    return trim ? s.trimEnd() : s;
  };
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}
