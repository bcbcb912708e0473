/**
 * The dissection report (`lucerna dissect`) as a page of the report kit: per layer, the
 * interpretable units per category and the unique detectors as bar charts (Bau et al. 2017,
 * arXiv:1704.05796, Figure 4), each category's mean best IoU (for `part`, the part interpretability
 * of Zhang et al. 2018, arXiv:1710.00935), and per unit its label and IoU with its top images (the
 * thresholded mask drawn over them). A category filter and a sort by IoU work without any script:
 * radio buttons, `:has()` and the flex `order` of each card. A layer without any interpretable unit
 * says so in a sentence instead of drawing empty charts; the chart module (Observable Plot and a
 * server-side DOM, about 0.2 s of CPU to load) is loaded only when some layer has a chart to draw.
 * Isomorphic: data in, one HTML string out.
 */
import { callout } from '../render/report/callout.js';
import type { chart as Chart } from '../render/report/chart.js';
import { escapeHtml } from '../render/report/escape.js';
import { formatValue } from '../render/report/format.js';
import { page, type Section } from '../render/report/page.js';
import { table } from '../render/report/table.js';
import { inlineImg } from '../render/report/tile.js';
import { type DetectorCounts, meanBestIou, type UnitScore } from './score.js';

/** One layer of the report. */
export interface ReportLayer {
  readonly layer: string;
  readonly counts: DetectorCounts;
  readonly rows: readonly UnitScore[];
  /** The mean best part IoU over units, when `part` was dissected. */
  readonly partInterpretability?: number;
  /** The interpretable-CNN paper's part interpretability (§5.2.1: mean over units of P_u), when counted. */
  readonly partAssociation?: number;
  /** What a unit's region is in {@link partAssociation}, e.g. `round receptive fields of radius 21.4 px`; default its upsampled mask. */
  readonly associationRegion?: string;
  /** Per 1-based unit number, its top images with the mask drawn; units without any are listed without images. */
  readonly images: ReadonlyMap<number, readonly TopImageView[]>;
}

/**
 * A top image as drawn: one data URI with the mask already drawn in, or a picture and a mask to
 * lay over it (data URIs; a picture shared by several units is written once in the page).
 */
export type TopImageView = string | { readonly picture: string; readonly mask: string };

/** Options of {@link dissectionReportHtml}. */
export interface DissectionReportOptions {
  /** The `--where` restriction, e.g. `object=bird`. */
  readonly where?: string;
}

/** Size of the top images as drawn (they are rendered at 96 × 96). */
const THUMB = 96;

/** Filter and sort without script: each layer's radio buttons select which cards show and their order. */
function controlsCss(categories: number): string {
  const filters = Array.from({ length: categories }, (_, k) => `section:has(input.cat-${k}:checked) .unit:not([data-cat="${k}"]) { display: none; }`).join(
    '\n',
  );
  return `
.units { display: flex; flex-wrap: wrap; gap: 8px; }
.unit { border: 1px solid #ddd; border-radius: 4px; padding: 4px 6px; width: 272px; max-width: 100%; order: var(--desc); }
.unit .imgs { display: flex; flex-wrap: wrap; gap: 2px; }
.unit .imgs img { width: 62px; height: 62px; }
.unit .imgs .pic { display: inline-block; width: 62px; height: 62px; background-size: 100% 100%; }
.unit .weak { color: #999; }
.controls label { margin-right: 10px; white-space: nowrap; }
.controls { margin: 6px 0 10px; }
section:has(input.sort-asc:checked) .unit { order: var(--asc); }
section:has(input.sort-unit:checked) .unit { order: var(--unit); }
${filters}`;
}

function controls(index: number, categories: readonly string[]): string {
  const radio = (name: string, cls: string, text: string, checked = false) =>
    `<label><input type="radio" name="${name}-${index}" class="${cls}"${checked ? ' checked' : ''}> ${escapeHtml(text)}</label>`;
  const filter = [radio('cat', 'cat-all', 'all', true), ...categories.map((c, k) => radio('cat', `cat-${k}`, c))].join('');
  const sort = [
    radio('sort', 'sort-desc', 'IoU, highest first', true),
    radio('sort', 'sort-asc', 'IoU, lowest first'),
    radio('sort', 'sort-unit', 'unit'),
  ].join('');
  return `<div class="controls"><div><b>Category</b> ${filter}</div><div><b>Sort</b> ${sort}</div></div>`;
}

/** CSS classes of the pictures under masks: each picture's data URI is written once. */
class Pictures {
  private readonly classes = new Map<string, string>();
  classOf(picture: string): string {
    let name = this.classes.get(picture);
    if (!name) this.classes.set(picture, (name = `pic-${this.classes.size}`));
    return name;
  }
  css(): string {
    return [...this.classes].map(([uri, name]) => `.${name} { background-image: url("${uri}"); }`).join('\n');
  }
}

function topImage(view: TopImageView, unit: number, pictures: Pictures): string {
  const alt = `top image of unit ${unit}`;
  if (typeof view === 'string') return inlineImg({ png: view, width: THUMB, height: THUMB }, alt);
  return `<span class="pic ${pictures.classOf(view.picture)}">${inlineImg({ png: view.mask, width: THUMB, height: THUMB }, alt)}</span>`;
}

