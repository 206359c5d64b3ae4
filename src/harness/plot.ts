/*
 * A small line chart as standalone SVG (no dependencies): one polyline and
 * legend entry per series, axes with ticks, a title; and a bar chart.
 * Used by `memory --compare --plot FILE.svg` (metadata MiB against usage,
 * one line per design) and `bench --plot FILE.svg` (swap ops/s, one bar
 * per design); both write it with write_atomic() and say where.
 */
export interface Series {
  name: string;
  points: [number, number][];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const W = 640;
const H = 400;
const T = 40;
const B = 50;

/* The chart frame both charts share: background, title, axes, y label and ticks.  @py maps data y to pixels. */
function frame(title: string, yLabel: string, L: number, R: number, y1: number, py: (y: number) => number): string[] {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">${esc(yLabel)}</text>`,
  ];
  for (let k = 0; k <= 5; k++) {
    const y = (y1 * k) / 5;
    out.push(`<line x1="${L - 4}" y1="${py(y)}" x2="${W - R}" y2="${py(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 6}" y="${py(y) + 4}" text-anchor="end">${+y.toFixed(2)}</text>`);
  }
  return out;
}

/** Axis options of a line chart: @logX places x by its logarithm (sizes from 64M to 64G), @xTick writes a tick's label. */
export interface ChartAxes {
  logX?: boolean;
  xTick?: (x: number) => string;
}

/** An SVG document plotting @series (x and y in data units). */
export function line_chart_svg(title: string, xLabel: string, yLabel: string, series: Series[], axes: ChartAxes = {}): string {
  const L = 70;
  const R = 150;
  const fx = axes.logX === true ? Math.log2 : (x: number): number => x;
  const xs = series.flatMap((s) => s.points.map((p) => fx(p[0])));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const y1 = niceMax(Math.max(...ys));
  const px = (x: number): number => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (y: number): number => H - B - (y / y1) * (H - T - B);
  const out = frame(title, yLabel, L, R, y1, py);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`);
  for (const x of [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b)) {
    out.push(`<text x="${px(fx(x))}" y="${H - B + 16}" text-anchor="middle">${esc(axes.xTick?.(x) ?? String(+x.toFixed(2)))}</text>`);
  }
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length];
    const pts = s.points.map(([x, y]) => `${px(fx(x)).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    out.push(`<polyline class="series" data-name="${esc(s.name)}" fill="none" stroke="${c}" stroke-width="2" points="${pts}"/>`);
    out.push(`<rect x="${W - R + 14}" y="${T + 18 * i}" width="12" height="12" fill="${c}"/>`);
    out.push(`<text x="${W - R + 32}" y="${T + 18 * i + 10}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** An SVG bar chart: one bar (class "series", data-name) per @bars entry. */
export function bar_chart_svg(title: string, yLabel: string, bars: { name: string; value: number }[]): string {
  const L = 80;
  const R = 30;
  const y1 = niceMax(Math.max(...bars.map((b) => b.value)));
  const py = (y: number): number => H - B - (y / y1) * (H - T - B);
  const slot = (W - L - R) / Math.max(1, bars.length);
  const out = frame(title, yLabel, L, R, y1, py);
  bars.forEach((b, i) => {
    const x = L + slot * i + slot * 0.2;
    const w = slot * 0.6;
    out.push(`<rect class="series" data-name="${esc(b.name)}" x="${x.toFixed(1)}" y="${py(b.value).toFixed(1)}" width="${w.toFixed(1)}" height="${(H - B - py(b.value)).toFixed(1)}" fill="${COLOURS[i % COLOURS.length]}"/>`);
    out.push(`<text x="${(x + w / 2).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${esc(b.name)}</text>`);
    out.push(`<text x="${(x + w / 2).toFixed(1)}" y="${(py(b.value) - 4).toFixed(1)}" text-anchor="middle">${Math.round(b.value)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** One SVG document showing the charts @docs (each a whole line_chart_svg / bar_chart_svg document) one below the other. */
export function stack_svg(docs: string[]): string {
  const inner = docs.map((d, i) => d.replace(/^<svg /, `<svg y="${i * H}" `));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H * docs.length}" viewBox="0 0 ${W} ${H * docs.length}">\n${inner.join('')}</svg>\n`;
}
