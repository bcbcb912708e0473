/**
 * The training report (`lucerna train`) as one self-contained page of the report kit: loss and
 * accuracy per step and per epoch (training and validation), each loss term's curve when there are
 * several (e.g. cross-entropy plus the interpretable-CNN filter loss, Zhang et al. 2018,
 * https://arxiv.org/abs/1710.00935), the validation confusion matrix, and every setting.
 */
import { chunkRanges } from '../../tensor/chunks.js';
import type { EpochSummary } from '../../training/fit.js';
import type { FilterMaps } from '../../training/interpretable/filter-maps.js';
import { callout } from './callout.js';
import { type ChartPoint, chart } from './chart.js';
import { escapeHtml } from './escape.js';
import { filterMapGrid } from './filter-maps.js';
import { formatCount, formatPercent, formatValue } from './format.js';
import { page, type Section } from './page.js';
import { type Cell, raw, settingsTable, table } from './table.js';

/** What the training page shows. */
export interface TrainingReport {
  /** The model trained, as the reader knows it (a file name). */
  readonly model: string;
  /** The training data, as given (a folder, `fashion-mnist`, or the .npy files). */
  readonly data: string;
  readonly trainSamples: number;
  readonly valSamples: number;
  /** Where the validation samples came from, e.g. `index.csv split column` or `10% held out`. */
  readonly valSource?: string;
  readonly steps: number;
  readonly totalSteps: number;
  readonly seconds: number;
  readonly interrupted: boolean;
  /** The loss of every step. */
  readonly losses: readonly number[];
  /** The batch accuracy of every step. */
  readonly accuracies: readonly number[];
  /** Each loss term's value at every step, when there are several. */
  readonly termLosses?: Readonly<Record<string, readonly number[]>>;
  readonly epochs: readonly EpochSummary[];
  /** The last validation's confusion matrix `[true][predicted]`. */
  readonly confusion?: readonly (readonly number[])[];
  readonly classNames?: readonly string[];
  /** Every setting of the run (drawn as the settings table). */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly version?: string;
  /** Interpretable CNN: per masked layer and class, the mean maps of the filters of that class. */
  readonly filterMaps?: readonly { readonly maps: FilterMaps; readonly className?: string; readonly filters: readonly number[] }[];
}

/**
 * A per-step curve cut into at most `maxPoints` consecutive windows, each drawn at its last step
 * with the window's mean (so a long run stays a small SVG and batch noise is smoothed).
 *
 * @example
 * ```ts
 * windowMeans([1, 3, 5, 7], 2); // [{ x: 2, y: 2 }, { x: 4, y: 6 }]
 * ```
 */
export function windowMeans(values: readonly number[], maxPoints: number): { x: number; y: number }[] {
  const size = Math.max(1, Math.ceil(values.length / Math.max(1, maxPoints)));
  return Array.from(chunkRanges(values.length, size), ({ first, count }) => {
    const window = values.slice(first, first + count);
    return { x: first + count, y: window.reduce((a, b) => a + b, 0) / count };
  });
}

const MAX_POINTS = 400;

function stepSeries(values: readonly number[], series: string): ChartPoint[] {
  return windowMeans(values, MAX_POINTS).map((p) => ({ ...p, series }));
}

function stepCharts(r: TrainingReport): string {
  const window = Math.ceil(r.losses.length / MAX_POINTS);
  const note = window > 1 ? ` (mean of every ${window} steps)` : '';
  const terms = Object.entries(r.termLosses ?? {});
  const loss = chart({
    kind: 'line',
    title: `Training loss per step${note}`,
    data: [...stepSeries(r.losses, 'total'), ...terms.flatMap(([name, v]) => stepSeries(v, name))],
    series: ['total', ...terms.map(([name]) => name)],
    x: { label: 'step' },
    y: { label: 'loss' },
  });
  const accuracy = chart({
    kind: 'line',
    title: `Training batch accuracy per step${note}`,
    data: stepSeries(r.accuracies, 'train'),
    x: { label: 'step' },
    y: { label: 'accuracy', domain: [0, 1], percent: true },
  });
  return `<div class="charts">${loss}${accuracy}</div>`;
}

function epochCharts(r: TrainingReport): string {
  const withVal = r.epochs.some((e) => e.valLoss !== undefined);
  const series = withVal ? ['train', 'validation'] : ['train'];
  const points = (train: (e: EpochSummary) => number, val: (e: EpochSummary) => number | undefined): ChartPoint[] =>
    r.epochs.flatMap((e) => {
      const v = val(e);
      return [{ x: e.epoch + 1, y: train(e), series: 'train' }, ...(v === undefined ? [] : [{ x: e.epoch + 1, y: v, series: 'validation' }])];
    });
  const xAxis = { label: 'epoch', ...(r.epochs.length === 1 ? { domain: [0.5, 1.5] as const } : {}) };
  const loss = chart({
    kind: 'line',
    title: 'Loss per epoch',
    data: points(
      (e) => e.loss,
      (e) => e.valLoss,
    ),
    series,
    x: xAxis,
    y: { label: 'loss' },
  });
  const accuracy = chart({
    kind: 'line',
    title: 'Accuracy per epoch',
    data: points(
      (e) => e.accuracy,
      (e) => e.valAccuracy,
    ),
    series,
    x: xAxis,
    y: { label: 'accuracy', domain: [0, 1], percent: true },
  });
  const names = [...new Set(r.epochs.flatMap((e) => Object.keys(e.terms ?? {})))];
  const terms = names.length
    ? chart({
        kind: 'line',
        title: 'Loss terms per epoch (training)',
        data: r.epochs.flatMap((e) => names.map((name) => ({ x: e.epoch + 1, y: e.terms?.[name] ?? Number.NaN, series: name }))),
        series: names,
        x: xAxis,
        y: { label: 'loss' },
      })
    : '';
  return `<div class="charts">${loss}${accuracy}${terms}</div>`;
}

