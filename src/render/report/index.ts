/**
 * The report kit: every HTML report of Lucerna (`explain`, `evaluate`, and the reports of later
 * commands: training curves, dissection bar charts, graph and tree views) is built from these
 * pieces, so all pages look and behave the same and stay self-contained (no script, nothing
 * fetched, every image a data URI). Pure string functions: they run in Node and in a browser.
 *
 * - {@link page}`(title, sections, options)`: the page shell (inline CSS, header, self-containment check)
 * - {@link section}: one boxed section with a heading
 * - {@link table}`(rows, options)` and {@link settingsTable}`(settings)`: data tables; every parameter as readable rows
 * - {@link chart}`(spec)`: line and bar charts on Observable Plot, full width, value axis from 0
 * - {@link histogram} and {@link positionsChart}: binned counts, and points on an image-shaped canvas
 * - {@link heatmapTile} and {@link tileGrid}: a map with its colour bar and caption, in a responsive grid
 * - {@link callout}: a visible warning (e.g. a convergence delta above 5 % of the logit) with a hint
 * - {@link escapeHtml}, {@link formatValue}, {@link formatPercent}, {@link formatMs}, {@link formatCount}
 *
 * @example
 * ```ts
 * import { chart, page, settingsTable, table } from './render/report/index.js';
 * const html = page('Training', [
 *   { title: 'Loss', body: chart({ kind: 'line', data: losses.map((y, x) => ({ x, y, series: 'train' })), y: { label: 'loss' } }) },
 *   { title: 'Settings', body: settingsTable({ epochs: 3, optimizer: { name: 'sgd', lr: 0.1 } }) },
 * ]);
 * ```
 */
export { type CalloutOptions, callout, type ReportWarning } from './callout.js';
export { type ChartAxis, type ChartPoint, type ChartSpec, chart, chartSvg } from './chart.js';
export { escapeHtml } from './escape.js';
export { type EvaluationExample, type EvaluationPageOptions, type ExampleMap, evaluationPage } from './evaluation.js';
export { fileName, formatCount, formatMs, formatPercent, formatValue } from './format.js';
export { renderReportHtml } from './html.js';
export { type PageOptions, page, type Section, section } from './page.js';
export { binCounts, type HistogramSpec, histogram, type PositionsSpec, positionsChart } from './plots.js';
export { externalReferences } from './self-contained.js';
export { type Cell, humanKey, type RawHtml, raw, settingsTable, settingText, type TableOptions, table } from './table.js';
export { type HeatmapTile, heatmapTile, inlineImg, tileGrid } from './tile.js';
export type { ImageReport, InlineImage, MapCell, MethodReport, Prediction, ReportData, ReportModel, SettingValue } from './types.js';
export { withoutImages } from './types.js';
