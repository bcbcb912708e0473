/**
 * Attribution maps drawn with the image they explain, in the four modes of Captum's
 * `visualize_image_attr` (https://captum.ai/api/utilities.html) and pytorch-grad-cam's
 * `show_cam_on_image`, each returning the display range it used:
 * - `heatmap`: the map alone
 * - `blended`: the coloured map blended with alpha over the image (grey by default, so the map's
 *   colours are not confused with the photo's)
 * - `masked`: the image where the map is in its top k% only, black elsewhere
 * - `alpha-scaling`: the image with each pixel's opacity ∝ its shown value, over a background
 */

import { LucernaError } from '../errors.js';
import { percentile } from '../tensor/percentile.js';
import type { Tensor } from '../tensor/tensor.js';
import { type ColormapName, colormapLut } from './colormap.js';
import { autoSign, colorize, defaultColormap, type HeatmapOptions, planeOf, type RgbPixels, renderHeatmap, resolveRange } from './heatmap.js';
import { type DisplayRange, positions, type Sign, signedValues } from './scale.js';

/** How a map is drawn. */
export type OverlayMode = 'heatmap' | 'blended' | 'masked' | 'alpha-scaling';

/** Every {@link OverlayMode}, for option parsing. @example `OVERLAY_MODES.includes('masked'); // true` */
export const OVERLAY_MODES: readonly OverlayMode[] = ['heatmap', 'blended', 'masked', 'alpha-scaling'];

/**
 * The `--mode` flag of a command: one of {@link OVERLAY_MODES}, or `fallback` when not given.
 *
 * @example
 * ```ts
 * parseOverlayMode(undefined, 'blended'); // 'blended'
 * parseOverlayMode('masked', 'blended'); // 'masked'
 * ```
 */
export function parseOverlayMode(text: string | undefined, fallback: OverlayMode): OverlayMode {
  if (text === undefined) return fallback;
  if (!(OVERLAY_MODES as readonly string[]).includes(text)) {
    throw new LucernaError('BAD_OPTION', `Unknown --mode "${text}"`, `Use one of ${OVERLAY_MODES.join(', ')}`);
  }
  return text as OverlayMode;
}

/**
 * The sign a mode shows: `masked` and `alpha-scaling` show magnitudes, so a signed map (`all`)
 * is shown by its positive part there.
 *
 * @example `modeSign('all', 'masked'); // 'positive'`
 */
export function modeSign(sign: Sign, mode: OverlayMode): Sign {
  return sign === 'all' && (mode === 'masked' || mode === 'alpha-scaling') ? 'positive' : sign;
}

/** Options of {@link renderOverlay}. */
export interface OverlayOptions extends HeatmapOptions {
  readonly mode: OverlayMode;
  /** `blended`: weight of the heatmap, in [0, 1] (default 0.5). */
  readonly alpha?: number;
  /** `blended`: the image under the map in `gray` (default) or its own `color`. */
  readonly base?: 'gray' | 'color';
  /** `masked`: percentage of pixels kept, those with the largest shown values (default 20). */
  readonly keep?: number;
  /** `alpha-scaling`: the colour behind transparent pixels, [r, g, b] (default white). */
  readonly background?: readonly [number, number, number];
}

/** A rendered overlay and everything needed to caption it truthfully. */
export interface Overlay extends RgbPixels {
  readonly mode: OverlayMode;
  readonly sign: Sign;
  /** The real values at the two ends of the colour (or opacity) scale. */
  readonly range: DisplayRange;
  /** The colormap, for modes that colour the map (`heatmap`, `blended`). */
  readonly colormap?: ColormapName;
  /** Fraction of pixels outside the range. */
  readonly clipped: number;
  /** `masked`: the shown value a pixel needs to be kept, and the fraction of pixels actually kept. */
  readonly mask?: { readonly threshold: number; readonly kept: number };
}

function checkUnit(value: number, what: string): number {
  if (!(value >= 0 && value <= 1)) throw new LucernaError('BAD_OPTION', `${what} must be in [0, 1], got ${value}`);
  return value;
}

function checkImage(image: RgbPixels | undefined, width: number, height: number, mode: OverlayMode): RgbPixels {
  if (!image) throw new LucernaError('BAD_OPTION', `The ${mode} mode needs the image the map explains`);
  if (image.width !== width || image.height !== height || image.rgb.length !== width * height * 3) {
    throw new LucernaError(
      'BAD_SHAPE',
      `The map is ${width}×${height} but the image is ${image.width}×${image.height}`,
      'Upsample the map to the image size first (upsample in attribution/upsample)',
    );
  }
  return image;
}

