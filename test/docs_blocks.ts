/*
 * Fenced blocks of a Markdown document, and the commands of an `sh` block,
 * for the documentation tests (docs_commands, scenario_reference).
 */

export interface Block {
  lang: string;
  body: string[];
  line: number;
  /** The paragraph (non-blank lines) right before the opening fence, '```' after another block. */
  before: string;
}

export function fencedBlocks(md: string): Block[] {
  const lines = md.split('\n');
  const out: Block[] = [];
  let para: string[] = [];
  let blank = false;
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```([A-Za-z0-9_-]*)\s*$/.exec(lines[i]);
    if (open === null) {
      if (lines[i].trim() === '') {
        blank = true;
      } else {
        if (blank) para = [];
        blank = false;
        para.push(lines[i]);
      }
      continue;
    }
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) body.push(lines[j++].slice(open[1].length));
    out.push({ lang: open[2], body, line: i + 1, before: para.join('\n') });
    para = ['```'];
    blank = false;
    i = j;
  }
  return out;
}

interface Command {
  text: string;
  exit: number;
}

export function commandsOf(b: Block): Command[] {
  const cmds: Command[] = [];
  let acc = '';
  for (const raw of b.body) {
    const l = raw.trimEnd();
    if (acc === '' && (l.trim() === '' || l.trim().startsWith('#'))) continue;
    if (l.endsWith('\\')) {
      acc += `${l.slice(0, -1).trim()} `;
      continue;
    }
    const text = (acc + l.trim()).trim();
    acc = '';
    const m = /\s+#\s*exit\s+(\d+)\s*$/.exec(text);
    cmds.push({ text: m ? text.slice(0, m.index) : text, exit: m ? Number(m[1]) : 0 });
  }
  return cmds;
}
