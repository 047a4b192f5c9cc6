/**
 * Latency percentile plots as SVG (no dependency: a few hundred elements of text that any browser or Markdown
 * viewer opens). One panel per scenario, one curve per target, laid out like HdrHistogram's plots: x is the
 * percentile on a log scale of 1 / (1 − p) (0 %, 90 %, 99 %, 99.9 %, 99.99 % equally spaced), y is the latency, on
 * a log scale here because targets a hundred times apart share a panel.
 *
 * Each curve is the median over the repetitions, percentile by percentile, of each run's curve: wrk's exact
 * per-percentile values when present, else the run's hdr histogram (autocannon).
 */
import * as hdr from 'hdr-histogram-js';
import { median } from './stats.js';
import type { Measurement, SuiteResult } from './types.js';
import { PERCENTILE_GRID } from './wrk.js';

/** The highest percentile drawn: 99.99 %. */
const MAX_NINES = 4;
const GRID = PERCENTILE_GRID.filter((p) => p < 100 && nines(p) <= MAX_NINES + 1e-9);

function nines(p: number): number {
  return p >= 100 ? Infinity : Math.log10(100 / (100 - p));
}

function curveOf(m: Measurement): (p: number) => number {
  const exact = m.percentileCurveUs;
  if (exact !== undefined && exact.length > 0) {
    return (p) => {
      // The grid the curve was printed at contains every p asked here; fall back to the next higher one.
      const hit = exact.find(([q]) => q >= p - 1e-9);
      return hit?.[1] ?? exact[exact.length - 1]?.[1] ?? NaN;
    };
  }
  const h = hdr.decodeFromCompressedBase64(m.latencyHistogram);
  const values = new Map(GRID.map((p) => [p, p === 0 ? h.minNonZeroValue : h.getValueAtPercentile(p)]));
  h.destroy();
  return (p) => values.get(p) ?? NaN;
}

export interface Curve {
  readonly target: string;
  /** [percentile, µs] */
  readonly points: readonly (readonly [number, number])[];
}

/** Per scenario, per target: the median curve over the repetitions. */
export function medianCurves(r: Pick<SuiteResult, 'scenarios' | 'targets' | 'measurements'>): Map<string, Curve[]> {
  const out = new Map<string, Curve[]>();
  for (const s of r.scenarios) {
    const curves: Curve[] = [];
    for (const t of r.targets) {
      const runs = r.measurements.filter((m) => m.scenario === s.name && m.target === t && m.requests > 0).map(curveOf);
      if (runs.length === 0) continue;
      curves.push({ target: t, points: GRID.map((p) => [p, median(runs.map((f) => f(p)))] as const) });
    }
    if (curves.length > 0) out.set(s.name, curves);
  }
  return out;
}

