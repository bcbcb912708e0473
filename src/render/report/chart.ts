/**
 * Charts for reports, in one style, drawn with Observable Plot (https://observablehq.com/plot/) on
 * a small server-side DOM (linkedom): the result is inline SVG markup, so a page stays one
 * self-contained file. Both libraries are plain JavaScript, so this runs in Node and in a browser.
 *
 * Every chart spans the width of its container (the SVG scales with its viewBox), a value axis
 * includes 0 unless the data go below it, and series keep one colour across the charts of a page
 * when the same `series` list is passed.
 */
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import { LucernaError } from '../../errors.js';
import { escapeHtml } from './escape.js';

/** One data point: x (a number or a category), y, and the series it belongs to. */
export interface ChartPoint {
  readonly x: number | string;
  readonly y: number;
  readonly series?: string;
}

/** An axis: label, domain, and for x whether it is categorical. */
export interface ChartAxis {
  readonly label?: string;
  /** Fixed domain; for a value axis it replaces the default [min(0, data), max(data)]. */
  readonly domain?: readonly [number, number] | readonly string[];
  /** Rotate tick labels (degrees), for long categories. */
  readonly tickRotate?: number;
  /** Format ticks as percentages. */
  readonly percent?: boolean;
}

/** What {@link chart} draws. */
export interface ChartSpec {
  /**
   * - `line`: one line (with dots for categorical x) per series, x numeric or categorical.
   * - `bar`: horizontal bars, one per point: `x` is the category (shown on the left), `y` the length.
   */
  readonly kind: 'line' | 'bar';
  readonly title?: string;
  readonly data: readonly ChartPoint[];
  readonly x?: ChartAxis;
  readonly y?: ChartAxis;
  /** The series in a fixed order (fixes their colours across charts); a legend is shown when there are several. */
  readonly series?: readonly string[];
  /** `bar`: the category drawn in the accent colour. */
  readonly highlight?: string;
  /** `bar`: text at the end of each bar (default: the value). */
  readonly barLabel?: (p: ChartPoint) => string;
  /** Drawing size in SVG units; the chart is scaled to its container's width (default 1200 × 340). */
  readonly width?: number;
  readonly height?: number;
  /** Left margin for long category labels (default 56, bars: from the longest label). */
  readonly marginLeft?: number;
  readonly marginBottom?: number;
  /** `line`: write each series' name beside its last point (so a stand-alone SVG can show several series). */
  readonly labelSeries?: boolean;
}

/** A fresh document for Plot to draw into. */
function plotDocument(): Plot.PlotOptions['document'] {
  return parseHTML('<!doctype html><html><head></head><body></body></html>').document as unknown as Plot.PlotOptions['document'];
}

/** [lo, hi] widened to multiples of a round step (1, 2 or 5 × 10^k, about ten steps), so the ends carry ticks. */
function niceDomain(lo: number, hi: number): [number, number] {
  const raw = (hi - lo) / 10;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) as number) * power;
  const round = (v: number) => Number(v.toPrecision(12));
  return [round(Math.floor(lo / step + 1e-9) * step), round(Math.ceil(hi / step - 1e-9) * step)];
}

/**
 * The value axis: the given domain, or [min(0, data), max(0, data)] widened to round numbers; in
 * percent units when the axis shows percentages (Plot scales the values by 100).
 */
function valueDomain(axis: ChartAxis | undefined, values: readonly number[]): [number, number] {
  const k = axis?.percent ? 100 : 1;
  if (axis?.domain) return [(axis.domain[0] as number) * k, (axis.domain[1] as number) * k];
  const finite = values.filter(Number.isFinite);
  const lo = Math.min(0, ...finite);
  const hi = Math.max(0, ...finite);
  const [a, b] = niceDomain(lo, hi > lo ? hi : lo + 1);
  return [a * k, b * k];
}

/** The value scale (y of a line chart, x of a bar chart): label, domain from 0, percent ticks. */
function valueScale(spec: ChartSpec): Plot.ScaleOptions {
  return {
    label: spec.y?.label ?? null,
    domain: valueDomain(
      spec.y,
      spec.data.map((p) => p.y),
    ),
    ...(spec.y?.percent ? { percent: true } : {}),
  };
}

function lineMarks(spec: ChartSpec, categorical: boolean): Plot.Markish[] {
  const rows = spec.data.map((p) => ({ ...p, series: p.series ?? '' }));
  const marks: Plot.Markish[] = [Plot.ruleY([0], { stroke: '#999' }), Plot.line(rows, { x: 'x', y: 'y', stroke: 'series', strokeWidth: 1.8 })];
  if (categorical || spec.data.length <= 24) marks.push(Plot.dot(rows, { x: 'x', y: 'y', fill: 'series', r: 2.5 }));
  if (spec.labelSeries)
    marks.push(Plot.text(rows, Plot.selectLast({ x: 'x', y: 'y', z: 'series', text: 'series', fill: 'series', textAnchor: 'start', dx: 6 })));
  return marks;
}

