/**
 * A minimal self-contained HTML report of a dissection: per layer, the interpretable units per
 * category as a bar chart (Bau et al. 2017, Figure 4), the unique detectors, and per unit its label
 * and IoU with its top images (the thresholded mask drawn over them), with a category filter and a
 * sort by IoU. Isomorphic: data in, one HTML string out (images come as data URIs).
 */
import type { DetectorCounts, UnitScore } from './score.js';

/** One layer of the report. */
export interface ReportLayer {
  readonly layer: string;
  readonly counts: DetectorCounts;
  readonly rows: readonly UnitScore[];
  /** Per 1-based unit number, its top images with the mask drawn (data URIs); units without any are listed without images. */
  readonly images: ReadonlyMap<number, readonly string[]>;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A horizontal SVG bar chart of interpretable units per category.
 *
 * @example
 * ```ts
 * barChart({ color: 12, texture: 3 });
 * ```
 */
export function barChart(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts);
  const max = Math.max(1, ...entries.map(([, v]) => v));
  const row = 22;
  const bars = entries
    .map(([name, v], i) => {
      const w = Math.round((v / max) * 300);
      const y = i * row;
      return `<text x="0" y="${y + 15}">${esc(name)}</text><rect x="90" y="${y + 3}" width="${w}" height="16" fill="#4c78a8"/><text x="${96 + w}" y="${y + 15}">${v}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="440" height="${entries.length * row + 4}" font-family="sans-serif" font-size="12">${bars}</svg>`;
}

function unitCard(r: UnitScore, images: readonly string[], threshold: number): string {
  const imgs = images.map((src) => `<img src="${src}" alt="top image of unit ${r.unit}">`).join('');
  const label = r.score >= threshold ? esc(r.label) : `<span class="weak">${esc(r.label || '—')}</span>`;
  return `<div class="unit" data-category="${esc(r.category)}" data-iou="${r.score}" data-unit="${r.unit}"><div class="head">unit ${r.unit} · ${label} <small>(${esc(r.category)}, IoU ${r.score.toFixed(3)})</small></div>${imgs}</div>`;
}

function layerSection(l: ReportLayer, index: number): string {
  const { counts } = l;
  const options = ['all', ...Object.keys(counts.perCategory)].map((c) => `<option value="${esc(c)}">${esc(c)}</option>`).join('');
  const cards = l.rows.map((r) => unitCard(r, l.images.get(r.unit) ?? [], counts.threshold)).join('');
  return `<section id="layer-${index}"><h2>${esc(l.layer)}</h2>
<p>${counts.units} of ${l.rows.length} units are interpretable (IoU ≥ ${counts.threshold}); ${counts.uniqueDetectors} unique detectors.</p>
<div class="charts"><div><h3>Interpretable units per category</h3>${barChart(counts.perCategory)}</div><div><h3>Unique detectors per category</h3>${barChart(counts.uniquePerCategory)}</div></div>
<p>Category <select class="filter">${options}</select> Sort <select class="sort"><option value="desc">IoU, highest first</option><option value="asc">IoU, lowest first</option><option value="unit">unit</option></select></p>
<div class="units">${cards}</div></section>`;
}

const SCRIPT = `for (const s of document.querySelectorAll('section')) {
  const box = s.querySelector('.units'), filter = s.querySelector('.filter'), sort = s.querySelector('.sort');
  const apply = () => {
    const cards = [...box.children];
    const key = sort.value;
    cards.sort((a, b) => key === 'unit' ? a.dataset.unit - b.dataset.unit : key === 'asc' ? a.dataset.iou - b.dataset.iou : b.dataset.iou - a.dataset.iou);
    for (const c of cards) { c.hidden = filter.value !== 'all' && c.dataset.category !== filter.value; box.appendChild(c); }
  };
  filter.onchange = apply; sort.onchange = apply;
}`;

/**
 * The whole report page.
 *
 * @example
 * ```ts
 * const html = dissectionReportHtml('resnet18.onnx', [{ layer, counts, rows, images }]);
 * ```
 */
export function dissectionReportHtml(model: string, layers: readonly ReportLayer[]): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Network Dissection · ${esc(model)}</title>
<style>body{font-family:sans-serif;margin:2em;color:#222}.units{display:flex;flex-wrap:wrap;gap:8px}.unit{border:1px solid #ddd;padding:4px;width:260px}.unit img{width:62px;height:62px;image-rendering:pixelated;margin:1px}.head{font-size:13px;margin-bottom:2px}.weak{color:#999}.charts{display:flex;gap:32px}h3{font-size:14px}</style>
</head><body><h1>Network Dissection of ${esc(model)}</h1>
<p>Bau et al. 2017 (<a href="https://arxiv.org/abs/1704.05796">arXiv:1704.05796</a>), with NetDissect-Lite's thresholds, tallies and IoU.</p>
${layers.map(layerSection).join('\n')}
<script>${SCRIPT}</script></body></html>\n`;
}
