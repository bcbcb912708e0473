/**
 * Small statistics shared by the metrics: the trapezoid area under a curve, and mean ± standard
 * error over images.
 */
import { LucernaError } from '../errors.js';

/**
 * Area under the curve (xs[i], ys[i]) by the trapezoid rule; xs must be non-decreasing.
 *
 * @example
 * ```ts
 * trapezoidArea([0, 0.5, 1], [1, 0.5, 0]); // 0.5
 * ```
 */
export function trapezoidArea(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  if (xs.length !== ys.length) throw new LucernaError('BAD_SHAPE', `A curve needs as many x as y values, got ${xs.length} and ${ys.length}`);
  let area = 0;
  for (let i = 1; i < xs.length; i++) {
    const dx = (xs[i] as number) - (xs[i - 1] as number);
    if (dx < 0) throw new LucernaError('BAD_OPTION', 'Curve x values must not decrease');
    area += (dx * ((ys[i] as number) + (ys[i - 1] as number))) / 2;
  }
  return area;
}

/** Mean, standard error of the mean and count of the finite values. */
export interface MeanAndError {
  readonly mean: number;
  /** Sample standard deviation / √n (0 for one value, NaN for none). */
  readonly stderr: number;
  readonly n: number;
}

/**
 * Mean ± standard error of the finite values (NaN marks "undefined for this image", e.g. an empty mask).
 *
 * @example
 * ```ts
 * meanAndError([1, 2, 3]); // { mean: 2, stderr: 0.577…, n: 3 }
 * ```
 */
export function meanAndError(values: readonly number[]): MeanAndError {
  const finite = values.filter((v) => Number.isFinite(v));
  const n = finite.length;
  if (n === 0) return { mean: Number.NaN, stderr: Number.NaN, n };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, stderr: 0, n };
  const variance = finite.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, stderr: Math.sqrt(variance / n), n };
}
