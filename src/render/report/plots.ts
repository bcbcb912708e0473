/**
 * The kit's two other figure kinds, in the style of {@link chart} (Observable Plot drawn to inline
 * SVG, full width of their box): a histogram of values, and positions on an image-shaped canvas
 * (e.g. where a filter peaks relative to an object's landmarks). Pure strings; Node and browser.
 */
import * as Plot from '@observablehq/plot';
import { plotDocument } from './chart.js';
import { escapeHtml } from './escape.js';
import { formatValue } from './format.js';

/** What {@link histogram} draws. */
export interface HistogramSpec {
  readonly title?: string;
  readonly values: readonly number[];
  /** Number of equal bins (default 20). */
  readonly bins?: number;
  /** The binned range (default [min, max] of the values); values outside it are counted in the end bins. */
  readonly domain?: readonly [number, number];
  readonly xLabel?: string;
  readonly yLabel?: string;
  readonly width?: number;
  readonly height?: number;
}

/**
 * Counts of `values` in `bins` equal bins over `[lo, hi]` (the last bin closed; values outside go
 * to the end bins; a zero-width range is one bin).
 *
 * @example
 * ```ts
 * binCounts([0, 0.4, 0.6, 1], 2, [0, 1]); // [{ lo: 0, hi: 0.5, count: 2 }, { lo: 0.5, hi: 1, count: 2 }]
 * ```
 */
export function binCounts(values: readonly number[], bins: number, [lo, hi]: readonly [number, number]): { lo: number; hi: number; count: number }[] {
  const n = hi > lo ? Math.max(1, bins) : 1;
  const width = hi > lo ? (hi - lo) / n : 1;
  const out = Array.from({ length: n }, (_, i) => ({ lo: lo + i * width, hi: lo + (i + 1) * width, count: 0 }));
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const i = Math.min(n - 1, Math.max(0, Math.floor((v - lo) / width)));
    (out[i] as { count: number }).count++;
  }
  return out;
}

function figure(title: string | undefined, svg: string, className = 'chart'): string {
  const caption = title ? `<figcaption class="chart-title">${escapeHtml(title)}</figcaption>` : '';
  return `<figure class="${className}">${caption}${svg}</figure>`;
}

/**
 * A histogram (bars over equal bins, counts from 0) as a figure.
 *
 * @example
 * ```ts
 * histogram({ title: 'Filter instability', values: [0.1, 0.12, 0.3], xLabel: 'instability', yLabel: 'filters' });
 * ```
 */
export function histogram(spec: HistogramSpec): string {
  const finite = spec.values.filter(Number.isFinite);
  const domain = spec.domain ?? (finite.length ? [Math.min(...finite), Math.max(...finite)] : [0, 1]);
  const rows = binCounts(finite, spec.bins ?? 20, domain).map((b) => ({ ...b, tip: `[${formatValue(b.lo)}, ${formatValue(b.hi)}): ${b.count}` }));
  const top = Math.max(1, ...rows.map((r) => r.count));
  const node = Plot.plot({
    width: spec.width ?? 1200,
    height: spec.height ?? 300,
    marginLeft: 56,
    marginBottom: 40,
    grid: true,
    style: { fontSize: '12px' },
    x: { label: spec.xLabel ?? null },
    y: { label: spec.yLabel ?? null, domain: [0, top] },
    marks: [Plot.rectY(rows, { x1: 'lo', x2: 'hi', y: 'count', fill: '#4c78a8', inset: 0.5, title: 'tip' }), Plot.ruleY([0])],
    document: plotDocument(),
  }) as unknown as { outerHTML: string };
  return figure(spec.title, node.outerHTML);
}

/** What {@link positionsChart} draws. */
export interface PositionsSpec {
  readonly title?: string;
  /** The canvas in its own units (e.g. model-input pixels): x to the right, y down. */
  readonly width: number;
  readonly height: number;
  /** Named reference points drawn as open circles with their names (e.g. mean landmark positions). */
  readonly anchors: readonly { readonly x: number; readonly y: number; readonly name: string }[];
  /** Points drawn as small translucent dots (e.g. one peak per image). */
  readonly points: readonly { readonly x: number; readonly y: number }[];
  /** Drawing width in SVG units (default 220); the figure shrinks with its box. */
  readonly size?: number;
}

/**
 * Points on an image-shaped canvas, with named anchors, as a small figure (for grids of them).
 *
 * @example
 * ```ts
 * positionsChart({ title: 'filter 3', width: 64, height: 64, anchors: [{ x: 30, y: 20, name: 'eye' }], points: peaks });
 * ```
 */
export function positionsChart(spec: PositionsSpec): string {
  const size = spec.size ?? 220;
  const node = Plot.plot({
    width: size,
    height: Math.round((size * spec.height) / spec.width) + 20,
    margin: 10,
    x: { domain: [0, spec.width], axis: null },
    y: { domain: [spec.height, 0], axis: null },
    clip: true,
    style: { fontSize: '9px' },
    marks: [
      Plot.frame({ stroke: '#ccc' }),
      Plot.dot(spec.anchors, { x: 'x', y: 'y', r: 3, stroke: '#222', fill: 'white' }),
      Plot.dot(spec.points, { x: 'x', y: 'y', r: 1.6, fill: '#e45756', fillOpacity: 0.5 }),
      Plot.text(spec.anchors, { x: 'x', y: 'y', text: 'name', dy: -8 }),
    ],
    document: plotDocument(),
  }) as unknown as { outerHTML: string };
  return figure(spec.title, node.outerHTML, 'chart positions');
}
