/**
 * The location-instability report (`lucerna stability`) as a page of the report kit: a histogram of
 * the filters' instabilities and, for the 8 most and the 8 least stable filters, their peak
 * positions over the counted images drawn on a mean-shape canvas (the mean position of every
 * landmark over the images, in model-input pixels; each image's peak is carried there by the
 * similarity transform that best aligns its landmarks with the mean shape; see
 * `metrics/mean-shape.ts`). Zhang et al., "Interpretable Convolutional Neural Networks", CVPR 2018
 * (arXiv:1710.00935), §4.
 */
import type { InstabilityImage, LayerInstability } from '../../metrics/location-instability.js';
import { meanShape, toMeanShape } from '../../metrics/mean-shape.js';
import { formatCount, formatValue } from './format.js';
import { page, type Section } from './page.js';
import { histogram, positionsChart } from './plots.js';
import { settingsTable } from './table.js';
import { tileGrid } from './tile.js';

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

function canvas(filter: LayerInstability['filters'][number], data: StabilityReportData, shape: ReturnType<typeof meanShape>): string {
  const mean = new Map(shape.map((l) => [l.name, [l.x, l.y] as const]));
  const points = data.images.flatMap((image) => {
    if (!((image.value[filter.filter] as number) > 0)) return [];
    const q = toMeanShape([image.x[filter.filter] as number, image.y[filter.filter] as number], image.landmarks, mean);
    return q ? [{ x: q[0], y: q[1] }] : [];
  });
  const title = `filter ${filter.filter}: ${formatValue(filter.instability as number)} (${formatCount(filter.images, 'image')})`;
  return positionsChart({ title, width: data.width, height: data.height, anchors: shape, points });
}

function filterSection(title: string, filters: LayerInstability['filters'], data: StabilityReportData, shape: ReturnType<typeof meanShape>): Section[] {
  if (filters.length === 0) return [];
  return [
    {
      title,
      body: tileGrid(
        filters.map((f) => canvas(f, data, shape)),
        200,
      ),
    },
  ];
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
  const values = ranked.map((f) => f.instability as number);
  const value = data.result.instability === null ? 'null' : formatValue(data.result.instability);
  const header = `<p>Layer value <b>${value}</b> over ${formatCount(data.result.filters.length - data.result.nullFilters, 'filter')} (${data.result.nullFilters} null: fewer than 2 counted images). Lower is more stable.</p>`;
  const spread = values.length
    ? histogram({ values, xLabel: 'location instability', yLabel: 'filters' })
    : '<p class="muted">Every filter is null (fewer than 2 counted images).</p>';
  return page(
    `Location instability: ${data.title}`,
    [
      { title: 'Instability of the filters', body: spread },
      ...filterSection('The 8 most stable filters', most, data, shape),
      ...filterSection('The 8 least stable filters', least, data, shape),
      {
        title: 'How to read the canvases',
        body: '<p class="muted">White dots: the mean position of each landmark over the images (model-input pixels). Red dots: the filter\'s peak in each counted image, carried into this mean shape by the similarity transform that best aligns that image\'s landmarks with it. A stable filter gives a tight cluster.</p>',
      },
      { title: 'Settings', body: settingsTable(data.settings) },
    ],
    { header },
  );
}
