/**
 * Colour bars that show the real attribution values at each colour: as an SVG string (with tick
 * labels, for reports) or as RGB pixels (for a PNG through sharp, or a canvas). Pure.
 */
import { LucernaError } from '../errors.js';
import { type ColormapName, colormapLut } from './colormap.js';
import type { RgbPixels } from './heatmap.js';
import { escapeHtml } from './report/escape.js';
import { formatValue } from './report/format.js';
import type { DisplayRange } from './scale.js';

/** One labelled tick of a colour bar. */
export interface ColorBarTick {
  /** The real value at the tick. */
  readonly value: number;
  /** Where it sits along the bar, 0 (low end) to 1 (high end). */
  readonly position: number;
  readonly label: string;
}

/**
 * Evenly spaced ticks from `range.lo` to `range.hi` (a tick at 0 for signed ranges when `count` is
 * odd). The top label gets `≥` when values beyond the top were clipped to it, the bottom `≤`
 * likewise.
 *
 * @example
 * ```ts
 * colorBarTicks(fixedRange('all', 2), 3).map((t) => t.label); // ['-2', '0', '2']
 * ```
 */
export function colorBarTicks(range: DisplayRange, count = 5, clipped: { low?: boolean; high?: boolean } = {}): ColorBarTick[] {
  if (!Number.isInteger(count) || count < 2) throw new LucernaError('BAD_OPTION', `A colour bar needs at least 2 ticks, got ${count}`);
  if (!(range.hi > range.lo)) return [{ value: range.lo, position: range.sign === 'all' ? 0.5 : 0, label: `${formatValue(range.lo)} (constant)` }];
  const ticks: ColorBarTick[] = [];
  for (let i = 0; i < count; i++) {
    const position = i / (count - 1);
    const value = i === count - 1 ? range.hi : range.lo + (range.hi - range.lo) * position;
    let label = formatValue(Math.abs(value) < 1e-12 * (range.hi - range.lo) ? 0 : value);
    if (i === 0 && clipped.low) label = `≤ ${label}`;
    if (i === count - 1 && clipped.high) label = `≥ ${label}`;
    ticks.push({ value, position, label });
  }
  return ticks;
}

/**
 * The colormap as a horizontal strip (low values on the left), `width × height` pixels.
 *
 * @example
 * ```ts
 * const { rgb, width, height } = colorBarPixels('viridis', 256, 12);
 * await encodeRgbPng(rgb, width, height);
 * ```
 */
export function colorBarPixels(colormap: ColormapName, width = 256, height = 12): RgbPixels {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 1) {
    throw new LucernaError('BAD_OPTION', `A colour bar must be at least 2×1 pixels, got ${width}×${height}`);
  }
  const lut = colormapLut(colormap);
  const rgb = new Uint8Array(width * height * 3);
  for (let x = 0; x < width; x++) {
    const k = Math.round((x / (width - 1)) * 255) * 3;
    for (let y = 0; y < height; y++) rgb.set(lut.subarray(k, k + 3), (y * width + x) * 3);
  }
  return { rgb, width, height };
}

function hex(lut: Uint8Array, index: number): string {
  const k = index * 3;
  return `#${[lut[k], lut[k + 1], lut[k + 2]].map((v) => (v as number).toString(16).padStart(2, '0')).join('')}`;
}

/** Options of {@link colorBarSvg}. */
export interface ColorBarSvgOptions {
  readonly colormap: ColormapName;
  readonly range: DisplayRange;
  /** Unique within the page: the gradient's element id derives from it. */
  readonly id: string;
  readonly width?: number;
  /** Number of ticks (default 5). */
  readonly ticks?: number;
  /** Mark the end labels with ≤ / ≥ because values beyond them were clipped. */
  readonly clipped?: { readonly low?: boolean; readonly high?: boolean };
  /** A caption under the ticks, e.g. the unit or how the range was found. */
  readonly caption?: string;
}

/**
 * An inline SVG colour bar: the colormap's gradient with the real values at its ticks, for
 * embedding in HTML (no namespace URL, no fonts or files beyond the page it sits in).
 *
 * @example
 * ```ts
 * const svg = colorBarSvg({ colormap: 'rdbu', range: heat.range, id: 'ig-0' });
 * ```
 */
export function colorBarSvg(options: ColorBarSvgOptions): string {
  const width = options.width ?? 220;
  const pad = 14;
  const barHeight = 10;
  const lut = colormapLut(options.colormap);
  const gradientId = `cb-${options.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const stops = Array.from({ length: 17 }, (_, i) => `<stop offset="${(i / 16).toFixed(4)}" stop-color="${hex(lut, Math.round((i / 16) * 255))}"/>`).join('');
  const span = width - 2 * pad;
  const ticks = colorBarTicks(options.range, options.ticks ?? 5, options.clipped);
  const marks = ticks
    .map((t) => {
      const x = (pad + t.position * span).toFixed(1);
      const anchor = t.position === 0 && ticks.length > 1 ? 'start' : t.position === 1 ? 'end' : 'middle';
      const textX = anchor === 'start' ? pad - 2 : anchor === 'end' ? pad + span + 2 : Number(x);
      return `<line x1="${x}" x2="${x}" y1="${barHeight}" y2="${barHeight + 4}" stroke="#444"/><text x="${textX}" y="${barHeight + 15}" text-anchor="${anchor}">${escapeHtml(t.label)}</text>`;
    })
    .join('');
  const caption = options.caption
    ? `<text x="${width / 2}" y="${barHeight + 28}" text-anchor="middle" class="cb-caption">${escapeHtml(options.caption)}</text>`
    : '';
  const height = barHeight + (options.caption ? 32 : 19);
  return (
    `<svg class="colorbar" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" ` +
    `aria-label="colour scale from ${escapeHtml(ticks[0]?.label ?? '')} to ${escapeHtml(ticks[ticks.length - 1]?.label ?? '')}">` +
    `<defs><linearGradient id="${gradientId}" x1="0" x2="1" y1="0" y2="0">${stops}</linearGradient></defs>` +
    `<rect x="${pad}" y="0" width="${span}" height="${barHeight}" fill="url(#${gradientId})" stroke="#888" stroke-width="0.5"/>` +
    `<g font-size="10" fill="#222">${marks}${caption}</g></svg>`
  );
}
