/**
 * Heatmaps: one attribution plane → RGB pixels, with an honest, stated scale.
 * Signed maps (`sign: 'all'`) use a diverging colormap centred at zero; one-sided maps a
 * sequential one. Pure: the same code runs in Node (PNG through sharp, see `node.ts`) and in the
 * browser (a canvas, see `canvas.ts`).
 */
import { LucernaError } from '../errors.js';
import { formatShape, type Tensor } from '../tensor/tensor.js';
import { type ColorLut, type ColormapName, colormapLut } from './colormap.js';
import { type DisplayRange, displayRange, fixedRange, positions, type RangeFloor, type Sign, signedValues } from './scale.js';

/** How a heatmap is scaled and coloured. */
export interface HeatmapOptions {
  /** Which sign to show. Default: `all` when the plane has negative values, else `positive`. */
  readonly sign?: Sign;
  /** Colormap (default: `rdbu` for `all`, `inferno` otherwise). */
  readonly colormap?: ColormapName;
  /** Percentile of the shown values (|a| for `all`) mapped to full colour (default 99, outlier-robust). */
  readonly percentile?: number;
  /** Bottom of one-sided ranges: `zero` (default) or a low percentile. */
  readonly floor?: RangeFloor;
  /** A fixed top of the range instead of the percentile, to compare magnitudes across maps. */
  readonly scale?: number;
  /** A complete range (e.g. from `sharedDisplayRange`); wins over `scale` and `percentile`. */
  readonly range?: DisplayRange;
}

/** A rendered RGB image with the plane's size. */
export interface RgbPixels {
  /** Interleaved RGB, `rgb[(y * width + x) * 3 + c]`. */
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Rendered pixels plus the scale that was used (show it next to the image). */
export interface Heatmap extends RgbPixels {
  /** The value shown at full colour (±scale for signed maps): `range.hi`. */
  readonly scale: number;
  /** True when the map is shown signed (`sign: 'all'`). */
  readonly signed: boolean;
  readonly colormap: ColormapName;
  readonly sign: Sign;
  /** The real values at the two ends of the colormap, and how they were chosen. */
  readonly range: DisplayRange;
  /** Fraction of pixels outside the range (drawn at the end colour). */
  readonly clipped: number;
}

/** One plane's values and size. */
export interface Plane {
  readonly values: Float32Array;
  readonly width: number;
  readonly height: number;
}

/**
 * The single [H, W] plane of a tensor shaped [H, W], [1, H, W] or [1, 1, H, W].
 *
 * @example
 * ```ts
 * const { values, width, height } = planeOf(reduceChannels(attribution, 'sum'));
 * ```
 */
export function planeOf(t: Tensor): Plane {
  const rank = t.shape.length;
  const height = t.shape[rank - 2];
  const width = t.shape[rank - 1];
  if (rank < 2 || height === undefined || width === undefined || t.shape.slice(0, -2).some((d) => d !== 1) || t.data.length !== width * height) {
    throw new LucernaError(
      'BAD_SHAPE',
      `A heatmap needs one plane [H, W] (or [1, 1, H, W]), got shape ${formatShape(t.shape)}`,
      'Reduce the channels first (reduceChannels) and render one sample at a time',
    );
  }
  return { values: t.data, width, height };
}

/**
 * The sign to show when none is asked for: `all` if any value is negative, else `positive`.
 *
 * @example
 * ```ts
 * autoSign(Float32Array.from([0, 1])); // 'positive'
 * ```
 */
export function autoSign(values: ArrayLike<number>): Sign {
  for (let i = 0; i < values.length; i++) if ((values[i] as number) < 0) return 'all';
  return 'positive';
}

/**
 * The default colormap of a sign: diverging `rdbu` for `all`, sequential `inferno` otherwise.
 *
 * @example `defaultColormap('all'); // 'rdbu'`
 */
export function defaultColormap(sign: Sign): ColormapName {
  return sign === 'all' ? 'rdbu' : 'inferno';
}

/**
 * The range a renderer uses: the given one, a fixed scale, or a percentile of this plane.
 *
 * @example
 * ```ts
 * resolveRange(plane.data, 'all', { percentile: 98 }); // { sign: 'all', lo: -s, hi: s, source: 'percentile', percentile: 98 }
 * ```
 */
export function resolveRange(values: ArrayLike<number>, sign: Sign, options: Pick<HeatmapOptions, 'range' | 'scale' | 'percentile' | 'floor'>): DisplayRange {
  if (options.range) {
    if (options.range.sign !== sign) {
      throw new LucernaError('BAD_OPTION', `The display range was computed for sign "${options.range.sign}" but the map is shown with sign "${sign}"`);
    }
    return options.range;
  }
  if (options.scale !== undefined) return fixedRange(sign, options.scale);
  return displayRange(values, { sign, percentile: options.percentile, floor: options.floor });
}

/**
 * Colours positions t ∈ [0, 1] through a lookup table into interleaved RGB.
 *
 * @example
 * ```ts
 * const rgb = colorize(Float32Array.from([0, 1]), colormapLut('viridis')); // 2 pixels
 * ```
 */
export function colorize(t: ArrayLike<number>, lut: ColorLut): Uint8Array {
  const rgb = new Uint8Array(t.length * 3);
  for (let i = 0; i < t.length; i++) {
    const k = Math.round((t[i] as number) * 255) * 3;
    rgb[i * 3] = lut[k] as number;
    rgb[i * 3 + 1] = lut[k + 1] as number;
    rgb[i * 3 + 2] = lut[k + 2] as number;
  }
  return rgb;
}

/**
 * Renders a plane ([H, W], [1, H, W] or [1, 1, H, W]) as a heatmap, and returns the range used.
 *
 * @example
 * ```ts
 * const { rgb, width, height, range } = renderHeatmap(reduceChannels(attr, 'sum'), { sign: 'all' });
 * ```
 */
export function renderHeatmap(plane: Tensor, options: HeatmapOptions = {}): Heatmap {
  const { values, width, height } = planeOf(plane);
  const sign = options.sign ?? options.range?.sign ?? autoSign(values);
  const range = resolveRange(values, sign, options);
  const colormap = options.colormap ?? defaultColormap(sign);
  const { t, clipped } = positions(signedValues(values, sign), range);
  const rgb = colorize(t, colormapLut(colormap));
  return { rgb, width, height, scale: range.hi, signed: sign === 'all', colormap, sign, range, clipped: values.length ? clipped / values.length : 0 };
}