function lineOptions(spec: ChartSpec): Plot.PlotOptions {
  const categorical = spec.data.some((p) => typeof p.x === 'string');
  const series = spec.series ?? [...new Set(spec.data.map((p) => p.series ?? ''))];
  const xDomain = spec.x?.domain ?? (categorical ? [...new Set(spec.data.map((p) => p.x as string))] : undefined);
  return {
    marginLeft: spec.marginLeft ?? 56,
    ...(spec.labelSeries ? { marginRight: 8 + 7 * Math.max(0, ...series.map((s) => s.length)) } : {}),
    marginBottom: spec.marginBottom ?? (spec.x?.tickRotate ? 90 : 40),
    x: {
      ...(categorical ? { type: 'point' as const } : {}),
      label: spec.x?.label ?? null,
      ...(xDomain ? { domain: [...xDomain] } : {}),
      ...(spec.x?.tickRotate ? { tickRotate: spec.x.tickRotate } : {}),
      ...(spec.x?.percent ? { percent: true } : {}),
    },
    y: valueScale(spec),
    color: { domain: [...series], scheme: 'tableau10', legend: series.length > 1 && !spec.labelSeries },
    marks: lineMarks(spec, categorical),
  };
}

function barOptions(spec: ChartSpec): Plot.PlotOptions {
  const categories = spec.data.map((p) => String(p.x));
  const longest = Math.max(0, ...categories.map((c) => c.length));
  const label = spec.barLabel ?? ((p: ChartPoint) => String(p.y));
  const rows = spec.data.map((p) => ({ category: String(p.x), value: p.y, text: label(p), top: String(p.x) === spec.highlight }));
  return {
    marginLeft: spec.marginLeft ?? Math.min(220, Math.max(60, 7 * longest + 12)),
    marginRight: 64,
    x: { ...valueScale(spec), grid: true },
    y: { label: null, domain: categories, padding: 0.2 },
    color: { domain: [false, true], range: ['#9bb', '#2a7'] },
    marks: [
      Plot.barX(rows, { x: 'value', y: 'category', fill: 'top' }),
      Plot.text(rows, { x: 'value', y: 'category', text: 'text', textAnchor: 'start', dx: 4, fill: 'currentColor' }),
      Plot.ruleX([0]),
    ],
  };
}

function plotMarkup(spec: ChartSpec): string {
  if (spec.kind !== 'line' && spec.kind !== 'bar') {
    throw new LucernaError('BAD_OPTION', `Unknown chart kind "${String(spec.kind)}"`, 'Use line or bar');
  }
  const width = spec.width ?? 1200;
  const height = spec.height ?? (spec.kind === 'bar' ? 24 * spec.data.length + 44 : 340);
  const options = spec.kind === 'line' ? lineOptions(spec) : barOptions(spec);
  const node = Plot.plot({ ...options, width, height, grid: true, style: { fontSize: '12px' }, document: plotDocument() }) as unknown as {
    outerHTML: string;
  };
  return node.outerHTML;
}

/**
 * Draws a chart as inline SVG markup (in a `<figure class="chart">`, scaled to the container's width).
 *
 * @example
 * ```ts
 * const svg = chart({
 *   kind: 'line',
 *   title: 'Deletion',
 *   data: [{ x: 0, y: 0.9, series: 'saliency' }, { x: 1, y: 0.1, series: 'saliency' }],
 *   x: { label: 'fraction of pixels removed' },
 *   y: { label: 'target probability' },
 * });
 * ```
 */
export function chart(spec: ChartSpec): string {
  const title = spec.title ? `<figcaption class="chart-title">${escapeHtml(spec.title)}</figcaption>` : '';
  return `<figure class="chart">${title}${plotMarkup(spec)}</figure>`;
}

/**
 * The same chart as a stand-alone `.svg` file (namespace, white background, title in the SVG). One
 * series only, unless `labelSeries` names each line at its end: a stand-alone file has no room for
 * an HTML legend.
 *
 * @example
 * ```ts
 * await writeFileAtomic('curve.svg', chartSvg({ kind: 'line', title: 'loss', data: loss.map((y, i) => ({ x: i + 1, y })), x: { label: 'step' } }));
 * ```
 */
export function chartSvg(spec: ChartSpec): string {
  const several = new Set(spec.data.map((p) => p.series ?? '')).size > 1;
  if (several && !(spec.labelSeries && spec.kind === 'line')) {
    throw new LucernaError('BAD_OPTION', 'A stand-alone SVG chart draws one series', 'Use chart() in an HTML page for several series');
  }
  const top = spec.title ? 28 : 0;
  const markup = plotMarkup(several ? spec : { ...spec, series: undefined });
  const width = Number(markup.match(/viewBox="0 0 ([\d.]+) /)?.[1]);
  const height = Number(markup.match(/viewBox="0 0 [\d.]+ ([\d.]+)"/)?.[1]);
  const title = spec.title ? `<text x="12" y="19" font-size="14" font-weight="600" font-family="system-ui, sans-serif">${escapeHtml(spec.title)}</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + top}" viewBox="0 0 ${width} ${height + top}"><rect width="100%" height="100%" fill="white"/>${title}<g transform="translate(0,${top})">${markup}</g></svg>\n`;
}
