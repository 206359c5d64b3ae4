/*
 * src/harness/plot.ts: the SVG charts of `memory --plot`, `bench --plot`
 * and `npm run bench -- --suite scale --plot`.
 */
import { describe, expect, it } from 'vitest';
import { bar_chart_svg, line_chart_svg, stack_svg } from '../src/harness/plot.js';

/* The x pixel of each point of the first polyline. */
function xs(svg: string): number[] {
  const m = /<polyline[^>]* points="([^"]*)"/.exec(svg);
  expect(m).not.toBeNull();
  return m![1].split(' ').map((p) => Number(p.split(',')[0]));
}

describe('line_chart_svg', () => {
  const pts: [number, number][] = [[64, 1], [1024, 2], [16384, 3], [65536, 4]];

  it('places x linearly by default and by its logarithm with logX', () => {
    const lin = xs(line_chart_svg('t', 'x', 'y', [{ name: 's', points: pts }]));
    const log = xs(line_chart_svg('t', 'x', 'y', [{ name: 's', points: pts }], { logX: true }));
    /* 64 -> 1024 -> 16384 -> 65536: steps of 4, 4 and 2 in log2. */
    const d = (v: number[]): number[] => v.slice(1).map((x, i) => x - v[i]);
    expect(d(log)[0]).toBeCloseTo(d(log)[1], 1);
    expect(d(log)[2]).toBeCloseTo(d(log)[0] / 2, 1);
    expect(d(lin)[0]).toBeLessThan(d(lin)[2]);
    expect(log[0]).toBe(lin[0]);
    expect(log[3]).toBe(lin[3]);
  });

  it('labels ticks with xTick, escaped', () => {
    const svg = line_chart_svg('t', 'x', 'y', [{ name: 'a<b', points: pts }], { logX: true, xTick: (x) => `${x}<M` });
    for (const [x] of pts) expect(svg).toContain(`>${x}&lt;M</text>`);
    expect(svg).toContain('data-name="a&lt;b"');
  });
});

describe('stack_svg', () => {
  it('puts each chart below the previous one in one document', () => {
    const a = line_chart_svg('first', 'x', 'y', [{ name: 's', points: [[1, 1], [2, 2]] }]);
    const b = bar_chart_svg('second', 'y', [{ name: 'p4', value: 3 }]);
    const svg = stack_svg([a, b]);
    expect(svg.match(/<svg /g)).toHaveLength(3);
    expect(svg.match(/<\/svg>/g)).toHaveLength(3);
    const h = Number(/height="(\d+)"/.exec(a)![1]);
    expect(svg).toMatch(new RegExp(`^<svg [^>]*height="${2 * h}"`));
    expect(svg).toContain('<svg y="0" ');
    expect(svg).toContain(`<svg y="${h}" `);
    expect(svg.indexOf('first')).toBeLessThan(svg.indexOf('second'));
  });
});
