/**
 * Post-processing of raw attributions: pure functions, kept apart from the methods, so nothing is
 * hidden — every abs, ReLU, reduction or normalisation is an explicit, visible step.
 */
import { LucernaError } from '../errors.js';
import { percentile } from '../tensor/percentile.js';
import type { Tensor } from '../tensor/tensor.js';

export { percentile };

function map(t: Tensor, f: (v: number) => number): Tensor {
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(t.data[i] as number);
  return { data: out, shape: [...t.shape] };
}

/** |a| element-wise. @example `absolute(attribution)` */
export const absolute = (t: Tensor): Tensor => map(t, Math.abs);

/** max(a, 0) element-wise. @example `relu(cam)` */
export const relu = (t: Tensor): Tensor => map(t, (v) => Math.max(v, 0));

/**
 * Splits a signed map into its positive part and the magnitude of its negative part.
 *
 * @example
 * ```ts
 * const { positive, negative } = splitSign(attribution);
 * ```
 */
export function splitSign(t: Tensor): { positive: Tensor; negative: Tensor } {
  return { positive: relu(t), negative: map(t, (v) => (v < 0 ? -v : 0)) };
}

/** How channels are reduced to one map. */
export type ChannelReduction = 'sum' | 'abs-sum' | 'l2' | 'max';

/**
 * Reduces [N, C, H, W] to [N, 1, H, W] over channels.
 *
 * @example
 * ```ts
 * const heat = reduceChannels(attribution, 'abs-sum');
 * ```
 */
export function reduceChannels(t: Tensor, how: ChannelReduction): Tensor {
  if (t.shape.length !== 4) throw new LucernaError('BAD_SHAPE', `Channel reduction needs [N, C, H, W], got [${t.shape.join(', ')}]`);
  const [n, c, h, w] = t.shape as [number, number, number, number];
  const plane = h * w;
  const out = new Float32Array(n * plane);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < plane; p++) {
      let acc = how === 'max' ? -Infinity : 0;
      for (let k = 0; k < c; k++) {
        const v = t.data[(i * c + k) * plane + p] as number;
        if (how === 'sum') acc += v;
        else if (how === 'abs-sum') acc += Math.abs(v);
        else if (how === 'l2') acc += v * v;
        else acc = Math.max(acc, v);
      }
      out[i * plane + p] = how === 'l2' ? Math.sqrt(acc) : acc;
    }
  }
  return { data: out, shape: [n, 1, h, w] };
}

/**
 * Clips values to the [lo, hi] percentiles, robust to outliers.
 *
 * @example
 * ```ts
 * const clipped = clipPercentile(attribution, 1, 99);
 * ```
 */
export function clipPercentile(t: Tensor, lo = 1, hi = 99): Tensor {
  const a = percentile(t.data, lo);
  const b = percentile(t.data, hi);
  return map(t, (v) => Math.min(b, Math.max(a, v)));
}

/** What a normalisation divided by, so displays can state it. */
export interface Normalized {
  readonly tensor: Tensor;
  /** The value mapped to 1 (and −1 for signed maps). */
  readonly scale: number;
}

/**
 * Scales a map so the `q`-th percentile of |a| becomes 1 (values beyond are clipped to ±1).
 * Returns the scale so it can be shown next to the map (Captum's `visualize_image_attr` default q = 98).
 *
 * @example
 * ```ts
 * const { tensor, scale } = normalizeByPercentile(attribution, 99);
 * ```
 */
export function normalizeByPercentile(t: Tensor, q = 99): Normalized {
  const scale = percentile(Float32Array.from(t.data, Math.abs), q);
  if (scale === 0) return { tensor: map(t, () => 0), scale: 0 };
  return { tensor: map(t, (v) => Math.max(-1, Math.min(1, v / scale))), scale };
}

/**
 * Min–max normalisation to [0, 1] (pytorch-grad-cam's default display scaling).
 *
 * @example
 * ```ts
 * const { tensor } = normalizeMinMax(cam);
 * ```
 */
export function normalizeMinMax(t: Tensor): Normalized & { readonly min: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of t.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const range = hi - lo;
  return { tensor: map(t, (v) => (range > 0 ? (v - lo) / range : 0)), scale: range, min: lo };
}
