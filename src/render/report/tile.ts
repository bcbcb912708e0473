/**
 * Heatmap tiles: one rendered map (or input image) with its title, colour bar and caption lines,
 * as a figure that shrinks with its grid cell (never wider than its container).
 */
import { colorBarSvg } from '../colorbar.js';
import type { ColormapName } from '../colormap.js';
import type { DisplayRange } from '../scale.js';
import { escapeHtml } from './escape.js';
import type { InlineImage } from './types.js';

/** What {@link heatmapTile} shows. */
export interface HeatmapTile {
  readonly image: InlineImage;
  /** The image's alternative text. */
  readonly alt: string;
  /** A heading above the image (escaped), e.g. the method. */
  readonly title?: string;
  /** A muted line under the heading, e.g. the time. */
  readonly subtitle?: string;
  /** The colour scale: a colour bar with the real values is drawn under the image. */
  readonly scale?: {
    readonly colormap: ColormapName;
    readonly range: DisplayRange;
    /** Fraction of pixels beyond the range (marks the ends ≥ / ≤). */
    readonly clipped: number;
    /** Unique within the page (the bar's gradient id derives from it). */
    readonly id: string;
  };
  /** Caption lines (escaped), e.g. the range and statistics. */
  readonly caption?: readonly string[];
  /** A class for the `<img>` (e.g. `map`, `input`). */
  readonly imageClass?: string;
  /** `data-*` attributes of the `<img>` (escaped), e.g. `{ method: 'grad-cam', target: 2 }`. */
  readonly data?: Readonly<Record<string, string | number>>;
}

/**
 * An `<img>` of an inlined PNG that keeps its aspect ratio and shrinks with its container.
 *
 * @example `inlineImg({ png: 'data:image/png;base64,…', width: 224, height: 224 }, 'input')`
 */
export function inlineImg(image: InlineImage, alt: string, extra = ''): string {
  // Small maps are drawn larger than their pixels: show the pixels, not a blur.
  const pixelated = Math.max(image.width, image.height) < 128 ? ' style="image-rendering:pixelated"' : '';
  return `<img src="${image.png}" width="${image.width}" height="${image.height}" alt="${escapeHtml(alt)}"${extra}${pixelated}>`;
}

/**
 * A tile: heading, image, colour bar, caption.
 *
 * @example
 * ```ts
 * heatmapTile({ image: cell.image, alt: 'grad-cam for cat', title: 'grad-cam', scale: { colormap: 'inferno', range, clipped: 0, id: 't1' } });
 * ```
 */
export function heatmapTile(tile: HeatmapTile): string {
  const data = Object.entries(tile.data ?? {})
    .map(([k, v]) => ` data-${k.replace(/[^a-z0-9-]/gi, '')}="${escapeHtml(String(v))}"`)
    .join('');
  const cls = tile.imageClass ? ` class="${escapeHtml(tile.imageClass)}"` : '';
  const head = tile.title
    ? `<div class="tile-title"><span class="name">${escapeHtml(tile.title)}</span>${tile.subtitle ? ` <span class="muted">${escapeHtml(tile.subtitle)}</span>` : ''}</div>`
    : '';
  const bar = tile.scale
    ? colorBarSvg({
        colormap: tile.scale.colormap,
        range: tile.scale.range,
        id: tile.scale.id,
        width: Math.min(tile.image.width, 260),
        ticks: 3,
        clipped: { high: tile.scale.clipped > 0 && tile.scale.range.source !== 'fixed', low: tile.scale.range.sign === 'all' && tile.scale.clipped > 0 },
      })
    : '';
  const caption = tile.caption?.length ? `<figcaption>${tile.caption.map((l) => `<div>${escapeHtml(l)}</div>`).join('')}</figcaption>` : '';
  return `<figure class="tile" style="max-width:${Math.max(tile.image.width, 192)}px">${head}${inlineImg(tile.image, tile.alt, `${cls}${data}`)}${bar}${caption}</figure>`;
}

/**
 * Tiles in a responsive grid: as many columns as fit, each at least `min` pixels wide.
 *
 * @example `tileGrid(cells.map(heatmapTile), 180)`
 */
export function tileGrid(tiles: readonly string[], min = 180): string {
  return `<div class="tiles" style="grid-template-columns:repeat(auto-fill,minmax(min(${min}px,100%),1fr))">${tiles.join('')}</div>`;
}
