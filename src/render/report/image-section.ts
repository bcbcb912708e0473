/**
 * One image's section of the explanation report: the input as the model sees it, the top-k
 * predictions, warnings, and per target a responsive grid of method tiles (overlay, colour bar,
 * stated scale), then every method's settings.
 */
import type { ColormapName } from '../colormap.js';
import { describeRange } from '../scale.js';
import { callout } from './callout.js';
import { chart } from './chart.js';
import { escapeHtml } from './escape.js';
import { fileName, formatMs, formatPercent, formatValue } from './format.js';
import { settingText } from './table.js';
import { heatmapTile, inlineImg, tileGrid } from './tile.js';
import type { ImageReport, MapCell, MethodReport, Prediction, SettingValue } from './types.js';

function targetHeading(t: Prediction): string {
  return `<h3 class="target-heading">explaining ${escapeHtml(t.label)} <span class="muted">class ${t.index} · ${formatPercent(t.probability)} · score ${formatValue(t.score)}</span></h3>`;
}

function inlineSettings(settings: Readonly<Record<string, SettingValue>>): string {
  return Object.entries(settings)
    .map(([k, v]) => `<span class="setting"><b>${escapeHtml(k)}</b> ${escapeHtml(settingText(v))}</span>`)
    .join(' ');
}

function settingsRow(m: MethodReport): string {
  const display: Record<string, SettingValue> = {
    mode: m.display.mode,
    sign: m.display.sign,
    channels: m.display.reduction,
    ...(m.display.upsampling ? { upsampling: m.display.upsampling } : {}),
    scale: m.display.sharedAcrossTargets ? 'shared across targets' : 'per map',
  };
  const deltas = m.cells.filter((c) => c.delta !== undefined).map((c) => `${c.target.label} ${formatValue(c.delta as number)}`);
  return `<tr><td><b>${escapeHtml(m.name)}</b><div class="muted">${escapeHtml(m.description)}</div></td><td class="num">${formatMs(m.timeMs)}</td><td>${
    deltas.length ? escapeHtml(deltas.join(', ')) : '<span class="muted">n/a</span>'
  }</td><td>${inlineSettings(m.settings)}</td><td>${inlineSettings(display)}</td></tr>`;
}

function captionLines(cell: MapCell): string[] {
  const lines = [describeRange(cell.range)];
  if (cell.clipped > 0) lines.push(`${formatPercent(cell.clipped)} of pixels beyond the scale`);
  lines.push(`min ${formatValue(cell.stats.min)}, max ${formatValue(cell.stats.max)}, sum ${formatValue(cell.stats.sum)}`);
  if (cell.mask) lines.push(`kept ${formatPercent(cell.mask.kept)} of pixels (≥ ${formatValue(cell.mask.threshold)})`);
  if (cell.delta !== undefined) lines.push(`convergence delta ${formatValue(cell.delta)}`);
  return lines;
}

function mapTile(method: MethodReport, cell: MapCell, id: string): string {
  return heatmapTile({
    image: cell.image,
    alt: `${method.name} for ${cell.target.label}`,
    title: method.name,
    subtitle: formatMs(method.timeMs),
    imageClass: 'map',
    data: { method: method.name, target: cell.target.index },
    ...(cell.colormap ? { scale: { colormap: cell.colormap as ColormapName, range: cell.range, clipped: cell.clipped, id } } : {}),
    caption: captionLines(cell),
  });
}

/**
 * The warnings of the methods (e.g. a convergence delta above 5 % of the logit) as callouts.
 *
 * @example `methodWarnings(image.methods)`
 */
export function methodWarnings(methods: readonly Pick<MethodReport, 'name' | 'warnings'>[]): string {
  return methods.flatMap((m) => (m.warnings ?? []).map((w) => callout(w, { title: m.name }))).join('');
}

/**
 * The top-k predictions as a bar chart (probabilities), the predicted class highlighted.
 *
 * @example `predictionChart(image.predictions)`
 */
export function predictionChart(predictions: readonly Prediction[]): string {
  const top = predictions[0];
  return chart({
    kind: 'bar',
    data: predictions.map((p) => ({ x: p.label, y: p.probability })),
    y: { label: 'probability (%)', domain: [0, 1], percent: true },
    highlight: top?.label,
    barLabel: (p) => formatPercent(p.y),
    width: 520,
  });
}

/**
 * The HTML of one image's section.
 *
 * @param index Position of the image in the report (for element ids).
 * @example
 * ```ts
 * const html = imageSection(report.images[0], 0);
 * ```
 */
export function imageSection(image: ImageReport, index: number): string {
  const top = image.predictions[0];
  const headline = top ? `${escapeHtml(top.label)} ${formatPercent(top.probability)}` : '';
  const grids = image.targets
    .map(
      (t, ti) =>
        `${targetHeading(t)}${tileGrid(
          image.methods.map((m, mi) => mapTile(m, m.cells[ti] as MapCell, `i${index}-m${mi}-t${ti}`)),
          200,
        )}`,
    )
    .join('\n');
  const settings = image.methods.map(settingsRow).join('');
  return `<section class="image" id="image-${index + 1}">
<h2>${escapeHtml(fileName(image.file))} <span class="predicted">→ ${headline}</span></h2>
<div class="muted path">${escapeHtml(image.file)}</div>
<div class="row">
<figure class="tile" style="max-width:${Math.max(image.input.width, 192)}px">${inlineImg(image.input, `input ${image.file}`, ' class="input"')}<figcaption>input as the model sees it (${image.input.width}×${image.input.height}; file ${image.original.width}×${image.original.height})</figcaption></figure>
<figure class="grow">${predictionChart(image.predictions)}<figcaption>top ${image.predictions.length} predictions (probabilities)</figcaption></figure>
</div>
${methodWarnings(image.methods)}
${grids}
<h3>Methods: settings, time and convergence</h3>
<div class="table-wrap"><table class="list methods"><tr><th>method</th><th>time</th><th>convergence delta</th><th>settings</th><th>display</th></tr>${settings}</table></div>
</section>`;
}
