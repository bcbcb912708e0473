/**
 * One image's section of the report: the input as the model sees it, the top-k predictions, and
 * the grid of methods × targets with overlays, colour bars and every setting.
 */
import { colorBarSvg } from '../colorbar.js';
import type { ColormapName } from '../colormap.js';
import { describeRange, formatValue } from '../scale.js';
import { predictionBarChart } from './bar-chart.js';
import { escapeHtml, formatMs, formatPercent } from './escape.js';
import { settingText } from './model-section.js';
import type { ImageReport, MapCell, MethodReport, Prediction, SettingValue } from './types.js';

/** The last path component, for headings. */
function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

function img(src: string, width: number, height: number, alt: string, extra = ''): string {
  return `<img src="${src}" width="${width}" height="${height}" alt="${escapeHtml(alt)}"${extra}>`;
}

function targetHeader(t: Prediction, columns: number): string {
  return `<tr><th class="target" colspan="${columns}">explaining ${escapeHtml(t.label)} <span class="muted">class ${t.index} · ${formatPercent(t.probability)} · score ${formatValue(t.score)}</span></th></tr>`;
}

function methodHeader(m: MethodReport): string {
  return `<th class="method"><div class="name">${escapeHtml(m.name)}</div><div class="muted">${formatMs(m.timeMs)}</div></th>`;
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

function cellCaption(cell: MapCell): string {
  const lines = [describeRange(cell.range)];
  if (cell.clipped > 0) lines.push(`${formatPercent(cell.clipped)} of pixels beyond the scale`);
  lines.push(`min ${formatValue(cell.stats.min)}, max ${formatValue(cell.stats.max)}, sum ${formatValue(cell.stats.sum)}`);
  if (cell.mask) lines.push(`kept ${formatPercent(cell.mask.kept)} of pixels (≥ ${formatValue(cell.mask.threshold)})`);
  if (cell.delta !== undefined) lines.push(`convergence delta ${formatValue(cell.delta)}`);
  return lines.map((l) => `<div>${escapeHtml(l)}</div>`).join('');
}

function mapCell(method: MethodReport, cell: MapCell, id: string): string {
  const bar = cell.colormap
    ? colorBarSvg({
        colormap: cell.colormap as ColormapName,
        range: cell.range,
        id,
        width: cell.image.width,
        ticks: 3,
        clipped: { high: cell.clipped > 0 && cell.range.source !== 'fixed', low: cell.range.sign === 'all' && cell.clipped > 0 },
      })
    : '';
  const alt = `${method.name} for ${cell.target.label}`;
  return `<td class="cell">${img(cell.image.png, cell.image.width, cell.image.height, alt, ` class="map" data-method="${escapeHtml(method.name)}" data-target="${cell.target.index}"`)}${bar}<div class="caption">${cellCaption(cell)}</div></td>`;
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
  const header = `<tr>${image.methods.map(methodHeader).join('')}</tr>`;
  const rows = image.targets
    .map(
      (t, ti) =>
        `${targetHeader(t, image.methods.length)}<tr>${image.methods.map((m, mi) => mapCell(m, m.cells[ti] as MapCell, `i${index}-m${mi}-t${ti}`)).join('')}</tr>`,
    )
    .join('\n');
  const settings = image.methods.map(settingsRow).join('');
  return `<section class="image" id="image-${index + 1}">
<h2>${escapeHtml(baseName(image.file))} <span class="predicted">→ ${headline}</span></h2>
<div class="muted path">${escapeHtml(image.file)}</div>
<div class="row">
<figure>${img(image.input.png, image.input.width, image.input.height, `input ${image.file}`, ' class="input"')}<figcaption>input as the model sees it (${image.input.width}×${image.input.height}; file ${image.original.width}×${image.original.height})</figcaption></figure>
<figure>${predictionBarChart(image.predictions, { highlight: top?.index })}<figcaption>top ${image.predictions.length} predictions (probabilities)</figcaption></figure>
</div>
<div class="scroll"><table class="grid">${header}
${rows}
</table></div>
<h3>Methods: settings, time and convergence</h3>
<table class="list methods"><tr><th>method</th><th>time</th><th>convergence delta</th><th>settings</th><th>display</th></tr>${settings}</table>
</section>`;
}