function epochTable(r: TrainingReport): string {
  const names = [...new Set(r.epochs.flatMap((e) => Object.keys(e.terms ?? {})))];
  const withVal = r.epochs.some((e) => e.valLoss !== undefined);
  const columns: Cell[] = ['epoch', 'loss', ...names, 'accuracy', ...(withVal ? ['val loss', 'val accuracy'] : [])];
  const rows = r.epochs.map((e): Cell[] => [
    e.epoch + 1,
    e.loss,
    ...names.map((n) => e.terms?.[n] ?? Number.NaN),
    formatPercent(e.accuracy),
    ...(withVal ? [e.valLoss ?? Number.NaN, e.valAccuracy === undefined ? '–' : formatPercent(e.valAccuracy)] : []),
  ]);
  return table(rows, { columns });
}

/**
 * The confusion matrix as a table: rows are the true classes, columns the predicted ones, the
 * diagonal highlighted, with each class's count and recall.
 *
 * @example
 * ```ts
 * confusionTable([[5, 1], [0, 4]], ['cat', 'dog']);
 * ```
 */
export function confusionTable(matrix: readonly (readonly number[])[], classNames?: readonly string[]): string {
  const name = (k: number) => classNames?.[k] ?? String(k);
  const columns: Cell[] = [
    raw('true <span class="muted">↓</span> predicted <span class="muted">→</span>'),
    ...matrix.map((_, k) => name(k)),
    'count',
    'recall',
  ];
  const rows = matrix.map((row, t): Cell[] => {
    const count = row.reduce((a, b) => a + b, 0);
    return [
      name(t),
      ...row.map((v, p): Cell => ({ value: v, ...(p === t ? { className: 'best' } : {}), title: `true ${name(t)}, predicted ${name(p)}: ${v}` })),
      count,
      count ? formatPercent((row[t] as number) / count) : '–',
    ];
  });
  return table(rows, { columns, rowHeaders: true, className: 'list scores' });
}

function summary(r: TrainingReport): string {
  const last = r.epochs[r.epochs.length - 1];
  const items = [
    `${formatCount(r.steps, 'step')} of ${r.totalSteps} in ${formatValue(r.seconds)} s`,
    `${formatCount(r.trainSamples, 'training sample')}, ${formatCount(r.valSamples, 'validation sample')}${r.valSource ? ` (${r.valSource})` : ''}`,
    last ? `last epoch: loss ${formatValue(last.loss)}, accuracy ${formatPercent(last.accuracy)}` : 'no epoch finished',
    ...(last?.valAccuracy !== undefined ? [`validation: loss ${formatValue(last.valLoss ?? Number.NaN)}, accuracy ${formatPercent(last.valAccuracy)}`] : []),
  ];
  const warn = r.interrupted
    ? callout({ message: `Interrupted after step ${r.steps} of ${r.totalSteps}`, hint: 'The curves end there; the checkpoint holds that step' })
    : '';
  return `<ul class="notes">${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>${warn}`;
}

/**
 * Renders the training report page.
 *
 * @example
 * ```ts
 * await ctx.outputs.write('trained.report.html', trainingPage({ model: 'm.onnx', data: 'x.npy', losses, accuracies, epochs, settings, … }));
 * ```
 */
export function trainingPage(r: TrainingReport): string {
  const sections: Section[] = [];
  if (r.losses.length > 0) sections.push({ title: 'Per step', body: stepCharts(r) });
  if (r.epochs.length > 0) sections.push({ title: 'Per epoch', body: `${epochCharts(r)}${epochTable(r)}` });
  if (r.filterMaps && r.filterMaps.length > 0) {
    const body = r.filterMaps.map((f) => filterMapGrid(f.maps, { className: f.className, only: f.filters })).join('');
    sections.push({ title: 'Interpretable filters: mean activation maps', id: 'filter-maps', body });
  }
  sections.push({
    title: 'Validation confusion matrix',
    body: r.confusion
      ? `<p class="muted">After the last epoch, on ${formatCount(r.valSamples, 'validation sample')}.</p>${confusionTable(r.confusion, r.classNames)}`
      : '<p class="muted">No validation set (pass --val or a folder with a validation split), so no confusion matrix.</p>',
  });
  sections.push({ title: 'Settings', body: settingsTable(r.settings) });
  return page(`Lucerna training: ${r.model}`, sections, { subtitle: `data ${r.data}`, header: summary(r), version: r.version });
}
