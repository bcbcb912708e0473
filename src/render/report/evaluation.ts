/**
 * The evaluation report (`lucerna evaluate`) as one self-contained page of the report kit: the
 * method × metric table, example maps of every method on the first images, the mean deletion and
 * insertion curves, the randomization sanity-check curves, and every setting as a table.
 */
import type { RandomizationMode } from '../../metrics/randomization.js';
import type { EvaluationSummary, MeanCurves, MeanRandomization, TableCell } from '../../metrics/summary.js';
import type { ColormapName } from '../colormap.js';
import { describeRange } from '../scale.js';
import { callout, type ReportWarning } from './callout.js';
import { chart } from './chart.js';
import { escapeHtml } from './escape.js';
import { fileName, formatCount, formatValue } from './format.js';
import { page, type Section } from './page.js';
import { raw, settingsTable, table } from './table.js';
import { heatmapTile, inlineImg, tileGrid } from './tile.js';
import type { InlineImage, MapCell } from './types.js';

/** One method's map on an example image, rendered. */
export interface ExampleMap extends Pick<MapCell, 'image' | 'range' | 'colormap' | 'clipped'> {
  readonly method: string;
}

/** An example image with every method's map. */
export interface EvaluationExample {
  readonly file: string;
  /** The class explained. */
  readonly target: { readonly index: number; readonly label?: string };
  /** The image as the model sees it. */
  readonly input: InlineImage;
  readonly maps: readonly ExampleMap[];
}

/** What the evaluation page shows besides the summary. */
export interface EvaluationPageOptions {
  /** The page title (default: `Lucerna evaluation: <model name>`). */
  readonly title?: string;
  /** The model as the reader knows it (default: the last component of `summary.model`). */
  readonly modelName?: string;
  /** Maps of every method on the first images. */
  readonly examples?: readonly EvaluationExample[];
  /** Per method, problems the reader must see (drawn as callouts). */
  readonly warnings?: Readonly<Record<string, readonly ReportWarning[]>>;
  readonly version?: string;
}

/** The best mean of a metric's column, by its direction. */
function bestOf(cells: readonly TableCell[]): number | undefined {
  const finite = cells.filter((c) => Number.isFinite(c.mean));
  if (finite.length < 2) return undefined;
  const means = finite.map((c) => c.mean);
  return (cells[0] as TableCell).better === 'lower' ? Math.min(...means) : Math.max(...means);
}

function scoreTable(summary: EvaluationSummary): string {
  const columns = [
    'method',
    ...summary.metrics.map((m) => ({ value: raw(`${escapeHtml(m.name)} <span class="dir">${m.better === 'lower' ? '↓' : '↑'}</span>`), title: m.description })),
  ];
  const byMetric = new Map(summary.metrics.map((m) => [m.name, summary.table.filter((c) => c.metric === m.name)]));
  const rows = summary.methods.map((method) => [
    method,
    ...summary.metrics.map((m) => {
      const column = byMetric.get(m.name) ?? [];
      const cell = column.find((c) => c.method === method);
      if (!cell || cell.n === 0) return { value: '–', className: 'num' };
      const n = cell.n !== summary.images.evaluated ? ` <span class="n">(n=${cell.n})</span>` : '';
      return {
        value: raw(`${escapeHtml(formatValue(cell.mean))} ± ${escapeHtml(formatValue(cell.stderr))}${n}`),
        className: bestOf(column) === cell.mean ? 'num best' : 'num',
      };
    }),
  ]);
  return table(rows, { columns, rowHeaders: true, className: 'list scores' });
}

function metricList(summary: EvaluationSummary): string {
  const items = summary.metrics.map((m) => `<li><b>${escapeHtml(m.name)}</b> (${m.better} is better): ${escapeHtml(m.description)}</li>`);
  return `<ul class="notes">${items.join('')}</ul>`;
}

function skippedHtml(summary: EvaluationSummary): string {
  const skipped = summary.images.skipped;
  if (skipped.length === 0) return '';
  const items = skipped.map((s) => `<li><code>${escapeHtml(s.file)}</code>: ${escapeHtml(s.reason)}</li>`);
  return `<details><summary>${skipped.length} skipped input${skipped.length === 1 ? '' : 's'}</summary><ul>${items.join('')}</ul></details>`;
}

function examplesSection(examples: readonly EvaluationExample[]): Section | undefined {
  if (examples.length === 0) return undefined;
  const body = examples.map((ex, i) => {
    const tiles = [
      `<figure class="tile" style="max-width:${Math.max(ex.input.width, 192)}px"><div class="tile-title"><span class="name">input</span></div>${inlineImg(ex.input, `input ${ex.file}`, ' class="input"')}</figure>`,
      ...ex.maps.map((m, mi) =>
        heatmapTile({
          image: m.image,
          alt: `${m.method} on ${ex.file}`,
          title: m.method,
          imageClass: 'map',
          data: { method: m.method, image: ex.file },
          ...(m.colormap ? { scale: { colormap: m.colormap as ColormapName, range: m.range, clipped: m.clipped, id: `ex${i}-m${mi}` } } : {}),
          caption: [describeRange(m.range)],
        }),
      ),
    ];
    const target = ex.target.label ? `${ex.target.label} (class ${ex.target.index})` : `class ${ex.target.index}`;
    return `<h3>${escapeHtml(ex.file)} <span class="muted">explaining ${escapeHtml(target)}</span></h3>${tileGrid(tiles, 180)}`;
  });
  return {
    title: `Maps on the first ${formatCount(examples.length, 'image')}`,
    body: `<p>Each method's attribution for the evaluated target, channels summed, over the image in grey; the colour bar gives the real values.</p>${body.join('')}`,
  };
}