function unitCard(
  r: UnitScore,
  images: readonly TopImageView[],
  threshold: number,
  order: { desc: number; asc: number },
  cat: number,
  pictures: Pictures,
): string {
  const imgs = images.map((view) => topImage(view, r.unit, pictures)).join('');
  const label = r.score >= threshold ? `<b>${escapeHtml(r.label)}</b>` : `<span class="weak">${escapeHtml(r.label || '—')}</span>`;
  return `<div class="unit" data-cat="${cat}" data-iou="${r.score}" data-unit="${r.unit}" style="--desc:${order.desc};--asc:${order.asc};--unit:${r.unit}"><div class="tile-title">unit ${r.unit} · ${label} <span class="muted">${escapeHtml(r.category)}, IoU ${formatValue(r.score)}</span></div><div class="imgs">${imgs}</div></div>`;
}

function categoryTable(l: ReportLayer, categories: readonly string[]): string {
  const rows = categories.map((c) => [c, l.counts.perCategory[c] ?? 0, l.counts.uniquePerCategory[c] ?? 0, meanBestIou(l.rows, c) ?? Number.NaN]);
  return table(rows, {
    columns: ['category', `interpretable units (IoU ≥ ${l.counts.threshold})`, 'unique detectors', 'mean best IoU over units'],
    rowHeaders: true,
  });
}

/**
 * The per-category bar charts of a layer (Bau et al.'s Figure 4), or, when no unit is
 * interpretable, a sentence saying so (`chart` is then not needed).
 */
function categoryCharts(counts: ReportLayer['counts'], units: number, chart: typeof Chart | undefined): string {
  if (counts.units === 0 || !chart) {
    const none = units === 1 ? 'The one unit of this layer does not reach' : `None of the ${units} units reaches`;
    const message = `${none} IoU ≥ ${counts.threshold}, so no unit is interpretable and there is nothing to count per category.`;
    return callout(
      { message, hint: "The table below gives each category's mean best IoU; a lower --iou-threshold counts weaker detectors." },
      { level: 'note' },
    );
  }
  const bars = (title: string, values: Readonly<Record<string, number>>) =>
    chart({ kind: 'bar', title, data: Object.entries(values).map(([x, y]) => ({ x, y })), y: { label: 'units' } });
  return `<div class="charts">${bars('Interpretable units per category', counts.perCategory)}${bars('Unique detectors per category', counts.uniquePerCategory)}</div>`;
}

function layerSection(l: ReportLayer, index: number, pictures: Pictures, chart: typeof Chart | undefined): Section {
  const { counts } = l;
  const categories = Object.keys(counts.perCategory);
  const part =
    l.partInterpretability === undefined
      ? ''
      : ` Part interpretability (the mean over units of each unit's best part IoU): <b>${escapeHtml(formatValue(l.partInterpretability))}</b>.${
          l.partAssociation === undefined
            ? ''
            : ` As the interpretable-CNN paper measures it (per unit, the share of a part's images where its region, ${escapeHtml(l.associationRegion ?? 'its upsampled mask')}, has IoU &gt; 0.2 with the part, best part, mean over units): <b>${escapeHtml(formatValue(l.partAssociation))}</b>.`
        }`;
  // Orders: the rows come sorted by score, highest first (ties: higher unit first).
  const cards = l.rows.map((r, k) =>
    unitCard(r, l.images.get(r.unit) ?? [], counts.threshold, { desc: k, asc: l.rows.length - 1 - k }, categories.indexOf(r.category), pictures),
  );
  const body = `<p>${counts.units} of ${l.rows.length} units are interpretable (IoU ≥ ${counts.threshold}); ${counts.uniqueDetectors} unique detectors.${part}</p>
${categoryCharts(counts, l.rows.length, chart)}
${categoryTable(l, categories)}
<h3>Units</h3>${controls(index, categories)}<div class="units">${cards.join('')}</div>`;
  return { title: l.layer, id: `layer-${index}`, body };
}

/**
 * The whole report page.
 *
 * @example
 * ```ts
 * const html = await dissectionReportHtml('resnet18.onnx', [{ layer, counts, rows, images }]);
 * ```
 */
export async function dissectionReportHtml(model: string, layers: readonly ReportLayer[], options: DissectionReportOptions = {}): Promise<string> {
  const chart = layers.some((l) => l.counts.units > 0) ? (await import('../render/report/chart.js')).chart : undefined;
  const most = Math.max(0, ...layers.map((l) => Object.keys(l.counts.perCategory).length));
  const where = options.where ? ` · only images with ${options.where}, labels on its pixels` : '';
  const header = `<p class="muted">Bau et al. 2017 (arXiv:1704.05796), with NetDissect-Lite's thresholds, tallies and IoU. A unit is labelled with the concept whose masks its top activations overlap best.</p>`;
  const pictures = new Pictures();
  const sections = layers.map((l, k) => layerSection(l, k, pictures, chart));
  return page(`Network Dissection of ${model}`, [`<style>${controlsCss(most)}\n${pictures.css()}</style>`, ...sections], {
    subtitle: `${layers.length} layer${layers.length === 1 ? '' : 's'}${where}`,
    header,
  });
}
