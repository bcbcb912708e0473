/**
 * Structural similarity (Wang et al. 2004, https://doi.org/10.1109/TIP.2003.819861) of two maps,
 * as Adebayo et al. 2018 use to compare saliency maps before and after randomization: a Gaussian
 * window (σ = 1.5, 11×11, edges replicated), K1 = 0.01, K2 = 0.03, mean over the map.
 */
import { gaussianBlur } from '../attribution/baselines.js';
import { LucernaError } from '../errors.js';
import type { Plane } from './maps.js';

/** Options of {@link ssim}. */
export interface SsimOptions {
  /** The dynamic range L of the values (default 1, for maps normalised to [0, 1]). */
  readonly dataRange?: number;
  /** Standard deviation of the Gaussian window (default 1.5). */
  readonly sigma?: number;
}

function localMean(values: Float32Array, height: number, width: number, sigma: number): Float32Array {
  return gaussianBlur({ data: values, shape: [1, 1, height, width] }, sigma).data;
}

function product(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = (a[i] as number) * (b[i] as number);
  return out;
}

/**
 * The mean SSIM of two maps of one size.
 *
 * @example
 * ```ts
 * ssim(plane, plane); // 1
 * ```
 */
export function ssim(a: Plane, b: Plane, options: SsimOptions = {}): number {
  if (a.height !== b.height || a.width !== b.width) {
    throw new LucernaError('BAD_SHAPE', `Cannot compare a ${a.height}×${a.width} map with a ${b.height}×${b.width} map`);
  }
  const range = options.dataRange ?? 1;
  const sigma = options.sigma ?? 1.5;
  const { height, width } = a;
  const x = Float32Array.from(a.values);
  const y = Float32Array.from(b.values);
  const mx = localMean(x, height, width, sigma);
  const my = localMean(y, height, width, sigma);
  const sxx = localMean(product(x, x), height, width, sigma);
  const syy = localMean(product(y, y), height, width, sigma);
  const sxy = localMean(product(x, y), height, width, sigma);
  const c1 = (0.01 * range) ** 2;
  const c2 = (0.03 * range) ** 2;
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const ux = mx[i] as number;
    const uy = my[i] as number;
    const vx = (sxx[i] as number) - ux * ux;
    const vy = (syy[i] as number) - uy * uy;
    const cov = (sxy[i] as number) - ux * uy;
    total += ((2 * ux * uy + c1) * (2 * cov + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
  }
  return total / x.length;
}

/**
 * A copy of the values scaled to [0, 1] (all zeros when constant), the normalisation used before
 * comparing maps of different scales.
 *
 * @example
 * ```ts
 * minMaxScaled(Float32Array.of(2, 4, 6)); // [0, 0.5, 1]
 * ```
 */
export function minMaxScaled(values: ArrayLike<number>): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i] as number);
    hi = Math.max(hi, values[i] as number);
  }
  const out = new Float32Array(values.length);
  if (!(hi > lo)) return out;
  for (let i = 0; i < out.length; i++) out[i] = ((values[i] as number) - lo) / (hi - lo);
  return out;
}