function curveChart(curves: MeanCurves, title: string, methods: readonly string[], yLabel: string): string {
  const data = Object.entries(curves.methods).flatMap(([series, ys]) => ys.map((y, i) => ({ x: curves.x[i] as number, y, series })));
  return chart({ kind: 'line', title, data, series: methods, x: { label: 'fraction of pixels', domain: [0, 1] }, y: { label: yLabel } });
}

function curvesSection(summary: EvaluationSummary): Section | undefined {
  const score = String((summary.settings.curve as { score?: string } | undefined)?.score ?? 'score');
  const charts: string[] = [];
  if (summary.curves.deletion) charts.push(curveChart(summary.curves.deletion, 'Deletion (lower area is better)', summary.methods, `target ${score}`));
  if (summary.curves.insertion) charts.push(curveChart(summary.curves.insertion, 'Insertion (higher area is better)', summary.methods, `target ${score}`));
  if (charts.length === 0) return undefined;
  return {
    title: 'Deletion and insertion',
    body: `<p>Mean curves over the images: pixels removed from (or put back into) the image, most relevant first.</p><div class="charts">${charts.join('')}</div>`,
  };
}

/** The three similarity measures of a randomization run, with their axis labels. */
const SIMILARITY_LABELS = [
  ['spearmanAbs', 'Spearman rank correlation of |map|'],
  ['spearman', 'Spearman rank correlation (signed)'],
  ['ssim', 'SSIM of |map|'],
] as const;

const MODE_TITLES: Record<RandomizationMode, string> = { cascading: 'Cascading randomization', independent: 'Independent randomization' };
const MODE_TEXT: Record<RandomizationMode, string> = {
  cascading: 'Weights are redrawn from the top layer down, cumulatively; each point compares the map after randomizing up to that layer with the original map.',
  independent: 'One layer at a time is redrawn; each point compares the map with only that layer randomized with the original map.',
};

/** Adebayo et al. 2018, Fig. 2: similarity to the original map (1 at "original") by the last layer randomized, top first. */
function randomizationCharts(r: MeanRandomization, title: string, methods: readonly string[]): string[] {
  const layers = ['original', ...r.layers];
  return SIMILARITY_LABELS.map(([key, label]) => {
    const data = Object.entries(r.methods).flatMap(([series, curves]) => [
      { x: 'original', y: 1, series },
      ...curves[key].map((y, i) => ({ x: r.layers[i] as string, y, series })),
    ]);
    return chart({
      kind: 'line',
      title: `${title}: ${label}`,
      data,
      series: methods,
      x: { label: 'randomized up to (top first)', domain: layers, tickRotate: layers.some((l) => l.length > 8) ? -30 : 0 },
      y: { label },
    });
  });
}

function randomizationSection(summary: EvaluationSummary): Section | undefined {
  const parts: string[] = [];
  for (const mode of ['cascading', 'independent'] as const) {
    const r = summary.randomization[mode];
    if (!r) continue;
    parts.push(
      `<h3>${MODE_TITLES[mode]}</h3><p>${MODE_TEXT[mode]} A method that explains the model should decorrelate fast. The axis starts at 0, or lower when a similarity is negative.</p><div class="charts">${randomizationCharts(r, MODE_TITLES[mode], summary.methods).join('')}</div>`,
    );
  }
  if (parts.length === 0) return undefined;
  return { title: 'Sanity checks: model-parameter randomization (Adebayo et al. 2018)', body: parts.join('') };
}

/**
 * The whole evaluation report as an HTML string.
 *
 * @example
 * ```ts
 * await writeFileAtomic('report.html', evaluationPage(summary, { modelName: 'cnn.onnx', examples }));
 * ```
 */
export function evaluationPage(summary: EvaluationSummary, options: EvaluationPageOptions = {}): string {
  const modelName = options.modelName ?? fileName(summary.model);
  const title = options.title ?? `Lucerna evaluation: ${modelName}`;
  const warnings = Object.entries(options.warnings ?? {}).flatMap(([method, list]) => list.map((w) => callout(w, { title: method })));
  const sections = [
    {
      title: 'Methods × metrics',
      body: `<p>Mean ± standard error over images; the best of each column in bold.</p>${scoreTable(summary)}${metricList(summary)}`,
    },
    examplesSection(options.examples ?? []),
    curvesSection(summary),
    randomizationSection(summary),
    { title: 'Settings', body: settingsTable({ model: summary.model, methods: summary.methods.join(', '), ...summary.settings }) },
  ].filter((s): s is Section => s !== undefined);
  return page(title, sections, {
    subtitle: `${formatCount(summary.images.evaluated, 'image')} evaluated with ${formatCount(summary.methods.length, 'method')} (${summary.methods.join(', ')}) and ${formatCount(summary.metrics.length, 'metric')}`,
    header: `${warnings.join('')}${skippedHtml(summary)}`,
    ...(options.version ? { version: options.version } : {}),
  });
}
