/**
 * The location-instability report: one self-contained HTML page with a histogram of the filters'
 * instabilities and, for the 8 most and the 8 least stable filters, their peak positions over the
 * counted images drawn on a mean-shape canvas (the mean position of every landmark over the
 * images, in model-input pixels; each image's peak is carried there by the similarity transform
 * that best aligns its landmarks with the mean shape). Figures are SVG from Observable Plot (see `plots.ts`), so the
 * page opens offline.
 */
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import { REPORT_CSS } from '../../render/report/style.js';
import type { InstabilityImage, LayerInstability } from '../location-instability.js';
import { escapeHtml, formatValue } from './html.js';

/** What the page shows. */
export interface StabilityReportData {
  readonly title: string;
  readonly result: LayerInstability;
  /** The images as the metric saw them (peaks and landmarks in model-input pixels). */
  readonly images: readonly InstabilityImage[];
  /** Model input size. */
  readonly width: number;
  readonly height: number;
  /** Settings to list (protocol, class, model, data set…). */
  readonly settings: Readonly<Record<string, string | number>>;
}

function render(options: Plot.PlotOptions): string {
  const document = parseHTML('<!doctype html><html><head></head><body></body></html>').document;
  return (Plot.plot({ ...options, document: document as unknown as Plot.PlotOptions['document'] }) as unknown as { outerHTML: string }).outerHTML;
}

/**
 * The mean position of every landmark over the images.
 *
 * @example
 * ```ts
 * meanShape(images); // [{ name: 'eye', x: 31.2, y: 20.4 }, …]
 * ```
 */
export function meanShape(images: readonly InstabilityImage[]): { name: string; x: number; y: number }[] {
  const sums = new Map<string, [number, number, number]>();
  for (const image of images) {
    for (const [name, [x, y]] of image.landmarks) {
      const s = sums.get(name) ?? [0, 0, 0];
      sums.set(name, [s[0] + x, s[1] + y, s[2] + 1]);
    }
  }
  return [...sums].map(([name, [x, y, n]]) => ({ name, x: x / n, y: y / n }));
}

/**
 * Maps a point of one image into the mean-shape frame: the 2-D similarity (Procrustes, closed form
 * in complex numbers) that best takes the image's landmarks onto the mean shape's, or a
 * translation when only one landmark is shared.
 *
 * @example
 * ```ts
 * toMeanShape([5, 5], new Map([['a', [0, 0]], ['b', [10, 0]]]), new Map([['a', [0, 0]], ['b', [20, 0]]])); // [10, 10]
 * ```
 */
export function toMeanShape(
  p: readonly [number, number],
  landmarks: ReadonlyMap<string, readonly [number, number]>,
  mean: ReadonlyMap<string, readonly [number, number]>,
): [number, number] | undefined {
  const pairs = [...landmarks].flatMap(([name, a]) => (mean.has(name) ? [[a, mean.get(name) as readonly [number, number]] as const] : []));
  if (pairs.length === 0) return undefined;
  const n = pairs.length;
  const [ax, ay, bx, by] = pairs.reduce((s, [a, b]) => [s[0] + a[0] / n, s[1] + a[1] / n, s[2] + b[0] / n, s[3] + b[1] / n], [0, 0, 0, 0]);
  let re = 1;
  let im = 0;
  if (n > 1) {
    let dot = 0;
    let cross = 0;
    let norm = 0;
    for (const [a, b] of pairs) {
      const [u, v, x, y] = [a[0] - ax, a[1] - ay, b[0] - bx, b[1] - by];
      dot += u * x + v * y;
      cross += u * y - v * x;
      norm += u * u + v * v;
    }
    if (norm > 0) [re, im] = [dot / norm, cross / norm];
  }
  const [u, v] = [p[0] - ax, p[1] - ay];
  return [bx + re * u - im * v, by + im * u + re * v];
}

