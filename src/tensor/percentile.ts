/**
 * Order statistics of plain value arrays, shared by attribution post-processing and display
 * scaling (a neutral home, so `render` does not import from `attribution`).
 */
import { LucernaError } from '../errors.js';

/**
 * The q-th percentile (0–100) of values, by linear interpolation between order statistics (NumPy's default).
 *
 * @example
 * ```ts
 * percentile(Float32Array.from([1, 2, 3, 4]), 50); // 2.5
 * ```
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 100)) throw new LucernaError('BAD_OPTION', `Percentile must be in [0, 100], got ${q}`);
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  if (sorted.length === 0) return 0;
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}
