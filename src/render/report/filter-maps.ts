/**
 * Filters' mean activation maps as a grid of small inline SVG heatmaps (each scaled to its own
 * maximum), with each filter's top images listed under it: the interpretable-CNN view of the
 * training report (Zhang, Wu & Zhu, CVPR 2018, https://arxiv.org/abs/1710.00935, Figure 1). Pure.
 */
import type { FilterMaps } from '../../training/interpretable/filter-maps.js';
import { colormapLut } from '../colormap.js';
import { escapeHtml } from './escape.js';

/**
 * One n×n map as an SVG of coloured cells (viridis, 0 → the map's maximum), `size` px wide.
 *
 * @example
 * ```ts
 * mapSvg(new Float64Array([0, 1, 0, 0]), 2, 2, 48, 'filter 0'); // '<svg …><rect …/>…</svg>'
 * ```
 */
export function mapSvg(map: ArrayLike<number>, h: number, w: number, size: number, label: string): string {
  const lut = colormapLut('viridis');
  let max = 0;
  for (let i = 0; i < h * w; i++) max = Math.max(max, map[i] as number);
  const cell = size / w;
  const rects: string[] = [];
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const v = max > 0 ? Math.max(0, (map[i * w + j] as number) / max) : 0;
      const k = Math.round(v * 255) * 3;
      rects.push(
        `<rect x="${(j * cell).toFixed(2)}" y="${(i * cell).toFixed(2)}" width="${cell.toFixed(2)}" height="${cell.toFixed(2)}" fill="rgb(${lut[k]},${lut[k + 1]},${lut[k + 2]})"/>`,
      );
    }
  }
  return `<svg width="${size}" height="${((size * h) / w).toFixed(0)}" viewBox="0 0 ${size} ${((size * h) / w).toFixed(2)}" role="img" aria-label="${escapeHtml(label)}">${rects.join('')}</svg>`;
}

/** Options of {@link filterMapGrid}. */
export interface FilterMapGridOptions {
  /** The class the maps are over, as the reader knows it. */
  readonly className?: string;
  /** Filters drawn, at most (default 64). */
  readonly maxFilters?: number;
  /** Only these filters (default: all, in order). */
  readonly only?: readonly number[];
  /** Heatmap width in px (default 56). */
  readonly size?: number;
}

/**
 * The grid: per filter its mean map, its peak value and its top images (sample index and peak cell).
 *
 * @example
 * ```ts
 * const html = filterMapGrid(await filterMaps(nodeRuntime, graph, 'Relu_33', data, 0), { className: 'bird' });
 * ```
 */
export function filterMapGrid(m: FilterMaps, o: FilterMapGridOptions = {}): string {
  const pool = o.only ?? Array.from({ length: m.filters }, (_, f) => f);
  const chosen = pool.slice(0, o.maxFilters ?? 64);
  const shown = chosen.length;
  const cells = m.h * m.w;
  const figures: string[] = [];
  for (const f of chosen) {
    const map = m.mean.subarray(f * cells, (f + 1) * cells);
    const peak = Math.max(...map);
    const top = (m.top[f] ?? []).map((t) => `#${t.index} (${Math.floor(t.cell / m.w)},${t.cell % m.w})`).join(' ');
    figures.push(
      `<figure class="filter-map">${mapSvg(map, m.h, m.w, o.size ?? 56, `filter ${f} mean map`)}<figcaption>filter ${f} · max ${peak.toFixed(2)}<br><span class="muted">top: ${escapeHtml(top)}</span></figcaption></figure>`,
    );
  }
  const over = o.className ? ` over ${m.images} ${escapeHtml(o.className)} images` : ` over ${m.images} images`;
  const more = shown < pool.length ? ` The first ${shown} of ${pool.length} filters.` : '';
  return `<p class="muted">Mean activation map of each filter of <code>${escapeHtml(m.tensor)}</code> (before the mask)${over}, each scaled to its own maximum; top: the images where it fires most (sample index, peak cell row,column).${more}</p><div class="filter-maps" style="display:flex;flex-wrap:wrap;gap:8px">${figures.join('')}</div>`;
}