const COLOURS: Readonly<Record<string, string>> = { direct: '#7f7f7f', 'go-proxy': '#1f77b4', 'queue-proxy': '#d62728' };
const SPARE = ['#9467bd', '#2ca02c', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

function colourFor(target: string, i: number): string {
  return COLOURS[target] ?? SPARE[i % SPARE.length] ?? '#000';
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function fmtLatency(us: number): string {
  if (us >= 1e6) return `${String(us / 1e6)} s`;
  if (us >= 1000) return `${String(us / 1000)} ms`;
  return `${String(us)} µs`;
}

/** 1-2-5 ticks covering [lo, hi]. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let decade = 10 ** Math.floor(Math.log10(lo)); decade <= hi * 10; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const v = decade * m;
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return out;
}

export interface PlotOptions {
  readonly title: string;
  /** Only these scenarios, in this order; default all. */
  readonly scenarios?: readonly string[];
  readonly columns?: number;
}

/** The SVG document: a legend, then one panel per scenario. */
export function renderLatencySvg(curvesByScenario: ReadonlyMap<string, readonly Curve[]>, o: PlotOptions): string {
  const names = (o.scenarios ?? [...curvesByScenario.keys()]).filter((n) => curvesByScenario.has(n));
  const targets = [...new Set(names.flatMap((n) => (curvesByScenario.get(n) ?? []).map((c) => c.target)))];
  const cols = Math.max(1, Math.min(o.columns ?? 2, names.length));
  const rows = Math.ceil(names.length / cols);
  const pw = 440;
  const ph = 280;
  const m = { l: 62, r: 28, t: 28, b: 40 };
  const head = 58;
  const width = cols * pw;
  const height = head + rows * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${String(width)}" height="${String(height)}" viewBox="0 0 ${String(width)} ${String(height)}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
  ];
  let lx = 10;
  for (const [i, t] of targets.entries()) {
    parts.push(`<line x1="${String(lx)}" y1="38" x2="${String(lx + 22)}" y2="38" stroke="${colourFor(t, i)}" stroke-width="2.5"/>`);
    parts.push(`<text x="${String(lx + 27)}" y="42">${esc(t)}</text>`);
    lx += 40 + t.length * 6.5;
  }
  parts.push(`<text x="${String(width - 10)}" y="18" text-anchor="end" fill="#555">latency by percentile (median of the runs); log scales</text>`);
  const xMax = MAX_NINES;
  for (const [idx, name] of names.entries()) {
    const curves = curvesByScenario.get(name) ?? [];
    const ox = (idx % cols) * pw;
    const oy = head + Math.floor(idx / cols) * ph;
    const x0 = ox + m.l;
    const x1 = ox + pw - m.r;
    const y0 = oy + ph - m.b;
    const y1 = oy + m.t;
    const all = curves.flatMap((c) => c.points.map(([, us]) => us)).filter((v) => Number.isFinite(v) && v > 0);
    const lo = 10 ** (Math.floor(Math.log10(Math.max(1, Math.min(...all))) * 2) / 2);
    const hiRaw = Math.max(...all);
    const hi = 10 ** (Math.ceil(Math.log10(hiRaw) * 2) / 2);
    const sx = (p: number): number => x0 + (Math.min(nines(p), xMax) / xMax) * (x1 - x0);
    const sy = (us: number): number => y0 - ((Math.log10(Math.max(us, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (y0 - y1);
    parts.push(`<text x="${String(ox + pw / 2)}" y="${String(oy + 18)}" text-anchor="middle" font-weight="bold">${esc(name)}</text>`);
    parts.push(`<rect x="${String(x0)}" y="${String(y1)}" width="${String(x1 - x0)}" height="${String(y0 - y1)}" fill="none" stroke="#999"/>`);
    for (const v of logTicks(lo, hi)) {
      const y = sy(v).toFixed(1);
      parts.push(`<line x1="${String(x0)}" y1="${y}" x2="${String(x1)}" y2="${y}" stroke="#eee"/>`);
      parts.push(`<text x="${String(x0 - 4)}" y="${y}" dy="3.5" text-anchor="end">${esc(fmtLatency(v))}</text>`);
    }
    for (let k = 0; k <= xMax; k++) {
      const p = 100 - 100 / 10 ** k;
      const x = sx(p).toFixed(1);
      parts.push(`<line x1="${x}" y1="${String(y1)}" x2="${x}" y2="${String(y0)}" stroke="#eee"/>`);
      const label = k === 0 ? '0 %' : `${(100 - 100 / 10 ** k).toFixed(Math.max(0, k - 2))} %`;
      parts.push(`<text x="${x}" y="${String(y0 + 14)}" text-anchor="middle">${label}</text>`);
    }
    parts.push(`<text x="${String((x0 + x1) / 2)}" y="${String(y0 + 30)}" text-anchor="middle" fill="#555">percentile</text>`);
    for (const c of curves) {
      const i = targets.indexOf(c.target);
      const d = c.points
        .filter(([, us]) => Number.isFinite(us) && us > 0)
        .map(([p, us], j) => `${j === 0 ? 'M' : 'L'}${sx(p).toFixed(1)},${sy(us).toFixed(1)}`)
        .join('');
      parts.push(`<path d="${d}" fill="none" stroke="${colourFor(c.target, i)}" stroke-width="1.8"/>`);
    }
  }
  parts.push('</svg>', '');
  return parts.join('\n');
}
