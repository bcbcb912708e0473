/**
 * Heatmaps: one attribution plane → RGB pixels, with an honest, stated scale.
 * Signed maps use a diverging colormap centred at zero; unsigned maps a sequential one.
 */
import { percentile } from '../attribution/postprocess.js';
import type { Tensor } from '../tensor/tensor.js';
import { type ColormapName, colormapLut } from './colormap.js';

/** How a heatmap is scaled and coloured. */
export interface HeatmapOptions {
  /** Colormap (default: `rdbu` for signed maps, `inferno` otherwise). */
  readonly colormap?: ColormapName;
  /** Percentile of |a| mapped to full colour (default 99, outlier-robust). */
  readonly percentile?: number;
  /** A fixed scale instead of the percentile, to compare magnitudes across maps. */
  readonly scale?: number;
}

/** Rendered pixels plus the scale that was used (show it next to the image). */
export interface Heatmap {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** The value shown at full colour (±scale for signed maps). */
  readonly scale: number;
  readonly signed: boolean;
  readonly colormap: ColormapName;
}

/**
 * Renders a [H, W] plane (any tensor whose last two dims are H, W and which holds exactly one plane).
 *
 * @example
 * ```ts
 * const { rgb, width, height, scale } = renderHeatmap(reduceChannels(attr, 'sum'));
 * ```
 */
export function renderHeatmap(plane: Tensor, options: HeatmapOptions = {}): Heatmap {
  const height = plane.shape[plane.shape.length - 2] as number;
  const width = plane.shape[plane.shape.length - 1] as number;
  const values = plane.data.subarray(0, width * height);
  let signed = false;
  for (const v of values) if (v < 0) signed = true;
  const scale = options.scale ?? percentile(Float32Array.from(values, Math.abs), options.percentile ?? 99);
  const colormap = options.colormap ?? (signed ? 'rdbu' : 'inferno');
  const lut = colormapLut(colormap);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < values.length; i++) {
    const v = scale > 0 ? (values[i] as number) / scale : 0;
    const t = signed ? (Math.max(-1, Math.min(1, v)) + 1) / 2 : Math.max(0, Math.min(1, v));
    const k = Math.round(t * 255) * 3;
    rgb[i * 3] = lut[k] as number;
    rgb[i * 3 + 1] = lut[k + 1] as number;
    rgb[i * 3 + 2] = lut[k + 2] as number;
  }
  return { rgb, width, height, scale, signed, colormap };
}