/**
 * Rec. 601 luma of each pixel, replicated to RGB.
 *
 * @example
 * ```ts
 * const grey = grayscale(image.rgb);
 * ```
 */
export function grayscale(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    const y = Math.round(0.299 * (rgb[i] as number) + 0.587 * (rgb[i + 1] as number) + 0.114 * (rgb[i + 2] as number));
    out[i] = y;
    out[i + 1] = y;
    out[i + 2] = y;
  }
  return out;
}

/**
 * (1 − alpha)·under + alpha·over, per channel, rounded.
 *
 * @example
 * ```ts
 * blend(grayscale(image.rgb), heat.rgb, 0.5);
 * ```
 */
export function blend(under: Uint8Array, over: Uint8Array, alpha: number | Float32Array): Uint8Array {
  const out = new Uint8Array(under.length);
  for (let i = 0; i < out.length; i++) {
    const a = typeof alpha === 'number' ? alpha : (alpha[Math.floor(i / 3)] as number);
    out[i] = Math.round((1 - a) * (under[i] as number) + a * (over[i] as number));
  }
  return out;
}

function requireOneSided(sign: Sign, mode: OverlayMode): void {
  if (sign === 'all') {
    throw new LucernaError('BAD_OPTION', `The ${mode} mode shows magnitudes: use sign positive, negative or absolute, not all`);
  }
}

function maskedImage(image: RgbPixels, shown: Float32Array, keep: number): { rgb: Uint8Array; threshold: number; kept: number } {
  if (!(keep > 0 && keep <= 100)) throw new LucernaError('BAD_OPTION', `keep must be a percentage in (0, 100], got ${keep}`);
  const threshold = percentile(shown, 100 - keep);
  const rgb = new Uint8Array(image.rgb.length);
  let kept = 0;
  for (let p = 0; p < shown.length; p++) {
    const v = shown[p] as number;
    if (v < threshold || v <= 0) continue;
    kept++;
    rgb.set(image.rgb.subarray(p * 3, p * 3 + 3), p * 3);
  }
  return { rgb, threshold, kept: shown.length ? kept / shown.length : 0 };
}

/**
 * Draws a plane ([H, W] or [1, 1, H, W]) over the H×W image it explains, in one of four modes,
 * and returns the range used (show it: nothing is normalised silently).
 *
 * @example
 * ```ts
 * const overlay = renderOverlay(upsampledCam, image, { mode: 'blended', sign: 'positive', alpha: 0.5 });
 * overlay.range; // { sign: 'positive', lo: 0, hi: 3.1, source: 'percentile', percentile: 99 }
 * ```
 */
export function renderOverlay(plane: Tensor, image: RgbPixels | undefined, options: OverlayOptions): Overlay {
  const mode = options.mode;
  if (!OVERLAY_MODES.includes(mode)) throw new LucernaError('BAD_OPTION', `Unknown overlay mode "${String(mode)}"`, `Use one of ${OVERLAY_MODES.join(', ')}`);
  if (mode === 'heatmap') {
    const heat = renderHeatmap(plane, options);
    return { rgb: heat.rgb, width: heat.width, height: heat.height, mode, sign: heat.sign, range: heat.range, colormap: heat.colormap, clipped: heat.clipped };
  }
  const { values, width, height } = planeOf(plane);
  const img = checkImage(image, width, height, mode);
  const sign = options.sign ?? options.range?.sign ?? autoSign(values);
  const range = resolveRange(values, sign, options);
  const shown = signedValues(values, sign);
  const { t, clipped } = positions(shown, range);
  const base = { width, height, mode, sign, range, clipped: values.length ? clipped / values.length : 0 };
  if (mode === 'blended') {
    const colormap = options.colormap ?? defaultColormap(sign);
    const under = (options.base ?? 'gray') === 'gray' ? grayscale(img.rgb) : img.rgb;
    return { ...base, colormap, rgb: blend(under, colorize(t, colormapLut(colormap)), checkUnit(options.alpha ?? 0.5, 'alpha')) };
  }
  requireOneSided(sign, mode);
  if (mode === 'masked') {
    const { rgb, threshold, kept } = maskedImage(img, shown, options.keep ?? 20);
    return { ...base, rgb, mask: { threshold, kept } };
  }
  const bg = options.background ?? [255, 255, 255];
  const backdrop = new Uint8Array(img.rgb.length);
  for (let i = 0; i < backdrop.length; i++) backdrop[i] = bg[i % 3] as number;
  return { ...base, rgb: blend(backdrop, img.rgb, t) };
}
