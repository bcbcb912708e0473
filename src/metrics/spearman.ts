/**
 * Spearman rank correlation: the Pearson correlation of the ranks, with tied values given their
 * average rank (as `scipy.stats.spearmanr`). Adebayo et al. 2018 compare saliency maps with it,
 * https://arxiv.org/abs/1810.03292.
 */
import { LucernaError } from '../errors.js';

/**
 * Ranks 1..n of the values, ties sharing their average rank.
 *
 * @example
 * ```ts
 * averageRanks([10, 30, 20, 20]); // [1, 4, 2.5, 2.5]
 * ```
 */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
  const ranks = new Float64Array(n);
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && values[order[end] as number] === values[order[start] as number]) end++;
    const rank = (start + end + 1) / 2;
    for (let k = start; k < end; k++) ranks[order[k] as number] = rank;
    start = end;
  }
  return ranks;
}

/**
 * Pearson correlation of two equally long series; 0 when either is constant (no ranking to agree
 * with), so a map that collapsed to a constant counts as uncorrelated.
 *
 * @example
 * ```ts
 * pearson([1, 2, 3], [2, 4, 7]); // ≈ 0.99
 * ```
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length) throw new LucernaError('BAD_SHAPE', `Cannot correlate series of ${n} and ${b.length} values`);
  if (n === 0) return 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= n;
  mb /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

/**
 * Spearman rank correlation of two maps (any equally long arrays).
 *
 * @example
 * ```ts
 * spearman([1, 2, 3, 4], [10, 20, 40, 30]); // 0.8
 * ```
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new LucernaError('BAD_SHAPE', `Cannot correlate maps of ${a.length} and ${b.length} values`);
  return pearson(averageRanks(a), averageRanks(b));
}