function histogram(result: LayerInstability): string {
  const values = result.filters.flatMap((f) => (f.instability === null ? [] : [{ v: f.instability }]));
  if (values.length === 0) return '<p class="muted">Every filter is null (fewer than 2 counted images).</p>';
  return render({
    width: 520,
    height: 260,
    marginLeft: 48,
    grid: true,
    x: { label: 'location instability' },
    y: { label: 'filters' },
    marks: [Plot.rectY(values, { ...Plot.binX({ y: 'count' }, { x: 'v' }), fill: '#4c78a8' }), Plot.ruleY([0])],
  });
}

function canvas(filter: number, data: StabilityReportData, shape: ReturnType<typeof meanShape>): string {
  const mean = new Map(shape.map((l) => [l.name, [l.x, l.y] as const]));
  const peaks = data.images.flatMap((image) => {
    if (!((image.value[filter] as number) > 0)) return [];
    const q = toMeanShape([image.x[filter] as number, image.y[filter] as number], image.landmarks, mean);
    return q ? [{ x: q[0], y: q[1] }] : [];
  });
  return render({
    width: 220,
    height: Math.round((220 * data.height) / data.width) + 20,
    margin: 10,
    x: { domain: [0, data.width], axis: null },
    y: { domain: [data.height, 0], axis: null },
    clip: true,
    marks: [
      Plot.frame({ stroke: '#ccc' }),
      Plot.dot(shape, { x: 'x', y: 'y', r: 3, stroke: '#222', fill: 'white' }),
      Plot.dot(peaks, { x: 'x', y: 'y', r: 1.6, fill: '#e45756', fillOpacity: 0.5 }),
      Plot.text(shape, { x: 'x', y: 'y', text: 'name', dy: -8, fontSize: 9 }),
    ],
  });
}

function filterRow(title: string, filters: LayerInstability['filters'], data: StabilityReportData, shape: ReturnType<typeof meanShape>): string {
  if (filters.length === 0) return '';
  const cells = filters.map(
    (f) =>
      `<figure>${canvas(f.filter, data, shape)}<figcaption>filter ${f.filter}: ${formatValue(f.instability as number)} (${f.images} images)</figcaption></figure>`,
  );
  return `<section><h2>${escapeHtml(title)}</h2><div class="row">${cells.join('')}</div></section>`;
}

/**
 * The report page.
 *
 * @example
 * ```ts
 * const html = stabilityReportHtml({ title: 'relu4', result, images, width: 64, height: 64, settings: { protocol: 'default' } });
 * ```
 */
export function stabilityReportHtml(data: StabilityReportData): string {
  const shape = meanShape(data.images);
  const ranked = data.result.filters
    .filter((f) => f.instability !== null)
    .sort((a, b) => (a.instability as number) - (b.instability as number) || a.filter - b.filter);
  const most = ranked.slice(0, 8);
  const least = ranked.slice(Math.max(8, ranked.length - 8)).reverse();
  const settings = Object.entries(data.settings)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
    .join('');
  const value = data.result.instability === null ? 'null' : formatValue(data.result.instability);
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(data.title)}</title><style>${REPORT_CSS}</style></head><body>
<header><h1>Location instability: ${escapeHtml(data.title)}</h1>
<p>Layer value ${value} over ${data.result.filters.length - data.result.nullFilters} filters (${data.result.nullFilters} null). Lower is more stable.</p>
<table class="kv">${settings}</table></header>
<section><h2>Instability of the filters</h2>${histogram(data.result)}</section>
${filterRow('The 8 most stable filters', most, data, shape)}
${filterRow('The 8 least stable filters', least, data, shape)}
<p class="muted">White dots: the mean position of each landmark over the images (model-input pixels). Red dots: the filter's peak in each counted image, carried into this mean shape by the similarity transform that best aligns that image's landmarks with it. A stable filter gives a tight cluster.</p>
</body></html>
`;
}
