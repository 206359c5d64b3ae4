/*
 * docs/scenarios.md is the scenario format's reference: its generated
 * section must be what the schema renders (scenario_reference()), and every
 * scenario shown in the documentation must load.  UPDATE_DOCS=1 rewrites
 * the section.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenario_reference } from '../src/scenario/reference.js';
import { ScenarioSchema } from '../src/scenario/schema.js';
import { fencedBlocks } from './docs_blocks.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOC = join(ROOT, 'docs', 'scenarios.md');
const BEGIN = '<!-- scenario-reference:begin -->';
const END = '<!-- scenario-reference:end -->';

describe('the scenario format reference', () => {
  it('docs/scenarios.md carries the reference the schema renders', () => {
    const want = `${BEGIN}\n${scenario_reference()}\n${END}`;
    const section = (md: string): [number, number] => [md.indexOf(BEGIN), md.indexOf(END) + END.length];
    let md = readFileSync(DOC, 'utf8');
    let [a, b] = section(md);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a);
    if (process.env.UPDATE_DOCS === '1') {
      writeFileSync(DOC, md.slice(0, a) + want + md.slice(b));
      md = readFileSync(DOC, 'utf8');
      [a, b] = section(md);
    }
    expect(md.slice(a, b), 'run UPDATE_DOCS=1 npx vitest run test/scenario_reference.test.ts').toBe(want);
  });

  it('every field and operation of the schema is in it', () => {
    const ref = scenario_reference();
    for (const f of Object.keys(ScenarioSchema.shape)) expect(ref).toContain(`| \`${f}\` |`);
    for (const op of ['mm', 'memcg', 'write', 'touch', 'reclaim', 'fork', 'exit', 'dontneed', 'move', 'offline', 'swapoff', 'swapon', 'migrate', 'failslab']) {
      expect(ref).toContain(`| \`${op}\` |`);
    }
  });

  it('every scenario shown in README.md and docs/ loads', () => {
    const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    let shown = 0;
    for (const doc of docs) {
      for (const blk of fencedBlocks(readFileSync(join(ROOT, doc), 'utf8'))) {
        if (blk.lang !== 'json' || !blk.body.join('\n').includes('"race"')) continue;
        shown++;
        const r = ScenarioSchema.safeParse(JSON.parse(blk.body.join('\n')));
        expect(r.success, `${doc}:${blk.line}: ${r.success ? '' : JSON.stringify(r.error.issues)}`).toBe(true);
      }
    }
    expect(shown).toBeGreaterThan(0);
  });
});
